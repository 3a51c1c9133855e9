//! Messages (`MSG#{id}` in the conversation's partition), stored in the API's shape with their
//! ordinal, and the client-id guard (`CMID#`) that makes a send idempotent.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::attrs;
use super::codec::{from_attrs, to_attrs};
use super::keys;
use super::tables::{put_new, Tables};
use crate::domain::error::{ChatError, ChatResult};
use crate::domain::ids::{ClientMessageId, ConversationId, MessageId, TenantId, UserId};
use crate::domain::{Member, Membership, Message, Reaction};
use crate::ports::store::{Attrs, Cond, Item, Key, Query, Update, WriteOp};

/// A message with its position among the conversation's messages (stored beside it, not shown).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMessage {
    pub message: Message,
    /// The conversation's message count when it was sent: unread counts compare against it.
    pub ordinal: u64,
}

impl StoredMessage {
    pub(super) fn from_item(item: &Item) -> ChatResult<Self> {
        Ok(Self { message: from_attrs(&item.attrs)?, ordinal: ordinal_of(&item.attrs) })
    }
}

/// A message with the version of its reaction summary, read to change the summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Reactable {
    pub message: Message,
    /// `reactionsSeq`: the seq of the summary's latest change (or the delete's); 0 when none.
    pub version: u64,
}

impl Reactable {
    fn from_item(item: &Item) -> ChatResult<Self> {
        let version = item.attrs.get(attrs::REACTIONS_SEQ).and_then(serde_json::Value::as_u64).unwrap_or(0);
        Ok(Self { message: from_attrs(&item.attrs)?, version })
    }
}

/// Items written before ordinals were stored count as 0.
fn ordinal_of(attrs: &Attrs) -> u64 {
    attrs.get(attrs::ORDINAL).and_then(serde_json::Value::as_u64).unwrap_or(0)
}

/// The client-id guard: the message a client message id was first sent as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClientIdGuard {
    message_id: MessageId,
}

/// Where a page of history starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HistoryFrom<'a> {
    Newest,
    Before(&'a MessageId),
    After(&'a MessageId),
}

impl Tables {
    pub async fn message(&self, t: &TenantId, c: &ConversationId, m: &MessageId) -> ChatResult<Option<StoredMessage>> {
        self.db().get(&keys::message(t, c, m), true).await?.as_ref().map(StoredMessage::from_item).transpose()
    }

    /// These messages, by id (missing ones left out).
    pub async fn messages(
        &self,
        t: &TenantId,
        c: &ConversationId,
        ids: &[MessageId],
    ) -> ChatResult<HashMap<MessageId, Message>> {
        let keys: Vec<Key> = ids.iter().map(|m| keys::message(t, c, m)).collect();
        let mut out = HashMap::new();
        for item in self.db().batch_get(&keys, true).await? {
            let message: Message = from_attrs(&item.attrs)?;
            out.insert(message.id, message);
        }
        Ok(out)
    }

    /// These messages, each in its own conversation (missing ones left out), in one read that
    /// need not be consistent: search shows what its index found as the table holds it now.
    pub async fn messages_across(
        &self,
        t: &TenantId,
        ids: &[(ConversationId, MessageId)],
    ) -> ChatResult<HashMap<MessageId, Message>> {
        let keys: Vec<Key> = ids.iter().map(|(c, m)| keys::message(t, c, m)).collect();
        let mut out = HashMap::new();
        for item in self.db().batch_get(&keys, false).await? {
            let message: Message = from_attrs(&item.attrs)?;
            out.insert(message.id, message);
        }
        Ok(out)
    }

    /// The user's member item and one message, in one read.
    pub async fn member_and_message(
        &self,
        t: &TenantId,
        c: &ConversationId,
        u: &UserId,
        m: &MessageId,
    ) -> ChatResult<(Option<Member>, Option<StoredMessage>)> {
        let member_key = keys::member(t, c, u);
        let message_key = keys::message(t, c, m);
        let found = self.db().batch_get(&[member_key.clone(), message_key.clone()], true).await?;
        let member = found.iter().find(|i| i.key == member_key).map(|i| from_attrs(&i.attrs)).transpose()?;
        let message = found.iter().find(|i| i.key == message_key).map(StoredMessage::from_item).transpose()?;
        Ok((member, message))
    }

    /// The user's member item and one message with its reaction version, in one read.
    pub async fn member_and_reactable(
        &self,
        t: &TenantId,
        c: &ConversationId,
        u: &UserId,
        m: &MessageId,
    ) -> ChatResult<(Option<Member>, Option<Reactable>)> {
        let member_key = keys::member(t, c, u);
        let message_key = keys::message(t, c, m);
        let found = self.db().batch_get(&[member_key.clone(), message_key.clone()], true).await?;
        let member = found.iter().find(|i| i.key == member_key).map(|i| from_attrs(&i.attrs)).transpose()?;
        let message = found.iter().find(|i| i.key == message_key).map(Reactable::from_item).transpose()?;
        Ok((member, message))
    }

    /// The sender's membership and the id of the message their client id was first sent as, if
    /// any, in one read: "may send" and "sent before?". The message itself is read only once
    /// the membership is proven (`message`).
    pub async fn membership_and_sent(
        &self,
        t: &TenantId,
        c: &ConversationId,
        u: &UserId,
        cmid: &ClientMessageId,
    ) -> ChatResult<(Option<Membership>, Option<MessageId>)> {
        let membership_key = keys::membership(t, u, c);
        let guard_key = keys::client_message(t, c, u, cmid);
        let found = self.db().batch_get(&[membership_key.clone(), guard_key.clone()], true).await?;
        let membership = found.iter().find(|i| i.key == membership_key).map(|i| from_attrs(&i.attrs)).transpose()?;
        let sent = found
            .iter()
            .find(|i| i.key == guard_key)
            .map(|i| from_attrs::<ClientIdGuard>(&i.attrs).map(|g| g.message_id))
            .transpose()?;
        Ok((membership, sent))
    }

    /// The message a client id was first sent as.
    pub async fn sent_as(
        &self,
        t: &TenantId,
        c: &ConversationId,
        u: &UserId,
        cmid: &ClientMessageId,
    ) -> ChatResult<Option<Message>> {
        match self.db().get(&keys::client_message(t, c, u, cmid), true).await? {
            Some(guard) => self.guarded(t, c, &guard).await,
            None => Ok(None),
        }
    }

    async fn guarded(&self, t: &TenantId, c: &ConversationId, guard: &Item) -> ChatResult<Option<Message>> {
        let guard: ClientIdGuard = from_attrs(&guard.attrs)?;
        Ok(self.message(t, c, &guard.message_id).await?.map(|m| m.message))
    }

    /// A page of history in id order from `from`, and whether more lie beyond it.
    pub async fn history(
        &self,
        t: &TenantId,
        c: &ConversationId,
        from: HistoryFrom<'_>,
        limit: usize,
    ) -> ChatResult<(Vec<Message>, bool)> {
        let mut query = Query::prefix(keys::conversation_pk(t, c), keys::MESSAGE_PREFIX).limit(limit).consistent();
        query = match from {
            HistoryFrom::After(m) => query.after(keys::message_sk(m)),
            HistoryFrom::Before(m) => query.backward().before(keys::message_sk(m)),
            HistoryFrom::Newest => query.backward(),
        };
        let page = self.db().query(&query).await?;
        let mut messages: Vec<Message> = page.items.iter().map(|i| from_attrs(&i.attrs)).collect::<ChatResult<_>>()?;
        if !query.forward {
            messages.reverse();
        }
        Ok((messages, page.more))
    }
}

/// Puts a new message with its ordinal.
pub fn create(t: &TenantId, stored: &StoredMessage) -> ChatResult<WriteOp> {
    let mut attrs = to_attrs(&stored.message)?;
    attrs.insert(attrs::ORDINAL.into(), stored.ordinal.into());
    Ok(put_new(keys::message(t, &stored.message.conversation_id, &stored.message.id), attrs))
}

/// Claims the sender's client message id for `message` (fails if it was sent before).
pub fn guard_client_id(t: &TenantId, author: &UserId, message: &Message) -> ChatResult<WriteOp> {
    let guard = ClientIdGuard { message_id: message.id };
    let key = keys::client_message(t, &message.conversation_id, author, &message.client_message_id);
    Ok(put_new(key, to_attrs(&guard)?))
}

/// Rewrites an existing message's body and mentions at change `seq`.
pub fn edit(
    t: &TenantId,
    c: &ConversationId,
    m: &MessageId,
    body: &str,
    mentions: &[UserId],
    at: &str,
    seq: u64,
) -> ChatResult<WriteOp> {
    let mentions = serde_json::to_value(mentions).map_err(|e| ChatError::Internal(e.to_string()))?;
    Ok(WriteOp::Update {
        key: keys::message(t, c, m),
        update: Update::default()
            .set(attrs::BODY, body)
            .set(attrs::MENTIONS, mentions)
            .set(attrs::EDITED_AT, at)
            .set(attrs::UPDATED_SEQ, seq),
        cond: Cond::Exists,
    })
}

/// Turns an existing message into its tombstone at change `seq`: id, author and seqs stay;
/// body, attachments, mentions and reactions go (and a reaction racing the delete fails on
/// `reactionsSeq`).
pub fn tombstone(t: &TenantId, c: &ConversationId, m: &MessageId, at: &str, seq: u64) -> WriteOp {
    WriteOp::Update {
        key: keys::message(t, c, m),
        update: Update::default()
            .set(attrs::BODY, "")
            .set(attrs::ATTACHMENTS, Vec::<serde_json::Value>::new())
            .set(attrs::MENTIONS, Vec::<serde_json::Value>::new())
            .set(attrs::DELETED_AT, at)
            .set(attrs::UPDATED_SEQ, seq)
            .set(attrs::REACTIONS_SEQ, seq)
            .remove(attrs::REACTIONS),
        cond: Cond::Exists,
    }
}

/// Replaces the reaction summary of a message read at `version`, at change `seq`; refused when
/// another reaction (or a delete) changed it since, or the message is gone.
pub fn set_reactions(
    t: &TenantId,
    c: &ConversationId,
    m: &MessageId,
    reactions: &[Reaction],
    version: u64,
    seq: u64,
) -> ChatResult<WriteOp> {
    let update = match reactions.is_empty() {
        true => Update::default().remove(attrs::REACTIONS),
        false => Update::default()
            .set(attrs::REACTIONS, serde_json::to_value(reactions).map_err(|e| ChatError::Internal(e.to_string()))?),
    };
    let cond = match version {
        0 => Cond::ExistsWithout(attrs::REACTIONS_SEQ.into()),
        v => Cond::Equals(attrs::REACTIONS_SEQ.into(), v.into()),
    };
    Ok(WriteOp::Update { key: keys::message(t, c, m), update: update.set(attrs::REACTIONS_SEQ, seq), cond })
}
