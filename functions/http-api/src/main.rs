//! Lambda entry point: build the store, the push client, search and storage once per cold start,
//! then serve the router under `lambda_http`.

use std::sync::Arc;

use http_api::{router, AppState};
use shared::adapters::aws::stack::AwsStack;
use shared::config::init_tracing;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init_tracing(true);
    let stack = AwsStack::from_env().await?;
    let realtime = Arc::new(stack.realtime()?);
    let state = AppState {
        chat: Arc::new(stack.chat(realtime)?),
        auth: Arc::new(stack.authenticator()?),
        limits: stack.config.limits.clone(),
        metrics: stack.metrics.clone(),
    };
    lambda_http::run(router(state)).await
}
