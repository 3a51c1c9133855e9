// The WebSocket client: connect, subscribe, and reconnect forever with exponential backoff
// (1-5 s, jittered). Catch-up runs only after the server acknowledged the subscription, so a
// message sent in between is never lost: the ack carries each conversation's lastSeq.

import type { ChatEvent, ServerFrame, SubscribedConversation } from "../types";

export type ConnectionStatus = "connecting" | "connected" | "reconnecting" | "offline";

/** The part of the browser WebSocket we use (tests pass a fake). */
export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  readonly readyState: number;
  send(data: string): void;
  close(): void;
}

export interface SocketDeps {
  createSocket(url: string): SocketLike;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  random(): number;
}

export interface ChatSocketOptions {
  /** The URL with the current token (called on every attempt: tokens get refreshed). */
  url: () => string;
  onEvent: (event: ChatEvent) => void;
  /** After every (re)subscription: catch up each conversation from the seq held. */
  onSubscribed: (conversations: SubscribedConversation[]) => void;
  onStatus: (status: ConnectionStatus) => void;
  onError?: (code: string, message: string) => void;
  /** API Gateway closes sockets idle for 10 minutes. */
  pingIntervalMs?: number;
  deps?: SocketDeps;
}

export const MIN_BACKOFF_MS = 1_000;
export const MAX_BACKOFF_MS = 5_000;
const OPEN = 1;

/** Delay before reconnect attempt `attempt` (0-based): 1 s, 2 s, 4 s, then 5 s, each jittered
 * down by up to 20% but never below 1 s, so a fleet of clients does not reconnect in lockstep. */
export function backoffDelay(attempt: number, random: () => number): number {
  const base = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** Math.max(0, attempt));
  const jittered = base * (0.8 + 0.2 * random());
  return Math.round(Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, jittered)));
}

const browserDeps: SocketDeps = {
  createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  random: () => Math.random(),
};

export class ChatSocket {
  private socket: SocketLike | null = null;
  private attempt = 0;
  private reconnectTimer: unknown = null;
  private pingTimer: unknown = null;
  private stopped = true;
  private everConnected = false;
  private status: ConnectionStatus | null = null;
  private readonly deps: SocketDeps;

  constructor(private readonly options: ChatSocketOptions) {
    this.deps = options.deps ?? browserDeps;
  }

  get currentStatus(): ConnectionStatus {
    return this.status ?? "connecting";
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    socket?.close();
  }

  /** Subscribes to more conversations (e.g. one the user was just added to). */
  subscribe(conversationIds: string[]): void {
    this.sendFrame({ action: "subscribe", conversationIds });
  }

  /** The browser says the network is back: try now instead of waiting out the backoff. */
  reconnectNow(): void {
    if (this.stopped || this.socket) return;
    this.clearTimers();
    this.attempt = 0;
    this.open();
  }

  markOffline(): void {
    this.setStatus("offline");
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.status !== status) {
      this.status = status;
      this.options.onStatus(status);
    }
  }

  private sendFrame(frame: object): void {
    if (this.socket && this.socket.readyState === OPEN) {
      this.socket.send(JSON.stringify(frame));
    }
  }

  private clearTimers(): void {
    if (this.reconnectTimer !== null) this.deps.clearTimeout(this.reconnectTimer);
    if (this.pingTimer !== null) this.deps.clearTimeout(this.pingTimer);
    this.reconnectTimer = null;
    this.pingTimer = null;
  }

  private open(): void {
    this.setStatus(this.everConnected ? "reconnecting" : "connecting");
    let socket: SocketLike;
    try {
      socket = this.deps.createSocket(this.options.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      // Subscribe first; "connected" (and catch-up) only once the server acknowledged it.
      this.sendFrame({ action: "subscribe" });
    };
    socket.onmessage = (ev) => this.handleFrame(ev.data);
    socket.onerror = () => {
      // A close follows; reconnecting is handled there.
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.pingTimer !== null) this.deps.clearTimeout(this.pingTimer);
      this.pingTimer = null;
      if (!this.stopped) this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.status !== "offline") this.setStatus("reconnecting");
    const delay = backoffDelay(this.attempt, this.deps.random);
    this.attempt += 1;
    this.reconnectTimer = this.deps.setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.stopped) this.open();
    }, delay);
  }

  private schedulePing(): void {
    const interval = this.options.pingIntervalMs ?? 60_000;
    this.pingTimer = this.deps.setTimeout(() => {
      this.sendFrame({ action: "ping" });
      this.schedulePing();
    }, interval);
  }

  private handleFrame(raw: unknown): void {
    if (typeof raw !== "string") return;
    let frame: ServerFrame;
    try {
      frame = JSON.parse(raw) as ServerFrame;
    } catch {
      return;
    }
    switch (frame.type) {
      case "subscribed":
        this.attempt = 0;
        if (this.status !== "connected") {
          this.everConnected = true;
          this.setStatus("connected");
          if (this.pingTimer === null) this.schedulePing();
        }
        this.options.onSubscribed(frame.conversations);
        break;
      case "pong":
        break;
      case "error":
        this.options.onError?.(frame.code, frame.message);
        break;
      default:
        this.options.onEvent(frame);
    }
  }
}
