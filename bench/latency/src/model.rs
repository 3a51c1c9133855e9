//! The latency model of issue 24: a `Push` that takes as long as a PostToConnection from Lambda
//! and a `Store` that takes as long as a DynamoDB round trip, over real adapters. They only add
//! waiting: what the inner adapter answers is what the caller gets. Waits are tokio timers, so
//! calls in flight overlap as network calls do (the use cases' own concurrency decides how many).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use shared::domain::ids::ConnectionId;
use shared::ports::push::{Push, PushError};
use shared::ports::queue::{FanoutJob, FanoutQueue, QueueError};
use shared::ports::store::{Attrs, Cond, Item, Key, Page, Query, Store, StoreError, Update, WriteOp};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::capacity::{read_units, stored_size, write_units, Capacity};

/// PostToConnection from a Lambda in the same region: 15–25 ms (issue 24).
pub const DEFAULT_POST: Duration = Duration::from_millis(20);
/// A DynamoDB call from Lambda in the same region, single-digit milliseconds.
pub const DEFAULT_ROUND_TRIP: Duration = Duration::from_millis(5);
/// An SQS SendMessage from Lambda in the same region: a round trip like DynamoDB's.
pub const DEFAULT_QUEUE_ROUND_TRIP: Duration = Duration::from_millis(5);
/// From a message's send to a consumer holding it: the event source mapping's long poll hands a
/// message on within tens of milliseconds when its function has instances running.
pub const DEFAULT_QUEUE_HOP: Duration = Duration::from_millis(20);

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

/// DynamoDB's BatchGetItem and BatchWriteItem limits, by which the adapter chunks a batch.
const BATCH_GET_MAX: usize = 100;
const BATCH_WRITE_MAX: usize = 25;

/// A `Store` whose every call takes `round_trip` more: half before the inner store applies it
/// (the request on the wire), half after (the answer), so a conditional write races others for
/// as long as it would over the network.
pub struct ModelledStore {
    inner: Arc<dyn Store>,
    half: Duration,
    counts: Arc<StoreCalls>,
    /// `None` unless asked for: billing reads items beside the calls, which on a remote store
    /// (the hot-conversation bench's moto) would be requests of their own.
    capacity: Option<Arc<Capacity>>,
}

impl ModelledStore {
    pub fn new(inner: Arc<dyn Store>, round_trip: Duration) -> Self {
        Self { inner, half: round_trip / 2, counts: Arc::default(), capacity: None }
    }
    /// Also reckons the DynamoDB capacity every call would consume (`capacity`).
    pub fn billing_capacity(mut self) -> Self {
        self.capacity = Some(Arc::default());
        self
    }
    pub fn counts(&self) -> Arc<StoreCalls> {
        self.counts.clone()
    }
    /// The DynamoDB capacity the calls would have consumed, when billing (`billing_capacity`).
    pub fn capacity(&self) -> Option<Arc<Capacity>> {
        self.capacity.clone()
    }

    fn bill_read(&self, units: impl FnOnce() -> f64) {
        if let Some(capacity) = &self.capacity {
            capacity.add_read(units());
        }
    }

    /// The stored item's size, read beside the model (no call counted, no time taken): what
    /// DynamoDB bills a write by when the call itself does not carry the whole item.
    async fn size_now(&self, key: &Key) -> usize {
        if self.capacity.is_none() {
            return 0;
        }
        match self.inner.get(key, true).await {
            Ok(Some(item)) => stored_size(&item),
            _ => 0,
        }
    }

    /// Write units of `ops`: each item at the bigger of its size before and after.
    async fn bill_writes(&self, ops: &[WriteOp], before: &[usize], transactional: bool) {
        let Some(capacity) = &self.capacity else { return };
        for (op, before) in ops.iter().zip(before) {
            let after = match op {
                WriteOp::Put { item, .. } => stored_size(item),
                _ => self.size_now(op.key()).await,
            };
            capacity.add_write(write_units(after.max(*before), transactional));
        }
    }

    async fn sizes_before(&self, ops: &[WriteOp]) -> Vec<usize> {
        let mut sizes = Vec::with_capacity(ops.len());
        if self.capacity.is_none() {
            return vec![0; ops.len()];
        }
        for op in ops {
            sizes.push(self.size_now(op.key()).await);
        }
        sizes
    }

    async fn trip<T>(&self, call: impl std::future::Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
        self.trips(1, call).await
    }

    /// A call the DynamoDB adapter makes as `requests` requests one after another (batches
    /// chunked by DynamoDB's limits; none for an empty batch).
    async fn trips<T>(
        &self,
        requests: usize,
        call: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        self.counts.calls.fetch_add(requests as u64, Ordering::SeqCst);
        let half = self.half * requests as u32;
        wait(half).await;
        let answer = call.await;
        wait(half).await;
        answer
    }
}

#[async_trait]
impl Store for ModelledStore {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        let answer = self.trip(self.inner.get(key, consistent)).await;
        let size = answer.as_ref().ok().and_then(Option::as_ref).map_or(0, stored_size);
        self.bill_read(|| read_units(size, consistent));
        answer
    }
    async fn batch_get(&self, keys: &[Key], consistent: bool) -> Result<Vec<Item>, StoreError> {
        let requests = keys.len().div_ceil(BATCH_GET_MAX);
        let answer = self.trips(requests, self.inner.batch_get(keys, consistent)).await;
        if let Ok(items) = &answer {
            // Each key is a read of its own; a missing item costs as much as a small one.
            let misses = keys.len().saturating_sub(items.len());
            let units: f64 = items.iter().map(|i| read_units(stored_size(i), consistent)).sum();
            self.bill_read(|| units + misses as f64 * read_units(0, consistent));
        }
        answer
    }
    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError> {
        let billed = [WriteOp::Put { item: item.clone(), cond: Cond::Always }];
        let before = self.sizes_before(&billed).await;
        let answer = self.trip(self.inner.put(item, cond)).await;
        self.bill_writes(&billed, &before, false).await;
        answer
    }
    async fn update(&self, key: &Key, update: Update, cond: Cond) -> Result<Attrs, StoreError> {
        let billed = [WriteOp::Update { key: key.clone(), update: update.clone(), cond: Cond::Always }];
        let before = self.sizes_before(&billed).await;
        let answer = self.trip(self.inner.update(key, update, cond)).await;
        self.bill_writes(&billed, &before, false).await;
        answer
    }
    async fn delete(&self, key: &Key, cond: Cond) -> Result<Option<Attrs>, StoreError> {
        let billed = [WriteOp::Delete { key: key.clone(), cond: Cond::Always }];
        let before = self.sizes_before(&billed).await;
        let answer = self.trip(self.inner.delete(key, cond)).await;
        self.bill_writes(&billed, &before, false).await;
        answer
    }
    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.counts.transacts.fetch_add(1, Ordering::SeqCst);
        let before = self.sizes_before(&ops).await;
        let billed = ops.clone();
        let answer = self.trip(self.inner.transact(ops)).await;
        if answer.is_err() {
            self.counts.transacts_refused.fetch_add(1, Ordering::SeqCst);
        }
        // A refused transaction is billed too, for the items as they are.
        self.bill_writes(&billed, &before, true).await;
        answer
    }
    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let before = self.sizes_before(&ops).await;
        let billed = ops.clone();
        let answer = self.trips(ops.len().div_ceil(BATCH_WRITE_MAX), self.inner.batch_write(ops)).await;
        self.bill_writes(&billed, &before, false).await;
        answer
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let answer = self.trip(self.inner.query(query)).await;
        if let Ok(page) = &answer {
            // A Query is billed on the sum of what it read, rounded up once.
            let bytes: usize = page.items.iter().map(stored_size).sum();
            self.bill_read(|| read_units(bytes, query.consistent));
        }
        answer
    }
}

/// The fan-out queue (SQS FIFO) and the consumers behind it, modelled: a send costs
/// `round_trip` (the job is in the queue half-way, as a store call applies); a job reaches its
/// consumer `hop` after that; message groups are consumed in parallel (Lambda scales out with
/// the groups that have messages), one group's jobs one after another, in order.
pub struct ModelledQueue {
    half: Duration,
    hop: Duration,
    jobs: mpsc::UnboundedSender<(FanoutJob, Instant)>,
    sent: AtomicU64,
}

/// The jobs sent to a `ModelledQueue`, for `consume`.
pub struct QueuedJobs(mpsc::UnboundedReceiver<(FanoutJob, Instant)>);

impl ModelledQueue {
    pub fn new(round_trip: Duration, hop: Duration) -> (Self, QueuedJobs) {
        let (jobs, queued) = mpsc::unbounded_channel();
        (Self { half: round_trip / 2, hop, jobs, sent: AtomicU64::new(0) }, QueuedJobs(queued))
    }
    /// Jobs sent so far (SendMessage calls).
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl FanoutQueue for ModelledQueue {
    async fn enqueue(&self, job: &FanoutJob) -> Result<(), QueueError> {
        self.sent.fetch_add(1, Ordering::SeqCst);
        wait(self.half).await;
        let reachable = Instant::now() + self.hop;
        self.jobs.send((job.clone(), reachable)).map_err(|_| QueueError("the modelled consumer stopped".into()))?;
        wait(self.half).await;
        Ok(())
    }
}

impl QueuedJobs {
    /// Hands every job to `deliver` once it is reachable: a worker per message group, so groups
    /// overlap and a group's jobs keep their order. Runs until the queue is dropped.
    pub fn consume<F, Fut>(mut self, deliver: F) -> tokio::task::JoinHandle<()>
    where
        F: Fn(FanoutJob) -> Fut + Clone + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        tokio::spawn(async move {
            let mut groups: HashMap<String, mpsc::UnboundedSender<(FanoutJob, Instant)>> = HashMap::new();
            while let Some((job, reachable)) = self.0.recv().await {
                let worker = groups.entry(job.group_id()).or_insert_with(|| {
                    let (tx, mut rx) = mpsc::unbounded_channel::<(FanoutJob, Instant)>();
                    let deliver = deliver.clone();
                    tokio::spawn(async move {
                        while let Some((job, reachable)) = rx.recv().await {
                            tokio::time::sleep_until(reachable).await;
                            deliver(job).await;
                        }
                    });
                    tx
                });
                // The worker lives as long as `groups`: it cannot have gone.
                let _ = worker.send((job, reachable));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use serde_json::json;
    use shared::adapters::embedded::sqlite::SqliteStore;
    use shared::domain::ids::{ConversationId, TenantId, UserId};
    use shared::domain::{Change, Event, MemberChange};
    use shared::ports::clock::SystemClock;

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

    fn job(conversation: &ConversationId, seq: u64) -> FanoutJob {
        let change = Change::MemberAdded(MemberChange { user_id: UserId::parse("u1").unwrap() });
        FanoutJob::new(TenantId::parse("acme").unwrap(), Event::new(conversation.clone(), seq, change))
    }

    /// A job reaches its consumer a hop after its send; two conversations' jobs are delivered at
    /// the same time, one conversation's one after another in seq order.
    #[tokio::test(start_paused = true)]
    async fn queued_jobs_reach_a_consumer_a_hop_later_groups_overlapping_and_each_in_order() {
        let (queue, jobs) = ModelledQueue::new(Duration::from_millis(10), Duration::from_millis(20));
        let start = Instant::now();
        let delivered: Arc<Mutex<Vec<(String, u64, Duration)>>> = Arc::default();
        let record = delivered.clone();
        jobs.consume(move |job: FanoutJob| {
            let record = record.clone();
            async move {
                let at = start.elapsed();
                // Each delivery takes 100 ms: a later job of its group waits for it.
                tokio::time::sleep(Duration::from_millis(100)).await;
                record.lock().unwrap().push((job.event.conversation_id.to_string(), job.event.seq, at));
            }
        });
        let (a, b) = (ConversationId::new_channel(), ConversationId::new_channel());
        let (a1, b1) = (job(&a, 1), job(&b, 1));
        let (first, second) = futures::join!(queue.enqueue(&a1), queue.enqueue(&b1));
        first.unwrap();
        second.unwrap();
        queue.enqueue(&job(&a, 2)).await.unwrap();
        assert_eq!(queue.sent(), 3);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let delivered = delivered.lock().unwrap().clone();
        let of = |c: &ConversationId, seq| delivered.iter().find(|d| d.0 == c.to_string() && d.1 == seq).map(|d| d.2);
        // In the queue at 5 ms, reachable 20 ms later.
        assert_eq!(of(&a, 1), Some(Duration::from_millis(25)));
        assert_eq!(of(&b, 1), Some(Duration::from_millis(25)), "another group is not held up");
        // a's second job was reachable at 35 ms but waited for a's first to finish (125 ms).
        assert_eq!(of(&a, 2), Some(Duration::from_millis(125)));
        assert_eq!(delivered.len(), 3);
    }
}
