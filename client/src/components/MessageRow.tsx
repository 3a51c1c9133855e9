import { useEffect, useRef, useState, type KeyboardEvent } from "react";

import type { Api } from "../lib/api";
import { timeOfDay } from "../lib/days";
import { excerpt } from "../lib/live-log";
import { copyText } from "../lib/clipboard";
import { mentionedIds } from "../lib/mentions";
import { messageLink } from "../lib/route";
import type { UiMessage } from "../lib/store/messages";
import { replyCountLabel } from "../lib/threads";
import type { ThreadSummary, UserProfile } from "../lib/types";
import { AttachmentView } from "./AttachmentView";
import { EditMessage } from "./EditMessage";
import { MessageBody } from "./MessageBody";
import { AddReaction, Reactions } from "./Reactions";

export interface RowProps {
  m: UiMessage;
  me: string;
  onRetry: (clientMessageId: string) => void;
  onEdit: (id: string, body: string, mentions: string[]) => void;
  onDelete: (id: string) => void;
  onReact: (id: string, emoji: string, add: boolean) => void;
  /** Whose recently used emoji the picker shows (`tenant/user`). */
  userKey: string;
  user: (id: string) => UserProfile | undefined;
  usersVersion: number;
  api: Api;
  highlighted: boolean;
  /** Opens a message's thread (the main list's rows; absent in the thread panel). */
  onOpenThread?: (rootId: string) => void;
  /** Its thread is open in the panel beside the list. */
  threadOpen?: boolean;
  /** A channel or tenant admin: Delete (never Edit) on other people's messages too. */
  moderator?: boolean;
  /** An archived channel: no reacting, replying, editing or deleting (the server refuses them). */
  readOnly?: boolean;
  /** Set (a new number each time) to start editing from outside (Up in the composer). */
  editRequest?: number;
  /** An edit started by `editRequest` ended: the composer takes the keyboard back. */
  onEditRequestEnd?: () => void;
  onShowHistory?: (m: UiMessage) => void;
  /** In the main list: the row is a stop of its roving tabindex (see MessageList). */
  rowFocus?: { tabIndex: number; onKeyDown: (e: KeyboardEvent<HTMLElement>) => void };
}

export function MessageRow({ m, me, onRetry, onEdit, onDelete, onReact, userKey, user, api, highlighted, onOpenThread, threadOpen, moderator, readOnly, editRequest, onEditRequestEnd, onShowHistory, rowFocus }: RowProps) {
  const [editing, setEditing] = useState(false);
  const requested = useRef(false);
  useEffect(() => {
    if (editRequest === undefined) return;
    requested.current = true;
    setEditing(true);
  }, [editRequest]);
  // After an edit, focus goes back to the Edit button it started from (keyboard users keep
  // their place in the list).
  const editButton = useRef<HTMLButtonElement>(null);
  const refocus = useRef(false);
  useEffect(() => {
    if (!editing && refocus.current) {
      refocus.current = false;
      editButton.current?.focus();
    }
  }, [editing]);
  const finishEditing = () => {
    if (requested.current) {
      requested.current = false;
      onEditRequestEnd?.();
    } else refocus.current = true;
    setEditing(false);
  };
  const deleted = Boolean(m.deletedAt);
  const mine = m.authorId === me;
  const author = user(m.authorId);
  const mentioned = m.mentions.map((id) => user(id)).filter((u): u is UserProfile => Boolean(u));
  const mentionsMe = m.mentions.includes(me);
  return (
    <div
      className={`message state-${m.state} ${deleted ? "deleted" : ""} ${mentionsMe && !deleted ? "mentions-me" : ""} ${highlighted ? "highlighted" : ""} ${threadOpen ? "thread-open" : ""}`}
      data-testid="message"
      data-message-id={m.id}
      data-state={m.state}
      data-client-id={m.clientMessageId}
      {...(rowFocus
        ? {
            tabIndex: rowFocus.tabIndex,
            onKeyDown: rowFocus.onKeyDown,
            "data-roving-row": "",
            role: "article",
            "aria-label": `${author?.displayName ?? m.authorId}, ${timeOfDay(m.createdAt)}: ${deleted ? "This message was deleted." : excerpt(m.body)}`,
            "aria-keyshortcuts": "ArrowUp ArrowDown Home End R T E H Delete",
          }
        : {})}
    >
      <div className="meta">
        <strong title={author ? `@${author.handle}` : m.authorId}>{author?.displayName ?? m.authorId}</strong>
        <span className="muted">{timeOfDay(m.createdAt)}</span>
        {m.editedAt && !deleted && (
          <button className="link muted edited" onClick={() => onShowHistory?.(m)} aria-haspopup="dialog" title="Show earlier versions" data-testid="edited">
            (edited)
          </button>
        )}
        {m.state === "pending" && m.retryAt === undefined && (
          <span className="unsent" data-testid="pending">
            <ClockIcon />
            Sending…
          </span>
        )}
        {m.state === "pending" && m.retryAt !== undefined && <RetryCountdown retryAt={m.retryAt} onRetry={() => onRetry(m.clientMessageId)} />}
        {m.state === "failed" && (
          <span className="failed" role="alert" data-testid="failed">
            ⚠ Not sent{m.error ? `: ${m.error}` : ""}
            <button onClick={() => onRetry(m.clientMessageId)} data-testid="retry">
              Retry
            </button>
          </span>
        )}
        {m.state === "sent" && !deleted && !editing && !readOnly && (
          <span className="actions">
            <AddReaction messageId={m.id} userKey={userKey} onReact={onReact} />
            {onOpenThread && !m.threadRootId && (
              <button className="link" onClick={() => onOpenThread(m.id)} data-testid="reply-in-thread">
                Reply in thread
              </button>
            )}
            <CopyLink conversationId={m.conversationId} messageId={m.id} threadRootId={m.threadRootId ?? null} />
            {mine && (
              <button ref={editButton} className="link" onClick={() => setEditing(true)} data-testid="edit">
                Edit
              </button>
            )}
            {(mine || moderator) && (
              <button className="link" onClick={() => onDelete(m.id)} aria-label={mine ? "Delete" : `Delete ${author?.displayName ?? m.authorId}'s message`} data-testid="delete">
                Delete
              </button>
            )}
          </span>
        )}
      </div>
      {onOpenThread && m.threadRootId && m.alsoInChannel && (
        <button className="link replied-to" onClick={() => onOpenThread(m.threadRootId ?? "")} data-testid="replied-to-thread">
          replied to a thread
        </button>
      )}
      {deleted ? (
        <div className="body muted">This message was deleted.</div>
      ) : editing ? (
        <EditMessage
          body={m.body}
          onSave={(body) => {
            onEdit(m.id, body, mentionedIds(body, mentioned));
            finishEditing();
          }}
          onCancel={finishEditing}
        />
      ) : (
        <MessageBody body={m.body} mentioned={mentioned} me={me} user={user} />
      )}
      {!deleted && m.attachments.length > 0 && (
        <div className="attachments">
          {m.attachments.map((a) => (
            <AttachmentView key={a.id} attachment={a} api={api} />
          ))}
        </div>
      )}
      {!deleted && m.state === "sent" && <Reactions messageId={m.id} reactions={m.reactions ?? []} me={me} userKey={userKey} user={user} onReact={onReact} />}
      {onOpenThread && !m.threadRootId && m.thread && m.thread.replyCount > 0 && <ThreadSummaryLine thread={m.thread} user={user} onOpen={() => onOpenThread(m.id)} />}
    </div>
  );
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? "?") + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? "") : "")).toUpperCase();
}

function replyTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const today = new Date().toDateString() === d.toDateString();
  return today ? timeOfDay(iso) : d.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

/** Under a root: who replied (initials), how many replies, when the last came; a button, so
 * Enter or a click opens the thread. */
export function ThreadSummaryLine({ thread, user, onOpen }: { thread: ThreadSummary; user: (id: string) => UserProfile | undefined; onOpen: () => void }) {
  const names = thread.participantIds.map((id) => user(id)?.displayName ?? id);
  const label = `${replyCountLabel(thread.replyCount)} from ${names.join(", ")}, last reply ${replyTime(thread.lastReplyAt)}. Open thread`;
  return (
    <button className="thread-summary" onClick={onOpen} aria-label={label} data-testid="thread-summary">
      <span className="avatars" aria-hidden="true">
        {names.map((name, i) => (
          <span key={thread.participantIds[i]} className="avatar" title={name} data-testid="thread-participant">
            {initials(name)}
          </span>
        ))}
      </span>
      <strong className="reply-count" data-testid="thread-reply-count">
        {replyCountLabel(thread.replyCount)}
      </strong>
      <span className="participants muted" data-testid="thread-participants">
        {names.map((n) => n.split(/\s+/)[0] ?? n).join(", ")}
      </span>
      <span className="muted last-reply">Last reply {replyTime(thread.lastReplyAt)}</span>
    </button>
  );
}

/** "Copy link": the message's address (a reply's opens its thread at it) on the clipboard, and
 * the button says so for a moment (read out: its name changes while it has focus). */
function CopyLink({ conversationId, messageId, threadRootId }: { conversationId: string; messageId: string; threadRootId: string | null }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  useEffect(() => {
    if (copied === null) return;
    const timer = setTimeout(() => setCopied(null), 2000);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <button className="link" onClick={() => void copyText(messageLink(conversationId, messageId, threadRootId)).then(setCopied)} data-testid="copy-link">
      {copied === null ? "Copy link" : copied ? "Link copied" : "Could not copy"}
    </button>
  );
}

/** Drawn, not an emoji: not every system has an emoji font (the clock would be a box). */
function ClockIcon() {
  return (
    <svg className="clock" width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
      <circle cx="6" cy="6" r="5" fill="none" stroke="currentColor" strokeWidth="1.3" />
      <path d="M6 3.2V6l1.9 1.3" fill="none" stroke="currentColor" strokeWidth="1.3" strokeLinecap="round" />
    </svg>
  );
}

/** A rate-limited send: the seconds left until it goes out by itself, each second. */
function RetryCountdown({ retryAt, onRetry }: { retryAt: number; onRetry: () => void }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [retryAt]);
  const seconds = Math.max(0, Math.ceil((retryAt - now) / 1000));
  return (
    <span className="unsent limited" role="status" data-testid="retry-countdown">
      <ClockIcon />
      {seconds > 0 ? `Rate limited — retrying in ${seconds} s…` : "Sending…"}
      <button className="link" onClick={onRetry} data-testid="retry-now">
        Retry now
      </button>
    </span>
  );
}

