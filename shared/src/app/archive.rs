//! The archive: every message version the stream carries, written to object storage as
//! compressed JSON Lines under `archive/{tenant}/{conversation}/{yyyy}/{mm}/{dd}/`, with names
//! derived from the contents (a retried batch writes the same objects), and a per-conversation
//! watermark: every version with `updatedSeq` at or below it is in the archive. Retention deletes
//! only what the watermark covers. The archive has its own retention: whole days pruned past the
//! tenant's archive period, and, where the tenant chose it, deleted messages purged.

use std::collections::BTreeMap;
use std::io::Write;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::domain::ids::{ConversationId, TenantId};
use crate::domain::Message;
use crate::persistence::change_feed::{message_version, MessageVersion};
use crate::persistence::Tables;
use crate::ports::blobs::{BlobError, Blobs};
use crate::ports::store::ChangeRecord;

/// One archived version of a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchivedVersion {
    /// `INSERT`, `MODIFY` or `REMOVE` (retention).
    pub event: String,
    pub message: Message,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveObject {
    pub tenant: TenantId,
    pub conversation: ConversationId,
    pub key: String,
    pub body: Vec<u8>,
    /// `yyyy/mm/dd`: the day its messages were written.
    pub day: String,
    /// It holds a deleted message's last version: the day is marked for purging (see
    /// [`purge_deleted_day`]), whatever the tenant's policy today, so turning purging on later
    /// reaches deletions made before.
    pub holds_deletion: bool,
    /// The `updatedSeq` of every version it holds.
    pub seqs: Vec<u64>,
    /// Positions (in the batch) of the records it holds.
    pub records: Vec<usize>,
}

pub fn archive_prefix(t: &TenantId, c: &ConversationId) -> String {
    format!("archive/{t}/{c}/")
}

fn day_path(created_at: &str) -> String {
    // 2026-11-26T08:00:00.000Z → 2026/11/26
    created_at.get(..10).map(|d| d.replace('-', "/")).unwrap_or_else(|| "unknown".into())
}

/// The day folder (`yyyy/mm/dd`) of the instant `ms`.
pub fn archive_day_at(ms: i64) -> String {
    day_path(&crate::domain::format_time(ms))
}

/// Groups the message versions of a batch by conversation and day into archive objects.
pub fn build_archive(records: &[ChangeRecord]) -> Result<Vec<ArchiveObject>, (usize, String)> {
    let mut groups: BTreeMap<(String, String, String), Vec<(usize, ArchivedVersion)>> = BTreeMap::new();
    for (i, record) in records.iter().enumerate() {
        let Some(MessageVersion { tenant, event, message }) = message_version(record).map_err(|e| (i, e))? else {
            continue;
        };
        groups
            .entry((tenant.to_owned(), message.conversation_id.to_string(), day_path(&message.created_at)))
            .or_default()
            .push((i, ArchivedVersion { event: event.into(), message }));
    }
    let mut objects = Vec::new();
    for ((tenant, conversation, day), versions) in groups {
        let tenant = TenantId::parse(&tenant).map_err(|e| (versions[0].0, e.to_string()))?;
        let conversation = ConversationId::parse(&conversation).map_err(|e| (versions[0].0, e.to_string()))?;
        let records: Vec<usize> = versions.iter().map(|(i, _)| *i).collect();
        let versions: Vec<ArchivedVersion> = versions.into_iter().map(|(_, v)| v).collect();
        let object = encode_object(tenant, conversation, &day, &versions).map_err(|e| (records[0], e))?;
        objects.push(ArchiveObject { records, ..object });
    }
    Ok(objects)
}

/// One object holding `versions` (of one conversation and day), named after its contents.
fn encode_object(
    tenant: TenantId,
    conversation: ConversationId,
    day: &str,
    versions: &[ArchivedVersion],
) -> Result<ArchiveObject, String> {
    let seqs: Vec<u64> = versions.iter().map(|v| v.message.updated_seq).collect();
    let min_seq = seqs.iter().copied().min().unwrap_or(0);
    let max_seq = seqs.iter().copied().max().unwrap_or(0);
    let mut lines = Vec::new();
    // FNV-1a over what the object holds: the same versions always make the same name.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for version in versions {
        let line = serde_json::to_vec(version).map_err(|e| e.to_string())?;
        for b in &line {
            hash = (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        lines.extend(line);
        lines.push(b'\n');
    }
    let mut encoder = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::default());
    encoder.write_all(&lines).map_err(|e| e.to_string())?;
    let body = encoder.finish().map_err(|e| e.to_string())?;
    let key =
        format!("{}{day}/{min_seq:016}-{max_seq:016}-{hash:016x}.jsonl.gz", archive_prefix(&tenant, &conversation));
    Ok(ArchiveObject {
        tenant,
        conversation,
        key,
        body,
        day: day.to_owned(),
        holds_deletion: versions.iter().any(|v| v.message.deleted_at.is_some()),
        seqs,
        records: Vec::new(),
    })
}

/// An archive object that could not be written (or whose watermark could not be raised).
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveFailure {
    /// Its position in the objects given to [`write_archive`].
    pub object: usize,
    pub error: String,
}

/// Writes a batch's objects, then raises each conversation's watermark (never lowers it) to the
/// highest seq at or below which every version of the batch was written. Retention deletes what
/// the watermark covers, so an object that failed holds its conversation's watermark below its
/// lowest seq even when other days' objects, with higher seqs, were written.
pub async fn write_archive(tables: &Tables, blobs: &dyn Blobs, objects: &[ArchiveObject]) -> Vec<ArchiveFailure> {
    let mut failures = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        if let Err(e) = blobs.put(&object.key, object.body.clone(), "application/gzip").await {
            failures.push(ArchiveFailure { object: i, error: e.to_string() });
        } else if object.holds_deletion {
            if let Err(e) = tables.mark_archive_day(&object.tenant, &object.conversation, &object.day).await {
                failures.push(ArchiveFailure { object: i, error: e.to_string() });
            }
        }
    }
    struct Conversation<'a> {
        tenant: &'a TenantId,
        id: &'a ConversationId,
        objects: Vec<usize>,
        written: Vec<u64>,
        lowest_failed: u64,
    }
    let mut conversations: BTreeMap<String, Conversation> = BTreeMap::new();
    for (i, object) in objects.iter().enumerate() {
        let entry =
            conversations.entry(archive_prefix(&object.tenant, &object.conversation)).or_insert_with(|| Conversation {
                tenant: &object.tenant,
                id: &object.conversation,
                objects: Vec::new(),
                written: Vec::new(),
                lowest_failed: u64::MAX,
            });
        entry.objects.push(i);
        if failures.iter().any(|f| f.object == i) {
            entry.lowest_failed = entry.lowest_failed.min(object.seqs.iter().copied().min().unwrap_or(0));
        } else {
            entry.written.extend(&object.seqs);
        }
    }
    for conversation in conversations.values() {
        let lowest_failed = conversation.lowest_failed;
        let Some(watermark) = conversation.written.iter().copied().filter(|s| *s < lowest_failed).max() else {
            continue;
        };
        // Already as high (a retried batch, or a later one first) is as good as raised.
        if let Err(e) = tables.raise_archive_watermark(conversation.tenant, conversation.id, watermark).await {
            for &i in &conversation.objects {
                if !failures.iter().any(|f| f.object == i) {
                    failures.push(ArchiveFailure { object: i, error: e.to_string() });
                }
            }
        }
    }
    failures.sort_by_key(|f| f.object);
    failures
}

/// The day folder (`yyyy/mm/dd`) of an archive key under `prefix`.
pub fn archive_day<'k>(prefix: &str, key: &'k str) -> Option<&'k str> {
    let day = key.strip_prefix(prefix)?.get(..10)?;
    let digits = |r: std::ops::Range<usize>| day.get(r).is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()));
    (digits(0..4) && digits(5..7) && digits(8..10) && &day[4..5] == "/" && &day[7..8] == "/").then_some(day)
}

#[derive(Debug, Error)]
pub enum ArchiveError {
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error("archive object {key} could not be read: {reason}")]
    Corrupt { key: String, reason: String },
}

/// Deletes a conversation's archive objects of the days before `cutoff_day` (`yyyy/mm/dd`).
/// Keys sort by day, so the listing stops at the first day that stays. Returns how many went.
pub async fn prune_archive(
    blobs: &dyn Blobs,
    t: &TenantId,
    c: &ConversationId,
    cutoff_day: &str,
) -> Result<usize, ArchiveError> {
    const PAGE: usize = 1000;
    let prefix = archive_prefix(t, c);
    let mut deleted = 0;
    let mut after: Option<String> = None;
    loop {
        let page = blobs.list(&prefix, after.as_deref(), PAGE).await?;
        for object in &page {
            match archive_day(&prefix, &object.key) {
                Some(day) if day < cutoff_day => {
                    blobs.delete(&object.key).await?;
                    deleted += 1;
                }
                _ => return Ok(deleted),
            }
        }
        match page.last() {
            Some(last) if page.len() == PAGE => after = Some(last.key.clone()),
            _ => return Ok(deleted),
        }
    }
}

/// Rewrites one day of a conversation's archive without the content of its deleted messages:
/// every version of a message that was deleted goes, except the deletion itself (who wrote it,
/// when, when it was deleted; no text, no files). The new object is written before the old ones
/// are deleted and is named after its contents, so a run cut short is finished by the next one.
/// Returns whether anything was removed.
pub async fn purge_deleted_day(
    blobs: &dyn Blobs,
    t: &TenantId,
    c: &ConversationId,
    day: &str,
) -> Result<bool, ArchiveError> {
    let folder = format!("{}{day}/", archive_prefix(t, c));
    let mut objects = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = blobs.list(&folder, after.as_deref(), 1000).await?;
        objects.extend(page.iter().map(|o| o.key.clone()));
        match page.last() {
            Some(last) if page.len() == 1000 => after = Some(last.key.clone()),
            _ => break,
        }
    }
    let mut versions: Vec<ArchivedVersion> = Vec::new();
    for key in &objects {
        let Some(body) = blobs.get(key).await? else { continue };
        let read = read_archive(&body).map_err(|reason| ArchiveError::Corrupt { key: key.clone(), reason })?;
        versions.extend(read);
    }
    let deleted: std::collections::HashSet<String> =
        versions.iter().filter(|v| v.message.deleted_at.is_some()).map(|v| v.message.id.to_string()).collect();
    let before = versions.len();
    versions.retain(|v| v.message.deleted_at.is_some() || !deleted.contains(&v.message.id.to_string()));
    if versions.len() == before {
        return Ok(false);
    }
    versions.sort_by(|a, b| {
        (a.message.updated_seq, a.message.id.to_string(), &a.event).cmp(&(
            b.message.updated_seq,
            b.message.id.to_string(),
            &b.event,
        ))
    });
    versions.dedup();
    let kept = if versions.is_empty() {
        None
    } else {
        let object = encode_object(t.clone(), c.clone(), day, &versions)
            .map_err(|reason| ArchiveError::Corrupt { key: folder.clone(), reason })?;
        blobs.put(&object.key, object.body, "application/gzip").await?;
        Some(object.key)
    };
    for key in objects.iter().filter(|k| Some(*k) != kept.as_ref()) {
        blobs.delete(key).await?;
    }
    Ok(true)
}

/// Reads an archive object back (export and tests).
pub fn read_archive(body: &[u8]) -> Result<Vec<ArchivedVersion>, String> {
    use std::io::Read;
    let mut text = String::new();
    flate2::read::GzDecoder::new(body).read_to_string(&mut text).map_err(|e| e.to_string())?;
    text.lines().map(|l| serde_json::from_str(l).map_err(|e| e.to_string())).collect()
}
