// Unread counts between the server's answers (lib/unread.ts) and read marks: what the reader
// sees is marked read, at once here and on the server, throttled so a burst makes few marks.

import type { Api } from "../api";
import type { MessageStore, UiMessage } from "../store/messages";
import { isRemoved, type ChatEvent, type ConversationSummary } from "../types";
import { countedChange, UnreadLedger, type Counts } from "../unread";
import type { ChatState } from "./state";

/** A burst of arriving messages read as they come makes one read mark per this interval. */
const MARK_READ_DEBOUNCE_MS = 400;
/** A count the client cannot settle itself asks the server again after this long. */
const RECOUNT_DELAY_MS = 1_500;

/** A summary showing the ledger's counts. */
function withCounts(c: ConversationSummary, counts: Counts): ConversationSummary {
  return { ...c, lastSeq: Math.max(c.lastSeq, counts.lastSeq), unreadCount: counts.unreadCount, mentionCount: counts.mentionCount, readSeq: counts.readSeq };
}

export interface ReadingDeps {
  api: Api;
  state: ChatState;
  store: MessageStore;
  /** The messages the list shows, and whether newer ones exist below them (lib/controller/view.ts). */
  visibleMessages(id: string): UiMessage[];
  hasNewer(id: string): boolean;
  refreshConversations(): Promise<void>;
}

export class Reading {
  /** Unread and mention counts between the server's answers (lib/unread.ts). */
  readonly unread: UnreadLedger;
  /** Per conversation, the newest seq the server has (or has been asked to) as read. */
  private readonly markedSeq = new Map<string, number>();
  private markTimer: ReturnType<typeof setTimeout> | null = null;
  private lastMarkAt = 0;
  /** Whether the page was visible when the waiting mark was scheduled. */
  private seenWhileVisible = false;
  private recountTimer: ReturnType<typeof setTimeout> | null = null;
  /** The open conversation's list shows its newest message (the list reports it). */
  private atBottom = true;

  constructor(private readonly deps: ReadingDeps) {
    this.unread = new UnreadLedger(deps.state.me);
  }

  stop(): void {
    if (this.markTimer) clearTimeout(this.markTimer);
    if (this.recountTimer) clearTimeout(this.recountTimer);
  }

  /** A summary from the server, its counts reconciled with what happened here meanwhile. */
  fromServer(s: ConversationSummary): ConversationSummary {
    if (s.readSeq !== undefined) this.marked(s.id, s.readSeq);
    return withCounts(s, this.unread.fromServer(s.id, s));
  }

  /** The server has `id` as read through `seq` (or further). */
  marked(id: string, seq: number): void {
    this.markedSeq.set(id, Math.max(this.markedSeq.get(id) ?? 0, seq));
  }

  forget(id: string): void {
    this.unread.forget(id);
    this.markedSeq.delete(id);
  }

  /** A conversation opened: its list starts wherever it is placed. */
  opened(): void {
    this.atBottom = true;
  }

  /** Shows counts the ledger computed; one it cannot settle is asked of the server soon. */
  showCounts(id: string, counts: Counts | null): void {
    if (!counts) return;
    this.deps.state.patchConversation(id, (c) => withCounts(c, counts));
    if (counts.uncertain) this.scheduleRecount();
  }

  private scheduleRecount(): void {
    this.recountTimer ??= setTimeout(() => {
      this.recountTimer = null;
      void this.deps.refreshConversations();
    }, RECOUNT_DELAY_MS);
  }

  /** Counts a change (live or caught up): null when counted before (a duplicate) or not yet listed. */
  count(event: ChatEvent): Counts | null {
    const me = this.deps.state.me;
    let before: boolean | null = null;
    if ((event.type === "chat:messageDeleted" || event.type === "chat:messageUpdated") && !isRemoved(event.data)) {
      // The store's copy from before this change says whether it mentioned me.
      const data = event.data;
      const held = this.deps.store.list(event.conversationId).find((m) => m.id === data.id && m.state === "sent");
      before = held && !held.deletedAt ? held.mentions.includes(me) : this.unread.mentioned(event.conversationId, data.seq);
    }
    return this.unread.apply(event.conversationId, countedChange(event, me, before));
  }

  /** Coming back to the page (visible again, or focused) reads what it shows. */
  watch(cleanups: (() => void)[]): void {
    const back = () => {
      if (document.visibilityState === "visible") this.scheduleMarkRead();
    };
    // visibilitychange is fired at the document and bubbles to the window.
    for (const type of ["focus", "visibilitychange"]) {
      window.addEventListener(type, back);
      cleanups.push(() => window.removeEventListener(type, back));
    }
    // Leaving or reloading with a mark still waiting: send it now.
    const leaving = () => {
      if (this.markTimer) this.flushMarkRead();
    };
    window.addEventListener("pagehide", leaving);
    cleanups.push(() => window.removeEventListener("pagehide", leaving));
  }

  /** The list reports whether it shows its newest message; reaching it reads what is there. */
  setAtBottom(id: string, atBottom: boolean): void {
    if (id !== this.deps.state.get().activeId) return;
    this.atBottom = atBottom;
    if (atBottom) this.scheduleMarkRead();
  }

  /** The reader sees the newest messages of `id` as they arrive. Focus is not required (a
   * visible window beside another app is read; headless browsers report no focus). */
  reading(id: string): boolean {
    const s = this.deps.state.get();
    return s.activeId === id && s.shownId === id && document.visibilityState === "visible" && this.atBottom && !this.deps.hasNewer(id);
  }

  /** At once when nothing was marked lately, else once at the end of the interval: a burst
   * of arriving messages makes few marks, a single one is marked before a reload can lose it. */
  scheduleMarkRead(): void {
    if (this.markTimer) return;
    // Seen now: the mark stands even if the page is hidden or left before it goes out (a reload
    // hides the page before `pagehide`, and the read would come back as unread).
    this.seenWhileVisible = document.visibilityState === "visible";
    const wait = Math.max(0, this.lastMarkAt + MARK_READ_DEBOUNCE_MS - Date.now());
    this.markTimer = setTimeout(() => this.flushMarkRead(), wait);
  }

  private flushMarkRead(): void {
    if (this.markTimer) clearTimeout(this.markTimer);
    this.markTimer = null;
    this.lastMarkAt = Date.now();
    void this.markActiveRead(false, this.seenWhileVisible);
  }

  /** Marks the open conversation read through the newest message shown: at once here, and on
   * the server unless it already has that far. Compared with what was marked, not with the
   * badge: a badge at 0 (messages read as they arrived) still needs its server mark, or they
   * come back as unread after a reload. `opened`: the reader just opened it (read wherever the
   * list starts). `seen`: the reader saw it while the page was visible (a mark that waited out
   * the throttle), whatever the page is now. */
  async markActiveRead(opened = false, seen = false): Promise<void> {
    const { activeId: id, shownId } = this.deps.state.get();
    if (!id || shownId !== id || (!seen && document.visibilityState !== "visible")) return;
    if (!opened && !this.atBottom) return;
    const shown = this.deps.visibleMessages(id);
    let last: UiMessage | undefined;
    for (let i = shown.length - 1; i >= 0 && !last; i--) if (shown[i]?.state === "sent") last = shown[i];
    if (!last) return;
    this.showCounts(id, this.unread.read(id, last.seq));
    const marked = this.markedSeq.get(id) ?? 0;
    if (last.seq <= marked) return;
    this.markedSeq.set(id, last.seq);
    try {
      await this.deps.api.markRead(id, last.id);
    } catch {
      // The next read (a message, a return to the page) tries again.
      if (this.markedSeq.get(id) === last.seq) this.markedSeq.set(id, marked);
    }
  }
}
