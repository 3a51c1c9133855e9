// The chat page's snapshot (what React renders) and who is told when it changes.

import { dmTitle } from "../dm-names";
import type { ConnectionStatus } from "../realtime/socket";
import type { ConversationSummary, FollowedThread, Me } from "../types";

export interface Toast {
  id: number;
  kind: "info" | "error";
  text: string;
}

export interface OpenThread {
  conversationId: string;
  rootId: string;
  /** A reply to bring into view and flash (a search hit). */
  highlightId: string | null;
  /** From the thread's page; null until it came. */
  following: boolean | null;
  /** Bumped at each open, so the panel's list mounts again at its opening position. */
  key: number;
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
  /** A message to open the list at, at its top, without a flash (Back to where I was). */
  anchorId: string | null;
  /** Where the "New messages" divider goes: the first message unread when it was opened. */
  unreadFrom: { conversationId: string; messageId: string } | null;
  /** The conversation whose messages are loaded and positioned (the list mounts then). */
  shownId: string | null;
  /** Bumped at each open, so the list mounts again at its opening position. */
  viewKey: number;
  loadingNewer: boolean;
  /** The thread panel beside the conversation. */
  thread: OpenThread | null;
  /** The threads I follow, newest reply first (the Threads view and its badge). */
  followed: FollowedThread[];
  /** More followed threads after these (the Threads view's "More threads"). */
  followedCursor: string | null;
  /** The Threads view replaces the conversation in the main column. */
  showThreads: boolean;
  /** A link named this conversation, which I am not in (or which is gone): the main column
   * says so instead of showing another conversation. */
  missingId: string | null;
  /** This tab is the one of my tabs that shows browser notifications (lib/notify-leader.ts). */
  notifyingTab: boolean;
}

export function conversationTitle(c: ConversationSummary, me: string | undefined): string {
  if (c.kind === "dm") return dmTitle(c, me);
  return `#${c.name ?? c.id}`;
}

export class ChatState {
  private snapshot: ChatSnapshot;
  private readonly listeners = new Set<() => void>();

  constructor(me: Me) {
    this.snapshot = {
      me,
      status: "connecting",
      conversations: [],
      activeId: null,
      toasts: [],
      loadingOlder: false,
      usersVersion: 0,
      highlightId: null,
      anchorId: null,
      unreadFrom: null,
      shownId: null,
      viewKey: 0,
      loadingNewer: false,
      thread: null,
      followed: [],
      followedCursor: null,
      showThreads: false,
      missingId: null,
      notifyingTab: false,
    };
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  get = (): ChatSnapshot => this.snapshot;

  set(patch: Partial<ChatSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const l of this.listeners) l();
  }

  get me(): string {
    return this.snapshot.me?.userId ?? "";
  }

  patchConversation(id: string, patch: (c: ConversationSummary) => ConversationSummary): void {
    this.set({ conversations: this.snapshot.conversations.map((c) => (c.id === id ? patch(c) : c)) });
  }
}
