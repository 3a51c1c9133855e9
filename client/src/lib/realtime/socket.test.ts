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

function harness(random = () => 1, online = () => true) {
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
    online,
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
    pongTimeoutMs: 10_000,
    deps,
  });
  return { socket, sockets, statuses, subscribed, events };
}

/** Opens the socket and acknowledges its subscription. */
function connected(h: ReturnType<typeof harness>): FakeSocket {
  const s = h.sockets.at(-1)!;
  s.serverOpens();
  s.serverSays({ type: "subscribed", conversations: [] });
  return s;
}

describe("backoffDelay (full jitter)", () => {
  it("draws from 0 up to 1 s x 2^attempt, capped at 30 s", () => {
    const top = () => 0.999999;
    expect([0, 1, 2, 3, 4, 5, 6, 10, 50, 5000].map((a) => backoffDelay(a, top))).toEqual([999, 1999, 3999, 7999, 15999, 29999, 29999, 29999, 29999, 29999]);
    for (const attempt of [0, 3, 40]) expect(backoffDelay(attempt, () => 0)).toBe(0);
    expect(backoffDelay(4, () => 0.5)).toBe(8000);
  });

  it("spreads a fleet dropped at the same moment over the whole window", () => {
    // 1,000 clients at their 6th attempt: not bunched at the top as with "jitter down by 20%".
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const delays = Array.from({ length: 1000 }, () => backoffDelay(6, random));
    const buckets = [0, 0, 0, 0, 0, 0];
    for (const d of delays) buckets[Math.floor(d / 5000)]! += 1;
    for (const b of buckets) expect(b).toBeGreaterThan(100);
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

  it("reconnects forever on the full-jitter schedule and resubscribes", () => {
    vi.useFakeTimers();
    const h = harness(() => 0.999999);
    h.socket.start();
    connected(h).serverDrops();
    expect(h.statuses.at(-1)).toBe("reconnecting");
    const expected = [999, 1999, 3999, 7999, 15999, 29999, 29999, 29999, 29999, 29999];
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
    // After a successful subscription the schedule starts again at (up to) 1 s.
    last.serverDrops();
    const before = h.sockets.length;
    vi.advanceTimersByTime(999);
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
    s.serverSays({ type: "pong" });
    s.serverSays({ type: "chat:newMessage", conversationId: "C1", seq: 1, data: {} });
    expect(h.events).toHaveLength(1);
    h.socket.stop();
    vi.advanceTimersByTime(60_000);
    expect(h.sockets).toHaveLength(1);
    vi.useRealTimers();
  });
});

describe("ChatSocket pong watchdog", () => {
  it("closes a socket that stops answering pings and reconnects", () => {
    vi.useFakeTimers();
    const h = harness(() => 0);
    h.socket.start();
    const s = connected(h);
    // Answered pings keep the socket.
    vi.advanceTimersByTime(30_000);
    s.serverSays({ type: "pong" });
    vi.advanceTimersByTime(20_000);
    expect(h.sockets).toHaveLength(1);
    // Half-open: the next ping gets nothing back within 10 s.
    vi.advanceTimersByTime(10_000);
    expect(s.sent.filter((f) => f.includes("ping"))).toHaveLength(2);
    vi.advanceTimersByTime(9_999);
    expect(h.sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(s.readyState).toBe(3);
    expect(h.statuses.at(-1)).toBe("reconnecting");
    vi.advanceTimersByTime(1);
    expect(h.sockets).toHaveLength(2);
    // A late frame from the abandoned socket changes nothing.
    s.onmessage?.({ data: JSON.stringify({ type: "chat:newMessage", conversationId: "C1", seq: 1, data: {} }) });
    expect(h.events).toHaveLength(0);
    connected(h);
    expect(h.statuses.at(-1)).toBe("connected");
    h.socket.stop();
    vi.useRealTimers();
  });

  it("any frame counts as an answer", () => {
    vi.useFakeTimers();
    const h = harness(() => 0);
    h.socket.start();
    const s = connected(h);
    vi.advanceTimersByTime(30_000);
    s.serverSays({ type: "chat:newMessage", conversationId: "C1", seq: 1, data: {} });
    vi.advanceTimersByTime(15_000);
    expect(h.sockets).toHaveLength(1);
    expect(h.statuses.at(-1)).toBe("connected");
    h.socket.stop();
    vi.useRealTimers();
  });

  it("gives up on an attempt whose subscription is never acknowledged", () => {
    vi.useFakeTimers();
    const h = harness(() => 0);
    h.socket.start();
    h.sockets[0]!.serverOpens();
    vi.advanceTimersByTime(15_000);
    expect(h.sockets[0]!.readyState).toBe(3);
    vi.advanceTimersByTime(1);
    expect(h.sockets).toHaveLength(2);
    h.socket.stop();
    vi.useRealTimers();
  });
});

describe("ChatSocket status is the socket's truth", () => {
  it("an offline hint on a live socket probes it: answered, it stays connected", () => {
    vi.useFakeTimers();
    const h = harness(() => 0, () => false);
    h.socket.start();
    const s = connected(h);
    h.socket.markOffline();
    expect(s.sent.at(-1)).toBe(JSON.stringify({ action: "ping" }));
    expect(h.statuses.at(-1)).toBe("connected");
    s.serverSays({ type: "pong" });
    vi.advanceTimersByTime(10_000);
    expect(h.sockets).toHaveLength(1);
    expect(h.statuses.at(-1)).toBe("connected");
    h.socket.stop();
    vi.useRealTimers();
  });

  it("an offline hint on a dead socket: offline within the probe deadline, connected again when the network returns", () => {
    vi.useFakeTimers();
    let online = true;
    const h = harness(() => 0.5, () => online);
    h.socket.start();
    connected(h);
    online = false;
    h.socket.markOffline();
    vi.advanceTimersByTime(4_000);
    expect(h.statuses.at(-1)).toBe("offline");
    // Attempts made while offline fail; the status stays offline, not "reconnecting".
    vi.advanceTimersByTime(500);
    expect(h.sockets).toHaveLength(2);
    h.sockets[1]!.serverDrops();
    expect(h.statuses.at(-1)).toBe("offline");
    // The network returns: the attempt waiting out its backoff happens now.
    online = true;
    h.socket.reconnectNow();
    expect(h.sockets).toHaveLength(3);
    expect(h.statuses.at(-1)).toBe("reconnecting");
    connected(h);
    expect(h.statuses.at(-1)).toBe("connected");
    h.socket.stop();
    vi.useRealTimers();
  });

  it("a stale offline status is corrected by the next frame of a socket that is still up", () => {
    vi.useFakeTimers();
    const h = harness(() => 0);
    h.socket.start();
    const s = connected(h);
    h.socket.markOffline(); // probe
    s.serverSays({ type: "chat:newMessage", conversationId: "C1", seq: 1, data: {} });
    expect(h.statuses.filter((x) => x === "offline")).toHaveLength(0);
    expect(h.statuses.at(-1)).toBe("connected");
    h.socket.stop();
    vi.useRealTimers();
  });

  it("online while an attempt hangs abandons it and tries again at once", () => {
    vi.useFakeTimers();
    const h = harness(() => 0);
    h.socket.start();
    connected(h).serverDrops();
    vi.advanceTimersByTime(1);
    expect(h.sockets).toHaveLength(2);
    h.socket.reconnectNow();
    expect(h.sockets[1]!.readyState).toBe(3);
    expect(h.sockets).toHaveLength(3);
    h.socket.stop();
    vi.useRealTimers();
  });
});
