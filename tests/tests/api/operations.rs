//! The super-admin debug endpoints: who may read them, and that their numbers move as a scripted
//! session moves them (read from the table, as every Lambda instance would see them).

use std::time::Duration;

use integration_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shared::domain::ids::{ConnectionId, TenantId, UserId};
use shared::domain::values::{DisplayName, Handle};
use shared::Caller;

const ENDPOINTS: [&str; 3] =
    ["/api/v1/super/debug/chat/metrics", "/api/v1/super/debug/chat/rooms", "/api/v1/super/debug/chat/connections"];

#[tokio::test]
async fn only_super_admins_read_the_debug_endpoints() {
    let app = spawn_app().await;
    let root = app.user_with_roles("ops", "root", &["super-admin"]).await;
    let tenant_admin = app.user_with_roles("acme", "alice", &["admin"]).await;
    let member = app.user("acme", "bob").await;
    let other = app.user("globex", "dave").await;
    for path in ENDPOINTS {
        let (status, body) = app.get(&root, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        for user in [&tenant_admin, &member, &other] {
            let (status, err) = app.get(user, path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{} on {path}", user.id);
            assert_eq!(error_code(&err), "forbidden");
        }
        let (status, err) = app.call(Method::GET, path, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(error_code(&err), "unauthenticated");
    }
}

async fn report(app: &TestApp, root: &TestUser) -> Value {
    let (status, body) = app.get(root, "/api/v1/super/debug/chat/metrics?minutes=10").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn n(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

#[tokio::test]
async fn metrics_rooms_and_connections_follow_a_scripted_session() {
    let app = spawn_app().await;
    let root = app.user_with_roles("ops", "root", &["super-admin"]).await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let channel = app.create_channel(&alice, "general", "public").await;
    app.invite(&alice, &channel, &bob).await;
    let before = report(&app, &root).await;

    // Connect 3, send 5, disconnect 1.
    let mut alice1 = ws_connect(&app, &alice).await;
    let mut alice2 = ws_connect(&app, &alice).await;
    let mut bob1 = ws_connect(&app, &bob).await;
    for s in [&mut alice1, &mut alice2, &mut bob1] {
        ws_subscribe(s, None).await;
    }
    for i in 0..5 {
        app.send(&alice, &channel, &format!("m{i}"), "hello").await;
    }
    for s in [&mut alice1, &mut alice2, &mut bob1] {
        assert_eq!(ws_drain(s, Duration::from_millis(300)).await.len(), 5);
    }
    alice2.close(None).await.unwrap();
    drop(alice2);
    tokio::time::sleep(Duration::from_millis(200)).await;

    // A Gone push: a connection whose socket is long gone but whose items remain.
    let ghost = ConnectionId::parse("ghost-1").unwrap();
    let caller = Caller {
        tenant: TenantId::parse("acme").unwrap(),
        user: UserId::parse("bob").unwrap(),
        roles: vec![],
        display_name: DisplayName::parse("Bob").unwrap(),
        suggested_handle: Handle::parse("bob").unwrap(),
    };
    app.stack.realtime.connect(&caller, &ghost, None).await.unwrap();
    app.stack.realtime.subscribe(&ghost, None).await.unwrap();
    app.send(&alice, &channel, "m5", "one more").await;

    let after = report(&app, &root).await;
    let delta = |k: &str| n(&after[k]) - n(&before[k]);
    assert_eq!(delta("connects"), 4, "3 sockets and the ghost");
    assert_eq!(delta("disconnects"), 2, "one closed socket and the ghost's Gone clean-up");
    assert_eq!(delta("goneCleanups"), 1);
    assert_eq!(delta("pushFailures"), 0);
    let pushed = |r: &Value| n(&r["eventsPushed"]["chat:newMessage"]);
    assert_eq!(pushed(&after) - pushed(&before), 5 * 3 + 2, "5 messages to 3 sockets, then 1 to the 2 left");
    assert_eq!(n(&after["connectionsNow"]), 2);
    assert!(n(&after["fanouts"]) - n(&before["fanouts"]) >= 6);
    assert!(after["fanoutLatencyMs"]["p99"].is_u64());
    let sends = |r: &Value| n(&r["requests"]["POST /api/v1/chat/conversations/{id}/messages"]["201"]);
    assert_eq!(sends(&after) - sends(&before), 6);

    let (_, rooms) = app.get(&root, "/api/v1/super/debug/chat/rooms").await;
    let room =
        rooms["items"].as_array().unwrap().iter().find(|r| r["conversationId"] == channel.as_str()).expect("the room");
    assert_eq!((room["tenantId"].as_str(), n(&room["connections"]), n(&room["users"])), (Some("acme"), 2, 2));

    let (_, all) = app.get(&root, "/api/v1/super/debug/chat/connections").await;
    assert_eq!(n(&all["total"]), 2);
    let (_, bobs) = app.get(&root, "/api/v1/super/debug/chat/connections?tenantId=acme&userId=bob").await;
    assert_eq!(n(&bobs["total"]), 1);
    assert_eq!(bobs["items"][0]["userId"], "bob");
    assert!(bobs["items"][0]["connectedAt"].is_string() && bobs["items"][0]["lastSeenAt"].is_string());
    let (_, page1) = app.get(&root, "/api/v1/super/debug/chat/connections?limit=1").await;
    assert_eq!(page1["items"].as_array().unwrap().len(), 1);
    let cursor = page1["nextCursor"].as_str().expect("a second page");
    let (_, page2) = app.get(&root, &format!("/api/v1/super/debug/chat/connections?limit=1&cursor={cursor}")).await;
    assert_ne!(page1["items"][0]["connectionId"], page2["items"][0]["connectionId"]);
    assert!(page2["nextCursor"].is_null());
    let (_, none) = app.get(&root, "/api/v1/super/debug/chat/connections?tenantId=globex").await;
    assert_eq!(none["items"], json!([]));
}
