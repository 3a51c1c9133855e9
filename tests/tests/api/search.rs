//! Search: only what the caller may read, kept right through edits and deletes, the same index
//! state whatever order the stream delivers in, and the query language.

use integration_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use shared::adapters::embedded::search::SqliteSearch;
use shared::domain::search::{IndexOp, SearchDoc};
use shared::ports::search::SearchIndex;

async fn search(app: &TestApp, user: &TestUser, q: &str) -> Vec<String> {
    app.stack.wait_indexed().await.unwrap();
    let url = format!("/api/v1/chat/search?q={}", urlencode(q));
    let (status, body) = app.get(user, &url).await;
    assert_eq!(status, StatusCode::OK, "{q}: {body}");
    body["items"].as_array().unwrap().iter().map(|r| r["message"]["body"].as_str().unwrap().to_owned()).collect()
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Private names need not be unique (issue 23.2): `in:#name` covers every channel of that name
/// the caller is in, and none they are not in.
#[tokio::test]
async fn in_channel_covers_every_channel_of_that_name_the_caller_reads() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let public = app.create_channel(&alice, "ops", "public").await;
    let alices = app.create_channel(&alice, "ops", "private").await;
    let bobs = app.create_channel(&bob, "ops", "private").await;
    app.invite(&alice, &public, &bob).await;
    app.send(&alice, &public, "p", "kiwi in public ops").await;
    app.send(&alice, &alices, "a", "kiwi in alice's ops").await;
    app.send(&bob, &bobs, "b", "kiwi in bob's ops").await;
    assert_eq!(sorted(search(&app, &alice, "kiwi in:#ops").await), ["kiwi in alice's ops", "kiwi in public ops"]);
    assert_eq!(sorted(search(&app, &bob, "kiwi in:#ops").await), ["kiwi in bob's ops", "kiwi in public ops"]);
}

/// `from:@handle` is the handle's one owner (its unique claim), however many other users have
/// that word in their name (the token index would list them first, by user id).
#[tokio::test]
async fn from_handle_is_the_owner_of_the_handle_among_many_namesakes() {
    let app = spawn_app().await;
    for n in 0..60 {
        let id = format!("a{n:02}");
        let token = app.stack.token("acme", &id, "Bob Namesake", &[]).unwrap();
        let namesake = TestUser { tenant: "acme".into(), id, token };
        assert_eq!(app.get(&namesake, "/api/v1/me").await.0, StatusCode::OK);
    }
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let general = app.create_channel(&alice, "general", "public").await;
    app.invite(&alice, &general, &bob).await;
    app.send(&bob, &general, "b", "mango from the real bob").await;
    app.send(&alice, &general, "a", "mango from alice").await;
    assert_eq!(search(&app, &alice, "mango from:@bob").await, ["mango from the real bob"]);
    assert_eq!(search(&app, &alice, "mango from:@Bob").await, ["mango from the real bob"], "handles ignore case");
}

/// A profile written before handles were claimed has no claim until its user is next seen:
/// `from:@` still finds them (through the name index), and a non-handle finds no one.
#[tokio::test]
async fn from_handle_finds_a_user_whose_handle_is_not_claimed_yet() {
    use shared::ports::store::{Cond, Store};
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let general = app.create_channel(&alice, "general", "public").await;
    app.invite(&alice, &general, &bob).await;
    app.send(&bob, &general, "b", "kiwi from bob").await;
    let tenant = shared::domain::ids::TenantId::parse("acme").unwrap();
    let claim = shared::persistence::keys::handle(&tenant, "bob");
    app.stack.store.delete(&claim, Cond::Exists).await.unwrap();
    assert_eq!(search(&app, &alice, "kiwi from:@bob").await, ["kiwi from bob"]);
    assert!(search(&app, &alice, "kiwi from:@b#ob").await.is_empty());
    assert!(search(&app, &alice, &format!("kiwi from:@{}", "é".repeat(300))).await.is_empty());
}

#[tokio::test]
async fn results_hold_only_what_the_caller_may_read_now() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let carol = app.user("acme", "carol").await;
    let dave = app.user("globex", "dave").await;
    let general = app.create_channel(&alice, "general", "public").await;
    let secret = app.create_channel(&alice, "secret", "private").await;
    let globex = app.create_channel(&dave, "general", "public").await;
    for u in [&bob, &carol] {
        app.invite(&alice, &general, u).await;
    }
    app.invite(&alice, &secret, &bob).await;
    let dm = app.open_dm(&alice, &bob).await;
    app.send(&alice, &general, "g", "pineapple in general").await;
    app.send(&alice, &secret, "s", "pineapple in secret").await;
    app.send(&alice, &dm, "d", "pineapple in the dm").await;
    app.send(&dave, &globex, "x", "pineapple at globex").await;

    assert_eq!(
        sorted(search(&app, &bob, "pineapple").await),
        ["pineapple in general", "pineapple in secret", "pineapple in the dm"]
    );
    assert_eq!(search(&app, &carol, "pineapple").await, ["pineapple in general"]);
    assert_eq!(search(&app, &dave, "pineapple").await, ["pineapple at globex"]);
    assert!(search(&app, &carol, "pineapple in:#secret").await.is_empty());
    assert!(search(&app, &dave, "pineapple in:#general from:@alice").await.is_empty());
    // Leaving takes the channel out of the results at once.
    assert_eq!(
        app.post(&carol, &format!("/api/v1/chat/channels/{general}/leave"), json!({})).await.0,
        StatusCode::NO_CONTENT
    );
    assert!(search(&app, &carol, "pineapple").await.is_empty());
    // Removed from the private channel: gone for bob too.
    app.call(Method::DELETE, &format!("/api/v1/chat/channels/{secret}/members/bob"), Some(&alice), None).await;
    assert_eq!(sorted(search(&app, &bob, "pineapple").await), ["pineapple in general", "pineapple in the dm"]);
    // Anonymous and bad input.
    assert_eq!(app.call(Method::GET, "/api/v1/chat/search?q=pineapple", None, None).await.0, StatusCode::UNAUTHORIZED);
    for q in ["", "   ", "before:notadate"] {
        let (status, err) = app.get(&bob, &format!("/api/v1/chat/search?q={}", urlencode(q))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}");
        assert_eq!(error_code(&err), "invalid_input");
    }
}

#[tokio::test]
async fn edits_and_deletes_reach_the_index() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let channel = app.create_channel(&alice, "general", "public").await;
    let m = app.send(&alice, &channel, "e", "the quarterly budget").await;
    assert_eq!(search(&app, &alice, "budget").await.len(), 1);
    let path = format!("/api/v1/chat/conversations/{channel}/messages/{}", m["id"].as_str().unwrap());
    app.call(Method::PATCH, &path, Some(&alice), Some(json!({ "body": "the quarterly forecast" }))).await;
    assert!(search(&app, &alice, "budget").await.is_empty(), "the old text is not found");
    assert_eq!(search(&app, &alice, "forecast").await, ["the quarterly forecast"]);
    app.call(Method::DELETE, &path, Some(&alice), None).await;
    assert!(search(&app, &alice, "forecast").await.is_empty());
    assert!(search(&app, &alice, "quarterly").await.is_empty());
}

/// Bodies are Markdown: the index holds the words a person reads, and the snippet shows them
/// without the markers.
#[tokio::test]
async fn markdown_is_searched_and_shown_as_plain_text() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let channel = app.create_channel(&alice, "general", "public").await;
    let body = "> the **quarterly** plan\n\n- see [the docs](https://example.com/roadmap)\n\n```\nlet budget = 3;\n```";
    app.send(&alice, &channel, "m", body).await;
    for q in ["quarterly", "\"the quarterly plan\"", "docs", "roadmap", "budget"] {
        assert_eq!(search(&app, &alice, q).await, [body], "{q}");
    }
    app.stack.wait_indexed().await.unwrap();
    let (_, page) = app.get(&alice, "/api/v1/chat/search?q=quarterly").await;
    let hit = &page["items"][0];
    assert_eq!(hit["message"]["body"], body, "the hit is the whole message, Markdown and all");
    let snippet: String = hit["snippet"].as_array().unwrap().iter().map(|p| p["text"].as_str().unwrap()).collect();
    assert_eq!(snippet, "the quarterly plan\nsee the docs https://example.com/roadmap\nlet budget = 3;");
    assert!(hit["snippet"].as_array().unwrap().iter().any(|p| p["match"] == true && p["text"] == "quarterly"));
}

#[tokio::test]
async fn operators_cjk_and_prefixes() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let general = app.create_channel(&alice, "general", "public").await;
    let random = app.create_channel(&alice, "random", "public").await;
    for c in [&general, &random] {
        app.invite(&alice, c, &bob).await;
    }
    app.send(&alice, &general, "1", "deploying the release tonight").await;
    app.send(&bob, &general, "2", "release notes are ready").await;
    app.send(&bob, &random, "3", "明日は東京で会議です").await;
    let (status, mention) = app
        .post(
            &alice,
            &format!("/api/v1/chat/conversations/{random}/messages"),
            json!({ "clientMessageId": "4", "body": "@bob can you review the release", "mentions": ["bob"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{mention}");
    let (_, up) = app
        .post(
            &bob,
            &format!("/api/v1/chat/conversations/{general}/uploads"),
            json!({ "filename": "plan.txt", "contentType": "text/plain", "size": 4 }),
        )
        .await;
    let mut req = reqwest::Client::new().put(up["url"].as_str().unwrap());
    for (k, v) in up["headers"].as_object().unwrap() {
        req = req.header(k, v.as_str().unwrap());
    }
    assert!(req.body("plan").send().await.unwrap().status().is_success());
    app.post(
        &bob,
        &format!("/api/v1/chat/conversations/{general}/messages"),
        json!({ "clientMessageId": "5", "body": "the release plan", "attachmentIds": [up["uploadId"]] }),
    )
    .await;

    assert_eq!(search(&app, &alice, "release").await.len(), 4, "four messages hold the word");
    assert_eq!(search(&app, &alice, "release").await[0], "the release plan");
    assert_eq!(
        sorted(search(&app, &alice, "release from:@bob").await),
        ["release notes are ready", "the release plan"]
    );
    assert_eq!(search(&app, &alice, "release in:#random").await, ["@bob can you review the release"]);
    assert_eq!(search(&app, &alice, "has:file").await, ["the release plan"]);
    assert_eq!(search(&app, &bob, "is:mention").await, ["@bob can you review the release"]);
    assert!(search(&app, &alice, "is:mention").await.is_empty());
    assert_eq!(search(&app, &alice, "\"release notes\"").await, ["release notes are ready"]);
    assert!(search(&app, &alice, "\"notes release\"").await.is_empty(), "phrases keep their order");
    assert_eq!(search(&app, &alice, "deplo").await, ["deploying the release tonight"], "the last word is a prefix");
    assert_eq!(search(&app, &alice, "rel* tonight").await, ["deploying the release tonight"]);
    assert_eq!(search(&app, &alice, "東京").await, ["明日は東京で会議です"], "two CJK characters");
    assert_eq!(search(&app, &alice, "会議").await, ["明日は東京で会議です"]);
    assert!(search(&app, &alice, "大阪").await.is_empty());
    let today = time::OffsetDateTime::now_utc().date();
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let (d0, d1, dm1) = (
        today.format(&fmt).unwrap(),
        today.next_day().unwrap().format(&fmt).unwrap(),
        today.previous_day().unwrap().format(&fmt).unwrap(),
    );
    assert_eq!(search(&app, &alice, &format!("release on:{d0}")).await.len(), 4);
    assert!(search(&app, &alice, &format!("release before:{d0}")).await.is_empty());
    assert_eq!(search(&app, &alice, &format!("release before:{d1} after:{dm1}")).await.len(), 4);
    assert!(search(&app, &alice, &format!("release after:{d0}")).await.is_empty());

    // Highlights, conversation and author come with each result; paging by cursor.
    app.stack.wait_indexed().await.unwrap();
    let (_, page) = app.get(&alice, "/api/v1/chat/search?q=release&limit=2").await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let first = &items[0];
    assert_eq!(first["conversation"]["name"], "general");
    assert_eq!(first["author"]["handle"], "bob");
    let marked: Vec<&str> = first["snippet"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["match"] == true)
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert_eq!(marked, ["release"]);
    let cursor = page["nextCursor"].as_str().expect("more results");
    let (_, rest) =
        app.get(&alice, &format!("/api/v1/chat/search?q=release&limit=2&cursor={}", urlencode(cursor))).await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 2);
    assert!(rest["nextCursor"].is_null());
    let (_, relevant) = app.get(&alice, "/api/v1/chat/search?q=release&sort=relevance").await;
    assert_eq!(relevant["items"].as_array().unwrap().len(), 4);
}

async fn search_status(app: &TestApp, user: &TestUser, q: &str, tz: Option<&str>) -> (StatusCode, serde_json::Value) {
    app.stack.wait_indexed().await.unwrap();
    let tz = tz.map(|tz| format!("&tz={}", urlencode(tz))).unwrap_or_default();
    app.get(user, &format!("/api/v1/chat/search?q={}{tz}", urlencode(q))).await
}

async fn search_in(app: &TestApp, user: &TestUser, q: &str, tz: &str) -> Vec<String> {
    let (status, body) = search_status(app, user, q, Some(tz)).await;
    assert_eq!(status, StatusCode::OK, "{q} in {tz}: {body}");
    sorted(
        body["items"].as_array().unwrap().iter().map(|r| r["message"]["body"].as_str().unwrap().to_owned()).collect(),
    )
}

/// Issue 21.5's operators on the embedded index (the OpenSearch query builder's twin test is
/// `stream_indexer::operators_reach_opensearch_as_the_embedded_index_runs_them`).
#[tokio::test]
async fn or_exclusions_links_dms_and_days_in_the_callers_time_zone() {
    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let carol = app.user("acme", "carol").await;
    let general = app.create_channel(&alice, "general", "public").await;
    for u in [&bob, &carol] {
        app.invite(&alice, &general, u).await;
    }
    app.send(&alice, &general, "1", "deploy the api").await;
    app.send(&bob, &general, "2", "release the api").await;
    app.send(&alice, &general, "3", "deploy to staging first").await;
    app.send(&bob, &general, "4", "the release runbook is at https://example.com/runbook").await;
    app.send(&carol, &general, "5", "a [runbook](https://example.com/r) for the api").await;
    app.send(&carol, &general, "6", "`https://example.com` in code and mailto:x@example.com are no links").await;
    let alice_bob = app.open_dm(&alice, &bob).await;
    let alice_carol = app.open_dm(&alice, &carol).await;
    let bob_carol = app.open_dm(&bob, &carol).await;
    app.send(&alice, &alice_bob, "7", "the secret deploy plan").await;
    app.send(&carol, &alice_carol, "8", "carol deploy chat").await;
    app.send(&bob, &bob_carol, "9", "bob and carol deploy alone").await;

    // OR binds tighter than the implicit AND.
    assert_eq!(sorted(search(&app, &alice, "deploy OR release api").await), ["deploy the api", "release the api"]);
    assert_eq!(
        sorted(search(&app, &alice, "staging OR runbook OR secret").await),
        [
            "a [runbook](https://example.com/r) for the api",
            "deploy to staging first",
            "the release runbook is at https://example.com/runbook",
            "the secret deploy plan"
        ]
    );
    // Exclusions: words, phrases, and alone beside an operator.
    assert_eq!(sorted(search(&app, &alice, "deploy -staging -secret -chat").await), ["deploy the api"]);
    assert_eq!(sorted(search(&app, &alice, r#"deploy -"the api" -"to staging" -plan"#).await), ["carol deploy chat"]);
    assert_eq!(
        sorted(search(&app, &alice, "in:#general -api -links").await),
        ["deploy to staging first", "the release runbook is at https://example.com/runbook"]
    );
    // has:link: an http(s) link a person can click, decided when indexed.
    assert_eq!(
        sorted(search(&app, &alice, "has:link").await),
        ["a [runbook](https://example.com/r) for the api", "the release runbook is at https://example.com/runbook"]
    );
    assert_eq!(search(&app, &alice, "has:link -release").await, ["a [runbook](https://example.com/r) for the api"]);
    // in:@handle: the caller's DM with that user, never someone else's.
    assert_eq!(search(&app, &alice, "deploy in:@bob").await, ["the secret deploy plan"]);
    assert_eq!(search(&app, &alice, "in:@carol").await, ["carol deploy chat"]);
    assert_eq!(search(&app, &carol, "in:@bob").await, ["bob and carol deploy alone"]);
    assert!(search(&app, &alice, "in:@nobody").await.is_empty());
    assert!(search(&app, &alice, "deploy in:@bob in:#general").await.is_empty(), "both at once is nothing");

    // Days are the caller's: Kiritimati (UTC+14) and Pago Pago (UTC-11) are never on the same date.
    let now = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let day_at =
        |hours: i8| now.to_offset(time::UtcOffset::from_hms(hours, 0, 0).unwrap()).date().format(&fmt).unwrap();
    let (kiritimati, pago) = (day_at(14), day_at(-11));
    assert_ne!(kiritimati, pago);
    assert_eq!(search_in(&app, &alice, &format!("api on:{kiritimati}"), "Pacific/Kiritimati").await.len(), 3);
    assert!(search_in(&app, &alice, &format!("api on:{kiritimati}"), "Pacific/Pago_Pago").await.is_empty());
    assert_eq!(search_in(&app, &alice, &format!("api on:{pago}"), "Pacific/Pago_Pago").await.len(), 3);
    assert!(search_in(&app, &alice, &format!("api before:{pago}"), "Pacific/Pago_Pago").await.is_empty());
    assert!(search_in(&app, &alice, &format!("api after:{kiritimati}"), "Pacific/Kiritimati").await.is_empty());
    assert_eq!(search_in(&app, &alice, &format!("api after:{pago}"), "Pacific/Kiritimati").await.len(), 3);

    // Typed 400s that say what is wrong.
    for (q, tz, starts) in [
        ("api", Some("Mars/Base"), "tz"),
        ("deploy OR", None, "q"),
        ("OR deploy", None, "q"),
        ("-deploy", None, "q"),
        ("api on:2026-13-01", Some("Europe/Berlin"), "q"),
    ] {
        let (status, body) = search_status(&app, &alice, q, tz).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {body}");
        assert_eq!(body["error"]["code"], "invalid_input");
        assert!(body["error"]["message"].as_str().unwrap().starts_with(starts), "{q}: {body}");
    }

    // A hit is the whole message (nothing stripped): the client marks replies by its fields.
    let (_, page) = search_status(&app, &alice, "secret", None).await;
    let message = &page["items"][0]["message"];
    for field in
        ["id", "conversationId", "seq", "updatedSeq", "authorId", "body", "mentions", "attachments", "createdAt"]
    {
        assert!(!message[field].is_null(), "{field} in {message}");
    }
}

fn doc(id: &str, body: &str, version: u64) -> SearchDoc {
    SearchDoc {
        id: id.into(),
        tenant_id: "acme".into(),
        conversation_id: "C1".into(),
        author_id: "alice".into(),
        body: body.into(),
        mentions: vec![],
        has_file: false,
        has_link: false,
        created_ms: 1_700_000_000_000,
        version,
        thread_root_id: None,
    }
}

async fn found(index: &SqliteSearch, q: &str) -> Vec<String> {
    index.search(&search_plan(q, vec!["C1".into()])).await.unwrap().hits.into_iter().map(|h| h.id).collect()
}

#[tokio::test]
async fn replays_and_reordering_give_the_same_index() {
    let batch = vec![
        IndexOp::Upsert(doc("m1", "first draft", 1)),
        IndexOp::Upsert(doc("m1", "second draft", 2)),
        IndexOp::Upsert(doc("m2", "keep me", 3)),
        IndexOp::Upsert(doc("m3", "delete me", 4)),
        IndexOp::Delete { id: "m3".into(), tenant_id: "acme".into(), version: 5 },
    ];
    let mut orders: Vec<Vec<IndexOp>> = vec![batch.clone(), batch.iter().rev().cloned().collect()];
    let mut twice = batch.clone();
    twice.extend(batch.clone());
    orders.push(twice);
    let mut shuffled = batch.clone();
    shuffled.swap(0, 3);
    shuffled.swap(1, 4);
    orders.push(shuffled);
    for ops in orders {
        let index = SqliteSearch::in_memory().unwrap();
        for op in &ops {
            let results = index.apply(std::slice::from_ref(op)).await.unwrap();
            assert!(results.iter().all(Result::is_ok));
        }
        assert!(found(&index, "first").await.is_empty(), "an older version never wins");
        assert_eq!(found(&index, "second").await, ["m1"]);
        assert_eq!(found(&index, "keep").await, ["m2"]);
        assert!(found(&index, "delete").await.is_empty(), "a replayed upsert never revives a delete");
    }
}

#[tokio::test]
async fn tenant_and_conversation_filters_are_always_applied() {
    let index = SqliteSearch::in_memory().unwrap();
    let mut other_tenant = doc("x1", "secret plans", 1);
    other_tenant.tenant_id = "globex".into();
    let mut other_conversation = doc("x2", "secret plans", 1);
    other_conversation.conversation_id = "C2".into();
    index
        .apply(&[
            IndexOp::Upsert(other_tenant),
            IndexOp::Upsert(other_conversation),
            IndexOp::Upsert(doc("ok", "secret plans", 1)),
        ])
        .await
        .unwrap();
    assert_eq!(found(&index, "secret").await, ["ok"]);
    let mut nothing = search_plan("secret", vec!["C1".into()]);
    nothing.conversation_ids.clear();
    assert!(index.search(&nothing).await.unwrap().hits.is_empty());
}

/// Words with punctuation inside (`don't`, `3.14`, `snake_case`) are one token, as in
/// OpenSearch's standard tokenizer, and stay one in FTS5 (which would split them at `'`, `.`, `_`).
#[tokio::test]
async fn words_with_inner_punctuation_are_found_whole_like_in_opensearch() {
    let index = SqliteSearch::in_memory().unwrap();
    index
        .apply(&[
            IndexOp::Upsert(doc("apostrophe", "Don't panic", 1)),
            IndexOp::Upsert(doc("dont", "dont worry", 1)),
            IndexOp::Upsert(doc("pi", "pi is 3.14 today", 1)),
            IndexOp::Upsert(doc("hyphen", "send the e-mail", 1)),
            IndexOp::Upsert(doc("snake", "rename snake_case_names", 1)),
        ])
        .await
        .unwrap();
    assert_eq!(found(&index, "don't").await, ["apostrophe"]);
    assert_eq!(found(&index, "dont").await, ["dont"], "don't is not dont (nor don + t)");
    assert!(found(&index, "\"don\"").await.is_empty(), "the word is don't, not don");
    assert_eq!(found(&index, "3.14").await, ["pi"]);
    assert!(found(&index, "14").await.is_empty(), "3.14 is one number");
    assert_eq!(found(&index, "mail").await, ["hyphen"], "e-mail is two words");
    assert_eq!(found(&index, "\"e mail\"").await, ["hyphen"]);
    assert_eq!(found(&index, "snake_case*").await, ["snake"], "a prefix runs through the underscore");
    assert!(found(&index, "case").await.is_empty());
}
