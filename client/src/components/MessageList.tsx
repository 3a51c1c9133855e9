import { useEffect, useMemo, useRef, useState } from "react";
import { Virtuoso, type VirtuosoHandle } from "react-virtuoso";

import type { Api } from "../lib/api";
import { countAfter, nextFirstItemIndex, rowKey } from "../lib/conversation-view";
import { mentionedIds, segments } from "../lib/mentions";
import { formatSize } from "../lib/uploads";
import { EditMessage } from "./EditMessage";
import type { UiMessage } from "../lib/store/messages";
import type { Attachment, UserProfile } from "../lib/types";

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

function time(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
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
        {mine && m.state === "sent" && !deleted && !editing && (
          <span className="actions">
            <button ref={editButton} className="link" onClick={() => setEditing(true)} data-testid="edit">
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
        <EditMessage
          body={m.body}
          onSave={(body) => {
            onEdit(m.id, body, mentionedIds(body, mentioned));
            finishEditing();
          }}
          onCancel={finishEditing}
        />
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
  const [downloadError, setDownloadError] = useState<string | null>(null);
  // The presigned URL is another origin on AWS (S3), where `download` on a link is ignored and
  // the browser would navigate away: fetch it into a blob and save that under the file's name.
  const download = async () => {
    setDownloadError(null);
    try {
      const { url } = await api.attachmentUrl(attachment.id);
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const blob = URL.createObjectURL(await response.blob());
      const link = document.createElement("a");
      link.href = blob;
      link.download = attachment.name;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(blob), 10_000);
    } catch (e) {
      setDownloadError(e instanceof Error ? e.message : "download failed");
    }
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
      {downloadError && (
        <span className="error" role="alert">
          Could not download: {downloadError}
        </span>
      )}
    </div>
  );
}
