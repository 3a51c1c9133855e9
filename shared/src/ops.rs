//! Operations: counters that are true across Lambda instances, and the debug views of live
//! connections and rooms. Each instance adds to its counters in memory and flushes them to the
//! table (one item per minute per instance, `ADD` only) at most every few seconds, so the debug
//! endpoints read the sum over every instance — the same code on the local stack.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::{json, Value};

use crate::domain::error::{ChatError, ChatResult};
use crate::domain::model::format_time;
use crate::domain::realtime::Connection;
use crate::keys;
use crate::ports::clock::Clock;
use crate::ports::store::{Query, Store, Update, TTL_ATTR};

/// Fan-out latency histogram bounds (milliseconds); the last bucket is everything above.
const FANOUT_BUCKETS_MS: [u64; 12] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
const METRICS_TTL_SECS: i64 = 2 * 24 * 3600;
pub const MAX_WINDOW_MINUTES: u32 = 24 * 60;

pub struct Metrics {
    pending: Mutex<BTreeMap<String, i64>>,
    instance: String,
    clock: Arc<dyn Clock>,
    last_flush_ms: AtomicI64,
    flush_every_ms: i64,
    /// Emit CloudWatch embedded-metric-format lines on flush (in Lambda).
    emf_namespace: Option<String>,
}

impl Metrics {
    pub fn new(clock: Arc<dyn Clock>, flush_every_ms: i64) -> Self {
        let now = clock.now_ms();
        Self {
            pending: Mutex::new(BTreeMap::new()),
            instance: ulid::Ulid::new().to_string(),
            clock,
            last_flush_ms: AtomicI64::new(now),
            flush_every_ms,
            emf_namespace: None,
        }
    }

    pub fn with_emf(mut self, namespace: &str) -> Self {
        self.emf_namespace = Some(namespace.to_owned());
        self
    }

    pub fn incr(&self, name: &str, by: i64) {
        if let Ok(mut pending) = self.pending.lock() {
            *pending.entry(name.to_owned()).or_default() += by;
        }
    }

    pub fn observe_fanout_ms(&self, ms: u64) {
        let bucket = FANOUT_BUCKETS_MS.iter().find(|&&b| ms <= b).map_or_else(|| "inf".to_owned(), |b| b.to_string());
        self.incr(&format!("fanout_ms.le_{bucket}"), 1);
    }

    /// Flushes when the last flush is older than the interval (called after each request).
    pub async fn maybe_flush(&self, store: &dyn Store) {
        let now = self.clock.now_ms();
        if now - self.last_flush_ms.load(Ordering::Relaxed) >= self.flush_every_ms {
            if let Err(e) = self.flush(store).await {
                tracing::warn!(error = %e, "metrics flush failed");
            }
        }
    }

    pub async fn flush(&self, store: &dyn Store) -> ChatResult<()> {
        let now = self.clock.now_ms();
        self.last_flush_ms.store(now, Ordering::Relaxed);
        let counters = match self.pending.lock() {
            Ok(mut pending) => std::mem::take(&mut *pending),
            Err(_) => return Ok(()),
        };
        if counters.is_empty() {
            return Ok(());
        }
        let mut update = Update::default().set(TTL_ATTR, now / 1000 + METRICS_TTL_SECS);
        for (name, by) in &counters {
            update = update.add(name, *by);
        }
        let key = keys::metrics(&minute(now), &self.instance);
        if let Err(e) = store.update(&key, update, crate::ports::store::Cond::Always).await {
            // Put them back: the next flush tries again.
            if let Ok(mut pending) = self.pending.lock() {
                for (name, by) in counters {
                    *pending.entry(name).or_default() += by;
                }
            }
            return Err(e.into());
        }
        if let Some(namespace) = &self.emf_namespace {
            emit_emf(namespace, now, &counters);
        }
        Ok(())
    }
}

/// `YYYYMMDDHHMM` in UTC: sorts like time.
fn minute(ms: i64) -> String {
    let t = format_time(ms);
    // 2026-11-26T08:29:00.000Z → 202611260829
    t.chars().filter(|c| c.is_ascii_digit()).take(12).collect()
}

/// One CloudWatch embedded-metric-format line with the key counters of this flush.
fn emit_emf(namespace: &str, now_ms: i64, counters: &BTreeMap<String, i64>) {
    let key = |prefix: &str| counters.iter().filter(|(k, _)| k.starts_with(prefix)).map(|(_, v)| *v).sum::<i64>();
    let values = [
        ("Connects", key("connects")),
        ("Disconnects", key("disconnects")),
        ("EventsPushed", key("events.")),
        ("PushFailures", key("push.failures")),
        ("GoneCleanups", key("push.gone")),
        ("Requests", key("requests.")),
        (
            "ServerErrors",
            counters.iter().filter(|(k, _)| k.starts_with("requests.") && k.ends_with(".5xx")).map(|(_, v)| *v).sum(),
        ),
    ];
    let mut line = json!({
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [[]],
                "Metrics": values.iter().map(|(n, _)| json!({ "Name": n, "Unit": "Count" })).collect::<Vec<_>>(),
            }],
        },
    });
    for (name, value) in values {
        line[name] = value.into();
    }
    println!("{line}");
}

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
    /// Upper bounds (ms) of the histogram bucket holding each percentile.
    pub fanout_latency_ms: BTreeMap<String, Option<u64>>,
    /// `"GET /api/v1/chat/conversations" → {"200": n, …}`.
    pub requests: BTreeMap<String, BTreeMap<String, i64>>,
}

/// Sums every instance's counters over the last `minutes`.
pub async fn metrics_report(store: &dyn Store, now_ms: i64, minutes: u32) -> ChatResult<MetricsReport> {
    let minutes = minutes.clamp(1, MAX_WINDOW_MINUTES);
    let from = minute(now_ms - i64::from(minutes) * 60_000);
    let mut query = Query::prefix(keys::METRICS_PK, "").limit(1000);
    query.lower = std::ops::Bound::Included(from);
    let mut totals: HashMap<String, i64> = HashMap::new();
    loop {
        let page = store.query(&query).await?;
        for item in &page.items {
            for (name, value) in &item.attrs {
                if let Some(v) = value.as_i64().filter(|_| name != TTL_ATTR) {
                    *totals.entry(name.clone()).or_default() += v;
                }
            }
        }
        match page.items.last() {
            Some(last) if page.more => query = query.after(last.key.sk.clone()),
            _ => break,
        }
    }
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
        connections_now: live_connections(store, now_ms).await?.len() as u64,
        connects: get("connects"),
        disconnects: get("disconnects"),
        events_pushed,
        push_failures: get("push.failures"),
        gone_cleanups: get("push.gone"),
        fanouts,
        fanout_latency_ms,
        requests,
    })
}

/// Every live connection, from the registry partitions (a query each; expired items excluded).
pub async fn live_connections(store: &dyn Store, _now_ms: i64) -> ChatResult<Vec<Connection>> {
    let mut out = Vec::new();
    for shard in 0..keys::CONNECTION_SHARDS {
        let mut query = Query::prefix(keys::connection_shard_pk(shard), keys::CONNECTION_PREFIX).limit(1000);
        loop {
            let page = store.query(&query).await?;
            for item in &page.items {
                let connection: Connection =
                    serde_json::from_value(Value::Object(item.attrs.clone())).map_err(ChatError::corrupt)?;
                out.push(connection);
            }
            match page.items.last() {
                Some(last) if page.more => query = query.after(last.key.sk.clone()),
                _ => break,
            }
        }
    }
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
pub async fn rooms(store: &dyn Store, now_ms: i64) -> ChatResult<Vec<Room>> {
    let mut rooms: BTreeMap<(String, String), (u64, std::collections::BTreeSet<String>)> = BTreeMap::new();
    for connection in live_connections(store, now_ms).await? {
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
