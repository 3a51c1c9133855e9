// The outbox: every message written and not yet confirmed by the server, kept in localStorage
// (per tenant and user) so it survives a reload or a session that ended, and sent one at a time
// per conversation in the order written, each with its own client message id (the server answers
// a repeat with the message it already has, so nothing shows twice).
//
// What a failure means for the message:
// - no network, or the server down or busy (5xx): it stays pending and goes out by itself when
//   the network is back (`resume()`: the socket subscribed again, or the browser's `online`), or
//   at the next backoff attempt; the ones behind it in its conversation wait.
// - 429: pending with `retryAt` (from Retry-After); the page counts down and it goes out then.
// - the session ended (401): it stays pending here, for after signing in again.
// - anything else (e.g. a staged upload that expired, not a member any more): failed, with Retry;
//   the ones behind it go on.
// Pending for more than two minutes (PENDING_TIMEOUT_MS) it is failed too.

import { ApiError } from "./api";
import type { Attachment, Me, Message } from "./types";

export const PENDING_TIMEOUT_MS = 2 * 60 * 1000;
/** Without a Retry-After on a 429. */
const DEFAULT_RETRY_AFTER_MS = 5_000;
/** Between attempts while the network seems down (doubling from 1 s), when no event says it is back. */
const MAX_BACKOFF_MS = 8_000;

export interface OutboxItem {
  conversationId: string;
  clientMessageId: string;
  body: string;
  mentions: string[];
  /** Shown while unsent; the upload ids below are what the send attaches (already staged). */
  attachments: Attachment[];
  uploadIds: string[];
  /** A reply: the root of its thread, and whether it also goes to the channel. */
  threadRootId?: string;
  alsoInChannel?: boolean;
  /** When it was written or last retried (ms): the two-minute rule counts from here. */
  since: number;
  state: "pending" | "failed";
  error?: string;
  /** Rate limited: it goes out again at this time (ms). */
  retryAt?: number;
}

export type NewItem = Pick<OutboxItem, "conversationId" | "clientMessageId" | "body" | "mentions" | "attachments" | "uploadIds" | "threadRootId" | "alsoInChannel">;

type StorageLike = Pick<Storage, "getItem" | "setItem" | "removeItem">;

export interface OutboxOptions {
  /** localStorage key: see `outboxKey`. */
  key: string;
  /** Null keeps the outbox in memory only (storage blocked). */
  storage: StorageLike | null;
  send(item: OutboxItem): Promise<Message>;
  /** The item's shown state changed (or it was restored from storage). */
  onChange(item: OutboxItem): void;
  /** The server confirmed it: the answer replaces the unsent copy. */
  onSent(message: Message): void;
  now?: () => number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

export function outboxKey(me: Pick<Me, "tenantId" | "userId">): string {
  return `tenant-chat.outbox.v1.${me.tenantId}.${me.userId}`;
}

/** What a failed attempt means for the item (see the file's header). */
function classify(e: unknown): { kind: "network" } | { kind: "limited"; ms: number } | { kind: "session" } | { kind: "refused"; error: string } {
  if (!(e instanceof ApiError)) return { kind: "refused", error: e instanceof Error ? e.message : String(e) };
  if (e.status === 429) return { kind: "limited", ms: e.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS };
  if (e.status === 401) return { kind: "session" };
  if (e.retryable) return { kind: "network" };
  return { kind: "refused", error: e.message };
}

function isItem(v: unknown): v is OutboxItem {
  const o = v as Partial<OutboxItem> | null;
  return (
    typeof o === "object" &&
    o !== null &&
    typeof o.conversationId === "string" &&
    typeof o.clientMessageId === "string" &&
    typeof o.body === "string" &&
    Array.isArray(o.mentions) &&
    Array.isArray(o.attachments) &&
    Array.isArray(o.uploadIds) &&
    typeof o.since === "number" &&
    (o.threadRootId === undefined || typeof o.threadRootId === "string") &&
    (o.alsoInChannel === undefined || typeof o.alsoInChannel === "boolean") &&
    (o.state === "pending" || o.state === "failed")
  );
}

export class Outbox {
  /** In the order written (a retried one goes to the end, as it shows). */
  private items: OutboxItem[] = [];
  /** Confirmed or dropped here: another tab's copy of the stored list must not bring them back. */
  private readonly gone = new Set<string>();
  /** Conversations with a send on the way (one at a time each). */
  private readonly busy = new Set<string>();
  /** The network seemed down at the last attempt: wait for `resume()` or the backoff timer. */
  private waiting = false;
  private failures = 0;
  /** The session ended: nothing more is sent by this outbox (the items stay stored). */
  private halted = false;
  private stopped = false;
  private readonly timers = new Map<string, unknown>();
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly options: OutboxOptions) {
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimeout ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  }

  /** Restores what the last page left unsent (shown again through `onChange`) and sends it. */
  start(): void {
    for (const item of this.load()) {
      if (this.items.some((i) => i.clientMessageId === item.clientMessageId)) continue;
      this.items.push(item);
      this.options.onChange(item);
    }
    this.sweepStale(this.now());
    this.flush();
  }

  list(): readonly OutboxItem[] {
    return this.items;
  }

  add(fresh: NewItem): OutboxItem {
    const item: OutboxItem = { ...fresh, since: this.now(), state: "pending" };
    this.items.push(item);
    this.save();
    this.options.onChange(item);
    this.flush();
    return item;
  }

  /** The Retry button: a failed message is pending again at the end of its queue; a rate-limited
   * one goes now. */
  retry(clientMessageId: string): boolean {
    const item = this.find(clientMessageId);
    if (!item) return false;
    if (item.state === "failed") {
      this.items = [...this.items.filter((i) => i !== item), item];
      item.state = "pending";
      item.since = this.now();
    } else if (item.retryAt === undefined) {
      return false;
    }
    item.error = undefined;
    item.retryAt = undefined;
    this.clearTimerFor(`retry:${item.conversationId}`);
    this.save();
    this.options.onChange(item);
    this.waiting = false;
    this.flush();
    return true;
  }

  /** The server has it (its answer, the socket's echo, or a history page): it leaves the outbox. */
  confirmed(clientMessageId: string): void {
    const item = this.find(clientMessageId);
    if (!item) return;
    this.items = this.items.filter((i) => i !== item);
    this.gone.add(clientMessageId);
    this.save();
    this.flush();
  }

  /** The network is back (socket subscribed, or the browser's `online` event). */
  resume(): void {
    if (this.stopped) return;
    this.waiting = false;
    this.failures = 0;
    this.clearTimerFor("backoff");
    this.flush();
  }

  /** Pending for more than two minutes → failed, with Retry. Returns how many. */
  sweepStale(now: number): number {
    let swept = 0;
    for (const item of this.items) {
      if (item.state === "pending" && now - item.since > PENDING_TIMEOUT_MS) {
        item.state = "failed";
        item.error = "not sent within 2 minutes";
        item.retryAt = undefined;
        swept += 1;
        this.options.onChange(item);
      }
    }
    if (swept > 0) {
      this.save();
      this.flush();
    }
    return swept;
  }

  /** The page is going away: timers stop, the stored items stay. */
  stop(): void {
    this.stopped = true;
    for (const handle of this.timers.values()) this.clearTimer(handle);
    this.timers.clear();
  }

  /** Sign-out: this user's unsent messages are forgotten here and in storage. */
  discard(): void {
    this.stop();
    for (const item of this.items) this.gone.add(item.clientMessageId);
    this.items = [];
    try {
      this.options.storage?.removeItem(this.options.key);
    } catch {
      // Storage blocked: nothing was kept.
    }
  }

  private find(clientMessageId: string): OutboxItem | undefined {
    return this.items.find((i) => i.clientMessageId === clientMessageId);
  }

  private flush(): void {
    if (this.stopped || this.halted) return;
    for (const conversationId of new Set(this.items.map((i) => i.conversationId))) {
      if (!this.busy.has(conversationId)) void this.drain(conversationId);
    }
  }

  /** Sends a conversation's pending messages one by one, in order, until one must wait. */
  private async drain(conversationId: string): Promise<void> {
    this.busy.add(conversationId);
    try {
      while (!this.stopped && !this.halted && !this.waiting) {
        const head = this.items.find((i) => i.conversationId === conversationId && i.state === "pending");
        if (!head) return;
        const wait = (head.retryAt ?? 0) - this.now();
        if (wait > 0) {
          this.timerFor(`retry:${conversationId}`, wait, () => {
            const item = this.find(head.clientMessageId);
            if (item?.retryAt !== undefined) {
              item.retryAt = undefined;
              this.save();
              this.options.onChange(item);
            }
            this.flush();
          });
          return;
        }
        await this.attempt(head);
      }
    } finally {
      this.busy.delete(conversationId);
    }
  }

  private async attempt(item: OutboxItem): Promise<void> {
    try {
      const message = await this.options.send(item);
      this.failures = 0;
      this.options.onSent(message);
      this.confirmed(item.clientMessageId);
    } catch (e) {
      // Confirmed meanwhile (the socket's echo), or given up on by the two-minute rule.
      if (this.find(item.clientMessageId) !== item || item.state !== "pending") return;
      const outcome = classify(e);
      if (outcome.kind === "network") {
        this.waiting = true;
        const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.failures);
        this.failures += 1;
        this.timerFor("backoff", delay, () => this.resumeAfterBackoff());
      } else if (outcome.kind === "limited") {
        item.retryAt = this.now() + outcome.ms;
        this.save();
        this.options.onChange(item);
      } else if (outcome.kind === "session") {
        this.halted = true;
      } else {
        item.state = "failed";
        item.error = outcome.error;
        this.save();
        this.options.onChange(item);
      }
    }
  }

  private resumeAfterBackoff(): void {
    this.waiting = false;
    this.flush();
  }

  private timerFor(name: string, ms: number, fn: () => void): void {
    this.clearTimerFor(name);
    this.timers.set(
      name,
      this.setTimer(() => {
        this.timers.delete(name);
        if (!this.stopped) fn();
      }, ms),
    );
  }

  private clearTimerFor(name: string): void {
    const handle = this.timers.get(name);
    if (handle !== undefined) this.clearTimer(handle);
    this.timers.delete(name);
  }

  private load(): OutboxItem[] {
    try {
      const raw = this.options.storage?.getItem(this.options.key);
      const parsed: unknown = raw ? JSON.parse(raw) : [];
      return Array.isArray(parsed) ? parsed.filter(isItem).filter((i) => !this.gone.has(i.clientMessageId)) : [];
    } catch {
      return [];
    }
  }

  /** Writes this page's items, keeping the ones another tab of the same user stored. */
  private save(): void {
    const storage = this.options.storage;
    if (!storage || this.stopped) return;
    const mine = new Set(this.items.map((i) => i.clientMessageId));
    const others = this.load().filter((i) => !mine.has(i.clientMessageId));
    const all = [...others, ...this.items];
    try {
      if (all.length === 0) storage.removeItem(this.options.key);
      else storage.setItem(this.options.key, JSON.stringify(all));
    } catch {
      // Storage full or blocked: the outbox lives as long as the page.
    }
  }
}
