//! Attribute names the use cases read, update or put conditions on, in one place. Items are
//! otherwise written whole from the domain's serde types (`codec`), whose field names are these.

/// Conversation (`META`).
pub const LAST_SEQ: &str = "lastSeq";
pub const MESSAGE_COUNT: &str = "messageCount";
pub const LAST_MESSAGE_AT: &str = "lastMessageAt";
pub const DELETED_ORDINALS: &str = "deletedOrdinals";
/// A channel's name, topic and archived state (on `META`, and on a public channel's name claim).
pub const NAME: &str = "name";
pub const TOPIC: &str = "topic";
pub const ARCHIVED: &str = "archived";

/// Membership (`CONV#` in the user's partition); a followed thread's `readCount` too.
pub const READ_SEQ: &str = "readSeq";
pub const READ_COUNT: &str = "readCount";
/// Membership: the member's notification level, when they chose one.
pub const NOTIFICATION_LEVEL: &str = "notificationLevel";

/// Followed thread (`THREAD#` in the user's partition).
pub const CONVERSATION_ID: &str = "conversationId";
pub const ROOT_ID: &str = "rootId";
pub const MENTION_COUNT: &str = "mentionCount";

/// Message (`MSG#`), with its position among the conversation's messages (not shown).
pub const ORDINAL: &str = "ordinal";
/// On a message: how many edits it has had (its versions are numbered by it).
pub const EDITS: &str = "edits";
pub const BODY: &str = "body";
pub const MENTIONS: &str = "mentions";
pub const ATTACHMENTS: &str = "attachments";
pub const EDITED_AT: &str = "editedAt";
pub const DELETED_AT: &str = "deletedAt";
pub const UPDATED_SEQ: &str = "updatedSeq";
/// A thread root's summary, and its `lastReplySeq` as a top-level attribute that replies put
/// their condition on.
pub const THREAD: &str = "thread";
pub const THREAD_SEQ: &str = "threadSeq";
/// The reaction summary, and the seq of its latest change (the condition that keeps concurrent
/// reactions from overwriting each other; a delete sets it too, so a reaction racing it fails).
pub const REACTIONS: &str = "reactions";
pub const REACTIONS_SEQ: &str = "reactionsSeq";

/// Upload intent: the message it was attached to.
pub const ATTACHED_TO: &str = "attachedTo";

/// Change record (`CHG#`), and references in small index items.
pub const SEQ: &str = "seq";
pub const USER_ID: &str = "userId";
pub const TENANT_ID: &str = "tenantId";

/// Connection.
pub const SUBSCRIPTIONS: &str = "subscriptions";
pub const LAST_SEEN_AT: &str = "lastSeenAt";
pub const WATCHING: &str = "watching";
// Presence (the user's presence item; a connection's index entry)
pub const STATUS: &str = "status";
pub const AWAY_BY_CHOICE: &str = "awayByChoice";
pub const IDLE: &str = "idle";

/// Profile: its handle is claimed (`HANDLE#` item). Profiles written before handles were claimed
/// lack it and claim theirs at first sight.
pub const HANDLE_CLAIMED: &str = "handleClaimed";

/// Rate counter.
pub const COUNT: &str = "count";

/// Archive watermark and purge marks.
pub const WATERMARK: &str = "watermark";
pub const MARKS: &str = "marks";
/// The archive watermark's marker that a conversation's archived days were all marked once.
pub const PURGE_SCANNED: &str = "purgeScanned";
