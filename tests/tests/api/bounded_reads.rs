//! Reads a request can make unbounded get pages or caps (issue 23 item 6): a channel's members,
//! the memberships search filters by, relevance offsets past the index's window.

use integration_tests::*;
use reqwest::StatusCode;
use serde_json::json;
use shared::domain::ids::{ConversationId, TenantId, UserId};
use shared::ports::store::{Item, Store, WriteOp};

#[tokio::test]
async fn members_come_in_pages_that_cover_everyone_once() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let channel = app.create_channel(&alice, "general", "private").await;
    let mut everyone = vec!["alice".to_owned()];
    for name in ["bob", "carol", "erin", "frank"] {
        let user = app.user("acme", name).await;
        app.invite(&alice, &channel, &user).await;
        everyone.push(name.to_owned());
    }
    let base = format!("/api/v1/chat/channels/{channel}/members");
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = match &cursor {
            Some(c) => format!("{base}?limit=2&cursor={c}"),
            None => format!("{base}?limit=2"),
        };
        let (status, page) = app.get(&alice, &url).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2, "a page holds at most its limit: {page}");
        seen.extend(items.iter().map(|m| m["id"].as_str().unwrap().to_owned()));
        pages += 1;
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 10, "pages never end");
    }
    assert_eq!(pages, 3);
    seen.sort();
    everyone.sort();
    assert_eq!(seen, everyone, "every member once");
    // Without a limit: one page of the default size, everyone in it here.
    let (_, all) = app.get(&alice, &base).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 5);
    assert!(all.get("nextCursor").is_none());
    for bad in ["?limit=0", "?limit=101", "?cursor=not%20a%20user!"] {
        let (status, body) = app.get(&alice, &format!("{base}{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(error_code(&body), "invalid_input");
    }
    // Pages are no way around membership.
    let outsider = app.user("acme", "mallory").await;
    let dave = app.user("globex", "dave").await;
    for user in [&outsider, &dave] {
        assert_eq!(app.get(user, &format!("{base}?limit=2")).await.0, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        app.call(reqwest::Method::GET, &format!("{base}?limit=2"), None, None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn relevance_pages_stop_at_the_index_window_with_a_clear_error() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let channel = app.create_channel(&alice, "general", "public").await;
    app.send(&alice, &channel, "m", "pineapple").await;
    app.stack.wait_indexed().await.unwrap();
    let url = |cursor: usize, limit: usize| {
        format!("/api/v1/chat/search?q=pineapple&sort=relevance&cursor={cursor}&limit={limit}")
    };
    // from + size = 10,000 is the last page OpenSearch serves.
    let (status, body) = app.get(&alice, &url(9_980, 20)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for (cursor, limit) in [(9_981, 20), (10_000, 1), (usize::MAX, 1)] {
        let (status, body) = app.get(&alice, &url(cursor, limit)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{cursor}+{limit}: {body}");
        assert_eq!(error_code(&body), "invalid_input");
        assert!(body["error"]["message"].as_str().unwrap().starts_with("cursor"), "{body}");
    }
    // Newest-first pages have no such bound (their cursor is a position, not an offset).
    let (status, _) = app.get(&alice, "/api/v1/chat/search?q=pineapple&limit=20").await;
    assert_eq!(status, StatusCode::OK);
}

async fn found(app: &TestApp, user: &TestUser) -> usize {
    let (status, body) = app.get(user, "/api/v1/chat/search?q=pineapple").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn search_reads_a_bounded_number_of_memberships() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let channel = app.create_channel(&alice, "general", "public").await;
    app.send(&alice, &channel, "m", "pineapple").await;
    app.stack.wait_indexed().await.unwrap();
    assert_eq!(found(&app, &alice).await, 1);
    // Alice is in 2,000 more conversations whose ids sort after the channel's (DM ids): the
    // read stops at the bound, DMs and newest channels first, and her oldest channel is past it.
    let tenant = TenantId::parse("acme").unwrap();
    let user = UserId::parse("alice").unwrap();
    let ops: Vec<WriteOp> = (0..shared::app::MAX_MEMBERSHIPS)
        .map(|n| {
            let id = ConversationId::parse(&format!("D{n:032x}")).unwrap();
            let attrs =
                json!({ "conversationId": id, "kind": "dm", "role": "member", "joinedAt": "2026-12-01T00:00:00.000Z" });
            WriteOp::Put {
                item: Item::new(
                    shared::persistence::keys::membership(&tenant, &user, &id),
                    attrs.as_object().unwrap().clone(),
                ),
                cond: shared::ports::store::Cond::Always,
            }
        })
        .collect();
    app.stack.store.batch_write(ops).await.unwrap();
    assert_eq!(found(&app, &alice).await, 0, "the channel is past the bound");
    // Others are unaffected.
    let bob = app.user("acme", "bob").await;
    app.post(&bob, &format!("/api/v1/chat/channels/{channel}/join"), json!({})).await;
    assert_eq!(found(&app, &bob).await, 1);
}

#[tokio::test]
async fn archive_listings_come_in_pages() {
    let app = spawn_app().await;
    let alice = app.user_with_roles("acme", "alice", &["admin"]).await;
    let channel = app.create_channel(&alice, "general", "public").await;
    // Each archived batch is an object of its own.
    for i in 0..3 {
        app.send(&alice, &channel, &format!("m{i}"), "for the record").await;
        app.stack.wait_archived().await.unwrap();
    }
    let base = format!("/api/v1/chat/retention/archive?conversationId={channel}");
    let (status, all) = app.get(&alice, &base).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let all: Vec<String> =
        all["items"].as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap().to_owned()).collect();
    assert!(all.len() >= 3, "{all:?}");
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        let url = match &cursor {
            Some(c) => format!("{base}&limit=1&cursor={}", c.replace('/', "%2F")),
            None => format!("{base}&limit=1"),
        };
        let (status, page) = app.get(&alice, &url).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 1, "{page}");
        paged.extend(items.iter().map(|f| f["key"].as_str().unwrap().to_owned()));
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, all, "the pages hold every file once, in order");
    // A day range starts the listing at its first day.
    let (_, later) = app.get(&alice, &format!("{base}&from=2999-01-01")).await;
    assert_eq!(later["items"].as_array().unwrap().len(), 0);
    for bad in ["&limit=0", "&limit=101", "&cursor=archive%2Fglobex%2Fsomething"] {
        let (status, body) = app.get(&alice, &format!("{base}{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(error_code(&body), "invalid_input");
    }
}
