//! Retention: a tenant default (keep forever, or N days) and per-channel overrides, legal holds
//! and exemptions, set by tenant admins; a job that deletes expired messages ONLY when the
//! archive watermark covers them; and the archive's export.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::compliance::ArchivePolicy;
use super::compliance::ExportAccess;
use super::messages::note_deletion;
use super::sequence::{ChangePlan, CommitOutcome};
use super::Chat;
use crate::app::archive::{archive_day, archive_day_at, archive_prefix, prune_archive, purge_deleted_day};
use crate::domain::caller::Caller;
use crate::domain::error::{ChatError, ChatResult, InvalidInput};
use crate::domain::ids::{ConversationId, TenantId};
use crate::domain::{Change, ConversationKind, ConversationMeta, Event, Message, MessageState, RemovedMessage};
use crate::persistence::change_log::LoggedChange;
use crate::persistence::codec::{from_attrs, to_attrs};
use crate::persistence::conversations::set_deleted_ordinals;
use crate::persistence::keys;
use crate::persistence::mentions::unmention;
use crate::persistence::messages::StoredMessage;
use crate::persistence::transaction::{OpRole, Transaction};
use crate::ports::blobs::Blobs;
use crate::ports::store::{Cond, Item, Query, StoreError, Update, WriteOp};

pub const MAX_RETENTION_DAYS: u32 = 36_500;
const DAY_MS: i64 = 24 * 3600 * 1000;
/// On the archive watermark item: every day of the conversation's archive has been marked for
/// purging once (days archived before marks were written included).
const PURGE_SCANNED: &str = "purgeScanned";

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

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationPolicyView {
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    #[serde(flatten)]
    pub policy: ConversationPolicy,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetentionSettings {
    pub tenant: TenantPolicy,
    pub conversations: Vec<ConversationPolicyView>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetentionReport {
    pub tenants: usize,
    pub conversations: usize,
    pub deleted: usize,
    /// Expired but not yet in the archive: left for the next run.
    pub waiting_for_archive: usize,
    pub held: usize,
    /// Archive objects of days past the archive's retention, deleted.
    pub archive_objects_deleted: usize,
    /// Archive days rewritten without the content of deleted messages.
    pub archive_days_purged: usize,
    /// Conversations whose archive could not be kept this run (logged; retried next run).
    pub archive_failures: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveFile {
    pub key: String,
    /// `YYYY-MM-DD`: the day the messages in it were written.
    pub day: String,
    pub size: u64,
    pub url: String,
}

pub(super) fn check_days(field: &'static str, days: Option<u32>) -> Result<(), InvalidInput> {
    match days {
        Some(0) => Err(InvalidInput::new(field, "must be at least 1 (or null to keep forever)")),
        Some(d) if d > MAX_RETENTION_DAYS => {
            Err(InvalidInput::new(field, format!("must be at most {MAX_RETENTION_DAYS}")))
        }
        _ => Ok(()),
    }
}

fn require_admin(caller: &Caller) -> ChatResult<()> {
    if caller.is_tenant_admin() {
        Ok(())
    } else {
        Err(ChatError::forbidden("not_tenant_admin", "only tenant admins manage retention"))
    }
}

/// The smallest message sort key created at or after `ms` (ULIDs sort by time).
fn message_sk_at(ms: i64) -> String {
    format!("{}{}", keys::MESSAGE_PREFIX, ulid::Ulid::from_parts(ms.max(0) as u64, 0))
}

impl Chat {
    pub fn with_archive(mut self, archive: std::sync::Arc<dyn Blobs>) -> Self {
        self.archive = Some(archive);
        self
    }

    /// The tenant's policy, or the deployment's default when it set none.
    async fn tenant_policy(&self, t: &TenantId) -> ChatResult<TenantPolicy> {
        match self.store.get(&keys::tenant_policy(t), true).await? {
            Some(item) => from_attrs(&item.attrs),
            None => Ok(TenantPolicy { retention_days: self.default_retention_days, legal_hold: false }),
        }
    }

    async fn conversation_policies(&self, t: &TenantId) -> ChatResult<Vec<ConversationPolicyView>> {
        let mut out = Vec::new();
        let mut query = Query::prefix(keys::tenant_pk(t), keys::CONVERSATION_POLICY_PREFIX).limit(1000).consistent();
        loop {
            let page = self.store.query(&query).await?;
            for item in &page.items {
                let id = item.key.sk.strip_prefix(keys::CONVERSATION_POLICY_PREFIX).unwrap_or_default();
                let conversation_id = ConversationId::parse(id).map_err(ChatError::corrupt)?;
                out.push(ConversationPolicyView { conversation_id, policy: from_attrs(&item.attrs)? });
            }
            match page.items.last() {
                Some(last) if page.more => query = query.after(last.key.sk.clone()),
                _ => break,
            }
        }
        Ok(out)
    }

    pub async fn retention_settings(&self, caller: &Caller) -> ChatResult<RetentionSettings> {
        require_admin(caller)?;
        Ok(RetentionSettings {
            tenant: self.tenant_policy(&caller.tenant).await?,
            conversations: self.conversation_policies(&caller.tenant).await?,
        })
    }

    pub(super) async fn register_for_retention(&self, t: &TenantId) -> ChatResult<()> {
        self.store
            .put(Item::new(keys::retention_tenant(t), to_attrs(&json!({ "tenantId": t }))?), Cond::Always)
            .await?;
        Ok(())
    }

    pub async fn set_tenant_retention(&self, caller: &Caller, policy: TenantPolicy) -> ChatResult<TenantPolicy> {
        require_admin(caller)?;
        check_days("retentionDays", policy.retention_days)?;
        self.store.put(Item::new(keys::tenant_policy(&caller.tenant), to_attrs(&policy)?), Cond::Always).await?;
        self.register_for_retention(&caller.tenant).await?;
        Ok(policy)
    }

    pub async fn set_conversation_retention(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        policy: ConversationPolicy,
    ) -> ChatResult<ConversationPolicy> {
        require_admin(caller)?;
        check_days("retentionDays", policy.retention_days)?;
        let meta =
            self.tables.meta(&caller.tenant, conversation, false).await?.ok_or(ChatError::NotFound("conversation"))?;
        if meta.kind == ConversationKind::Dm {
            return Err(InvalidInput::new("conversationId", "direct messages follow the tenant default").into());
        }
        self.store
            .put(Item::new(keys::conversation_policy(&caller.tenant, conversation), to_attrs(&policy)?), Cond::Always)
            .await?;
        self.register_for_retention(&caller.tenant).await?;
        Ok(policy)
    }

    /// Every conversation of a tenant: channels by their name items, DMs by their directory items.
    async fn tenant_conversations(&self, t: &TenantId) -> ChatResult<Vec<ConversationId>> {
        let mut out = Vec::new();
        for prefix in [keys::CHANNEL_NAME_PREFIX, keys::DM_DIRECTORY_PREFIX] {
            let mut query = Query::prefix(keys::tenant_pk(t), prefix).limit(1000);
            loop {
                let page = self.store.query(&query).await?;
                for item in &page.items {
                    if let Some(id) = item.attrs.get("conversationId").and_then(Value::as_str) {
                        out.push(ConversationId::parse(id).map_err(ChatError::corrupt)?);
                    }
                }
                match page.items.last() {
                    Some(last) if page.more => query = query.after(last.key.sk.clone()),
                    _ => break,
                }
            }
        }
        Ok(out)
    }

    /// The retention job: for every tenant with a policy, every conversation whose effective
    /// policy has a limit and no hold, delete what expired and is archived; then keep the
    /// archive to the tenant's archive policy (prune old days, purge deleted messages).
    pub async fn run_retention(&self) -> ChatResult<RetentionReport> {
        let now = self.clock.now_ms();
        let mut report = RetentionReport::default();
        let tenants = self.store.query(&Query::prefix(keys::RETENTION_TENANTS_PK, "T#").limit(10_000)).await?;
        for item in &tenants.items {
            let Some(t) = item.key.sk.strip_prefix("T#").and_then(|t| TenantId::parse(t).ok()) else { continue };
            report.tenants += 1;
            let default = self.tenant_policy(&t).await?;
            let archive_policy = self.archive_policy_of(&t).await?;
            let keeps_archive = archive_policy.archive_retention_days.is_some() || archive_policy.purge_deleted;
            let overrides = self.conversation_policies(&t).await?;
            for c in self.tenant_conversations(&t).await? {
                let policy = overrides.iter().find(|p| p.conversation_id == c).map(|p| p.policy.clone());
                let held = default.legal_hold || policy.as_ref().is_some_and(|p| p.legal_hold || p.exempt);
                let days = policy.as_ref().and_then(|p| p.retention_days).or(default.retention_days);
                if days.is_none() && !keeps_archive {
                    continue;
                }
                report.conversations += 1;
                if held {
                    report.held += 1;
                    continue;
                }
                if let Some(days) = days {
                    let (deleted, waiting) = self.expire_conversation(&t, &c, now - i64::from(days) * DAY_MS).await?;
                    report.deleted += deleted;
                    report.waiting_for_archive += waiting;
                }
                if let Some(archive) = &self.archive {
                    // One conversation's archive fault (an unreadable object, S3 refusing) is
                    // counted and left for the next run; it must not stop the other tenants.
                    if let Err(e) =
                        self.keep_archive(archive.as_ref(), &t, &c, &archive_policy, days, now, &mut report).await
                    {
                        tracing::warn!(tenant = %t, conversation = %c, error = %e, "archive upkeep failed");
                        report.archive_failures += 1;
                    }
                }
            }
        }
        tracing::info!(
            tenants = report.tenants,
            conversations = report.conversations,
            deleted = report.deleted,
            waiting = report.waiting_for_archive,
            held = report.held,
            archive_objects_deleted = report.archive_objects_deleted,
            archive_days_purged = report.archive_days_purged,
            archive_failures = report.archive_failures,
            "retention run"
        );
        Ok(report)
    }

    /// The archive policy on one conversation: purge what was deleted, then prune the days past
    /// the archive's period — only where the table lets go too (`table_days`), never before it.
    #[allow(clippy::too_many_arguments)]
    async fn keep_archive(
        &self,
        archive: &dyn Blobs,
        t: &TenantId,
        c: &ConversationId,
        policy: &ArchivePolicy,
        table_days: Option<u32>,
        now: i64,
        report: &mut RetentionReport,
    ) -> ChatResult<()> {
        if policy.purge_deleted {
            report.archive_days_purged += self.purge_archive(archive, t, c).await?;
        }
        if let (Some(archive_days), Some(table_days)) = (policy.archive_retention_days, table_days) {
            let cutoff = archive_day_at(now - i64::from(archive_days.max(table_days)) * DAY_MS);
            report.archive_objects_deleted +=
                prune_archive(archive, t, c, &cutoff).await.map_err(|e| ChatError::Internal(e.to_string()))?;
        }
        Ok(())
    }

    /// Marks every day of a conversation's archive for purging, once: days archived before the
    /// archiver marked deletions carry no mark (a day without deletions is read and left as is).
    async fn mark_archive_days_once(&self, archive: &dyn Blobs, t: &TenantId, c: &ConversationId) -> ChatResult<()> {
        let watermark = keys::archive_watermark(t, c);
        let scanned = self.store.get(&watermark, true).await?;
        if scanned.as_ref().and_then(|i| i.attrs.get(PURGE_SCANNED)).and_then(Value::as_bool) == Some(true) {
            return Ok(());
        }
        let prefix = archive_prefix(t, c);
        let mut after: Option<String> = None;
        let mut last_day = String::new();
        loop {
            let page = archive.list(&prefix, after.as_deref(), 1000).await?;
            for object in &page {
                let Some(day) = archive_day(&prefix, &object.key) else { continue };
                if day != last_day {
                    let mark = Update { add: vec![("marks".into(), 1)], ..Update::default() };
                    self.store.update(&keys::archive_purge(t, c, day), mark, Cond::Always).await?;
                    last_day = day.to_owned();
                }
            }
            match page.last() {
                Some(last) if page.len() == 1000 => after = Some(last.key.clone()),
                _ => break,
            }
        }
        self.store.update(&watermark, Update::default().set(PURGE_SCANNED, true), Cond::Always).await?;
        Ok(())
    }

    /// Purges every day of the conversation's archive marked as holding a deletion. A marker is
    /// removed only if no deletion was marked while the day was rewritten (its count unchanged).
    async fn purge_archive(&self, archive: &dyn Blobs, t: &TenantId, c: &ConversationId) -> ChatResult<usize> {
        self.mark_archive_days_once(archive, t, c).await?;
        let mut purged = 0;
        let mut query = Query::prefix(keys::conversation_pk(t, c), keys::ARCHIVE_PURGE_PREFIX).limit(100).consistent();
        loop {
            let page = self.store.query(&query).await?;
            for marker in &page.items {
                let day = marker.key.sk.strip_prefix(keys::ARCHIVE_PURGE_PREFIX).unwrap_or_default();
                let marks = marker.attrs.get("marks").cloned().unwrap_or(Value::Null);
                if purge_deleted_day(archive, t, c, day).await.map_err(|e| ChatError::Internal(e.to_string()))? {
                    purged += 1;
                }
                match self.store.delete(&marker.key, Cond::Equals("marks".into(), marks)).await {
                    Ok(_) | Err(StoreError::ConditionFailed) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            match page.items.last() {
                Some(last) if page.more => query = query.after(last.key.sk.clone()),
                _ => return Ok(purged),
            }
        }
    }

    /// Deletes messages created before `cutoff_ms` whose latest version the archive holds.
    async fn expire_conversation(
        &self,
        t: &TenantId,
        c: &ConversationId,
        cutoff_ms: i64,
    ) -> ChatResult<(usize, usize)> {
        let watermark = match self.store.get(&keys::archive_watermark(t, c), true).await? {
            Some(item) => item.attrs.get("watermark").and_then(Value::as_u64).unwrap_or(0),
            None => 0,
        };
        let (mut deleted, mut waiting) = (0, 0);
        let mut query = Query::prefix(keys::conversation_pk(t, c), keys::MESSAGE_PREFIX)
            .before(message_sk_at(cutoff_ms))
            .limit(100)
            .consistent();
        loop {
            let page = self.store.query(&query).await?;
            for item in &page.items {
                let StoredMessage { message, ordinal } = StoredMessage::from_item(item)?;
                if message.updated_seq > watermark {
                    // Not in the archive yet (the archiver lags): never delete it; next run.
                    waiting += 1;
                    continue;
                }
                if self.remove_expired(t, c, &message, ordinal).await? {
                    deleted += 1;
                }
            }
            match page.items.last() {
                Some(last) if page.more => query = query.after(last.key.sk.clone()),
                _ => break,
            }
        }
        Ok((deleted, waiting))
    }

    /// Removes one expired message: its files first (a crash then leaves a message whose files
    /// are gone, finished by the next run — never orphaned files), then the message, its
    /// client-id guard and its mention counts, as a change with the next seq.
    async fn remove_expired(
        &self,
        t: &TenantId,
        c: &ConversationId,
        message: &Message,
        ordinal: u64,
    ) -> ChatResult<bool> {
        self.discard_attachments(t, c, &message.attachments).await;
        let forget = self.tables.counted_mentions(t, c, &message.mentions, ordinal).await?;
        let already_deleted = message.deleted_at.is_some();
        let outcome = self
            .commit_change(t, c, |meta: &ConversationMeta, _seq| {
                let deleted = if already_deleted {
                    meta.deleted_ordinals.clone()
                } else {
                    note_deletion(&meta.deleted_ordinals, ordinal)
                };
                let mut ops = Transaction::default();
                // Unchanged since it was read: an edit since then is not in the archive yet.
                ops.push(
                    OpRole::Message,
                    WriteOp::Delete {
                        key: keys::message(t, c, &message.id),
                        cond: Cond::Equals("updatedSeq".into(), message.updated_seq.into()),
                    },
                );
                ops.push(
                    OpRole::Record,
                    WriteOp::Delete {
                        key: keys::client_message(t, c, &message.author_id, &message.client_message_id),
                        cond: Cond::Always,
                    },
                );
                ops.extend(OpRole::Mention, unmention(t, c, &forget, ordinal));
                Ok(ChangePlan::new(ops, LoggedChange::removed(&message.id))
                    .updating_meta(set_deleted_ordinals(&deleted)))
            })
            .await?;
        match outcome {
            CommitOutcome::Done { seq } => {
                let removed = MessageState::Removed(RemovedMessage::new(message.id, c.clone()));
                self.publish(t, Event::new(c.clone(), seq, Change::MessageDeleted(removed))).await;
                Ok(true)
            }
            // Edited meanwhile, or a mention read: the next run looks again.
            CommitOutcome::Refused(_) => Ok(false),
        }
    }

    /// A page of the archive of a conversation (or of the days `from`..=`to`), in key order (by
    /// day), with short-lived download URLs, for those `archive_export_access` admits (a
    /// compliance export is audited before its URLs go out). `cursor` is the last key of the
    /// previous page; the listing starts at `from`'s day, so a request reads one page's worth.
    pub async fn archive_files(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        from: Option<&str>,
        to: Option<&str>,
        cursor: Option<&str>,
        limit: Option<usize>,
    ) -> ChatResult<(Vec<ArchiveFile>, Option<String>)> {
        let access = self.archive_export_access(caller, conversation).await?;
        let archive = self
            .archive
            .as_ref()
            .ok_or_else(|| ChatError::forbidden("archive_disabled", "no archive is configured"))?;
        for (field, day) in [("from", from), ("to", to)] {
            if let Some(day) = day {
                let fmt = time::macros::format_description!("[year]-[month]-[day]");
                time::Date::parse(day, &fmt).map_err(|_| InvalidInput::new(field, "expects a date like 2026-11-26"))?;
            }
        }
        let limit = super::page_limit(limit, super::MAX_PAGE)?;
        let prefix = archive_prefix(&caller.tenant, conversation);
        if cursor.is_some_and(|c| !c.starts_with(&prefix)) {
            return Err(InvalidInput::new("cursor", "is not a cursor from a previous page").into());
        }
        // Keys are `{prefix}{yyyy}/{mm}/{dd}/…`: everything of `from`'s day sorts after `{prefix}{yyyy}/{mm}/{dd}`.
        let start = from.map(|f| format!("{prefix}{}", f.replace('-', "/")));
        let after = match (cursor, start) {
            (Some(c), Some(s)) => Some(c.to_owned().max(s)),
            (c, s) => c.map(str::to_owned).or(s),
        };
        let ttl = Duration::from_secs(300);
        let listed = archive.list(&prefix, after.as_deref(), limit + 1).await?;
        let mut out = Vec::new();
        let mut next = None;
        for object in listed {
            let day = object
                .key
                .strip_prefix(&prefix)
                .and_then(|rest| rest.get(..10))
                .map(|d| d.replace('/', "-"))
                .unwrap_or_default();
            if to.is_some_and(|t| day.as_str() > t) {
                break;
            }
            if out.len() == limit {
                next = out.last().map(|f: &ArchiveFile| f.key.clone());
                break;
            }
            let name = object.key.rsplit('/').next().unwrap_or("archive.jsonl.gz").to_owned();
            let url = archive
                .presign_get(&object.key, "application/gzip", &format!("attachment; filename=\"{name}\""), ttl)
                .await?;
            out.push(ArchiveFile { key: object.key, day, size: object.size, url });
        }
        if access == ExportAccess::Compliance {
            self.audit_compliance_export(caller, conversation, from, to, out.len()).await?;
        }
        Ok((out, next))
    }
}
