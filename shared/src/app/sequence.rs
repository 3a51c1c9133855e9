//! The sequence engine: every change to a conversation takes its next sequence number, in one
//! transaction with the change's record in the catch-up log and the change's own writes. The
//! sequence update is conditional on the value read, so changes commit in seq order and seqs have
//! no holes.
//!
//! Losing the race to a concurrent change (the condition fails) proves another change committed:
//! the conversation as a whole moves on, so how long a loser waits must not grow with its own
//! attempts (that starved losers while newcomers won). The refusal carries the conversation item
//! as it is now, so a retry sent within a round trip plans at the new seq without reading again.
//! The wait is drawn from zero to one round trip per writer the conversation seems to have (this
//! process's share of lost attempts on it), and a new change in a contended conversation waits
//! the same way before its first attempt, so newcomers and losers meet the same odds and about
//! one attempt reaches the store per commit. Only a busy store (throttling, faults) backs off
//! exponentially. A change gives up after a time budget (a 503 the client retries), not a count.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::Chat;
use crate::domain::error::{ChatError, ChatResult};
use crate::domain::ids::{ConversationId, TenantId};
use crate::domain::ConversationMeta;
use crate::persistence::change_log::{self, LoggedChange};
use crate::persistence::conversations::{meta_after_refusal, take_sequence};
use crate::persistence::transaction::{OpRole, Transaction, TransactionError};
use crate::ports::store::{StoreError, Update};

/// How long a change keeps trying to commit before the request gives up with a 503 the client
/// retries: a few seconds, well inside the HTTP function's 15 s Lambda timeout (template.yaml)
/// and API Gateway's 30 s, with room for the attempt in flight (at most the SDK's 10 s call
/// limit, `aws::sdk`).
pub(super) const COMMIT_BUDGET: Duration = Duration::from_secs(4);
/// The wait after a lost race is drawn from zero to one round trip per writer the conversation
/// seems to have, within these bounds (the round trip includes the store's queue).
const LOST_WAIT_FLOOR: Duration = Duration::from_millis(1);
const LOST_WAIT_CEILING: Duration = Duration::from_secs(1);
/// Per-process turns for commits, by a hash of the conversation.
const COMMIT_STRIPES: usize = 64;
/// The moving average of lost attempts gives the newest this weight (1 in 8).
const LOSS_WEIGHT: u32 = 8;
/// The most writers the wait after a lost race spreads over.
const MAX_CONTENDERS: u32 = 32;

/// Changes to one conversation from this process take turns: they would only race for the same
/// seq and retry. Across processes the conditional write keeps them correct, and each process
/// keeps a moving average of how often its attempts on the conversation lost the race: the
/// contention every change to it meets, whatever its own attempt count.
pub(super) struct CommitTurns {
    turns: Vec<tokio::sync::Mutex<()>>,
    /// Per stripe, the share of recent attempts that lost, in thousandths.
    losses: Vec<AtomicU32>,
    /// Per stripe, the last attempt's round trip, in microseconds.
    trips: Vec<AtomicU32>,
}

impl Default for CommitTurns {
    fn default() -> Self {
        Self {
            turns: (0..COMMIT_STRIPES).map(|_| tokio::sync::Mutex::new(())).collect(),
            losses: (0..COMMIT_STRIPES).map(|_| AtomicU32::new(0)).collect(),
            trips: (0..COMMIT_STRIPES).map(|_| AtomicU32::new(0)).collect(),
        }
    }
}

impl CommitTurns {
    fn stripe(c: &ConversationId) -> usize {
        c.as_str().bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(usize::from(b))) % COMMIT_STRIPES
    }

    /// Counts an attempt on `c`: lost the race, or committed, after a round trip of `trip`.
    fn record(&self, c: &ConversationId, lost: bool, trip: Duration) {
        self.trips[Self::stripe(c)].store(u32::try_from(trip.as_micros()).unwrap_or(u32::MAX), Ordering::Relaxed);
        let sample = if lost { 1000 } else { 0 };
        let _ = self.losses[Self::stripe(c)].fetch_update(Ordering::Relaxed, Ordering::Relaxed, |loss| {
            Some((loss * (LOSS_WEIGHT - 1) + sample) / LOSS_WEIGHT)
        });
    }

    fn last_trip(&self, c: &ConversationId) -> Duration {
        Duration::from_micros(u64::from(self.trips[Self::stripe(c)].load(Ordering::Relaxed)))
    }

    /// How many writers `c` seems to have at once, from the share of attempts that lose (one
    /// writer in n wins a round): 1 when they commit, up to `MAX_CONTENDERS`.
    fn contenders(&self, c: &ConversationId) -> u32 {
        let loss = self.losses[Self::stripe(c)].load(Ordering::Relaxed).min(999);
        (1000 / (1000 - loss)).clamp(1, MAX_CONTENDERS)
    }
}

/// What a change writes besides its change record and the conversation's sequence.
pub(super) struct ChangePlan {
    pub ops: Transaction,
    /// Other changes to the conversation item (counters), made with the sequence.
    pub meta_update: Update,
    pub change: LoggedChange,
    /// The change may commit to an archived conversation (unarchiving it, a member leaving,
    /// retention); any other is refused there, checked against the sequence it takes, so a
    /// message racing the archive either lands before it or is refused.
    pub even_when_archived: bool,
}

impl ChangePlan {
    pub fn new(ops: Transaction, change: LoggedChange) -> Self {
        Self { ops, meta_update: Update::default(), change, even_when_archived: false }
    }

    pub fn even_when_archived(mut self) -> Self {
        self.even_when_archived = true;
        self
    }

    pub fn updating_meta(mut self, update: Update) -> Self {
        self.meta_update = update;
        self
    }
}

pub(super) enum CommitOutcome {
    /// Committed as change `seq`.
    Done { seq: u64 },
    /// The conditions of the plan's own operations with these roles failed.
    Refused(Vec<OpRole>),
}

impl Chat {
    /// Commits the change `plan` makes of the conversation as it is (re-planned on every
    /// attempt, with the seq it would take).
    pub(super) async fn commit_change<F>(&self, t: &TenantId, c: &ConversationId, plan: F) -> ChatResult<CommitOutcome>
    where
        F: FnMut(&ConversationMeta, u64) -> ChatResult<ChangePlan>,
    {
        let _turn = self.commit_turn(c).await;
        self.commit_in_turn(t, c, plan).await
    }

    /// `commit_change` for a change planned on another item too: `read` reads it on every
    /// attempt, in this process's turn and after the sequence was read, so a change to it
    /// committed meanwhile (which took a seq) is seen, not raced. (Across processes the plan's
    /// own conditions still guard it.)
    pub(super) async fn commit_change_reading<R, G, Fut, F>(
        &self,
        t: &TenantId,
        c: &ConversationId,
        read: G,
        plan: F,
    ) -> ChatResult<CommitOutcome>
    where
        G: Fn() -> Fut,
        Fut: std::future::Future<Output = ChatResult<R>>,
        F: FnMut(&ConversationMeta, u64, &R) -> ChatResult<ChangePlan>,
    {
        let _turn = self.commit_turn(c).await;
        self.commit_in_turn_reading(t, c, read, plan).await
    }

    /// This process's turn to commit changes to `c`: held by `commit_change`, or by a use case
    /// that must read what it changes in the same turn (then it calls `commit_in_turn`).
    pub(super) async fn commit_turn(&self, c: &ConversationId) -> tokio::sync::MutexGuard<'_, ()> {
        self.commit_turns.turns[CommitTurns::stripe(c)].lock().await
    }

    /// `commit_change` for a caller that holds the conversation's turn (`commit_turn`).
    pub(super) async fn commit_in_turn<F>(
        &self,
        t: &TenantId,
        c: &ConversationId,
        mut plan: F,
    ) -> ChatResult<CommitOutcome>
    where
        F: FnMut(&ConversationMeta, u64) -> ChatResult<ChangePlan>,
    {
        self.commit_in_turn_reading(t, c, || std::future::ready(Ok(())), |meta, seq, _| plan(meta, seq)).await
    }

    async fn commit_in_turn_reading<R, G, Fut, F>(
        &self,
        t: &TenantId,
        c: &ConversationId,
        read: G,
        mut plan: F,
    ) -> ChatResult<CommitOutcome>
    where
        G: Fn() -> Fut,
        Fut: std::future::Future<Output = ChatResult<R>>,
        F: FnMut(&ConversationMeta, u64, &R) -> ChatResult<ChangePlan>,
    {
        let mut retries = Retries::new(Instant::now());
        let mut known: Option<ConversationMeta> = None;
        // In a contended conversation a new change waits its turn like a loser does, so losers
        // and newcomers meet the same odds (a newcomer going first starved losers).
        let contenders = self.commit_turns.contenders(c);
        if contenders > 1 {
            let (_, high) = retries.wait_range(Setback::Lost, self.commit_turns.last_trip(c), contenders - 1);
            tokio::time::sleep(high.mul_f64(rand::random::<f64>())).await;
        }
        loop {
            let meta = match known.take() {
                Some(meta) => meta,
                None => self.tables.meta(t, c, true).await?.ok_or(ChatError::NotFound("conversation"))?,
            };
            let seq = meta.last_seq + 1;
            let other = read().await?;
            let ChangePlan { mut ops, meta_update, change, even_when_archived } = plan(&meta, seq, &other)?;
            if meta.archived && !even_when_archived {
                return Err(ChatError::archived());
            }
            ops.push(OpRole::Sequence, change_log::record(t, c, seq, &change, self.clock.now_ms())?);
            ops.push(OpRole::Sequence, take_sequence(t, c, meta.last_seq, seq, meta_update));
            let sent = Instant::now();
            let setback = match self.tables.commit(ops).await {
                Ok(()) => {
                    self.commit_turns.record(c, false, sent.elapsed());
                    return Ok(CommitOutcome::Done { seq });
                }
                Err(TransactionError::Refused(refusal)) if refusal.roles.iter().any(|r| *r != OpRole::Sequence) => {
                    let roles = refusal.roles.into_iter().filter(|r| *r != OpRole::Sequence).collect();
                    return Ok(CommitOutcome::Refused(roles));
                }
                // Another change took this seq first: the refusal shows the conversation as it
                // is now (else it is read again).
                Err(TransactionError::Refused(refusal)) => {
                    known = meta_after_refusal(&refusal, t, c)?;
                    Setback::Lost
                }
                // Cancelled for another transaction in progress on these items: one is committing.
                Err(TransactionError::Store(StoreError::TransactionCanceled { .. })) => Setback::Lost,
                Err(TransactionError::Store(e)) if e.is_retryable() => Setback::Busy,
                Err(TransactionError::Store(e)) => return Err(e.into()),
            };
            let now = Instant::now();
            if setback == Setback::Lost {
                self.commit_turns.record(c, true, now - sent);
            }
            let Some(wait) = retries.next(setback, now - sent, self.commit_turns.contenders(c), now) else {
                tracing::warn!(conversation = %c, attempts = retries.attempts, "change not committed within its budget");
                return Err(ChatError::Unavailable(format!("conversation {c} too busy to commit a change; try again")));
            };
            tracing::debug!(conversation = %c, ?setback, ?wait, "sequence contention, retrying");
            // Past a round trip, others have likely taken the seq the refusal showed: a read
            // costs less than a transaction refused again.
            if wait > (now - sent).max(LOST_WAIT_FLOOR) {
                known = None;
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// The record of one of a new conversation's first changes, written with its creation.
    pub(super) fn first_change(
        &self,
        t: &TenantId,
        c: &ConversationId,
        seq: u64,
        change: &LoggedChange,
    ) -> ChatResult<crate::ports::store::WriteOp> {
        change_log::record(t, c, seq, change, self.clock.now_ms())
    }
}

/// Why an attempt did not commit, as far as the wait before the next one goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setback {
    /// Another change committed (or is committing) on the conversation: it progresses.
    Lost,
    /// Throttled or a transient fault: the store needs room, and waits grow.
    Busy,
}

/// The retry policy of one change: how long to wait before its next attempt, until its budget
/// is spent.
#[derive(Debug)]
struct Retries {
    deadline: Instant,
    busy: u32,
    attempts: u32,
}

impl Retries {
    fn new(start: Instant) -> Self {
        Self { deadline: start + COMMIT_BUDGET, busy: 0, attempts: 1 }
    }

    /// The range the wait after `setback` is drawn from, `trip` being the failed attempt's round
    /// trip. A lost race's spreads the conversation's `contenders` over as many round trips, so
    /// about one attempt reaches the store per commit; it does not depend on how often this
    /// change lost before.
    fn wait_range(&mut self, setback: Setback, trip: Duration, contenders: u32) -> (Duration, Duration) {
        match setback {
            Setback::Lost => (Duration::ZERO, (trip * contenders).clamp(LOST_WAIT_FLOOR, LOST_WAIT_CEILING)),
            Setback::Busy => {
                let (low, high) = backoff_range(self.busy);
                self.busy += 1;
                (Duration::from_millis(low), Duration::from_millis(high))
            }
        }
    }

    /// The wait before the next attempt, or `None` when it would start past the budget.
    fn next(&mut self, setback: Setback, trip: Duration, contenders: u32, now: Instant) -> Option<Duration> {
        let (low, high) = self.wait_range(setback, trip, contenders);
        let wait = low + (high - low).mul_f64(rand::random::<f64>());
        self.attempts += 1;
        (now + wait < self.deadline).then_some(wait)
    }
}

/// Jittered exponential backoff: from 2–7 ms, doubling to 160–480 ms (the range: half a base to
/// one and a half).
fn backoff_range(attempt: u32) -> (u64, u64) {
    let base = 5u64 << attempt.min(6);
    (base / 2, base / 2 + base)
}

pub(super) async fn backoff(attempt: u32) {
    let (low, high) = backoff_range(attempt);
    let jitter = rand::random::<u64>() % (high - low).max(1);
    tokio::time::sleep(Duration::from_millis(low + jitter)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stops_growing() {
        assert_eq!(backoff_range(0), (2, 7));
        assert_eq!(backoff_range(1), (5, 15));
        assert_eq!(backoff_range(6), backoff_range(11));
    }

    #[test]
    fn one_conversation_always_takes_the_same_turn() {
        let c = ConversationId::new_channel();
        assert_eq!(CommitTurns::stripe(&c), CommitTurns::stripe(&c.clone()));
        assert!(CommitTurns::stripe(&c) < COMMIT_STRIPES);
    }

    #[tokio::test(start_paused = true)]
    async fn a_lost_race_waits_the_same_however_often_it_lost() {
        let mut retries = Retries::new(Instant::now());
        let trip = Duration::from_millis(20);
        for _ in 0..500 {
            assert_eq!(retries.wait_range(Setback::Lost, trip, 3), (Duration::ZERO, trip * 3));
        }
        // A busy store in between does not make the next lost race wait longer either.
        retries.wait_range(Setback::Busy, trip, 3);
        assert_eq!(retries.wait_range(Setback::Lost, trip, 3), (Duration::ZERO, trip * 3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_lost_race_waits_one_round_trip_per_writer_within_bounds() {
        let mut retries = Retries::new(Instant::now());
        let trip = Duration::from_millis(20);
        assert_eq!(retries.wait_range(Setback::Lost, trip, 1).1, trip);
        assert_eq!(retries.wait_range(Setback::Lost, trip, 16).1, trip * 16);
        assert_eq!(retries.wait_range(Setback::Lost, Duration::ZERO, 16).1, LOST_WAIT_FLOOR);
        assert_eq!(retries.wait_range(Setback::Lost, Duration::from_millis(300), 16).1, LOST_WAIT_CEILING);
    }

    #[test]
    fn a_conversation_seems_to_have_as_many_writers_as_its_attempts_lose_to() {
        let turns = CommitTurns::default();
        let (hot, trip) = (ConversationId::new_channel(), Duration::from_millis(10));
        assert_eq!(turns.contenders(&hot), 1, "nothing lost yet");
        // Fifteen of sixteen attempts lose: sixteen writers or so.
        for _ in 0..40 {
            turns.record(&hot, false, trip);
            for _ in 0..15 {
                turns.record(&hot, true, trip);
            }
        }
        assert!((8..=MAX_CONTENDERS).contains(&turns.contenders(&hot)), "{}", turns.contenders(&hot));
        assert_eq!(turns.last_trip(&hot), trip);
        // Once its attempts commit again, it is back to one.
        for _ in 0..40 {
            turns.record(&hot, false, trip);
        }
        assert_eq!(turns.contenders(&hot), 1);
        for _ in 0..1000 {
            turns.record(&hot, true, trip);
        }
        assert_eq!(turns.contenders(&hot), MAX_CONTENDERS, "bounded");
    }

    #[tokio::test(start_paused = true)]
    async fn a_busy_store_is_backed_off_exponentially() {
        let mut retries = Retries::new(Instant::now());
        let trip = Duration::from_millis(1);
        let highs: Vec<Duration> = (0..8).map(|_| retries.wait_range(Setback::Busy, trip, 1).1).collect();
        assert_eq!(highs[0], Duration::from_millis(7));
        assert!(highs.windows(2).take(6).all(|w| w[1] > w[0]), "{highs:?}");
        assert_eq!(highs[6], highs[7], "capped");
    }

    #[tokio::test(start_paused = true)]
    async fn a_change_that_keeps_losing_retries_for_its_time_budget_not_a_count() {
        let start = Instant::now();
        let mut retries = Retries::new(start);
        let trip = Duration::from_millis(5);
        // Each attempt takes a round trip and loses; then the policy says how long to wait.
        tokio::time::sleep(trip).await;
        let mut retried = 0u32;
        while let Some(wait) = retries.next(Setback::Lost, trip, 2, Instant::now()) {
            assert!(wait <= trip * 2, "{wait:?}");
            tokio::time::sleep(wait + trip).await;
            retried += 1;
        }
        let spent = start.elapsed();
        // No attempt started past the budget, and it gave up only when the next one would have:
        // hundreds of attempts, where a count of 12 stopped within a fraction of a second.
        assert!(spent <= COMMIT_BUDGET + trip && spent + 3 * trip >= COMMIT_BUDGET, "{spent:?}");
        assert!(retried > 300, "{retried}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_busy_store_gives_up_within_the_budget_too() {
        let start = Instant::now();
        let mut retries = Retries::new(start);
        while let Some(wait) = retries.next(Setback::Busy, Duration::ZERO, 1, Instant::now()) {
            tokio::time::sleep(wait).await;
        }
        let spent = start.elapsed();
        assert!(spent <= COMMIT_BUDGET && spent + Duration::from_millis(480) >= COMMIT_BUDGET, "{spent:?}");
    }
}

#[cfg(all(test, feature = "embedded"))]
mod contention_tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use async_trait::async_trait;

    use crate::adapters::embedded::sqlite::SqliteStore;
    use crate::app::NewMessage;
    use crate::domain::ids::{ClientMessageId, UserId};
    use crate::domain::values::{ChannelName, DisplayName, Handle, MessageBody};
    use crate::domain::{Change, Event, MessageState, Visibility};
    use crate::persistence::keys;
    use crate::ports::clock::SystemClock;
    use crate::ports::events::EventSink;
    use crate::ports::store::{Attrs, Cond, Item, Key, Page, Query, Store, StoreError, Update, WriteOp};
    use crate::{Caller, Chat, Role};

    use super::*;

    struct NoEvents;
    #[async_trait]
    impl EventSink for NoEvents {
        async fn publish(&self, _: &TenantId, _: &Event) {}
    }

    fn caller(user: &str) -> Caller {
        Caller {
            tenant: TenantId::parse("acme").expect("tenant"),
            user: UserId::parse(user).expect("user"),
            roles: vec![Role::TenantAdmin],
            display_name: DisplayName::parse(user).expect("name"),
            suggested_handle: Handle::parse(user).expect("handle"),
        }
    }

    fn message(client_id: &str) -> NewMessage {
        NewMessage {
            client_message_id: ClientMessageId::parse(client_id).expect("client id"),
            body: MessageBody::parse(client_id).expect("body"),
            mentions: vec![],
            attachments: vec![],
            reply_to: None,
        }
    }

    /// A store in front of the shared one where, before each of the first `interruptions`
    /// sequence takes reaches it, a rival (another process) commits a message of its own: the
    /// take loses the race. Counts the reads of the conversation item.
    struct Rival {
        inner: Arc<dyn Store>,
        rival: Chat,
        who: Caller,
        channel: ConversationId,
        meta: Key,
        interruptions: AtomicUsize,
        meta_reads: AtomicUsize,
    }

    #[async_trait]
    impl Store for Rival {
        async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
            if *key == self.meta {
                self.meta_reads.fetch_add(1, Ordering::SeqCst);
            }
            self.inner.get(key, consistent).await
        }
        async fn batch_get(&self, keys: &[Key], consistent: bool) -> Result<Vec<Item>, StoreError> {
            if keys.contains(&self.meta) {
                self.meta_reads.fetch_add(1, Ordering::SeqCst);
            }
            self.inner.batch_get(keys, consistent).await
        }
        async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError> {
            self.inner.put(item, cond).await
        }
        async fn update(&self, key: &Key, update: Update, cond: Cond) -> Result<Attrs, StoreError> {
            self.inner.update(key, update, cond).await
        }
        async fn delete(&self, key: &Key, cond: Cond) -> Result<Option<Attrs>, StoreError> {
            self.inner.delete(key, cond).await
        }
        async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
            let takes_seq = ops.iter().any(|op| *op.key() == self.meta);
            if takes_seq
                && self.interruptions.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
            {
                let n = self.interruptions.load(Ordering::SeqCst);
                self.rival.send(&self.who, &self.channel, message(&format!("rival-{n}"))).await.expect("rival sends");
            }
            self.inner.transact(ops).await
        }
        async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
            self.inner.batch_write(ops).await
        }
        async fn query(&self, query: &Query) -> Result<Page, StoreError> {
            self.inner.query(query).await
        }
    }

    /// A store where another transaction is always in progress on the conversation item.
    struct AlwaysConflicting {
        inner: Arc<dyn Store>,
        meta: Key,
        takes: AtomicUsize,
    }

    #[async_trait]
    impl Store for AlwaysConflicting {
        async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
            self.inner.get(key, consistent).await
        }
        async fn batch_get(&self, keys: &[Key], consistent: bool) -> Result<Vec<Item>, StoreError> {
            self.inner.batch_get(keys, consistent).await
        }
        async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError> {
            self.inner.put(item, cond).await
        }
        async fn update(&self, key: &Key, update: Update, cond: Cond) -> Result<Attrs, StoreError> {
            self.inner.update(key, update, cond).await
        }
        async fn delete(&self, key: &Key, cond: Cond) -> Result<Option<Attrs>, StoreError> {
            self.inner.delete(key, cond).await
        }
        async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
            if ops.iter().any(|op| *op.key() == self.meta) {
                self.takes.fetch_add(1, Ordering::SeqCst);
                return Err(StoreError::TransactionCanceled { failed: vec![] });
            }
            self.inner.transact(ops).await
        }
        async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
            self.inner.batch_write(ops).await
        }
        async fn query(&self, query: &Query) -> Result<Page, StoreError> {
            self.inner.query(query).await
        }
    }

    /// A channel of `owner` with `writer` in it, on `store`.
    async fn channel(store: Arc<dyn Store>, owner: &Caller, writer: &Caller) -> ConversationId {
        let chat = Chat::new(store, Arc::new(SystemClock), Arc::new(NoEvents));
        chat.ensure_profile(owner).await.expect("profile");
        chat.ensure_profile(writer).await.expect("profile");
        let name = ChannelName::parse("hot").expect("name");
        let channel = chat.create_channel(owner, name, Visibility::Public, None).await.expect("channel").id;
        chat.invite(owner, &channel, &writer.user).await.expect("invite");
        channel
    }

    #[tokio::test(start_paused = true)]
    async fn a_change_that_never_gets_its_turn_answers_unavailable_after_its_budget() {
        let inner: Arc<dyn Store> = Arc::new(SqliteStore::in_memory(Arc::new(SystemClock)).expect("store"));
        let (owner, writer) = (caller("owner"), caller("writer"));
        let channel = channel(inner.clone(), &owner, &writer).await;
        let meta = keys::conversation_meta(&owner.tenant, &channel);
        let store = Arc::new(AlwaysConflicting { inner, meta, takes: AtomicUsize::new(0) });
        let chat = Chat::new(store.clone(), Arc::new(SystemClock), Arc::new(NoEvents));
        let start = Instant::now();

        let Err(refused) = chat.send(&writer, &channel, message("never")).await else {
            panic!("committed on a store that never lets it");
        };

        assert!(matches!(refused, ChatError::Unavailable(_)), "a 503 the client retries: {refused:?}");
        let spent = start.elapsed();
        assert!(spent >= COMMIT_BUDGET - LOST_WAIT_CEILING && spent <= COMMIT_BUDGET, "{spent:?}");
        assert!(store.takes.load(Ordering::SeqCst) > 12, "kept trying for its budget, not 12 attempts");
    }

    #[tokio::test]
    async fn a_lost_race_retries_at_the_seq_its_refusal_reports_without_reading_again() {
        let clock = Arc::new(SystemClock);
        let inner: Arc<dyn Store> = Arc::new(SqliteStore::in_memory(clock.clone()).expect("store"));
        let (owner, writer) = (caller("owner"), caller("writer"));
        let channel = channel(inner.clone(), &owner, &writer).await;
        let rival = Chat::new(inner.clone(), clock.clone(), Arc::new(NoEvents));
        let before = rival.changes(&owner, &channel, 0, None).await.expect("changes").last_seq;
        let store = Arc::new(Rival {
            inner,
            rival,
            who: owner.clone(),
            channel: channel.clone(),
            meta: keys::conversation_meta(&owner.tenant, &channel),
            interruptions: AtomicUsize::new(3),
            meta_reads: AtomicUsize::new(0),
        });
        let chat = Chat::new(store.clone(), clock, Arc::new(NoEvents));

        let sent = chat.send(&writer, &channel, message("mine")).await.expect("sent despite three lost races");

        // Three rivals took the seqs it planned at, one after the other; it took the next one.
        assert_eq!(sent.message.seq, before + 4);
        assert_eq!(store.interruptions.load(Ordering::SeqCst), 0);
        // The conversation item was read once, for the first plan: each retry planned at the seq
        // the refusal reported.
        assert_eq!(store.meta_reads.load(Ordering::SeqCst), 1);
        // Catch-up: one change per seq, in order, no hole; the rivals' messages before it.
        let log = chat.changes(&owner, &channel, before, None).await.expect("changes");
        let seqs: Vec<u64> = log.items.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (before + 1..=before + 4).collect::<Vec<_>>());
        let bodies: Vec<String> = log
            .items
            .iter()
            .filter_map(|e| match &e.change {
                Change::NewMessage(MessageState::Current(m)) => Some(m.body.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(bodies, ["rival-2", "rival-1", "rival-0", "mine"]);
    }
}
