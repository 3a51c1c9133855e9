//! What the API shows and the table stores. Messages are stored in the same camelCase shape they
//! are shown in (plus the key and a few bookkeeping attributes), so there is one mapping.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::ids::{ClientMessageId, ConversationId, MessageId, UserId};

/// RFC 3339 UTC with milliseconds, e.g. `2026-11-26T08:00:00.000Z`.
pub fn format_time(ms: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    at.format(&fmt).unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConversationKind {
    Public,
    Private,
    Dm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Private,
}

impl From<Visibility> for ConversationKind {
    fn from(v: Visibility) -> Self {
        match v {
            Visibility::Public => ConversationKind::Public,
            Visibility::Private => ConversationKind::Private,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MemberRole {
    Admin,
    Member,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub id: String,
    pub name: String,
    pub size: u64,
    pub content_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    #[schema(value_type = String)]
    pub id: MessageId,
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    /// The conversation sequence number of the message's creation.
    pub seq: u64,
    /// The sequence number of the message's latest change (creation, edit or delete).
    pub updated_seq: u64,
    #[schema(value_type = String)]
    pub author_id: UserId,
    /// Empty once deleted.
    pub body: String,
    #[schema(value_type = Vec<String>)]
    pub mentions: Vec<UserId>,
    pub attachments: Vec<Attachment>,
    #[schema(value_type = String)]
    pub client_message_id: ClientMessageId,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
}

/// The conversation item (`META`): the sequence every change takes, and the counters unread is
/// computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationMeta {
    pub id: ConversationId,
    pub kind: ConversationKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    pub created_by: UserId,
    pub created_at: String,
    pub last_seq: u64,
    /// Messages ever created here; a message's `ordinal` is this count when it was sent.
    pub message_count: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message_at: Option<String>,
    /// The two people of a DM.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dm_users: Vec<UserId>,
    /// Ordinals of the most recently deleted messages: a deleted message a member had not read
    /// stops counting as unread. Bounded: deletions older than this are below everyone's reading.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted_ordinals: Vec<u64>,
}

impl ConversationMeta {
    /// Unread messages for a member whose read position is `read_count`.
    pub fn unread_after(&self, read_count: u64) -> u64 {
        let deleted = self.deleted_ordinals.iter().filter(|&&o| o > read_count).count() as u64;
        self.message_count.saturating_sub(read_count).saturating_sub(deleted)
    }
}

/// `MEM#{u}` in the conversation's partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub user_id: UserId,
    pub role: MemberRole,
    pub joined_at: String,
}

/// `CONV#{c}` in the user's partition: the read position and counts of one membership.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    pub conversation_id: ConversationId,
    pub kind: ConversationKind,
    pub role: MemberRole,
    pub joined_at: String,
    /// Seq of the newest message read.
    #[serde(default)]
    pub read_seq: u64,
    /// Ordinal of the newest message read: unread = the conversation's message count minus this.
    #[serde(default)]
    pub read_count: u64,
    #[serde(default)]
    pub mention_count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserProfile {
    #[schema(value_type = String)]
    pub id: UserId,
    pub handle: String,
    pub display_name: String,
}

/// A member as the member list shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    #[serde(flatten)]
    pub profile: UserProfile,
    pub role: MemberRole,
    pub joined_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationSummary {
    #[schema(value_type = String)]
    pub id: ConversationId,
    pub kind: ConversationKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// For DMs: both people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<UserProfile>>,
    pub role: MemberRole,
    pub last_seq: u64,
    /// Seq of the newest message the caller has read: a client holding live changes after an
    /// answer tells which of them the counts already include, and which deletions were unread.
    pub read_seq: u64,
    pub unread_count: u64,
    pub mention_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicChannel {
    #[schema(value_type = String)]
    pub id: ConversationId,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Whether the caller is a member.
    pub joined: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    #[serde(rename = "chat:newMessage")]
    NewMessage,
    #[serde(rename = "chat:messageUpdated")]
    MessageUpdated,
    #[serde(rename = "chat:messageDeleted")]
    MessageDeleted,
    #[serde(rename = "chat:memberAdded")]
    MemberAdded,
    #[serde(rename = "chat:memberRemoved")]
    MemberRemoved,
    #[serde(rename = "chat:conversationRead")]
    ConversationRead,
}

impl EventType {
    pub fn as_str(&self) -> &'static str {
        match self {
            EventType::NewMessage => "chat:newMessage",
            EventType::MessageUpdated => "chat:messageUpdated",
            EventType::MessageDeleted => "chat:messageDeleted",
            EventType::MemberAdded => "chat:memberAdded",
            EventType::MemberRemoved => "chat:memberRemoved",
            EventType::ConversationRead => "chat:conversationRead",
        }
    }
}

/// One change as a client sees it: a WebSocket event frame and a catch-up item have this shape.
/// `data` is the message for message events, `{userId}` for member events and
/// `{userId, seq}` for `chat:conversationRead`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: EventType,
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    pub seq: u64,
    #[schema(value_type = Object)]
    pub data: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Changes {
    pub items: Vec<Event>,
    /// The seq a client may treat as held after applying `items` (seqs increase; they may skip).
    pub last_seq: u64,
    pub has_more: bool,
    /// The changes after `afterSeq` are no longer all kept (the log keeps 30 days): drop what is
    /// held for this conversation and load it again from history; `lastSeq` is where to resume.
    #[serde(default)]
    pub resync: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessagePage {
    pub items: Vec<Message>,
    /// Pass as `before` (or `after`, when paging forward) for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
