import { useCallback, useLayoutEffect, useRef, useState } from "react";

import type { Api } from "../lib/api";
import type { OpenThread } from "../lib/controller/state";
import { rowKey } from "../lib/conversation-view";
import { threadDraftKey } from "../lib/drafts";
import type { ThreadView, UiMessage } from "../lib/store/messages";
import { replyCountLabel } from "../lib/threads";
import type { UserProfile } from "../lib/types";
import { Composer, type ReadyFile } from "./Composer";
import { EditHistory } from "./EditHistory";
import { usePanel } from "./Dialog";
import { MessageRow } from "./MessageRow";

interface Props {
  api: Api;
  me: string;
  thread: OpenThread;
  view: ThreadView;
  /** "#general", or the other person's name. */
  title: string;
  user: (id: string) => UserProfile | undefined;
  usersVersion: number;
  onClose: () => void;
  onSend: (body: string, mentions: string[], files: ReadyFile[], alsoInChannel: boolean) => void;
  onPicked: (users: UserProfile[]) => void;
  onRetry: (clientMessageId: string) => void;
  onEdit: (id: string, body: string, mentions: string[]) => void;
  onDelete: (id: string) => void;
  onReact: (id: string, emoji: string, add: boolean) => void;
  /** A channel or tenant admin: Delete on other people's replies too. */
  moderator?: boolean;
  /** The channel is archived: the thread is read-only. */
  readOnly?: boolean;
  /** Whose recently used emoji the picker shows. */
  userKey: string;
  onFollow: (following: boolean) => void;
  onLoadMore: () => void;
}

/** How close to the end counts as "at the bottom" (new replies keep it there). */
const BOTTOM_PX = 40;
const NO_FILES: File[] = [];

/** The thread beside the conversation: the root, its replies in their own scroll region (opening
 * at the newest, or at a search hit), a composer of its own. Escape or Close closes it and the
 * keyboard goes back where it was. */
export function ThreadPanel(props: Props) {
  const { api, me, thread, view, title, user, usersVersion, onClose, onSend } = props;
  usePanel(onClose);
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const placed = useRef(false);
  const [alsoInChannel, setAlsoInChannel] = useState(false);
  const [focusComposer, setFocusComposer] = useState(true);
  const [historyOf, setHistoryOf] = useState<UiMessage | null>(null);
  const focusTaken = useCallback(() => setFocusComposer(false), []);

  const replies = view.replies;
  const last = replies[replies.length - 1];
  // Opens at the newest reply (or the hit), then stays at the bottom while it is there; my own
  // send always brings the view down.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el || !view.loaded) return;
    if (!placed.current) {
      placed.current = true;
      const hit = thread.highlightId ? el.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(thread.highlightId)}"]`) : null;
      if (hit) {
        hit.scrollIntoView({ block: "center" });
        atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_PX;
        return;
      }
      el.scrollTop = el.scrollHeight;
      return;
    }
    if (atBottom.current || (last?.authorId === me && last.state !== "sent")) el.scrollTop = el.scrollHeight;
  }, [view.loaded, replies, last, me, thread.highlightId]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_PX;
    if (atBottom.current && view.afterCursor) props.onLoadMore();
  };

  const row = (m: UiMessage) => (
    <div className="message-row" key={rowKey(m)}>
      <MessageRow
        m={m}
        me={me}
        onRetry={props.onRetry}
        onEdit={props.onEdit}
        onDelete={props.onDelete}
        onReact={props.onReact}
        userKey={props.userKey}
        user={user}
        usersVersion={usersVersion}
        api={api}
        highlighted={m.id === thread.highlightId}
        moderator={props.moderator}
        readOnly={props.readOnly}
        onShowHistory={setHistoryOf}
      />
    </div>
  );
  const count = view.root?.thread?.replyCount ?? replies.filter((r) => r.state === "sent").length;
  return (
    <aside className="thread-panel" aria-label="Thread" data-testid="thread-panel" data-root-id={thread.rootId}>
      <header className="thread-header">
        <button className="thread-back" onClick={onClose} aria-label="Back to the conversation" data-testid="thread-back">
          ← Back
        </button>
        <div className="thread-heading">
          <h3>Thread</h3>
          <span className="muted">{title}</span>
        </div>
        {thread.following !== null && (
          <button onClick={() => props.onFollow(!thread.following)} aria-pressed={thread.following} data-testid="thread-follow">
            {thread.following ? "Following" : "Follow"}
          </button>
        )}
        <button className="link thread-close" onClick={onClose} aria-label="Close thread" data-testid="thread-close">
          ✕
        </button>
      </header>
      <div className="thread-scroll" ref={scroller} onScroll={onScroll} data-testid="thread-replies">
        {view.root ? row(view.root) : !view.loaded && <p className="older">Loading the thread…</p>}
        {view.root && (
          <div className="thread-divider" role="separator">
            <span>{count > 0 ? replyCountLabel(count) : "No replies yet"}</span>
          </div>
        )}
        {replies.map(row)}
        {view.afterCursor && <p className="older">Loading more replies…</p>}
      </div>
      {props.readOnly ? (
        <p className="archived-notice" role="status" data-testid="thread-archived-notice">
          This channel is archived: its threads take no replies.
        </p>
      ) : (
      <Composer
        key={`thread-composer-${thread.conversationId}-${thread.rootId}`}
        api={api}
        me={me}
        draftOwner={props.userKey}
        conversationId={thread.conversationId}
        draftKey={threadDraftKey(thread.conversationId, thread.rootId)}
        placeholder="Reply…"
        label="Reply in thread"
        onSend={(body, mentions, files) => {
          onSend(body, mentions, files, alsoInChannel);
          setAlsoInChannel(false);
        }}
        onPicked={props.onPicked}
        incomingFiles={NO_FILES}
        onIncomingTaken={() => undefined}
        takeFocus={focusComposer}
        onFocusTaken={focusTaken}
        footer={
          <label className="also-send">
            <input type="checkbox" checked={alsoInChannel} onChange={(e) => setAlsoInChannel(e.target.checked)} data-testid="also-send" />
            Also send to {title}
          </label>
        }
      />
      )}
      {historyOf && <EditHistory message={historyOf} api={api} me={me} user={user} onClose={() => setHistoryOf(null)} />}
    </aside>
  );
}
