//! Group DMs (issue 22.4): three to eight people of one tenant. Opening one is idempotent for the
//! same set of people in any order and whoever opens it, also concurrently; it is a DM for every
//! privacy rule (no join, no invite, no leave, members only); every person is told live.

use std::time::Duration;

use integration_tests::*;
use local::StackOptions;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shared::domain::limits::{Rate, RateLimits};

const QUIET: Duration = Duration::from_millis(300);

async fn open(app: &TestApp, user: &TestUser, others: &[&TestUser]) -> (StatusCode, Value) {
    let ids: Vec<&str> = others.iter().map(|u| u.id.as_str()).collect();
    app.post(user, "/api/v1/chat/dms", json!({ "userIds": ids })).await
}

async fn open_ok(app: &TestApp, user: &TestUser, others: &[&TestUser]) -> String {
    let (status, body) = open(app, user, others).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["id"].as_str().expect("dm id").to_owned()
}

fn member_ids(summary: &Value) -> Vec<String> {
    summary["members"].as_array().expect("members").iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect()
}

async fn list(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let (status, body) = app.get(user, "/api/v1/chat/conversations").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

async fn search(app: &TestApp, user: &TestUser, q: &str) -> Vec<String> {
    app.stack.wait_indexed().await.unwrap();
    let q: String = q
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    let (status, body) = app.get(user, &format!("/api/v1/chat/search?q={q}")).await;
    assert_eq!(status, StatusCode::OK, "{q}: {body}");
    body["items"].as_array().unwrap().iter().map(|r| r["message"]["body"].as_str().unwrap().to_owned()).collect()
}

async fn acme(app: &TestApp, names: &[&str]) -> Vec<TestUser> {
    let mut users = Vec::new();
    for name in names {
        users.push(app.user("acme", name).await);
    }
    users
}

#[tokio::test]
async fn the_same_people_in_any_order_open_one_group_dm_listing_everyone() {
    let app = spawn_app().await;
    let [alice, bob, carol] = <[TestUser; 3]>::try_from(acme(&app, &["alice", "bob", "carol"]).await).unwrap();
    let (status, opened) = open(&app, &alice, &[&bob, &carol]).await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    assert_eq!(opened["kind"], "dm");
    assert_eq!(member_ids(&opened), ["alice", "bob", "carol"]);
    let dm = opened["id"].as_str().unwrap().to_owned();
    // Whoever opens it, naming the others in any order, themselves or not, some twice.
    assert_eq!(open_ok(&app, &bob, &[&carol, &alice]).await, dm);
    assert_eq!(open_ok(&app, &carol, &[&bob, &alice, &carol, &bob]).await, dm);
    // A one-person list is the ordinary DM, the same as `userId`.
    let pair = open_ok(&app, &alice, &[&bob]).await;
    assert_ne!(pair, dm);
    assert_eq!(pair, app.open_dm(&bob, &alice).await);

    // Every member lists it with every profile, as a DM.
    for user in [&alice, &bob, &carol] {
        let items = list(&app, user).await;
        let listed = items.iter().find(|c| c["id"] == dm.as_str()).unwrap_or_else(|| panic!("{} lacks it", user.id));
        assert_eq!(listed["kind"], "dm");
        assert_eq!(member_ids(listed), ["alice", "bob", "carol"]);
        assert_eq!(listed["members"][1]["displayName"], "Bob Tester");
    }
    // Each joining is one change, opened once however often it is opened again.
    app.send(&alice, &dm, "g1", "hello both").await;
    let (_, changes) = app.get(&carol, &format!("/api/v1/chat/conversations/{dm}/changes?afterSeq=0")).await;
    let kinds: Vec<(&str, u64)> = changes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["type"].as_str().unwrap(), c["seq"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [("chat:memberAdded", 1), ("chat:memberAdded", 2), ("chat:memberAdded", 3), ("chat:newMessage", 4)]
    );
    assert_eq!(changes["items"][0]["data"]["userId"], "alice", "the opener joins first");
    // The members route lists them too (the members panel).
    let (status, members) = app.get(&bob, &format!("/api/v1/chat/channels/{dm}/members")).await;
    assert_eq!(status, StatusCode::OK, "{members}");
    let ids: Vec<&str> = members["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["alice", "bob", "carol"]);
    // Unread as a DM: bob has the one message alice sent.
    let bobs = list(&app, &bob).await;
    assert_eq!(bobs.iter().find(|c| c["id"] == dm.as_str()).unwrap()["unreadCount"], 1);
}

#[tokio::test]
async fn concurrent_opens_by_different_members_make_one_group_dm() {
    let app = spawn_app().await;
    let users = acme(&app, &["alice", "bob", "carol", "dan"]).await;
    let opens = (0..8).map(|i| {
        let me = &users[i % users.len()];
        let others: Vec<&TestUser> = users.iter().filter(|u| u.id != me.id).collect();
        let app = &app;
        async move { open(app, me, &others).await }
    });
    let answers = futures::future::join_all(opens).await;
    let ids: Vec<&str> = answers
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, StatusCode::OK, "{body}");
            body["id"].as_str().unwrap()
        })
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let dm = ids[0];
    let (_, changes) = app.get(&users[3], &format!("/api/v1/chat/conversations/{dm}/changes?afterSeq=0")).await;
    let mut joined: Vec<&str> =
        changes["items"].as_array().unwrap().iter().map(|c| c["data"]["userId"].as_str().unwrap()).collect();
    joined.sort();
    assert_eq!(joined, ["alice", "bob", "carol", "dan"], "each person joined exactly once");
    for user in &users {
        assert_eq!(list(&app, user).await.iter().filter(|c| c["id"] == dm).count(), 1);
    }
}

#[tokio::test]
async fn a_group_dm_holds_three_to_eight_people_of_the_tenant() {
    let app = spawn_app().await;
    let names = ["alice", "bob", "carol", "dan", "erin", "frank", "grace", "heidi", "ivan"];
    let users = acme(&app, &names).await;
    let dave = app.user("globex", "dave").await;
    let alice = &users[0];
    let refs: Vec<&TestUser> = users.iter().collect();

    // Eight with the caller: fine.
    let eight = open_ok(&app, alice, &refs[1..8]).await;
    let (_, summary) = app.get(alice, &format!("/api/v1/chat/conversations/{eight}")).await;
    assert_eq!(member_ids(&summary).len(), 8);
    // Nine is one too many, and so many names even when they repeat eight people.
    let invalid = |(status, body): (StatusCode, Value), what: &str| {
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
        assert_eq!(error_code(&body), "invalid_input", "{what}");
    };
    invalid(open(&app, alice, &refs[1..9]).await, "nine people");
    let many: Vec<&str> = (0..20).map(|i| names[1 + i % 7]).collect();
    invalid(app.post(alice, "/api/v1/chat/dms", json!({ "userIds": many })).await, "twenty names");
    invalid(app.post(alice, "/api/v1/chat/dms", json!({ "userIds": [] })).await, "nobody");
    invalid(app.post(alice, "/api/v1/chat/dms", json!({ "userIds": ["alice", "alice"] })).await, "only myself");
    invalid(app.post(alice, "/api/v1/chat/dms", json!({ "userIds": ["bob", "a#b"] })).await, "a bad id");
    invalid(app.post(alice, "/api/v1/chat/dms", json!({ "userIds": "bob" })).await, "not a list");
    invalid(app.post(alice, "/api/v1/chat/dms", json!({ "userId": "bob", "userIds": ["carol"] })).await, "both");
    invalid(app.post(alice, "/api/v1/chat/dms", json!({})).await, "neither");

    // Unknown people, and another tenant's user (a user id that exists there, not here): 404,
    // the same answer, and nothing is created for anyone.
    let before = list(&app, alice).await.len();
    let (status, unknown) = app.post(alice, "/api/v1/chat/dms", json!({ "userIds": ["bob", "nobody"] })).await;
    assert_eq!((status, error_code(&unknown).as_str()), (StatusCode::NOT_FOUND, "not_found"));
    let (status, foreign) = app.post(alice, "/api/v1/chat/dms", json!({ "userIds": ["bob", "dave"] })).await;
    assert_eq!((status, &foreign), (StatusCode::NOT_FOUND, &unknown), "another tenant's user is no one here");
    let (status, _) = app.post(&dave, "/api/v1/chat/dms", json!({ "userIds": ["alice", "bob"] })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "dave reaches no one in acme");
    assert_eq!(list(&app, alice).await.len(), before);
    let bobs: Vec<Value> = list(&app, &users[1]).await.into_iter().map(|c| c["id"].clone()).collect();
    assert_eq!(bobs, [json!(eight)], "bob has the group of eight only");
    assert!(list(&app, &dave).await.is_empty());
}

#[tokio::test]
async fn only_its_members_read_send_or_search_a_group_dm_and_nobody_joins_it() {
    let app = spawn_app().await;
    let [alice, bob, carol, erin] =
        <[TestUser; 4]>::try_from(acme(&app, &["alice", "bob", "carol", "erin"]).await).unwrap();
    let dave = app.user("globex", "dave").await;
    let dm = open_ok(&app, &alice, &[&bob, &carol]).await;
    let msg = app.send(&carol, &dm, "g1", "pomegranate plans").await["id"].as_str().unwrap().to_owned();

    let routes = [
        (Method::GET, format!("/api/v1/chat/conversations/{dm}"), None),
        (Method::GET, format!("/api/v1/chat/conversations/{dm}/messages"), None),
        (
            Method::POST,
            format!("/api/v1/chat/conversations/{dm}/messages"),
            Some(json!({ "clientMessageId": "x", "body": "intruder" })),
        ),
        (Method::GET, format!("/api/v1/chat/conversations/{dm}/threads/{msg}"), None),
        (Method::GET, format!("/api/v1/chat/conversations/{dm}/changes?afterSeq=0"), None),
        (Method::POST, format!("/api/v1/chat/conversations/{dm}/read"), Some(json!({ "messageId": msg }))),
        (Method::GET, format!("/api/v1/chat/channels/{dm}/members"), None),
        (Method::POST, format!("/api/v1/chat/channels/{dm}/join"), None),
        (Method::POST, format!("/api/v1/chat/channels/{dm}/members"), Some(json!({ "userId": "erin" }))),
    ];
    // A non-member of the tenant and another tenant's user: it does not exist for them.
    for user in [&erin, &dave] {
        for (method, path, body) in &routes {
            let (status, err) = app.call(method.clone(), path, Some(user), body.clone()).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{} {method} {path}: {err}", user.id);
        }
    }
    // Nobody without a token.
    for (method, path, body) in routes.iter().cloned().chain([(
        Method::POST,
        "/api/v1/chat/dms".to_owned(),
        Some(json!({ "userIds": ["bob", "carol"] })),
    )]) {
        let (status, err) = app.call(method.clone(), &path, None, body).await;
        assert_eq!((status, error_code(&err).as_str()), (StatusCode::UNAUTHORIZED, "unauthenticated"), "{path}");
    }
    // Search: its members find it, nobody else does. `in:@handle` stays the 1:1 DM with that
    // person (Slack's meaning), so it does not reach into the group.
    for user in [&alice, &bob, &carol] {
        assert_eq!(search(&app, user, "pomegranate").await, ["pomegranate plans"], "{}", user.id);
    }
    assert!(search(&app, &erin, "pomegranate").await.is_empty());
    assert!(search(&app, &dave, "pomegranate").await.is_empty());
    assert!(search(&app, &alice, "pomegranate in:@carol").await.is_empty());

    // A member cannot add or remove anyone, nor leave: the people are the DM.
    for (method, path, body) in [
        (Method::POST, format!("/api/v1/chat/channels/{dm}/members"), Some(json!({ "userId": "erin" }))),
        (Method::DELETE, format!("/api/v1/chat/channels/{dm}/members/carol"), None),
        (Method::POST, format!("/api/v1/chat/channels/{dm}/leave"), None),
    ] {
        let (status, err) = app.call(method.clone(), &path, Some(&alice), body).await;
        assert_eq!((status, error_code(&err).as_str()), (StatusCode::FORBIDDEN, "dm_membership"), "{method} {path}");
    }
    let (_, members) = app.get(&alice, &format!("/api/v1/chat/channels/{dm}/members")).await;
    assert_eq!(members["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn every_person_is_told_live_and_hears_the_first_message() {
    let app = spawn_app().await;
    let [alice, bob, carol, erin] =
        <[TestUser; 4]>::try_from(acme(&app, &["alice", "bob", "carol", "erin"]).await).unwrap();
    let mut tabs = Vec::new();
    for user in [&alice, &bob, &carol, &erin] {
        let mut socket = ws_connect(&app, user).await;
        assert_eq!(ws_subscribe(&mut socket, None).await["type"], "subscribed");
        tabs.push((user.id.clone(), socket));
    }
    let dm = open_ok(&app, &alice, &[&carol, &bob]).await;
    let mut told = Vec::new();
    for (who, socket) in &mut tabs {
        for frame in ws_drain(socket, QUIET).await {
            assert_eq!(
                (frame["type"].as_str(), frame["conversationId"].as_str()),
                (Some("chat:memberAdded"), Some(dm.as_str()))
            );
            told.push((who.clone(), frame["data"]["userId"].as_str().unwrap().to_owned()));
        }
    }
    told.sort();
    let pairs = |xs: &[(&str, &str)]| xs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
    assert_eq!(told, pairs(&[("alice", "alice"), ("bob", "bob"), ("carol", "carol")]), "erin hears nothing");

    // Each client subscribes on its memberAdded, as the web client does: the first message is live.
    for (_, socket) in tabs.iter_mut().take(3) {
        let ack = ws_subscribe(socket, Some(vec![dm.clone()])).await;
        assert_eq!(ack["conversations"][0]["lastSeq"], 3, "{ack}");
    }
    app.send(&alice, &dm, "g1", "hi both").await;
    let mut heard = Vec::new();
    for (who, socket) in &mut tabs {
        for frame in ws_drain(socket, QUIET).await {
            if frame["type"] == "chat:newMessage" {
                heard.push(who.clone());
            }
        }
    }
    assert_eq!(heard, ["alice", "bob", "carol"]);
}

#[tokio::test]
async fn opening_a_new_group_dm_spends_the_dm_budget() {
    let mut opts = StackOptions::ephemeral();
    opts.rate_limits = RateLimits { dms: Some(Rate { count: 1, window_secs: 60 }), ..RateLimits::default() };
    let app = spawn_app_with(opts).await;
    let [alice, bob, carol, dan] =
        <[TestUser; 4]>::try_from(acme(&app, &["alice", "bob", "carol", "dan"]).await).unwrap();
    let dm = open_ok(&app, &alice, &[&bob, &carol]).await;
    let (status, err) = open(&app, &alice, &[&bob, &dan]).await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"));
    assert_eq!(open_ok(&app, &alice, &[&carol, &bob]).await, dm, "an existing one opens");
    assert_eq!(open_ok(&app, &bob, &[&alice, &carol]).await, dm, "and spends nothing for another member");
    open_ok(&app, &bob, &[&carol, &dan]).await;
}

/// The group DM use case on a store, from two `Chat`s (two instances: their opens race on the
/// conversation's claim across processes). Run on SQLite here and on DynamoDB (moto) in
/// `domain_on_dynamodb`.
pub(crate) async fn group_dms_on(store: std::sync::Arc<dyn shared::ports::store::Store>) {
    use shared::domain::dm::DmPeople;
    use shared::domain::ids::UserId;
    use shared::domain::EventType;
    use shared::ports::clock::SystemClock;
    use shared::ChatError;
    use std::sync::Arc;

    let chat = Arc::new(shared::Chat::new(store.clone(), Arc::new(SystemClock), Arc::new(NoEvents)));
    let other = Arc::new(shared::Chat::new(store, Arc::new(SystemClock), Arc::new(NoEvents)));
    let people: Vec<shared::Caller> = (0..8).map(|i| caller("acme", &format!("p{i}"), &[])).collect();
    let dave = caller("globex", "dave", &[]);
    for c in people.iter().chain([&dave]) {
        chat.ensure_profile(c).await.unwrap();
    }
    let ids: Vec<UserId> = people.iter().map(|c| c.user.clone()).collect();
    let set =
        |who: &shared::Caller, n: usize| DmPeople::new(&who.user, ids[..n].iter().rev().cloned(), "userIds").unwrap();

    // Everyone of a group of eight opens it at once, from either instance: one DM, eight joins.
    let opens = people.iter().enumerate().map(|(i, who)| {
        let chat = if i % 2 == 0 { other.clone() } else { chat.clone() };
        let (who, wanted) = (who.clone(), set(who, 8));
        async move { chat.open_dm_with(&who, &wanted).await }
    });
    let opened: Vec<_> = futures::future::join_all(opens).await.into_iter().map(|r| r.expect("open")).collect();
    let dm = opened[0].id.clone();
    assert!(opened.iter().all(|s| s.id == dm && s.members.as_ref().map(Vec::len) == Some(8)));
    let changes = chat.changes(&people[5], &dm, 0, Some(100)).await.unwrap();
    assert_eq!(changes.items.iter().filter(|e| e.kind() == EventType::MemberAdded).count(), 8);
    assert_eq!(changes.last_seq, 8);
    let (members, _) = chat.members(&people[7], &dm, None, None).await.unwrap();
    assert_eq!(members.len(), 8);

    // Three: the same from whoever opens it; a subset is another DM; a pair is the ordinary DM.
    let three = chat.open_dm_with(&people[2], &set(&people[2], 3)).await.unwrap();
    assert_eq!(other.open_dm_with(&people[0], &set(&people[0], 3)).await.unwrap().id, three.id);
    assert_ne!(three.id, dm);
    let pair = chat.open_dm_with(&people[1], &set(&people[1], 2)).await.unwrap();
    assert_eq!(pair.id, chat.open_dm(&people[0], &people[1].user).await.unwrap().id);
    assert!(chat.send(&people[3], &three.id, new_message("x", "not mine")).await.is_err(), "p3 is not in the three");

    // Another tenant's user is no one here, from either side, and nothing is created.
    let with_dave = DmPeople::new(&people[0].user, [ids[1].clone(), dave.user.clone()], "userIds").unwrap();
    assert!(matches!(chat.open_dm_with(&people[0], &with_dave).await, Err(ChatError::NotFound("user"))));
    let into_acme = DmPeople::new(&dave.user, ids[..2].iter().cloned(), "userIds").unwrap();
    assert!(matches!(chat.open_dm_with(&dave, &into_acme).await, Err(ChatError::NotFound("user"))));
    assert!(chat.list_conversations(&dave).await.unwrap().is_empty());
    assert!(matches!(
        chat.summary(&people[0], &with_dave.conversation_id(&people[0].tenant)).await,
        Err(ChatError::NotFound(_))
    ));
}

#[tokio::test]
async fn group_dms_on_the_embedded_store() {
    use shared::adapters::embedded::sqlite::SqliteStore;
    let store = SqliteStore::in_memory(std::sync::Arc::new(shared::ports::clock::SystemClock)).unwrap();
    group_dms_on(std::sync::Arc::new(store)).await;
}
