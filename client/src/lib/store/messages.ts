// The message store: every conversation's messages, deduplicated by message id and by client
// message id, with the outbox's unsent messages shown after them (pending → sent | failed; the
// outbox decides, see lib/outbox.ts) and sequence tracking for gap detection. Pure logic with a change signal, so React reads it through useSyncExternalStore
// and tests drive it without a DOM.

import type { OutboxItem } from "../outbox";
import { applyReaction, isReactionEvent } from "../reactions";
import { inMainList, withSummary } from "../threads";
import { isRemoved, type ChatEvent, type Changes, type Message, type MessageEvent, type ReactionEvent, type ThreadPage } from "../types";

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

/** A thread's replies, kept per conversation beside the main list (the same dedup and unsent
 * rules). Replies arriving before the thread is opened are kept too: the page merges with them. */
interface ThreadMessages {
  /** The root as the thread's page had it (it may be far back, outside the main list's pages). */
  root: UiMessage | null;
  byKey: Map<string, UiMessage>;
  /** The first page came (replies are complete from the start up to the last page). */
  loaded: boolean;
  /** Where the next page starts (`after`); null once the newest reply was reached. */
  afterCursor: string | null;
}

export interface ThreadView {
  root: UiMessage | null;
  replies: UiMessage[];
  loaded: boolean;
  afterCursor: string | null;
}

interface ConversationMessages {
  /** Server messages by id, and pending/failed ones by `pending:{clientMessageId}`. */
  byKey: Map<string, UiMessage>;
  /** Threads by root id. */
  threads: Map<string, ThreadMessages>;
  /** History was loaded (unsent messages alone do not make a conversation loaded). */
  loaded: boolean;
  /** The highest seq applied without a gap before it. */
  lastSeq: number;
  /** Cursor for older history; null once the beginning was reached. */
  olderCursor: string | null | undefined;
}

export type ApplyResult = "applied" | "duplicate" | "gap";

/** `message` with a reaction added or removed (the same object when nothing changed; a deleted
 * message takes none). */
function withReaction(message: UiMessage, event: Pick<ReactionEvent, "type" | "data">): UiMessage {
  if (message.deletedAt) return message;
  const before = message.reactions ?? [];
  const after = applyReaction(before, event);
  if (after === before) return message;
  // Absent when none, as the server sends it.
  const { reactions: _before, ...rest } = message;
  return after.length > 0 ? { ...rest, reactions: [...after] } : rest;
}

/** Applies a reaction to the message in `byKey`, if held there. */
function reactIn(byKey: Map<string, UiMessage>, event: Pick<ReactionEvent, "type" | "data">): boolean {
  const message = byKey.get(event.data.messageId);
  if (!message) return false;
  const after = withReaction(message, event);
  if (after === message) return false;
  byKey.set(message.id, after);
  return true;
}

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
  private readonly threadSnapshots = new Map<string, { version: number; view: ThreadView }>();

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
      c = { byKey: new Map(), threads: new Map(), loaded: false, lastSeq: 0, olderCursor: undefined };
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
    const list = c ? ordered(c.byKey) : [];
    this.snapshots.set(conversationId, { version: this.version, list });
    return list;
  }

  /** A thread: its root (from the main list when held there, the newest summary either way)
   * and its replies in order, unsent ones last. */
  thread(conversationId: string, rootId: string): ThreadView {
    const key = `${conversationId}/${rootId}`;
    const cached = this.threadSnapshots.get(key);
    if (cached && cached.version === this.version) return cached.view;
    const c = this.conversations.get(conversationId);
    const t = c?.threads.get(rootId);
    const inList = c?.byKey.get(rootId);
    const root = inList ? withSummary(inList, t?.root?.thread) : (t?.root ?? null);
    const view: ThreadView = { root, replies: t ? ordered(t.byKey) : [], loaded: t?.loaded ?? false, afterCursor: t?.afterCursor ?? null };
    this.threadSnapshots.set(key, { version: this.version, view });
    return view;
  }

  private threadOf(c: ConversationMessages, rootId: string): ThreadMessages {
    let t = c.threads.get(rootId);
    if (!t) {
      t = { root: null, byKey: new Map(), loaded: false, afterCursor: null };
      c.threads.set(rootId, t);
    }
    return t;
  }

  /** Inserts or refreshes a server message where it belongs (the main list, its thread, or
   * both for a reply also sent to the channel); a reply brings its thread's summary to the root
   * held. Returns whether anything changed. */
  private upsert(c: ConversationMessages, message: Message): boolean {
    let changed = false;
    const rootId = message.threadRootId;
    if (inMainList(message)) changed = this.upsertIn(c.byKey, message) || changed;
    if (rootId) {
      changed = this.upsertIn(this.threadOf(c, rootId).byKey, message) || changed;
      changed = this.mergeSummary(c, rootId, message) || changed;
    } else {
      // A root edited or deleted: the thread's copy follows (its summary kept if newer).
      const t = c.threads.get(message.id);
      if (t?.root && t.root.updatedSeq < message.updatedSeq) {
        const { reactions: _sent, ...rest } = withSummary(message, t.root.thread);
        const reactions = heldReactions(t.root, message);
        t.root = reactions ? { ...rest, reactions, state: "sent" } : { ...rest, state: "sent" };
        changed = true;
      }
    }
    return changed;
  }

  /** The newest change (by updatedSeq) wins, the newest thread summary too, and our own pending
   * copy (same client message id) is replaced, so one message shows once. */
  private upsertIn(byKey: Map<string, UiMessage>, message: Message): boolean {
    const existing = byKey.get(message.id);
    if (existing && existing.state === "sent" && existing.updatedSeq >= message.updatedSeq) {
      // The same version, or an older one, may still carry a newer summary (a root's summary
      // changes without a change of its own).
      const merged = withSummary(existing, message.thread);
      if (merged === existing) return false;
      byKey.set(message.id, merged);
      return true;
    }
    const { reactions: _sent, ...rest } = withSummary(message, existing?.thread);
    const reactions = heldReactions(existing, message);
    byKey.set(message.id, reactions ? { ...rest, reactions, state: "sent" } : { ...rest, state: "sent" });
    if (message.authorId === this.me && byKey.delete(pendingKey(message.clientMessageId))) {
      this.onConfirmed(message.clientMessageId);
    }
    return true;
  }

  /** A reply's summary (as of that reply) on its root, wherever the root is held. */
  private mergeSummary(c: ConversationMessages, rootId: string, reply: Message): boolean {
    if (!reply.thread) return false;
    let changed = false;
    const held = c.byKey.get(rootId);
    if (held) {
      const merged = withSummary(held, reply.thread);
      if (merged !== held) {
        c.byKey.set(rootId, merged);
        changed = true;
      }
    }
    const t = c.threads.get(rootId);
    if (t?.root) {
      const merged = withSummary(t.root, reply.thread);
      if (merged !== t.root) {
        t.root = merged;
        changed = true;
      }
    }
    return changed;
  }

  /** A page of a thread (`after` paging: oldest first, each page after the last). */
  addThreadPage(conversationId: string, page: ThreadPage): void {
    const c = this.conv(conversationId);
    const t = this.threadOf(c, page.root.id);
    t.root = t.root && t.root.updatedSeq > page.root.updatedSeq ? withSummary(t.root, page.root.thread) : { ...withSummary(page.root, t.root?.thread), state: "sent" };
    // The main list's copy learns the page's summary too.
    const held = c.byKey.get(page.root.id);
    if (held) c.byKey.set(page.root.id, withSummary(held, page.root.thread));
    for (const reply of page.items) this.upsert(c, reply);
    t.loaded = true;
    t.afterCursor = page.nextCursor ?? null;
    this.changed();
  }

  /** The answer to our own POST. */
  confirmSent(message: Message): void {
    const c = this.conv(message.conversationId);
    this.upsert(c, message);
    this.changed();
  }

  /** An outbox item, as it now is: shown after the server's messages, in the order written (a
   * reply in its thread only, until the server has it). */
  showUnsent(item: OutboxItem): void {
    const c = this.conv(item.conversationId);
    const byKey = item.threadRootId ? this.threadOf(c, item.threadRootId).byKey : c.byKey;
    const sent = [...byKey.values()].find((m) => m.state === "sent" && m.authorId === this.me && m.clientMessageId === item.clientMessageId);
    if (sent) {
      // Already here (e.g. a history page came first): nothing is unsent.
      this.onConfirmed(item.clientMessageId);
      return;
    }
    byKey.set(pendingKey(item.clientMessageId), {
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
      ...(item.threadRootId ? { threadRootId: item.threadRootId } : {}),
    });
    this.changed();
  }

  /** The outbox let it go without a server message (sign-out). */
  dropUnsent(conversationId: string, clientMessageId: string): void {
    const c = this.conversations.get(conversationId);
    if (!c) return;
    let dropped = c.byKey.delete(pendingKey(clientMessageId));
    for (const t of c.threads.values()) dropped = t.byKey.delete(pendingKey(clientMessageId)) || dropped;
    if (dropped) this.changed();
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
    if (isRemoved(event.data)) {
      const id = event.data.id;
      let removed = c.byKey.delete(id);
      for (const t of c.threads.values()) removed = t.byKey.delete(id) || removed;
      return removed;
    }
    return this.upsert(c, event.data);
  }

  /** A reaction added or removed, live, in catch-up, or mine before the server answers (then
   * again, inverted, if it refuses). Idempotent; a message I do not hold is left alone. */
  private applyReactionTo(c: ConversationMessages, event: Pick<ReactionEvent, "type" | "data">): boolean {
    let changed = reactIn(c.byKey, event);
    for (const t of c.threads.values()) {
      changed = reactIn(t.byKey, event) || changed;
      if (t.root?.id === event.data.messageId) {
        const after = withReaction(t.root, event);
        if (after !== t.root) {
          t.root = after;
          changed = true;
        }
      }
    }
    return changed;
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
    // Threads may have missed replies too: each loads again when opened.
    for (const t of c.threads.values()) {
      for (const key of [...t.byKey.keys()]) if (!key.startsWith(pendingKey(""))) t.byKey.delete(key);
      t.loaded = false;
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
    const threads = new Map<string, ThreadMessages>();
    for (const [rootId, t] of c.threads) {
      const waiting = [...t.byKey].filter(([key]) => key.startsWith(pendingKey("")));
      if (waiting.length > 0) threads.set(rootId, { root: null, byKey: new Map(waiting), loaded: false, afterCursor: null });
    }
    if (unsent.length === 0 && threads.size === 0) this.conversations.delete(conversationId);
    else this.conversations.set(conversationId, { byKey: new Map(unsent), threads, loaded: false, lastSeq: 0, olderCursor: undefined });
    this.changed();
  }

  /** A thread's page must come again (its replies may have been missed). */
  forgetThread(conversationId: string, rootId: string): void {
    const t = this.conversations.get(conversationId)?.threads.get(rootId);
    if (!t) return;
    t.loaded = false;
    this.changed();
  }
}

/** By seq, pending and failed ones last in the order they were written. */
function ordered(byKey: Map<string, UiMessage>): UiMessage[] {
  const list = [...byKey.values()];
  list.sort((a, b) => {
    const aSeq = a.state === "sent" ? a.seq : Number.MAX_SAFE_INTEGER;
    const bSeq = b.state === "sent" ? b.seq : Number.MAX_SAFE_INTEGER;
    if (aSeq !== bSeq) return aSeq - bSeq;
    return (a.pendingSince ?? 0) - (b.pendingSince ?? 0) || a.id.localeCompare(b.id);
  });
  return list;
}
