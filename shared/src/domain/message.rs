//! Messages as the API shows them. They are stored in the same camelCase shape (plus the key and
//! a few bookkeeping attributes), so there is one mapping.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ids::{ClientMessageId, ConversationId, MessageId, UserId};
use super::reaction::Reaction;

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
    /// Absent, never null, until the message is edited (the same for `deletedAt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub edited_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub deleted_at: Option<String>,
    /// Absent when none: each emoji in the order it was first used, with who reacted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessagePage {
    pub items: Vec<Message>,
    /// Pass as `before` (or `after`, when paging forward) for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
