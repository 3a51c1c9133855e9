// Browser notifications for live messages while the page is hidden: the rules are
// lib/notifications.ts's, which tab shows them lib/notify-leader.ts's. A click brings the window
// forward and opens the message (in its thread when it is a reply).

import { conversationTitle } from "./state";
import type { ChatState } from "./state";
import { levelOf, notificationText, notifyReason } from "../notifications";
import { NotifyLeader, TabVisibility, type Channel, type Locks } from "../notify-leader";
import type { Message } from "../types";

/** What the notifier needs of the browser (a fake one in tests). */
export interface NotifyEnv {
  hidden(): boolean;
  permission(): NotificationPermission | "unsupported";
  show(title: string, options: { body: string; tag: string }, onClick: () => void): void;
  locks: Locks | undefined;
  channel(name: string): Channel | null;
  onVisibilityChange(listener: () => void): () => void;
  /** The page goes away (closed, reloaded, navigated; its Web Lock goes by itself), or comes
   * back from the back/forward cache. */
  onPageHide(listener: () => void): () => void;
  onPageShow(listener: () => void): () => void;
  focus(): void;
}

export interface NotifierDeps {
  state: ChatState;
  /** Whether I follow the thread of `rootId` in the conversation. */
  follows(conversationId: string, rootId: string): Promise<boolean>;
  /** The sender's display name (asked of the server when not known yet). */
  userName(id: string): Promise<string>;
  /** Opens the message where it is: its conversation, or its thread for a reply. */
  openMessage(message: Message): void;
  /** Asks the server for my conversations again (a message from one not listed yet). */
  refreshConversations(): Promise<void>;
  /** The messages of a conversation after `seq` (its catch-up), oldest first. */
  messagesAfter(conversationId: string, seq: number): Promise<Message[]>;
}

/** Outside a browser (unit tests of the controller, with at most a partial document stubbed):
 * never hidden, never permitted. */
const NO_BROWSER: NotifyEnv = {
  hidden: () => false,
  permission: () => "unsupported",
  show: () => undefined,
  locks: undefined,
  channel: () => null,
  onVisibilityChange: () => () => undefined,
  onPageHide: () => () => undefined,
  onPageShow: () => () => undefined,
  focus: () => undefined,
};

export function browserNotifyEnv(): NotifyEnv {
  if (typeof window === "undefined" || typeof document === "undefined" || typeof document.addEventListener !== "function") return NO_BROWSER;
  return {
    hidden: () => document.visibilityState === "hidden",
    permission: () => ("Notification" in window ? Notification.permission : "unsupported"),
    show: (title, options, onClick) => {
      const n = new Notification(title, options);
      n.onclick = () => {
        onClick();
        n.close();
      };
    },
    locks: typeof navigator !== "undefined" && "locks" in navigator ? (navigator.locks as Locks) : undefined,
    channel: (name) => ("BroadcastChannel" in window ? (new BroadcastChannel(name) as unknown as Channel) : null),
    onVisibilityChange: (listener) => {
      document.addEventListener("visibilitychange", listener);
      return () => document.removeEventListener("visibilitychange", listener);
    },
    onPageHide: (listener) => {
      window.addEventListener("pagehide", listener);
      return () => window.removeEventListener("pagehide", listener);
    },
    onPageShow: (listener) => {
      window.addEventListener("pageshow", listener);
      return () => window.removeEventListener("pageshow", listener);
    },
    focus: () => window.focus(),
  };
}

export class Notifier {
  private readonly leader: NotifyLeader;
  private readonly tabs: TabVisibility;
  private readonly shown = new Set<string>();
  private readonly unwatch: (() => void)[] = [];

  constructor(
    private readonly deps: NotifierDeps,
    private readonly env: NotifyEnv,
  ) {
    // Per user: two people signed in in two browser profiles each have their notifying tab.
    const name = `tenant-chat-notify:${deps.state.get().me?.tenantId ?? ""}:${deps.state.me}`;
    this.leader = new NotifyLeader(name, env.locks, (notifying) => deps.state.set({ notifyingTab: notifying }));
    this.tabs = new TabVisibility(env.channel(name), () => !env.hidden());
  }

  start(): void {
    this.leader.start();
    this.tabs.start();
    this.unwatch.push(
      this.env.onVisibilityChange(() => this.tabs.tell()),
      // Without this the others would take a tab closed while on screen for one still there.
      this.env.onPageHide(() => this.tabs.gone()),
      this.env.onPageShow(() => this.tabs.back()),
    );
  }

  stop(): void {
    for (const u of this.unwatch.splice(0)) u();
    this.tabs.stop();
    this.leader.stop();
  }

  /** Whether this tab is the user's notifying one (for tests and the status it shows). */
  get isLeader(): boolean {
    return this.leader.isLeader;
  }

  private mayNotify(): boolean {
    return this.env.permission() === "granted" && this.leader.isLeader && this.env.hidden() && !this.tabs.anotherVisible();
  }

  /** I was just added to a conversation (a DM opened to me): what was written there before my
   * tab subscribed to it never arrives live, so it is asked for once (seq: my addition's). */
  async onJoined(conversationId: string, seq: number): Promise<void> {
    if (!this.mayNotify()) return;
    try {
      for (const message of await this.deps.messagesAfter(conversationId, seq)) await this.onMessage(message);
    } catch {
      // Not notified; it still counts as unread.
    }
  }

  /** A new message arrived live (catch-up after a reconnect never comes here: it would notify a
   * backlog). */
  async onMessage(message: Message): Promise<void> {
    const { state } = this.deps;
    if (!this.mayNotify()) return;
    // A frame delivered twice (a resubscription) notifies once.
    if (this.shown.has(message.id)) return;
    this.shown.add(message.id);
    const find = () => state.get().conversations.find((c) => c.id === message.conversationId);
    // The first message of a DM just opened to me can come before the list has the DM.
    if (!find()) await this.deps.refreshConversations();
    const conversation = find();
    if (!conversation) return;
    const me = state.me;
    if (message.authorId === me || levelOf(conversation) === "nothing") return;
    // Asked only of a reply that would not notify for a mention (the answer may take a request).
    const root = message.threadRootId;
    const followed = root && !message.mentions.includes(me) ? await this.deps.follows(message.conversationId, root) : false;
    const reason = notifyReason(message, { me, conversation, follows: () => followed });
    if (!reason) return;
    const sender = await this.deps.userName(message.authorId);
    const oneToOne = conversation.kind === "dm" && (conversation.members?.length ?? 2) <= 2;
    const { title, body } = notificationText(message, conversationTitle(conversation, me), sender, oneToOne, reason);
    this.env.show(title, { body, tag: message.id }, () => {
      this.env.focus();
      this.deps.openMessage(message);
    });
  }
}
