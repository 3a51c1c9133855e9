//! The debug views: the metrics summed over every instance, live connections and rooms — the same
//! code on the local stack.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::metrics::{FANOUT_BUCKETS_MS, MAX_WINDOW_MINUTES};
use crate::domain::error::ChatResult;
use crate::persistence::connections::Connection;
use crate::persistence::Tables;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricsReport {
    pub window_minutes: u32,
    pub connections_now: u64,
    pub connects: i64,
    pub disconnects: i64,
    pub events_pushed: BTreeMap<String, i64>,
    pub push_failures: i64,
    pub gone_cleanups: i64,
    pub fanouts: i64,
    /// Events the sender handed to the fan-out queue (a big audience) instead of pushing them.
    pub fanouts_queued: i64,
    /// Events the queue refused, pushed by the sender after all (or slices, by the function).
    pub fanout_queue_failures: i64,
    /// Slices of big audiences the fan-out function handed to the slice queue.
    pub fanout_slices_queued: i64,
    /// Upper bounds (ms) of the histogram bucket holding each percentile.
    pub fanout_latency_ms: BTreeMap<String, Option<u64>>,
    /// `"GET /api/v1/chat/conversations" → {"200": n, …}`.
    pub requests: BTreeMap<String, BTreeMap<String, i64>>,
}

/// Sums every instance's counters over the last `minutes`.
pub async fn metrics_report(tables: &Tables, now_ms: i64, minutes: u32) -> ChatResult<MetricsReport> {
    let minutes = minutes.clamp(1, MAX_WINDOW_MINUTES);
    let totals = tables.metric_totals(now_ms - i64::from(minutes) * 60_000).await?;
    let get = |k: &str| totals.get(k).copied().unwrap_or(0);
    let mut events_pushed = BTreeMap::new();
    let mut requests: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for (name, value) in &totals {
        if let Some(kind) = name.strip_prefix("events.") {
            events_pushed.insert(kind.to_owned(), *value);
        } else if let Some(rest) = name.strip_prefix("requests.") {
            if let Some((route, status)) = rest.rsplit_once('.') {
                requests.entry(route.to_owned()).or_default().insert(status.to_owned(), *value);
            }
        }
    }
    let mut buckets: Vec<(Option<u64>, i64)> =
        FANOUT_BUCKETS_MS.iter().map(|b| (Some(*b), get(&format!("fanout_ms.le_{b}")))).collect();
    buckets.push((None, get("fanout_ms.le_inf")));
    let fanouts: i64 = buckets.iter().map(|(_, n)| n).sum();
    let percentile = |p: f64| -> Option<u64> {
        if fanouts == 0 {
            return None;
        }
        let rank = (p * fanouts as f64).ceil() as i64;
        let mut seen = 0;
        for (bound, n) in &buckets {
            seen += n;
            if seen >= rank {
                return *bound;
            }
        }
        None
    };
    let fanout_latency_ms =
        [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)].iter().map(|(k, p)| ((*k).to_owned(), percentile(*p))).collect();
    Ok(MetricsReport {
        window_minutes: minutes,
        connections_now: live_connections(tables, now_ms).await?.len() as u64,
        connects: get("connects"),
        disconnects: get("disconnects"),
        events_pushed,
        push_failures: get("push.failures"),
        gone_cleanups: get("push.gone"),
        fanouts_queued: get("fanout.queued"),
        fanout_queue_failures: get("fanout.queue_failures"),
        fanout_slices_queued: get("fanout.slices_queued"),
        fanouts,
        fanout_latency_ms,
        requests,
    })
}

/// Every live connection, from the registry partitions (a query each; expired items excluded).
pub async fn live_connections(tables: &Tables, _now_ms: i64) -> ChatResult<Vec<Connection>> {
    let mut out = tables.live_connections().await?;
    out.sort_by(|a, b| a.connected_at.cmp(&b.connected_at).then(a.connection_id.cmp(&b.connection_id)));
    Ok(out)
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Room {
    pub tenant_id: String,
    pub conversation_id: String,
    pub connections: u64,
    pub users: u64,
}

/// Conversations with live subscribers, per tenant, derived from the connections' subscriptions.
pub async fn rooms(tables: &Tables, now_ms: i64) -> ChatResult<Vec<Room>> {
    let mut rooms: BTreeMap<(String, String), (u64, BTreeSet<String>)> = BTreeMap::new();
    for connection in live_connections(tables, now_ms).await? {
        for c in &connection.subscriptions {
            let entry = rooms.entry((connection.tenant_id.to_string(), c.to_string())).or_default();
            entry.0 += 1;
            entry.1.insert(connection.user_id.to_string());
        }
    }
    let mut out: Vec<Room> = rooms
        .into_iter()
        .map(|((tenant_id, conversation_id), (connections, users))| Room {
            tenant_id,
            conversation_id,
            connections,
            users: users.len() as u64,
        })
        .collect();
    out.sort_by(|a, b| b.connections.cmp(&a.connections).then(a.tenant_id.cmp(&b.tenant_id)));
    Ok(out)
}
