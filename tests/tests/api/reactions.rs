//! Reactions (issue 21, point 2): one per (user, emoji, message), idempotent both ways; the
//! summary on the message in history; live events and catch-up for adds and removes; the
//! 50-emoji limit and concurrent reactions under races; their own rate limit; and reactions never
//! move read positions, unread counts or mentions.

use std::time::Duration;

use integration_tests::*;
use local::StackOptions;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shared::domain::limits::{Rate, RateLimits};

/// The emoji as a path segment (percent-encoded UTF-8).
fn segment(emoji: &str) -> String {
    emoji.bytes().map(|b| format!("%{b:02X}")).collect()
}

fn reaction_path(c: &str, m: &str, emoji: &str) -> String {
    format!("/api/v1/chat/conversations/{c}/messages/{m}/reactions/{}", segment(emoji))
}

async fn react(app: &TestApp, user: &TestUser, c: &str, m: &str, emoji: &str) -> (StatusCode, Value) {
    app.call(Method::PUT, &reaction_path(c, m, emoji), Some(user), None).await
}

async fn unreact(app: &TestApp, user: &TestUser, c: &str, m: &str, emoji: &str) -> (StatusCode, Value) {
    app.call(Method::DELETE, &reaction_path(c, m, emoji), Some(user), None).await
}

/// The message's reactions as history shows them: `[(emoji, count, userIds)]`.
async fn reactions_in_history(app: &TestApp, user: &TestUser, c: &str, m: &str) -> Vec<(String, u64, Vec<String>)> {
    let (status, page) = app.get(user, &format!("/api/v1/chat/conversations/{c}/messages")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let message = page["items"].as_array().unwrap().iter().find(|i| i["id"] == m).cloned().expect("message in history");
    summary(&message["reactions"])
}

fn summary(reactions: &Value) -> Vec<(String, u64, Vec<String>)> {
    let Some(list) = reactions.as_array() else {
        assert!(reactions.is_null(), "reactions are absent or a list: {reactions}");
        return Vec::new();
    };
    list.iter()
        .map(|r| {
            let users: Vec<String> =
                r["userIds"].as_array().unwrap().iter().map(|u| u.as_str().unwrap().into()).collect();
            assert_eq!(r["count"].as_u64().unwrap(), users.len() as u64, "count is the number of users: {r}");
            (r["emoji"].as_str().unwrap().to_owned(), r["count"].as_u64().unwrap(), users)
        })
        .collect()
}

async fn last_seq(app: &TestApp, user: &TestUser, c: &str) -> u64 {
    let (status, changes) =
        app.get(user, &format!("/api/v1/chat/conversations/{c}/changes?afterSeq=0&limit=500")).await;
    assert_eq!(status, StatusCode::OK, "{changes}");
    changes["lastSeq"].as_u64().unwrap()
}

/// The conversation as the caller's sidebar sees it: (unreadCount, mentionCount, readSeq).
async fn sidebar(app: &TestApp, user: &TestUser, c: &str) -> (u64, u64, u64) {
    let (status, list) = app.get(user, "/api/v1/chat/conversations").await;
    assert_eq!(status, StatusCode::OK);
    let item = list["items"].as_array().unwrap().iter().find(|i| i["id"] == c).cloned().expect("listed");
    (item["unreadCount"].as_u64().unwrap(), item["mentionCount"].as_u64().unwrap(), item["readSeq"].as_u64().unwrap())
}

struct Room {
    app: TestApp,
    alice: TestUser,
    bob: TestUser,
    channel: String,
    message: String,
}

async fn room_with(opts: StackOptions) -> Room {
    let app = spawn_app_with(opts).await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let channel = app.create_channel(&alice, "general", "public").await;
    app.invite(&alice, &channel, &bob).await;
    let message = app.send(&alice, &channel, "m1", "ship it?").await["id"].as_str().unwrap().to_owned();
    Room { app, alice, bob, channel, message }
}

async fn room() -> Room {
    room_with(StackOptions::ephemeral()).await
}

#[tokio::test]
async fn adding_twice_and_removing_what_one_did_not_add_change_nothing() {
    let Room { app, alice, bob, channel, message } = room().await;
    let before = last_seq(&app, &alice, &channel).await;

    let (status, body) = react(&app, &alice, &channel, &message, "👍").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["messageId"], message.as_str());
    assert_eq!(summary(&body["reactions"]), [("👍".to_owned(), 1, vec!["alice".to_owned()])]);
    assert_eq!(last_seq(&app, &alice, &channel).await, before + 1, "a reaction takes the next seq");

    // Again: the same answer, nothing written.
    let (status, again) = react(&app, &alice, &channel, &message, "👍").await;
    assert_eq!((status, &again["reactions"]), (StatusCode::OK, &body["reactions"]));
    assert_eq!(last_seq(&app, &alice, &channel).await, before + 1, "adding twice takes no seq");

    // Bob removing a reaction he never added, and an emoji nobody used: nothing.
    let (status, same) = unreact(&app, &bob, &channel, &message, "👍").await;
    assert_eq!((status, &same["reactions"]), (StatusCode::OK, &body["reactions"]));
    let (status, _) = unreact(&app, &bob, &channel, &message, "🎉").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(last_seq(&app, &alice, &channel).await, before + 1, "removing what one did not add takes no seq");

    // Bob joins in; "❤" and "❤️" are one reaction; first-use order is kept.
    react(&app, &bob, &channel, &message, "❤").await;
    react(&app, &bob, &channel, &message, "👍").await;
    let (status, body) = react(&app, &alice, &channel, &message, "❤️").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let expected = vec![
        ("👍".to_owned(), 2, vec!["alice".to_owned(), "bob".to_owned()]),
        ("❤️".to_owned(), 2, vec!["bob".to_owned(), "alice".to_owned()]),
    ];
    assert_eq!(summary(&body["reactions"]), expected);
    assert_eq!(reactions_in_history(&app, &bob, &channel, &message).await, expected);

    // Alice takes hers back: bob's stays; the last one out removes the emoji.
    unreact(&app, &alice, &channel, &message, "👍").await;
    let (_, body) = unreact(&app, &alice, &channel, &message, "❤️").await;
    unreact(&app, &bob, &channel, &message, "❤️").await;
    assert_eq!(summary(&body["reactions"]).len(), 2);
    assert_eq!(
        reactions_in_history(&app, &alice, &channel, &message).await,
        [("👍".to_owned(), 1, vec!["bob".into()])]
    );
    unreact(&app, &bob, &channel, &message, "👍").await;
    let (_, page) = app.get(&alice, &format!("/api/v1/chat/conversations/{channel}/messages")).await;
    assert!(page["items"][0].get("reactions").is_none(), "no reactions: the field is absent: {page}");
}

#[tokio::test]
async fn anything_but_one_emoji_is_a_typed_400_and_a_deleted_message_takes_none() {
    let Room { app, alice, bob, channel, message } = room().await;
    for bad in ["a", "👍👍", ":thumbsup:", "👍 x"] {
        let (status, err) = react(&app, &alice, &channel, &message, bad).await;
        assert_eq!((status, error_code(&err).as_str()), (StatusCode::BAD_REQUEST, "invalid_input"), "{bad}: {err}");
        assert!(err["error"]["message"].as_str().unwrap().starts_with("emoji "), "{err}");
    }
    let ghost = ulid::Ulid::new().to_string();
    let (status, err) = react(&app, &alice, &channel, &ghost, "👍").await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::NOT_FOUND, "not_found"));

    react(&app, &bob, &channel, &message, "🎉").await;
    let (status, deleted) = app
        .call(Method::DELETE, &format!("/api/v1/chat/conversations/{channel}/messages/{message}"), Some(&alice), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(deleted.get("reactions").is_none(), "a deleted message shows no reactions: {deleted}");
    for (status, err) in
        [react(&app, &bob, &channel, &message, "👍").await, unreact(&app, &bob, &channel, &message, "🎉").await]
    {
        assert_eq!((status, error_code(&err).as_str()), (StatusCode::CONFLICT, "message_deleted"), "{err}");
    }
    assert_eq!(reactions_in_history(&app, &alice, &channel, &message).await, []);
}

#[tokio::test]
async fn a_message_carries_at_most_fifty_distinct_emoji_even_when_raced() {
    let Room { app, alice, channel, message, .. } = room().await;
    // U+1F600.. (the emoticons block): sixty distinct emoji.
    let emoji: Vec<String> = (0..60).map(|i| char::from_u32(0x1F600 + i).unwrap().to_string()).collect();
    let mut users = Vec::new();
    for i in 0..60 {
        let user = app.user("acme", &format!("fan{i}")).await;
        app.invite(&alice, &channel, &user).await;
        users.push(user);
    }
    // Sixty members each add a different emoji at once: exactly fifty make it.
    let attempts = users.iter().zip(&emoji).map(|(user, e)| {
        let (app, channel, message) = (&app, &channel, &message);
        async move { react(app, user, channel, message, e).await }
    });
    let answers = futures::future::join_all(attempts).await;
    let ok = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let refused: Vec<&Value> = answers.iter().filter(|(s, _)| *s != StatusCode::OK).map(|(_, b)| b).collect();
    assert_eq!(ok, 50, "{refused:?}");
    for err in refused {
        assert_eq!(error_code(err), "too_many_reactions", "{err}");
    }
    let held = reactions_in_history(&app, &alice, &channel, &message).await;
    assert_eq!(held.len(), 50);
    // More people on an emoji already there still count.
    let (status, body) = react(&app, &alice, &channel, &message, &held[0].0).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(summary(&body["reactions"])[0].1, 2);
}

#[tokio::test]
async fn members_reacting_at_once_are_all_counted() {
    let Room { app, alice, channel, message, .. } = room().await;
    let mut users = Vec::new();
    for i in 0..25 {
        let user = app.user("acme", &format!("crowd{i}")).await;
        app.invite(&alice, &channel, &user).await;
        users.push(user);
    }
    let before = last_seq(&app, &alice, &channel).await;
    let attempts = users.iter().map(|user| {
        let (app, channel, message) = (&app, &channel, &message);
        async move {
            let (status, body) = react(app, user, channel, message, "🚀").await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    });
    futures::future::join_all(attempts).await;
    let held = reactions_in_history(&app, &alice, &channel, &message).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].1, 25);
    let mut who = held[0].2.clone();
    who.sort();
    let mut expected: Vec<String> = users.iter().map(|u| u.id.clone()).collect();
    expected.sort();
    assert_eq!(who, expected);
    assert_eq!(last_seq(&app, &alice, &channel).await, before + 25, "one seq per reaction, no holes");
}

#[tokio::test]
async fn reactions_have_their_own_rate_limit_and_a_no_op_spends_none() {
    let mut opts = StackOptions::ephemeral();
    opts.rate_limits = RateLimits { reactions: Some(Rate { count: 3, window_secs: 60 }), ..RateLimits::default() };
    let Room { app, alice, bob, channel, message } = room_with(opts).await;
    for e in ["👍", "🎉", "👀"] {
        assert_eq!(react(&app, &alice, &channel, &message, e).await.0, StatusCode::OK);
    }
    // Repeating one she holds writes nothing, so it is not limited.
    assert_eq!(react(&app, &alice, &channel, &message, "👍").await.0, StatusCode::OK);
    let (status, err) = react(&app, &alice, &channel, &message, "🚀").await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"), "{err}");
    let (status, err) = unreact(&app, &alice, &channel, &message, "👍").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{err}");
    // Bob has his own budget; sending is not touched.
    assert_eq!(react(&app, &bob, &channel, &message, "🚀").await.0, StatusCode::OK);
    app.send(&alice, &channel, "m2", "still talking").await;
    assert_eq!(reactions_in_history(&app, &bob, &channel, &message).await.len(), 4);
}

#[tokio::test]
async fn reacting_never_moves_read_positions_unread_counts_or_mentions() {
    let Room { app, alice, bob, channel, message } = room().await;
    let mention = app
        .post(
            &alice,
            &format!("/api/v1/chat/conversations/{channel}/messages"),
            json!({ "clientMessageId": "m2", "body": "@bob look", "mentions": ["bob"] }),
        )
        .await;
    assert_eq!(mention.0, StatusCode::CREATED);
    let bob_before = sidebar(&app, &bob, &channel).await;
    let alice_before = sidebar(&app, &alice, &channel).await;
    assert_eq!((bob_before.0, bob_before.1), (2, 1));
    // Others react to alice's message, alice reacts, some are taken back.
    react(&app, &bob, &channel, &message, "👍").await;
    react(&app, &alice, &channel, &message, "🎉").await;
    react(&app, &alice, &channel, mention.1["id"].as_str().unwrap(), "👀").await;
    unreact(&app, &bob, &channel, &message, "👍").await;
    assert_eq!(sidebar(&app, &bob, &channel).await, bob_before, "bob's unread, mentions and read position");
    assert_eq!(sidebar(&app, &alice, &channel).await, alice_before, "alice's");
    // Reading to the end still counts messages only.
    let (status, _) = app
        .post(&bob, &format!("/api/v1/chat/conversations/{channel}/read"), json!({ "messageId": mention.1["id"] }))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(sidebar(&app, &bob, &channel).await.0, 0);
}

#[tokio::test]
async fn adds_and_removes_arrive_live_and_replay_in_catch_up() {
    let Room { app, alice, bob, channel, message } = room().await;
    let mut socket = ws_connect(&app, &bob).await;
    ws_subscribe(&mut socket, Some(vec![channel.clone()])).await;
    let from = last_seq(&app, &bob, &channel).await;

    react(&app, &alice, &channel, &message, "👍").await;
    react(&app, &bob, &channel, &message, "👍").await;
    unreact(&app, &alice, &channel, &message, "👍").await;
    react(&app, &alice, &channel, &message, "👍").await;
    // Held already: nothing published.
    react(&app, &alice, &channel, &message, "👍").await;

    let frames: Vec<Value> = ws_drain(&mut socket, Duration::from_millis(500))
        .await
        .into_iter()
        .filter(|f| f["type"].as_str().is_some_and(|t| t.starts_with("chat:reaction")))
        .collect();
    let seen: Vec<(String, String, u64)> = frames
        .iter()
        .map(|f| {
            assert_eq!(f["data"]["messageId"], message.as_str());
            assert_eq!(f["data"]["emoji"], "👍");
            assert_eq!(f["conversationId"], channel.as_str());
            (
                f["type"].as_str().unwrap().into(),
                f["data"]["userId"].as_str().unwrap().into(),
                f["seq"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = vec![
        ("chat:reactionAdded".to_owned(), "alice".to_owned(), from + 1),
        ("chat:reactionAdded".into(), "bob".into(), from + 2),
        ("chat:reactionRemoved".into(), "alice".into(), from + 3),
        ("chat:reactionAdded".into(), "alice".into(), from + 4),
    ];
    assert_eq!(seen, expected, "live, in seq order, the no-op not published");

    // Catch-up from before them replays the same, as they happened.
    let (status, changes) =
        app.get(&bob, &format!("/api/v1/chat/conversations/{channel}/changes?afterSeq={from}")).await;
    assert_eq!(status, StatusCode::OK, "{changes}");
    let replayed: Vec<Value> = changes["items"].as_array().unwrap().clone();
    assert_eq!(replayed, frames, "catch-up items are the live frames");
    assert_eq!(changes["lastSeq"], from + 4);
    assert_eq!(
        reactions_in_history(&app, &bob, &channel, &message).await,
        [("👍".to_owned(), 2, vec!["bob".to_owned(), "alice".to_owned()])]
    );
}
