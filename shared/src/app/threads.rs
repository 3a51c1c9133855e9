//! Threads: replies to a top-level message, one level deep. A reply is sent like any message
//! (`messages::send` with `ReplyTo`): it takes the conversation's next seq, and its root's summary
//! changes in the same transaction. Here: which message a reply may go to, and reading a thread.

use super::{page_limit, Chat, MAX_PAGE};
use crate::domain::caller::Caller;
use crate::domain::error::{ChatError, ChatResult, InvalidInput};
use crate::domain::ids::{ConversationId, MessageId, TenantId};
use crate::domain::{Message, ThreadPage};

impl Chat {
    /// The root a reply goes to, as it is now: a top-level message of this conversation, not
    /// deleted unless its thread already has replies (the thread stays alive under a tombstone).
    pub(super) async fn thread_root(&self, t: &TenantId, c: &ConversationId, root: &MessageId) -> ChatResult<Message> {
        let Some(found) = self.tables.message(t, c, root).await? else {
            return Err(InvalidInput::new("threadRootId", "names no message of this conversation").into());
        };
        let root = found.message;
        if root.is_reply() {
            return Err(InvalidInput::new(
                "threadRootId",
                "is a reply: threads are one level deep, reply to its thread's root instead",
            )
            .into());
        }
        if root.deleted_at.is_some() && root.thread.is_none() {
            return Err(InvalidInput::new("threadRootId", "names a deleted message").into());
        }
        Ok(root)
    }

    /// A thread: its root and a page of replies, oldest first, after the reply `after`.
    pub async fn thread(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        root: &MessageId,
        after: Option<&MessageId>,
        limit: Option<usize>,
    ) -> ChatResult<ThreadPage> {
        let t = &caller.tenant;
        self.require_member(caller, conversation).await?;
        let limit = page_limit(limit, MAX_PAGE)?;
        let (found, (items, more)) = tokio::try_join!(
            self.tables.main_message(t, conversation, root),
            self.tables.thread(t, conversation, root, after, limit),
        )?;
        let root = match found {
            Some(found) if !found.message.is_reply() => found.message,
            _ => return Err(ChatError::NotFound("message")),
        };
        let next_cursor = if more { items.last().map(|m| m.id.to_string()) } else { None };
        // Follows come with the Threads view (next change); until then nobody follows.
        Ok(ThreadPage { root, items, next_cursor, following: false })
    }
}
