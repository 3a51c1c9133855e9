//! Unread and mention counts from counters and read positions, under concurrency and through
//! edits, deletes, leaving and rejoining; the user directory's prefix search.

use integration_tests::{error_code, spawn_app, TestApp, TestUser};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn counts(app: &TestApp, user: &TestUser, conversation: &str) -> Option<(u64, u64)> {
    let (status, list) = app.get(user, "/api/v1/chat/conversations").await;
    assert_eq!(status, StatusCode::OK);
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == conversation)
        .map(|c| (c["unreadCount"].as_u64().unwrap(), c["mentionCount"].as_u64().unwrap()))
}

/// The caller's read position in a conversation, as the conversation list reports it.
async fn read_seq(app: &TestApp, user: &TestUser, conversation: &str) -> u64 {
    let (status, list) = app.get(user, "/api/v1/chat/conversations").await;
    assert_eq!(status, StatusCode::OK);
    let found = list["items"].as_array().unwrap().iter().find(|c| c["id"] == conversation).cloned();
    found.and_then(|c| c["readSeq"].as_u64()).expect("readSeq in the summary")
}

async fn send_mentioning(
    app: &TestApp,
    user: &TestUser,
    c: &str,
    cmid: &str,
    body: &str,
    mentions: &[&TestUser],
) -> Value {
    let ids: Vec<&str> = mentions.iter().map(|u| u.id.as_str()).collect();
    let (status, message) = app
        .post(
            user,
            &format!("/api/v1/chat/conversations/{c}/messages"),
            json!({ "clientMessageId": cmid, "body": body, "mentions": ids }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    message
}

async fn read(app: &TestApp, user: &TestUser, c: &str, message: &Value) {
    let (status, body) =
        app.post(user, &format!("/api/v1/chat/conversations/{c}/read"), json!({ "messageId": message["id"] })).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
}

#[tokio::test]
async fn fifty_concurrent_senders_leave_exact_counts() {
    let app = spawn_app().await;
    let owner = app.user("acme", "owner").await;
    let reader = app.user("acme", "reader").await;
    let quiet = app.user("acme", "quiet").await;
    let channel = app.create_channel(&owner, "busy", "public").await;
    app.invite(&owner, &channel, &reader).await;
    app.invite(&owner, &channel, &quiet).await;
    let mut senders = Vec::new();
    for i in 0..50 {
        let sender = app.user("acme", &format!("sender{i}")).await;
        app.invite(&owner, &channel, &sender).await;
        senders.push(sender);
    }
    let sends = senders.iter().enumerate().map(|(i, sender)| {
        let mentions: Vec<&TestUser> = if i % 5 == 0 { vec![&reader] } else { vec![] };
        let app = &app;
        let channel = &channel;
        async move { send_mentioning(app, sender, channel, &format!("c{i}"), &format!("hello {i}"), &mentions).await }
    });
    let messages = futures::future::join_all(sends).await;
    assert_eq!(counts(&app, &reader, &channel).await, Some((50, 10)));
    assert_eq!(counts(&app, &quiet, &channel).await, Some((50, 0)));

    // Read up to the 25th message (by seq): exactly the rest stays unread, mentions likewise.
    let mut by_seq = messages.clone();
    by_seq.sort_by_key(|m| m["seq"].as_u64().unwrap());
    read(&app, &reader, &channel, &by_seq[24]).await;
    let later_mentions = by_seq[25..].iter().filter(|m| m["mentions"].as_array().unwrap().len() == 1).count() as u64;
    assert_eq!(counts(&app, &reader, &channel).await, Some((25, later_mentions)));
    assert_eq!(read_seq(&app, &reader, &channel).await, by_seq[24]["seq"].as_u64().unwrap());
    // Reading an older message changes nothing; reading the newest clears all.
    read(&app, &reader, &channel, &by_seq[3]).await;
    assert_eq!(counts(&app, &reader, &channel).await, Some((25, later_mentions)));
    assert_eq!(read_seq(&app, &reader, &channel).await, by_seq[24]["seq"].as_u64().unwrap());
    read(&app, &reader, &channel, &by_seq[49]).await;
    assert_eq!(counts(&app, &reader, &channel).await, Some((0, 0)));
    assert_eq!(read_seq(&app, &reader, &channel).await, by_seq[49]["seq"].as_u64().unwrap());
    // Sending moves the sender's own read position to their message.
    let own = send_mentioning(&app, &quiet, &channel, "q1", "caught up", &[]).await;
    assert_eq!(read_seq(&app, &quiet, &channel).await, own["seq"].as_u64().unwrap());
}

#[tokio::test]
async fn edits_deletes_and_rejoining_keep_counts_right() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let carol = app.user("acme", "carol").await;
    let channel = app.create_channel(&alice, "general", "public").await;
    app.invite(&alice, &channel, &bob).await;
    let path = |id: &Value| format!("/api/v1/chat/conversations/{channel}/messages/{}", id.as_str().unwrap());

    let plain = send_mentioning(&app, &alice, &channel, "m1", "no mention yet", &[]).await;
    assert_eq!(counts(&app, &bob, &channel).await, Some((1, 0)));
    // An edit that adds a mention counts; one that removes it stops counting.
    let (status, edited) = app
        .call(
            Method::PATCH,
            &path(&plain["id"]),
            Some(&alice),
            Some(json!({ "body": "hey @bob", "mentions": [bob.id] })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["mentions"], json!(["bob"]));
    assert_eq!(counts(&app, &bob, &channel).await, Some((1, 1)));
    app.call(Method::PATCH, &path(&plain["id"]), Some(&alice), Some(json!({ "body": "never mind", "mentions": [] })))
        .await;
    assert_eq!(counts(&app, &bob, &channel).await, Some((1, 0)));
    // An edit without `mentions` keeps them.
    app.call(
        Method::PATCH,
        &path(&plain["id"]),
        Some(&alice),
        Some(json!({ "body": "hey @bob again", "mentions": [bob.id] })),
    )
    .await;
    app.call(Method::PATCH, &path(&plain["id"]), Some(&alice), Some(json!({ "body": "hey @bob, typo fixed" }))).await;
    assert_eq!(counts(&app, &bob, &channel).await, Some((1, 1)));

    // Deleting unread messages: they stop counting, mentions included.
    let second = send_mentioning(&app, &alice, &channel, "m2", "@bob look", &[&bob]).await;
    let third = send_mentioning(&app, &alice, &channel, "m3", "plain", &[]).await;
    assert_eq!(counts(&app, &bob, &channel).await, Some((3, 2)));
    assert_eq!(app.call(Method::DELETE, &path(&second["id"]), Some(&alice), None).await.0, StatusCode::OK);
    assert_eq!(counts(&app, &bob, &channel).await, Some((2, 1)));
    assert_eq!(app.call(Method::DELETE, &path(&third["id"]), Some(&alice), None).await.0, StatusCode::OK);
    assert_eq!(counts(&app, &bob, &channel).await, Some((1, 1)));

    // A mention added by an edit after bob read that far does not count.
    read(&app, &bob, &channel, &plain).await;
    assert_eq!(counts(&app, &bob, &channel).await, Some((0, 0)));
    let old = send_mentioning(&app, &alice, &channel, "m4", "old news", &[]).await;
    let newest = send_mentioning(&app, &alice, &channel, "m5", "newest", &[]).await;
    read(&app, &bob, &channel, &newest).await;
    app.call(
        Method::PATCH,
        &path(&old["id"]),
        Some(&alice),
        Some(json!({ "body": "old news @bob", "mentions": [bob.id] })),
    )
    .await;
    assert_eq!(counts(&app, &bob, &channel).await, Some((0, 0)));

    // Leaving and rejoining: what was said meanwhile is not unread; new messages are.
    send_mentioning(&app, &alice, &channel, "m6", "@bob before leaving", &[&bob]).await;
    assert_eq!(counts(&app, &bob, &channel).await, Some((1, 1)));
    assert_eq!(
        app.post(&bob, &format!("/api/v1/chat/channels/{channel}/leave"), json!({})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(counts(&app, &bob, &channel).await, None);
    send_mentioning(&app, &alice, &channel, "m7", "while bob is away", &[]).await;
    assert_eq!(app.post(&bob, &format!("/api/v1/chat/channels/{channel}/join"), json!({})).await.0, StatusCode::OK);
    assert_eq!(counts(&app, &bob, &channel).await, Some((0, 0)));
    send_mentioning(&app, &alice, &channel, "m8", "@bob welcome back", &[&bob]).await;
    assert_eq!(counts(&app, &bob, &channel).await, Some((1, 1)));

    // Sending advances the sender's read position, mentions of them included.
    send_mentioning(&app, &bob, &channel, "b1", "thanks", &[]).await;
    assert_eq!(counts(&app, &bob, &channel).await, Some((0, 0)));

    // Someone who cannot read the conversation is not told and learns nothing.
    let private = app.create_channel(&alice, "secret", "private").await;
    let mention = send_mentioning(&app, &alice, &private, "p1", "@carol is not here", &[&carol]).await;
    assert_eq!(mention["mentions"], json!(["carol"]));
    assert_eq!(counts(&app, &carol, &private).await, None);
    let (_, list) = app.get(&carol, "/api/v1/chat/conversations").await;
    assert!(list["items"].as_array().unwrap().iter().all(|c| c["id"] != private.as_str()));
}

#[tokio::test]
async fn mentions_must_name_users_of_the_tenant() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let dave = app.user("globex", "dave").await;
    let channel = app.create_channel(&alice, "general", "public").await;
    let path = format!("/api/v1/chat/conversations/{channel}/messages");
    for mentions in [
        json!(["dave"]),
        json!(["nobody"]),
        json!(["bad#id"]),
        json!((0..21).map(|i| format!("u{i}")).collect::<Vec<_>>()),
    ] {
        let (status, err) =
            app.post(&alice, &path, json!({ "clientMessageId": "x", "body": "hi", "mentions": mentions })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
        assert_eq!(error_code(&err), "invalid_input");
        assert!(err["error"]["message"].as_str().unwrap().starts_with("mentions"), "{err}");
    }
    let _ = dave;
}

#[tokio::test]
async fn autocomplete_matches_handles_and_name_words_in_the_callers_tenant_only() {
    let app = spawn_app().await;
    let searcher = app.user("acme", "searcher").await;
    for (tenant, id, name) in [
        ("acme", "zoe", "Zoë Ångström"),
        ("acme", "emile", "Émile Zola"),
        ("acme", "kenji", "山田 健二"),
        ("acme", "zack", "Zack Morris"),
        ("globex", "zed", "Zoë Globex"),
    ] {
        let token = app.stack.token(tenant, id, name, &[]).unwrap();
        assert_eq!(app.call_token(Method::GET, "/api/v1/me", Some(&token), None).await.0, StatusCode::OK);
    }
    let find = |prefix: &'static str| {
        let app = &app;
        let searcher = &searcher;
        async move {
            let (status, body) = app.get(searcher, &format!("/api/v1/chat/users?prefix={}", urlencode(prefix))).await;
            assert_eq!(status, StatusCode::OK);
            body["items"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(find("z").await, ["emile", "zack", "zoe"], "handles and name words (Zola); never globex's zed");
    assert_eq!(find("zo").await, ["emile", "zoe"], "handle zoe and the word Zola");
    assert_eq!(find("ång").await, ["zoe"], "a non-ASCII word of the name");
    assert_eq!(find("ÅNG").await, ["zoe"], "case-insensitive");
    assert_eq!(find("émi").await, ["emile"]);
    assert_eq!(find("@emi").await, ["emile"], "a leading @ is ignored");
    assert_eq!(find("山田").await, ["kenji"]);
    assert_eq!(find("globex").await, Vec::<String>::new());
    assert!(find("").await.len() <= 20);
    let (_, by_id) = app.get(&searcher, "/api/v1/chat/users?ids=zoe,zed,emile").await;
    let ids: Vec<&str> = by_id["items"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["zoe", "emile"], "lookup by id stays in the tenant");
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}
