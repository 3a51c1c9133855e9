//! AWS request accounting: every DynamoDB, S3, SQS and API Gateway Management call (an SDK
//! interceptor) and the DynamoDB capacity consumed (`ReturnConsumedCapacity`, set by the same
//! interceptor) for each operation, against moto. Run: `cargo run -p integration-tests --bin aws-accounting`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextMut,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use integration_tests::{caller, moto, new_message, new_reply};
use serde_json::json;
use shared::adapters::aws::apigw::ApiGatewayPush;
use shared::adapters::aws::dynamo::DynamoStore;
use shared::adapters::aws::s3::S3Blobs;
use shared::adapters::aws::sdk::sdk_config;
use shared::app::ChannelChange;
use shared::domain::ids::{ConnectionId, ConversationId, UserId};
use shared::domain::values::{ChannelName, MessageBody, Topic};
use shared::domain::{ConversationMeta, Emoji, NotificationLevel, Visibility};
use shared::ops::Metrics;
use shared::persistence::keys;
use shared::ports::clock::SystemClock;
use shared::ports::store::{Cond, Item, Store, WriteOp};
use shared::realtime::Realtime;
use shared::Chat;

#[derive(Default, Debug)]
struct Tally {
    calls: BTreeMap<String, u64>,
    capacity: f64,
}

#[derive(Clone, Default, Debug)]
struct Counter(Arc<Mutex<Tally>>);

impl Counter {
    fn take(&self) -> Tally {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

macro_rules! ask_capacity {
    ($input:expr, $($ty:ty),*) => {
        $(if let Some(i) = $input.downcast_mut::<$ty>() { i.return_consumed_capacity = Some(ReturnConsumedCapacity::Total); })*
    };
}

impl Intercept for Counter {
    fn name(&self) -> &'static str {
        "request-accounting"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        use aws_sdk_dynamodb::operation::*;
        let input = context.input_mut();
        ask_capacity!(
            input,
            get_item::GetItemInput,
            put_item::PutItemInput,
            update_item::UpdateItemInput,
            delete_item::DeleteItemInput,
            query::QueryInput,
            batch_get_item::BatchGetItemInput,
            batch_write_item::BatchWriteItemInput,
            transact_write_items::TransactWriteItemsInput
        );
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        use aws_sdk_dynamodb::operation::*;
        let name =
            cfg.load::<Metadata>().map(|m| format!("{}.{}", m.service(), m.name())).unwrap_or_else(|| "unknown".into());
        let mut units = 0.0;
        if let Ok(output) = context.output_or_error() {
            let one = |c: Option<&aws_sdk_dynamodb::types::ConsumedCapacity>| {
                c.and_then(|c| c.capacity_units()).unwrap_or(0.0)
            };
            let many = |c: &[aws_sdk_dynamodb::types::ConsumedCapacity]| {
                c.iter().filter_map(|c| c.capacity_units()).sum::<f64>()
            };
            if let Some(o) = output.downcast_ref::<get_item::GetItemOutput>() {
                units = one(o.consumed_capacity());
            }
            if let Some(o) = output.downcast_ref::<put_item::PutItemOutput>() {
                units = one(o.consumed_capacity());
            }
            if let Some(o) = output.downcast_ref::<update_item::UpdateItemOutput>() {
                units = one(o.consumed_capacity());
            }
            if let Some(o) = output.downcast_ref::<delete_item::DeleteItemOutput>() {
                units = one(o.consumed_capacity());
            }
            if let Some(o) = output.downcast_ref::<query::QueryOutput>() {
                units = one(o.consumed_capacity());
            }
            if let Some(o) = output.downcast_ref::<batch_get_item::BatchGetItemOutput>() {
                units = many(o.consumed_capacity());
            }
            if let Some(o) = output.downcast_ref::<batch_write_item::BatchWriteItemOutput>() {
                units = many(o.consumed_capacity());
            }
            if let Some(o) = output.downcast_ref::<transact_write_items::TransactWriteItemsOutput>() {
                units = many(o.consumed_capacity());
            }
        }
        let mut tally = self.0.lock().unwrap();
        *tally.calls.entry(name).or_default() += 1;
        tally.capacity += units;
        Ok(())
    }
}

fn row(operation: &str, tally: Tally) {
    let total: u64 = tally.calls.values().sum();
    let dynamo: u64 =
        tally.calls.iter().filter(|(k, _)| k.to_ascii_lowercase().starts_with("dynamodb")).map(|(_, v)| v).sum();
    let detail: Vec<String> =
        tally.calls.iter().map(|(k, v)| format!("{}×{v}", k.split('.').nth(1).unwrap_or(k))).collect();
    println!("| {operation} | {dynamo} | {:.1} | {} | {} |", tally.capacity, total - dynamo, detail.join(", "));
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let endpoint = moto();
    let sdk = sdk_config(Some(endpoint)).await?;
    let counter = Counter::default();
    let dynamo = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk).interceptor(counter.clone()).build(),
    );
    let table = format!("acct{}", ulid::Ulid::new().to_string().to_lowercase());
    let store = DynamoStore::new(dynamo, &table);
    store.create_table().await?;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).interceptor(counter.clone()).build(),
    );
    let blobs = S3Blobs::from_client(s3, format!("acct{}", ulid::Ulid::new().to_string().to_lowercase()));
    blobs.create_bucket().await?;
    let apigw = aws_sdk_apigatewaymanagement::Client::from_conf(
        aws_sdk_apigatewaymanagement::config::Builder::from(&sdk)
            .endpoint_url(endpoint)
            .interceptor(counter.clone())
            .build(),
    );
    let store: Arc<dyn Store> = Arc::new(store);
    let clock = Arc::new(SystemClock);
    let realtime = Arc::new(Realtime::new(
        store.clone(),
        Arc::new(ApiGatewayPush::from_client(apigw)),
        clock.clone(),
        Arc::new(Metrics::new(clock.clone(), 3_600_000)),
    ));
    // The search index is OpenSearch on AWS; an embedded one here, so the store side is counted.
    let chat = Chat::new(store.clone(), clock.clone(), realtime.clone())
        .with_uploads(Arc::new(blobs), Default::default())
        .with_search(Arc::new(shared::adapters::embedded::search::SqliteSearch::in_memory()?));
    let alice = caller("acme", "alice", &[]);
    chat.ensure_profile(&alice).await?;

    println!("| operation | DynamoDB calls | capacity units | other AWS calls | calls by operation |");
    println!("|---|---|---|---|---|");
    // DMs: a pair and a group of eight (issue 22.4), each person with one connection online.
    // First, on a fresh table: they do not depend on what the rows below set up.
    // Opening is one transaction of the claim, the listing, each person's two membership items
    // and their joining; then one memberAdded push per person.
    let people: Vec<shared::Caller> = (1..8).map(|i| caller("acme", &format!("g{i}"), &[])).collect();
    for (i, person) in people.iter().enumerate() {
        chat.ensure_profile(person).await?;
        realtime.connect(person, &ConnectionId::parse(&format!("conn-g{i}"))?, None).await?;
    }
    realtime.connect(&alice, &ConnectionId::parse("conn-alice")?, None).await?;
    counter.take();
    chat.open_dm(&alice, &people[0].user).await?;
    row("open a DM (2 people, both online)", counter.take());
    let everyone = shared::domain::dm::DmPeople::new(&alice.user, people.iter().map(|p| p.user.clone()), "userIds")?;
    chat.open_dm_with(&alice, &everyone).await?;
    row("open a group DM (8 people, all online)", counter.take());
    chat.open_dm_with(&people[3], &everyone).await?;
    row("open an existing group DM (another member)", counter.take());
    let mut conversations = Vec::new();
    // `ACCOUNTING_SIZES=10,100` leaves out the 1,000-member channel (slow to write on moto).
    let sizes: Vec<usize> = std::env::var("ACCOUNTING_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10, 100, 1000]);
    for &size in &sizes {
        let channel =
            chat.create_channel(&alice, ChannelName::parse(&format!("c{size}"))?, Visibility::Public, None).await?;
        let meta: ConversationMeta = shared::persistence::codec::from_attrs(
            &store.get(&keys::conversation_meta(&alice.tenant, &channel.id), true).await?.unwrap().attrs,
        )?;
        // Members written directly (setup is not what is measured), 10% of them online.
        let mut ops = Vec::new();
        for i in 1..size {
            let user = UserId::parse(&format!("m{size}-{i}"))?;
            ops.push(WriteOp::Put {
                item: Item::new(
                    keys::member(&alice.tenant, &channel.id, &user),
                    shared::persistence::codec::to_attrs(
                        &json!({ "userId": user, "role": "member", "joinedAt": "2026-11-26T00:00:00.000Z" }),
                    )?,
                ),
                cond: Cond::Always,
            });
            ops.push(WriteOp::Put { item: Item::new(keys::membership(&alice.tenant, &user, &channel.id), shared::persistence::codec::to_attrs(&json!({ "conversationId": channel.id, "kind": meta.kind, "role": "member", "joinedAt": "2026-11-26T00:00:00.000Z" }))?), cond: Cond::Always });
        }
        store.batch_write(ops).await?;
        for i in 1..=size / 10 {
            let member = caller("acme", &format!("m{size}-{i}"), &[]);
            let id = ConnectionId::parse(&format!("conn-{size}-{i}"))?;
            realtime.connect(&member, &id, None).await?;
            realtime.subscribe(&id, Some(vec![channel.id.clone()])).await?;
        }
        counter.take();
        let sent = chat.send(&alice, &channel.id, new_message(&format!("s{size}"), "hello")).await?.message;
        row(&format!("send to a channel of {size} ({} online)", size / 10), counter.take());
        conversations.push((channel.id, sent.id));
    }
    let thumbs = Emoji::parse("👍")?;
    for ((c, m), size) in conversations.iter().zip(sizes.iter().copied()) {
        chat.react(&alice, c, m, &thumbs, true).await?;
        row(&format!("react in a channel of {size} ({} online)", size / 10), counter.take());
    }
    chat.react(&alice, &conversations[0].0, &conversations[0].1, &thumbs, false).await?;
    row("remove a reaction", counter.take());
    chat.react(&alice, &conversations[0].0, &conversations[0].1, &thumbs, false).await?;
    row("remove a reaction not held (no-op)", counter.take());
    let conversations: Vec<ConversationId> = conversations.into_iter().map(|(c, _)| c).collect();
    let c = conversations[0].clone();
    let m = chat.send(&alice, &c, new_message("e1", "to edit")).await?.message;
    counter.take();
    chat.edit(&alice, &c, &m.id, MessageBody::parse("edited")?, None).await?;
    row("edit", counter.take());
    chat.versions(&alice, &c, &m.id).await?;
    row("edit history", counter.take());
    chat.delete(&alice, &c, &m.id).await?;
    row("delete (an edited message: its versions go too)", counter.take());
    chat.mark_read(&alice, &c, &m.id).await?;
    row("mark read", counter.take());
    chat.set_notification_level(&alice, &c, NotificationLevel::Nothing).await?;
    row("set a notification level", counter.take());
    presence_rows(&realtime, &counter, &conversations).await?;
    // 50 memberships for the list.
    let bob = caller("acme", "bob", &[]);
    chat.ensure_profile(&bob).await?;
    for i in 0..50 {
        let ch = chat.create_channel(&bob, ChannelName::parse(&format!("b{i}"))?, Visibility::Public, None).await?;
        let _ = ch;
    }
    counter.take();
    chat.list_conversations(&bob).await?;
    row("list conversations (50 memberships)", counter.take());
    chat.history(&alice, &c, Default::default()).await?;
    row("history page", counter.take());
    chat.changes(&alice, &c, 0, None).await?;
    row("catch-up (all changes)", counter.take());
    let _ = chat.search(&alice, "hello", None, Default::default(), None, None).await;
    row("search (store side; the index is OpenSearch)", counter.take());
    let _ = chat.search(&alice, "hello in:@bob", None, Default::default(), None, None).await;
    row("search in:@handle (store side)", counter.take());
    chat.upload_intent(&alice, &c, "a.txt", "text/plain", 10).await?;
    row("upload intent (the member item, then `META`: an archived channel is refused)", counter.take());

    // Threads, in the channel of 10 (1 online): a reply costs the same whatever the thread's
    // size (the root's summary is one item), and neither the main history nor a thread page
    // reads the other's items.
    let root = chat.send(&alice, &c, new_message("t-root", "a thread")).await?.message;
    counter.take();
    chat.send(&alice, &c, new_reply("t-1", "first", root.id, false)).await?;
    row("reply (the first: the root's author follows)", counter.take());
    for i in 2..50 {
        chat.send(&alice, &c, new_reply(&format!("t-{i}"), "more", root.id, false)).await?;
    }
    counter.take();
    chat.send(&alice, &c, new_reply("t-50", "the fiftieth", root.id, false)).await?;
    row("reply (to a thread of 49 replies)", counter.take());
    chat.send(&alice, &c, new_reply("t-51", "also in the channel", root.id, true)).await?;
    row("reply also sent to the channel", counter.take());
    chat.thread(&alice, &c, &root.id, None, Some(50)).await?;
    row("thread read (50 replies)", counter.take());
    chat.history(&alice, &c, Default::default()).await?;
    row("history page (beside a thread of 51 replies)", counter.take());
    for i in 0..9 {
        let other = chat.send(&alice, &c, new_message(&format!("t{i}-root"), "another thread")).await?.message;
        chat.send(&alice, &c, new_reply(&format!("t{i}-reply"), "a reply", other.id, false)).await?;
    }
    counter.take();
    chat.followed_threads(&alice, None, None).await?;
    row("threads view (10 followed threads)", counter.take());
    chat.read_thread(&alice, &c, &root.id).await?;
    row("thread read mark", counter.take());

    // Channel management, in the channel of 10 (1 online): the same whatever the channel's size.
    let rename = ChannelChange { name: Some(ChannelName::parse("renamed")?), ..Default::default() };
    chat.update_channel(&alice, &c, rename).await?;
    row("rename a public channel (the name claim moves)", counter.take());
    let topic = ChannelChange { topic: Some(Topic::parse("a topic")?), ..Default::default() };
    chat.update_channel(&alice, &c, topic).await?;
    row("edit a channel's topic", counter.take());
    chat.update_channel(&alice, &c, ChannelChange { archived: Some(true), ..Default::default() }).await?;
    row("archive a channel", counter.take());
    let refused = chat.send(&alice, &c, new_message("late", "too late")).await;
    anyhow::ensure!(refused.is_err(), "an archived channel took a message");
    row("send to an archived channel (refused)", counter.take());
    chat.update_channel(&alice, &c, ChannelChange { archived: Some(false), ..Default::default() }).await?;
    row("unarchive a channel", counter.take());

    if let (Some(channel), Some(&size)) = (conversations.last(), sizes.last()) {
        queued_rows(&sdk, &counter, &realtime, &alice, channel, size).await?;
    }
    Ok(())
}

/// A send past the inline threshold (issue 24), in the biggest channel: the sender's side (a
/// bounded read of the subscriptions, one SendMessage) and the fan-out function's (the
/// audience, a post per connection). Lambda's own polling of the queue (ReceiveMessage,
/// DeleteMessage, batched) is not counted: the event source mapping makes it.
async fn queued_rows(
    sdk: &aws_config::SdkConfig,
    counter: &Counter,
    realtime: &Realtime,
    alice: &shared::Caller,
    channel: &ConversationId,
    size: usize,
) -> anyhow::Result<()> {
    use aws_sdk_sqs::types::QueueAttributeName;
    use shared::domain::limits::{FanoutSettings, DEFAULT_INLINE_MAX};
    use shared::ports::queue::FanoutJob;
    let sqs =
        aws_sdk_sqs::Client::from_conf(aws_sdk_sqs::config::Builder::from(sdk).interceptor(counter.clone()).build());
    let name = format!("acct{}.fifo", ulid::Ulid::new().to_string().to_lowercase());
    let created = sqs.create_queue().queue_name(&name).attributes(QueueAttributeName::FifoQueue, "true").send().await?;
    let url = created.queue_url().unwrap_or_default().to_owned();
    let online = size / 10;
    // The default threshold when the channel has more online than it; below, one under them.
    let settings =
        FanoutSettings { inline_max: DEFAULT_INLINE_MAX.min(online.saturating_sub(1)), ..Default::default() };
    let queue = Arc::new(shared::adapters::aws::sqs::SqsFanoutQueue::from_client(sqs.clone(), &url));
    let clock = Arc::new(SystemClock);
    let queued = Arc::new(
        Realtime::new(
            realtime.tables().store().clone(),
            realtime.push().clone(),
            clock.clone(),
            realtime.metrics().clone(),
        )
        .with_fanout_queue(Some(queue as Arc<dyn shared::ports::queue::FanoutQueue>), settings),
    );
    let chat = Chat::new(realtime.tables().store().clone(), clock, queued.clone());
    counter.take();
    chat.send(alice, channel, new_message("queued-send", "to many")).await?;
    let label = format!("send to a channel of {size} ({online} online), queued past {}", settings.inline_max);
    row(&format!("{label}: the sender"), counter.take());
    let received = sqs.receive_message().queue_url(&url).max_number_of_messages(1).send().await?;
    let body = received.messages().first().and_then(|m| m.body()).ok_or_else(|| anyhow::anyhow!("nothing queued"))?;
    let job = FanoutJob::from_body(body)?;
    counter.take();
    queued.deliver(&job).await?;
    row(&format!("{label}: the fan-out function"), counter.take());

    // The same job split into slices (of 4 here, to split the small audience; 1,000 by default).
    let name = format!("acct{}-slices.fifo", ulid::Ulid::new().to_string().to_lowercase());
    let created = sqs.create_queue().queue_name(&name).attributes(QueueAttributeName::FifoQueue, "true").send().await?;
    let slice_url = created.queue_url().unwrap_or_default().to_owned();
    let slice_queue = Arc::new(shared::adapters::aws::sqs::SqsFanoutQueue::from_client(sqs.clone(), &slice_url));
    let sliced = Realtime::new(
        realtime.tables().store().clone(),
        realtime.push().clone(),
        Arc::new(SystemClock),
        realtime.metrics().clone(),
    )
    .with_fanout_queue(None, FanoutSettings { slice_size: 4, ..settings })
    .with_slice_queue(Some(slice_queue as Arc<dyn shared::ports::queue::FanoutQueue>));
    counter.take();
    sliced.deliver(&job).await?;
    row(&format!("{label}: the fan-out function in slices of 4 (slice 1 posted, the others queued)"), counter.take());
    let received = sqs.receive_message().queue_url(&slice_url).max_number_of_messages(1).send().await?;
    let body = received.messages().first().and_then(|m| m.body()).ok_or_else(|| anyhow::anyhow!("no slice queued"))?;
    let slice = FanoutJob::from_body(body)?;
    let size = slice.slice.as_ref().map_or(0, |s| s.connections.len());
    counter.take();
    sliced.deliver(&slice).await?;
    row(&format!("{label}: one queued slice ({size} connections)"), counter.take());
    Ok(())
}

/// Typing and presence. A transition costs the same whatever the tenant's size: the user's
/// connections and presence item, one conditional write, the watchers' partition, and one post
/// per connection showing the user (the people who display them, not the tenant).
async fn presence_rows(realtime: &Realtime, counter: &Counter, conversations: &[ConversationId]) -> anyhow::Result<()> {
    let (Some(small), Some(hundred)) = (conversations.first(), conversations.get(1)) else { return Ok(()) };
    let alice = caller("acme", "alice", &[]);
    let tab = ConnectionId::parse("alice-tab")?;
    realtime.connect(&alice, &tab, None).await?;
    realtime.subscribe(&tab, Some(vec![small.clone()])).await?;
    counter.take();
    realtime.typing(&tab, small).await?;
    row("typing in a channel of 10 (1 other online)", counter.take());
    realtime.subscribe(&tab, Some(vec![hundred.clone()])).await?;
    counter.take();
    realtime.typing(&tab, hundred).await?;
    row("typing in a channel of 100 (10 others online)", counter.take());

    // m100-50 (offline) is shown by the 10 online members of the channel of 100.
    let shown = UserId::parse("m100-50")?;
    for i in 1..=10 {
        realtime.watch_presence(&ConnectionId::parse(&format!("conn-100-{i}"))?, vec![shown.clone()]).await?;
    }
    row("presenceSubscribe (1 user), by each of 10 connections: total", counter.take());
    let ten: Vec<UserId> = (40..50).map(|i| UserId::parse(&format!("m100-{i}"))).collect::<Result<_, _>>()?;
    realtime.watch_presence(&ConnectionId::parse("conn-100-1")?, ten).await?;
    row("presenceSubscribe (10 users)", counter.take());
    realtime.watch_presence(&ConnectionId::parse("conn-100-2")?, vec![shown.clone()]).await?;
    row("presenceSubscribe (the same user again)", counter.take());
    let member = caller("acme", "m100-50", &[]);
    let first = ConnectionId::parse("m100-50-a")?;
    realtime.connect(&member, &first, None).await?;
    row("connect: first tab, online (9 watchers told, the user's own tab)", counter.take());
    let second = ConnectionId::parse("m100-50-b")?;
    realtime.connect(&member, &second, None).await?;
    row("connect: second tab (no transition, nothing sent)", counter.take());
    realtime.set_idle(&first, true).await?;
    row("presence idle on one tab of two (no transition)", counter.take());
    realtime.set_away(&second, true).await?;
    row("presence away by choice (a transition)", counter.take());
    realtime.disconnect_settling(&second, std::time::Duration::ZERO).await?;
    row("disconnect: one tab of two (no transition)", counter.take());
    realtime.disconnect_settling(&first, std::time::Duration::ZERO).await?;
    row("disconnect: last tab, offline (9 watchers told)", counter.take());
    Ok(())
}
