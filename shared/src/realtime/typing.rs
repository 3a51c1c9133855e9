//! Typing: a member's `typing` frame becomes `chat:typing` on the other members' subscribed
//! connections. Never stored, no seq: a signal lost is a signal that expires anyway (6 s).

use super::Realtime;
use crate::domain::error::{ChatError, ChatResult};
use crate::domain::ids::{ConnectionId, ConversationId};
use crate::domain::presence::TypingFrame;
use crate::persistence::counters::check_rate;

impl Realtime {
    /// Relays that the connection's user is typing in `c`; answers how many connections it
    /// reached. A conversation the user is not a member of does not exist for them.
    pub async fn typing(&self, id: &ConnectionId, c: &ConversationId) -> ChatResult<usize> {
        let connection = self.connection(id).await?.ok_or(ChatError::Unauthenticated("token_expired".into()))?;
        let (t, u) = (&connection.tenant_id, &connection.user_id);
        let (store, clock) = (self.tables.store().as_ref(), self.clock.as_ref());
        check_rate(store, clock, t, u, "typing", id.as_str(), self.typing_rate).await?;
        let (members, subscribers) = futures::try_join!(self.tables.member_ids(t, c), self.tables.subscribers(t, c))?;
        if !members.contains(u) {
            return Err(ChatError::NotFound("conversation"));
        }
        // Not to the typer's own tabs: nobody wants to read that they are typing.
        let recipients: Vec<ConnectionId> = subscribers
            .into_iter()
            .filter(|s| &s.user_id != u && members.contains(&s.user_id))
            .map(|s| s.connection_id)
            .collect();
        let frame = TypingFrame::new(c.clone(), u.clone());
        let payload = serde_json::to_vec(&frame).map_err(|e| ChatError::Internal(e.to_string()))?;
        let delivered = self.push.post_many(&recipients, &payload).await.iter().filter(|r| r.is_ok()).count();
        self.metrics.incr("events.chat:typing", delivered as i64);
        Ok(delivered)
    }
}
