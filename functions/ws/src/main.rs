//! Lambda entry point: build the clients once per cold start, then serve events.

use std::sync::Arc;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::apigw::ApiGatewayPush;
use shared::adapters::dynamo::{sdk_config, DynamoStore};
use shared::adapters::retrying::RetryingStore;
use shared::auth::Authenticator;
use shared::config::{init_tracing, Config};
use shared::domain::realtime::Realtime;
use shared::ops::Metrics;
use shared::ports::clock::SystemClock;
use ws::WsApp;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing(true);
    let config = Config::from_env()?;
    let auth = config.auth.as_ref().ok_or_else(|| anyhow::anyhow!("JWT_ISSUER and JWT_AUDIENCE are required"))?;
    let sdk = sdk_config(None).await;
    let store = Arc::new(RetryingStore::new(Arc::new(DynamoStore::from_config(&sdk, &config.table_name))));
    let endpoint =
        std::env::var("WS_MANAGEMENT_ENDPOINT").map_err(|_| anyhow::anyhow!("WS_MANAGEMENT_ENDPOINT is required"))?;
    let push = Arc::new(ApiGatewayPush::new(&sdk, &endpoint));
    let clock = Arc::new(SystemClock);
    let metrics = Arc::new(Metrics::new(clock.clone(), 10_000).with_emf("TenantChat"));
    let app = WsApp {
        realtime: Arc::new(
            Realtime::new(store, push, clock, metrics).with_subscribe_rate(config.rate_limits.subscribes),
        ),
        auth: Arc::new(Authenticator::oidc(&auth.issuer, &auth.audience, &auth.jwks_url)),
        limits: config.limits.clone(),
    };
    let app = &app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<ApiGatewayWebsocketProxyRequest>| async move {
        Ok::<_, lambda_runtime::Error>(app.handle(event.payload).await)
    }))
    .await
}
