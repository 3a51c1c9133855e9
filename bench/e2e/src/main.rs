//! End-to-end delivery benchmark. N WebSocket clients (default 1,000) across 2 tenants and 100
//! channels of 10-100 members (a fifth of the users with two connections); senders post over
//! HTTP at a fixed offered rate (open loop); every delivery is recorded. It reports, per target,
//! send → last-recipient latency (p50/p99/p99.9), delivered messages per second, lost and
//! duplicated deliveries, and the server's CPU time per 1,000 deliveries and RSS.
//!
//! Targets: `ours` (the local stack binary, every message persisted before its 201) and
//! `socketio` (the baseline in bench/socketio: Socket.IO 4 rooms, fan-out from memory).
//!
//!   cargo run --release -p bench-e2e -- --target both --clients 1000 --rate 200 --seconds 20
//!   cargo run -p bench-e2e -- --check      # 20 clients; fails unless 0 lost, 0 duplicated
//!
//! `--repeat N` runs the targets N times, interleaved (ours, socketio, ours, …), and closes with
//! each ratio's median and range: on a shared machine one pair says little. `--perf DIR` records
//! each server's send phase with `perf record -F 999 -g` into DIR/<target>-<run>.perf.data.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

// The tool shares the machine's cores with the server it measures: the lighter it runs, the
// more the figures say about the server (glibc malloc was a tenth of its CPU).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CLIENT_READ_BUFFER: usize = 8 * 1024;

#[derive(Clone, Debug)]
struct Options {
    targets: Vec<String>,
    clients: usize,
    channels: usize,
    rate: f64,
    seconds: f64,
    check: bool,
    server_bin: String,
    repeat: usize,
    perf_dir: Option<String>,
}

fn options() -> Result<Options> {
    let mut o = Options {
        targets: vec!["ours".into(), "socketio".into()],
        clients: 1000,
        channels: 100,
        rate: 200.0,
        seconds: 10.0,
        check: false,
        repeat: 1,
        perf_dir: None,
        server_bin: std::env::var("SERVER_BIN").unwrap_or_else(|_| "target/release/tenant-chat-local".into()),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = || args.get(i + 1).cloned().context("missing value");
        match args[i].as_str() {
            "--target" => {
                o.targets = match value()?.as_str() {
                    "both" => vec!["ours".into(), "socketio".into()],
                    t => vec![t.into()],
                };
                i += 1;
            }
            "--clients" => {
                o.clients = value()?.parse()?;
                i += 1;
            }
            "--channels" => {
                o.channels = value()?.parse()?;
                i += 1;
            }
            "--rate" => {
                o.rate = value()?.parse()?;
                i += 1;
            }
            "--seconds" => {
                o.seconds = value()?.parse()?;
                i += 1;
            }
            "--repeat" => {
                o.repeat = value()?.parse::<usize>()?.max(1);
                i += 1;
            }
            "--perf" => {
                o.perf_dir = Some(value()?);
                i += 1;
            }
            "--check" => {
                o.check = true;
                o.targets = vec!["ours".into()];
                o.clients = 20;
                o.channels = 6;
                o.rate = 40.0;
                o.seconds = 2.0;
            }
            other => bail!("unknown argument {other}"),
        }
        i += 1;
    }
    Ok(o)
}

/// Who is where: users per tenant, their connections, each channel's members.
struct Scenario {
    /// (tenant, user) per connection.
    connections: Vec<(usize, String)>,
    /// (tenant, name, members) per channel.
    channels: Vec<(usize, String, Vec<String>)>,
    users: Vec<(usize, String)>,
}

fn scenario(clients: usize, channels: usize) -> Scenario {
    let users_count = (clients * 5).div_ceil(6).max(2);
    let users: Vec<(usize, String)> = (0..users_count).map(|i| (i % 2, format!("u{i}"))).collect();
    let mut connections: Vec<(usize, String)> = users.clone();
    // A fifth of the users get a second tab, until the client count is reached.
    let mut i = 0;
    while connections.len() < clients {
        connections.push(users[i % users.len()].clone());
        i += 5;
    }
    connections.truncate(clients);
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let chans = (0..channels)
        .map(|c| {
            let tenant = c % 2;
            let pool: Vec<&String> = users.iter().filter(|(t, _)| *t == tenant).map(|(_, u)| u).collect();
            let size = (10 + (next() as usize % 91)).min(pool.len());
            let mut members: Vec<String> = Vec::new();
            while members.len() < size {
                let u = pool[next() as usize % pool.len()].clone();
                if !members.contains(&u) {
                    members.push(u);
                }
            }
            (tenant, format!("c{c}"), members)
        })
        .collect();
    Scenario { connections, channels: chans, users }
}

const TENANTS: [&str; 2] = ["bench-a", "bench-b"];

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// utime + stime of a process, in milliseconds.
fn cpu_ms(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, r)| r.split_whitespace().collect()).unwrap_or_default();
    let ticks: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks * 10.0
}

fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

async fn wait_http(url: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while reqwest::get(url).await.is_err() {
        if Instant::now() > deadline {
            bail!("{url} did not come up");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// A running target: where to connect, how to send, and the server's process.
struct Target {
    kind: String,
    base: String,
    child: Child,
    /// (tenant, user) → bearer token (ours).
    tokens: HashMap<(usize, String), String>,
    /// Channel name → conversation id (ours) or room (socketio).
    rooms: HashMap<String, String>,
    /// The server's data folder (ours), removed when the tool exits (`LEFT_BEHIND`).
    data: Option<std::path::PathBuf>,
}

/// Data folders of the runs, removed when the tool exits rather than after each run, so one
/// run's clean-up does not land in the next one's measurement: on a file system without a
/// journal, ext4 skips recently freed inodes one lookup at a time when it creates a file, and
/// the server creates the archive's files during the run (BENCHMARKS.md, "File creation").
static LEFT_BEHIND: Mutex<Vec<std::path::PathBuf>> = Mutex::new(Vec::new());

fn remove_data_folders() {
    if let Ok(mut left) = LEFT_BEHIND.lock() {
        for data in left.drain(..) {
            let _ = std::fs::remove_dir_all(data);
        }
    }
}

/// A run that fails half-way must not leave its server running (it would hold the tool's
/// stderr open and keep its cores busy).
impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(data) = self.data.take() {
            if let Ok(mut left) = LEFT_BEHIND.lock() {
                left.push(data);
            }
        }
    }
}

async fn start_ours(o: &Options, s: &Scenario) -> Result<Target> {
    let port = free_port()?;
    let data = std::env::temp_dir().join(format!("bench-e2e-{}-{port}", std::process::id()));
    let child = Command::new(&o.server_bin)
        .env("LOCAL_ADDR", format!("127.0.0.1:{port}"))
        .env("DATA_DIR", &data)
        .env("SEED_DEMO", "false")
        .env("RATE_LIMIT_SENDS", "off")
        .env("RATE_LIMIT_CONVERSATION_WRITES", "off")
        .env("RATE_LIMIT_SUBSCRIBES", "off")
        // Setup creates 100 channels and invites thousands of members from a few owners.
        .env("RATE_LIMIT_CHANNELS", "off")
        .env("RATE_LIMIT_MEMBERSHIP", "off")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", o.server_bin))?;
    let base = format!("http://127.0.0.1:{port}");
    // Owned by a `Target` from here, so a failed setup stops the server.
    let mut target = Target {
        kind: "ours".into(),
        base: base.clone(),
        child,
        tokens: HashMap::new(),
        rooms: HashMap::new(),
        data: Some(data),
    };
    wait_http(&format!("{base}/api/v1/health")).await?;
    let http = reqwest::Client::new();
    let tokens = &mut target.tokens;
    for (t, u) in &s.users {
        let r: Value = http
            .post(format!("{base}/api/v1/dev/token"))
            .json(&json!({ "tenantId": TENANTS[*t], "userId": u, "displayName": u }))
            .send()
            .await?
            .json()
            .await?;
        let token = r["token"].as_str().context("token")?.to_owned();
        // First sight creates the profile (invites need it).
        http.get(format!("{base}/api/v1/me")).bearer_auth(&token).send().await?;
        tokens.insert((*t, u.clone()), token);
    }
    for (t, name, members) in &s.channels {
        let owner = &members[0];
        let token = &target.tokens[&(*t, owner.clone())];
        let created: Value = http
            .post(format!("{base}/api/v1/chat/channels"))
            .bearer_auth(token)
            .json(&json!({ "name": name, "visibility": "public" }))
            .send()
            .await?
            .json()
            .await?;
        let id = created["id"].as_str().context("channel id")?.to_owned();
        let invites = members[1..].iter().map(|m| {
            http.post(format!("{base}/api/v1/chat/channels/{id}/members"))
                .bearer_auth(token)
                .json(&json!({ "userId": m }))
                .send()
        });
        for r in futures::future::join_all(invites).await {
            if !r?.status().is_success() {
                bail!("invite failed");
            }
        }
        target.rooms.insert(name.clone(), id);
    }
    Ok(target)
}

async fn start_socketio(s: &Scenario) -> Result<Target> {
    let port = free_port()?;
    let child = Command::new("node")
        .arg("bench/socketio/server.js")
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .spawn()
        .context("starting node bench/socketio/server.js (run npm ci in bench/socketio)")?;
    let base = format!("http://127.0.0.1:{port}");
    let rooms = s.channels.iter().map(|(t, name, _)| (name.clone(), format!("{}:{name}", TENANTS[*t]))).collect();
    let target =
        Target { kind: "socketio".into(), base: base.clone(), child, tokens: HashMap::new(), rooms, data: None };
    wait_http(&format!("{base}/health")).await?;
    Ok(target)
}

/// One list per client, so recording a delivery never waits on another client's thread.
type Deliveries = Arc<Mutex<Vec<(u64, Instant)>>>;

/// The parts of an event frame the tool reads, borrowed from the frame: the tool parses every
/// frame of every client, and building a whole `Value` tree each time made it the heaviest thing
/// on a machine it shares with the server under test.
#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    data: Option<FrameData<'a>>,
}

#[derive(Deserialize)]
struct FrameData<'a> {
    #[serde(borrow)]
    body: Option<Cow<'a, str>>,
}

/// A Socket.IO event packet: `["name", payload]`.
#[derive(Deserialize)]
struct SocketIoEvent<'a>(#[serde(borrow)] Cow<'a, str>, #[serde(default, borrow)] Option<Frame<'a>>);

enum Seen {
    Subscribed,
    Message(u64),
}

fn seen(frame: Frame<'_>) -> Option<Seen> {
    match frame.kind.as_deref()? {
        "subscribed" => Some(Seen::Subscribed),
        "chat:newMessage" => frame.data?.body?.strip_prefix('b').and_then(|n| n.parse().ok()).map(Seen::Message),
        _ => None,
    }
}

/// Connects one client, subscribes, and records every `chat:newMessage` it receives.
async fn client(
    target: &Target,
    s: &Scenario,
    index: usize,
    deliveries: Deliveries,
    ready: Arc<tokio::sync::Barrier>,
) -> Result<tokio::task::JoinHandle<()>> {
    let (tenant, user) = &s.connections[index];
    let ws_base = target.base.replacen("http", "ws", 1);
    let mine: Vec<String> = s
        .channels
        .iter()
        .filter(|(t, _, m)| t == tenant && m.contains(user))
        .map(|(_, n, _)| target.rooms[n].clone())
        .collect();
    let url = if target.kind == "ours" {
        format!("{ws_base}/ws?token={}", target.tokens[&(*tenant, user.clone())])
    } else {
        format!("{ws_base}/socket.io/?EIO=4&transport=websocket")
    };
    // tungstenite zero-fills its whole read buffer (128 KiB by default) before every read: with
    // a thousand sockets that memset was a third of this tool's CPU, taken from the server it
    // measures. Frames here are a few hundred bytes.
    let config = WebSocketConfig::default().read_buffer_size(CLIENT_READ_BUFFER);
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), false).await?;
    if target.kind == "ours" {
        socket.send(Message::Text(json!({ "action": "subscribe" }).to_string().into())).await?;
    }
    let is_socketio = target.kind == "socketio";
    Ok(tokio::spawn(async move {
        let mut subscribed = false;
        while let Some(Ok(frame)) = socket.next().await {
            let Message::Text(text) = frame else { continue };
            let event = if is_socketio {
                match text.as_str() {
                    t if t.starts_with('0') => {
                        let _ = socket.send(Message::Text("40".into())).await;
                        None
                    }
                    t if t.starts_with("40") => {
                        let _ = socket.send(Message::Text(format!("42{}", json!(["subscribe", mine])).into())).await;
                        None
                    }
                    "2" => {
                        let _ = socket.send(Message::Text("3".into())).await;
                        None
                    }
                    t if t.starts_with("42") => match serde_json::from_str::<SocketIoEvent>(&t[2..]) {
                        Ok(SocketIoEvent(name, _)) if name == "subscribed" => Some(Seen::Subscribed),
                        Ok(SocketIoEvent(_, Some(frame))) => seen(frame),
                        _ => None,
                    },
                    _ => None,
                }
            } else {
                serde_json::from_str::<Frame>(&text).ok().and_then(seen)
            };
            match event {
                Some(Seen::Subscribed) if !subscribed => {
                    subscribed = true;
                    ready.wait().await;
                }
                Some(Seen::Message(n)) => deliveries.lock().unwrap().push((n, Instant::now())),
                _ => {}
            }
        }
    }))
}

struct Report {
    sent: u64,
    accepted: u64,
    expected: u64,
    delivered: u64,
    lost: u64,
    duplicated: u64,
    per_second: f64,
    p50: f64,
    p99: f64,
    p999: f64,
    cpu_per_1000: f64,
    rss: f64,
}

/// `perf record` of the server's send phase (`--perf`): started once every client is subscribed,
/// stopped (SIGINT, so it writes its file) before the tail, so setup is not in the profile.
fn start_perf(o: &Options, pid: u32, name: &str) -> Result<Option<Child>> {
    let Some(dir) = &o.perf_dir else { return Ok(None) };
    std::fs::create_dir_all(dir)?;
    let out = std::path::Path::new(dir).join(format!("{name}.perf.data"));
    let child = Command::new("perf")
        .args(["record", "-F", "999", "-g", "-p", &pid.to_string(), "-o"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting perf record")?;
    Ok(Some(child))
}

fn stop_perf(perf: Option<Child>) {
    if let Some(mut child) = perf {
        let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
        let _ = child.wait();
    }
}

async fn run(o: &Options, s: &Scenario, target: Target, name: &str) -> Result<Report> {
    let deliveries: Vec<Deliveries> = (0..s.connections.len()).map(|_| Deliveries::default()).collect();
    let ready = Arc::new(tokio::sync::Barrier::new(s.connections.len() + 1));
    let mut tasks = Vec::new();
    for (i, list) in deliveries.iter().enumerate() {
        tasks.push(client(&target, s, i, list.clone(), ready.clone()).await?);
    }
    tokio::time::timeout(Duration::from_secs(120), ready.wait()).await.context("clients did not all subscribe")?;
    let pid = target.child.id();
    let perf = start_perf(o, pid, name)?;
    let cpu_before = cpu_ms(pid);
    let http = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
    let total = (o.rate * o.seconds) as u64;
    let started = Instant::now();
    let sent_at: Arc<Mutex<HashMap<u64, (Instant, usize)>>> = Arc::default();
    let accepted = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut sends = Vec::new();
    for n in 0..total {
        let due = started + Duration::from_secs_f64(n as f64 / o.rate);
        tokio::time::sleep_until(due.into()).await;
        let channel = (n as usize) % s.channels.len();
        let (tenant, name, members) = &s.channels[channel];
        let sender = &members[(n as usize / s.channels.len()) % members.len()];
        let room = target.rooms[name].clone();
        let request = if target.kind == "ours" {
            http.post(format!("{}/api/v1/chat/conversations/{room}/messages", target.base))
                .bearer_auth(&target.tokens[&(*tenant, sender.clone())])
                .json(&json!({ "clientMessageId": format!("n{n}"), "body": format!("b{n}") }))
        } else {
            http.post(format!("{}/send", target.base)).json(&json!({ "room": room, "body": format!("b{n}") }))
        };
        sent_at.lock().unwrap().insert(n, (Instant::now(), channel));
        let accepted = accepted.clone();
        sends.push(tokio::spawn(async move {
            if let Ok(r) = request.send().await {
                if r.status().is_success() {
                    accepted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }));
    }
    for s in sends {
        let _ = s.await;
    }
    stop_perf(perf);
    // Let the last deliveries arrive.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let elapsed = started.elapsed().as_secs_f64() - 1.5;
    let cpu = cpu_ms(pid) - cpu_before;
    let rss = rss_mb(pid);
    for t in tasks {
        t.abort();
    }
    drop(target);

    // Every message, every connection of every member of its channel.
    let connections_of: HashMap<(usize, &String), Vec<usize>> =
        s.connections.iter().enumerate().fold(HashMap::new(), |mut m, (i, (t, u))| {
            m.entry((*t, u)).or_default().push(i);
            m
        });
    let got: Vec<(usize, u64, Instant)> = deliveries
        .iter()
        .enumerate()
        .flat_map(|(conn, list)| list.lock().unwrap().iter().map(|(n, at)| (conn, *n, *at)).collect::<Vec<_>>())
        .collect();
    let mut seen: HashMap<(usize, u64), u32> = HashMap::new();
    let mut last: HashMap<u64, Instant> = HashMap::new();
    for (conn, n, at) in &got {
        *seen.entry((*conn, *n)).or_default() += 1;
        let l = last.entry(*n).or_insert(*at);
        if at > l {
            *l = *at;
        }
    }
    let sent_at = sent_at.lock().unwrap();
    let mut expected = 0u64;
    let mut lost = 0u64;
    let mut latencies = Vec::new();
    for (n, (at, channel)) in sent_at.iter() {
        let (t, _, members) = &s.channels[*channel];
        let targets: HashSet<usize> =
            members.iter().flat_map(|m| connections_of.get(&(*t, m)).cloned().unwrap_or_default()).collect();
        expected += targets.len() as u64;
        lost += targets.iter().filter(|c| !seen.contains_key(&(**c, *n))).count() as u64;
        if let Some(l) = last.get(n) {
            latencies.push(l.duration_since(*at).as_secs_f64() * 1000.0);
        }
    }
    let duplicated = seen.values().filter(|v| **v > 1).map(|v| u64::from(*v - 1)).sum();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| {
        if latencies.is_empty() {
            f64::NAN
        } else {
            latencies[((latencies.len() - 1) as f64 * p).round() as usize]
        }
    };
    let delivered = got.len() as u64;
    Ok(Report {
        sent: total,
        accepted: accepted.load(std::sync::atomic::Ordering::Relaxed),
        expected,
        delivered,
        lost,
        duplicated,
        per_second: delivered as f64 / elapsed,
        p50: pct(0.5),
        p99: pct(0.99),
        p999: pct(0.999),
        cpu_per_1000: if delivered > 0 { cpu / delivered as f64 * 1000.0 } else { f64::NAN },
        rss,
    })
}

#[tokio::main]
async fn main() -> Result<()> {
    let outcome = measure().await;
    remove_data_folders();
    outcome
}

async fn measure() -> Result<()> {
    let o = options()?;
    let s = scenario(o.clients, o.channels);
    println!(
        "{} clients ({} users, 2 tenants), {} channels of {}-{} members, {:.0} msgs/s offered for {:.0} s",
        s.connections.len(),
        s.users.len(),
        s.channels.len(),
        s.channels.iter().map(|c| c.2.len()).min().unwrap_or(0),
        s.channels.iter().map(|c| c.2.len()).max().unwrap_or(0),
        o.rate,
        o.seconds
    );
    println!(
        "{:<9} {:>6} {:>6} {:>9} {:>9} {:>5} {:>5} {:>10} {:>8} {:>8} {:>8} {:>12} {:>7}",
        "target",
        "sent",
        "201",
        "expected",
        "delivered",
        "lost",
        "dup",
        "deliv/s",
        "p50 ms",
        "p99 ms",
        "p99.9",
        "cpu ms/1k",
        "RSS MB"
    );
    let mut failures = 0;
    let mut results: Vec<(String, Report)> = Vec::new();
    // (delivered/s, p99, CPU per delivery) ratios of ours to the baseline, one per pair.
    let mut ratios: Vec<[f64; 3]> = Vec::new();
    for round in 1..=o.repeat {
        let mut pair: Vec<(String, Report)> = Vec::new();
        for kind in &o.targets {
            let target = if kind == "ours" { start_ours(&o, &s).await? } else { start_socketio(&s).await? };
            let r = run(&o, &s, target, &format!("{kind}-{round}")).await?;
            println!(
                "{:<9} {:>6} {:>6} {:>9} {:>9} {:>5} {:>5} {:>10.0} {:>8.1} {:>8.1} {:>8.1} {:>12.1} {:>7.1}",
                kind,
                r.sent,
                r.accepted,
                r.expected,
                r.delivered,
                r.lost,
                r.duplicated,
                r.per_second,
                r.p50,
                r.p99,
                r.p999,
                r.cpu_per_1000,
                r.rss
            );
            if r.lost > 0 || r.duplicated > 0 || r.accepted != r.sent || r.delivered != r.expected {
                failures += 1;
            }
            pair.push((kind.clone(), r));
        }
        if let [(_, ours), (_, base)] = pair.as_slice() {
            let ratio = [ours.per_second / base.per_second, ours.p99 / base.p99, ours.cpu_per_1000 / base.cpu_per_1000];
            println!(
                "ours / socketio: delivered/s {:.2}x, p99 {:.2}x, server CPU per delivery {:.2}x",
                ratio[0], ratio[1], ratio[2]
            );
            ratios.push(ratio);
        }
        results.extend(pair);
    }
    if ratios.len() > 1 {
        let summary = |i: usize| {
            let mut v: Vec<f64> = ratios.iter().map(|r| r[i]).collect();
            v.sort_by(|a, b| a.total_cmp(b));
            (v[v.len() / 2], v[0], v[v.len() - 1])
        };
        let ((d, d0, d1), (p, p0, p1), (c, c0, c1)) = (summary(0), summary(1), summary(2));
        println!(
            "{} pairs, median (range): delivered/s {d:.2}x ({d0:.2}-{d1:.2}), p99 {p:.2}x ({p0:.2}-{p1:.2}), \
             server CPU per delivery {c:.2}x ({c0:.2}-{c1:.2})",
            ratios.len()
        );
    }
    if o.check {
        // The closing line the test run reads.
        println!("{} passed, {} failed", results.len() - failures, failures);
        if failures > 0 {
            bail!("deliveries were lost, duplicated or unaccounted");
        }
    }
    Ok(())
}
