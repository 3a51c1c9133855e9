//! Lambda entry point: the OpenSearch client once per cold start, then stream batches.

use std::sync::Arc;

use aws_lambda_events::dynamodb::Event;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::dynamo::sdk_config;
use shared::adapters::opensearch::{OpenSearchIndex, Signer};
use shared::config::init_tracing;
use stream_indexer::Indexer;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing(true);
    let endpoint =
        std::env::var("OPENSEARCH_ENDPOINT").map_err(|_| anyhow::anyhow!("OPENSEARCH_ENDPOINT is required"))?;
    let index_name = std::env::var("OPENSEARCH_INDEX").unwrap_or_else(|_| "messages".into());
    let service = std::env::var("OPENSEARCH_SERVICE").unwrap_or_else(|_| "es".into());
    let sdk = sdk_config(None).await;
    let credentials = sdk.credentials_provider().ok_or_else(|| anyhow::anyhow!("no AWS credentials"))?;
    let region = sdk.region().map(|r| r.to_string()).ok_or_else(|| anyhow::anyhow!("no AWS region"))?;
    let index = OpenSearchIndex::new(&endpoint, &index_name, Some(Signer { credentials, region, service }));
    if let Err(e) = index.ensure_index().await {
        tracing::error!(error = %e, "could not ensure the search index exists");
    }
    let indexer = Indexer { index: Arc::new(index) };
    let indexer = &indexer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| async move {
        Ok::<_, lambda_runtime::Error>(indexer.handle(event.payload).await)
    }))
    .await
}
