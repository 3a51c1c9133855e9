//! What both benches set up with: callers, messages, and the sinks of set-up work.

use async_trait::async_trait;
use shared::app::NewMessage;
use shared::domain::ids::{ClientMessageId, ConnectionId, TenantId, UserId};
use shared::domain::values::{DisplayName, Handle, MessageBody};
use shared::domain::Event;
use shared::ports::events::EventSink;
use shared::ports::push::{Push, PushError};
use shared::{Caller, Role};

pub const TENANT: &str = "acme";

pub fn caller(user: &str, roles: Vec<Role>) -> anyhow::Result<Caller> {
    Ok(Caller {
        tenant: TenantId::parse(TENANT)?,
        user: UserId::parse(user)?,
        roles,
        display_name: DisplayName::parse(user)?,
        suggested_handle: Handle::parse(user)?,
    })
}

pub fn message(client_id: &str) -> anyhow::Result<NewMessage> {
    Ok(NewMessage {
        client_message_id: ClientMessageId::parse(client_id)?,
        body: MessageBody::parse("status update: the deploy went out, metrics look fine")?,
        mentions: vec![],
        attachments: vec![],
        reply_to: None,
    })
}

/// Set-up changes are told to nobody.
pub struct NoEvents;
#[async_trait]
impl EventSink for NoEvents {
    async fn publish(&self, _: &TenantId, _: &Event) {}
}

/// Set-up frames (presence on connect) go nowhere.
pub struct NoPush;
#[async_trait]
impl Push for NoPush {
    async fn post(&self, _: &ConnectionId, _: &[u8]) -> Result<(), PushError> {
        Ok(())
    }
    async fn close(&self, _: &ConnectionId) -> Result<(), PushError> {
        Ok(())
    }
}
