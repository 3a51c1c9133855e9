import { useEffect, useRef, useState } from "react";

import type { Api } from "../lib/api";
import { mentionedIds } from "../lib/mentions";
import type { UiMessage } from "../lib/store/messages";
import type { UserProfile } from "../lib/types";
import { AttachmentView } from "./AttachmentView";
import { EditMessage } from "./EditMessage";
import { MessageBody } from "./MessageBody";
import { AddReaction, Reactions } from "./Reactions";

function time(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

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
}

export function MessageRow({ m, me, onRetry, onEdit, onDelete, onReact, userKey, user, api, highlighted }: RowProps) {
  const [editing, setEditing] = useState(false);
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
    refocus.current = true;
    setEditing(false);
  };
  const deleted = Boolean(m.deletedAt);
  const mine = m.authorId === me;
  const author = user(m.authorId);
  const mentioned = m.mentions.map((id) => user(id)).filter((u): u is UserProfile => Boolean(u));
  const mentionsMe = m.mentions.includes(me);
  return (
    <div
      className={`message state-${m.state} ${deleted ? "deleted" : ""} ${mentionsMe && !deleted ? "mentions-me" : ""} ${highlighted ? "highlighted" : ""}`}
      data-testid="message"
      data-message-id={m.id}
      data-state={m.state}
      data-client-id={m.clientMessageId}
    >
      <div className="meta">
        <strong title={author ? `@${author.handle}` : m.authorId}>{author?.displayName ?? m.authorId}</strong>
        <span className="muted">{time(m.createdAt)}</span>
        {m.editedAt && !deleted && <span className="muted">(edited)</span>}
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
        {m.state === "sent" && !deleted && !editing && (
          <span className="actions">
            <AddReaction messageId={m.id} userKey={userKey} onReact={onReact} />
            {mine && (
              <>
                <button ref={editButton} className="link" onClick={() => setEditing(true)} data-testid="edit">
                  Edit
                </button>
                <button className="link" onClick={() => onDelete(m.id)} data-testid="delete">
                  Delete
                </button>
              </>
            )}
          </span>
        )}
      </div>
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
    </div>
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

