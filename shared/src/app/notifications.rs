//! Notification levels: per member and conversation, when their client notifies them of new
//! messages (all, mentions, nothing). Stored on the membership, so they follow the member
//! across tabs and devices; the notifying itself is the client's (browser notifications).

use super::Chat;
use crate::domain::caller::Caller;
use crate::domain::error::ChatResult;
use crate::domain::ids::ConversationId;
use crate::domain::{Change, Event, NotificationLevel, NotificationSetting};

impl Chat {
    /// Sets the caller's notification level in a conversation they are a member of, and tells
    /// their other tabs and devices (so the one that notifies applies it before the next message).
    pub async fn set_notification_level(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        level: NotificationLevel,
    ) -> ChatResult<NotificationSetting> {
        let t = &caller.tenant;
        let Some(membership) = self.tables.membership(t, &caller.user, conversation, true).await? else {
            return Err(self.not_a_member(caller, conversation).await);
        };
        self.spend(caller, "notification-level", "all", self.limits.notification_levels, None).await?;
        if !self.tables.set_notification_level(t, &caller.user, conversation, level).await? {
            // Left between the read and the write.
            return Err(self.not_a_member(caller, conversation).await);
        }
        let setting = NotificationSetting { user_id: caller.user.clone(), level };
        let change = Change::NotificationLevel(setting.clone());
        self.publish(t, Event::new(conversation.clone(), membership.read_seq, change)).await;
        Ok(setting)
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::{ConversationKind, NotificationLevel};

    #[test]
    fn a_dm_notifies_every_message_and_a_channel_only_mentions_unless_chosen() {
        assert_eq!(NotificationLevel::default_for(ConversationKind::Dm), NotificationLevel::All);
        assert_eq!(NotificationLevel::default_for(ConversationKind::Public), NotificationLevel::Mentions);
        assert_eq!(NotificationLevel::default_for(ConversationKind::Private), NotificationLevel::Mentions);
    }
}
