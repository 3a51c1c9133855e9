//! Lambda entry point: build the clients once per cold start, then serve events.

use std::sync::Arc;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use lambda_runtime::{service_fn, LambdaEvent};
use shared::adapters::aws::stack::AwsStack;
use shared::config::init_tracing;
use ws::WsApp;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing(true);
    let stack = AwsStack::from_env().await?;
    let app = WsApp {
        realtime: Arc::new(stack.realtime()?),
        auth: Arc::new(stack.authenticator()?),
        limits: stack.config.limits.clone(),
    };
    let app = &app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<ApiGatewayWebsocketProxyRequest>| async move {
        Ok::<_, lambda_runtime::Error>(app.handle(event.payload).await)
    }))
    .await
}
