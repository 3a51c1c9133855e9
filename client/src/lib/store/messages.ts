// The message store: every conversation's messages, deduplicated by message id and by client
// message id, with the outbox's unsent messages shown after them (pending → sent | failed; the
// outbox decides, see lib/outbox.ts) and sequence tracking for gap detection. Pure logic with a change signal, so React reads it through useSyncExternalStore
// and tests drive it without a DOM.

import type { OutboxItem } from "../outbox";
import { applyReaction, isReactionEvent } from "../reactions";
import { isRemoved, type ChatEvent, type Changes, type Message, type MessageEvent, type ReactionEvent } from "../types";

export function isMessageEvent(event: ChatEvent): event is MessageEvent {
  return event.type === "chat:newMessage" || event.type === "chat:messageUpdated" || event.type === "chat:messageDeleted";
}

export type DeliveryState = "pending" | "sent" | "failed";

export interface UiMessage extends Message {
  state: DeliveryState;
  /** When the unsent message was written or last retried (ms): unsent ones show in this order. */
  pendingSince?: number;
  error?: string;
  /** Pending after a 429: sent again at this time (ms); the row counts down to it. */
  retryAt?: number;
}

interface ConversationMessages {
  /** Server messages by id, and pending/failed ones by `pending:{clientMessageId}`. */
  byKey: Map<string, UiMessage>;
  /** History was loaded (unsent messages alone do not make a conversation loaded). */
  loaded: boolean;
  /** The highest seq applied without a gap before it. */
  lastSeq: number;
  /** Cursor for older history; null once the beginning was reached. */
  olderCursor: string | null | undefined;
}

export type ApplyResult = "applied" | "duplicate" | "gap";

/** The reactions a newer version of a held message shows: those held. Reactions change only
 * through their own events (in seq order, gaps caught up); an edit's message, read before a
 * reaction that committed ahead of the edit, could otherwise take that reaction back. A deleted
 * message has none. */
function heldReactions(existing: UiMessage | undefined, message: Message): Message["reactions"] {
  if (!existing || existing.state !== "sent" || message.deletedAt) return message.reactions;
  return existing.reactions;
}

const pendingKey = (clientMessageId: string) => `pending:${clientMessageId}`;

export class MessageStore {
  private readonly conversations = new Map<string, ConversationMessages>();
  private readonly listeners = new Set<() => void>();
  private version = 0;
  private readonly snapshots = new Map<string, { version: number; list: UiMessage[] }>();

  /** `onConfirmed`: a server message replaced our unsent copy (the outbox lets it go). */
  constructor(
    private readonly me: string,
    private readonly onConfirmed: (clientMessageId: string) => void = () => {},
  ) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = (): number => this.version;

  private changed(): void {
    this.version += 1;
    for (const listener of this.listeners) listener();
  }

  private conv(id: string): ConversationMessages {
    let c = this.conversations.get(id);
    if (!c) {
      c = { byKey: new Map(), loaded: false, lastSeq: 0, olderCursor: undefined };
      this.conversations.set(id, c);
    }
    return c;
  }

  /** Its history is loaded (events and catch-up apply to it). */
  has(conversationId: string): boolean {
    return this.conversations.get(conversationId)?.loaded ?? false;
  }

  lastSeq(conversationId: string): number {
    return this.conversations.get(conversationId)?.lastSeq ?? 0;
  }

  olderCursor(conversationId: string): string | null | undefined {
    return this.conversations.get(conversationId)?.olderCursor;
  }

  /** Messages in display order: by seq, pending and failed ones last in the order they were written. */
  list(conversationId: string): UiMessage[] {
    const cached = this.snapshots.get(conversationId);
    if (cached && cached.version === this.version) return cached.list;
    const c = this.conversations.get(conversationId);
    const list = c ? [...c.byKey.values()] : [];
    list.sort((a, b) => {
      const aSeq = a.state === "sent" ? a.seq : Number.MAX_SAFE_INTEGER;
      const bSeq = b.state === "sent" ? b.seq : Number.MAX_SAFE_INTEGER;
      if (aSeq !== bSeq) return aSeq - bSeq;
      return (a.pendingSince ?? 0) - (b.pendingSince ?? 0) || a.id.localeCompare(b.id);
    });
    this.snapshots.set(conversationId, { version: this.version, list });
    return list;
  }

  /** Inserts or refreshes a server message; the newest change (by updatedSeq) wins, and our own
   * pending copy (same client message id) is replaced, so one message shows once. */
  private upsert(c: ConversationMessages, message: Message): boolean {
    const existing = c.byKey.get(message.id);
    if (existing && existing.state === "sent" && existing.updatedSeq >= message.updatedSeq) {
      return false;
    }
    const { reactions: _sent, ...rest } = message;
    const reactions = heldReactions(existing, message);
    c.byKey.set(message.id, reactions ? { ...rest, reactions, state: "sent" } : { ...rest, state: "sent" });
    if (message.authorId === this.me && c.byKey.delete(pendingKey(message.clientMessageId))) {
      this.onConfirmed(message.clientMessageId);
    }
    return true;
  }

  /** The answer to our own POST. */
  confirmSent(message: Message): void {
    const c = this.conv(message.conversationId);
    this.upsert(c, message);
    this.changed();
  }

  /** An outbox item, as it now is: shown after the server's messages, in the order written. */
  showUnsent(item: OutboxItem): void {
    const c = this.conv(item.conversationId);
    const sent = [...c.byKey.values()].find((m) => m.state === "sent" && m.authorId === this.me && m.clientMessageId === item.clientMessageId);
    if (sent) {
      // Already here (e.g. a history page came first): nothing is unsent.
      this.onConfirmed(item.clientMessageId);
      return;
    }
    c.byKey.set(pendingKey(item.clientMessageId), {
      id: pendingKey(item.clientMessageId),
      conversationId: item.conversationId,
      seq: 0,
      updatedSeq: 0,
      authorId: this.me,
      body: item.body,
      mentions: item.mentions,
      attachments: item.attachments,
      clientMessageId: item.clientMessageId,
      createdAt: new Date(item.since).toISOString(),
      state: item.state,
      pendingSince: item.since,
      error: item.error,
      retryAt: item.retryAt,
    });
    this.changed();
  }

  /** The outbox let it go without a server message (sign-out). */
  dropUnsent(conversationId: string, clientMessageId: string): void {
    if (this.conversations.get(conversationId)?.byKey.delete(pendingKey(clientMessageId))) this.changed();
  }

  /** A live event. Returns "gap" when its seq shows changes were missed (catch up from
   * `lastSeq`), "duplicate" when it was already applied. */
  applyEvent(event: ChatEvent): ApplyResult {
    if (event.type === "chat:conversationRead") return "applied";
    const c = this.conv(event.conversationId);
    if (event.seq <= c.lastSeq) {
      if (isMessageEvent(event) && this.applyMessage(c, event)) {
        this.changed();
        return "applied";
      }
      return "duplicate";
    }
    const gap = c.lastSeq > 0 && event.seq > c.lastSeq + 1;
    if (isMessageEvent(event)) {
      this.applyMessage(c, event);
    } else if (isReactionEvent(event)) {
      this.applyReactionTo(c, event);
    }
    if (!gap) c.lastSeq = event.seq;
    this.changed();
    return gap ? "gap" : "applied";
  }

  /** A message as it is now, or gone: retention removed it (live, or found so in catch-up).
   * Returns whether anything changed. */
  private applyMessage(c: ConversationMessages, event: MessageEvent): boolean {
    if (isRemoved(event.data)) return c.byKey.delete(event.data.id);
    return this.upsert(c, event.data);
  }

  /** A reaction added or removed, live, in catch-up, or mine before the server answers (then
   * again, inverted, if it refuses). Idempotent; a message I do not hold is left alone. */
  private applyReactionTo(c: ConversationMessages, event: Pick<ReactionEvent, "type" | "data">): boolean {
    const message = c.byKey.get(event.data.messageId);
    if (!message || message.deletedAt) return false;
    const before = message.reactions ?? [];
    const after = applyReaction(before, event);
    if (after === before) return false;
    // Absent when none, as the server sends it.
    const { reactions: _before, ...rest } = message;
    c.byKey.set(message.id, after.length > 0 ? { ...rest, reactions: [...after] } : rest);
    return true;
  }

  /** My own reaction change, shown at once (`react` answers whether it changed anything). */
  react(conversationId: string, messageId: string, emoji: string, userId: string, add: boolean): boolean {
    const c = this.conversations.get(conversationId);
    if (!c) return false;
    const changed = this.applyReactionTo(c, { type: add ? "chat:reactionAdded" : "chat:reactionRemoved", data: { messageId, emoji, userId } });
    if (changed) this.changed();
    return changed;
  }

  /** The answer to `changes?afterSeq=`: seqs may skip, so the server's lastSeq is trusted. */
  applyChanges(conversationId: string, changes: Changes): void {
    const c = this.conv(conversationId);
    for (const event of changes.items) {
      if (isMessageEvent(event)) this.applyMessage(c, event);
      else if (isReactionEvent(event)) this.applyReactionTo(c, event);
    }
    c.lastSeq = Math.max(c.lastSeq, changes.lastSeq);
    this.changed();
  }

  /** A page of history (older messages, or the first page). `seqAtLoad` is the conversation's
   * lastSeq when the page was asked for: the first load starts the gap tracking there. */
  addHistory(conversationId: string, messages: Message[], nextCursor: string | undefined, seqAtLoad?: number): void {
    const c = this.conv(conversationId);
    for (const message of messages) this.upsert(c, message);
    c.olderCursor = nextCursor ?? null;
    if (seqAtLoad !== undefined && c.lastSeq === 0) c.lastSeq = seqAtLoad;
    c.loaded = true;
    this.changed();
  }

  /** The conversation loaded again from its newest page (the change log no longer reaches back
   * to what was held): server messages are replaced, sends still pending or failed stay. */
  reload(conversationId: string, messages: Message[], nextCursor: string | undefined, seqAtLoad: number): void {
    const c = this.conv(conversationId);
    for (const key of [...c.byKey.keys()]) {
      if (!key.startsWith(pendingKey(""))) c.byKey.delete(key);
    }
    for (const message of messages) this.upsert(c, message);
    c.olderCursor = nextCursor ?? null;
    c.lastSeq = seqAtLoad;
    c.loaded = true;
    this.changed();
  }

  /** Drops what was loaded; unsent messages stay (the outbox still holds them). */
  forget(conversationId: string): void {
    const c = this.conversations.get(conversationId);
    if (!c) return;
    const unsent = [...c.byKey].filter(([key]) => key.startsWith(pendingKey("")));
    if (unsent.length === 0) this.conversations.delete(conversationId);
    else this.conversations.set(conversationId, { byKey: new Map(unsent), loaded: false, lastSeq: 0, olderCursor: undefined });
    this.changed();
  }
}
