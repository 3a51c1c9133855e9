//! Where a committed event's fan-out runs. Small audiences are pushed from the sender's request,
//! as before; past `inline_max` subscribed connections the event goes to the fan-out queue and the
//! sender answers at once: its cost is one bounded query and one enqueue whatever the audience.
//! The fan-out function (`functions/fanout`, or the local stack's twin) consumes the queue,
//! conversation by conversation in seq order, and posts at its own, wider concurrency.
//!
//! The numbers (PostToConnection ~20 ms from Lambda): inline, `n` recipients hold the sender for
//! `ceil(n / 32) × 20 ms`. At the default of 64 that is two waves, about 40 ms: about what the
//! queued path costs the sender (a SendMessage) and spares the recipients a queue hop.

use std::sync::Arc;

use super::fanout::own_tabs_only;
use super::{FanoutReport, Realtime};
use crate::domain::error::ChatResult;
use crate::domain::ids::{ConnectionId, TenantId};
use crate::domain::limits::FanoutSettings;
use crate::domain::Event;
use crate::ports::push::POST_CONCURRENCY;
use crate::ports::queue::{slices, FanoutJob, FanoutQueue, Slice};

/// What publishing did with an event.
#[derive(Debug, Clone, PartialEq)]
pub enum Dispatched {
    /// Pushed from here.
    Inline(FanoutReport),
    /// Handed to the fan-out queue.
    Queued,
}

impl Realtime {
    /// Sends big audiences through `queue` from now on, with these thresholds.
    pub fn with_fanout_queue(mut self, queue: Option<Arc<dyn FanoutQueue>>, settings: FanoutSettings) -> Self {
        self.queue = queue;
        self.fanout = settings;
        self
    }

    pub fn fanout_settings(&self) -> FanoutSettings {
        self.fanout
    }

    /// The sender's side: pushes inline or queues (the decision described at the top). Without a
    /// queue, everything is pushed inline. A queue that refuses the job is not the end of the
    /// event: it is pushed inline after all, slower for the sender but delivered.
    pub async fn dispatch(&self, t: &TenantId, event: &Event) -> ChatResult<Dispatched> {
        let Some(queue) = &self.queue else { return self.fanout(t, event).await.map(Dispatched::Inline) };
        if own_tabs_only(&event.change).is_some() {
            return self.fanout(t, event).await.map(Dispatched::Inline);
        }
        let c = &event.conversation_id;
        if let Some(known) = self.tables.subscribers_up_to(t, c, self.fanout.inline_max).await? {
            return self.fanout_to(t, event, Some(known), POST_CONCURRENCY).await.map(Dispatched::Inline);
        }
        match queue.enqueue(&FanoutJob::new(t.clone(), event.clone())).await {
            Ok(()) => {
                self.metrics.incr("fanout.queued", 1);
                tracing::debug!(tenant = %t, conversation = %c, seq = event.seq, "fan-out queued");
                Ok(Dispatched::Queued)
            }
            Err(e) => {
                self.metrics.incr("fanout.queue_failures", 1);
                tracing::warn!(conversation = %c, seq = event.seq, error = %e, "fan-out queue refused; pushing inline");
                self.fanout(t, event).await.map(Dispatched::Inline)
            }
        }
    }

    /// The consumer's side: one queued event to its whole audience, at the consumer's
    /// concurrency. Failed posts are counted in the report, not retried: the client recovers the
    /// event by seq. An error here (the audience could not be read) fails the job, which the
    /// queue redelivers and finally moves to its dead-letter queue.
    ///
    /// Past `slice_size` recipients, with a slice queue, the audience is split (`slices`): this
    /// call posts the first slice and queues the others, each posted by another instance in
    /// parallel. A slice job posts to its connections without reading the audience again.
    pub async fn deliver(&self, job: &FanoutJob) -> ChatResult<FanoutReport> {
        let (t, event, width) = (&job.tenant_id, &job.event, self.fanout.consumer_concurrency);
        let started = std::time::Instant::now();
        if let Some(slice) = &job.slice {
            return self.post_to(t, event, slice.connections.clone(), width, started).await;
        }
        let recipients = self.audience(t, event, None).await?;
        let Some(slice_queue) = self.slice_queue.as_ref().filter(|_| recipients.len() > self.fanout.slice_size) else {
            return self.post_to(t, event, recipients, width, started).await;
        };
        // Slice 1 is always posted from here and the others always queued, so a connection is
        // always reached by the same path (in order) while the number of slices stays.
        let (first, others): (Vec<Slice>, Vec<Slice>) =
            slices(recipients, self.fanout.slice_size).into_iter().partition(|s| s.index == 1);
        let mut own: Vec<ConnectionId> = first.into_iter().flat_map(|s| s.connections).collect();
        let queued = others.into_iter().map(|slice| async move {
            let job = FanoutJob { tenant_id: t.clone(), event: event.clone(), slice: Some(slice) };
            match slice_queue.enqueue(&job).await {
                Ok(()) => {
                    self.metrics.incr("fanout.slices_queued", 1);
                    Vec::new()
                }
                Err(e) => {
                    // Posted from here after all: slower, but delivered.
                    self.metrics.incr("fanout.queue_failures", 1);
                    tracing::warn!(group = %job.group_id(), error = %e, "slice queue refused; posting it here");
                    job.slice.map(|s| s.connections).unwrap_or_default()
                }
            }
        });
        for refused in futures::future::join_all(queued).await {
            own.extend(refused);
        }
        self.post_to(t, event, own, width, started).await
    }

    /// Where the fan-out function queues the slices of a big audience (`None`: it posts every
    /// recipient itself).
    pub fn with_slice_queue(mut self, queue: Option<Arc<dyn FanoutQueue>>) -> Self {
        self.slice_queue = queue;
        self
    }
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use crate::adapters::embedded::sqlite::SqliteStore;
    use crate::domain::ids::{ConnectionId, ConversationId, UserId};
    use crate::domain::{Change, Member, MemberChange, MemberRole};
    use crate::ops::Metrics;
    use crate::persistence::codec::to_attrs;
    use crate::persistence::connections as stored;
    use crate::persistence::keys;
    use crate::persistence::Tables;
    use crate::ports::clock::{Clock, ManualClock};
    use crate::ports::push::{Push, PushError};
    use crate::ports::queue::QueueError;
    use crate::ports::store::{Cond, Item, Store, WriteOp};

    /// Records every post, and the most posts ever in flight at once.
    #[derive(Default)]
    struct Recorder {
        posted: Mutex<Vec<ConnectionId>>,
        in_flight: AtomicUsize,
        most_in_flight: AtomicUsize,
    }

    #[async_trait]
    impl Push for Recorder {
        async fn post(&self, connection: &ConnectionId, _payload: &[u8]) -> Result<(), PushError> {
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.most_in_flight.fetch_max(now, Ordering::SeqCst);
            // Every post waits once, as a network call does, so the others start meanwhile.
            tokio::task::yield_now().await;
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            self.posted.lock().expect("lock").push(connection.clone());
            Ok(())
        }
        async fn close(&self, _connection: &ConnectionId) -> Result<(), PushError> {
            Ok(())
        }
    }

    #[derive(Default)]
    struct Queue {
        jobs: Mutex<Vec<FanoutJob>>,
        refuse: bool,
    }

    #[async_trait]
    impl FanoutQueue for Queue {
        async fn enqueue(&self, job: &FanoutJob) -> Result<(), QueueError> {
            if self.refuse {
                return Err(QueueError("unavailable".into()));
            }
            self.jobs.lock().expect("lock").push(job.clone());
            Ok(())
        }
    }

    struct World {
        realtime: Realtime,
        push: Arc<Recorder>,
        queue: Arc<Queue>,
        t: TenantId,
        c: ConversationId,
    }

    /// A channel with `online` members, each with one subscribed connection.
    async fn world(online: usize, inline_max: usize, refuse: bool) -> World {
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(0));
        let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory(clock.clone()).expect("store"));
        let tables = Tables::new(store.clone());
        let (t, c) = (TenantId::parse("acme").expect("tenant"), ConversationId::new_channel());
        for i in 0..online {
            let u = UserId::parse(&format!("u{i}")).expect("user");
            let id = ConnectionId::parse(&format!("c{i:05}")).expect("connection");
            tables.write_all(vec![member_put(&t, &c, &u)]).await.expect("member");
            let ops = stored::subscribe(&t, &u, &id, std::slice::from_ref(&c), i64::MAX / 2).expect("ops");
            tables.write_all(ops).await.expect("subscription");
        }
        let push = Arc::new(Recorder::default());
        let queue = Arc::new(Queue { refuse, ..Default::default() });
        let metrics = Arc::new(Metrics::new(clock.clone(), 1_000));
        let settings = FanoutSettings { inline_max, consumer_concurrency: 8, slice_size: 10 };
        let realtime = Realtime::new(store, push.clone(), clock, metrics)
            .with_fanout_queue(Some(queue.clone() as Arc<dyn FanoutQueue>), settings);
        World { realtime, push, queue, t, c }
    }

    fn member_put(t: &TenantId, c: &ConversationId, u: &UserId) -> WriteOp {
        let member =
            Member { user_id: u.clone(), role: MemberRole::Member, joined_at: "2026-12-07T00:00:00.000Z".into() };
        let item = Item::new(keys::member(t, c, u), to_attrs(&member).expect("attrs"));
        WriteOp::Put { item, cond: Cond::Always }
    }

    fn event(c: &ConversationId, seq: u64) -> Event {
        Event::new(c.clone(), seq, Change::MemberAdded(MemberChange { user_id: UserId::parse("u0").expect("u") }))
    }

    #[tokio::test]
    async fn an_audience_at_the_threshold_is_pushed_by_the_sender() {
        let w = world(3, 3, false).await;
        let dispatched = w.realtime.dispatch(&w.t, &event(&w.c, 1)).await.expect("dispatched");
        assert!(matches!(dispatched, Dispatched::Inline(FanoutReport { delivered: 3, .. })), "{dispatched:?}");
        assert!(w.queue.jobs.lock().expect("lock").is_empty());
    }

    #[tokio::test]
    async fn past_the_threshold_the_sender_queues_the_event_and_posts_nothing() {
        let w = world(4, 3, false).await;
        let e = event(&w.c, 7);
        assert_eq!(w.realtime.dispatch(&w.t, &e).await.expect("dispatched"), Dispatched::Queued);
        assert!(w.push.posted.lock().expect("lock").is_empty());
        let jobs = w.queue.jobs.lock().expect("lock").clone();
        assert_eq!(jobs, vec![FanoutJob::new(w.t.clone(), e)]);
        // The consumer then reaches every one of them.
        let report = w.realtime.deliver(&jobs[0]).await.expect("delivered");
        assert_eq!((report.recipients, report.delivered), (4, 4));
    }

    #[tokio::test]
    async fn a_queue_that_refuses_leaves_the_sender_to_push() {
        let w = world(4, 3, true).await;
        let dispatched = w.realtime.dispatch(&w.t, &event(&w.c, 1)).await.expect("dispatched");
        assert!(matches!(dispatched, Dispatched::Inline(FanoutReport { delivered: 4, .. })), "{dispatched:?}");
    }

    #[tokio::test]
    async fn the_consumer_posts_in_batches_of_its_concurrency() {
        let w = world(30, 3, false).await;
        let report = w.realtime.deliver(&FanoutJob::new(w.t.clone(), event(&w.c, 1))).await.expect("delivered");
        assert_eq!(report.delivered, 30);
        assert_eq!(w.push.most_in_flight.load(Ordering::SeqCst), 8);
        let mut posted = w.push.posted.lock().expect("lock").clone();
        posted.sort();
        posted.dedup();
        assert_eq!(posted.len(), 30);
    }

    /// Past the slice size, the consumer posts one slice and queues the others; a slice job
    /// posts to its connections alone.
    #[tokio::test]
    async fn a_big_audience_is_split_into_slices_posted_by_others() {
        let w = world(30, 3, false).await;
        let slice_queue = Arc::new(Queue::default());
        let realtime = w.realtime.with_slice_queue(Some(slice_queue.clone() as Arc<dyn FanoutQueue>));
        let report = realtime.deliver(&FanoutJob::new(w.t.clone(), event(&w.c, 1))).await.expect("delivered");
        let slices = slice_queue.jobs.lock().expect("lock").clone();
        assert!(!slices.is_empty() && slices.iter().all(|j| j.slice.is_some()), "{slices:?}");
        let queued: usize = slices.iter().map(|j| j.slice.as_ref().map_or(0, |s| s.connections.len())).sum();
        assert_eq!(report.delivered + queued, 30, "every connection once, here or in a slice");
        let first = &slices[0];
        let posted_before = w.push.posted.lock().expect("lock").len();
        let sliced = realtime.deliver(first).await.expect("slice delivered");
        let expected = first.slice.as_ref().map_or(0, |s| s.connections.len());
        assert_eq!(sliced.delivered, expected);
        assert_eq!(w.push.posted.lock().expect("lock").len(), posted_before + expected);
        assert_ne!(first.group_id(), FanoutJob::new(w.t.clone(), event(&w.c, 1)).group_id());
    }

    #[test]
    fn one_conversation_is_one_ordering_group_and_a_seq_is_one_message() {
        let (t, c) = (TenantId::parse("acme").expect("tenant"), ConversationId::new_channel());
        let (a, b) = (FanoutJob::new(t.clone(), event(&c, 1)), FanoutJob::new(t.clone(), event(&c, 2)));
        assert_eq!(a.group_id(), b.group_id());
        assert_eq!(a.group_id(), format!("acme/{c}"));
        assert_ne!(a.deduplication_id(), b.deduplication_id());
        let other = FanoutJob::new(TenantId::parse("globex").expect("tenant"), event(&c, 1));
        assert_ne!(other.group_id(), a.group_id());
        assert!(a.group_id().len() <= 128 && a.deduplication_id().len() <= 128);
        assert_eq!(FanoutJob::from_body(&a.to_body().expect("body")).expect("reads"), a);
    }
}
