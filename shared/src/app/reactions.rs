//! Reactions: a member adds or takes back an emoji on a message. Each change takes the
//! conversation's next seq (so live events, catch-up and gap detection carry it) and rewrites the
//! summary on the message item in the same transaction, conditional on the summary's version: two
//! members reacting at once both count, and the 50-emoji limit holds under races. Reactions never
//! touch read positions, unread counts or mentions.

use super::sequence::{backoff, ChangePlan, CommitOutcome};
use super::Chat;
use crate::domain::caller::Caller;
use crate::domain::error::{ChatError, ChatResult};
use crate::domain::ids::{ConversationId, MessageId};
use crate::domain::reaction::{with_reaction, without_reaction, ReactionLimit};
use crate::domain::{Change, Emoji, Event, EventType, Reaction, ReactionChange};
use crate::persistence::change_log::LoggedChange;
use crate::persistence::conversations::check_member;
use crate::persistence::messages::{set_reactions, Reactable};
use crate::persistence::transaction::{OpRole, Transaction};

/// How often a reaction is re-planned when another reaction to the same message won the race.
const REACTION_RACE_ATTEMPTS: usize = 8;

impl Chat {
    /// Adds (`add`) or removes the caller's `emoji` on a message and returns the message's
    /// reactions after it. Adding one already held, or removing one not held, writes and
    /// publishes nothing (and spends no rate limit).
    pub async fn react(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        id: &MessageId,
        emoji: &Emoji,
        add: bool,
    ) -> ChatResult<Vec<Reaction>> {
        let kind = if add { EventType::ReactionAdded } else { EventType::ReactionRemoved };
        let mut spent = false;
        for attempt in 0..REACTION_RACE_ATTEMPTS {
            // Read in this process's turn for the conversation: reactions from this process to
            // the same message then never race (only those from other processes, retried below).
            let committed = {
                let _turn = self.commit_turn(conversation).await;
                let Reactable { message, version } = self.member_and_reactable(caller, conversation, id).await?;
                if message.deleted_at.is_some() {
                    return Err(ChatError::conflict("message_deleted", "a deleted message takes no reactions"));
                }
                let next = match add {
                    true => with_reaction(&message.reactions, emoji, &caller.user).map_err(limit_error)?,
                    false => without_reaction(&message.reactions, emoji, &caller.user),
                };
                let Some(next) = next else { return Ok(message.reactions) };
                if !spent {
                    self.spend(caller, "react", "all", self.limits.reactions, Some(conversation)).await?;
                    spent = true;
                }
                let t = &caller.tenant;
                let outcome = self
                    .commit_in_turn(t, conversation, |_, seq| {
                        let mut ops = Transaction::default();
                        ops.extend(OpRole::Message, set_reactions(t, &message, &next, version, seq)?);
                        // Proves the caller is still a member when the reaction commits.
                        ops.push(OpRole::CallerMembership, check_member(t, conversation, &caller.user));
                        Ok(ChangePlan::new(ops, LoggedChange::reaction(kind, &message, &caller.user, emoji)))
                    })
                    .await?;
                match outcome {
                    CommitOutcome::Done { seq } => Some((seq, next)),
                    CommitOutcome::Refused(failed) if failed.contains(&OpRole::CallerMembership) => {
                        return Err(ChatError::NotFound("conversation"));
                    }
                    // Another process changed the summary (or deleted the message) since the read.
                    CommitOutcome::Refused(_) => None,
                }
            };
            match committed {
                Some((seq, next)) => {
                    let change = ReactionChange { message_id: *id, emoji: emoji.clone(), user_id: caller.user.clone() };
                    let change = if add { Change::ReactionAdded(change) } else { Change::ReactionRemoved(change) };
                    self.publish(&caller.tenant, Event::new(conversation.clone(), seq, change)).await;
                    return Ok(next);
                }
                None => backoff(attempt as u32).await,
            }
        }
        Err(ChatError::Unavailable("the message's reactions kept changing; try again".into()))
    }

    /// The message with its reaction version, once the caller is proven a member (their member
    /// item and the message are read together).
    async fn member_and_reactable(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        id: &MessageId,
    ) -> ChatResult<Reactable> {
        let (member, message) =
            self.tables.member_and_reactable(&caller.tenant, conversation, &caller.user, id).await?;
        if member.is_none() {
            self.require_member(caller, conversation).await?;
        }
        message.ok_or(ChatError::NotFound("message"))
    }
}

fn limit_error(limit: ReactionLimit) -> ChatError {
    use crate::domain::reaction::{MAX_DISTINCT_EMOJI, MAX_REACTIONS_PER_MESSAGE};
    match limit {
        ReactionLimit::DistinctEmoji => ChatError::conflict(
            "too_many_reactions",
            format!("a message carries at most {MAX_DISTINCT_EMOJI} different emoji"),
        ),
        ReactionLimit::Total => ChatError::conflict(
            "too_many_reactions",
            format!("a message carries at most {MAX_REACTIONS_PER_MESSAGE} reactions"),
        ),
    }
}
