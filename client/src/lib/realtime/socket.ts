// The WebSocket client: connect, subscribe, and reconnect forever with full-jitter backoff.
// Catch-up runs only after the server acknowledged the subscription, so a message sent in between
// is never lost: the ack carries each conversation's lastSeq. The status it reports is the
// socket's own: the browser's online/offline events are hints that make it probe or retry now,
// and a watchdog closes a socket that stopped answering (half-open after a network change).

import type { ChatEvent, ServerFrame, SignalFrame, SubscribedConversation } from "../types";

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
  /** The browser's guess (navigator.onLine): only chooses between "offline" and "reconnecting"
   * while no socket is up. */
  online?(): boolean;
}

export interface ChatSocketOptions {
  /** The URL with the current token (called on every attempt: tokens get refreshed). */
  url: () => string;
  onEvent: (event: ChatEvent | SignalFrame) => void;
  /** After every (re)subscription: catch up each conversation from the seq held. */
  onSubscribed: (conversations: SubscribedConversation[]) => void;
  onStatus: (status: ConnectionStatus) => void;
  /** A new connection's first subscription ack (after onSubscribed): per-connection state such
   * as presence subscriptions must be sent again. */
  onOpened?: () => void;
  onError?: (code: string, message: string) => void;
  /** How often to ping: keeps API Gateway (idle limit 10 minutes) from closing the socket and
   * proves the socket still carries frames. */
  pingIntervalMs?: number;
  /** No frame this long after a ping: the socket is dead though the browser did not notice. */
  pongTimeoutMs?: number;
  /** No subscription ack this long after opening: give up on this attempt. */
  connectTimeoutMs?: number;
  deps?: SocketDeps;
}

export const BASE_BACKOFF_MS = 1_000;
export const MAX_BACKOFF_MS = 30_000;
export const PING_INTERVAL_MS = 25_000;
export const PONG_TIMEOUT_MS = 10_000;
/** After the browser hints the network changed, a connected socket must answer this fast. */
export const PROBE_TIMEOUT_MS = 4_000;
export const CONNECT_TIMEOUT_MS = 15_000;
const OPEN = 1;

/** Delay before reconnect attempt `attempt` (0-based), "full jitter": anywhere between 0 and
 * min(30 s, 1 s × 2^attempt). API Gateway closes every socket at its 2-hour limit, so a fleet
 * connected together drops together; full jitter spreads their returns over the whole window. */
export function backoffDelay(attempt: number, random: () => number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** Math.min(30, Math.max(0, attempt)));
  return Math.floor(random() * ceiling);
}

const browserDeps: SocketDeps = {
  createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  random: () => Math.random(),
  online: () => (typeof navigator === "undefined" ? true : navigator.onLine),
};

export class ChatSocket {
  private socket: SocketLike | null = null;
  /** The server acknowledged this socket's subscription. */
  private subscribed = false;
  private attempt = 0;
  private reconnectTimer: unknown = null;
  private pingTimer: unknown = null;
  /** Armed while an answer is awaited (the subscription ack, a pong); any frame disarms it. */
  private deadlineTimer: unknown = null;
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
    this.subscribed = false;
    if (socket) this.detach(socket);
  }

  /** Sends a frame if the socket is open (typing and presence: lost ones do not matter). */
  send(frame: object): void {
    if (this.subscribed) this.sendFrame(frame);
  }

  /** Subscribes to more conversations (e.g. one the user was just added to). */
  subscribe(conversationIds: string[]): void {
    this.sendFrame({ action: "subscribe", conversationIds });
  }

  /** The browser says the network is back: a live socket must prove it with a pong; an attempt
   * begun while offline is abandoned; a waiting reconnect happens now. */
  reconnectNow(): void {
    if (this.stopped) return;
    if (this.socket && this.subscribed) {
      this.probe();
      return;
    }
    if (this.socket) this.drop(false);
    this.clearTimers();
    this.attempt = 0;
    this.open();
  }

  /** The browser says the network is gone. A socket still answering is still connected (the
   * hint is often wrong, e.g. a VPN or a second interface); one that is not is closed soon. */
  markOffline(): void {
    if (this.stopped) return;
    if (this.socket && this.subscribed) this.probe();
    else this.setStatus("offline");
  }

  private probe(): void {
    this.sendFrame({ action: "ping" });
    this.armDeadline(PROBE_TIMEOUT_MS, true);
  }

  /** What to show while no socket is subscribed. */
  private downStatus(): ConnectionStatus {
    if (this.deps.online && !this.deps.online()) return "offline";
    return this.everConnected ? "reconnecting" : "connecting";
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.status !== status) {
      this.status = status;
      this.options.onStatus(status);
    }
  }

  private sendFrame(frame: object): void {
    if (this.socket && this.socket.readyState === OPEN) {
      try {
        this.socket.send(JSON.stringify(frame));
      } catch {
        // A socket closing under us: its close event reconnects.
      }
    }
  }

  private clear(timer: "reconnectTimer" | "pingTimer" | "deadlineTimer"): void {
    if (this[timer] !== null) this.deps.clearTimeout(this[timer]);
    this[timer] = null;
  }

  private clearTimers(): void {
    this.clear("reconnectTimer");
    this.clear("pingTimer");
    this.clear("deadlineTimer");
  }

  /** Waits `ms` for any frame; without one the socket is dropped. `sooner` shortens a deadline
   * already armed (a probe), otherwise the armed one stands. */
  private armDeadline(ms: number, sooner = false): void {
    if (this.deadlineTimer !== null && !sooner) return;
    this.clear("deadlineTimer");
    this.deadlineTimer = this.deps.setTimeout(() => {
      this.deadlineTimer = null;
      if (this.socket) this.drop(true);
    }, ms);
  }

  private detach(socket: SocketLike): void {
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = null;
    try {
      socket.close();
    } catch {
      // Already closed.
    }
  }

  /** Gives up on the current socket without waiting for the browser's close event (which a
   * half-open socket may not fire for minutes), and reconnects when asked to. */
  private drop(reconnect: boolean): void {
    const socket = this.socket;
    this.socket = null;
    this.subscribed = false;
    this.clear("pingTimer");
    this.clear("deadlineTimer");
    if (socket) this.detach(socket);
    if (reconnect && !this.stopped) this.scheduleReconnect();
  }

  private open(): void {
    this.setStatus(this.status === "offline" ? this.downStatus() : this.everConnected ? "reconnecting" : "connecting");
    let socket: SocketLike;
    try {
      socket = this.deps.createSocket(this.options.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.subscribed = false;
    this.armDeadline(this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
    socket.onopen = () => {
      // Subscribe first; "connected" (and catch-up) only once the server acknowledged it.
      this.sendFrame({ action: "subscribe" });
    };
    socket.onmessage = (ev) => {
      if (this.socket === socket) this.handleFrame(ev.data);
    };
    socket.onerror = () => {
      // A close follows; reconnecting is handled there.
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.drop(true);
    };
  }

  private scheduleReconnect(): void {
    this.setStatus(this.downStatus());
    const delay = backoffDelay(this.attempt, this.deps.random);
    this.attempt += 1;
    this.clear("reconnectTimer");
    this.reconnectTimer = this.deps.setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.stopped) this.open();
    }, delay);
  }

  private schedulePing(): void {
    this.clear("pingTimer");
    this.pingTimer = this.deps.setTimeout(() => {
      this.pingTimer = null;
      this.sendFrame({ action: "ping" });
      this.armDeadline(this.options.pongTimeoutMs ?? PONG_TIMEOUT_MS);
      this.schedulePing();
    }, this.options.pingIntervalMs ?? PING_INTERVAL_MS);
  }

  private handleFrame(raw: unknown): void {
    // Any frame proves the socket carries traffic: whatever the browser guessed, it is connected.
    if (this.subscribed) {
      this.clear("deadlineTimer");
      this.setStatus("connected");
    }
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
        if (!this.subscribed) {
          this.subscribed = true;
          this.everConnected = true;
          this.clear("deadlineTimer");
          this.schedulePing();
          this.setStatus("connected");
          this.options.onSubscribed(frame.conversations);
          this.options.onOpened?.();
          break;
        }
        this.setStatus("connected");
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
