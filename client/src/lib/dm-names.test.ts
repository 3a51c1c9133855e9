import { describe, expect, it } from "vitest";

import { conversationTitle } from "./chat-controller";
import { dmShortTitle, dmTitle, isGroupDm, otherPeople } from "./dm-names";
import type { ConversationSummary, UserProfile } from "./types";

const person = (id: string, displayName: string): UserProfile => ({ id, handle: id, displayName });
const alice = person("alice", "Alice Anderson");
const bob = person("bob", "Bob Brown");
const carol = person("carol", "Carol Chen");
const more = ["dan", "erin", "frank", "grace", "heidi"].map((id) => person(id, id.charAt(0).toUpperCase() + id.slice(1)));

function dm(members: UserProfile[]): ConversationSummary {
  return { id: "Dabc", kind: "dm", members, role: "member", lastSeq: 1, unreadCount: 0, mentionCount: 0 };
}

describe("DM names", () => {
  it("names a pair by the other person, as before", () => {
    expect(dmTitle(dm([alice, bob]), "alice")).toBe("Bob Brown");
    expect(conversationTitle(dm([alice, bob]), "bob")).toBe("Alice Anderson");
    expect(isGroupDm(dm([alice, bob]))).toBe(false);
  });

  it("names a group DM by everyone but me, by name", () => {
    // The server lists people in user-id order; names read alphabetically.
    const group = dm([person("zed", "Anna Zed"), alice, carol, bob]);
    expect(conversationTitle(group, "alice")).toBe("Anna Zed, Bob Brown, Carol Chen");
    expect(otherPeople(group, "carol").map((p) => p.id)).toEqual(["alice", "zed", "bob"]);
    expect(isGroupDm(group)).toBe(true);
  });

  it("shortens a group in the sidebar to first names, three of them and how many more, the title keeping all", () => {
    const eight = dm([alice, bob, carol, ...more]);
    expect(dmShortTitle(eight, "alice")).toBe("Bob, Carol, Dan +4");
    expect(dmTitle(eight, "alice")).toBe("Bob Brown, Carol Chen, Dan, Erin, Frank, Grace, Heidi");
    expect(dmShortTitle(dm([alice, bob, carol]), "alice")).toBe("Bob, Carol");
    // Two Bobs stay told apart.
    expect(dmShortTitle(dm([alice, bob, person("bob2", "Bob Baker"), carol]), "alice")).toBe("Bob Baker, Bob Brown, Carol");
  });

  it("has a name before the profiles arrive", () => {
    expect(conversationTitle(dm([]), "alice")).toBe("Direct message");
  });
});
