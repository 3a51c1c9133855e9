import { replyCountLabel } from "../lib/threads";
import type { FollowedThread, Message, UserProfile } from "../lib/types";

interface Props {
  followed: FollowedThread[];
  /** "#general", or the other person's name (null when the conversation is not listed). */
  conversationTitle: (id: string) => string | null;
  user: (id: string) => UserProfile | undefined;
  onOpen: (t: FollowedThread) => void;
  /** Absent when every followed thread is shown. */
  onMore?: () => void;
}

function Line({ m, user, testId }: { m: Message; user: Props["user"]; testId: string }) {
  const author = user(m.authorId)?.displayName ?? m.authorId;
  return (
    <p className="thread-line" data-testid={testId}>
      <strong>{author}</strong> <span className={m.deletedAt ? "muted" : ""}>{m.deletedAt ? "This message was deleted." : m.body}</span>
    </p>
  );
}

/** The threads I follow, newest reply first: each opens its thread (and reads it). */
export function ThreadsView({ followed, conversationTitle, user, onOpen, onMore }: Props) {
  return (
    <div className="threads-view" data-testid="threads-view">
      {followed.length === 0 && (
        <p className="empty">No threads yet. Threads you start, reply in or are mentioned in show here.</p>
      )}
      <ul>
        {followed.map((t) => (
          <li key={`${t.conversationId}/${t.root.id}`}>
            <button className={`followed-thread ${t.unreadReplies > 0 ? "unread" : ""}`} onClick={() => onOpen(t)} data-testid="followed-thread" data-root-id={t.root.id}>
              <span className="followed-head">
                <strong>{conversationTitle(t.conversationId) ?? "Conversation"}</strong>
                {t.root.thread && <span className="muted">{replyCountLabel(t.root.thread.replyCount)}</span>}
                {t.unreadReplies > 0 && (
                  <span className="badge" data-testid="followed-unread">
                    {t.unreadReplies} new
                  </span>
                )}
              </span>
              <Line m={t.root} user={user} testId="followed-root" />
              {t.lastReplies.map((r) => (
                <span className="followed-reply" key={r.id}>
                  <Line m={r} user={user} testId="followed-reply" />
                </span>
              ))}
            </button>
          </li>
        ))}
      </ul>
      {onMore && (
        <button className="more-threads" onClick={onMore} data-testid="more-threads">
          More threads
        </button>
      )}
    </div>
  );
}
