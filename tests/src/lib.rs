//! Test harness: `spawn_app()` starts the whole local stack on port 0 with a fresh store and
//! returns a typed client; `moto()` starts (once per test binary) a moto server for the AWS
//! adapters; `ws_connect()` opens a real WebSocket.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use local::{Stack, StackOptions};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub struct TestApp {
    pub stack: Stack,
    pub http: reqwest::Client,
}

#[derive(Clone, Debug)]
pub struct TestUser {
    pub tenant: String,
    pub id: String,
    pub token: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(StackOptions::ephemeral()).await
}

/// A stack whose clock the test moves (TTLs, retention, the change log).
pub async fn spawn_app_at(clock: &shared::ports::clock::ManualClock) -> TestApp {
    let mut opts = StackOptions::ephemeral();
    opts.clock = Some(std::sync::Arc::new(clock.clone()));
    spawn_app_with(opts).await
}

pub async fn spawn_app_with(opts: StackOptions) -> TestApp {
    let stack = Stack::start(opts).await.expect("local stack starts");
    TestApp { stack, http: reqwest::Client::new() }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.stack.http_url(), path)
    }

    /// A signed-in user whose profile exists (as after their first request).
    pub async fn user(&self, tenant: &str, id: &str) -> TestUser {
        self.user_with_roles(tenant, id, &[]).await
    }

    pub async fn user_with_roles(&self, tenant: &str, id: &str, roles: &[&str]) -> TestUser {
        let name = format!("{} {}", id[..1].to_uppercase() + &id[1..], "Tester");
        let token = self.stack.token(tenant, id, &name, roles).expect("token");
        let user = TestUser { tenant: tenant.into(), id: id.into(), token };
        let (status, _) = self.call(Method::GET, "/api/v1/me", Some(&user), None).await;
        assert_eq!(status, StatusCode::OK);
        user
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        user: Option<&TestUser>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call_token(method, path, user.map(|u| u.token.as_str()), body).await
    }

    pub async fn call_token(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let text = resp.text().await.expect("body read");
        let value =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        (status, value)
    }

    pub async fn get(&self, user: &TestUser, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(user), None).await
    }

    pub async fn post(&self, user: &TestUser, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(user), Some(body)).await
    }

    pub async fn create_channel(&self, owner: &TestUser, name: &str, visibility: &str) -> String {
        let (status, body) =
            self.post(owner, "/api/v1/chat/channels", json!({ "name": name, "visibility": visibility })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().expect("channel id").to_owned()
    }

    pub async fn invite(&self, admin: &TestUser, channel: &str, user: &TestUser) {
        let (status, body) =
            self.post(admin, &format!("/api/v1/chat/channels/{channel}/members"), json!({ "userId": user.id })).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }

    pub async fn send(&self, user: &TestUser, conversation: &str, client_id: &str, body: &str) -> Value {
        let (status, message) = self
            .post(
                user,
                &format!("/api/v1/chat/conversations/{conversation}/messages"),
                json!({ "clientMessageId": client_id, "body": body }),
            )
            .await;
        assert!(status == StatusCode::CREATED || status == StatusCode::OK, "{status} {message}");
        message
    }

    pub async fn open_dm(&self, user: &TestUser, other: &TestUser) -> String {
        let (status, body) = self.post(user, "/api/v1/chat/dms", json!({ "userId": other.id })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["id"].as_str().expect("dm id").to_owned()
    }
}

/// Asserts the stable error shape and returns its code.
pub fn error_code(body: &Value) -> String {
    let code = body["error"]["code"].as_str().unwrap_or_else(|| panic!("not an error body: {body}"));
    assert!(body["error"]["message"].is_string(), "error without message: {body}");
    code.to_owned()
}

// ----- WebSocket -----------------------------------------------------------------------------

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub async fn ws_connect(app: &TestApp, user: &TestUser) -> Socket {
    let url = format!("{}?token={}", app.stack.ws_url(), user.token);
    let (socket, _) = tokio_tungstenite::connect_async(url).await.expect("websocket connects");
    socket
}

pub async fn ws_send(socket: &mut Socket, frame: Value) {
    socket.send(Message::Text(frame.to_string().into())).await.expect("frame sent");
}

/// The next JSON frame, or `None` if nothing arrives within `wait`.
pub async fn ws_next(socket: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        match tokio::time::timeout(wait, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return Some(serde_json::from_str(&text).expect("frame is JSON")),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(Some(Ok(_))) | Ok(Some(Err(_))) | Ok(None) | Err(_) => return None,
        }
    }
}

/// Subscribes (to all the user's conversations when `ids` is `None`) and returns the ack.
pub async fn ws_subscribe(socket: &mut Socket, ids: Option<Vec<String>>) -> Value {
    let frame = match ids {
        Some(ids) => json!({ "action": "subscribe", "conversationIds": ids }),
        None => json!({ "action": "subscribe" }),
    };
    ws_send(socket, frame).await;
    let ack = ws_next(socket, Duration::from_secs(5)).await.expect("subscribe answered");
    ack
}

/// Every frame that arrives until the socket has been quiet for `quiet`.
pub async fn ws_drain(socket: &mut Socket, quiet: Duration) -> Vec<Value> {
    let mut frames = Vec::new();
    while let Some(frame) = ws_next(socket, quiet).await {
        frames.push(frame);
    }
    frames
}

// ----- moto ---------------------------------------------------------------------------------

/// The endpoint of a moto server shared by this test binary: `MOTO_ENDPOINT` if set, otherwise
/// one started here (`scripts/moto_serial.py` under `MOTO_PYTHON`, default `python3`) on a free loopback
/// port. It dies with the test process (PR_SET_PDEATHSIG on a thread that never exits).
pub fn moto() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        if let Ok(endpoint) = std::env::var("MOTO_ENDPOINT") {
            return endpoint;
        }
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        // moto applies concurrent requests without isolation; the wrapper serialises them.
        let program = std::env::var("MOTO_PYTHON").unwrap_or_else(|_| "python3".into());
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/moto_serial.py");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut command = Command::new(&program);
            command
                .args([script, "-H", "127.0.0.1", "-p", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            // SAFETY: prctl is async-signal-safe; it only asks the kernel to kill the child when
            // this (never-exiting) thread's process dies.
            unsafe {
                use std::os::unix::process::CommandExt;
                command.pre_exec(|| {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    Ok(())
                });
            }
            let child = command.spawn();
            let started = child.is_ok();
            let _ = tx.send(
                child.map(|_| ()).map_err(|e| format!("cannot start {program}: {e} (make test installs moto[server])")),
            );
            if started {
                loop {
                    std::thread::park();
                }
            }
        });
        rx.recv().expect("moto thread answers").unwrap_or_else(|e| panic!("{e}"));
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto server did not start on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        format!("http://127.0.0.1:{port}")
    })
}

/// A DynamoDB store on moto with a table of its own (moto's Query reads the whole table: small
/// tables keep tests fast).
pub async fn moto_store() -> shared::adapters::aws::dynamo::DynamoStore {
    moto_store_named().await.0
}

/// A moto table and its name (for reading its stream).
pub async fn moto_store_named() -> (shared::adapters::aws::dynamo::DynamoStore, String) {
    let endpoint = moto();
    let sdk = shared::adapters::aws::sdk::sdk_config(Some(endpoint)).await.expect("sdk config");
    let table = format!("t{}", ulid::Ulid::new().to_string().to_lowercase());
    let store = shared::adapters::aws::dynamo::DynamoStore::from_config(&sdk, table.clone());
    store.create_table().await.expect("table created on moto");
    (store, table)
}

/// Every record in the table's stream so far, as Lambda would receive them: DescribeTable for
/// the stream ARN, then DescribeStream, GetShardIterator (TRIM_HORIZON) and GetRecords on each
/// shard, spoken as raw JSON to moto (no Streams SDK crate in the build).
pub async fn moto_stream_event(store: &shared::adapters::aws::dynamo::DynamoStore, table: &str) -> serde_json::Value {
    let described = store.client().describe_table().table_name(table).send().await.expect("describe table");
    let arn = described.table().and_then(|t| t.latest_stream_arn()).expect("table has a stream").to_owned();
    let http = reqwest::Client::new();
    let call = |target: &'static str, body: serde_json::Value| {
        let http = http.clone();
        async move {
            let resp = http
                .post(moto())
                .header("x-amz-target", format!("DynamoDBStreams_20120810.{target}"))
                .header("content-type", "application/x-amz-json-1.0")
                .header("authorization", "AWS4-HMAC-SHA256 Credential=test/20261126/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x")
                .body(body.to_string())
                .send()
                .await
                .expect("streams call");
            let text = resp.text().await.expect("streams answer");
            serde_json::from_str::<serde_json::Value>(&text).unwrap_or_else(|_| panic!("streams answered {text}"))
        }
    };
    let stream = call("DescribeStream", json!({ "StreamArn": arn })).await;
    let mut records = Vec::new();
    for shard in stream["StreamDescription"]["Shards"].as_array().cloned().unwrap_or_default() {
        let iterator = call(
            "GetShardIterator",
            json!({ "StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON" }),
        )
        .await;
        let got = call("GetRecords", json!({ "ShardIterator": iterator["ShardIterator"], "Limit": 1000 })).await;
        for mut record in got["Records"].as_array().cloned().unwrap_or_default() {
            record["eventSourceARN"] = json!(arn);
            records.push(record);
        }
    }
    json!({ "Records": records })
}

// ----- domain-level helpers ----------------------------------------------------------------

/// Where events go when a test drives the use cases directly and nobody is listening.
pub struct NoEvents;

#[async_trait::async_trait]
impl shared::ports::events::EventSink for NoEvents {
    async fn publish(&self, _: &shared::domain::ids::TenantId, _: &shared::domain::Event) {}
}

/// A verified caller, as the token would give (roles by their claim names, e.g. `admin`).
pub fn caller(tenant: &str, user: &str, roles: &[&str]) -> shared::Caller {
    shared::Caller {
        tenant: shared::domain::ids::TenantId::parse(tenant).unwrap(),
        user: shared::domain::ids::UserId::parse(user).unwrap(),
        roles: roles.iter().filter_map(|r| shared::Role::from_claim(r)).collect(),
        display_name: shared::domain::values::DisplayName::parse(user).unwrap(),
        suggested_handle: shared::domain::values::Handle::parse(user).unwrap(),
    }
}

/// A plain message to send.
pub fn new_message(cmid: &str, body: &str) -> shared::app::NewMessage {
    shared::app::NewMessage {
        client_message_id: shared::domain::ids::ClientMessageId::parse(cmid).unwrap(),
        body: shared::domain::values::MessageBody::parse(body).unwrap(),
        mentions: vec![],
        attachments: vec![],
        reply_to: None,
    }
}

/// A reply in the thread of `root` (also sent to the conversation when `also_in_channel`).
pub fn new_reply(
    cmid: &str,
    body: &str,
    root: shared::domain::ids::MessageId,
    also_in_channel: bool,
) -> shared::app::NewMessage {
    shared::app::NewMessage {
        reply_to: Some(shared::app::ReplyTo { root, also_in_channel }),
        ..new_message(cmid, body)
    }
}

/// A newest-first search in tenant `acme` over `conversations`.
pub fn search_plan(q: &str, conversations: Vec<String>) -> shared::domain::search::SearchPlan {
    let parsed = shared::domain::search::parse_query(q, &shared::domain::search::time_zone(None).unwrap()).unwrap();
    shared::domain::search::SearchPlan {
        tenant_id: "acme".into(),
        conversation_ids: conversations,
        clauses: parsed.clauses,
        excluded: parsed.excluded,
        author_id: None,
        mentions_user: None,
        has_file: false,
        has_link: false,
        after_ms: None,
        before_ms: None,
        sort: shared::domain::search::SortOrder::Newest,
        limit: 20,
        cursor: None,
    }
}
