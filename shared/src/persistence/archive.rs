//! The archive's items in each conversation's partition: the watermark (`ARCHIVE`, how far the
//! archive holds the conversation) and the days marked for purging (`ARCHIVEPURGE#{day}`), and
//! the message versions the change feed carries to the archiver.

use serde::Deserialize;

use super::attrs;
use super::codec::from_attrs;
use super::keys;
use super::paging::Pages;
use super::tables::Tables;
use crate::domain::error::ChatResult;
use crate::domain::ids::{ConversationId, TenantId};
use crate::ports::store::{Cond, Item, Key, Query, StoreError, Update};

/// Purge marks are read, and their days purged, this many at a time.
const PURGE_PAGE: usize = 100;

/// How far the archive holds a conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveWatermark {
    /// Every message version with `updatedSeq` at or below it is in the archive.
    #[serde(default)]
    pub watermark: u64,
    /// Every day of the conversation's archive was marked for purging once (days archived
    /// before the archiver marked deletions included).
    #[serde(default)]
    pub purge_scanned: bool,
}

/// A day of a conversation's archive marked as holding a deletion, as it was read: its mark is
/// removed only if no deletion was marked since.
#[derive(Debug, Clone, PartialEq)]
pub struct PurgeMark {
    /// `yyyy/mm/dd`.
    pub day: String,
    key: Key,
    /// Deletions archived into the day since it was last purged.
    marks: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct Marks {
    #[serde(default)]
    marks: Option<i64>,
}

impl PurgeMark {
    fn from_item(item: &Item) -> ChatResult<Self> {
        Ok(Self {
            day: item.key.sk.strip_prefix(keys::ARCHIVE_PURGE_PREFIX).unwrap_or_default().to_owned(),
            key: item.key.clone(),
            marks: from_attrs::<Marks>(&item.attrs)?.marks,
        })
    }
}

impl Tables {
    /// The conversation's watermark (nothing archived yet: zero).
    pub async fn archive_watermark(&self, t: &TenantId, c: &ConversationId) -> ChatResult<ArchiveWatermark> {
        let item = self.db().get(&keys::archive_watermark(t, c), true).await?;
        Ok(item.map(|i| from_attrs(&i.attrs)).transpose()?.unwrap_or_default())
    }

    /// Raises the conversation's watermark to `seq`, never lowers it: false when it was there
    /// already or higher. The archiver reports the store's own error.
    pub async fn raise_archive_watermark(
        &self,
        t: &TenantId,
        c: &ConversationId,
        seq: u64,
    ) -> Result<bool, StoreError> {
        let update = Update::default().set(attrs::WATERMARK, seq);
        let forward_only = Cond::MissingOrBelow(attrs::WATERMARK.into(), seq as i64);
        match self.db().update(&keys::archive_watermark(t, c), update, forward_only).await {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Records that the archive's `day` of the conversation holds a deletion to purge.
    pub async fn mark_archive_day(&self, t: &TenantId, c: &ConversationId, day: &str) -> Result<(), StoreError> {
        let mark = Update::default().add(attrs::MARKS, 1);
        self.db().update(&keys::archive_purge(t, c, day), mark, Cond::Always).await.map(|_| ())
    }

    /// Records that every day of the conversation's archive was marked once.
    pub async fn set_purge_scanned(&self, t: &TenantId, c: &ConversationId) -> ChatResult<()> {
        let scanned = Update::default().set(attrs::PURGE_SCANNED, true);
        self.db().update(&keys::archive_watermark(t, c), scanned, Cond::Always).await?;
        Ok(())
    }

    /// The days of the conversation's archive marked for purging, by day, a page at a time.
    pub fn purge_marks(&self, t: &TenantId, c: &ConversationId) -> Pages<PurgeMark> {
        let query =
            Query::prefix(keys::conversation_pk(t, c), keys::ARCHIVE_PURGE_PREFIX).limit(PURGE_PAGE).consistent();
        Pages::new(query, PurgeMark::from_item)
    }

    /// Removes a purged day's mark unless a deletion was marked on it since it was read: false
    /// when one was (the next run purges the day again).
    pub async fn unmark_archive_day(&self, mark: &PurgeMark) -> ChatResult<bool> {
        let unchanged = Cond::Equals(attrs::MARKS.into(), mark.marks.into());
        match self.db().delete(&mark.key, unchanged).await {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::store::Attrs;

    fn attrs(value: serde_json::Value) -> Attrs {
        value.as_object().cloned().expect("an object")
    }

    #[test]
    fn a_watermark_reads_from_what_the_archiver_and_the_job_wrote() {
        let read = |v| from_attrs::<ArchiveWatermark>(&attrs(v)).expect("reads");
        assert_eq!(
            read(serde_json::json!({ "watermark": 12 })),
            ArchiveWatermark { watermark: 12, purge_scanned: false }
        );
        assert_eq!(
            read(serde_json::json!({ "purgeScanned": true })),
            ArchiveWatermark { watermark: 0, purge_scanned: true }
        );
    }

    #[test]
    fn a_purge_mark_names_its_day_and_remembers_its_count() {
        let t = TenantId::parse("acme").expect("tenant");
        let c = ConversationId::new_channel();
        let key = keys::archive_purge(&t, &c, "2026/01/02");
        let mark =
            PurgeMark::from_item(&Item::new(key.clone(), attrs(serde_json::json!({ "marks": 2 })))).expect("mark");
        assert_eq!(mark, PurgeMark { day: "2026/01/02".into(), key: key.clone(), marks: Some(2) });
        assert_eq!(PurgeMark::from_item(&Item::new(key, Attrs::new())).expect("mark").marks, None);
    }
}
