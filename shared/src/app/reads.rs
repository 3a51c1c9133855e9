//! Read positions: how far a member has read, which unread and mention counts follow.

use super::Chat;
use crate::domain::caller::Caller;
use crate::domain::error::{ChatResult, InvalidInput};
use crate::domain::ids::{ConversationId, MessageId};
use crate::domain::{Change, Event, ReadPosition};
use crate::persistence::messages::StoredMessage;

impl Chat {
    /// Moves the caller's read position forward to `message` (never back) and tells the
    /// caller's other connections.
    pub async fn mark_read(&self, caller: &Caller, conversation: &ConversationId, id: &MessageId) -> ChatResult<()> {
        let t = &caller.tenant;
        let (_, StoredMessage { message, ordinal, .. }) = self.member_and_message(caller, conversation, id).await?;
        if ordinal == 0 && message.is_reply() {
            // Not a position in the conversation's main list (it would read nothing, or unread all).
            return Err(InvalidInput::new("messageId", "is a thread reply: mark its thread read instead").into());
        }
        self.spend(caller, "read", "all", self.limits.reads, None).await?;
        // Already read further (another tab got there first): forward only, nothing to tell.
        if self.tables.advance_read_position(t, &caller.user, conversation, message.seq, ordinal).await? {
            self.clear_mentions_through(t, &caller.user, conversation, ordinal).await;
            let read = ReadPosition { user_id: caller.user.clone(), seq: message.seq };
            self.publish(t, Event::new(conversation.clone(), message.seq, Change::ConversationRead(read))).await;
        }
        Ok(())
    }
}
