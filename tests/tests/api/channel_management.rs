//! Managing a channel (issue 22.5): renaming it, editing its topic, archiving and unarchiving
//! it — who may, what an archived channel refuses, and that members see each change live and in
//! catch-up. (Another tenant, a non-member and an anonymous caller are refused in
//! `api_isolation`, whose route list holds these routes.)

use std::time::Duration;

use integration_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn patch(app: &TestApp, user: &TestUser, channel: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::PATCH, &format!("/api/v1/chat/channels/{channel}"), Some(user), Some(body)).await
}

async fn archive(app: &TestApp, user: &TestUser, channel: &str, archived: bool) -> (StatusCode, Value) {
    let action = if archived { "archive" } else { "unarchive" };
    app.post(user, &format!("/api/v1/chat/channels/{channel}/{action}"), json!({})).await
}

async fn summary(app: &TestApp, user: &TestUser, channel: &str) -> Value {
    let (status, body) = app.get(user, &format!("/api/v1/chat/conversations/{channel}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn browse_names(app: &TestApp, user: &TestUser) -> Vec<String> {
    let (status, body) = app.get(user, "/api/v1/chat/channels").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
}

async fn changes_after(app: &TestApp, user: &TestUser, channel: &str, seq: u64) -> Vec<Value> {
    let (status, body) = app.get(user, &format!("/api/v1/chat/conversations/{channel}/changes?afterSeq={seq}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

fn code(response: &(StatusCode, Value)) -> (StatusCode, String) {
    (response.0, error_code(&response.1))
}

#[tokio::test]
async fn a_channel_admin_renames_and_edits_the_topic_and_members_see_it_in_catch_up() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let channel = app.create_channel(&alice, "general", "public").await;
    app.invite(&alice, &channel, &bob).await;
    let before = summary(&app, &bob, &channel).await["lastSeq"].as_u64().unwrap();

    let (status, renamed) = patch(&app, &alice, &channel, json!({ "name": "#Town-Square" })).await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed, json!({ "id": channel, "name": "town-square", "archived": false }));
    let (status, topic) = patch(&app, &alice, &channel, json!({ "topic": "  Plans for Q3  " })).await;
    assert_eq!((status, topic["topic"].as_str()), (StatusCode::OK, Some("Plans for Q3")));

    let bobs = summary(&app, &bob, &channel).await;
    assert_eq!((bobs["name"].as_str(), bobs["topic"].as_str()), (Some("town-square"), Some("Plans for Q3")));
    assert_eq!(bobs["lastSeq"].as_u64(), Some(before + 2), "each change took the next seq");
    assert_eq!(browse_names(&app, &bob).await, ["town-square"]);
    // Catch-up replays both, in order, each with the state it left and who made it.
    let replayed = changes_after(&app, &bob, &channel, before).await;
    assert_eq!(
        replayed,
        [
            json!({ "type": "chat:conversationUpdated", "conversationId": channel, "seq": before + 1,
                "data": { "name": "town-square", "archived": false, "updatedBy": "alice" } }),
            json!({ "type": "chat:conversationUpdated", "conversationId": channel, "seq": before + 2,
                "data": { "name": "town-square", "topic": "Plans for Q3", "archived": false, "updatedBy": "alice" } }),
        ]
    );
    // The old name is free again; the new one is taken among public channels.
    let (status, _) =
        app.post(&bob, "/api/v1/chat/channels", json!({ "name": "general", "visibility": "public" })).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, err) =
        app.post(&bob, "/api/v1/chat/channels", json!({ "name": "town-square", "visibility": "public" })).await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::CONFLICT, "name_taken"));
    // Clearing the topic, and a request that changes nothing takes no seq.
    let (status, cleared) = patch(&app, &alice, &channel, json!({ "topic": "" })).await;
    assert_eq!((status, cleared.get("topic")), (StatusCode::OK, None));
    let (status, _) = patch(&app, &alice, &channel, json!({ "name": "town-square" })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(summary(&app, &bob, &channel).await["lastSeq"].as_u64(), Some(before + 3));
}

#[tokio::test]
async fn renaming_validates_like_creation_and_a_public_name_stays_unique() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let general = app.create_channel(&alice, "general", "public").await;
    let random = app.create_channel(&alice, "random", "public").await;
    let secret = app.create_channel(&alice, "secret", "private").await;

    assert_eq!(
        code(&patch(&app, &alice, &random, json!({ "name": "general" })).await),
        (StatusCode::CONFLICT, "name_taken".into())
    );
    assert_eq!(
        code(&patch(&app, &alice, &random, json!({ "name": "two words" })).await),
        (StatusCode::BAD_REQUEST, "invalid_input".into())
    );
    assert_eq!(
        code(&patch(&app, &alice, &random, json!({ "name": "" })).await),
        (StatusCode::BAD_REQUEST, "invalid_input".into())
    );
    let long_topic = "t".repeat(251);
    assert_eq!(
        code(&patch(&app, &alice, &random, json!({ "topic": long_topic })).await),
        (StatusCode::BAD_REQUEST, "invalid_input".into())
    );
    assert_eq!(
        code(&patch(&app, &alice, &random, json!({ "topic": "two\nlines" })).await),
        (StatusCode::BAD_REQUEST, "invalid_input".into())
    );
    assert_eq!(
        code(&patch(&app, &alice, &random, json!({ "archived": true })).await),
        (StatusCode::BAD_REQUEST, "invalid_input".into())
    );
    // The refused rename lost nothing: both names still browse, each to its own channel.
    let (_, channels) = app.get(&alice, "/api/v1/chat/channels").await;
    let listed: Vec<(&str, &str)> = channels["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["id"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, [("general", general.as_str()), ("random", random.as_str())]);
    // Private names are reserved nowhere (issue 23.2): a private channel may take a public name,
    // and a public one a private channel's.
    assert_eq!(patch(&app, &alice, &secret, json!({ "name": "general" })).await.0, StatusCode::OK);
    assert_eq!(patch(&app, &alice, &random, json!({ "name": "secret" })).await.0, StatusCode::OK);
    assert_eq!(browse_names(&app, &alice).await, ["general", "secret"]);
}

#[tokio::test]
async fn only_channel_admins_and_tenant_admins_manage_a_channel() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let root = app.user_with_roles("acme", "root", &["admin"]).await;
    let public = app.create_channel(&alice, "general", "public").await;
    let private = app.create_channel(&alice, "secret", "private").await;
    app.invite(&alice, &public, &bob).await;
    app.invite(&alice, &private, &bob).await;
    let dm = app.open_dm(&alice, &bob).await;

    // A plain member may not.
    for channel in [&public, &private] {
        let refused = (StatusCode::FORBIDDEN, "not_channel_admin".to_owned());
        assert_eq!(code(&patch(&app, &bob, channel, json!({ "topic": "mine" })).await), refused);
        assert_eq!(code(&archive(&app, &bob, channel, true).await), refused);
    }
    // A DM is no channel.
    assert_eq!(
        code(&patch(&app, &alice, &dm, json!({ "topic": "x" })).await),
        (StatusCode::FORBIDDEN, "not_a_channel".into())
    );
    assert_eq!(code(&archive(&app, &alice, &dm, true).await), (StatusCode::FORBIDDEN, "not_a_channel".into()));
    // A tenant admin manages a public channel they are not in...
    let (status, body) = patch(&app, &root, &public, json!({ "topic": "set by an admin" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(archive(&app, &root, &public, true).await.0, StatusCode::OK);
    assert_eq!(archive(&app, &root, &public, false).await.0, StatusCode::OK);
    let replayed = changes_after(&app, &bob, &public, 0).await;
    assert_eq!(replayed.last().unwrap()["data"]["updatedBy"], "root");
    // ...but a private channel they are not in does not exist for them; they still read nothing.
    assert_eq!(
        code(&patch(&app, &root, &private, json!({ "topic": "x" })).await),
        (StatusCode::NOT_FOUND, "not_found".into())
    );
    assert_eq!(code(&archive(&app, &root, &private, true).await), (StatusCode::NOT_FOUND, "not_found".into()));
    let (status, _) = app.get(&root, &format!("/api/v1/chat/conversations/{private}/messages")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // As one of its members (a plain one), they may.
    app.invite(&alice, &private, &root).await;
    assert_eq!(patch(&app, &root, &private, json!({ "name": "secret-2" })).await.0, StatusCode::OK);
    assert_eq!(summary(&app, &bob, &private).await["name"], "secret-2");
}

#[tokio::test]
async fn an_archived_channel_is_read_only_hidden_from_browse_and_still_readable_by_its_members() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let carol = app.user("acme", "carol").await;
    let channel = app.create_channel(&alice, "launch", "public").await;
    app.invite(&alice, &channel, &bob).await;
    let message = app.send(&bob, &channel, "m1", "the kiwi launch plan").await;
    let id = message["id"].as_str().unwrap();

    let (status, archived) = archive(&app, &alice, &channel, true).await;
    assert_eq!((status, archived["archived"].as_bool()), (StatusCode::OK, Some(true)), "{archived}");
    let refused = (StatusCode::CONFLICT, "conversation_archived".to_owned());
    let messages = format!("/api/v1/chat/conversations/{channel}/messages");
    let writes = [
        (Method::POST, messages.clone(), Some(json!({ "clientMessageId": "m2", "body": "late" }))),
        (Method::POST, messages.clone(), Some(json!({ "clientMessageId": "m3", "body": "reply", "threadRootId": id }))),
        (Method::PATCH, format!("{messages}/{id}"), Some(json!({ "body": "changed" }))),
        (Method::DELETE, format!("{messages}/{id}"), None),
        (Method::PUT, format!("{messages}/{id}/reactions/%F0%9F%91%8D"), None),
        // A file could never be sent there: no upload URL either.
        (
            Method::POST,
            format!("/api/v1/chat/conversations/{channel}/uploads"),
            Some(json!({ "filename": "plan.pdf", "contentType": "application/pdf", "size": 10 })),
        ),
    ];
    for (method, path, body) in writes {
        let response = app.call(method.clone(), &path, Some(&bob), body).await;
        assert_eq!(code(&response), refused, "{method} {path}");
    }
    // Nobody joins or is invited; renaming waits for unarchiving.
    assert_eq!(code(&app.post(&carol, &format!("/api/v1/chat/channels/{channel}/join"), json!({})).await), refused);
    assert_eq!(
        code(
            &app.post(&alice, &format!("/api/v1/chat/channels/{channel}/members"), json!({ "userId": "carol" })).await
        ),
        refused
    );
    assert_eq!(code(&patch(&app, &alice, &channel, json!({ "name": "later" })).await), refused);
    // Hidden from browsing, still listed (marked) and readable for its members, and searchable.
    assert!(browse_names(&app, &carol).await.is_empty());
    let (_, listed) = app.get(&bob, "/api/v1/chat/conversations").await;
    let entry = listed["items"].as_array().unwrap().iter().find(|c| c["id"] == channel.as_str()).cloned().unwrap();
    assert_eq!(entry["archived"], true);
    let (_, history) = app.get(&bob, &messages).await;
    assert_eq!(history["items"][0]["body"], "the kiwi launch plan");
    app.stack.wait_indexed().await.unwrap();
    let (status, found) = app.get(&bob, "/api/v1/chat/search?q=kiwi").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["items"][0]["message"]["id"], id);
    // Unarchiving restores all of it.
    let (status, back) = archive(&app, &alice, &channel, false).await;
    assert_eq!((status, back["archived"].as_bool()), (StatusCode::OK, Some(false)));
    app.send(&bob, &channel, "m4", "we are back").await;
    assert_eq!(browse_names(&app, &carol).await, ["launch"]);
    assert_eq!(app.post(&carol, &format!("/api/v1/chat/channels/{channel}/join"), json!({})).await.0, StatusCode::OK);
    assert_eq!(summary(&app, &bob, &channel).await["archived"], false);
}

#[tokio::test]
async fn a_member_may_leave_an_archived_channel() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let channel = app.create_channel(&alice, "old", "private").await;
    app.invite(&alice, &channel, &bob).await;
    assert_eq!(archive(&app, &alice, &channel, true).await.0, StatusCode::OK);
    let (status, _) = app.post(&bob, &format!("/api/v1/chat/channels/{channel}/leave"), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, listed) = app.get(&bob, "/api/v1/chat/conversations").await;
    assert!(listed["items"].as_array().unwrap().iter().all(|c| c["id"] != channel.as_str()));
}

#[tokio::test]
async fn members_receive_each_change_live() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let channel = app.create_channel(&alice, "general", "public").await;
    app.invite(&alice, &channel, &bob).await;
    let mut socket = ws_connect(&app, &bob).await;
    ws_subscribe(&mut socket, None).await;

    assert_eq!(patch(&app, &alice, &channel, json!({ "name": "town", "topic": "hello" })).await.0, StatusCode::OK);
    assert_eq!(archive(&app, &alice, &channel, true).await.0, StatusCode::OK);
    let mut frames: Vec<Value> = Vec::new();
    while frames.len() < 2 {
        let frame = ws_next(&mut socket, Duration::from_secs(10)).await.expect("the changes arrive");
        if frame["type"] == "chat:conversationUpdated" {
            frames.push(frame);
        }
    }
    let states: Vec<(&str, &str, bool)> = frames
        .iter()
        .map(|f| {
            let d = &f["data"];
            (d["name"].as_str().unwrap(), d["topic"].as_str().unwrap(), d["archived"].as_bool().unwrap())
        })
        .collect();
    assert_eq!(states, [("town", "hello", false), ("town", "hello", true)]);
    assert_eq!(frames[1]["seq"].as_u64(), frames[0]["seq"].as_u64().map(|s| s + 1));
}

#[tokio::test]
async fn channel_settings_are_rate_limited_per_user_and_a_change_of_nothing_is_free() {
    use shared::domain::limits::{Rate, RateLimits};
    let mut opts = local::StackOptions::ephemeral();
    opts.rate_limits = RateLimits { channel_settings: Some(Rate { count: 2, window_secs: 60 }), ..Default::default() };
    let app = spawn_app_with(opts).await;
    let alice = app.user("acme", "alice").await;
    let root = app.user_with_roles("acme", "root", &["admin"]).await;
    let channel = app.create_channel(&alice, "general", "public").await;

    assert_eq!(patch(&app, &alice, &channel, json!({ "topic": "one" })).await.0, StatusCode::OK);
    // The same values again change nothing and spend nothing.
    assert_eq!(patch(&app, &alice, &channel, json!({ "topic": "one" })).await.0, StatusCode::OK);
    assert_eq!(patch(&app, &alice, &channel, json!({ "topic": "two" })).await.0, StatusCode::OK);
    let refused = patch(&app, &alice, &channel, json!({ "topic": "three" })).await;
    assert_eq!(code(&refused), (StatusCode::TOO_MANY_REQUESTS, "rate_limited".into()));
    assert_eq!(summary(&app, &alice, &channel).await["topic"], "two", "the refused change lost nothing");
    // Another user's budget is their own.
    assert_eq!(archive(&app, &root, &channel, true).await.0, StatusCode::OK);
}

/// Retention keeps working in an archived channel: its deletes may take the sequence there.
#[tokio::test]
async fn retention_still_removes_expired_messages_of_an_archived_channel() {
    const DAY_MS: i64 = 24 * 3600 * 1000;
    let clock = shared::ports::clock::ManualClock::new(1_795_680_000_000);
    let app = spawn_app_at(&clock).await;
    let alice = app.user_with_roles("acme", "alice", &["admin"]).await;
    let channel = app.create_channel(&alice, "old-project", "public").await;
    app.send(&alice, &channel, "o1", "an old pelican").await;
    assert_eq!(archive(&app, &alice, &channel, true).await.0, StatusCode::OK);
    let (status, _) =
        app.call(Method::PUT, "/api/v1/chat/retention", Some(&alice), Some(json!({ "retentionDays": 30 }))).await;
    assert_eq!(status, StatusCode::OK);
    clock.advance_ms(40 * DAY_MS);
    app.stack.wait_archived().await.unwrap();
    let (status, report) = app.post(&alice, "/api/v1/dev/retention/run", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let (_, history) = app.get(&alice, &format!("/api/v1/chat/conversations/{channel}/messages")).await;
    assert_eq!(history["items"], json!([]), "{report}");
    assert_eq!(summary(&app, &alice, &channel).await["archived"], true);
}
