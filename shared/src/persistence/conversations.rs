//! Conversations: the conversation item (`META`, with the sequence), its members (`MEM#` in the
//! conversation's partition), each member's membership (`CONV#` in the user's partition, with
//! the read position and counts), and the channel and DM directories.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::attrs;
use super::codec::{from_attrs, to_attrs};
use super::keys;
use super::paging::continuation;
use super::tables::{put, put_new, Tables};
use super::transaction::{OpRole, Refusal, Transaction};
use crate::domain::error::ChatResult;
use crate::domain::ids::{ConversationId, TenantId, UserId};
use crate::domain::{ConversationKind, ConversationMeta, ConversationUpdate, Member, Membership, NotificationLevel};
use crate::ports::store::{Cond, Item, Key, Query, StoreError, Update, WriteOp};

/// A public channel's unique name claim (`PUBCHAN#{name}` in the tenant's partition), which
/// browsing lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicChannelEntry {
    pub conversation_id: ConversationId,
    pub name: String,
    pub topic: Option<String>,
    /// Archived: browsing skips it, but the name stays claimed (unarchiving needs it back).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub archived: bool,
}

/// A member item's user: all fan-out needs of it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MemberRef {
    user_id: UserId,
}

/// A directory item pointing at a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConversationRef {
    conversation_id: ConversationId,
}

impl Tables {
    pub async fn meta(
        &self,
        t: &TenantId,
        c: &ConversationId,
        consistent: bool,
    ) -> ChatResult<Option<ConversationMeta>> {
        self.db().get(&keys::conversation_meta(t, c), consistent).await?.map(|i| from_attrs(&i.attrs)).transpose()
    }

    /// The conversation items of these conversations (missing ones left out).
    pub async fn metas(
        &self,
        t: &TenantId,
        ids: &[ConversationId],
    ) -> ChatResult<HashMap<ConversationId, ConversationMeta>> {
        let keys: Vec<Key> = ids.iter().map(|c| keys::conversation_meta(t, c)).collect();
        let mut out = HashMap::new();
        for item in self.db().batch_get(&keys, false).await? {
            let meta: ConversationMeta = from_attrs(&item.attrs)?;
            out.insert(meta.id.clone(), meta);
        }
        Ok(out)
    }

    pub async fn member(&self, t: &TenantId, c: &ConversationId, u: &UserId) -> ChatResult<Option<Member>> {
        self.db().get(&keys::member(t, c, u), true).await?.map(|i| from_attrs(&i.attrs)).transpose()
    }

    /// The users among `users` who are members of the conversation.
    pub async fn members_among(&self, t: &TenantId, c: &ConversationId, users: &[&UserId]) -> ChatResult<Vec<UserId>> {
        let keys: Vec<Key> = users.iter().map(|u| keys::member(t, c, u)).collect();
        let found: HashSet<String> = self.db().batch_get(&keys, true).await?.into_iter().map(|i| i.key.sk).collect();
        Ok(users.iter().filter(|u| found.contains(&keys::member(t, c, u).sk)).map(|u| (*u).clone()).collect())
    }

    /// A page of a conversation's members in user-id order, after the user `after`.
    pub async fn members_page(
        &self,
        t: &TenantId,
        c: &ConversationId,
        after: Option<&UserId>,
        limit: usize,
    ) -> ChatResult<(Vec<Member>, bool)> {
        let mut query = Query::prefix(keys::conversation_pk(t, c), keys::MEMBER_PREFIX).limit(limit).consistent();
        if let Some(user) = after {
            query = query.after(keys::member(t, c, user).sk);
        }
        let page = self.db().query(&query).await?;
        let members = page.items.iter().map(|i| from_attrs(&i.attrs)).collect::<ChatResult<_>>()?;
        Ok((members, page.more))
    }

    /// The user ids of every current member, page after page (fan-out's audience).
    pub async fn member_ids(&self, t: &TenantId, c: &ConversationId) -> ChatResult<HashSet<UserId>> {
        let mut members = HashSet::new();
        let mut next = Some(Query::prefix(keys::conversation_pk(t, c), keys::MEMBER_PREFIX).limit(1000).consistent());
        while let Some(query) = next.take() {
            let page = self.db().query_shared(&query).await?;
            // Fan-out reads every member per event: only the user id is decoded. An item that
            // does not read reaches no one, and is not every other member's failure.
            for item in &page.items {
                match from_attrs::<MemberRef>(&item.attrs) {
                    Ok(member) => {
                        members.insert(member.user_id);
                    }
                    Err(e) => tracing::warn!(conversation = %c, error = %e, "unreadable member item skipped"),
                }
            }
            next = continuation(&query, &page);
        }
        Ok(members)
    }

    pub async fn membership(
        &self,
        t: &TenantId,
        u: &UserId,
        c: &ConversationId,
        consistent: bool,
    ) -> ChatResult<Option<Membership>> {
        self.db().get(&keys::membership(t, u, c), consistent).await?.map(|i| from_attrs(&i.attrs)).transpose()
    }

    /// The conversations among `ids` that `u` has a membership in.
    pub async fn joined(
        &self,
        t: &TenantId,
        u: &UserId,
        ids: &[ConversationId],
        consistent: bool,
    ) -> ChatResult<HashSet<ConversationId>> {
        let keys: Vec<Key> = ids.iter().map(|c| keys::membership(t, u, c)).collect();
        let found: HashSet<String> =
            self.db().batch_get(&keys, consistent).await?.into_iter().map(|i| i.key.sk).collect();
        Ok(ids.iter().filter(|c| found.contains(&keys::membership(t, u, c).sk)).cloned().collect())
    }

    /// The memberships of `users` in one conversation (the users who have one).
    pub async fn memberships_in(
        &self,
        t: &TenantId,
        c: &ConversationId,
        users: &[UserId],
    ) -> ChatResult<Vec<(UserId, Membership)>> {
        let keys: Vec<Key> = users.iter().map(|u| keys::membership(t, u, c)).collect();
        let mut out = Vec::new();
        for item in self.db().batch_get(&keys, true).await? {
            if let Some(u) = users.iter().find(|u| keys::user_pk(t, u) == item.key.pk) {
                out.push((u.clone(), from_attrs(&item.attrs)?));
            }
        }
        Ok(out)
    }

    /// The user's memberships, newest conversation first, at most `max` (read `page` at a time).
    pub async fn memberships(&self, t: &TenantId, u: &UserId, page: usize, max: usize) -> ChatResult<Vec<Membership>> {
        let query = Query::prefix(keys::user_pk(t, u), keys::MEMBERSHIP_PREFIX).limit(page).backward().consistent();
        super::paging::query_all(self.db(), query, max).await?.iter().map(|i| from_attrs(&i.attrs)).collect()
    }

    /// Moves the user's read position forward to (`seq`, `count`), never back: false when it
    /// was already there or further.
    pub async fn advance_read_position(
        &self,
        t: &TenantId,
        u: &UserId,
        c: &ConversationId,
        seq: u64,
        count: u64,
    ) -> ChatResult<bool> {
        let update = Update::default().set(attrs::READ_SEQ, seq).set(attrs::READ_COUNT, count);
        let forward_only = Cond::MissingOrBelow(attrs::READ_SEQ.into(), seq as i64);
        match self.db().update(&keys::membership(t, u, c), update, forward_only).await {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Stores the member's notification level on their membership: false when there is no
    /// membership (they left meanwhile).
    pub async fn set_notification_level(
        &self,
        t: &TenantId,
        u: &UserId,
        c: &ConversationId,
        level: NotificationLevel,
    ) -> ChatResult<bool> {
        let update = Update::default().set(attrs::NOTIFICATION_LEVEL, level.as_str());
        match self.db().update(&keys::membership(t, u, c), update, Cond::Exists).await {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// A page of the tenant's public channels by name, after the name `after`.
    pub async fn public_channels_page(
        &self,
        t: &TenantId,
        after: Option<&str>,
        limit: usize,
    ) -> ChatResult<(Vec<PublicChannelEntry>, bool)> {
        let mut query = Query::prefix(keys::tenant_pk(t), keys::PUBLIC_CHANNEL_PREFIX).limit(limit);
        if let Some(name) = after {
            query = query.after(keys::public_channel_sk(name));
        }
        let page = self.db().query(&query).await?;
        let entries = page.items.iter().map(|i| from_attrs(&i.attrs)).collect::<ChatResult<_>>()?;
        Ok((entries, page.more))
    }

    /// The ids of every channel called `name` (public names are unique, private ones need not
    /// be), from the directory entries and the older unique `CHNAME#{name}` item.
    pub async fn channels_named(&self, t: &TenantId, name: &str) -> ChatResult<HashSet<ConversationId>> {
        let query = Query::prefix(keys::tenant_pk(t), &keys::channel_name_prefix(name)).limit(1000);
        let page = self.db().query(&query).await?;
        let legacy = self.db().get(&keys::legacy_channel_name(t, name), false).await?;
        page.items
            .iter()
            .chain(legacy.iter())
            .map(|i| from_attrs::<ConversationRef>(&i.attrs).map(|r| r.conversation_id))
            .collect()
    }
}

/// Writes the conversation item of a new conversation.
pub fn create_meta(t: &TenantId, meta: &ConversationMeta) -> ChatResult<WriteOp> {
    Ok(put_new(keys::conversation_meta(t, &meta.id), to_attrs(meta)?))
}

/// Takes the conversation's next sequence number, `seq`, only if `previous` is still its last
/// (so changes commit in order, without holes), with `update`'s other changes to the item.
pub fn take_sequence(t: &TenantId, c: &ConversationId, previous: u64, seq: u64, update: Update) -> WriteOp {
    WriteOp::Update {
        key: keys::conversation_meta(t, c),
        update: update.set(attrs::LAST_SEQ, seq),
        cond: Cond::Equals(attrs::LAST_SEQ.into(), previous.into()),
    }
}

/// The conversation item as a refused `take_sequence` found it, so the retry plans at the seq
/// that is next now without reading it again; `None` when the refusal does not show it (the
/// store did not report it, or the conversation is gone: a read tells).
pub fn meta_after_refusal(refusal: &Refusal, t: &TenantId, c: &ConversationId) -> ChatResult<Option<ConversationMeta>> {
    match refusal.current(OpRole::Sequence, &keys::conversation_meta(t, c)) {
        Some(Some(attrs)) => Ok(Some(from_attrs(attrs)?)),
        _ => Ok(None),
    }
}

/// What a sent message changes on the conversation item.
pub fn count_message(now: &str) -> Update {
    Update::default().add(attrs::MESSAGE_COUNT, 1).set(attrs::LAST_MESSAGE_AT, now)
}

/// Replaces the conversation's recent deletions (for unread counts).
pub fn set_deleted_ordinals(deleted: &[u64]) -> Update {
    Update::default().set(attrs::DELETED_ORDINALS, deleted.to_vec())
}

/// Adds a member: the member item (only if not one already) and their membership.
pub fn add_member(t: &TenantId, member: &Member, membership: &Membership) -> ChatResult<[WriteOp; 2]> {
    let c = &membership.conversation_id;
    Ok([
        put_new(keys::member(t, c, &member.user_id), to_attrs(member)?),
        put(keys::membership(t, &member.user_id, c), to_attrs(membership)?),
    ])
}

/// Removes a member (who must be one) and their membership.
pub fn remove_member(t: &TenantId, c: &ConversationId, u: &UserId) -> [WriteOp; 2] {
    [
        WriteOp::Delete { key: keys::member(t, c, u), cond: Cond::Exists },
        WriteOp::Delete { key: keys::membership(t, u, c), cond: Cond::Always },
    ]
}

/// Checks that `u` is still a member when a change commits.
pub fn check_member(t: &TenantId, c: &ConversationId, u: &UserId) -> WriteOp {
    WriteOp::Check { key: keys::member(t, c, u), cond: Cond::Exists }
}

/// The sender's read position moves to their own message (and proves their membership).
pub fn read_own_message(t: &TenantId, u: &UserId, c: &ConversationId, seq: u64, count: u64) -> WriteOp {
    WriteOp::Update {
        key: keys::membership(t, u, c),
        update: Update::default().set(attrs::READ_SEQ, seq).set(attrs::READ_COUNT, count),
        cond: Cond::Exists,
    }
}

/// Lists a channel under its name (`CHNAME#{name}#{id}`): a directory entry, not a claim.
pub fn list_channel(t: &TenantId, name: &str, c: &ConversationId) -> ChatResult<WriteOp> {
    Ok(put_new(keys::channel_directory(t, name, c), to_attrs(&ConversationRef { conversation_id: c.clone() })?))
}

/// Claims a public channel's name among the tenant's public channels.
pub fn claim_public_name(t: &TenantId, entry: &PublicChannelEntry) -> ChatResult<WriteOp> {
    Ok(put_new(keys::public_channel(t, &entry.name), to_attrs(entry)?))
}

/// Lists a DM in the tenant's DM directory (retention and export find DMs there).
pub fn list_dm(t: &TenantId, c: &ConversationId) -> ChatResult<WriteOp> {
    Ok(put(keys::dm_directory(t, c), to_attrs(&ConversationRef { conversation_id: c.clone() })?))
}

/// What a change of a channel's name, topic or archived state writes besides its sequence:
/// the conversation item's fields (returned as its update), the directory entry moved to the new
/// name, and, for a public channel, its name claim moved (the new one only if the name is free:
/// `NameClaim`; the old one only if it is this channel's) or rewritten in place.
pub fn update_channel(
    t: &TenantId,
    meta: &ConversationMeta,
    next: &ConversationUpdate,
) -> ChatResult<(Transaction, Update)> {
    let c = &meta.id;
    let old_name = meta.name.as_deref().unwrap_or_default();
    let renamed = old_name != next.name;
    let mut tx = Transaction::default();
    if renamed {
        tx.push(OpRole::Record, WriteOp::Delete { key: keys::channel_directory(t, old_name, c), cond: Cond::Always });
        tx.push(OpRole::Record, list_channel(t, &next.name, c)?);
    }
    if meta.kind == ConversationKind::Public {
        let entry = PublicChannelEntry {
            conversation_id: c.clone(),
            name: next.name.clone(),
            topic: next.topic.clone(),
            archived: next.archived,
        };
        let ours = Cond::Equals(attrs::CONVERSATION_ID.into(), c.as_str().into());
        if renamed {
            tx.push(OpRole::Record, WriteOp::Delete { key: keys::public_channel(t, old_name), cond: ours });
            tx.push(OpRole::NameClaim, claim_public_name(t, &entry)?);
        } else {
            let item = Item::new(keys::public_channel(t, &next.name), to_attrs(&entry)?);
            tx.push(OpRole::Record, WriteOp::Put { item, cond: ours });
        }
    }
    let update = Update::default().set(attrs::NAME, next.name.as_str());
    let update = match &next.topic {
        Some(topic) => update.set(attrs::TOPIC, topic.as_str()),
        None => update.remove(attrs::TOPIC),
    };
    let update = if next.archived { update.set(attrs::ARCHIVED, true) } else { update.remove(attrs::ARCHIVED) };
    Ok((tx, update))
}
