//! Messages (`MSG#{id}` in the conversation's partition), stored in the API's shape with their
//! ordinal, and the client-id guard (`CMID#`) that makes a send idempotent. Thread replies live
//! under their root (`RPL#{root}#{id}`, see `keys`), with a locator by id (`RLOC#{id}`) and, when
//! also sent to the conversation, a copy at `MSG#{id}`; every write to a reply writes each copy.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::attrs;
use super::codec::{from_attrs, to_attrs};
use super::keys;
use super::tables::{put_new, Tables};
use crate::domain::error::{ChatError, ChatResult};
use crate::domain::ids::{ClientMessageId, ConversationId, MessageId, TenantId, UserId};
use crate::domain::{Member, Membership, Message, Reaction, ThreadSummary};
use crate::ports::store::{Attrs, Cond, Item, Key, Query, Update, WriteOp};

/// A message with its position among the conversation's messages (stored beside it, not shown).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMessage {
    pub message: Message,
    /// The conversation's message count when it was sent: unread counts compare against it.
    pub ordinal: u64,
    /// How many edits it has had (stored beside it, not shown): its versions' numbers.
    pub edits: u64,
}

impl StoredMessage {
    pub(super) fn from_item(item: &Item) -> ChatResult<Self> {
        Ok(Self {
            message: from_attrs(&item.attrs)?,
            ordinal: number(&item.attrs, attrs::ORDINAL),
            edits: number(&item.attrs, attrs::EDITS),
        })
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

/// Items written before ordinals (or edit counts) were stored count as 0.
fn number(attrs: &Attrs, name: &str) -> u64 {
    attrs.get(name).and_then(serde_json::Value::as_u64).unwrap_or(0)
}

/// The client-id guard: the message a client message id was first sent as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClientIdGuard {
    message_id: MessageId,
}

/// Where a reply is, by its id alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReplyLocator {
    thread_root_id: MessageId,
}

/// A reply locator as (reply, root).
pub(super) fn read_locator(item: &Item) -> ChatResult<(MessageId, MessageId)> {
    let reply = item
        .key
        .sk
        .strip_prefix(keys::REPLY_LOCATOR_PREFIX)
        .and_then(|id| MessageId::parse(id).ok())
        .ok_or_else(|| ChatError::corrupt("a reply locator's key"))?;
    Ok((reply, from_attrs::<ReplyLocator>(&item.attrs)?.thread_root_id))
}

/// The key of a message's canonical item: its thread's for a reply, `MSG#` otherwise.
pub fn key_of(t: &TenantId, c: &ConversationId, id: &MessageId, root: Option<&MessageId>) -> Key {
    match root {
        Some(root) => keys::reply(t, c, root, id),
        None => keys::message(t, c, id),
    }
}

/// Every item holding a copy of `message`: the canonical one first.
pub(super) fn copies(t: &TenantId, message: &Message) -> Vec<Key> {
    let c = &message.conversation_id;
    let mut out = vec![key_of(t, c, &message.id, message.thread_root_id.as_ref())];
    if message.is_reply() && message.also_in_channel {
        out.push(keys::message(t, c, &message.id));
    }
    out
}

/// Where a page of history starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HistoryFrom<'a> {
    Newest,
    Before(&'a MessageId),
    After(&'a MessageId),
}

impl Tables {
    /// Any message by its id, a top-level one or a reply (whose locator says where it is: one
    /// more read).
    pub async fn message(&self, t: &TenantId, c: &ConversationId, m: &MessageId) -> ChatResult<Option<StoredMessage>> {
        let (_, message) = self.with_message(t, None, c, m).await?;
        Ok(message)
    }

    /// The top-level message at `MSG#{m}` alone (a reply's copy there included).
    pub async fn main_message(
        &self,
        t: &TenantId,
        c: &ConversationId,
        m: &MessageId,
    ) -> ChatResult<Option<StoredMessage>> {
        self.db().get(&keys::message(t, c, m), true).await?.as_ref().map(StoredMessage::from_item).transpose()
    }

    /// The item at `other`, if any, and the message `m` (top-level or reply), read together.
    async fn with_message(
        &self,
        t: &TenantId,
        other: Option<Key>,
        c: &ConversationId,
        m: &MessageId,
    ) -> ChatResult<(Option<Item>, Option<StoredMessage>)> {
        let (other, message) = self.with_message_item(t, other, c, m).await?;
        Ok((other, message.as_ref().map(StoredMessage::from_item).transpose()?))
    }

    /// `other` (when asked for) and the item of message `m`, wherever it is: a reply under its
    /// thread (through its locator), in one read of both plus, for a reply, one more.
    async fn with_message_item(
        &self,
        t: &TenantId,
        other: Option<Key>,
        c: &ConversationId,
        m: &MessageId,
    ) -> ChatResult<(Option<Item>, Option<Item>)> {
        let message_key = keys::message(t, c, m);
        let locator_key = keys::reply_locator(t, c, m);
        let mut wanted = vec![message_key.clone(), locator_key.clone()];
        wanted.extend(other.clone());
        let mut found = self.db().batch_get(&wanted, true).await?;
        let other = other.and_then(|k| found.iter().position(|i| i.key == k)).map(|i| found.swap_remove(i));
        if let Some(locator) = found.iter().find(|i| i.key == locator_key) {
            let root = from_attrs::<ReplyLocator>(&locator.attrs)?.thread_root_id;
            return Ok((other, self.db().get(&keys::reply(t, c, &root, m), true).await?));
        }
        let message = found.iter().position(|i| i.key == message_key).map(|i| found.swap_remove(i));
        Ok((other, message))
    }

    /// These messages, by id and thread root (missing ones left out).
    pub async fn messages(
        &self,
        t: &TenantId,
        c: &ConversationId,
        ids: &[(MessageId, Option<MessageId>)],
    ) -> ChatResult<HashMap<MessageId, Message>> {
        let keys: Vec<Key> = ids.iter().map(|(m, root)| key_of(t, c, m, root.as_ref())).collect();
        let mut out = HashMap::new();
        for item in self.db().batch_get(&keys, true).await? {
            let message: Message = from_attrs(&item.attrs)?;
            out.insert(message.id, message);
        }
        Ok(out)
    }

    /// These messages, each in its own conversation (and a reply under its thread root; missing
    /// ones left out), in one read that need not be consistent: search shows what its index
    /// found as the table holds it now.
    pub async fn messages_across(
        &self,
        t: &TenantId,
        ids: &[(ConversationId, MessageId, Option<MessageId>)],
    ) -> ChatResult<HashMap<MessageId, Message>> {
        let keys: Vec<Key> = ids.iter().map(|(c, m, root)| key_of(t, c, m, root.as_ref())).collect();
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
        let (member, message) = self.with_message(t, Some(keys::member(t, c, u)), c, m).await?;
        Ok((member.map(|i| from_attrs(&i.attrs)).transpose()?, message))
    }

    /// The user's member item and one message (a reply found under its thread) with its
    /// reaction version.
    pub async fn member_and_reactable(
        &self,
        t: &TenantId,
        c: &ConversationId,
        u: &UserId,
        m: &MessageId,
    ) -> ChatResult<(Option<Member>, Option<Reactable>)> {
        let (member, message) = self.with_message_item(t, Some(keys::member(t, c, u)), c, m).await?;
        Ok((member.map(|i| from_attrs(&i.attrs)).transpose()?, message.as_ref().map(Reactable::from_item).transpose()?))
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

    /// These replies (id, root) with their ordinals (missing ones left out).
    pub async fn stored_replies(
        &self,
        t: &TenantId,
        c: &ConversationId,
        replies: &[(MessageId, MessageId)],
    ) -> ChatResult<Vec<StoredMessage>> {
        let keys: Vec<Key> = replies.iter().map(|(m, root)| keys::reply(t, c, root, m)).collect();
        self.db().batch_get(&keys, true).await?.iter().map(StoredMessage::from_item).collect()
    }

    /// A page of a thread's replies, oldest first, after the reply `after`, and whether more follow.
    pub async fn thread(
        &self,
        t: &TenantId,
        c: &ConversationId,
        root: &MessageId,
        after: Option<&MessageId>,
        limit: usize,
    ) -> ChatResult<(Vec<Message>, bool)> {
        let mut query =
            Query::prefix(keys::conversation_pk(t, c), &keys::thread_prefix(root)).limit(limit).consistent();
        if let Some(after) = after {
            query = query.after(keys::reply_sk(root, after));
        }
        let page = self.db().query(&query).await?;
        let replies = page.items.iter().map(|i| from_attrs(&i.attrs)).collect::<ChatResult<_>>()?;
        Ok((replies, page.more))
    }

    /// The newest `n` replies of a thread, oldest first.
    pub async fn last_replies(
        &self,
        t: &TenantId,
        c: &ConversationId,
        root: &MessageId,
        n: usize,
    ) -> ChatResult<Vec<Message>> {
        let query = Query::prefix(keys::conversation_pk(t, c), &keys::thread_prefix(root)).limit(n).backward();
        let page = self.db().query(&query).await?;
        let mut replies: Vec<Message> = page.items.iter().map(|i| from_attrs(&i.attrs)).collect::<ChatResult<_>>()?;
        replies.reverse();
        Ok(replies)
    }
}

/// Puts a new message with its ordinal: for a reply, in its thread, its locator, and its copy in
/// the conversation when also sent there.
pub fn create(t: &TenantId, stored: &StoredMessage) -> ChatResult<Vec<WriteOp>> {
    let message = &stored.message;
    let mut attrs = to_attrs(message)?;
    attrs.insert(attrs::ORDINAL.into(), stored.ordinal.into());
    let mut ops: Vec<WriteOp> = copies(t, message).into_iter().map(|key| put_new(key, attrs.clone())).collect();
    if let Some(root) = &message.thread_root_id {
        let locator = ReplyLocator { thread_root_id: *root };
        ops.push(put_new(keys::reply_locator(t, &message.conversation_id, &message.id), to_attrs(&locator)?));
    }
    Ok(ops)
}

/// Sets a thread root's summary after a reply, only if the thread is still as it was read
/// (`previous`: the summary's `lastReplySeq`, none before the first reply) and the root exists:
/// two replies racing each count, the second re-reading the root.
pub fn summarize_thread(
    t: &TenantId,
    c: &ConversationId,
    root: &MessageId,
    previous: Option<u64>,
    summary: &ThreadSummary,
) -> ChatResult<WriteOp> {
    let value = serde_json::to_value(summary).map_err(|e| ChatError::Internal(e.to_string()))?;
    Ok(WriteOp::Update {
        key: keys::message(t, c, root),
        update: Update::default().set(attrs::THREAD, value).set(attrs::THREAD_SEQ, summary.last_reply_seq),
        cond: match previous {
            Some(seq) => Cond::Equals(attrs::THREAD_SEQ.into(), seq.into()),
            None => Cond::ExistsWithout(attrs::THREAD_SEQ.into()),
        },
    })
}

/// Claims the sender's client message id for `message` (fails if it was sent before).
pub fn guard_client_id(t: &TenantId, author: &UserId, message: &Message) -> ChatResult<WriteOp> {
    let guard = ClientIdGuard { message_id: message.id };
    let key = keys::client_message(t, &message.conversation_id, author, &message.client_message_id);
    Ok(put_new(key, to_attrs(&guard)?))
}

/// Rewrites a message's body and mentions at change `seq` (each copy of a reply), only if it is
/// still the version `current` (whose text the edit keeps as a version: a concurrent edit must
/// not be skipped).
pub fn edit(
    t: &TenantId,
    current: &StoredMessage,
    body: &str,
    mentions: &[UserId],
    at: &str,
    seq: u64,
) -> ChatResult<Vec<WriteOp>> {
    let m = &current.message;
    let mentions = serde_json::to_value(mentions).map_err(|e| ChatError::Internal(e.to_string()))?;
    let update = Update::default()
        .set(attrs::BODY, body)
        .set(attrs::MENTIONS, mentions)
        .set(attrs::EDITED_AT, at)
        .set(attrs::UPDATED_SEQ, seq)
        .set(attrs::EDITS, current.edits + 1);
    Ok(copies(t, m)
        .into_iter()
        .map(|key| WriteOp::Update {
            key,
            update: update.clone(),
            cond: Cond::Equals(attrs::UPDATED_SEQ.into(), m.updated_seq.into()),
        })
        .collect())
}

/// Turns an existing message into its tombstone at change `seq`: id, author, seqs and a root's
/// thread summary stay; body, attachments, mentions and reactions go (each copy of a reply; a
/// reaction racing the delete fails on `reactionsSeq`).
pub fn tombstone(t: &TenantId, message: &Message, at: &str, seq: u64) -> Vec<WriteOp> {
    let update = Update::default()
        .set(attrs::BODY, "")
        .set(attrs::ATTACHMENTS, Vec::<serde_json::Value>::new())
        .set(attrs::MENTIONS, Vec::<serde_json::Value>::new())
        .set(attrs::DELETED_AT, at)
        .set(attrs::UPDATED_SEQ, seq)
        .set(attrs::REACTIONS_SEQ, seq)
        .remove(attrs::REACTIONS);
    copies(t, message)
        .into_iter()
        .map(|key| WriteOp::Update { key, update: update.clone(), cond: Cond::Exists })
        .collect()
}

/// Replaces the reaction summary of a message read at `version`, at change `seq`; refused when
/// another reaction (or a delete) changed it since, or the message is gone.
pub fn set_reactions(
    t: &TenantId,
    message: &Message,
    reactions: &[Reaction],
    version: u64,
    seq: u64,
) -> ChatResult<Vec<WriteOp>> {
    let update = match reactions.is_empty() {
        true => Update::default().remove(attrs::REACTIONS),
        false => Update::default()
            .set(attrs::REACTIONS, serde_json::to_value(reactions).map_err(|e| ChatError::Internal(e.to_string()))?),
    };
    let cond = match version {
        0 => Cond::ExistsWithout(attrs::REACTIONS_SEQ.into()),
        v => Cond::Equals(attrs::REACTIONS_SEQ.into(), v.into()),
    };
    let update = update.set(attrs::REACTIONS_SEQ, seq);
    Ok(copies(t, message)
        .into_iter()
        .map(|key| WriteOp::Update { key, update: update.clone(), cond: cond.clone() })
        .collect())
}
