// The chat page's brain, outside React: the facade the page uses over conversations, the socket,
// the message store and toasts. Its parts live in lib/controller/: state (the snapshot), connection
// (the socket), sync (list and catch-up), membership (live events, join/leave), reading (unread
// counts, read marks), view (the open conversation), users (profiles), toasts.

import type { Api } from "./api";
import type { TokenSource } from "./auth-token";
import { MessageStore, type UiMessage } from "./store/messages";
import { Outbox, outboxKey, type OutboxItem } from "./outbox";
import { isRemoved, type Attachment, type Me, type Message, type NotificationLevel, type SearchResult, type UserProfile } from "./types";
import type { ThreadView } from "./store/messages";
import { Connection } from "./controller/connection";
import { Membership } from "./controller/membership";
import { browserNotifyEnv, Notifier, type NotifyEnv } from "./controller/notifier";
import { Reading } from "./controller/reading";
import { ChatState, type ChatSnapshot, type Toast } from "./controller/state";
import { Sync } from "./controller/sync";
import { Threads } from "./controller/threads";
import { Toasts } from "./controller/toasts";
import { Users } from "./controller/users";
import { ConversationView } from "./controller/view";
import { Signals } from "./controller/signals";
import { isSignalFrame } from "./signals";

export { conversationTitle, type ChatSnapshot, type Toast } from "./controller/state";

const SWEEP_INTERVAL_MS = 10_000;

function browserStorage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    // Blocked (e.g. a privacy setting): the outbox lives as long as the page.
    return null;
  }
}

export class ChatController {
  readonly store: MessageStore;
  /** Unsent messages: persisted, sent in order per conversation (lib/outbox.ts). */
  private readonly outbox: Outbox;
  private readonly state: ChatState;
  private readonly toasts: Toasts;
  private readonly users: Users;
  private readonly connection: Connection;
  private readonly sync: Sync;
  private readonly reading: Reading;
  private readonly view: ConversationView;
  private readonly membership: Membership;
  private readonly threads: Threads;
  /** Typing and presence (ephemeral socket signals), with a snapshot of their own. */
  readonly signals: Signals;
  private readonly notifier: Notifier;
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    readonly api: Api,
    wsUrl: string,
    private readonly tokens: TokenSource,
    me: Me,
    /** The conversation to open first (the page's URL names it), when the user is in it. */
    private readonly initialId: string | null = null,
    /** The thread of that conversation the URL names, to open beside it. */
    private readonly initialThreadId: string | null = null,
    /** The message the URL links to (in that conversation, or that thread), shown and flashed. */
    private readonly initialMessageId: string | null = null,
    notifyEnv: NotifyEnv = browserNotifyEnv(),
  ) {
    this.store = new MessageStore(me.userId, (clientMessageId) => this.outbox.confirmed(clientMessageId));
    this.outbox = new Outbox({
      key: outboxKey(me),
      storage: browserStorage(),
      send: (item) => this.deliver(item),
      onChange: (item) => this.store.showUnsent(item),
      onSent: (message) => this.store.confirmSent(message),
    });
    const state = (this.state = new ChatState(me));
    const store = this.store;
    const toasts = (this.toasts = new Toasts(state));
    this.users = new Users(api, state, me);
    // The parts call each other through these arrows (wired here, so no module imports another's instance).
    this.reading = new Reading({
      api,
      state,
      store,
      visibleMessages: (id) => this.view.visibleMessages(id),
      hasNewer: (id) => this.view.hasNewer(id),
      refreshConversations: () => this.sync.refreshConversations(),
    });
    this.sync = new Sync({ api, state, store, toasts, reading: this.reading, forgetConversation: (id) => this.membership.forgetConversation(id) });
    this.threads = new Threads({ api, state, store, toasts, openConversation: (id) => this.view.open(id), refreshConversations: () => this.sync.refreshConversations() });
    this.view = new ConversationView({
      api,
      state,
      store,
      toasts,
      catchUp: (id) => this.sync.catchUp(id),
      opened: () => this.reading.opened(),
      markActiveRead: (opened) => this.reading.markActiveRead(opened),
    });
    this.connection = new Connection({
      api,
      wsUrl,
      tokens,
      state,
      onEvent: (e) => {
        if (isSignalFrame(e)) return this.signals.onFrame(e);
        if (e.type === "chat:newMessage" && !isRemoved(e.data)) this.signals.messageArrived(e.conversationId, e.data.authorId);
        void this.membership.onEvent(e);
      },
      onReady: () => this.signals.ready(),
      onSubscribed: (c) => void this.sync.onSubscribed(c).then(() => this.threads.caughtUp()),
    });
    this.signals = new Signals({ me: me.userId, send: (frame) => this.connection.send(frame) });
    this.membership = new Membership({
      api,
      state,
      store,
      toasts,
      reading: this.reading,
      sync: this.sync,
      connection: this.connection,
      open: (id) => this.view.open(id),
      onReply: (reply) => this.threads.onReply(reply),
      onLiveMessage: (message) => void this.notifier.onMessage(message),
      onJoined: (id, seq) => void this.notifier.onJoined(id, seq),
    });
    this.notifier = new Notifier(
      {
        state,
        follows: (c, root) => this.threads.follows(c, root),
        userName: (id) => this.userName(id),
        openMessage: (message) => void this.openMessage(message),
        refreshConversations: () => this.sync.refreshConversations(),
        messagesAfter: async (id, seq) => {
          const { items } = await api.changes(id, seq);
          return items.flatMap((e) => (e.type === "chat:newMessage" && !isRemoved(e.data) ? [e.data] : []));
        },
      },
      notifyEnv,
    );
  }

  /** A display name, asked of the server when no message shown has brought it yet. */
  private async userName(id: string): Promise<string> {
    const known = this.users.user(id);
    if (known) return known.displayName;
    try {
      const { items } = await this.api.usersById([id]);
      this.users.remember(items);
      return items[0]?.displayName ?? "Someone";
    } catch {
      return "Someone";
    }
  }

  subscribe = (listener: () => void): (() => void) => this.state.subscribe(listener);

  getSnapshot = (): ChatSnapshot => this.state.get();

  user(id: string): UserProfile | undefined {
    return this.users.user(id);
  }

  rememberUsers(users: UserProfile[]): void {
    this.users.remember(users);
  }

  async start(): Promise<void> {
    // What the last page left unsent shows again at once, and goes out when it can.
    this.outbox.start();
    await this.refreshConversations();
    void this.threads.refreshFollowed();
    const { conversations } = this.getSnapshot();
    const linked = conversations.find((c) => c.id === this.initialId);
    if (this.initialId && !linked && conversations.length > 0) {
      // A link to a conversation I am not in (or that is gone): said so, nothing else opened.
      this.state.set({ missingId: this.initialId });
    } else if (linked && !this.getSnapshot().activeId) {
      // The address names a thread or a message of it: they open again (a reload keeps them).
      await this.openLink(linked.id, this.initialThreadId, this.initialMessageId);
    } else if (conversations[0] && !this.getSnapshot().activeId) {
      await this.open(conversations[0].id);
    }
    this.connection.start();
    if (typeof window !== "undefined") this.signals.trackActivity(window);
    this.cleanups.push(this.tokens.onRenewed(() => this.connection.replaceSocket()));
    this.sweepTimer = setInterval(() => this.outbox.sweepStale(Date.now()), SWEEP_INTERVAL_MS);
    // The network is back when the socket is subscribed again (its truth), or the browser says so.
    let status = this.getSnapshot().status;
    this.cleanups.push(
      this.subscribe(() => {
        if (this.getSnapshot().status === "connected" && status !== "connected") this.outbox.resume();
        status = this.getSnapshot().status;
      }),
    );
    const online = () => {
      this.connection.reconnectNow();
      this.outbox.resume();
    };
    const offline = () => this.connection.markOffline();
    window.addEventListener("online", online);
    window.addEventListener("offline", offline);
    this.cleanups.push(
      () => window.removeEventListener("online", online),
      () => window.removeEventListener("offline", offline),
    );
    this.reading.watch(this.cleanups);
    this.notifier.start();
  }

  stop(): void {
    this.notifier.stop();
    this.connection.stop();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.outbox.stop();
    this.reading.stop();
    this.threads.stop();
    this.signals.stop();
    for (const c of this.cleanups.splice(0)) c();
  }

  toast(text: string, kind: Toast["kind"] = "info"): void {
    this.toasts.toast(text, kind);
  }

  refreshConversations(): Promise<void> {
    return this.sync.refreshConversations();
  }

  catchUp(id: string): Promise<void> {
    return this.sync.catchUp(id);
  }

  open(id: string): Promise<void> {
    if (this.getSnapshot().missingId) this.state.set({ missingId: null });
    return this.view.open(id);
  }

  /** Back to a conversation I left scrolled up: at the message that was at the top of the
   * view (no flash); at its usual place when that message is gone. */
  async returnTo(conversationId: string, messageId: string): Promise<void> {
    if (this.getSnapshot().missingId) this.state.set({ missingId: null });
    const message = await this.view.findMessage(conversationId, messageId);
    return message ? this.view.openAt(conversationId, message, false) : this.view.open(conversationId);
  }

  /** Where a link (the page's address) points: a conversation I am in, its thread, a message
   * of either (brought into view and flashed); or, not one of mine, the "you can't see this"
   * state. */
  async openLink(conversationId: string, threadRootId: string | null, messageId: string | null): Promise<void> {
    if (!this.getSnapshot().conversations.some((c) => c.id === conversationId)) {
      this.state.set({ missingId: conversationId, activeId: null, shownId: null, thread: null, showThreads: false });
      return;
    }
    if (this.getSnapshot().missingId) this.state.set({ missingId: null });
    if (threadRootId) {
      if (this.getSnapshot().activeId !== conversationId || this.getSnapshot().showThreads) await this.view.open(conversationId);
      return this.threads.open(conversationId, threadRootId, messageId);
    }
    if (!messageId) return this.view.open(conversationId);
    const message = await this.view.findMessage(conversationId, messageId);
    if (message) return this.view.openAt(conversationId, message);
    this.toasts.toast("That message is not available: it may have been deleted.", "error");
    return this.view.open(conversationId);
  }

  openAt(conversationId: string, message: Message): Promise<void> {
    return this.view.openAt(conversationId, message);
  }

  visibleMessages(id: string): UiMessage[] {
    return this.view.visibleMessages(id);
  }

  hasNewer(id: string): boolean {
    return this.view.hasNewer(id);
  }

  loadNewer(): Promise<void> {
    return this.view.loadNewer();
  }

  loadOlder(): Promise<void> {
    return this.view.loadOlder();
  }

  setAtBottom(id: string, atBottom: boolean): void {
    this.reading.setAtBottom(id, atBottom);
  }

  markActiveRead(opened = false): Promise<void> {
    return this.reading.markActiveRead(opened);
  }

  /** "Mark as read" on the jump bar: the divider goes, and everything shown is read (as if
   * just opened: wherever the list is scrolled). */
  dismissUnread(): Promise<void> {
    this.state.set({ unreadFrom: null });
    return this.reading.markActiveRead(true);
  }

  async send(body: string, mentions: string[] = [], files: { uploadId: string; attachment: Attachment }[] = []): Promise<void> {
    const id = this.getSnapshot().activeId;
    if (!id || (!body.trim() && files.length === 0)) return;
    this.signals.sent(id);
    if (this.view.hasNewer(id)) {
      // Writing while reading far back: the list goes to the newest, where the send shows.
      await this.view.dropWindow();
      this.state.set({ viewKey: this.getSnapshot().viewKey + 1 });
    }
    this.outbox.add({
      conversationId: id,
      clientMessageId: crypto.randomUUID(),
      body,
      mentions,
      attachments: files.map((f) => f.attachment),
      uploadIds: files.map((f) => f.uploadId),
    });
  }

  /** A reply in the open thread (through the outbox like any message: an offline reply waits). */
  sendReply(body: string, mentions: string[] = [], files: { uploadId: string; attachment: Attachment }[] = [], alsoInChannel = false): void {
    const t = this.getSnapshot().thread;
    if (!t || (!body.trim() && files.length === 0)) return;
    this.outbox.add({
      conversationId: t.conversationId,
      clientMessageId: crypto.randomUUID(),
      body,
      mentions,
      attachments: files.map((f) => f.attachment),
      uploadIds: files.map((f) => f.uploadId),
      threadRootId: t.rootId,
      ...(alsoInChannel ? { alsoInChannel: true } : {}),
    });
  }

  thread(conversationId: string, rootId: string): ThreadView {
    return this.store.thread(conversationId, rootId);
  }

  openThread(conversationId: string, rootId: string, highlightId: string | null = null): Promise<void> {
    return this.threads.open(conversationId, rootId, highlightId);
  }

  closeThread(): void {
    this.threads.close();
  }

  loadMoreReplies(): Promise<void> {
    return this.threads.loadMore();
  }

  setFollowing(following: boolean): Promise<void> {
    return this.threads.setFollowing(following);
  }

  /** The Threads view in the main column (the followed list asked again). */
  showThreads(): void {
    this.state.set({ showThreads: true, thread: null });
    void this.threads.refreshFollowed();
  }

  moreFollowed(): Promise<void> {
    return this.threads.moreFollowed();
  }

  /** A search hit: a reply opens in its thread (at that reply), a message in the conversation. */
  openSearchHit(r: SearchResult): Promise<void> {
    return this.openMessage(r.message);
  }

  /** A message where it lives: a reply in its thread (at that reply), a message in its
   * conversation, scrolled to it and flashed. */
  openMessage(message: Message): Promise<void> {
    const rootId = message.threadRootId;
    if (rootId) return this.threads.open(message.conversationId, rootId, message.id);
    return this.openAt(message.conversationId, message);
  }

  /** Sets my notification level in a conversation: shown at once, taken back if refused. My
   * other tabs and devices learn it from the `chat:notificationLevel` event. */
  async setNotificationLevel(id: string, level: NotificationLevel): Promise<void> {
    const before = this.getSnapshot().conversations.find((c) => c.id === id)?.notificationLevel;
    this.state.patchConversation(id, (c) => ({ ...c, notificationLevel: level }));
    try {
      await this.api.setNotificationLevel(id, level);
    } catch (e) {
      this.state.patchConversation(id, (c) => ({ ...c, notificationLevel: before }));
      this.toasts.report(e, "Could not change notifications");
    }
  }

  /** Retry on a failed message (or "retry now" on a rate-limited one): the same client id. */
  retry(_conversationId: string, clientMessageId: string): void {
    this.outbox.retry(clientMessageId);
  }

  /** One attempt at an outbox item (the outbox decides what a failure means). */
  private deliver(item: OutboxItem): Promise<Message> {
    const thread = item.threadRootId ? { rootId: item.threadRootId, alsoInChannel: item.alsoInChannel } : undefined;
    return this.api.send(item.conversationId, item.clientMessageId, item.body, item.mentions, item.uploadIds, thread);
  }

  /** Sign-out: this user's unsent messages are dropped (a session that ended keeps them). */
  discardOutbox(): void {
    for (const item of this.outbox.list()) this.store.dropUnsent(item.conversationId, item.clientMessageId);
    this.outbox.discard();
  }

  async edit(messageId: string, body: string, mentions: string[]): Promise<void> {
    const id = this.getSnapshot().activeId;
    if (!id) return;
    try {
      this.store.confirmSent(await this.api.edit(id, messageId, body, mentions));
    } catch (e) {
      this.toasts.report(e, "Could not edit");
    }
  }

  /** Adds or takes back my `emoji` on a message of the open conversation: shown at once, undone
   * if the server refuses (the live event that follows a success changes nothing more). */
  async react(messageId: string, emoji: string, add: boolean): Promise<void> {
    const id = this.getSnapshot().activeId;
    const me = this.state.me;
    if (!id || !this.store.react(id, messageId, emoji, me, add)) return;
    try {
      await this.api.react(id, messageId, emoji, add);
    } catch (e) {
      this.store.react(id, messageId, emoji, me, !add);
      this.toasts.report(e, add ? "Could not add the reaction" : "Could not remove the reaction");
    }
  }

  async remove(messageId: string): Promise<void> {
    const id = this.getSnapshot().activeId;
    if (!id) return;
    try {
      this.store.confirmSent(await this.api.remove(id, messageId));
    } catch (e) {
      this.toasts.report(e, "Could not delete");
    }
  }

  createChannel(name: string, visibility: "public" | "private", topic: string): Promise<boolean> {
    return this.membership.createChannel(name, visibility, topic);
  }

  join(id: string): Promise<void> {
    return this.membership.join(id);
  }

  leave(id: string): Promise<void> {
    return this.membership.leave(id);
  }

  /** Rename (`name`), edit the topic (`topic`, empty clears it), or archive / unarchive. */
  updateChannel(id: string, change: { name?: string; topic?: string; archived?: boolean }): Promise<boolean> {
    return this.membership.updateChannel(id, change);
  }

  invite(id: string, userId: string): Promise<void> {
    return this.membership.invite(id, userId);
  }

  removeMember(id: string, userId: string): Promise<void> {
    return this.membership.removeMember(id, userId);
  }

  openDm(userId: string): Promise<void> {
    return this.membership.openDm(userId);
  }

  openGroupDm(userIds: string[]): Promise<boolean> {
    return this.membership.openGroupDm(userIds);
  }
}
