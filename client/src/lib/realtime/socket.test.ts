import { describe, expect, it, vi } from "vitest";

import { backoffDelay, ChatSocket, type ConnectionStatus, type SocketDeps, type SocketLike } from "./socket";

class FakeSocket implements SocketLike {
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  readyState = 0;
  sent: string[] = [];
  constructor(readonly url: string) {}
  send(data: string): void {
    this.sent.push(data);
  }
  close(): void {
    this.readyState = 3;
    this.onclose?.({});
  }
  serverOpens(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  serverSays(frame: object): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  serverDrops(): void {
    this.readyState = 3;
    this.onclose?.({});
  }
}

function harness(random = () => 1) {
  const sockets: FakeSocket[] = [];
  const deps: SocketDeps = {
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    random,
  };
  const statuses: ConnectionStatus[] = [];
  const subscribed: number[] = [];
  const events: unknown[] = [];
  const socket = new ChatSocket({
    url: () => "ws://test/ws?token=t",
    onEvent: (e) => events.push(e),
    onSubscribed: (c) => subscribed.push(c.length),
    onStatus: (s) => statuses.push(s),
    pingIntervalMs: 30_000,
    deps,
  });
  return { socket, sockets, statuses, subscribed, events };
}

describe("backoffDelay", () => {
  it("doubles from 1 s and caps at 5 s", () => {
    const top = () => 1;
    expect([0, 1, 2, 3, 4, 10, 50].map((a) => backoffDelay(a, top))).toEqual([1000, 2000, 4000, 5000, 5000, 5000, 5000]);
  });
  it("jitters down by at most 20% and never below 1 s", () => {
    for (let attempt = 0; attempt < 8; attempt++) {
      for (const r of [0, 0.25, 0.5, 0.99]) {
        const d = backoffDelay(attempt, () => r);
        expect(d).toBeGreaterThanOrEqual(1000);
        expect(d).toBeLessThanOrEqual(5000);
      }
    }
    expect(backoffDelay(2, () => 0)).toBe(3200);
  });
});

describe("ChatSocket", () => {
  it("subscribes on open and reports connected only after the ack", () => {
    vi.useFakeTimers();
    const h = harness();
    h.socket.start();
    expect(h.statuses).toEqual(["connecting"]);
    h.sockets[0]!.serverOpens();
    expect(h.sockets[0]!.sent).toEqual([JSON.stringify({ action: "subscribe" })]);
    expect(h.statuses).toEqual(["connecting"]);
    h.sockets[0]!.serverSays({ type: "subscribed", conversations: [{ conversationId: "C1", lastSeq: 3 }] });
    expect(h.statuses).toEqual(["connecting", "connected"]);
    expect(h.subscribed).toEqual([1]);
    h.socket.stop();
    vi.useRealTimers();
  });

  it("reconnects forever on the backoff schedule and resubscribes", () => {
    vi.useFakeTimers();
    const h = harness();
    h.socket.start();
    h.sockets[0]!.serverOpens();
    h.sockets[0]!.serverSays({ type: "subscribed", conversations: [] });
    h.sockets[0]!.serverDrops();
    expect(h.statuses.at(-1)).toBe("reconnecting");
    const expected = [1000, 2000, 4000, 5000, 5000, 5000, 5000, 5000];
    for (const [i, delay] of expected.entries()) {
      const before = h.sockets.length;
      vi.advanceTimersByTime(delay - 1);
      expect(h.sockets.length).toBe(before);
      vi.advanceTimersByTime(1);
      expect(h.sockets.length).toBe(before + 1);
      if (i < expected.length - 1) h.sockets.at(-1)!.serverDrops();
    }
    const last = h.sockets.at(-1)!;
    last.serverOpens();
    expect(last.sent).toEqual([JSON.stringify({ action: "subscribe" })]);
    last.serverSays({ type: "subscribed", conversations: [{ conversationId: "C1", lastSeq: 9 }] });
    expect(h.statuses.at(-1)).toBe("connected");
    // After a successful subscription the schedule starts again at 1 s.
    last.serverDrops();
    const before = h.sockets.length;
    vi.advanceTimersByTime(1000);
    expect(h.sockets.length).toBe(before + 1);
    h.socket.stop();
    vi.useRealTimers();
  });

  it("pings to keep API Gateway from closing an idle socket, and passes events on", () => {
    vi.useFakeTimers();
    const h = harness();
    h.socket.start();
    const s = h.sockets[0]!;
    s.serverOpens();
    s.serverSays({ type: "subscribed", conversations: [] });
    vi.advanceTimersByTime(30_000);
    expect(s.sent.at(-1)).toBe(JSON.stringify({ action: "ping" }));
    s.serverSays({ type: "chat:newMessage", conversationId: "C1", seq: 1, data: {} });
    expect(h.events).toHaveLength(1);
    h.socket.stop();
    vi.advanceTimersByTime(60_000);
    expect(h.sockets).toHaveLength(1);
    vi.useRealTimers();
  });
});
