//! Lambda entry point: the OpenSearch client once per cold start, then stream batches.

use std::sync::Arc;

use aws_lambda_events::dynamodb::Event;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::aws_stack::AwsStack;
use shared::config::init_tracing;
use stream_indexer::Indexer;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing(true);
    let stack = AwsStack::from_env().await?;
    let endpoint =
        std::env::var("OPENSEARCH_ENDPOINT").map_err(|_| anyhow::anyhow!("OPENSEARCH_ENDPOINT is required"))?;
    let index = stack.search_index(&endpoint)?;
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
