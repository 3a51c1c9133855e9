import { describe, expect, it } from "vitest";

import { pageTitle } from "./title";

describe("the page title", () => {
  it("leads with the unread total across conversations, then the open one", () => {
    expect(pageTitle([{ unreadCount: 2 }, { unreadCount: 0 }, { unreadCount: 3 }], "#general")).toBe("(5) #general · Tenant Chat");
  });

  it("has no count when everything is read, and no conversation before one is open", () => {
    expect(pageTitle([{ unreadCount: 0 }], "#general")).toBe("#general · Tenant Chat");
    expect(pageTitle([], null)).toBe("Tenant Chat");
  });

  it("stops counting at 99+", () => {
    expect(pageTitle([{ unreadCount: 120 }], null)).toBe("(99+) Tenant Chat");
  });
});
