//! Who may export a conversation's archive, the tenant's archive policy (compliance export, how
//! long the archive keeps messages, purging deleted messages from it), and the audit trail.
//!
//! The archive holds every version of every message (pre-edit and deleted text included), so
//! it is as private as the conversation: a tenant admin may export the conversations they are
//! in and the tenant's public channels (as a Slack workspace admin may); DMs and private
//! channels they are not in do not exist for them (404, as on every other route). Only the
//! separate `compliance` role reaches those, only once a tenant admin enabled compliance export,
//! and every such export leaves a durable audit record (who, what, when) before any URL is issued.

use serde::Serialize;
use utoipa::ToSchema;

use super::{page_limit, Chat};
use crate::domain::caller::{Caller, Role};
use crate::domain::error::{ChatError, ChatResult, InvalidInput};
use crate::domain::ids::{ConversationId, TenantId};
pub use crate::domain::retention::{ArchivePolicy, AuditAction, AuditRecord};
use crate::domain::ConversationKind;
use crate::persistence::audit::{self as stored, put_archive_policy};
use crate::persistence::retention::register_tenant;
use crate::persistence::transaction::{OpRole, Transaction};

/// Largest page of audit records.
pub const MAX_AUDIT_PAGE: usize = 100;

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    /// Newest first.
    pub items: Vec<AuditRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Why an export was allowed: only the compliance path is audited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ExportAccess {
    /// A tenant admin who is a member, or a public channel of their tenant.
    Admin,
    /// The compliance role, with compliance export enabled.
    Compliance,
}

fn require_admin(caller: &Caller) -> ChatResult<()> {
    if caller.is_tenant_admin() {
        Ok(())
    } else {
        Err(ChatError::forbidden("not_tenant_admin", "only tenant admins manage the archive policy"))
    }
}

impl Chat {
    pub(super) async fn archive_policy_of(&self, t: &TenantId) -> ChatResult<ArchivePolicy> {
        Ok(self.tables.archive_policy(t).await?.unwrap_or_default())
    }

    pub async fn archive_policy(&self, caller: &Caller) -> ChatResult<ArchivePolicy> {
        if !caller.is_tenant_admin() && !caller.has_role(Role::Compliance) {
            return Err(ChatError::forbidden("not_tenant_admin", "only tenant admins read the archive policy"));
        }
        self.archive_policy_of(&caller.tenant).await
    }

    /// Sets the archive policy; a change is recorded in the audit trail in the same transaction.
    pub async fn set_archive_policy(&self, caller: &Caller, policy: ArchivePolicy) -> ChatResult<ArchivePolicy> {
        require_admin(caller)?;
        super::retention::check_days("archiveRetentionDays", policy.archive_retention_days)?;
        let t = &caller.tenant;
        if self.archive_policy_of(t).await? == policy {
            return Ok(policy);
        }
        let record = self.audit_record(caller, AuditAction::ArchivePolicyChanged, |r| r.policy = Some(policy));
        // The retention job keeps the archive: it must know the tenant.
        let tx = Transaction::default()
            .with(OpRole::Record, [put_archive_policy(t, &policy)?, stored::record(t, &record)?, register_tenant(t)?]);
        self.tables.commit(tx).await?;
        tracing::info!(
            target: "audit",
            tenant = %t,
            actor = %caller.user,
            action = "archive_policy_changed",
            compliance_export = policy.compliance_export,
            archive_retention_days = ?policy.archive_retention_days,
            purge_deleted = policy.purge_deleted,
            "archive policy changed"
        );
        Ok(policy)
    }

    fn audit_record(&self, caller: &Caller, action: AuditAction, fill: impl FnOnce(&mut AuditRecord)) -> AuditRecord {
        let ms = self.clock.now_ms();
        let mut record = AuditRecord {
            id: ulid::Ulid::from_parts(ms.max(0) as u64, rand::random()).to_string(),
            at: crate::domain::format_time(ms),
            actor: caller.user.clone(),
            action,
            conversation_id: None,
            from: None,
            to: None,
            files: None,
            policy: None,
        };
        fill(&mut record);
        record
    }

    /// Decides an archive export (see the module's comment). Refusals reveal no more than the
    /// caller may know: 403 where the caller may not export at all, 404 for a conversation that
    /// does not exist for them.
    pub(super) async fn archive_export_access(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
    ) -> ChatResult<ExportAccess> {
        let t = &caller.tenant;
        let admin = caller.is_tenant_admin();
        let compliance = caller.has_role(Role::Compliance) && self.archive_policy_of(t).await?.compliance_export;
        if !admin && !compliance {
            return Err(if caller.has_role(Role::Compliance) {
                ChatError::forbidden("compliance_export_disabled", "this tenant has not enabled compliance export")
            } else {
                ChatError::forbidden("not_tenant_admin", "only tenant admins export the archive")
            });
        }
        let meta = self.tables.meta(t, conversation, false).await?.ok_or(ChatError::NotFound("conversation"))?;
        if admin
            && (meta.kind == ConversationKind::Public
                || self.tables.member(t, conversation, &caller.user).await?.is_some())
        {
            return Ok(ExportAccess::Admin);
        }
        if compliance {
            return Ok(ExportAccess::Compliance);
        }
        // A DM or private channel the admin is not in does not exist for them.
        Err(ChatError::NotFound("conversation"))
    }

    /// Records a compliance export before its URLs are handed out: no record, no export.
    pub(super) async fn audit_compliance_export(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        from: Option<&str>,
        to: Option<&str>,
        files: usize,
    ) -> ChatResult<()> {
        let record = self.audit_record(caller, AuditAction::ComplianceExport, |r| {
            r.conversation_id = Some(conversation.clone());
            r.from = from.map(str::to_owned);
            r.to = to.map(str::to_owned);
            r.files = Some(files);
        });
        let t = &caller.tenant;
        self.tables.write_all(vec![stored::record(t, &record)?]).await?;
        tracing::info!(
            target: "audit",
            tenant = %t,
            actor = %caller.user,
            action = "compliance_export",
            conversation = %conversation,
            files,
            "compliance export"
        );
        Ok(())
    }

    /// The tenant's audit trail, newest first (tenant admins).
    pub async fn audit_records(
        &self,
        caller: &Caller,
        cursor: Option<&str>,
        limit: Option<usize>,
    ) -> ChatResult<AuditPage> {
        if !caller.is_tenant_admin() {
            return Err(ChatError::forbidden("not_tenant_admin", "only tenant admins read the audit trail"));
        }
        let limit = page_limit(limit, MAX_AUDIT_PAGE)?;
        if let Some(cursor) = cursor {
            if cursor.is_empty() || cursor.len() > 80 || cursor.contains(|c: char| c.is_control()) {
                return Err(InvalidInput::new("cursor", "is not an audit cursor").into());
            }
        }
        let (items, next_cursor) = self.tables.audit_page(&caller.tenant, cursor, limit).await?;
        Ok(AuditPage { items, next_cursor })
    }
}
