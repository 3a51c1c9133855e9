//! Retention: a tenant default (keep forever, or N days) and per-channel overrides, legal holds
//! and exemptions, set by tenant admins; a job that deletes expired messages ONLY when the
//! archive watermark covers them; and the archive's export.

use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;

use super::compliance::ExportAccess;
use super::messages::note_deletion;
use super::sequence::{ChangePlan, CommitOutcome};
use super::Chat;
use crate::app::archive::{archive_day, archive_day_at, archive_prefix, prune_archive, purge_deleted_day};
use crate::domain::caller::Caller;
use crate::domain::error::{ChatError, ChatResult, InvalidInput};
use crate::domain::ids::{ConversationId, TenantId};
use crate::domain::retention::{ArchivePolicy, EffectiveRetention};
pub use crate::domain::retention::{ConversationPolicy, TenantPolicy};
use crate::domain::time::parse_time;
use crate::domain::{Change, ConversationKind, ConversationMeta, Event, Message, MessageState, RemovedMessage};
use crate::persistence::change_log::LoggedChange;
use crate::persistence::conversations::set_deleted_ordinals;
use crate::persistence::mentions::{unmention, MentionAt};
use crate::persistence::messages::StoredMessage;
use crate::persistence::retention::{self as stored, register_tenant};
use crate::persistence::transaction::{OpRole, Transaction};
use crate::ports::blobs::Blobs;

pub const MAX_RETENTION_DAYS: u32 = 36_500;
const DAY_MS: i64 = 24 * 3600 * 1000;

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

impl Chat {
    pub fn with_archive(mut self, archive: std::sync::Arc<dyn Blobs>) -> Self {
        self.archive = Some(archive);
        self
    }

    /// The tenant's policy, or the deployment's default when it set none.
    async fn tenant_policy(&self, t: &TenantId) -> ChatResult<TenantPolicy> {
        let default = || TenantPolicy { retention_days: self.default_retention_days, legal_hold: false };
        Ok(self.tables.tenant_policy(t).await?.unwrap_or_else(default))
    }

    async fn conversation_policies(&self, t: &TenantId) -> ChatResult<Vec<ConversationPolicyView>> {
        let policies = self.tables.conversation_policies(t).await?;
        Ok(policies
            .into_iter()
            .map(|(conversation_id, policy)| ConversationPolicyView { conversation_id, policy })
            .collect())
    }

    pub async fn retention_settings(&self, caller: &Caller) -> ChatResult<RetentionSettings> {
        require_admin(caller)?;
        Ok(RetentionSettings {
            tenant: self.tenant_policy(&caller.tenant).await?,
            conversations: self.conversation_policies(&caller.tenant).await?,
        })
    }

    pub async fn set_tenant_retention(&self, caller: &Caller, policy: TenantPolicy) -> ChatResult<TenantPolicy> {
        require_admin(caller)?;
        check_days("retentionDays", policy.retention_days)?;
        let t = &caller.tenant;
        self.tables.write_all(vec![stored::put_tenant_policy(t, &policy)?, register_tenant(t)?]).await?;
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
        let t = &caller.tenant;
        let policy_op = stored::put_conversation_policy(t, conversation, &policy)?;
        self.tables.write_all(vec![policy_op, register_tenant(t)?]).await?;
        Ok(policy)
    }

    /// The retention job: for every tenant with a policy, every conversation whose effective
    /// policy has a limit and no hold, delete what expired and is archived; then keep the
    /// archive to the tenant's archive policy (prune old days, purge deleted messages).
    pub async fn run_retention(&self) -> ChatResult<RetentionReport> {
        let now = self.clock.now_ms();
        let mut report = RetentionReport::default();
        for t in self.tables.retention_tenants().await? {
            report.tenants += 1;
            let default = self.tenant_policy(&t).await?;
            let archive_policy = self.archive_policy_of(&t).await?;
            let overrides = self.tables.conversation_policies(&t).await?;
            for c in self.tables.tenant_conversations(&t).await? {
                let policy = overrides.iter().find(|(id, _)| *id == c).map(|(_, policy)| policy);
                let EffectiveRetention { held, days } = EffectiveRetention::of(&default, policy);
                if days.is_none() && !archive_policy.keeps_archive() {
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
        if self.tables.archive_watermark(t, c).await?.purge_scanned {
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
                    self.tables.mark_archive_day(t, c, day).await?;
                    last_day = day.to_owned();
                }
            }
            match page.last() {
                Some(last) if page.len() == 1000 => after = Some(last.key.clone()),
                _ => break,
            }
        }
        self.tables.set_purge_scanned(t, c).await
    }

    /// Purges every day of the conversation's archive marked as holding a deletion. A marker is
    /// removed only if no deletion was marked while the day was rewritten (its count unchanged).
    async fn purge_archive(&self, archive: &dyn Blobs, t: &TenantId, c: &ConversationId) -> ChatResult<usize> {
        self.mark_archive_days_once(archive, t, c).await?;
        let mut purged = 0;
        let mut marks = self.tables.purge_marks(t, c);
        while let Some(page) = self.tables.next_page(&mut marks).await? {
            for mark in &page {
                if purge_deleted_day(archive, t, c, &mark.day).await.map_err(|e| ChatError::Internal(e.to_string()))? {
                    purged += 1;
                }
                // A deletion marked while the day was rewritten keeps the mark: the next run
                // purges the day again.
                self.tables.unmark_archive_day(mark).await?;
            }
        }
        Ok(purged)
    }

    /// Deletes messages created before `cutoff_ms` whose latest version the archive holds.
    async fn expire_conversation(
        &self,
        t: &TenantId,
        c: &ConversationId,
        cutoff_ms: i64,
    ) -> ChatResult<(usize, usize)> {
        let watermark = self.tables.archive_watermark(t, c).await?.watermark;
        let (mut deleted, mut waiting) = (0, 0);
        let mut expired = self.tables.messages_created_before(t, c, cutoff_ms);
        while let Some(page) = self.tables.next_page(&mut expired).await? {
            for StoredMessage { message, ordinal, .. } in page {
                if message.updated_seq > watermark {
                    // Not in the archive yet (the archiver lags): never delete it; next run.
                    waiting += 1;
                    continue;
                }
                // A reply's copy in the main list goes with the reply (below).
                if message.is_reply() {
                    continue;
                }
                // A root whose thread is still alive stays as a tombstone, so the thread stays
                // readable; it goes once its last reply has expired too.
                let live_thread = message
                    .thread
                    .as_ref()
                    .and_then(|s| parse_time(&s.last_reply_at))
                    .is_some_and(|at| at >= cutoff_ms);
                if live_thread {
                    if message.deleted_at.is_none() {
                        self.tombstone(t, c, message, ordinal, true).await?;
                        deleted += 1;
                    }
                    continue;
                }
                if self.remove_expired(t, c, &message, ordinal).await? {
                    deleted += 1;
                }
            }
        }
        // Replies are messages of the conversation, judged by their own age.
        let mut expired = self.tables.replies_created_before(t, c, cutoff_ms);
        while let Some(page) = self.tables.next_page(&mut expired).await? {
            let found = self.tables.stored_replies(t, c, &page).await?;
            let orphans: Vec<_> = page
                .iter()
                .filter(|(reply, _)| !found.iter().any(|s| s.message.id == *reply))
                .map(|(reply, _)| stored::remove_locator(t, c, reply))
                .collect();
            self.tables.write_all(orphans).await?;
            for StoredMessage { message, ordinal, .. } in found {
                if message.updated_seq > watermark {
                    waiting += 1;
                    continue;
                }
                if self.remove_expired(t, c, &message, ordinal).await? {
                    deleted += 1;
                }
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
        // Its earlier texts before the message, like its files, so none outlives it. The
        // archive needs none of them: it holds every version the message item itself had.
        if message.edited_at.is_some() {
            self.tables.remove_versions(t, c, &message.id).await?;
        }
        let at = MentionAt::of(message, ordinal);
        let forget = self.tables.counted_mentions(t, c, &message.mentions, at).await?;
        let already_deleted = message.deleted_at.is_some();
        let outcome = self
            .commit_change(t, c, |meta: &ConversationMeta, _seq| {
                let deleted = if already_deleted {
                    meta.deleted_ordinals.clone()
                } else {
                    note_deletion(&meta.deleted_ordinals, ordinal)
                };
                let mut ops = Transaction::default();
                ops.extend(OpRole::Message, stored::remove_message(t, message));
                ops.push(OpRole::Record, stored::remove_client_id_guard(t, c, message));
                ops.extend(OpRole::Mention, unmention(t, c, &forget, at));
                let removed =
                    LoggedChange { thread_root_id: message.thread_root_id, ..LoggedChange::removed(&message.id) };
                Ok(ChangePlan::new(ops, removed).updating_meta(set_deleted_ordinals(&deleted)).even_when_archived())
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
