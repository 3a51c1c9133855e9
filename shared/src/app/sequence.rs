//! The sequence engine: every change to a conversation takes its next sequence number, in one
//! transaction with the change's record in the catch-up log and the change's own writes. The
//! sequence update is conditional on the value read, so changes commit in seq order and seqs have
//! no holes; losing the race to a concurrent change means reading again and retrying.

use std::time::Duration;

use super::Chat;
use crate::domain::error::{ChatError, ChatResult};
use crate::domain::ids::{ConversationId, TenantId};
use crate::domain::ConversationMeta;
use crate::persistence::change_log::{self, LoggedChange};
use crate::persistence::conversations::take_sequence;
use crate::persistence::transaction::{OpRole, Transaction, TransactionError};
use crate::ports::store::Update;

/// How often a change is retried when another change to the same conversation won the race for
/// its sequence number.
const MAX_COMMIT_ATTEMPTS: u32 = 12;
/// Per-process turns for commits, by a hash of the conversation.
const COMMIT_STRIPES: usize = 64;

/// Changes to one conversation from this process take turns: they would only race for the same
/// seq and retry. Across processes the conditional write keeps them correct.
pub(super) struct CommitTurns(Vec<tokio::sync::Mutex<()>>);

impl Default for CommitTurns {
    fn default() -> Self {
        Self((0..COMMIT_STRIPES).map(|_| tokio::sync::Mutex::new(())).collect())
    }
}

impl CommitTurns {
    fn stripe(c: &ConversationId) -> usize {
        c.as_str().bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(usize::from(b))) % COMMIT_STRIPES
    }
}

/// What a change writes besides its change record and the conversation's sequence.
pub(super) struct ChangePlan {
    pub ops: Transaction,
    /// Other changes to the conversation item (counters), made with the sequence.
    pub meta_update: Update,
    pub change: LoggedChange,
    /// The change may commit to an archived conversation (unarchiving it, a member leaving,
    /// retention); any other is refused there, checked against the sequence it takes, so a
    /// message racing the archive either lands before it or is refused.
    pub even_when_archived: bool,
}

impl ChangePlan {
    pub fn new(ops: Transaction, change: LoggedChange) -> Self {
        Self { ops, meta_update: Update::default(), change, even_when_archived: false }
    }

    pub fn even_when_archived(mut self) -> Self {
        self.even_when_archived = true;
        self
    }

    pub fn updating_meta(mut self, update: Update) -> Self {
        self.meta_update = update;
        self
    }
}

pub(super) enum CommitOutcome {
    /// Committed as change `seq`.
    Done { seq: u64 },
    /// The conditions of the plan's own operations with these roles failed.
    Refused(Vec<OpRole>),
}

impl Chat {
    /// Commits the change `plan` makes of the conversation as it is (re-planned on every
    /// attempt, with the seq it would take).
    pub(super) async fn commit_change<F>(&self, t: &TenantId, c: &ConversationId, plan: F) -> ChatResult<CommitOutcome>
    where
        F: FnMut(&ConversationMeta, u64) -> ChatResult<ChangePlan>,
    {
        let _turn = self.commit_turn(c).await;
        self.commit_in_turn(t, c, plan).await
    }

    /// `commit_change` for a change planned on another item too: `read` reads it on every
    /// attempt, in this process's turn and after the sequence was read, so a change to it
    /// committed meanwhile (which took a seq) is seen, not raced. (Across processes the plan's
    /// own conditions still guard it.)
    pub(super) async fn commit_change_reading<R, G, Fut, F>(
        &self,
        t: &TenantId,
        c: &ConversationId,
        read: G,
        plan: F,
    ) -> ChatResult<CommitOutcome>
    where
        G: Fn() -> Fut,
        Fut: std::future::Future<Output = ChatResult<R>>,
        F: FnMut(&ConversationMeta, u64, &R) -> ChatResult<ChangePlan>,
    {
        let _turn = self.commit_turn(c).await;
        self.commit_in_turn_reading(t, c, read, plan).await
    }

    /// This process's turn to commit changes to `c`: held by `commit_change`, or by a use case
    /// that must read what it changes in the same turn (then it calls `commit_in_turn`).
    pub(super) async fn commit_turn(&self, c: &ConversationId) -> tokio::sync::MutexGuard<'_, ()> {
        self.commit_turns.0[CommitTurns::stripe(c)].lock().await
    }

    /// `commit_change` for a caller that holds the conversation's turn (`commit_turn`).
    pub(super) async fn commit_in_turn<F>(
        &self,
        t: &TenantId,
        c: &ConversationId,
        mut plan: F,
    ) -> ChatResult<CommitOutcome>
    where
        F: FnMut(&ConversationMeta, u64) -> ChatResult<ChangePlan>,
    {
        self.commit_in_turn_reading(t, c, || std::future::ready(Ok(())), |meta, seq, _| plan(meta, seq)).await
    }

    async fn commit_in_turn_reading<R, G, Fut, F>(
        &self,
        t: &TenantId,
        c: &ConversationId,
        read: G,
        mut plan: F,
    ) -> ChatResult<CommitOutcome>
    where
        G: Fn() -> Fut,
        Fut: std::future::Future<Output = ChatResult<R>>,
        F: FnMut(&ConversationMeta, u64, &R) -> ChatResult<ChangePlan>,
    {
        for attempt in 0..MAX_COMMIT_ATTEMPTS {
            let meta = self.tables.meta(t, c, true).await?.ok_or(ChatError::NotFound("conversation"))?;
            let seq = meta.last_seq + 1;
            let other = read().await?;
            let ChangePlan { mut ops, meta_update, change, even_when_archived } = plan(&meta, seq, &other)?;
            if meta.archived && !even_when_archived {
                return Err(ChatError::archived());
            }
            ops.push(OpRole::Sequence, change_log::record(t, c, seq, &change, self.clock.now_ms())?);
            ops.push(OpRole::Sequence, take_sequence(t, c, meta.last_seq, seq, meta_update));
            match self.tables.commit(ops).await {
                Ok(()) => return Ok(CommitOutcome::Done { seq }),
                Err(TransactionError::Refused(roles)) if roles.iter().any(|r| *r != OpRole::Sequence) => {
                    return Ok(CommitOutcome::Refused(roles.into_iter().filter(|r| *r != OpRole::Sequence).collect()));
                }
                // Another change took this seq first (or the store was busy): read again.
                Err(TransactionError::Refused(_)) => backoff(attempt).await,
                Err(TransactionError::Store(e)) if e.is_retryable() => {
                    tracing::debug!(conversation = %c, attempt, error = %e, "sequence contention, retrying");
                    backoff(attempt).await;
                }
                Err(TransactionError::Store(e)) => return Err(e.into()),
            }
        }
        Err(ChatError::Internal(format!("conversation {c} too contended to commit a change")))
    }

    /// The record of one of a new conversation's first changes, written with its creation.
    pub(super) fn first_change(
        &self,
        t: &TenantId,
        c: &ConversationId,
        seq: u64,
        change: &LoggedChange,
    ) -> ChatResult<crate::ports::store::WriteOp> {
        change_log::record(t, c, seq, change, self.clock.now_ms())
    }
}

/// Jittered exponential backoff: from 2–7 ms, doubling to 160–480 ms (the range: half a base to
/// one and a half).
fn backoff_range(attempt: u32) -> (u64, u64) {
    let base = 5u64 << attempt.min(6);
    (base / 2, base / 2 + base)
}

pub(super) async fn backoff(attempt: u32) {
    let (low, high) = backoff_range(attempt);
    let jitter = rand::random::<u64>() % (high - low).max(1);
    tokio::time::sleep(Duration::from_millis(low + jitter)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stops_growing() {
        assert_eq!(backoff_range(0), (2, 7));
        assert_eq!(backoff_range(1), (5, 15));
        assert_eq!(backoff_range(6), backoff_range(11));
    }

    #[test]
    fn one_conversation_always_takes_the_same_turn() {
        let c = ConversationId::new_channel();
        assert_eq!(CommitTurns::stripe(&c), CommitTurns::stripe(&c.clone()));
        assert!(CommitTurns::stripe(&c) < COMMIT_STRIPES);
    }
}
