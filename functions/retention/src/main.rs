//! Lambda entry point for the EventBridge schedule.

use std::sync::Arc;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::aws::stack::AwsStack;
use shared::config::init_tracing;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing(true);
    let stack = AwsStack::from_env().await?;
    let chat = stack.chat(Arc::new(stack.realtime()?))?;
    let chat = &chat;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<EventBridgeEvent<serde_json::Value>>| async move {
        let report = retention::run(chat).await.map_err(|e| lambda_runtime::Error::from(e.to_string()))?;
        Ok::<_, lambda_runtime::Error>(serde_json::to_value(report)?)
    }))
    .await
}
