//! Real WebSocket clients against the local stack: who receives each of the six events (every
//! tab of every member, nobody else), reconnect with catch-up, bad frames, the emulator's
//! refusals and idle timeout, and the API Gateway Management adapter against the emulator's
//! `@connections` API.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures::SinkExt;
use integration_tests::*;
use local::StackOptions;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shared::adapters::aws::apigw::ApiGatewayPush;
use shared::adapters::aws::sdk::sdk_config;
use shared::domain::ids::ConnectionId;
use shared::persistence::keys;
use shared::ports::clock::SystemClock;
use shared::ports::push::{Push, PushError};
use shared::ports::store::{Query, Store};
use shared::realtime::Realtime;
use tokio_tungstenite::tungstenite::Message;

const QUIET: Duration = Duration::from_millis(300);

struct Tab {
    who: &'static str,
    socket: Socket,
}

async fn tab(app: &TestApp, user: &TestUser, who: &'static str) -> Tab {
    let mut socket = ws_connect(app, user).await;
    let ack = ws_subscribe(&mut socket, None).await;
    assert_eq!(ack["type"], "subscribed", "{ack}");
    Tab { who, socket }
}

/// Drains every tab and returns, per event type, which tabs got it (by name).
async fn received(tabs: &mut [Tab]) -> Vec<(String, String, u64)> {
    let drained = futures::future::join_all(
        tabs.iter_mut().map(|tab| async move { (tab.who, ws_drain(&mut tab.socket, QUIET).await) }),
    )
    .await;
    let mut out = Vec::new();
    for (who, frames) in drained {
        for frame in frames {
            let kind = frame["type"].as_str().unwrap_or_default().to_owned();
            out.push((who.to_owned(), kind, frame["seq"].as_u64().unwrap_or(0)));
        }
    }
    out
}

fn who_got(events: &[(String, String, u64)], kind: &str) -> Vec<String> {
    let mut names: Vec<String> = events.iter().filter(|(_, k, _)| k == kind).map(|(w, _, _)| w.clone()).collect();
    names.sort();
    names
}

fn names(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn each_event_reaches_exactly_the_members_connections() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let carol = app.user("acme", "carol").await;
    let dave = app.user("globex", "dave").await;
    let public = app.create_channel(&alice, "general", "public").await;
    let private = app.create_channel(&alice, "secret", "private").await;
    let globex = app.create_channel(&dave, "general", "public").await;
    app.invite(&alice, &public, &bob).await;
    app.invite(&alice, &public, &carol).await;
    app.invite(&alice, &private, &bob).await;
    let dm = app.open_dm(&alice, &carol).await;

    let mut tabs = vec![
        tab(&app, &alice, "alice-1").await,
        tab(&app, &alice, "alice-2").await,
        tab(&app, &bob, "bob-1").await,
        tab(&app, &bob, "bob-2").await,
        tab(&app, &carol, "carol").await,
        tab(&app, &dave, "dave").await,
    ];

    // Private channel: alice's and bob's tabs only.
    let m = app.send(&alice, &private, "s1", "secret plan").await;
    let got = received(&mut tabs).await;
    assert_eq!(who_got(&got, "chat:newMessage"), names(&["alice-1", "alice-2", "bob-1", "bob-2"]));
    assert!(got.iter().all(|(_, _, seq)| *seq == m["seq"].as_u64().unwrap()));

    let id = m["id"].as_str().unwrap();
    app.call(
        Method::PATCH,
        &format!("/api/v1/chat/conversations/{private}/messages/{id}"),
        Some(&alice),
        Some(json!({ "body": "new plan" })),
    )
    .await;
    let got = received(&mut tabs).await;
    assert_eq!(who_got(&got, "chat:messageUpdated"), names(&["alice-1", "alice-2", "bob-1", "bob-2"]));
    app.call(Method::DELETE, &format!("/api/v1/chat/conversations/{private}/messages/{id}"), Some(&alice), None).await;
    let got = received(&mut tabs).await;
    assert_eq!(who_got(&got, "chat:messageDeleted"), names(&["alice-1", "alice-2", "bob-1", "bob-2"]));
    assert_eq!(got.len(), 4);

    // DM: exactly the two people.
    app.send(&carol, &dm, "d1", "hi alice").await;
    let got = received(&mut tabs).await;
    assert_eq!(who_got(&got, "chat:newMessage"), names(&["alice-1", "alice-2", "carol"]));
    assert_eq!(got.len(), 3);

    // Public channel: its members; never the other tenant.
    app.send(&bob, &public, "p1", "hello all").await;
    let got = received(&mut tabs).await;
    assert_eq!(who_got(&got, "chat:newMessage"), names(&["alice-1", "alice-2", "bob-1", "bob-2", "carol"]));
    app.send(&dave, &globex, "g1", "globex only").await;
    let got = received(&mut tabs).await;
    assert_eq!(who_got(&got, "chat:newMessage"), names(&["dave"]));

    // Member added: the channel's members and every tab of the new member.
    app.invite(&alice, &private, &carol).await;
    let got = received(&mut tabs).await;
    assert_eq!(who_got(&got, "chat:memberAdded"), names(&["alice-1", "alice-2", "bob-1", "bob-2", "carol"]));
    // Carol's client subscribes to the new channel, as the web client does on memberAdded.
    let carol_tab = tabs.iter_mut().find(|t| t.who == "carol").unwrap();
    let ack = ws_subscribe(&mut carol_tab.socket, Some(vec![private.clone()])).await;
    assert_eq!(ack["type"], "subscribed");
    app.send(&bob, &private, "s2", "welcome carol").await;
    let got = received(&mut tabs).await;
    assert_eq!(who_got(&got, "chat:newMessage"), names(&["alice-1", "alice-2", "bob-1", "bob-2", "carol"]));

    // Member removed: the removed member hears it once, then nothing more from there.
    let (status, _) =
        app.call(Method::DELETE, &format!("/api/v1/chat/channels/{private}/members/carol"), Some(&alice), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let got = received(&mut tabs).await;
    assert_eq!(who_got(&got, "chat:memberRemoved"), names(&["alice-1", "alice-2", "bob-1", "bob-2", "carol"]));
    app.send(&bob, &private, "s3", "carol is gone").await;
    let got = received(&mut tabs).await;
    assert_eq!(who_got(&got, "chat:newMessage"), names(&["alice-1", "alice-2", "bob-1", "bob-2"]));

    // Read: only the reader's own tabs.
    let last = app.send(&alice, &public, "p2", "read me").await;
    received(&mut tabs).await;
    let (status, _) =
        app.post(&bob, &format!("/api/v1/chat/conversations/{public}/read"), json!({ "messageId": last["id"] })).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let got = received(&mut tabs).await;
    assert_eq!(who_got(&got, "chat:conversationRead"), names(&["bob-1", "bob-2"]));
    assert_eq!(got.len(), 2);
}

#[tokio::test]
async fn a_new_dm_reaches_the_other_person_before_its_first_message() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let carol = app.user("acme", "carol").await;
    let bob = app.user("acme", "bob").await;
    let dave = app.user("globex", "dave").await;
    // Profiles exist once a user has been seen.
    for user in [&alice, &carol, &bob, &dave] {
        app.get(user, "/api/v1/me").await;
    }
    let mut tabs = vec![
        tab(&app, &alice, "alice").await,
        tab(&app, &carol, "carol-1").await,
        tab(&app, &carol, "carol-2").await,
        tab(&app, &bob, "bob").await,
        tab(&app, &dave, "dave").await,
    ];

    let dm = app.open_dm(&alice, &carol).await;
    let drained = futures::future::join_all(
        tabs.iter_mut().map(|tab| async move { (tab.who, ws_drain(&mut tab.socket, QUIET).await) }),
    )
    .await;
    let mut added: Vec<(String, String, u64)> = Vec::new();
    for (who, frames) in drained {
        for frame in frames {
            assert_eq!(frame["type"], "chat:memberAdded", "{who} got {frame}");
            assert_eq!(frame["conversationId"], dm.as_str(), "{frame}");
            let user = frame["data"]["userId"].as_str().unwrap_or_default().to_owned();
            added.push((who.to_owned(), user, frame["seq"].as_u64().unwrap_or(0)));
        }
    }
    added.sort();
    assert_eq!(
        added,
        vec![
            ("alice".to_owned(), "alice".to_owned(), 1),
            ("carol-1".to_owned(), "carol".to_owned(), 2),
            ("carol-2".to_owned(), "carol".to_owned(), 2),
        ],
        "each person's own tabs hear of their joining; bob and dave hear nothing"
    );

    // Opening it again (either side) changes nothing and tells nobody.
    assert_eq!(app.open_dm(&carol, &alice).await, dm);
    assert_eq!(received(&mut tabs).await, Vec::new());

    // Carol's client subscribes on memberAdded, as the web client does; the first message is live.
    let carol_tab = tabs.iter_mut().find(|t| t.who == "carol-1").unwrap();
    let ack = ws_subscribe(&mut carol_tab.socket, Some(vec![dm.clone()])).await;
    assert_eq!(ack["conversations"][0]["lastSeq"], 2, "{ack}");
    let first = app.send(&alice, &dm, "dm-1", "hi carol").await;
    assert_eq!(first["seq"], 3);
    let got = received(&mut tabs).await;
    assert_eq!(who_got(&got, "chat:newMessage"), names(&["carol-1"]));

    // A client that was offline replays the joining from the change log.
    let (status, changes) = app.get(&carol, &format!("/api/v1/chat/conversations/{dm}/changes?afterSeq=0")).await;
    assert_eq!(status, StatusCode::OK, "{changes}");
    let kinds: Vec<&str> = changes["items"].as_array().unwrap().iter().filter_map(|c| c["type"].as_str()).collect();
    assert_eq!(kinds, ["chat:memberAdded", "chat:memberAdded", "chat:newMessage"], "{changes}");
}

#[tokio::test]
async fn a_reconnecting_client_catches_up_to_exactly_the_servers_state() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let channel = app.create_channel(&alice, "general", "public").await;
    app.invite(&alice, &channel, &bob).await;
    let first = app.send(&alice, &channel, "before", "before the gap").await;

    // Bob's client state: messages by id, and the last seq it holds.
    let mut socket = ws_connect(&app, &bob).await;
    let ack = ws_subscribe(&mut socket, None).await;
    let held =
        ack["conversations"].as_array().unwrap().iter().find(|c| c["conversationId"] == channel.as_str()).unwrap()
            ["lastSeq"]
            .as_u64()
            .unwrap();
    let mut state: HashMap<String, Value> = HashMap::new();
    state.insert(first["id"].as_str().unwrap().to_owned(), first.clone());
    socket.close(None).await.unwrap();
    drop(socket);

    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            app.send(&alice, &channel, &format!("gap{i}"), &format!("during the gap {i}")).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    app.call(
        Method::PATCH,
        &format!("/api/v1/chat/conversations/{channel}/messages/{}", ids[1]),
        Some(&alice),
        Some(json!({ "body": "edited in the gap" })),
    )
    .await;
    app.call(Method::DELETE, &format!("/api/v1/chat/conversations/{channel}/messages/{}", ids[2]), Some(&alice), None)
        .await;

    // Reconnect → subscribe → ack carries lastSeq → fetch changes after the seq held.
    let mut socket = ws_connect(&app, &bob).await;
    let ack = ws_subscribe(&mut socket, Some(vec![channel.clone()])).await;
    let server_seq = ack["conversations"][0]["lastSeq"].as_u64().unwrap();
    assert_eq!(server_seq, held + 7);
    let (_, changes) = app.get(&bob, &format!("/api/v1/chat/conversations/{channel}/changes?afterSeq={held}")).await;
    let mut applied_seqs = HashSet::new();
    for change in changes["items"].as_array().unwrap() {
        assert!(applied_seqs.insert(change["seq"].as_u64().unwrap()), "no duplicate changes");
        let data = &change["data"];
        state.insert(data["id"].as_str().unwrap().to_owned(), data.clone());
    }
    assert_eq!(changes["lastSeq"].as_u64().unwrap(), server_seq);
    assert_eq!(applied_seqs.len(), 7);
    let (_, history) = app.get(&bob, &format!("/api/v1/chat/conversations/{channel}/messages")).await;
    let server: HashMap<String, Value> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["id"].as_str().unwrap().to_owned(), m.clone()))
        .collect();
    assert_eq!(state, server);
    assert_eq!(state[&ids[1]]["body"], "edited in the gap");
    assert!(state[&ids[2]]["deletedAt"].is_string());
    // And the live path works again after the catch-up.
    app.send(&alice, &channel, "after", "after the gap").await;
    let frame = ws_next(&mut socket, Duration::from_secs(5)).await.expect("live event");
    assert_eq!(frame["type"], "chat:newMessage");
    assert_eq!(frame["seq"].as_u64().unwrap(), server_seq + 1);
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_nothing_breaks() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let private = app.create_channel(&alice, "secret", "private").await;
    let bobs = app.create_channel(&bob, "bobs", "public").await;
    let mut bystander = ws_connect(&app, &bob).await;
    ws_subscribe(&mut bystander, None).await;
    let mut socket = ws_connect(&app, &bob).await;

    let cases: Vec<(Message, &str)> = vec![
        (Message::Text("{not json".into()), "invalid_json"),
        (Message::Text(json!({ "action": "dance" }).to_string().into()), "unknown_action"),
        (Message::Text(json!({ "no": "action" }).to_string().into()), "unknown_action"),
        (
            Message::Text(json!({ "action": "subscribe", "conversationIds": "nope" }).to_string().into()),
            "invalid_frame",
        ),
        (
            Message::Text(json!({ "action": "subscribe", "conversationIds": ["bad id"] }).to_string().into()),
            "invalid_input",
        ),
        (Message::Text(json!({ "action": "subscribe", "conversationIds": [private] }).to_string().into()), "not_found"),
        (
            Message::Text(json!({ "action": "ping", "padding": "x".repeat(40 * 1024) }).to_string().into()),
            "frame_too_large",
        ),
        (Message::Binary(vec![0, 159, 146, 150].into()), "binary_not_supported"),
    ];
    for (frame, code) in cases {
        socket.send(frame).await.unwrap();
        let reply = ws_next(&mut socket, Duration::from_secs(5)).await.expect("an answer");
        assert_eq!(reply["type"], "error", "{reply}");
        assert_eq!(reply["code"], code, "{reply}");
        assert!(reply["message"].is_string());
    }
    // Rapid frames: every ping answered, in order, nothing dropped.
    for _ in 0..300 {
        ws_send(&mut socket, json!({ "action": "ping" })).await;
    }
    let pongs = ws_drain(&mut socket, Duration::from_millis(500)).await;
    assert_eq!(pongs.len(), 300);
    assert!(pongs.iter().all(|p| p["type"] == "pong"));
    // A subscribe storm is answered frame by frame.
    for _ in 0..50 {
        ws_send(&mut socket, json!({ "action": "subscribe" })).await;
    }
    let acks = ws_drain(&mut socket, Duration::from_millis(500)).await;
    assert_eq!(acks.len(), 50);
    assert!(acks.iter().all(|a| a["type"] == "subscribed"));
    // The connection and the server are still up, and the bystander saw none of it.
    ws_send(&mut socket, json!({ "action": "ping" })).await;
    assert_eq!(ws_next(&mut socket, Duration::from_secs(5)).await.unwrap()["type"], "pong");
    assert!(ws_drain(&mut bystander, QUIET).await.is_empty());
    app.send(&bob, &bobs, "x", "still works").await;
    assert_eq!(ws_next(&mut bystander, Duration::from_secs(5)).await.unwrap()["type"], "chat:newMessage");
    // A huge frame (2 MiB, past what API Gateway accepts) closes that socket only; the server
    // and everyone else carry on.
    let mut reckless = ws_connect(&app, &bob).await;
    let _ = reckless.send(Message::Text("x".repeat(2 * 1024 * 1024).into())).await;
    assert!(ws_next(&mut reckless, Duration::from_secs(3)).await.is_none(), "the oversized socket is closed");
    let mut fresh = ws_connect(&app, &bob).await;
    ws_send(&mut fresh, json!({ "action": "ping" })).await;
    assert_eq!(ws_next(&mut fresh, Duration::from_secs(5)).await.unwrap()["type"], "pong");
    // The private channel was never subscribed: nothing from it reaches bob.
    app.send(&alice, &private, "s", "not for bob").await;
    let frames = ws_drain(&mut socket, QUIET).await;
    assert!(frames.iter().all(|f| f["conversationId"] != private.as_str()), "{frames:?}");
}

#[tokio::test]
async fn connections_are_refused_before_they_exist() {
    let app = spawn_app().await;
    for url in [app.stack.ws_url(), format!("{}?token=garbage", app.stack.ws_url())] {
        let err = tokio_tungstenite::connect_async(url).await.expect_err("refused");
        match err {
            tokio_tungstenite::tungstenite::Error::Http(resp) => assert_eq!(resp.status(), 401),
            other => panic!("expected an HTTP refusal, got {other}"),
        }
    }
    assert!(app.stack.registry.is_empty());
}

#[tokio::test]
async fn idle_connections_are_closed_like_api_gateway_does() {
    let mut opts = StackOptions::ephemeral();
    opts.idle_timeout = Duration::from_millis(600);
    let app = spawn_app_with(opts).await;
    let alice = app.user("acme", "alice").await;
    let mut socket = ws_connect(&app, &alice).await;
    // Pinging keeps it open past the idle time...
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        ws_send(&mut socket, json!({ "action": "ping" })).await;
        assert_eq!(ws_next(&mut socket, Duration::from_secs(2)).await.unwrap()["type"], "pong");
    }
    // ...silence closes it, and $disconnect forgets it.
    assert!(ws_next(&mut socket, Duration::from_secs(3)).await.is_none());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(app.stack.registry.is_empty());
    let conns = app
        .stack
        .store
        .query(&Query::prefix(keys::user_pk(&"acme".parse_tenant(), &"alice".parse_user()), keys::CONNECTION_PREFIX))
        .await
        .unwrap();
    assert!(conns.items.is_empty());
}

trait ParseIds {
    fn parse_tenant(&self) -> shared::domain::ids::TenantId;
    fn parse_user(&self) -> shared::domain::ids::UserId;
}
impl ParseIds for &str {
    fn parse_tenant(&self) -> shared::domain::ids::TenantId {
        shared::domain::ids::TenantId::parse(self).unwrap()
    }
    fn parse_user(&self) -> shared::domain::ids::UserId {
        shared::domain::ids::UserId::parse(self).unwrap()
    }
}

async fn connection_ids(app: &TestApp, tenant: &str, user: &str) -> Vec<ConnectionId> {
    let page = app
        .stack
        .store
        .query(&Query::prefix(keys::user_pk(&tenant.parse_tenant(), &user.parse_user()), keys::CONNECTION_PREFIX))
        .await
        .unwrap();
    page.items.iter().map(|i| ConnectionId::parse(i.attrs["connectionId"].as_str().unwrap()).unwrap()).collect()
}

#[tokio::test]
async fn the_api_gateway_adapter_posts_and_cleans_up_gone_connections() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let channel = app.create_channel(&alice, "general", "public").await;
    let mut socket = ws_connect(&app, &alice).await;
    ws_subscribe(&mut socket, None).await;
    let live = connection_ids(&app, "acme", "alice").await.pop().expect("connection stored");

    // The real SDK client, speaking to the emulator's @connections API with the stack's own
    // credentials (SigV4-signed, as API Gateway requires).
    let sdk = sdk_config(Some(&app.stack.http_url()))
        .await
        .expect("sdk config")
        .to_builder()
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
            (*app.stack.management).clone(),
        ))
        .build();
    let endpoint = format!("{}/_ws", app.stack.http_url());
    let push = Arc::new(ApiGatewayPush::new(&sdk, &endpoint));

    // Anyone else is refused: unsigned (a page's form post, a local process), or signed with
    // other keys, or with the stack's key id and a wrong secret.
    let http = reqwest::Client::new();
    let frame = format!("{}/_ws/@connections/{live}", app.stack.http_url());
    let unsigned = http.post(&frame).body(r#"{"type":"forged"}"#).send().await.unwrap();
    assert_eq!(unsigned.status(), StatusCode::FORBIDDEN);
    assert_eq!(http.get(&frame).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    for credentials in [
        aws_credential_types::Credentials::new("test", "test", None, None, "moto"),
        aws_credential_types::Credentials::new(app.stack.management.access_key_id(), "guess", None, None, "guess"),
    ] {
        let other = sdk
            .to_builder()
            .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(credentials))
            .build();
        let forged = ApiGatewayPush::new(&other, &endpoint).post(&live, br#"{"type":"forged"}"#).await;
        assert!(matches!(forged, Err(PushError::Failed(_))), "{forged:?}");
    }

    push.post(&live, br#"{"type":"hello"}"#).await.expect("posted");
    assert_eq!(ws_next(&mut socket, Duration::from_secs(5)).await.unwrap()["type"], "hello");
    let ghost = ConnectionId::parse("ghost-connection").unwrap();
    assert_eq!(push.post(&ghost, b"{}").await, Err(PushError::Gone));

    // A stale connection (its socket long gone, its items still in the table) is forgotten on
    // the 410, and the live one still receives.
    let store: Arc<dyn Store> = Arc::new(app.stack.store.clone());
    let realtime = Realtime::new(
        store.clone(),
        push.clone(),
        Arc::new(SystemClock),
        Arc::new(shared::ops::Metrics::new(Arc::new(SystemClock), 1000)),
    );
    let caller = app.stack.chat.as_ref();
    let _ = caller;
    let alice_caller = shared::Caller {
        tenant: "acme".parse_tenant(),
        user: "alice".parse_user(),
        roles: vec![],
        display_name: shared::domain::values::DisplayName::parse("Alice").unwrap(),
        suggested_handle: shared::domain::values::Handle::parse("alice").unwrap(),
    };
    realtime.connect(&alice_caller, &ghost, None).await.unwrap();
    realtime.subscribe(&ghost, None).await.unwrap();
    assert_eq!(connection_ids(&app, "acme", "alice").await.len(), 2);
    let conversation = shared::domain::ids::ConversationId::parse(&channel).unwrap();
    let event = shared::domain::Event::new(
        conversation.clone(),
        99,
        shared::domain::Change::MessageDeleted(shared::domain::MessageState::Removed(
            shared::domain::RemovedMessage::new(
                shared::domain::ids::MessageId::from_ulid(ulid::Ulid::new()),
                conversation,
            ),
        )),
    );
    let report = realtime.fanout(&"acme".parse_tenant(), &event).await.unwrap();
    assert_eq!((report.recipients, report.delivered, report.gone), (2, 1, 1));
    assert_eq!(connection_ids(&app, "acme", "alice").await, vec![live.clone()], "only THAT connection is deleted");
    let subs = store
        .query(&Query::prefix(
            keys::subscriptions_pk(&"acme".parse_tenant(), &event.conversation_id),
            keys::CONNECTION_PREFIX,
        ))
        .await
        .unwrap();
    assert_eq!(subs.items.len(), 1);
    assert_eq!(ws_next(&mut socket, Duration::from_secs(5)).await.unwrap()["seq"], 99);

    // GET and DELETE @connections: the documented management API.
    let management = aws_sdk_apigatewaymanagement::Client::from_conf(
        aws_sdk_apigatewaymanagement::config::Builder::from(&sdk).endpoint_url(&endpoint).build(),
    );
    let info = management.get_connection().connection_id(live.to_string()).send().await.expect("connection info");
    assert!(info.connected_at().is_some());
    push.close(&live).await.expect("closed by the server");
    assert!(ws_next(&mut socket, Duration::from_secs(3)).await.is_none());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let gone = management.get_connection().connection_id(live.to_string()).send().await;
    assert_eq!(gone.err().and_then(|e| e.raw_response().map(|r| r.status().as_u16())), Some(410));
}

/// A connection lives no longer than its token: after `exp` fan-out no longer reaches it (its
/// items expired with the token), a subscribe answers `token_expired` and the server closes it;
/// a new connection with a fresh token catches up by seq and loses nothing.
#[tokio::test]
async fn a_connection_stops_receiving_when_its_token_expires() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let channel = app.create_channel(&alice, "expiry", "public").await;
    app.invite(&alice, &channel, &bob).await;
    let now = shared::ports::clock::Clock::now_ms(&SystemClock) as u64 / 1000;
    let short = shared::auth::Claims {
        sub: "bob".into(),
        tenant_id: Some("acme".into()),
        name: Some("Bob Tester".into()),
        exp: now + 2,
        iat: Some(now),
        iss: shared::auth::DEV_ISSUER.into(),
        aud: shared::auth::DEV_AUDIENCE.into(),
        ..Default::default()
    };
    let short_lived =
        TestUser { tenant: "acme".into(), id: "bob".into(), token: app.stack.auth.issue_dev_token(&short).unwrap() };
    let mut socket = ws_connect(&app, &short_lived).await;
    assert_eq!(ws_subscribe(&mut socket, None).await["type"], "subscribed");
    app.send(&alice, &channel, "before", "while the token is valid").await;
    let live = ws_drain(&mut socket, QUIET).await;
    assert!(live.iter().any(|f| f["type"] == "chat:newMessage"), "{live:?}");

    tokio::time::sleep(Duration::from_millis(3_100)).await;
    let sent = app.send(&alice, &channel, "after", "after the token expired").await;
    assert!(ws_drain(&mut socket, QUIET).await.is_empty(), "an expired connection receives nothing");
    ws_send(&mut socket, json!({ "action": "subscribe" })).await;
    let refused = ws_next(&mut socket, Duration::from_secs(5)).await.expect("an answer");
    assert_eq!(refused["code"], "token_expired", "{refused}");
    assert!(ws_next(&mut socket, Duration::from_secs(5)).await.is_none(), "the server closed the connection");

    // Reconnected with a fresh token: catch-up from the last seq seen delivers the message.
    let mut fresh = ws_connect(&app, &bob).await;
    assert_eq!(ws_subscribe(&mut fresh, None).await["type"], "subscribed");
    let (status, changes) = app.get(&bob, &format!("/api/v1/chat/conversations/{channel}/changes?afterSeq=0")).await;
    assert_eq!(status, StatusCode::OK, "{changes}");
    assert!(changes["items"].as_array().unwrap().iter().any(|e| e["data"]["id"] == sent["id"]), "{changes}");
}
