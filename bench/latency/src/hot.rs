//! Hot conversations: sends per second one conversation sustains with N writers, each its own OS
//! process with its own `Chat` and DynamoDB client (so nothing in one process orders them: only
//! the conditional sequence write does), on moto, with and without the modelled round trip; and
//! the refused commits (retries) each send costs. After every run the catch-up log is read back:
//! one change per seq, no seq missing.

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bench_latency::model::{ModelledStore, StoreCalls};
use serde_json::{json, Value};
use shared::adapters::aws::dynamo::DynamoStore;
use shared::adapters::aws::sdk::sdk_config;
use shared::domain::ids::ConversationId;
use shared::domain::values::ChannelName;
use shared::domain::{Change, Visibility};
use shared::ports::clock::{Clock, SystemClock};
use shared::{Chat, Role};
use tokio::process::{Child, Command};

use crate::setup::{caller, message, NoEvents};
use crate::Args;

/// The moto server: `MOTO_ENDPOINT`, or one started here under `MOTO_PYTHON` (killed on drop).
async fn moto() -> anyhow::Result<(String, Option<Child>)> {
    if let Ok(endpoint) = std::env::var("MOTO_ENDPOINT") {
        return Ok((endpoint, None));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let python = std::env::var("MOTO_PYTHON").unwrap_or_else(|_| "python3".into());
    // moto applies concurrent requests without isolation; the wrapper serialises them.
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/moto_serial.py");
    let child = Command::new(&python)
        .args([script, "-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting moto with {python} (MOTO_PYTHON)"))?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        if Instant::now() > deadline {
            bail!("moto did not start on port {port}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok((format!("http://127.0.0.1:{port}"), Some(child)))
}

async fn dynamo(endpoint: &str, table: &str) -> anyhow::Result<DynamoStore> {
    let sdk = sdk_config(Some(endpoint)).await?;
    Ok(DynamoStore::from_config(&sdk, table.to_owned()))
}

pub async fn run(args: &Args) -> anyhow::Result<()> {
    let writers = args.list("--writers", &[1, 4, 16])?;
    let round_trips = args.list("--round-trips-ms", &[0, 5])?;
    let seconds = args.number("--seconds", 10)?;
    let embedded = match args.value("--store").unwrap_or("moto") {
        "moto" => false,
        "embedded" => true,
        other => bail!("--store {other}: moto or embedded"),
    };
    let (endpoint, _moto) = if embedded { (String::new(), None) } else { moto().await? };
    if embedded {
        println!("one conversation, N writers (each its own Chat, so nothing but the store orders them; tasks of one process) sending back to back for {seconds} s each, embedded SQLite store");
    } else {
        println!("one conversation, N writer processes sending back to back for {seconds} s each, DynamoDB on moto (one request at a time)");
    }
    println!();
    println!("| round trip added | writers | sends/s | retries per send (mean) | most retries for one send | failed sends | send p50 | send max |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &round_trip in &round_trips {
        for &n in &writers {
            let row = if embedded {
                one_run_embedded(n, round_trip as u64, seconds).await?
            } else {
                one_run(&endpoint, n, round_trip as u64, seconds).await?
            };
            println!(
                "| {round_trip} ms | {n} | {:.1} | {:.2} | {} | {} | {} ms | {} ms |",
                row.sent as f64 / seconds as f64,
                row.refused as f64 / row.sent.max(1) as f64,
                row.most_refused,
                row.failed,
                row.p50_ms,
                row.max_ms
            );
            if let Some(e) = row.first_error {
                println!("|  | first failure: {e} |  |  |  |  |  |  |");
            }
        }
    }
    Ok(())
}

#[derive(Default)]
struct Outcome {
    sent: u64,
    failed: u64,
    refused: u64,
    most_refused: u64,
    p50_ms: u64,
    max_ms: u64,
    first_error: Option<String>,
}

async fn one_run(endpoint: &str, writers: usize, round_trip_ms: u64, seconds: u64) -> anyhow::Result<Outcome> {
    // A table per run: moto's Query reads the whole table, so a fuller one would be slower.
    let table = format!("hot{}", ulid::Ulid::new().to_string().to_lowercase());
    let store = dynamo(endpoint, &table).await?;
    store.create_table().await?;
    let (chat, channel) = hot_channel(Arc::new(store), writers).await?;
    let clock = SystemClock;
    // Every process starts sending at the same instant, after they all had time to start.
    let start_at = clock.now_ms() + 3_000;
    let exe = std::env::current_exe()?;
    let mut children = Vec::new();
    for w in 0..writers {
        let child = Command::new(&exe)
            .args(["hot-writer", "--endpoint", endpoint, "--table", &table, "--channel", channel.as_str()])
            .args(["--user", &format!("writer{w}"), "--start-at-ms", &start_at.to_string()])
            .args(["--seconds", &seconds.to_string(), "--round-trip-ms", &round_trip_ms.to_string()])
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        children.push(child.wait_with_output());
    }
    let mut reports = Vec::new();
    for output in futures::future::join_all(children).await {
        let output = output?;
        if !output.status.success() {
            bail!("a writer process failed: {}", output.status);
        }
        reports.push(serde_json::from_slice(&output.stdout).context("writer report")?);
    }
    let outcome = outcome(&reports);
    check_log(&chat, &channel, outcome.sent).await?;
    Ok(outcome)
}

/// The writers' reports added up.
fn outcome(reports: &[Value]) -> Outcome {
    let mut outcome = Outcome::default();
    let mut latencies: Vec<u64> = Vec::new();
    for report in reports {
        let n = |k: &str| report[k].as_u64().unwrap_or(0);
        outcome.sent += n("sent");
        outcome.failed += n("failed");
        outcome.refused += n("refused");
        outcome.most_refused = outcome.most_refused.max(n("mostRefused"));
        latencies.extend(report["latenciesMs"].as_array().into_iter().flatten().filter_map(Value::as_u64));
        if outcome.first_error.is_none() {
            outcome.first_error = report["firstError"].as_str().map(str::to_owned);
        }
    }
    latencies.sort_unstable();
    outcome.p50_ms = latencies.get(latencies.len() / 2).copied().unwrap_or(0);
    outcome.max_ms = latencies.last().copied().unwrap_or(0);
    outcome
}

/// The same conversation on the embedded store, each writer a `Chat` of its own over one SQLite
/// store (SQLite's single writer stands in for DynamoDB's item-level serialisation): the design's
/// own limit under the latency model, without moto's one-request-at-a-time server in front.
async fn one_run_embedded(writers: usize, round_trip_ms: u64, seconds: u64) -> anyhow::Result<Outcome> {
    let clock = Arc::new(SystemClock);
    let sqlite: Arc<dyn shared::ports::store::Store> =
        Arc::new(shared::adapters::embedded::sqlite::SqliteStore::in_memory(clock.clone())?);
    let (chat, channel) = hot_channel(sqlite.clone(), writers).await?;
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for w in 0..writers {
        let store = Arc::new(ModelledStore::new(sqlite.clone(), Duration::from_millis(round_trip_ms)));
        let counts = store.counts();
        let chat = Chat::new(store, clock.clone(), Arc::new(NoEvents));
        let channel = channel.clone();
        tasks.push(tokio::spawn(async move { send_loop(&chat, &counts, &format!("writer{w}"), &channel, end).await }));
    }
    let mut reports = Vec::new();
    for task in futures::future::join_all(tasks).await {
        reports.push(task??);
    }
    let outcome = outcome(&reports);
    check_log(&chat, &channel, outcome.sent).await?;
    Ok(outcome)
}

/// A channel whose members are the owner and `writers` writers.
async fn hot_channel(
    store: Arc<dyn shared::ports::store::Store>,
    writers: usize,
) -> anyhow::Result<(Chat, ConversationId)> {
    let chat = Chat::new(store, Arc::new(SystemClock), Arc::new(NoEvents));
    let owner = caller("owner", vec![Role::TenantAdmin])?;
    chat.ensure_profile(&owner).await?;
    let channel = chat.create_channel(&owner, ChannelName::parse("hot")?, Visibility::Public, None).await?.id;
    for w in 0..writers {
        let writer = caller(&format!("writer{w}"), vec![])?;
        chat.ensure_profile(&writer).await?;
        chat.invite(&owner, &channel, &writer.user).await?;
    }
    Ok((chat, channel))
}

/// Catch-up returns every change in seq order with no seq missing, and one new message per send
/// that succeeded.
async fn check_log(chat: &Chat, channel: &ConversationId, sent: u64) -> anyhow::Result<()> {
    let owner = caller("owner", vec![Role::TenantAdmin])?;
    let (mut after, mut previous, mut messages) = (0, None::<u64>, 0u64);
    loop {
        let page = chat.changes(&owner, channel, after, Some(shared::app::MAX_CHANGES_PAGE)).await?;
        for event in &page.items {
            if let Some(p) = previous {
                if event.seq != p + 1 {
                    bail!("catch-up jumped from seq {p} to {}", event.seq);
                }
            }
            previous = Some(event.seq);
            if matches!(event.change, Change::NewMessage(_)) {
                messages += 1;
            }
        }
        if !page.has_more || page.items.is_empty() {
            break;
        }
        after = page.last_seq;
    }
    if messages != sent {
        bail!("{sent} sends answered, {messages} messages in the catch-up log");
    }
    Ok(())
}

/// One writer process: sends back to back from `--start-at-ms` for `--seconds`, then prints its
/// report as one JSON line.
pub async fn writer(args: &Args) -> anyhow::Result<()> {
    let value = |name: &str| args.value(name).with_context(|| format!("{name} missing"));
    let store = dynamo(value("--endpoint")?, value("--table")?).await?;
    let store =
        Arc::new(ModelledStore::new(Arc::new(store), Duration::from_millis(args.number("--round-trip-ms", 0)?)));
    let counts = store.counts();
    let clock = Arc::new(SystemClock);
    let chat = Chat::new(store, clock.clone(), Arc::new(NoEvents));
    let user = value("--user")?;
    let channel = ConversationId::parse(value("--channel")?)?;
    let start_at = args.number("--start-at-ms", 0)? as i64;
    let seconds = args.number("--seconds", 10)?;
    tokio::time::sleep(Duration::from_millis((start_at - clock.now_ms()).max(0) as u64)).await;
    let end = Instant::now() + Duration::from_secs(seconds);
    println!("{}", send_loop(&chat, &counts, user, &channel, end).await?);
    Ok(())
}

/// Sends back to back until `end`; the report as JSON.
async fn send_loop(
    chat: &Chat,
    counts: &StoreCalls,
    user: &str,
    channel: &ConversationId,
    end: Instant,
) -> anyhow::Result<Value> {
    let me = caller(user, vec![])?;
    let (mut sent, mut failed, mut most_refused) = (0u64, 0u64, 0u64);
    let mut latencies = Vec::new();
    let mut first_error: Option<String> = None;
    let mut i = 0;
    while Instant::now() < end {
        i += 1;
        let refused_before = counts.transacts_refused();
        let started = Instant::now();
        match chat.send(&me, channel, message(&format!("{user}-{i}"))?).await {
            Ok(_) => {
                sent += 1;
                latencies.push(started.elapsed().as_millis() as u64);
            }
            Err(e) => {
                failed += 1;
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
        most_refused = most_refused.max(counts.transacts_refused() - refused_before);
    }
    Ok(json!({
        "sent": sent,
        "failed": failed,
        "refused": counts.transacts_refused(),
        "mostRefused": most_refused,
        "latenciesMs": latencies,
        "firstError": first_error,
    }))
}
