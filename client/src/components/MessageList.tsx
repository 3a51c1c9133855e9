import { useEffect, useMemo, useRef, useState } from "react";
import { Virtuoso, type VirtuosoHandle } from "react-virtuoso";

import type { Api } from "../lib/api";
import { countAfter, nextFirstItemIndex, rowKey } from "../lib/conversation-view";
import { MessageRow } from "./MessageRow";
import type { UiMessage } from "../lib/store/messages";
import type { UserProfile } from "../lib/types";

interface Props {
  me: string;
  /** "#general", or the other person's name: the empty state names it. */
  title: string;
  messages: UiMessage[];
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  /** Opened at a search hit: newer pages load at the bottom. */
  hasNewer: boolean;
  loadingNewer: boolean;
  onLoadNewer: () => void;
  onRetry: (clientMessageId: string) => void;
  onEdit: (id: string, body: string, mentions: string[]) => void;
  onDelete: (id: string) => void;
  onReact: (id: string, emoji: string, add: boolean) => void;
  userKey: string;
  /** Profile lookup (fetched in the background when unknown). */
  user: (id: string) => UserProfile | undefined;
  /** Changes when profiles arrive, so rows re-render with names. */
  usersVersion: number;
  api: Api;
  highlightId?: string | null;
  /** The first message unread at open: the "New messages" divider goes above it. */
  unreadFromId?: string | null;
  /** Whether the newest message is in view (what arrives then is read). */
  onAtBottom?: (atBottom: boolean) => void;
}

/** Far from zero, so older pages can lower it (Virtuoso's prepend-without-jump). */
const START_INDEX = 1_000_000;

interface ListContext {
  hasOlder: boolean;
  loadingOlder: boolean;
  hasNewer: boolean;
  loadingNewer: boolean;
}

function Header({ context }: { context?: ListContext }) {
  if (!context) return null;
  if (context.hasOlder) return <div className="older">{context.loadingOlder ? "Loading older messages…" : "Scroll up for older messages"}</div>;
  return <div className="older">This is the beginning of the conversation.</div>;
}

function Footer({ context }: { context?: ListContext }) {
  if (!context?.hasNewer) return <div className="list-end" />;
  return <div className="older">{context.loadingNewer ? "Loading newer messages…" : "Scroll down for newer messages"}</div>;
}

/** The conversation's own scroll region, virtualised (only rows near the view are in the
 * DOM). Opens at the first unread (under a divider), a search hit (centred) or the newest;
 * follows new messages while at the bottom; otherwise counts them in a pill. */
export function MessageList(props: Props) {
  const { me, title, messages, hasOlder, loadingOlder, onLoadOlder, hasNewer, loadingNewer, onLoadNewer, highlightId, unreadFromId, onAtBottom } = props;
  const virtuoso = useRef<VirtuosoHandle>(null);
  const firstRow = useRef<{ key: string; index: number } | null>(null);
  const [atBottom, setAtBottom] = useState(true);
  const [lastSeenKey, setLastSeenKey] = useState<string | null>(null);

  const firstItemIndex = nextFirstItemIndex(firstRow.current, messages, START_INDEX);
  useEffect(() => {
    const first = messages[0];
    firstRow.current = first ? { key: rowKey(first), index: firstItemIndex } : null;
  }, [messages, firstItemIndex]);

  // Where the list opens; read once, when Virtuoso mounts (the page remounts it per open).
  const [initial] = useState(() => {
    const at = (id: string | null | undefined) => (id ? messages.findIndex((m) => m.id === id) : -1);
    const hit = at(highlightId);
    if (hit >= 0) return { index: hit, align: "center" as const };
    const unread = at(unreadFromId);
    if (unread >= 0) return { index: unread, align: "start" as const };
    return { index: Math.max(0, messages.length - 1), align: "end" as const };
  });

  // Rows are measured after they render (names, images): the opening position is applied
  // again once they settle, unless the reader already moved.
  const moved = useRef(false);
  useEffect(() => {
    const timers = [50, 200, 500].map((ms) =>
      setTimeout(() => {
        if (!moved.current) virtuoso.current?.scrollToIndex(initial.align === "end" ? { index: "LAST", align: "end" } : initial);
      }, ms),
    );
    return () => timers.forEach(clearTimeout);
  }, [initial]);

  const last = messages[messages.length - 1];
  const lastKey = last ? rowKey(last) : null;
  // While scrolled up, what arrives below is counted from the last row seen at the bottom.
  useEffect(() => {
    if (atBottom) setLastSeenKey(lastKey);
  }, [atBottom, lastKey]);
  const unseen = atBottom ? 0 : countAfter(messages, lastSeenKey);

  const context = useMemo<ListContext>(() => ({ hasOlder, loadingOlder, hasNewer, loadingNewer }), [hasOlder, loadingOlder, hasNewer, loadingNewer]);

  if (messages.length === 0 && !hasOlder) {
    return (
      <div className="messages-region" data-testid="messages">
        <div className="empty-conversation" data-testid="empty-conversation">
          <h3>This is the very beginning of {title}</h3>
          <p className="muted">No messages yet. Say hello below, share a file by dropping it here, or invite people from Members.</p>
        </div>
      </div>
    );
  }

  const toBottom = () => {
    if (hasNewer) onLoadNewer();
    virtuoso.current?.scrollToIndex({ index: messages.length - 1, align: "end" });
  };

  return (
    <div
      className="messages-region"
      data-testid="messages"
      onWheel={() => (moved.current = true)}
      onTouchMove={() => (moved.current = true)}
      onKeyDown={() => (moved.current = true)}
      onMouseDown={() => (moved.current = true)}
    >
      <Virtuoso
        ref={virtuoso}
        className="messages"
        data-testid="message-scroller"
        data={messages}
        context={context}
        firstItemIndex={firstItemIndex}
        initialTopMostItemIndex={initial}
        computeItemKey={(_, m) => rowKey(m)}
        alignToBottom
        atBottomThreshold={40}
        atBottomStateChange={(bottom) => {
          setAtBottom(bottom);
          onAtBottom?.(bottom);
        }}
        // At the bottom, new rows stay in view; my own send always brings the view down.
        followOutput={(bottom) => (bottom || (last?.authorId === me && last.state !== "sent") ? "auto" : false)}
        startReached={() => {
          if (hasOlder && !loadingOlder) onLoadOlder();
        }}
        endReached={() => {
          if (hasNewer && !loadingNewer) onLoadNewer();
        }}
        increaseViewportBy={{ top: 600, bottom: 600 }}
        components={{ Header, Footer }}
        itemContent={(_, m) => (
          <div className="message-row">
            {m.id === unreadFromId && (
              <div className="new-divider" data-testid="new-messages-divider" role="separator">
                <span>New messages</span>
              </div>
            )}
            <MessageRow
              m={m}
              me={me}
              onRetry={props.onRetry}
              onEdit={props.onEdit}
              onDelete={props.onDelete}
              onReact={props.onReact}
              userKey={props.userKey}
              user={props.user}
              usersVersion={props.usersVersion}
              api={props.api}
              highlighted={m.id === highlightId}
            />
          </div>
        )}
      />
      {unseen > 0 && (
        <button className="new-pill" onClick={toBottom} data-testid="new-messages-pill">
          {unseen} new message{unseen === 1 ? "" : "s"} ↓
        </button>
      )}
    </div>
  );
}
