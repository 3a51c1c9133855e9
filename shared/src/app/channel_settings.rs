//! Managing a channel: renaming it, editing its topic, archiving and unarchiving it. Each is a
//! change of the conversation (`chat:conversationUpdated`, with its next seq), so members see it
//! live and catch-up replays it.
//!
//! Who may: the channel's admins, and tenant admins. A tenant admin manages a public channel
//! without being in it (it is no secret in their tenant), but a private channel only as one of
//! its members: one they are not in does not exist for them (404), as everywhere else.

use super::sequence::{ChangePlan, CommitOutcome};
use super::Chat;
use crate::domain::caller::Caller;
use crate::domain::error::{ChatError, ChatResult};
use crate::domain::ids::{ConversationId, UserId};
use crate::domain::values::{ChannelName, Topic};
use crate::domain::{
    Change, ChannelDetails, ConversationKind, ConversationMeta, ConversationUpdate, Event, MemberRole,
};
use crate::persistence::change_log::LoggedChange;
use crate::persistence::conversations as stored;
use crate::persistence::transaction::OpRole;

/// What a request changes; `None` leaves it as it is. An empty topic clears it.
#[derive(Debug, Clone, Default)]
pub struct ChannelChange {
    pub name: Option<ChannelName>,
    pub topic: Option<Topic>,
    pub archived: Option<bool>,
}

impl Chat {
    /// Renames the channel, edits its topic, archives or unarchives it, and returns it as it is
    /// after. A request that changes nothing writes and publishes nothing.
    pub async fn update_channel(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        change: ChannelChange,
    ) -> ChatResult<ChannelDetails> {
        let t = &caller.tenant;
        let meta = self.require_channel_manager(caller, conversation).await?;
        if next_state(&meta, &change, &caller.user)?.is_none() {
            return Ok(details(&meta));
        }
        self.spend(caller, "channel_settings", "all", self.limits.channel_settings, Some(conversation)).await?;
        let mut committed: Option<ConversationUpdate> = None;
        let outcome = self
            .commit_change(t, conversation, |meta, _| {
                // Planned on the channel as it is at this attempt: a concurrent rename moved the
                // name this one moves from.
                let next =
                    next_state(meta, &change, &caller.user)?.unwrap_or_else(|| current_state(meta, &caller.user));
                let (ops, update) = stored::update_channel(t, meta, &next)?;
                let plan = ChangePlan::new(ops, LoggedChange::conversation(&next)).updating_meta(update);
                committed = Some(next);
                Ok(plan.even_when_archived())
            })
            .await?;
        match (outcome, committed) {
            (CommitOutcome::Done { seq }, Some(next)) => {
                let channel = ChannelDetails {
                    id: conversation.clone(),
                    name: next.name.clone(),
                    topic: next.topic.clone(),
                    archived: next.archived,
                };
                self.publish(t, Event::new(conversation.clone(), seq, Change::ConversationUpdated(next))).await;
                Ok(channel)
            }
            (CommitOutcome::Refused(roles), Some(next)) if roles.contains(&OpRole::NameClaim) => {
                Err(ChatError::conflict("name_taken", format!("a public channel named #{} exists", next.name)))
            }
            (CommitOutcome::Refused(roles), _) => {
                Err(ChatError::Internal(format!("channel {conversation}'s directory items disagree: {roles:?}")))
            }
            (CommitOutcome::Done { .. }, None) => Err(ChatError::Internal("a change committed without a plan".into())),
        }
    }

    /// The channel, if the caller may manage it; else the error that reveals no more than they
    /// may know (404 for a conversation that is not theirs to see, 403 for a public channel or
    /// one they are a plain member of).
    async fn require_channel_manager(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
    ) -> ChatResult<ConversationMeta> {
        let t = &caller.tenant;
        let member = self.tables.member(t, conversation, &caller.user).await?;
        let meta = self.tables.meta(t, conversation, true).await?.ok_or(ChatError::NotFound("conversation"))?;
        match (member, meta.kind) {
            (None, ConversationKind::Public) if caller.is_tenant_admin() => Ok(meta),
            (None, _) => Err(self.not_a_member(caller, conversation).await),
            (Some(_), ConversationKind::Dm) => {
                Err(ChatError::forbidden("not_a_channel", "a direct message has no name or topic and is not archived"))
            }
            (Some(m), _) if m.role == MemberRole::Admin || caller.is_tenant_admin() => Ok(meta),
            (Some(_), _) => Err(ChatError::forbidden(
                "not_channel_admin",
                "only channel admins can rename, edit or archive a channel",
            )),
        }
    }
}

fn current_state(meta: &ConversationMeta, by: &UserId) -> ConversationUpdate {
    ConversationUpdate {
        name: meta.name.clone().unwrap_or_default(),
        topic: meta.topic.clone(),
        archived: meta.archived,
        updated_by: by.clone(),
    }
}

/// The channel's state after `change`, or `None` when it changes nothing. An archived channel
/// is unarchived before anything else of it changes.
fn next_state(meta: &ConversationMeta, change: &ChannelChange, by: &UserId) -> ChatResult<Option<ConversationUpdate>> {
    let current = current_state(meta, by);
    let next = ConversationUpdate {
        name: change.name.as_ref().map_or_else(|| current.name.clone(), |n| n.as_str().to_owned()),
        topic: match &change.topic {
            Some(topic) => Some(topic.as_str().to_owned()).filter(|t| !t.is_empty()),
            None => current.topic.clone(),
        },
        archived: change.archived.unwrap_or(current.archived),
        updated_by: by.clone(),
    };
    if next == current {
        return Ok(None);
    }
    let edits = next.name != current.name || next.topic != current.topic;
    if edits && meta.archived && next.archived {
        return Err(ChatError::archived());
    }
    Ok(Some(next))
}

fn details(meta: &ConversationMeta) -> ChannelDetails {
    ChannelDetails {
        id: meta.id.clone(),
        name: meta.name.clone().unwrap_or_default(),
        topic: meta.topic.clone(),
        archived: meta.archived,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(archived: bool) -> ConversationMeta {
        ConversationMeta {
            id: ConversationId::new_channel(),
            kind: ConversationKind::Public,
            name: Some("plans".into()),
            topic: Some("Q3".into()),
            created_by: ann(),
            created_at: "2026-12-01T00:00:00.000Z".into(),
            last_seq: 3,
            message_count: 1,
            last_message_at: None,
            dm_users: Vec::new(),
            deleted_ordinals: Vec::new(),
            archived,
        }
    }

    fn ann() -> UserId {
        UserId::parse("ann").expect("user")
    }

    fn name(raw: &str) -> Option<ChannelName> {
        Some(ChannelName::parse(raw).expect("name"))
    }

    fn topic(raw: &str) -> Option<Topic> {
        Some(Topic::parse(raw).expect("topic"))
    }

    #[test]
    fn a_change_carries_the_whole_next_state_and_who_made_it() {
        let next = next_state(&channel(false), &ChannelChange { name: name("#Roadmap"), ..Default::default() }, &ann())
            .expect("allowed")
            .expect("a change");
        assert_eq!(
            next,
            ConversationUpdate { name: "roadmap".into(), topic: Some("Q3".into()), archived: false, updated_by: ann() }
        );
    }

    #[test]
    fn an_empty_topic_clears_it_and_the_same_values_change_nothing() {
        let cleared = next_state(&channel(false), &ChannelChange { topic: topic("  "), ..Default::default() }, &ann())
            .expect("allowed")
            .expect("a change");
        assert_eq!(cleared.topic, None);
        let same = ChannelChange { name: name("plans"), topic: topic("Q3"), archived: Some(false) };
        assert!(next_state(&channel(false), &same, &ann()).expect("allowed").is_none());
        let archive_again = ChannelChange { archived: Some(true), ..Default::default() };
        assert!(next_state(&channel(true), &archive_again, &ann()).expect("allowed").is_none());
    }

    #[test]
    fn an_archived_channel_is_unarchived_before_it_is_renamed() {
        let rename = ChannelChange { name: name("later"), ..Default::default() };
        assert!(matches!(
            next_state(&channel(true), &rename, &ann()),
            Err(ChatError::Conflict { code: "conversation_archived", .. })
        ));
        let unarchive = ChannelChange { archived: Some(false), ..rename };
        let next = next_state(&channel(true), &unarchive, &ann()).expect("allowed").expect("a change");
        assert_eq!((next.name.as_str(), next.archived), ("later", false));
    }
}
