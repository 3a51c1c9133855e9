//! Live connections, subscriptions and fan-out. Fan-out to a small audience runs in the request
//! path (after the commit); a big one goes through the fan-out queue to its own function
//! (`queued`). Not through the table's stream: it already has its two consumers (indexer,
//! archiver). A client that misses a frame recovers it by seq through catch-up.
//!
//! Finding recipients costs two queries per event whatever the channel size: the
//! conversation's subscriptions and its members (a subscription outlives nothing: only
//! connections of current members receive).

mod connections;
mod fanout;
mod presence;
mod queued;
mod typing;

pub use presence::PresenceView;
pub use queued::Dispatched;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::domain::ids::ConversationId;
use crate::domain::limits::FanoutSettings;
use crate::ops::Metrics;
pub use crate::persistence::connections::Connection;
use crate::persistence::Tables;
use crate::ports::clock::Clock;
use crate::ports::push::Push;
use crate::ports::queue::FanoutQueue;
use crate::ports::store::Store;

/// API Gateway closes connections after 2 hours; items live a little longer, then TTL sweeps
/// whatever `$disconnect` missed.
pub const CONNECTION_TTL_SECS: i64 = 2 * 3600 + 10 * 60;
pub const MAX_CONNECTIONS_PER_USER: usize = 20;
/// Conversations one connection may follow (subscribe with none named takes all, up to this).
pub const MAX_SUBSCRIPTIONS: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribedConversation {
    pub conversation_id: ConversationId,
    pub last_seq: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FanoutReport {
    pub recipients: usize,
    pub delivered: usize,
    pub gone: usize,
    pub failed: usize,
}

pub struct Realtime {
    tables: Tables,
    push: Arc<dyn Push>,
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
    subscribe_rate: Option<crate::domain::limits::Rate>,
    typing_rate: Option<crate::domain::limits::Rate>,
    presence_rate: Option<crate::domain::limits::Rate>,
    /// Where big audiences go (`None`: everything is pushed inline), and the thresholds.
    queue: Option<Arc<dyn FanoutQueue>>,
    fanout: FanoutSettings,
    /// Where the fan-out function queues the slices of a big audience.
    slice_queue: Option<Arc<dyn FanoutQueue>>,
}

impl Realtime {
    pub fn new(store: Arc<dyn Store>, push: Arc<dyn Push>, clock: Arc<dyn Clock>, metrics: Arc<Metrics>) -> Self {
        Self {
            tables: Tables::new(store),
            push,
            clock,
            metrics,
            subscribe_rate: None,
            typing_rate: None,
            presence_rate: None,
            queue: None,
            fanout: FanoutSettings::default(),
            slice_queue: None,
        }
    }

    /// Subscribe frames per connection (a subscribe storm costs a write per conversation).
    pub fn with_subscribe_rate(mut self, rate: Option<crate::domain::limits::Rate>) -> Self {
        self.subscribe_rate = rate;
        self
    }

    /// `typing` frames and presence frames (`presence`, `presenceSubscribe`), per connection.
    pub fn with_signal_rates(
        mut self,
        typing: Option<crate::domain::limits::Rate>,
        presence: Option<crate::domain::limits::Rate>,
    ) -> Self {
        self.typing_rate = typing;
        self.presence_rate = presence;
        self
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The table it keeps connections in (where the metrics flush too).
    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    pub fn push(&self) -> &Arc<dyn Push> {
        &self.push
    }
}
