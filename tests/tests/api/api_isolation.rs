//! Tenant isolation over every route: another tenant's user, a non-member, a third user against
//! a DM, no token, and bad tokens are refused, and a 404 never reveals whether the resource
//! exists elsewhere.

use integration_tests::{error_code, spawn_app, TestApp, TestUser};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

struct World {
    app: TestApp,
    alice: TestUser,
    bob: TestUser,
    carol: TestUser,
    dave: TestUser,
    public: String,
    private: String,
    dm: String,
    public_msg: String,
    private_msg: String,
    dm_msg: String,
}

async fn world() -> World {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let carol = app.user("acme", "carol").await;
    let dave = app.user("globex", "dave").await;
    let public = app.create_channel(&alice, "general", "public").await;
    let private = app.create_channel(&alice, "secret", "private").await;
    app.invite(&alice, &public, &bob).await;
    app.invite(&alice, &private, &bob).await;
    let dm = app.open_dm(&alice, &bob).await;
    let public_msg = app.send(&alice, &public, "p1", "public hello").await["id"].as_str().unwrap().to_owned();
    let private_msg = app.send(&alice, &private, "s1", "private hello").await["id"].as_str().unwrap().to_owned();
    let dm_msg = app.send(&alice, &dm, "d1", "dm hello").await["id"].as_str().unwrap().to_owned();
    World { app, alice, bob, carol, dave, public, private, dm, public_msg, private_msg, dm_msg }
}

/// Every route that names a conversation, with a body where it takes one.
fn conversation_routes(c: &str, m: &str, user: &str) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, format!("/api/v1/chat/conversations/{c}"), None),
        (Method::PUT, format!("/api/v1/chat/conversations/{c}/notifications"), Some(json!({ "level": "nothing" }))),
        (Method::GET, format!("/api/v1/chat/conversations/{c}/messages"), None),
        (
            Method::POST,
            format!("/api/v1/chat/conversations/{c}/messages"),
            Some(json!({ "clientMessageId": "x1", "body": "intruder" })),
        ),
        (
            Method::POST,
            format!("/api/v1/chat/conversations/{c}/messages"),
            Some(json!({ "clientMessageId": "x2", "body": "intruder", "threadRootId": m })),
        ),
        (Method::GET, format!("/api/v1/chat/conversations/{c}/threads/{m}"), None),
        (Method::PUT, format!("/api/v1/chat/conversations/{c}/threads/{m}/follow"), None),
        (Method::DELETE, format!("/api/v1/chat/conversations/{c}/threads/{m}/follow"), None),
        (Method::POST, format!("/api/v1/chat/conversations/{c}/threads/{m}/read"), None),
        (Method::PATCH, format!("/api/v1/chat/conversations/{c}/messages/{m}"), Some(json!({ "body": "changed" }))),
        (Method::DELETE, format!("/api/v1/chat/conversations/{c}/messages/{m}"), None),
        (Method::GET, format!("/api/v1/chat/conversations/{c}/messages/{m}/versions"), None),
        // 👍, URL-encoded.
        (Method::PUT, format!("/api/v1/chat/conversations/{c}/messages/{m}/reactions/%F0%9F%91%8D"), None),
        (Method::DELETE, format!("/api/v1/chat/conversations/{c}/messages/{m}/reactions/%F0%9F%91%8D"), None),
        (Method::GET, format!("/api/v1/chat/conversations/{c}/changes?afterSeq=0"), None),
        (Method::POST, format!("/api/v1/chat/conversations/{c}/read"), Some(json!({ "messageId": m }))),
        (Method::POST, format!("/api/v1/chat/channels/{c}/leave"), None),
        (Method::GET, format!("/api/v1/chat/channels/{c}/members"), None),
        (Method::POST, format!("/api/v1/chat/channels/{c}/members"), Some(json!({ "userId": user }))),
        (Method::DELETE, format!("/api/v1/chat/channels/{c}/members/{user}"), None),
        (Method::PATCH, format!("/api/v1/chat/channels/{c}"), Some(json!({ "name": "taken-over", "topic": "x" }))),
        (Method::POST, format!("/api/v1/chat/channels/{c}/archive"), None),
        (Method::POST, format!("/api/v1/chat/channels/{c}/unarchive"), None),
    ]
}

fn all_routes(w: &World) -> Vec<(Method, String, Option<Value>)> {
    let mut routes = vec![
        (Method::GET, "/api/v1/me".to_owned(), None),
        (Method::GET, "/api/v1/chat/users?prefix=a".to_owned(), None),
        (Method::GET, "/api/v1/chat/conversations".to_owned(), None),
        (Method::GET, "/api/v1/chat/threads".to_owned(), None),
        (Method::GET, "/api/v1/chat/channels".to_owned(), None),
        (Method::POST, "/api/v1/chat/channels".to_owned(), Some(json!({ "name": "new", "visibility": "public" }))),
        (Method::POST, "/api/v1/chat/dms".to_owned(), Some(json!({ "userId": "bob" }))),
        (Method::POST, format!("/api/v1/chat/channels/{}/join", w.public), None),
    ];
    routes.extend(conversation_routes(&w.private, &w.private_msg, "bob"));
    routes
}

fn expired_token() -> String {
    let claims = json!({ "sub": "alice", "tenant_id": "acme", "iss": "tenant-chat-local", "aud": "tenant-chat", "exp": 1_000_000_000u64 });
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(b"test-secret-test-secret-test-secret").unwrap(),
    )
    .unwrap()
}

fn wrong_issuer_token() -> String {
    let claims = json!({ "sub": "alice", "tenant_id": "acme", "iss": "someone-else", "aud": "tenant-chat", "exp": 4_000_000_000u64 });
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(b"test-secret-test-secret-test-secret").unwrap(),
    )
    .unwrap()
}

fn wrong_secret_token() -> String {
    let claims = json!({ "sub": "alice", "tenant_id": "acme", "iss": "tenant-chat-local", "aud": "tenant-chat", "exp": 4_000_000_000u64 });
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(b"not-the-secret").unwrap())
        .unwrap()
}

fn alg_none_token() -> String {
    use base64::Engine;
    let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let header = b64(json!({ "alg": "none", "typ": "JWT" }));
    let claims = b64(
        json!({ "sub": "alice", "tenant_id": "acme", "iss": "tenant-chat-local", "aud": "tenant-chat", "exp": 4_000_000_000u64 }),
    );
    format!("{header}.{claims}.")
}

#[tokio::test]
async fn anonymous_and_bad_tokens_are_refused_everywhere() {
    let w = world().await;
    let bad_tokens =
        [expired_token(), wrong_issuer_token(), wrong_secret_token(), alg_none_token(), "garbage".to_owned()];
    for (method, path, body) in all_routes(&w) {
        let (status, err) = w.app.call_token(method.clone(), &path, None, body.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "anonymous {method} {path}");
        assert_eq!(error_code(&err), "unauthenticated");
        for token in &bad_tokens {
            let (status, err) = w.app.call_token(method.clone(), &path, Some(token), body.clone()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "bad token on {method} {path}: {err}");
            assert_eq!(error_code(&err), "unauthenticated");
        }
    }
}

#[tokio::test]
async fn another_tenant_gets_404s_identical_to_nonexistent_resources() {
    let w = world().await;
    let ghost_conversation = format!("C{}", ulid::Ulid::new());
    let ghost_message = ulid::Ulid::new().to_string();
    for (conversation, message) in [(&w.public, &w.public_msg), (&w.private, &w.private_msg), (&w.dm, &w.dm_msg)] {
        let real = conversation_routes(conversation, message, "bob");
        let ghost = conversation_routes(&ghost_conversation, &ghost_message, "bob");
        for ((method, path, body), (_, ghost_path, _)) in real.into_iter().zip(ghost) {
            let (status, err) = w.app.call(method.clone(), &path, Some(&w.dave), body.clone()).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "dave {method} {path}: {err}");
            let (ghost_status, ghost_err) = w.app.call(method.clone(), &ghost_path, Some(&w.dave), body).await;
            assert_eq!((status, &err), (ghost_status, &ghost_err), "a 404 must not reveal existence ({method} {path})");
        }
        let (status, _) =
            w.app.call(Method::POST, &format!("/api/v1/chat/channels/{conversation}/join"), Some(&w.dave), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    // Tenant-wide lists show nothing of acme.
    let (_, users) = w.app.get(&w.dave, "/api/v1/chat/users?prefix=a").await;
    assert_eq!(users["items"], json!([]));
    let (_, channels) = w.app.get(&w.dave, "/api/v1/chat/channels").await;
    assert_eq!(channels["items"], json!([]));
    let (_, conversations) = w.app.get(&w.dave, "/api/v1/chat/conversations").await;
    assert_eq!(conversations["items"], json!([]));
    let (_, threads) = w.app.get(&w.dave, "/api/v1/chat/threads").await;
    assert_eq!(threads["items"], json!([]));
    // No DM with a user of another tenant, and nothing created by trying.
    let (status, err) = w.app.post(&w.dave, "/api/v1/chat/dms", json!({ "userId": "alice" })).await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::NOT_FOUND, "not_found"));
    // Nothing dave did reached acme's conversations.
    let (_, history) = w.app.get(&w.alice, &format!("/api/v1/chat/conversations/{}/messages", w.private)).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_non_member_cannot_touch_a_private_channel_or_a_dm() {
    let w = world().await;
    for (conversation, message) in [(&w.private, &w.private_msg), (&w.dm, &w.dm_msg)] {
        for (method, path, body) in conversation_routes(conversation, message, "bob") {
            let (status, err) = w.app.call(method.clone(), &path, Some(&w.carol), body).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "carol {method} {path}: {err}");
        }
        let (status, _) =
            w.app.call(Method::POST, &format!("/api/v1/chat/channels/{conversation}/join"), Some(&w.carol), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "joining a private channel or DM");
    }
    let (_, channels) = w.app.get(&w.carol, "/api/v1/chat/channels").await;
    let names: Vec<&str> = channels["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["general"], "private channels are not listed");
}

#[tokio::test]
async fn a_non_member_of_a_public_channel_is_told_to_join() {
    let w = world().await;
    for (method, path, body) in conversation_routes(&w.public, &w.public_msg, "bob") {
        let (status, err) = w.app.call(method.clone(), &path, Some(&w.carol), body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "carol {method} {path}: {err}");
        assert_eq!(error_code(&err), "not_a_member");
    }
    let (status, joined) = w.app.post(&w.carol, &format!("/api/v1/chat/channels/{}/join", w.public), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    let (status, history) = w.app.get(&w.carol, &format!("/api/v1/chat/conversations/{}/messages", w.public)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(history["items"][0]["body"], "public hello");
}

#[tokio::test]
async fn members_cannot_do_what_only_admins_and_authors_may() {
    let w = world().await;
    // bob is a plain member of the private channel: cannot invite or remove.
    let (status, err) =
        w.app.post(&w.bob, &format!("/api/v1/chat/channels/{}/members", w.private), json!({ "userId": "carol" })).await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::FORBIDDEN, "not_channel_admin"));
    let (status, err) = w
        .app
        .call(Method::DELETE, &format!("/api/v1/chat/channels/{}/members/alice", w.private), Some(&w.bob), None)
        .await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::FORBIDDEN, "not_channel_admin"));
    // Not the author: cannot edit; a plain member cannot delete someone else's message.
    let path = format!("/api/v1/chat/conversations/{}/messages/{}", w.private, w.private_msg);
    let (status, err) = w.app.call(Method::PATCH, &path, Some(&w.bob), Some(json!({ "body": "mine now" }))).await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::FORBIDDEN, "not_author"));
    let (status, err) = w.app.call(Method::DELETE, &path, Some(&w.bob), None).await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::FORBIDDEN, "not_author"));
    // Nobody invites into a DM or leaves it.
    let (status, _) =
        w.app.post(&w.alice, &format!("/api/v1/chat/channels/{}/members", w.dm), json!({ "userId": "carol" })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = w.app.post(&w.alice, &format!("/api/v1/chat/channels/{}/leave", w.dm), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The admin can: invite carol, then remove her; bob's messages can be deleted by the admin.
    w.app.invite(&w.alice, &w.private, &w.carol).await;
    let (status, _) = w
        .app
        .call(Method::DELETE, &format!("/api/v1/chat/channels/{}/members/carol", w.private), Some(&w.alice), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let bob_msg = w.app.send(&w.bob, &w.private, "b1", "from bob").await;
    let (status, deleted) = w
        .app
        .call(
            Method::DELETE,
            &format!("/api/v1/chat/conversations/{}/messages/{}", w.private, bob_msg["id"].as_str().unwrap()),
            Some(&w.alice),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(deleted["deletedAt"].is_string());
    // The member list shows who is in, admins first.
    let (status, members) = w.app.get(&w.bob, &format!("/api/v1/chat/channels/{}/members", w.private)).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = members["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["alice", "bob"]);
    assert_eq!(members["items"][0]["role"], "admin");
    // A removed member is out: carol is refused again.
    let (status, _) = w.app.get(&w.carol, &format!("/api/v1/chat/conversations/{}/messages", w.private)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
