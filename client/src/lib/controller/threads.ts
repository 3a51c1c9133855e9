// Threads: the open thread panel (its pages, follow state, read mark) and the followed threads
// of the Threads view with their unread replies, kept current by live replies between answers
// of GET /threads. Replies themselves live in the message store (lib/store/messages.ts).

import { ApiError, type Api } from "../api";
import type { MessageStore } from "../store/messages";
import { withSummary } from "../threads";
import type { FollowedThread, Message } from "../types";
import type { ChatState } from "./state";

export type { OpenThread } from "./state";
import type { Toasts } from "./toasts";

/** Pages read when a thread opens (it opens at its newest reply); more load as it scrolls. */
const OPEN_PAGES = 10;
const PAGE = 100;
/** Replies in a burst make one request for the followed list. */
const REFRESH_DELAY_MS = 500;

export interface ThreadsDeps {
  api: Api;
  state: ChatState;
  store: MessageStore;
  toasts: Toasts;
  refreshConversations(): Promise<void>;
  /** The thread's conversation becomes the open one (the panel sits beside it). */
  openConversation(id: string): Promise<void>;
}

/** Unread replies of the followed threads, for the sidebar's Threads badge. */
export function unreadReplies(followed: readonly FollowedThread[]): number {
  return followed.reduce((n, t) => n + t.unreadReplies, 0);
}

/** The followed list after a live reply: the thread's root takes the reply's summary, its last
 * replies the reply, it moves to the top, and one more reply is unread unless it is mine, being
 * read, or counted already (its seq is not after the newest reply the entry knows). Returns null
 * when the thread is not in the list. */
export function followedAfterReply(followed: readonly FollowedThread[], reply: Message, me: string, reading: boolean): FollowedThread[] | null {
  const rootId = reply.threadRootId;
  const at = followed.findIndex((t) => t.conversationId === reply.conversationId && t.root.id === rootId);
  const entry = followed[at];
  if (!entry) return null;
  const known = Math.max(entry.root.thread?.lastReplySeq ?? 0, ...entry.lastReplies.map((r) => r.seq));
  const fresh = reply.seq > known;
  const lastReplies = [...entry.lastReplies.filter((r) => r.id !== reply.id), reply].sort((a, b) => a.seq - b.seq).slice(-2);
  const updated: FollowedThread = {
    ...entry,
    root: withSummary(entry.root, reply.thread),
    lastReplies,
    unreadReplies: reading ? 0 : entry.unreadReplies + (fresh && reply.authorId !== me ? 1 : 0),
  };
  return [updated, ...followed.filter((_, i) => i !== at)];
}

export class Threads {
  private keySeq = 0;
  private refreshing: Promise<void> | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private loadingMore = false;
  private readonly marking = new Set<string>();
  private readonly markAgain = new Set<string>();

  constructor(private readonly deps: ThreadsDeps) {}

  stop(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
  }

  /** Opens a thread beside its conversation (opening that first when another is open). */
  async open(conversationId: string, rootId: string, highlightId: string | null = null): Promise<void> {
    const { state, store } = this.deps;
    if (state.get().activeId !== conversationId || state.get().showThreads) await this.deps.openConversation(conversationId);
    const current = state.get().thread;
    const same = current?.conversationId === conversationId && current.rootId === rootId;
    state.set({ thread: { conversationId, rootId, highlightId, following: same ? current.following : null, key: ++this.keySeq } });
    if (!same || !store.thread(conversationId, rootId).loaded) await this.load(conversationId, rootId);
    if (highlightId) {
      setTimeout(() => {
        const t = state.get().thread;
        if (t?.rootId === rootId && t.highlightId === highlightId) state.set({ thread: { ...t, highlightId: null } });
      }, 4000);
    }
    void this.markRead(conversationId, rootId);
  }

  close(): void {
    this.deps.state.set({ thread: null });
  }

  isOpen(conversationId: string, rootId: string): boolean {
    const t = this.deps.state.get().thread;
    return t?.conversationId === conversationId && t.rootId === rootId;
  }

  /** The thread's replies from the start, page after page up to OPEN_PAGES. */
  private async load(conversationId: string, rootId: string): Promise<void> {
    const { api, state, store, toasts } = this.deps;
    try {
      let after: string | undefined;
      for (let page = 0; page < OPEN_PAGES; page++) {
        const answer = await api.thread(conversationId, rootId, after, PAGE);
        store.addThreadPage(conversationId, answer);
        const t = state.get().thread;
        if (t && t.conversationId === conversationId && t.rootId === rootId) state.set({ thread: { ...t, following: answer.following } });
        after = answer.nextCursor;
        if (!after) break;
      }
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        toasts.toast("This thread is not available.", "error");
        if (this.isOpen(conversationId, rootId)) this.close();
      } else {
        toasts.report(e, "Could not load the thread");
      }
    }
  }

  /** The next page after the newest reply held (a thread longer than what opening read). */
  async loadMore(): Promise<void> {
    const { api, state, store } = this.deps;
    const t = state.get().thread;
    if (!t || this.loadingMore) return;
    const cursor = store.thread(t.conversationId, t.rootId).afterCursor;
    if (!cursor) return;
    this.loadingMore = true;
    try {
      store.addThreadPage(t.conversationId, await api.thread(t.conversationId, t.rootId, cursor, PAGE));
    } catch (e) {
      this.deps.toasts.report(e, "Could not load more replies");
    } finally {
      this.loadingMore = false;
    }
  }

  async setFollowing(following: boolean): Promise<void> {
    const { api, state } = this.deps;
    const t = state.get().thread;
    if (!t) return;
    const before = t.following;
    state.set({ thread: { ...t, following } });
    try {
      await api.follow(t.conversationId, t.rootId, following);
      if (!following) state.set({ followed: state.get().followed.filter((f) => !(f.conversationId === t.conversationId && f.root.id === t.rootId)) });
      else this.scheduleRefresh();
    } catch (e) {
      const now = state.get().thread;
      if (now?.rootId === t.rootId) state.set({ thread: { ...now, following: before } });
      this.deps.toasts.report(e, following ? "Could not follow the thread" : "Could not unfollow the thread");
    }
  }

  /** I have read every reply of the thread so far. */
  async markRead(conversationId: string, rootId: string): Promise<void> {
    const { api, state } = this.deps;
    const entry = state.get().followed.find((f) => f.conversationId === conversationId && f.root.id === rootId);
    if (entry && entry.unreadReplies > 0) {
      state.set({ followed: state.get().followed.map((f) => (f === entry ? { ...f, unreadReplies: 0 } : f)) });
    }
    // One mark on the way per thread; replies read meanwhile make one more after it.
    const key = `${conversationId}/${rootId}`;
    if (this.marking.has(key)) {
      this.markAgain.add(key);
      return;
    }
    this.marking.add(key);
    try {
      await api.markThreadRead(conversationId, rootId);
      // Mentions of me in its replies stopped counting in the conversation's badge.
      if (this.deps.state.get().conversations.find((c) => c.id === conversationId)?.mentionCount) void this.deps.refreshConversations();
    } catch {
      // The next open or reply read marks it again; the Threads list's next answer shows the truth.
    } finally {
      this.marking.delete(key);
      if (this.markAgain.delete(key)) void this.markRead(conversationId, rootId);
    }
  }

  /** The followed threads from the server (one request at a time; asked again meanwhile, the
   * running one's answer serves). */
  refreshFollowed(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const { items, nextCursor } = await this.deps.api.followedThreads();
        const { state } = this.deps;
        // A thread read here meanwhile stays read (the open one is being read).
        const open = state.get().thread;
        state.set({
          followed: items.map((f) => (open && open.conversationId === f.conversationId && open.rootId === f.root.id ? { ...f, unreadReplies: 0 } : f)),
          followedCursor: nextCursor ?? null,
        });
      } catch (e) {
        // A background refresh: the list and badge stay as they were until the next one.
        console.warn("could not load followed threads", e);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** The next page of followed threads (the badge counts the pages loaded: the newest first). */
  async moreFollowed(): Promise<void> {
    const { api, state, toasts } = this.deps;
    const cursor = state.get().followedCursor;
    if (!cursor) return;
    try {
      const { items, nextCursor } = await api.followedThreads(cursor);
      const held = new Set(state.get().followed.map((f) => `${f.conversationId}/${f.root.id}`));
      state.set({ followed: [...state.get().followed, ...items.filter((f) => !held.has(`${f.conversationId}/${f.root.id}`))], followedCursor: nextCursor ?? null });
    } catch (e) {
      toasts.report(e, "Could not load more threads");
    }
  }

  private scheduleRefresh(): void {
    this.refreshTimer ??= setTimeout(() => {
      this.refreshTimer = null;
      void this.refreshFollowed();
    }, REFRESH_DELAY_MS);
  }

  /** After a reconnect's catch-up: the followed list is asked again (replies may have come
   * meanwhile), and the open thread loads again if its replies could not be caught up. */
  async caughtUp(): Promise<void> {
    await this.refreshFollowed();
    const t = this.deps.state.get().thread;
    if (t && !this.deps.store.thread(t.conversationId, t.rootId).loaded) await this.load(t.conversationId, t.rootId);
  }

  /** Whether I follow the thread (for notifications): the open thread's page or the followed
   * list says so, or it is my message's thread (its author follows from the first reply); else
   * the server's thread page says (a thread of a conversation not loaded, not listed yet). */
  async follows(conversationId: string, rootId: string): Promise<boolean> {
    const { api, state, store } = this.deps;
    const open = state.get().thread;
    if (open?.conversationId === conversationId && open.rootId === rootId && open.following !== null) return open.following;
    if (state.get().followed.some((t) => t.conversationId === conversationId && t.root.id === rootId)) return true;
    const root = store.thread(conversationId, rootId).root;
    if (root) return root.authorId === state.me;
    try {
      return (await api.thread(conversationId, rootId, undefined, 1)).following;
    } catch {
      return false;
    }
  }

  /** A reply arrived live. The followed list follows it; a thread I now follow (I wrote the
   * reply or the root, or it mentions me) is asked of the server. The open thread is read as
   * its replies arrive while the page is visible. */
  onReply(reply: Message): void {
    const { state, store } = this.deps;
    const me = state.me;
    const rootId = reply.threadRootId;
    if (!rootId) return;
    const reading = this.isOpen(reply.conversationId, rootId) && document.visibilityState === "visible";
    const followed = followedAfterReply(state.get().followed, reply, me, reading);
    if (followed) state.set({ followed });
    if (reading && reply.authorId !== me) void this.markRead(reply.conversationId, rootId);
    const root = store.thread(reply.conversationId, rootId).root;
    const open = state.get().thread;
    if (reply.authorId === me || reply.mentions.includes(me)) {
      if (open && open.conversationId === reply.conversationId && open.rootId === rootId && !open.following) state.set({ thread: { ...open, following: true } });
    }
    // A thread followed by hand before its first reply is listed from that reply on.
    const followedOpen = open?.conversationId === reply.conversationId && open.rootId === rootId && open.following === true;
    if (!followed && (followedOpen || reply.authorId === me || reply.mentions.includes(me) || root?.authorId === me || (!root && reply.thread?.replyCount === 1))) {
      this.scheduleRefresh();
    }
  }
}
