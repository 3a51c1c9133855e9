import { describe, expect, it } from "vitest";

import { TEST_CONVERSATION as C, testMessage as message } from "../test-messages";
import type { Message } from "../types";
import { MessageStore, PENDING_TIMEOUT_MS } from "./messages";

describe("MessageStore", () => {
  it("shows an event and the POST answer for the same message once", () => {
    const store = new MessageStore("alice");
    store.addPending(C, "cm-1", "hello", 1_000);
    expect(store.list(C).map((m) => m.state)).toEqual(["pending"]);
    const sent = message(1, { authorId: "alice", clientMessageId: "cm-1", body: "hello" });
    // The event can win the race against the POST response, or lose it: one message either way.
    store.applyEvent({ type: "chat:newMessage", conversationId: C, seq: 1, data: sent });
    store.confirmSent(sent);
    expect(store.list(C)).toHaveLength(1);
    expect(store.list(C)[0]).toMatchObject({ id: sent.id, state: "sent", body: "hello" });
    store.applyEvent({ type: "chat:newMessage", conversationId: C, seq: 1, data: sent });
    expect(store.list(C)).toHaveLength(1);
  });

  it("dedupes by message id and keeps the newest change", () => {
    const store = new MessageStore("alice");
    const m = message(1);
    expect(store.applyEvent({ type: "chat:newMessage", conversationId: C, seq: 1, data: m })).toBe("applied");
    const edited = { ...m, body: "edited", updatedSeq: 2, editedAt: "x" };
    store.applyEvent({ type: "chat:messageUpdated", conversationId: C, seq: 2, data: edited });
    // A late duplicate of the older version changes nothing.
    expect(store.applyEvent({ type: "chat:newMessage", conversationId: C, seq: 1, data: m })).toBe("duplicate");
    expect(store.list(C)).toHaveLength(1);
    expect(store.list(C)[0]?.body).toBe("edited");
  });

  it("detects a gap by seq and closes it with catch-up", () => {
    const store = new MessageStore("alice");
    store.applyEvent({ type: "chat:newMessage", conversationId: C, seq: 1, data: message(1) });
    expect(store.applyEvent({ type: "chat:newMessage", conversationId: C, seq: 4, data: message(4) })).toBe("gap");
    expect(store.lastSeq(C)).toBe(1);
    store.applyChanges(C, {
      items: [2, 3, 4].map((s) => ({ type: "chat:newMessage" as const, conversationId: C, seq: s, data: message(s) })),
      lastSeq: 4,
      hasMore: false,
    });
    expect(store.lastSeq(C)).toBe(4);
    expect(store.list(C).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(store.applyEvent({ type: "chat:newMessage", conversationId: C, seq: 5, data: message(5) })).toBe("applied");
  });

  it("ignores read events for gap tracking (they carry a message seq, not a change seq)", () => {
    const store = new MessageStore("alice");
    store.applyEvent({ type: "chat:newMessage", conversationId: C, seq: 1, data: message(1) });
    store.applyEvent({ type: "chat:conversationRead", conversationId: C, seq: 9, data: { userId: "alice", seq: 9 } });
    expect(store.lastSeq(C)).toBe(1);
  });

  it("marks pending messages failed after two minutes", () => {
    const store = new MessageStore("alice");
    store.addPending(C, "a", "one", 0);
    store.addPending(C, "b", "two", 60_000);
    expect(store.sweepStale(PENDING_TIMEOUT_MS)).toBe(0);
    expect(store.sweepStale(PENDING_TIMEOUT_MS + 1)).toBe(1);
    expect(store.list(C).map((m) => [m.clientMessageId, m.state])).toEqual([
      ["a", "failed"],
      ["b", "pending"],
    ]);
  });

  it("retries a failed message with the same client message id", () => {
    const store = new MessageStore("alice");
    store.addPending(C, "keep-me", "retry me", 0);
    store.markFailed(C, "keep-me", "offline");
    expect(store.list(C)[0]).toMatchObject({ state: "failed", error: "offline" });
    expect(store.retry(C, "keep-me", 5_000)).toEqual({ clientMessageId: "keep-me", body: "retry me", mentions: [], uploadIds: [] });
    expect(store.list(C)[0]).toMatchObject({ state: "pending", pendingSince: 5_000 });
    expect(store.retry(C, "keep-me", 6_000)).toBeNull();
    store.confirmSent(message(3, { authorId: "alice", clientMessageId: "keep-me", body: "retry me" }));
    expect(store.list(C)).toHaveLength(1);
    expect(store.list(C)[0]?.state).toBe("sent");
  });

  it("drops messages retention removed and applies deletes as tombstones", () => {
    const store = new MessageStore("alice");
    store.addHistory(C, [message(1), message(2)], undefined, 2);
    const deleted = { ...message(2), body: "", updatedSeq: 3, deletedAt: "now" };
    store.applyChanges(C, {
      items: [
        { type: "chat:messageDeleted", conversationId: C, seq: 3, data: deleted },
        { type: "chat:messageDeleted", conversationId: C, seq: 4, data: { ...message(1), removed: true } as Message },
      ],
      lastSeq: 4,
      hasMore: false,
    });
    expect(store.list(C).map((m) => [m.seq, m.deletedAt])).toEqual([[2, "now"]]);
    expect(store.olderCursor(C)).toBeNull();
  });

  it("reloads a conversation the change log no longer covers and keeps unsent messages", () => {
    const store = new MessageStore("alice");
    store.addHistory(C, [message(1), message(2)], undefined, 2);
    store.addPending(C, "cm-local", "still sending", 1_000);
    store.reload(C, [message(90), message(91)], "older-cursor", 95);
    expect(store.list(C).map((m) => m.seq === 0 ? m.body : m.seq)).toEqual([90, 91, "still sending"]);
    expect(store.lastSeq(C)).toBe(95);
    expect(store.olderCursor(C)).toBe("older-cursor");
    // Gap tracking resumes from the reloaded seq.
    expect(store.applyEvent({ type: "chat:newMessage", conversationId: C, seq: 96, data: message(96) })).toBe("applied");
    expect(store.applyEvent({ type: "chat:newMessage", conversationId: C, seq: 98, data: message(98) })).toBe("gap");
  });
});
