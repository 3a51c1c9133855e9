//! The `Push` port: post a frame to one live connection (API Gateway Management API in AWS, the
//! local emulator's registry on a laptop).

use async_trait::async_trait;
use futures::{stream, StreamExt};
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

/// Posts in flight at once when one payload goes to many connections over the network.
pub const POST_CONCURRENCY: usize = 32;

#[async_trait]
pub trait Push: Send + Sync {
    async fn post(&self, connection: &ConnectionId, payload: &[u8]) -> Result<(), PushError>;
    /// One payload to each connection: a result per connection, in their order. By default, up
    /// to `POST_CONCURRENCY` posts at a time; an adapter that can share the payload between
    /// connections overrides it.
    async fn post_many(&self, connections: &[ConnectionId], payload: &[u8]) -> Vec<Result<(), PushError>> {
        self.post_many_with(connections, payload, POST_CONCURRENCY).await
    }
    /// `post_many` with up to `concurrency` posts in flight (the fan-out function posts wider
    /// than a request does: it has nothing else to do).
    async fn post_many_with(
        &self,
        connections: &[ConnectionId],
        payload: &[u8],
        concurrency: usize,
    ) -> Vec<Result<(), PushError>> {
        let posts: Vec<_> = connections.iter().map(|c| self.post(c, payload)).collect();
        stream::iter(posts).buffered(concurrency.max(1)).collect().await
    }
    /// Closes a connection from the server side (API Gateway's DeleteConnection).
    async fn close(&self, connection: &ConnectionId) -> Result<(), PushError>;
}
