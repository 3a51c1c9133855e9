//! Direct messages between people of one tenant: two, or a group DM of three to eight.

use super::channels::join_ops;
use super::Chat;
use crate::domain::caller::Caller;
use crate::domain::dm::DmPeople;
use crate::domain::error::{ChatError, ChatResult};
use crate::domain::ids::UserId;
use crate::domain::{Change, ConversationKind, ConversationMeta, ConversationSummary, EventType, MemberRole};
use crate::persistence::change_log::LoggedChange;
use crate::persistence::conversations as stored;
use crate::persistence::transaction::{OpRole, Transaction, TransactionError};

impl Chat {
    /// Opens the DM between the caller and `other`, creating it the first time; idempotent, and
    /// only ever between two users of the caller's tenant.
    pub async fn open_dm(&self, caller: &Caller, other: &UserId) -> ChatResult<ConversationSummary> {
        self.open_dm_with(caller, &DmPeople::new(&caller.user, [other.clone()], "userId")?).await
    }

    /// Opens the DM of `people` (the caller among them), creating it the first time. The set is
    /// the DM: the same people in any order, whoever of them opens it, land on one conversation,
    /// also when several open it at once. Everyone must be a user of the caller's tenant.
    pub async fn open_dm_with(&self, caller: &Caller, people: &DmPeople) -> ChatResult<ConversationSummary> {
        let t = &caller.tenant;
        let id = people.conversation_id(t);
        if self.tables.member(t, &id, &caller.user).await?.is_some() {
            return self.summary(caller, &id).await;
        }
        let others: Vec<UserId> = people.all().iter().filter(|u| **u != caller.user).cloned().collect();
        // Profiles are per tenant: another tenant's user id is no one here, and nothing is made.
        let profiles = self.tables.profiles(t, &others).await?;
        if others.iter().any(|u| !profiles.contains_key(u)) {
            return Err(ChatError::NotFound("user"));
        }
        self.spend(caller, "dm", "all", self.limits.dms, None).await?;
        let now = self.now();
        // Each person joining is one of the DM's first changes (the opener at seq 1, the others
        // after, in user-id order), so everyone is told live like any member added: the others'
        // clients show and subscribe to the DM before its first message, and catch-up replays it.
        let joined: Vec<&UserId> = std::iter::once(&caller.user).chain(&others).collect();
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
            dm_users: people.all().to_vec(),
            deleted_ordinals: Vec::new(),
            archived: false,
        };
        let mut tx = Transaction::default();
        // The conversation's own item is the DM's claim: created once, by whoever opens it first.
        tx.push(OpRole::Record, stored::create_meta(t, &meta)?);
        tx.push(OpRole::Record, stored::list_dm(t, &id)?);
        for user in people.all() {
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
            // Opened concurrently by another of its people: it exists now, and they told everyone.
            Err(TransactionError::Refused(_)) => {}
            Err(e) => return Err(e.into()),
        }
        self.summary(caller, &id).await
    }
}
