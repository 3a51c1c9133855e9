// The message store: every conversation's messages, deduplicated by message id and by client
// message id, with optimistic sends (pending → sent | failed) and sequence tracking for gap
// detection. Pure logic with a change signal, so React reads it through useSyncExternalStore
// and tests drive it without a DOM.

import type { Attachment, ChatEvent, Changes, Message, MessageEvent } from "../types";

export function isMessageEvent(event: ChatEvent): event is MessageEvent {
  return event.type === "chat:newMessage" || event.type === "chat:messageUpdated" || event.type === "chat:messageDeleted";
}

export type DeliveryState = "pending" | "sent" | "failed";

export interface UiMessage extends Message {
  state: DeliveryState;
  /** When the pending send started (ms): pending for longer than PENDING_TIMEOUT_MS fails. */
  pendingSince?: number;
  error?: string;
  /** Upload ids a pending message will attach (a retry sends them again). */
  uploadIds?: string[];
}

export const PENDING_TIMEOUT_MS = 2 * 60 * 1000;

interface ConversationMessages {
  /** Server messages by id, and pending/failed ones by `pending:{clientMessageId}`. */
  byKey: Map<string, UiMessage>;
  /** The highest seq applied without a gap before it. */
  lastSeq: number;
  /** Cursor for older history; null once the beginning was reached. */
  olderCursor: string | null | undefined;
}

export type ApplyResult = "applied" | "duplicate" | "gap";

const pendingKey = (clientMessageId: string) => `pending:${clientMessageId}`;

export class MessageStore {
  private readonly conversations = new Map<string, ConversationMessages>();
  private readonly listeners = new Set<() => void>();
  private version = 0;
  private readonly snapshots = new Map<string, { version: number; list: UiMessage[] }>();

  constructor(private readonly me: string) {}

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
      c = { byKey: new Map(), lastSeq: 0, olderCursor: undefined };
      this.conversations.set(id, c);
    }
    return c;
  }

  has(conversationId: string): boolean {
    return this.conversations.has(conversationId);
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
    if (message.authorId === this.me) {
      c.byKey.delete(pendingKey(message.clientMessageId));
    }
    c.byKey.set(message.id, { ...message, state: "sent" });
    return true;
  }

  /** The answer to our own POST. */
  confirmSent(message: Message): void {
    const c = this.conv(message.conversationId);
    this.upsert(c, message);
    this.changed();
  }

  addPending(
    conversationId: string,
    clientMessageId: string,
    body: string,
    now: number,
    mentions: string[] = [],
    files: { uploadId: string; attachment: Attachment }[] = [],
  ): void {
    const c = this.conv(conversationId);
    c.byKey.set(pendingKey(clientMessageId), {
      id: pendingKey(clientMessageId),
      conversationId,
      seq: 0,
      updatedSeq: 0,
      authorId: this.me,
      body,
      mentions,
      attachments: files.map((f) => f.attachment),
      clientMessageId,
      createdAt: new Date(now).toISOString(),
      state: "pending",
      pendingSince: now,
      uploadIds: files.map((f) => f.uploadId),
    });
    this.changed();
  }

  markFailed(conversationId: string, clientMessageId: string, error?: string): void {
    const message = this.conversations.get(conversationId)?.byKey.get(pendingKey(clientMessageId));
    if (message && message.state !== "sent") {
      message.state = "failed";
      message.error = error;
      this.changed();
    }
  }

  /** Puts a failed message back to pending and returns what to send again: the SAME client
   * message id, so the server's duplicate guard answers with the first message if it got there. */
  retry(
    conversationId: string,
    clientMessageId: string,
    now: number,
  ): { clientMessageId: string; body: string; mentions: string[]; uploadIds: string[] } | null {
    const message = this.conversations.get(conversationId)?.byKey.get(pendingKey(clientMessageId));
    if (!message || message.state !== "failed") return null;
    message.state = "pending";
    message.pendingSince = now;
    message.error = undefined;
    this.changed();
    return { clientMessageId: message.clientMessageId, body: message.body, mentions: message.mentions, uploadIds: message.uploadIds ?? [] };
  }

  /** Pending for more than two minutes → failed (the user gets a retry button). */
  sweepStale(now: number): number {
    let swept = 0;
    for (const c of this.conversations.values()) {
      for (const message of c.byKey.values()) {
        if (message.state === "pending" && now - (message.pendingSince ?? now) > PENDING_TIMEOUT_MS) {
          message.state = "failed";
          message.error = "not confirmed by the server";
          swept += 1;
        }
      }
    }
    if (swept > 0) this.changed();
    return swept;
  }

  /** A live event. Returns "gap" when its seq shows changes were missed (catch up from
   * `lastSeq`), "duplicate" when it was already applied. */
  applyEvent(event: ChatEvent): ApplyResult {
    if (event.type === "chat:conversationRead") return "applied";
    const c = this.conv(event.conversationId);
    if (event.seq <= c.lastSeq) {
      if (isMessageEvent(event) && this.upsert(c, event.data)) {
        this.changed();
        return "applied";
      }
      return "duplicate";
    }
    const gap = c.lastSeq > 0 && event.seq > c.lastSeq + 1;
    if (isMessageEvent(event)) {
      this.upsert(c, event.data);
    }
    if (!gap) c.lastSeq = event.seq;
    this.changed();
    return gap ? "gap" : "applied";
  }

  /** The answer to `changes?afterSeq=`: seqs may skip, so the server's lastSeq is trusted. */
  applyChanges(conversationId: string, changes: Changes): void {
    const c = this.conv(conversationId);
    for (const event of changes.items) {
      if (isMessageEvent(event)) {
        if ((event.data as Message & { removed?: boolean }).removed) {
          c.byKey.delete(event.data.id);
        } else {
          this.upsert(c, event.data);
        }
      }
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
    this.changed();
  }

  forget(conversationId: string): void {
    if (this.conversations.delete(conversationId)) this.changed();
  }
}
