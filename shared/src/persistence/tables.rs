//! `Tables`: the typed reads and writes of the chat's items over the `Store` port. Reads return
//! domain types; writes are built as `WriteOp`s the use cases put into one transaction. The
//! impl blocks live beside each item's module (conversations, messages, profiles, mentions, the
//! change log).

use std::sync::Arc;

use super::transaction::{Transaction, TransactionError};
use crate::domain::error::ChatResult;
use crate::ports::store::{Cond, Item, Key, Store, WriteOp};

#[derive(Clone)]
pub struct Tables {
    store: Arc<dyn Store>,
}

impl Tables {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub(super) fn db(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Commits a transaction whose ops carry roles: a refusal names the roles that failed.
    pub async fn commit(&self, tx: Transaction) -> Result<(), TransactionError> {
        tx.commit(self.db()).await
    }

    /// Independent writes without conditions (none depends on another).
    pub async fn write_all(&self, ops: Vec<WriteOp>) -> ChatResult<()> {
        Ok(self.db().batch_write(ops).await?)
    }
}

/// Creates an item that must not exist yet.
pub(super) fn put_new(key: Key, attrs: crate::ports::store::Attrs) -> WriteOp {
    WriteOp::Put { item: Item::new(key, attrs), cond: Cond::NotExists }
}

/// Writes an item whatever was there.
pub(super) fn put(key: Key, attrs: crate::ports::store::Attrs) -> WriteOp {
    WriteOp::Put { item: Item::new(key, attrs), cond: Cond::Always }
}
