//! The catch-up log: one record per change of a conversation (`CHG#{seq}`), naming what changed;
//! catch-up reads the message as it is now. Records expire after `CHANGE_LOG_SECS`.

use serde::{Deserialize, Serialize};

use super::codec::{from_attrs, to_expiring_attrs};
use super::keys;
use super::tables::{put_new, Tables};
use crate::domain::error::ChatResult;
use crate::domain::ids::{ConversationId, MessageId, TenantId, UserId};
use crate::domain::{ConversationUpdate, Emoji, EventType};
use crate::ports::store::{Query, WriteOp};

/// How long a change stays in the catch-up log. A client further behind than this reloads the
/// conversation (`Changes::resync`); without a limit the log would grow with every message forever.
pub const CHANGE_LOG_SECS: i64 = 30 * 24 * 3600;

/// What one change was about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedChange {
    #[serde(rename = "type")]
    pub kind: EventType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<MessageId>,
    /// A reply's thread root: where catch-up finds the reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_root_id: Option<MessageId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// A reaction's emoji (with `messageId` and `userId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<Emoji>,
    /// The message was removed by retention (its item is gone).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
    /// A channel's state after a `chat:conversationUpdated` (with `userId`, who changed it):
    /// replayed as it was then, so catch-up passes through each state in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
}

impl LoggedChange {
    fn bare(kind: EventType) -> Self {
        Self {
            kind,
            message_id: None,
            thread_root_id: None,
            user_id: None,
            emoji: None,
            removed: false,
            name: None,
            topic: None,
            archived: None,
        }
    }

    pub fn member(kind: EventType, user: &UserId) -> Self {
        Self { user_id: Some(user.clone()), ..Self::bare(kind) }
    }

    pub fn message(kind: EventType, id: &MessageId) -> Self {
        Self { message_id: Some(*id), ..Self::bare(kind) }
    }

    /// A channel renamed, its topic edited, archived or unarchived.
    pub fn conversation(update: &ConversationUpdate) -> Self {
        Self {
            user_id: Some(update.updated_by.clone()),
            name: Some(update.name.clone()),
            topic: update.topic.clone(),
            archived: Some(update.archived),
            ..Self::bare(EventType::ConversationUpdated)
        }
    }

    /// The update a `conversation` record holds, if it holds one whole.
    pub fn conversation_update(&self) -> Option<ConversationUpdate> {
        Some(ConversationUpdate {
            name: self.name.clone()?,
            topic: self.topic.clone(),
            archived: self.archived?,
            updated_by: self.user_id.clone()?,
        })
    }

    /// A change of `message`, a reply's with its thread root.
    pub fn of(kind: EventType, message: &crate::domain::Message) -> Self {
        Self { thread_root_id: message.thread_root_id, ..Self::message(kind, &message.id) }
    }

    /// A reaction added or removed: catch-up replays it as it was, in seq order (a reply's with
    /// its thread root, where catch-up finds the reply).
    pub fn reaction(kind: EventType, message: &crate::domain::Message, user: &UserId, emoji: &Emoji) -> Self {
        Self { user_id: Some(user.clone()), emoji: Some(emoji.clone()), ..Self::of(kind, message) }
    }

    /// A message retention removed: its deletion, for catch-up.
    pub fn removed(id: &MessageId) -> Self {
        Self { removed: true, ..Self::message(EventType::MessageDeleted, id) }
    }
}

/// A change record as catch-up reads it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Logged {
    pub seq: u64,
    #[serde(flatten)]
    pub change: LoggedChange,
}

/// Change `seq`'s record, kept for `CHANGE_LOG_SECS` from `now_ms`.
pub fn record(t: &TenantId, c: &ConversationId, seq: u64, change: &LoggedChange, now_ms: i64) -> ChatResult<WriteOp> {
    let mut attrs = to_expiring_attrs(change, now_ms / 1000 + CHANGE_LOG_SECS)?;
    attrs.insert(super::attrs::SEQ.into(), seq.into());
    Ok(put_new(keys::change(t, c, seq), attrs))
}

impl Tables {
    /// Up to `limit` changes after `after_seq`, in seq order, and whether more follow.
    pub async fn changes_after(
        &self,
        t: &TenantId,
        c: &ConversationId,
        after_seq: u64,
        limit: usize,
    ) -> ChatResult<(Vec<Logged>, bool)> {
        let query = Query::prefix(keys::conversation_pk(t, c), keys::CHANGE_PREFIX)
            .after(keys::change_sk(after_seq))
            .limit(limit)
            .consistent();
        let page = self.db().query(&query).await?;
        let changes = page.items.iter().map(|i| from_attrs(&i.attrs)).collect::<ChatResult<_>>()?;
        Ok((changes, page.more))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::store::{WriteOp, TTL_ATTR};

    /// The record's attributes are those catch-up has always read (`type`, `messageId` or
    /// `userId`, `seq`), so records written before this module read back.
    #[test]
    fn a_record_reads_back_as_logged() {
        let t = TenantId::parse("acme").expect("tenant");
        let c = ConversationId::new_channel();
        let id = MessageId::from_ulid(ulid::Ulid::new());
        let WriteOp::Put { item, .. } = record(&t, &c, 9, &LoggedChange::removed(&id), 1_000).expect("record") else {
            panic!("a put")
        };
        assert_eq!(item.attrs["type"], "chat:messageDeleted");
        assert_eq!(item.attrs["messageId"], id.to_string());
        assert_eq!(item.attrs["removed"], true);
        assert_eq!(item.attrs[TTL_ATTR], 1 + CHANGE_LOG_SECS);
        let logged: Logged = from_attrs(&item.attrs).expect("read back");
        assert_eq!(logged, Logged { seq: 9, change: LoggedChange::removed(&id) });
        let member = LoggedChange::member(EventType::MemberAdded, &UserId::parse("bob").expect("user"));
        let WriteOp::Put { item, .. } = record(&t, &c, 1, &member, 0).expect("record") else { panic!("a put") };
        assert!(!item.attrs.contains_key("removed") && !item.attrs.contains_key("messageId"));
    }

    #[test]
    fn a_conversation_update_reads_back_whole() {
        let t = TenantId::parse("acme").expect("tenant");
        let c = ConversationId::new_channel();
        let update = ConversationUpdate {
            name: "plans".into(),
            topic: Some("Q3".into()),
            archived: false,
            updated_by: UserId::parse("ann").expect("user"),
        };
        let change = LoggedChange::conversation(&update);
        let WriteOp::Put { item, .. } = record(&t, &c, 4, &change, 0).expect("record") else { panic!("a put") };
        assert_eq!(item.attrs["type"], "chat:conversationUpdated");
        let logged: Logged = from_attrs(&item.attrs).expect("read back");
        assert_eq!(logged.change.conversation_update(), Some(update));
        assert_eq!(
            LoggedChange::member(EventType::MemberAdded, &UserId::parse("bob").expect("user")).conversation_update(),
            None
        );
    }
}
