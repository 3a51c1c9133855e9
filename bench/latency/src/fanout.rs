//! The send path under the latency model: `Chat::send` (the facade the HTTP route calls before
//! its 201) with the realtime fan-out as its event sink, over the embedded store with a round
//! trip per call and a push that waits per post, for channels with N connections online;
//! inline (the request pushes to everyone) beside queued (the deployed path: past the inline
//! threshold the sender queues the event and the fan-out function, modelled with its queue in
//! `ModelledQueue`, posts it, in parallel slices for the biggest audiences).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use async_trait::async_trait;
use bench_latency::model::{
    ModelledPush, ModelledQueue, ModelledStore, DEFAULT_POST, DEFAULT_QUEUE_HOP, DEFAULT_QUEUE_ROUND_TRIP,
    DEFAULT_ROUND_TRIP,
};
use shared::adapters::embedded::sqlite::SqliteStore;
use shared::domain::ids::{ConnectionId, ConversationId};
use shared::domain::limits::FanoutSettings;
use shared::domain::values::ChannelName;
use shared::domain::Visibility;
use shared::ops::Metrics;
use shared::ports::clock::SystemClock;
use shared::ports::push::{Push, PushError};
use shared::ports::queue::{FanoutJob, FanoutQueue};
use shared::ports::store::Store;
use shared::realtime::Realtime;
use shared::{Caller, Chat, Role};

use crate::setup::{caller, message, NoEvents, NoPush};
use crate::Args;

/// A person online has a desktop and a phone connected: two connections per member.
const CONNECTIONS_PER_MEMBER: usize = 2;

/// Where modelled posts land: how many, and when the last one did.
#[derive(Default)]
struct Deliveries {
    count: AtomicU64,
    last: Mutex<Option<Instant>>,
}

impl Deliveries {
    /// Until `total` posts have landed (`audience` of them for the send awaited), 60 s at most.
    async fn wait_for(&self, total: u64, audience: usize) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.count.load(Ordering::SeqCst) < total {
            if Instant::now() > deadline {
                let missing = total - self.count.load(Ordering::SeqCst);
                bail!("{audience} connections: {missing} deliveries still missing after 60 s");
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(())
    }
}

#[async_trait]
impl Push for Deliveries {
    async fn post(&self, _: &ConnectionId, _: &[u8]) -> Result<(), PushError> {
        let now = Instant::now();
        if let Ok(mut last) = self.last.lock() {
            *last = Some(last.map_or(now, |l| l.max(now)));
        }
        self.count.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    async fn close(&self, _: &ConnectionId) -> Result<(), PushError> {
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Mode {
    /// Today's small-audience path for every audience: the request pushes (no queue).
    Inline,
    /// The deployed path: past `FANOUT_INLINE_MAX` connections the sender queues the event and
    /// the fan-out function posts it, in slices past `FANOUT_SLICE_SIZE`.
    Queued,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Inline => "inline",
            Mode::Queued => "queued",
        }
    }
}

/// The network's model: a post's wait, a store call's round trip, the queue's send and hop.
#[derive(Clone, Copy)]
pub(crate) struct Model {
    pub post: Duration,
    pub round_trip: Duration,
    pub queue_round_trip: Duration,
    pub queue_hop: Duration,
}

impl Model {
    pub fn from_args(args: &Args) -> anyhow::Result<Self> {
        Ok(Self {
            post: args.millis("--post-ms", DEFAULT_POST)?,
            round_trip: args.millis("--round-trip-ms", DEFAULT_ROUND_TRIP)?,
            queue_round_trip: args.millis("--queue-round-trip-ms", DEFAULT_QUEUE_ROUND_TRIP)?,
            queue_hop: args.millis("--queue-hop-ms", DEFAULT_QUEUE_HOP)?,
        })
    }
}

/// One channel: its members (the sender among them, with no connection), how many of the
/// others are online and with how many connections each, and whether to reckon DynamoDB
/// capacity.
#[derive(Clone, Copy)]
pub(crate) struct Scenario {
    pub members: usize,
    pub online: usize,
    pub connections_per_member: usize,
    pub bill_capacity: bool,
}

impl Scenario {
    fn connections(&self) -> usize {
        self.online * self.connections_per_member
    }
}

/// What one send cost, on average, everything it caused included (the fan-out function's work
/// too, once its deliveries landed).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PerSend {
    pub read_units: f64,
    pub write_units: f64,
    pub posts: f64,
    pub queue_sends: f64,
    pub fanout_jobs: f64,
    /// The fan-out function's time handling them (what Lambda bills it for).
    pub fanout_busy: Duration,
}

pub(crate) struct Row {
    pub mode: Mode,
    pub audience: usize,
    pub response: Duration,
    pub last_delivery: Duration,
    pub calls_before_response: f64,
    pub queue_sends_before_response: f64,
    pub peak_in_flight: usize,
    pub per_send: PerSend,
}

/// The fan-out function's jobs handled, and its time handling them.
#[derive(Default)]
struct FanoutWork {
    jobs: AtomicU64,
    busy_micros: AtomicU64,
}

pub async fn run(args: &Args) -> anyhow::Result<()> {
    let audiences = args.list("--audiences", &[10, 100, 1_000, 10_000])?;
    let model = Model::from_args(args)?;
    let sends = args.number("--sends", 5)?.max(1) as usize;
    let modes = match args.value("--mode").unwrap_or("both") {
        "inline" => vec![Mode::Inline],
        "queued" => vec![Mode::Queued],
        "both" => vec![Mode::Inline, Mode::Queued],
        other => bail!("--mode {other}: inline, queued or both"),
    };
    let settings = FanoutSettings::default();
    println!(
        "send path under the latency model: {} ms per post ({} in flight from a request, {} from the fan-out function), {} ms per store call, queue: {} ms per send + {} ms to a consumer, inline up to {} connections, slices of {}; median of {sends} sends, {} connections per member",
        model.post.as_millis(),
        shared::ports::push::POST_CONCURRENCY,
        settings.consumer_concurrency,
        model.round_trip.as_millis(),
        model.queue_round_trip.as_millis(),
        model.queue_hop.as_millis(),
        settings.inline_max,
        settings.slice_size,
        CONNECTIONS_PER_MEMBER
    );
    println!();
    println!("| path | connections online | sender's response (send → 201) | last delivery | store calls before the 201 | queue sends before the 201 | posts in flight at most |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for audience in audiences {
        for &mode in &modes {
            let online = audience.div_ceil(CONNECTIONS_PER_MEMBER);
            let scenario = Scenario {
                members: online + 1,
                online,
                connections_per_member: CONNECTIONS_PER_MEMBER,
                bill_capacity: false,
            };
            let row = measure(scenario, model, sends, mode).await?;
            println!(
                "| {} | {} | {} ms | {} ms | {:.1} | {:.1} | {} |",
                row.mode.name(),
                row.audience,
                row.response.as_millis(),
                row.last_delivery.as_millis(),
                row.calls_before_response,
                row.queue_sends_before_response,
                row.peak_in_flight
            );
        }
    }
    Ok(())
}

/// The scenario's channel, its online members' connections subscribed to it; the sender (its
/// owner) has none.
async fn channel_with(store: Arc<dyn Store>, scenario: Scenario) -> anyhow::Result<(Caller, ConversationId)> {
    let clock = Arc::new(SystemClock);
    let chat = Chat::new(store.clone(), clock.clone(), Arc::new(NoEvents));
    let realtime = Realtime::new(store, Arc::new(NoPush), clock.clone(), Arc::new(Metrics::new(clock, 3_600_000)));
    let owner = caller("owner", vec![Role::TenantAdmin])?;
    chat.ensure_profile(&owner).await?;
    let channel = chat.create_channel(&owner, ChannelName::parse("general")?, Visibility::Public, None).await?.id;
    let mut connections = scenario.connections();
    // The owner is the first member.
    for m in 1..scenario.members.max(1) {
        let member = caller(&format!("member{m}"), vec![])?;
        chat.ensure_profile(&member).await?;
        chat.invite(&owner, &channel, &member.user).await?;
        for k in 0..scenario.connections_per_member.min(connections) {
            let id = ConnectionId::parse(&format!("conn-{m}-{k}"))?;
            realtime.connect(&member, &id, None).await?;
            realtime.subscribe(&id, Some(vec![channel.clone()])).await?;
            connections -= 1;
        }
    }
    if connections > 0 {
        bail!("{} members cannot hold {} connections", scenario.members, scenario.connections());
    }
    Ok((owner, channel))
}

pub(crate) async fn measure(scenario: Scenario, model: Model, sends: usize, mode: Mode) -> anyhow::Result<Row> {
    let audience = scenario.connections();
    let clock = Arc::new(SystemClock);
    let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::in_memory(clock.clone())?);
    let prepared = Instant::now();
    let (owner, channel) = channel_with(sqlite.clone(), scenario).await.context("set-up")?;
    eprintln!(
        "{} members, {audience} connections set up in {:.1} s",
        scenario.members,
        prepared.elapsed().as_secs_f64()
    );

    let mut store = ModelledStore::new(sqlite, model.round_trip);
    if scenario.bill_capacity {
        store = store.billing_capacity();
    }
    let store = Arc::new(store);
    let (calls, capacity) = (store.counts(), store.capacity());
    let deliveries = Arc::new(Deliveries::default());
    let push = Arc::new(ModelledPush::new(deliveries.clone(), model.post));
    let work = Arc::new(FanoutWork::default());
    let metrics = Arc::new(Metrics::new(clock.clone(), 3_600_000));
    let realtime = Realtime::new(store.clone(), push.clone(), clock.clone(), metrics.clone());
    let (chat, queues) = match mode {
        Mode::Inline => (Chat::new(store, clock, Arc::new(realtime)), None),
        Mode::Queued => {
            // The fan-out function: its own `Realtime` over the same table and push, queueing
            // the slices of a big audience to the slice queue, which it consumes too.
            let (fanout_queue, fanout_jobs) = ModelledQueue::new(model.queue_round_trip, model.queue_hop);
            let (slice_queue, slice_jobs) = ModelledQueue::new(model.queue_round_trip, model.queue_hop);
            let (fanout_queue, slice_queue) = (Arc::new(fanout_queue), Arc::new(slice_queue));
            let consumer = Arc::new(
                Realtime::new(store.clone(), push.clone(), clock.clone(), metrics)
                    .with_slice_queue(Some(slice_queue.clone() as Arc<dyn FanoutQueue>)),
            );
            fanout_jobs.consume(deliver_with(consumer.clone(), work.clone()));
            slice_jobs.consume(deliver_with(consumer, work.clone()));
            let sender = realtime
                .with_fanout_queue(Some(fanout_queue.clone() as Arc<dyn FanoutQueue>), FanoutSettings::default());
            (Chat::new(store, clock, Arc::new(sender)), Some((fanout_queue, slice_queue)))
        }
    };
    let queue_sends = || queues.as_ref().map_or(0, |(fanout, slices)| fanout.sent() + slices.sent());
    // Everything a send caused is done: its deliveries landed and the fan-out jobs returned.
    // (Once the posts landed, every job, slices included, has been queued.)
    let (deliveries_ref, work_ref, queue_sends_ref) = (&deliveries, &work, &queue_sends);
    let settled = |delivered: u64| async move {
        deliveries_ref.wait_for(delivered, audience).await?;
        let (work, queue_sends) = (work_ref, queue_sends_ref);
        while work.jobs.load(Ordering::SeqCst) < queue_sends() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        anyhow::Ok(())
    };
    // The first send warms this process's profile cache, as any warm Lambda's is.
    chat.send(&owner, &channel, message("warm-up")?).await?;
    // Queued, its deliveries may still be on their way: they must not count as the first send's.
    settled(audience as u64).await?;

    let units = || capacity.as_ref().map_or((0.0, 0.0), |c| (c.read_units(), c.write_units()));
    let busy = || Duration::from_micros(work.busy_micros.load(Ordering::SeqCst));
    let (units_at_start, posts_at_start) = (units(), push.posts());
    let (queued_at_start, jobs_at_start, busy_at_start) = (queue_sends(), work.jobs.load(Ordering::SeqCst), busy());
    let (mut responses, mut lasts, mut call_counts, mut queue_counts) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..sends {
        let delivered_before = deliveries.count.load(Ordering::SeqCst);
        let (calls_before, queued_before) = (calls.calls(), queue_sends());
        let started = Instant::now();
        let sent = chat.send(&owner, &channel, message(&format!("send-{i}"))?).await?;
        let response = started.elapsed();
        call_counts.push(calls.calls() - calls_before);
        queue_counts.push(queue_sends() - queued_before);
        if !sent.created {
            bail!("send {i} was not new");
        }
        // Inline, every post is done before the answer; queued, the bench waits for them.
        settled(delivered_before + audience as u64).await?;
        let last = deliveries.last.lock().ok().and_then(|l| *l).context("no delivery recorded")?;
        responses.push(response);
        lasts.push(last.saturating_duration_since(started));
    }
    let n = sends as f64;
    let ((reads, writes), (reads_at_start, writes_at_start)) = (units(), units_at_start);
    let per_send = PerSend {
        read_units: (reads - reads_at_start) / n,
        write_units: (writes - writes_at_start) / n,
        posts: (push.posts() - posts_at_start) as f64 / n,
        queue_sends: (queue_sends() - queued_at_start) as f64 / n,
        fanout_jobs: (work.jobs.load(Ordering::SeqCst) - jobs_at_start) as f64 / n,
        fanout_busy: (busy() - busy_at_start) / sends as u32,
    };
    Ok(Row {
        mode,
        audience,
        response: median(&mut responses),
        last_delivery: median(&mut lasts),
        calls_before_response: mean(&call_counts),
        queue_sends_before_response: mean(&queue_counts),
        peak_in_flight: push.in_flight().peak(),
        per_send,
    })
}

/// The fan-out function's handling of one job (`functions/fanout` does the same per message),
/// counted with the time it took.
fn deliver_with(
    consumer: Arc<Realtime>,
    work: Arc<FanoutWork>,
) -> impl Fn(FanoutJob) -> futures::future::BoxFuture<'static, ()> + Clone {
    move |job| {
        let (consumer, work) = (consumer.clone(), work.clone());
        Box::pin(async move {
            let started = Instant::now();
            if let Err(e) = consumer.deliver(&job).await {
                eprintln!("fan-out of seq {} failed: {e}", job.event.seq);
            }
            work.busy_micros.fetch_add(started.elapsed().as_micros() as u64, Ordering::SeqCst);
            work.jobs.fetch_add(1, Ordering::SeqCst);
        })
    }
}

fn mean(counts: &[u64]) -> f64 {
    counts.iter().sum::<u64>() as f64 / counts.len().max(1) as f64
}

fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    values[values.len() / 2]
}
