//! Big audiences through the fan-out queue's twin (issue 24): with a threshold of one subscribed
//! connection and slices of one connection, a message to a channel is queued, the twin's worker
//! reads the audience, posts the first slice and queues the others to the slice lanes, and every
//! subscriber receives every message in seq order; a connection that is gone is forgotten, as
//! the fan-out function does.

use crate::common;

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use local::{Stack, StackOptions};
use serde_json::{json, Value};
use shared::domain::ids::{ConnectionId, ConversationId, TenantId, UserId};
use shared::domain::limits::FanoutSettings;
use shared::domain::values::{DisplayName, Handle};
use shared::ports::clock::Clock;
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const MESSAGES: usize = 5;
/// How long a frame may take before the test gives up waiting (a bound, not an assertion).
const PATIENCE: Duration = Duration::from_secs(10);

async fn next_json(socket: &mut Socket) -> Option<Value> {
    loop {
        match tokio::time::timeout(PATIENCE, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return Some(serde_json::from_str(&text).expect("frame is JSON")),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            _ => return None,
        }
    }
}

async fn subscribed(stack: &Stack, user: &str) -> Socket {
    let token = stack.token("acme", user, user, &[]).expect("token");
    let (mut socket, _) =
        tokio_tungstenite::connect_async(format!("{}?token={token}", stack.ws_url())).await.expect("connects");
    socket.send(Message::Text(json!({ "action": "subscribe" }).to_string().into())).await.expect("sent");
    let ack = next_json(&mut socket).await.expect("subscribe answered");
    assert!(ack.to_string().contains("subscribed"), "{ack}");
    socket
}

/// The bodies of the first `n` new-message events of `conversation`, with their seqs.
async fn new_messages(socket: &mut Socket, conversation: &str, n: usize) -> Vec<(u64, String)> {
    let mut seen = Vec::new();
    while seen.len() < n {
        let frame = next_json(socket).await.unwrap_or_else(|| panic!("only {seen:?} arrived"));
        if frame["type"] == "chat:newMessage" && frame["conversationId"] == conversation {
            let body = frame["data"]["body"].as_str().expect("body").to_owned();
            seen.push((frame["seq"].as_u64().expect("seq"), body));
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_threshold_a_channel_message_reaches_every_subscriber_through_the_queue_in_order() {
    let stack = Stack::start(StackOptions {
        seed: true,
        fanout: FanoutSettings { inline_max: 1, consumer_concurrency: 2, slice_size: 1 },
        ..StackOptions::ephemeral()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let base = stack.http_url();
    let alice = stack.token("acme", "alice", "alice", &[]).unwrap();
    let general = common::conversation_named(&http, &base, &alice, "general").await;
    let mut sockets = Vec::new();
    for user in ["alice", "bob", "carol"] {
        sockets.push(subscribed(&stack, user).await);
    }
    // A connection the store still lists but nobody holds any more (its $disconnect was lost).
    let carol = shared::Caller {
        tenant: TenantId::parse("acme").unwrap(),
        user: UserId::parse("carol").unwrap(),
        roles: Default::default(),
        display_name: DisplayName::parse("carol").unwrap(),
        suggested_handle: Handle::parse("carol").unwrap(),
    };
    let ghost = ConnectionId::parse("ghost-connection").unwrap();
    stack.realtime.connect(&carol, &ghost, None).await.unwrap();
    let general_id: ConversationId = serde_json::from_value(json!(general)).unwrap();
    stack.realtime.subscribe(&ghost, Some(vec![general_id])).await.unwrap();

    let bodies: Vec<String> = (0..MESSAGES).map(|i| format!("queued message {i}")).collect();
    for (i, body) in bodies.iter().enumerate() {
        let sent = http
            .post(format!("{base}/api/v1/chat/conversations/{general}/messages"))
            .bearer_auth(&alice)
            .json(&json!({ "clientMessageId": format!("fanout-{i}"), "body": body }))
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), reqwest::StatusCode::CREATED);
    }

    for socket in &mut sockets {
        let seen = new_messages(socket, &general, MESSAGES).await;
        let received: Vec<&String> = seen.iter().map(|(_, body)| body).collect();
        assert_eq!(received, bodies.iter().collect::<Vec<_>>(), "every message, in the order sent");
        assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "seqs ascend: {seen:?}");
    }
    // The first job forgot the ghost before the lane took the next one.
    assert_eq!(stack.realtime.connection(&ghost).await.unwrap(), None);

    let realtime = &stack.realtime;
    realtime.metrics().flush(realtime.tables()).await.unwrap();
    let now = shared::ports::clock::SystemClock.now_ms();
    let report = shared::ops::metrics_report(realtime.tables(), now, 5).await.unwrap();
    assert_eq!(report.fanouts_queued, MESSAGES as i64, "each went through the queue");
    assert_eq!(report.fanout_queue_failures, 0);
    assert_eq!(report.gone_cleanups, 1);
    stack.stop().await;
}
