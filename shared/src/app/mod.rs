//! The use cases, by capability. Authorization lives here, once: every use case takes the
//! authenticated `Caller`, and every read and write is keyed by the caller's tenant. `Chat` is
//! the facade the functions hold; each capability adds its methods in its own module, and how
//! items are stored is `persistence`'s business.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::domain::caller::Caller;
use crate::domain::error::{ChatResult, InvalidInput};
use crate::domain::files::UploadRules;
use crate::domain::ids::{ConversationId, TenantId, UserId};
use crate::domain::limits::{Rate, RateLimits};
use crate::domain::{format_time, Change, Event, MemberChange, UserProfile};
use crate::persistence::counters::{check_conversation_rate, check_rate};
use crate::persistence::Tables;
use crate::ports::blobs::Blobs;
use crate::ports::clock::Clock;
use crate::ports::events::EventSink;
use crate::ports::search::SearchIndex;
use crate::ports::store::Store;

pub mod archive;
mod attachments;
mod channel_settings;
mod channels;
mod compliance;
mod conversations;
mod dms;
mod history;
mod mentions;
mod messages;
mod notifications;
mod profiles;
mod reactions;
mod reads;
mod retention;
mod search;
mod sequence;
mod threads;

pub use attachments::{UploadIntent, MAX_ATTACHMENTS};
pub use channel_settings::ChannelChange;
pub use compliance::{ArchivePolicy, AuditAction, AuditPage, AuditRecord, MAX_AUDIT_PAGE};
pub use history::{HistoryQuery, MAX_CHANGES_PAGE};
pub use mentions::MAX_MENTIONS;
pub use messages::{NewMessage, ReplyTo, Sent};
pub use profiles::MAX_USER_MATCHES;
pub use retention::{
    ArchiveFile, ConversationPolicy, ConversationPolicyView, RetentionReport, RetentionSettings, TenantPolicy,
};
pub use search::{SearchConversation, SearchResult, SearchResults, MAX_SEARCH_PAGE};
pub use threads::{MAX_FOLLOWS, MAX_THREADS_PAGE};

/// Largest page of history, members or channels a client may ask for.
pub const MAX_PAGE: usize = 100;
/// A user is listed in, and searches, at most this many conversations (the sidebar reads them
/// all; search filters by them).
pub const MAX_MEMBERSHIPS: usize = 2_000;

pub struct Chat {
    tables: Tables,
    clock: Arc<dyn Clock>,
    events: Arc<dyn EventSink>,
    /// Attachment storage; without it, uploads are refused.
    uploads: Option<(Arc<dyn Blobs>, UploadRules)>,
    /// The search index; without it, search is refused.
    search: Option<Arc<dyn SearchIndex>>,
    /// The archive bucket, for exports.
    archive: Option<Arc<dyn Blobs>>,
    limits: RateLimits,
    /// Retention for tenants that set no policy (`None`: keep forever).
    default_retention_days: Option<u32>,
    /// Profiles this process has seen: "first sight" costs one read per cold start and user.
    seen_profiles: Mutex<HashMap<(TenantId, UserId), UserProfile>>,
    commit_turns: sequence::CommitTurns,
}

impl Chat {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, events: Arc<dyn EventSink>) -> Self {
        Self {
            tables: Tables::new(store),
            clock,
            events,
            uploads: None,
            search: None,
            archive: None,
            limits: RateLimits::default(),
            default_retention_days: None,
            seen_profiles: Mutex::new(HashMap::new()),
            commit_turns: sequence::CommitTurns::default(),
        }
    }

    /// The deployment's default retention for tenants without a policy of their own.
    pub fn with_default_retention(mut self, days: Option<u32>) -> Self {
        self.default_retention_days = days;
        self
    }

    pub fn with_rate_limits(mut self, limits: RateLimits) -> Self {
        self.limits = limits;
        self
    }

    pub fn with_uploads(mut self, blobs: Arc<dyn Blobs>, rules: UploadRules) -> Self {
        self.uploads = Some((blobs, rules));
        self
    }

    /// The chat's items, for the operations views and metrics.
    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// Counts one action of the caller's against its per-user `rate`, then, for a change to
    /// `conversation` (one that takes its next seq), against the conversation's budget shared by
    /// all its members. In that order: a member refused for their own flood spends none of the
    /// conversation's budget, so they cannot starve the others.
    async fn spend(
        &self,
        caller: &Caller,
        action: &str,
        scope: &str,
        rate: Option<Rate>,
        conversation: Option<&ConversationId>,
    ) -> ChatResult<()> {
        let (store, clock) = (self.tables.store().as_ref(), self.clock.as_ref());
        check_rate(store, clock, &caller.tenant, &caller.user, action, scope, rate).await?;
        if let Some(c) = conversation {
            check_conversation_rate(store, clock, &caller.tenant, c, self.limits.conversation_writes).await?;
        }
        Ok(())
    }

    fn now(&self) -> String {
        format_time(self.clock.now_ms())
    }

    async fn publish(&self, t: &TenantId, event: Event) {
        self.events.publish(t, &event).await;
    }

    /// Publishes a membership change (`Change::MemberAdded` or `Change::MemberRemoved`) of `user`.
    async fn publish_member(
        &self,
        t: &TenantId,
        c: &ConversationId,
        change: fn(MemberChange) -> Change,
        seq: u64,
        user: &UserId,
    ) {
        let event = Event::new(c.clone(), seq, change(MemberChange { user_id: user.clone() }));
        self.publish(t, event).await;
    }
}

/// A page size from the client: 50 when none is asked, else 1..=`max`.
fn page_limit(limit: Option<usize>, max: usize) -> ChatResult<usize> {
    match limit {
        None => Ok(max.min(50)),
        Some(n) if n == 0 || n > max => Err(InvalidInput::new("limit", format!("must be 1-{max}")).into()),
        Some(n) => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_fifty_unless_asked_and_never_outside_one_to_max() {
        assert_eq!(page_limit(None, 100).ok(), Some(50));
        assert_eq!(page_limit(None, 20).ok(), Some(20));
        assert_eq!(page_limit(Some(100), 100).ok(), Some(100));
        assert!(page_limit(Some(0), 100).is_err());
        assert!(page_limit(Some(101), 100).is_err());
    }
}
