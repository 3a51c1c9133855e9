// The chat page's brain, outside React: conversations, the socket, the message store, toasts.
// After every (re)subscription it refetches what may have changed — conversations and unreads,
// then each loaded conversation's changes after the seq it holds (Mattermost's order).

import { Api, ApiError } from "./api";
import type { TokenSource } from "./auth-token";
import { ChatSocket, type ConnectionStatus } from "./realtime/socket";
import { firstUnreadId } from "./conversation-view";
import { isMessageEvent, MessageStore, type UiMessage } from "./store/messages";
import { Outbox, outboxKey, type OutboxItem } from "./outbox";
import type { Attachment, ChatEvent, ConversationSummary, Me, Message, SubscribedConversation, UserProfile } from "./types";
import { countedChange, UnreadLedger, type Counts } from "./unread";

export interface Toast {
  id: number;
  kind: "info" | "error";
  text: string;
}

export interface ChatSnapshot {
  me: Me | null;
  status: ConnectionStatus;
  conversations: ConversationSummary[];
  activeId: string | null;
  toasts: Toast[];
  loadingOlder: boolean;
  /** Bumped when profiles arrive, so names re-render. */
  usersVersion: number;
  /** A message to scroll to and flash (from a search result). */
  highlightId: string | null;
  /** Where the "New messages" divider goes: the first message unread when it was opened. */
  unreadFrom: { conversationId: string; messageId: string } | null;
  /** The conversation whose messages are loaded and positioned (the list mounts then). */
  shownId: string | null;
  /** Bumped at each open, so the list mounts again at its opening position. */
  viewKey: number;
  loadingNewer: boolean;
}

/** How far back the divider search pages before giving up (50 messages a page). */
const MAX_UNREAD_PAGES = 20;
const AROUND = 25;

const SWEEP_INTERVAL_MS = 10_000;
/** A burst of arriving messages read as they come makes one read mark per this interval. */
const MARK_READ_DEBOUNCE_MS = 400;
/** A count the client cannot settle itself asks the server again after this long. */
const RECOUNT_DELAY_MS = 1_500;
const TOAST_MS = 6_000;

/** A summary showing the ledger's counts. */
function withCounts(c: ConversationSummary, counts: Counts): ConversationSummary {
  return { ...c, lastSeq: Math.max(c.lastSeq, counts.lastSeq), unreadCount: counts.unreadCount, mentionCount: counts.mentionCount, readSeq: counts.readSeq };
}

function browserStorage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    // Blocked (e.g. a privacy setting): the outbox lives as long as the page.
    return null;
  }
}

export function conversationTitle(c: ConversationSummary, me: string | undefined): string {
  if (c.kind === "dm") {
    const other = c.members?.find((m) => m.id !== me);
    return other ? other.displayName : "Direct message";
  }
  return `#${c.name ?? c.id}`;
}

export class ChatController {
  readonly store: MessageStore;
  /** Unsent messages: persisted, sent in order per conversation (lib/outbox.ts). */
  private readonly outbox: Outbox;
  private snapshot: ChatSnapshot;
  private readonly listeners = new Set<() => void>();
  private socket: ChatSocket | null = null;
  /** A socket opened with a renewed token, taking over once its subscription is acknowledged. */
  private replacement: ChatSocket | null = null;
  private checkingSession = false;
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private readonly catchingUp = new Map<string, Promise<void>>();
  private toastSeq = 0;
  private readonly cleanups: (() => void)[] = [];
  /** Profiles by id, for author names and mention chips; filled in batches as messages arrive. */
  private readonly users = new Map<string, UserProfile>();
  private readonly requestedUsers = new Set<string>();
  private usersTimer: ReturnType<typeof setTimeout> | null = null;
  /** Opened at a search hit far back: only messages up to `untilSeq` are shown (a contiguous
   * run); newer pages load as the reader scrolls down, until they meet the newest ones held. */
  private window: { conversationId: string; untilSeq: number; lastId: string } | null = null;
  /** Conversations I am leaving: their memberRemoved event is my own doing. */
  private readonly leaving = new Set<string>();
  /** Unread and mention counts between the server's answers (lib/unread.ts). */
  private readonly unread: UnreadLedger;
  /** Per conversation, the newest seq the server has (or has been asked to) as read. */
  private readonly markedSeq = new Map<string, number>();
  private markTimer: ReturnType<typeof setTimeout> | null = null;
  private lastMarkAt = 0;
  private recountTimer: ReturnType<typeof setTimeout> | null = null;
  /** The open conversation's list shows its newest message (the list reports it). */
  private atBottom = true;
  private refreshing: Promise<void> | null = null;
  private refreshQueued: Promise<void> | null = null;

  constructor(
    readonly api: Api,
    private readonly wsUrl: string,
    private readonly tokens: TokenSource,
    me: Me,
    /** The conversation to open first (the page's URL names it), when the user is in it. */
    private readonly initialId: string | null = null,
  ) {
    this.store = new MessageStore(me.userId, (clientMessageId) => this.outbox.confirmed(clientMessageId));
    this.outbox = new Outbox({
      key: outboxKey(me),
      storage: browserStorage(),
      send: (item) => this.deliver(item),
      onChange: (item) => this.store.showUnsent(item),
      onSent: (message) => this.store.confirmSent(message),
    });
    this.unread = new UnreadLedger(me.userId);
    this.snapshot = {
      me,
      status: "connecting",
      conversations: [],
      activeId: null,
      toasts: [],
      loadingOlder: false,
      usersVersion: 0,
      highlightId: null,
      unreadFrom: null,
      shownId: null,
      viewKey: 0,
      loadingNewer: false,
    };
    this.users.set(me.userId, { id: me.userId, handle: me.handle, displayName: me.displayName });
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ChatSnapshot => this.snapshot;

  private set(patch: Partial<ChatSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const l of this.listeners) l();
  }

  user(id: string): UserProfile | undefined {
    const known = this.users.get(id);
    if (!known) this.requestUser(id);
    return known;
  }

  rememberUsers(users: UserProfile[]): void {
    for (const u of users) this.users.set(u.id, u);
    this.set({ usersVersion: this.snapshot.usersVersion + 1 });
  }

  private requestUser(id: string): void {
    if (this.requestedUsers.has(id)) return;
    this.requestedUsers.add(id);
    this.usersTimer ??= setTimeout(() => {
      this.usersTimer = null;
      const ids = [...this.requestedUsers].filter((u) => !this.users.has(u)).slice(0, 100);
      if (ids.length === 0) return;
      this.api
        .usersById(ids)
        .then(({ items }) => this.rememberUsers(items))
        .catch(() => {
          for (const u of ids) this.requestedUsers.delete(u);
        });
    }, 20);
  }

  private get me(): string {
    return this.snapshot.me?.userId ?? "";
  }

  async start(): Promise<void> {
    // What the last page left unsent shows again at once, and goes out when it can.
    this.outbox.start();
    await this.refreshConversations();
    const first = this.snapshot.conversations.find((c) => c.id === this.initialId) ?? this.snapshot.conversations[0];
    if (first && !this.snapshot.activeId) await this.open(first.id);
    this.socket = this.connect();
    this.socket.start();
    this.cleanups.push(this.tokens.onRenewed(() => this.replaceSocket()));
    this.sweepTimer = setInterval(() => this.outbox.sweepStale(Date.now()), SWEEP_INTERVAL_MS);
    // The network is back when the socket is subscribed again (its truth), or the browser says so.
    let status = this.snapshot.status;
    this.cleanups.push(
      this.subscribe(() => {
        if (this.snapshot.status === "connected" && status !== "connected") this.outbox.resume();
        status = this.snapshot.status;
      }),
    );
    const online = () => {
      this.socket?.reconnectNow();
      this.outbox.resume();
    };
    const offline = () => this.socket?.markOffline();
    window.addEventListener("online", online);
    window.addEventListener("offline", offline);
    this.cleanups.push(
      () => window.removeEventListener("online", online),
      () => window.removeEventListener("offline", offline),
    );
    this.watchReading();
  }

  /** Coming back to the page (visible again, or focused) reads what it shows. */
  private watchReading(): void {
    const back = () => {
      if (document.visibilityState === "visible") this.scheduleMarkRead();
    };
    // visibilitychange is fired at the document and bubbles to the window.
    for (const type of ["focus", "visibilitychange"]) {
      window.addEventListener(type, back);
      this.cleanups.push(() => window.removeEventListener(type, back));
    }
    // Leaving or reloading with a mark still waiting: send it now.
    const leaving = () => {
      if (this.markTimer) this.flushMarkRead();
    };
    window.addEventListener("pagehide", leaving);
    this.cleanups.push(() => window.removeEventListener("pagehide", leaving));
  }

  /** A socket whose every attempt uses the token current then. Until it is `this.socket` (a
   * replacement not yet subscribed) its events and status are ignored: the old one still serves. */
  private connect(): ChatSocket {
    let attempts = 0;
    const socket: ChatSocket = new ChatSocket({
      url: () => {
        // A socket refused again and again may hold a refused token, which the browser cannot
        // tell from a network failure: an API call finds out (renewing once, or ending the session).
        if (attempts++ > 0) this.checkSession();
        return `${this.wsUrl}?token=${encodeURIComponent(this.tokens.current())}`;
      },
      onEvent: (e) => {
        if (this.socket === socket) void this.onEvent(e);
      },
      onSubscribed: (c) => {
        attempts = 0;
        if (this.replacement === socket) this.takeOver(socket);
        if (this.socket === socket) void this.onSubscribed(c);
      },
      onStatus: (status) => {
        if (this.socket !== socket) return;
        this.set({ status });
        // The old socket dropped: its own reconnect uses the renewed token; one socket is enough.
        if (status !== "connected" && this.replacement) {
          this.replacement.stop();
          this.replacement = null;
        }
      },
      onError: (code, message) => console.warn("socket error frame", code, message),
    });
    return socket;
  }

  /** The token was renewed: the server stops delivering on a connection once its token expires,
   * so a new socket takes over before then (make before break: no "reconnecting" in between;
   * catch-up after its subscription covers anything sent while they swapped). */
  private replaceSocket(): void {
    const old = this.socket;
    if (!old || this.replacement || old.currentStatus !== "connected") return;
    this.replacement = this.connect();
    this.replacement.start();
  }

  private takeOver(next: ChatSocket): void {
    const old = this.socket;
    this.socket = next;
    this.replacement = null;
    old?.stop();
    this.set({ status: next.currentStatus });
  }

  private checkSession(): void {
    if (this.checkingSession) return;
    this.checkingSession = true;
    this.api
      .me()
      .catch(() => undefined)
      .finally(() => {
        this.checkingSession = false;
      });
  }

  stop(): void {
    this.replacement?.stop();
    this.replacement = null;
    this.socket?.stop();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.outbox.stop();
    if (this.markTimer) clearTimeout(this.markTimer);
    if (this.recountTimer) clearTimeout(this.recountTimer);
    for (const c of this.cleanups.splice(0)) c();
  }

  toast(text: string, kind: Toast["kind"] = "info"): void {
    const id = ++this.toastSeq;
    this.set({ toasts: [...this.snapshot.toasts, { id, kind, text }] });
    setTimeout(() => this.set({ toasts: this.snapshot.toasts.filter((t) => t.id !== id) }), TOAST_MS);
  }

  private report(e: unknown, what: string): void {
    const message = e instanceof ApiError ? e.message : String(e);
    this.toast(`${what}: ${message}`, "error");
  }

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
      const { items } = await this.api.conversations();
      // Counts reconcile with what happened here while the request was out (lib/unread.ts).
      const conversations = items.map((s) => {
        if (s.readSeq !== undefined) this.markedSeq.set(s.id, Math.max(this.markedSeq.get(s.id) ?? 0, s.readSeq));
        return withCounts(s, this.unread.fromServer(s.id, s));
      });
      this.set({ conversations });
    } catch (e) {
      if (!(e instanceof ApiError && e.retryable)) this.report(e, "Could not load conversations");
    }
  }

  /** Shows counts the ledger computed; one it cannot settle is asked of the server soon. */
  private showCounts(id: string, counts: Counts | null): void {
    if (!counts) return;
    this.patchConversation(id, (c) => withCounts(c, counts));
    if (counts.uncertain) this.scheduleRecount();
  }

  private scheduleRecount(): void {
    this.recountTimer ??= setTimeout(() => {
      this.recountTimer = null;
      void this.refreshConversations();
    }, RECOUNT_DELAY_MS);
  }

  /** Counts a change (live or caught up): null when counted before (a duplicate) or not yet listed. */
  private count(event: ChatEvent): Counts | null {
    let before: boolean | null = null;
    if (event.type === "chat:messageDeleted" || event.type === "chat:messageUpdated") {
      // The store's copy from before this change says whether it mentioned me.
      const held = this.store.list(event.conversationId).find((m) => m.id === event.data.id && m.state === "sent");
      before = held && !held.deletedAt ? held.mentions.includes(this.me) : this.unread.mentioned(event.conversationId, event.data.seq);
    }
    return this.unread.apply(event.conversationId, countedChange(event, this.me, before));
  }

  private patchConversation(id: string, patch: (c: ConversationSummary) => ConversationSummary): void {
    this.set({ conversations: this.snapshot.conversations.map((c) => (c.id === id ? patch(c) : c)) });
  }

  async open(id: string): Promise<void> {
    await this.dropWindow();
    const unread = this.snapshot.conversations.find((c) => c.id === id)?.unreadCount ?? 0;
    this.set({ activeId: id, shownId: null, highlightId: null, unreadFrom: null });
    this.atBottom = true;
    await this.load(id);
    if (this.snapshot.activeId !== id) return;
    const messageId = await this.findFirstUnread(id, unread);
    if (this.snapshot.activeId !== id) return;
    this.set({ shownId: id, viewKey: this.snapshot.viewKey + 1, unreadFrom: messageId ? { conversationId: id, messageId } : null });
    // Opening it is reading it (the divider keeps the place of what was new).
    await this.markActiveRead(true);
  }

  private async load(id: string): Promise<void> {
    if (this.store.has(id)) return;
    const seqAtLoad = this.snapshot.conversations.find((c) => c.id === id)?.lastSeq ?? 0;
    try {
      const page = await this.api.history(id);
      this.store.addHistory(id, page.items, page.nextCursor, seqAtLoad);
      // Anything that happened between the list and the page: catch up now.
      await this.catchUp(id);
    } catch (e) {
      this.report(e, "Could not load messages");
    }
  }

  /** The divider's message: older pages load until the unread count is covered. */
  private async findFirstUnread(id: string, unread: number): Promise<string | null> {
    if (unread <= 0) return null;
    for (let page = 0; page <= MAX_UNREAD_PAGES; page++) {
      const found = firstUnreadId(this.store.list(id), this.me, unread);
      const cursor = this.store.olderCursor(id);
      if (found || !cursor) return found;
      try {
        const older = await this.api.history(id, cursor);
        this.store.addHistory(id, older.items, older.nextCursor);
      } catch {
        return null;
      }
    }
    return null;
  }

  /** The messages the list shows: all of them, or the run around a search hit. */
  visibleMessages(id: string): UiMessage[] {
    const all = this.store.list(id);
    const w = this.window;
    if (!w || w.conversationId !== id) return all;
    if (this.visibleCache?.source === all && this.visibleCache.untilSeq === w.untilSeq) return this.visibleCache.list;
    const list = all.filter((m) => m.state === "sent" && m.seq <= w.untilSeq);
    this.visibleCache = { source: all, untilSeq: w.untilSeq, list };
    return list;
  }
  private visibleCache: { source: UiMessage[]; untilSeq: number; list: UiMessage[] } | null = null;

  /** Back to the newest page: the run around a search hit leaves a hole before the newest
   * messages, so it is replaced (pending sends stay). */
  private async dropWindow(): Promise<void> {
    const w = this.window;
    if (!w) return;
    this.window = null;
    try {
      const page = await this.api.history(w.conversationId);
      this.store.reload(w.conversationId, page.items, page.nextCursor, this.store.lastSeq(w.conversationId));
    } catch {
      this.store.forget(w.conversationId);
    }
  }

  /** Newer messages exist below the shown run (opened at a search hit). */
  hasNewer(id: string): boolean {
    return this.window?.conversationId === id;
  }

  /** Opens a conversation at a message: the pages just before and after it load (not every
   * page back from the newest), the list centres and flashes it, and scrolls on both ways. */
  async openAt(conversationId: string, message: Message): Promise<void> {
    await this.dropWindow();
    this.set({ activeId: conversationId, shownId: null, highlightId: null, unreadFrom: null });
    this.atBottom = true;
    await this.load(conversationId);
    if (!this.store.list(conversationId).some((m) => m.id === message.id)) {
      try {
        const held = new Set(this.store.list(conversationId).map((m) => m.id));
        const [older, newer] = await Promise.all([
          this.api.history(conversationId, message.id, AROUND),
          this.api.historyAfter(conversationId, message.id, AROUND),
        ]);
        this.store.addHistory(conversationId, [...older.items, message, ...newer.items], older.nextCursor);
        this.windowAfter(conversationId, [message, ...newer.items], newer.nextCursor, held);
      } catch (e) {
        this.report(e, "Could not load messages");
      }
    }
    if (this.snapshot.activeId !== conversationId) return;
    this.set({ shownId: conversationId, viewKey: this.snapshot.viewKey + 1, highlightId: message.id });
    setTimeout(() => {
      if (this.snapshot.highlightId === message.id) this.set({ highlightId: null });
    }, 4000);
    await this.markActiveRead(true);
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
    const w = this.window;
    if (!w || w.conversationId !== this.snapshot.activeId || this.snapshot.loadingNewer) return;
    this.set({ loadingNewer: true });
    try {
      const held = new Set(this.store.list(w.conversationId).map((m) => m.id));
      const page = await this.api.historyAfter(w.conversationId, w.lastId);
      const cursor = this.store.olderCursor(w.conversationId) ?? undefined;
      this.store.addHistory(w.conversationId, page.items, cursor);
      this.windowAfter(w.conversationId, page.items, page.nextCursor, held);
    } catch (e) {
      this.report(e, "Could not load newer messages");
    } finally {
      this.set({ loadingNewer: false });
    }
  }

  async loadOlder(): Promise<void> {
    const id = this.snapshot.activeId;
    if (!id || this.snapshot.loadingOlder) return;
    const cursor = this.store.olderCursor(id);
    if (!cursor) return;
    this.set({ loadingOlder: true });
    try {
      const page = await this.api.history(id, cursor);
      this.store.addHistory(id, page.items, page.nextCursor);
    } catch (e) {
      this.report(e, "Could not load older messages");
    } finally {
      this.set({ loadingOlder: false });
    }
  }

  /** Every change after the seq held, until the server says there is no more. */
  catchUp(id: string): Promise<void> {
    const running = this.catchingUp.get(id);
    if (running) return running;
    const run = (async () => {
      try {
        for (let page = 0; page < 100; page++) {
          const changes = await this.api.changes(id, this.store.lastSeq(id));
          if (changes.resync) {
            // Offline for longer than the change log keeps: start again from the newest page,
            // then catch up from the seq read before it.
            const page = await this.api.history(id);
            this.store.reload(id, page.items, page.nextCursor, changes.lastSeq);
            continue;
          }
          // Counted before the store applies them: a delete's earlier copy tells its mentions.
          let counts: Counts | null = null;
          for (const item of changes.items) counts = this.count(item) ?? counts;
          this.store.applyChanges(id, changes);
          this.showCounts(id, counts ?? this.unread.counts(id));
          if (!changes.hasMore) break;
        }
      } catch (e) {
        if (e instanceof ApiError && (e.status === 404 || e.status === 403)) {
          this.forgetConversation(id);
        }
      } finally {
        this.catchingUp.delete(id);
      }
    })();
    this.catchingUp.set(id, run);
    return run;
  }

  private async onSubscribed(conversations: SubscribedConversation[]): Promise<void> {
    await this.refreshConversations();
    await Promise.all(
      conversations
        .filter((c) => this.store.has(c.conversationId) && c.lastSeq > this.store.lastSeq(c.conversationId))
        .map((c) => this.catchUp(c.conversationId)),
    );
    this.scheduleMarkRead();
  }

  private forgetConversation(id: string): void {
    this.store.forget(id);
    this.unread.forget(id);
    this.markedSeq.delete(id);
    const conversations = this.snapshot.conversations.filter((c) => c.id !== id);
    const activeId = this.snapshot.activeId === id ? (conversations[0]?.id ?? null) : this.snapshot.activeId;
    this.set({ conversations, activeId });
    if (activeId && activeId !== id) void this.open(activeId);
  }

  private async onEvent(event: ChatEvent): Promise<void> {
    const id = event.conversationId;
    const known = this.snapshot.conversations.some((c) => c.id === id);
    const userId = event.type === "chat:memberAdded" || event.type === "chat:memberRemoved" || event.type === "chat:conversationRead" ? event.data.userId : null;

    if (event.type === "chat:memberRemoved" && userId === this.me) {
      const c = this.snapshot.conversations.find((x) => x.id === id);
      // My own leave says so itself (leave() toasts "You left #name").
      if (!this.leaving.has(id)) this.toast(`You were removed from ${c ? conversationTitle(c, this.me) : "a channel"}`);
      this.forgetConversation(id);
      return;
    }
    if (event.type === "chat:conversationRead") {
      // Another tab or device of mine read this far (or my own mark came back).
      if (userId === this.me) {
        this.markedSeq.set(id, Math.max(this.markedSeq.get(id) ?? 0, event.data.seq));
        this.showCounts(id, this.unread.read(id, event.data.seq));
      }
      return;
    }
    if (event.type === "chat:memberAdded" && userId === this.me) {
      // Subscribe before asking for the list: a message sent between the list's answer and the
      // subscription would otherwise reach no socket of mine. The ledger counts what arrives
      // meanwhile on top of the answer.
      this.socket?.subscribe([id]);
      this.unread.apply(id, countedChange(event, this.me));
      await this.refreshConversations();
      if (this.store.has(id)) void this.catchUp(id);
      return;
    }
    // Counted before the store applies it (a deleted message's earlier copy tells its mentions);
    // the ledger drops a frame it has counted before (a duplicate, or one the last answer has).
    if (isMessageEvent(event) && event.type === "chat:newMessage" && event.data.authorId !== this.me && this.reading(id)) {
      this.unread.read(id, event.seq);
    }
    const counts = this.count(event);
    if (this.store.has(id) && this.store.applyEvent(event) === "gap") {
      void this.catchUp(id);
    }
    if (!known) {
      // A conversation the list has not seen (its memberAdded missed, or still on its way):
      // subscribe and list it; the answer plus the ledger count this message.
      this.socket?.subscribe([id]);
      await this.refreshConversations();
      return;
    }
    this.showCounts(id, counts);
    if (isMessageEvent(event) && event.type === "chat:newMessage" && counts) {
      this.patchConversation(id, (c) => ({ ...c, lastMessageAt: event.data.createdAt }));
      // My own send moved my read position on the server: nothing to mark for it.
      if (event.data.authorId === this.me) this.markedSeq.set(id, Math.max(this.markedSeq.get(id) ?? 0, event.seq));
      else if (this.reading(id)) this.scheduleMarkRead();
    }
  }

  /** The list reports whether it shows its newest message; reaching it reads what is there. */
  setAtBottom(id: string, atBottom: boolean): void {
    if (id !== this.snapshot.activeId) return;
    this.atBottom = atBottom;
    if (atBottom) this.scheduleMarkRead();
  }

  /** The reader sees the newest messages of `id` as they arrive. Focus is not required (a
   * visible window beside another app is read; headless browsers report no focus). */
  private reading(id: string): boolean {
    return (
      this.snapshot.activeId === id &&
      this.snapshot.shownId === id &&
      document.visibilityState === "visible" &&
      this.atBottom &&
      !this.hasNewer(id)
    );
  }

  /** At once when nothing was marked lately, else once at the end of the interval: a burst
   * of arriving messages makes few marks, a single one is marked before a reload can lose it. */
  private scheduleMarkRead(): void {
    if (this.markTimer) return;
    const wait = Math.max(0, this.lastMarkAt + MARK_READ_DEBOUNCE_MS - Date.now());
    this.markTimer = setTimeout(() => this.flushMarkRead(), wait);
  }

  private flushMarkRead(): void {
    if (this.markTimer) clearTimeout(this.markTimer);
    this.markTimer = null;
    this.lastMarkAt = Date.now();
    void this.markActiveRead();
  }

  /** Marks the open conversation read through the newest message shown: at once here, and on
   * the server unless it already has that far. Compared with what was marked, not with the
   * badge: a badge at 0 (messages read as they arrived) still needs its server mark, or they
   * come back as unread after a reload. `opened`: the reader just opened it (read wherever the
   * list starts). */
  async markActiveRead(opened = false): Promise<void> {
    const id = this.snapshot.activeId;
    if (!id || this.snapshot.shownId !== id || document.visibilityState !== "visible") return;
    if (!opened && !this.atBottom) return;
    const shown = this.visibleMessages(id);
    let last: UiMessage | undefined;
    for (let i = shown.length - 1; i >= 0 && !last; i--) if (shown[i]?.state === "sent") last = shown[i];
    if (!last) return;
    this.showCounts(id, this.unread.read(id, last.seq));
    const marked = this.markedSeq.get(id) ?? 0;
    if (last.seq <= marked) return;
    this.markedSeq.set(id, last.seq);
    try {
      await this.api.markRead(id, last.id);
    } catch {
      // The next read (a message, a return to the page) tries again.
      if (this.markedSeq.get(id) === last.seq) this.markedSeq.set(id, marked);
    }
  }

  async send(body: string, mentions: string[] = [], files: { uploadId: string; attachment: Attachment }[] = []): Promise<void> {
    const id = this.snapshot.activeId;
    if (!id || (!body.trim() && files.length === 0)) return;
    if (this.window?.conversationId === id) {
      // Writing while reading far back: the list goes to the newest, where the send shows.
      await this.dropWindow();
      this.set({ viewKey: this.snapshot.viewKey + 1 });
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

  /** Retry on a failed message (or "retry now" on a rate-limited one): the same client id. */
  retry(_conversationId: string, clientMessageId: string): void {
    this.outbox.retry(clientMessageId);
  }

  /** One attempt at an outbox item (the outbox decides what a failure means). */
  private deliver(item: OutboxItem): Promise<Message> {
    return this.api.send(item.conversationId, item.clientMessageId, item.body, item.mentions, item.uploadIds);
  }

  /** Sign-out: this user's unsent messages are dropped (a session that ended keeps them). */
  discardOutbox(): void {
    for (const item of this.outbox.list()) this.store.dropUnsent(item.conversationId, item.clientMessageId);
    this.outbox.discard();
  }

  async edit(messageId: string, body: string, mentions: string[]): Promise<void> {
    const id = this.snapshot.activeId;
    if (!id) return;
    try {
      this.store.confirmSent(await this.api.edit(id, messageId, body, mentions));
    } catch (e) {
      this.report(e, "Could not edit");
    }
  }

  async remove(messageId: string): Promise<void> {
    const id = this.snapshot.activeId;
    if (!id) return;
    try {
      this.store.confirmSent(await this.api.remove(id, messageId));
    } catch (e) {
      this.report(e, "Could not delete");
    }
  }

  async createChannel(name: string, visibility: "public" | "private", topic: string): Promise<boolean> {
    try {
      const created = await this.api.createChannel(name, visibility, topic || undefined);
      await this.refreshConversations();
      this.socket?.subscribe([created.id]);
      await this.open(created.id);
      return true;
    } catch (e) {
      this.report(e, "Could not create the channel");
      return false;
    }
  }

  async join(id: string): Promise<void> {
    try {
      await this.api.join(id);
      await this.refreshConversations();
      this.socket?.subscribe([id]);
      await this.open(id);
    } catch (e) {
      this.report(e, "Could not join");
    }
  }

  async leave(id: string): Promise<void> {
    const c = this.snapshot.conversations.find((x) => x.id === id);
    this.leaving.add(id);
    try {
      await this.api.leave(id);
      this.toast(`You left ${c ? conversationTitle(c, this.me) : "the channel"}`);
      this.forgetConversation(id);
    } catch (e) {
      this.report(e, "Could not leave");
    } finally {
      // The event may come after the answer: keep the mark a little while.
      setTimeout(() => this.leaving.delete(id), 10_000);
    }
  }

  async invite(id: string, userId: string): Promise<void> {
    try {
      await this.api.invite(id, userId);
      this.toast("Invited");
    } catch (e) {
      this.report(e, "Could not invite");
    }
  }

  async removeMember(id: string, userId: string): Promise<void> {
    try {
      await this.api.removeMember(id, userId);
      this.toast("Removed");
    } catch (e) {
      this.report(e, "Could not remove");
    }
  }

  async openDm(userId: string): Promise<void> {
    try {
      const dm = await this.api.openDm(userId);
      await this.refreshConversations();
      this.socket?.subscribe([dm.id]);
      await this.open(dm.id);
    } catch (e) {
      this.report(e, "Could not open the conversation");
    }
  }
}
