//! The `Push` adapter for API Gateway WebSocket APIs: `PostToConnection` through the Management
//! API. 410 Gone means the connection is closed; throttling (429 `LimitExceededException`) and
//! server faults are retried by the SDK's standard mode (`sdk_config`: the one retry layer, with
//! its token bucket), then count as failed — the client recovers by seq.

use async_trait::async_trait;
use aws_sdk_apigatewaymanagement::error::ProvideErrorMetadata;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use aws_sdk_apigatewaymanagement::Client;

use crate::domain::ids::ConnectionId;
use crate::ports::push::{Push, PushError};

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

/// Whether the connection is gone (410): final, never retried.
fn gone<E: ProvideErrorMetadata>(err: &aws_sdk_apigatewaymanagement::error::SdkError<E>) -> bool {
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = err.as_service_error().and_then(|e| e.code()).unwrap_or_default();
    status == Some(410) || code == "GoneException"
}

#[async_trait]
impl Push for ApiGatewayPush {
    async fn post(&self, connection: &ConnectionId, payload: &[u8]) -> Result<(), PushError> {
        match self.client.post_to_connection().connection_id(connection.as_str()).data(Blob::new(payload)).send().await
        {
            Ok(_) => Ok(()),
            Err(err) if gone(&err) => Err(PushError::Gone),
            Err(err) => {
                Err(PushError::Failed(format!("{}", aws_sdk_apigatewaymanagement::error::DisplayErrorContext(&err))))
            }
        }
    }

    async fn close(&self, connection: &ConnectionId) -> Result<(), PushError> {
        match self.client.delete_connection().connection_id(connection.as_str()).send().await {
            Ok(_) => Ok(()),
            Err(err) if gone(&err) => Err(PushError::Gone),
            Err(err) => {
                Err(PushError::Failed(format!("{}", aws_sdk_apigatewaymanagement::error::DisplayErrorContext(&err))))
            }
        }
    }
}
