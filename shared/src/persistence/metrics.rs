//! Operational counters: one item per minute per instance that flushed (`{minute}#{instance}` in
//! the `METRICS` partition), each counter an attribute of its own name, added to (`ADD`) and
//! expiring (TTL) after `METRICS_TTL_SECS`.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use super::keys;
use super::paging::query_all;
use super::tables::Tables;
use crate::domain::error::ChatResult;
use crate::domain::format_time;
use crate::ports::store::{Cond, Query, Update, WriteOp, TTL_ATTR};

/// How long a minute's counters are kept: the debug views read at most a day back.
pub const METRICS_TTL_SECS: i64 = 2 * 24 * 3600;

/// The minute `ms` falls in, as the items' sort keys start: `YYYYMMDDHHMM` in UTC, which sorts
/// like time.
pub fn minute(ms: i64) -> String {
    // 2026-11-26T08:29:00.000Z → 202611260829
    format_time(ms).chars().filter(|c| c.is_ascii_digit()).take(12).collect()
}

/// Adds `counters` to the instance's item for the minute of `now_ms`.
pub fn add(now_ms: i64, instance: &str, counters: &BTreeMap<String, i64>) -> WriteOp {
    let mut update = Update::default().set(TTL_ATTR, now_ms / 1000 + METRICS_TTL_SECS);
    for (name, by) in counters {
        update = update.add(name, *by);
    }
    WriteOp::Update { key: keys::metrics(&minute(now_ms), instance), update, cond: Cond::Always }
}

impl Tables {
    /// Every counter summed over every instance's items from the minute of `from_ms` on.
    pub async fn metric_totals(&self, from_ms: i64) -> ChatResult<HashMap<String, i64>> {
        let mut query = Query::prefix(keys::METRICS_PK, "").limit(1000);
        query.lower = Bound::Included(minute(from_ms));
        let mut totals: HashMap<String, i64> = HashMap::new();
        for item in query_all(self.db(), query, usize::MAX).await? {
            for (name, value) in item.attrs {
                // Every attribute but the expiry is a counter; anything not a count is skipped.
                if let Some(v) = value.as_i64().filter(|_| name != TTL_ATTR) {
                    *totals.entry(name).or_default() += v;
                }
            }
        }
        Ok(totals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minute_is_its_utc_digits_down_to_the_minute() {
        // 2026-11-26T08:29:59.999Z
        let ms = 1_795_681_799_999;
        assert_eq!(format_time(ms), "2026-11-26T08:29:59.999Z");
        assert_eq!(minute(ms), "202611260829");
        assert!(minute(ms) < minute(ms + 1), "the next minute sorts after it");
    }

    #[test]
    fn adding_counters_updates_the_minute_item_and_its_expiry() {
        let counters = BTreeMap::from([("connects".to_owned(), 2), ("push.gone".to_owned(), 1)]);
        let WriteOp::Update { key, update, cond } = add(60_000, "i-1", &counters) else { panic!("an update") };
        assert_eq!(key, keys::metrics("197001010001", "i-1"));
        assert_eq!(update.add, vec![("connects".to_owned(), 2), ("push.gone".to_owned(), 1)]);
        assert_eq!(update.set[TTL_ATTR], 60 + METRICS_TTL_SECS);
        assert_eq!(cond, Cond::Always);
    }
}

#[cfg(all(test, feature = "embedded"))]
mod store_tests {
    use std::sync::Arc;

    use super::*;
    use crate::adapters::embedded::sqlite::SqliteStore;
    use crate::ports::clock::ManualClock;

    /// The window starts at its first minute, sums every instance and leaves the expiry out.
    #[tokio::test]
    async fn totals_sum_every_instance_from_the_first_minute_on() {
        let now = 1_795_681_799_999;
        let store = SqliteStore::in_memory(Arc::new(ManualClock::new(now))).expect("store");
        let tables = Tables::new(Arc::new(store));
        let counters = BTreeMap::from([("connects".to_owned(), 2)]);
        let ops = vec![
            add(now - 120_000, "a", &counters),
            add(now - 60_000, "a", &counters),
            add(now - 60_000, "b", &counters),
            add(now, "b", &counters),
        ];
        tables.write_all(ops).await.expect("flushed");
        let totals = tables.metric_totals(now - 60_000).await.expect("read");
        assert_eq!(totals, HashMap::from([("connects".to_owned(), 6)]));
    }
}
