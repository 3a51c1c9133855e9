//! Retention's items: the tenant's policy (`POLICY#TENANT`) and its conversation overrides
//! (`POLICY#C#{id}`) in the tenant's partition, the registry of tenants the job visits
//! (`RETENTION`), the tenant's conversations as its directories list them, and the messages
//! retention removes.

use serde::{Deserialize, Serialize};

use super::attrs;
use super::codec::{from_attrs, to_attrs};
use super::keys;
use super::messages::{copies, read_locator, StoredMessage};
use super::paging::{query_all, Pages};
use super::tables::{put, Tables};
use crate::domain::error::{ChatError, ChatResult};
use crate::domain::ids::{ConversationId, MessageId, TenantId};
use crate::domain::retention::{ConversationPolicy, TenantPolicy};
use crate::domain::Message;
use crate::ports::store::{Cond, Query, WriteOp};

/// Directory entries and policy overrides are read this many at a time.
const LISTING_PAGE: usize = 1000;
/// The job visits at most this many tenants in a run (one page of the registry).
const MAX_TENANTS: usize = 10_000;
/// Expired messages are read, and removed, this many at a time.
const EXPIRED_PAGE: usize = 100;

/// A tenant the retention job visits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TenantRef {
    tenant_id: TenantId,
}

/// A channel or DM directory entry. Entries without an id are skipped, not an error.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DirectoryEntry {
    #[serde(default)]
    conversation_id: Option<ConversationId>,
}

impl Tables {
    /// The tenant's own retention policy, if it set one.
    pub async fn tenant_policy(&self, t: &TenantId) -> ChatResult<Option<TenantPolicy>> {
        self.db().get(&keys::tenant_policy(t), true).await?.map(|i| from_attrs(&i.attrs)).transpose()
    }

    /// Every conversation override of the tenant, by conversation id.
    pub async fn conversation_policies(&self, t: &TenantId) -> ChatResult<Vec<(ConversationId, ConversationPolicy)>> {
        let query =
            Query::prefix(keys::tenant_pk(t), keys::CONVERSATION_POLICY_PREFIX).limit(LISTING_PAGE).consistent();
        let items = query_all(self.db(), query, usize::MAX).await?;
        items
            .iter()
            .map(|item| {
                let id = item.key.sk.strip_prefix(keys::CONVERSATION_POLICY_PREFIX).unwrap_or_default();
                let conversation_id = ConversationId::parse(id).map_err(ChatError::corrupt)?;
                Ok((conversation_id, from_attrs(&item.attrs)?))
            })
            .collect()
    }

    /// The tenants registered for the retention job (those whose key does not read are skipped).
    pub async fn retention_tenants(&self) -> ChatResult<Vec<TenantId>> {
        // A registry entry's sort key is `T#{tenant}`, the tenant's own partition key.
        let query = Query::prefix(keys::RETENTION_TENANTS_PK, keys::TENANT_PK_PREFIX).limit(MAX_TENANTS);
        let page = self.db().query(&query).await?;
        Ok(page
            .items
            .iter()
            .filter_map(|i| i.key.sk.strip_prefix(keys::TENANT_PK_PREFIX).and_then(|t| TenantId::parse(t).ok()))
            .collect())
    }

    /// Every conversation of a tenant: channels by their directory entries, then DMs by theirs.
    pub async fn tenant_conversations(&self, t: &TenantId) -> ChatResult<Vec<ConversationId>> {
        let mut out = Vec::new();
        for prefix in [keys::CHANNEL_NAME_PREFIX, keys::DM_DIRECTORY_PREFIX] {
            let query = Query::prefix(keys::tenant_pk(t), prefix).limit(LISTING_PAGE);
            for item in query_all(self.db(), query, usize::MAX).await? {
                out.extend(from_attrs::<DirectoryEntry>(&item.attrs)?.conversation_id);
            }
        }
        Ok(out)
    }

    /// The conversation's thread replies created before `cutoff_ms` as (reply, root), oldest
    /// first, a page at a time: read from their locators, no thread is read.
    pub fn replies_created_before(
        &self,
        t: &TenantId,
        c: &ConversationId,
        cutoff_ms: i64,
    ) -> Pages<(MessageId, MessageId)> {
        let query = Query::prefix(keys::conversation_pk(t, c), keys::REPLY_LOCATOR_PREFIX)
            .before(format!("{}{}", keys::REPLY_LOCATOR_PREFIX, ulid_at(cutoff_ms)))
            .limit(EXPIRED_PAGE)
            .consistent();
        Pages::new(query, read_locator)
    }

    /// The conversation's messages created before `cutoff_ms`, oldest first, a page at a time.
    pub fn messages_created_before(&self, t: &TenantId, c: &ConversationId, cutoff_ms: i64) -> Pages<StoredMessage> {
        let query = Query::prefix(keys::conversation_pk(t, c), keys::MESSAGE_PREFIX)
            .before(message_sk_at(cutoff_ms))
            .limit(EXPIRED_PAGE)
            .consistent();
        Pages::new(query, StoredMessage::from_item)
    }
}

/// The smallest message sort key created at or after `ms` (message ids are ULIDs: they sort by
/// the time they were made).
fn message_sk_at(ms: i64) -> String {
    format!("{}{}", keys::MESSAGE_PREFIX, ulid_at(ms))
}

fn ulid_at(ms: i64) -> ulid::Ulid {
    ulid::Ulid::from_parts(ms.max(0) as u64, 0)
}

/// Sets the tenant's retention policy.
pub fn put_tenant_policy(t: &TenantId, policy: &TenantPolicy) -> ChatResult<WriteOp> {
    Ok(put(keys::tenant_policy(t), to_attrs(policy)?))
}

/// Sets a conversation's override of the tenant's policy.
pub fn put_conversation_policy(t: &TenantId, c: &ConversationId, policy: &ConversationPolicy) -> ChatResult<WriteOp> {
    Ok(put(keys::conversation_policy(t, c), to_attrs(policy)?))
}

/// Registers a tenant for the retention job (the deployment's default applies to it).
pub fn register_tenant(t: &TenantId) -> ChatResult<WriteOp> {
    Ok(put(keys::retention_tenant(t), to_attrs(&TenantRef { tenant_id: t.clone() })?))
}

/// Removes an expired message, only if unchanged since it was read (an edit since then is not
/// in the archive yet): every copy of a reply, and its locator.
pub fn remove_message(t: &TenantId, message: &Message) -> Vec<WriteOp> {
    let cond = Cond::Equals(attrs::UPDATED_SEQ.into(), message.updated_seq.into());
    let mut ops: Vec<WriteOp> =
        copies(t, message).into_iter().map(|key| WriteOp::Delete { key, cond: cond.clone() }).collect();
    if message.is_reply() {
        ops.push(WriteOp::Delete {
            key: keys::reply_locator(t, &message.conversation_id, &message.id),
            cond: Cond::Always,
        });
    }
    ops
}

/// Removes a locator whose reply is gone.
pub fn remove_locator(t: &TenantId, c: &ConversationId, reply: &MessageId) -> WriteOp {
    WriteOp::Delete { key: keys::reply_locator(t, c, reply), cond: Cond::Always }
}

/// Removes a removed message's client-id guard, which would otherwise outlive it.
pub fn remove_client_id_guard(t: &TenantId, c: &ConversationId, message: &Message) -> WriteOp {
    WriteOp::Delete {
        key: keys::client_message(t, c, &message.author_id, &message.client_message_id),
        cond: Cond::Always,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::MessageId;

    #[test]
    fn messages_made_before_an_instant_sort_below_its_key_and_later_ones_at_or_above_it() {
        let at = 1_795_680_000_000;
        let cutoff = message_sk_at(at);
        let before = keys::message_sk(&MessageId::from_ulid(ulid::Ulid::from_parts(at as u64 - 1, u128::MAX)));
        let same_ms = keys::message_sk(&MessageId::from_ulid(ulid::Ulid::from_parts(at as u64, 0)));
        let after = keys::message_sk(&MessageId::from_ulid(ulid::Ulid::from_parts(at as u64, 1)));
        assert!(before < cutoff, "{before} < {cutoff}");
        assert!(same_ms >= cutoff && after > cutoff);
        assert_eq!(message_sk_at(-5), message_sk_at(0), "before the epoch is the epoch");
    }

    #[test]
    fn the_registry_entry_names_its_tenant_in_key_and_attributes() {
        let t = TenantId::parse("acme").expect("tenant");
        let WriteOp::Put { item, cond } = register_tenant(&t).expect("op") else { panic!("a put") };
        assert_eq!(cond, Cond::Always);
        assert_eq!(item.key.sk.strip_prefix(keys::TENANT_PK_PREFIX), Some("acme"));
        assert_eq!(item.attrs.get(attrs::TENANT_ID), Some(&serde_json::json!("acme")));
    }

    #[test]
    fn a_directory_entry_without_an_id_is_skipped_and_a_bad_one_is_corrupt() {
        let entry = |v: serde_json::Value| from_attrs::<DirectoryEntry>(v.as_object().expect("object"));
        assert_eq!(entry(serde_json::json!({})).expect("reads").conversation_id, None);
        let c = ConversationId::new_channel();
        let read = entry(serde_json::json!({ "conversationId": c.as_str() })).expect("reads");
        assert_eq!(read.conversation_id, Some(c));
        assert!(entry(serde_json::json!({ "conversationId": "not an id" })).is_err());
    }

    #[test]
    fn removing_a_message_requires_the_version_that_was_read() {
        let t = TenantId::parse("acme").expect("tenant");
        let c = ConversationId::new_channel();
        let message: Message = serde_json::from_value(serde_json::json!({
            "id": MessageId::from_ulid(ulid::Ulid::new()).to_string(), "conversationId": c.as_str(),
            "authorId": "bob", "clientMessageId": "m1", "body": "", "mentions": [], "attachments": [],
            "createdAt": "2026-01-01T00:00:00.000Z", "seq": 3, "updatedSeq": 7,
        }))
        .expect("message");
        let ops = remove_message(&t, &message);
        let [WriteOp::Delete { key, cond }] = ops.as_slice() else { panic!("one delete") };
        let (key, cond) = (key.clone(), cond.clone());
        assert_eq!(key, keys::message(&t, &c, &message.id));
        assert_eq!(cond, Cond::Equals(attrs::UPDATED_SEQ.into(), 7.into()));
        let guard = remove_client_id_guard(&t, &c, &message);
        assert_eq!(guard.key(), &keys::client_message(&t, &c, &message.author_id, &message.client_message_id));
    }
}
