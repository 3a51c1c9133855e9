//! Conversations as their members see them: membership checks, the sidebar's list with unread
//! and mention counts, one conversation's summary, and its members.

use std::collections::{HashMap, HashSet};

use super::{page_limit, Chat, MAX_MEMBERSHIPS, MAX_PAGE};
use crate::domain::caller::Caller;
use crate::domain::error::{ChatError, ChatResult, InvalidInput};
use crate::domain::ids::{ConversationId, UserId};
use crate::domain::{
    ConversationKind, ConversationMeta, ConversationSummary, Member, MemberView, Membership, UserProfile,
};

/// Memberships read per page of the sidebar's (and search's) list.
const MEMBERSHIPS_PAGE: usize = 500;

impl Chat {
    /// The caller's membership, or the error that reveals no more than they may know: a public
    /// channel of their tenant is no secret (403), anything else is 404.
    pub(super) async fn require_member(&self, caller: &Caller, conversation: &ConversationId) -> ChatResult<Member> {
        if let Some(member) = self.tables.member(&caller.tenant, conversation, &caller.user).await? {
            return Ok(member);
        }
        Err(self.not_a_member(caller, conversation).await)
    }

    /// The error for a caller who is not a member: 403 for a public channel, 404 for anything
    /// else (a private conversation they are not in does not exist for them).
    pub(super) async fn not_a_member(&self, caller: &Caller, conversation: &ConversationId) -> ChatError {
        match self.tables.meta(&caller.tenant, conversation, false).await {
            Ok(Some(meta)) if meta.kind == ConversationKind::Public => {
                ChatError::forbidden("not_a_member", "join the channel first")
            }
            Ok(_) => ChatError::NotFound("conversation"),
            Err(e) => e,
        }
    }

    /// The caller's memberships, at most `MAX_MEMBERSHIPS` of them: what the sidebar lists and
    /// what search filters by. Read backward, so past the bound the user keeps their DMs and
    /// their newest channels (channel ids are ULIDs, `C…`; DM ids `D…` sort after them).
    pub(super) async fn memberships(&self, caller: &Caller) -> ChatResult<Vec<Membership>> {
        self.tables.memberships(&caller.tenant, &caller.user, MEMBERSHIPS_PAGE, MAX_MEMBERSHIPS).await
    }

    /// The caller's view of one conversation.
    pub async fn summary(&self, caller: &Caller, conversation: &ConversationId) -> ChatResult<ConversationSummary> {
        let t = &caller.tenant;
        let Some(membership) = self.tables.membership(t, &caller.user, conversation, true).await? else {
            // Not a member: answer as every other route does (403 for a public channel, 404 else).
            self.require_member(caller, conversation).await?;
            return Err(ChatError::NotFound("conversation"));
        };
        let meta = self.tables.meta(t, conversation, true).await?.ok_or(ChatError::NotFound("conversation"))?;
        let profiles = self.tables.profiles(t, &meta.dm_users).await?;
        Ok(summarize(&meta, &membership, &profiles))
    }

    /// Every conversation the caller is in, with unread and mention counts: one query of the
    /// caller's memberships plus batched reads of the conversations (O(1) each).
    pub async fn list_conversations(&self, caller: &Caller) -> ChatResult<Vec<ConversationSummary>> {
        let t = &caller.tenant;
        let memberships = self.memberships(caller).await?;
        let ids: Vec<ConversationId> = memberships.iter().map(|m| m.conversation_id.clone()).collect();
        let metas = self.tables.metas(t, &ids).await?;
        let dm_users: Vec<UserId> =
            metas.values().flat_map(|m| m.dm_users.iter().cloned()).collect::<HashSet<_>>().into_iter().collect();
        let profiles = self.tables.profiles(t, &dm_users).await?;
        let mut out: Vec<ConversationSummary> = memberships
            .iter()
            .filter_map(|m| metas.get(&m.conversation_id).map(|meta| summarize(meta, m, &profiles)))
            .collect();
        sort_for_sidebar(&mut out);
        Ok(out)
    }

    /// A page of the members of a conversation the caller is in, with their profiles and roles,
    /// in user-id order (the key's): `after` is the last user id of the previous page. A channel
    /// may have any number of members; one request reads at most `MAX_PAGE` of them.
    pub async fn members(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        after: Option<&str>,
        limit: Option<usize>,
    ) -> ChatResult<(Vec<MemberView>, Option<String>)> {
        let t = &caller.tenant;
        self.require_member(caller, conversation).await?;
        let limit = page_limit(limit, MAX_PAGE)?;
        let after = after
            .map(|raw| UserId::parse(raw).map_err(|_| InvalidInput::new("cursor", "is not a user id")))
            .transpose()?;
        let (members, more) = self.tables.members_page(t, conversation, after.as_ref(), limit).await?;
        let ids: Vec<UserId> = members.iter().map(|m| m.user_id.clone()).collect();
        let profiles = self.tables.profiles(t, &ids).await?;
        let next = if more { members.last().map(|m| m.user_id.to_string()) } else { None };
        let out = members
            .into_iter()
            .map(|m| MemberView {
                profile: profiles.get(&m.user_id).cloned().unwrap_or_else(|| UserProfile {
                    id: m.user_id.clone(),
                    handle: m.user_id.to_string(),
                    display_name: m.user_id.to_string(),
                }),
                role: m.role,
                joined_at: m.joined_at,
            })
            .collect();
        Ok((out, next))
    }
}

/// Channels first, by name; then DMs.
fn sort_for_sidebar(conversations: &mut [ConversationSummary]) {
    conversations.sort_by(|a, b| match (a.kind == ConversationKind::Dm, b.kind == ConversationKind::Dm) {
        (false, true) => std::cmp::Ordering::Less,
        (true, false) => std::cmp::Ordering::Greater,
        _ => a.name.cmp(&b.name).then(a.id.cmp(&b.id)),
    });
}

pub(super) fn summarize(
    meta: &ConversationMeta,
    membership: &Membership,
    profiles: &HashMap<UserId, UserProfile>,
) -> ConversationSummary {
    let members = if meta.kind == ConversationKind::Dm {
        Some(meta.dm_users.iter().filter_map(|u| profiles.get(u).cloned()).collect())
    } else {
        None
    };
    ConversationSummary {
        id: meta.id.clone(),
        kind: meta.kind,
        name: meta.name.clone(),
        topic: meta.topic.clone(),
        members,
        role: membership.role,
        last_seq: meta.last_seq,
        read_seq: membership.read_seq,
        unread_count: meta.unread_after(membership.read_count),
        mention_count: membership.mention_count,
        last_message_at: meta.last_message_at.clone(),
        archived: meta.archived,
        notification_level: membership.notification_level(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MemberRole;

    fn meta(kind: ConversationKind, name: Option<&str>) -> ConversationMeta {
        ConversationMeta {
            id: ConversationId::new_channel(),
            kind,
            name: name.map(str::to_owned),
            topic: None,
            created_by: UserId::parse("ann").expect("user"),
            created_at: "2026-12-01T00:00:00.000Z".into(),
            last_seq: 12,
            message_count: 10,
            last_message_at: None,
            dm_users: Vec::new(),
            deleted_ordinals: vec![4, 9],
            archived: false,
        }
    }

    fn membership(meta: &ConversationMeta, read_count: u64) -> Membership {
        Membership {
            conversation_id: meta.id.clone(),
            kind: meta.kind,
            role: MemberRole::Member,
            joined_at: meta.created_at.clone(),
            read_seq: 6,
            read_count,
            mention_count: 2,
            notification_level: None,
        }
    }

    #[test]
    fn unread_counts_what_came_after_the_read_position_less_what_was_deleted_since() {
        let channel = meta(ConversationKind::Public, Some("general"));
        let summary = summarize(&channel, &membership(&channel, 5), &HashMap::new());
        // Messages 6..=10 are unread; 9 was deleted.
        assert_eq!(summary.unread_count, 4);
        assert_eq!((summary.read_seq, summary.mention_count, summary.last_seq), (6, 2, 12));
        assert_eq!(summary.members, None);
    }

    #[test]
    fn a_dm_names_both_people() {
        let mut dm = meta(ConversationKind::Dm, None);
        let (ann, bob) = (UserId::parse("ann").expect("user"), UserId::parse("bob").expect("user"));
        dm.dm_users = vec![ann.clone(), bob.clone()];
        let profile =
            |id: &UserId| UserProfile { id: id.clone(), handle: id.to_string(), display_name: id.to_string() };
        let profiles = HashMap::from([(ann.clone(), profile(&ann)), (bob.clone(), profile(&bob))]);
        let summary = summarize(&dm, &membership(&dm, 10), &profiles);
        assert_eq!(summary.members, Some(vec![profile(&ann), profile(&bob)]));
    }

    #[test]
    fn the_sidebar_lists_channels_by_name_then_dms() {
        let channel = |name: &str| {
            summarize(
                &meta(ConversationKind::Public, Some(name)),
                &membership(&meta(ConversationKind::Public, None), 0),
                &HashMap::new(),
            )
        };
        let dm = summarize(
            &meta(ConversationKind::Dm, None),
            &membership(&meta(ConversationKind::Dm, None), 0),
            &HashMap::new(),
        );
        let mut list = vec![dm.clone(), channel("random"), channel("general")];
        sort_for_sidebar(&mut list);
        let names: Vec<Option<&str>> = list.iter().map(|c| c.name.as_deref()).collect();
        assert_eq!(names, [Some("general"), Some("random"), None]);
    }
}
