//! The fan-out queue's SQS adapter against moto: a FIFO queue receives each job once, in the
//! order sent, in its conversation's message group; a repeated enqueue of the same seq is
//! dropped by the queue's deduplication.

use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use shared::adapters::aws::sqs::SqsFanoutQueue;
use shared::domain::ids::{ConversationId, TenantId, UserId};
use shared::domain::{Change, Event, MemberChange};
use shared::ports::queue::{FanoutJob, FanoutQueue};

fn job(tenant: &str, conversation: &ConversationId, seq: u64, user: &str) -> FanoutJob {
    let change = Change::MemberAdded(MemberChange { user_id: UserId::parse(user).unwrap() });
    FanoutJob::new(TenantId::parse(tenant).unwrap(), Event::new(conversation.clone(), seq, change))
}

#[tokio::test]
async fn jobs_reach_a_fifo_queue_once_in_order_grouped_by_conversation() {
    let sdk = shared::adapters::aws::sdk::sdk_config(Some(integration_tests::moto())).await.unwrap();
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let name = format!("fanout-{}.fifo", ulid::Ulid::new().to_string().to_lowercase());
    let created =
        sqs.create_queue().queue_name(&name).attributes(QueueAttributeName::FifoQueue, "true").send().await.unwrap();
    let url = created.queue_url().unwrap().to_owned();
    let queue = SqsFanoutQueue::new(&sdk, &url);

    let c = ConversationId::new_channel();
    let jobs = [job("acme", &c, 1, "bob"), job("acme", &c, 2, "carol"), job("acme", &c, 3, "dave")];
    for j in &jobs {
        queue.enqueue(j).await.unwrap();
    }
    // The sender retried seq 2 (its first SendMessage timed out after reaching SQS).
    queue.enqueue(&jobs[1]).await.unwrap();

    let mut received = Vec::new();
    for _ in 0..5 {
        let page = sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
            .send()
            .await
            .unwrap();
        for message in page.messages() {
            let group = message.attributes().and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId)).cloned();
            received.push((FanoutJob::from_body(message.body().unwrap()).unwrap(), group));
            sqs.delete_message()
                .queue_url(&url)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
        if received.len() >= jobs.len() {
            break;
        }
    }
    let bodies: Vec<&FanoutJob> = received.iter().map(|(j, _)| j).collect();
    assert_eq!(bodies, jobs.iter().collect::<Vec<_>>(), "each once, in seq order");
    for (_, group) in &received {
        assert_eq!(group.as_deref(), Some(format!("acme/{c}").as_str()));
    }
    let leftover = sqs.receive_message().queue_url(&url).max_number_of_messages(10).send().await.unwrap();
    assert!(leftover.messages().is_empty(), "the repeated seq was dropped");
}
