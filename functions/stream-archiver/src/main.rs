//! Lambda entry point: the table and archive bucket clients once per cold start.

use std::sync::Arc;

use aws_lambda_events::dynamodb::Event;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::dynamo::{sdk_config, DynamoStore};
use shared::adapters::retrying::RetryingStore;
use shared::adapters::s3::S3Blobs;
use shared::config::{init_tracing, Config};
use stream_archiver::Archiver;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing(true);
    let config = Config::from_env()?;
    let bucket = std::env::var("ARCHIVE_BUCKET").map_err(|_| anyhow::anyhow!("ARCHIVE_BUCKET is required"))?;
    let sdk = sdk_config(None).await;
    let archiver = Archiver {
        store: Arc::new(RetryingStore::new(Arc::new(DynamoStore::from_config(&sdk, &config.table_name)))),
        archive: Arc::new(S3Blobs::from_env(&sdk, bucket)),
    };
    let archiver = &archiver;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| async move {
        Ok::<_, lambda_runtime::Error>(archiver.handle(event.payload).await)
    }))
    .await
}
