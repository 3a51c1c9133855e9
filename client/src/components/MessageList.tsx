import { useEffect, useLayoutEffect, useRef, useState } from "react";

import type { Api } from "../lib/api";
import { mentionedIds, segments } from "../lib/mentions";
import { formatSize } from "../lib/uploads";
import type { UiMessage } from "../lib/store/messages";
import type { Attachment, UserProfile } from "../lib/types";

interface Props {
  me: string;
  messages: UiMessage[];
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  onRetry: (clientMessageId: string) => void;
  onEdit: (id: string, body: string, mentions: string[]) => void;
  onDelete: (id: string) => void;
  /** Profile lookup (fetched in the background when unknown). */
  user: (id: string) => UserProfile | undefined;
  /** Changes when profiles arrive, so rows re-render with names. */
  usersVersion: number;
  api: Api;
  highlightId?: string | null;
}

function time(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function MessageList({ me, messages, hasOlder, loadingOlder, onLoadOlder, onRetry, onEdit, onDelete, user, usersVersion, api, highlightId }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  const previousHeight = useRef(0);
  const previousFirst = useRef<string | undefined>(undefined);

  // Stay at the bottom for new messages; keep the view steady when older ones are prepended.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const first = messages[0]?.id;
    if (previousFirst.current && first !== previousFirst.current && !stickToBottom.current) {
      el.scrollTop += el.scrollHeight - previousHeight.current;
    } else if (stickToBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
    previousFirst.current = first;
    previousHeight.current = el.scrollHeight;
  }, [messages]);

  // A search result: bring it into view.
  useEffect(() => {
    if (!highlightId) return;
    const el = scroller.current?.querySelector(`[data-message-id="${highlightId}"]`);
    if (el) {
      stickToBottom.current = false;
      el.scrollIntoView({ block: "center" });
    }
  }, [highlightId, messages]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (el.scrollTop < 80 && hasOlder && !loadingOlder) onLoadOlder();
  };

  // A short first page may not fill the view: fetch older until it scrolls.
  useEffect(() => {
    const el = scroller.current;
    if (el && hasOlder && !loadingOlder && el.scrollHeight <= el.clientHeight) onLoadOlder();
  }, [hasOlder, loadingOlder, messages, onLoadOlder]);

  return (
    <div className="messages" ref={scroller} onScroll={onScroll} data-testid="messages">
      {hasOlder && <div className="older">{loadingOlder ? "Loading older messages…" : "Scroll up for older messages"}</div>}
      {!hasOlder && messages.length > 0 && <div className="older">This is the beginning of the conversation.</div>}
      {messages.map((m) => (
        <MessageRow
          key={m.state === "sent" ? m.id : `pending-${m.clientMessageId}`}
          m={m}
          me={me}
          onRetry={onRetry}
          onEdit={onEdit}
          onDelete={onDelete}
          user={user}
          usersVersion={usersVersion}
          api={api}
          highlighted={m.id === highlightId}
        />
      ))}
    </div>
  );
}

interface RowProps {
  m: UiMessage;
  me: string;
  onRetry: Props["onRetry"];
  onEdit: Props["onEdit"];
  onDelete: Props["onDelete"];
  user: Props["user"];
  usersVersion: number;
  api: Api;
  highlighted: boolean;
}

function MessageRow({ m, me, onRetry, onEdit, onDelete, user, api, highlighted }: RowProps) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(m.body);
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
        {m.state === "pending" && <span className="spinner" aria-label="sending" data-testid="pending" />}
        {m.state === "failed" && (
          <span className="failed" role="alert" data-testid="failed">
            ⚠ Not sent{m.error ? `: ${m.error}` : ""}
            <button onClick={() => onRetry(m.clientMessageId)} data-testid="retry">
              Retry
            </button>
          </span>
        )}
        {mine && m.state === "sent" && !deleted && !editing && (
          <span className="actions">
            <button
              className="link"
              onClick={() => {
                setDraft(m.body);
                setEditing(true);
              }}
              data-testid="edit"
            >
              Edit
            </button>
            <button className="link" onClick={() => onDelete(m.id)} data-testid="delete">
              Delete
            </button>
          </span>
        )}
      </div>
      {deleted ? (
        <div className="body muted">This message was deleted.</div>
      ) : editing ? (
        <form
          className="edit-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (draft.trim() && draft !== m.body) onEdit(m.id, draft, mentionedIds(draft, mentioned));
            setEditing(false);
          }}
        >
          <textarea value={draft} onChange={(e) => setDraft(e.target.value)} rows={2} data-testid="edit-input" />
          <button type="submit">Save</button>
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <div className="body" data-testid="message-body">
          {segments(m.body, mentioned).map((segment, i) =>
            segment.kind === "text" ? (
              <span key={i}>{segment.text}</span>
            ) : (
              <span key={i} className={`chip ${segment.userId === me ? "chip-me" : ""}`} data-testid="mention-chip" title={user(segment.userId)?.displayName}>
                {segment.text}
              </span>
            ),
          )}
        </div>
      )}
      {!deleted && m.attachments.length > 0 && (
        <div className="attachments">
          {m.attachments.map((a) => (
            <AttachmentView key={a.id} attachment={a} api={api} />
          ))}
        </div>
      )}
    </div>
  );
}

const INLINE_IMAGES = ["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"];

/** Name, size and a download link; safe image types get a preview. URLs are fetched on demand
 * (a link cannot carry the bearer token) and are short-lived. */
function AttachmentView({ attachment, api }: { attachment: Attachment; api: Api }) {
  const pending = attachment.id.startsWith("pending-");
  const isImage = INLINE_IMAGES.includes(attachment.contentType);
  const [preview, setPreview] = useState<string | null>(null);
  useEffect(() => {
    if (pending || !isImage) return;
    let cancelled = false;
    api
      .attachmentUrl(attachment.id)
      .then(({ url }) => !cancelled && setPreview(url))
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [api, attachment.id, isImage, pending]);
  const download = async () => {
    const { url } = await api.attachmentUrl(attachment.id);
    const link = document.createElement("a");
    link.href = url;
    link.rel = "noopener";
    document.body.appendChild(link);
    link.click();
    link.remove();
  };
  return (
    <div className="attachment" data-testid="attachment">
      {preview && <img src={preview} alt={attachment.name} className="preview" data-testid="attachment-preview" />}
      <span className="attachment-name">{attachment.name}</span>
      <span className="muted">{formatSize(attachment.size)}</span>
      {!pending && (
        <button className="link" onClick={() => void download()} data-testid="attachment-download">
          Download
        </button>
      )}
    </div>
  );
}
