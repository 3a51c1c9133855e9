//! The local stand-in for DynamoDB Streams consumers: tasks that follow the embedded store's
//! change feed from their checkpoint and hand each batch to the same logic the stream Lambdas run.

use std::sync::Arc;
use std::time::Duration;

use shared::adapters::embedded::localfs::LocalBlobs;
use shared::adapters::embedded::search::SqliteSearch;
use shared::adapters::embedded::sqlite::SqliteStore;
use shared::app::archive::{build_archive, write_archive};
use shared::persistence::change_feed::index_op;
use shared::persistence::Tables;

pub const SEARCH_CONSUMER: &str = "search-indexer";
pub const ARCHIVE_CONSUMER: &str = "archiver";
const BATCH: usize = 500;

/// Caught up: sleep until something is written (or a minute passes), then gather for `window`,
/// as Lambda's batching window (`MaximumBatchingWindowInSeconds`) does for a stream consumer:
/// under load, one batch and one index or archive write per window instead of one per change.
async fn wait_for_changes(head: &mut tokio::sync::watch::Receiver<u64>, window: Duration) {
    if tokio::time::timeout(Duration::from_secs(60), head.changed()).await.is_ok() && !window.is_zero() {
        tokio::time::sleep(window).await;
    }
}

/// Follows the feed into the search index; index writes and the checkpoint commit together.
pub async fn run_search_indexer(store: SqliteStore, search: SqliteSearch, window: Duration) {
    let mut head = store.feed_head();
    loop {
        match index_batch(&store, &search).await {
            Ok(true) => continue,
            Ok(false) => wait_for_changes(&mut head, window).await,
            Err(e) => {
                tracing::warn!(error = %e, "local search indexer failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// One batch; true when there may be more.
async fn index_batch(store: &SqliteStore, search: &SqliteSearch) -> anyhow::Result<bool> {
    let from = search.checkpoint(SEARCH_CONSUMER).await?;
    let records = store.read_feed(from, BATCH).await?;
    let Some(last) = records.last().map(|r| r.position) else { return Ok(false) };
    let mut ops = Vec::new();
    for record in &records {
        match index_op(record) {
            Ok(Some(op)) => ops.push(op),
            Ok(None) => {}
            // A record we cannot read is skipped (and logged): it must not block the feed.
            Err(e) => tracing::error!(position = record.position, error = %e, "unreadable change record"),
        }
    }
    search.apply_at(ops, SEARCH_CONSUMER, last).await?;
    Ok(records.len() == BATCH)
}

/// Follows the feed into the archive: objects first, then the watermark, then the checkpoint
/// (object names are derived from their contents, so a repeat after a crash rewrites the same
/// objects). Also trims the feed once both consumers are past a record.
pub async fn run_archiver(store: SqliteStore, archive: LocalBlobs, checkpoints: SqliteSearch, window: Duration) {
    let mut head = store.feed_head();
    let tables = Tables::new(Arc::new(store.clone()));
    loop {
        match archive_batch(&store, &tables, &archive, &checkpoints).await {
            Ok(true) => continue,
            Ok(false) => wait_for_changes(&mut head, window).await,
            Err(e) => {
                tracing::warn!(error = %e, "local archiver failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

async fn archive_batch(
    store: &SqliteStore,
    tables: &Tables,
    archive: &LocalBlobs,
    checkpoints: &SqliteSearch,
) -> anyhow::Result<bool> {
    let from = checkpoints.checkpoint(ARCHIVE_CONSUMER).await?;
    let records = store.read_feed(from, BATCH).await?;
    let Some(last) = records.last().map(|r| r.position) else { return Ok(false) };
    let objects = build_archive(&records).map_err(|(i, e)| anyhow::anyhow!("record {i}: {e}"))?;
    if let Some(failure) = write_archive(tables, archive, &objects).await.into_iter().next() {
        anyhow::bail!("archive object {}: {}", objects[failure.object].key, failure.error);
    }
    checkpoints.apply_at(Vec::new(), ARCHIVE_CONSUMER, last).await?;
    let both = checkpoints.checkpoint(SEARCH_CONSUMER).await?.min(last);
    store.trim_feed(both).await?;
    Ok(records.len() == BATCH)
}
