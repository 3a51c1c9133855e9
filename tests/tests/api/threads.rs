//! Threads over HTTP: replies take the conversation's seq and update their root's summary in the
//! same transaction (concurrent replies all count), stay out of the main history unless also
//! sent there, replay in catch-up, and are refused where a thread cannot be.

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

async fn reply(app: &TestApp, user: &TestUser, c: &str, root: &Value, cmid: &str, extra: Value) -> (StatusCode, Value) {
    let mut body = json!({ "clientMessageId": cmid, "body": format!("reply {cmid}"), "threadRootId": root["id"] });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    app.post(user, &format!("/api/v1/chat/conversations/{c}/messages"), body).await
}

async fn thread(app: &TestApp, user: &TestUser, c: &str, root: &Value, query: &str) -> (StatusCode, Value) {
    app.get(user, &format!("/api/v1/chat/conversations/{c}/threads/{}{query}", root["id"].as_str().unwrap())).await
}

fn ids(items: &Value) -> Vec<String> {
    items.as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect()
}

async fn unread(app: &TestApp, user: &TestUser, c: &str) -> u64 {
    let (_, list) = app.get(user, "/api/v1/chat/conversations").await;
    let found = list["items"].as_array().unwrap().iter().find(|x| x["id"] == c).cloned().expect("listed");
    found["unreadCount"].as_u64().unwrap()
}

#[tokio::test]
async fn replies_live_in_their_thread_and_only_broadcast_ones_in_the_main_history() {
    let (app, alice, bob, channel) = channel_with_two().await;
    let root = app.send(&alice, &channel, "r", "the root").await;
    assert!(root.get("thread").is_none() && root.get("threadRootId").is_none() && root.get("alsoInChannel").is_none());
    let (status, first) = reply(&app, &bob, &channel, &root, "a1", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["threadRootId"], root["id"]);
    assert!(first.get("alsoInChannel").is_none(), "absent, never false: {first}");
    // The reply takes the conversation's next seq and carries the thread as of itself.
    assert_eq!(first["seq"].as_u64(), root["seq"].as_u64().map(|s| s + 1));
    assert_eq!(first["thread"]["replyCount"], 1);
    assert_eq!(first["thread"]["lastReplySeq"], first["seq"]);
    assert_eq!(first["thread"]["participantIds"], json!(["bob"]));
    let (status, second) = reply(&app, &alice, &channel, &root, "a2", json!({ "alsoInChannel": true })).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["alsoInChannel"], true);
    assert_eq!(second["thread"]["replyCount"], 2);
    assert_eq!(second["thread"]["participantIds"], json!(["alice", "bob"]));

    // Main history: the root (with its summary) and the broadcast reply, not the other reply.
    let (_, history) = app.get(&bob, &format!("/api/v1/chat/conversations/{channel}/messages")).await;
    let items = history["items"].as_array().unwrap();
    assert_eq!(ids(&history["items"]), [root["id"].as_str().unwrap(), second["id"].as_str().unwrap()]);
    assert_eq!(items[0]["thread"], second["thread"]);
    assert_eq!(items[0]["thread"]["lastReplyAt"], second["createdAt"]);
    assert_eq!(items[1]["threadRootId"], root["id"]);

    // The thread: root and every reply, oldest first.
    let (status, page) = thread(&app, &bob, &channel, &root, "").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["root"]["id"], root["id"]);
    assert_eq!(page["root"]["thread"]["replyCount"], 2);
    assert_eq!(ids(&page["items"]), [first["id"].as_str().unwrap(), second["id"].as_str().unwrap()]);
    assert_eq!(page["items"][0], first);
    assert!(page.get("nextCursor").is_none());
    assert_eq!(page["following"], true, "bob replied");

    // Catch-up replays the replies like any message, with their thread roots.
    let after = root["seq"].as_u64().unwrap();
    let (_, changes) = app.get(&bob, &format!("/api/v1/chat/conversations/{channel}/changes?afterSeq={after}")).await;
    let replayed: Vec<&Value> = changes["items"].as_array().unwrap().iter().map(|e| &e["data"]).collect();
    assert_eq!(replayed, [&first, &second]);
    assert!(changes["items"].as_array().unwrap().iter().all(|e| e["type"] == "chat:newMessage"));
}

#[tokio::test]
async fn only_broadcast_replies_count_as_unread() {
    let (app, alice, bob, channel) = channel_with_two().await;
    let root = app.send(&alice, &channel, "r", "the root").await;
    assert_eq!(unread(&app, &bob, &channel).await, 1);
    for i in 0..3 {
        let (status, _) = reply(&app, &alice, &channel, &root, &format!("q{i}"), json!({})).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    assert_eq!(unread(&app, &bob, &channel).await, 1, "replies only in their thread are not unread");
    let (_, broadcast) = reply(&app, &alice, &channel, &root, "b", json!({ "alsoInChannel": true })).await;
    assert_eq!(unread(&app, &bob, &channel).await, 2);
    // Replying in a thread does not read the conversation for bob; a broadcast reply is read
    // like a message.
    let (status, _) = reply(&app, &bob, &channel, &root, "bob-1", json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(unread(&app, &bob, &channel).await, 2);
    let (status, _) = app
        .post(&bob, &format!("/api/v1/chat/conversations/{channel}/read"), json!({ "messageId": broadcast["id"] }))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(unread(&app, &bob, &channel).await, 0);
    // Deleting a reply only in its thread changes no one's unread count.
    let (_, page) = thread(&app, &alice, &channel, &root, "").await;
    let first = page["items"][0]["id"].as_str().unwrap().to_owned();
    app.send(&alice, &channel, "later", "a later message").await;
    let path = format!("/api/v1/chat/conversations/{channel}/messages/{first}");
    let (status, _) = app.call(Method::DELETE, &path, Some(&alice), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unread(&app, &bob, &channel).await, 1);
}

#[tokio::test]
async fn twenty_concurrent_replies_all_count() {
    let (app, alice, bob, channel) = channel_with_two().await;
    let root = app.send(&alice, &channel, "r", "the root").await;
    let replies = (0..20).map(|i| {
        let (app, user, channel, root) = (&app, if i % 2 == 0 { &alice } else { &bob }, &channel, &root);
        async move { reply(app, user, channel, root, &format!("c{i}"), json!({})).await }
    });
    let results = futures::future::join_all(replies).await;
    assert!(results.iter().all(|(s, _)| *s == StatusCode::CREATED), "{results:?}");
    let max_seq = results.iter().map(|(_, m)| m["seq"].as_u64().unwrap()).max().unwrap();
    let (_, page) = thread(&app, &alice, &channel, &root, "?limit=100").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 20);
    let summary = &page["root"]["thread"];
    assert_eq!(summary["replyCount"], 20, "no reply lost: {summary}");
    assert_eq!(summary["lastReplySeq"].as_u64(), Some(max_seq));
    let mut participants: Vec<&str> =
        summary["participantIds"].as_array().unwrap().iter().map(|u| u.as_str().unwrap()).collect();
    participants.sort();
    assert_eq!(participants, ["alice", "bob"]);
    // Each reply's own summary counts the replies up to it: 1..=20, once each.
    let mut counts: Vec<u64> = results.iter().map(|(_, m)| m["thread"]["replyCount"].as_u64().unwrap()).collect();
    counts.sort();
    assert_eq!(counts, (1..=20).collect::<Vec<u64>>());
}

#[tokio::test]
async fn a_thread_is_read_a_page_at_a_time() {
    let (app, alice, _, channel) = channel_with_two().await;
    let root = app.send(&alice, &channel, "r", "the root").await;
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(reply(&app, &alice, &channel, &root, &format!("p{i}"), json!({})).await.1["id"].clone());
    }
    let (_, first) = thread(&app, &alice, &channel, &root, "?limit=2").await;
    assert_eq!(first["items"].as_array().unwrap().iter().map(|m| m["id"].clone()).collect::<Vec<_>>(), sent[..2]);
    let cursor = first["nextCursor"].as_str().expect("more").to_owned();
    let (_, second) = thread(&app, &alice, &channel, &root, &format!("?limit=3&after={cursor}")).await;
    assert_eq!(second["items"].as_array().unwrap().iter().map(|m| m["id"].clone()).collect::<Vec<_>>(), sent[2..]);
    assert!(second.get("nextCursor").is_none());
    let (status, err) = thread(&app, &alice, &channel, &root, "?limit=0").await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::BAD_REQUEST, "invalid_input"));
}

#[tokio::test]
async fn replies_go_to_top_level_messages_of_the_conversation_only() {
    let (app, alice, bob, channel) = channel_with_two().await;
    let root = app.send(&alice, &channel, "r", "the root").await;
    let (_, plain) = reply(&app, &bob, &channel, &root, "x1", json!({})).await;
    let (_, broadcast) = reply(&app, &bob, &channel, &root, "x2", json!({ "alsoInChannel": true })).await;
    // A reply to a reply (in its thread or its copy in the conversation) is a 400 that says why.
    for to in [&plain, &broadcast] {
        let (status, err) = reply(&app, &alice, &channel, to, "deeper", json!({})).await;
        assert_eq!((status, error_code(&err).as_str()), (StatusCode::BAD_REQUEST, "invalid_input"), "{err}");
        let message = err["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("threadRootId") && message.contains("one level"), "{message}");
        let (status, err) = thread(&app, &alice, &channel, to, "").await;
        assert_eq!((status, error_code(&err).as_str()), (StatusCode::NOT_FOUND, "not_found"), "{err}");
    }
    // A root of another conversation, or none at all.
    let other = app.create_channel(&alice, "other", "public").await;
    let elsewhere = app.send(&alice, &other, "o", "elsewhere").await;
    let ghost = json!({ "id": ulid::Ulid::new().to_string() });
    for root in [&elsewhere, &ghost] {
        let (status, err) = reply(&app, &alice, &channel, root, "lost", json!({})).await;
        assert_eq!((status, error_code(&err).as_str()), (StatusCode::BAD_REQUEST, "invalid_input"), "{err}");
        let (status, _) = thread(&app, &alice, &channel, root, "").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    // alsoInChannel without a thread, and a malformed root id.
    let path = format!("/api/v1/chat/conversations/{channel}/messages");
    let (status, err) =
        app.post(&alice, &path, json!({ "clientMessageId": "n", "body": "x", "alsoInChannel": true })).await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::BAD_REQUEST, "invalid_input"), "{err}");
    let (status, err) =
        app.post(&alice, &path, json!({ "clientMessageId": "n", "body": "x", "threadRootId": "not an id" })).await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::BAD_REQUEST, "invalid_input"), "{err}");
    assert!(err["error"]["message"].as_str().unwrap().starts_with("threadRootId"), "{err}");
    // Nothing of that was written: the thread holds the two replies.
    let (_, page) = thread(&app, &alice, &channel, &root, "").await;
    assert_eq!(page["root"]["thread"]["replyCount"], 2);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_deleted_root_keeps_its_thread_and_a_reply_is_edited_and_deleted_in_place() {
    let (app, alice, bob, channel) = channel_with_two().await;
    let root = app.send(&alice, &channel, "r", "the root").await;
    let (_, plain) = reply(&app, &bob, &channel, &root, "y1", json!({})).await;
    let (_, broadcast) = reply(&app, &bob, &channel, &root, "y2", json!({ "alsoInChannel": true })).await;
    let message_path =
        |m: &Value| format!("/api/v1/chat/conversations/{channel}/messages/{}", m["id"].as_str().unwrap());

    // Editing a reply changes it where it is (both copies of a broadcast one); not the summary.
    let (status, edited) =
        app.call(Method::PATCH, &message_path(&broadcast), Some(&bob), Some(json!({ "body": "better" }))).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!((edited["body"].as_str(), edited["threadRootId"].clone()), (Some("better"), root["id"].clone()));
    let (_, history) = app.get(&alice, &format!("/api/v1/chat/conversations/{channel}/messages")).await;
    assert_eq!(history["items"][1], edited);
    let (_, page) = thread(&app, &alice, &channel, &root, "").await;
    assert_eq!(page["items"][1], edited);
    assert_eq!(page["root"]["thread"], broadcast["thread"]);

    // Deleting a reply leaves its tombstone in the thread; the count stays.
    let (status, deleted) = app.call(Method::DELETE, &message_path(&plain), Some(&bob), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(deleted["deletedAt"].is_string() && deleted["body"] == "");
    let (_, page) = thread(&app, &alice, &channel, &root, "").await;
    assert_eq!(page["items"][0], deleted);
    assert_eq!(page["root"]["thread"]["replyCount"], 2);

    // Deleting the root leaves a tombstone with its summary; the thread stays readable and open.
    let (status, tomb) = app.call(Method::DELETE, &message_path(&root), Some(&alice), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((tomb["body"].as_str(), tomb["thread"]["replyCount"].as_u64()), (Some(""), Some(2)));
    let (status, after_reply) = reply(&app, &alice, &channel, &root, "y3", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{after_reply}");
    let (_, page) = thread(&app, &bob, &channel, &root, "").await;
    assert!(page["root"]["deletedAt"].is_string());
    assert_eq!(page["root"]["thread"]["replyCount"], 3);
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    // Catch-up carries the edits and deletes of replies with their thread roots.
    let (_, changes) = app.get(&alice, &format!("/api/v1/chat/conversations/{channel}/changes?afterSeq=0")).await;
    let updated: Vec<&Value> = changes["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "chat:messageUpdated")
        .map(|e| &e["data"])
        .collect();
    assert_eq!(updated, [&edited]);

    // A deleted message without replies takes none.
    let lone = app.send(&alice, &channel, "lone", "lonely").await;
    let (status, _) = app.call(Method::DELETE, &message_path(&lone), Some(&alice), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, err) = reply(&app, &bob, &channel, &lone, "too-late", json!({})).await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::BAD_REQUEST, "invalid_input"), "{err}");
}

#[tokio::test]
async fn a_reply_is_idempotent_by_client_message_id() {
    let (app, alice, _, channel) = channel_with_two().await;
    let root = app.send(&alice, &channel, "r", "the root").await;
    let (status, first) = reply(&app, &alice, &channel, &root, "same", json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, again) = reply(&app, &alice, &channel, &root, "same", json!({})).await;
    assert_eq!((status, &again), (StatusCode::OK, &first));
    let (_, page) = thread(&app, &alice, &channel, &root, "").await;
    assert_eq!(page["root"]["thread"]["replyCount"], 1);
}

async fn followed(app: &TestApp, user: &TestUser, query: &str) -> Value {
    let (status, view) = app.get(user, &format!("/api/v1/chat/threads{query}")).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    view
}

fn roots(view: &Value) -> Vec<(String, u64)> {
    view["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["root"]["id"].as_str().unwrap().to_owned(), t["unreadReplies"].as_u64().unwrap()))
        .collect()
}

async fn mentions(app: &TestApp, user: &TestUser, c: &str) -> u64 {
    let (_, list) = app.get(user, "/api/v1/chat/conversations").await;
    let found = list["items"].as_array().unwrap().iter().find(|x| x["id"] == c).cloned().expect("listed");
    found["mentionCount"].as_u64().unwrap()
}

fn thread_path(c: &str, root: &Value, action: &str) -> String {
    format!("/api/v1/chat/conversations/{c}/threads/{}/{action}", root["id"].as_str().unwrap())
}

#[tokio::test]
async fn repliers_the_root_author_and_the_mentioned_follow_and_see_unread_replies() {
    let (app, alice, bob, channel) = channel_with_two().await;
    let carol = app.user("acme", "carol").await;
    let dave = app.user("acme", "dave").await;
    app.invite(&alice, &channel, &carol).await;
    app.invite(&alice, &channel, &dave).await;
    let root = app.send(&alice, &channel, "r", "the root").await;
    // Nobody follows a message without replies.
    assert_eq!(roots(&followed(&app, &alice, "").await), []);
    let (_, first) = reply(&app, &bob, &channel, &root, "f1", json!({})).await;
    let root_id = root["id"].as_str().unwrap().to_owned();
    // bob replied (read it all); alice wrote the root (one unread reply).
    assert_eq!(roots(&followed(&app, &bob, "").await), [(root_id.clone(), 0)]);
    let view = followed(&app, &alice, "").await;
    assert_eq!(roots(&view), [(root_id.clone(), 1)]);
    assert_eq!(view["items"][0]["conversationId"], channel);
    assert_eq!(view["items"][0]["root"]["thread"]["replyCount"], 1);
    assert_eq!(view["items"][0]["lastReplies"], json!([first]));
    // A reply mentioning carol: she follows, and it counts in her mention badge (not as unread).
    let (status, mention) = reply(&app, &bob, &channel, &root, "f2", json!({ "mentions": ["carol"] })).await;
    assert_eq!(status, StatusCode::CREATED, "{mention}");
    assert_eq!(roots(&followed(&app, &carol, "").await), [(root_id.clone(), 2)]);
    assert_eq!((unread(&app, &carol, &channel).await, mentions(&app, &carol, &channel).await), (1, 1));
    let (_, page) = thread(&app, &carol, &channel, &root, "").await;
    assert_eq!(page["following"], true);
    let (_, page) = thread(&app, &dave, &channel, &root, "").await;
    assert_eq!(page["following"], false, "dave took no part");
    assert_eq!(roots(&followed(&app, &dave, "").await), []);
    // The last two replies, oldest first, after a third.
    let (_, third) = reply(&app, &alice, &channel, &root, "f3", json!({})).await;
    let view = followed(&app, &carol, "").await;
    assert_eq!(view["items"][0]["lastReplies"], json!([mention, third]));
    assert_eq!(roots(&view), [(root_id.clone(), 3)]);
    // Reading the conversation clears neither; reading the thread clears both.
    let (status, _) = app
        .post(&carol, &format!("/api/v1/chat/conversations/{channel}/read"), json!({ "messageId": root["id"] }))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(mentions(&app, &carol, &channel).await, 1);
    let (status, _) = app.post(&carol, &thread_path(&channel, &root, "read"), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(roots(&followed(&app, &carol, "").await), [(root_id.clone(), 0)]);
    assert_eq!((unread(&app, &carol, &channel).await, mentions(&app, &carol, &channel).await), (0, 0));
    // A new reply is unread again.
    reply(&app, &bob, &channel, &root, "f4", json!({})).await;
    assert_eq!(roots(&followed(&app, &carol, "").await), [(root_id.clone(), 1)]);
    // A conversation's read position is in its main list: a thread reply is none.
    let (status, err) = app
        .post(&carol, &format!("/api/v1/chat/conversations/{channel}/read"), json!({ "messageId": third["id"] }))
        .await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::BAD_REQUEST, "invalid_input"), "{err}");
}

#[tokio::test]
async fn following_is_the_callers_choice_and_ends_with_the_membership() {
    let (app, alice, bob, channel) = channel_with_two().await;
    let carol = app.user("acme", "carol").await;
    app.invite(&alice, &channel, &carol).await;
    let root = app.send(&alice, &channel, "r", "the root").await;
    reply(&app, &bob, &channel, &root, "u1", json!({})).await;
    let root_id = root["id"].as_str().unwrap().to_owned();
    // Unfollow, twice: gone from the view; a later reply does not bring the root's author back.
    for _ in 0..2 {
        let (status, _) = app.call(Method::DELETE, &thread_path(&channel, &root, "follow"), Some(&alice), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    assert_eq!(roots(&followed(&app, &alice, "").await), []);
    reply(&app, &bob, &channel, &root, "u2", json!({})).await;
    assert_eq!(roots(&followed(&app, &alice, "").await), []);
    let (_, page) = thread(&app, &alice, &channel, &root, "").await;
    assert_eq!(page["following"], false);
    // Follow by hand, twice: the replies so far count as read.
    for _ in 0..2 {
        let (status, _) = app.call(Method::PUT, &thread_path(&channel, &root, "follow"), Some(&carol), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    assert_eq!(roots(&followed(&app, &carol, "").await), [(root_id.clone(), 0)]);
    reply(&app, &bob, &channel, &root, "u3", json!({})).await;
    assert_eq!(roots(&followed(&app, &carol, "").await), [(root_id.clone(), 1)]);
    // A reply is no root to follow; neither is a message of no thread at all.
    let (_, page) = thread(&app, &carol, &channel, &root, "").await;
    let a_reply = &page["items"][0];
    let (status, err) = app.call(Method::PUT, &thread_path(&channel, a_reply, "follow"), Some(&carol), None).await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::NOT_FOUND, "not_found"));
    // Leaving the channel takes its threads out of the view.
    let (status, _) = app.post(&carol, &format!("/api/v1/chat/channels/{channel}/leave"), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(roots(&followed(&app, &carol, "").await), []);
}

#[tokio::test]
async fn the_threads_view_lists_newest_reply_first_a_page_at_a_time() {
    let (app, alice, bob, channel) = channel_with_two().await;
    let other = app.create_channel(&alice, "other", "public").await;
    app.invite(&alice, &other, &bob).await;
    let mut expected = Vec::new();
    for (i, c) in [&channel, &other, &channel].into_iter().enumerate() {
        let root = app.send(&alice, c, &format!("r{i}"), "a root").await;
        reply(&app, &bob, c, &root, &format!("v{i}"), json!({})).await;
        expected.push((root, c.clone()));
    }
    // The first thread gets the newest reply.
    reply(&app, &bob, &channel, &expected[0].0, "latest", json!({})).await;
    let order: Vec<String> = [0, 2, 1].iter().map(|&i| expected[i].0["id"].as_str().unwrap().to_owned()).collect();
    let mut seen = Vec::new();
    let mut query = "?limit=1".to_owned();
    loop {
        let view = followed(&app, &alice, &query).await;
        assert_eq!(view["items"].as_array().unwrap().len(), 1);
        seen.push(view["items"][0]["root"]["id"].as_str().unwrap().to_owned());
        match view["nextCursor"].as_str() {
            Some(cursor) => query = format!("?limit=1&cursor={}", urlencode(cursor)),
            None => break,
        }
    }
    assert_eq!(seen, order);
    assert_eq!(roots(&followed(&app, &alice, "").await).into_iter().map(|(id, _)| id).collect::<Vec<_>>(), order);
    let (status, err) = app.get(&alice, "/api/v1/chat/threads?cursor=nonsense").await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::BAD_REQUEST, "invalid_input"));
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn search(app: &TestApp, user: &TestUser, q: &str) -> Vec<Value> {
    app.stack.wait_indexed().await.unwrap();
    let (status, body) = app.get(user, &format!("/api/v1/chat/search?q={}", urlencode(q))).await;
    assert_eq!(status, StatusCode::OK, "{q}: {body}");
    body["items"].as_array().unwrap().iter().map(|r| r["message"].clone()).collect()
}

#[tokio::test]
async fn search_finds_replies_with_their_thread_once_and_as_they_are_now() {
    let (app, alice, bob, channel) = channel_with_two().await;
    let root = app.send(&alice, &channel, "r", "quokka root").await;
    let (_, plain) = reply(&app, &bob, &channel, &root, "s1", json!({})).await;
    let path = format!("/api/v1/chat/conversations/{channel}/messages/{}", plain["id"].as_str().unwrap());
    let (status, _) = app.call(Method::PATCH, &path, Some(&bob), Some(json!({ "body": "quokka in a thread" }))).await;
    assert_eq!(status, StatusCode::OK);
    let body = json!({ "clientMessageId": "s2", "body": "quokka everywhere", "threadRootId": root["id"], "alsoInChannel": true });
    let (status, broadcast) = app.post(&bob, &format!("/api/v1/chat/conversations/{channel}/messages"), body).await;
    assert_eq!(status, StatusCode::CREATED);
    let found = search(&app, &alice, "quokka").await;
    let bodies: Vec<&str> = found.iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["quokka everywhere", "quokka in a thread", "quokka root"], "each once, newest first");
    assert_eq!(found[0]["threadRootId"], root["id"]);
    assert_eq!(found[1]["threadRootId"], root["id"]);
    assert!(found[2].get("threadRootId").is_none());
    // A deleted reply is found no more; nor by another tenant, ever.
    let (status, _) = app.call(Method::DELETE, &path, Some(&bob), None).await;
    assert_eq!(status, StatusCode::OK);
    let found = search(&app, &alice, "thread").await;
    assert!(found.is_empty(), "{found:?}");
    let dave = app.user("globex", "dave").await;
    assert!(search(&app, &dave, "quokka").await.is_empty());
    assert_eq!(search(&app, &bob, "everywhere").await, [broadcast]);
}

const DAY_MS: i64 = 24 * 3600 * 1000;

#[tokio::test]
async fn retention_removes_replies_by_their_own_age_and_keeps_a_live_threads_root_as_a_tombstone() {
    let clock = shared::ports::clock::ManualClock::new(1_795_680_000_000);
    let app = integration_tests::spawn_app_at(&clock).await;
    let alice = app.user_with_roles("acme", "alice", &["admin"]).await;
    let bob = app.user("acme", "bob").await;
    let channel = app.create_channel(&alice, "general", "public").await;
    app.invite(&alice, &channel, &bob).await;
    // An old thread, all old; an old root whose thread goes on.
    let gone = app.send(&alice, &channel, "a", "old root").await;
    let (_, gone_reply) = reply(&app, &bob, &channel, &gone, "a1", json!({})).await;
    let (_, gone_broadcast) = reply(&app, &bob, &channel, &gone, "a2", json!({ "alsoInChannel": true })).await;
    let alive = app.send(&alice, &channel, "b", "old root of a live thread").await;
    let (_, old_reply) = reply(&app, &bob, &channel, &alive, "b1", json!({ "mentions": ["alice"] })).await;
    clock.advance_ms(40 * DAY_MS);
    let (_, new_reply) = reply(&app, &bob, &channel, &alive, "b2", json!({})).await;
    let fresh = app.send(&alice, &channel, "c", "fresh").await;
    let (_, fresh_reply) = reply(&app, &bob, &channel, &fresh, "c1", json!({})).await;
    let (status, _) =
        app.call(Method::PUT, "/api/v1/chat/retention", Some(&alice), Some(json!({ "retentionDays": 30 }))).await;
    assert_eq!(status, StatusCode::OK);
    app.stack.wait_archived().await.unwrap();
    let (status, report) = app.post(&alice, "/api/v1/dev/retention/run", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    // The old thread went whole; the live thread's root is a tombstone with its summary, and
    // only its new reply is left; the fresh thread is untouched.
    assert_eq!(report["deleted"], 5, "{report}");
    let (_, history) = app.get(&bob, &format!("/api/v1/chat/conversations/{channel}/messages")).await;
    let items = history["items"].as_array().unwrap();
    assert_eq!(ids(&history["items"]), [alive["id"].as_str().unwrap(), fresh["id"].as_str().unwrap()]);
    assert!(items[0]["deletedAt"].is_string() && items[0]["body"] == "");
    assert_eq!(items[0]["thread"]["replyCount"], 2);
    let (status, _) = thread(&app, &bob, &channel, &gone, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, page) = thread(&app, &bob, &channel, &alive, "").await;
    assert_eq!(page["items"], json!([new_reply]));
    let (_, page) = thread(&app, &bob, &channel, &fresh, "").await;
    assert_eq!(page["items"], json!([fresh_reply]));
    // The removed reply's mention of alice stopped counting.
    assert_eq!(mentions(&app, &alice, &channel).await, 0);
    // Catch-up tells of each removal.
    let after = fresh_reply["seq"].as_u64().unwrap();
    let (_, changes) =
        app.get(&bob, &format!("/api/v1/chat/conversations/{channel}/changes?afterSeq={after}&limit=500")).await;
    let removed: Vec<&Value> = changes["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "chat:messageDeleted" && e["data"]["removed"] == true)
        .map(|e| &e["data"]["id"])
        .collect();
    for gone in [&gone, &gone_reply, &gone_broadcast, &old_reply] {
        assert!(removed.contains(&&gone["id"]), "{} not removed: {removed:?}", gone["id"]);
    }
    // The archive holds each reply's versions once (a broadcast reply's copy is none of its
    // own), with their thread root: created, then removed.
    use shared::ports::blobs::Blobs;
    app.stack.wait_archived().await.unwrap();
    let mut versions: Vec<(String, String, Option<String>)> = Vec::new();
    for object in app.stack.archive.list(&format!("archive/acme/{channel}/"), None, 10_000).await.unwrap() {
        let body = app.stack.archive.get(&object.key).await.unwrap().expect("listed object exists");
        for v in shared::app::archive::read_archive(&body).unwrap() {
            versions.push((
                v.message.id.to_string(),
                v.event.to_string(),
                v.message.thread_root_id.map(|r| r.to_string()),
            ));
        }
    }
    let of = |m: &Value| {
        let mut events: Vec<(String, Option<String>)> = versions
            .iter()
            .filter(|(id, _, _)| m["id"] == id.as_str())
            .map(|(_, e, r)| (e.clone(), r.clone()))
            .collect();
        events.sort();
        events
    };
    let root_id = gone["id"].as_str().map(str::to_owned);
    assert_eq!(of(&gone_broadcast), [("INSERT".to_owned(), root_id.clone()), ("REMOVE".to_owned(), root_id.clone())]);
    assert_eq!(of(&gone_reply), [("INSERT".to_owned(), root_id.clone()), ("REMOVE".to_owned(), root_id)]);
    // Again: nothing more to do until the live thread's last reply expires too.
    app.stack.wait_archived().await.unwrap();
    let (_, report) = app.post(&alice, "/api/v1/dev/retention/run", json!({})).await;
    assert_eq!(report["deleted"], 0, "{report}");
    clock.advance_ms(40 * DAY_MS);
    app.stack.wait_archived().await.unwrap();
    let (_, report) = app.post(&alice, "/api/v1/dev/retention/run", json!({})).await;
    assert_eq!(report["deleted"], 4, "the rest: {report}");
    let (status, _) = thread(&app, &bob, &channel, &alive, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The thread use cases on a store, with two `Chat`s on it (two instances: their replies race
/// across processes, where only the root's conditional summary keeps every reply counted).
pub(crate) async fn threads_on(store: std::sync::Arc<dyn shared::ports::store::Store>) {
    use integration_tests::{caller, new_message, new_reply, NoEvents};
    use shared::domain::values::ChannelName;
    use shared::domain::Visibility;
    use shared::ports::clock::SystemClock;
    use std::sync::Arc;

    let chat = Arc::new(shared::Chat::new(store.clone(), Arc::new(SystemClock), Arc::new(NoEvents)));
    let other = Arc::new(shared::Chat::new(store, Arc::new(SystemClock), Arc::new(NoEvents)));
    let (alice, bob) = (caller("acme", "alice", &[]), caller("acme", "bob", &[]));
    for c in [&alice, &bob] {
        chat.ensure_profile(c).await.unwrap();
    }
    let channel =
        chat.create_channel(&alice, ChannelName::parse("general").unwrap(), Visibility::Private, None).await.unwrap();
    let c = channel.id;
    chat.invite(&alice, &c, &bob.user).await.unwrap();
    let root = chat.send(&alice, &c, new_message("root", "the root")).await.unwrap().message;
    let replies = (0..12).map(|i| {
        let (chat, who) = if i % 2 == 0 { (other.clone(), bob.clone()) } else { (chat.clone(), alice.clone()) };
        let c = c.clone();
        async move { chat.send(&who, &c, new_reply(&format!("x{i}"), &format!("reply {i}"), root.id, i == 5)).await }
    });
    let sent: Vec<_> =
        futures::future::join_all(replies).await.into_iter().map(|r| r.expect("reply").message).collect();
    let page = chat.thread(&bob, &c, &root.id, None, Some(100)).await.unwrap();
    assert_eq!(page.items.len(), 12);
    let summary = page.root.thread.clone().expect("a summary");
    assert_eq!(summary.reply_count, 12, "no reply lost across instances");
    assert_eq!(Some(summary.last_reply_seq), sent.iter().map(|m| m.seq).max());
    assert!(page.following);
    // The main history is the root and the broadcast reply.
    let history = chat.history(&bob, &c, shared::app::HistoryQuery::default()).await.unwrap();
    assert_eq!(history.items.iter().map(|m| m.id).collect::<Vec<_>>(), [root.id, sent[5].id]);
    // Replies are found by id (edit) and replayed by catch-up.
    let edited = chat
        .edit(&bob, &c, &sent[0].id, shared::domain::values::MessageBody::parse("edited").unwrap(), None)
        .await
        .unwrap();
    assert_eq!((edited.body.as_str(), edited.thread_root_id), ("edited", Some(root.id)));
    let changes = chat.changes(&bob, &c, root.seq, Some(100)).await.unwrap();
    assert_eq!(changes.items.len(), 13);
    // The Threads view: alice follows as the root's author and a replier; reading clears it.
    let view = chat.followed_threads(&alice, None, None).await.unwrap();
    assert_eq!(view.items.len(), 1);
    assert_eq!(view.items[0].last_replies.len(), 2);
    chat.read_thread(&alice, &c, &root.id).await.unwrap();
    assert_eq!(chat.followed_threads(&alice, None, None).await.unwrap().items[0].unread_replies, 0);
    chat.unfollow_thread(&alice, &c, &root.id).await.unwrap();
    assert!(chat.followed_threads(&alice, None, None).await.unwrap().items.is_empty());
}

#[tokio::test]
async fn threads_on_the_embedded_store() {
    use shared::adapters::embedded::sqlite::SqliteStore;
    let store = SqliteStore::in_memory(std::sync::Arc::new(shared::ports::clock::SystemClock)).unwrap();
    threads_on(std::sync::Arc::new(store)).await;
}

#[tokio::test]
async fn a_reply_reaches_members_live_as_a_new_message_with_the_next_seq() {
    use integration_tests::{ws_connect, ws_next, ws_subscribe};
    use std::time::Duration;
    let (app, alice, bob, channel) = channel_with_two().await;
    let root = app.send(&alice, &channel, "r", "the root").await;
    let mut socket = ws_connect(&app, &bob).await;
    ws_subscribe(&mut socket, Some(vec![channel.clone()])).await;
    let (_, sent) = reply(&app, &alice, &channel, &root, "live", json!({})).await;
    let frame = ws_next(&mut socket, Duration::from_secs(5)).await.expect("the reply arrives");
    assert_eq!(frame["type"], "chat:newMessage");
    assert_eq!(frame["seq"].as_u64(), root["seq"].as_u64().map(|s| s + 1), "no gap: the next seq");
    assert_eq!(frame["data"], sent);
    assert_eq!(frame["data"]["thread"]["replyCount"], 1);
}

#[tokio::test]
async fn mentions_in_a_reply_stay_exact_through_edits_and_deletes() {
    let (app, alice, bob, channel) = channel_with_two().await;
    let root = app.send(&alice, &channel, "r", "the root").await;
    let (_, plain) = reply(&app, &bob, &channel, &root, "m1", json!({})).await;
    let path = format!("/api/v1/chat/conversations/{channel}/messages/{}", plain["id"].as_str().unwrap());
    let edit = |mentions: Value| {
        app.call(Method::PATCH, &path, Some(&bob), Some(json!({ "body": "hey", "mentions": mentions })))
    };
    assert_eq!(edit(json!(["alice"])).await.0, StatusCode::OK);
    assert_eq!(mentions(&app, &alice, &channel).await, 1, "an edit adding a mention counts");
    assert_eq!(edit(json!([])).await.0, StatusCode::OK);
    assert_eq!(mentions(&app, &alice, &channel).await, 0, "and removing it uncounts");
    let (_, mentioning) = reply(&app, &bob, &channel, &root, "m2", json!({ "mentions": ["alice"] })).await;
    assert_eq!(mentions(&app, &alice, &channel).await, 1);
    let path = format!("/api/v1/chat/conversations/{channel}/messages/{}", mentioning["id"].as_str().unwrap());
    assert_eq!(app.call(Method::DELETE, &path, Some(&bob), None).await.0, StatusCode::OK);
    assert_eq!(mentions(&app, &alice, &channel).await, 0, "a deleted reply's mention goes");
    // A broadcast reply's mention is a main-list mention: reading the conversation clears it.
    let (_, broadcast) =
        reply(&app, &bob, &channel, &root, "m3", json!({ "mentions": ["alice"], "alsoInChannel": true })).await;
    assert_eq!(mentions(&app, &alice, &channel).await, 1);
    let read = json!({ "messageId": broadcast["id"] });
    assert_eq!(
        app.post(&alice, &format!("/api/v1/chat/conversations/{channel}/read"), read).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(mentions(&app, &alice, &channel).await, 0);
}

/// Reactions and edit history reach a reply wherever it is kept — only in its thread, or also in
/// the main list (both copies change together) — and catch-up carries the reactions.
#[tokio::test]
async fn reactions_and_edit_history_work_on_replies() {
    let (app, alice, bob, channel) = channel_with_two().await;
    let root = app.send(&alice, &channel, "r", "the root").await;
    let (_, only) = reply(&app, &bob, &channel, &root, "o1", json!({})).await;
    let (_, both) = reply(&app, &bob, &channel, &root, "b1", json!({ "alsoInChannel": true })).await;
    let message_path =
        |m: &Value| format!("/api/v1/chat/conversations/{channel}/messages/{}", m["id"].as_str().unwrap());
    for m in [&only, &both] {
        // 👍, URL-encoded.
        let (status, body) =
            app.call(Method::PUT, &format!("{}/reactions/%F0%9F%91%8D", message_path(m)), Some(&alice), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["reactions"][0]["userIds"], json!(["alice"]));
    }
    let (_, page) = thread(&app, &alice, &channel, &root, "").await;
    let replies = page["items"].as_array().unwrap();
    assert_eq!(replies.len(), 2);
    for item in replies {
        assert_eq!(item["reactions"], json!([{ "emoji": "👍", "count": 1, "userIds": ["alice"] }]), "{item}");
    }
    let (_, history) = app.get(&alice, &format!("/api/v1/chat/conversations/{channel}/messages")).await;
    let copy = history["items"].as_array().unwrap().iter().find(|m| m["id"] == both["id"]).cloned().expect("copy");
    assert_eq!(copy["reactions"][0]["count"], 1, "the main list's copy of the reply has the reaction too");
    let (_, changes) = app.get(&alice, &format!("/api/v1/chat/conversations/{channel}/changes?afterSeq=0")).await;
    let reacted: Vec<&Value> = changes["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "chat:reactionAdded")
        .map(|e| &e["data"]["messageId"])
        .collect();
    assert_eq!(reacted, [&only["id"], &both["id"]]);

    let (status, edited) =
        app.call(Method::PATCH, &message_path(&only), Some(&bob), Some(json!({ "body": "reply o1, edited" }))).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    let (status, versions) = app.get(&alice, &format!("{}/versions", message_path(&only))).await;
    assert_eq!(status, StatusCode::OK, "{versions}");
    assert_eq!(versions["items"][0]["body"], "reply o1");
    let (_, page) = thread(&app, &alice, &channel, &root, "").await;
    let now = page["items"].as_array().unwrap().iter().find(|m| m["id"] == only["id"]).cloned().expect("reply");
    assert_eq!((now["body"].as_str(), now["reactions"][0]["count"].as_u64()), (Some("reply o1, edited"), Some(1)));
}
