//! Live connections: the connection item (`CONN#{id}` in one of the sharded registry partitions
//! `CONNS#{n}`, which the debug views list), the user's connection index (`CONN#{id}` in the
//! user's partition) and each conversation's subscriptions (`CONN#{id}` in `T#{t}#CS#{c}`). All of
//! them expire (TTL) with the connection, so TTL sweeps what `$disconnect` missed.

use serde::{Deserialize, Serialize};

use super::attrs;
use super::codec::{from_attrs, to_expiring_attrs};
use super::keys;
use super::paging::{continuation, query_all};
use super::tables::{put, Tables};
use crate::domain::error::{ChatError, ChatResult};
use crate::domain::ids::{ConnectionId, ConversationId, TenantId, UserId};
use crate::domain::{ConversationMeta, Membership};
use crate::ports::store::{Cond, Key, Query, StoreError, Update, WriteOp};

/// A live connection, as registered at `$connect` (the item in the registry).
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
    /// The users whose presence this connection shows (`presenceSubscribe`): its watcher items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub watching: Vec<UserId>,
    /// When the token that opened the connection expires (epoch seconds): the connection, its
    /// index item and its subscriptions expire then too, so fan-out stops reaching it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expires_at: Option<i64>,
}

/// An entry of the user's connection index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ConnectionRef {
    pub(super) connection_id: ConnectionId,
    /// The tab reported itself idle (presence: a user is away once all their tabs are).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(super) idle: bool,
}

/// A connection subscribed to a conversation, with its user (fan-out reaches it only while that
/// user is a member).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub connection_id: ConnectionId,
    pub user_id: UserId,
}

/// A page of a user's connection index.
#[derive(Debug, Clone, PartialEq)]
pub struct UserConnections {
    /// The connections whose entries read (one that does not is skipped, not the caller's failure).
    pub ids: Vec<ConnectionId>,
    /// The index holds at least the page's limit of entries, readable or not.
    pub full: bool,
}

impl Tables {
    /// A connection by id (an expired one reads as none).
    pub async fn connection(&self, id: &ConnectionId) -> ChatResult<Option<Connection>> {
        let item = self.db().get(&keys::connection(id), true).await?;
        item.map(|i| from_attrs(&i.attrs)).transpose()
    }

    /// One page (at most `limit`) of the user's connection index.
    pub async fn user_connections(&self, t: &TenantId, u: &UserId, limit: usize) -> ChatResult<UserConnections> {
        let query = Query::prefix(keys::user_pk(t, u), keys::CONNECTION_PREFIX).limit(limit);
        let page = self.db().query(&query).await?;
        let full = page.more || page.items.len() >= limit;
        let ids = page.items.iter().filter_map(|i| from_attrs::<ConnectionRef>(&i.attrs).ok());
        Ok(UserConnections { ids: ids.map(|r| r.connection_id).collect(), full })
    }

    /// Every connection subscribed to the conversation, page after page (fan-out's candidates).
    /// A subscription that does not read is skipped: it reaches nobody.
    pub async fn subscribers(&self, t: &TenantId, c: &ConversationId) -> ChatResult<Vec<Subscription>> {
        let mut subscribers = Vec::new();
        let mut next = Some(Query::prefix(keys::subscriptions_pk(t, c), keys::CONNECTION_PREFIX).limit(1000));
        while let Some(query) = next.take() {
            let page = self.db().query_shared(&query).await?;
            next = continuation(&query, &page);
            subscribers.extend(page.items.iter().filter_map(|i| from_attrs(&i.attrs).ok()));
        }
        Ok(subscribers)
    }

    /// The conversation's subscriptions if there are at most `max` of them (one query of at most
    /// `max + 1` items, whatever the audience): `None` when there are more, so a sender decides
    /// between pushing inline and queueing at a fixed cost.
    pub async fn subscribers_up_to(
        &self,
        t: &TenantId,
        c: &ConversationId,
        max: usize,
    ) -> ChatResult<Option<Vec<Subscription>>> {
        let query = Query::prefix(keys::subscriptions_pk(t, c), keys::CONNECTION_PREFIX).limit(max.saturating_add(1));
        let page = self.db().query_shared(&query).await?;
        // `more` with fewer items than asked means a page cut by size: the count is unknown, so
        // it is not small.
        if page.more || page.items.len() > max {
            return Ok(None);
        }
        Ok(Some(page.items.iter().filter_map(|i| from_attrs(&i.attrs).ok()).collect()))
    }

    /// Every live connection of every tenant, from the registry partitions (a query each, never
    /// a Scan; expired items are not read).
    pub async fn live_connections(&self) -> ChatResult<Vec<Connection>> {
        let mut out = Vec::new();
        for shard in 0..keys::CONNECTION_SHARDS {
            let query = Query::prefix(keys::connection_shard_pk(shard), keys::CONNECTION_PREFIX).limit(1000);
            for item in query_all(self.db(), query, usize::MAX).await? {
                out.push(from_attrs(&item.attrs)?);
            }
        }
        Ok(out)
    }

    /// The conversations the user is a member of, in id order, at most `max` (one eventually
    /// consistent query): what a subscription to "all" follows. It reads membership items
    /// (`conversations`' items) the way only subscribing does.
    pub async fn first_memberships(&self, t: &TenantId, u: &UserId, max: usize) -> ChatResult<Vec<ConversationId>> {
        let page = self.db().query(&Query::prefix(keys::user_pk(t, u), keys::MEMBERSHIP_PREFIX).limit(max)).await?;
        page.items.iter().map(|i| from_attrs::<Membership>(&i.attrs).map(|m| m.conversation_id)).collect()
    }

    /// The conversation items of these conversations, strongly consistent (a subscriber catches
    /// up from their `lastSeq`), missing ones left out.
    pub async fn latest_metas(&self, t: &TenantId, ids: &[ConversationId]) -> ChatResult<Vec<ConversationMeta>> {
        let keys: Vec<Key> = ids.iter().map(|c| keys::conversation_meta(t, c)).collect();
        let items = self.db().batch_get(&keys, true).await?;
        items.iter().map(|i| from_attrs(&i.attrs)).collect()
    }

    /// Records activity on a connection: false when it is gone.
    pub async fn touch_connection(&self, id: &ConnectionId, now: &str) -> ChatResult<bool> {
        let update = Update::default().set(attrs::LAST_SEEN_AT, now);
        match self.db().update(&keys::connection(id), update, Cond::Exists).await {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

/// Registers a connection: its item in the registry and its entry in its user's index, both
/// expiring at `expires_at`.
pub fn register(connection: &Connection, expires_at: i64) -> ChatResult<[WriteOp; 2]> {
    let id = &connection.connection_id;
    let index = ConnectionRef { connection_id: id.clone(), idle: false };
    Ok([
        put(keys::connection(id), to_expiring_attrs(connection, expires_at)?),
        put(
            keys::user_connection(&connection.tenant_id, &connection.user_id, id),
            to_expiring_attrs(&index, expires_at)?,
        ),
    ])
}

/// Forgets a connection: its item, its index entry and its subscriptions.
pub fn forget(connection: &Connection) -> Vec<WriteOp> {
    let (t, id) = (&connection.tenant_id, &connection.connection_id);
    let mut ops = vec![
        WriteOp::Delete { key: keys::connection(id), cond: Cond::Always },
        WriteOp::Delete { key: keys::user_connection(t, &connection.user_id, id), cond: Cond::Always },
    ];
    ops.extend(unsubscribe(t, id, &connection.subscriptions));
    ops.extend(
        connection.watching.iter().map(|u| WriteOp::Delete { key: keys::presence_watch(t, u, id), cond: Cond::Always }),
    );
    ops
}

/// Subscribes the connection of `u` to each of `conversations`, until `expires_at`.
pub fn subscribe(
    t: &TenantId,
    u: &UserId,
    id: &ConnectionId,
    conversations: &[ConversationId],
    expires_at: i64,
) -> ChatResult<Vec<WriteOp>> {
    let subscription = to_expiring_attrs(&Subscription { connection_id: id.clone(), user_id: u.clone() }, expires_at)?;
    Ok(conversations.iter().map(|c| put(keys::subscription(t, c, id), subscription.clone())).collect())
}

/// Ends one connection's subscriptions to these conversations.
pub fn unsubscribe(t: &TenantId, id: &ConnectionId, conversations: &[ConversationId]) -> Vec<WriteOp> {
    conversations.iter().map(|c| WriteOp::Delete { key: keys::subscription(t, c, id), cond: Cond::Always }).collect()
}

/// Ends these connections' subscriptions to one conversation (a removed member's).
pub fn remove_subscribers(t: &TenantId, c: &ConversationId, ids: &[ConnectionId]) -> Vec<WriteOp> {
    ids.iter().map(|id| WriteOp::Delete { key: keys::subscription(t, c, id), cond: Cond::Always }).collect()
}

/// Replaces the list of conversations a connection follows, as activity at `now` (only while
/// the connection exists).
pub fn set_subscriptions(id: &ConnectionId, all: &[ConversationId], now: &str) -> ChatResult<WriteOp> {
    let all = serde_json::to_value(all).map_err(|e| ChatError::Internal(e.to_string()))?;
    Ok(WriteOp::Update {
        key: keys::connection(id),
        update: Update::default().set(attrs::SUBSCRIPTIONS, all).set(attrs::LAST_SEEN_AT, now),
        cond: Cond::Exists,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::persistence::codec::to_attrs;
    use crate::ports::store::{Attrs, TTL_ATTR};

    fn connection() -> Connection {
        Connection {
            connection_id: ConnectionId::parse("L0SM9cOFvHcCIhw=").expect("id"),
            tenant_id: TenantId::parse("acme").expect("tenant"),
            user_id: UserId::parse("alice").expect("user"),
            connected_at: "2026-11-26T08:29:00.000Z".into(),
            last_seen_at: "2026-11-26T08:29:00.000Z".into(),
            subscriptions: Vec::new(),
            watching: Vec::new(),
            token_expires_at: None,
        }
    }

    fn attrs_of(op: &WriteOp) -> Attrs {
        match op {
            WriteOp::Put { item, .. } => item.attrs.clone(),
            other => panic!("a put, not {other:?}"),
        }
    }

    /// The attributes are those written before this module, so older items read back.
    #[test]
    fn a_registration_writes_the_connection_and_its_index_entry_with_their_expiry() {
        let connection = connection();
        let [item, index] = register(&connection, 99).expect("ops");
        let mut expected = to_attrs(&connection).expect("attrs");
        expected.insert(TTL_ATTR.into(), 99.into());
        assert_eq!(attrs_of(&item), expected);
        assert_eq!(Value::Object(attrs_of(&index)), json!({ "connectionId": "L0SM9cOFvHcCIhw=", "expiresAt": 99 }));
    }

    #[test]
    fn a_subscription_names_the_connection_and_its_user() {
        let c = connection();
        let ops =
            subscribe(&c.tenant_id, &c.user_id, &c.connection_id, &[ConversationId::new_channel()], 7).expect("ops");
        let expected = json!({ "connectionId": "L0SM9cOFvHcCIhw=", "userId": "alice", "expiresAt": 7 });
        assert_eq!(Value::Object(attrs_of(&ops[0])), expected);
        let read: Subscription = from_attrs(&attrs_of(&ops[0])).expect("reads back");
        assert_eq!(read, Subscription { connection_id: c.connection_id, user_id: c.user_id });
    }

    #[test]
    fn forgetting_a_connection_deletes_its_items_and_subscriptions() {
        let mut c = connection();
        c.subscriptions = vec![ConversationId::new_channel(), ConversationId::new_channel()];
        let keys: Vec<Key> = forget(&c).iter().map(|op| op.key().clone()).collect();
        let t = &c.tenant_id;
        let id = &c.connection_id;
        let expected = vec![
            keys::connection(id),
            keys::user_connection(t, &c.user_id, id),
            keys::subscription(t, &c.subscriptions[0], id),
            keys::subscription(t, &c.subscriptions[1], id),
        ];
        assert_eq!(keys, expected);
    }
}

#[cfg(all(test, feature = "embedded"))]
mod store_tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::adapters::embedded::sqlite::SqliteStore;
    use crate::persistence::codec::to_attrs;
    use crate::ports::clock::ManualClock;
    use crate::ports::store::Item;

    fn tables() -> Tables {
        Tables::new(Arc::new(SqliteStore::in_memory(Arc::new(ManualClock::new(0))).expect("store")))
    }

    fn id(raw: &str) -> ConnectionId {
        ConnectionId::parse(raw).expect("id")
    }

    /// An entry that does not read reaches nobody, but still counts against the user's limit.
    #[tokio::test]
    async fn entries_that_do_not_read_are_skipped() {
        let tables = tables();
        let (t, u) = (TenantId::parse("acme").expect("tenant"), UserId::parse("alice").expect("user"));
        let c = ConversationId::new_channel();
        let mut ops = subscribe(&t, &u, &id("a"), std::slice::from_ref(&c), 99).expect("ops");
        ops.push(put(keys::subscription(&t, &c, &id("b")), to_attrs(&json!({ "connectionId": "b" })).expect("attrs")));
        ops.push(put(keys::user_connection(&t, &u, &id("x")), to_attrs(&json!({ "connectionId": "#" })).expect("x")));
        ops.push(put(keys::user_connection(&t, &u, &id("y")), to_attrs(&json!({ "connectionId": "y" })).expect("y")));
        tables.write_all(ops).await.expect("written");
        let subscribers = tables.subscribers(&t, &c).await.expect("read");
        assert_eq!(subscribers, vec![Subscription { connection_id: id("a"), user_id: u.clone() }]);
        let index = tables.user_connections(&t, &u, 2).await.expect("read");
        assert_eq!(index, UserConnections { ids: vec![id("y")], full: true });
        assert!(!tables.user_connections(&t, &u, 3).await.expect("read").full);
    }

    /// The sender's decision: the whole list while it is small, none past the bound.
    #[tokio::test]
    async fn a_bounded_read_of_subscribers_answers_only_while_they_are_few() {
        let tables = tables();
        let (t, u) = (TenantId::parse("acme").expect("tenant"), UserId::parse("alice").expect("user"));
        let c = ConversationId::new_channel();
        for raw in ["a", "b", "c"] {
            tables.write_all(subscribe(&t, &u, &id(raw), std::slice::from_ref(&c), 99).expect("ops")).await.expect("w");
        }
        let three = tables.subscribers_up_to(&t, &c, 3).await.expect("read").expect("at most 3");
        let ids: Vec<&str> = three.iter().map(|s| s.connection_id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(tables.subscribers_up_to(&t, &c, 2).await.expect("read"), None);
        let empty = tables.subscribers_up_to(&t, &ConversationId::new_channel(), 2).await.expect("read");
        assert_eq!(empty, Some(Vec::new()));
    }

    #[tokio::test]
    async fn touching_a_connection_that_is_gone_changes_nothing() {
        let tables = tables();
        assert!(!tables.touch_connection(&id("gone"), "2026-11-26T08:29:00.000Z").await.expect("touch"));
        assert_eq!(tables.store().get(&keys::connection(&id("gone")), true).await.expect("get"), None::<Item>);
    }
}
