//! The local stand-in for the fan-out queue and the slice queue (SQS FIFO) and the fan-out
//! function (one instance of this for each queue): jobs go to one of a few lanes by message
//! group (a conversation, or a conversation's slice), and each lane's worker delivers its
//! jobs one after another, so a conversation's events arrive in seq order while other
//! conversations proceed. A job that fails is retried a few times, then dropped with an error
//! log: in AWS it would move to the dead-letter queue; either way the clients recover by seq.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use shared::ports::queue::{FanoutJob, FanoutQueue, QueueError};
use shared::realtime::Realtime;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Conversations fanned out at the same time.
pub const LANES: usize = 4;
/// Jobs waiting per lane before the queue refuses (the sender then pushes inline).
const LANE_CAPACITY: usize = 10_000;
/// Deliveries of one job before it is given up (template.yaml's `maxReceiveCount`).
const ATTEMPTS: u32 = 3;

#[derive(Clone)]
pub struct LocalFanoutQueue {
    lanes: Vec<mpsc::Sender<FanoutJob>>,
}

/// The receiving ends, for `spawn_workers`.
pub struct Lanes(Vec<mpsc::Receiver<FanoutJob>>);

impl LocalFanoutQueue {
    pub fn new() -> (Self, Lanes) {
        let (senders, receivers) = (0..LANES).map(|_| mpsc::channel(LANE_CAPACITY)).unzip();
        (Self { lanes: senders }, Lanes(receivers))
    }
}

/// The lane of a message group: the same group always lands in the same lane.
fn lane_of(group: &str, lanes: usize) -> usize {
    let mut hasher = DefaultHasher::new();
    group.hash(&mut hasher);
    (hasher.finish() % lanes as u64) as usize
}

#[async_trait]
impl FanoutQueue for LocalFanoutQueue {
    async fn enqueue(&self, job: &FanoutJob) -> Result<(), QueueError> {
        let lane = &self.lanes[lane_of(&job.group_id(), self.lanes.len())];
        lane.try_send(job.clone()).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => QueueError("local fan-out lane full".into()),
            mpsc::error::TrySendError::Closed(_) => QueueError("local fan-out worker stopped".into()),
        })
    }
}

/// One worker per lane, delivering through `realtime` (which holds the queue's sending ends).
pub fn spawn_workers(lanes: Lanes, realtime: Arc<Realtime>) -> Vec<JoinHandle<()>> {
    lanes.0.into_iter().map(|rx| tokio::spawn(work(rx, realtime.clone()))).collect()
}

async fn work(mut jobs: mpsc::Receiver<FanoutJob>, realtime: Arc<Realtime>) {
    while let Some(job) = jobs.recv().await {
        for attempt in 1..=ATTEMPTS {
            match realtime.deliver(&job).await {
                Ok(_) => break,
                Err(e) if attempt < ATTEMPTS => {
                    tracing::warn!(group = %job.group_id(), seq = job.event.seq, attempt, error = %e, "fan-out failed; retrying");
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                }
                Err(e) => {
                    tracing::error!(group = %job.group_id(), seq = job.event.seq, error = %e, "fan-out given up");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_always_takes_the_same_lane_and_groups_spread() {
        let groups: Vec<String> = (0..64).map(|i| format!("acme/C{i:026}")).collect();
        let lanes: Vec<usize> = groups.iter().map(|g| lane_of(g, LANES)).collect();
        assert_eq!(lanes, groups.iter().map(|g| lane_of(g, LANES)).collect::<Vec<_>>());
        for lane in 0..LANES {
            assert!(lanes.contains(&lane), "lane {lane} unused");
        }
    }
}
