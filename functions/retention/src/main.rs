//! Lambda entry point for the EventBridge schedule.

use std::sync::Arc;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::apigw::ApiGatewayPush;
use shared::adapters::dynamo::{sdk_config, DynamoStore};
use shared::adapters::retrying::RetryingStore;
use shared::adapters::s3::S3Blobs;
use shared::config::{init_tracing, Config};
use shared::domain::realtime::Realtime;
use shared::ops::Metrics;
use shared::ports::clock::SystemClock;
use shared::Chat;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing(true);
    let config = Config::from_env()?;
    let sdk = sdk_config(None).await;
    let store = Arc::new(RetryingStore::new(Arc::new(DynamoStore::from_config(&sdk, &config.table_name))));
    let endpoint =
        std::env::var("WS_MANAGEMENT_ENDPOINT").map_err(|_| anyhow::anyhow!("WS_MANAGEMENT_ENDPOINT is required"))?;
    let clock = Arc::new(SystemClock);
    let metrics = Arc::new(Metrics::new(clock.clone(), 10_000).with_emf("TenantChat"));
    let realtime =
        Arc::new(Realtime::new(store.clone(), Arc::new(ApiGatewayPush::new(&sdk, &endpoint)), clock.clone(), metrics));
    let mut chat = Chat::new(store, clock, realtime).with_default_retention(config.default_retention_days);
    if let Some(bucket) = &config.attachments_bucket {
        chat = chat.with_uploads(Arc::new(S3Blobs::from_env(&sdk, bucket)), config.uploads.clone());
    }
    let chat = &chat;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<EventBridgeEvent<serde_json::Value>>| async move {
        let report = retention::run(chat).await.map_err(|e| lambda_runtime::Error::from(e.to_string()))?;
        Ok::<_, lambda_runtime::Error>(serde_json::to_value(report)?)
    }))
    .await
}
