//! The `FanoutQueue` port: where a committed event goes when its audience is too big to push
//! from the sender's request (SQS FIFO on AWS, an in-process twin in the local stack). Ordered per
//! conversation, so every connection receives a conversation's events in seq order.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::domain::ids::TenantId;
use crate::domain::Event;

/// One committed event to fan out: the queue message's body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FanoutJob {
    pub tenant_id: TenantId,
    pub event: Event,
}

impl FanoutJob {
    pub fn new(tenant_id: TenantId, event: Event) -> Self {
        Self { tenant_id, event }
    }

    /// The ordering key (SQS `MessageGroupId`): one group per conversation, so a conversation's
    /// events are consumed one after another in seq order while other conversations run in
    /// parallel. At most 64 + 1 + 33 characters (SQS allows 128).
    pub fn group_id(&self) -> String {
        format!("{}/{}", self.tenant_id, self.event.conversation_id)
    }

    /// The deduplication id (SQS `MessageDeduplicationId`): a seq is taken once per
    /// conversation, so a repeated enqueue of the same change is dropped by the queue.
    pub fn deduplication_id(&self) -> String {
        format!("{}/{}", self.group_id(), self.event.seq)
    }

    pub fn to_body(&self) -> Result<String, QueueError> {
        serde_json::to_string(self).map_err(|e| QueueError(e.to_string()))
    }

    pub fn from_body(body: &str) -> Result<Self, QueueError> {
        serde_json::from_str(body).map_err(|e| QueueError(format!("unreadable fan-out job: {e}")))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("fan-out queue: {0}")]
pub struct QueueError(pub String);

#[async_trait]
pub trait FanoutQueue: Send + Sync {
    /// Hands the job to the queue; once this returns, the consumer delivers it.
    async fn enqueue(&self, job: &FanoutJob) -> Result<(), QueueError>;
}
