//! Faults through the ports: a store that throttles and fails transiently (retried with backoff,
//! bounded), push endpoints answering 410/429/500, object storage failing, and rate limits —
//! nothing acknowledged is lost and nothing shows twice.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::extract::State;
use axum::http::StatusCode as HttpStatus;
use axum::response::IntoResponse;
use axum::Router;
use integration_tests::*;
use local::StackOptions;
use reqwest::StatusCode;
use serde_json::json;
use shared::adapters::aws::apigw::ApiGatewayPush;
use shared::adapters::embedded::sqlite::SqliteStore;
use shared::adapters::retrying::{RetryingStore, ATTEMPTS};
use shared::domain::ids::ConnectionId;
use shared::domain::limits::{Rate, RateLimits};
use shared::domain::values::ChannelName;
use shared::domain::Visibility;
use shared::ports::clock::SystemClock;
use shared::ports::push::{Push, PushError};
use shared::ports::store::{Attrs, Cond, Item, Key, Page, Query, Store, StoreError, Update, WriteOp};
use shared::{Chat, ChatError};

/// Fails every `every`-th call with a throttling error (or every call when `every` is 1).
struct ThrottlingStore {
    inner: Arc<dyn Store>,
    every: usize,
    calls: AtomicUsize,
    faults: AtomicUsize,
}

impl ThrottlingStore {
    fn fault(&self) -> Result<(), StoreError> {
        if self.calls.fetch_add(1, Ordering::SeqCst).is_multiple_of(self.every) {
            self.faults.fetch_add(1, Ordering::SeqCst);
            return Err(StoreError::Transient("ProvisionedThroughputExceededException".into()));
        }
        Ok(())
    }
}

#[async_trait]
impl Store for ThrottlingStore {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        self.fault()?;
        self.inner.get(key, consistent).await
    }
    async fn batch_get(&self, keys: &[Key], consistent: bool) -> Result<Vec<Item>, StoreError> {
        self.fault()?;
        self.inner.batch_get(keys, consistent).await
    }
    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError> {
        self.fault()?;
        self.inner.put(item, cond).await
    }
    async fn update(&self, key: &Key, update: Update, cond: Cond) -> Result<Attrs, StoreError> {
        self.fault()?;
        self.inner.update(key, update, cond).await
    }
    async fn delete(&self, key: &Key, cond: Cond) -> Result<Option<Attrs>, StoreError> {
        self.fault()?;
        self.inner.delete(key, cond).await
    }
    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.fault()?;
        self.inner.transact(ops).await
    }
    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.fault()?;
        self.inner.batch_write(ops).await
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.fault()?;
        self.inner.query(query).await
    }
}

#[tokio::test]
async fn throttling_and_transient_faults_are_retried_and_nothing_is_lost() {
    let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::in_memory(Arc::new(SystemClock)).unwrap());
    let flaky =
        Arc::new(ThrottlingStore { inner: sqlite, every: 3, calls: AtomicUsize::new(0), faults: AtomicUsize::new(0) });
    let chat = Chat::new(Arc::new(RetryingStore::new(flaky.clone())), Arc::new(SystemClock), Arc::new(NoEvents));
    let caller = caller("acme", "alice", &[]);
    chat.ensure_profile(&caller).await.unwrap();
    let channel =
        chat.create_channel(&caller, ChannelName::parse("general").unwrap(), Visibility::Public, None).await.unwrap();
    // Sequential, so every retry is the next call: a fault never repeats on the same operation
    // (concurrency is covered by the duplicate-guard and contention tests).
    let mut failures = Vec::new();
    for i in 0..30 {
        if let Err(e) = chat.send(&caller, &channel.id, new_message(&format!("m{}", i % 25), "hi")).await {
            failures.push(e.to_string());
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
    assert!(flaky.faults.load(Ordering::SeqCst) > 10, "faults were injected");
    let changes = chat.changes(&caller, &channel.id, 0, Some(500)).await.unwrap();
    let messages = changes.items.iter().filter(|e| e.kind() == shared::domain::EventType::NewMessage).count();
    assert_eq!(messages, 25, "25 client ids: 25 messages, none twice");
    let seqs: Vec<u64> = changes.items.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_store_that_keeps_failing_is_an_outage_not_a_hang() {
    let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::in_memory(Arc::new(SystemClock)).unwrap());
    let down =
        Arc::new(ThrottlingStore { inner: sqlite, every: 1, calls: AtomicUsize::new(0), faults: AtomicUsize::new(0) });
    let chat = Chat::new(Arc::new(RetryingStore::new(down.clone())), Arc::new(SystemClock), Arc::new(NoEvents));
    let err = chat.ensure_profile(&caller("acme", "alice", &[])).await.unwrap_err();
    assert!(matches!(&err, ChatError::Unavailable(_)), "a retryable failure: {err}");
    assert_eq!(down.calls.load(Ordering::SeqCst), ATTEMPTS as usize, "bounded retries");
}

/// A management endpoint answering with a script of statuses.
async fn scripted_endpoint(statuses: Vec<u16>) -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let state = (Arc::new(statuses), calls.clone());
    let app = Router::new()
        .fallback(|State((statuses, calls)): State<(Arc<Vec<u16>>, Arc<AtomicUsize>)>| async move {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            let status = *statuses.get(n).unwrap_or(&200);
            let kind = match status {
                410 => "GoneException",
                429 => "LimitExceededException",
                _ => "InternalServerErrorException",
            };
            (
                HttpStatus::from_u16(status).unwrap(),
                [("x-amzn-errortype", kind)],
                axum::Json(json!({ "message": kind })),
            )
                .into_response()
        })
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, calls)
}

#[tokio::test]
async fn push_faults_retry_server_errors_and_report_gone() {
    let id = ConnectionId::parse("L0SM9cOFvHcCIhw=").unwrap();
    let push = |url: String| async move {
        ApiGatewayPush::new(&shared::adapters::aws::sdk::sdk_config(Some(&url)).await.expect("sdk config"), &url)
    };
    let (url, calls) = scripted_endpoint(vec![500, 503, 200]).await;
    assert_eq!(push(url).await.post(&id, b"{}").await, Ok(()), "server errors are retried");
    assert!(calls.load(Ordering::SeqCst) >= 3);
    let (url, _) = scripted_endpoint(vec![429; 20]).await;
    assert!(
        matches!(push(url).await.post(&id, b"{}").await, Err(PushError::Failed(_))),
        "throttling past the retries fails"
    );
    let (url, calls) = scripted_endpoint(vec![410]).await;
    assert_eq!(push(url).await.post(&id, b"{}").await, Err(PushError::Gone));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "Gone is final, never retried");
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after_and_spare_retries_and_others() {
    let mut opts = StackOptions::ephemeral();
    opts.rate_limits = RateLimits {
        sends: Some(Rate { count: 3, window_secs: 60 }),
        uploads: Some(Rate { count: 2, window_secs: 60 }),
        subscribes: Some(Rate { count: 2, window_secs: 60 }),
        ..RateLimits::default()
    };
    let app = spawn_app_with(opts).await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let channel = app.create_channel(&alice, "general", "public").await;
    app.invite(&alice, &channel, &bob).await;
    let path = format!("/api/v1/chat/conversations/{channel}/messages");
    for i in 0..3 {
        app.send(&alice, &channel, &format!("ok{i}"), "fine").await;
    }
    let resp = app
        .http
        .post(app.url(&path))
        .bearer_auth(&alice.token)
        .json(&json!({ "clientMessageId": "over", "body": "too many" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after));
    assert_eq!(error_code(&resp.json().await.unwrap()), "rate_limited");
    // A retry of a message already sent is answered, not limited; other people are not limited.
    assert_eq!(app.post(&alice, &path, json!({ "clientMessageId": "ok1", "body": "fine" })).await.0, StatusCode::OK);
    assert_eq!(app.post(&bob, &path, json!({ "clientMessageId": "b", "body": "me too" })).await.0, StatusCode::CREATED);
    // Uploads.
    let upload_path = format!("/api/v1/chat/conversations/{channel}/uploads");
    let upload =
        || app.post(&alice, &upload_path, json!({ "filename": "a.txt", "contentType": "text/plain", "size": 1 }));
    assert_eq!(upload().await.0, StatusCode::CREATED);
    assert_eq!(upload().await.0, StatusCode::CREATED);
    assert_eq!(upload().await.0, StatusCode::TOO_MANY_REQUESTS);
    // Subscribes, per connection.
    let mut socket = ws_connect(&app, &alice).await;
    for _ in 0..2 {
        assert_eq!(ws_subscribe(&mut socket, None).await["type"], "subscribed");
    }
    let refused = ws_subscribe(&mut socket, None).await;
    assert_eq!((refused["type"].as_str(), refused["code"].as_str()), (Some("error"), Some("rate_limited")));
    assert!(refused["retryAfter"].as_u64().unwrap() >= 1);
    let mut other = ws_connect(&app, &alice).await;
    assert_eq!(ws_subscribe(&mut other, None).await["type"], "subscribed", "another connection has its own budget");
    // Still subscribed from before: live events keep coming.
    app.send(&bob, &channel, "b2", "still live").await;
    let frames = ws_drain(&mut socket, Duration::from_millis(300)).await;
    assert!(frames.iter().any(|f| f["type"] == "chat:newMessage"));
}

/// Object storage that fails while `down` is set.
struct FlakyBlobs {
    inner: Arc<dyn shared::ports::blobs::Blobs>,
    down: std::sync::atomic::AtomicBool,
}

impl FlakyBlobs {
    fn check(&self) -> Result<(), shared::ports::blobs::BlobError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(shared::ports::blobs::BlobError::Backend("503 SlowDown".into()));
        }
        Ok(())
    }
}

#[async_trait]
impl shared::ports::blobs::Blobs for FlakyBlobs {
    async fn presign_put(
        &self,
        key: &str,
        ct: &str,
        size: u64,
        ttl: Duration,
    ) -> Result<shared::ports::blobs::PresignedRequest, shared::ports::blobs::BlobError> {
        self.check()?;
        self.inner.presign_put(key, ct, size, ttl).await
    }
    async fn presign_get(
        &self,
        key: &str,
        ct: &str,
        cd: &str,
        ttl: Duration,
    ) -> Result<String, shared::ports::blobs::BlobError> {
        self.check()?;
        self.inner.presign_get(key, ct, cd, ttl).await
    }
    async fn head(&self, key: &str) -> Result<Option<shared::ports::blobs::BlobMeta>, shared::ports::blobs::BlobError> {
        self.check()?;
        self.inner.head(key).await
    }
    async fn set_state(&self, key: &str, state: &str) -> Result<(), shared::ports::blobs::BlobError> {
        self.check()?;
        self.inner.set_state(key, state).await
    }
    async fn delete(&self, key: &str) -> Result<(), shared::ports::blobs::BlobError> {
        self.check()?;
        self.inner.delete(key).await
    }
    async fn put(&self, key: &str, bytes: Vec<u8>, ct: &str) -> Result<(), shared::ports::blobs::BlobError> {
        self.check()?;
        self.inner.put(key, bytes, ct).await
    }
    async fn list(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<shared::ports::blobs::ListedObject>, shared::ports::blobs::BlobError> {
        self.check()?;
        self.inner.list(prefix, after, limit).await
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, shared::ports::blobs::BlobError> {
        self.check()?;
        self.inner.get(key).await
    }
}

#[tokio::test]
async fn object_storage_failures_lose_nothing_and_a_retry_sends_once() {
    let clock = Arc::new(SystemClock);
    let local = shared::adapters::embedded::localfs::LocalBlobs::new(
        std::env::temp_dir().join(format!("flaky-{}", ulid::Ulid::new())),
        b"k",
        clock.clone(),
    );
    let flaky =
        Arc::new(FlakyBlobs { inner: Arc::new(local.clone()), down: std::sync::atomic::AtomicBool::new(false) });
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory(clock.clone()).unwrap());
    let chat = Chat::new(store, clock, Arc::new(NoEvents)).with_uploads(flaky.clone(), Default::default());
    let alice = caller("acme", "alice", &[]);
    chat.ensure_profile(&alice).await.unwrap();
    let channel =
        chat.create_channel(&alice, ChannelName::parse("files").unwrap(), Visibility::Public, None).await.unwrap();

    // Storage down: the intent fails with an internal error, nothing half-made is usable.
    flaky.down.store(true, Ordering::SeqCst);
    assert!(matches!(
        chat.upload_intent(&alice, &channel.id, "a.txt", "text/plain", 3).await,
        Err(ChatError::Internal(_))
    ));
    flaky.down.store(false, Ordering::SeqCst);
    let intent = chat.upload_intent(&alice, &channel.id, "a.txt", "text/plain", 3).await.unwrap();
    local
        .write(&format!("tenants/acme/conversations/{}/{}/a.txt", channel.id, intent.upload_id), b"abc", "text/plain")
        .await
        .unwrap();

    // Storage down while attaching: the send fails and writes nothing; the retry (same client id)
    // sends exactly one message.
    let with_file = |cmid: &str| shared::app::NewMessage {
        attachments: vec![intent.upload_id.clone()],
        reply_to: None,
        ..new_message(cmid, "here")
    };
    flaky.down.store(true, Ordering::SeqCst);
    assert!(chat.send(&alice, &channel.id, with_file("f1")).await.is_err());
    assert!(chat.history(&alice, &channel.id, Default::default()).await.unwrap().items.is_empty());
    flaky.down.store(false, Ordering::SeqCst);
    let sent = chat.send(&alice, &channel.id, with_file("f1")).await.unwrap();
    assert!(sent.created);
    assert_eq!(sent.message.attachments.len(), 1);
    let again = chat.send(&alice, &channel.id, with_file("f1")).await.unwrap();
    assert!(!again.created);
    assert_eq!(chat.history(&alice, &channel.id, Default::default()).await.unwrap().items.len(), 1);
}

#[tokio::test]
async fn a_search_outage_never_blocks_sending_and_the_indexer_catches_up() {
    use aws_lambda_events::dynamodb::Event;
    use shared::ports::search::{SearchError, SearchIndex};

    struct Down;
    #[async_trait]
    impl SearchIndex for Down {
        async fn apply(
            &self,
            _: &[shared::domain::search::IndexOp],
        ) -> Result<Vec<Result<(), SearchError>>, SearchError> {
            Err(SearchError::Unavailable("cluster down".into()))
        }
        async fn search(
            &self,
            _: &shared::domain::search::SearchPlan,
        ) -> Result<shared::domain::search::SearchPage, SearchError> {
            Err(SearchError::Unavailable("cluster down".into()))
        }
    }

    // Sending needs no index at all: messages commit while the cluster is down.
    let store = SqliteStore::in_memory(Arc::new(SystemClock)).unwrap();
    let chat =
        Chat::new(Arc::new(store.clone()), Arc::new(SystemClock), Arc::new(NoEvents)).with_search(Arc::new(Down));
    let alice = caller("acme", "alice", &[]);
    chat.ensure_profile(&alice).await.unwrap();
    let channel =
        chat.create_channel(&alice, ChannelName::parse("general").unwrap(), Visibility::Public, None).await.unwrap();
    chat.send(&alice, &channel.id, new_message("s1", "written during the outage")).await.unwrap();
    assert!(matches!(
        chat.search(&alice, "outage", None, Default::default(), None, None).await,
        Err(ChatError::Internal(_))
    ));

    // The stream batch: refused while down (Lambda retries it), indexed once the cluster is back.
    let raw = serde_json::json!({ "Records": [serde_json::from_str::<serde_json::Value>(include_str!("../../../events/stream-batch.json")).unwrap()["Records"][0].clone()] });
    let batch = || serde_json::from_value::<Event>(raw.clone()).unwrap();
    let failed = stream_indexer::Indexer::new(Arc::new(Down)).handle(batch()).await;
    assert_eq!(failed.batch_item_failures.len(), 1);
    let index = Arc::new(shared::adapters::embedded::search::SqliteSearch::in_memory().unwrap());
    assert!(stream_indexer::Indexer::new(index.clone()).handle(batch()).await.batch_item_failures.is_empty());
    let hits = index.search(&search_plan("archive", vec!["C01JBZ5X3N8Q0V7W6Y4T2R1P0MA".into()])).await.unwrap();
    assert_eq!(hits.hits.len(), 1);
}
