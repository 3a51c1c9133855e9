// The open conversation's view: opening it (at its first unread, or at a search hit), the pages
// loaded as the reader scrolls, and the run of messages shown around a hit far back.

import type { Api } from "../api";
import { firstUnreadId } from "../conversation-view";
import type { MessageStore, UiMessage } from "../store/messages";
import type { Message } from "../types";
import type { ChatState, OpenThread } from "./state";
import type { Toasts } from "./toasts";

/** How far back the divider search pages before giving up (50 messages a page). */
const MAX_UNREAD_PAGES = 20;
const AROUND = 25;

/** The open thread stays open while its conversation is (another conversation closes it). */
function threadOf(state: ChatState, id: string): OpenThread | null {
  const t = state.get().thread;
  return t?.conversationId === id ? t : null;
}

export interface ViewDeps {
  api: Api;
  state: ChatState;
  store: MessageStore;
  toasts: Toasts;
  catchUp(id: string): Promise<void>;
  /** A conversation opened: the read marks start over at its bottom (lib/controller/reading.ts). */
  opened(): void;
  markActiveRead(opened: boolean): Promise<void>;
}

export class ConversationView {
  /** Opened at a search hit far back: only messages up to `untilSeq` are shown (a contiguous
   * run); newer pages load as the reader scrolls down, until they meet the newest ones held. */
  private window: { conversationId: string; untilSeq: number; lastId: string } | null = null;
  private visibleCache: { source: UiMessage[]; untilSeq: number; list: UiMessage[] } | null = null;

  constructor(private readonly deps: ViewDeps) {}

  async open(id: string): Promise<void> {
    const { state } = this.deps;
    await this.dropWindow();
    const unread = state.get().conversations.find((c) => c.id === id)?.unreadCount ?? 0;
    state.set({ activeId: id, shownId: null, highlightId: null, anchorId: null, unreadFrom: null, showThreads: false, thread: threadOf(state, id) });
    this.deps.opened();
    await this.load(id);
    if (state.get().activeId !== id) return;
    const messageId = await this.findFirstUnread(id, unread);
    if (state.get().activeId !== id) return;
    state.set({ shownId: id, viewKey: state.get().viewKey + 1, unreadFrom: messageId ? { conversationId: id, messageId } : null });
    // Opening it is reading it (the divider keeps the place of what was new).
    await this.deps.markActiveRead(true);
  }

  private async load(id: string): Promise<void> {
    const { api, store } = this.deps;
    if (store.has(id)) return;
    const seqAtLoad = this.deps.state.get().conversations.find((c) => c.id === id)?.lastSeq ?? 0;
    try {
      const page = await api.history(id);
      store.addHistory(id, page.items, page.nextCursor, seqAtLoad);
      // Anything that happened between the list and the page: catch up now.
      await this.deps.catchUp(id);
    } catch (e) {
      this.deps.toasts.report(e, "Could not load messages");
    }
  }

  /** The divider's message: older pages load until the unread count is covered. */
  private async findFirstUnread(id: string, unread: number): Promise<string | null> {
    const { api, store } = this.deps;
    if (unread <= 0) return null;
    for (let page = 0; page <= MAX_UNREAD_PAGES; page++) {
      const found = firstUnreadId(store.list(id), this.deps.state.me, unread);
      const cursor = store.olderCursor(id);
      if (found || !cursor) return found;
      try {
        const older = await api.history(id, cursor);
        store.addHistory(id, older.items, older.nextCursor);
      } catch {
        return null;
      }
    }
    return null;
  }

  /** The messages the list shows: all of them, or the run around a search hit. */
  visibleMessages(id: string): UiMessage[] {
    const all = this.deps.store.list(id);
    const w = this.window;
    if (!w || w.conversationId !== id) return all;
    if (this.visibleCache?.source === all && this.visibleCache.untilSeq === w.untilSeq) return this.visibleCache.list;
    const list = all.filter((m) => m.state === "sent" && m.seq <= w.untilSeq);
    this.visibleCache = { source: all, untilSeq: w.untilSeq, list };
    return list;
  }

  /** Back to the newest page: the run around a search hit leaves a hole before the newest
   * messages, so it is replaced (pending sends stay). */
  async dropWindow(): Promise<void> {
    const { api, store } = this.deps;
    const w = this.window;
    if (!w) return;
    this.window = null;
    try {
      const page = await api.history(w.conversationId);
      store.reload(w.conversationId, page.items, page.nextCursor, store.lastSeq(w.conversationId));
    } catch {
      store.forget(w.conversationId);
    }
  }

  /** Newer messages exist below the shown run (opened at a search hit). */
  hasNewer(id: string): boolean {
    return this.window?.conversationId === id;
  }

  /** A top-level message of the conversation by id (a link's): held already, or asked of the
   * server (its thread's first page is one reply long: the root comes with it). Null when it is
   * not there (a wrong id, a reply, purged by retention). */
  async findMessage(conversationId: string, messageId: string): Promise<Message | null> {
    const held = this.deps.store.list(conversationId).find((m) => m.id === messageId && m.state === "sent");
    if (held) return held;
    try {
      return (await this.deps.api.thread(conversationId, messageId, undefined, 1)).root;
    } catch {
      return null;
    }
  }

  /** Opens a conversation at a message: the pages just before and after it load (not every
   * page back from the newest), the list centres and flashes it, and scrolls on both ways. */
  async openAt(conversationId: string, message: Message, flash = true): Promise<void> {
    const { api, state, store } = this.deps;
    await this.dropWindow();
    state.set({ activeId: conversationId, shownId: null, highlightId: null, anchorId: null, unreadFrom: null, showThreads: false, thread: threadOf(state, conversationId) });
    this.deps.opened();
    await this.load(conversationId);
    if (!store.list(conversationId).some((m) => m.id === message.id)) {
      try {
        const held = new Set(store.list(conversationId).map((m) => m.id));
        const [older, newer] = await Promise.all([api.history(conversationId, message.id, AROUND), api.historyAfter(conversationId, message.id, AROUND)]);
        store.addHistory(conversationId, [...older.items, message, ...newer.items], older.nextCursor);
        this.windowAfter(conversationId, [message, ...newer.items], newer.nextCursor, held);
      } catch (e) {
        this.deps.toasts.report(e, "Could not load messages");
      }
    }
    if (state.get().activeId !== conversationId) return;
    if (!flash) {
      // Back where I was: the list opens with this message at its top.
      state.set({ shownId: conversationId, viewKey: state.get().viewKey + 1, anchorId: message.id });
      return this.deps.markActiveRead(true);
    }
    state.set({ shownId: conversationId, viewKey: state.get().viewKey + 1, highlightId: message.id });
    setTimeout(() => {
      if (state.get().highlightId === message.id) state.set({ highlightId: null });
    }, 4000);
    await this.deps.markActiveRead(true);
  }

  /** After a newer page: the shown run ends at its last message, unless it reached the end or
   * met messages already held (the run joins the newest ones). */
  private windowAfter(id: string, run: Message[], nextCursor: string | undefined, held: Set<string>): void {
    const last = run[run.length - 1];
    if (!nextCursor || !last || run.some((m) => held.has(m.id))) {
      this.window = null;
    } else {
      this.window = { conversationId: id, untilSeq: last.seq, lastId: last.id };
    }
  }

  async loadNewer(): Promise<void> {
    const { api, state, store } = this.deps;
    const w = this.window;
    if (!w || w.conversationId !== state.get().activeId || state.get().loadingNewer) return;
    state.set({ loadingNewer: true });
    try {
      const held = new Set(store.list(w.conversationId).map((m) => m.id));
      const page = await api.historyAfter(w.conversationId, w.lastId);
      const cursor = store.olderCursor(w.conversationId) ?? undefined;
      store.addHistory(w.conversationId, page.items, cursor);
      this.windowAfter(w.conversationId, page.items, page.nextCursor, held);
    } catch (e) {
      this.deps.toasts.report(e, "Could not load newer messages");
    } finally {
      state.set({ loadingNewer: false });
    }
  }

  async loadOlder(): Promise<void> {
    const { api, state, store } = this.deps;
    const id = state.get().activeId;
    if (!id || state.get().loadingOlder) return;
    const cursor = store.olderCursor(id);
    if (!cursor) return;
    state.set({ loadingOlder: true });
    try {
      const page = await api.history(id, cursor);
      store.addHistory(id, page.items, page.nextCursor);
    } catch (e) {
      this.deps.toasts.report(e, "Could not load older messages");
    } finally {
      state.set({ loadingOlder: false });
    }
  }
}
