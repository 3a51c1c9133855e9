//! Live connections: registering, subscribing and forgetting them, and posting to one.

use serde_json::Value;

use super::{
    Connection, Realtime, SubscribedConversation, CONNECTION_TTL_SECS, MAX_CONNECTIONS_PER_USER, MAX_SUBSCRIPTIONS,
};
use crate::domain::error::{ChatError, ChatResult, InvalidInput};
use crate::domain::format_time;
use crate::domain::ids::{ConnectionId, ConversationId, TenantId, UserId};
use crate::persistence::connections as stored;
use crate::persistence::counters::check_rate;
use crate::persistence::transaction::{OpRole, Transaction};
use crate::ports::push::PushError;
use crate::Caller;

impl Realtime {
    /// The connection's items expire with API Gateway's limit or the token, whichever is first.
    pub(super) fn expiry(&self, token_expires_at: Option<i64>) -> i64 {
        let ttl = self.clock.now_ms() / 1000 + CONNECTION_TTL_SECS;
        token_expires_at.map_or(ttl, |exp| exp.min(ttl))
    }

    /// Registers an authenticated connection (`$connect`) until `token_expires_at` (epoch s).
    pub async fn connect(&self, caller: &Caller, id: &ConnectionId, token_expires_at: Option<i64>) -> ChatResult<()> {
        let existing = self.tables.user_connections(&caller.tenant, &caller.user, MAX_CONNECTIONS_PER_USER).await?;
        if existing.full {
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
            watching: Vec::new(),
            token_expires_at,
        };
        let registration = stored::register(&connection, self.expiry(token_expires_at))?;
        self.tables.commit(Transaction::default().with(OpRole::Record, registration)).await?;
        self.metrics.incr("connects", 1);
        tracing::debug!(connection = %id, tenant = %caller.tenant, "connected");
        // A first tab makes the user online; a second one changes nothing and sends nothing.
        if let Err(e) = self.settle_presence(&caller.tenant, &caller.user).await {
            tracing::warn!(connection = %id, error = %e, "presence not settled on connect");
        }
        Ok(())
    }

    pub async fn connection(&self, id: &ConnectionId) -> ChatResult<Option<Connection>> {
        self.tables.connection(id).await
    }

    /// Forgets a connection and its subscriptions (`$disconnect`, or a 410 from a push).
    pub async fn disconnect(&self, id: &ConnectionId) -> ChatResult<()> {
        let Some(connection) = self.connection(id).await? else { return Ok(()) };
        self.tables.write_all(stored::forget(&connection)).await?;
        self.metrics.incr("disconnects", 1);
        tracing::debug!(connection = %id, tenant = %connection.tenant_id, "disconnected");
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
        let (t, u) = (&connection.tenant_id, &connection.user_id);
        let (store, clock) = (self.tables.store().as_ref(), self.clock.as_ref());
        check_rate(store, clock, t, u, "subscribe", id.as_str(), self.subscribe_rate).await?;
        let wanted = self.readable(t, u, requested).await?;
        let mut ops = stored::subscribe(t, u, id, &wanted, self.expiry(connection.token_expires_at))?;
        let all = followed(&connection.subscriptions, &wanted);
        ops.push(stored::set_subscriptions(id, &all, &format_time(self.clock.now_ms()))?);
        self.tables.write_all(ops).await?;
        let metas = self.tables.latest_metas(t, &wanted).await?;
        let mut out: Vec<SubscribedConversation> = metas
            .into_iter()
            .map(|meta| SubscribedConversation { conversation_id: meta.id, last_seq: meta.last_seq })
            .collect();
        out.sort_by(|a, b| a.conversation_id.cmp(&b.conversation_id));
        tracing::debug!(connection = %id, conversations = out.len(), "subscribed");
        Ok(out)
    }

    /// The conversations a subscribe frame asks for, if the user may read every one of them;
    /// all of theirs (up to `MAX_SUBSCRIPTIONS`) when it names none.
    async fn readable(
        &self,
        t: &TenantId,
        u: &UserId,
        requested: Option<Vec<ConversationId>>,
    ) -> ChatResult<Vec<ConversationId>> {
        let Some(ids) = requested else { return self.tables.first_memberships(t, u, MAX_SUBSCRIPTIONS).await };
        if ids.len() > MAX_SUBSCRIPTIONS {
            let error = InvalidInput::new("conversationIds", format!("at most {MAX_SUBSCRIPTIONS}"));
            return Err(error.into());
        }
        let joined = self.tables.joined(t, u, &ids, true).await?;
        // One the user is not in does not exist for them.
        if ids.iter().any(|c| !joined.contains(c)) {
            return Err(ChatError::NotFound("conversation"));
        }
        Ok(ids)
    }

    /// Records activity on a connection (a frame arrived); a connection already gone is no error.
    pub async fn touch(&self, id: &ConnectionId) -> ChatResult<()> {
        self.tables.touch_connection(id, &format_time(self.clock.now_ms())).await.map(|_| ())
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
        Ok(self.tables.user_connections(t, u, MAX_CONNECTIONS_PER_USER).await?.ids)
    }
}

/// What a connection follows after subscribing to `wanted`: what it followed, then the new ones
/// in the order asked, at most `MAX_SUBSCRIPTIONS`.
fn followed(current: &[ConversationId], wanted: &[ConversationId]) -> Vec<ConversationId> {
    let mut all = current.to_vec();
    for c in wanted {
        if !all.contains(c) {
            all.push(c.clone());
        }
    }
    all.truncate(MAX_SUBSCRIPTIONS);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<ConversationId> {
        (0..n).map(|_| ConversationId::new_channel()).collect()
    }

    #[test]
    fn subscribing_adds_the_new_conversations_after_the_followed_ones_once() {
        let (a, b, c) = (ConversationId::new_channel(), ConversationId::new_channel(), ConversationId::new_channel());
        let all = followed(&[a.clone(), b.clone()], &[c.clone(), b.clone(), c.clone()]);
        assert_eq!(all, vec![a, b, c]);
    }

    #[test]
    fn a_connection_follows_at_most_the_limit_keeping_the_oldest() {
        let current = ids(MAX_SUBSCRIPTIONS - 1);
        let all = followed(&current, &ids(3));
        assert_eq!(all.len(), MAX_SUBSCRIPTIONS);
        assert_eq!(all[..MAX_SUBSCRIPTIONS - 1], current[..]);
    }
}
