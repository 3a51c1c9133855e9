//! The tenant's archive policy (`POLICY#ARCHIVE`) and its audit trail (`AUDIT#{at}#{id}`), both
//! in the tenant's partition. Records sort by time, so the trail is read backwards.

use super::codec::{from_attrs, to_attrs};
use super::keys;
use super::tables::{put, Tables};
use crate::domain::error::ChatResult;
use crate::domain::ids::TenantId;
use crate::domain::retention::{ArchivePolicy, AuditRecord};
use crate::ports::store::{Query, WriteOp};

impl Tables {
    /// The tenant's archive policy, if it set one.
    pub async fn archive_policy(&self, t: &TenantId) -> ChatResult<Option<ArchivePolicy>> {
        self.db().get(&keys::archive_policy(t), true).await?.map(|i| from_attrs(&i.attrs)).transpose()
    }

    /// Up to `limit` audit records, newest first, older than the record `before` names (a
    /// cursor this returned), and the cursor of the next page when more follow.
    pub async fn audit_page(
        &self,
        t: &TenantId,
        before: Option<&str>,
        limit: usize,
    ) -> ChatResult<(Vec<AuditRecord>, Option<String>)> {
        let mut query = Query::prefix(keys::tenant_pk(t), keys::AUDIT_PREFIX).backward().limit(limit);
        if let Some(cursor) = before {
            query = query.before(format!("{}{cursor}", keys::AUDIT_PREFIX));
        }
        let page = self.db().query(&query).await?;
        let records = page.items.iter().map(|i| from_attrs(&i.attrs)).collect::<ChatResult<Vec<AuditRecord>>>()?;
        let next = match page.items.last() {
            Some(last) if page.more => last.key.sk.strip_prefix(keys::AUDIT_PREFIX).map(str::to_owned),
            _ => None,
        };
        Ok((records, next))
    }
}

/// Sets the tenant's archive policy.
pub fn put_archive_policy(t: &TenantId, policy: &ArchivePolicy) -> ChatResult<WriteOp> {
    Ok(put(keys::archive_policy(t), to_attrs(policy)?))
}

/// Adds a record to the tenant's audit trail.
pub fn record(t: &TenantId, record: &AuditRecord) -> ChatResult<WriteOp> {
    Ok(put(keys::audit(t, &record.at, &record.id), to_attrs(record)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::UserId;
    use crate::domain::retention::AuditAction;

    /// The cursor is the part of the key after the prefix: time, then id.
    #[test]
    fn a_record_is_keyed_by_its_time_then_its_id() {
        let t = TenantId::parse("acme").expect("tenant");
        let audit = AuditRecord {
            id: "01JBZ5X3N8Q0V7W6Y4T2R1P0MA".into(),
            at: "2026-01-01T00:00:00.000Z".into(),
            actor: UserId::parse("alice").expect("user"),
            action: AuditAction::ArchivePolicyChanged,
            conversation_id: None,
            from: None,
            to: None,
            files: None,
            policy: Some(ArchivePolicy::default()),
        };
        let WriteOp::Put { item, .. } = record(&t, &audit).expect("op") else { panic!("a put") };
        assert_eq!(item.key.sk, "AUDIT#2026-01-01T00:00:00.000Z#01JBZ5X3N8Q0V7W6Y4T2R1P0MA");
        assert_eq!(item.attrs["action"], "archive_policy_changed");
        assert_eq!(from_attrs::<AuditRecord>(&item.attrs).expect("reads back"), audit);
    }
}
