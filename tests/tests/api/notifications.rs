//! Notification levels (issue 22.3): per member and conversation, stored on the membership
//! (both stores), defaulting by kind, told to the member's own connections only, validated,
//! bounded and rate-limited. Isolation is in `api_isolation.rs` with every other route.

use std::sync::Arc;
use std::time::Duration;

use integration_tests::{
    caller, error_code, moto_store, spawn_app, spawn_app_with, ws_connect, ws_drain, ws_subscribe, NoEvents, TestApp,
    TestUser,
};
use local::StackOptions;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shared::adapters::embedded::sqlite::SqliteStore;
use shared::domain::limits::{Rate, RateLimits};
use shared::domain::values::ChannelName;
use shared::domain::{ConversationSummary, NotificationLevel, Visibility};
use shared::ports::clock::SystemClock;
use shared::ports::store::Store;
use shared::{Chat, ChatError};

const QUIET: Duration = Duration::from_millis(300);

fn path(c: &str) -> String {
    format!("/api/v1/chat/conversations/{c}/notifications")
}

async fn set(app: &TestApp, user: &TestUser, c: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::PUT, &path(c), Some(user), Some(body)).await
}

async fn level_in_list(app: &TestApp, user: &TestUser, c: &str) -> Value {
    let (_, list) = app.get(user, "/api/v1/chat/conversations").await;
    let item = list["items"].as_array().unwrap().iter().find(|i| i["id"] == c).cloned().expect("listed");
    item["notificationLevel"].clone()
}

#[tokio::test]
async fn a_level_defaults_by_kind_and_is_the_members_own() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let general = app.create_channel(&alice, "general", "public").await;
    app.invite(&alice, &general, &bob).await;
    let dm = app.open_dm(&alice, &bob).await;
    // As Slack: every message of a DM, only mentions in a channel.
    assert_eq!(level_in_list(&app, &alice, &dm).await, "all");
    assert_eq!(level_in_list(&app, &alice, &general).await, "mentions");

    let (status, answer) = set(&app, &alice, &general, json!({ "level": "all" })).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer, json!({ "userId": "alice", "level": "all" }));
    let (status, answer) = set(&app, &alice, &dm, json!({ "level": "nothing" })).await;
    assert_eq!((status, &answer["level"]), (StatusCode::OK, &json!("nothing")));

    // Stored: the list and the summary say so (a reload, another device); bob's are untouched.
    assert_eq!(level_in_list(&app, &alice, &general).await, "all");
    assert_eq!(level_in_list(&app, &alice, &dm).await, "nothing");
    let (_, summary) = app.get(&alice, &format!("/api/v1/chat/conversations/{general}")).await;
    assert_eq!(summary["notificationLevel"], "all");
    assert_eq!(level_in_list(&app, &bob, &general).await, "mentions");
    assert_eq!(level_in_list(&app, &bob, &dm).await, "all");

    // Setting it leaves the read position and counts alone.
    app.send(&bob, &general, "b1", "hello").await;
    set(&app, &alice, &general, json!({ "level": "mentions" })).await;
    let (_, summary) = app.get(&alice, &format!("/api/v1/chat/conversations/{general}")).await;
    assert_eq!((summary["unreadCount"].as_u64(), summary["notificationLevel"].as_str()), (Some(1), Some("mentions")));
}

#[tokio::test]
async fn bad_input_is_a_typed_400_and_changes_nothing() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let general = app.create_channel(&alice, "general", "public").await;
    set(&app, &alice, &general, json!({ "level": "nothing" })).await;
    for body in [json!({ "level": "loud" }), json!({}), json!({ "level": null }), json!({ "level": 2 }), json!("all")] {
        let (status, err) = set(&app, &alice, &general, body.clone()).await;
        assert_eq!((status, error_code(&err).as_str()), (StatusCode::BAD_REQUEST, "invalid_input"), "{body}: {err}");
    }
    let oversized = "x".repeat(300 * 1024);
    let resp = app
        .http
        .put(app.url(&path(&general)))
        .bearer_auth(&alice.token)
        .json(&json!({ "level": "all", "pad": oversized }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let resp = app.http.put(app.url(&path(&general))).bearer_auth(&alice.token).body("level=all").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(level_in_list(&app, &alice, &general).await, "nothing");
}

#[tokio::test]
async fn the_members_other_tabs_hear_of_it_and_nobody_else() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let general = app.create_channel(&alice, "general", "public").await;
    app.invite(&alice, &general, &bob).await;
    let mut sockets = Vec::new();
    for user in [&alice, &alice, &bob] {
        let mut socket = ws_connect(&app, user).await;
        assert_eq!(ws_subscribe(&mut socket, None).await["type"], "subscribed");
        sockets.push(socket);
    }
    for socket in &mut sockets {
        ws_drain(socket, QUIET).await;
    }
    let (status, _) = set(&app, &alice, &general, json!({ "level": "nothing" })).await;
    assert_eq!(status, StatusCode::OK);
    let mut frames = Vec::new();
    for socket in &mut sockets {
        frames.push(ws_drain(socket, QUIET).await);
    }
    // Its seq is alice's read position: not a change of the conversation.
    let shown = |frames: &[Value]| -> Vec<(Value, Value, Value)> {
        frames.iter().map(|f| (f["type"].clone(), f["conversationId"].clone(), f["data"].clone())).collect()
    };
    let expected =
        vec![(json!("chat:notificationLevel"), json!(general), json!({ "userId": "alice", "level": "nothing" }))];
    assert_eq!(shown(&frames[0]), expected, "alice's first tab");
    assert_eq!(shown(&frames[1]), expected, "alice's second tab");
    assert!(frames[2].is_empty(), "bob hears nothing of alice's setting: {:?}", frames[2]);
    // Not a change of the conversation: catch-up never replays it.
    let (_, changes) = app.get(&alice, &format!("/api/v1/chat/conversations/{general}/changes?afterSeq=0")).await;
    let kinds: Vec<&str> = changes["items"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert!(!kinds.contains(&"chat:notificationLevel"), "{kinds:?}");
}

#[tokio::test]
async fn setting_levels_is_rate_limited() {
    let mut opts = StackOptions::ephemeral();
    opts.rate_limits =
        RateLimits { notification_levels: Some(Rate { count: 2, window_secs: 60 }), ..RateLimits::default() };
    let app = spawn_app_with(opts).await;
    let alice = app.user("acme", "alice").await;
    let general = app.create_channel(&alice, "general", "public").await;
    for level in ["all", "nothing"] {
        assert_eq!(set(&app, &alice, &general, json!({ "level": level })).await.0, StatusCode::OK);
    }
    let (status, err) = set(&app, &alice, &general, json!({ "level": "mentions" })).await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"));
    assert_eq!(level_in_list(&app, &alice, &general).await, "nothing", "the refused one changed nothing");
}

/// The use case on a store: the level is written on the membership and read back with it;
/// leaving drops it with the membership.
async fn stored_on_the_membership(store: Arc<dyn Store>) {
    let chat = Chat::new(store, Arc::new(SystemClock), Arc::new(NoEvents));
    let alice = caller("acme", "alice", &[]);
    let bob = caller("acme", "bob", &[]);
    let carol = caller("acme", "carol", &[]);
    let dave = caller("globex", "dave", &[]);
    for c in [&alice, &bob, &carol, &dave] {
        chat.ensure_profile(c).await.unwrap();
    }
    let channel =
        chat.create_channel(&alice, ChannelName::parse("general").unwrap(), Visibility::Public, None).await.unwrap();
    assert_eq!(channel.notification_level, NotificationLevel::Mentions);
    chat.invite(&alice, &channel.id, &bob.user).await.unwrap();
    let dm = chat.open_dm(&alice, &bob.user).await.unwrap();
    assert_eq!(dm.notification_level, NotificationLevel::All);

    let set = chat.set_notification_level(&bob, &channel.id, NotificationLevel::Nothing).await.unwrap();
    assert_eq!((set.user_id.as_str(), set.level), ("bob", NotificationLevel::Nothing));
    chat.set_notification_level(&bob, &dm.id, NotificationLevel::Mentions).await.unwrap();
    let level =
        |list: Vec<ConversationSummary>, id| list.into_iter().find(|c| c.id == id).map(|c| c.notification_level);
    let list = chat.list_conversations(&bob).await.unwrap();
    assert_eq!(level(list.clone(), channel.id.clone()), Some(NotificationLevel::Nothing));
    assert_eq!(level(list, dm.id.clone()), Some(NotificationLevel::Mentions));
    assert_eq!(chat.summary(&alice, &channel.id).await.unwrap().notification_level, NotificationLevel::Mentions);

    // Not a member: a public channel says join first, nothing else says it exists.
    let refused = chat.set_notification_level(&carol, &channel.id, NotificationLevel::All).await;
    assert!(matches!(refused, Err(ChatError::Forbidden { .. })), "{refused:?}");
    let refused = chat.set_notification_level(&carol, &dm.id, NotificationLevel::All).await;
    assert!(matches!(refused, Err(ChatError::NotFound(_))), "{refused:?}");
    let refused = chat.set_notification_level(&dave, &channel.id, NotificationLevel::All).await;
    assert!(matches!(refused, Err(ChatError::NotFound(_))), "{refused:?}");

    // Leaving takes the membership and its level; joining again starts from the default.
    chat.leave(&bob, &channel.id).await.unwrap();
    assert!(chat.set_notification_level(&bob, &channel.id, NotificationLevel::All).await.is_err());
    let back = chat.join(&bob, &channel.id).await.unwrap();
    assert_eq!(back.notification_level, NotificationLevel::Mentions);
}

#[tokio::test]
async fn stored_on_the_membership_in_sqlite() {
    stored_on_the_membership(Arc::new(SqliteStore::in_memory(Arc::new(SystemClock)).unwrap())).await;
}

#[tokio::test]
async fn stored_on_the_membership_in_dynamodb() {
    stored_on_the_membership(Arc::new(moto_store().await)).await;
}
