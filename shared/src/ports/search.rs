//! The `SearchIndex` port: OpenSearch in AWS, SQLite FTS5 on a laptop. Both apply versioned
//! upserts and deletes (an older version never wins) and answer a `SearchPlan` whose filters
//! always hold the tenant and the caller's readable conversations.

use async_trait::async_trait;
use thiserror::Error;

use crate::domain::search::{IndexOp, SearchPage, SearchPlan};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SearchError {
    /// The cluster is down or throttling: retry later (the stream redelivers).
    #[error("search unavailable: {0}")]
    Unavailable(String),
    #[error("search request refused: {0}")]
    Rejected(String),
}

#[async_trait]
pub trait SearchIndex: Send + Sync {
    /// Applies the operations; one result per operation, in order. A version conflict (the index
    /// already holds a newer version) is a success: replays are harmless.
    async fn apply(&self, ops: &[IndexOp]) -> Result<Vec<Result<(), SearchError>>, SearchError>;
    async fn search(&self, plan: &SearchPlan) -> Result<SearchPage, SearchError>;
    /// Makes the index ready for writes (OpenSearch: create it with its mapping unless it exists,
    /// so a first write never auto-creates it with guessed field types).
    async fn prepare(&self) -> Result<(), SearchError> {
        Ok(())
    }
}
