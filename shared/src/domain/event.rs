//! Events: one committed change as a client sees it, live or in catch-up.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::conversation::NotificationLevel;
use super::ids::{ConversationId, MessageId, UserId};
use super::message::Message;
use super::reaction::ReactionChange;

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
    #[serde(rename = "chat:reactionAdded")]
    ReactionAdded,
    #[serde(rename = "chat:reactionRemoved")]
    ReactionRemoved,
    #[serde(rename = "chat:conversationUpdated")]
    ConversationUpdated,
    #[serde(rename = "chat:notificationLevel")]
    NotificationLevel,
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
            EventType::ReactionAdded => "chat:reactionAdded",
            EventType::ReactionRemoved => "chat:reactionRemoved",
            EventType::ConversationUpdated => "chat:conversationUpdated",
            EventType::NotificationLevel => "chat:notificationLevel",
        }
    }
}

/// One change as a client sees it: a WebSocket event frame and a catch-up item have this shape,
/// `{type, conversationId, seq, data}`, with `data` typed by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    /// The conversation's sequence number this change took.
    pub seq: u64,
    #[serde(flatten)]
    pub change: Change,
}

impl Event {
    pub fn new(conversation_id: ConversationId, seq: u64, change: Change) -> Self {
        Self { conversation_id, seq, change }
    }

    pub fn kind(&self) -> EventType {
        self.change.kind()
    }
}

/// What changed, by kind: the `type` of an event and its `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum Change {
    #[serde(rename = "chat:newMessage")]
    NewMessage(MessageState),
    #[serde(rename = "chat:messageUpdated")]
    MessageUpdated(MessageState),
    #[serde(rename = "chat:messageDeleted")]
    MessageDeleted(MessageState),
    #[serde(rename = "chat:memberAdded")]
    MemberAdded(MemberChange),
    #[serde(rename = "chat:memberRemoved")]
    MemberRemoved(MemberChange),
    /// Sent only to the reader's own connections.
    #[serde(rename = "chat:conversationRead")]
    ConversationRead(ReadPosition),
    /// A member reacted to a message (never sent for an add that changed nothing).
    #[serde(rename = "chat:reactionAdded")]
    ReactionAdded(ReactionChange),
    /// A member took their reaction back.
    #[serde(rename = "chat:reactionRemoved")]
    ReactionRemoved(ReactionChange),
    /// A channel was renamed, its topic edited, or it was archived or unarchived.
    #[serde(rename = "chat:conversationUpdated")]
    ConversationUpdated(ConversationUpdate),
    /// A member set their notification level here. Sent only to that member's own connections
    /// (their other tabs and devices), never logged: `seq` is their read position, not a change
    /// of the conversation.
    #[serde(rename = "chat:notificationLevel")]
    NotificationLevel(NotificationSetting),
}

impl Change {
    pub fn kind(&self) -> EventType {
        match self {
            Change::NewMessage(_) => EventType::NewMessage,
            Change::MessageUpdated(_) => EventType::MessageUpdated,
            Change::MessageDeleted(_) => EventType::MessageDeleted,
            Change::MemberAdded(_) => EventType::MemberAdded,
            Change::MemberRemoved(_) => EventType::MemberRemoved,
            Change::ConversationRead(_) => EventType::ConversationRead,
            Change::ReactionAdded(_) => EventType::ReactionAdded,
            Change::ReactionRemoved(_) => EventType::ReactionRemoved,
            Change::ConversationUpdated(_) => EventType::ConversationUpdated,
            Change::NotificationLevel(_) => EventType::NotificationLevel,
        }
    }

    /// A message change of `kind` carrying the message as it is now.
    pub fn message(kind: MessageChange, message: Message) -> Self {
        let state = MessageState::Current(Box::new(message));
        match kind {
            MessageChange::Created => Change::NewMessage(state),
            MessageChange::Updated => Change::MessageUpdated(state),
            MessageChange::Deleted => Change::MessageDeleted(state),
        }
    }
}

/// The three kinds of message change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageChange {
    Created,
    Updated,
    Deleted,
}

/// A message event's `data`: the message as it is now, or, in catch-up, a message retention
/// has removed since (the client drops it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum MessageState {
    Current(Box<Message>),
    Removed(RemovedMessage),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RemovedMessage {
    #[schema(value_type = String)]
    pub id: MessageId,
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    /// Always true.
    pub removed: bool,
}

impl RemovedMessage {
    pub fn new(id: MessageId, conversation_id: ConversationId) -> Self {
        Self { id, conversation_id, removed: true }
    }
}

/// `data` of `chat:memberAdded` and `chat:memberRemoved`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberChange {
    #[schema(value_type = String)]
    pub user_id: UserId,
}

/// `data` of `chat:conversationUpdated`: the channel's name, topic and archived state after the
/// change (all of them, whichever changed), and who made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationUpdate {
    pub name: String,
    /// Absent when the channel has no topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    pub archived: bool,
    #[schema(value_type = String)]
    pub updated_by: UserId,
}

/// `data` of `chat:conversationRead`: the reader's new read position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReadPosition {
    #[schema(value_type = String)]
    pub user_id: UserId,
    pub seq: u64,
}

/// `data` of `chat:notificationLevel`, and the answer of setting one: the member's level in
/// the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationSetting {
    #[schema(value_type = String)]
    pub user_id: UserId,
    pub level: NotificationLevel,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user(id: &str) -> UserId {
        UserId::parse(id).expect("user id")
    }

    /// The frame clients have always received: `{type, conversationId, seq, data}`.
    #[test]
    fn an_event_is_a_flat_frame_with_typed_data() {
        let c = ConversationId::new_channel();
        let event = Event::new(c.clone(), 7, Change::MemberAdded(MemberChange { user_id: user("bob") }));
        let frame = serde_json::to_value(&event).expect("serialize");
        assert_eq!(
            frame,
            json!({ "type": "chat:memberAdded", "conversationId": c, "seq": 7, "data": { "userId": "bob" } })
        );
        let back: Event = serde_json::from_value(frame).expect("deserialize");
        assert_eq!(back, event);
        assert_eq!(back.kind(), EventType::MemberAdded);
    }

    #[test]
    fn a_removed_message_reads_back_as_removed() {
        let c = ConversationId::new_channel();
        let id = MessageId::from_ulid(ulid::Ulid::new());
        let frame = json!({ "type": "chat:messageDeleted", "conversationId": c, "seq": 3,
            "data": { "id": id, "conversationId": c, "removed": true } });
        let event: Event = serde_json::from_value(frame.clone()).expect("deserialize");
        assert_eq!(event.change, Change::MessageDeleted(MessageState::Removed(RemovedMessage::new(id, c))));
        assert_eq!(serde_json::to_value(&event).expect("serialize"), frame);
    }

    #[test]
    fn every_kind_names_its_wire_type() {
        let read = Change::ConversationRead(ReadPosition { user_id: user("ann"), seq: 4 });
        let frame = serde_json::to_value(Event::new(ConversationId::new_channel(), 4, read)).expect("serialize");
        assert_eq!(frame["type"], EventType::ConversationRead.as_str());
        assert_eq!(frame["data"], json!({ "userId": "ann", "seq": 4 }));
    }

    #[test]
    fn a_conversation_update_carries_the_whole_state_and_who_changed_it() {
        let c = ConversationId::new_channel();
        let update = ConversationUpdate { name: "plans".into(), topic: None, archived: true, updated_by: user("ann") };
        let event = Event::new(c.clone(), 9, Change::ConversationUpdated(update));
        let frame = serde_json::to_value(&event).expect("serialize");
        assert_eq!(
            frame,
            json!({ "type": "chat:conversationUpdated", "conversationId": c, "seq": 9,
                "data": { "name": "plans", "archived": true, "updatedBy": "ann" } })
        );
        assert_eq!(serde_json::from_value::<Event>(frame).expect("deserialize"), event);
        assert_eq!(event.kind().as_str(), "chat:conversationUpdated");
    }

    #[test]
    fn a_reaction_frame_names_message_emoji_and_user() {
        let c = ConversationId::new_channel();
        let id = MessageId::from_ulid(ulid::Ulid::new());
        let change = ReactionChange {
            message_id: id,
            emoji: crate::domain::Emoji::parse("🎉").expect("emoji"),
            user_id: user("ann"),
        };
        let event = Event::new(c.clone(), 5, Change::ReactionRemoved(change));
        let frame = serde_json::to_value(&event).expect("serialize");
        assert_eq!(
            frame,
            json!({ "type": "chat:reactionRemoved", "conversationId": c, "seq": 5,
                "data": { "messageId": id, "emoji": "🎉", "userId": "ann" } })
        );
        assert_eq!(serde_json::from_value::<Event>(frame).expect("deserialize"), event);
    }
}
