import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { ApiError } from "./api";
import { Outbox, outboxKey, PENDING_TIMEOUT_MS, type NewItem, type OutboxItem } from "./outbox";
import { TEST_CONVERSATION as C, testMessage } from "./test-messages";
import type { Message } from "./types";

class MemoryStorage {
  readonly data = new Map<string, string>();
  getItem(k: string): string | null {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    this.data.set(k, v);
  }
  removeItem(k: string): void {
    this.data.delete(k);
  }
}

const KEY = outboxKey({ tenantId: "acme", userId: "alice" });
const OTHER = "C01JOTHERCONVERSATION00000";

function item(clientMessageId: string, conversationId = C): NewItem {
  return { conversationId, clientMessageId, body: `body ${clientMessageId}`, mentions: [], attachments: [], uploadIds: [] };
}

/** A scripted server: each send waits for the test to answer it. */
function harness(storage = new MemoryStorage()) {
  const calls: { item: OutboxItem; resolve: (m: Message) => void; reject: (e: unknown) => void }[] = [];
  const changes: OutboxItem[] = [];
  const sent: Message[] = [];
  let seq = 0;
  const outbox = new Outbox({
    key: KEY,
    storage,
    send: (i) => new Promise<Message>((resolve, reject) => calls.push({ item: { ...i }, resolve, reject })),
    onChange: (i) => changes.push({ ...i }),
    onSent: (m) => sent.push(m),
  });
  const answer = async (n = 0) => {
    const call = calls.splice(n, 1)[0];
    if (!call) throw new Error("no send waiting");
    call.resolve(testMessage(++seq, { authorId: "alice", clientMessageId: call.item.clientMessageId, conversationId: call.item.conversationId }));
    await vi.advanceTimersByTimeAsync(0);
  };
  const fail = async (e: unknown, n = 0) => {
    const call = calls.splice(n, 1)[0];
    if (!call) throw new Error("no send waiting");
    call.reject(e);
    await vi.advanceTimersByTimeAsync(0);
  };
  const stored = () => JSON.parse(storage.getItem(KEY) ?? "[]") as OutboxItem[];
  return { outbox, calls, changes, sent, answer, fail, stored, storage };
}

const offline = () => new ApiError(0, "network", "Failed to fetch");

describe("Outbox", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => vi.useRealTimers());

  it("sends a conversation's messages one at a time in the order written, other conversations alongside", async () => {
    const h = harness();
    h.outbox.start();
    h.outbox.add(item("a"));
    h.outbox.add(item("b"));
    h.outbox.add(item("x", OTHER));
    h.outbox.add(item("c"));
    // One in flight per conversation.
    expect(h.calls.map((c) => c.item.clientMessageId)).toEqual(["a", "x"]);
    await h.answer(0);
    expect(h.calls.map((c) => c.item.clientMessageId)).toEqual(["x", "b"]);
    await h.answer(1);
    await h.answer(0);
    await h.answer(0);
    expect(h.sent.map((m) => m.clientMessageId)).toEqual(["a", "b", "x", "c"]);
    expect(h.outbox.list()).toEqual([]);
    expect(h.storage.getItem(KEY)).toBeNull();
  });

  it("keeps sends made offline pending and sends them in order, with their ids, when the network is back", async () => {
    const h = harness();
    h.outbox.start();
    h.outbox.add(item("a"));
    await h.fail(offline());
    h.outbox.add(item("b"));
    h.outbox.add(item("c"));
    // Waiting for the network: nothing more is tried, nothing failed.
    expect(h.calls).toEqual([]);
    expect(h.outbox.list().map((i) => [i.clientMessageId, i.state])).toEqual([
      ["a", "pending"],
      ["b", "pending"],
      ["c", "pending"],
    ]);
    h.outbox.resume();
    for (const expected of ["a", "b", "c"]) {
      expect(h.calls.map((c) => c.item.clientMessageId)).toEqual([expected]);
      await h.answer();
    }
    expect(h.sent.map((m) => m.clientMessageId)).toEqual(["a", "b", "c"]);
  });

  it("tries again by itself after a backoff when no event says the network is back (a 5xx too)", async () => {
    const h = harness();
    h.outbox.start();
    h.outbox.add(item("a"));
    await h.fail(new ApiError(503, "unavailable", "busy"));
    expect(h.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.calls.map((c) => c.item.clientMessageId)).toEqual(["a"]);
    await h.fail(offline());
    await vi.advanceTimersByTimeAsync(1_999);
    expect(h.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await h.answer();
    expect(h.sent).toHaveLength(1);
  });

  it("survives a reload: what was unsent is restored with its state and sent on start", async () => {
    const storage = new MemoryStorage();
    const first = harness(storage);
    first.outbox.start();
    first.outbox.add(item("bad", OTHER));
    await first.fail(new ApiError(400, "invalid_input", "upload expired"));
    first.outbox.add({ ...item("a"), uploadIds: ["up-1"], attachments: [{ id: "pending-1", name: "a.txt", size: 1, contentType: "text/plain" }] });
    await first.fail(offline());
    first.outbox.stop();
    expect(first.stored().map((i) => [i.clientMessageId, i.state])).toEqual([
      ["bad", "failed"],
      ["a", "pending"],
    ]);

    const second = harness(storage);
    second.outbox.start();
    expect(second.changes.map((i) => [i.clientMessageId, i.state, i.error])).toEqual([
      ["bad", "failed", "upload expired"],
      ["a", "pending", undefined],
    ]);
    // The pending one goes out with its original id and staged uploads; the failed one waits for Retry.
    expect(second.calls.map((c) => [c.item.clientMessageId, c.item.uploadIds])).toEqual([["a", ["up-1"]]]);
    await second.answer();
    expect(second.stored().map((i) => i.clientMessageId)).toEqual(["bad"]);
  });

  it("an offline reply survives a reload with its thread and goes out as a reply", async () => {
    const storage = new MemoryStorage();
    const first = harness(storage);
    first.outbox.start();
    first.outbox.add({ ...item("r"), threadRootId: "root-1", alsoInChannel: true });
    await first.fail(offline());
    first.outbox.stop();
    const second = harness(storage);
    second.outbox.start();
    expect(second.changes.map((i) => [i.clientMessageId, i.threadRootId])).toEqual([["r", "root-1"]]);
    expect(second.calls.map((c) => [c.item.clientMessageId, c.item.threadRootId, c.item.alsoInChannel])).toEqual([["r", "root-1", true]]);
    await second.answer();
    expect(second.stored()).toEqual([]);
  });

  it("a rate-limited send waits for Retry-After, then goes out by itself; Retry sends it now", async () => {
    const h = harness();
    h.outbox.start();
    h.outbox.add(item("a"));
    h.outbox.add(item("b"));
    await h.fail(new ApiError(429, "rate_limited", "too many", 9_000));
    expect(h.outbox.list()[0]).toMatchObject({ state: "pending", retryAt: 1_000_000 + 9_000 });
    expect(h.changes.at(-1)).toMatchObject({ clientMessageId: "a", retryAt: 1_009_000 });
    // The one behind it waits too (the order holds).
    await vi.advanceTimersByTimeAsync(8_999);
    expect(h.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.calls.map((c) => c.item.clientMessageId)).toEqual(["a"]);
    expect(h.changes.at(-1)).toMatchObject({ clientMessageId: "a", retryAt: undefined });
    await h.fail(new ApiError(429, "rate_limited", "too many", 5_000));
    expect(h.outbox.retry("a")).toBe(true);
    expect(h.calls.map((c) => c.item.clientMessageId)).toEqual(["a"]);
    await h.answer();
    await h.answer();
    expect(h.sent.map((m) => m.clientMessageId)).toEqual(["a", "b"]);
  });

  it("a refused send fails with its reason and does not hold up the ones behind it; Retry puts it back", async () => {
    const h = harness();
    h.outbox.start();
    h.outbox.add(item("a"));
    h.outbox.add(item("b"));
    await h.fail(new ApiError(404, "not_found", "upload not found"));
    expect(h.outbox.list()[0]).toMatchObject({ clientMessageId: "a", state: "failed", error: "upload not found" });
    expect(h.calls.map((c) => c.item.clientMessageId)).toEqual(["b"]);
    await h.answer();
    vi.setSystemTime(1_050_000);
    expect(h.outbox.retry("a")).toBe(true);
    expect(h.outbox.list()[0]).toMatchObject({ state: "pending", since: 1_050_000, error: undefined });
    await h.answer();
    expect(h.sent.map((m) => m.clientMessageId)).toEqual(["b", "a"]);
    expect(h.outbox.retry("a")).toBe(false);
  });

  it("dedupes by client message id: an echo confirms it (even in flight) and it is not sent again", async () => {
    const storage = new MemoryStorage();
    const h = harness(storage);
    h.outbox.start();
    h.outbox.add(item("a"));
    h.outbox.add(item("b"));
    // The request reached the server, the answer was lost; the socket's echo says it arrived.
    h.outbox.confirmed("a");
    await h.fail(offline());
    expect(h.outbox.list().map((i) => i.clientMessageId)).toEqual(["b"]);
    h.outbox.resume();
    expect(h.calls.map((c) => c.item.clientMessageId)).toEqual(["b"]);
    await h.answer();
    expect(storage.getItem(KEY)).toBeNull();
    // A second tab's stored copy of a confirmed item does not bring it back.
    storage.setItem(KEY, JSON.stringify([{ ...item("a"), since: 1_000_000, state: "pending" }]));
    h.outbox.add(item("c"));
    expect(h.stored().map((i) => i.clientMessageId)).toEqual(["c"]);
  });

  it("keeps another tab's items when writing its own", () => {
    const storage = new MemoryStorage();
    storage.setItem(KEY, JSON.stringify([{ ...item("other-tab"), since: 1, state: "failed" }]));
    const h = harness(storage);
    h.outbox.add(item("mine"));
    expect(h.stored().map((i) => i.clientMessageId)).toEqual(["other-tab", "mine"]);
  });

  it("a session that ended keeps its items pending and stored, and sends no more", async () => {
    const storage = new MemoryStorage();
    const h = harness(storage);
    h.outbox.start();
    h.outbox.add(item("a"));
    h.outbox.add(item("b"));
    await h.fail(new ApiError(401, "session_ended", "Your session has ended"));
    h.outbox.resume();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(h.calls).toHaveLength(0);
    h.outbox.stop();
    expect(h.stored().map((i) => [i.clientMessageId, i.state])).toEqual([
      ["a", "pending"],
      ["b", "pending"],
    ]);
    // Signed in again (within two minutes): they go out.
    const again = harness(storage);
    again.outbox.start();
    await again.answer();
    await again.answer();
    expect(again.sent.map((m) => m.clientMessageId)).toEqual(["a", "b"]);
  });

  it("fails what stayed pending for more than two minutes, restored ones too", async () => {
    const storage = new MemoryStorage();
    const h = harness(storage);
    h.outbox.start();
    h.outbox.add(item("old"));
    await h.fail(offline());
    vi.setSystemTime(1_000_000 + 60_000);
    h.outbox.add(item("new"));
    expect(h.outbox.sweepStale(1_000_000 + PENDING_TIMEOUT_MS)).toBe(0);
    expect(h.outbox.sweepStale(1_000_000 + PENDING_TIMEOUT_MS + 1)).toBe(1);
    expect(h.outbox.list().map((i) => [i.clientMessageId, i.state])).toEqual([
      ["old", "failed"],
      ["new", "pending"],
    ]);
    h.outbox.stop();
    vi.setSystemTime(1_000_000 + 60_000 + PENDING_TIMEOUT_MS + 1);
    const later = harness(storage);
    later.outbox.start();
    expect(later.outbox.list().map((i) => i.state)).toEqual(["failed", "failed"]);
    expect(later.calls).toHaveLength(0);
  });

  it("sign-out discards this user's outbox", () => {
    const storage = new MemoryStorage();
    const h = harness(storage);
    h.outbox.add(item("a"));
    expect(storage.getItem(KEY)).not.toBeNull();
    h.outbox.discard();
    expect(storage.getItem(KEY)).toBeNull();
    expect(h.outbox.list()).toEqual([]);
  });

  it("ignores a stored value it cannot read", () => {
    const storage = new MemoryStorage();
    storage.setItem(KEY, "{not json");
    const h = harness(storage);
    h.outbox.start();
    expect(h.outbox.list()).toEqual([]);
    storage.setItem(KEY, JSON.stringify([{ clientMessageId: 3 }, { ...item("ok"), since: 1_000_000, state: "pending" }]));
    const again = harness(storage);
    again.outbox.start();
    expect(again.outbox.list().map((i) => i.clientMessageId)).toEqual(["ok"]);
  });
});

describe("retryAfterMs", () => {
  it("reads Retry-After in seconds or as a date", async () => {
    const { retryAfterMs } = await import("./api");
    expect(retryAfterMs("9")).toBe(9_000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs("soon")).toBeUndefined();
    expect(retryAfterMs(new Date(70_000).toUTCString(), 60_000)).toBe(10_000);
  });
});
