//! Crash safety: 20 clients send with client message ids, the server is killed with SIGKILL in
//! the middle, restarted on the same data; the clients retry what was not acknowledged. Every
//! message that got a 201 is there exactly once for every member, and every retried message
//! exists exactly once; the restart's reseed adds no channel.

use crate::common;

use std::collections::{HashMap, HashSet};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const CLIENTS: usize = 20;

struct Server {
    child: Child,
}

fn start(port: u16, data: &std::path::Path) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_tenant-chat-local"))
        .env("LOCAL_ADDR", format!("127.0.0.1:{port}"))
        .env("DATA_DIR", data)
        .env("SEED_DEMO", "true")
        .env("RATE_LIMIT_SENDS", "off")
        .env("RATE_LIMIT_CONVERSATION_WRITES", "off")
        .env("RUST_LOG", "warn")
        .env("CLIENT_DIST", "/nonexistent")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    Server { child }
}

async fn wait_up(http: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while http.get(format!("{base}/api/v1/health")).send().await.is_err() {
        assert!(Instant::now() < deadline, "server did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn token(http: &reqwest::Client, base: &str, user: &str) -> String {
    let body: Value = http
        .post(format!("{base}/api/v1/dev/token"))
        .json(&json!({ "tenantId": "acme", "userId": user, "displayName": user }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_mid_load_nothing_acknowledged_is_lost_nothing_doubles() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let data = std::env::temp_dir().join(format!("crash-{}-{port}", std::process::id()));
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let mut server = start(port, &data);
    wait_up(&http, &base).await;
    let users = ["alice", "bob", "carol"];
    let mut tokens = HashMap::new();
    for u in users {
        tokens.insert(u, token(&http, &base, u).await);
    }
    let general = common::conversation_named(&http, &base, &tokens["alice"], "general").await;
    let url = format!("{base}/api/v1/chat/conversations/{general}/messages");

    // Each client: (author, cmid) → acknowledged message id, or not acknowledged yet.
    let acked: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let unacked: Arc<Mutex<HashSet<(String, String)>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let (http, url, acked, unacked, stop) =
            (http.clone(), url.clone(), acked.clone(), unacked.clone(), stop.clone());
        let author = users[client % users.len()].to_owned();
        let token = tokens[author.as_str()].clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let cmid = format!("c{client}-{n}");
                n += 1;
                let sent = http
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({ "clientMessageId": cmid, "body": format!("{cmid} body") }))
                    .send()
                    .await;
                match sent {
                    Ok(resp) if resp.status() == 201 || resp.status() == 200 => {
                        let message: Value = resp.json().await.unwrap();
                        acked.lock().unwrap().insert(cmid, message["id"].as_str().unwrap().to_owned());
                    }
                    _ => {
                        unacked.lock().unwrap().insert((author.clone(), cmid));
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
        }));
    }
    // Bounded in `make test`; CRASH_SOAK_SECS=600 runs the load for ten minutes before the kill.
    let load = std::env::var("CRASH_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map_or(Duration::from_millis(1500), Duration::from_secs);
    tokio::time::sleep(load).await;
    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for t in tasks {
        t.await.unwrap();
    }
    let acknowledged_before = acked.lock().unwrap().len();
    assert!(acknowledged_before > 20, "the load ran before the crash ({acknowledged_before})");
    let retried: Vec<(String, String)> = unacked.lock().unwrap().iter().cloned().collect();
    assert!(!retried.is_empty(), "some sends were cut off by the crash");

    // Restart on the same data; the clients retry what was not acknowledged, same client ids.
    let mut server = start(port, &data);
    wait_up(&http, &base).await;
    for (author, cmid) in &retried {
        let resp = http
            .post(&url)
            .bearer_auth(&tokens[author.as_str()])
            .json(&json!({ "clientMessageId": cmid, "body": format!("{cmid} body") }))
            .send()
            .await
            .unwrap();
        assert!(resp.status() == 201 || resp.status() == 200, "{}", resp.status());
        let message: Value = resp.json().await.unwrap();
        let previous = acked.lock().unwrap().insert(cmid.clone(), message["id"].as_str().unwrap().to_owned());
        if let Some(previous) = previous {
            assert_eq!(previous, message["id"].as_str().unwrap(), "a retry returns the first message");
        }
    }

    // Every member sees every acknowledged message exactly once.
    let acked = acked.lock().unwrap().clone();
    for u in users {
        let mut seen: Vec<Value> = Vec::new();
        let mut before: Option<String> = None;
        loop {
            let page_url = match &before {
                Some(b) => format!("{url}?limit=100&before={b}"),
                None => format!("{url}?limit=100"),
            };
            let page: Value = http.get(&page_url).bearer_auth(&tokens[u]).send().await.unwrap().json().await.unwrap();
            seen.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["nextCursor"].as_str() {
                Some(c) => before = Some(c.to_owned()),
                None => break,
            }
        }
        let mut by_cmid: HashMap<(String, String), usize> = HashMap::new();
        for m in &seen {
            *by_cmid
                .entry((m["authorId"].as_str().unwrap().to_owned(), m["clientMessageId"].as_str().unwrap().to_owned()))
                .or_default() += 1;
        }
        assert!(by_cmid.values().all(|n| *n == 1), "no client message id appears twice for {u}");
        let ids: HashSet<&str> = seen.iter().map(|m| m["id"].as_str().unwrap()).collect();
        for (cmid, id) in &acked {
            assert!(ids.contains(id.as_str()), "{u} misses acknowledged {cmid}");
        }
    }

    // The restart seeded again: the demo channels are still there once each (private names are
    // not unique, so the seed must recognise its own).
    let list: Value = http
        .get(format!("{base}/api/v1/chat/conversations"))
        .bearer_auth(&tokens["alice"])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut names: Vec<&str> = list["items"].as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["general", "leadership", "random"], "a reseed adds no channel");
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&data);
}
