import { describe, expect, it } from "vitest";

import { TEST_CONVERSATION as C, testMessage as message } from "../test-messages";
import type { OutboxItem } from "../outbox";
import type { Message } from "../types";
import { MessageStore } from "./messages";

function unsent(clientMessageId: string, body: string, since: number, over: Partial<OutboxItem> = {}): OutboxItem {
  return { conversationId: C, clientMessageId, body, mentions: [], attachments: [], uploadIds: [], since, state: "pending", ...over };
}

describe("MessageStore", () => {
  it("shows an event and the POST answer for the same message once", () => {
    const confirmed: string[] = [];
    const store = new MessageStore("alice", (cm) => confirmed.push(cm));
    store.showUnsent(unsent("cm-1", "hello", 1_000));
    expect(store.list(C).map((m) => m.state)).toEqual(["pending"]);
    const sent = message(1, { authorId: "alice", clientMessageId: "cm-1", body: "hello" });
    // The event can win the race against the POST response, or lose it: one message either way.
    store.applyEvent({ type: "chat:newMessage", conversationId: C, seq: 1, data: sent });
    store.confirmSent(sent);
    expect(store.list(C)).toHaveLength(1);
    expect(store.list(C)[0]).toMatchObject({ id: sent.id, state: "sent", body: "hello" });
    // The outbox hears once that the server has it.
    expect(confirmed).toEqual(["cm-1"]);
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

  it("shows an unsent message as the outbox reports it, after the server's messages, in the order written", () => {
    const store = new MessageStore("alice");
    store.addHistory(C, [message(1)], undefined, 1);
    store.showUnsent(unsent("b", "second", 2_000));
    store.showUnsent(unsent("a", "first", 1_000));
    expect(store.list(C).map((m) => [m.body, m.state])).toEqual([
      ["message 1", "sent"],
      ["first", "pending"],
      ["second", "pending"],
    ]);
    store.showUnsent(unsent("a", "first", 1_000, { retryAt: 9_000 }));
    store.showUnsent(unsent("b", "second", 2_000, { state: "failed", error: "upload expired" }));
    expect(store.list(C)[1]).toMatchObject({ state: "pending", retryAt: 9_000 });
    expect(store.list(C)[2]).toMatchObject({ state: "failed", error: "upload expired" });
    store.dropUnsent(C, "b");
    expect(store.list(C)).toHaveLength(2);
  });

  it("does not show as unsent what the server already has (a history page came first)", () => {
    const confirmed: string[] = [];
    const store = new MessageStore("alice", (cm) => confirmed.push(cm));
    store.addHistory(C, [message(4, { authorId: "alice", clientMessageId: "cm-x" })], undefined, 4);
    store.showUnsent(unsent("cm-x", "message 4", 1_000));
    expect(store.list(C).map((m) => m.state)).toEqual(["sent"]);
    expect(confirmed).toEqual(["cm-x"]);
  });

  it("unsent messages alone do not make a conversation loaded, and forgetting it keeps them", () => {
    const store = new MessageStore("alice");
    store.showUnsent(unsent("cm-1", "restored after a reload", 1_000));
    expect(store.has(C)).toBe(false);
    store.addHistory(C, [message(1)], undefined, 1);
    expect(store.has(C)).toBe(true);
    store.forget(C);
    expect(store.has(C)).toBe(false);
    expect(store.list(C).map((m) => m.body)).toEqual(["restored after a reload"]);
  });

  it("drops messages retention removed and applies deletes as tombstones", () => {
    const store = new MessageStore("alice");
    store.addHistory(C, [message(1), message(2)], undefined, 2);
    const deleted = { ...message(2), body: "", updatedSeq: 3, deletedAt: "now" };
    store.applyChanges(C, {
      items: [
        { type: "chat:messageDeleted", conversationId: C, seq: 3, data: deleted },
        { type: "chat:messageDeleted", conversationId: C, seq: 4, data: { id: message(1).id, conversationId: C, removed: true } },
      ],
      lastSeq: 4,
      hasMore: false,
    });
    expect(store.list(C).map((m) => [m.seq, m.deletedAt])).toEqual([[2, "now"]]);
    expect(store.olderCursor(C)).toBeNull();
  });

  it("drops a message retention removes while the conversation is open (a live frame)", () => {
    const store = new MessageStore("alice");
    store.addHistory(C, [message(1), message(2)], undefined, 2);
    const removed = { id: message(1).id, conversationId: C, removed: true };
    expect(store.applyEvent({ type: "chat:messageDeleted", conversationId: C, seq: 3, data: removed })).toBe("applied");
    expect(store.list(C).map((m) => m.seq)).toEqual([2]);
    expect(store.applyEvent({ type: "chat:messageDeleted", conversationId: C, seq: 3, data: removed })).toBe("duplicate");
  });

  it("reloads a conversation the change log no longer covers and keeps unsent messages", () => {
    const store = new MessageStore("alice");
    store.addHistory(C, [message(1), message(2)], undefined, 2);
    store.showUnsent(unsent("cm-local", "still sending", 1_000));
    store.reload(C, [message(90), message(91)], "older-cursor", 95);
    expect(store.list(C).map((m) => m.seq === 0 ? m.body : m.seq)).toEqual([90, 91, "still sending"]);
    expect(store.lastSeq(C)).toBe(95);
    expect(store.olderCursor(C)).toBe("older-cursor");
    // Gap tracking resumes from the reloaded seq.
    expect(store.applyEvent({ type: "chat:newMessage", conversationId: C, seq: 96, data: message(96) })).toBe("applied");
    expect(store.applyEvent({ type: "chat:newMessage", conversationId: C, seq: 98, data: message(98) })).toBe("gap");
  });
});
