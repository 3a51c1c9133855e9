//! History and catch-up: pages of messages by id, and every change after a seq, in seq order.

use std::collections::HashSet;

use super::{page_limit, Chat, MAX_PAGE};
use crate::domain::caller::Caller;
use crate::domain::error::{ChatError, ChatResult, InvalidInput};
use crate::domain::ids::{ConversationId, MessageId};
use crate::domain::{
    Change, Changes, Event, EventType, MemberChange, MessagePage, MessageState, ReactionChange, RemovedMessage,
};
use crate::persistence::change_log::Logged;
use crate::persistence::messages::HistoryFrom;

pub const MAX_CHANGES_PAGE: usize = 500;

#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    pub before: Option<MessageId>,
    pub after: Option<MessageId>,
    pub limit: Option<usize>,
}

impl Chat {
    /// A page of history in chronological order. Without cursors: the newest page. `before`
    /// pages back (the next cursor is the oldest id returned); `after` pages forward.
    pub async fn history(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        q: HistoryQuery,
    ) -> ChatResult<MessagePage> {
        self.require_member(caller, conversation).await?;
        let from = match (&q.before, &q.after) {
            (Some(_), Some(_)) => return Err(InvalidInput::new("before", "cannot be combined with after").into()),
            (Some(before), None) => HistoryFrom::Before(before),
            (None, Some(after)) => HistoryFrom::After(after),
            (None, None) => HistoryFrom::Newest,
        };
        let limit = page_limit(q.limit, MAX_PAGE)?;
        let (items, more) = self.tables.history(&caller.tenant, conversation, from, limit).await?;
        let next_cursor = match from {
            _ if !more => None,
            HistoryFrom::After(_) => items.last().map(|m| m.id.to_string()),
            HistoryFrom::Before(_) | HistoryFrom::Newest => items.first().map(|m| m.id.to_string()),
        };
        Ok(MessagePage { items, next_cursor })
    }

    /// Catch-up: every change after `after_seq`, edits, deletes and membership changes included,
    /// in seq order. Message changes carry the message as it is now.
    pub async fn changes(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        after_seq: u64,
        limit: Option<usize>,
    ) -> ChatResult<Changes> {
        let t = &caller.tenant;
        self.require_member(caller, conversation).await?;
        let limit = page_limit(limit, MAX_CHANGES_PAGE)?;
        // Read the sequence first: every change at or below it has committed (they commit
        // together), so reporting it as held never skips one.
        let meta = self.tables.meta(t, conversation, true).await?.ok_or(ChatError::NotFound("conversation"))?;
        let (logged, more) = self.tables.changes_after(t, conversation, after_seq, limit).await?;
        let seqs: Vec<u64> = logged.iter().map(|l| l.seq).collect();
        match catch_up(after_seq, &seqs, more, meta.last_seq) {
            CatchUp::Resync => {
                Ok(Changes { items: Vec::new(), last_seq: meta.last_seq, has_more: false, resync: true })
            }
            CatchUp::Changes { last_seq } => {
                let ids: Vec<(MessageId, Option<MessageId>)> = logged
                    .iter()
                    .filter_map(|l| Some((l.change.message_id?, l.change.thread_root_id)))
                    .collect::<HashSet<_>>()
                    .into_iter()
                    .collect();
                let messages = self.tables.messages(t, conversation, &ids).await?;
                let items =
                    logged.into_iter().map(|l| replay(conversation, l, &messages)).collect::<ChatResult<_>>()?;
                Ok(Changes { items, last_seq, has_more: more, resync: false })
            }
        }
    }
}

/// What a page of the change log lets a client do.
#[derive(Debug, PartialEq)]
enum CatchUp {
    /// Apply the changes; then it holds everything up to `last_seq`.
    Changes { last_seq: u64 },
    /// Records expired (`CHANGE_LOG_SECS`): what the client holds cannot be brought up to date
    /// change by change; reload the conversation.
    Resync,
}

/// Every change takes the next seq, so the page's `seqs` after `after_seq` must follow on without
/// a hole, and, as the last page, reach the conversation's `last_seq`.
fn catch_up(after_seq: u64, seqs: &[u64], more: bool, last_seq: u64) -> CatchUp {
    let mut expected = after_seq + 1;
    for &seq in seqs {
        if seq != expected {
            return CatchUp::Resync;
        }
        expected = seq + 1;
    }
    if !more && after_seq < last_seq && expected <= last_seq {
        return CatchUp::Resync;
    }
    let last_returned = seqs.last().copied().unwrap_or(after_seq);
    CatchUp::Changes { last_seq: if more { last_returned } else { last_returned.max(last_seq) } }
}

/// A logged change as the event a client applies, with the message as it is now (or removed).
fn replay(
    conversation: &ConversationId,
    logged: Logged,
    messages: &std::collections::HashMap<MessageId, crate::domain::Message>,
) -> ChatResult<Event> {
    let Logged { seq, change } = logged;
    let reaction = |change: crate::persistence::change_log::LoggedChange| match (
        change.message_id,
        change.emoji,
        change.user_id,
    ) {
        (Some(message_id), Some(emoji), Some(user_id)) => Ok(ReactionChange { message_id, emoji, user_id }),
        _ => Err(ChatError::corrupt("reaction change without message, emoji or user")),
    };
    let member = |user: Option<crate::domain::ids::UserId>| {
        user.map(|user_id| MemberChange { user_id }).ok_or_else(|| ChatError::corrupt("member change without user"))
    };
    let message = |id: Option<MessageId>| {
        let id = id.ok_or_else(|| ChatError::corrupt("message change without message"))?;
        Ok::<_, ChatError>(match messages.get(&id) {
            Some(message) => MessageState::Current(Box::new(message.clone())),
            // Removed by retention since: the client drops it.
            None => MessageState::Removed(RemovedMessage::new(id, conversation.clone())),
        })
    };
    // Exhaustive on purpose: a new kind of change must say how catch-up replays it.
    let change = match change.kind {
        EventType::NewMessage => Change::NewMessage(message(change.message_id)?),
        EventType::MessageUpdated => Change::MessageUpdated(message(change.message_id)?),
        EventType::MessageDeleted => Change::MessageDeleted(message(change.message_id)?),
        EventType::MemberAdded => Change::MemberAdded(member(change.user_id)?),
        EventType::MemberRemoved => Change::MemberRemoved(member(change.user_id)?),
        // As it happened, not as it is now: an add later taken back replays as the add then the
        // remove, so a client applying them in order (idempotently) ends where the server is.
        // A reaction on a message removed since still replays; the client holds no such message.
        EventType::ReactionAdded => Change::ReactionAdded(reaction(change)?),
        EventType::ReactionRemoved => Change::ReactionRemoved(reaction(change)?),
        EventType::ConversationUpdated => Change::ConversationUpdated(
            change.conversation_update().ok_or_else(|| ChatError::corrupt("conversation change without its state"))?,
        ),
        // Read positions are not changes of the conversation: never logged.
        EventType::ConversationRead => return Err(ChatError::corrupt("a read position in the change log")),
        EventType::NotificationLevel => return Err(ChatError::corrupt("a notification level in the change log")),
    };
    Ok(Event::new(conversation.clone(), seq, change))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguous_changes_bring_the_client_to_the_conversations_seq() {
        assert_eq!(catch_up(3, &[4, 5, 6], false, 6), CatchUp::Changes { last_seq: 6 });
        // Nothing new.
        assert_eq!(catch_up(6, &[], false, 6), CatchUp::Changes { last_seq: 6 });
        // More pages follow: hold only what was returned.
        assert_eq!(catch_up(3, &[4, 5], true, 9), CatchUp::Changes { last_seq: 5 });
    }

    #[test]
    fn a_hole_in_the_log_or_a_short_last_page_means_records_expired() {
        assert_eq!(catch_up(3, &[4, 6], false, 6), CatchUp::Resync);
        assert_eq!(catch_up(3, &[5, 6], false, 6), CatchUp::Resync);
        // Every record after 3 expired.
        assert_eq!(catch_up(3, &[], false, 6), CatchUp::Resync);
    }
}
