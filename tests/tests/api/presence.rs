//! Typing and presence over real sockets on the local stack: who hears a `chat:typing`, who may
//! watch whose presence, which transitions are published (only real ones), the grace that makes
//! a quick reconnect invisible, and the rate limits on both signals.

use std::time::Duration;

use integration_tests::*;
use local::StackOptions;
use serde_json::{json, Value};
use shared::domain::limits::{Rate, RateLimits};

const QUIET: Duration = Duration::from_millis(300);
const WAIT: Duration = Duration::from_secs(5);

async fn app_with(grace_ms: u64, limits: RateLimits) -> TestApp {
    let mut opts = StackOptions::ephemeral();
    opts.limits.presence_grace_ms = grace_ms;
    opts.rate_limits = limits;
    spawn_app_with(opts).await
}

async fn subscribed(app: &TestApp, user: &TestUser) -> Socket {
    let mut socket = ws_connect(app, user).await;
    let ack = ws_subscribe(&mut socket, None).await;
    assert_eq!(ack["type"], "subscribed", "{ack}");
    socket
}

/// The next frame of `kind`, skipping others (e.g. a `chat:presence` while waiting for a reply).
async fn next_of(socket: &mut Socket, kind: &str) -> Value {
    loop {
        let frame = ws_next(socket, WAIT).await.unwrap_or_else(|| panic!("no {kind} frame"));
        if frame["type"] == kind {
            return frame;
        }
    }
}

async fn watch(socket: &mut Socket, ids: &[&str]) -> Value {
    ws_send(socket, json!({ "action": "presenceSubscribe", "userIds": ids })).await;
    next_of(socket, "presence").await
}

fn statuses(frame: &Value) -> Vec<(String, String)> {
    let users = frame["users"].as_array().cloned().unwrap_or_default();
    users
        .iter()
        .map(|u| {
            (u["userId"].as_str().unwrap_or_default().to_owned(), u["status"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

fn pair(user: &str, status: &str) -> (String, String) {
    (user.to_owned(), status.to_owned())
}

#[tokio::test]
async fn typing_reaches_the_other_members_only_and_is_never_answered() {
    let app = app_with(0, RateLimits::default()).await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let carol = app.user("acme", "carol").await;
    let dave = app.user("globex", "dave").await;
    let channel = app.create_channel(&alice, "general", "private").await;
    app.invite(&alice, &channel, &bob).await;
    app.create_channel(&carol, "elsewhere", "public").await;
    let mut alice_tab = subscribed(&app, &alice).await;
    let mut alice_other_tab = subscribed(&app, &alice).await;
    let mut bob_tab = subscribed(&app, &bob).await;
    let mut carol_tab = subscribed(&app, &carol).await;
    let mut dave_tab = subscribed(&app, &dave).await;
    for tab in [&mut alice_tab, &mut alice_other_tab, &mut bob_tab, &mut carol_tab, &mut dave_tab] {
        ws_drain(tab, QUIET).await;
    }

    ws_send(&mut bob_tab, json!({ "action": "typing", "conversationId": channel })).await;
    let expected = json!({ "type": "chat:typing", "conversationId": channel, "userId": "bob" });
    assert_eq!(next_of(&mut alice_tab, "chat:typing").await, expected);
    assert_eq!(next_of(&mut alice_other_tab, "chat:typing").await, expected);
    assert_eq!(ws_drain(&mut bob_tab, QUIET).await, Vec::<Value>::new(), "the typer hears nothing back");

    // A non-member of the same tenant and another tenant's user are refused, and nobody is told.
    for tab in [&mut carol_tab, &mut dave_tab] {
        ws_send(tab, json!({ "action": "typing", "conversationId": channel })).await;
        let reply = ws_next(tab, WAIT).await.expect("an answer");
        assert_eq!(reply["code"], "not_found", "{reply}");
    }
    assert_eq!(ws_drain(&mut alice_tab, QUIET).await, Vec::<Value>::new());
    assert_eq!(ws_drain(&mut bob_tab, QUIET).await, Vec::<Value>::new());

    ws_send(&mut bob_tab, json!({ "action": "typing", "conversationId": "not an id" })).await;
    assert_eq!(ws_next(&mut bob_tab, WAIT).await.expect("an answer")["code"], "invalid_input");
    ws_send(&mut bob_tab, json!({ "action": "typing" })).await;
    assert_eq!(ws_next(&mut bob_tab, WAIT).await.expect("an answer")["code"], "invalid_frame");
}

#[tokio::test]
async fn an_anonymous_caller_gets_no_socket_to_type_or_watch_on() {
    let app = app_with(0, RateLimits::default()).await;
    let url = app.stack.ws_url();
    assert!(tokio_tungstenite::connect_async(url).await.is_err(), "a socket without a token");
    let bad = format!("{}?token=not-a-token", app.stack.ws_url());
    assert!(tokio_tungstenite::connect_async(bad).await.is_err(), "a socket with a bad token");
}

#[tokio::test]
async fn typing_and_presence_frames_are_rate_limited_per_connection() {
    let limits = RateLimits {
        typing: Some(Rate { count: 2, window_secs: 60 }),
        presence: Some(Rate { count: 1, window_secs: 60 }),
        ..RateLimits::default()
    };
    let app = app_with(0, limits).await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let channel = app.create_channel(&alice, "general", "public").await;
    app.invite(&alice, &channel, &bob).await;
    let mut bob_tab = subscribed(&app, &bob).await;
    for _ in 0..2 {
        ws_send(&mut bob_tab, json!({ "action": "typing", "conversationId": channel })).await;
    }
    ws_send(&mut bob_tab, json!({ "action": "typing", "conversationId": channel })).await;
    let refused = next_of(&mut bob_tab, "error").await;
    assert_eq!(refused["code"], "rate_limited", "{refused}");
    assert!(refused["retryAfter"].as_u64().is_some_and(|s| s > 0));

    assert_eq!(watch(&mut bob_tab, &["alice"]).await["type"], "presence");
    ws_send(&mut bob_tab, json!({ "action": "presenceSubscribe", "userIds": ["alice"] })).await;
    assert_eq!(next_of(&mut bob_tab, "error").await["code"], "rate_limited");
}

#[tokio::test]
async fn presence_is_told_only_to_people_sharing_a_conversation_and_only_on_real_transitions() {
    let app = app_with(0, RateLimits::default()).await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let carol = app.user("acme", "carol").await;
    let dave = app.user("globex", "dave").await;
    app.open_dm(&alice, &bob).await;
    app.create_channel(&carol, "elsewhere", "public").await;
    let globex = app.create_channel(&dave, "general", "public").await;
    assert!(!globex.is_empty());

    let mut alice_tab = subscribed(&app, &alice).await;
    let reply = watch(&mut alice_tab, &["bob", "carol", "dave", "alice"]).await;
    // Carol shares nothing with Alice; "dave" names nobody in acme; Alice's own status comes apart.
    assert_eq!(statuses(&reply), vec![pair("bob", "offline")]);
    assert_eq!((reply["status"].as_str(), reply["away"].as_bool()), (Some("online"), Some(false)));
    let mut carol_tab = subscribed(&app, &carol).await;
    assert_eq!(statuses(&watch(&mut carol_tab, &["bob"]).await), Vec::new());
    let mut dave_tab = subscribed(&app, &dave).await;
    assert_eq!(statuses(&watch(&mut dave_tab, &["bob"]).await), Vec::new());

    // Bob's first tab: online. His second tab: nothing.
    let mut bob_tab = subscribed(&app, &bob).await;
    assert_eq!(statuses(&next_of(&mut alice_tab, "chat:presence").await), vec![pair("bob", "online")]);
    let mut bob_other_tab = subscribed(&app, &bob).await;
    assert_eq!(ws_drain(&mut alice_tab, QUIET).await, Vec::<Value>::new());

    // One tab idle while the other is active changes nothing; both idle is away.
    ws_send(&mut bob_tab, json!({ "action": "presence", "idle": true })).await;
    assert_eq!(next_of(&mut bob_tab, "presence").await["status"], "online");
    assert_eq!(ws_drain(&mut alice_tab, QUIET).await, Vec::<Value>::new());
    ws_send(&mut bob_other_tab, json!({ "action": "presence", "idle": true })).await;
    assert_eq!(statuses(&next_of(&mut alice_tab, "chat:presence").await), vec![pair("bob", "away")]);
    // Bob's own tabs hear it too, with his choice (none).
    let own = next_of(&mut bob_tab, "chat:presence").await;
    assert_eq!((statuses(&own), own["away"].as_bool()), (vec![pair("bob", "away")], Some(false)));

    // Active again, then away by choice: each a transition, each told once.
    ws_send(&mut bob_tab, json!({ "action": "presence", "idle": false })).await;
    assert_eq!(statuses(&next_of(&mut alice_tab, "chat:presence").await), vec![pair("bob", "online")]);
    ws_drain(&mut bob_other_tab, QUIET).await;
    ws_send(&mut bob_tab, json!({ "action": "presence", "away": true })).await;
    assert_eq!(statuses(&next_of(&mut alice_tab, "chat:presence").await), vec![pair("bob", "away")]);
    let other = next_of(&mut bob_other_tab, "chat:presence").await;
    assert_eq!(other["away"], true, "every tab of Bob's learns his choice: {other}");
    ws_send(&mut bob_tab, json!({ "action": "presence", "away": true, "idle": true })).await;
    assert_eq!(next_of(&mut bob_tab, "error").await["code"], "invalid_input");

    // A watcher who reconnects sees the stored status.
    let mut alice_again = subscribed(&app, &alice).await;
    assert_eq!(statuses(&watch(&mut alice_again, &["bob"]).await), vec![pair("bob", "away")]);

    // Both tabs closed: offline, told to the watchers only, and never to Carol or Dave.
    drop(bob_tab);
    drop(bob_other_tab);
    assert_eq!(statuses(&next_of(&mut alice_tab, "chat:presence").await), vec![pair("bob", "offline")]);
    assert_eq!(statuses(&next_of(&mut alice_again, "chat:presence").await), vec![pair("bob", "offline")]);
    assert_eq!(ws_drain(&mut carol_tab, QUIET).await, Vec::<Value>::new());
    assert_eq!(ws_drain(&mut dave_tab, QUIET).await, Vec::<Value>::new());
}

#[tokio::test]
async fn a_quick_reconnect_publishes_nothing() {
    let app = app_with(1_500, RateLimits::default()).await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    app.open_dm(&alice, &bob).await;
    let mut alice_tab = subscribed(&app, &alice).await;
    let bob_tab = subscribed(&app, &bob).await;
    assert_eq!(statuses(&watch(&mut alice_tab, &["bob"]).await), vec![pair("bob", "online")]);
    ws_drain(&mut alice_tab, QUIET).await;
    drop(bob_tab);
    let bob_back = subscribed(&app, &bob).await;
    // Past the grace: the disconnect settled and found Bob still connected.
    assert_eq!(ws_drain(&mut alice_tab, Duration::from_millis(2_500)).await, Vec::<Value>::new());
    drop(bob_back);
    assert_eq!(statuses(&next_of(&mut alice_tab, "chat:presence").await), vec![pair("bob", "offline")]);
}

#[tokio::test]
async fn too_many_ids_or_a_bad_one_are_refused() {
    let app = app_with(0, RateLimits::default()).await;
    let alice = app.user("acme", "alice").await;
    let mut tab = subscribed(&app, &alice).await;
    let many: Vec<String> = (0..101).map(|i| format!("user{i}")).collect();
    ws_send(&mut tab, json!({ "action": "presenceSubscribe", "userIds": many })).await;
    assert_eq!(next_of(&mut tab, "error").await["code"], "invalid_input");
    ws_send(&mut tab, json!({ "action": "presenceSubscribe", "userIds": ["bad id!"] })).await;
    assert_eq!(next_of(&mut tab, "error").await["code"], "invalid_input");
}
