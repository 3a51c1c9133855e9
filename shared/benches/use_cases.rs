//! Handler CPU of the hot use cases on the embedded store (not a test): send, fan-out planning
//! and posting, list conversations, a history page and catch-up, each timed over many runs.
//! Every figure is also reported as a ratio against a baseline measured in the same run: one
//! row inserted and committed by raw SQLite on an in-memory database, the floor under any write.
//! Run: `cargo bench -p shared --features embedded --bench use_cases [-- ITERATIONS]`.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use shared::adapters::sqlite::SqliteStore;
use shared::domain::chat::{Chat, HistoryQuery, NewMessage};
use shared::domain::ids::{ClientMessageId, ConnectionId, TenantId, UserId};
use shared::domain::model::{Event, EventType, Visibility};
use shared::domain::realtime::Realtime;
use shared::domain::values::{ChannelName, DisplayName, Handle, MessageBody};
use shared::ops::Metrics;
use shared::ports::clock::SystemClock;
use shared::ports::events::EventSink;
use shared::ports::push::{Push, PushError};
use shared::{Caller, Role};

const MEMBERS: usize = 100;
const CHANNELS_PER_USER: usize = 50;
const ONLINE: usize = 10;

struct NoEvents;
#[async_trait]
impl EventSink for NoEvents {
    async fn publish(&self, _: &TenantId, _: &Event) {}
}

/// Counts posts instead of sending them, so fan-out cost is ours, not a network's.
#[derive(Default)]
struct CountingPush(AtomicUsize);
#[async_trait]
impl Push for CountingPush {
    async fn post(&self, _: &ConnectionId, payload: &[u8]) -> Result<(), PushError> {
        self.0.fetch_add(payload.len().min(1), Ordering::Relaxed);
        Ok(())
    }
    async fn close(&self, _: &ConnectionId) -> Result<(), PushError> {
        Ok(())
    }
}

fn caller(user: &str, roles: Vec<Role>) -> Caller {
    Caller {
        tenant: TenantId::parse("acme").expect("tenant"),
        user: UserId::parse(user).expect("user"),
        roles,
        display_name: DisplayName::parse(user).expect("name"),
        handle: Handle::parse(user).expect("handle"),
    }
}

fn message(i: usize) -> NewMessage {
    NewMessage {
        client_message_id: ClientMessageId::parse(&format!("bench-{i}")).expect("cmid"),
        body: MessageBody::parse(&format!("status update {i}: the deploy went out, metrics look fine")).expect("body"),
        mentions: vec![],
        attachments: vec![],
    }
}

struct Timing {
    median_us: f64,
    p99_us: f64,
}

async fn time<F, Fut>(iterations: usize, mut op: F) -> Timing
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut samples = Vec::with_capacity(iterations);
    for i in 0..iterations {
        let started = Instant::now();
        op(i).await;
        samples.push(started.elapsed().as_secs_f64() * 1e6);
    }
    samples.sort_by(f64::total_cmp);
    Timing { median_us: samples[samples.len() / 2], p99_us: samples[(samples.len() - 1) * 99 / 100] }
}

fn baseline(iterations: usize) -> Timing {
    let db = rusqlite::Connection::open_in_memory().expect("sqlite");
    db.execute(
        "CREATE TABLE items (pk TEXT NOT NULL, sk TEXT NOT NULL, attrs TEXT NOT NULL, PRIMARY KEY (pk, sk))",
        [],
    )
    .expect("table");
    let attrs = serde_json::json!({ "body": "status update: the deploy went out, metrics look fine" }).to_string();
    let mut samples = Vec::with_capacity(iterations);
    for i in 0..iterations {
        let started = Instant::now();
        db.execute_batch("BEGIN").expect("begin");
        db.execute(
            "INSERT INTO items (pk, sk, attrs) VALUES ('T#acme#C#x', ?1, ?2)",
            rusqlite::params![format!("M#{i:012}"), attrs],
        )
        .expect("insert");
        db.execute_batch("COMMIT").expect("commit");
        samples.push(started.elapsed().as_secs_f64() * 1e6);
    }
    samples.sort_by(f64::total_cmp);
    Timing { median_us: samples[samples.len() / 2], p99_us: samples[(samples.len() - 1) * 99 / 100] }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let iterations: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(2_000);
    let clock = Arc::new(SystemClock);
    let store = Arc::new(SqliteStore::in_memory(clock.clone()).expect("store"));
    let chat = Chat::new(store.clone(), clock.clone(), Arc::new(NoEvents));
    let push = Arc::new(CountingPush::default());
    let realtime =
        Realtime::new(store.clone(), push.clone(), clock.clone(), Arc::new(Metrics::new(clock.clone(), 60_000)));

    // A channel of MEMBERS members, ONLINE of them connected and subscribed; the reader also
    // belongs to CHANNELS_PER_USER channels, so listing conversations has work to do.
    let owner = caller("owner", vec![Role::TenantAdmin]);
    chat.ensure_profile(&owner).await.expect("profile");
    let channel = chat
        .create_channel(&owner, ChannelName::parse("general").expect("name"), Visibility::Public, None)
        .await
        .expect("channel")
        .id;
    let reader = caller("reader", vec![]);
    for n in 0..MEMBERS - 1 {
        let member = if n == 0 { reader.clone() } else { caller(&format!("member{n}"), vec![]) };
        chat.ensure_profile(&member).await.expect("profile");
        chat.invite(&owner, &channel, &member.user).await.expect("invite");
        if n < ONLINE {
            let connection = ConnectionId::parse(&format!("conn-{n}")).expect("connection");
            realtime.connect(&member, &connection).await.expect("connect");
            realtime.subscribe(&connection, None).await.expect("subscribe");
        }
    }
    for n in 1..CHANNELS_PER_USER {
        let other = chat
            .create_channel(&owner, ChannelName::parse(&format!("team-{n}")).expect("name"), Visibility::Public, None)
            .await
            .expect("channel")
            .id;
        chat.invite(&owner, &other, &reader.user).await.expect("invite");
    }

    let floor = baseline(iterations);
    let last = std::sync::Mutex::new(None);
    let send = time(iterations, |i| {
        let (chat, owner, channel, last) = (&chat, &owner, &channel, &last);
        async move {
            let sent = chat.send(owner, channel, message(i)).await.expect("send");
            assert!(sent.created, "every client message id is new");
            *last.lock().expect("lock") = Some(sent.message);
        }
    })
    .await;
    let newest = last.into_inner().expect("lock").expect("a message was sent");
    let event = Event {
        kind: EventType::NewMessage,
        conversation_id: channel.clone(),
        seq: newest.seq,
        data: serde_json::to_value(&newest).expect("message json"),
    };
    let fanout = time(iterations, |_| async {
        let report = realtime.fanout(&owner.tenant, &event).await.expect("fanout");
        assert_eq!(report.recipients, ONLINE);
    })
    .await;
    let list = time(iterations, |_| async {
        let items = chat.list_conversations(&reader).await.expect("list");
        assert_eq!(items.len(), CHANNELS_PER_USER);
    })
    .await;
    let history = time(iterations, |_| async {
        let page = chat
            .history(&reader, &channel, HistoryQuery { limit: Some(50), ..Default::default() })
            .await
            .expect("history");
        assert_eq!(page.items.len(), 50);
    })
    .await;
    let catch_up = time(iterations, |_| async {
        let changes = chat.changes(&reader, &channel, newest.seq - 50, Some(100)).await.expect("changes");
        assert!(!changes.items.is_empty());
    })
    .await;
    assert_eq!(push.0.load(Ordering::Relaxed), ONLINE * iterations, "every fan-out posted to every connection");

    println!("use case CPU on the embedded store, {iterations} runs each ({MEMBERS} members, {ONLINE} online, {CHANNELS_PER_USER} memberships)");
    println!("{:<34} {:>12} {:>12} {:>16}", "operation", "median µs", "p99 µs", "× floor (median)");
    let rows = [
        ("floor: raw SQLite insert+commit", &floor),
        ("send (persist + counters)", &send),
        ("fan-out to 10 connections", &fanout),
        ("list conversations (50)", &list),
        ("history page (50)", &history),
        ("catch-up (50 changes)", &catch_up),
    ];
    for (name, t) in rows {
        println!("{:<34} {:>12.1} {:>12.1} {:>16.1}", name, t.median_us, t.p99_us, t.median_us / floor.median_us);
    }
}
