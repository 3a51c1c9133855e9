//! The latency model of issue 24: a `Push` that takes as long as a PostToConnection from Lambda
//! and a `Store` that takes as long as a DynamoDB round trip, over real adapters. They only add
//! waiting: what the inner adapter answers is what the caller gets. Waits are tokio timers, so
//! calls in flight overlap as network calls do (the use cases' own concurrency decides how many).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use shared::domain::ids::ConnectionId;
use shared::ports::push::{Push, PushError};
use shared::ports::store::{Attrs, Cond, Item, Key, Page, Query, Store, StoreError, Update, WriteOp};

/// PostToConnection from a Lambda in the same region: 15–25 ms (issue 24).
pub const DEFAULT_POST: Duration = Duration::from_millis(20);
/// A DynamoDB call from Lambda in the same region, single-digit milliseconds.
pub const DEFAULT_ROUND_TRIP: Duration = Duration::from_millis(5);

async fn wait(d: Duration) {
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
}

/// Posts in flight now, and the most there ever were (how far posts overlapped).
#[derive(Debug, Default)]
pub struct InFlight {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl InFlight {
    fn enter(&self) -> InFlightGuard<'_> {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        InFlightGuard(self)
    }
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// Leaves on drop, so a post whose future is dropped mid-wait stops counting too.
struct InFlightGuard<'a>(&'a InFlight);
impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A `Push` whose every post waits `per_post` before the inner push receives it. `post_many` is
/// the port's default (`POST_CONCURRENCY` at a time), as the API Gateway adapter's is.
pub struct ModelledPush {
    inner: Arc<dyn Push>,
    per_post: Duration,
    posts: AtomicU64,
    in_flight: InFlight,
}

impl ModelledPush {
    pub fn new(inner: Arc<dyn Push>, per_post: Duration) -> Self {
        Self { inner, per_post, posts: AtomicU64::new(0), in_flight: InFlight::default() }
    }
    pub fn posts(&self) -> u64 {
        self.posts.load(Ordering::SeqCst)
    }
    pub fn in_flight(&self) -> &InFlight {
        &self.in_flight
    }
}

#[async_trait]
impl Push for ModelledPush {
    async fn post(&self, connection: &ConnectionId, payload: &[u8]) -> Result<(), PushError> {
        self.posts.fetch_add(1, Ordering::SeqCst);
        let _flying = self.in_flight.enter();
        wait(self.per_post).await;
        self.inner.post(connection, payload).await
    }
    async fn close(&self, connection: &ConnectionId) -> Result<(), PushError> {
        wait(self.per_post).await;
        self.inner.close(connection).await
    }
}

/// Calls a `ModelledStore` made, and how many transactions were refused: a refused conditional
/// write is a retry of the sequence engine (`shared::app::sequence`) or a use case's re-plan.
#[derive(Debug, Default)]
pub struct StoreCalls {
    pub calls: AtomicU64,
    pub transacts: AtomicU64,
    pub transacts_refused: AtomicU64,
}

impl StoreCalls {
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }
    pub fn transacts(&self) -> u64 {
        self.transacts.load(Ordering::SeqCst)
    }
    pub fn transacts_refused(&self) -> u64 {
        self.transacts_refused.load(Ordering::SeqCst)
    }
}

/// A `Store` whose every call takes `round_trip` more: half before the inner store applies it
/// (the request on the wire), half after (the answer), so a conditional write races others for
/// as long as it would over the network.
pub struct ModelledStore {
    inner: Arc<dyn Store>,
    half: Duration,
    counts: Arc<StoreCalls>,
}

impl ModelledStore {
    pub fn new(inner: Arc<dyn Store>, round_trip: Duration) -> Self {
        Self { inner, half: round_trip / 2, counts: Arc::default() }
    }
    pub fn counts(&self) -> Arc<StoreCalls> {
        self.counts.clone()
    }

    async fn trip<T>(&self, call: impl std::future::Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
        self.counts.calls.fetch_add(1, Ordering::SeqCst);
        wait(self.half).await;
        let answer = call.await;
        wait(self.half).await;
        answer
    }
}

#[async_trait]
impl Store for ModelledStore {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        self.trip(self.inner.get(key, consistent)).await
    }
    async fn batch_get(&self, keys: &[Key], consistent: bool) -> Result<Vec<Item>, StoreError> {
        self.trip(self.inner.batch_get(keys, consistent)).await
    }
    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError> {
        self.trip(self.inner.put(item, cond)).await
    }
    async fn update(&self, key: &Key, update: Update, cond: Cond) -> Result<Attrs, StoreError> {
        self.trip(self.inner.update(key, update, cond)).await
    }
    async fn delete(&self, key: &Key, cond: Cond) -> Result<Option<Attrs>, StoreError> {
        self.trip(self.inner.delete(key, cond)).await
    }
    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.counts.transacts.fetch_add(1, Ordering::SeqCst);
        let answer = self.trip(self.inner.transact(ops)).await;
        if answer.is_err() {
            self.counts.transacts_refused.fetch_add(1, Ordering::SeqCst);
        }
        answer
    }
    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.trip(self.inner.batch_write(ops)).await
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.trip(self.inner.query(query)).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use serde_json::json;
    use shared::adapters::embedded::sqlite::SqliteStore;
    use shared::ports::clock::SystemClock;
    use tokio::time::Instant;

    use super::*;

    /// Remembers the order posts reached it in.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);
    #[async_trait]
    impl Push for Recorder {
        async fn post(&self, connection: &ConnectionId, payload: &[u8]) -> Result<(), PushError> {
            if payload == b"gone" {
                return Err(PushError::Gone);
            }
            self.0.lock().unwrap().push(connection.as_str().to_owned());
            Ok(())
        }
        async fn close(&self, _: &ConnectionId) -> Result<(), PushError> {
            Ok(())
        }
    }

    fn ids(n: usize) -> Vec<ConnectionId> {
        (0..n).map(|i| ConnectionId::parse(&format!("c{i}")).unwrap()).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_post_reaches_the_inner_push_only_after_its_wait() {
        let recorder = Arc::new(Recorder::default());
        let push = ModelledPush::new(recorder.clone(), Duration::from_millis(20));
        let start = Instant::now();
        let order = Mutex::new(Vec::new());
        // Timers on either side of the post's wait, on the paused clock: it lands between them.
        let before = async {
            tokio::time::sleep_until(start + Duration::from_millis(19)).await;
            order.lock().unwrap().push("19 ms");
        };
        let post = async {
            push.post(&ids(1)[0], b"x").await.unwrap();
            order.lock().unwrap().push("post");
        };
        let after = async {
            tokio::time::sleep_until(start + Duration::from_millis(21)).await;
            order.lock().unwrap().push("21 ms");
        };
        futures::join!(after, post, before);
        assert_eq!(*order.lock().unwrap(), vec!["19 ms", "post", "21 ms"]);
        assert_eq!(*recorder.0.lock().unwrap(), vec!["c0".to_owned()]);
    }

    #[tokio::test(start_paused = true)]
    async fn posts_to_many_overlap_up_to_the_ports_concurrency_and_keep_their_answers() {
        let recorder = Arc::new(Recorder::default());
        let push = ModelledPush::new(recorder.clone(), DEFAULT_POST);
        let connections = ids(100);
        let results = push.post_many(&connections, b"frame").await;
        assert_eq!(results.len(), 100);
        assert!(results.iter().all(Result::is_ok));
        assert_eq!(push.posts(), 100);
        // Every post waited, and a batch of them waited together, like HTTP calls in flight.
        assert_eq!(push.in_flight().peak(), shared::ports::push::POST_CONCURRENCY);
        assert_eq!(recorder.0.lock().unwrap().len(), 100);
    }

    #[tokio::test(start_paused = true)]
    async fn the_inner_pushs_answer_is_the_answer() {
        let push = ModelledPush::new(Arc::new(Recorder::default()), DEFAULT_POST);
        assert_eq!(push.post(&ids(1)[0], b"gone").await, Err(PushError::Gone));
        assert_eq!(push.in_flight().peak(), 1);
    }

    fn item(sk: &str, n: i64) -> Item {
        let mut attrs = Attrs::new();
        attrs.insert("n".into(), json!(n));
        Item::new(Key::new("T#a#C#1", sk), attrs)
    }

    /// The same calls on a plain store and on the modelled one answer the same.
    #[tokio::test(start_paused = true)]
    async fn the_store_decorator_answers_as_the_store_beneath() {
        let plain: Arc<dyn Store> = Arc::new(SqliteStore::in_memory(Arc::new(SystemClock)).unwrap());
        let inner: Arc<dyn Store> = Arc::new(SqliteStore::in_memory(Arc::new(SystemClock)).unwrap());
        let modelled = ModelledStore::new(inner, DEFAULT_ROUND_TRIP);
        let counts = modelled.counts();
        for store in [plain.as_ref(), &modelled as &dyn Store] {
            store.put(item("M#1", 1), Cond::NotExists).await.unwrap();
            store.put(item("M#2", 2), Cond::Always).await.unwrap();
        }
        let key = Key::new("T#a#C#1", "M#1");
        assert_eq!(plain.get(&key, true).await, modelled.get(&key, true).await);
        assert_eq!(
            plain.put(item("M#1", 9), Cond::NotExists).await,
            modelled.put(item("M#1", 9), Cond::NotExists).await
        );
        let bump = Update::default().add("n", 5);
        assert_eq!(
            plain.update(&key, bump.clone(), Cond::Exists).await,
            modelled.update(&key, bump, Cond::Exists).await
        );
        let query = Query::prefix("T#a#C#1", "M#").backward();
        assert_eq!(plain.query(&query).await, modelled.query(&query).await);
        // A transaction whose condition fails is refused alike, and counted.
        let clash = vec![WriteOp::Put { item: item("M#2", 3), cond: Cond::NotExists }];
        let (a, b) = (plain.transact(clash.clone()).await, modelled.transact(clash).await);
        assert!(a.is_err());
        assert_eq!(a, b);
        let ok = vec![WriteOp::Put { item: item("M#3", 3), cond: Cond::NotExists }];
        assert_eq!(plain.transact(ok.clone()).await, modelled.transact(ok).await);
        let keys = [key.clone(), Key::new("T#a#C#1", "M#3")];
        let (mut a, mut b) =
            (plain.batch_get(&keys, true).await.unwrap(), modelled.batch_get(&keys, true).await.unwrap());
        a.sort_by(|x, y| x.key.cmp(&y.key));
        b.sort_by(|x, y| x.key.cmp(&y.key));
        assert_eq!(a, b);
        assert_eq!(plain.delete(&key, Cond::Always).await, modelled.delete(&key, Cond::Always).await);
        // Two puts, get, put, update, query, two transactions, batch get, delete.
        assert_eq!(counts.calls(), 10);
        assert_eq!((counts.transacts(), counts.transacts_refused()), (2, 1));
    }

    /// A map behind get and put, answering on the spot (SQLite's blocking pool would let the
    /// paused clock run on while it works).
    #[derive(Default)]
    struct MapStore(Mutex<std::collections::HashMap<Key, Attrs>>);
    #[async_trait]
    impl Store for MapStore {
        async fn get(&self, key: &Key, _: bool) -> Result<Option<Item>, StoreError> {
            Ok(self.0.lock().unwrap().get(key).map(|a| Item::new(key.clone(), a.clone())))
        }
        async fn batch_get(&self, _: &[Key], _: bool) -> Result<Vec<Item>, StoreError> {
            Err(StoreError::Backend("unused".into()))
        }
        async fn put(&self, item: Item, _: Cond) -> Result<(), StoreError> {
            self.0.lock().unwrap().insert(item.key, item.attrs);
            Ok(())
        }
        async fn update(&self, _: &Key, _: Update, _: Cond) -> Result<Attrs, StoreError> {
            Err(StoreError::Backend("unused".into()))
        }
        async fn delete(&self, _: &Key, _: Cond) -> Result<Option<Attrs>, StoreError> {
            Err(StoreError::Backend("unused".into()))
        }
        async fn transact(&self, _: Vec<WriteOp>) -> Result<(), StoreError> {
            Err(StoreError::Backend("unused".into()))
        }
        async fn batch_write(&self, _: Vec<WriteOp>) -> Result<(), StoreError> {
            Err(StoreError::Backend("unused".into()))
        }
        async fn query(&self, _: &Query) -> Result<Page, StoreError> {
            Err(StoreError::Backend("unused".into()))
        }
    }

    /// Calls overlap and the store applies each half a round trip after it was sent: a read sent
    /// just before a write misses it although its answer comes back after the write applied; a
    /// read sent later sees it. (Ordering on the paused clock, not durations.)
    #[tokio::test(start_paused = true)]
    async fn calls_in_flight_overlap_and_apply_half_a_round_trip_in() {
        let store = ModelledStore::new(Arc::new(MapStore::default()), Duration::from_millis(10));
        let key = Key::new("T#a#C#1", "M#1");
        let start = Instant::now();
        let order = Mutex::new(Vec::new());
        let early = async {
            let seen = store.get(&key, true).await.unwrap();
            order.lock().unwrap().push(("early read", seen.is_some()));
        };
        let write = async {
            tokio::time::sleep_until(start + Duration::from_millis(2)).await;
            store.put(item("M#1", 1), Cond::Always).await.unwrap();
            order.lock().unwrap().push(("write", true));
        };
        let late = async {
            tokio::time::sleep_until(start + Duration::from_millis(4)).await;
            let seen = store.get(&key, true).await.unwrap();
            order.lock().unwrap().push(("late read", seen.is_some()));
        };
        futures::join!(late, write, early);
        // Sent at 0, 2 and 4 ms: applied at 5, 7 and 9, answered at 10, 12 and 14.
        assert_eq!(*order.lock().unwrap(), vec![("early read", false), ("write", true), ("late read", true)]);
        assert_eq!(store.counts().calls(), 3);
    }
}
