//! Mention bookkeeping. A member's mention badge is a counter on their membership, kept exact by
//! one mention item per unread message that mentions them: sends and edits add them, reading,
//! edits and deletes remove them, each in the same transaction as the counter change.

use super::Chat;
use crate::domain::error::{ChatError, ChatResult, InvalidInput};
use crate::domain::ids::{ConversationId, MessageId, TenantId, UserId};
use crate::persistence::mentions::{count_mentions, forget, MentionScope};
use crate::persistence::transaction::{OpRole, Transaction, TransactionError};
use crate::ports::store::StoreError;

/// Mentions one message may carry (each notified member costs two writes in the send's transaction).
pub const MAX_MENTIONS: usize = 20;
/// Mention items cleared per transaction.
const CLEAR_BATCH: usize = 40;

impl Chat {
    /// Mentions as the composer sent them: deduplicated, at most `MAX_MENTIONS`, each a user of
    /// the caller's tenant (a user of another tenant is simply unknown here).
    pub(super) async fn parse_mentions(&self, t: &TenantId, raw: Vec<UserId>) -> ChatResult<Vec<UserId>> {
        let mut mentions: Vec<UserId> = Vec::new();
        for user in raw {
            if !mentions.contains(&user) {
                mentions.push(user);
            }
        }
        if mentions.len() > MAX_MENTIONS {
            return Err(InvalidInput::new("mentions", format!("at most {MAX_MENTIONS} people per message")).into());
        }
        let profiles = self.tables.profiles(t, &mentions).await?;
        if let Some(unknown) = mentions.iter().find(|u| !profiles.contains_key(*u)) {
            return Err(InvalidInput::new("mentions", format!("names no user of this workspace ({unknown})")).into());
        }
        Ok(mentions)
    }

    /// The users among `users` who are members of the conversation (other than `except`).
    pub(super) async fn members_among(
        &self,
        t: &TenantId,
        c: &ConversationId,
        users: &[UserId],
        except: Option<&UserId>,
    ) -> ChatResult<Vec<UserId>> {
        let candidates: Vec<&UserId> = users.iter().filter(|u| Some(*u) != except).collect();
        self.tables.members_among(t, c, &candidates).await
    }

    /// Members among `users` who have not read up to `ordinal` (a mention added there counts).
    pub(super) async fn unread_by(
        &self,
        t: &TenantId,
        c: &ConversationId,
        users: &[UserId],
        ordinal: u64,
    ) -> ChatResult<Vec<UserId>> {
        let memberships = self.tables.memberships_in(t, c, users).await?;
        Ok(memberships.into_iter().filter(|(_, m)| m.read_count < ordinal).map(|(u, _)| u).collect())
    }

    /// Stops counting the user's mentions at or below `ordinal` (they have read that far). Best
    /// effort after the read position moved: a failure leaves a badge too high, never too low,
    /// and the next read clears it.
    pub(super) async fn clear_mentions_through(&self, t: &TenantId, u: &UserId, c: &ConversationId, ordinal: u64) {
        if let Err(e) = self.try_clear_mentions(t, u, c, MentionScope::Through(ordinal)).await {
            tracing::warn!(conversation = %c, error = %e, "clearing read mentions failed");
        }
    }

    /// Stops counting the user's mentions in a thread's replies (they read the thread); best
    /// effort, like `clear_mentions_through`.
    pub(super) async fn clear_thread_mentions(&self, t: &TenantId, u: &UserId, c: &ConversationId, root: &MessageId) {
        if let Err(e) = self.try_clear_mentions(t, u, c, MentionScope::Thread(root)).await {
            tracing::warn!(conversation = %c, error = %e, "clearing read thread mentions failed");
        }
    }

    /// Forgets all of the user's mention items in a conversation they left (the counter went
    /// with the membership).
    pub(super) async fn drop_mentions(&self, t: &TenantId, u: &UserId, c: &ConversationId) {
        if let Err(e) = self.try_clear_mentions(t, u, c, MentionScope::All).await {
            tracing::warn!(conversation = %c, error = %e, "dropping mentions of a former member failed");
        }
    }

    async fn try_clear_mentions(
        &self,
        t: &TenantId,
        u: &UserId,
        c: &ConversationId,
        scope: MentionScope<'_>,
    ) -> ChatResult<()> {
        let forgetting = scope == MentionScope::All;
        for _ in 0..100 {
            let (keys, more) = self.tables.mentions_page(t, u, c, scope, CLEAR_BATCH).await?;
            if keys.is_empty() {
                return Ok(());
            }
            let count = keys.len() as i64;
            if forgetting {
                self.tables.write_all(forget(keys, false)).await?;
            } else {
                let mut tx = Transaction::default().with(OpRole::Mention, forget(keys, true));
                tx.push(OpRole::CallerMembership, count_mentions(t, u, c, -count));
                match self.tables.commit(tx).await {
                    Ok(()) => {}
                    // No longer a member: nothing is counted any more; forget the items.
                    Err(refused) if refused.refused(OpRole::CallerMembership) => {
                        return Box::pin(self.try_clear_mentions(t, u, c, MentionScope::All)).await;
                    }
                    // Another tab cleared some of them first: read again.
                    Err(
                        TransactionError::Refused(_) | TransactionError::Store(StoreError::TransactionCanceled { .. }),
                    ) => {}
                    Err(TransactionError::Store(e)) => return Err(e.into()),
                }
            }
            if !more && forgetting {
                return Ok(());
            }
        }
        Err(ChatError::Internal("too many mentions to clear".into()))
    }
}
