//! The `Push` port: post a frame to one live connection (API Gateway Management API in AWS, the
//! local emulator's registry on a laptop).

use async_trait::async_trait;
use thiserror::Error;

use crate::domain::ids::ConnectionId;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PushError {
    /// The connection is closed (HTTP 410): forget it.
    #[error("connection gone")]
    Gone,
    /// Throttled or a server fault after the adapter's own retries.
    #[error("push failed: {0}")]
    Failed(String),
}

#[async_trait]
pub trait Push: Send + Sync {
    async fn post(&self, connection: &ConnectionId, payload: &[u8]) -> Result<(), PushError>;
    /// Closes a connection from the server side (API Gateway's DeleteConnection).
    async fn close(&self, connection: &ConnectionId) -> Result<(), PushError>;
}
