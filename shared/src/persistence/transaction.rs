//! Transactions whose operations say what they stand for. The store reports a refusal by the
//! positions of the failed conditions; a [`Transaction`] turns those into [`OpRole`]s, so which
//! error a client gets never depends on the order the writes were pushed in.

use crate::domain::error::ChatError;
use crate::ports::store::{Attrs, Key, Store, StoreError, WriteOp};

/// What an operation of a transaction stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpRole {
    /// A client message id's unique guard: the same send again.
    ClientIdGuard,
    /// The message a change is about (exists, unchanged since it was read).
    Message,
    /// A thread root whose summary a reply updates (exists, thread unchanged since it was read).
    ThreadRoot,
    /// The acting user's own member and membership items: they are still in.
    CallerMembership,
    /// The member a change adds or removes.
    Member,
    /// A mentioned member's badge and mention item.
    Mention,
    /// An upload becoming an attachment.
    Upload,
    /// The unique claim of a handle.
    HandleClaim,
    /// A user's profile item (created once).
    Profile,
    /// The unique claim of a public channel's name.
    NameClaim,
    /// A new conversation's own items, and bookkeeping whose writes are unconditional.
    Record,
    /// The conversation's sequence and its change record: a failure is contention, retried.
    Sequence,
}

#[derive(Debug, Default)]
pub struct Transaction {
    ops: Vec<WriteOp>,
    roles: Vec<OpRole>,
}

#[derive(Debug)]
pub enum TransactionError {
    Refused(Refusal),
    Store(StoreError),
}

/// The operations whose conditions failed: their roles (each once), and their items as they are
/// now, so a caller that lost a race plans its retry without reading them again.
#[derive(Debug, Default)]
pub struct Refusal {
    pub roles: Vec<OpRole>,
    current: Vec<(OpRole, Key, Option<Attrs>)>,
}

impl Refusal {
    /// The item `key` as the refused transaction found it, if one of its operations with `role`
    /// failed on it: `Some(None)` when there is no such item, `None` when nothing was refused there.
    pub(super) fn current(&self, role: OpRole, key: &Key) -> Option<Option<&Attrs>> {
        self.current.iter().find(|(r, k, _)| *r == role && k == key).map(|(_, _, item)| item.as_ref())
    }
}

impl TransactionError {
    pub fn refused(&self, role: OpRole) -> bool {
        matches!(self, TransactionError::Refused(refusal) if refusal.roles.contains(&role))
    }
}

impl From<TransactionError> for ChatError {
    fn from(e: TransactionError) -> Self {
        match e {
            TransactionError::Refused(refusal) => {
                ChatError::Internal(format!("unexpected refusal of {:?}", refusal.roles))
            }
            TransactionError::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for TransactionError {
    fn from(e: StoreError) -> Self {
        TransactionError::Store(e)
    }
}

impl Transaction {
    pub fn push(&mut self, role: OpRole, op: WriteOp) {
        self.ops.push(op);
        self.roles.push(role);
    }

    pub fn extend(&mut self, role: OpRole, ops: impl IntoIterator<Item = WriteOp>) {
        for op in ops {
            self.push(role, op);
        }
    }

    pub fn with(mut self, role: OpRole, ops: impl IntoIterator<Item = WriteOp>) -> Self {
        self.extend(role, ops);
        self
    }

    /// Commits every operation or none. A cancellation for contention (no condition failed) is
    /// a store error the caller may retry; failed conditions come back as their roles.
    pub async fn commit(self, store: &dyn Store) -> Result<(), TransactionError> {
        let keys: Vec<Key> = self.ops.iter().map(|op| op.key().clone()).collect();
        match store.transact(self.ops).await {
            Ok(()) => Ok(()),
            Err(StoreError::TransactionCanceled { failed }) if !failed.is_empty() => {
                let mut refusal = Refusal::default();
                for f in failed {
                    let (Some(&role), Some(key)) = (self.roles.get(f.op), keys.get(f.op)) else { continue };
                    if !refusal.roles.contains(&role) {
                        refusal.roles.push(role);
                    }
                    refusal.current.push((role, key.clone(), f.current));
                }
                Err(TransactionError::Refused(refusal))
            }
            Err(e) => Err(TransactionError::Store(e)),
        }
    }

    /// The operations alone, for a write that need not be atomic (`batch_write`).
    pub fn into_ops(self) -> Vec<WriteOp> {
        self.ops
    }
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::adapters::embedded::sqlite::SqliteStore;
    use crate::ports::clock::ManualClock;
    use crate::ports::store::{Cond, Item, Key};

    fn put(sk: &str, cond: Cond) -> WriteOp {
        WriteOp::Put { item: Item::new(Key::new("p", sk), Default::default()), cond }
    }

    #[tokio::test]
    async fn a_refusal_names_the_roles_that_failed_whatever_their_order() {
        let store = SqliteStore::in_memory(Arc::new(ManualClock::new(0))).expect("store");
        store.put(Item::new(Key::new("p", "taken"), Default::default()), Cond::Always).await.expect("seed");
        for guard_first in [true, false] {
            let mut tx = Transaction::default();
            let guard = put("taken", Cond::NotExists);
            let record = put("fresh", Cond::NotExists);
            if guard_first {
                tx.push(OpRole::ClientIdGuard, guard);
                tx.push(OpRole::Record, record);
            } else {
                tx.push(OpRole::Record, record);
                tx.push(OpRole::ClientIdGuard, guard);
            }
            let refused = tx.commit(&store).await.expect_err("the guard is taken");
            assert!(refused.refused(OpRole::ClientIdGuard), "{refused:?}");
            assert!(!refused.refused(OpRole::Record), "{refused:?}");
        }
        let tx = Transaction::default().with(OpRole::Record, [put("fresh", Cond::NotExists)]);
        tx.commit(&store).await.expect("nothing refused");
    }
}
