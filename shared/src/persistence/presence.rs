//! Presence in the table: the user's presence item (the status last published, the away
//! choice), the idle flag on each entry of the user's connection index, and the watcher items
//! (`T#{t}#PW#{u}`) of the connections showing a user's presence. Watchers expire with their
//! connection, like subscriptions.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::attrs;
use super::codec::{from_attrs, to_expiring_attrs};
use super::connections::ConnectionRef;
use super::keys;
use super::paging::continuation;
use super::tables::{put, Tables};
use crate::domain::error::{ChatError, ChatResult};
use crate::domain::ids::{ConnectionId, TenantId, UserId};
use crate::domain::presence::PresenceStatus;
use crate::ports::store::{Cond, Query, StoreError, Update, WriteOp};

/// The presence item. `status` is absent until the first transition is published.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PresenceRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PresenceStatus>,
    #[serde(default)]
    pub away_by_choice: bool,
}

/// One live connection of a user, as presence sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveConnection {
    pub id: ConnectionId,
    pub idle: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Watcher {
    connection_id: ConnectionId,
}

fn status_value(status: PresenceStatus) -> Value {
    Value::String(status.as_str().to_owned())
}

impl Tables {
    /// The user's presence item (strongly consistent: transitions are decided on it), if any.
    pub async fn presence(&self, t: &TenantId, u: &UserId) -> ChatResult<Option<PresenceRecord>> {
        let item = self.db().get(&keys::presence(t, u), true).await?;
        item.map(|i| from_attrs(&i.attrs)).transpose()
    }

    /// Presence items of many users (one batch read per 100), missing ones left out.
    pub async fn presences(&self, t: &TenantId, users: &[UserId]) -> ChatResult<Vec<(UserId, PresenceRecord)>> {
        let keys: Vec<_> = users.iter().map(|u| keys::presence(t, u)).collect();
        let items = self.db().batch_get(&keys, false).await?;
        let mut out = Vec::new();
        for item in items {
            let Some(user) = users.iter().find(|u| keys::presence(t, u).pk == item.key.pk) else { continue };
            out.push((user.clone(), from_attrs(&item.attrs)?));
        }
        Ok(out)
    }

    /// Records `to` as the user's published status if it still is `from` (what the caller read):
    /// false when another instance decided first, so exactly one of them publishes.
    pub async fn save_presence_status(
        &self,
        t: &TenantId,
        u: &UserId,
        from: Option<&PresenceRecord>,
        to: PresenceStatus,
    ) -> ChatResult<bool> {
        let cond = match from {
            None => Cond::NotExists,
            Some(PresenceRecord { status: None, .. }) => Cond::ExistsWithout(attrs::STATUS.to_owned()),
            Some(PresenceRecord { status: Some(s), .. }) => Cond::Equals(attrs::STATUS.to_owned(), status_value(*s)),
        };
        let mut update = Update::default().set(attrs::STATUS, status_value(to));
        if from.is_none() {
            update = update.set(attrs::AWAY_BY_CHOICE, false);
        }
        match self.db().update(&keys::presence(t, u), update, cond).await {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Records the user's away choice.
    pub async fn set_away_by_choice(&self, t: &TenantId, u: &UserId, away: bool) -> ChatResult<()> {
        let update = Update::default().set(attrs::AWAY_BY_CHOICE, away);
        self.db().update(&keys::presence(t, u), update, Cond::Always).await?;
        Ok(())
    }

    /// The user's live connections with their idle flags (one strongly consistent query).
    pub async fn live_connections_of(&self, t: &TenantId, u: &UserId, max: usize) -> ChatResult<Vec<LiveConnection>> {
        let query = Query::prefix(keys::user_pk(t, u), keys::CONNECTION_PREFIX).limit(max).consistent();
        let page = self.db().query(&query).await?;
        let refs = page.items.iter().filter_map(|i| from_attrs::<ConnectionRef>(&i.attrs).ok());
        Ok(refs.map(|r| LiveConnection { id: r.connection_id, idle: r.idle }).collect())
    }

    /// Marks one connection of the user idle or active: false when it is gone.
    pub async fn set_connection_idle(
        &self,
        t: &TenantId,
        u: &UserId,
        id: &ConnectionId,
        idle: bool,
    ) -> ChatResult<bool> {
        let update = Update::default().set(attrs::IDLE, idle);
        match self.db().update(&keys::user_connection(t, u, id), update, Cond::Exists).await {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The connections showing `u`'s presence, page after page.
    pub async fn presence_watchers(&self, t: &TenantId, u: &UserId) -> ChatResult<Vec<ConnectionId>> {
        let mut out = Vec::new();
        let mut next = Some(Query::prefix(keys::presence_watchers_pk(t, u), keys::CONNECTION_PREFIX).limit(1000));
        while let Some(query) = next.take() {
            let page = self.db().query(&query).await?;
            next = continuation(&query, &page);
            out.extend(page.items.iter().filter_map(|i| from_attrs::<Watcher>(&i.attrs).ok()).map(|w| w.connection_id));
        }
        Ok(out)
    }
}

/// Replaces what a connection watches (`from` → `to`): watcher items for the new users, deletes
/// for the dropped ones, and the list on the connection item (only while it exists).
pub fn watch(
    t: &TenantId,
    id: &ConnectionId,
    from: &[UserId],
    to: &[UserId],
    expires_at: i64,
) -> ChatResult<Vec<WriteOp>> {
    let watcher = to_expiring_attrs(&Watcher { connection_id: id.clone() }, expires_at)?;
    let mut ops: Vec<WriteOp> = from
        .iter()
        .filter(|u| !to.contains(u))
        .map(|u| WriteOp::Delete { key: keys::presence_watch(t, u, id), cond: Cond::Always })
        .collect();
    ops.extend(to.iter().filter(|u| !from.contains(u)).map(|u| put(keys::presence_watch(t, u, id), watcher.clone())));
    let list = serde_json::to_value(to).map_err(|e| ChatError::Internal(e.to_string()))?;
    ops.push(WriteOp::Update {
        key: keys::connection(id),
        update: Update::default().set(attrs::WATCHING, list),
        cond: Cond::Exists,
    });
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(u: &str) -> UserId {
        UserId::parse(u).expect("user")
    }

    /// Changing the users on screen writes only the difference (a re-subscribe to the same set
    /// costs one update).
    #[test]
    fn watching_writes_only_what_changed() {
        let t = TenantId::parse("acme").expect("tenant");
        let id = ConnectionId::parse("c1").expect("id");
        let ops = watch(&t, &id, &[user("bob"), user("carol")], &[user("carol"), user("dave")], 9).expect("ops");
        let keys: Vec<_> = ops.iter().map(|op| op.key().clone()).collect();
        assert_eq!(
            keys,
            vec![
                keys::presence_watch(&t, &user("bob"), &id),
                keys::presence_watch(&t, &user("dave"), &id),
                keys::connection(&id)
            ]
        );
        assert!(matches!(ops[0], WriteOp::Delete { .. }));
        assert!(matches!(ops[1], WriteOp::Put { .. }));
        assert_eq!(watch(&t, &id, &[user("bob")], &[user("bob")], 9).expect("ops").len(), 1);
    }

    #[test]
    fn a_record_without_a_status_reads_as_never_published() {
        let record: PresenceRecord =
            from_attrs(&serde_json::from_value(serde_json::json!({ "awayByChoice": true })).expect("attrs"))
                .expect("reads");
        assert_eq!(record, PresenceRecord { status: None, away_by_choice: true });
    }
}

#[cfg(all(test, feature = "embedded"))]
mod store_tests {
    use std::sync::Arc;

    use super::*;
    use crate::adapters::embedded::sqlite::SqliteStore;
    use crate::ports::clock::ManualClock;

    /// Two instances that read the same status: only the first write of a transition wins.
    #[tokio::test]
    async fn a_transition_is_recorded_once() {
        let tables = Tables::new(Arc::new(SqliteStore::in_memory(Arc::new(ManualClock::new(0))).expect("store")));
        let (t, u) = (TenantId::parse("acme").expect("tenant"), UserId::parse("bob").expect("user"));
        assert!(tables.save_presence_status(&t, &u, None, PresenceStatus::Online).await.expect("first"));
        assert!(!tables.save_presence_status(&t, &u, None, PresenceStatus::Online).await.expect("second"));
        let read = tables.presence(&t, &u).await.expect("read").expect("an item");
        assert_eq!(read, PresenceRecord { status: Some(PresenceStatus::Online), away_by_choice: false });
        assert!(tables.save_presence_status(&t, &u, Some(&read), PresenceStatus::Away).await.expect("to away"));
        assert!(!tables.save_presence_status(&t, &u, Some(&read), PresenceStatus::Offline).await.expect("stale"));
        tables.set_away_by_choice(&t, &u, true).await.expect("choice");
        let read = tables.presence(&t, &u).await.expect("read").expect("an item");
        assert_eq!(read, PresenceRecord { status: Some(PresenceStatus::Away), away_by_choice: true });
    }

    /// The away choice written before any status: the first transition still takes.
    #[tokio::test]
    async fn a_choice_before_the_first_status_keeps_transitions_working() {
        let tables = Tables::new(Arc::new(SqliteStore::in_memory(Arc::new(ManualClock::new(0))).expect("store")));
        let (t, u) = (TenantId::parse("acme").expect("tenant"), UserId::parse("bob").expect("user"));
        tables.set_away_by_choice(&t, &u, true).await.expect("choice");
        let read = tables.presence(&t, &u).await.expect("read");
        assert!(tables.save_presence_status(&t, &u, read.as_ref(), PresenceStatus::Away).await.expect("first"));
    }
}
