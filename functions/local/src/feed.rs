//! The local stand-in for DynamoDB Streams consumers: tasks that follow the embedded store's
//! change feed from their checkpoint and hand each batch to the same logic the stream Lambdas run.

use std::time::Duration;

use shared::adapters::sqlite::SqliteStore;
use shared::adapters::sqlite_search::SqliteSearch;
use shared::domain::search::index_op;

pub const SEARCH_CONSUMER: &str = "search-indexer";
const BATCH: usize = 500;

/// Follows the feed into the search index; index writes and the checkpoint commit together.
pub async fn run_search_indexer(store: SqliteStore, search: SqliteSearch) {
    let mut head = store.feed_head();
    loop {
        match index_batch(&store, &search).await {
            Ok(true) => continue,
            Ok(false) => {
                // Caught up: sleep until something is written (or a minute passes).
                let _ = tokio::time::timeout(Duration::from_secs(60), head.changed()).await;
            }
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
