import { describe, expect, it } from "vitest";

import { hashOf, messageLink, pushesHistory, routeHash, routeInUrl, type Route } from "./route";

const at = (conversationId: string, threadRootId: string | null = null, messageId: string | null = null): Route => ({ conversationId, threadRootId, messageId });

describe("route", () => {
  it("reads the conversation, the open thread and the linked message from the address", () => {
    expect(routeInUrl("#/c/C1")).toEqual(at("C1"));
    expect(routeInUrl("#/c/C1/t/M9")).toEqual(at("C1", "M9"));
    expect(routeInUrl("#/c/C1/m/M4")).toEqual(at("C1", null, "M4"));
    expect(routeInUrl("#/c/C1/t/M9/m/M10")).toEqual(at("C1", "M9", "M10"));
  });

  it("writes what it reads (a round trip, odd characters included)", () => {
    for (const route of [at("C1"), at("C 1", "M/9"), at("C1", null, "M%4"), at("C1", "R", "M"), at("é", "ü", "ß")]) {
      expect(routeInUrl(hashOf(route))).toEqual(route);
    }
    expect(routeHash("C1")).toBe("#/c/C1");
    expect(routeHash("C1", null, "M2")).toBe("#/c/C1/m/M2");
    expect(hashOf(null)).toBe("#/");
  });

  it("refuses what it did not write", () => {
    for (const bad of ["", "#/", "#/x/C1", "#/c/", "#/c/C1/t/", "#/c/C1/x/M9", "#/c/C1/t/M9/more", "#/c/%E0", "#/c/C1/m/M1/t/R", "#/c/C1/m/", "#/c/C1/t/R/t/S", "#/c/C1/m/M/m/N"]) {
      expect(routeInUrl(bad)).toBeNull();
    }
  });

  it("links a message and a reply with the page's own address", () => {
    const location = { origin: "https://chat.example", pathname: "/app/", search: "" };
    expect(messageLink("C1", "M2", null, location)).toBe("https://chat.example/app/#/c/C1/m/M2");
    expect(messageLink("C1", "M3", "M2", location)).toBe("https://chat.example/app/#/c/C1/t/M2/m/M3");
  });

  it("makes a history entry when the conversation changes, or a phone goes a pane deeper", () => {
    expect(pushesHistory(at("A"), at("B"), false)).toBe(true);
    expect(pushesHistory(at("A", "R"), at("B"), true)).toBe(true);
    // Beside the same conversation: the entry is replaced on a wide screen…
    expect(pushesHistory(at("A"), at("A", "R"), false)).toBe(false);
    expect(pushesHistory(at("A", null, "M"), at("A"), false)).toBe(false);
    // …and the page starting replaces the address it came with.
    expect(pushesHistory(null, at("A"), false)).toBe(false);
    // A phone: list → conversation → thread are entries; coming back out is not.
    expect(pushesHistory(null, at("A"), true)).toBe(true);
    expect(pushesHistory(at("A"), at("A", "R"), true)).toBe(true);
    expect(pushesHistory(at("A", "R"), at("A"), true)).toBe(false);
    expect(pushesHistory(at("A"), null, true)).toBe(false);
    expect(pushesHistory(at("A", null, "M"), at("A"), true)).toBe(false);
  });
});
