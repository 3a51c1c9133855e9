//! The `Push` adapter for API Gateway WebSocket APIs: `PostToConnection` through the Management
//! API. 410 Gone means the connection is closed; throttling and server faults are retried with
//! backoff here (beyond the SDK's own attempts) before they count as failed.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_apigatewaymanagement::error::ProvideErrorMetadata;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use aws_sdk_apigatewaymanagement::Client;

use crate::domain::ids::ConnectionId;
use crate::ports::push::{Push, PushError};

const ATTEMPTS: u32 = 3;

#[derive(Clone)]
pub struct ApiGatewayPush {
    client: Client,
}

impl ApiGatewayPush {
    /// `endpoint` is the API's management URL: `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`.
    pub fn new(config: &aws_config::SdkConfig, endpoint: &str) -> Self {
        let conf = aws_sdk_apigatewaymanagement::config::Builder::from(config).endpoint_url(endpoint).build();
        Self { client: Client::from_conf(conf) }
    }

    /// Around a client built elsewhere (tests add interceptors).
    pub fn from_client(client: Client) -> Self {
        Self { client }
    }
}

fn classify<E: ProvideErrorMetadata>(err: &aws_sdk_apigatewaymanagement::error::SdkError<E>) -> (bool, bool) {
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = err.as_service_error().and_then(|e| e.code()).unwrap_or_default();
    let gone = status == Some(410) || code == "GoneException";
    let retryable = matches!(status, Some(429) | Some(500..=599))
        || code == "LimitExceededException"
        || matches!(
            err,
            aws_sdk_apigatewaymanagement::error::SdkError::TimeoutError(_)
                | aws_sdk_apigatewaymanagement::error::SdkError::DispatchFailure(_)
        );
    (gone, retryable)
}

#[async_trait]
impl Push for ApiGatewayPush {
    async fn post(&self, connection: &ConnectionId, payload: &[u8]) -> Result<(), PushError> {
        let mut attempt = 0;
        loop {
            match self
                .client
                .post_to_connection()
                .connection_id(connection.as_str())
                .data(Blob::new(payload))
                .send()
                .await
            {
                Ok(_) => return Ok(()),
                Err(err) => {
                    let (gone, retryable) = classify(&err);
                    if gone {
                        return Err(PushError::Gone);
                    }
                    attempt += 1;
                    if !retryable || attempt >= ATTEMPTS {
                        return Err(PushError::Failed(format!(
                            "{}",
                            aws_sdk_apigatewaymanagement::error::DisplayErrorContext(&err)
                        )));
                    }
                    let jitter = rand::random::<u64>() % 50;
                    tokio::time::sleep(Duration::from_millis((50 << attempt) + jitter)).await;
                }
            }
        }
    }

    async fn close(&self, connection: &ConnectionId) -> Result<(), PushError> {
        match self.client.delete_connection().connection_id(connection.as_str()).send().await {
            Ok(_) => Ok(()),
            Err(err) if classify(&err).0 => Err(PushError::Gone),
            Err(err) => {
                Err(PushError::Failed(format!("{}", aws_sdk_apigatewaymanagement::error::DisplayErrorContext(&err))))
            }
        }
    }
}
