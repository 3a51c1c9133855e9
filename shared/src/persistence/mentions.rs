//! Unread mentions: one `MENTION#{c}#{ordinal}` item in the user's partition per unread message
//! that mentions them (`MENTION#{c}#T#{root}#{reply}` for a reply only in its thread), and the
//! counter on their membership, changed together.

use std::collections::HashSet;

use super::attrs;
use super::keys;
use super::tables::Tables;
use crate::domain::error::ChatResult;
use crate::domain::ids::{ConversationId, MessageId, TenantId, UserId};
use crate::domain::Message;
use crate::ports::store::{Cond, Item, Key, Query, Update, WriteOp};

/// Where a message's mentions are counted: by its ordinal in the conversation's main list, or, for
/// a reply only in its thread (ordinal 0), by its thread and id.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MentionAt<'a> {
    Ordinal(u64),
    Reply { root: &'a MessageId, reply: &'a MessageId },
}

impl<'a> MentionAt<'a> {
    pub fn of(message: &'a Message, ordinal: u64) -> Self {
        match &message.thread_root_id {
            Some(root) if ordinal == 0 => MentionAt::Reply { root, reply: &message.id },
            _ => MentionAt::Ordinal(ordinal),
        }
    }

    fn key(&self, t: &TenantId, u: &UserId, c: &ConversationId) -> Key {
        match *self {
            MentionAt::Ordinal(ordinal) => keys::mention(t, u, c, ordinal),
            MentionAt::Reply { root, reply } => keys::reply_mention(t, u, c, root, reply),
        }
    }
}

/// Which of a user's mention items in a conversation a clearing reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MentionScope<'a> {
    /// Main-list mentions at or below an ordinal (the user read that far).
    Through(u64),
    /// Every mention in one thread's replies (the user read the thread).
    Thread(&'a MessageId),
    /// All of them (the user left).
    All,
}

impl Tables {
    /// Users among `users` whose mention at `at` is still counted.
    pub async fn counted_mentions(
        &self,
        t: &TenantId,
        c: &ConversationId,
        users: &[UserId],
        at: MentionAt<'_>,
    ) -> ChatResult<Vec<UserId>> {
        let keys: Vec<Key> = users.iter().map(|u| at.key(t, u, c)).collect();
        let found: HashSet<String> = self.db().batch_get(&keys, true).await?.into_iter().map(|i| i.key.pk).collect();
        Ok(users.iter().filter(|u| found.contains(&keys::user_pk(t, u))).cloned().collect())
    }

    /// Up to `limit` of the user's mention items in the conversation (in `scope`), oldest
    /// first, and whether more follow.
    pub async fn mentions_page(
        &self,
        t: &TenantId,
        u: &UserId,
        c: &ConversationId,
        scope: MentionScope<'_>,
        limit: usize,
    ) -> ChatResult<(Vec<Key>, bool)> {
        let mut query = match scope {
            MentionScope::Thread(root) => Query::prefix(keys::user_pk(t, u), &keys::thread_mention_prefix(c, root)),
            MentionScope::Through(_) | MentionScope::All => {
                Query::prefix(keys::user_pk(t, u), &keys::mention_prefix(c))
            }
        }
        .limit(limit)
        .consistent();
        if let MentionScope::Through(ordinal) = scope {
            query.upper = std::ops::Bound::Included(keys::mention_sk(c, ordinal));
        }
        let page = self.db().query(&query).await?;
        Ok((page.items.into_iter().map(|i| i.key).collect(), page.more))
    }
}

/// Writes that count a mention of each user at `at`.
pub fn mention(t: &TenantId, c: &ConversationId, users: &[UserId], at: MentionAt<'_>) -> Vec<WriteOp> {
    users
        .iter()
        .flat_map(|u| {
            [
                WriteOp::Put { item: Item::new(at.key(t, u, c), Default::default()), cond: Cond::NotExists },
                count_mentions(t, u, c, 1),
            ]
        })
        .collect()
}

/// Writes that stop counting a mention of each user at `at`.
pub fn unmention(t: &TenantId, c: &ConversationId, users: &[UserId], at: MentionAt<'_>) -> Vec<WriteOp> {
    users
        .iter()
        .flat_map(|u| [WriteOp::Delete { key: at.key(t, u, c), cond: Cond::Exists }, count_mentions(t, u, c, -1)])
        .collect()
}

/// Changes the member's mention counter by `delta` (they must still be a member).
pub fn count_mentions(t: &TenantId, u: &UserId, c: &ConversationId, delta: i64) -> WriteOp {
    WriteOp::Update {
        key: keys::membership(t, u, c),
        update: Update::default().add(attrs::MENTION_COUNT, delta),
        cond: Cond::Exists,
    }
}

/// Deletes mention items read by `mentions_page`: `counted` ones (in a transaction with the
/// counter) must exist; forgotten ones (the member left) are deleted whatever.
pub fn forget(keys: Vec<Key>, counted: bool) -> Vec<WriteOp> {
    let cond = if counted { Cond::Exists } else { Cond::Always };
    keys.into_iter().map(|key| WriteOp::Delete { key, cond: cond.clone() }).collect()
}
