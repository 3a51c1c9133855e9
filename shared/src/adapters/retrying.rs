//! A `Store` decorator that retries throttling and transient faults with exponential backoff and
//! full jitter, a bounded number of times. Conditional failures are answers, not faults: never
//! retried here. It is the retry layer of stores that have none of their own — the local
//! stack's SQLite. On AWS the SDK's standard retry mode is the one layer (`aws::stack::aws_store`):
//! this wrapper on top would multiply its attempts and bypass its retry quota.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::ports::store::{Attrs, Cond, Item, Key, Page, Query, Store, StoreError, Update, WriteOp};

pub const ATTEMPTS: u32 = 4;
const BASE_MS: u64 = 25;

pub struct RetryingStore {
    inner: Arc<dyn Store>,
}

impl RetryingStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self { inner }
    }
}

/// Only faults that may pass: throttling, timeouts, server errors. A cancelled transaction is
/// retried only when it was cancelled for contention (no condition failed).
fn transient(e: &StoreError) -> bool {
    matches!(e, StoreError::Transient(_))
}

async fn pause(attempt: u32) {
    let cap = BASE_MS << attempt.min(6);
    tokio::time::sleep(Duration::from_millis(rand::random::<u64>() % cap.max(1) + 1)).await;
}

macro_rules! retry {
    ($call:expr) => {{
        let mut attempt = 0;
        loop {
            match $call {
                Err(e) if transient(&e) && attempt + 1 < ATTEMPTS => {
                    tracing::debug!(attempt, error = %e, "store fault, retrying");
                    pause(attempt).await;
                    attempt += 1;
                }
                other => break other,
            }
        }
    }};
}

#[async_trait]
impl Store for RetryingStore {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        retry!(self.inner.get(key, consistent).await)
    }
    async fn batch_get(&self, keys: &[Key], consistent: bool) -> Result<Vec<Item>, StoreError> {
        retry!(self.inner.batch_get(keys, consistent).await)
    }
    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError> {
        retry!(self.inner.put(item.clone(), cond.clone()).await)
    }
    async fn update(&self, key: &Key, update: Update, cond: Cond) -> Result<Attrs, StoreError> {
        retry!(self.inner.update(key, update.clone(), cond.clone()).await)
    }
    async fn delete(&self, key: &Key, cond: Cond) -> Result<Option<Attrs>, StoreError> {
        retry!(self.inner.delete(key, cond.clone()).await)
    }
    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        retry!(self.inner.transact(ops.clone()).await)
    }
    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        retry!(self.inner.batch_write(ops.clone()).await)
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        retry!(self.inner.query(query).await)
    }
    async fn query_shared(&self, query: &Query) -> Result<Arc<Page>, StoreError> {
        retry!(self.inner.query_shared(query).await)
    }
}
