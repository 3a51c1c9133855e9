import { describe, expect, it } from "vitest";

import { TEST_CONVERSATION as C, testMessage as message } from "./test-messages";
import { loadRecent, loadSkinTone, MAX_RECENT, reactionLabel, rememberRecent, saveSkinTone, withoutReaction, withReaction } from "./reactions";
import { MessageStore } from "./store/messages";
import type { ChatEvent, UserProfile } from "./types";

const profiles: Record<string, UserProfile> = {
  alice: { id: "alice", handle: "alice", displayName: "Alice" },
  bob: { id: "bob", handle: "bob", displayName: "Bob" },
};
const user = (id: string) => profiles[id];

function reaction(type: "chat:reactionAdded" | "chat:reactionRemoved", seq: number, messageId: string, emoji: string, userId: string): ChatEvent {
  return { type, conversationId: C, seq, data: { messageId, emoji, userId } };
}

describe("reaction summary", () => {
  it("adds in first-use order and counts, and adding twice returns the same list", () => {
    const one = withReaction([], "👍", "alice");
    const two = withReaction(withReaction(one, "🎉", "bob"), "👍", "bob");
    expect(two).toEqual([
      { emoji: "👍", count: 2, userIds: ["alice", "bob"] },
      { emoji: "🎉", count: 1, userIds: ["bob"] },
    ]);
    expect(withReaction(two, "👍", "alice")).toBe(two);
  });

  it("takes an emoji with or without its variation selector as the same one", () => {
    const mine = withReaction([], "👍\uFE0F", "alice");
    // The server's event names it fully qualified ("👍"): already held.
    expect(withReaction(mine, "👍", "alice")).toBe(mine);
    expect(withReaction(mine, "👍", "bob")).toEqual([{ emoji: "👍\uFE0F", count: 2, userIds: ["alice", "bob"] }]);
    expect(withoutReaction(withReaction([], "❤️", "bob"), "❤", "bob")).toEqual([]);
  });

  it("removes only the user's own, drops an emoji nobody holds, and a removal of nothing returns the same list", () => {
    const both = withReaction(withReaction([], "👍", "alice"), "👍", "bob");
    expect(withoutReaction(both, "👍", "alice")).toEqual([{ emoji: "👍", count: 1, userIds: ["bob"] }]);
    expect(withoutReaction(withoutReaction(both, "👍", "alice"), "👍", "bob")).toEqual([]);
    expect(withoutReaction(both, "🎉", "alice")).toBe(both);
    const mine = withReaction([], "👍", "bob");
    expect(withoutReaction(mine, "👍", "alice")).toBe(mine);
  });

  it("names who reacted, me first, for the button's accessible name", () => {
    const r = { emoji: "👍", count: 2, userIds: ["bob", "alice"] };
    expect(reactionLabel(r, "alice", user, "thumbs up")).toBe("You and Bob reacted with :thumbs up:");
    expect(reactionLabel({ emoji: "👍", count: 1, userIds: ["bob"] }, "alice", user, undefined)).toBe("Bob reacted with 👍");
    const many = { emoji: "👍", count: 12, userIds: ["bob", ...Array.from({ length: 11 }, (_, i) => `u${i}`)] };
    expect(reactionLabel(many, "alice", user, "thumbs up")).toMatch(/^Bob, u0, .* and 2 others reacted with :thumbs up:$/);
  });
});

describe("MessageStore reactions", () => {
  const loaded = () => {
    const store = new MessageStore("alice");
    store.addHistory(C, [message(1)], undefined, 1);
    return store;
  };
  const id = message(1).id;

  it("applies live adds and removes in seq order; a removal of one I do not hold is a no-op", () => {
    const store = loaded();
    expect(store.applyEvent(reaction("chat:reactionAdded", 2, id, "👍", "bob"))).toBe("applied");
    expect(store.applyEvent(reaction("chat:reactionAdded", 3, id, "👍", "alice"))).toBe("applied");
    expect(store.list(C)[0]?.reactions).toEqual([{ emoji: "👍", count: 2, userIds: ["bob", "alice"] }]);
    store.applyEvent(reaction("chat:reactionRemoved", 4, id, "🎉", "bob"));
    store.applyEvent(reaction("chat:reactionRemoved", 5, id, "👍", "bob"));
    expect(store.list(C)[0]?.reactions).toEqual([{ emoji: "👍", count: 1, userIds: ["alice"] }]);
    expect(store.lastSeq(C)).toBe(5);
    // A late duplicate of an earlier event changes nothing.
    expect(store.applyEvent(reaction("chat:reactionAdded", 2, id, "👍", "bob"))).toBe("duplicate");
    expect(store.list(C)[0]?.reactions?.[0]?.count).toBe(1);
    store.applyEvent(reaction("chat:reactionRemoved", 6, id, "👍", "alice"));
    expect(store.list(C)[0]).not.toHaveProperty("reactions");
  });

  it("converges when catch-up replays what history already shows (add then remove, and back)", () => {
    const store = new MessageStore("alice");
    // History fetched after seq 4: alice's 👍 is held again, bob's 🎉 was taken back.
    const now = { ...message(1), reactions: [{ emoji: "👍", count: 1, userIds: ["alice"] }] };
    store.addHistory(C, [now], undefined, 1);
    store.applyChanges(C, {
      items: [
        reaction("chat:reactionAdded", 2, id, "🎉", "bob"),
        reaction("chat:reactionRemoved", 3, id, "👍", "alice"),
        reaction("chat:reactionAdded", 4, id, "👍", "alice"),
        reaction("chat:reactionRemoved", 5, id, "🎉", "bob"),
        reaction("chat:reactionAdded", 6, "01UNKNOWNMESSAGE0000000000", "👍", "bob"),
      ],
      lastSeq: 6,
      hasMore: false,
    });
    expect(store.list(C)[0]?.reactions).toEqual([{ emoji: "👍", count: 1, userIds: ["alice"] }]);
    expect(store.list(C)).toHaveLength(1);
  });

  it("shows my own change at once and can take it back; the event that follows changes nothing", () => {
    const store = loaded();
    let changes = 0;
    store.subscribe(() => changes++);
    expect(store.react(C, id, "🚀", "alice", true)).toBe(true);
    expect(store.react(C, id, "🚀", "alice", true)).toBe(false);
    expect(store.applyEvent(reaction("chat:reactionAdded", 2, id, "🚀", "alice"))).toBe("applied");
    expect(store.list(C)[0]?.reactions).toEqual([{ emoji: "🚀", count: 1, userIds: ["alice"] }]);
    // Refused by the server: rolled back.
    expect(store.react(C, id, "👀", "alice", true)).toBe(true);
    expect(store.react(C, id, "👀", "alice", false)).toBe(true);
    expect(store.list(C)[0]?.reactions?.map((r) => r.emoji)).toEqual(["🚀"]);
    expect(changes).toBe(4);
  });

  it("keeps the reactions it holds when an edit's older copy of them arrives, and drops them on a delete", () => {
    const store = loaded();
    store.applyEvent(reaction("chat:reactionAdded", 2, id, "👍", "bob"));
    // The edit read the message before bob's reaction committed; it committed after.
    const edited = { ...message(1), body: "edited", editedAt: "x", updatedSeq: 3 };
    store.applyEvent({ type: "chat:messageUpdated", conversationId: C, seq: 3, data: edited });
    expect(store.list(C)[0]).toMatchObject({ body: "edited", reactions: [{ emoji: "👍", count: 1, userIds: ["bob"] }] });
    store.confirmSent({ ...edited, updatedSeq: 4, body: "again" });
    expect(store.list(C)[0]?.reactions).toHaveLength(1);
    store.applyEvent({ type: "chat:messageDeleted", conversationId: C, seq: 5, data: { ...message(1), body: "", updatedSeq: 5, deletedAt: "x" } });
    expect(store.list(C)[0]).not.toHaveProperty("reactions");
  });

  it("leaves a deleted message without reactions", () => {
    const store = loaded();
    store.applyEvent({ type: "chat:messageDeleted", conversationId: C, seq: 2, data: { ...message(1), body: "", updatedSeq: 2, deletedAt: "x" } });
    store.applyEvent(reaction("chat:reactionAdded", 3, id, "👍", "bob"));
    expect(store.list(C)[0]).not.toHaveProperty("reactions");
  });
});

describe("recently used emoji", () => {
  it("keeps the newest first, once each, per user, bounded", () => {
    const values = new Map<string, string>();
    const storage = { getItem: (k: string) => values.get(k) ?? null, setItem: (k: string, v: string) => void values.set(k, v) };
    rememberRecent("acme/alice", "👍", storage);
    rememberRecent("acme/alice", "🎉", storage);
    expect(rememberRecent("acme/alice", "👍", storage)).toEqual(["👍", "🎉"]);
    expect(loadRecent("acme/alice", storage)).toEqual(["👍", "🎉"]);
    expect(loadRecent("acme/bob", storage)).toEqual([]);
    for (let i = 0; i < MAX_RECENT + 5; i++) rememberRecent("acme/alice", String.fromCodePoint(0x1f600 + i), storage);
    expect(loadRecent("acme/alice", storage)).toHaveLength(MAX_RECENT);
    values.set("tenant-chat.recent-emoji.acme/bob", "not json");
    expect(loadRecent("acme/bob", storage)).toEqual([]);
  });

  it("remembers the skin tone per user, 0 when none or nonsense", () => {
    const values = new Map<string, string>();
    const storage = { getItem: (k: string) => values.get(k) ?? null, setItem: (k: string, v: string) => void values.set(k, v) };
    expect(loadSkinTone("acme/alice", storage)).toBe(0);
    saveSkinTone("acme/alice", 4, storage);
    expect(loadSkinTone("acme/alice", storage)).toBe(4);
    expect(loadSkinTone("acme/bob", storage)).toBe(0);
    values.set("tenant-chat.skin-tone.acme/bob", "9");
    expect(loadSkinTone("acme/bob", storage)).toBe(0);
  });
});
