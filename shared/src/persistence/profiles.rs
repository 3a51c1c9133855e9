//! Profiles (`USER#{u}` in the tenant's partition), the handle claims that keep handles unique in
//! a tenant (`HANDLE#{handle}`), and the token index users are found by (`T#{t}#UIDX`).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::attrs;
use super::codec::{from_attrs, to_attrs};
use super::keys;
use super::tables::{put, put_new, Tables};
use crate::domain::error::ChatResult;
use crate::domain::ids::{TenantId, UserId};
use crate::domain::UserProfile;
use crate::ports::store::{Cond, Item, Key, Query, WriteOp};

/// Index entries read for a handle whose claim is missing (a profile older than claims).
const LEGACY_HANDLE_SCAN: usize = 50;

/// A stored profile, and whether its handle is claimed (profiles written before handles were
/// claimed claim theirs at first sight).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredProfile {
    pub profile: UserProfile,
    pub handle_claimed: bool,
}

/// A handle claim or a token index entry: the user it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserRef {
    user_id: UserId,
}

impl Tables {
    pub async fn profile(&self, t: &TenantId, u: &UserId, consistent: bool) -> ChatResult<Option<StoredProfile>> {
        let Some(item) = self.db().get(&keys::user_profile(t, u), consistent).await? else { return Ok(None) };
        Ok(Some(StoredProfile {
            profile: from_attrs(&item.attrs)?,
            handle_claimed: item.attrs.contains_key(attrs::HANDLE_CLAIMED),
        }))
    }

    /// The profiles of these users (missing ones left out).
    pub async fn profiles(&self, t: &TenantId, users: &[UserId]) -> ChatResult<HashMap<UserId, UserProfile>> {
        let keys: Vec<Key> = users.iter().map(|u| keys::user_profile(t, u)).collect();
        let mut out = HashMap::new();
        for item in self.db().batch_get(&keys, false).await? {
            let profile: UserProfile = from_attrs(&item.attrs)?;
            out.insert(profile.id.clone(), profile);
        }
        Ok(out)
    }

    /// The user holding `handle`, if anyone: its claim names them. A profile written before
    /// handles were claimed has no claim until its user is next seen: on a miss, its handle is
    /// looked for among the users the token index lists under it (a second read, on misses only).
    pub async fn handle_owner(&self, t: &TenantId, handle: &str) -> ChatResult<Option<UserId>> {
        if let Some(item) = self.db().get(&keys::handle(t, handle), false).await? {
            return Ok(Some(from_attrs::<UserRef>(&item.attrs)?.user_id));
        }
        let namesakes = self.users_by_token(t, &format!("{handle}#"), LEGACY_HANDLE_SCAN, LEGACY_HANDLE_SCAN).await?;
        let profiles = self.profiles(t, &namesakes).await?;
        Ok(profiles.into_values().find(|p| p.handle == handle).map(|p| p.id))
    }

    /// Users with a token starting with `prefix`, in token order, at most `max` distinct ones
    /// (from the first `scan` index entries).
    pub async fn users_by_token(&self, t: &TenantId, prefix: &str, scan: usize, max: usize) -> ChatResult<Vec<UserId>> {
        let page = self.db().query(&Query::prefix(keys::user_index_pk(t), prefix).limit(scan)).await?;
        let mut ids: Vec<UserId> = Vec::new();
        for item in &page.items {
            // An entry that does not read is skipped, not the search's failure.
            let Ok(entry) = from_attrs::<UserRef>(&item.attrs) else { continue };
            if !ids.contains(&entry.user_id) {
                ids.push(entry.user_id);
            }
            if ids.len() >= max {
                break;
            }
        }
        Ok(ids)
    }
}

/// Puts a profile with its handle marked claimed; `only_if_new` when no profile may exist yet.
pub fn put_profile(t: &TenantId, profile: &UserProfile, only_if_new: bool) -> ChatResult<WriteOp> {
    let mut attrs = to_attrs(profile)?;
    attrs.insert(attrs::HANDLE_CLAIMED.into(), true.into());
    let key = keys::user_profile(t, &profile.id);
    Ok(if only_if_new { put_new(key, attrs) } else { WriteOp::Put { item: Item::new(key, attrs), cond: Cond::Always } })
}

/// Claims `handle` for `u` (fails if anyone holds it).
pub fn claim_handle(t: &TenantId, handle: &str, u: &UserId) -> ChatResult<WriteOp> {
    Ok(put_new(keys::handle(t, handle), to_attrs(&UserRef { user_id: u.clone() })?))
}

/// Gives back `handle`, only if `u` holds it.
pub fn release_handle(t: &TenantId, handle: &str, u: &UserId) -> WriteOp {
    WriteOp::Delete { key: keys::handle(t, handle), cond: Cond::Equals(attrs::USER_ID.into(), json!(u)) }
}

/// Index entries for the tokens a user is found by: `add` puts, the rest of `old` goes.
pub fn index_tokens(
    t: &TenantId,
    u: &UserId,
    old: &HashSet<String>,
    new: &HashSet<String>,
) -> ChatResult<Vec<WriteOp>> {
    let mut ops: Vec<WriteOp> = old
        .difference(new)
        .map(|token| WriteOp::Delete { key: keys::user_index(t, token, u), cond: Cond::Always })
        .collect();
    for token in new {
        ops.push(put(keys::user_index(t, token, u), to_attrs(&UserRef { user_id: u.clone() })?));
    }
    Ok(ops)
}
