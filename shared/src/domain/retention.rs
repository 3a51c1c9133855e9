//! Retention: the policies tenant admins set over the table (a tenant default, per-conversation
//! overrides, legal holds) and over the archive, and the audit trail of what was done under them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ids::{ConversationId, UserId};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantPolicy {
    /// `null`: keep forever.
    #[serde(default)]
    pub retention_days: Option<u32>,
    /// Suspends all deletion in the tenant.
    #[serde(default)]
    pub legal_hold: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationPolicy {
    /// `null`: the tenant default applies.
    #[serde(default)]
    pub retention_days: Option<u32>,
    /// Never deleted by retention.
    #[serde(default)]
    pub exempt: bool,
    #[serde(default)]
    pub legal_hold: bool,
}

/// What retention does to one conversation under its tenant's default and its own override.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EffectiveRetention {
    /// A hold (the tenant's or the conversation's) or an exemption: nothing is deleted.
    pub held: bool,
    /// How many days messages are kept (`None`: forever); the override's, else the default's.
    pub days: Option<u32>,
}

impl EffectiveRetention {
    pub fn of(default: &TenantPolicy, policy: Option<&ConversationPolicy>) -> Self {
        Self {
            held: default.legal_hold || policy.is_some_and(|p| p.legal_hold || p.exempt),
            days: policy.and_then(|p| p.retention_days).or(default.retention_days),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArchivePolicy {
    /// Lets holders of the `compliance` role export any conversation's archive, DMs and private
    /// channels included. Every such export is audited. Off unless a tenant admin turns it on.
    #[serde(default)]
    pub compliance_export: bool,
    /// How many days the archive keeps a day of messages (`null`: forever). Never less than the
    /// conversation's own retention: the archive is not pruned before the table lets go.
    #[serde(default)]
    pub archive_retention_days: Option<u32>,
    /// Removes from the archive the text, edits and files of messages that were deleted (the
    /// deletion itself stays: who, when). Applies to earlier deletions too. Holds stop it.
    #[serde(default)]
    pub purge_deleted: bool,
}

impl ArchivePolicy {
    /// The retention job has archive upkeep to do in the tenant's conversations.
    pub fn keeps_archive(&self) -> bool {
        self.archive_retention_days.is_some() || self.purge_deleted
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// The compliance role exported a conversation's archive.
    ComplianceExport,
    /// A tenant admin changed the archive policy.
    ArchivePolicyChanged,
}

/// Who did what, when. Never carries message content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    pub id: String,
    pub at: String,
    #[schema(value_type = String)]
    pub actor: UserId,
    pub action: AuditAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    /// The export's day range, as asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// How many archive files the export listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<usize>,
    /// The policy after the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<ArchivePolicy>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(days: Option<u32>, legal_hold: bool) -> TenantPolicy {
        TenantPolicy { retention_days: days, legal_hold }
    }

    #[test]
    fn an_override_s_days_win_and_the_tenant_default_fills_in() {
        let default = tenant(Some(30), false);
        assert_eq!(EffectiveRetention::of(&default, None), EffectiveRetention { held: false, days: Some(30) });
        let shorter = ConversationPolicy { retention_days: Some(7), ..ConversationPolicy::default() };
        assert_eq!(EffectiveRetention::of(&default, Some(&shorter)).days, Some(7));
        let inherits = ConversationPolicy::default();
        assert_eq!(EffectiveRetention::of(&default, Some(&inherits)).days, Some(30));
        assert_eq!(EffectiveRetention::of(&tenant(None, false), Some(&inherits)).days, None);
    }

    #[test]
    fn a_hold_or_an_exemption_anywhere_holds_the_conversation() {
        let exempt = ConversationPolicy { exempt: true, ..ConversationPolicy::default() };
        let held = ConversationPolicy { legal_hold: true, ..ConversationPolicy::default() };
        assert!(EffectiveRetention::of(&tenant(Some(1), false), Some(&exempt)).held);
        assert!(EffectiveRetention::of(&tenant(Some(1), false), Some(&held)).held);
        assert!(EffectiveRetention::of(&tenant(Some(1), true), None).held);
        assert!(!EffectiveRetention::of(&tenant(Some(1), false), Some(&ConversationPolicy::default())).held);
    }

    #[test]
    fn only_an_archive_period_or_purging_gives_the_archive_upkeep() {
        assert!(!ArchivePolicy::default().keeps_archive());
        assert!(!ArchivePolicy { compliance_export: true, ..ArchivePolicy::default() }.keeps_archive());
        assert!(ArchivePolicy { purge_deleted: true, ..ArchivePolicy::default() }.keeps_archive());
        assert!(ArchivePolicy { archive_retention_days: Some(9), ..ArchivePolicy::default() }.keeps_archive());
    }

    /// Policies are stored whole in this shape: items written before must read.
    #[test]
    fn policies_read_from_their_stored_shape() {
        let stored = serde_json::json!({ "retentionDays": 5, "legalHold": true });
        assert_eq!(serde_json::from_value::<TenantPolicy>(stored).expect("tenant"), tenant(Some(5), true));
        let stored = serde_json::json!({ "exempt": true });
        let policy: ConversationPolicy = serde_json::from_value(stored).expect("conversation");
        assert_eq!(policy, ConversationPolicy { retention_days: None, exempt: true, legal_hold: false });
        let stored =
            serde_json::json!({ "complianceExport": true, "archiveRetentionDays": null, "purgeDeleted": false });
        let policy: ArchivePolicy = serde_json::from_value(stored).expect("archive");
        assert_eq!(policy, ArchivePolicy { compliance_export: true, ..ArchivePolicy::default() });
    }
}
