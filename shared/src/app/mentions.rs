//! Mention bookkeeping. A member's mention badge is a counter on their membership, kept exact by
//! one `MENTION#` item per unread message that mentions them: sends and edits add them, reading,
//! edits and deletes remove them, each in the same transaction as the counter change.

use std::collections::HashSet;

use super::Chat;
use crate::domain::error::{ChatError, ChatResult, InvalidInput};
use crate::domain::ids::{ConversationId, TenantId, UserId};
use crate::domain::{Membership, UserProfile};
use crate::persistence::codec::from_attrs;
use crate::persistence::keys;
use crate::persistence::transaction::{OpRole, Transaction, TransactionError};
use crate::ports::store::{Cond, Item, Key, Query, StoreError, Update, WriteOp};

/// Mentions one message may carry (each notified member costs two writes in the send's transaction).
pub const MAX_MENTIONS: usize = 20;

/// Writes that count a mention of each user at `ordinal` (`delta` 1) .
pub(super) fn mention_ops(
    t: &TenantId,
    c: &ConversationId,
    users: &[UserId],
    ordinal: u64,
    delta: i64,
) -> Vec<WriteOp> {
    users
        .iter()
        .flat_map(|u| {
            [
                WriteOp::Put {
                    item: Item::new(keys::mention(t, u, c, ordinal), Default::default()),
                    cond: Cond::NotExists,
                },
                WriteOp::Update {
                    key: keys::membership(t, u, c),
                    update: Update::default().add("mentionCount", delta),
                    cond: Cond::Exists,
                },
            ]
        })
        .collect()
}

/// Writes that stop counting a mention of each user at `ordinal`.
pub(super) fn unmention_ops(t: &TenantId, c: &ConversationId, users: &[UserId], ordinal: u64) -> Vec<WriteOp> {
    users
        .iter()
        .flat_map(|u| {
            [
                WriteOp::Delete { key: keys::mention(t, u, c, ordinal), cond: Cond::Exists },
                WriteOp::Update {
                    key: keys::membership(t, u, c),
                    update: Update::default().add("mentionCount", -1),
                    cond: Cond::Exists,
                },
            ]
        })
        .collect()
}

impl Chat {
    /// Mentions as the composer sent them: deduplicated, at most `MAX_MENTIONS`, each a user of
    /// the caller's tenant (a user of another tenant is simply unknown here).
    pub(super) async fn parse_mentions(&self, t: &TenantId, raw: Vec<UserId>) -> ChatResult<Vec<UserId>> {
        let mut mentions: Vec<UserId> = Vec::new();
        for user in raw {
            if !mentions.contains(&user) {
                mentions.push(user);
            }
        }
        if mentions.len() > MAX_MENTIONS {
            return Err(InvalidInput::new("mentions", format!("at most {MAX_MENTIONS} people per message")).into());
        }
        let profiles = self.profiles(t, &mentions).await?;
        if let Some(unknown) = mentions.iter().find(|u| !profiles.contains_key(*u)) {
            return Err(InvalidInput::new("mentions", format!("names no user of this workspace ({unknown})")).into());
        }
        Ok(mentions)
    }

    /// The users among `users` who are members of the conversation (other than `except`).
    pub(super) async fn members_among(
        &self,
        t: &TenantId,
        c: &ConversationId,
        users: &[UserId],
        except: Option<&UserId>,
    ) -> ChatResult<Vec<UserId>> {
        let candidates: Vec<&UserId> = users.iter().filter(|u| Some(*u) != except).collect();
        let keys: Vec<Key> = candidates.iter().map(|u| keys::member(t, c, u)).collect();
        let found: HashSet<String> = self.store.batch_get(&keys, true).await?.into_iter().map(|i| i.key.sk).collect();
        Ok(candidates.into_iter().filter(|u| found.contains(&keys::member(t, c, u).sk)).cloned().collect())
    }

    /// Members among `users` who have not read up to `ordinal` (a mention added there counts).
    pub(super) async fn unread_by(
        &self,
        t: &TenantId,
        c: &ConversationId,
        users: &[UserId],
        ordinal: u64,
    ) -> ChatResult<Vec<UserId>> {
        let keys: Vec<Key> = users.iter().map(|u| keys::membership(t, u, c)).collect();
        let mut out = Vec::new();
        for item in self.store.batch_get(&keys, true).await? {
            let membership: Membership = from_attrs(&item.attrs)?;
            if membership.read_count < ordinal {
                if let Some(u) = users.iter().find(|u| keys::membership(t, u, c).pk == item.key.pk) {
                    out.push(u.clone());
                }
            }
        }
        Ok(out)
    }

    /// Users among `users` whose mention at `ordinal` is still counted.
    pub(super) async fn counted_mentions(
        &self,
        t: &TenantId,
        c: &ConversationId,
        users: &[UserId],
        ordinal: u64,
    ) -> ChatResult<Vec<UserId>> {
        let keys: Vec<Key> = users.iter().map(|u| keys::mention(t, u, c, ordinal)).collect();
        let found: HashSet<String> = self.store.batch_get(&keys, true).await?.into_iter().map(|i| i.key.pk).collect();
        Ok(users.iter().filter(|u| found.contains(&keys::user_pk(t, u))).cloned().collect())
    }

    /// Stops counting the user's mentions at or below `ordinal` (they have read that far). Best
    /// effort after the read position moved: a failure leaves a badge too high, never too low,
    /// and the next read clears it.
    pub(super) async fn clear_mentions_through(&self, t: &TenantId, u: &UserId, c: &ConversationId, ordinal: u64) {
        if let Err(e) = self.try_clear_mentions(t, u, c, Some(ordinal)).await {
            tracing::warn!(conversation = %c, error = %e, "clearing read mentions failed");
        }
    }

    /// Forgets all of the user's mention items in a conversation they left (the counter went
    /// with the membership).
    pub(super) async fn drop_mentions(&self, t: &TenantId, u: &UserId, c: &ConversationId) {
        if let Err(e) = self.try_clear_mentions(t, u, c, None).await {
            tracing::warn!(conversation = %c, error = %e, "dropping mentions of a former member failed");
        }
    }

    async fn try_clear_mentions(
        &self,
        t: &TenantId,
        u: &UserId,
        c: &ConversationId,
        through: Option<u64>,
    ) -> ChatResult<()> {
        let mut query = Query::prefix(keys::user_pk(t, u), &keys::mention_prefix(c)).limit(40).consistent();
        if let Some(ordinal) = through {
            query.upper = std::ops::Bound::Included(keys::mention_sk(c, ordinal));
        }
        for _ in 0..100 {
            let page = self.store.query(&query).await?;
            if page.items.is_empty() {
                return Ok(());
            }
            let ops: Vec<WriteOp> =
                page.items.iter().map(|i| WriteOp::Delete { key: i.key.clone(), cond: Cond::Exists }).collect();
            let count = ops.len() as i64;
            if through.is_none() {
                self.store
                    .batch_write(
                        ops.into_iter()
                            .map(|op| match op {
                                WriteOp::Delete { key, .. } => WriteOp::Delete { key, cond: Cond::Always },
                                other => other,
                            })
                            .collect(),
                    )
                    .await?;
            } else {
                let mut tx = Transaction::default().with(OpRole::Mention, ops);
                tx.push(
                    OpRole::CallerMembership,
                    WriteOp::Update {
                        key: keys::membership(t, u, c),
                        update: Update::default().add("mentionCount", -count),
                        cond: Cond::Exists,
                    },
                );
                match tx.commit(self.store.as_ref()).await {
                    Ok(()) => {}
                    // No longer a member: nothing is counted any more; forget the items.
                    Err(refused) if refused.refused(OpRole::CallerMembership) => {
                        return Box::pin(self.try_clear_mentions(t, u, c, None)).await;
                    }
                    // Another tab cleared some of them first: read again.
                    Err(
                        TransactionError::Refused(_) | TransactionError::Store(StoreError::TransactionCanceled { .. }),
                    ) => {}
                    Err(TransactionError::Store(e)) => return Err(e.into()),
                }
            }
            if !page.more && through.is_none() {
                return Ok(());
            }
        }
        Err(ChatError::Internal("too many mentions to clear".into()))
    }

    /// Profiles of these users (missing ones are left out).
    pub async fn users_by_id(&self, t: &TenantId, users: &[UserId]) -> ChatResult<Vec<UserProfile>> {
        if users.len() > 100 {
            return Err(InvalidInput::new("ids", "at most 100 per request").into());
        }
        let profiles = self.profiles(t, users).await?;
        Ok(users.iter().filter_map(|u| profiles.get(u).cloned()).collect())
    }
}
