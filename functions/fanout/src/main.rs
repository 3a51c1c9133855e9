//! Lambda entry point: the table and Management API clients once per cold start, then batches of
//! queued fan-outs.

use std::sync::Arc;

use aws_lambda_events::sqs::SqsEvent;
use fanout::Consumer;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::aws::stack::AwsStack;
use shared::config::init_tracing;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing(true);
    let stack = AwsStack::from_env().await?;
    let consumer = Consumer::new(Arc::new(stack.realtime()?));
    let consumer = &consumer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(consumer.handle(event.payload).await)
    }))
    .await
}
