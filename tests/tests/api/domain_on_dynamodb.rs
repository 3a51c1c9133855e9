//! The use cases over the DynamoDB adapter (moto): the same keys, conditions and transactions
//! the local stack runs on SQLite, proven on the AWS protocol.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use integration_tests::{caller, moto_store, new_message};
use shared::app::HistoryQuery;
use shared::domain::ids::TenantId;
use shared::domain::values::{ChannelName, MessageBody};
use shared::domain::{Event, EventType, UserProfile, Visibility};
use shared::ports::clock::{Clock, SystemClock};
use shared::ports::events::EventSink;
use shared::{Chat, ChatError};

#[derive(Default)]
struct Recorded(Mutex<Vec<Event>>);

#[async_trait]
impl EventSink for Recorded {
    async fn publish(&self, _tenant: &TenantId, event: &Event) {
        self.0.lock().unwrap().push(event.clone());
    }
}

#[tokio::test]
async fn use_cases_run_on_dynamodb() {
    let events = Arc::new(Recorded::default());
    let store = Arc::new(moto_store().await);
    let chat = Arc::new(Chat::new(store.clone(), Arc::new(SystemClock), events.clone()));
    // A second "instance" on the same table: its commits race the first one's for each seq.
    let other_events = Arc::new(Recorded::default());
    let other = Arc::new(Chat::new(store.clone(), Arc::new(SystemClock), other_events.clone()));
    let alice = caller("acme", "alice", &[]);
    let bob = caller("acme", "bob", &[]);
    let dave = caller("globex", "dave", &[]);
    for c in [&alice, &bob, &dave] {
        chat.ensure_profile(c).await.unwrap();
    }
    let channel =
        chat.create_channel(&alice, ChannelName::parse("general").unwrap(), Visibility::Private, None).await.unwrap();
    chat.invite(&alice, &channel.id, &bob.user).await.unwrap();
    assert!(matches!(chat.invite(&dave, &channel.id, &dave.user).await, Err(ChatError::NotFound(_))));

    // The duplicate guard under concurrency: one message, one seq.
    let sends = (0..20).map(|i| {
        let chat = if i % 2 == 0 { other.clone() } else { chat.clone() };
        let alice = alice.clone();
        let id = channel.id.clone();
        async move { chat.send(&alice, &id, new_message("dup", "once")).await }
    });
    let results: Vec<_> = futures::future::join_all(sends).await.into_iter().map(|r| r.expect("send")).collect();
    assert_eq!(results.iter().filter(|s| s.created).count(), 1);
    let first = results[0].message.id;
    assert!(results.iter().all(|s| s.message.id == first));

    // Concurrent different sends: each gets its own seq, no holes, none lost.
    let sends = (0..10).map(|i| {
        let chat = if i % 3 == 0 { other.clone() } else { chat.clone() };
        let who = if i % 2 == 0 { alice.clone() } else { bob.clone() };
        let id = channel.id.clone();
        async move { chat.send(&who, &id, new_message(&format!("c{i}"), &format!("concurrent {i}"))).await }
    });
    let mut seqs: Vec<u64> =
        futures::future::join_all(sends).await.into_iter().map(|r| r.unwrap().message.seq).collect();
    seqs.sort();
    assert_eq!(seqs, (seqs[0]..seqs[0] + 10).collect::<Vec<_>>());

    let target = results[0].message.id;
    chat.edit(&alice, &channel.id, &target, MessageBody::parse("edited").unwrap(), None).await.unwrap();
    // The edit kept the text it replaced (edit history: tests/tests/api/message_versions.rs).
    let versions = chat.versions(&bob, &channel.id, &target).await.unwrap();
    assert_eq!(versions.iter().map(|v| v.body.as_str()).collect::<Vec<_>>(), ["once"]);
    chat.delete(&bob, &channel.id, &target).await.expect_err("bob is neither author nor admin");
    chat.delete(&alice, &channel.id, &target).await.unwrap();
    assert!(matches!(chat.versions(&bob, &channel.id, &target).await, Err(ChatError::NotFound("message"))));

    let changes = chat.changes(&bob, &channel.id, 0, Some(500)).await.unwrap();
    let kinds: Vec<EventType> = changes.items.iter().map(|e| e.kind()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == EventType::NewMessage).count(), 11);
    assert_eq!(kinds.iter().filter(|k| **k == EventType::MemberAdded).count(), 2);
    assert!(kinds.contains(&EventType::MessageUpdated) && kinds.contains(&EventType::MessageDeleted));
    let seqs: Vec<u64> = changes.items.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "dense, ordered seqs");
    assert_eq!(changes.last_seq, *seqs.last().unwrap());
    let published = events.0.lock().unwrap().len() + other_events.0.lock().unwrap().len();
    assert_eq!(published, seqs.len(), "one event per committed change, from whichever instance committed it");
    // Public names are unique per tenant; a private channel reserves its name nowhere (no oracle).
    let carol = caller("acme", "carol", &[]);
    chat.ensure_profile(&carol).await.unwrap();
    chat.create_channel(&carol, ChannelName::parse("GENERAL").unwrap(), Visibility::Public, None).await.unwrap();
    assert!(matches!(
        chat.create_channel(&carol, ChannelName::parse("General").unwrap(), Visibility::Public, None).await,
        Err(ChatError::Conflict { code: "name_taken", .. })
    ));

    let history = chat.history(&bob, &channel.id, HistoryQuery { limit: Some(5), ..Default::default() }).await.unwrap();
    assert_eq!(history.items.len(), 5);
    let older = chat
        .history(
            &bob,
            &channel.id,
            HistoryQuery {
                before: history.next_cursor.as_deref().map(|c| shared::domain::ids::MessageId::parse(c).unwrap()),
                limit: Some(100),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(older.items.len() + history.items.len(), 11);
    assert!(older.next_cursor.is_none());

    // DMs: idempotent from either side; never across tenants.
    let dm1 = chat.open_dm(&alice, &bob.user).await.unwrap();
    let dm2 = chat.open_dm(&bob, &alice.user).await.unwrap();
    assert_eq!(dm1.id, dm2.id);
    assert!(matches!(chat.open_dm(&dave, &alice.user).await, Err(ChatError::NotFound("user"))));
    let list = chat.list_conversations(&bob).await.unwrap();
    assert_eq!(list.len(), 2);
    // Unread for bob: the messages after his own newest one (sending advanced his position).
    let mut all =
        chat.history(&bob, &channel.id, HistoryQuery { limit: Some(100), ..Default::default() }).await.unwrap().items;
    all.sort_by_key(|m| m.seq);
    let after_bobs = all.iter().rev().take_while(|m| m.author_id != bob.user).count() as u64;
    assert_eq!(list.iter().find(|c| c.id == channel.id).unwrap().unread_count, after_bobs);
    let users = chat.find_users(&alice, "b").await.unwrap();
    assert_eq!(users, vec![UserProfile { id: bob.user.clone(), handle: "bob".into(), display_name: "bob".into() }]);

    // Remove and leave.
    chat.remove(&alice, &channel.id, &bob.user).await.unwrap();
    assert!(matches!(chat.changes(&bob, &channel.id, 0, None).await, Err(ChatError::NotFound(_))));
    chat.leave(&alice, &channel.id).await.unwrap();
    assert!(chat.list_conversations(&alice).await.unwrap().iter().all(|c| c.id != channel.id));
}

#[tokio::test]
async fn metrics_flush_and_sum_across_instances_on_dynamodb() {
    use shared::ops::{metrics_report, Metrics};
    use shared::persistence::Tables;
    use shared::ports::clock::Clock;
    let tables = Tables::new(Arc::new(moto_store().await));
    let clock = Arc::new(SystemClock);
    // Two "instances" flushing into the same table.
    for _ in 0..2 {
        let metrics = Metrics::new(clock.clone(), 10_000);
        metrics.incr("connects", 3);
        metrics.incr("events.chat:newMessage", 7);
        metrics.incr("requests.POST /api/v1/chat/conversations/{id}/messages.201", 2);
        metrics.observe_fanout_ms(3);
        metrics.observe_fanout_ms(40);
        metrics.flush(&tables).await.unwrap();
    }
    let report = metrics_report(&tables, clock.now_ms(), 5).await.unwrap();
    assert_eq!(report.connects, 6);
    assert_eq!(report.events_pushed["chat:newMessage"], 14);
    assert_eq!(report.requests["POST /api/v1/chat/conversations/{id}/messages"]["201"], 4);
    assert_eq!(report.fanouts, 4);
    assert_eq!(report.fanout_latency_ms["p99"], Some(50));
    assert_eq!(report.fanout_latency_ms["p50"], Some(5));
}

/// The rate limits count on DynamoDB as on SQLite: one item per window, `ADD count` with a TTL,
/// per user and per conversation.
#[tokio::test]
async fn rate_limits_count_in_dynamodb_items_with_ttl() {
    use shared::domain::limits::{Rate, RateLimits};
    use shared::ports::store::{Query, Store, TTL_ATTR};
    let store = Arc::new(moto_store().await);
    let limits = RateLimits {
        sends: Some(Rate { count: 10, window_secs: 60 }),
        conversation_writes: Some(Rate { count: 2, window_secs: 60 }),
        ..RateLimits::default()
    };
    let chat = Chat::new(store.clone(), Arc::new(SystemClock), Arc::new(Recorded::default())).with_rate_limits(limits);
    let alice = caller("acme", "alice", &[]);
    let bob = caller("acme", "bob", &[]);
    for c in [&alice, &bob] {
        chat.ensure_profile(c).await.unwrap();
    }
    let channel =
        chat.create_channel(&alice, ChannelName::parse("general").unwrap(), Visibility::Public, None).await.unwrap();
    chat.invite(&alice, &channel.id, &bob.user).await.unwrap();
    chat.send(&bob, &channel.id, new_message("b1", "one")).await.unwrap();
    let refused = chat.send(&alice, &channel.id, new_message("a1", "two")).await;
    assert!(matches!(refused, Err(ChatError::RateLimited { retry_after_secs: 1..=60 })), "{:?}", refused.err());
    let tenant = TenantId::parse("acme").unwrap();
    let counters = store
        .query(&Query::prefix(shared::persistence::keys::conversation_pk(&tenant, &channel.id), "RATE#").limit(10))
        .await
        .unwrap();
    assert_eq!(counters.items.len(), 1);
    let item = &counters.items[0];
    assert_eq!(item.attrs["count"], 3);
    assert!(item.attrs[TTL_ATTR].as_i64().unwrap() > SystemClock.now_ms() / 1000);
}

/// Threads on the DynamoDB adapter: replies from two instances racing for one root's summary,
/// the thread and main-history queries, follows and the Threads view (`threads::threads_on`).
#[tokio::test]
async fn threads_run_on_dynamodb() {
    crate::threads::threads_on(Arc::new(moto_store().await)).await;
}

/// Group DMs on the DynamoDB adapter: eight people opening one at once from two instances race
/// on the conversation's claim in one transaction of 26 items (`group_dms::group_dms_on`).
#[tokio::test]
async fn group_dms_run_on_dynamodb() {
    crate::group_dms::group_dms_on(Arc::new(moto_store().await)).await;
}

/// Reactions on DynamoDB from two "instances" at once: their commits race on the summary's
/// version condition (not only on the seq), and every reaction still counts exactly once.
#[tokio::test]
async fn reactions_race_across_instances_on_dynamodb() {
    use shared::domain::Emoji;
    let store = Arc::new(moto_store().await);
    let (events, other_events) = (Arc::new(Recorded::default()), Arc::new(Recorded::default()));
    let chat = Arc::new(Chat::new(store.clone(), Arc::new(SystemClock), events.clone()));
    let other = Arc::new(Chat::new(store.clone(), Arc::new(SystemClock), other_events.clone()));
    let alice = caller("acme", "alice", &[]);
    chat.ensure_profile(&alice).await.unwrap();
    let channel =
        chat.create_channel(&alice, ChannelName::parse("general").unwrap(), Visibility::Public, None).await.unwrap();
    let mut members = Vec::new();
    for i in 0..8 {
        let member = caller("acme", &format!("m{i}"), &[]);
        chat.ensure_profile(&member).await.unwrap();
        chat.invite(&alice, &channel.id, &member.user).await.unwrap();
        members.push(member);
    }
    let message = chat.send(&alice, &channel.id, new_message("r1", "react to me")).await.unwrap().message;
    let before = chat.changes(&alice, &channel.id, 0, Some(500)).await.unwrap().last_seq;
    let (up, party) = (Emoji::parse("👍").unwrap(), Emoji::parse("🎉").unwrap());
    let reactions = members.iter().enumerate().map(|(i, member)| {
        let chat = if i % 2 == 0 { other.clone() } else { chat.clone() };
        let (member, id, emoji) =
            (member.clone(), channel.id.clone(), if i % 3 == 0 { party.clone() } else { up.clone() });
        async move { chat.react(&member, &id, &message.id, &emoji, true).await }
    });
    for result in futures::future::join_all(reactions).await {
        result.expect("react");
    }
    let history = chat.history(&alice, &channel.id, HistoryQuery::default()).await.unwrap();
    let held = &history.items.iter().find(|m| m.id == message.id).unwrap().reactions;
    let counts: Vec<(String, u32)> = held.iter().map(|r| (r.emoji.as_str().to_owned(), r.count)).collect();
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<u32>(), 8, "{counts:?}");
    assert_eq!(counts.iter().find(|(e, _)| e == "🎉").map(|(_, n)| *n), Some(3));
    // Idempotent both ways, on this adapter too.
    let again = chat.react(&members[1], &channel.id, &message.id, &up, true).await.unwrap();
    assert_eq!(&again, held);
    assert_eq!(&other.react(&alice, &channel.id, &message.id, &up, false).await.unwrap(), held);
    other.react(&members[1], &channel.id, &message.id, &up, false).await.unwrap();
    let changes = chat.changes(&alice, &channel.id, before, Some(500)).await.unwrap();
    let kinds: Vec<EventType> = changes.items.iter().map(|e| e.kind()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == EventType::ReactionAdded).count(), 8);
    assert_eq!(kinds.last(), Some(&EventType::ReactionRemoved));
    assert_eq!(changes.last_seq, before + 9, "one seq per change, none for the no-ops");
    let published = events.0.lock().unwrap().len() + other_events.0.lock().unwrap().len();
    assert_eq!(published as u64, changes.last_seq, "one event per committed change");
    // A deleted message takes none; its summary is gone.
    chat.delete(&alice, &channel.id, &message.id).await.unwrap();
    assert!(matches!(
        other.react(&members[0], &channel.id, &message.id, &up, true).await,
        Err(ChatError::Conflict { code: "message_deleted", .. })
    ));
}

/// Renaming, editing the topic and archiving on the AWS protocol: the name claim moves in the
/// change's transaction (a taken name refused, nothing half-moved), archiving refuses writes by
/// the sequence condition, and catch-up replays each change.
#[tokio::test]
async fn channel_management_runs_on_dynamodb() {
    use shared::app::ChannelChange;
    use shared::domain::values::Topic;
    use shared::domain::Change;

    let events = Arc::new(Recorded::default());
    let store = Arc::new(moto_store().await);
    let chat = Chat::new(store, Arc::new(SystemClock), events.clone());
    let alice = caller("acme", "alice", &[]);
    let bob = caller("acme", "bob", &[]);
    for c in [&alice, &bob] {
        chat.ensure_profile(c).await.unwrap();
    }
    let name = |raw: &str| ChannelName::parse(raw).unwrap();
    let general = chat.create_channel(&alice, name("general"), Visibility::Public, None).await.unwrap();
    chat.create_channel(&alice, name("random"), Visibility::Public, None).await.unwrap();
    chat.join(&bob, &general.id).await.unwrap();
    let before = chat.summary(&bob, &general.id).await.unwrap().last_seq;

    let taken = ChannelChange { name: Some(name("random")), ..Default::default() };
    assert!(matches!(
        chat.update_channel(&alice, &general.id, taken).await,
        Err(ChatError::Conflict { code: "name_taken", .. })
    ));
    assert!(matches!(
        chat.update_channel(&bob, &general.id, ChannelChange { archived: Some(true), ..Default::default() }).await,
        Err(ChatError::Forbidden { code: "not_channel_admin", .. })
    ));
    let rename =
        ChannelChange { name: Some(name("town")), topic: Some(Topic::parse("hello").unwrap()), archived: None };
    let renamed = chat.update_channel(&alice, &general.id, rename).await.unwrap();
    assert_eq!((renamed.name.as_str(), renamed.topic.as_deref()), ("town", Some("hello")));
    assert_eq!(
        browsed(&chat, &bob).await,
        [("random".to_owned(), None), ("town".to_owned(), Some("hello".to_owned()))]
    );
    // The freed name can be claimed again.
    chat.create_channel(&bob, name("general"), Visibility::Public, None).await.unwrap();

    chat.update_channel(&alice, &general.id, ChannelChange { archived: Some(true), ..Default::default() })
        .await
        .unwrap();
    assert!(matches!(
        chat.send(&bob, &general.id, new_message("late", "too late")).await,
        Err(ChatError::Conflict { code: "conversation_archived", .. })
    ));
    assert_eq!(browsed(&chat, &bob).await.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["general", "random"]);
    assert!(chat.summary(&bob, &general.id).await.unwrap().archived);
    chat.update_channel(&alice, &general.id, ChannelChange { archived: Some(false), ..Default::default() })
        .await
        .unwrap();
    chat.send(&bob, &general.id, new_message("back", "back again")).await.unwrap();

    let replayed = chat.changes(&bob, &general.id, before, None).await.unwrap();
    let states: Vec<(String, bool)> = replayed
        .items
        .iter()
        .filter_map(|e| match &e.change {
            Change::ConversationUpdated(u) => Some((u.name.clone(), u.archived)),
            _ => None,
        })
        .collect();
    assert_eq!(states, [("town".to_owned(), false), ("town".to_owned(), true), ("town".to_owned(), false)]);
    let published = events.0.lock().unwrap().iter().filter(|e| e.kind() == EventType::ConversationUpdated).count();
    assert_eq!(published, 3);
}

async fn browsed(chat: &Chat, who: &shared::Caller) -> Vec<(String, Option<String>)> {
    let (channels, _) = chat.browse_channels(who, None, None).await.unwrap();
    channels.into_iter().map(|c| (c.name, c.topic)).collect()
}
