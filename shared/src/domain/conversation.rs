//! Conversations (channels and DMs), their members and the caller's membership, and the views of
//! them the API shows.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ids::{ConversationId, UserId};
use super::profile::UserProfile;

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
/// When a member hears of new messages in a conversation (browser notifications): every
/// message, only mentions of them (and replies in threads they follow), or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum NotificationLevel {
    All,
    Mentions,
    Nothing,
}

impl NotificationLevel {
    /// The name it is written and stored as.
    pub fn as_str(&self) -> &'static str {
        match self {
            NotificationLevel::All => "all",
            NotificationLevel::Mentions => "mentions",
            NotificationLevel::Nothing => "nothing",
        }
    }

    /// A member who never chose one: as Slack does, every message of a DM (someone wrote to
    /// them), only mentions in a channel.
    pub fn default_for(kind: ConversationKind) -> Self {
        match kind {
            ConversationKind::Dm => NotificationLevel::All,
            ConversationKind::Public | ConversationKind::Private => NotificationLevel::Mentions,
        }
    }
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
    /// The people of a DM (two, or three to eight in a group DM), in user-id order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dm_users: Vec<UserId>,
    /// Ordinals of the most recently deleted messages: a deleted message a member had not read
    /// stops counting as unread. Bounded: deletions older than this are below everyone's reading.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted_ordinals: Vec<u64>,
    /// An archived channel is read-only: it takes no message, reaction or member until it is
    /// unarchived.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub archived: bool,
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
    /// The member's choice; none: the default of the conversation's kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_level: Option<NotificationLevel>,
}

impl Membership {
    /// The level that applies: the member's choice, or the default of the conversation's kind.
    pub fn notification_level(&self) -> NotificationLevel {
        self.notification_level.unwrap_or_else(|| NotificationLevel::default_for(self.kind))
    }
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
    /// For DMs: everyone in it, the caller included (two people, or 3-8 in a group DM).
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
    /// Read-only until unarchived (channels only).
    #[serde(default)]
    pub archived: bool,
    /// The caller's notification level here (their choice, or the default: `all` in a DM,
    /// `mentions` in a channel).
    pub notification_level: NotificationLevel,
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
    /// Browsing lists no archived channel: always false there.
    #[serde(default)]
    pub archived: bool,
}

/// A channel's name, topic and archived state, as a change to them left it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChannelDetails {
    #[schema(value_type = String)]
    pub id: ConversationId,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    pub archived: bool,
}
