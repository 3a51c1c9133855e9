//! The `FanoutQueue` adapter: SQS FIFO. One message group per conversation (a conversation's
//! events are consumed in seq order, different conversations in parallel) and a deduplication id
//! per seq (a repeated enqueue of the same change within five minutes is dropped by SQS).
//! Throttling and server faults are retried by the SDK's standard mode (`sdk_config`); what
//! still fails is the sender's to handle (it pushes inline).

use async_trait::async_trait;
use aws_sdk_sqs::Client;

use crate::ports::queue::{FanoutJob, FanoutQueue, QueueError};

#[derive(Clone)]
pub struct SqsFanoutQueue {
    client: Client,
    queue_url: String,
}

impl SqsFanoutQueue {
    pub fn new(config: &aws_config::SdkConfig, queue_url: &str) -> Self {
        Self { client: Client::new(config), queue_url: queue_url.to_owned() }
    }

    /// Around a client built elsewhere (the request accounting adds an interceptor).
    pub fn from_client(client: Client, queue_url: &str) -> Self {
        Self { client, queue_url: queue_url.to_owned() }
    }
}

#[async_trait]
impl FanoutQueue for SqsFanoutQueue {
    async fn enqueue(&self, job: &FanoutJob) -> Result<(), QueueError> {
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(job.to_body()?)
            .message_group_id(job.group_id())
            .message_deduplication_id(job.deduplication_id())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| QueueError(format!("{}", aws_sdk_sqs::error::DisplayErrorContext(&e))))
    }
}
