//! The use cases. Authorization lives here, once: every use case takes the authenticated
//! `Caller`, and every store access is keyed by the caller's tenant.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::domain::caller::Caller;
use crate::domain::error::{ChatError, ChatResult, InvalidInput};
use crate::domain::files::UploadRules;
use crate::domain::ids::{ClientMessageId, ConversationId, MessageId, TenantId, UserId};
use crate::domain::limits::{Rate, RateLimits};
use crate::domain::values::{ChannelName, Handle, MessageBody, Topic};
use crate::domain::*;
use crate::persistence::counters::{check_conversation_rate, check_rate};
use crate::persistence::keys;
use crate::ports::blobs::Blobs;
use crate::ports::clock::Clock;
use crate::ports::events::EventSink;
use crate::ports::search::SearchIndex;
use crate::ports::store::{Attrs, Cond, Item, Key, Query, Store, StoreError, Update, WriteOp, TTL_ATTR};

pub mod archive;
mod attachments;
mod compliance;
mod mentions;
mod retention;
mod search;
use crate::persistence::codec::{from_attrs, to_attrs};
use crate::persistence::transaction::{OpRole, Transaction, TransactionError};
pub use attachments::{UploadIntent, MAX_ATTACHMENTS};
pub use compliance::{ArchivePolicy, AuditAction, AuditPage, AuditRecord, MAX_AUDIT_PAGE};
pub use mentions::MAX_MENTIONS;
use mentions::{mention_ops, unmention_ops};
pub use retention::{
    ArchiveFile, ConversationPolicy, ConversationPolicyView, RetentionReport, RetentionSettings, TenantPolicy,
};
pub use search::{SearchConversation, SearchResult, SearchResults, MAX_SEARCH_PAGE};

/// Largest page of history or catch-up a client may ask for.
pub const MAX_PAGE: usize = 100;
pub const MAX_CHANGES_PAGE: usize = 500;
/// How often a change is retried when another change to the same conversation won the race for
/// its sequence number.
const MAX_COMMIT_ATTEMPTS: u32 = 12;
/// Per-process turns for commits, by a hash of the conversation.
const COMMIT_STRIPES: usize = 64;
/// How often a change is re-planned when a mentioned member joined or left meanwhile.
const MENTION_RACE_ATTEMPTS: usize = 4;
/// Recent deletions remembered on the conversation for unread counts.
const MAX_DELETED_ORDINALS: usize = 1000;
/// A user is listed in, and searches, at most this many conversations (the sidebar reads them
/// all; search filters by them).
pub const MAX_MEMBERSHIPS: usize = 2_000;
pub const MAX_USER_MATCHES: usize = 20;

/// Profile attribute: its handle is claimed (`HANDLE#` item). Profiles written before handles
/// were claimed lack it and claim theirs at first sight.
const HANDLE_CLAIMED: &str = "handleClaimed";
/// Profiles one process remembers (then it forgets them all and reads each once more).
const MAX_SEEN_PROFILES: usize = 50_000;

/// How `write_profile` treats the handle.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Claim {
    /// Already the user's: nothing to claim.
    Held,
    /// Claim it (the transaction fails at op 0 if someone holds it).
    New,
    /// Claim the new one and give back this previous one.
    Release(String),
}

/// `wanted`, `wanted2` … `wanted9`, then six random four-character suffixes; each fits the limit.
fn handle_candidates(wanted: &Handle) -> Vec<String> {
    let base: String = wanted.as_str().chars().take(crate::domain::values::MAX_HANDLE_CHARS - 5).collect();
    let mut out = vec![wanted.as_str().to_owned()];
    out.extend((2..=9).map(|n| format!("{base}{n}")));
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    for _ in 0..6 {
        let suffix: String =
            (0..4).map(|_| char::from(ALPHABET[rand::random::<u8>() as usize % ALPHABET.len()])).collect();
        out.push(format!("{base}-{suffix}"));
    }
    out
}

/// How long a change stays in the catch-up log. A client further behind than this reloads the
/// conversation (`Changes::resync`); without a limit the log would grow with every message forever.
pub const CHANGE_LOG_SECS: i64 = 30 * 24 * 3600;

fn put_new(key: Key, attrs: Attrs) -> WriteOp {
    WriteOp::Put { item: Item::new(key, attrs), cond: Cond::NotExists }
}

/// What a committed change did, for the caller to build its answer and event from.
struct Committed {
    seq: u64,
}

/// What a change writes besides its change record and the conversation's sequence.
struct ChangePlan {
    ops: Transaction,
    meta_update: Update,
    change: Attrs,
}

enum CommitOutcome {
    Done(Committed),
    /// The conditions of the plan's own operations with these roles failed.
    Refused(Vec<OpRole>),
}

/// Inputs to a send, parsed.
pub struct NewMessage {
    pub client_message_id: ClientMessageId,
    pub body: MessageBody,
    /// Users the message mentions (the composer's structured mentions, not parsed from text).
    pub mentions: Vec<UserId>,
    /// Upload ids (from upload intents) to attach.
    pub attachments: Vec<String>,
}

pub struct Sent {
    pub message: Message,
    /// False when the client message id had been seen: the first message is returned, nothing written.
    pub created: bool,
}

#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    pub before: Option<MessageId>,
    pub after: Option<MessageId>,
    pub limit: Option<usize>,
}

pub struct Chat {
    store: Arc<dyn Store>,
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
    commit_turns: Vec<tokio::sync::Mutex<()>>,
}

impl Chat {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, events: Arc<dyn EventSink>) -> Self {
        Self {
            store,
            clock,
            events,
            uploads: None,
            search: None,
            archive: None,
            limits: RateLimits::default(),
            default_retention_days: None,
            seen_profiles: Mutex::new(HashMap::new()),
            commit_turns: (0..COMMIT_STRIPES).map(|_| tokio::sync::Mutex::new(())).collect(),
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

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
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
        let (store, clock) = (self.store.as_ref(), self.clock.as_ref());
        check_rate(store, clock, &caller.tenant, &caller.user, action, scope, rate).await?;
        if let Some(c) = conversation {
            check_conversation_rate(store, clock, &caller.tenant, c, self.limits.conversation_writes).await?;
        }
        Ok(())
    }

    fn now(&self) -> String {
        format_time(self.clock.now_ms())
    }

    // ----- users -------------------------------------------------------------------------

    /// The caller's profile, created the first time anyone sees them (with a handle of their
    /// own, claimed for the tenant) and refreshed when their display name changes. The handle
    /// never follows the token after that. "First sight" costs one read per process and user.
    pub async fn ensure_profile(&self, caller: &Caller) -> ChatResult<UserProfile> {
        let marker = (caller.tenant.clone(), caller.user.clone());
        if let Some(known) = self.seen_profiles.lock().ok().and_then(|seen| seen.get(&marker).cloned()) {
            if known.display_name == caller.display_name.as_str() {
                return Ok(known);
            }
        }
        let key = keys::user_profile(&caller.tenant, &caller.user);
        let profile = match self.store.get(&key, true).await? {
            Some(item) if item.attrs.contains_key(HANDLE_CLAIMED) => {
                let existing: UserProfile = from_attrs(&item.attrs)?;
                if existing.display_name == caller.display_name.as_str() {
                    existing
                } else {
                    let renamed =
                        UserProfile { display_name: caller.display_name.as_str().to_owned(), ..existing.clone() };
                    self.write_profile(&caller.tenant, Some(&existing), &renamed, Claim::Held).await??;
                    renamed
                }
            }
            // Written before handles were claimed: claim its handle now (another suffix if taken).
            Some(item) => {
                let existing: UserProfile = from_attrs(&item.attrs)?;
                let wanted = Handle::derive(&existing.handle, caller.user.as_str());
                self.claim_profile(&caller.tenant, &caller.user, Some(&existing), &wanted, caller.display_name.as_str())
                    .await?
            }
            None => {
                self.claim_profile(
                    &caller.tenant,
                    &caller.user,
                    None,
                    &caller.suggested_handle,
                    caller.display_name.as_str(),
                )
                .await?
            }
        };
        if let Ok(mut seen) = self.seen_profiles.lock() {
            // A bound on what one process remembers; forgetting costs one read.
            if seen.len() >= MAX_SEEN_PROFILES {
                seen.clear();
            }
            seen.insert(marker, profile.clone());
        }
        Ok(profile)
    }

    /// Gives a user a handle no one else in the tenant holds: `wanted`, else `wanted2`, `wanted3`…
    /// then random suffixes, each claimed in one transaction with the profile and its tokens.
    async fn claim_profile(
        &self,
        tenant: &TenantId,
        user: &UserId,
        old: Option<&UserProfile>,
        wanted: &Handle,
        display_name: &str,
    ) -> ChatResult<UserProfile> {
        let mut contention = 0;
        let mut candidates = handle_candidates(wanted).into_iter();
        let mut handle = candidates.next();
        while let Some(candidate) = handle.clone() {
            let profile = UserProfile { id: user.clone(), handle: candidate, display_name: display_name.to_owned() };
            match self.write_profile(tenant, old, &profile, Claim::New).await? {
                Ok(()) => return Ok(profile),
                // The same user's other request created the profile first: theirs stands.
                Err(refused) if old.is_none() && refused.refused(OpRole::Profile) => {
                    let item = self.store.get(&keys::user_profile(tenant, user), true).await?;
                    return item
                        .map(|i| from_attrs(&i.attrs))
                        .transpose()?
                        .ok_or(ChatError::Internal("profile vanished".into()));
                }
                Err(refused) if refused.refused(OpRole::HandleClaim) => {
                    handle = candidates.next();
                }
                // Cancelled for contention, no condition failed: try the same handle again.
                Err(TransactionError::Store(StoreError::TransactionCanceled { .. })) if contention < 5 => {
                    contention += 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(ChatError::conflict("handle_unavailable", "no free handle was found; try again"))
    }

    /// Writes a profile and its search tokens; with `Claim::New`, also claims its handle
    /// (op 0, `attribute_not_exists`) and, for a new profile, puts it only if absent (op 1), all
    /// in one transaction, so no two profiles of a tenant ever hold the same handle.
    async fn write_profile(
        &self,
        tenant: &TenantId,
        old: Option<&UserProfile>,
        new: &UserProfile,
        claim: Claim,
    ) -> ChatResult<Result<(), TransactionError>> {
        let old_tokens: HashSet<String> = old.map(search_tokens).unwrap_or_default();
        let new_tokens = search_tokens(new);
        let mut attrs = to_attrs(new)?;
        attrs.insert(HANDLE_CLAIMED.into(), Value::Bool(true));
        let mut tx = Transaction::default();
        if claim != Claim::Held {
            let owner = to_attrs(&json!({ "userId": new.id }))?;
            tx.push(OpRole::HandleClaim, put_new(keys::handle(tenant, &new.handle), owner));
        }
        let profile_cond = if old.is_none() { Cond::NotExists } else { Cond::Always };
        tx.push(
            OpRole::Profile,
            WriteOp::Put { item: Item::new(keys::user_profile(tenant, &new.id), attrs), cond: profile_cond },
        );
        if let Claim::Release(previous) = &claim {
            tx.push(
                OpRole::HandleClaim,
                WriteOp::Delete {
                    key: keys::handle(tenant, previous),
                    cond: Cond::Equals("userId".into(), json!(new.id)),
                },
            );
        }
        if old.is_none() {
            // A tenant the retention job should visit (the deployment's default applies to it).
            let registered = to_attrs(&json!({ "tenantId": tenant }))?;
            tx.push(
                OpRole::Record,
                WriteOp::Put { item: Item::new(keys::retention_tenant(tenant), registered), cond: Cond::Always },
            );
        }
        for token in old_tokens.difference(&new_tokens) {
            tx.push(
                OpRole::Record,
                WriteOp::Delete { key: keys::user_index(tenant, token, &new.id), cond: Cond::Always },
            );
        }
        for token in &new_tokens {
            let entry = to_attrs(&json!({ "userId": new.id }))?;
            tx.push(
                OpRole::Record,
                WriteOp::Put { item: Item::new(keys::user_index(tenant, token, &new.id), entry), cond: Cond::Always },
            );
        }
        if claim == Claim::Held {
            // No claim changes hands: nothing needs to be atomic.
            self.store.batch_write(tx.into_ops()).await?;
            return Ok(Ok(()));
        }
        Ok(tx.commit(self.store.as_ref()).await)
    }

    /// Seeds or updates a profile without a token (demo data, admin import): the handle given
    /// is claimed for it (`handle_taken` if another user holds it).
    pub async fn upsert_profile(&self, tenant: &TenantId, profile: &UserProfile) -> ChatResult<()> {
        let key = keys::user_profile(tenant, &profile.id);
        let (existing, claimed) = match self.store.get(&key, true).await? {
            Some(item) => (Some(from_attrs::<UserProfile>(&item.attrs)?), item.attrs.contains_key(HANDLE_CLAIMED)),
            None => (None, false),
        };
        let handle = Handle::parse(&profile.handle)?;
        let profile = UserProfile { handle: handle.as_str().to_owned(), ..profile.clone() };
        if existing.as_ref() == Some(&profile) && claimed {
            return Ok(());
        }
        let claim = match &existing {
            Some(old) if claimed && old.handle == profile.handle => Claim::Held,
            Some(old) if claimed => Claim::Release(old.handle.clone()),
            _ => Claim::New,
        };
        match self.write_profile(tenant, existing.as_ref(), &profile, claim).await? {
            Err(refused) if refused.refused(OpRole::HandleClaim) => {
                Err(ChatError::conflict("handle_taken", "another user has that handle"))
            }
            other => Ok(other?),
        }
    }

    pub async fn profile(&self, tenant: &TenantId, user: &UserId) -> ChatResult<Option<UserProfile>> {
        match self.store.get(&keys::user_profile(tenant, user), false).await? {
            Some(item) => Ok(Some(from_attrs(&item.attrs)?)),
            None => Ok(None),
        }
    }

    /// Up to 20 users of the caller's tenant whose handle or any word of whose display name
    /// starts with `prefix` (case-insensitive): a key-range query on the tenant's token index.
    pub async fn find_users(&self, caller: &Caller, prefix: &str) -> ChatResult<Vec<UserProfile>> {
        let prefix = normalize_token(prefix.trim().trim_start_matches('@'));
        if prefix.chars().count() > 80 {
            return Err(InvalidInput::new("prefix", "must be at most 80 characters").into());
        }
        if prefix.contains('#') {
            return Ok(Vec::new());
        }
        let mut ids: Vec<UserId> = Vec::new();
        let query = Query::prefix(keys::user_index_pk(&caller.tenant), &prefix).limit(200);
        let page = self.store.query(&query).await?;
        for item in &page.items {
            let Some(user) = item.attrs.get("userId").and_then(Value::as_str) else { continue };
            let Ok(user) = UserId::parse(user) else { continue };
            if !ids.contains(&user) {
                ids.push(user);
            }
            if ids.len() >= MAX_USER_MATCHES {
                break;
            }
        }
        let profiles = self.profiles(&caller.tenant, &ids).await?;
        let mut found: Vec<UserProfile> = ids.iter().filter_map(|id| profiles.get(id).cloned()).collect();
        found.sort_by(|a, b| a.handle.cmp(&b.handle));
        Ok(found)
    }

    async fn profiles(&self, tenant: &TenantId, users: &[UserId]) -> ChatResult<HashMap<UserId, UserProfile>> {
        let keys: Vec<Key> = users.iter().map(|u| keys::user_profile(tenant, u)).collect();
        let mut out = HashMap::new();
        for item in self.store.batch_get(&keys, false).await? {
            let profile: UserProfile = from_attrs(&item.attrs)?;
            out.insert(profile.id.clone(), profile);
        }
        Ok(out)
    }

    // ----- conversations ----------------------------------------------------------------

    async fn meta(
        &self,
        tenant: &TenantId,
        conversation: &ConversationId,
        consistent: bool,
    ) -> ChatResult<Option<ConversationMeta>> {
        match self.store.get(&keys::conversation_meta(tenant, conversation), consistent).await? {
            Some(item) => Ok(Some(from_attrs(&item.attrs)?)),
            None => Ok(None),
        }
    }

    async fn member(
        &self,
        tenant: &TenantId,
        conversation: &ConversationId,
        user: &UserId,
    ) -> ChatResult<Option<Member>> {
        match self.store.get(&keys::member(tenant, conversation, user), true).await? {
            Some(item) => Ok(Some(from_attrs(&item.attrs)?)),
            None => Ok(None),
        }
    }

    /// The caller's membership, or the error that reveals no more than they may know: a public
    /// channel of their tenant is no secret (403), anything else is 404.
    async fn require_member(&self, caller: &Caller, conversation: &ConversationId) -> ChatResult<Member> {
        if let Some(member) = self.member(&caller.tenant, conversation, &caller.user).await? {
            return Ok(member);
        }
        match self.meta(&caller.tenant, conversation, false).await? {
            Some(meta) if meta.kind == ConversationKind::Public => {
                Err(ChatError::forbidden("not_a_member", "join the channel first"))
            }
            _ => Err(ChatError::NotFound("conversation")),
        }
    }

    /// The caller's member item and one message of the conversation, read together: the
    /// message only once the membership is proven.
    async fn member_and_message(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        id: &MessageId,
    ) -> ChatResult<(Member, Item)> {
        let member_key = keys::member(&caller.tenant, conversation, &caller.user);
        let message_key = keys::message(&caller.tenant, conversation, id);
        let found = self.store.batch_get(&[member_key.clone(), message_key.clone()], true).await?;
        let member = match found.iter().find(|item| item.key == member_key) {
            Some(item) => from_attrs(&item.attrs)?,
            // The 403 or 404 a non-member gets (or a member who joined since the read).
            None => self.require_member(caller, conversation).await?,
        };
        let message = found.into_iter().find(|item| item.key == message_key).ok_or(ChatError::NotFound("message"))?;
        Ok((member, message))
    }

    fn can_manage_members(caller: &Caller, member: &Member) -> bool {
        member.role == MemberRole::Admin || caller.is_tenant_admin()
    }

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
        };
        let t = &caller.tenant;
        let mut tx = Transaction::default();
        // A directory entry, not a claim: names are no oracle (issue 23.2). Only public names are
        // unique (the `PUBCHAN#` claim below, among public channels — no secret); a private
        // channel's name is reserved nowhere, so creating any channel answers the same whether
        // or not a private channel of that name exists.
        let listed = to_attrs(&json!({ "conversationId": id }))?;
        tx.push(OpRole::Record, put_new(keys::channel_directory(t, name.as_str(), &id), listed));
        tx.push(OpRole::Record, put_new(keys::conversation_meta(t, &id), to_attrs(&meta)?));
        tx.extend(OpRole::Member, join_ops(t, &id, kind, &caller.user, MemberRole::Admin, &now, None)?);
        tx.push(OpRole::Sequence, self.change_record(t, &id, 1, member_change(EventType::MemberAdded, &caller.user)));
        if kind == ConversationKind::Public {
            let entry = json!({ "conversationId": id, "name": name.as_str(), "topic": topic });
            tx.push(OpRole::NameClaim, put_new(keys::public_channel(t, name.as_str()), to_attrs(&entry)?));
        }
        match tx.commit(self.store.as_ref()).await {
            Ok(()) => {}
            Err(refused) if refused.refused(OpRole::NameClaim) => {
                return Err(ChatError::conflict(
                    "name_taken",
                    format!("a public channel named #{} exists", name.as_str()),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        self.publish(
            t,
            Event {
                kind: EventType::MemberAdded,
                conversation_id: id.clone(),
                seq: 1,
                data: json!({ "userId": caller.user }),
            },
        )
        .await;
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
        })
    }

    /// Public channels of the caller's tenant, by name; `after` is the last name of the previous page.
    pub async fn browse_channels(
        &self,
        caller: &Caller,
        after: Option<&str>,
        limit: Option<usize>,
    ) -> ChatResult<(Vec<PublicChannel>, Option<String>)> {
        let limit = page_limit(limit, MAX_PAGE)?;
        let mut query = Query::prefix(keys::tenant_pk(&caller.tenant), keys::PUBLIC_CHANNEL_PREFIX).limit(limit);
        if let Some(after) = after {
            let name = ChannelName::parse(after).map_err(|_| InvalidInput::new("cursor", "is not a channel name"))?;
            query = query.after(keys::public_channel_sk(name.as_str()));
        }
        let page = self.store.query(&query).await?;
        let mut channels = Vec::with_capacity(page.items.len());
        for item in &page.items {
            let id: ConversationId = from_attrs::<Value>(&item.attrs)?
                .get("conversationId")
                .and_then(Value::as_str)
                .and_then(|s| ConversationId::parse(s).ok())
                .ok_or_else(|| ChatError::corrupt("public channel entry without id"))?;
            channels.push(PublicChannel {
                id,
                name: item.attrs.get("name").and_then(Value::as_str).unwrap_or_default().to_owned(),
                topic: item.attrs.get("topic").and_then(Value::as_str).map(str::to_owned),
                joined: false,
            });
        }
        let membership_keys: Vec<Key> =
            channels.iter().map(|c| keys::membership(&caller.tenant, &caller.user, &c.id)).collect();
        let joined: HashSet<String> =
            self.store.batch_get(&membership_keys, false).await?.into_iter().map(|item| item.key.sk).collect();
        for channel in &mut channels {
            channel.joined = joined.contains(&keys::membership(&caller.tenant, &caller.user, &channel.id).sk);
        }
        let next = if page.more { channels.last().map(|c| c.name.clone()) } else { None };
        Ok((channels, next))
    }

    pub async fn join(&self, caller: &Caller, conversation: &ConversationId) -> ChatResult<ConversationSummary> {
        let t = &caller.tenant;
        if self.member(t, conversation, &caller.user).await?.is_some() {
            return self.summary(caller, conversation).await;
        }
        let meta = self.meta(t, conversation, false).await?.ok_or(ChatError::NotFound("conversation"))?;
        match meta.kind {
            ConversationKind::Public => {}
            // A private channel the caller is not in does not exist for them.
            ConversationKind::Private | ConversationKind::Dm => return Err(ChatError::NotFound("conversation")),
        }
        self.spend(caller, "member", "all", self.limits.membership, Some(conversation)).await?;
        let now = self.now();
        let user = caller.user.clone();
        let outcome = self
            .commit_change(t, conversation, |meta, _seq| {
                Ok(ChangePlan {
                    ops: Transaction::default().with(
                        OpRole::Member,
                        join_ops(t, conversation, meta.kind, &user, MemberRole::Member, &now, Some(meta))?,
                    ),
                    meta_update: Update::default(),
                    change: member_change(EventType::MemberAdded, &user),
                })
            })
            .await?;
        match outcome {
            CommitOutcome::Done(done) => {
                self.publish_member(t, conversation, EventType::MemberAdded, done.seq, &user).await;
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
        let meta = self.meta(t, conversation, false).await?.ok_or(ChatError::NotFound("conversation"))?;
        match meta.kind {
            ConversationKind::Dm => {
                return Err(ChatError::forbidden("dm_membership", "a direct message always has the same two people"))
            }
            ConversationKind::Private if !Self::can_manage_members(caller, &member) => {
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
        if self.member(t, conversation, target).await?.is_some() {
            return Ok(());
        }
        self.spend(caller, "member", "all", self.limits.membership, Some(conversation)).await?;
        let now = self.now();
        let outcome = self
            .commit_change(t, conversation, |meta, _| {
                Ok(ChangePlan {
                    ops: Transaction::default().with(
                        OpRole::Member,
                        join_ops(t, conversation, meta.kind, target, MemberRole::Member, &now, Some(meta))?,
                    ),
                    meta_update: Update::default(),
                    change: member_change(EventType::MemberAdded, target),
                })
            })
            .await?;
        if let CommitOutcome::Done(done) = outcome {
            self.publish_member(t, conversation, EventType::MemberAdded, done.seq, target).await;
        }
        Ok(())
    }

    /// Removes `target` (the caller themselves: leaving). Removing someone else takes a channel
    /// admin or a tenant admin.
    pub async fn remove(&self, caller: &Caller, conversation: &ConversationId, target: &UserId) -> ChatResult<()> {
        let member = self.require_member(caller, conversation).await?;
        if target != &caller.user && !Self::can_manage_members(caller, &member) {
            return Err(ChatError::forbidden("not_channel_admin", "only channel admins can remove members"));
        }
        if self.member(&caller.tenant, conversation, target).await?.is_none() {
            return Err(ChatError::NotFound("member"));
        }
        self.remove_member(caller, conversation, target).await
    }

    async fn remove_member(&self, caller: &Caller, conversation: &ConversationId, target: &UserId) -> ChatResult<()> {
        let t = &caller.tenant;
        if conversation.is_dm() {
            return Err(ChatError::forbidden("dm_membership", "a direct message always has the same two people"));
        }
        self.spend(caller, "member", "all", self.limits.membership, Some(conversation)).await?;
        let outcome = self
            .commit_change(t, conversation, |_, _| {
                Ok(ChangePlan {
                    ops: Transaction::default().with(
                        OpRole::Member,
                        [
                            WriteOp::Delete { key: keys::member(t, conversation, target), cond: Cond::Exists },
                            WriteOp::Delete { key: keys::membership(t, target, conversation), cond: Cond::Always },
                        ],
                    ),
                    meta_update: Update::default(),
                    change: member_change(EventType::MemberRemoved, target),
                })
            })
            .await?;
        match outcome {
            CommitOutcome::Done(done) => {
                self.drop_mentions(t, target, conversation).await;
                self.publish_member(t, conversation, EventType::MemberRemoved, done.seq, target).await;
                Ok(())
            }
            CommitOutcome::Refused(_) => Err(ChatError::NotFound("member")),
        }
    }

    /// Opens the DM between the caller and `other`, creating it the first time; idempotent, and
    /// only ever between two users of the caller's tenant.
    pub async fn open_dm(&self, caller: &Caller, other: &UserId) -> ChatResult<ConversationSummary> {
        let t = &caller.tenant;
        if other == &caller.user {
            return Err(InvalidInput::new("userId", "must be someone else").into());
        }
        let id = ConversationId::for_dm(t, &caller.user, other);
        if self.member(t, &id, &caller.user).await?.is_some() {
            return self.summary(caller, &id).await;
        }
        if self.profile(t, other).await?.is_none() {
            return Err(ChatError::NotFound("user"));
        }
        self.spend(caller, "dm", "all", self.limits.dms, None).await?;
        let now = self.now();
        let mut users = vec![caller.user.clone(), other.clone()];
        users.sort();
        // Each person joining is one of the DM's first changes (the opener at seq 1, the other
        // at seq 2), so both are told live like any member added: the other person's client
        // shows and subscribes to the DM before its first message, and catch-up replays it.
        let joined = [caller.user.clone(), other.clone()];
        let meta = ConversationMeta {
            id: id.clone(),
            kind: ConversationKind::Dm,
            name: None,
            topic: None,
            created_by: caller.user.clone(),
            created_at: now.clone(),
            last_seq: joined.len() as u64,
            message_count: 0,
            last_message_at: None,
            dm_users: users.clone(),
            deleted_ordinals: Vec::new(),
        };
        let mut tx = Transaction::default();
        // The conversation's own item is the DM's claim: created once, by whoever opens it first.
        tx.push(OpRole::Record, put_new(keys::conversation_meta(t, &id), to_attrs(&meta)?));
        let listed = to_attrs(&json!({ "conversationId": id }))?;
        tx.push(
            OpRole::Record,
            WriteOp::Put { item: Item::new(keys::dm_directory(t, &id), listed), cond: Cond::Always },
        );
        for user in &users {
            tx.extend(OpRole::Member, join_ops(t, &id, ConversationKind::Dm, user, MemberRole::Member, &now, None)?);
        }
        for (seq, user) in (1u64..).zip(&joined) {
            tx.push(OpRole::Sequence, self.change_record(t, &id, seq, member_change(EventType::MemberAdded, user)));
        }
        match tx.commit(self.store.as_ref()).await {
            Ok(()) => {
                for (seq, user) in (1u64..).zip(&joined) {
                    self.publish_member(t, &id, EventType::MemberAdded, seq, user).await;
                }
            }
            // Opened concurrently by the other person: it exists now, and they told everyone.
            Err(TransactionError::Refused(_)) => {}
            Err(e) => return Err(e.into()),
        }
        self.summary(caller, &id).await
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
        let mut query =
            Query::prefix(keys::conversation_pk(t, conversation), keys::MEMBER_PREFIX).limit(limit).consistent();
        if let Some(after) = after {
            let user = UserId::parse(after).map_err(|_| InvalidInput::new("cursor", "is not a user id"))?;
            query = query.after(keys::member(t, conversation, &user).sk);
        }
        let page = self.store.query(&query).await?;
        let members: Vec<Member> = page.items.iter().map(|i| from_attrs(&i.attrs)).collect::<ChatResult<_>>()?;
        let ids: Vec<UserId> = members.iter().map(|m| m.user_id.clone()).collect();
        let profiles = self.profiles(t, &ids).await?;
        let next = if page.more { members.last().map(|m| m.user_id.to_string()) } else { None };
        let out = members
            .into_iter()
            .map(|m| MemberView {
                profile: profiles.get(&m.user_id).cloned().unwrap_or(UserProfile {
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

    /// The caller's view of one conversation.
    pub async fn summary(&self, caller: &Caller, conversation: &ConversationId) -> ChatResult<ConversationSummary> {
        let t = &caller.tenant;
        let item = match self.store.get(&keys::membership(t, &caller.user, conversation), true).await? {
            Some(item) => item,
            None => {
                // Not a member: answer as every other route does (403 for a public channel, 404 else).
                self.require_member(caller, conversation).await?;
                return Err(ChatError::NotFound("conversation"));
            }
        };
        let membership: Membership = from_attrs(&item.attrs)?;
        let meta = self.meta(t, conversation, true).await?.ok_or(ChatError::NotFound("conversation"))?;
        let profiles = self.profiles(t, &meta.dm_users).await?;
        Ok(summarize(&meta, &membership, &profiles))
    }

    /// Every conversation the caller is in, with unread and mention counts: one query of the
    /// caller's memberships plus batched reads of the conversations (O(1) each).
    pub async fn list_conversations(&self, caller: &Caller) -> ChatResult<Vec<ConversationSummary>> {
        let t = &caller.tenant;
        let memberships = self.memberships(caller).await?;
        let meta_keys: Vec<Key> = memberships.iter().map(|m| keys::conversation_meta(t, &m.conversation_id)).collect();
        let mut metas: HashMap<ConversationId, ConversationMeta> = HashMap::new();
        for item in self.store.batch_get(&meta_keys, false).await? {
            let meta: ConversationMeta = from_attrs(&item.attrs)?;
            metas.insert(meta.id.clone(), meta);
        }
        let dm_users: Vec<UserId> = {
            let set: HashSet<UserId> = metas.values().flat_map(|m| m.dm_users.iter().cloned()).collect();
            set.into_iter().collect()
        };
        let profiles = self.profiles(t, &dm_users).await?;
        let mut out: Vec<ConversationSummary> = memberships
            .iter()
            .filter_map(|m| metas.get(&m.conversation_id).map(|meta| summarize(meta, m, &profiles)))
            .collect();
        out.sort_by(|a, b| match (a.kind == ConversationKind::Dm, b.kind == ConversationKind::Dm) {
            (false, true) => std::cmp::Ordering::Less,
            (true, false) => std::cmp::Ordering::Greater,
            _ => a.name.cmp(&b.name).then(a.id.cmp(&b.id)),
        });
        Ok(out)
    }

    // ----- messages ---------------------------------------------------------------------

    async fn message(&self, t: &TenantId, c: &ConversationId, m: &MessageId) -> ChatResult<Option<Message>> {
        match self.store.get(&keys::message(t, c, m), true).await? {
            Some(item) => Ok(Some(from_attrs(&item.attrs)?)),
            None => Ok(None),
        }
    }

    async fn message_by_client_id(
        &self,
        caller: &Caller,
        c: &ConversationId,
        cmid: &ClientMessageId,
    ) -> ChatResult<Option<Message>> {
        match self.store.get(&keys::client_message(&caller.tenant, c, &caller.user, cmid), true).await? {
            Some(guard) => self.guarded_message(&caller.tenant, c, &guard).await,
            None => Ok(None),
        }
    }

    /// The message a client-id guard points to.
    async fn guarded_message(&self, t: &TenantId, c: &ConversationId, guard: &Item) -> ChatResult<Option<Message>> {
        let id = guard
            .attrs
            .get("messageId")
            .and_then(Value::as_str)
            .and_then(|s| MessageId::parse(s).ok())
            .ok_or_else(|| ChatError::corrupt("client-id guard without message id"))?;
        self.message(t, c, &id).await
    }

    /// Sends a message. The client message id is a unique constraint written in the same
    /// transaction: the same id again returns the first message, forever, and writes nothing.
    pub async fn send(&self, caller: &Caller, conversation: &ConversationId, new: NewMessage) -> ChatResult<Sent> {
        let t = &caller.tenant;
        // One read answers "may send" and "sent before?". The membership (rather than the member
        // item) also says whether the sender has unread mentions to clear, saving a query per
        // send when they have none.
        let membership_key = keys::membership(t, &caller.user, conversation);
        let guard_key = keys::client_message(t, conversation, &caller.user, &new.client_message_id);
        let found = self.store.batch_get(&[membership_key.clone(), guard_key.clone()], true).await?;
        let membership: Membership = match found.iter().find(|item| item.key == membership_key) {
            Some(item) => from_attrs(&item.attrs)?,
            None => {
                self.require_member(caller, conversation).await?;
                return Err(ChatError::NotFound("conversation"));
            }
        };
        if let Some(guard) = found.iter().find(|item| item.key == guard_key) {
            if let Some(message) = self.guarded_message(t, conversation, guard).await? {
                return Ok(Sent { message, created: false });
            }
        }
        // A retry of a sent message (above) is never limited: only new messages count.
        self.spend(caller, "send", conversation.as_str(), self.limits.sends, Some(conversation)).await?;
        let mentions = self.parse_mentions(t, new.mentions).await?;
        // Checked against storage (exists, declared size and type, the sender's, unattached)
        // and tagged attached before the message commits: a failure later leaks a file, never
        // loses one to the orphan sweep.
        let uploads = self.resolve_uploads(caller, conversation, &new.attachments).await?;
        let attachments: Vec<Attachment> = uploads.iter().map(|u| u.attachment(conversation)).collect();
        let body = new.body.into_inner();
        for _ in 0..MENTION_RACE_ATTEMPTS {
            // Only members are told: a mentioned user who cannot read the conversation learns nothing.
            let notified = self.members_among(t, conversation, &mentions, Some(&caller.user)).await?;
            let mut sent: Option<(Message, u64)> = None;
            let outcome = self
                .commit_change(t, conversation, |meta, seq| {
                    // The id (time-ordered) is taken after the sequence was read, on every attempt,
                    // so history order (by id) follows commit order (by seq) but for sends within
                    // the same millisecond on different instances; clients order by seq.
                    let id =
                        MessageId::from_ulid(ulid::Ulid::from_parts(self.clock.now_ms().max(0) as u64, rand::random()));
                    let now = self.now();
                    let ordinal = meta.message_count + 1;
                    let message = Message {
                        id,
                        conversation_id: conversation.clone(),
                        seq,
                        updated_seq: seq,
                        author_id: caller.user.clone(),
                        body: body.clone(),
                        mentions: mentions.clone(),
                        attachments: attachments.clone(),
                        client_message_id: new.client_message_id.clone(),
                        created_at: now.clone(),
                        edited_at: None,
                        deleted_at: None,
                    };
                    let mut attrs = to_attrs(&message)?;
                    attrs.insert("ordinal".into(), ordinal.into());
                    sent = Some((message, ordinal));
                    let mut ops = Transaction::default();
                    ops.push(
                        OpRole::ClientIdGuard,
                        put_new(
                            keys::client_message(t, conversation, &caller.user, &new.client_message_id),
                            to_attrs(&json!({ "messageId": id }))?,
                        ),
                    );
                    ops.push(OpRole::Message, put_new(keys::message(t, conversation, &id), attrs));
                    // Sending advances the sender's own read position; the conditions also prove
                    // they are still a member when the message commits.
                    ops.extend(
                        OpRole::CallerMembership,
                        [
                            WriteOp::Update {
                                key: keys::membership(t, &caller.user, conversation),
                                update: Update::default().set("readSeq", seq).set("readCount", ordinal),
                                cond: Cond::Exists,
                            },
                            WriteOp::Check { key: keys::member(t, conversation, &caller.user), cond: Cond::Exists },
                        ],
                    );
                    ops.extend(OpRole::Mention, mention_ops(t, conversation, &notified, ordinal, 1));
                    for upload in &uploads {
                        ops.push(
                            OpRole::Upload,
                            WriteOp::Update {
                                key: keys::upload(t, conversation, &upload.upload_id),
                                update: Update::default().set("attachedTo", id.to_string()).remove(TTL_ATTR),
                                cond: Cond::ExistsWithout("attachedTo".into()),
                            },
                        );
                    }
                    Ok(ChangePlan {
                        ops,
                        meta_update: Update::default().add("messageCount", 1).set("lastMessageAt", now.clone()),
                        change: message_change(EventType::NewMessage, &id),
                    })
                })
                .await?;
            match outcome {
                CommitOutcome::Done(done) => {
                    let (message, ordinal) =
                        sent.ok_or_else(|| ChatError::Internal("send committed without a message".into()))?;
                    // The sender has read everything up to here, mentions of them included.
                    if membership.mention_count > 0 {
                        self.clear_mentions_through(t, &caller.user, conversation, ordinal).await;
                    }
                    self.publish(t, message_event(EventType::NewMessage, done.seq, &message)).await;
                    return Ok(Sent { message, created: true });
                }
                CommitOutcome::Refused(failed) if failed.contains(&OpRole::ClientIdGuard) => {
                    // Another request with the same client id won the race: answer with its message.
                    let message = self
                        .message_by_client_id(caller, conversation, &new.client_message_id)
                        .await?
                        .ok_or_else(|| ChatError::Internal("client-id guard without its message".into()))?;
                    return Ok(Sent { message, created: false });
                }
                CommitOutcome::Refused(failed) if failed.contains(&OpRole::CallerMembership) => {
                    return Err(ChatError::NotFound("conversation"));
                }
                CommitOutcome::Refused(failed) if failed.contains(&OpRole::Upload) => {
                    return Err(
                        InvalidInput::new("attachments", "an upload is already attached to another message").into()
                    );
                }
                // A mentioned member left while we sent: look again at who is a member.
                CommitOutcome::Refused(_) => continue,
            }
        }
        Err(ChatError::Internal("membership kept changing while sending".into()))
    }

    /// Edits the caller's own message. `mentions`, when given, replaces the message's mentions:
    /// someone an edit adds is notified (if they have not read that far), someone it removes stops
    /// counting it.
    pub async fn edit(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        id: &MessageId,
        body: MessageBody,
        mentions: Option<Vec<UserId>>,
    ) -> ChatResult<Message> {
        let t = &caller.tenant;
        let (_, item) = self.member_and_message(caller, conversation, id).await?;
        let current: Message = from_attrs(&item.attrs)?;
        if current.deleted_at.is_some() {
            return Err(ChatError::NotFound("message"));
        }
        if current.author_id != caller.user {
            return Err(ChatError::forbidden("not_author", "only the author can edit a message"));
        }
        let ordinal = ordinal_of(&item.attrs);
        let mentions = match mentions {
            Some(m) => self.parse_mentions(t, m).await?,
            None => current.mentions.clone(),
        };
        let body = body.into_inner();
        if body == current.body && mentions == current.mentions {
            return Ok(current);
        }
        self.spend(caller, "change", "all", self.limits.message_changes, Some(conversation)).await?;
        let added: Vec<UserId> = mentions.iter().filter(|u| !current.mentions.contains(u)).cloned().collect();
        let removed: Vec<UserId> = current.mentions.iter().filter(|u| !mentions.contains(u)).cloned().collect();
        for _ in 0..MENTION_RACE_ATTEMPTS {
            let members = self.members_among(t, conversation, &added, Some(&caller.user)).await?;
            let notify = self.unread_by(t, conversation, &members, ordinal).await?;
            let forget = self.counted_mentions(t, conversation, &removed, ordinal).await?;
            let now = self.now();
            let outcome = self
                .commit_change(t, conversation, |_, seq| {
                    let mut ops = Transaction::default();
                    ops.push(
                        OpRole::Message,
                        WriteOp::Update {
                            key: keys::message(t, conversation, id),
                            update: Update::default()
                                .set("body", body.clone())
                                .set("mentions", serde_json::to_value(&mentions).unwrap_or(Value::Array(Vec::new())))
                                .set("editedAt", now.clone())
                                .set("updatedSeq", seq),
                            cond: Cond::Exists,
                        },
                    );
                    ops.extend(OpRole::Mention, mention_ops(t, conversation, &notify, ordinal, 1));
                    ops.extend(OpRole::Mention, unmention_ops(t, conversation, &forget, ordinal));
                    Ok(ChangePlan {
                        ops,
                        meta_update: Update::default(),
                        change: message_change(EventType::MessageUpdated, id),
                    })
                })
                .await?;
            match outcome {
                CommitOutcome::Done(done) => {
                    let message = Message { body, mentions, edited_at: Some(now), updated_seq: done.seq, ..current };
                    self.publish(t, message_event(EventType::MessageUpdated, done.seq, &message)).await;
                    return Ok(message);
                }
                CommitOutcome::Refused(failed) if failed.contains(&OpRole::Message) => {
                    return Err(ChatError::NotFound("message"))
                }
                // Someone read, joined or left meanwhile: plan again.
                CommitOutcome::Refused(_) => continue,
            }
        }
        Err(ChatError::Internal("mentions kept changing while editing".into()))
    }

    /// Deletes a message (its author, a channel admin, or a tenant admin): a tombstone keeps its
    /// id and seq so catch-up can carry the delete; the body and attachments are gone, and it
    /// stops counting as unread or as a mention.
    pub async fn delete(&self, caller: &Caller, conversation: &ConversationId, id: &MessageId) -> ChatResult<Message> {
        let t = &caller.tenant;
        let (member, item) = self.member_and_message(caller, conversation, id).await?;
        let current: Message = from_attrs(&item.attrs)?;
        if current.deleted_at.is_some() {
            return Ok(current);
        }
        let is_channel_admin = member.role == MemberRole::Admin && !conversation.is_dm();
        if current.author_id != caller.user && !is_channel_admin && !caller.is_tenant_admin() {
            return Err(ChatError::forbidden("not_author", "only the author or a channel admin can delete a message"));
        }
        self.spend(caller, "change", "all", self.limits.message_changes, Some(conversation)).await?;
        let ordinal = ordinal_of(&item.attrs);
        for _ in 0..MENTION_RACE_ATTEMPTS {
            let forget = self.counted_mentions(t, conversation, &current.mentions, ordinal).await?;
            let now = self.now();
            let outcome = self
                .commit_change(t, conversation, |meta, seq| {
                    let mut deleted = meta.deleted_ordinals.clone();
                    if ordinal > 0 {
                        deleted.push(ordinal);
                    }
                    let excess = deleted.len().saturating_sub(MAX_DELETED_ORDINALS);
                    deleted.drain(..excess);
                    let mut ops = Transaction::default();
                    ops.push(
                        OpRole::Message,
                        WriteOp::Update {
                            key: keys::message(t, conversation, id),
                            update: Update::default()
                                .set("body", "")
                                .set("attachments", Value::Array(Vec::new()))
                                .set("mentions", Value::Array(Vec::new()))
                                .set("deletedAt", now.clone())
                                .set("updatedSeq", seq),
                            cond: Cond::Exists,
                        },
                    );
                    ops.extend(OpRole::Mention, unmention_ops(t, conversation, &forget, ordinal));
                    Ok(ChangePlan {
                        ops,
                        meta_update: Update::default()
                            .set("deletedOrdinals", serde_json::to_value(&deleted).unwrap_or_default()),
                        change: message_change(EventType::MessageDeleted, id),
                    })
                })
                .await?;
            match outcome {
                CommitOutcome::Done(done) => {
                    self.discard_attachments(t, conversation, &current.attachments).await;
                    let message = Message {
                        body: String::new(),
                        attachments: Vec::new(),
                        mentions: Vec::new(),
                        deleted_at: Some(now),
                        updated_seq: done.seq,
                        ..current
                    };
                    self.publish(t, message_event(EventType::MessageDeleted, done.seq, &message)).await;
                    return Ok(message);
                }
                CommitOutcome::Refused(failed) if failed.contains(&OpRole::Message) => {
                    return Err(ChatError::NotFound("message"))
                }
                CommitOutcome::Refused(_) => continue,
            }
        }
        Err(ChatError::Internal("mentions kept changing while deleting".into()))
    }

    /// A page of history in chronological order. Without cursors: the newest page. `before`
    /// pages back (the next cursor is the oldest id returned); `after` pages forward.
    pub async fn history(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        q: HistoryQuery,
    ) -> ChatResult<MessagePage> {
        let t = &caller.tenant;
        self.require_member(caller, conversation).await?;
        if q.before.is_some() && q.after.is_some() {
            return Err(InvalidInput::new("before", "cannot be combined with after").into());
        }
        let limit = page_limit(q.limit, MAX_PAGE)?;
        let mut query =
            Query::prefix(keys::conversation_pk(t, conversation), keys::MESSAGE_PREFIX).limit(limit).consistent();
        let forward = q.after.is_some();
        if let Some(after) = &q.after {
            query = query.after(keys::message_sk(after));
        } else {
            query = query.backward();
            if let Some(before) = &q.before {
                query = query.before(keys::message_sk(before));
            }
        }
        let page = self.store.query(&query).await?;
        let mut items: Vec<Message> = page.items.iter().map(|i| from_attrs(&i.attrs)).collect::<ChatResult<_>>()?;
        if !forward {
            items.reverse();
        }
        let next_cursor = if !page.more {
            None
        } else if forward {
            items.last().map(|m| m.id.to_string())
        } else {
            items.first().map(|m| m.id.to_string())
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
        let meta = self.meta(t, conversation, true).await?.ok_or(ChatError::NotFound("conversation"))?;
        let query = Query::prefix(keys::conversation_pk(t, conversation), keys::CHANGE_PREFIX)
            .after(keys::change_sk(after_seq))
            .limit(limit)
            .consistent();
        let page = self.store.query(&query).await?;
        let message_keys: Vec<Key> = page
            .items
            .iter()
            .filter_map(|i| i.attrs.get("messageId").and_then(Value::as_str))
            .filter_map(|s| MessageId::parse(s).ok())
            .collect::<HashSet<_>>()
            .iter()
            .map(|m| keys::message(t, conversation, m))
            .collect();
        let mut messages: HashMap<String, Message> = HashMap::new();
        for item in self.store.batch_get(&message_keys, true).await? {
            let message: Message = from_attrs(&item.attrs)?;
            messages.insert(message.id.to_string(), message);
        }
        let mut items = Vec::with_capacity(page.items.len());
        for item in &page.items {
            let seq = item
                .attrs
                .get("seq")
                .and_then(Value::as_u64)
                .ok_or_else(|| ChatError::corrupt("change without seq"))?;
            let kind: EventType = serde_json::from_value(item.attrs.get("type").cloned().unwrap_or(Value::Null))
                .map_err(ChatError::corrupt)?;
            let data = if let Some(id) = item.attrs.get("messageId").and_then(Value::as_str) {
                match messages.get(id) {
                    Some(message) => serde_json::to_value(message).map_err(|e| ChatError::Internal(e.to_string()))?,
                    // Removed by retention since: the client drops it.
                    None => json!({ "id": id, "conversationId": conversation, "removed": true }),
                }
            } else {
                json!({ "userId": item.attrs.get("userId").cloned().unwrap_or(Value::Null) })
            };
            items.push(Event { kind, conversation_id: conversation.clone(), seq, data });
        }
        // Every change takes the next seq, so a hole means records expired (CHANGE_LOG_SECS):
        // what the client holds cannot be brought up to date change by change.
        let mut expected = after_seq + 1;
        let mut contiguous = true;
        for event in &items {
            contiguous &= event.seq == expected;
            expected = event.seq + 1;
        }
        if !contiguous || (!page.more && after_seq < meta.last_seq && expected <= meta.last_seq) {
            return Ok(Changes { items: Vec::new(), last_seq: meta.last_seq, has_more: false, resync: true });
        }
        let last_returned = items.last().map(|e| e.seq).unwrap_or(after_seq);
        let last_seq = if page.more { last_returned } else { last_returned.max(meta.last_seq) };
        Ok(Changes { items, last_seq, has_more: page.more, resync: false })
    }

    /// Moves the caller's read position forward to `message` (never back) and tells the
    /// caller's other connections.
    pub async fn mark_read(&self, caller: &Caller, conversation: &ConversationId, id: &MessageId) -> ChatResult<()> {
        let t = &caller.tenant;
        let (_, item) = self.member_and_message(caller, conversation, id).await?;
        let message: Message = from_attrs(&item.attrs)?;
        self.spend(caller, "read", "all", self.limits.reads, None).await?;
        let ordinal = ordinal_of(&item.attrs);
        let update = Update::default().set("readSeq", message.seq).set("readCount", ordinal);
        match self
            .store
            .update(
                &keys::membership(t, &caller.user, conversation),
                update,
                Cond::MissingOrBelow("readSeq".into(), message.seq as i64),
            )
            .await
        {
            Ok(_) => {
                self.clear_mentions_through(t, &caller.user, conversation, ordinal).await;
                self.publish(
                    t,
                    Event {
                        kind: EventType::ConversationRead,
                        conversation_id: conversation.clone(),
                        seq: message.seq,
                        data: json!({ "userId": caller.user, "seq": message.seq }),
                    },
                )
                .await;
                Ok(())
            }
            // Already read further (another tab got there first): forward only.
            Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    // ----- the sequence -----------------------------------------------------------------

    /// Commits one change with the conversation's next sequence number, in one transaction with
    /// the change record and the plan's own writes. The sequence update is conditional on the
    /// value read, so changes commit in seq order and seqs have no holes; losing the race to a
    /// concurrent change means reading again and retrying with jittered backoff.
    async fn commit_change<F>(&self, t: &TenantId, c: &ConversationId, mut plan: F) -> ChatResult<CommitOutcome>
    where
        F: FnMut(&ConversationMeta, u64) -> ChatResult<ChangePlan>,
    {
        // Changes to one conversation from this process take turns: they would only race for
        // the same seq and retry. Across processes the conditional write keeps them correct.
        let stripe =
            c.as_str().bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(usize::from(b))) % COMMIT_STRIPES;
        let _turn = self.commit_turns[stripe].lock().await;
        for attempt in 0..MAX_COMMIT_ATTEMPTS {
            let meta = self.meta(t, c, true).await?.ok_or(ChatError::NotFound("conversation"))?;
            let seq = meta.last_seq + 1;
            let ChangePlan { mut ops, meta_update, change } = plan(&meta, seq)?;
            ops.push(OpRole::Sequence, self.change_record(t, c, seq, change));
            ops.push(
                OpRole::Sequence,
                WriteOp::Update {
                    key: keys::conversation_meta(t, c),
                    update: meta_update.set("lastSeq", seq),
                    cond: Cond::Equals("lastSeq".into(), meta.last_seq.into()),
                },
            );
            match ops.commit(self.store.as_ref()).await {
                Ok(()) => return Ok(CommitOutcome::Done(Committed { seq })),
                Err(TransactionError::Refused(roles)) if roles.iter().any(|r| *r != OpRole::Sequence) => {
                    return Ok(CommitOutcome::Refused(roles.into_iter().filter(|r| *r != OpRole::Sequence).collect()));
                }
                // Another change took this seq first (or the store was busy): read again.
                Err(TransactionError::Refused(_)) => backoff(attempt).await,
                Err(TransactionError::Store(e)) if e.is_retryable() => {
                    tracing::debug!(conversation = %c, attempt, error = %e, "sequence contention, retrying");
                    backoff(attempt).await;
                }
                Err(TransactionError::Store(e)) => return Err(e.into()),
            }
        }
        Err(ChatError::Internal(format!("conversation {c} too contended to commit a change")))
    }

    /// The catch-up log's record of change `seq`, kept for CHANGE_LOG_SECS.
    fn change_record(&self, t: &TenantId, c: &ConversationId, seq: u64, mut change: Attrs) -> WriteOp {
        change.insert("seq".into(), seq.into());
        change.insert(TTL_ATTR.into(), (self.clock.now_ms() / 1000 + CHANGE_LOG_SECS).into());
        put_new(keys::change(t, c, seq), change)
    }

    async fn publish(&self, t: &TenantId, event: Event) {
        self.events.publish(t, &event).await;
    }

    async fn publish_member(&self, t: &TenantId, c: &ConversationId, kind: EventType, seq: u64, user: &UserId) {
        self.publish(t, Event { kind, conversation_id: c.clone(), seq, data: json!({ "userId": user }) }).await;
    }
}

fn join_ops(
    t: &TenantId,
    c: &ConversationId,
    kind: ConversationKind,
    user: &UserId,
    role: MemberRole,
    now: &str,
    read_from: Option<&ConversationMeta>,
) -> ChatResult<Vec<WriteOp>> {
    let member = Member { user_id: user.clone(), role, joined_at: now.to_owned() };
    // A new member starts with what was said before they joined counted as read.
    let membership = Membership {
        conversation_id: c.clone(),
        kind,
        role,
        joined_at: now.to_owned(),
        read_seq: read_from.map_or(0, |m| m.last_seq),
        read_count: read_from.map_or(0, |m| m.message_count),
        mention_count: 0,
    };
    Ok(vec![
        put_new(keys::member(t, c, user), to_attrs(&member)?),
        WriteOp::Put { item: Item::new(keys::membership(t, user, c), to_attrs(&membership)?), cond: Cond::Always },
    ])
}

async fn backoff(attempt: u32) {
    let base = 5u64 << attempt.min(6);
    let jitter = rand::random::<u64>() % base.max(1);
    tokio::time::sleep(Duration::from_millis(base / 2 + jitter)).await;
}

/// A message's position among the conversation's messages (stored beside it, not shown).
fn ordinal_of(attrs: &Attrs) -> u64 {
    attrs.get("ordinal").and_then(Value::as_u64).unwrap_or(0)
}

fn page_limit(limit: Option<usize>, max: usize) -> ChatResult<usize> {
    match limit {
        None => Ok(max.min(50)),
        Some(0) => Err(InvalidInput::new("limit", format!("must be 1-{max}")).into()),
        Some(n) if n > max => Err(InvalidInput::new("limit", format!("must be 1-{max}")).into()),
        Some(n) => Ok(n),
    }
}

fn member_change(kind: EventType, user: &UserId) -> Attrs {
    let mut attrs = Attrs::new();
    attrs.insert("type".into(), kind.as_str().into());
    attrs.insert("userId".into(), user.as_str().into());
    attrs
}

fn message_change(kind: EventType, id: &MessageId) -> Attrs {
    let mut attrs = Attrs::new();
    attrs.insert("type".into(), kind.as_str().into());
    attrs.insert("messageId".into(), id.to_string().into());
    attrs
}

fn message_event(kind: EventType, seq: u64, message: &Message) -> Event {
    Event {
        kind,
        conversation_id: message.conversation_id.clone(),
        seq,
        data: serde_json::to_value(message).unwrap_or(Value::Null),
    }
}

fn summarize(
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
    }
}

/// Lowercased, NFC, for case-insensitive prefix matching in any script.
fn normalize_token(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfc().collect::<String>().to_lowercase()
}

/// The tokens a user is found by: the handle and each word of the display name.
fn search_tokens(profile: &UserProfile) -> HashSet<String> {
    let mut tokens = HashSet::new();
    tokens.insert(normalize_token(&profile.handle));
    for word in profile.display_name.split(|c: char| c.is_whitespace() || c == '-' || c == '.') {
        let word = normalize_token(word);
        if !word.is_empty() && !word.contains('#') {
            tokens.insert(word);
        }
    }
    tokens
}
