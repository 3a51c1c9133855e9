// The socket's lifecycle: one serving socket, replaced make-before-break when the token renews.

import type { Api } from "../api";
import type { TokenSource } from "../auth-token";
import { ChatSocket } from "../realtime/socket";
import type { ChatEvent, SignalFrame, SubscribedConversation } from "../types";
import type { ChatState } from "./state";

export interface ConnectionDeps {
  api: Api;
  wsUrl: string;
  tokens: TokenSource;
  state: ChatState;
  onEvent(event: ChatEvent | SignalFrame): void;
  onSubscribed(conversations: SubscribedConversation[]): void;
  /** The serving socket is a new connection (first one, reconnect, takeover). */
  onReady?(): void;
}

export class Connection {
  private socket: ChatSocket | null = null;
  /** A socket opened with a renewed token, taking over once its subscription is acknowledged. */
  private replacement: ChatSocket | null = null;
  private checkingSession = false;

  constructor(private readonly deps: ConnectionDeps) {}

  start(): void {
    this.socket = this.connect();
    this.socket.start();
  }

  stop(): void {
    this.replacement?.stop();
    this.replacement = null;
    this.socket?.stop();
  }

  subscribe(ids: string[]): void {
    this.socket?.subscribe(ids);
  }

  /** A typing or presence frame on the serving socket. */
  send(frame: object): void {
    this.socket?.send(frame);
  }

  reconnectNow(): void {
    this.socket?.reconnectNow();
  }

  markOffline(): void {
    this.socket?.markOffline();
  }

  /** A socket whose every attempt uses the token current then. Until it is `this.socket` (a
   * replacement not yet subscribed) its events and status are ignored: the old one still serves. */
  private connect(): ChatSocket {
    let attempts = 0;
    const socket: ChatSocket = new ChatSocket({
      url: () => {
        // A socket refused again and again may hold a refused token, which the browser cannot
        // tell from a network failure: an API call finds out (renewing once, or ending the session).
        if (attempts++ > 0) this.checkSession();
        return `${this.deps.wsUrl}?token=${encodeURIComponent(this.deps.tokens.current())}`;
      },
      onEvent: (e) => {
        if (this.socket === socket) this.deps.onEvent(e);
      },
      onSubscribed: (c) => {
        attempts = 0;
        if (this.replacement === socket) this.takeOver(socket);
        if (this.socket === socket) this.deps.onSubscribed(c);
      },
      onOpened: () => {
        if (this.socket === socket) this.deps.onReady?.();
      },
      onStatus: (status) => {
        if (this.socket !== socket) return;
        this.deps.state.set({ status });
        // The old socket dropped: its own reconnect uses the renewed token; one socket is enough.
        if (status !== "connected" && this.replacement) {
          this.replacement.stop();
          this.replacement = null;
        }
      },
      onError: (code, message) => console.warn("socket error frame", code, message),
    });
    return socket;
  }

  /** The token was renewed: the server stops delivering on a connection once its token expires,
   * so a new socket takes over before then (make before break: no "reconnecting" in between;
   * catch-up after its subscription covers anything sent while they swapped). */
  replaceSocket(): void {
    const old = this.socket;
    if (!old || this.replacement || old.currentStatus !== "connected") return;
    this.replacement = this.connect();
    this.replacement.start();
  }

  private takeOver(next: ChatSocket): void {
    const old = this.socket;
    this.socket = next;
    this.replacement = null;
    old?.stop();
    this.deps.state.set({ status: next.currentStatus });
  }

  private checkSession(): void {
    if (this.checkingSession) return;
    this.checkingSession = true;
    this.deps.api
      .me()
      .catch(() => undefined)
      .finally(() => {
        this.checkingSession = false;
      });
  }
}
