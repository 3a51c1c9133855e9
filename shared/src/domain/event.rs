//! Events: one committed change as a client sees it, live or in catch-up.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::ids::ConversationId;

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
