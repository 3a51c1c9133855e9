//! The stream archiver: message versions → compressed JSON Lines in the archive bucket, then the
//! conversation's watermark. Partial batch failures as for the indexer: the earliest record of a
//! group that could not be written is reported, and Lambda retries from there (object names come
//! from their contents, so rewriting an object is harmless).

use std::sync::Arc;

use aws_lambda_events::dynamodb::Event;
use shared::adapters::aws::streams::change_record;
pub use shared::adapters::aws::streams::BatchResponse;
use shared::app::archive::{build_archive, write_archive};
use shared::persistence::Tables;
use shared::ports::blobs::Blobs;
use shared::ports::store::{ChangeRecord, Store};

pub struct Archiver {
    pub store: Arc<dyn Store>,
    pub archive: Arc<dyn Blobs>,
}

impl Archiver {
    pub async fn handle(&self, event: Event) -> BatchResponse {
        let sequence = |i: usize| event.records[i].change.sequence_number.clone().unwrap_or_default();
        let mut records: Vec<ChangeRecord> = Vec::with_capacity(event.records.len());
        let mut first_failure: Option<usize> = None;
        for (i, record) in event.records.iter().enumerate() {
            match change_record(record, i as u64) {
                Ok(change) => records.push(change),
                Err(e) => {
                    tracing::error!(sequence = %sequence(i), error = %e, "unreadable stream record");
                    first_failure = Some(i);
                    break;
                }
            }
        }
        match build_archive(&records) {
            Ok(objects) => {
                let tables = Tables::new(self.store.clone());
                for failure in write_archive(&tables, self.archive.as_ref(), &objects).await {
                    let object = &objects[failure.object];
                    let earliest = object.records.iter().copied().min().unwrap_or(0);
                    tracing::warn!(key = %object.key, error = %failure.error, "archiving failed; the stream retries from here");
                    first_failure = Some(first_failure.map_or(earliest, |f| f.min(earliest)));
                }
                tracing::info!(
                    records = records.len(),
                    objects = objects.len(),
                    failed = first_failure.is_some(),
                    "archived batch"
                );
            }
            Err((i, e)) => {
                tracing::error!(sequence = %sequence(i), error = %e, "unreadable message version");
                first_failure = Some(first_failure.map_or(i, |f| f.min(i)));
            }
        }
        BatchResponse::failed_from(first_failure.map(sequence))
    }
}
