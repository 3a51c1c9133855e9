//! Rate limits on every action that takes a conversation's sequence or fans out (issue 23 item 4):
//! each is refused with 429, `Retry-After` and `rate_limited` past its budget while another user
//! is unaffected, and a conversation's write budget holds across its members.

use integration_tests::*;
use local::StackOptions;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shared::domain::limits::{Rate, RateLimits};

fn rate(count: u32) -> Option<Rate> {
    Some(Rate { count, window_secs: 60 })
}

async fn app_with(limits: RateLimits) -> TestApp {
    let mut opts = StackOptions::ephemeral();
    opts.rate_limits = limits;
    spawn_app_with(opts).await
}

/// A call whose answer keeps its `Retry-After`. The request is built before the future, which
/// so borrows nothing (closures in the tests return it).
fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    user: &TestUser,
    body: Option<Value>,
) -> impl std::future::Future<Output = (StatusCode, Option<u64>, Value)> {
    let mut req = app.http.request(method, app.url(path)).bearer_auth(&user.token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    async move {
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let retry_after = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
        let text = resp.text().await.expect("body");
        (status, retry_after, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// The answer is the limit's: 429, a `Retry-After` within the window, and the error shape.
fn assert_limited((status, retry_after, body): (StatusCode, Option<u64>, Value), what: &str) {
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{what}: {body}");
    let secs = retry_after.unwrap_or_else(|| panic!("{what}: no Retry-After"));
    assert!((1..=60).contains(&secs), "{what}: Retry-After {secs}");
    assert_eq!(error_code(&body), "rate_limited", "{what}");
}

#[tokio::test]
async fn edits_and_deletes_are_limited_per_user() {
    let app = app_with(RateLimits { message_changes: rate(2), ..RateLimits::default() }).await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let channel = app.create_channel(&alice, "general", "public").await;
    app.invite(&alice, &channel, &bob).await;
    let a1 = app.send(&alice, &channel, "a1", "one").await["id"].as_str().unwrap().to_owned();
    let a2 = app.send(&alice, &channel, "a2", "two").await["id"].as_str().unwrap().to_owned();
    let b1 = app.send(&bob, &channel, "b1", "bob's").await["id"].as_str().unwrap().to_owned();
    let path = |id: &str| format!("/api/v1/chat/conversations/{channel}/messages/{id}");
    let edit = |id: String, body: &'static str| {
        let user = if id == b1 { &bob } else { &alice };
        call(&app, Method::PATCH, &path(&id), user, Some(json!({ "body": body })))
    };
    assert_eq!(edit(a1.clone(), "one, edited").await.0, StatusCode::OK);
    assert_eq!(call(&app, Method::DELETE, &path(&a2), &alice, None).await.0, StatusCode::OK);
    assert_limited(edit(a1.clone(), "one, again").await, "a third edit");
    assert_limited(call(&app, Method::DELETE, &path(&a1), &alice, None).await, "a delete after two changes");
    // Bob has a budget of his own.
    assert_eq!(edit(b1.clone(), "bob's, edited").await.0, StatusCode::OK);
    // The refused edit changed nothing.
    let (_, history) = app.get(&bob, &format!("/api/v1/chat/conversations/{channel}/messages")).await;
    let a1_now = history["items"].as_array().unwrap().iter().find(|m| m["id"] == a1.as_str()).unwrap().clone();
    assert_eq!(a1_now["body"], "one, edited");
}

#[tokio::test]
async fn joins_leaves_invites_and_removals_are_limited_per_user() {
    let app = app_with(RateLimits { membership: rate(2), ..RateLimits::default() }).await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let carol = app.user("acme", "carol").await;
    let erin = app.user("acme", "erin").await;
    let channel = app.create_channel(&alice, "general", "public").await;
    let join = format!("/api/v1/chat/channels/{channel}/join");
    let leave = format!("/api/v1/chat/channels/{channel}/leave");
    assert_eq!(call(&app, Method::POST, &join, &bob, None).await.0, StatusCode::OK);
    assert_eq!(call(&app, Method::POST, &leave, &bob, None).await.0, StatusCode::NO_CONTENT);
    assert_limited(call(&app, Method::POST, &join, &bob, None).await, "bob's third membership change");
    assert_eq!(call(&app, Method::POST, &join, &carol, None).await.0, StatusCode::OK, "carol is not limited");
    // Invites and removals count for the one who makes them.
    let members = format!("/api/v1/chat/channels/{channel}/members");
    let invite = |user: &TestUser| call(&app, Method::POST, &members, &alice, Some(json!({ "userId": user.id })));
    assert_eq!(invite(&erin).await.0, StatusCode::NO_CONTENT);
    let remove = format!("{members}/{}", erin.id);
    assert_eq!(call(&app, Method::DELETE, &remove, &alice, None).await.0, StatusCode::NO_CONTENT);
    assert_limited(invite(&erin).await, "alice's third membership change");
    assert_limited(call(&app, Method::DELETE, &format!("{members}/{}", carol.id), &alice, None).await, "a removal");
    // Nothing the refusals asked for happened.
    let (_, listed) = app.get(&carol, &members).await;
    let ids: Vec<&str> = listed["items"].as_array().unwrap().iter().filter_map(|m| m["id"].as_str()).collect();
    assert!(ids.contains(&"carol") && !ids.contains(&"erin") && !ids.contains(&"bob"), "{listed}");
}

#[tokio::test]
async fn channel_creation_dms_and_read_marks_are_limited_per_user() {
    let app = app_with(RateLimits { channels: rate(2), dms: rate(1), reads: rate(2), ..RateLimits::default() }).await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let carol = app.user("acme", "carol").await;
    let create = |user: &TestUser, name: &str| {
        call(&app, Method::POST, "/api/v1/chat/channels", user, Some(json!({ "name": name, "visibility": "public" })))
    };
    assert_eq!(create(&alice, "one").await.0, StatusCode::CREATED);
    assert_eq!(create(&alice, "two").await.0, StatusCode::CREATED);
    assert_limited(create(&alice, "three").await, "a third channel");
    assert_eq!(create(&bob, "three").await.0, StatusCode::CREATED, "bob is not limited (and the name was not taken)");
    // DMs: a new one takes the budget; opening one that exists takes nothing.
    let dm = |user: &TestUser, other: &TestUser| {
        call(&app, Method::POST, "/api/v1/chat/dms", user, Some(json!({ "userId": other.id })))
    };
    assert_eq!(dm(&alice, &bob).await.0, StatusCode::OK);
    assert_limited(dm(&alice, &carol).await, "a second new DM");
    assert_eq!(dm(&alice, &bob).await.0, StatusCode::OK, "an existing DM opens");
    assert_eq!(dm(&bob, &carol).await.0, StatusCode::OK, "bob is not limited");
    // Read marks.
    let channel = app.create_channel(&bob, "reading", "public").await;
    app.invite(&bob, &channel, &alice).await;
    let message = app.send(&bob, &channel, "m1", "read me").await["id"].as_str().unwrap().to_owned();
    let read = format!("/api/v1/chat/conversations/{channel}/read");
    let mark = |user: &TestUser| call(&app, Method::POST, &read, user, Some(json!({ "messageId": message })));
    assert_eq!(mark(&alice).await.0, StatusCode::NO_CONTENT);
    assert_eq!(mark(&alice).await.0, StatusCode::NO_CONTENT);
    assert_limited(mark(&alice).await, "a third read mark");
    assert_eq!(mark(&bob).await.0, StatusCode::NO_CONTENT, "bob is not limited");
}

#[tokio::test]
async fn a_conversation_budget_holds_across_members_and_a_flooder_spends_none_of_it() {
    // Alice alone may send 3, the conversation takes 5 changes: her invite of bob, her 3 sends,
    // and one of bob's. Her 4th send is refused by her own limit and must not spend the
    // conversation's budget (or bob's first send would be refused).
    let app = app_with(RateLimits { sends: rate(3), conversation_writes: rate(5), ..RateLimits::default() }).await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let carol = app.user("acme", "carol").await;
    let channel = app.create_channel(&alice, "general", "public").await;
    app.invite(&alice, &channel, &bob).await;
    let path = format!("/api/v1/chat/conversations/{channel}/messages");
    let send = |user: &TestUser, id: &str| {
        call(&app, Method::POST, &path, user, Some(json!({ "clientMessageId": id, "body": "hello" })))
    };
    for i in 0..3 {
        assert_eq!(send(&alice, &format!("a{i}")).await.0, StatusCode::CREATED);
    }
    assert_limited(send(&alice, "a3").await, "alice past her own limit");
    assert_eq!(send(&bob, "b0").await.0, StatusCode::CREATED, "alice's refused send spent none of the budget");
    assert_limited(send(&bob, "b1").await, "bob under his own limit, the conversation full");
    // Every change that takes a seq shares the budget: an edit, a join.
    let (_, page) = app.get(&bob, &path).await;
    let bobs = page["items"].as_array().unwrap().iter().find(|m| m["authorId"] == "bob").unwrap()["id"].clone();
    let edit = format!("{path}/{}", bobs.as_str().unwrap());
    assert_limited(call(&app, Method::PATCH, &edit, &bob, Some(json!({ "body": "edited" }))).await, "an edit");
    assert_limited(
        call(&app, Method::POST, &format!("/api/v1/chat/channels/{channel}/join"), &carol, None).await,
        "a join",
    );
    // A retry of a sent message is answered, never limited.
    assert_eq!(send(&alice, "a1").await.0, StatusCode::OK);
    // Another conversation has its own budget.
    let other = app.create_channel(&carol, "elsewhere", "public").await;
    assert_eq!(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/chat/conversations/{other}/messages"),
            &carol,
            Some(json!({ "clientMessageId": "c0", "body": "hi" }))
        )
        .await
        .0,
        StatusCode::CREATED
    );
    // Seqs stayed contiguous: nothing refused took one.
    let (_, changes) = app.get(&alice, &format!("/api/v1/chat/conversations/{channel}/changes")).await;
    let seqs: Vec<u64> = changes["items"].as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=6).collect::<Vec<_>>(), "{changes}");
}
