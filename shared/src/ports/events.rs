//! Where committed changes go: the fan-out to live connections. Publishing is after the commit
//! and best-effort by design: a client that misses an event finds the change by its seq.

use async_trait::async_trait;

use crate::domain::ids::TenantId;
use crate::domain::Event;

#[async_trait]
pub trait EventSink: Send + Sync {
    async fn publish(&self, tenant: &TenantId, event: &Event);
}
