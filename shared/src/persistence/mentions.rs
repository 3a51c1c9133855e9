//! Unread mentions: one `MENTION#{c}#{ordinal}` item in the user's partition per unread message
//! that mentions them, and the counter on their membership, changed together.

use std::collections::HashSet;

use super::attrs;
use super::keys;
use super::tables::Tables;
use crate::domain::error::ChatResult;
use crate::domain::ids::{ConversationId, TenantId, UserId};
use crate::ports::store::{Cond, Item, Key, Query, Update, WriteOp};

impl Tables {
    /// Users among `users` whose mention at `ordinal` is still counted.
    pub async fn counted_mentions(
        &self,
        t: &TenantId,
        c: &ConversationId,
        users: &[UserId],
        ordinal: u64,
    ) -> ChatResult<Vec<UserId>> {
        let keys: Vec<Key> = users.iter().map(|u| keys::mention(t, u, c, ordinal)).collect();
        let found: HashSet<String> = self.db().batch_get(&keys, true).await?.into_iter().map(|i| i.key.pk).collect();
        Ok(users.iter().filter(|u| found.contains(&keys::user_pk(t, u))).cloned().collect())
    }

    /// Up to `limit` of the user's mention items in the conversation (at or below `through`),
    /// oldest first, and whether more follow.
    pub async fn mentions_page(
        &self,
        t: &TenantId,
        u: &UserId,
        c: &ConversationId,
        through: Option<u64>,
        limit: usize,
    ) -> ChatResult<(Vec<Key>, bool)> {
        let mut query = Query::prefix(keys::user_pk(t, u), &keys::mention_prefix(c)).limit(limit).consistent();
        if let Some(ordinal) = through {
            query.upper = std::ops::Bound::Included(keys::mention_sk(c, ordinal));
        }
        let page = self.db().query(&query).await?;
        Ok((page.items.into_iter().map(|i| i.key).collect(), page.more))
    }
}

/// Writes that count a mention of each user at `ordinal`.
pub fn mention(t: &TenantId, c: &ConversationId, users: &[UserId], ordinal: u64) -> Vec<WriteOp> {
    users
        .iter()
        .flat_map(|u| {
            [
                WriteOp::Put {
                    item: Item::new(keys::mention(t, u, c, ordinal), Default::default()),
                    cond: Cond::NotExists,
                },
                count_mentions(t, u, c, 1),
            ]
        })
        .collect()
}

/// Writes that stop counting a mention of each user at `ordinal`.
pub fn unmention(t: &TenantId, c: &ConversationId, users: &[UserId], ordinal: u64) -> Vec<WriteOp> {
    users
        .iter()
        .flat_map(|u| {
            [WriteOp::Delete { key: keys::mention(t, u, c, ordinal), cond: Cond::Exists }, count_mentions(t, u, c, -1)]
        })
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
