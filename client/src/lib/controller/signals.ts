// Typing and presence at runtime: the socket frames in and out, the timers, the tab's idleness,
// and a snapshot of its own for React (a typer coming and going redraws the typing line and
// the dots, not the page).

import {
  IDLE_AFTER_MS,
  Typers,
  TypingThrottle,
  Watched,
  type PresenceStatus,
  type SignalFrame,
} from "../signals";

export interface SignalsSnapshot {
  /** Typers per conversation, in the order they started. */
  typing: Record<string, string[]>;
  presence: Record<string, PresenceStatus>;
  /** My status as others see it, and whether I chose away. */
  myStatus: PresenceStatus;
  away: boolean;
}

export interface SignalsDeps {
  me: string;
  send(frame: object): void;
  now?(): number;
}

/** How long changes to the people on screen gather before one presenceSubscribe. */
const WATCH_DEBOUNCE_MS = 250;

export class Signals {
  private readonly typers = new Typers();
  private readonly throttle = new TypingThrottle();
  private readonly watched: Watched;
  private snapshot: SignalsSnapshot = { typing: {}, presence: {}, myStatus: "online", away: false };
  private readonly listeners = new Set<() => void>();
  private expiryTimer: ReturnType<typeof setTimeout> | null = null;
  private watchTimer: ReturnType<typeof setTimeout> | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private idle = false;
  private detachActivity: (() => void) | null = null;

  constructor(private readonly deps: SignalsDeps) {
    this.watched = new Watched(deps.me);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): SignalsSnapshot => this.snapshot;

  private now(): number {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  private set(patch: Partial<SignalsSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const listener of this.listeners) listener();
  }

  /** A signal frame from the socket. */
  onFrame(frame: SignalFrame): void {
    if (frame.type === "chat:typing") {
      if (frame.userId === this.deps.me) return;
      this.typers.typed(frame.conversationId, frame.userId, this.now());
      this.redrawTyping();
      return;
    }
    const presence = { ...this.snapshot.presence };
    for (const u of frame.users) presence[u.userId] = u.status;
    const patch: Partial<SignalsSnapshot> = { presence };
    const mine = frame.users.find((u) => u.userId === this.deps.me);
    if (frame.status && (frame.type === "presence" || mine)) patch.myStatus = frame.status;
    if (frame.away != null) patch.away = frame.away;
    this.set(patch);
  }

  /** A message of `userId` arrived in the conversation: they stopped typing it. */
  messageArrived(conversationId: string, userId: string): void {
    if (this.typers.stopped(conversationId, userId)) this.redrawTyping();
  }

  /** Redraws who is typing everywhere, and again when the next typer expires. */
  private redrawTyping(): void {
    const now = this.now();
    const typing: Record<string, string[]> = {};
    for (const id of this.typers.conversations()) typing[id] = this.typers.typing(id, now);
    this.set({ typing });
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    const next = this.typers.nextExpiry();
    if (next !== null) this.expiryTimer = setTimeout(() => this.redrawTyping(), Math.max(0, next - now) + 20);
  }

  /** The composer of `conversationId` was edited and holds text. */
  composing(conversationId: string): void {
    if (this.throttle.shouldSend(conversationId, this.now())) this.deps.send({ action: "typing", conversationId });
  }

  /** I sent in the conversation: my next keystroke there says so again at once. */
  sent(conversationId: string): void {
    this.throttle.reset(conversationId);
  }

  /** What part of the page `source` shows now (DM list, members panel, autocomplete). */
  show(source: string, userIds: string[]): void {
    if (!this.watched.show(source, userIds)) return;
    if (this.watchTimer) clearTimeout(this.watchTimer);
    this.watchTimer = setTimeout(() => {
      this.watchTimer = null;
      this.deps.send({ action: "presenceSubscribe", userIds: this.watched.ids() });
    }, WATCH_DEBOUNCE_MS);
  }

  /** I choose away, or back. */
  setAway(away: boolean): void {
    this.set({ away, myStatus: away ? "away" : this.idle ? "away" : "online" });
    this.deps.send({ action: "presence", away });
  }

  /** A new socket is subscribed: it watches nothing yet and starts active. */
  ready(): void {
    this.deps.send({ action: "presenceSubscribe", userIds: this.watched.ids() });
    if (this.idle) this.deps.send({ action: "presence", idle: true });
  }

  /** Follows this tab's activity: idle after 10 minutes without input, active at the next. */
  trackActivity(target: EventTarget): void {
    const active = () => {
      if (this.idle) {
        this.idle = false;
        this.deps.send({ action: "presence", idle: false });
      }
      this.armIdle();
    };
    const events = ["keydown", "pointerdown", "pointermove", "wheel", "focus", "touchstart"] as const;
    for (const e of events) target.addEventListener(e, active, { passive: true });
    this.armIdle();
    this.detachActivity = () => {
      for (const e of events) target.removeEventListener(e, active);
    };
  }

  private armIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idle = true;
      this.deps.send({ action: "presence", idle: true });
    }, IDLE_AFTER_MS);
  }

  stop(): void {
    for (const timer of [this.expiryTimer, this.watchTimer, this.idleTimer]) if (timer) clearTimeout(timer);
    this.detachActivity?.();
  }
}
