//! The embedded `Store`: one SQLite file (WAL, synchronous FULL, so an acknowledged write
//! survives a crash) implementing the same primitives as DynamoDB, plus a durable change feed
//! with old and new images, as DynamoDB Streams gives, for the local stream consumers.

use std::ops::Bound;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;
use tokio::sync::{oneshot, watch};

use super::query_cache::QueryCache;
use crate::ports::clock::Clock;
use crate::ports::store::{
    Attrs, ChangeRecord, Cond, FailedCondition, Item, Key, Page, Query, Store, StoreError, Update, WriteOp,
    MAX_TRANSACTION_OPS, TTL_ATTR,
};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    attrs TEXT NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feed (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    old TEXT,
    new TEXT
);
";

/// Read-only connections beside the writer (a file database in WAL mode lets readers run while
/// the writer commits): authorization and fan-out reads do not queue behind fsyncs.
const READERS: usize = 4;

#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    readers: Arc<Vec<Mutex<Connection>>>,
    next_reader: Arc<std::sync::atomic::AtomicUsize>,
    clock: Arc<dyn Clock>,
    feed_head: watch::Sender<u64>,
    pending: Arc<Mutex<Vec<PendingWrite>>>,
    cache: Arc<Mutex<QueryCache>>,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Turns on SQLite's query planner stability guarantee. Without it a statement whose `LIMIT` is
/// a bound parameter is compiled again on every execution (SQLite plans around the bound
/// value), so the statement cache saved nothing for queries: 2% of the server's CPU under load.
fn keep_plans(conn: &Connection) -> Result<(), StoreError> {
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(backend)?;
    Ok(())
}

impl SqliteStore {
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(backend)?;
        let mut store = Self::init(conn, clock)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let reader = Connection::open_with_flags(
                path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(backend)?;
            reader.busy_timeout(std::time::Duration::from_secs(5)).map_err(backend)?;
            keep_plans(&reader)?;
            readers.push(Mutex::new(reader));
        }
        store.readers = Arc::new(readers);
        Ok(store)
    }

    /// One connection for everything (an in-memory database cannot be shared between connections).
    pub fn in_memory(clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(backend)?, clock)
    }

    fn init(conn: Connection, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL").map_err(backend)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(backend)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(backend)?;
        keep_plans(&conn)?;
        conn.execute_batch(SCHEMA).map_err(backend)?;
        let head: u64 = conn
            .query_row("SELECT COALESCE(MAX(position), 0) FROM feed", [], |r| r.get::<_, i64>(0))
            .map_err(backend)? as u64;
        let (feed_head, _) = watch::channel(head);
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            readers: Arc::new(Vec::new()),
            next_reader: Arc::default(),
            clock,
            feed_head,
            pending: Arc::default(),
            cache: Arc::default(),
        })
    }

    /// A read on a reader connection when there are any (else on the writer).
    async fn with_reader<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, i64) -> Result<T, StoreError> + Send + 'static,
    {
        if self.readers.is_empty() {
            return self.with_conn(f).await;
        }
        let readers = self.readers.clone();
        let start = self.next_reader.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let now_s = self.clock.now_ms() / 1000;
        // A free reader answers on this thread: a key lookup or a page of a partition comes from
        // SQLite's page cache in microseconds, less than a round trip through the blocking pool
        // (two thread wake-ups), and in WAL mode a reader never waits for the writer.
        if let Some(mut guard) = free_reader(&readers, start) {
            return f(&mut guard, now_s);
        }
        tokio::task::spawn_blocking(move || {
            // One may have come free meanwhile; else wait for the next in turn.
            if let Some(mut guard) = free_reader(&readers, start) {
                return f(&mut guard, now_s);
            }
            let mut guard = readers[start % readers.len()]
                .lock()
                .map_err(|_| StoreError::Backend("sqlite connection poisoned".into()))?;
            f(&mut guard, now_s)
        })
        .await
        .map_err(backend)?
    }

    async fn with_conn<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, i64) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        let now_s = self.clock.now_ms() / 1000;
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| StoreError::Backend("sqlite connection poisoned".into()))?;
            f(&mut guard, now_s)
        })
        .await
        .map_err(backend)?
    }

    /// Runs writes as one atomic unit and announces the new feed head.
    ///
    /// Group commit: each write joins a queue, and whoever holds the writer connection commits
    /// every queued write in one SQLite transaction, each inside its own savepoint (a failed
    /// condition rolls back that write alone). Conditions still see the writes queued before
    /// them, so the result is the same as running them one after another, but concurrent sends
    /// share one fsync instead of queueing for one each.
    async fn write(&self, ops: Vec<WriteOp>, atomic: bool) -> Result<Vec<Option<Attrs>>, StoreError> {
        let (done, outcome) = oneshot::channel();
        self.pending.lock().map_err(|_| StoreError::Backend("write queue poisoned".into()))?.push(PendingWrite {
            ops,
            atomic,
            done,
        });
        let pending = self.pending.clone();
        let head = self.feed_head.clone();
        let cache = self.cache.clone();
        self.with_conn(move |conn, now_s| {
            commit_pending(conn, &pending, now_s, &head, &cache);
            Ok(())
        })
        .await?;
        outcome.await.map_err(|_| StoreError::Backend("write abandoned".into()))?
    }

    /// Feed records after `position`, oldest first: what a local stream consumer reads.
    pub async fn read_feed(&self, after: u64, limit: usize) -> Result<Vec<ChangeRecord>, StoreError> {
        self.with_reader(move |conn, _| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT position, pk, sk, old, new FROM feed WHERE position > ?1 ORDER BY position LIMIT ?2",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![after as i64, limit as i64], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                    ))
                })
                .map_err(backend)?;
            let mut out = Vec::new();
            for row in rows {
                let (position, pk, sk, old, new) = row.map_err(backend)?;
                out.push(ChangeRecord {
                    position: position as u64,
                    key: Key { pk, sk },
                    old: parse_attrs(old)?,
                    new: parse_attrs(new)?,
                });
            }
            Ok(out)
        })
        .await
    }

    /// Drops feed records up to `position` once every consumer is past them.
    pub async fn trim_feed(&self, through: u64) -> Result<(), StoreError> {
        self.with_conn(move |conn, _| {
            conn.execute("DELETE FROM feed WHERE position <= ?1", params![through as i64]).map_err(backend)?;
            Ok(())
        })
        .await
    }

    /// Deletes the items whose TTL has passed, as DynamoDB's TTL sweep does (reads already
    /// treat them as absent). No feed record: no stream consumer acts on an expiry. Returns how
    /// many went.
    pub async fn sweep_expired(&self) -> Result<usize, StoreError> {
        self.with_conn(|conn, now_s| {
            conn.execute("DELETE FROM items WHERE expires_at IS NOT NULL AND expires_at <= ?1", params![now_s])
                .map_err(backend)
        })
        .await
    }

    /// Watches the newest feed position, so consumers wake when something is written.
    pub fn feed_head(&self) -> watch::Receiver<u64> {
        self.feed_head.subscribe()
    }
}

/// The first reader connection nobody holds, looking from `start` round the pool.
fn free_reader(readers: &[Mutex<Connection>], start: usize) -> Option<std::sync::MutexGuard<'_, Connection>> {
    (0..readers.len()).find_map(|i| readers[(start + i) % readers.len()].try_lock().ok())
}

struct PendingWrite {
    ops: Vec<WriteOp>,
    atomic: bool,
    done: oneshot::Sender<Result<Vec<Option<Attrs>>, StoreError>>,
}

/// Commits every queued write in one transaction (see `SqliteStore::write`), and drops the
/// cached pages it made stale before any writer hears back.
fn commit_pending(
    conn: &Connection,
    pending: &Mutex<Vec<PendingWrite>>,
    now_s: i64,
    head: &watch::Sender<u64>,
    cache: &Mutex<QueryCache>,
) {
    let batch = match pending.lock() {
        Ok(mut queue) => std::mem::take(&mut *queue),
        Err(_) => return,
    };
    if batch.is_empty() {
        return;
    }
    let mut outcomes: Vec<Result<Vec<Option<Attrs>>, StoreError>> = Vec::with_capacity(batch.len());
    let mut last_position = None;
    // Transaction control runs through cached statements: rusqlite's `Transaction` and
    // `Savepoint` parse their SQL on every use, which showed in the write path's profile.
    let committed = run(conn, "BEGIN").and_then(|()| {
        for write in &batch {
            let outcome = run(conn, "SAVEPOINT write").and_then(|()| {
                match apply_writes(conn, &write.ops, write.atomic, now_s) {
                    Ok((results, position)) => {
                        run(conn, "RELEASE write")?;
                        last_position = position.or(last_position);
                        Ok(results)
                    }
                    // Undo this write alone; the batch goes on.
                    Err(e) => run(conn, "ROLLBACK TO write").and_then(|()| run(conn, "RELEASE write")).and(Err(e)),
                }
            });
            outcomes.push(outcome);
        }
        run(conn, "COMMIT")
    });
    if committed.is_err() && !conn.is_autocommit() {
        // Nothing of this batch may stay half-applied for the next one to commit.
        if let Err(e) = run(conn, "ROLLBACK") {
            tracing::error!(error = %e, "rolling back a failed batch");
        }
    }
    if let Err(e) = committed {
        for outcome in outcomes.iter_mut().filter(|o| o.is_ok()) {
            *outcome = Err(e.clone());
        }
        outcomes.resize_with(batch.len(), || Err(e.clone()));
    } else {
        if let Ok(mut cache) = cache.lock() {
            let applied = batch.iter().zip(&outcomes).filter(|(_, outcome)| outcome.is_ok());
            for op in applied.flat_map(|(write, _)| &write.ops) {
                if !matches!(op, WriteOp::Check { .. }) {
                    cache.written(op.key());
                }
            }
        }
        if let Some(position) = last_position {
            head.send_replace(position);
        }
    }
    for (write, outcome) in batch.into_iter().zip(outcomes) {
        // The caller may have gone away (its request was dropped); the write stands regardless.
        let _ = write.done.send(outcome);
    }
}

/// Runs one statement from the connection's statement cache.
fn run(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql).and_then(|mut statement| statement.execute([])).map(|_| ()).map_err(backend)
}

/// One write's operations on `conn`: read the current items, check every condition, then apply
/// them and record each change in the feed. Returns the new images and the last feed position.
fn apply_writes(
    conn: &Connection,
    ops: &[WriteOp],
    atomic: bool,
    now_s: i64,
) -> Result<(Vec<Option<Attrs>>, Option<u64>), StoreError> {
    let mut olds = Vec::with_capacity(ops.len());
    for op in ops {
        olds.push(read_live(conn, op.key(), now_s)?);
    }
    if atomic {
        let failed: Vec<FailedCondition> = ops
            .iter()
            .zip(&olds)
            .enumerate()
            .filter(|(_, (op, old))| !cond_holds(op_cond(op), old.as_ref()))
            .map(|(i, (_, old))| FailedCondition::new(i, old.clone()))
            .collect();
        if !failed.is_empty() {
            return Err(StoreError::TransactionCanceled { failed });
        }
    } else if ops.iter().zip(&olds).any(|(op, old)| !cond_holds(op_cond(op), old.as_ref())) {
        return Err(StoreError::ConditionFailed);
    }
    let mut results = Vec::with_capacity(ops.len());
    let mut last_position = None;
    for (op, old) in ops.iter().zip(olds) {
        let (key, new) = match op {
            WriteOp::Put { item, .. } => (&item.key, Some(item.attrs.clone())),
            WriteOp::Update { key, update, .. } => (key, Some(apply_update(old.clone().unwrap_or_default(), update))),
            WriteOp::Delete { key, .. } => (key, None),
            WriteOp::Check { .. } => {
                results.push(old);
                continue;
            }
        };
        // The new image is encoded once, for the item and for its feed record.
        let new_image = new.as_ref().map(encode_attrs).transpose()?;
        match (&new, &new_image) {
            (Some(attrs), Some(encoded)) => {
                conn.prepare_cached(
                    "INSERT INTO items (pk, sk, attrs, expires_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (pk, sk) DO UPDATE SET attrs = excluded.attrs, expires_at = excluded.expires_at",
                )
                .and_then(|mut stmt| {
                    stmt.execute(params![key.pk, key.sk, encoded, attrs.get(TTL_ATTR).and_then(Value::as_i64)])
                })
                .map_err(backend)?;
            }
            _ => {
                conn.prepare_cached("DELETE FROM items WHERE pk = ?1 AND sk = ?2")
                    .and_then(|mut stmt| stmt.execute(params![key.pk, key.sk]))
                    .map_err(backend)?;
            }
        }
        if old.is_some() || new.is_some() {
            let old_image = old.as_ref().map(encode_attrs).transpose()?;
            conn.prepare_cached("INSERT INTO feed (pk, sk, old, new) VALUES (?1, ?2, ?3, ?4)")
                .and_then(|mut stmt| stmt.execute(params![key.pk, key.sk, old_image, new_image]))
                .map_err(backend)?;
            last_position = Some(conn.last_insert_rowid() as u64);
        }
        results.push(new);
    }
    Ok((results, last_position))
}

/// Serialises the map directly (no clone into a `Value` first).
fn encode_attrs(attrs: &Attrs) -> Result<String, StoreError> {
    serde_json::to_string(attrs).map_err(backend)
}

fn parse_attrs(raw: Option<String>) -> Result<Option<Attrs>, StoreError> {
    match raw {
        None => Ok(None),
        Some(text) => match serde_json::from_str::<Value>(&text).map_err(backend)? {
            Value::Object(map) => Ok(Some(map)),
            _ => Err(StoreError::Backend("stored item is not an object".into())),
        },
    }
}

fn op_cond(op: &WriteOp) -> &Cond {
    match op {
        WriteOp::Put { cond, .. }
        | WriteOp::Update { cond, .. }
        | WriteOp::Delete { cond, .. }
        | WriteOp::Check { cond, .. } => cond,
    }
}

/// The item as a reader sees it: an expired item (TTL passed, not yet swept) counts as absent.
fn read_live(conn: &Connection, key: &Key, now_s: i64) -> Result<Option<Attrs>, StoreError> {
    let row: Option<String> = conn
        .prepare_cached("SELECT attrs FROM items WHERE pk = ?1 AND sk = ?2 AND (expires_at IS NULL OR expires_at > ?3)")
        .map_err(backend)?
        .query_row(params![key.pk, key.sk, now_s], |r| r.get(0))
        .optional()
        .map_err(backend)?;
    parse_attrs(row)
}

pub(crate) fn cond_holds(cond: &Cond, current: Option<&Attrs>) -> bool {
    match cond {
        Cond::Always => true,
        Cond::NotExists => current.is_none(),
        Cond::Exists => current.is_some(),
        Cond::Equals(attr, value) => current.and_then(|a| a.get(attr)).is_some_and(|v| v == value),
        Cond::ExistsWithout(attr) => current.is_some_and(|a| a.get(attr).is_none_or(Value::is_null)),
        Cond::MissingOrBelow(attr, n) => match current.and_then(|a| a.get(attr)) {
            None | Some(Value::Null) => true,
            Some(v) => v.as_i64().is_some_and(|v| v < *n),
        },
    }
}

pub(crate) fn apply_update(mut attrs: Attrs, update: &Update) -> Attrs {
    for (k, v) in &update.set {
        attrs.insert(k.clone(), v.clone());
    }
    for k in &update.remove {
        attrs.remove(k);
    }
    for (k, delta) in &update.add {
        let current = attrs.get(k).and_then(Value::as_i64).unwrap_or(0);
        attrs.insert(k.clone(), (current + delta).into());
    }
    attrs
}

#[async_trait]
impl Store for SqliteStore {
    async fn get(&self, key: &Key, _consistent: bool) -> Result<Option<Item>, StoreError> {
        let key = key.clone();
        self.with_reader(move |conn, now_s| Ok(read_live(conn, &key, now_s)?.map(|attrs| Item::new(key, attrs)))).await
    }

    async fn batch_get(&self, keys: &[Key], _consistent: bool) -> Result<Vec<Item>, StoreError> {
        let keys = keys.to_vec();
        self.with_reader(move |conn, now_s| {
            let mut out = Vec::with_capacity(keys.len());
            for key in keys {
                if let Some(attrs) = read_live(conn, &key, now_s)? {
                    out.push(Item::new(key, attrs));
                }
            }
            Ok(out)
        })
        .await
    }

    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError> {
        self.write(vec![WriteOp::Put { item, cond }], false).await.map(|_| ())
    }

    async fn update(&self, key: &Key, update: Update, cond: Cond) -> Result<Attrs, StoreError> {
        let mut results = self.write(vec![WriteOp::Update { key: key.clone(), update, cond }], false).await?;
        results.pop().flatten().ok_or_else(|| StoreError::Backend("update returned nothing".into()))
    }

    async fn delete(&self, key: &Key, cond: Cond) -> Result<Option<Attrs>, StoreError> {
        let key = key.clone();
        let old = self.get(&key, true).await?.map(|i| i.attrs);
        self.write(vec![WriteOp::Delete { key, cond }], false).await?;
        Ok(old)
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        if ops.len() > MAX_TRANSACTION_OPS {
            return Err(StoreError::Backend(format!(
                "transaction of {} operations exceeds {MAX_TRANSACTION_OPS}",
                ops.len()
            )));
        }
        let mut seen = std::collections::HashSet::new();
        if !ops.iter().all(|op| seen.insert(op.key().clone())) {
            return Err(StoreError::Backend("transaction touches one item twice".into()));
        }
        self.write(ops, true).await.map(|_| ())
    }

    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        if ops.is_empty() {
            return Ok(());
        }
        self.write(ops, false).await.map(|_| ())
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.query_shared(query).await.map(Arc::unwrap_or_clone)
    }

    async fn query_shared(&self, query: &Query) -> Result<Arc<Page>, StoreError> {
        let now_s = self.clock.now_ms() / 1000;
        let ticket = match self
            .cache
            .lock()
            .map_err(|_| StoreError::Backend("query cache poisoned".into()))?
            .get(query, now_s)
        {
            Ok(page) => return Ok(page),
            Err(ticket) => ticket,
        };
        let page = Arc::new(self.read_query(query.clone()).await?);
        if let Ok(mut cache) = self.cache.lock() {
            cache.put(query, &page, ticket);
        }
        Ok(page)
    }
}

impl SqliteStore {
    /// A query's page from SQLite (`Store::query` looks in the cache first).
    async fn read_query(&self, query: Query) -> Result<Page, StoreError> {
        self.with_reader(move |conn, now_s| {
            let mut sql =
                String::from("SELECT sk, attrs FROM items WHERE pk = ?1 AND (expires_at IS NULL OR expires_at > ?2)");
            let mut args: Vec<rusqlite::types::Value> = vec![query.pk.clone().into(), now_s.into()];
            for (bound, inclusive_op, exclusive_op) in [(&query.lower, ">=", ">"), (&query.upper, "<=", "<")] {
                match bound {
                    Bound::Included(v) => {
                        args.push(v.clone().into());
                        sql.push_str(&format!(" AND sk {inclusive_op} ?{}", args.len()));
                    }
                    Bound::Excluded(v) => {
                        args.push(v.clone().into());
                        sql.push_str(&format!(" AND sk {exclusive_op} ?{}", args.len()));
                    }
                    Bound::Unbounded => {}
                }
            }
            sql.push_str(if query.forward { " ORDER BY sk ASC" } else { " ORDER BY sk DESC" });
            args.push(((query.limit + 1) as i64).into());
            sql.push_str(&format!(" LIMIT ?{}", args.len()));
            let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(args), |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(backend)?;
            let mut items = Vec::new();
            for row in rows {
                let (sk, attrs) = row.map_err(backend)?;
                let attrs = parse_attrs(Some(attrs))?.unwrap_or_default();
                items.push(Item::new(Key::new(query.pk.clone(), sk), attrs));
            }
            let more = items.len() > query.limit;
            items.truncate(query.limit);
            Ok(Page { items, more })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::clock::ManualClock;

    #[tokio::test]
    async fn the_sweep_deletes_expired_items_only() {
        let clock = ManualClock::new(1_000_000_000_000);
        let store = SqliteStore::in_memory(Arc::new(clock.clone())).unwrap();
        let now_s = 1_000_000_000;
        for (sk, expires) in [("gone", Some(now_s - 1)), ("soon", Some(now_s + 60)), ("kept", None)] {
            let mut attrs = Attrs::new();
            if let Some(at) = expires {
                attrs.insert(TTL_ATTR.into(), at.into());
            }
            store.put(Item::new(Key::new("p", sk), attrs), Cond::Always).await.unwrap();
        }
        assert_eq!(store.sweep_expired().await.unwrap(), 1);
        clock.advance_ms(61_000);
        assert_eq!(store.sweep_expired().await.unwrap(), 1);
        let left: Vec<String> =
            store.query(&Query::prefix("p", "")).await.unwrap().items.into_iter().map(|i| i.key.sk).collect();
        assert_eq!(left, vec!["kept".to_owned()]);
        let rows: i64 = store.conn.lock().unwrap().query_row("SELECT COUNT(*) FROM items", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 1, "expired rows are deleted, not only hidden");
    }

    #[test]
    fn a_bound_limit_does_not_recompile_the_statement() {
        let conn = Connection::open_in_memory().unwrap();
        keep_plans(&conn).unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        let sql = "SELECT sk FROM items WHERE pk = ?1 AND (expires_at IS NULL OR expires_at > ?2) LIMIT ?3";
        for limit in [2_i64, 21, 1001, 2] {
            let mut stmt = conn.prepare_cached(sql).unwrap();
            let rows: Vec<String> =
                stmt.query_map(params!["p", 0, limit], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
            assert!(rows.is_empty());
            assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0, "recompiled for LIMIT {limit}");
        }
    }
}
