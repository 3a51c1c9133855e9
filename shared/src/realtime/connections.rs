//! Live connections: registering, subscribing and forgetting them, and posting to one.

use std::collections::HashSet;

use serde_json::{json, Value};

use super::{
    Connection, Realtime, SubscribedConversation, CONNECTION_TTL_SECS, MAX_CONNECTIONS_PER_USER, MAX_SUBSCRIPTIONS,
};
use crate::domain::error::{ChatError, ChatResult};
use crate::domain::ids::{ConnectionId, ConversationId, TenantId, UserId};
use crate::domain::{format_time, ConversationMeta, Membership};
use crate::persistence::codec::{from_attrs, to_attrs};
use crate::persistence::keys;
use crate::ports::push::PushError;
use crate::ports::store::{Cond, Item, Key, Query, Update, WriteOp, TTL_ATTR};
use crate::Caller;

impl Realtime {
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
        crate::persistence::counters::check_rate(
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
                    return Err(crate::domain::error::InvalidInput::new(
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

    pub(super) async fn user_connections(&self, t: &TenantId, u: &UserId) -> ChatResult<Vec<ConnectionId>> {
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
}
