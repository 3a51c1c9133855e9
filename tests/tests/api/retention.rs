//! Retention with a lossless archive: messages go only when the archive holds them, policy
//! changes apply to what is stored, holds and exemptions stop deletion, and deleted messages
//! vanish from history, catch-up, search and unread counts — end to end on the local stack with
//! a moved clock, and on the AWS adapters (moto DynamoDB, Streams and S3).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use aws_lambda_events::dynamodb::Event;
use integration_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shared::adapters::aws::s3::S3Blobs;
use shared::adapters::embedded::sqlite::SqliteStore;
use shared::app::archive::{
    archive_day_at, build_archive, read_archive, write_archive, ArchiveFailure, ArchivedVersion,
};
use shared::app::{ArchivePolicy, ConversationPolicy, TenantPolicy};
use shared::domain::ids::MessageId;
use shared::domain::values::{ChannelName, MessageBody};
use shared::domain::{Message, Visibility};
use shared::persistence::Tables;
use shared::ports::blobs::{BlobError, BlobMeta, Blobs, ListedObject, PresignedRequest};
use shared::ports::clock::{Clock, ManualClock};
use shared::ports::store::{Attrs, Cond, Item, Key, Page, Query, Store, StoreError, Update, WriteOp};
use shared::Chat;

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Every archived version, latest per message id.
async fn archived_latest(archive: &dyn Blobs, prefix: &str) -> HashMap<String, ArchivedVersion> {
    let mut latest: HashMap<String, ArchivedVersion> = HashMap::new();
    for object in archive.list(prefix, None, 10_000).await.unwrap() {
        let body = archive.get(&object.key).await.unwrap().expect("listed object exists");
        for version in read_archive(&body).unwrap() {
            let id = version.message.id.to_string();
            // On a tie (the removal carries the last version's image), the removal wins.
            let newer = latest.get(&id).is_none_or(|v| {
                v.message.updated_seq < version.message.updated_seq
                    || (v.message.updated_seq == version.message.updated_seq && version.event == "REMOVE")
            });
            if newer {
                latest.insert(id, version);
            }
        }
    }
    latest
}

#[tokio::test]
async fn end_to_end_with_a_moved_clock() {
    let clock = ManualClock::new(1_795_680_000_000);
    let app = spawn_app_at(&clock).await;
    let alice = app.user_with_roles("acme", "alice", &["admin"]).await;
    let bob = app.user("acme", "bob").await;
    let general = app.create_channel(&alice, "general", "public").await;
    let keep = app.create_channel(&alice, "keep", "public").await;
    for c in [&general, &keep] {
        app.invite(&alice, c, &bob).await;
    }
    let dm = app.open_dm(&alice, &bob).await;
    let mut old = Vec::new();
    for i in 0..5 {
        old.push(app.send(&alice, &general, &format!("old{i}"), &format!("ancient pelican {i}")).await);
    }
    let edited = old[1]["id"].as_str().unwrap().to_owned();
    app.call(
        Method::PATCH,
        &format!("/api/v1/chat/conversations/{general}/messages/{edited}"),
        Some(&alice),
        Some(json!({ "body": "ancient pelican edited" })),
    )
    .await;
    app.send(&alice, &keep, "k", "ancient pelican kept").await;
    app.send(&alice, &dm, "d", "ancient pelican in a dm").await;
    clock.advance_ms(40 * DAY_MS);
    let fresh = app.send(&alice, &general, "new", "fresh pelican").await;
    let (_, before) =
        app.get(&bob, &format!("/api/v1/chat/conversations/{general}/changes?afterSeq=0&limit=500")).await;
    let seq_before = before["lastSeq"].as_u64().unwrap();

    // Only tenant admins see and set policies.
    assert_eq!(app.get(&bob, "/api/v1/chat/retention").await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        app.call(Method::PUT, "/api/v1/chat/retention", Some(&bob), Some(json!({ "retentionDays": 1 }))).await.0,
        StatusCode::FORBIDDEN
    );
    let dave = app.user_with_roles("globex", "dave", &["admin"]).await;
    assert_eq!(
        app.call(
            Method::PUT,
            &format!("/api/v1/chat/conversations/{general}/retention"),
            Some(&dave),
            Some(json!({ "exempt": true }))
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call(Method::PUT, "/api/v1/chat/retention", Some(&alice), Some(json!({ "retentionDays": 0 }))).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.call(
            Method::PUT,
            &format!("/api/v1/chat/conversations/{dm}/retention"),
            Some(&alice),
            Some(json!({ "retentionDays": 5 }))
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );

    // 365 days: nothing is old enough. Then 30 days, #keep exempt: the old messages of #general
    // and of the DM (DMs follow the tenant default) go.
    let run = || app.post(&alice, "/api/v1/dev/retention/run", json!({}));
    assert_eq!(
        app.call(Method::PUT, "/api/v1/chat/retention", Some(&alice), Some(json!({ "retentionDays": 365 }))).await.0,
        StatusCode::OK
    );
    // A body that is not an object is refused and clears nothing (serde alone would read `[]`
    // as "every field unset").
    for path in ["/api/v1/chat/retention".to_owned(), format!("/api/v1/chat/conversations/{general}/retention")] {
        let (status, body) = app.call(Method::PUT, &path, Some(&alice), Some(json!([]))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error_code(&body), "invalid_input");
    }
    assert_eq!(app.get(&alice, "/api/v1/chat/retention").await.1["tenant"]["retentionDays"], 365);
    app.stack.wait_archived().await.unwrap();
    assert_eq!(run().await.1["deleted"], 0);
    app.call(
        Method::PUT,
        &format!("/api/v1/chat/conversations/{keep}/retention"),
        Some(&alice),
        Some(json!({ "exempt": true })),
    )
    .await;
    // A legal hold on the tenant suspends everything.
    app.call(
        Method::PUT,
        "/api/v1/chat/retention",
        Some(&alice),
        Some(json!({ "retentionDays": 30, "legalHold": true })),
    )
    .await;
    assert_eq!(run().await.1["deleted"], 0);
    // A hold on one channel suspends that channel.
    app.call(Method::PUT, "/api/v1/chat/retention", Some(&alice), Some(json!({ "retentionDays": 30 }))).await;
    app.call(
        Method::PUT,
        &format!("/api/v1/chat/conversations/{general}/retention"),
        Some(&alice),
        Some(json!({ "legalHold": true })),
    )
    .await;
    let (_, report) = run().await;
    assert_eq!(report["deleted"], 1, "only the DM's old message: {report}");
    app.call(Method::PUT, &format!("/api/v1/chat/conversations/{general}/retention"), Some(&alice), Some(json!({})))
        .await;
    let (_, settings) = app.get(&alice, "/api/v1/chat/retention").await;
    assert_eq!(settings["tenant"]["retentionDays"], 30);
    let (_, report) = run().await;
    assert_eq!(report["deleted"], 5, "{report}");
    assert_eq!(run().await.1["deleted"], 0, "rerunning finds nothing more");

    // Gone from history, catch-up, search and unread counts; the fresh message and #keep stay.
    let (_, history) = app.get(&bob, &format!("/api/v1/chat/conversations/{general}/messages")).await;
    assert_eq!(
        history["items"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect::<Vec<_>>(),
        ["fresh pelican"]
    );
    let (_, changes) =
        app.get(&bob, &format!("/api/v1/chat/conversations/{general}/changes?afterSeq={seq_before}")).await;
    let removed: Vec<&Value> =
        changes["items"].as_array().unwrap().iter().filter(|c| c["type"] == "chat:messageDeleted").collect();
    assert_eq!(removed.len(), 5);
    assert!(removed.iter().all(|c| c["data"]["removed"] == true));
    app.stack.wait_indexed().await.unwrap();
    let (_, found) = app.get(&bob, "/api/v1/chat/search?q=pelican").await;
    let mut bodies: Vec<&str> =
        found["items"].as_array().unwrap().iter().map(|r| r["message"]["body"].as_str().unwrap()).collect();
    bodies.sort();
    assert_eq!(bodies, ["ancient pelican kept", "fresh pelican"]);
    let (_, list) = app.get(&bob, "/api/v1/chat/conversations").await;
    let unread = |id: &str| {
        list["items"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()["unreadCount"].as_u64().unwrap()
    };
    assert_eq!(unread(&general), 1, "only the fresh message is unread");
    assert_eq!(unread(&dm), 0);

    // The archive holds every deleted message exactly as it was (every field), and the export
    // lists it with working download URLs.
    let latest = archived_latest(&app.stack.archive, &format!("archive/acme/{general}/")).await;
    for m in &old {
        let id = m["id"].as_str().unwrap();
        let archived = serde_json::to_value(&latest[id].message).unwrap();
        if id == edited {
            assert_eq!(archived["body"], "ancient pelican edited");
            assert_eq!(latest[id].event, "REMOVE");
        } else {
            let mut expected = m.clone();
            expected.as_object_mut().unwrap().retain(|_, v| !v.is_null());
            assert_eq!(archived, expected, "archived exactly");
        }
    }
    assert!(latest.contains_key(fresh["id"].as_str().unwrap()), "live messages are archived too");
    // The expired edited message's earlier text went with it (the archive holds its versions).
    let pk = shared::persistence::keys::conversation_pk(
        &shared::domain::ids::TenantId::parse("acme").unwrap(),
        &shared::domain::ids::ConversationId::parse(&general).unwrap(),
    );
    let left = app.stack.store.query(&shared::ports::store::Query::prefix(pk, "VERSION#").consistent()).await.unwrap();
    assert!(left.items.is_empty(), "versions outlived their message: {:?}", left.items);
    let (status, export) = app.get(&alice, &format!("/api/v1/chat/retention/archive?conversationId={general}")).await;
    assert_eq!(status, StatusCode::OK, "{export}");
    let files = export["items"].as_array().unwrap();
    assert!(!files.is_empty());
    let first = reqwest::get(files[0]["url"].as_str().unwrap()).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert!(!read_archive(&first.bytes().await.unwrap()).unwrap().is_empty());
    let today = files.iter().filter(|f| f["day"].as_str().unwrap() >= "2026-12-01").count();
    let (_, ranged) =
        app.get(&alice, &format!("/api/v1/chat/retention/archive?conversationId={general}&from=2026-12-01")).await;
    assert_eq!(ranged["items"].as_array().unwrap().len(), today);
    assert_eq!(
        app.get(&bob, &format!("/api/v1/chat/retention/archive?conversationId={general}")).await.0,
        StatusCode::FORBIDDEN
    );
}

/// A store that fails the n-th transaction (a crash or a fault between two steps of the job).
struct FailingStore {
    inner: Arc<dyn Store>,
    fail_at: AtomicUsize,
}

#[async_trait]
impl Store for FailingStore {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        self.inner.get(key, consistent).await
    }
    async fn batch_get(&self, keys: &[Key], consistent: bool) -> Result<Vec<Item>, StoreError> {
        self.inner.batch_get(keys, consistent).await
    }
    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError> {
        self.inner.put(item, cond).await
    }
    async fn update(&self, key: &Key, update: Update, cond: Cond) -> Result<Attrs, StoreError> {
        self.inner.update(key, update, cond).await
    }
    async fn delete(&self, key: &Key, cond: Cond) -> Result<Option<Attrs>, StoreError> {
        self.inner.delete(key, cond).await
    }
    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        if self.fail_at.fetch_sub(1, Ordering::SeqCst) == 1 {
            return Err(StoreError::Backend("injected failure".into()));
        }
        self.inner.transact(ops).await
    }
    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.inner.batch_write(ops).await
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.inner.query(query).await
    }
}

/// A SQLite store with a moved clock, a file archive, and alice (an admin) in #general.
struct ArchiveSetup {
    clock: ManualClock,
    sqlite: SqliteStore,
    store: Arc<dyn Store>,
    archive: Arc<dyn Blobs>,
    chat: Chat,
    alice: shared::Caller,
    channel: shared::domain::ConversationSummary,
}

impl ArchiveSetup {
    async fn new() -> Self {
        let clock = ManualClock::new(1_795_680_000_000);
        let sqlite = SqliteStore::in_memory(Arc::new(clock.clone())).unwrap();
        let store: Arc<dyn Store> = Arc::new(sqlite.clone());
        let archive_dir = std::env::temp_dir().join(format!("archive-test-{}", ulid::Ulid::new()));
        let archive: Arc<dyn Blobs> =
            Arc::new(shared::adapters::embedded::localfs::LocalBlobs::new(archive_dir, b"k", Arc::new(clock.clone())));
        let chat = Chat::new(store.clone(), Arc::new(clock.clone()), Arc::new(NoEvents));
        let alice = caller("acme", "alice", &["admin"]);
        chat.ensure_profile(&alice).await.unwrap();
        let channel = chat
            .create_channel(&alice, ChannelName::parse("general").unwrap(), Visibility::Public, None)
            .await
            .unwrap();
        Self { clock, sqlite, store, archive, chat, alice, channel }
    }
}

#[tokio::test]
async fn nothing_is_deleted_before_the_archive_holds_it_and_reruns_finish_the_work() {
    let ArchiveSetup { clock, sqlite, store, archive, chat, alice, channel } = ArchiveSetup::new().await;
    let mut sent: Vec<Message> = Vec::new();
    for i in 0..8 {
        sent.push(
            chat.send(&alice, &channel.id, new_message(&format!("m{i}"), &format!("message {i}")))
                .await
                .unwrap()
                .message,
        );
    }
    chat.set_tenant_retention(&alice, TenantPolicy { retention_days: Some(1), legal_hold: false }).await.unwrap();
    clock.advance_ms(3 * DAY_MS);

    // The archiver has not run: nothing may go.
    let report = chat.run_retention().await.unwrap();
    assert_eq!((report.deleted, report.waiting_for_archive), (0, 8));

    // The archiver gets through half of the feed.
    let records = sqlite.read_feed(0, 10_000).await.unwrap();
    let cut = records.iter().position(|r| r.key.sk == format!("MSG#{}", sent[4].id)).unwrap();
    assert_eq!(
        write_archive(&Tables::new(store.clone()), archive.as_ref(), &build_archive(&records[..cut]).unwrap()).await,
        Vec::<ArchiveFailure>::new()
    );
    let report = chat.run_retention().await.unwrap();
    assert_eq!((report.deleted, report.waiting_for_archive), (4, 4), "only what the watermark covers");

    // The rest is archived; the job fails on its second deletion, then a rerun finishes.
    assert_eq!(
        write_archive(&Tables::new(store.clone()), archive.as_ref(), &build_archive(&records[cut..]).unwrap()).await,
        Vec::<ArchiveFailure>::new()
    );
    let failing = Arc::new(FailingStore { inner: store.clone(), fail_at: AtomicUsize::new(2) });
    let flaky = Chat::new(failing, Arc::new(clock.clone()), Arc::new(NoEvents));
    assert!(flaky.run_retention().await.is_err());
    let report = chat.run_retention().await.unwrap();
    assert_eq!(report.deleted + 1, 4, "one went before the failure, the rerun takes the rest: {report:?}");
    let remaining = chat.history(&alice, &channel.id, Default::default()).await.unwrap();
    assert!(remaining.items.is_empty());

    // Every deleted message is in the archive, field for field.
    let latest = archived_latest(archive.as_ref(), "archive/acme/").await;
    for message in &sent {
        assert_eq!(&latest[&message.id.to_string()].message, message);
    }
    let _ = ConversationPolicy::default();
}

/// Object storage that refuses writes under one day's path, as S3 may for one object of a batch.
struct RefusingDay {
    inner: Arc<dyn Blobs>,
    day: String,
}

#[async_trait]
impl Blobs for RefusingDay {
    async fn presign_put(
        &self,
        k: &str,
        t: &str,
        n: u64,
        ttl: std::time::Duration,
    ) -> Result<PresignedRequest, BlobError> {
        self.inner.presign_put(k, t, n, ttl).await
    }
    async fn presign_get(&self, k: &str, t: &str, d: &str, ttl: std::time::Duration) -> Result<String, BlobError> {
        self.inner.presign_get(k, t, d, ttl).await
    }
    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, BlobError> {
        self.inner.head(key).await
    }
    async fn set_state(&self, key: &str, state: &str) -> Result<(), BlobError> {
        self.inner.set_state(key, state).await
    }
    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        self.inner.delete(key).await
    }
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), BlobError> {
        if key.contains(&self.day) {
            return Err(BlobError::Backend("SlowDown".into()));
        }
        self.inner.put(key, bytes, content_type).await
    }
    async fn list(&self, prefix: &str, after: Option<&str>, limit: usize) -> Result<Vec<ListedObject>, BlobError> {
        self.inner.list(prefix, after, limit).await
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        self.inner.get(key).await
    }
}

/// Issue 23.7: one day's object fails while a later day's (higher seqs) is written; the
/// watermark must stay below the failed versions, or retention deletes messages the archive
/// never got.
#[tokio::test]
async fn a_failed_archive_object_holds_the_watermark_below_its_versions() {
    let ArchiveSetup { clock, sqlite, store, archive, chat, alice, channel } = ArchiveSetup::new().await;
    let mut sent: Vec<Message> = Vec::new();
    for i in 0..4 {
        if i == 2 {
            clock.advance_ms(DAY_MS);
        }
        let message = chat.send(&alice, &channel.id, new_message(&format!("m{i}"), &format!("message {i}"))).await;
        sent.push(message.unwrap().message);
    }
    let first_day = sent[0].created_at[..10].replace('-', "/");
    assert_ne!(first_day, sent[3].created_at[..10].replace('-', "/"), "two days of messages");

    let objects = build_archive(&sqlite.read_feed(0, 10_000).await.unwrap()).unwrap();
    assert_eq!(objects.len(), 2);
    let refusing = RefusingDay { inner: archive.clone(), day: first_day.clone() };
    let failures = write_archive(&Tables::new(store.clone()), &refusing, &objects).await;
    let failed: Vec<&str> = failures.iter().map(|f: &ArchiveFailure| objects[f.object].key.as_str()).collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].contains(&first_day), "{failed:?}");

    chat.set_tenant_retention(&alice, TenantPolicy { retention_days: Some(1), legal_hold: false }).await.unwrap();
    clock.advance_ms(3 * DAY_MS);
    let report = chat.run_retention().await.unwrap();
    assert_eq!((report.deleted, report.waiting_for_archive), (0, 4), "nothing above an unwritten version goes");
    assert_eq!(chat.history(&alice, &channel.id, Default::default()).await.unwrap().items.len(), 4);

    // The retry writes the missing day; then everything goes, and the archive holds it all.
    assert_eq!(
        write_archive(&Tables::new(store.clone()), archive.as_ref(), &objects).await,
        Vec::<ArchiveFailure>::new()
    );
    assert_eq!(chat.run_retention().await.unwrap().deleted, 4);
    let latest = archived_latest(archive.as_ref(), "archive/acme/").await;
    for message in &sent {
        assert_eq!(&latest[&message.id.to_string()].message, message);
    }
}

/// Every archived version of a conversation, in object order.
async fn archived_versions(archive: &dyn Blobs, prefix: &str) -> Vec<ArchivedVersion> {
    let mut versions = Vec::new();
    for object in archive.list(prefix, None, 10_000).await.unwrap() {
        versions.extend(read_archive(&archive.get(&object.key).await.unwrap().unwrap()).unwrap());
    }
    versions
}

/// Issue 23.3: deleted messages are purged from the archive when the tenant asks (deletions
/// made before it asked too; a hold stops it), the deletion itself stays; and the archive keeps
/// whole days for its own period, never less than the table keeps them, holds respected.
#[tokio::test]
async fn the_archive_purges_deleted_messages_and_prunes_past_its_period() {
    let ArchiveSetup { clock, sqlite, store, archive, chat, alice, channel } = ArchiveSetup::new().await;
    let chat = chat.with_archive(archive.clone());
    let prefix = format!("archive/acme/{}/", channel.id);
    let mut fed = 0;
    let kept = chat.send(&alice, &channel.id, new_message("k", "kept as written")).await.unwrap().message;
    let secret = chat.send(&alice, &channel.id, new_message("s", "first draft secret")).await.unwrap().message;
    chat.edit(&alice, &channel.id, &secret.id, MessageBody::parse("second draft secret").unwrap(), None).await.unwrap();
    chat.delete(&alice, &channel.id, &secret.id).await.unwrap();
    // Archived as the archiver did before it marked days holding a deletion: no mark.
    let records = sqlite.read_feed(fed, 10_000).await.unwrap();
    fed = records.last().map_or(fed, |r| r.position);
    for object in build_archive(&records).unwrap() {
        archive.put(&object.key, object.body, "application/gzip").await.unwrap();
    }
    let mut archive_new = async || {
        let records = sqlite.read_feed(fed, 10_000).await.unwrap();
        fed = records.last().map_or(fed, |r| r.position);
        assert_eq!(
            write_archive(&Tables::new(store.clone()), archive.as_ref(), &build_archive(&records).unwrap()).await,
            []
        );
    };
    let text = |versions: &[ArchivedVersion]| serde_json::to_string(versions).unwrap();
    assert!(text(&archived_versions(archive.as_ref(), &prefix).await).contains("first draft secret"));

    // Purging off (the default), then on under a hold on the channel: the text stays.
    assert_eq!(chat.run_retention().await.unwrap().archive_days_purged, 0);
    let purge = ArchivePolicy { purge_deleted: true, ..ArchivePolicy::default() };
    chat.set_archive_policy(&alice, purge).await.unwrap();
    let hold = ConversationPolicy { legal_hold: true, ..ConversationPolicy::default() };
    chat.set_conversation_retention(&alice, &channel.id, hold).await.unwrap();
    assert_eq!(chat.run_retention().await.unwrap().archive_days_purged, 0);
    assert!(text(&archived_versions(archive.as_ref(), &prefix).await).contains("draft secret"), "held");

    // The hold lifted: every version with its text goes, the deletion stays, the rest untouched
    // (the day had no mark: the first purging run marks every archived day once).
    chat.set_conversation_retention(&alice, &channel.id, ConversationPolicy::default()).await.unwrap();
    assert_eq!(chat.run_retention().await.unwrap().archive_days_purged, 1);
    let versions = archived_versions(archive.as_ref(), &prefix).await;
    assert!(!text(&versions).contains("draft secret"), "{versions:?}");
    let of = |id: &MessageId| versions.iter().filter(|v| &v.message.id == id).cloned().collect::<Vec<_>>();
    let tombstones = of(&secret.id);
    assert_eq!(tombstones.len(), 1, "only the deletion: {tombstones:?}");
    assert!(tombstones[0].message.deleted_at.is_some() && tombstones[0].message.body.is_empty());
    assert_eq!(tombstones[0].message.author_id, alice.user);
    assert_eq!(of(&kept.id).iter().map(|v| &v.message).collect::<Vec<_>>(), [&kept]);
    assert_eq!(chat.run_retention().await.unwrap().archive_days_purged, 0, "the day's marker is spent");

    // A later deletion is marked by the archiver and purged by the next run.
    chat.delete(&alice, &channel.id, &kept.id).await.unwrap();
    archive_new().await;
    assert_eq!(chat.run_retention().await.unwrap().archive_days_purged, 1);
    assert!(!text(&archived_versions(archive.as_ref(), &prefix).await).contains("kept as written"));
    // A batch delivered again (a stream retry) puts its objects, text included, back; it marks
    // the day again, so the next run purges it again.
    let replay = build_archive(&sqlite.read_feed(0, 10_000).await.unwrap()).unwrap();
    assert_eq!(write_archive(&Tables::new(store.clone()), archive.as_ref(), &replay).await, []);
    assert!(text(&archived_versions(archive.as_ref(), &prefix).await).contains("kept as written"));
    assert_eq!(chat.run_retention().await.unwrap().archive_days_purged, 1);
    assert!(!text(&archived_versions(archive.as_ref(), &prefix).await).contains("kept as written"));

    // A second day. The archive keeps 1 day: never before the table lets go (5 days, or
    // forever), not under a hold; with the table at 1 day, the days before yesterday go.
    clock.advance_ms(DAY_MS);
    let next_day = chat.send(&alice, &channel.id, new_message("n", "the next day")).await.unwrap().message;
    archive_new().await;
    clock.advance_ms(DAY_MS);
    let days = |versions: Vec<ArchivedVersion>| {
        let mut days: Vec<String> = versions.iter().map(|v| v.message.created_at[..10].to_owned()).collect();
        days.dedup();
        days
    };
    let two_days = days(archived_versions(archive.as_ref(), &prefix).await);
    assert_eq!(two_days.len(), 2, "{two_days:?}");
    let keep_one_day = ArchivePolicy { archive_retention_days: Some(1), ..purge };
    chat.set_archive_policy(&alice, keep_one_day).await.unwrap();
    chat.set_tenant_retention(&alice, TenantPolicy { retention_days: Some(5), legal_hold: false }).await.unwrap();
    assert_eq!(chat.run_retention().await.unwrap().archive_objects_deleted, 0);
    chat.set_tenant_retention(&alice, TenantPolicy::default()).await.unwrap();
    assert_eq!(chat.run_retention().await.unwrap().archive_objects_deleted, 0, "the table keeps forever");
    chat.set_tenant_retention(&alice, TenantPolicy { retention_days: Some(1), legal_hold: true }).await.unwrap();
    assert_eq!(chat.run_retention().await.unwrap().archive_objects_deleted, 0, "a tenant hold stops it");
    chat.set_tenant_retention(&alice, TenantPolicy { retention_days: Some(1), legal_hold: false }).await.unwrap();
    let report = chat.run_retention().await.unwrap();
    assert!(report.archive_objects_deleted >= 1, "{report:?}");
    assert_eq!(report.archive_failures, 0);
    assert_eq!(days(archived_versions(archive.as_ref(), &prefix).await), [next_day.created_at[..10].to_owned()]);
    let history = chat.history(&alice, &channel.id, Default::default()).await.unwrap().items;
    assert_eq!(history, [next_day], "the table let the first day go too");
}

/// An archive object that cannot be read is counted and logged; the run goes on to the other
/// tenants (their messages still expire) and tries again next time.
#[tokio::test]
async fn one_unreadable_archive_object_does_not_stop_the_job() {
    let ArchiveSetup { clock, sqlite, store, archive, chat, alice, channel } = ArchiveSetup::new().await;
    let chat = chat.with_archive(archive.clone());
    let dave = caller("globex", "dave", &["admin"]);
    chat.ensure_profile(&dave).await.unwrap();
    let theirs =
        chat.create_channel(&dave, ChannelName::parse("general").unwrap(), Visibility::Public, None).await.unwrap();
    let doomed = chat.send(&alice, &channel.id, new_message("a", "acme's")).await.unwrap().message;
    chat.delete(&alice, &channel.id, &doomed.id).await.unwrap();
    chat.send(&dave, &theirs.id, new_message("d", "globex's")).await.unwrap();
    let objects = build_archive(&sqlite.read_feed(0, 10_000).await.unwrap()).unwrap();
    assert_eq!(write_archive(&Tables::new(store.clone()), archive.as_ref(), &objects).await, []);
    let day = archive_day_at(clock.now_ms());
    archive
        .put(
            &format!("archive/acme/{}/{day}/0-0-broken.jsonl.gz", channel.id),
            b"not gzip".to_vec(),
            "application/gzip",
        )
        .await
        .unwrap();
    let purge = ArchivePolicy { purge_deleted: true, ..ArchivePolicy::default() };
    chat.set_archive_policy(&alice, purge).await.unwrap();
    chat.set_tenant_retention(&dave, TenantPolicy { retention_days: Some(1), legal_hold: false }).await.unwrap();
    clock.advance_ms(2 * DAY_MS);
    let report = chat.run_retention().await.unwrap();
    assert_eq!(report.archive_failures, 1, "{report:?}");
    assert_eq!(report.deleted, 1, "globex's message still expired: {report:?}");
}

#[tokio::test]
async fn archiver_and_retention_on_moto() {
    let (store, table) = moto_store_named().await;
    let sdk = shared::adapters::aws::sdk::sdk_config(Some(moto())).await.expect("sdk config");
    let bucket = S3Blobs::new(&sdk, format!("archive-{}", ulid::Ulid::new().to_string().to_lowercase()), true);
    bucket.create_bucket().await.unwrap();
    let archive: Arc<dyn Blobs> = Arc::new(bucket);
    let clock = ManualClock::new(SystemClockNow::now());
    let store: Arc<dyn Store> = Arc::new(store);
    let chat = Chat::new(store.clone(), Arc::new(clock.clone()), Arc::new(NoEvents));
    let alice = caller("acme", "alice", &["admin"]);
    chat.ensure_profile(&alice).await.unwrap();
    let channel =
        chat.create_channel(&alice, ChannelName::parse("general").unwrap(), Visibility::Public, None).await.unwrap();
    let mut sent = Vec::new();
    for i in 0..3 {
        sent.push(
            chat.send(&alice, &channel.id, new_message(&format!("m{i}"), &format!("moto {i}"))).await.unwrap().message,
        );
    }
    chat.set_tenant_retention(&alice, TenantPolicy { retention_days: Some(1), legal_hold: false }).await.unwrap();
    clock.advance_ms(2 * DAY_MS);
    assert_eq!(chat.run_retention().await.unwrap().deleted, 0, "nothing archived yet");

    // The archiver Lambda's logic on moto's real stream output.
    let dynamo = shared::adapters::aws::dynamo::DynamoStore::from_config(&sdk, &table);
    let event: Event = serde_json::from_value(moto_stream_event(&dynamo, &table).await).unwrap();
    let archiver = stream_archiver::Archiver { store: store.clone(), archive: archive.clone() };
    assert!(archiver.handle(event).await.batch_item_failures.is_empty());
    let again: Event = serde_json::from_value(moto_stream_event(&dynamo, &table).await).unwrap();
    assert!(archiver.handle(again).await.batch_item_failures.is_empty(), "a replay writes the same objects");
    let objects = archive.list(&format!("archive/acme/{}/", channel.id), None, 100).await.unwrap();
    assert!(!objects.is_empty());

    let report = chat.run_retention().await.unwrap();
    assert_eq!(report.deleted, 3);
    let latest = archived_latest(archive.as_ref(), "archive/acme/").await;
    for message in &sent {
        assert_eq!(&latest[&message.id.to_string()].message, message);
    }
    assert!(chat.history(&alice, &channel.id, Default::default()).await.unwrap().items.is_empty());
}

struct SystemClockNow;
impl SystemClockNow {
    fn now() -> i64 {
        shared::ports::clock::SystemClock.now_ms()
    }
}

#[tokio::test]
async fn the_deployment_default_applies_to_tenants_without_a_policy() {
    let clock = ManualClock::new(1_795_680_000_000);
    let sqlite = SqliteStore::in_memory(Arc::new(clock.clone())).unwrap();
    let store: Arc<dyn Store> = Arc::new(sqlite.clone());
    let chat = Chat::new(store.clone(), Arc::new(clock.clone()), Arc::new(NoEvents)).with_default_retention(Some(7));
    let alice = caller("acme", "alice", &["admin"]);
    chat.ensure_profile(&alice).await.unwrap();
    let channel =
        chat.create_channel(&alice, ChannelName::parse("general").unwrap(), Visibility::Public, None).await.unwrap();
    chat.send(&alice, &channel.id, new_message("m", "old")).await.unwrap();
    clock.advance_ms(8 * DAY_MS);
    let dir = std::env::temp_dir().join(format!("archive-default-{}", ulid::Ulid::new()));
    let archive = shared::adapters::embedded::localfs::LocalBlobs::new(dir, b"k", Arc::new(clock.clone()));
    let objects = build_archive(&sqlite.read_feed(0, 10_000).await.unwrap()).unwrap();
    assert_eq!(write_archive(&Tables::new(store.clone()), &archive, &objects).await, Vec::<ArchiveFailure>::new());
    let report = chat.run_retention().await.unwrap();
    assert_eq!(report.deleted, 1, "the tenant never set a policy; the default of 7 days applies: {report:?}");
    let settings = chat.retention_settings(&alice).await.unwrap();
    assert_eq!(settings.tenant.retention_days, Some(7));
}
