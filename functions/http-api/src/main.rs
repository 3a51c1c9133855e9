//! Lambda entry point: build the store, the push client and the verifier once per cold start,
//! then serve the router under `lambda_http`.

use std::sync::Arc;

use http_api::{router, AppState};
use shared::adapters::apigw::ApiGatewayPush;
use shared::adapters::dynamo::{sdk_config, DynamoStore};
use shared::adapters::opensearch::{OpenSearchIndex, Signer};
use shared::adapters::retrying::RetryingStore;
use shared::adapters::s3::S3Blobs;
use shared::auth::Authenticator;
use shared::config::{init_tracing, Config};
use shared::domain::realtime::Realtime;
use shared::ops::Metrics;
use shared::ports::clock::SystemClock;

/// Each instance adds its counters to the table at most this often (after a request).
const METRICS_FLUSH_MS: i64 = 10_000;
use shared::Chat;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init_tracing(true);
    let config = Config::from_env()?;
    let auth = config.auth.as_ref().ok_or_else(|| anyhow::anyhow!("JWT_ISSUER and JWT_AUDIENCE are required"))?;
    let sdk = sdk_config(None).await;
    let store = Arc::new(RetryingStore::new(Arc::new(DynamoStore::from_config(&sdk, &config.table_name))));
    let endpoint =
        std::env::var("WS_MANAGEMENT_ENDPOINT").map_err(|_| anyhow::anyhow!("WS_MANAGEMENT_ENDPOINT is required"))?;
    let clock = Arc::new(SystemClock);
    let metrics = Arc::new(Metrics::new(clock.clone(), METRICS_FLUSH_MS).with_emf("TenantChat"));
    let push = Arc::new(ApiGatewayPush::new(&sdk, &endpoint));
    let realtime = Arc::new(Realtime::new(store.clone(), push, clock.clone(), metrics.clone()));
    let mut chat = Chat::new(store, clock, realtime)
        .with_default_retention(config.default_retention_days)
        .with_rate_limits(config.rate_limits.clone());
    if let Ok(endpoint) = std::env::var("OPENSEARCH_ENDPOINT") {
        let index_name = std::env::var("OPENSEARCH_INDEX").unwrap_or_else(|_| "messages".into());
        let credentials = sdk.credentials_provider().ok_or_else(|| anyhow::anyhow!("no AWS credentials"))?;
        let region = sdk.region().map(|r| r.to_string()).ok_or_else(|| anyhow::anyhow!("no AWS region"))?;
        let signer = Signer {
            credentials,
            region,
            service: std::env::var("OPENSEARCH_SERVICE").unwrap_or_else(|_| "es".into()),
        };
        chat = chat.with_search(Arc::new(OpenSearchIndex::new(&endpoint, &index_name, Some(signer))));
    }
    if let Ok(bucket) = std::env::var("ARCHIVE_BUCKET") {
        chat = chat.with_archive(Arc::new(S3Blobs::from_env(&sdk, bucket)));
    }
    if let Some(bucket) = &config.attachments_bucket {
        chat = chat.with_uploads(Arc::new(S3Blobs::from_env(&sdk, bucket)), config.uploads.clone());
    }
    let state = AppState {
        chat: Arc::new(chat),
        auth: Arc::new(Authenticator::oidc(&auth.issuer, &auth.audience, &auth.jwks_url)),
        limits: config.limits.clone(),
        metrics,
    };
    lambda_http::run(router(state)).await
}
