//! Pages of recent queries on the embedded store, kept until a write touches their key range.
//!
//! Every event's fan-out reads the same two partitions again (the conversation's members and its
//! subscriptions), which change far less often than messages are sent: below saturation those
//! reads, and decoding their JSON, were a seventh of the local server's CPU (`perf`, BENCHMARKS.md).
//! The embedded store sees every write of the process, so it can tell exactly when a page is
//! stale; DynamoDB's adapter has no such cache (other instances write too). Pages are shared
//! (`Store::query_shared`): copying a hundred members' items per event cost about what reading
//! them did.
//!
//! This holds while one `SqliteStore` (and its clones) writes the file: the local stack opens it
//! once; another process or store writing the same file would not be seen.
//!
//! Staleness rules: a write drops every page of its partition whose range holds its sort key,
//! before the writer is answered; a page read while a write to its partition was committing is
//! not kept (each read notes the partition's write count before it starts and keeps its page only
//! if the count is unchanged); a page lives no longer than its first item's TTL.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::ports::store::{Key, Page, Query, TTL_ATTR};

/// Items held across all pages; past it the cache starts over (memory stays bounded whatever
/// the number of partitions read).
const MAX_ITEMS: usize = 50_000;
/// Partitions whose write counts are tracked before the counts start over (with a new epoch,
/// so a read begun before cannot keep its page).
const MAX_TRACKED_PARTITIONS: usize = 100_000;

struct Cached {
    query: Query,
    page: Arc<Page>,
    /// The earliest TTL (epoch seconds) among the page's items: from then on the page is stale.
    expires_at: Option<i64>,
}

#[derive(Default)]
pub(super) struct QueryCache {
    pages: HashMap<String, Vec<Cached>>,
    items: usize,
    writes: HashMap<String, u64>,
    epoch: u64,
}

/// What a read saw before it started: its page is kept only if this still holds after.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Ticket {
    epoch: u64,
    writes: u64,
}

impl QueryCache {
    /// The cached page of `query`, if any and still live at `now_s`; else a ticket for the read.
    pub(super) fn get(&mut self, query: &Query, now_s: i64) -> Result<Arc<Page>, Ticket> {
        let ticket = Ticket { epoch: self.epoch, writes: self.writes.get(&query.pk).copied().unwrap_or(0) };
        let Some(entries) = self.pages.get_mut(&query.pk) else { return Err(ticket) };
        let Some(i) = entries.iter().position(|c| c.query == *query) else { return Err(ticket) };
        if entries[i].expires_at.is_some_and(|at| at <= now_s) {
            let gone = entries.swap_remove(i);
            self.items -= gone.page.items.len();
            return Err(ticket);
        }
        Ok(entries[i].page.clone())
    }

    /// Keeps `page` for `query` unless a write to its partition happened since `ticket`.
    pub(super) fn put(&mut self, query: &Query, page: &Arc<Page>, ticket: Ticket) {
        let now = Ticket { epoch: self.epoch, writes: self.writes.get(&query.pk).copied().unwrap_or(0) };
        if now != ticket {
            return;
        }
        if self.items + page.items.len() > MAX_ITEMS {
            self.pages.clear();
            self.items = 0;
        }
        let expires_at = page.items.iter().filter_map(|i| i.attrs.get(TTL_ATTR).and_then(Value::as_i64)).min();
        let entries = self.pages.entry(query.pk.clone()).or_default();
        if let Some(old) = entries.iter().position(|c| c.query == *query) {
            let old = entries.swap_remove(old);
            self.items -= old.page.items.len();
        }
        self.items += page.items.len();
        entries.push(Cached { query: query.clone(), page: Arc::clone(page), expires_at });
    }

    /// A write to `key` committed: pages whose range holds it are stale, and reads of its
    /// partition under way must not keep theirs.
    pub(super) fn written(&mut self, key: &Key) {
        if self.writes.len() >= MAX_TRACKED_PARTITIONS && !self.writes.contains_key(&key.pk) {
            self.writes.clear();
            self.epoch += 1;
        }
        *self.writes.entry(key.pk.clone()).or_default() += 1;
        if let Some(entries) = self.pages.get_mut(&key.pk) {
            let before = entries.len();
            let mut dropped = 0;
            entries.retain(|c| {
                let stale = c.query.contains(&key.sk);
                if stale {
                    dropped += c.page.items.len();
                }
                !stale
            });
            self.items -= dropped;
            if entries.is_empty() && before > 0 {
                self.pages.remove(&key.pk);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::store::{Attrs, Item};

    fn page(sks: &[&str], ttl: Option<i64>) -> Arc<Page> {
        let items = sks
            .iter()
            .map(|sk| {
                let mut attrs = Attrs::new();
                if let Some(at) = ttl {
                    attrs.insert(TTL_ATTR.into(), at.into());
                }
                Item::new(Key::new("p", *sk), attrs)
            })
            .collect();
        Arc::new(Page { items, more: false })
    }

    #[test]
    fn a_write_in_the_range_drops_the_page_and_one_outside_keeps_it() {
        let mut cache = QueryCache::default();
        let members = Query::prefix("p", "MEM#");
        let ticket = cache.get(&members, 0).unwrap_err();
        cache.put(&members, &page(&["MEM#a"], None), ticket);
        cache.written(&Key::new("p", "MSG#1"));
        cache.written(&Key::new("q", "MEM#b"));
        assert_eq!(cache.get(&members, 0).ok().map(|p| p.items.len()), Some(1));
        cache.written(&Key::new("p", "MEM#b"));
        assert!(cache.get(&members, 0).is_err());
        assert_eq!(cache.items, 0);
    }

    #[test]
    fn a_page_read_while_its_partition_was_written_is_not_kept() {
        let mut cache = QueryCache::default();
        let members = Query::prefix("p", "MEM#");
        let ticket = cache.get(&members, 0).unwrap_err();
        // Committed after the read began: the page may hold the state before it.
        cache.written(&Key::new("p", "MEM#b"));
        cache.put(&members, &page(&["MEM#a"], None), ticket);
        assert!(cache.get(&members, 0).is_err());
    }

    #[test]
    fn a_page_lives_no_longer_than_its_first_item_ttl() {
        let mut cache = QueryCache::default();
        let subscriptions = Query::prefix("p", "CONN#");
        let ticket = cache.get(&subscriptions, 100).unwrap_err();
        cache.put(&subscriptions, &page(&["CONN#a"], Some(200)), ticket);
        assert!(cache.get(&subscriptions, 199).is_ok());
        assert!(cache.get(&subscriptions, 200).is_err());
        assert_eq!(cache.items, 0);
    }

    #[test]
    fn starting_over_the_write_counts_refuses_the_reads_under_way() {
        let mut cache = QueryCache::default();
        let members = Query::prefix("p", "MEM#");
        let ticket = cache.get(&members, 0).unwrap_err();
        for i in 0..MAX_TRACKED_PARTITIONS + 1 {
            cache.written(&Key::new(format!("other{i}"), "x"));
        }
        cache.put(&members, &page(&["MEM#a"], None), ticket);
        assert!(cache.get(&members, 0).is_err());
    }
}
