//! The send path under the latency model: `Chat::send` (the facade the HTTP route calls before
//! its 201) with the realtime fan-out as its event sink, over the embedded store with a round
//! trip per call and a push that waits per post, for channels with N connections online.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use async_trait::async_trait;
use bench_latency::model::{ModelledPush, ModelledStore, DEFAULT_POST, DEFAULT_ROUND_TRIP};
use shared::adapters::embedded::sqlite::SqliteStore;
use shared::domain::ids::{ConnectionId, ConversationId};
use shared::domain::values::ChannelName;
use shared::domain::Visibility;
use shared::ops::Metrics;
use shared::ports::clock::SystemClock;
use shared::ports::push::{Push, PushError};
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
enum Mode {
    Inline,
}

struct Row {
    audience: usize,
    response: Duration,
    last_delivery: Duration,
    calls_before_response: f64,
    peak_in_flight: usize,
}

pub async fn run(args: &Args) -> anyhow::Result<()> {
    let audiences = args.list("--audiences", &[10, 100, 1_000, 10_000])?;
    let post = args.millis("--post-ms", DEFAULT_POST)?;
    let round_trip = args.millis("--round-trip-ms", DEFAULT_ROUND_TRIP)?;
    let sends = args.number("--sends", 5)?.max(1) as usize;
    let mode = match args.value("--mode").unwrap_or("inline") {
        "inline" => Mode::Inline,
        // The fan-out queue (issue 24 point 1) is being built on another branch; its column
        // joins here once it lands, measured, never estimated.
        "queued" => bail!("the queued fan-out path is not on this branch yet: only --mode inline is measured"),
        other => bail!("--mode {other}: inline or queued"),
    };
    println!(
        "send path under the latency model: {} ms per post ({} in flight), {} ms per store call, median of {sends} sends, {} connections per member",
        post.as_millis(),
        shared::ports::push::POST_CONCURRENCY,
        round_trip.as_millis(),
        CONNECTIONS_PER_MEMBER
    );
    println!();
    println!("| connections online | sender's response (send → 201) | last delivery | store calls before the 201 | posts in flight at most |");
    println!("|---:|---:|---:|---:|---:|");
    for audience in audiences {
        let row = measure(audience, post, round_trip, sends, mode).await?;
        println!(
            "| {} | {} ms | {} ms | {:.1} | {} |",
            row.audience,
            row.response.as_millis(),
            row.last_delivery.as_millis(),
            row.calls_before_response,
            row.peak_in_flight
        );
    }
    println!();
    println!("queued (issue 24 point 1): not measured, the queued fan-out path is not on this branch yet");
    Ok(())
}

/// A channel with `audience` connections online, subscribed to it; the sender is not one of them.
async fn channel_with(store: Arc<dyn Store>, audience: usize) -> anyhow::Result<(Caller, ConversationId)> {
    let clock = Arc::new(SystemClock);
    let chat = Chat::new(store.clone(), clock.clone(), Arc::new(NoEvents));
    let realtime = Realtime::new(store, Arc::new(NoPush), clock.clone(), Arc::new(Metrics::new(clock, 3_600_000)));
    let owner = caller("owner", vec![Role::TenantAdmin])?;
    chat.ensure_profile(&owner).await?;
    let channel = chat.create_channel(&owner, ChannelName::parse("general")?, Visibility::Public, None).await?.id;
    for m in 0..audience.div_ceil(CONNECTIONS_PER_MEMBER) {
        let member = caller(&format!("member{m}"), vec![])?;
        chat.ensure_profile(&member).await?;
        chat.invite(&owner, &channel, &member.user).await?;
        for k in 0..CONNECTIONS_PER_MEMBER.min(audience - m * CONNECTIONS_PER_MEMBER) {
            let id = ConnectionId::parse(&format!("conn-{m}-{k}"))?;
            realtime.connect(&member, &id, None).await?;
            realtime.subscribe(&id, Some(vec![channel.clone()])).await?;
        }
    }
    Ok((owner, channel))
}

async fn measure(
    audience: usize,
    post: Duration,
    round_trip: Duration,
    sends: usize,
    mode: Mode,
) -> anyhow::Result<Row> {
    let clock = Arc::new(SystemClock);
    let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::in_memory(clock.clone())?);
    let prepared = Instant::now();
    let (owner, channel) = channel_with(sqlite.clone(), audience).await.context("set-up")?;
    eprintln!("{audience} connections set up in {:.1} s", prepared.elapsed().as_secs_f64());

    let store = Arc::new(ModelledStore::new(sqlite, round_trip));
    let calls = store.counts();
    let deliveries = Arc::new(Deliveries::default());
    let push = Arc::new(ModelledPush::new(deliveries.clone(), post));
    let metrics = Arc::new(Metrics::new(clock.clone(), 3_600_000));
    let realtime = Arc::new(Realtime::new(store.clone(), push.clone(), clock.clone(), metrics));
    let chat = match mode {
        Mode::Inline => Chat::new(store, clock, realtime),
    };
    // The first send warms this process's profile cache, as any warm Lambda's is.
    chat.send(&owner, &channel, message("warm-up")?).await?;

    let (mut responses, mut lasts, mut call_counts) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..sends {
        let delivered_before = deliveries.count.load(Ordering::SeqCst);
        let calls_before = calls.calls();
        let started = Instant::now();
        let sent = chat.send(&owner, &channel, message(&format!("send-{i}"))?).await?;
        let response = started.elapsed();
        call_counts.push(calls.calls() - calls_before);
        if !sent.created {
            bail!("send {i} was not new");
        }
        let expected = delivered_before + audience as u64;
        // Inline, every post is done before the answer; queued, the bench waits for them.
        let deadline = Instant::now() + Duration::from_secs(60);
        while deliveries.count.load(Ordering::SeqCst) < expected {
            if Instant::now() > deadline {
                bail!(
                    "{audience} connections: only {} of {audience} deliveries in 60 s",
                    deliveries.count.load(Ordering::SeqCst) - delivered_before
                );
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let last = deliveries.last.lock().ok().and_then(|l| *l).context("no delivery recorded")?;
        responses.push(response);
        lasts.push(last.saturating_duration_since(started));
    }
    Ok(Row {
        audience,
        response: median(&mut responses),
        last_delivery: median(&mut lasts),
        calls_before_response: call_counts.iter().sum::<u64>() as f64 / call_counts.len() as f64,
        peak_in_flight: push.in_flight().peak(),
    })
}

fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    values[values.len() / 2]
}
