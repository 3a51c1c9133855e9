// Unread and mention counts between answers of GET /conversations, computed the way the server
// does (shared/src/domain/conversation.rs `unread_after`): other people's messages after my read
// position, deleted ones not counted; my own message moves my read position to it and clears
// mentions before it. Pure, so the rules are unit-tested without a socket.
//
// Each conversation keeps the server's last answer (the base) and the changes seen live (or in
// catch-up) after the base's lastSeq. The counts shown are the base folded with those changes and
// with what I read locally. A change at or below the base's lastSeq is already in the base, and a
// change seen twice is one change: duplicate frames (two sockets during a token renewal, catch-up
// overlapping live frames, frames out of order) never count twice. A new answer replaces the base
// and the changes it covers; the changes after it stay, so a message that arrived while the
// request was out is not lost, and a read made meanwhile is not undone.

import { inMainList } from "./threads";
import { isRemoved, type ChatEvent, type Message } from "./types";

export interface ServerCounts {
  lastSeq: number;
  /** My read position (the seq of the newest message read); absent from older servers. */
  readSeq?: number;
  unreadCount: number;
  mentionCount: number;
}

export interface Counts {
  lastSeq: number;
  readSeq: number;
  unreadCount: number;
  mentionCount: number;
  /** A count may be off (a deletion or edit of a message whose mentions are unknown, or a read
   * the server has not answered for yet): ask the server again. */
  uncertain: boolean;
}

export type CountedChange =
  | { kind: "message"; seq: number; authorId: string; mentionsMe: boolean }
  | { kind: "deleted"; seq: number; messageSeq: number; authorId: string; mentionedMe: boolean | null }
  | { kind: "edited"; seq: number; messageSeq: number; authorId: string; mentionsMe: boolean; mentionedBefore: boolean | null }
  /** A reply in a thread only: not unread in the conversation, but a mention of me counts until
   * its thread is read. */
  | { kind: "reply"; seq: number; authorId: string; mentionsMe: boolean }
  /** `recount`: it may change a count the client cannot tell (a thread reply's mention edited or deleted). */
  | { kind: "other"; seq: number; recount?: boolean };

/** What an event changes about counts. `mentionedBefore`: whether the message mentioned me
 * before this event, when the caller knows (the message store holds it); a delete's tombstone
 * has its mentions emptied, so only the earlier copy can say. */
export function countedChange(event: ChatEvent, me: string, mentionedBefore: boolean | null = null): CountedChange {
  if (
    event.type === "chat:conversationRead" ||
    event.type === "chat:memberAdded" ||
    event.type === "chat:memberRemoved" ||
    event.type === "chat:reactionAdded" ||
    event.type === "chat:reactionRemoved" ||
    event.type === "chat:conversationUpdated" ||
    event.type === "chat:notificationLevel"
  ) {
    // Member changes, reactions (never unread), a read (its seq is a message seq, not a
    // change: applied as a read) and a notification level (its seq is my read position).
    return { kind: "other", seq: event.seq };
  }
  if (isRemoved(event.data)) {
    // Removed by retention: past the retention period, so long read; the next list answer has
    // the server's count if it was not.
    return { kind: "other", seq: event.seq };
  }
  const data: Message = event.data;
  if (!inMainList(data)) {
    // Replies in a thread only (docs/CHAT.md "Threads"): the conversation's counts leave them out.
    const mentionsMe = data.mentions.includes(me);
    if (event.type === "chat:newMessage") return { kind: "reply", seq: event.seq, authorId: data.authorId, mentionsMe };
    return { kind: "other", seq: event.seq, recount: mentionsMe || mentionedBefore !== false };
  }
  switch (event.type) {
    case "chat:newMessage":
      return { kind: "message", seq: event.seq, authorId: data.authorId, mentionsMe: data.mentions.includes(me) };
    case "chat:messageDeleted":
      return { kind: "deleted", seq: event.seq, messageSeq: data.seq, authorId: data.authorId, mentionedMe: mentionedBefore };
    case "chat:messageUpdated":
      return { kind: "edited", seq: event.seq, messageSeq: data.seq, authorId: data.authorId, mentionsMe: data.mentions.includes(me), mentionedBefore };
  }
}

interface Entry {
  base: Required<ServerCounts> | null;
  /** Changes after the base, by their seq. */
  changes: Map<number, CountedChange>;
  /** The furthest I have read here, locally or as the server said. */
  readThrough: number;
}

export class UnreadLedger {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly me: string) {}

  private entry(id: string): Entry {
    let e = this.entries.get(id);
    if (!e) {
      e = { base: null, changes: new Map(), readThrough: 0 };
      this.entries.set(id, e);
    }
    return e;
  }

  /** An answer of GET /conversations (or one summary). An answer older than the base (it left
   * before the base's did) is not applied; the counts to show are returned either way. */
  fromServer(id: string, s: ServerCounts): Counts {
    const e = this.entry(id);
    // Older servers do not send readSeq: nothing unread means read through the end.
    const readSeq = s.readSeq ?? (s.unreadCount === 0 ? s.lastSeq : 0);
    const b = e.base;
    const newer = !b || s.lastSeq > b.lastSeq || (s.lastSeq === b.lastSeq && readSeq >= b.readSeq);
    if (newer) {
      e.base = { lastSeq: s.lastSeq, readSeq, unreadCount: s.unreadCount, mentionCount: s.mentionCount };
      for (const seq of [...e.changes.keys()]) if (seq <= s.lastSeq) e.changes.delete(seq);
    }
    return this.fold(e);
  }

  /** A change seen live or in catch-up: null when it was counted already (a duplicate). */
  apply(id: string, change: CountedChange): Counts | null {
    const e = this.entry(id);
    if ((e.base && change.seq <= e.base.lastSeq) || e.changes.has(change.seq)) return null;
    e.changes.set(change.seq, change);
    return e.base ? this.fold(e) : null;
  }

  /** I read through `seq` (the newest message shown), or the server says I did. */
  read(id: string, seq: number): Counts | null {
    const e = this.entry(id);
    e.readThrough = Math.max(e.readThrough, seq);
    return e.base ? this.fold(e) : null;
  }

  counts(id: string): Counts | null {
    const e = this.entries.get(id);
    return e?.base ? this.fold(e) : null;
  }

  /** Whether a message that arrived after the base mentioned me (null: not seen live). */
  mentioned(id: string, messageSeq: number): boolean | null {
    const c = this.entries.get(id)?.changes.get(messageSeq);
    return c?.kind === "message" ? c.mentionsMe : null;
  }

  forget(id: string): void {
    this.entries.delete(id);
  }

  private fold(e: Entry): Counts {
    const base = e.base;
    if (!base) throw new Error("fold without a base");
    let { unreadCount, mentionCount } = base;
    let readSeq = base.readSeq;
    let uncertain = false;
    const lastSeq = Math.max(base.lastSeq, ...e.changes.keys());
    if (e.readThrough > readSeq) {
      if (e.readThrough >= base.lastSeq) {
        // The base's mentions may include ones in thread replies, which only reading their
        // thread clears: the server says which remain.
        if (mentionCount > 0) uncertain = true;
        unreadCount = 0;
        mentionCount = 0;
      } else if (unreadCount > 0 || mentionCount > 0) {
        // Read part of what the base counts: only the server knows which of them remain. (With
        // nothing counted, changes past the read are ones that do not count: thread replies.)
        uncertain = true;
      }
      readSeq = e.readThrough;
    }
    // Mentions as they stand after each change, for messages after the base.
    const mentionsNow = new Map<number, boolean>();
    for (const c of [...e.changes.values()].sort((a, b) => a.seq - b.seq)) {
      if (c.kind === "other") {
        if (c.recount && mentionCount > 0) uncertain = true;
        continue;
      }
      if (c.kind === "reply") {
        // Reading the conversation does not clear it (reading its thread does: the server's
        // next answer says so).
        if (c.authorId !== this.me && c.mentionsMe) mentionCount += 1;
        continue;
      }
      const messageSeq = c.kind === "message" ? c.seq : c.messageSeq;
      const mine = c.authorId === this.me;
      if (c.kind === "message") {
        mentionsNow.set(c.seq, c.mentionsMe);
        if (mine) {
          readSeq = Math.max(readSeq, c.seq);
          unreadCount = 0;
          mentionCount = 0;
        } else if (c.seq > readSeq) {
          unreadCount += 1;
          if (c.mentionsMe) mentionCount += 1;
        }
        continue;
      }
      // Only a message the counts include can leave them: in the base (at or below its
      // lastSeq), or seen arriving after it.
      const counted = !mine && messageSeq > readSeq && (messageSeq <= base.lastSeq || mentionsNow.has(messageSeq));
      const before = mentionsNow.get(messageSeq) ?? (c.kind === "deleted" ? c.mentionedMe : c.mentionedBefore);
      if (c.kind === "deleted") {
        if (counted) {
          unreadCount = Math.max(0, unreadCount - 1);
          if (before === true) mentionCount = Math.max(0, mentionCount - 1);
          else if (before === null && mentionCount > 0) uncertain = true;
        }
        mentionsNow.set(messageSeq, false);
      } else {
        if (counted && before !== c.mentionsMe) {
          if (before === null) {
            if (c.mentionsMe || mentionCount > 0) uncertain = true;
          } else {
            mentionCount = Math.max(0, mentionCount + (c.mentionsMe ? 1 : -1));
          }
        }
        mentionsNow.set(messageSeq, c.mentionsMe);
      }
    }
    return { lastSeq, readSeq, unreadCount, mentionCount, uncertain };
  }
}
