//! Followed threads (`THREAD#{c}#{root}` in the user's partition): which threads the Threads view
//! lists, and how many of each thread's replies the user has read. Unread replies are the root's
//! `thread.replyCount` minus that: no reply is read to count them.

use serde::{Deserialize, Serialize};

use super::attrs;
use super::codec::from_attrs;
use super::keys;
use super::paging::query_all;
use super::tables::Tables;
use crate::domain::error::ChatResult;
use crate::domain::ids::{ConversationId, MessageId, TenantId, UserId};
use crate::ports::store::{Cond, Key, Query, StoreError, Update, WriteOp};

/// Follow items read per page of the Threads view's listing.
const FOLLOWS_PAGE: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Follow {
    pub conversation_id: ConversationId,
    pub root_id: MessageId,
    /// Replies of the thread the user has read.
    #[serde(default)]
    pub read_count: u64,
}

/// How a follow write treats the replies read so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FollowRead {
    /// The user has read the thread's first `n` replies (they replied, or followed from it).
    Through(u64),
    /// As it was (nothing read, for a new follower).
    Keep,
}

impl Tables {
    pub async fn follow(
        &self,
        t: &TenantId,
        u: &UserId,
        c: &ConversationId,
        root: &MessageId,
    ) -> ChatResult<Option<Follow>> {
        self.db().get(&keys::follow(t, u, c, root), true).await?.map(|i| from_attrs(&i.attrs)).transpose()
    }

    /// Every thread the user follows, at most `max`.
    pub async fn follows(&self, t: &TenantId, u: &UserId, max: usize) -> ChatResult<Vec<Follow>> {
        let query = Query::prefix(keys::user_pk(t, u), keys::FOLLOW_PREFIX).limit(FOLLOWS_PAGE.min(max)).consistent();
        query_all(self.db(), query, max).await?.iter().map(|i| from_attrs(&i.attrs)).collect()
    }

    /// Marks the first `count` replies read, if the user follows the thread (never back).
    pub async fn read_thread(
        &self,
        t: &TenantId,
        u: &UserId,
        c: &ConversationId,
        root: &MessageId,
        count: u64,
    ) -> ChatResult<()> {
        let update = Update::default().set(attrs::READ_COUNT, count);
        match self.db().update(&keys::follow(t, u, c, root), update, Cond::Exists).await {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Makes `u` follow the thread now (one write; `follow` is the same as part of a transaction).
    pub async fn start_following(
        &self,
        t: &TenantId,
        u: &UserId,
        c: &ConversationId,
        root: &MessageId,
        read: FollowRead,
    ) -> ChatResult<()> {
        let (key, update) = follow_update(t, u, c, root, read);
        self.db().update(&key, update, Cond::Always).await?;
        Ok(())
    }

    pub async fn unfollow(&self, t: &TenantId, u: &UserId, c: &ConversationId, root: &MessageId) -> ChatResult<()> {
        self.db().delete(&keys::follow(t, u, c, root), Cond::Always).await?;
        Ok(())
    }
}

/// Makes `u` follow the thread (still following: only `read` changes).
pub fn follow(t: &TenantId, u: &UserId, c: &ConversationId, root: &MessageId, read: FollowRead) -> WriteOp {
    let (key, update) = follow_update(t, u, c, root, read);
    WriteOp::Update { key, update, cond: Cond::Always }
}

fn follow_update(t: &TenantId, u: &UserId, c: &ConversationId, root: &MessageId, read: FollowRead) -> (Key, Update) {
    let update = Update::default().set(attrs::CONVERSATION_ID, c.as_str()).set(attrs::ROOT_ID, root.to_string());
    let update = match read {
        FollowRead::Through(n) => update.set(attrs::READ_COUNT, n),
        // Creates the count at 0 for a new follower, leaves a follower's as it is.
        FollowRead::Keep => update.add(attrs::READ_COUNT, 0),
    };
    (keys::follow(t, u, c, root), update)
}
