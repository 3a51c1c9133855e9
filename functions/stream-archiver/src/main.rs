//! Lambda entry point: the table and archive bucket clients once per cold start.

use std::sync::Arc;

use aws_lambda_events::dynamodb::Event;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::aws::stack::AwsStack;
use shared::config::init_tracing;
use stream_archiver::Archiver;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing(true);
    let stack = AwsStack::from_env().await?;
    let archive = stack.bucket("ARCHIVE_BUCKET").ok_or_else(|| anyhow::anyhow!("ARCHIVE_BUCKET is required"))?;
    let archiver = Archiver { store: stack.store.clone(), archive: Arc::new(archive) };
    let archiver = &archiver;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| async move {
        Ok::<_, lambda_runtime::Error>(archiver.handle(event.payload).await)
    }))
    .await
}
