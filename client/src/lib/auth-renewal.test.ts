// The chat's socket follows the token: a renewal opens a socket with the new token, which takes
// over once subscribed (the old one is closed then, and the status never leaves "connected").

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { Api } from "./api";
import { TokenSource } from "./auth-token";
import { ChatController } from "./chat-controller";
import type { ConversationSummary } from "./types";

class FakeSocket {
  static all: FakeSocket[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  readyState = 0;
  readonly sent: string[] = [];
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string): void {
    this.sent.push(data);
  }
  close(): void {
    this.closed = true;
    this.readyState = 3;
    this.onclose?.({});
  }
  /** The server accepts the connection and acknowledges the subscription. */
  accept(): void {
    this.readyState = 1;
    this.onopen?.({});
    this.onmessage?.({ data: JSON.stringify({ type: "subscribed", conversations: [] }) });
  }
}

class QuietApi extends Api {
  override conversations(): Promise<{ items: ConversationSummary[] }> {
    return Promise.resolve({ items: [] });
  }
}

const ME = { tenantId: "acme", userId: "alice", handle: "alice", displayName: "Alice", roles: [] };

describe("socket and token renewal", () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.stubGlobal("WebSocket", FakeSocket);
    vi.stubGlobal("window", { addEventListener: () => {}, removeEventListener: () => {} });
    vi.stubGlobal("document", { hasFocus: () => true, visibilityState: "visible" });
  });
  afterEach(() => vi.unstubAllGlobals());

  it("opens a socket with the renewed token and closes the old one only once the new one is subscribed", async () => {
    const tokens = new TokenSource("first", null);
    const controller = new ChatController(new QuietApi("", tokens), "ws://chat/ws", tokens, ME);
    const statuses: string[] = [];
    controller.subscribe(() => statuses.push(controller.getSnapshot().status));
    await controller.start();
    const [first] = FakeSocket.all;
    expect(first?.url).toBe("ws://chat/ws?token=first");
    first?.accept();
    expect(controller.getSnapshot().status).toBe("connected");

    tokens.update("second");
    expect(FakeSocket.all).toHaveLength(2);
    const second = FakeSocket.all[1];
    expect(second?.url).toBe("ws://chat/ws?token=second");
    // Until the new one is subscribed, the old one serves.
    expect(first?.closed).toBe(false);
    expect(controller.getSnapshot().status).toBe("connected");

    statuses.length = 0;
    second?.accept();
    expect(first?.closed).toBe(true);
    expect(second?.closed).toBe(false);
    expect(statuses.every((s) => s === "connected")).toBe(true);
    // The old socket's close does not start a reconnect.
    expect(FakeSocket.all).toHaveLength(2);
    controller.stop();
    expect(second?.closed).toBe(true);
  });

  it("a socket that is not connected takes the renewed token at its next attempt instead", async () => {
    vi.useFakeTimers();
    try {
      const tokens = new TokenSource("first", null);
      const controller = new ChatController(new QuietApi("", tokens), "ws://chat/ws", tokens, ME);
      await controller.start();
      const [first] = FakeSocket.all;
      first?.close(); // refused or dropped before it connected
      tokens.update("second");
      expect(FakeSocket.all).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(6_000);
      expect(FakeSocket.all.at(-1)?.url).toBe("ws://chat/ws?token=second");
      controller.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
