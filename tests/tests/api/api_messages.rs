//! Messages over HTTP: the duplicate guard under concurrency, history paging and catch-up with
//! edits and deletes mixed in, and bad input answered with typed 4xx errors.

use std::collections::{HashMap, HashSet};

use integration_tests::{error_code, spawn_app, TestApp, TestUser};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn channel_with_two() -> (TestApp, TestUser, TestUser, String) {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let channel = app.create_channel(&alice, "general", "public").await;
    app.invite(&alice, &channel, &bob).await;
    (app, alice, bob, channel)
}

#[tokio::test]
async fn twenty_concurrent_sends_with_one_client_id_make_one_message() {
    let (app, alice, _, channel) = channel_with_two().await;
    let path = format!("/api/v1/chat/conversations/{channel}/messages");
    let sends = (0..20).map(|_| app.post(&alice, &path, json!({ "clientMessageId": "same-id", "body": "only once" })));
    let results = futures::future::join_all(sends).await;
    let ids: HashSet<&str> = results.iter().map(|(_, m)| m["id"].as_str().expect("message id")).collect();
    assert_eq!(ids.len(), 1, "every caller gets the same message");
    let created = results.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
    assert_eq!(created, 1, "one 201, the rest 200");
    assert!(results.iter().all(|(s, _)| *s == StatusCode::CREATED || *s == StatusCode::OK));
    let (_, history) = app.get(&alice, &path).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 1);
    // Later retries, even with a different body, still return the first message and write nothing.
    let (status, again) =
        app.post(&alice, &path, json!({ "clientMessageId": "same-id", "body": "changed my mind" })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["body"], "only once");
    let (_, changes) =
        app.get(&alice, &format!("/api/v1/chat/conversations/{channel}/changes?afterSeq=0&limit=500")).await;
    let new_messages = changes["items"].as_array().unwrap().iter().filter(|c| c["type"] == "chat:newMessage").count();
    assert_eq!(new_messages, 1);
}

#[tokio::test]
async fn the_same_client_id_from_two_people_makes_two_messages() {
    let (app, alice, bob, channel) = channel_with_two().await;
    let a = app.send(&alice, &channel, "c-1", "from alice").await;
    let b = app.send(&bob, &channel, "c-1", "from bob").await;
    assert_ne!(a["id"], b["id"]);
}

#[tokio::test]
async fn history_and_catch_up_over_250_messages_with_edits_and_deletes() {
    let (app, alice, bob, channel) = channel_with_two().await;
    let (_, start) =
        app.get(&alice, &format!("/api/v1/chat/conversations/{channel}/changes?afterSeq=0&limit=500")).await;
    let start_seq = start["lastSeq"].as_u64().unwrap();
    let mut expected: HashMap<String, Value> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for i in 0..250 {
        let author = if i % 3 == 0 { &bob } else { &alice };
        let message = app.send(author, &channel, &format!("m{i}"), &format!("message {i}")).await;
        let id = message["id"].as_str().unwrap().to_owned();
        order.push(id.clone());
        expected.insert(id.clone(), message);
        if i % 10 == 5 {
            let (status, edited) = app
                .call(
                    Method::PATCH,
                    &format!("/api/v1/chat/conversations/{channel}/messages/{id}"),
                    Some(author),
                    Some(json!({ "body": format!("edited {i}") })),
                )
                .await;
            assert_eq!(status, StatusCode::OK);
            expected.insert(id.clone(), edited);
        }
        if i % 25 == 7 {
            let (status, deleted) = app
                .call(
                    Method::DELETE,
                    &format!("/api/v1/chat/conversations/{channel}/messages/{id}"),
                    Some(author),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(deleted["body"], "");
            expected.insert(id.clone(), deleted);
        }
    }

    // Paging back: every message exactly once, in order.
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/chat/conversations/{channel}/messages?limit=37&before={c}"),
            None => format!("/api/v1/chat/conversations/{channel}/messages?limit=37"),
        };
        let (status, page) = app.get(&bob, &path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let ids: Vec<String> =
            page["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted, "a page is chronological");
        seen.splice(0..0, ids);
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, order);
    // Paging forward from the start gives the same.
    let mut forward: Vec<String> = Vec::new();
    let (_, first) =
        app.get(&bob, &format!("/api/v1/chat/conversations/{channel}/messages?limit=1&before={}", order[1])).await;
    forward.push(first["items"][0]["id"].as_str().unwrap().to_owned());
    loop {
        let (_, page) = app
            .get(
                &bob,
                &format!("/api/v1/chat/conversations/{channel}/messages?limit=100&after={}", forward.last().unwrap()),
            )
            .await;
        forward.extend(page["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_owned()));
        if page["nextCursor"].is_null() {
            break;
        }
    }
    assert_eq!(forward, order);

    // Catch-up from the start: every change, seqs increasing, edits and deletes included, and
    // the final state equals the server's.
    let mut state: HashMap<String, Value> = HashMap::new();
    let mut after = start_seq;
    let mut kinds: HashMap<String, usize> = HashMap::new();
    loop {
        let (_, changes) =
            app.get(&bob, &format!("/api/v1/chat/conversations/{channel}/changes?afterSeq={after}&limit=100")).await;
        for change in changes["items"].as_array().unwrap() {
            let seq = change["seq"].as_u64().unwrap();
            assert!(seq > after, "seqs increase");
            after = seq;
            *kinds.entry(change["type"].as_str().unwrap().to_owned()).or_default() += 1;
            let id = change["data"]["id"].as_str().unwrap().to_owned();
            state.insert(id, change["data"].clone());
        }
        after = after.max(changes["lastSeq"].as_u64().unwrap());
        if !changes["hasMore"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!(kinds["chat:newMessage"], 250);
    assert_eq!(kinds["chat:messageUpdated"], 25);
    assert_eq!(kinds["chat:messageDeleted"], 10);
    assert_eq!(state, expected);
    // A catch-up from a seq in the middle returns only what came after it.
    let (_, tail) =
        app.get(&bob, &format!("/api/v1/chat/conversations/{channel}/changes?afterSeq={}", after - 3)).await;
    assert_eq!(tail["items"].as_array().unwrap().len(), 3);
    assert_eq!(tail["lastSeq"].as_u64().unwrap(), after);
    let (_, none) = app.get(&bob, &format!("/api/v1/chat/conversations/{channel}/changes?afterSeq={after}")).await;
    assert_eq!(none["items"], json!([]));
    assert_eq!(none["hasMore"], false);
}

#[tokio::test]
async fn read_position_only_moves_forward_and_unread_counts_follow() {
    let (app, alice, bob, channel) = channel_with_two().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            app.send(&alice, &channel, &format!("r{i}"), &format!("m{i}")).await["id"].as_str().unwrap().to_owned(),
        );
    }
    let unread = |list: &Value| {
        list["items"].as_array().unwrap().iter().find(|c| c["id"] == channel.as_str()).unwrap()["unreadCount"]
            .as_u64()
            .unwrap()
    };
    let (_, list) = app.get(&bob, "/api/v1/chat/conversations").await;
    assert_eq!(unread(&list), 5);
    let (_, list) = app.get(&alice, "/api/v1/chat/conversations").await;
    assert_eq!(unread(&list), 0, "sending advances the sender's read position");
    let read_path = format!("/api/v1/chat/conversations/{channel}/read");
    assert_eq!(app.post(&bob, &read_path, json!({ "messageId": ids[3] })).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.post(&bob, &read_path, json!({ "messageId": ids[1] })).await.0, StatusCode::NO_CONTENT);
    let (_, list) = app.get(&bob, "/api/v1/chat/conversations").await;
    assert_eq!(unread(&list), 1, "reading an older message never moves the position back");
}

#[tokio::test]
async fn bad_input_gets_typed_4xx_errors() {
    let (app, alice, _, channel) = channel_with_two().await;
    let send_path = format!("/api/v1/chat/conversations/{channel}/messages");
    let url = app.url(&send_path);
    let raw = |body: &'static str, content_type: &'static str| {
        app.http.post(&url).bearer_auth(&alice.token).header("content-type", content_type).body(body).send()
    };
    let cases: Vec<(reqwest::Response, StatusCode, &str)> = vec![
        (raw("{not json", "application/json").await.unwrap(), StatusCode::BAD_REQUEST, "invalid_json"),
        (
            raw(r#"{"clientMessageId": 5, "body": "x"}"#, "application/json").await.unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (raw(r#"{"body": "x"}"#, "application/json").await.unwrap(), StatusCode::BAD_REQUEST, "invalid_input"),
        (
            raw(r#"{"clientMessageId": "a", "body": "x"}"#, "text/plain").await.unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
    ];
    for (resp, status, code) in cases {
        assert_eq!(resp.status(), status);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(error_code(&body), code);
    }
    let oversized = "x".repeat(300 * 1024);
    let resp = app
        .http
        .post(&url)
        .bearer_auth(&alice.token)
        .json(&json!({ "clientMessageId": "big", "body": oversized }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&resp.json().await.unwrap()), "payload_too_large");

    let send = |cmid: &str, body: Value| app.post(&alice, &send_path, json!({ "clientMessageId": cmid, "body": body }));
    for (cmid, body, field) in [
        ("e1", json!(""), "body"),
        ("e2", json!("   \n\t "), "body"),
        ("e3", json!("x".repeat(40_001)), "body"),
        ("e4", json!("nul\u{0}byte"), "body"),
        ("bad#id", json!("fine"), "clientMessageId"),
        ("", json!("fine"), "clientMessageId"),
    ] {
        let (status, err) = send(cmid, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{cmid}: {err}");
        assert_eq!(error_code(&err), "invalid_input");
        assert!(err["error"]["message"].as_str().unwrap().starts_with(field), "{err}");
    }
    assert_eq!(send("ok40k", json!("é".repeat(40_000))).await.0, StatusCode::CREATED);

    for (method, path, body) in [
        (Method::GET, "/api/v1/chat/conversations/not-an-id/messages".to_owned(), None),
        (Method::GET, format!("/api/v1/chat/conversations/{channel}/messages?before=nope"), None),
        (Method::GET, format!("/api/v1/chat/conversations/{channel}/messages?limit=0"), None),
        (Method::GET, format!("/api/v1/chat/conversations/{channel}/messages?limit=101"), None),
        (Method::GET, format!("/api/v1/chat/conversations/{channel}/messages?limit=-1"), None),
        (Method::GET, format!("/api/v1/chat/conversations/{channel}/changes?afterSeq=abc"), None),
        (Method::PATCH, format!("/api/v1/chat/conversations/{channel}/messages/xyz"), Some(json!({ "body": "x" }))),
        (
            Method::POST,
            "/api/v1/chat/channels".to_owned(),
            Some(json!({ "name": "has space", "visibility": "public" })),
        ),
        (Method::POST, "/api/v1/chat/channels".to_owned(), Some(json!({ "name": "ok", "visibility": "secret" }))),
        (
            Method::POST,
            "/api/v1/chat/channels".to_owned(),
            Some(json!({ "name": "ok", "visibility": "public", "topic": "x".repeat(251) })),
        ),
        (Method::POST, "/api/v1/chat/dms".to_owned(), Some(json!({ "userId": "alice" }))),
        (Method::POST, "/api/v1/chat/dms".to_owned(), Some(json!({ "userId": "a#b" }))),
        (Method::POST, format!("/api/v1/chat/conversations/{channel}/read"), Some(json!({ "messageId": 12 }))),
    ] {
        let (status, err) = app.call(method.clone(), &path, Some(&alice), body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}: {err}");
        error_code(&err);
    }
    for (method, path) in [
        (Method::GET, format!("/api/v1/chat/conversations/C{}/messages", ulid::Ulid::new())),
        (Method::PATCH, format!("/api/v1/chat/conversations/{channel}/messages/{}", ulid::Ulid::new())),
        (Method::GET, "/api/v1/nothing-here".to_owned()),
    ] {
        let (status, err) = app.call(method.clone(), &path, Some(&alice), Some(json!({ "body": "x" }))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {err}");
        assert_eq!(error_code(&err), "not_found");
    }
    let (status, err) =
        app.post(&alice, "/api/v1/chat/channels", json!({ "name": "General", "visibility": "public" })).await;
    assert_eq!(
        (status, error_code(&err).as_str()),
        (StatusCode::CONFLICT, "name_taken"),
        "public names are unique per tenant, case-insensitively"
    );
    // Nothing was lost or half-written: the one good message is there.
    let (_, history) = app.get(&alice, &send_path).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn channel_names_are_unique_per_tenant_only() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let dave = app.user("globex", "dave").await;
    app.create_channel(&alice, "general", "public").await;
    app.create_channel(&dave, "general", "public").await;
}

/// Issue 23.2: creating a channel answers the same whether or not a private channel of that
/// name exists, so nobody learns a private channel's name by trying it.
#[tokio::test]
async fn private_channel_names_are_no_oracle() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let mallory = app.user("acme", "mallory").await;
    let secret = app.create_channel(&alice, "layoffs", "private").await;
    for visibility in ["public", "private"] {
        let (status, body) =
            app.post(&mallory, "/api/v1/chat/channels", json!({ "name": "Layoffs", "visibility": visibility })).await;
        assert_eq!(status, StatusCode::CREATED, "{visibility} #layoffs beside a private one: {body}");
        assert_ne!(body["id"].as_str(), Some(secret.as_str()));
    }
    // A public name is still unique, and says so.
    let (status, err) =
        app.post(&alice, "/api/v1/chat/channels", json!({ "name": "layoffs", "visibility": "public" })).await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::CONFLICT, "name_taken"));
    // Mallory's own channels of that name are hers alone; alice's private one stays alice's.
    let (_, mine) = app.get(&mallory, "/api/v1/chat/conversations").await;
    let ids: Vec<&str> = mine["items"].as_array().unwrap().iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(ids.len(), 2, "{mine}");
    assert!(!ids.contains(&secret.as_str()));
}

#[tokio::test]
async fn openapi_document_lists_every_route() {
    let app = spawn_app().await;
    let (status, doc) = app.call(Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/me",
        "/api/v1/chat/conversations",
        "/api/v1/chat/channels",
        "/api/v1/chat/channels/{id}/join",
        "/api/v1/chat/dms",
        "/api/v1/chat/conversations/{id}/messages",
        "/api/v1/chat/conversations/{id}/messages/{message_id}",
        "/api/v1/chat/conversations/{id}/changes",
        "/api/v1/chat/conversations/{id}/read",
    ] {
        assert!(paths.contains_key(path), "{path} missing from the OpenAPI document");
    }
}

#[tokio::test]
async fn a_client_further_behind_than_the_change_log_is_told_to_reload() {
    use integration_tests::spawn_app_at;
    use shared::persistence::change_log::CHANGE_LOG_SECS;
    use shared::ports::clock::ManualClock;

    let clock = ManualClock::new(1_795_680_000_000);
    let app = spawn_app_at(&clock).await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let channel = app.create_channel(&alice, "general", "public").await;
    app.invite(&alice, &channel, &bob).await;
    app.send(&alice, &channel, "a", "before the gap").await;
    app.send(&alice, &channel, "b", "also before").await;
    let path = |after: u64| format!("/api/v1/chat/conversations/{channel}/changes?afterSeq={after}");
    let (status, fresh) = app.get(&bob, &path(0)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fresh["resync"], false);
    let held = fresh["lastSeq"].as_u64().unwrap();
    assert_eq!(fresh["items"].as_array().unwrap().len() as u64, held, "every change from the first is kept");

    clock.advance_ms((CHANGE_LOG_SECS + 24 * 3600) * 1000);
    let after_gap = app.send(&alice, &channel, "c", "after the gap").await;

    // From before the expired records: no partial answer, a reload from where the log is now.
    let (_, behind) = app.get(&bob, &path(0)).await;
    assert_eq!(behind["resync"], true, "{behind} held {held} {fresh}");
    assert_eq!(behind["items"], json!([]));
    assert_eq!(behind["lastSeq"].as_u64().unwrap(), held + 1);
    // From what is still kept: the changes as usual.
    let (_, current) = app.get(&bob, &path(held)).await;
    assert_eq!(current["resync"], false);
    let items = current["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["data"]["id"], after_gap["id"]);
    let (_, none) = app.get(&bob, &path(held + 1)).await;
    assert_eq!((none["resync"].clone(), none["items"].clone()), (json!(false), json!([])));
    // Only the log expires: the history still has every message.
    let (_, history) = app.get(&bob, &format!("/api/v1/chat/conversations/{channel}/messages")).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 3);
}
