/** The topic line under a channel's name: for those who may manage the channel a button that
 * opens the settings on the topic (click, Enter or Space); for others plain text. */
export function ChannelTopic({ topic, archived, editable, onEdit }: { topic: string | undefined; archived: boolean; editable: boolean; onEdit: () => void }) {
  const marker = archived ? (
    <span className="archived-tag" data-testid="archived-tag">
      Archived
    </span>
  ) : null;
  if (editable && !archived) {
    return (
      <p className="topic">
        <button className={`topic-edit ${topic ? "" : "muted"}`} onClick={onEdit} aria-label={topic ? `Topic: ${topic}. Edit topic` : "Add a topic"} data-testid="channel-topic">
          {topic ?? "Add a topic"}
        </button>
      </p>
    );
  }
  if (!topic && !marker) return null;
  return (
    <p className="topic">
      {marker}
      {topic && <span data-testid="channel-topic">{topic}</span>}
    </p>
  );
}

/** The settings button's mark where its word does not fit (drawn: emoji fonts are not everywhere). */
export function MoreIcon() {
  return (
    <svg className="more-icon" width="16" height="4" viewBox="0 0 16 4" aria-hidden="true">
      <circle cx="2" cy="2" r="1.75" fill="currentColor" />
      <circle cx="8" cy="2" r="1.75" fill="currentColor" />
      <circle cx="14" cy="2" r="1.75" fill="currentColor" />
    </svg>
  );
}

/** In place of the composer in an archived channel. */
export function ArchivedNotice({ canUnarchive, onUnarchive }: { canUnarchive: boolean; onUnarchive: () => void }) {
  return (
    <div className="archived-notice" role="status" data-testid="archived-notice">
      <span>
        <strong>This channel is archived.</strong> You can read and search its messages, but nobody can post in it.
      </span>
      {canUnarchive && (
        <button onClick={onUnarchive} data-testid="unarchive-button">
          Unarchive
        </button>
      )}
    </div>
  );
}
