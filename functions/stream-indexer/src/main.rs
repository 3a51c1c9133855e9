//! Lambda entry point: the OpenSearch client once per cold start, then stream batches (the index
//! itself is prepared before the first write; see `Indexer::handle`).

use std::sync::Arc;

use aws_lambda_events::dynamodb::Event;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::aws::stack::AwsStack;
use shared::config::init_tracing;
use stream_indexer::Indexer;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing(true);
    let stack = AwsStack::from_env().await?;
    let endpoint =
        std::env::var("OPENSEARCH_ENDPOINT").map_err(|_| anyhow::anyhow!("OPENSEARCH_ENDPOINT is required"))?;
    let indexer = Indexer::new(Arc::new(stack.search_index(&endpoint)?));
    let indexer = &indexer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| async move {
        Ok::<_, lambda_runtime::Error>(indexer.handle(event.payload).await)
    }))
    .await
}
