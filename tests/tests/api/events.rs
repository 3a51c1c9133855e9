//! The sample events in `events/` are what the functions receive in AWS: they parse into the
//! handlers' event types and, run through the handlers, get the documented answers.

use std::sync::Arc;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use shared::adapters::embedded::sqlite::SqliteStore;
use shared::auth::Authenticator;
use shared::config::Limits;
use shared::ports::clock::SystemClock;
use shared::realtime::Realtime;

fn event(name: &str) -> serde_json::Value {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("event file")).expect("event is JSON")
}

#[tokio::test]
async fn websocket_samples_run_through_the_handler() {
    let store = Arc::new(SqliteStore::in_memory(Arc::new(SystemClock)).unwrap());
    let registry = local::registry::Registry::default();
    let app = ws::WsApp {
        realtime: Arc::new(Realtime::new(
            store,
            Arc::new(registry),
            Arc::new(SystemClock),
            Arc::new(shared::ops::Metrics::new(Arc::new(SystemClock), 1000)),
        )),
        auth: Arc::new(Authenticator::dev(b"events-test-secret-events-test-secret")),
        limits: Limits::default(),
    };
    let connect: ApiGatewayWebsocketProxyRequest = serde_json::from_value(event("ws-connect.json")).unwrap();
    assert_eq!(app.handle(connect).await.status_code, 401, "the sample's token is refused before anything is stored");
    let ping: ApiGatewayWebsocketProxyRequest = serde_json::from_value(event("ws-default-ping.json")).unwrap();
    assert_eq!(app.handle(ping).await.status_code, 200);
    let disconnect: ApiGatewayWebsocketProxyRequest = serde_json::from_value(event("ws-disconnect.json")).unwrap();
    assert_eq!(app.handle(disconnect).await.status_code, 200);
}

#[test]
fn http_samples_are_api_gateway_v2_requests() {
    for name in ["http-api-health.json", "http-api-conversations-unauthenticated.json"] {
        let parsed: aws_lambda_events::apigw::ApiGatewayV2httpRequest =
            serde_json::from_value(event(name)).expect(name);
        assert!(parsed.raw_path.unwrap().starts_with("/api/v1/"));
    }
}

#[tokio::test]
async fn the_stream_sample_runs_through_the_indexer_and_the_archiver() {
    use shared::app::archive::read_archive;

    use shared::ports::blobs::Blobs;
    use shared::ports::search::SearchIndex;

    let batch = || {
        serde_json::from_value::<aws_lambda_events::dynamodb::Event>(event("stream-batch.json"))
            .expect("a DynamoDB stream event")
    };
    let index = Arc::new(shared::adapters::embedded::search::SqliteSearch::in_memory().unwrap());
    let indexer = stream_indexer::Indexer::new(index.clone());
    assert!(indexer.handle(batch()).await.batch_item_failures.is_empty());
    let plan = |q: &str| integration_tests::search_plan(q, vec!["C01JBZ5X3N8Q0V7W6Y4T2R1P0MA".into()]);
    assert_eq!(index.search(&plan("edited")).await.unwrap().hits.len(), 1);
    assert!(index.search(&plan("expiring")).await.unwrap().hits.is_empty(), "REMOVE deletes");

    let store = Arc::new(SqliteStore::in_memory(Arc::new(SystemClock)).unwrap());
    let dir = std::env::temp_dir().join(format!("events-archive-{}", ulid::Ulid::new()));
    let archive = Arc::new(shared::adapters::embedded::localfs::LocalBlobs::new(dir, b"k", Arc::new(SystemClock)));
    let archiver = stream_archiver::Archiver { store: store.clone(), archive: archive.clone() };
    assert!(archiver.handle(batch()).await.batch_item_failures.is_empty());
    let objects = archive.list("archive/acme/C01JBZ5X3N8Q0V7W6Y4T2R1P0MA/2026/11/26/", None, 10).await.unwrap();
    assert_eq!(objects.len(), 1);
    let versions = read_archive(&archive.get(&objects[0].key).await.unwrap().unwrap()).unwrap();
    assert_eq!(versions.iter().map(|v| v.event.as_str()).collect::<Vec<_>>(), ["INSERT", "MODIFY", "INSERT", "REMOVE"]);
}

#[test]
fn the_schedule_sample_is_an_eventbridge_event() {
    let parsed: aws_lambda_events::eventbridge::EventBridgeEvent<serde_json::Value> =
        serde_json::from_value(event("retention-schedule.json")).expect("an EventBridge event");
    assert_eq!(parsed.detail_type, "Scheduled Event");
}
