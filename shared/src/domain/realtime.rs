//! Live connections, subscriptions and fan-out. Fan-out runs in the request path (after the
//! commit): the table's stream already has its two consumers (indexer, archiver), and a client
//! that misses a frame recovers it by seq through catch-up.
//!
//! Finding recipients costs two queries per event whatever the channel size: the
//! conversation's subscriptions and its members (a subscription outlives nothing: only
//! connections of current members receive).

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::chat::{from_attrs, to_attrs};
use super::error::{ChatError, ChatResult};
use super::ids::{ConnectionId, ConversationId, TenantId, UserId};
use super::model::{format_time, ConversationMeta, Event, EventType, Membership};
use crate::keys;
use crate::ops::Metrics;
use crate::ports::clock::Clock;
use crate::ports::events::EventSink;
use crate::ports::push::{Push, PushError};
use crate::ports::store::{Cond, Item, Key, Query, Store, Update, WriteOp, TTL_ATTR};
use crate::Caller;

/// API Gateway closes connections after 2 hours; items live a little longer, then TTL sweeps
/// whatever `$disconnect` missed.
pub const CONNECTION_TTL_SECS: i64 = 2 * 3600 + 10 * 60;
pub const MAX_CONNECTIONS_PER_USER: usize = 20;
/// Conversations one connection may follow (subscribe with none named takes all, up to this).
pub const MAX_SUBSCRIPTIONS: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    pub connection_id: ConnectionId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub connected_at: String,
    pub last_seen_at: String,
    #[serde(default)]
    pub subscriptions: Vec<ConversationId>,
    /// When the token that opened the connection expires (epoch seconds): the connection, its
    /// index item and its subscriptions expire then too, so fan-out stops reaching it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expires_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribedConversation {
    pub conversation_id: ConversationId,
    pub last_seq: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FanoutReport {
    pub recipients: usize,
    pub delivered: usize,
    pub gone: usize,
    pub failed: usize,
}

pub struct Realtime {
    store: Arc<dyn Store>,
    push: Arc<dyn Push>,
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
    subscribe_rate: Option<crate::domain::limits::Rate>,
}

impl Realtime {
    pub fn new(store: Arc<dyn Store>, push: Arc<dyn Push>, clock: Arc<dyn Clock>, metrics: Arc<Metrics>) -> Self {
        Self { store, push, clock, metrics, subscribe_rate: None }
    }

    /// Subscribe frames per connection (a subscribe storm costs a write per conversation).
    pub fn with_subscribe_rate(mut self, rate: Option<crate::domain::limits::Rate>) -> Self {
        self.subscribe_rate = rate;
        self
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The connection's items expire with API Gateway's limit or the token, whichever is first.
    fn expiry(&self, token_expires_at: Option<i64>) -> i64 {
        let ttl = self.clock.now_ms() / 1000 + CONNECTION_TTL_SECS;
        token_expires_at.map_or(ttl, |exp| exp.min(ttl))
    }

    /// Registers an authenticated connection (`$connect`) until `token_expires_at` (epoch s).
    pub async fn connect(&self, caller: &Caller, id: &ConnectionId, token_expires_at: Option<i64>) -> ChatResult<()> {
        let existing = self
            .store
            .query(
                &Query::prefix(keys::user_pk(&caller.tenant, &caller.user), keys::CONNECTION_PREFIX)
                    .limit(MAX_CONNECTIONS_PER_USER),
            )
            .await?;
        if existing.more || existing.items.len() >= MAX_CONNECTIONS_PER_USER {
            return Err(ChatError::forbidden(
                "too_many_connections",
                format!("at most {MAX_CONNECTIONS_PER_USER} connections per user"),
            ));
        }
        let now = format_time(self.clock.now_ms());
        let connection = Connection {
            connection_id: id.clone(),
            tenant_id: caller.tenant.clone(),
            user_id: caller.user.clone(),
            connected_at: now.clone(),
            last_seen_at: now,
            subscriptions: Vec::new(),
            token_expires_at,
        };
        let expires = self.expiry(token_expires_at);
        let mut attrs = to_attrs(&connection)?;
        attrs.insert(TTL_ATTR.into(), expires.into());
        let index = to_attrs(&json!({ "connectionId": id, "expiresAt": expires }))?;
        self.store
            .transact(vec![
                WriteOp::Put { item: Item::new(keys::connection(id), attrs), cond: Cond::Always },
                WriteOp::Put {
                    item: Item::new(keys::user_connection(&caller.tenant, &caller.user, id), index),
                    cond: Cond::Always,
                },
            ])
            .await?;
        self.metrics.incr("connects", 1);
        tracing::debug!(connection = %id, tenant = %caller.tenant, "connected");
        Ok(())
    }

    pub async fn connection(&self, id: &ConnectionId) -> ChatResult<Option<Connection>> {
        match self.store.get(&keys::connection(id), true).await? {
            Some(item) => Ok(Some(from_attrs(&item.attrs)?)),
            None => Ok(None),
        }
    }

    /// Forgets a connection and its subscriptions (`$disconnect`, or a 410 from a push).
    pub async fn disconnect(&self, id: &ConnectionId) -> ChatResult<()> {
        let Some(connection) = self.connection(id).await? else { return Ok(()) };
        let t = &connection.tenant_id;
        let mut ops = vec![
            WriteOp::Delete { key: keys::connection(id), cond: Cond::Always },
            WriteOp::Delete { key: keys::user_connection(t, &connection.user_id, id), cond: Cond::Always },
        ];
        ops.extend(
            connection
                .subscriptions
                .iter()
                .map(|c| WriteOp::Delete { key: keys::subscription(t, c, id), cond: Cond::Always }),
        );
        self.store.batch_write(ops).await?;
        self.metrics.incr("disconnects", 1);
        tracing::debug!(connection = %id, tenant = %t, "disconnected");
        Ok(())
    }

    /// Subscribes a connection to conversations its user may read (all of them when none are
    /// named) and answers with each one's current `lastSeq`, from which the client catches up.
    pub async fn subscribe(
        &self,
        id: &ConnectionId,
        requested: Option<Vec<ConversationId>>,
    ) -> ChatResult<Vec<SubscribedConversation>> {
        // Unknown or past its token's expiry (reads hide expired items): the client must reconnect.
        let connection = self.connection(id).await?.ok_or(ChatError::Unauthenticated("token_expired".into()))?;
        let t = &connection.tenant_id;
        let u = &connection.user_id;
        crate::domain::limits::check_rate(
            self.store.as_ref(),
            self.clock.as_ref(),
            t,
            u,
            "subscribe",
            id.as_str(),
            self.subscribe_rate,
        )
        .await?;
        let wanted: Vec<ConversationId> = match requested {
            Some(ids) => {
                if ids.len() > MAX_SUBSCRIPTIONS {
                    return Err(super::error::InvalidInput::new(
                        "conversationIds",
                        format!("at most {MAX_SUBSCRIPTIONS}"),
                    )
                    .into());
                }
                let keys: Vec<Key> = ids.iter().map(|c| keys::membership(t, u, c)).collect();
                let found: HashSet<String> =
                    self.store.batch_get(&keys, true).await?.into_iter().map(|i| i.key.sk).collect();
                if let Some(denied) = ids.iter().find(|c| !found.contains(&keys::membership(t, u, c).sk)) {
                    let _ = denied;
                    return Err(ChatError::NotFound("conversation"));
                }
                ids
            }
            None => {
                let page = self
                    .store
                    .query(&Query::prefix(keys::user_pk(t, u), keys::MEMBERSHIP_PREFIX).limit(MAX_SUBSCRIPTIONS))
                    .await?;
                page.items
                    .iter()
                    .map(|i| from_attrs::<Membership>(&i.attrs).map(|m| m.conversation_id))
                    .collect::<ChatResult<_>>()?
            }
        };
        let expires = self.expiry(connection.token_expires_at);
        let mut ops: Vec<WriteOp> = wanted
            .iter()
            .map(|c| {
                let attrs = to_attrs(&json!({ "connectionId": id, "userId": u, "expiresAt": expires }))?;
                Ok(WriteOp::Put { item: Item::new(keys::subscription(t, c, id), attrs), cond: Cond::Always })
            })
            .collect::<ChatResult<_>>()?;
        let mut all: Vec<ConversationId> = connection.subscriptions.clone();
        for c in &wanted {
            if !all.contains(c) {
                all.push(c.clone());
            }
        }
        all.truncate(MAX_SUBSCRIPTIONS);
        ops.push(WriteOp::Update {
            key: keys::connection(id),
            update: Update::default()
                .set("subscriptions", serde_json::to_value(&all).unwrap_or(Value::Null))
                .set("lastSeenAt", format_time(self.clock.now_ms())),
            cond: Cond::Exists,
        });
        self.store.batch_write(ops).await?;
        let meta_keys: Vec<Key> = wanted.iter().map(|c| keys::conversation_meta(t, c)).collect();
        let mut out = Vec::with_capacity(wanted.len());
        for item in self.store.batch_get(&meta_keys, true).await? {
            let meta: ConversationMeta = from_attrs(&item.attrs)?;
            out.push(SubscribedConversation { conversation_id: meta.id, last_seq: meta.last_seq });
        }
        out.sort_by(|a, b| a.conversation_id.cmp(&b.conversation_id));
        tracing::debug!(connection = %id, conversations = out.len(), "subscribed");
        Ok(out)
    }

    /// Records activity on a connection (a frame arrived).
    pub async fn touch(&self, id: &ConnectionId) -> ChatResult<()> {
        let update = Update::default().set("lastSeenAt", format_time(self.clock.now_ms()));
        match self.store.update(&keys::connection(id), update, Cond::Exists).await {
            Ok(_) | Err(crate::ports::store::StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Posts a frame to one connection; a 410 forgets it.
    pub async fn send_to(&self, id: &ConnectionId, frame: &Value) -> Result<(), PushError> {
        let payload = serde_json::to_vec(frame).map_err(|e| PushError::Failed(e.to_string()))?;
        let result = self.push.post(id, &payload).await;
        if result == Err(PushError::Gone) {
            self.metrics.incr("push.gone", 1);
            if let Err(e) = self.disconnect(id).await {
                tracing::warn!(connection = %id, error = %e, "gone clean-up failed");
            }
        }
        result
    }

    async fn user_connections(&self, t: &TenantId, u: &UserId) -> ChatResult<Vec<ConnectionId>> {
        let page = self
            .store
            .query(&Query::prefix(keys::user_pk(t, u), keys::CONNECTION_PREFIX).limit(MAX_CONNECTIONS_PER_USER))
            .await?;
        Ok(page
            .items
            .iter()
            .filter_map(|i| i.attrs.get("connectionId").and_then(Value::as_str))
            .filter_map(|s| ConnectionId::parse(s).ok())
            .collect())
    }

    /// The user ids of a conversation's current members.
    async fn member_ids(&self, t: &TenantId, c: &ConversationId) -> ChatResult<HashSet<String>> {
        let mut members = HashSet::new();
        let mut query = Query::prefix(keys::conversation_pk(t, c), keys::MEMBER_PREFIX).limit(1000).consistent();
        loop {
            let page = self.store.query(&query).await?;
            for item in &page.items {
                if let Some(u) = item.attrs.get("userId").and_then(Value::as_str) {
                    members.insert(u.to_owned());
                }
            }
            match page.items.last() {
                Some(last) if page.more => query = query.after(last.key.sk.clone()),
                _ => return Ok(members),
            }
        }
    }

    /// Every connection subscribed to a conversation, with its user's id.
    async fn subscribers(&self, t: &TenantId, c: &ConversationId) -> ChatResult<Vec<(String, ConnectionId)>> {
        let mut subscribers = Vec::new();
        let mut query = Query::prefix(keys::subscriptions_pk(t, c), keys::CONNECTION_PREFIX).limit(1000);
        loop {
            let page = self.store.query(&query).await?;
            for item in &page.items {
                let user = item.attrs.get("userId").and_then(Value::as_str).unwrap_or_default();
                if let Some(id) =
                    item.attrs.get("connectionId").and_then(Value::as_str).and_then(|s| ConnectionId::parse(s).ok())
                {
                    subscribers.push((user.to_owned(), id));
                }
            }
            match page.items.last() {
                Some(last) if page.more => query = query.after(last.key.sk.clone()),
                _ => return Ok(subscribers),
            }
        }
    }

    /// The connections that must receive `event`, and nobody else's.
    async fn audience(&self, t: &TenantId, event: &Event) -> ChatResult<Vec<ConnectionId>> {
        let c = &event.conversation_id;
        let subject = event.data.get("userId").and_then(Value::as_str).and_then(|s| UserId::parse(s).ok());
        if event.kind == EventType::ConversationRead {
            // Only the reader's own tabs and devices.
            return match subject {
                Some(u) => self.user_connections(t, &u).await,
                None => Ok(Vec::new()),
            };
        }
        // Independent reads: on DynamoDB they overlap instead of queueing.
        let (members, subscribers) = futures::try_join!(self.member_ids(t, c), self.subscribers(t, c))?;
        // The removed member is told once, then nothing more from here.
        let removed = if event.kind == EventType::MemberRemoved { subject.clone() } else { None };
        let mut recipients: Vec<ConnectionId> = Vec::new();
        let mut removed_subscriptions: Vec<ConnectionId> = Vec::new();
        for (user, id) in subscribers {
            if members.contains(&user) {
                recipients.push(id);
            } else if removed.as_ref().is_some_and(|r| r.as_str() == user) {
                removed_subscriptions.push(id.clone());
                recipients.push(id);
            }
        }
        if !removed_subscriptions.is_empty() {
            let ops = removed_subscriptions
                .iter()
                .map(|id| WriteOp::Delete { key: keys::subscription(t, c, id), cond: Cond::Always })
                .collect();
            self.store.batch_write(ops).await?;
        }
        // Someone just added is not subscribed yet: reach all their connections so their client
        // learns of the conversation and subscribes.
        if event.kind == EventType::MemberAdded {
            if let Some(u) = &subject {
                for id in self.user_connections(t, u).await? {
                    if !recipients.contains(&id) {
                        recipients.push(id);
                    }
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
        self.metrics.incr(&format!("events.{}", event.kind.as_str()), report.delivered as i64);
        self.metrics.incr("push.failures", report.failed as i64);
        self.metrics.incr("push.gone", report.gone as i64);
        self.metrics.observe_fanout_ms(elapsed_ms);
        tracing::debug!(tenant = %t, conversation = %event.conversation_id, event = event.kind.as_str(), seq = event.seq,
            recipients = report.recipients, delivered = report.delivered, gone = report.gone, failed = report.failed,
            elapsed_ms, "fan-out");
        Ok(report)
    }

    pub fn push(&self) -> &Arc<dyn Push> {
        &self.push
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
