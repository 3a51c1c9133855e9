//! Profiles: created at a user's first sight with a handle of their own (unique in the tenant),
//! renamed when their display name changes, and found by handle or name prefix.

use std::collections::HashSet;

use super::Chat;
use crate::domain::caller::Caller;
use crate::domain::error::{ChatError, ChatResult, InvalidInput};
use crate::domain::ids::{TenantId, UserId};
use crate::domain::values::{Handle, MAX_HANDLE_CHARS};
use crate::domain::UserProfile;
use crate::persistence::profiles::{self as stored, StoredProfile};
use crate::persistence::retention::register_tenant;
use crate::persistence::transaction::{OpRole, Transaction, TransactionError};
use crate::ports::store::StoreError;

pub const MAX_USER_MATCHES: usize = 20;
/// Profiles one process remembers (then it forgets them all and reads each once more).
const MAX_SEEN_PROFILES: usize = 50_000;
/// Index entries read to find `MAX_USER_MATCHES` distinct users.
const USER_INDEX_SCAN: usize = 200;

/// How `write_profile` treats the handle.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Claim {
    /// Already the user's: nothing to claim.
    Held,
    /// Claim it (the transaction is refused if someone holds it).
    New,
    /// Claim the new one and give back this previous one.
    Release(String),
}

impl Chat {
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
        let display_name = caller.display_name.as_str();
        let profile = match self.tables.profile(&caller.tenant, &caller.user, true).await? {
            Some(StoredProfile { profile: existing, handle_claimed: true }) => {
                if existing.display_name == display_name {
                    existing
                } else {
                    let renamed = UserProfile { display_name: display_name.to_owned(), ..existing.clone() };
                    self.write_profile(&caller.tenant, Some(&existing), &renamed, Claim::Held).await??;
                    renamed
                }
            }
            // Written before handles were claimed: claim its handle now (another suffix if taken).
            Some(StoredProfile { profile: existing, handle_claimed: false }) => {
                let wanted = Handle::derive(&existing.handle, caller.user.as_str());
                self.claim_profile(&caller.tenant, &caller.user, Some(&existing), &wanted, display_name).await?
            }
            None => {
                self.claim_profile(&caller.tenant, &caller.user, None, &caller.suggested_handle, display_name).await?
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
                    let stored = self.tables.profile(tenant, user, true).await?;
                    return stored.map(|s| s.profile).ok_or(ChatError::Internal("profile vanished".into()));
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

    /// Writes a profile and its search tokens; with `Claim::New`, also claims its handle and,
    /// for a new profile, puts it only if absent, all in one transaction, so no two profiles of a
    /// tenant ever hold the same handle.
    async fn write_profile(
        &self,
        tenant: &TenantId,
        old: Option<&UserProfile>,
        new: &UserProfile,
        claim: Claim,
    ) -> ChatResult<Result<(), TransactionError>> {
        let old_tokens: HashSet<String> = old.map(search_tokens).unwrap_or_default();
        let mut tx = Transaction::default();
        if claim != Claim::Held {
            tx.push(OpRole::HandleClaim, stored::claim_handle(tenant, &new.handle, &new.id)?);
        }
        tx.push(OpRole::Profile, stored::put_profile(tenant, new, old.is_none())?);
        if let Claim::Release(previous) = &claim {
            tx.push(OpRole::HandleClaim, stored::release_handle(tenant, previous, &new.id));
        }
        if old.is_none() {
            tx.push(OpRole::Record, register_tenant(tenant)?);
        }
        tx.extend(OpRole::Record, stored::index_tokens(tenant, &new.id, &old_tokens, &search_tokens(new))?);
        if claim == Claim::Held {
            // No claim changes hands: nothing needs to be atomic.
            self.tables.write_all(tx.into_ops()).await?;
            return Ok(Ok(()));
        }
        Ok(self.tables.commit(tx).await)
    }

    /// Seeds or updates a profile without a token (demo data, admin import): the handle given
    /// is claimed for it (`handle_taken` if another user holds it).
    pub async fn upsert_profile(&self, tenant: &TenantId, profile: &UserProfile) -> ChatResult<()> {
        let (existing, claimed) = match self.tables.profile(tenant, &profile.id, true).await? {
            Some(stored) => (Some(stored.profile), stored.handle_claimed),
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
        Ok(self.tables.profile(tenant, user, false).await?.map(|s| s.profile))
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
        let ids = self.tables.users_by_token(&caller.tenant, &prefix, USER_INDEX_SCAN, MAX_USER_MATCHES).await?;
        let profiles = self.tables.profiles(&caller.tenant, &ids).await?;
        let mut found: Vec<UserProfile> = ids.iter().filter_map(|id| profiles.get(id).cloned()).collect();
        found.sort_by(|a, b| a.handle.cmp(&b.handle));
        Ok(found)
    }

    /// Profiles of these users (missing ones are left out).
    pub async fn users_by_id(&self, t: &TenantId, users: &[UserId]) -> ChatResult<Vec<UserProfile>> {
        if users.len() > 100 {
            return Err(InvalidInput::new("ids", "at most 100 per request").into());
        }
        let profiles = self.tables.profiles(t, users).await?;
        Ok(users.iter().filter_map(|u| profiles.get(u).cloned()).collect())
    }
}

/// `wanted`, `wanted2` … `wanted9`, then six random four-character suffixes; each fits the limit.
fn handle_candidates(wanted: &Handle) -> Vec<String> {
    let base: String = wanted.as_str().chars().take(MAX_HANDLE_CHARS - 5).collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handle_candidates_start_with_the_wish_then_numbers_then_random_suffixes_all_within_the_limit() {
        let wanted = Handle::parse(&"a".repeat(MAX_HANDLE_CHARS)).expect("handle");
        let candidates = handle_candidates(&wanted);
        assert_eq!(candidates.len(), 1 + 8 + 6);
        assert_eq!(candidates[0], wanted.as_str());
        assert!(candidates[1].ends_with('2') && candidates[8].ends_with('9'));
        for candidate in &candidates {
            assert!(Handle::parse(candidate).is_ok(), "{candidate} must be a valid handle");
        }
        assert_eq!(candidates.iter().collect::<HashSet<_>>().len(), candidates.len());
    }

    #[test]
    fn a_user_is_found_by_handle_and_by_each_word_of_their_name_in_any_case() {
        let profile = UserProfile {
            id: UserId::parse("u1").expect("user"),
            handle: "Ann.Lee".into(),
            display_name: "Ann-Marie ÉLODIE  de.la Cruz".into(),
        };
        let tokens = search_tokens(&profile);
        for token in ["ann.lee", "ann", "marie", "élodie", "de", "la", "cruz"] {
            assert!(tokens.contains(token), "{token} in {tokens:?}");
        }
        assert!(!tokens.contains(""));
    }

    #[test]
    fn tokens_with_a_hash_are_never_indexed_they_would_collide_with_key_separators() {
        let profile =
            UserProfile { id: UserId::parse("u1").expect("user"), handle: "bob".into(), display_name: "C# dev".into() };
        assert_eq!(search_tokens(&profile), HashSet::from(["bob".to_owned(), "dev".to_owned()]));
    }
}
