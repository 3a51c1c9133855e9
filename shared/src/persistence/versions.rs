//! Edit history (`VERSION#{message}#{n}` in the conversation's partition): the text each edit
//! replaced, kept while the message lives, the newest `MAX_KEPT_VERSIONS`.

use super::codec::{from_attrs, to_attrs};
use super::keys;
use super::paging::query_all;
use super::tables::{put, Tables};
use crate::domain::error::ChatResult;
use crate::domain::ids::{ConversationId, MessageId, TenantId};
use crate::domain::versions::MAX_KEPT_VERSIONS;
use crate::domain::MessageVersion;
use crate::ports::store::{Cond, Query, WriteOp};

impl Tables {
    /// A message's earlier texts, newest first.
    pub async fn versions(&self, t: &TenantId, c: &ConversationId, m: &MessageId) -> ChatResult<Vec<MessageVersion>> {
        let items = query_all(self.db(), versions_query(t, c, m).backward(), MAX_KEPT_VERSIONS as usize).await?;
        items.iter().map(|i| from_attrs(&i.attrs)).collect()
    }

    /// Deletes a message's earlier texts (the message was deleted or expired).
    pub async fn remove_versions(&self, t: &TenantId, c: &ConversationId, m: &MessageId) -> ChatResult<()> {
        // More than the bound may be found: an edit racing this removal, or items from before it.
        let items = query_all(self.db(), versions_query(t, c, m), usize::MAX).await?;
        if items.is_empty() {
            return Ok(());
        }
        let ops = items.into_iter().map(|i| WriteOp::Delete { key: i.key, cond: Cond::Always }).collect();
        Ok(self.db().batch_write(ops).await?)
    }
}

fn versions_query(t: &TenantId, c: &ConversationId, m: &MessageId) -> Query {
    Query::prefix(keys::conversation_pk(t, c), &keys::version_prefix(m)).limit(MAX_KEPT_VERSIONS as usize).consistent()
}

/// The writes that keep `version` as the message's `n`th earlier text: put it, and drop the one
/// that falls past the bound.
pub fn keep_version(
    t: &TenantId,
    c: &ConversationId,
    m: &MessageId,
    n: u64,
    version: &MessageVersion,
) -> ChatResult<Vec<WriteOp>> {
    // Unconditional: the message's own condition in the same transaction orders the edits.
    let mut ops = vec![put(keys::version(t, c, m, n), to_attrs(version)?)];
    if n > MAX_KEPT_VERSIONS {
        ops.push(WriteOp::Delete { key: keys::version(t, c, m, n - MAX_KEPT_VERSIONS), cond: Cond::Always });
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (TenantId, ConversationId, MessageId) {
        (
            TenantId::parse("acme").expect("tenant"),
            ConversationId::parse("C01JD8Z6V3Q0000000000000000").expect("conversation"),
            MessageId::parse("01JE0000000000000000000000").expect("message"),
        )
    }

    fn version() -> MessageVersion {
        MessageVersion {
            body: "before".into(),
            mentions: vec![],
            written_at: "2026-12-07T10:00:00.000Z".into(),
            replaced_at: "2026-12-07T10:01:00.000Z".into(),
        }
    }

    #[test]
    fn an_edit_within_the_bound_only_adds_and_one_past_it_drops_the_oldest() {
        let (t, c, m) = ids();
        let within = keep_version(&t, &c, &m, MAX_KEPT_VERSIONS, &version()).expect("ops");
        assert_eq!(within.len(), 1);
        assert_eq!(within[0].key(), &keys::version(&t, &c, &m, MAX_KEPT_VERSIONS));
        let past = keep_version(&t, &c, &m, MAX_KEPT_VERSIONS + 3, &version()).expect("ops");
        assert_eq!(past.len(), 2);
        assert!(matches!(&past[1], WriteOp::Delete { key, .. } if *key == keys::version(&t, &c, &m, 3)));
    }

    #[test]
    fn versions_sort_by_edit_number_under_their_message_only() {
        let (t, c, m) = ids();
        let other = MessageId::parse("01JE0000000000000000000001").expect("message");
        let (nine, ten) = (keys::version(&t, &c, &m, 9), keys::version(&t, &c, &m, 10));
        assert!(nine.sk < ten.sk);
        let query = versions_query(&t, &c, &m);
        assert!(query.contains(&ten.sk));
        assert!(!query.contains(&keys::version(&t, &c, &other, 1).sk));
        assert!(!ten.sk.starts_with(keys::MESSAGE_PREFIX));
    }
}
