//! The fan-out function: consumes the fan-out queue (SQS FIFO, one message group per
//! conversation) and delivers each event to its whole audience (`Realtime::deliver`, posting
//! `FANOUT_CONCURRENCY` at a time). Conversations in a batch run in parallel; the events of one
//! conversation one after another, in the order the queue gives them (seq order).
//!
//! Partial batch failures (`ReportBatchItemFailures`): a job whose audience cannot be read fails,
//! and with it the rest of its conversation's jobs in the batch (SQS FIFO must not see a later
//! event succeed before an earlier one); the queue redelivers them, and after `maxReceiveCount`
//! receives moves them to the dead-letter queue. A post that fails is not a job failure: it is
//! counted (`push.failures`), and the client recovers the event by seq.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
pub use shared::adapters::aws::streams::BatchResponse;
use shared::adapters::aws::streams::ItemFailure;
use shared::ports::queue::FanoutJob;
use shared::realtime::Realtime;

pub struct Consumer {
    realtime: Arc<Realtime>,
}

/// One message of the batch, read.
struct Received {
    message_id: String,
    job: Result<FanoutJob, String>,
}

impl Consumer {
    pub fn new(realtime: Arc<Realtime>) -> Self {
        Self { realtime }
    }

    pub async fn handle(&self, event: SqsEvent) -> BatchResponse {
        let mut groups: BTreeMap<String, Vec<Received>> = BTreeMap::new();
        for message in event.records {
            let received = read(message);
            // An unreadable body has no conversation: it is a group of its own.
            let group = match &received.job {
                Ok(job) => job.group_id(),
                Err(_) => format!("unreadable/{}", received.message_id),
            };
            groups.entry(group).or_default().push(received);
        }
        let runs = groups.into_values().map(|jobs| self.run_group(jobs));
        let failed: Vec<String> = futures::future::join_all(runs).await.into_iter().flatten().collect();
        self.realtime.metrics().maybe_flush(self.realtime.tables()).await;
        tracing::info!(failed = failed.len(), "fan-out batch");
        BatchResponse {
            batch_item_failures: failed.into_iter().map(|item_identifier| ItemFailure { item_identifier }).collect(),
        }
    }

    /// One conversation's jobs in order; after a failure, that one and the rest are returned.
    async fn run_group(&self, jobs: Vec<Received>) -> Vec<String> {
        let mut failed = Vec::new();
        for received in jobs {
            if !failed.is_empty() {
                failed.push(received.message_id);
                continue;
            }
            let outcome = match &received.job {
                Ok(job) => self.realtime.deliver(job).await.map_err(|e| e.to_string()),
                Err(e) => Err(e.clone()),
            };
            match outcome {
                Ok(report) => tracing::debug!(message = %received.message_id, recipients = report.recipients,
                    delivered = report.delivered, gone = report.gone, failed = report.failed, "fan-out delivered"),
                Err(e) => {
                    tracing::warn!(message = %received.message_id, error = %e, "fan-out job failed; the queue redelivers it");
                    failed.push(received.message_id);
                }
            }
        }
        failed
    }
}

fn read(message: SqsMessage) -> Received {
    let message_id = message.message_id.unwrap_or_default();
    let job = match message.body {
        Some(body) => FanoutJob::from_body(&body).map_err(|e| e.to_string()),
        None => Err("a message without a body".to_owned()),
    };
    Received { message_id, job }
}

#[cfg(test)]
mod tests {
    use shared::adapters::embedded::sqlite::SqliteStore;
    use shared::domain::ids::{ConnectionId, ConversationId, TenantId, UserId};
    use shared::domain::{Change, Event, MemberChange};
    use shared::ops::Metrics;
    use shared::ports::clock::{Clock, ManualClock};
    use shared::ports::push::{Push, PushError};

    use super::*;

    struct NoConnections;

    #[async_trait::async_trait]
    impl Push for NoConnections {
        async fn post(&self, _connection: &ConnectionId, _payload: &[u8]) -> Result<(), PushError> {
            Err(PushError::Gone)
        }
        async fn close(&self, _connection: &ConnectionId) -> Result<(), PushError> {
            Err(PushError::Gone)
        }
    }

    fn consumer() -> Consumer {
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(0));
        let store = Arc::new(SqliteStore::in_memory(clock.clone()).expect("store"));
        let metrics = Arc::new(Metrics::new(clock.clone(), 60_000));
        Consumer::new(Arc::new(Realtime::new(store, Arc::new(NoConnections), clock, metrics)))
    }

    fn message(id: &str, body: &str) -> serde_json::Value {
        serde_json::json!({ "messageId": id, "body": body, "attributes": {}, "messageAttributes": {} })
    }

    fn job(conversation: &ConversationId, seq: u64) -> String {
        let change = Change::MemberAdded(MemberChange { user_id: UserId::parse("bob").expect("user") });
        let event = Event::new(conversation.clone(), seq, change);
        FanoutJob::new(TenantId::parse("acme").expect("tenant"), event).to_body().expect("body")
    }

    /// The sample event `make lambda-test` invokes the function with is what SQS sends: two jobs
    /// of one conversation from the fan-out queue, and a slice from the slice queue.
    #[tokio::test]
    async fn the_sample_batch_is_delivered_without_failures() {
        let sample = include_str!("../../../events/fanout-batch.json");
        let event: SqsEvent = serde_json::from_str(sample).expect("an SQS event");
        assert_eq!(event.records.len(), 3);
        assert_eq!(consumer().handle(event).await, BatchResponse { batch_item_failures: Vec::new() });
    }

    /// A message nobody can read fails alone (the queue moves it to the DLQ after its receives);
    /// the others are delivered.
    #[tokio::test]
    async fn an_unreadable_message_fails_alone() {
        let (a, b) = (ConversationId::new_channel(), ConversationId::new_channel());
        let records = vec![message("a1", &job(&a, 1)), message("x", "{not json"), message("b1", &job(&b, 4))];
        let event: SqsEvent = serde_json::from_value(serde_json::json!({ "Records": records })).expect("event");
        let response = consumer().handle(event).await;
        assert_eq!(response, BatchResponse { batch_item_failures: vec![ItemFailure { item_identifier: "x".into() }] });
    }
}
