//! The stream indexer: message inserts and edits become versioned upserts, soft deletes and
//! removals become deletes. Partial batch failures (`ReportBatchItemFailures`): the first record
//! that failed is reported, so Lambda retries from it and never re-runs what succeeded before it;
//! `template.yaml` bounds the retries, bisects, and sends what keeps failing to a queue.

use std::sync::Arc;

use aws_lambda_events::dynamodb::Event;
use shared::adapters::aws::streams::change_record;
pub use shared::adapters::aws::streams::BatchResponse;
use shared::domain::search::IndexOp;
use shared::persistence::change_feed::index_op;
use shared::ports::search::SearchIndex;
use tokio::sync::OnceCell;

pub struct Indexer {
    index: Arc<dyn SearchIndex>,
    prepared: OnceCell<()>,
}

impl Indexer {
    pub fn new(index: Arc<dyn SearchIndex>) -> Self {
        Self { index, prepared: OnceCell::new() }
    }

    pub async fn handle(&self, event: Event) -> BatchResponse {
        // The index is prepared before this instance's first write, not at init: a cluster that
        // is down then fails the batch (the stream retries it) instead of the cold start, and no
        // write can reach an index that was never created with its mapping.
        if let Err(e) = self.prepared.get_or_try_init(|| self.index.prepare()).await {
            tracing::warn!(error = %e, "search index not ready; the stream retries the batch");
            let first = event.records.first().and_then(|r| r.change.sequence_number.clone());
            return BatchResponse::failed_from(first);
        }
        let mut ops: Vec<(String, IndexOp)> = Vec::new();
        let mut failed_at: Option<usize> = None;
        let sequence = |i: usize| event.records[i].change.sequence_number.clone().unwrap_or_default();
        for (i, record) in event.records.iter().enumerate() {
            let op = change_record(record, i as u64).and_then(|change| index_op(&change));
            match op {
                Ok(Some(op)) => ops.push((sequence(i), op)),
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(sequence = %sequence(i), error = %e, "unreadable stream record");
                    failed_at = Some(i);
                    break;
                }
            }
        }
        // Only what comes before a failure is applied: Lambda resumes from the failed record.
        let cutoff = failed_at.map(sequence);
        let ops: Vec<(String, IndexOp)> = match &cutoff {
            Some(seq) => ops.into_iter().take_while(|(s, _)| s != seq).collect(),
            None => ops,
        };
        let batch: Vec<IndexOp> = ops.iter().map(|(_, op)| op.clone()).collect();
        let mut first_failure = cutoff;
        match self.index.apply(&batch).await {
            Ok(results) => {
                if let Some(((seq, _), Err(e))) = ops.iter().zip(results).find(|(_, r)| r.is_err()) {
                    tracing::warn!(sequence = %seq, error = %e, "indexing failed; the stream retries from here");
                    first_failure = Some(seq.clone());
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "search cluster unavailable; the stream retries the batch");
                first_failure = ops.first().map(|(s, _)| s.clone()).or(first_failure);
            }
        }
        tracing::info!(
            records = event.records.len(),
            indexed = batch.len(),
            failed = first_failure.is_some(),
            "indexed batch"
        );
        BatchResponse::failed_from(first_failure)
    }
}
