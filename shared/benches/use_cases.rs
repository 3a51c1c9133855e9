//! Handler CPU of the hot use cases on the embedded store (divan; not a test): send, fan-out
//! planning and posting, list conversations, a history page and catch-up. The first bench is the
//! baseline every figure is read against, measured in the same run: one row inserted and committed
//! by raw SQLite on an in-memory database, the floor under any write.
//! Run: `make bench-cpu` (`cargo bench -p shared --features embedded --bench use_cases`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use async_trait::async_trait;
use divan::Bencher;
use shared::adapters::embedded::sqlite::SqliteStore;
use shared::app::{Chat, HistoryQuery, NewMessage};
use shared::domain::ids::{ClientMessageId, ConnectionId, ConversationId, TenantId, UserId};
use shared::domain::values::{ChannelName, DisplayName, Handle, MessageBody};
use shared::domain::{Change, Event, Message, MessageChange, Visibility};
use shared::ops::Metrics;
use shared::ports::clock::SystemClock;
use shared::ports::events::EventSink;
use shared::ports::push::{Push, PushError};
use shared::realtime::Realtime;
use shared::{Caller, Role};
use tokio::runtime::Runtime;

const MEMBERS: usize = 100;
const CHANNELS_PER_USER: usize = 50;
const ONLINE: usize = 10;
/// Messages in the channel before any bench runs, so history and catch-up read full pages.
const PRELOADED: usize = 200;

fn main() {
    divan::main();
}

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
        suggested_handle: Handle::parse(user).expect("handle"),
    }
}

fn message(i: usize) -> NewMessage {
    NewMessage {
        client_message_id: ClientMessageId::parse(&format!("bench-{i}")).expect("cmid"),
        body: MessageBody::parse(&format!("status update {i}: the deploy went out, metrics look fine")).expect("body"),
        mentions: vec![],
        attachments: vec![],
        reply_to: None,
    }
}

/// One tenant set up once for every bench: a channel of MEMBERS members, ONLINE of them
/// connected and subscribed; the reader also belongs to CHANNELS_PER_USER channels, so listing
/// conversations has work to do.
struct Fixture {
    runtime: Runtime,
    chat: Chat,
    realtime: Realtime,
    push: Arc<CountingPush>,
    owner: Caller,
    reader: Caller,
    channel: ConversationId,
    newest: Message,
    next_message: AtomicUsize,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let clock = Arc::new(SystemClock);
    let store = Arc::new(SqliteStore::in_memory(clock.clone()).expect("store"));
    let chat = Chat::new(store.clone(), clock.clone(), Arc::new(NoEvents));
    let push = Arc::new(CountingPush::default());
    let realtime =
        Realtime::new(store.clone(), push.clone(), clock.clone(), Arc::new(Metrics::new(clock.clone(), 60_000)));
    let owner = caller("owner", vec![Role::TenantAdmin]);
    let reader = caller("reader", vec![]);
    let (channel, newest) = runtime.block_on(async {
        chat.ensure_profile(&owner).await.expect("profile");
        let channel = chat
            .create_channel(&owner, ChannelName::parse("general").expect("name"), Visibility::Public, None)
            .await
            .expect("channel")
            .id;
        for n in 0..MEMBERS - 1 {
            let member = if n == 0 { reader.clone() } else { caller(&format!("member{n}"), vec![]) };
            chat.ensure_profile(&member).await.expect("profile");
            chat.invite(&owner, &channel, &member.user).await.expect("invite");
            if n < ONLINE {
                let connection = ConnectionId::parse(&format!("conn-{n}")).expect("connection");
                realtime.connect(&member, &connection, None).await.expect("connect");
                realtime.subscribe(&connection, None).await.expect("subscribe");
            }
        }
        for n in 1..CHANNELS_PER_USER {
            let other = chat
                .create_channel(
                    &owner,
                    ChannelName::parse(&format!("team-{n}")).expect("name"),
                    Visibility::Public,
                    None,
                )
                .await
                .expect("channel")
                .id;
            chat.invite(&owner, &other, &reader.user).await.expect("invite");
        }
        let mut newest = None;
        for i in 0..PRELOADED {
            newest = Some(chat.send(&owner, &channel, message(i)).await.expect("send").message);
        }
        (channel, newest.expect("preloaded"))
    });
    Fixture { runtime, chat, realtime, push, owner, reader, channel, newest, next_message: AtomicUsize::new(PRELOADED) }
});

/// The baseline: one row inserted and committed by raw SQLite.
#[divan::bench]
fn floor_raw_sqlite_insert_commit(bencher: Bencher) {
    let db = rusqlite::Connection::open_in_memory().expect("sqlite");
    db.execute(
        "CREATE TABLE items (pk TEXT NOT NULL, sk TEXT NOT NULL, attrs TEXT NOT NULL, PRIMARY KEY (pk, sk))",
        [],
    )
    .expect("table");
    let attrs = serde_json::json!({ "body": "status update: the deploy went out, metrics look fine" }).to_string();
    let next = Mutex::new(0_u64);
    bencher.bench_local(|| {
        let mut i = next.lock().expect("lock");
        *i += 1;
        db.execute_batch("BEGIN").expect("begin");
        db.execute(
            "INSERT INTO items (pk, sk, attrs) VALUES ('T#acme#C#x', ?1, ?2)",
            rusqlite::params![format!("M#{i:012}"), attrs],
        )
        .expect("insert");
        db.execute_batch("COMMIT").expect("commit");
    });
}

/// Idempotency guard, seq, counters, mention bookkeeping and the change row.
#[divan::bench]
fn send(bencher: Bencher) {
    let f = &*FIXTURE;
    bencher.bench_local(|| {
        let i = f.next_message.fetch_add(1, Ordering::Relaxed);
        let sent = f.runtime.block_on(f.chat.send(&f.owner, &f.channel, message(i))).expect("send");
        assert!(sent.created, "every client message id is new");
    });
}

/// Planning the recipients and posting one serialised event to each of ONLINE connections.
#[divan::bench]
fn fanout_to_10_connections(bencher: Bencher) {
    let f = &*FIXTURE;
    let event = Event::new(f.channel.clone(), f.newest.seq, Change::message(MessageChange::Created, f.newest.clone()));
    let before = f.push.0.load(Ordering::Relaxed);
    let runs = AtomicUsize::new(0);
    bencher.bench_local(|| {
        let report = f.runtime.block_on(f.realtime.fanout(&f.owner.tenant, &event)).expect("fanout");
        assert_eq!(report.recipients, ONLINE);
        runs.fetch_add(1, Ordering::Relaxed);
    });
    let posted = f.push.0.load(Ordering::Relaxed) - before;
    assert_eq!(posted, ONLINE * runs.load(Ordering::Relaxed), "every fan-out posted to every connection");
}

#[divan::bench]
fn list_conversations_50(bencher: Bencher) {
    let f = &*FIXTURE;
    bencher.bench_local(|| {
        let items = f.runtime.block_on(f.chat.list_conversations(&f.reader)).expect("list");
        assert_eq!(items.len(), CHANNELS_PER_USER);
    });
}

#[divan::bench]
fn history_page_50(bencher: Bencher) {
    let f = &*FIXTURE;
    bencher.bench_local(|| {
        let query = HistoryQuery { limit: Some(50), ..Default::default() };
        let page = f.runtime.block_on(f.chat.history(&f.reader, &f.channel, query)).expect("history");
        assert_eq!(page.items.len(), 50);
    });
}

#[divan::bench]
fn catch_up_50_changes(bencher: Bencher) {
    let f = &*FIXTURE;
    bencher.bench_local(|| {
        let changes =
            f.runtime.block_on(f.chat.changes(&f.reader, &f.channel, f.newest.seq - 50, Some(50))).expect("changes");
        assert_eq!(changes.items.len(), 50);
    });
}
