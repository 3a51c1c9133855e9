import { describe, expect, it } from "vitest";

import { MAX_PRESENCE_IDS, TYPING_EVERY_MS, TYPING_EXPIRES_MS, Typers, TypingThrottle, Watched, isSignalFrame, presenceLabel, typingSentence } from "./signals";

describe("typers", () => {
  it("forgets a typer 6 s after their last signal, not before", () => {
    const typers = new Typers();
    typers.typed("c1", "bob", 1_000);
    expect(typers.typing("c1", 1_000 + TYPING_EXPIRES_MS - 1)).toEqual(["bob"]);
    expect(typers.typing("c1", 1_000 + TYPING_EXPIRES_MS)).toEqual([]);
    expect(typers.nextExpiry()).toBeNull();
  });

  it("a new signal extends the typer and each conversation keeps its own", () => {
    const typers = new Typers();
    typers.typed("c1", "bob", 0);
    typers.typed("c2", "carol", 0);
    typers.typed("c1", "bob", 4_000);
    expect(typers.typing("c1", 7_000)).toEqual(["bob"]);
    expect(typers.typing("c2", 7_000)).toEqual([]);
    expect(typers.nextExpiry()).toBe(4_000 + TYPING_EXPIRES_MS);
  });

  it("drops a typer at once when their message arrives", () => {
    const typers = new Typers();
    typers.typed("c1", "bob", 0);
    typers.typed("c1", "carol", 0);
    expect(typers.stopped("c1", "bob")).toBe(true);
    expect(typers.typing("c1", 1)).toEqual(["carol"]);
    expect(typers.stopped("c1", "dave")).toBe(false);
  });
});

describe("the typing sentence", () => {
  it("names one or two people and counts more as several", () => {
    expect(typingSentence([])).toBe("");
    expect(typingSentence(["Bob"])).toBe("Bob is typing…");
    expect(typingSentence(["Bob", "Carol"])).toBe("Bob and Carol are typing…");
    expect(typingSentence(["Bob", "Carol", "Dave"])).toBe("Several people are typing…");
  });
});

describe("the typing throttle", () => {
  it("sends at most once per 3 s per conversation, and again at once after a send", () => {
    const throttle = new TypingThrottle();
    expect(throttle.shouldSend("c1", 0)).toBe(true);
    expect(throttle.shouldSend("c1", TYPING_EVERY_MS - 1)).toBe(false);
    expect(throttle.shouldSend("c2", 1)).toBe(true);
    expect(throttle.shouldSend("c1", TYPING_EVERY_MS)).toBe(true);
    throttle.reset("c1");
    expect(throttle.shouldSend("c1", TYPING_EVERY_MS + 1)).toBe(true);
  });
});

describe("watched users", () => {
  it("is the union of what each part of the page shows, without me, and changes only when it does", () => {
    const watched = new Watched("alice");
    expect(watched.show("dms", ["bob", "alice"])).toBe(true);
    expect(watched.show("members", ["carol", "bob"])).toBe(true);
    expect(watched.ids()).toEqual(["bob", "carol"]);
    expect(watched.show("mentions", ["carol"])).toBe(false);
    expect(watched.show("members", [])).toBe(false);
    expect(watched.show("mentions", [])).toBe(true);
    expect(watched.ids()).toEqual(["bob"]);
  });

  it("asks for at most the server's limit", () => {
    const watched = new Watched("alice");
    watched.show("members", Array.from({ length: 150 }, (_, i) => `user${String(i).padStart(3, "0")}`));
    expect(watched.ids()).toHaveLength(MAX_PRESENCE_IDS);
  });
});

describe("frames and labels", () => {
  it("tells signals from conversation events", () => {
    expect(isSignalFrame({ type: "chat:typing" })).toBe(true);
    expect(isSignalFrame({ type: "chat:presence" })).toBe(true);
    expect(isSignalFrame({ type: "presence" })).toBe(true);
    expect(isSignalFrame({ type: "chat:newMessage" })).toBe(false);
  });

  it("names a dot by person and status, unknown as offline", () => {
    expect(presenceLabel("Bob", "away")).toBe("Bob, away");
    expect(presenceLabel("Bob", undefined)).toBe("Bob, offline");
  });
});
