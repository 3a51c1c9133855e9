//! What every function builds once per cold start on AWS, from the environment: the config, the
//! SDK clients, the store, the clock and the metrics — and, for those that need them,
//! the verifier, the real-time fan-out and the chat use cases with their storage and search.

use std::sync::Arc;

use super::apigw::ApiGatewayPush;
use super::dynamo::DynamoStore;
use super::opensearch::{OpenSearchIndex, Signer};
use super::s3::S3Blobs;
use super::sdk::sdk_config;
use super::sqs::SqsFanoutQueue;
use crate::auth::Authenticator;
use crate::config::{fanout_settings, Config, ConfigError};
use crate::ops::Metrics;
use crate::ports::clock::{Clock, SystemClock};
use crate::ports::queue::FanoutQueue;
use crate::ports::store::Store;
use crate::realtime::Realtime;
use crate::Chat;

/// Each instance adds its counters to the table at most this often.
const METRICS_FLUSH_MS: i64 = 10_000;

pub struct AwsStack {
    pub config: Config,
    pub sdk: aws_config::SdkConfig,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<Metrics>,
}

fn required(name: &str) -> Result<String, ConfigError> {
    std::env::var(name).map_err(|_| ConfigError(format!("{name} is required")))
}

/// The table as the functions use it: DynamoDB through the SDK, whose standard retry mode (set
/// in `sdk_config`) is the only retry layer; no `RetryingStore` on top (it would multiply the
/// SDK's attempts and bypass its retry quota). The seq engine's retry of a lost race is a
/// decision of the domain (`commit_change`), not a fault retry.
pub fn aws_store(sdk: &aws_config::SdkConfig, table: &str) -> Arc<dyn Store> {
    Arc::new(DynamoStore::from_config(sdk, table))
}

impl AwsStack {
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let sdk = sdk_config(None).await?;
        let store = aws_store(&sdk, &config.table_name);
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let metrics = Arc::new(Metrics::new(clock.clone(), METRICS_FLUSH_MS).with_emf("TenantChat"));
        Ok(Self { config, sdk, store, clock, metrics })
    }

    /// Identity-provider tokens only: no development secret exists in a Lambda.
    pub fn authenticator(&self) -> Result<Authenticator, ConfigError> {
        let auth =
            self.config.auth.as_ref().ok_or_else(|| ConfigError("JWT_ISSUER and JWT_AUDIENCE are required".into()))?;
        Ok(Authenticator::oidc(&auth.issuer, &auth.audience, &auth.jwks_url))
    }

    /// Fan-out through the WebSocket API's management endpoint (`WS_MANAGEMENT_ENDPOINT`); big
    /// audiences through the fan-out queue when the function names one (`FANOUT_QUEUE_URL`), past
    /// `FANOUT_INLINE_MAX` subscribed connections; the fan-out function's slices of the biggest
    /// through the slice queue (`FANOUT_SLICE_QUEUE_URL`), past `FANOUT_SLICE_SIZE` recipients.
    pub fn realtime(&self) -> Result<Realtime, ConfigError> {
        let push = Arc::new(ApiGatewayPush::new(&self.sdk, &required("WS_MANAGEMENT_ENDPOINT")?));
        let queue = |variable: &str| {
            std::env::var(variable)
                .ok()
                .filter(|url| !url.is_empty())
                .map(|url| Arc::new(SqsFanoutQueue::new(&self.sdk, &url)) as Arc<dyn FanoutQueue>)
        };
        Ok(Realtime::new(self.store.clone(), push, self.clock.clone(), self.metrics.clone())
            .with_subscribe_rate(self.config.rate_limits.subscribes)
            .with_signal_rates(self.config.rate_limits.typing, self.config.rate_limits.presence)
            .with_fanout_queue(queue("FANOUT_QUEUE_URL"), fanout_settings()?)
            .with_slice_queue(queue("FANOUT_SLICE_QUEUE_URL")))
    }

    /// The bucket a function names in `variable`, if it is set.
    pub fn bucket(&self, variable: &str) -> Option<S3Blobs> {
        std::env::var(variable).ok().filter(|b| !b.is_empty()).map(|b| S3Blobs::from_env(&self.sdk, b))
    }

    /// The use cases, with attachments, the archive and search where the environment names them.
    pub fn chat(&self, realtime: Arc<Realtime>) -> Result<Chat, ConfigError> {
        let mut chat = Chat::new(self.store.clone(), self.clock.clone(), realtime)
            .with_rate_limits(self.config.rate_limits.clone())
            .with_default_retention(self.config.default_retention_days);
        if let Some(blobs) = self.bucket("ATTACHMENTS_BUCKET") {
            chat = chat.with_uploads(Arc::new(blobs), self.config.uploads.clone());
        }
        if let Some(archive) = self.bucket("ARCHIVE_BUCKET") {
            chat = chat.with_archive(Arc::new(archive));
        }
        if let Ok(endpoint) = std::env::var("OPENSEARCH_ENDPOINT") {
            chat = chat.with_search(Arc::new(self.search_index(&endpoint)?));
        }
        Ok(chat)
    }

    pub fn search_index(&self, endpoint: &str) -> Result<OpenSearchIndex, ConfigError> {
        let index_name = std::env::var("OPENSEARCH_INDEX").unwrap_or_else(|_| "messages".into());
        let credentials = self.sdk.credentials_provider().ok_or_else(|| ConfigError("no AWS credentials".into()))?;
        let region = self.sdk.region().map(|r| r.to_string()).ok_or_else(|| ConfigError("no AWS region".into()))?;
        let service = std::env::var("OPENSEARCH_SERVICE").unwrap_or_else(|_| "es".into());
        Ok(OpenSearchIndex::new(endpoint, &index_name, Some(Signer { credentials, region, service }))
            .with_reader_role(std::env::var("SEARCH_READER_ROLE_ARN").ok()))
    }
}
