//! Fan-out: who receives a committed change, and posting it to them.

use async_trait::async_trait;

use super::{FanoutReport, Realtime};
use crate::domain::error::{ChatError, ChatResult};
use crate::domain::ids::{ConnectionId, TenantId};
use crate::domain::{Change, Event};
use crate::persistence::connections as stored;
use crate::ports::events::EventSink;
use crate::ports::push::PushError;

impl Realtime {
    /// The connections that must receive `event`, and nobody else's.
    async fn audience(&self, t: &TenantId, event: &Event) -> ChatResult<Vec<ConnectionId>> {
        let c = &event.conversation_id;
        if let Change::ConversationRead(read) = &event.change {
            // Only the reader's own tabs and devices.
            return self.user_connections(t, &read.user_id).await;
        }
        if let Change::NotificationLevel(setting) = &event.change {
            // A member's own setting: only their own tabs and devices.
            return self.user_connections(t, &setting.user_id).await;
        }
        // Independent reads: on DynamoDB they overlap instead of queueing.
        let (members, subscribers) = futures::try_join!(self.tables.member_ids(t, c), self.tables.subscribers(t, c))?;
        // The removed member is told once, then nothing more from here.
        let removed = match &event.change {
            Change::MemberRemoved(member) => Some(&member.user_id),
            _ => None,
        };
        let mut recipients: Vec<ConnectionId> = Vec::new();
        let mut removed_subscriptions: Vec<ConnectionId> = Vec::new();
        for subscriber in subscribers {
            if members.contains(&subscriber.user_id) {
                recipients.push(subscriber.connection_id);
            } else if removed == Some(&subscriber.user_id) {
                removed_subscriptions.push(subscriber.connection_id.clone());
                recipients.push(subscriber.connection_id);
            }
        }
        if !removed_subscriptions.is_empty() {
            self.tables.write_all(stored::remove_subscribers(t, c, &removed_subscriptions)).await?;
        }
        // Someone just added is not subscribed yet: reach all their connections so their client
        // learns of the conversation and subscribes.
        if let Change::MemberAdded(member) = &event.change {
            for id in self.user_connections(t, &member.user_id).await? {
                if !recipients.contains(&id) {
                    recipients.push(id);
                }
            }
        }
        Ok(recipients)
    }

    pub async fn fanout(&self, t: &TenantId, event: &Event) -> ChatResult<FanoutReport> {
        let started = std::time::Instant::now();
        let recipients = self.audience(t, event).await?;
        let payload = serde_json::to_vec(event).map_err(|e| ChatError::Internal(e.to_string()))?;
        let mut report = FanoutReport { recipients: recipients.len(), ..Default::default() };
        let results = self.push.post_many(&recipients, &payload).await;
        for (id, result) in recipients.into_iter().zip(results) {
            match result {
                Ok(()) => report.delivered += 1,
                Err(PushError::Gone) => {
                    report.gone += 1;
                    // Delete THAT connection, not the sender's.
                    if let Err(e) = self.disconnect(&id).await {
                        tracing::warn!(connection = %id, error = %e, "gone clean-up failed");
                    }
                    tracing::debug!(connection = %id, "gone: connection forgotten");
                }
                Err(PushError::Failed(e)) => {
                    report.failed += 1;
                    tracing::warn!(connection = %id, error = %e, "push failed");
                }
            }
        }
        let elapsed_ms = started.elapsed().as_millis() as u64;
        self.metrics.incr(&format!("events.{}", event.kind().as_str()), report.delivered as i64);
        self.metrics.incr("push.failures", report.failed as i64);
        self.metrics.incr("push.gone", report.gone as i64);
        self.metrics.observe_fanout_ms(elapsed_ms);
        tracing::debug!(tenant = %t, conversation = %event.conversation_id, event = event.kind().as_str(), seq = event.seq,
            recipients = report.recipients, delivered = report.delivered, gone = report.gone, failed = report.failed,
            elapsed_ms, "fan-out");
        Ok(report)
    }
}

/// Publishing a committed change fans it out; a failure is logged, never the request's failure:
/// the change is committed and catch-up delivers it.
#[async_trait]
impl EventSink for Realtime {
    async fn publish(&self, tenant: &TenantId, event: &Event) {
        if let Err(e) = self.fanout(tenant, event).await {
            tracing::warn!(conversation = %event.conversation_id, error = %e, "fan-out failed");
        }
    }
}
