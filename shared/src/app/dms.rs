//! Direct messages between two people of one tenant.

use super::channels::join_ops;
use super::Chat;
use crate::domain::caller::Caller;
use crate::domain::error::{ChatError, ChatResult, InvalidInput};
use crate::domain::ids::{ConversationId, UserId};
use crate::domain::{Change, ConversationKind, ConversationMeta, ConversationSummary, EventType, MemberRole};
use crate::persistence::change_log::LoggedChange;
use crate::persistence::conversations as stored;
use crate::persistence::transaction::{OpRole, Transaction, TransactionError};

impl Chat {
    /// Opens the DM between the caller and `other`, creating it the first time; idempotent, and
    /// only ever between two users of the caller's tenant.
    pub async fn open_dm(&self, caller: &Caller, other: &UserId) -> ChatResult<ConversationSummary> {
        let t = &caller.tenant;
        if other == &caller.user {
            return Err(InvalidInput::new("userId", "must be someone else").into());
        }
        let id = ConversationId::for_dm(t, &caller.user, other);
        if self.tables.member(t, &id, &caller.user).await?.is_some() {
            return self.summary(caller, &id).await;
        }
        if self.profile(t, other).await?.is_none() {
            return Err(ChatError::NotFound("user"));
        }
        self.spend(caller, "dm", "all", self.limits.dms, None).await?;
        let now = self.now();
        let mut users = vec![caller.user.clone(), other.clone()];
        users.sort();
        // Each person joining is one of the DM's first changes (the opener at seq 1, the other
        // at seq 2), so both are told live like any member added: the other person's client
        // shows and subscribes to the DM before its first message, and catch-up replays it.
        let joined = [caller.user.clone(), other.clone()];
        let meta = ConversationMeta {
            id: id.clone(),
            kind: ConversationKind::Dm,
            name: None,
            topic: None,
            created_by: caller.user.clone(),
            created_at: now.clone(),
            last_seq: joined.len() as u64,
            message_count: 0,
            last_message_at: None,
            dm_users: users.clone(),
            deleted_ordinals: Vec::new(),
            archived: false,
        };
        let mut tx = Transaction::default();
        // The conversation's own item is the DM's claim: created once, by whoever opens it first.
        tx.push(OpRole::Record, stored::create_meta(t, &meta)?);
        tx.push(OpRole::Record, stored::list_dm(t, &id)?);
        for user in &users {
            tx.extend(OpRole::Member, join_ops(t, &id, ConversationKind::Dm, user, MemberRole::Member, &now, None)?);
        }
        for (seq, user) in (1u64..).zip(&joined) {
            tx.push(
                OpRole::Sequence,
                self.first_change(t, &id, seq, &LoggedChange::member(EventType::MemberAdded, user))?,
            );
        }
        match self.tables.commit(tx).await {
            Ok(()) => {
                for (seq, user) in (1u64..).zip(&joined) {
                    self.publish_member(t, &id, Change::MemberAdded, seq, user).await;
                }
            }
            // Opened concurrently by the other person: it exists now, and they told everyone.
            Err(TransactionError::Refused(_)) => {}
            Err(e) => return Err(e.into()),
        }
        self.summary(caller, &id).await
    }
}
