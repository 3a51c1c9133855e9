//! Presence: transitions decided on the store (so every instance agrees) and published only when
//! the status really changes, to the connections that asked for that user's presence
//! (`presenceSubscribe`) and to the user's own tabs.
//!
//! A second tab, a tab going idle while another is active, a duplicate frame: the status stays,
//! nothing is sent. `$disconnect` waits a grace period before settling, so a quick reconnect
//! changes nothing either.

use std::collections::HashSet;

use super::Connection;
use super::{Realtime, MAX_CONNECTIONS_PER_USER, MAX_SUBSCRIPTIONS};
use crate::domain::error::{ChatError, ChatResult, InvalidInput};
use crate::domain::ids::{ConnectionId, TenantId, UserId};
use crate::domain::presence::{status_of, PresenceFrame, PresenceStatus, UserPresence, MAX_PRESENCE_IDS};
use crate::persistence::counters::check_rate;
use crate::persistence::presence::{self as stored, PresenceRecord};

/// Reads and conditional writes one settle may take before giving up to the next event.
const SETTLE_ROUNDS: usize = 4;

/// What a connection learns about presence: the users it asked for (those it may see), and its
/// own user's status and away choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceView {
    pub users: Vec<UserPresence>,
    pub status: PresenceStatus,
    pub away: bool,
}

impl PresenceView {
    /// The `presence` answer frame.
    pub fn frame(self) -> PresenceFrame {
        PresenceFrame { kind: "presence", users: self.users, status: Some(self.status), away: Some(self.away) }
    }
}

impl Realtime {
    async fn live(&self, id: &ConnectionId) -> ChatResult<Connection> {
        self.connection(id).await?.ok_or(ChatError::Unauthenticated("token_expired".into()))
    }

    async fn spend_presence(&self, c: &Connection) -> ChatResult<()> {
        let (store, clock) = (self.tables.store().as_ref(), self.clock.as_ref());
        check_rate(store, clock, &c.tenant_id, &c.user_id, "presence", c.connection_id.as_str(), self.presence_rate)
            .await
    }

    /// Decides the user's status from the store and publishes it if it changed. Re-reads after
    /// its own write, so a connect and a disconnect settling at once on two instances end on
    /// what is true, not on whichever read first.
    pub async fn settle_presence(&self, t: &TenantId, u: &UserId) -> ChatResult<Option<PresenceStatus>> {
        let mut published = None;
        for _ in 0..SETTLE_ROUNDS {
            let (connections, record) = futures::try_join!(
                self.tables.live_connections_of(t, u, MAX_CONNECTIONS_PER_USER),
                self.tables.presence(t, u)
            )?;
            let away = record.as_ref().is_some_and(|r| r.away_by_choice);
            let status = status_of(connections.iter().map(|c| c.idle), away);
            let current = record.as_ref().and_then(|r| r.status).unwrap_or(PresenceStatus::Offline);
            if record.as_ref().and_then(|r| r.status).is_some() && current == status {
                return Ok(published);
            }
            if record.is_none() && status == PresenceStatus::Offline {
                return Ok(published);
            }
            // A lost race is settled by the next round, on what the winner wrote.
            if self.tables.save_presence_status(t, u, record.as_ref(), status).await? && current != status {
                self.publish_presence(t, u, status, away).await?;
                published = Some(status);
            }
        }
        Ok(published)
    }

    async fn publish_presence(&self, t: &TenantId, u: &UserId, status: PresenceStatus, away: bool) -> ChatResult<()> {
        let user = UserPresence { user_id: u.clone(), status };
        let (watchers, own) = futures::try_join!(self.tables.presence_watchers(t, u), self.user_connections(t, u))?;
        let watchers: Vec<ConnectionId> = watchers.into_iter().filter(|w| !own.contains(w)).collect();
        let to_watchers = serde_json::to_vec(&PresenceFrame::pushed(vec![user.clone()]));
        let to_own = serde_json::to_vec(&PresenceFrame::pushed_to_self(user, away));
        let (to_watchers, to_own) = match (to_watchers, to_own) {
            (Ok(a), Ok(b)) => (a, b),
            _ => return Err(ChatError::Internal("presence frame".into())),
        };
        let (a, b) = futures::join!(self.push.post_many(&watchers, &to_watchers), self.push.post_many(&own, &to_own));
        let delivered = a.iter().chain(b.iter()).filter(|r| r.is_ok()).count();
        self.metrics.incr("events.chat:presence", delivered as i64);
        tracing::debug!(tenant = %t, user = %u, status = status.as_str(), watchers = watchers.len(), delivered, "presence");
        Ok(())
    }

    /// `$disconnect`: forgets the connection, then after `grace` settles its user's presence (a
    /// tab that reconnected meanwhile keeps them online and nothing is published).
    pub async fn disconnect_settling(&self, id: &ConnectionId, grace: std::time::Duration) -> ChatResult<()> {
        let Some(c) = self.connection(id).await? else { return Ok(()) };
        self.disconnect(id).await?;
        if !grace.is_zero() {
            tokio::time::sleep(grace).await;
        }
        self.settle_presence(&c.tenant_id, &c.user_id).await.map(|_| ())
    }

    /// A tab reports itself idle (10 minutes without activity) or active again.
    pub async fn set_idle(&self, id: &ConnectionId, idle: bool) -> ChatResult<PresenceView> {
        let c = self.live(id).await?;
        self.spend_presence(&c).await?;
        let (t, u) = (&c.tenant_id, &c.user_id);
        self.tables.set_connection_idle(t, u, id, idle).await?;
        self.settle_presence(t, u).await?;
        self.own_view(t, u).await
    }

    /// The user chooses away (or back); every tab of theirs hears it.
    pub async fn set_away(&self, id: &ConnectionId, away: bool) -> ChatResult<PresenceView> {
        let c = self.live(id).await?;
        self.spend_presence(&c).await?;
        let (t, u) = (&c.tenant_id, &c.user_id);
        let before = self.tables.presence(t, u).await?.is_some_and(|r| r.away_by_choice);
        self.tables.set_away_by_choice(t, u, away).await?;
        if self.settle_presence(t, u).await?.is_none() && before != away {
            // The status stayed (e.g. already idle-away) but the choice changed: tell the tabs.
            let status = self.own_view(t, u).await?.status;
            let own = self.user_connections(t, u).await?;
            let user = UserPresence { user_id: u.clone(), status };
            let frame = serde_json::to_vec(&PresenceFrame::pushed_to_self(user, away))
                .map_err(|e| ChatError::Internal(e.to_string()))?;
            self.push.post_many(&own, &frame).await;
        }
        self.own_view(t, u).await
    }

    async fn own_view(&self, t: &TenantId, u: &UserId) -> ChatResult<PresenceView> {
        let record = self.tables.presence(t, u).await?.unwrap_or_default();
        let status = record.status.unwrap_or(PresenceStatus::Offline);
        Ok(PresenceView { users: Vec::new(), status, away: record.away_by_choice })
    }

    /// Replaces the users whose presence this connection shows and answers with their current
    /// status. Only users who share a conversation with the caller are watched and answered;
    /// the others (another tenant's ids name nobody here) are left out, as if unknown.
    pub async fn watch_presence(&self, id: &ConnectionId, requested: Vec<UserId>) -> ChatResult<PresenceView> {
        if requested.len() > MAX_PRESENCE_IDS {
            return Err(InvalidInput::new("userIds", format!("at most {MAX_PRESENCE_IDS}")).into());
        }
        let c = self.live(id).await?;
        self.spend_presence(&c).await?;
        let (t, u) = (&c.tenant_id, &c.user_id);
        let mut wanted: Vec<UserId> = Vec::new();
        for other in requested {
            if &other != u && !wanted.contains(&other) {
                wanted.push(other);
            }
        }
        let visible = self.sharing_a_conversation(t, u, &wanted).await?;
        let expires = self.expiry(c.token_expires_at);
        self.tables.write_all(stored::watch(t, id, &c.watching, &visible, expires)?).await?;
        let records = self.tables.presences(t, &visible).await?;
        let users = visible
            .iter()
            .map(|user| {
                let status = records
                    .iter()
                    .find(|(r, _)| r == user)
                    .and_then(|(_, rec): &(UserId, PresenceRecord)| rec.status)
                    .unwrap_or(PresenceStatus::Offline);
                UserPresence { user_id: user.clone(), status }
            })
            .collect();
        let own = self.own_view(t, u).await?;
        Ok(PresenceView { users, ..own })
    }

    /// Those of `others` who are in at least one conversation with `u`: one query for `u`'s
    /// memberships and one per other user (at most `MAX_PRESENCE_IDS`, concurrently).
    async fn sharing_a_conversation(&self, t: &TenantId, u: &UserId, others: &[UserId]) -> ChatResult<Vec<UserId>> {
        if others.is_empty() {
            return Ok(Vec::new());
        }
        let mine: HashSet<_> = self.tables.first_memberships(t, u, MAX_SUBSCRIPTIONS).await?.into_iter().collect();
        let theirs = futures::future::try_join_all(
            others.iter().map(|other| self.tables.first_memberships(t, other, MAX_SUBSCRIPTIONS)),
        )
        .await?;
        Ok(others
            .iter()
            .zip(theirs)
            .filter(|(_, conversations)| conversations.iter().any(|c| mine.contains(c)))
            .map(|(other, _)| other.clone())
            .collect())
    }
}
