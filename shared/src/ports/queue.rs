//! The `FanoutQueue` port: where a committed event goes when its audience is too big to push
//! from the sender's request (SQS FIFO on AWS, an in-process twin in the local stack). Ordered per
//! conversation, so every connection receives a conversation's events in seq order.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::domain::ids::{ConnectionId, TenantId};
use crate::domain::Event;

/// One committed event to fan out: the queue message's body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FanoutJob {
    pub tenant_id: TenantId,
    pub event: Event,
    /// A part of a big audience, already read by the fan-out that split it (the slice queue):
    /// post to exactly these. `None`: the whole audience, still to be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slice: Option<Slice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Slice {
    /// Which slice (1…): the same connection falls in the same slice while the audience keeps
    /// its number of slices, so it hears a conversation's events in order.
    pub index: u32,
    pub connections: Vec<ConnectionId>,
}

impl FanoutJob {
    pub fn new(tenant_id: TenantId, event: Event) -> Self {
        Self { tenant_id, event, slice: None }
    }

    /// The ordering key (SQS `MessageGroupId`): one group per conversation (per conversation and
    /// slice for a slice), so a conversation's events are consumed one after another in seq
    /// order while other conversations run in parallel. At most 64 + 1 + 33 + 11 characters
    /// (SQS allows 128).
    pub fn group_id(&self) -> String {
        match &self.slice {
            None => format!("{}/{}", self.tenant_id, self.event.conversation_id),
            Some(slice) => format!("{}/{}/{}", self.tenant_id, self.event.conversation_id, slice.index),
        }
    }

    /// The deduplication id (SQS `MessageDeduplicationId`): a seq is taken once per
    /// conversation, so a repeated enqueue of the same change (or slice of it) is dropped.
    pub fn deduplication_id(&self) -> String {
        match &self.slice {
            None => format!("{}/{}/{}", self.tenant_id, self.event.conversation_id, self.event.seq),
            Some(slice) => {
                format!("{}/{}/{}/{}", self.tenant_id, self.event.conversation_id, self.event.seq, slice.index)
            }
        }
    }

    pub fn to_body(&self) -> Result<String, QueueError> {
        serde_json::to_string(self).map_err(|e| QueueError(e.to_string()))
    }

    pub fn from_body(body: &str) -> Result<Self, QueueError> {
        serde_json::from_str(body).map_err(|e| QueueError(format!("unreadable fan-out job: {e}")))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("fan-out queue: {0}")]
pub struct QueueError(pub String);

#[async_trait]
pub trait FanoutQueue: Send + Sync {
    /// Hands the job to the queue; once this returns, the consumer delivers it.
    async fn enqueue(&self, job: &FanoutJob) -> Result<(), QueueError>;
}

/// Splits a big audience into slices of about `size` connections: a power of two of them, each
/// connection in the slice its id's stable hash (FNV-1a) names, so it keeps its slice from one
/// event to the next while the number of slices stays. Empty slices are left out; `index` counts
/// from 1 (0 is the unsplit job's group).
pub fn slices(connections: Vec<ConnectionId>, size: usize) -> Vec<Slice> {
    let count = connections.len().div_ceil(size.max(1)).max(1).next_power_of_two();
    let mut buckets: Vec<Vec<ConnectionId>> = vec![Vec::new(); count];
    for connection in connections {
        let bucket = (fnv1a(connection.as_str().as_bytes()) % count as u64) as usize;
        buckets[bucket].push(connection);
    }
    buckets
        .into_iter()
        .enumerate()
        .filter(|(_, connections)| !connections.is_empty())
        .map(|(i, connections)| Slice { index: i as u32 + 1, connections })
        .collect()
}

/// FNV-1a, 64 bits: stable across processes and builds (std's hasher is not promised to be).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<ConnectionId> {
        (0..n).map(|i| ConnectionId::parse(&format!("conn{i:05}")).expect("id")).collect()
    }

    #[test]
    fn a_big_audience_splits_into_slices_that_cover_it_once() {
        let all = ids(10_000);
        let parts = slices(all.clone(), 1_000);
        assert_eq!(parts.len(), 16, "10 slices' worth, rounded up to a power of two");
        let mut seen: Vec<ConnectionId> = parts.iter().flat_map(|s| s.connections.clone()).collect();
        seen.sort();
        assert_eq!(seen, all);
        assert!(parts.iter().all(|s| s.connections.len() < 1_000), "about 625 each");
    }

    #[test]
    fn a_connection_keeps_its_slice_while_the_count_of_slices_stays() {
        let before = slices(ids(9_000), 1_000);
        let after = slices(ids(9_500), 1_000);
        let slice_of =
            |parts: &[Slice], id: &ConnectionId| parts.iter().find(|s| s.connections.contains(id)).map(|s| s.index);
        for id in ids(9_000).iter().step_by(97) {
            assert_eq!(slice_of(&before, id), slice_of(&after, id));
        }
    }

    #[test]
    fn an_audience_within_one_slice_is_not_split() {
        let parts = slices(ids(800), 1_000);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].connections.len(), 800);
    }
}
