//! Channels: creating one, browsing the public ones, joining, leaving, inviting and removing.

use super::sequence::{ChangePlan, CommitOutcome};
use super::{page_limit, Chat, MAX_PAGE};
use crate::domain::caller::Caller;
use crate::domain::error::{ChatError, ChatResult, InvalidInput};
use crate::domain::ids::{ConversationId, TenantId, UserId};
use crate::domain::values::{ChannelName, Topic};
use crate::domain::{
    Change, ConversationKind, ConversationMeta, ConversationSummary, EventType, Member, MemberRole, Membership,
    NotificationLevel, PublicChannel, Visibility,
};
use crate::persistence::change_log::LoggedChange;
use crate::persistence::conversations::{self as stored, PublicChannelEntry};
use crate::persistence::transaction::{OpRole, Transaction};
use crate::ports::store::WriteOp;

impl Chat {
    pub async fn create_channel(
        &self,
        caller: &Caller,
        name: ChannelName,
        visibility: Visibility,
        topic: Option<Topic>,
    ) -> ChatResult<ConversationSummary> {
        self.spend(caller, "channel", "all", self.limits.channels, None).await?;
        let id = ConversationId::new_channel();
        let now = self.now();
        let kind = ConversationKind::from(visibility);
        let topic = topic.map(|t| t.as_str().to_owned()).filter(|t| !t.is_empty());
        let meta = ConversationMeta {
            id: id.clone(),
            kind,
            name: Some(name.as_str().to_owned()),
            topic: topic.clone(),
            created_by: caller.user.clone(),
            created_at: now.clone(),
            // The creator joining is the channel's first change.
            last_seq: 1,
            message_count: 0,
            last_message_at: None,
            dm_users: Vec::new(),
            deleted_ordinals: Vec::new(),
            archived: false,
        };
        let t = &caller.tenant;
        let mut tx = Transaction::default();
        // A directory entry, not a claim: names are no oracle (issue 23.2). Only public names are
        // unique (the name claim below, among public channels — no secret); a private channel's
        // name is reserved nowhere, so creating any channel answers the same whether or not a
        // private channel of that name exists.
        tx.push(OpRole::Record, stored::list_channel(t, name.as_str(), &id)?);
        tx.push(OpRole::Record, stored::create_meta(t, &meta)?);
        tx.extend(OpRole::Member, join_ops(t, &id, kind, &caller.user, MemberRole::Admin, &now, None)?);
        let joined = LoggedChange::member(EventType::MemberAdded, &caller.user);
        tx.push(OpRole::Sequence, self.first_change(t, &id, 1, &joined)?);
        if kind == ConversationKind::Public {
            let entry = PublicChannelEntry {
                conversation_id: id.clone(),
                name: name.as_str().to_owned(),
                topic: topic.clone(),
                archived: false,
            };
            tx.push(OpRole::NameClaim, stored::claim_public_name(t, &entry)?);
        }
        match self.tables.commit(tx).await {
            Ok(()) => {}
            Err(refused) if refused.refused(OpRole::NameClaim) => {
                return Err(ChatError::conflict(
                    "name_taken",
                    format!("a public channel named #{} exists", name.as_str()),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        self.publish_member(t, &id, Change::MemberAdded, 1, &caller.user).await;
        Ok(ConversationSummary {
            id,
            kind,
            name: meta.name,
            topic,
            members: None,
            role: MemberRole::Admin,
            last_seq: 1,
            read_seq: 0,
            unread_count: 0,
            mention_count: 0,
            last_message_at: None,
            archived: false,
            notification_level: NotificationLevel::default_for(kind),
        })
    }

    /// Public channels of the caller's tenant that are not archived, by name; `after` is the last
    /// name of the previous page (a page may hold fewer than `limit`, archived ones left out).
    pub async fn browse_channels(
        &self,
        caller: &Caller,
        after: Option<&str>,
        limit: Option<usize>,
    ) -> ChatResult<(Vec<PublicChannel>, Option<String>)> {
        let limit = page_limit(limit, MAX_PAGE)?;
        let after = after
            .map(|raw| ChannelName::parse(raw).map_err(|_| InvalidInput::new("cursor", "is not a channel name")))
            .transpose()?;
        let (entries, more) =
            self.tables.public_channels_page(&caller.tenant, after.as_ref().map(ChannelName::as_str), limit).await?;
        let next = if more { entries.last().map(|e| e.name.clone()) } else { None };
        let entries: Vec<PublicChannelEntry> = entries.into_iter().filter(|e| !e.archived).collect();
        let ids: Vec<ConversationId> = entries.iter().map(|e| e.conversation_id.clone()).collect();
        let joined = self.tables.joined(&caller.tenant, &caller.user, &ids, false).await?;
        let channels: Vec<PublicChannel> = entries
            .into_iter()
            .map(|e| PublicChannel {
                joined: joined.contains(&e.conversation_id),
                id: e.conversation_id,
                name: e.name,
                topic: e.topic,
                archived: false,
            })
            .collect();
        Ok((channels, next))
    }

    pub async fn join(&self, caller: &Caller, conversation: &ConversationId) -> ChatResult<ConversationSummary> {
        let t = &caller.tenant;
        if self.tables.member(t, conversation, &caller.user).await?.is_some() {
            return self.summary(caller, conversation).await;
        }
        let meta = self.tables.meta(t, conversation, false).await?.ok_or(ChatError::NotFound("conversation"))?;
        match meta.kind {
            ConversationKind::Public => {}
            // A private channel the caller is not in does not exist for them.
            ConversationKind::Private | ConversationKind::Dm => return Err(ChatError::NotFound("conversation")),
        }
        if meta.archived {
            return Err(ChatError::archived());
        }
        self.spend(caller, "member", "all", self.limits.membership, Some(conversation)).await?;
        match self.add_member(t, conversation, &caller.user).await? {
            CommitOutcome::Done { seq } => {
                self.publish_member(t, conversation, Change::MemberAdded, seq, &caller.user).await;
            }
            // Joined concurrently by another request of the same user: already a member.
            CommitOutcome::Refused(_) => {}
        }
        self.summary(caller, conversation).await
    }

    pub async fn leave(&self, caller: &Caller, conversation: &ConversationId) -> ChatResult<()> {
        let member = self.require_member(caller, conversation).await?;
        self.remove_member(caller, conversation, &member.user_id).await
    }

    /// Adds `target` to a channel: in a private channel only its admins (or a tenant admin) may;
    /// in a public one any member may.
    pub async fn invite(&self, caller: &Caller, conversation: &ConversationId, target: &UserId) -> ChatResult<()> {
        let t = &caller.tenant;
        let member = self.require_member(caller, conversation).await?;
        let meta = self.tables.meta(t, conversation, false).await?.ok_or(ChatError::NotFound("conversation"))?;
        match meta.kind {
            ConversationKind::Dm => return Err(dm_membership()),
            ConversationKind::Private if !can_manage_members(caller, &member) => {
                return Err(ChatError::forbidden(
                    "not_channel_admin",
                    "only channel admins can invite to a private channel",
                ))
            }
            _ => {}
        }
        if self.profile(t, target).await?.is_none() {
            return Err(ChatError::NotFound("user"));
        }
        if self.tables.member(t, conversation, target).await?.is_some() {
            return Ok(());
        }
        self.spend(caller, "member", "all", self.limits.membership, Some(conversation)).await?;
        if let CommitOutcome::Done { seq } = self.add_member(t, conversation, target).await? {
            self.publish_member(t, conversation, Change::MemberAdded, seq, target).await;
        }
        Ok(())
    }

    /// Removes `target` (the caller themselves: leaving). Removing someone else takes a channel
    /// admin or a tenant admin.
    pub async fn remove(&self, caller: &Caller, conversation: &ConversationId, target: &UserId) -> ChatResult<()> {
        let member = self.require_member(caller, conversation).await?;
        // Said before the admin rule: no one, admin or not, changes who a DM is between.
        if conversation.is_dm() {
            return Err(dm_membership());
        }
        if target != &caller.user && !can_manage_members(caller, &member) {
            return Err(ChatError::forbidden("not_channel_admin", "only channel admins can remove members"));
        }
        if self.tables.member(&caller.tenant, conversation, target).await?.is_none() {
            return Err(ChatError::NotFound("member"));
        }
        self.remove_member(caller, conversation, target).await
    }

    /// Adds `user` as a member, as the conversation's next change.
    async fn add_member(&self, t: &TenantId, c: &ConversationId, user: &UserId) -> ChatResult<CommitOutcome> {
        let now = self.now();
        self.commit_change(t, c, |meta, _| {
            let ops = join_ops(t, c, meta.kind, user, MemberRole::Member, &now, Some(meta))?;
            Ok(ChangePlan::new(
                Transaction::default().with(OpRole::Member, ops),
                LoggedChange::member(EventType::MemberAdded, user),
            ))
        })
        .await
    }

    async fn remove_member(&self, caller: &Caller, conversation: &ConversationId, target: &UserId) -> ChatResult<()> {
        let t = &caller.tenant;
        if conversation.is_dm() {
            return Err(dm_membership());
        }
        self.spend(caller, "member", "all", self.limits.membership, Some(conversation)).await?;
        let outcome = self
            .commit_change(t, conversation, |_, _| {
                // Leaving an archived channel is how a member tidies their sidebar.
                Ok(ChangePlan::new(
                    Transaction::default().with(OpRole::Member, stored::remove_member(t, conversation, target)),
                    LoggedChange::member(EventType::MemberRemoved, target),
                )
                .even_when_archived())
            })
            .await?;
        match outcome {
            CommitOutcome::Done { seq } => {
                self.drop_mentions(t, target, conversation).await;
                self.publish_member(t, conversation, Change::MemberRemoved, seq, target).await;
                Ok(())
            }
            CommitOutcome::Refused(_) => Err(ChatError::NotFound("member")),
        }
    }
}

/// A DM's people are the DM (its id is derived from them): to add someone, open a new one.
fn dm_membership() -> ChatError {
    ChatError::forbidden("dm_membership", "a direct message always has the same people; start a new one to add someone")
}

/// A channel admin or a tenant admin manages a channel's members.
fn can_manage_members(caller: &Caller, member: &Member) -> bool {
    member.role == MemberRole::Admin || caller.is_tenant_admin()
}

/// The writes that make `user` a member. A new member starts with what was said before they
/// joined counted as read (`read_from`: the conversation as it is).
pub(super) fn join_ops(
    t: &TenantId,
    c: &ConversationId,
    kind: ConversationKind,
    user: &UserId,
    role: MemberRole,
    now: &str,
    read_from: Option<&ConversationMeta>,
) -> ChatResult<[WriteOp; 2]> {
    let member = Member { user_id: user.clone(), role, joined_at: now.to_owned() };
    let membership = Membership {
        conversation_id: c.clone(),
        kind,
        role,
        joined_at: now.to_owned(),
        read_seq: read_from.map_or(0, |m| m.last_seq),
        read_count: read_from.map_or(0, |m| m.message_count),
        mention_count: 0,
        notification_level: None,
    };
    stored::add_member(t, &member, &membership)
}
