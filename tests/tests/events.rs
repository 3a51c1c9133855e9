//! The sample events in `events/` are what the functions receive in AWS: they parse into the
//! handlers' event types and, run through the handlers, get the documented answers.

use std::sync::Arc;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use shared::adapters::sqlite::SqliteStore;
use shared::auth::Authenticator;
use shared::config::Limits;
use shared::domain::realtime::Realtime;
use shared::ports::clock::SystemClock;

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
