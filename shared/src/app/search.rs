//! Search over what the caller may read: the tenant and the conversations they are a member of
//! right now (computed per query, so leaving a channel removes it from their results at once).

use std::collections::HashSet;
use std::sync::Arc;

use serde::Serialize;
use utoipa::ToSchema;

use super::Chat;
use crate::domain::caller::Caller;
use crate::domain::error::{ChatError, ChatResult, InvalidInput};
use crate::domain::ids::{ConversationId, MessageId, TenantId, UserId};
use crate::domain::markdown::plain_text;
use crate::domain::search::{parse_query, snippet, time_zone, SearchPlan, SnippetPart, SortOrder};
use crate::domain::values::{ChannelName, Handle};
use crate::domain::{ConversationKind, Message, UserProfile};
use crate::ports::search::{SearchError, SearchIndex};

pub const MAX_SEARCH_PAGE: usize = 50;
/// How deep relevance pages go (OpenSearch's `index.max_result_window`: `from + size` past it
/// is an error); the embedded index keeps the same bound, so both answer alike.
pub const MAX_RELEVANCE_WINDOW: usize = 10_000;

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchConversation {
    #[schema(value_type = String)]
    pub id: ConversationId,
    pub kind: ConversationKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    pub message: Message,
    pub conversation: SearchConversation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<UserProfile>,
    /// The body around the first match; `match: true` parts are what the query found.
    pub snippet: Vec<SnippetPart>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResults {
    pub items: Vec<SearchResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl From<SearchError> for ChatError {
    fn from(e: SearchError) -> Self {
        match e {
            SearchError::Rejected(m) if m.contains("cursor") => {
                InvalidInput::new("cursor", "is not a cursor from a previous page").into()
            }
            other => ChatError::Internal(other.to_string()),
        }
    }
}

impl Chat {
    /// The owner of a typed handle (`from:@x`, `in:@x`), if it can be a handle and is claimed.
    async fn handle_owner(&self, t: &TenantId, raw: &str) -> ChatResult<Option<UserId>> {
        let Ok(handle) = Handle::parse(raw) else { return Ok(None) };
        self.tables.handle_owner(t, handle.as_str()).await
    }

    pub fn with_search(mut self, index: Arc<dyn SearchIndex>) -> Self {
        self.search = Some(index);
        self
    }

    pub async fn search(
        &self,
        caller: &Caller,
        q: &str,
        tz: Option<&str>,
        sort: SortOrder,
        cursor: Option<String>,
        limit: Option<usize>,
    ) -> ChatResult<SearchResults> {
        let index =
            self.search.as_ref().ok_or_else(|| ChatError::forbidden("search_disabled", "search is not configured"))?;
        let parsed = parse_query(q, &time_zone(tz)?)?;
        // Exclusions narrow something: alone they would list everything else.
        if parsed.clauses.is_empty() && !parsed.has_filter() {
            let why = if parsed.excluded.is_empty() {
                "must hold words or operators"
            } else {
                "needs a word or operator besides -exclusions"
            };
            return Err(InvalidInput::new("q", why).into());
        }
        let limit = limit.unwrap_or(20);
        if limit == 0 || limit > MAX_SEARCH_PAGE {
            return Err(InvalidInput::new("limit", format!("must be 1-{MAX_SEARCH_PAGE}")).into());
        }
        // Relevance pages are offsets: refuse one past the window instead of failing in the index.
        if sort == SortOrder::Relevance {
            if let Some(offset) = cursor.as_deref().and_then(|c| c.parse::<usize>().ok()) {
                if offset.saturating_add(limit) > MAX_RELEVANCE_WINDOW {
                    return Err(InvalidInput::new(
                        "cursor",
                        format!("relevance results go {MAX_RELEVANCE_WINDOW} deep; narrow the query or sort by newest"),
                    )
                    .into());
                }
            }
        }
        let empty = || Ok(SearchResults { items: Vec::new(), next_cursor: None });
        let t = &caller.tenant;
        let memberships = self.memberships(caller).await?;
        let mut readable: Vec<ConversationId> = memberships.into_iter().map(|m| m.conversation_id).collect();
        if let Some(name) = &parsed.in_channel {
            let Ok(name) = ChannelName::parse(name) else { return empty() };
            let named = self.tables.channels_named(t, name.as_str()).await?;
            readable.retain(|c| named.contains(c));
        }
        // The handle's claim names its one owner in the tenant. Something that cannot be a
        // handle has no owner, and is never made into a key.
        let author_id = match &parsed.from_handle {
            Some(raw) => match self.handle_owner(t, raw).await? {
                Some(user) => Some(user.to_string()),
                None => return empty(),
            },
            None => None,
        };
        // `in:@handle` is the DM with that user, and only if the caller is in it (it is among
        // the readable ones): it narrows what the caller reads, never widens it.
        if let Some(raw) = &parsed.in_dm_with {
            let Some(other) = self.handle_owner(t, raw).await? else { return empty() };
            let dm = ConversationId::for_dm(t, &caller.user, &other);
            readable.retain(|c| *c == dm);
        }
        if readable.is_empty() {
            return empty();
        }
        let plan = SearchPlan {
            tenant_id: t.to_string(),
            conversation_ids: readable.iter().map(ToString::to_string).collect(),
            clauses: parsed.clauses.clone(),
            excluded: parsed.excluded.clone(),
            author_id,
            mentions_user: parsed.is_mention.then(|| caller.user.to_string()),
            has_file: parsed.has_file,
            has_link: parsed.has_link,
            after_ms: parsed.after_ms,
            before_ms: parsed.before_ms,
            sort,
            limit,
            cursor,
        };
        let page = index.search(&plan).await?;
        let wanted = parsed.wanted();

        // The index may lag the table: show each message as it is now, and drop what is gone.
        // A reply is found under its thread (the hit names its root).
        let hits: Vec<(ConversationId, MessageId, Option<MessageId>)> = page
            .hits
            .iter()
            .filter_map(|h| {
                let root = h.thread_root_id.as_deref().map(MessageId::parse).transpose().ok()?;
                Some((ConversationId::parse(&h.conversation_id).ok()?, MessageId::parse(&h.id).ok()?, root))
            })
            .collect();
        let messages = self.tables.messages_across(t, &hits).await?;
        let conversation_ids: Vec<ConversationId> =
            messages.values().map(|m| m.conversation_id.clone()).collect::<HashSet<_>>().into_iter().collect();
        let metas = self.tables.metas(t, &conversation_ids).await?;
        let authors: Vec<UserId> =
            messages.values().map(|m| m.author_id.clone()).collect::<HashSet<_>>().into_iter().collect();
        let profiles = self.tables.profiles(t, &authors).await?;
        let items = page
            .hits
            .iter()
            .filter_map(|hit| {
                let message = messages.get(&MessageId::parse(&hit.id).ok()?)?.clone();
                if message.deleted_at.is_some() {
                    return None;
                }
                let meta = metas.get(&message.conversation_id)?;
                Some(SearchResult {
                    conversation: SearchConversation { id: meta.id.clone(), kind: meta.kind, name: meta.name.clone() },
                    author: profiles.get(&message.author_id).cloned(),
                    snippet: snippet(&plain_text(&message.body), &wanted),
                    message,
                })
            })
            .collect();
        // No cursor to a relevance page that would be refused.
        let next_cursor = page.next_cursor.filter(|c| {
            sort != SortOrder::Relevance || c.parse::<usize>().map_or(true, |offset| offset < MAX_RELEVANCE_WINDOW)
        });
        Ok(SearchResults { items, next_cursor })
    }
}
