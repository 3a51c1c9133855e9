//! Edit history (`GET …/messages/{id}/versions`) and who may delete: the earlier texts of an
//! edited message, newest first, for those who can read the conversation; bounded; gone with
//! the message (its delete, its expiry). The use cases run on both stores (SQLite and DynamoDB
//! on moto); the HTTP tests on the local stack.

use std::sync::Arc;

use integration_tests::{caller, error_code, moto_store, new_message, spawn_app, NoEvents};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shared::adapters::embedded::sqlite::SqliteStore;
use shared::domain::ids::{ConversationId, TenantId};
use shared::domain::values::{ChannelName, MessageBody};
use shared::domain::versions::MAX_KEPT_VERSIONS;
use shared::domain::Visibility;
use shared::ports::clock::SystemClock;
use shared::ports::store::{Query, Store};
use shared::{Chat, ChatError};

/// Every `VERSION#` item of a conversation's partition, whatever message it belongs to.
async fn version_items(store: &dyn Store, t: &str, c: &ConversationId) -> usize {
    let pk = shared::persistence::keys::conversation_pk(&TenantId::parse(t).unwrap(), c);
    let page = store.query(&Query::prefix(pk, "VERSION#").limit(1000).consistent()).await.unwrap();
    page.items.len()
}

async fn edit_history(store: Arc<dyn Store>) {
    let chat = Arc::new(Chat::new(store.clone(), Arc::new(SystemClock), Arc::new(NoEvents)));
    let other = Arc::new(Chat::new(store.clone(), Arc::new(SystemClock), Arc::new(NoEvents)));
    let alice = caller("acme", "alice", &[]);
    let bob = caller("acme", "bob", &[]);
    let carol = caller("acme", "carol", &[]);
    for c in [&alice, &bob, &carol] {
        chat.ensure_profile(c).await.unwrap();
    }
    let channel =
        chat.create_channel(&alice, ChannelName::parse("history").unwrap(), Visibility::Private, None).await.unwrap();
    chat.invite(&alice, &channel.id, &bob.user).await.unwrap();
    let sent = chat.send(&alice, &channel.id, new_message("v1", "first")).await.unwrap().message;
    assert!(chat.versions(&bob, &channel.id, &sent.id).await.unwrap().is_empty(), "never edited: no versions");

    let body = |s: &str| MessageBody::parse(s).unwrap();
    let second = chat.edit(&alice, &channel.id, &sent.id, body("second"), Some(vec![bob.user.clone()])).await.unwrap();
    chat.edit(&alice, &channel.id, &sent.id, body("third"), None).await.unwrap();
    let versions = chat.versions(&bob, &channel.id, &sent.id).await.unwrap();
    let bodies: Vec<&str> = versions.iter().map(|v| v.body.as_str()).collect();
    assert_eq!(bodies, ["second", "first"], "newest first");
    assert_eq!(versions[0].mentions, vec![bob.user.clone()]);
    assert_eq!(versions[1].written_at, sent.created_at);
    assert_eq!(Some(&versions[1].replaced_at), second.edited_at.as_ref());
    assert_eq!(versions[0].written_at, versions[1].replaced_at);
    // A non-member of the private channel reads nothing of it.
    assert!(matches!(chat.versions(&carol, &channel.id, &sent.id).await, Err(ChatError::NotFound(_))));

    // Concurrent edits from two instances (two tabs): each replaced text is kept, none twice.
    let edits = (0..3).map(|i| {
        let chat = if i % 2 == 0 { chat.clone() } else { other.clone() };
        let (alice, id, m) = (alice.clone(), channel.id.clone(), sent.id);
        async move { chat.edit(&alice, &id, &m, body(&format!("race {i}")), None).await }
    });
    for result in futures::future::join_all(edits).await {
        result.expect("each concurrent edit lands");
    }
    let versions = chat.versions(&bob, &channel.id, &sent.id).await.unwrap();
    assert_eq!(versions.len(), 5);
    let mut replaced: Vec<&str> = versions.iter().take(3).map(|v| v.body.as_str()).collect();
    replaced.sort();
    assert!(replaced.contains(&"third"), "the text before the race was kept: {replaced:?}");
    let mut unique = replaced.clone();
    unique.dedup();
    assert_eq!(unique.len(), 3, "no replaced text kept twice: {replaced:?}");

    // Bounded: past the bound the oldest go, and the newest stay.
    for i in 0..MAX_KEPT_VERSIONS {
        chat.edit(&alice, &channel.id, &sent.id, body(&format!("bulk {i}")), None).await.unwrap();
    }
    let versions = chat.versions(&bob, &channel.id, &sent.id).await.unwrap();
    assert_eq!(versions.len() as u64, MAX_KEPT_VERSIONS);
    assert_eq!(version_items(store.as_ref(), "acme", &channel.id).await as u64, MAX_KEPT_VERSIONS);
    assert_eq!(versions[0].body, format!("bulk {}", MAX_KEPT_VERSIONS - 2));

    // Deleting removes them: none is readable, none is left in the table.
    chat.delete(&alice, &channel.id, &sent.id).await.unwrap();
    assert!(matches!(chat.versions(&bob, &channel.id, &sent.id).await, Err(ChatError::NotFound("message"))));
    assert_eq!(version_items(store.as_ref(), "acme", &channel.id).await, 0);
}

#[tokio::test]
async fn edit_history_on_sqlite() {
    edit_history(Arc::new(SqliteStore::in_memory(Arc::new(SystemClock)).unwrap())).await
}

#[tokio::test]
async fn edit_history_on_dynamodb() {
    edit_history(Arc::new(moto_store().await)).await
}

fn path(c: &str, m: &str) -> String {
    format!("/api/v1/chat/conversations/{c}/messages/{m}")
}

#[tokio::test]
async fn members_read_the_history_and_admins_delete_others_messages_but_never_edit_them() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let tina = app.user_with_roles("acme", "tina", &["admin"]).await;
    let dave = app.user_with_roles("globex", "dave", &["admin"]).await;
    let general = app.create_channel(&alice, "general", "public").await;
    for u in [&bob, &tina] {
        app.invite(&alice, &general, u).await;
    }
    let msg = app.send(&bob, &general, "b1", "from bob").await;
    let id = msg["id"].as_str().unwrap();
    let versions = format!("{}/versions", path(&general, id));
    assert_eq!(app.get(&alice, &versions).await, (StatusCode::OK, json!({ "items": [] })));
    let (status, edited) =
        app.call(Method::PATCH, &path(&general, id), Some(&bob), Some(json!({ "body": "from bob, fixed" }))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, history) = app.get(&alice, &versions).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        history,
        json!({ "items": [{ "body": "from bob", "mentions": [], "writtenAt": msg["createdAt"], "replacedAt": edited["editedAt"] }] })
    );
    // Another tenant's user (an admin there) gets the 404 a missing message gets.
    let (status, err) = app.get(&dave, &versions).await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::NOT_FOUND, "not_found"));
    assert_eq!(err["error"]["message"], "conversation not found");
    let (status, _) = app.call(Method::GET, &versions, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, err) = app.get(&alice, &format!("{}/versions", path(&general, "01JE0000000000000000000000"))).await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::NOT_FOUND, "not_found"));
    assert_eq!(err["error"]["message"], "message not found");

    // A tenant admin who is a plain member of the channel, and the channel's admin: neither
    // edits bob's message; each may delete one.
    for admin in [&tina, &alice] {
        let (status, err) =
            app.call(Method::PATCH, &path(&general, id), Some(admin), Some(json!({ "body": "x" }))).await;
        assert_eq!((status, error_code(&err).as_str()), (StatusCode::FORBIDDEN, "not_author"));
    }
    let second = app.send(&bob, &general, "b2", "another from bob").await;
    for (admin, m) in [(&tina, id), (&alice, second["id"].as_str().unwrap())] {
        let (status, deleted): (StatusCode, Value) =
            app.call(Method::DELETE, &path(&general, m), Some(admin), None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(deleted["deletedAt"].is_string());
    }
    // The deleted message's earlier text is gone with it.
    let (status, err) = app.get(&alice, &versions).await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::NOT_FOUND, "not_found"));
    assert_eq!(err["error"]["message"], "message not found");
    let c = ConversationId::parse(&general).unwrap();
    assert_eq!(version_items(&app.stack.store, "acme", &c).await, 0);

    // In a DM the other member may not delete (no channel admins there); a tenant admin in it may.
    let dm = app.open_dm(&alice, &bob).await;
    let in_dm = app.send(&bob, &dm, "d1", "dm from bob").await;
    let (status, err) = app.call(Method::DELETE, &path(&dm, in_dm["id"].as_str().unwrap()), Some(&alice), None).await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::FORBIDDEN, "not_author"));
    let dm = app.open_dm(&tina, &bob).await;
    let in_dm = app.send(&bob, &dm, "d2", "dm from bob to tina").await;
    let (status, _) = app.call(Method::DELETE, &path(&dm, in_dm["id"].as_str().unwrap()), Some(&tina), None).await;
    assert_eq!(status, StatusCode::OK);
}
