//! Counters that are true across Lambda instances: each instance adds to its counters in memory
//! and flushes them to the table (one item per minute per instance, `ADD` only) at most every few
//! seconds.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;

use crate::domain::error::ChatResult;
use crate::persistence::{metrics as stored, Tables};
use crate::ports::clock::Clock;

/// Fan-out latency histogram bounds (milliseconds); the last bucket is everything above.
pub(super) const FANOUT_BUCKETS_MS: [u64; 12] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
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
    pub async fn maybe_flush(&self, tables: &Tables) {
        let now = self.clock.now_ms();
        if now - self.last_flush_ms.load(Ordering::Relaxed) >= self.flush_every_ms {
            if let Err(e) = self.flush(tables).await {
                tracing::warn!(error = %e, "metrics flush failed");
            }
        }
    }

    pub async fn flush(&self, tables: &Tables) -> ChatResult<()> {
        let now = self.clock.now_ms();
        self.last_flush_ms.store(now, Ordering::Relaxed);
        let counters = match self.pending.lock() {
            Ok(mut pending) => std::mem::take(&mut *pending),
            Err(_) => return Ok(()),
        };
        if counters.is_empty() {
            return Ok(());
        }
        if let Err(e) = tables.write_all(vec![stored::add(now, &self.instance, &counters)]).await {
            // Put them back: the next flush tries again.
            if let Ok(mut pending) = self.pending.lock() {
                for (name, by) in counters {
                    *pending.entry(name).or_default() += by;
                }
            }
            return Err(e);
        }
        if let Some(namespace) = &self.emf_namespace {
            emit_emf(namespace, now, &counters);
        }
        Ok(())
    }
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
