//! The `Store` port: DynamoDB's primitives (conditional put, transactions, key-range queries,
//! counters), not one method per screen. The key design and every access pattern live once, in
//! `crate::persistence::keys` and the use cases, so both adapters run the same keys.

use std::ops::Bound;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value};
use thiserror::Error;

/// Attributes of an item other than its key: JSON-shaped, so the domain's serde types map to them
/// directly and each adapter converts once (DynamoDB attribute values, a SQLite JSON column).
pub type Attrs = Map<String, Value>;

/// Attribute holding an epoch-seconds expiry (DynamoDB TTL). Adapters hide expired items from
/// reads, because TTL deletion is best-effort and late.
pub const TTL_ATTR: &str = "expiresAt";

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self { pk: pk.into(), sk: sk.into() }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub key: Key,
    pub attrs: Attrs,
}

impl Item {
    pub fn new(key: Key, attrs: Attrs) -> Self {
        Self { key, attrs }
    }
}

/// A write condition, evaluated atomically with the write.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Cond {
    #[default]
    Always,
    NotExists,
    Exists,
    /// The item exists and `attr` equals the value.
    Equals(String, Value),
    /// `attr` is missing, or is a number below the value (forward-only positions).
    MissingOrBelow(String, i64),
    /// The item exists and has no `attr` (e.g. an upload not yet attached).
    ExistsWithout(String),
}

/// Changes to one item; `add` increments numeric attributes (missing counts as 0).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Update {
    pub set: Attrs,
    pub remove: Vec<String>,
    pub add: Vec<(String, i64)>,
}

impl Update {
    pub fn set(mut self, attr: &str, value: impl Into<Value>) -> Self {
        self.set.insert(attr.to_owned(), value.into());
        self
    }
    pub fn remove(mut self, attr: &str) -> Self {
        self.remove.push(attr.to_owned());
        self
    }
    pub fn add(mut self, attr: &str, delta: i64) -> Self {
        self.add.push((attr.to_owned(), delta));
        self
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum WriteOp {
    Put {
        item: Item,
        cond: Cond,
    },
    /// Creates the item when missing (like DynamoDB's UpdateItem) unless `cond` says otherwise.
    Update {
        key: Key,
        update: Update,
        cond: Cond,
    },
    Delete {
        key: Key,
        cond: Cond,
    },
    Check {
        key: Key,
        cond: Cond,
    },
}

impl WriteOp {
    pub fn key(&self) -> &Key {
        match self {
            WriteOp::Put { item, .. } => &item.key,
            WriteOp::Update { key, .. } | WriteOp::Delete { key, .. } | WriteOp::Check { key, .. } => key,
        }
    }
}

/// A key-range query inside one partition. Ranges are on the sort key's UTF-8 bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub pk: String,
    pub lower: Bound<String>,
    pub upper: Bound<String>,
    pub forward: bool,
    pub limit: usize,
    pub consistent: bool,
}

/// Greater than any character our sort keys hold, so `prefix + PREFIX_END` bounds a prefix.
const PREFIX_END: char = '\u{10FFFF}';

impl Query {
    /// Every item whose sort key starts with `prefix`, in ascending order.
    pub fn prefix(pk: impl Into<String>, prefix: &str) -> Self {
        Self {
            pk: pk.into(),
            lower: Bound::Included(prefix.to_owned()),
            upper: Bound::Included(format!("{prefix}{PREFIX_END}")),
            forward: true,
            limit: 100,
            consistent: false,
        }
    }
    pub fn after(mut self, sk: String) -> Self {
        self.lower = Bound::Excluded(sk);
        self
    }
    pub fn before(mut self, sk: String) -> Self {
        self.upper = Bound::Excluded(sk);
        self
    }
    pub fn backward(mut self) -> Self {
        self.forward = false;
        self
    }
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
    pub fn consistent(mut self) -> Self {
        self.consistent = true;
        self
    }

    pub fn contains(&self, sk: &str) -> bool {
        let above = match &self.lower {
            Bound::Included(l) => sk >= l.as_str(),
            Bound::Excluded(l) => sk > l.as_str(),
            Bound::Unbounded => true,
        };
        let below = match &self.upper {
            Bound::Included(u) => sk <= u.as_str(),
            Bound::Excluded(u) => sk < u.as_str(),
            Bound::Unbounded => true,
        };
        above && below
    }
}

/// A page of a query: `more` says whether items remain past the last one returned.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    pub items: Vec<Item>,
    pub more: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StoreError {
    /// A single write's condition failed.
    #[error("condition failed")]
    ConditionFailed,
    /// A transaction was cancelled because the conditions of these operations failed. Empty
    /// when it was cancelled for contention with another transaction.
    #[error("transaction cancelled (failed conditions at {:?})", .failed.iter().map(|f| f.op).collect::<Vec<_>>())]
    TransactionCanceled { failed: Vec<FailedCondition> },
    /// Throttling or a transient fault that a caller may retry with backoff.
    #[error("store busy: {0}")]
    Transient(String),
    #[error("store: {0}")]
    Backend(String),
}

/// An operation of a transaction whose condition failed, and the item it was checked against as
/// it is now (DynamoDB's `ReturnValuesOnConditionCheckFailure = ALL_OLD`): a caller that lost a
/// race sees what won it without reading it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedCondition {
    /// Its index in the transaction's op list.
    pub op: usize,
    /// The item's attributes other than its key; `None` when there is no such item.
    pub current: Option<Attrs>,
}

impl FailedCondition {
    pub fn new(op: usize, current: Option<Attrs>) -> Self {
        Self { op, current }
    }
}

impl StoreError {
    /// True for contention and transient faults: the same write may succeed if tried again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Transient(_))
            || matches!(self, StoreError::TransactionCanceled { failed } if failed.is_empty())
    }
}

/// Contention and transient faults are the caller's to retry (503); anything else is internal.
impl From<StoreError> for crate::domain::error::ChatError {
    fn from(e: StoreError) -> Self {
        if e.is_retryable() {
            Self::Unavailable(e.to_string())
        } else {
            Self::Internal(format!("store: {e}"))
        }
    }
}

/// A change to one item, as DynamoDB Streams reports it (NEW_AND_OLD_IMAGES).
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRecord {
    /// Position in the feed: increasing, so a consumer resumes after the last one it handled.
    pub position: u64,
    pub key: Key,
    pub old: Option<Attrs>,
    pub new: Option<Attrs>,
}

/// Largest number of operations in one transaction (DynamoDB's limit).
pub const MAX_TRANSACTION_OPS: usize = 100;

#[async_trait]
pub trait Store: Send + Sync {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError>;
    /// Items for the keys that exist, in no particular order.
    async fn batch_get(&self, keys: &[Key], consistent: bool) -> Result<Vec<Item>, StoreError>;
    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError>;
    /// Applies the update and returns the item as it is afterwards.
    async fn update(&self, key: &Key, update: Update, cond: Cond) -> Result<Attrs, StoreError>;
    async fn delete(&self, key: &Key, cond: Cond) -> Result<Option<Attrs>, StoreError>;
    /// All or nothing, at most `MAX_TRANSACTION_OPS` operations on distinct items. A refusal
    /// names every failed condition with its item as it is now.
    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError>;
    /// Independent writes (no conditions), chunked by the adapter.
    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError>;
    async fn query(&self, query: &Query) -> Result<Page, StoreError>;
    /// The same page, shared: a store that keeps pages (the embedded one) hands out its own
    /// instead of copying every item, for readers that only look (fan-out reads a
    /// conversation's members and subscriptions for every event).
    async fn query_shared(&self, query: &Query) -> Result<Arc<Page>, StoreError> {
        self.query(query).await.map(Arc::new)
    }
}
