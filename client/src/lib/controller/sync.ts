// Catching up with the server: the conversation list, and each loaded conversation's changes
// after the seq it holds. After every (re)subscription both run (Mattermost's order).

import { ApiError, type Api } from "../api";
import type { MessageStore } from "../store/messages";
import type { SubscribedConversation } from "../types";
import type { Counts } from "../unread";
import { withChannelState } from "../channel-settings";
import type { Reading } from "./reading";
import type { ChatState } from "./state";
import type { Toasts } from "./toasts";

export interface SyncDeps {
  api: Api;
  state: ChatState;
  store: MessageStore;
  toasts: Toasts;
  reading: Reading;
  /** The server no longer lets me read `id` (lib/controller/membership.ts). */
  forgetConversation(id: string): void;
}

export class Sync {
  private readonly catchingUp = new Map<string, Promise<void>>();
  private refreshing: Promise<void> | null = null;
  private refreshQueued: Promise<void> | null = null;

  constructor(private readonly deps: SyncDeps) {}

  /** The conversation list from the server. One request at a time (answers apply in order);
   * asked again meanwhile, one more follows it, and callers wait for that one. */
  refreshConversations(): Promise<void> {
    if (this.refreshing) {
      this.refreshQueued ??= this.refreshing.then(() => {
        this.refreshQueued = null;
        return this.refreshConversations();
      });
      return this.refreshQueued;
    }
    this.refreshing = this.fetchConversations().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async fetchConversations(): Promise<void> {
    try {
      const { items } = await this.deps.api.conversations();
      // Counts reconcile with what happened here while the request was out (lib/unread.ts).
      const conversations = items.map((s) => this.deps.reading.fromServer(s));
      this.deps.state.set({ conversations });
    } catch (e) {
      if (!(e instanceof ApiError && e.retryable)) this.deps.toasts.report(e, "Could not load conversations");
    }
  }

  /** Every change after the seq held, until the server says there is no more. */
  catchUp(id: string): Promise<void> {
    const running = this.catchingUp.get(id);
    if (running) return running;
    const { api, store, reading } = this.deps;
    const run = (async () => {
      try {
        for (let page = 0; page < 100; page++) {
          const changes = await api.changes(id, store.lastSeq(id));
          if (changes.resync) {
            // Offline for longer than the change log keeps: start again from the newest page,
            // then catch up from the seq read before it.
            const page = await api.history(id);
            store.reload(id, page.items, page.nextCursor, changes.lastSeq);
            continue;
          }
          // Counted before the store applies them: a delete's earlier copy tells its mentions.
          let counts: Counts | null = null;
          for (const item of changes.items) {
            counts = reading.count(item) ?? counts;
            if (item.type === "chat:conversationUpdated") this.deps.state.patchConversation(id, (c) => withChannelState(c, item.data));
          }
          store.applyChanges(id, changes);
          reading.showCounts(id, counts ?? reading.unread.counts(id));
          if (!changes.hasMore) break;
        }
      } catch (e) {
        if (e instanceof ApiError && (e.status === 404 || e.status === 403)) {
          this.deps.forgetConversation(id);
        }
      } finally {
        this.catchingUp.delete(id);
      }
    })();
    this.catchingUp.set(id, run);
    return run;
  }

  async onSubscribed(conversations: SubscribedConversation[]): Promise<void> {
    const { store } = this.deps;
    await this.refreshConversations();
    await Promise.all(
      conversations.filter((c) => store.has(c.conversationId) && c.lastSeq > store.lastSeq(c.conversationId)).map((c) => this.catchUp(c.conversationId)),
    );
    this.deps.reading.scheduleMarkRead();
  }
}
