//! Fan-out: who receives a committed change, and posting it to them.

use async_trait::async_trait;

use super::{FanoutReport, Realtime};
use crate::domain::error::{ChatError, ChatResult};
use crate::domain::ids::{ConnectionId, TenantId, UserId};
use crate::domain::{Change, Event};
use crate::persistence::connections::{self as stored, Subscription};
use crate::ports::events::EventSink;
use crate::ports::push::{PushError, POST_CONCURRENCY};

/// The user whose own tabs and devices alone receive `change`, when it is that kind of change
/// (a read position, a notification setting): at most `MAX_CONNECTIONS_PER_USER` recipients.
pub(super) fn own_tabs_only(change: &Change) -> Option<&UserId> {
    match change {
        Change::ConversationRead(read) => Some(&read.user_id),
        Change::NotificationLevel(setting) => Some(&setting.user_id),
        _ => None,
    }
}

impl Realtime {
    /// The connections that must receive `event`, and nobody else's. `known` is the
    /// conversation's whole list of subscriptions when the caller has read it already.
    pub(super) async fn audience(
        &self,
        t: &TenantId,
        event: &Event,
        known: Option<Vec<Subscription>>,
    ) -> ChatResult<Vec<ConnectionId>> {
        let c = &event.conversation_id;
        if let Some(user) = own_tabs_only(&event.change) {
            return self.user_connections(t, user).await;
        }
        let (members, subscribers) = match known {
            Some(subscribers) => (self.tables.member_ids(t, c).await?, subscribers),
            // Independent reads: on DynamoDB they overlap instead of queueing.
            None => futures::try_join!(self.tables.member_ids(t, c), self.tables.subscribers(t, c))?,
        };
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

    /// Finds the audience and posts to it from here, `POST_CONCURRENCY` posts at a time.
    pub async fn fanout(&self, t: &TenantId, event: &Event) -> ChatResult<FanoutReport> {
        self.fanout_to(t, event, None, POST_CONCURRENCY).await
    }

    /// The fan-out itself, wherever it runs (the request, or the fan-out function with its
    /// wider `concurrency`): posts, forgets gone connections, counts and reports.
    pub(super) async fn fanout_to(
        &self,
        t: &TenantId,
        event: &Event,
        known: Option<Vec<Subscription>>,
        concurrency: usize,
    ) -> ChatResult<FanoutReport> {
        let started = std::time::Instant::now();
        let recipients = self.audience(t, event, known).await?;
        self.post_to(t, event, recipients, concurrency, started).await
    }

    /// Posts `event` to `recipients`, forgets the gone ones, counts and reports (`started`:
    /// when this fan-out began, for its latency).
    pub(super) async fn post_to(
        &self,
        t: &TenantId,
        event: &Event,
        recipients: Vec<ConnectionId>,
        concurrency: usize,
        started: std::time::Instant,
    ) -> ChatResult<FanoutReport> {
        let payload = serde_json::to_vec(event).map_err(|e| ChatError::Internal(e.to_string()))?;
        let mut report = FanoutReport { recipients: recipients.len(), ..Default::default() };
        let results = self.push.post_many_with(&recipients, &payload, concurrency).await;
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

/// Publishing a committed change fans it out from here or queues it (`dispatch`); a failure is
/// logged, never the request's failure: the change is committed and catch-up delivers it.
#[async_trait]
impl EventSink for Realtime {
    async fn publish(&self, tenant: &TenantId, event: &Event) {
        if let Err(e) = self.dispatch(tenant, event).await {
            tracing::warn!(conversation = %event.conversation_id, error = %e, "fan-out failed");
        }
    }
}
