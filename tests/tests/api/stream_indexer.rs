//! The stream indexer on real stream output (moto's DynamoDB Streams), and the OpenSearch
//! adapter against a loopback server answering with the OpenSearch REST API's documented shapes.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_lambda_events::dynamodb::Event;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method as HttpMethod, StatusCode as HttpStatus, Uri};
use axum::response::IntoResponse;
use axum::Router;
use integration_tests::*;
use serde_json::{json, Value};
use shared::adapters::aws::opensearch::{OpenSearchIndex, Signer};
use shared::adapters::embedded::search::SqliteSearch;
use shared::app::NewMessage;
use shared::domain::ids::ClientMessageId;
use shared::domain::search::{IndexOp, SearchDoc, SearchPage, SearchPlan};
use shared::domain::values::{ChannelName, MessageBody};
use shared::domain::Visibility;
use shared::ports::clock::SystemClock;
use shared::ports::search::{SearchError, SearchIndex};
use shared::Chat;
use stream_indexer::Indexer;

#[tokio::test]
async fn real_stream_batches_index_messages_and_replays_change_nothing() {
    let (store, table) = moto_store_named().await;
    let chat = Chat::new(Arc::new(store.clone()), Arc::new(SystemClock), Arc::new(NoEvents));
    let alice = caller("acme", "alice", &[]);
    chat.ensure_profile(&alice).await.unwrap();
    let channel =
        chat.create_channel(&alice, ChannelName::parse("general").unwrap(), Visibility::Public, None).await.unwrap();
    let send = |cmid: &str, body: &str| NewMessage {
        client_message_id: ClientMessageId::parse(cmid).unwrap(),
        body: MessageBody::parse(body).unwrap(),
        mentions: vec![],
        attachments: vec![],
        reply_to: None,
    };
    let kept = chat.send(&alice, &channel.id, send("a", "kiwi smoothie recipe")).await.unwrap().message;
    let edited = chat.send(&alice, &channel.id, send("b", "banana bread")).await.unwrap().message;
    let gone = chat.send(&alice, &channel.id, send("c", "mango chutney")).await.unwrap().message;
    chat.edit(&alice, &channel.id, &edited.id, MessageBody::parse("banana pancakes").unwrap(), None).await.unwrap();
    chat.delete(&alice, &channel.id, &gone.id).await.unwrap();

    let raw = moto_stream_event(&store, &table).await;
    let event: Event = serde_json::from_value(raw.clone()).expect("moto's records parse as a Lambda DynamoDB event");
    assert!(event.records.len() > 10);
    let index = Arc::new(SqliteSearch::in_memory().unwrap());
    let indexer = Indexer::new(index.clone());
    assert!(indexer.handle(event).await.batch_item_failures.is_empty());

    let conversations = vec![channel.id.to_string()];
    let ids = |page: SearchPage| page.hits.into_iter().map(|h| h.id).collect::<Vec<_>>();
    let check = || async {
        assert_eq!(
            ids(index.search(&search_plan("kiwi", conversations.clone())).await.unwrap()),
            [kept.id.to_string()]
        );
        assert!(ids(index.search(&search_plan("bread", conversations.clone())).await.unwrap()).is_empty());
        assert_eq!(
            ids(index.search(&search_plan("pancakes", conversations.clone())).await.unwrap()),
            [edited.id.to_string()]
        );
        assert!(ids(index.search(&search_plan("mango", conversations.clone())).await.unwrap()).is_empty());
    };
    check().await;
    // The same batch again, and reversed: the same state.
    let again: Event = serde_json::from_value(raw.clone()).unwrap();
    assert!(indexer.handle(again).await.batch_item_failures.is_empty());
    check().await;
    let mut reversed = raw.clone();
    reversed["Records"].as_array_mut().unwrap().reverse();
    let reversed: Event = serde_json::from_value(reversed).unwrap();
    assert!(indexer.handle(reversed).await.batch_item_failures.is_empty());
    check().await;
    // A fresh index fed the reversed batch first ends the same.
    let fresh = Arc::new(SqliteSearch::in_memory().unwrap());
    let mut reversed = raw;
    reversed["Records"].as_array_mut().unwrap().reverse();
    Indexer::new(fresh.clone()).handle(serde_json::from_value(reversed).unwrap()).await;
    assert!(ids(fresh.search(&search_plan("bread", conversations.clone())).await.unwrap()).is_empty());
    assert_eq!(
        ids(fresh.search(&search_plan("pancakes", conversations.clone())).await.unwrap()),
        [edited.id.to_string()]
    );
}

/// An index whose n-th operation fails (or that is down altogether).
struct Flaky {
    fail_index: Option<usize>,
    down: bool,
}

#[async_trait]
impl SearchIndex for Flaky {
    async fn apply(&self, ops: &[IndexOp]) -> Result<Vec<Result<(), SearchError>>, SearchError> {
        if self.down {
            return Err(SearchError::Unavailable("cluster down".into()));
        }
        Ok((0..ops.len())
            .map(|i| if Some(i) == self.fail_index { Err(SearchError::Unavailable("429".into())) } else { Ok(()) })
            .collect())
    }
    async fn search(&self, _: &SearchPlan) -> Result<SearchPage, SearchError> {
        Ok(SearchPage::default())
    }
}

fn message_record(seq: &str, id: &str, version: u64) -> Value {
    json!({
        "eventID": seq, "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026",
        "dynamodb": {
            "ApproximateCreationDateTime": 1795680000, "SequenceNumber": seq, "SizeBytes": 100, "StreamViewType": "NEW_AND_OLD_IMAGES",
            "Keys": { "PK": { "S": "T#acme#C#C01JAAAAAAAAAAAAAAAAAAAAAAA" }, "SK": { "S": format!("MSG#{id}") } },
            "NewImage": {
                "PK": { "S": "T#acme#C#C01JAAAAAAAAAAAAAAAAAAAAAAA" }, "SK": { "S": format!("MSG#{id}") },
                "id": { "S": id }, "conversationId": { "S": "C01JAAAAAAAAAAAAAAAAAAAAAAA" }, "seq": { "N": version.to_string() },
                "updatedSeq": { "N": version.to_string() }, "authorId": { "S": "alice" }, "body": { "S": "hello" },
                "mentions": { "L": [] }, "attachments": { "L": [] }, "clientMessageId": { "S": format!("c{seq}") },
                "createdAt": { "S": "2026-11-26T08:00:00.000Z" }
            }
        }
    })
}

#[tokio::test]
async fn partial_failures_report_the_first_failed_record() {
    let ids = ["01JAAAAAAAAAAAAAAAAAAAAAA1", "01JAAAAAAAAAAAAAAAAAAAAAA2", "01JAAAAAAAAAAAAAAAAAAAAAA3"];
    let event = || -> Event {
        serde_json::from_value(json!({ "Records": ids.iter().enumerate().map(|(i, id)| message_record(&format!("{}00", i + 1), id, i as u64 + 1)).collect::<Vec<_>>() })).unwrap()
    };
    let failures = |r: stream_indexer::BatchResponse| {
        r.batch_item_failures.into_iter().map(|f| f.item_identifier).collect::<Vec<_>>()
    };
    assert!(failures(Indexer::new(Arc::new(Flaky { fail_index: None, down: false })).handle(event()).await).is_empty());
    assert_eq!(
        failures(Indexer::new(Arc::new(Flaky { fail_index: Some(1), down: false })).handle(event()).await),
        ["200"]
    );
    assert_eq!(failures(Indexer::new(Arc::new(Flaky { fail_index: None, down: true })).handle(event()).await), ["100"]);
    // An unreadable record stops the batch there.
    let mut raw = json!({ "Records": ids.iter().enumerate().map(|(i, id)| message_record(&format!("{}00", i + 1), id, i as u64 + 1)).collect::<Vec<_>>() });
    raw["Records"][1]["dynamodb"]["NewImage"]["updatedSeq"] = json!({ "S": "not a number" });
    let response =
        Indexer::new(Arc::new(SqliteSearch::in_memory().unwrap())).handle(serde_json::from_value(raw).unwrap()).await;
    assert_eq!(failures(response), ["200"]);
}

// ----- OpenSearch REST shapes --------------------------------------------------------------

/// Method, path and query, headers, body.
type Recorded = (String, String, HeaderMap, String);

#[derive(Clone, Default)]
struct Fake {
    requests: Arc<Mutex<Vec<Recorded>>>,
    answers: Arc<Mutex<Vec<(u16, Value)>>>,
}

async fn fake_handler(
    State(fake): State<Fake>,
    method: HttpMethod,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    fake.requests.lock().unwrap().push((
        method.to_string(),
        uri.to_string(),
        headers,
        String::from_utf8_lossy(&body).into_owned(),
    ));
    let (status, body) = {
        let mut answers = fake.answers.lock().unwrap();
        if answers.is_empty() {
            (200, json!({}))
        } else {
            answers.remove(0)
        }
    };
    (HttpStatus::from_u16(status).unwrap(), axum::Json(body))
}

async fn fake_opensearch(answers: Vec<(u16, Value)>) -> (String, Fake) {
    let fake = Fake { answers: Arc::new(Mutex::new(answers)), ..Default::default() };
    let app = Router::new().fallback(fake_handler).with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, fake)
}

fn doc(id: &str, version: u64) -> SearchDoc {
    SearchDoc {
        id: id.into(),
        tenant_id: "acme".into(),
        conversation_id: "C1".into(),
        author_id: "alice".into(),
        body: "東京 release".into(),
        mentions: vec!["bob".into()],
        has_file: true,
        has_link: false,
        created_ms: 1_795_680_000_000,
        version,
        thread_root_id: None,
    }
}

#[tokio::test]
async fn bulk_requests_use_external_versions_and_conflicts_are_success() {
    let answer = json!({ "took": 3, "errors": true, "items": [
        { "index": { "_index": "messages", "_id": "m1", "_version": 3, "result": "created", "status": 201 } },
        { "index": { "_index": "messages", "_id": "m2", "status": 409, "error": { "type": "version_conflict_engine_exception", "reason": "[m2]: version conflict" } } },
        { "delete": { "_index": "messages", "_id": "m3", "status": 404, "result": "not_found" } },
        { "index": { "_index": "messages", "_id": "m4", "status": 429, "error": { "type": "es_rejected_execution_exception" } } },
        { "index": { "_index": "messages", "_id": "m5", "status": 400, "error": { "type": "mapper_parsing_exception" } } }
    ]});
    let (url, fake) = fake_opensearch(vec![(200, answer)]).await;
    let index = OpenSearchIndex::new(&url, "messages", None);
    let ops = vec![
        IndexOp::Upsert(doc("m1", 3)),
        IndexOp::Upsert(doc("m2", 1)),
        IndexOp::Delete { id: "m3".into(), tenant_id: "acme".into(), version: 9 },
        IndexOp::Upsert(doc("m4", 1)),
        IndexOp::Upsert(doc("m5", 1)),
    ];
    let results = index.apply(&ops).await.unwrap();
    assert!(results[0].is_ok() && results[1].is_ok() && results[2].is_ok(), "{results:?}");
    assert!(matches!(results[3], Err(SearchError::Unavailable(_))));
    assert!(matches!(results[4], Err(SearchError::Rejected(_))));
    let requests = fake.requests.lock().unwrap().clone();
    let (method, path, headers, body) = &requests[0];
    assert_eq!((method.as_str(), path.as_str()), ("POST", "/_bulk"));
    assert_eq!(headers["content-type"], "application/x-ndjson");
    let lines: Vec<Value> = body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(
        lines[0],
        json!({ "index": { "_index": "messages", "_id": "m1", "version": 3, "version_type": "external" } })
    );
    assert_eq!(lines[1]["tenantId"], "acme");
    assert_eq!(lines[1]["body"], "東京 release");
    assert_eq!(lines[1]["mentions"], json!(["bob"]));
    assert_eq!(
        lines[4],
        json!({ "delete": { "_index": "messages", "_id": "m3", "version": 9, "version_type": "external" } })
    );
    assert!(body.ends_with('\n'), "NDJSON ends with a newline");
}

#[tokio::test]
async fn throttling_is_retried_then_reported_unavailable() {
    let (url, fake) =
        fake_opensearch(vec![(429, json!({ "error": "too many" })), (429, json!({})), (429, json!({}))]).await;
    let index = OpenSearchIndex::new(&url, "messages", None);
    assert!(matches!(index.apply(&[IndexOp::Upsert(doc("m1", 1))]).await, Err(SearchError::Unavailable(_))));
    assert_eq!(fake.requests.lock().unwrap().len(), 3, "three attempts with backoff");
    let (url, _) =
        fake_opensearch(vec![(503, json!({})), (200, json!({ "items": [{ "index": { "status": 200 } }] }))]).await;
    let index = OpenSearchIndex::new(&url, "messages", None);
    assert!(index.apply(&[IndexOp::Upsert(doc("m1", 1))]).await.unwrap()[0].is_ok(), "a transient 503 is retried");
}

#[tokio::test]
async fn queries_always_carry_the_access_filter_and_page_by_search_after() {
    let hits = json!({ "hits": { "hits": [
        { "_id": "m2", "_score": null, "_source": { "id": "m2", "conversationId": "C1", "createdMs": 20 }, "sort": [20, "m2"] },
        { "_id": "m1", "_score": null, "_source": { "id": "m1", "conversationId": "C2", "createdMs": 10 }, "sort": [10, "m1"] }
    ]}});
    let (url, fake) = fake_opensearch(vec![(200, hits), (200, json!({ "hits": { "hits": [] } }))]).await;
    let index = OpenSearchIndex::new(&url, "messages", None);
    let mut query = search_plan("\"release notes\" 東京 dep", vec!["C1".into(), "C2".into()]);
    query.limit = 1;
    query.author_id = Some("bob".into());
    query.mentions_user = Some("carol".into());
    query.has_file = true;
    query.after_ms = Some(5);
    query.before_ms = Some(50);
    let page = index.search(&query).await.unwrap();
    assert_eq!(page.hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), ["m2"]);
    assert_eq!(page.next_cursor.as_deref(), Some("20:m2"));
    query.cursor = page.next_cursor;
    index.search(&query).await.unwrap();
    let requests = fake.requests.lock().unwrap().clone();
    let (method, path, _, body) = &requests[0];
    assert_eq!((method.as_str(), path.as_str()), ("POST", "/messages/_search"));
    let body: Value = serde_json::from_str(body).unwrap();
    let filter = &body["query"]["bool"]["filter"];
    assert_eq!(filter[0], json!({ "term": { "tenantId": "acme" } }));
    assert_eq!(filter[1], json!({ "terms": { "conversationId": ["C1", "C2"] } }));
    assert!(filter.as_array().unwrap().contains(&json!({ "term": { "authorId": "bob" } })));
    assert!(filter.as_array().unwrap().contains(&json!({ "term": { "mentions": "carol" } })));
    assert!(filter.as_array().unwrap().contains(&json!({ "term": { "hasFile": true } })));
    assert!(filter.as_array().unwrap().contains(&json!({ "range": { "createdMs": { "gte": 5, "lt": 50 } } })));
    let must = body["query"]["bool"]["must"].as_array().unwrap();
    assert_eq!(must[0], json!({ "match_phrase": { "body": { "query": "release notes" } } }));
    assert_eq!(must[1], json!({ "match_phrase": { "body": { "query": "東京" } } }));
    assert_eq!(must[2], json!({ "match_phrase_prefix": { "body": { "query": "dep" } } }));
    assert_eq!(body["size"], 2);
    assert_eq!(body["sort"], json!([{ "createdMs": "desc" }, { "id": "desc" }]));
    let second: Value = serde_json::from_str(&requests[1].3).unwrap();
    assert_eq!(second["search_after"], json!([20, "m2"]));
    // No readable conversation: no request at all.
    assert!(index.search(&search_plan("x", vec![])).await.unwrap().hits.is_empty());
    assert_eq!(fake.requests.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn requests_are_sigv4_signed_and_the_index_is_created_with_its_mapping() {
    let (url, fake) = fake_opensearch(vec![(404, json!({})), (200, json!({ "acknowledged": true }))]).await;
    let credentials = aws_credential_types::provider::SharedCredentialsProvider::new(
        aws_credential_types::Credentials::new("AKIDTEST", "secret", None, None, "test"),
    );
    let index = OpenSearchIndex::new(
        &url,
        "messages",
        Some(Signer { credentials, region: "eu-west-1".into(), service: "es".into() }),
    );
    index.ensure_index().await.unwrap();
    let requests = fake.requests.lock().unwrap().clone();
    assert_eq!(requests[0].0, "HEAD");
    let (method, path, headers, body) = &requests[1];
    assert_eq!((method.as_str(), path.as_str()), ("PUT", "/messages"));
    let auth = headers["authorization"].to_str().unwrap();
    assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/"), "{auth}");
    assert!(auth.contains("/eu-west-1/es/aws4_request"), "{auth}");
    assert!(headers.contains_key("x-amz-date") && headers.contains_key("x-amz-content-sha256"));
    let mapping: Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        mapping["settings"]["analysis"]["analyzer"]["chat"]["filter"],
        json!(["cjk_width", "lowercase", "cjk_bigram"])
    );
    assert_eq!(mapping["mappings"]["properties"]["tenantId"]["type"], "keyword");
}

#[tokio::test]
async fn preparing_grants_the_reader_role_search_on_the_index_and_nothing_else() {
    let reader = "arn:aws:iam::123456789012:role/chat-HttpApiFunctionRole-X";
    // The index exists already (a later cold start): fields added since it was made are added
    // to its mapping, and the grant is still (re)applied.
    let (url, fake) = fake_opensearch(vec![
        (200, json!({})),
        (200, json!({ "acknowledged": true })),
        (200, json!({})),
        (201, json!({})),
    ])
    .await;
    let index = OpenSearchIndex::new(&url, "messages", None).with_reader_role(Some(reader.into()));
    index.ensure_index().await.unwrap();
    let requests = fake.requests.lock().unwrap().clone();
    let calls: Vec<(&str, &str)> = requests.iter().map(|r| (r.0.as_str(), r.1.as_str())).collect();
    assert_eq!(
        calls,
        vec![
            ("HEAD", "/messages"),
            ("PUT", "/messages/_mapping"),
            ("PUT", "/_plugins/_security/api/roles/tenant-chat-messages-search"),
            ("PUT", "/_plugins/_security/api/rolesmapping/tenant-chat-messages-search"),
        ]
    );
    // An index made before a field was added to the mapping gains it (threadRootId, hasLink).
    let fields: Value = serde_json::from_str(&requests[1].3).unwrap();
    assert_eq!(fields["dynamic"], "strict");
    assert_eq!(fields["properties"]["threadRootId"], json!({ "type": "keyword" }));
    assert_eq!(fields["properties"]["hasLink"], json!({ "type": "boolean" }));
    assert_eq!(fields["properties"]["tenantId"], json!({ "type": "keyword" }));
    let role: Value = serde_json::from_str(&requests[2].3).unwrap();
    assert_eq!(
        role,
        json!({ "index_permissions": [{ "index_patterns": ["messages"], "allowed_actions": ["indices:data/read/search"] }] })
    );
    let mapping: Value = serde_json::from_str(&requests[3].3).unwrap();
    assert_eq!(mapping, json!({ "backend_roles": [reader] }));

    // A refused grant fails the preparation, so the indexer tries again before its next write.
    let (url, _) =
        fake_opensearch(vec![(200, json!({})), (200, json!({})), (403, json!({ "error": "no permissions" }))]).await;
    let index = OpenSearchIndex::new(&url, "messages", None).with_reader_role(Some(reader.into()));
    assert!(matches!(index.ensure_index().await, Err(SearchError::Rejected(_))));

    // Before the first message is indexed there is no index: a search finds nothing (not a 500).
    let missing = json!({ "error": { "type": "index_not_found_exception" }, "status": 404 });
    let (url, _) = fake_opensearch(vec![(404, missing)]).await;
    let page = OpenSearchIndex::new(&url, "messages", None).search(&search_plan("x", vec!["C1".into()])).await.unwrap();
    assert!(page.hits.is_empty() && page.next_cursor.is_none());

    // No reader role named (a serverless collection, or a test double): nothing beyond the index.
    let (url, fake) = fake_opensearch(vec![(200, json!({}))]).await;
    OpenSearchIndex::new(&url, "messages", None).with_reader_role(Some(String::new())).ensure_index().await.unwrap();
    assert_eq!(fake.requests.lock().unwrap().len(), 2, "the index and its fields");

    // A mapping the index refuses (a field of another type) fails the preparation.
    let (url, _) = fake_opensearch(vec![(200, json!({})), (400, json!({ "error": "mapper conflict" }))]).await;
    assert!(matches!(OpenSearchIndex::new(&url, "messages", None).ensure_index().await, Err(SearchError::Rejected(_))));
}

#[tokio::test]
async fn a_word_with_inner_punctuation_reaches_opensearch_whole() {
    // OpenSearch's standard tokenizer keeps `don't` and `3.14` whole: the phrase sent must too
    // (it once went as `don t`, which matched nothing).
    let (url, fake) = fake_opensearch(vec![(200, json!({ "hits": { "hits": [] } }))]).await;
    let index = OpenSearchIndex::new(&url, "messages", None);
    index.search(&search_plan("don't 3.14", vec!["C1".into()])).await.unwrap();
    let body: Value = serde_json::from_str(&fake.requests.lock().unwrap()[0].3).unwrap();
    let must = &body["query"]["bool"]["must"];
    assert_eq!(must[0]["match_phrase"]["body"]["query"], "don't");
    assert_eq!(must[1]["match_phrase_prefix"]["body"]["query"], "3.14", "the last word is typed-as-you-go");
}

/// The OpenSearch query for each of issue 21.5's operators, matching what the embedded index runs
/// (`search::or_exclusions_links_dms_and_days_in_the_callers_time_zone`).
#[test]
fn operators_reach_opensearch_as_the_embedded_index_runs_them() {
    let body = |q: &str| OpenSearchIndex::query_body(&search_plan(q, vec!["C1".into()])).unwrap();
    let phrase = |q: &str| json!({ "match_phrase": { "body": { "query": q } } });
    // OR binds tighter than AND: one `should` clause among the `must`s.
    let or = body("deploy OR release api");
    assert_eq!(
        or["query"]["bool"]["must"],
        json!([
            { "bool": { "should": [phrase("deploy"), phrase("release")], "minimum_should_match": 1 } },
            { "match_phrase_prefix": { "body": { "query": "api" } } }
        ])
    );
    assert_eq!(or["query"]["bool"]["must_not"], json!([]));
    // Exclusions are `must_not`; with no words, the access filters still hold.
    let excluded = body(r#"deploy -staging -"to staging""#);
    assert_eq!(excluded["query"]["bool"]["must"], json!([phrase("deploy")]));
    assert_eq!(excluded["query"]["bool"]["must_not"], json!([phrase("staging"), phrase("to staging")]));
    let mut only = search_plan("-api", vec!["C1".into()]);
    only.author_id = Some("bob".into());
    let only = OpenSearchIndex::query_body(&only).unwrap();
    assert_eq!(only["query"]["bool"]["must"], json!([]));
    assert_eq!(only["query"]["bool"]["must_not"], json!([phrase("api")]));
    assert_eq!(only["query"]["bool"]["filter"][1], json!({ "terms": { "conversationId": ["C1"] } }));
    // has:link is the document's field, decided when indexed.
    let mut link = search_plan("x", vec!["C1".into()]);
    link.has_link = true;
    let link = OpenSearchIndex::query_body(&link).unwrap();
    assert!(link["query"]["bool"]["filter"].as_array().unwrap().contains(&json!({ "term": { "hasLink": true } })));
    assert!(!body("x")["query"]["bool"]["filter"].to_string().contains("hasLink"));
    // Days come as instants of the caller's zone: the range is what the embedded index compares.
    let berlin = shared::domain::search::time_zone(Some("Europe/Berlin")).unwrap();
    let parsed = shared::domain::search::parse_query("on:2026-11-02", &berlin).unwrap();
    let mut day = search_plan("x", vec!["C1".into()]);
    (day.after_ms, day.before_ms) = (parsed.after_ms, parsed.before_ms);
    let day = OpenSearchIndex::query_body(&day).unwrap();
    assert!(day["query"]["bool"]["filter"]
        .as_array()
        .unwrap()
        .contains(&json!({ "range": { "createdMs": { "gte": 1_793_574_000_000_i64, "lt": 1_793_660_400_000_i64 } } })));
    // The indexer writes the field the filter reads.
    let mut doc = doc("m1", 1);
    doc.has_link = true;
    let bulk = OpenSearchIndex::new("http://127.0.0.1:9", "messages", None).bulk_body(&[IndexOp::Upsert(doc)]).unwrap();
    let line: Value = serde_json::from_str(String::from_utf8(bulk).unwrap().lines().nth(1).unwrap()).unwrap();
    assert_eq!(line["hasLink"], true);
    let mapping: Value = serde_json::from_str(shared::adapters::aws::opensearch::INDEX_DEFINITION).unwrap();
    assert_eq!(mapping["mappings"]["properties"]["hasLink"]["type"], "boolean");
}

/// An index that refuses to be prepared until told otherwise, and counts what reaches it.
#[derive(Default)]
struct Unprepared {
    ready: std::sync::atomic::AtomicBool,
    prepares: std::sync::atomic::AtomicUsize,
    writes: std::sync::atomic::AtomicUsize,
}

#[async_trait]
impl SearchIndex for Unprepared {
    async fn apply(&self, ops: &[IndexOp]) -> Result<Vec<Result<(), SearchError>>, SearchError> {
        self.writes.fetch_add(ops.len(), std::sync::atomic::Ordering::SeqCst);
        Ok(ops.iter().map(|_| Ok(())).collect())
    }
    async fn search(&self, _: &SearchPlan) -> Result<SearchPage, SearchError> {
        Ok(SearchPage::default())
    }
    async fn prepare(&self) -> Result<(), SearchError> {
        self.prepares.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if self.ready.load(std::sync::atomic::Ordering::SeqCst) {
            Ok(())
        } else {
            Err(SearchError::Unavailable("cluster starting".into()))
        }
    }
}

#[tokio::test]
async fn the_index_is_prepared_before_the_first_write_and_only_once() {
    use std::sync::atomic::Ordering::SeqCst;
    let event = || -> Event {
        serde_json::from_value(json!({ "Records": [message_record("100", "01JAAAAAAAAAAAAAAAAAAAAAA1", 1), message_record("200", "01JAAAAAAAAAAAAAAAAAAAAAA2", 2)] })).unwrap()
    };
    let index = Arc::new(Unprepared::default());
    let indexer = Indexer::new(index.clone());
    // Not ready: the whole batch is retried from its first record, and nothing was written.
    let failed: Vec<String> =
        indexer.handle(event()).await.batch_item_failures.into_iter().map(|f| f.item_identifier).collect();
    assert_eq!(failed, ["100"]);
    assert_eq!(index.writes.load(SeqCst), 0);
    index.ready.store(true, SeqCst);
    assert!(indexer.handle(event()).await.batch_item_failures.is_empty());
    assert!(indexer.handle(event()).await.batch_item_failures.is_empty());
    assert_eq!(index.writes.load(SeqCst), 4);
    assert_eq!(index.prepares.load(SeqCst), 2, "prepared until it succeeds, then never again");
}
