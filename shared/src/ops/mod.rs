//! Operations: counters that are true across Lambda instances, and the debug views of live
//! connections and rooms. Each instance adds to its counters in memory and flushes them to the
//! table (one item per minute per instance, `ADD` only) at most every few seconds, so the debug
//! endpoints read the sum over every instance — the same code on the local stack.

mod debug;
mod metrics;

pub use debug::{live_connections, metrics_report, rooms, MetricsReport, Room};
pub use metrics::{Metrics, MAX_WINDOW_MINUTES};
