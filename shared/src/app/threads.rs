//! Threads: replies to a top-level message, one level deep. A reply is sent like any message
//! (`messages::send` with `ReplyTo`): it takes the conversation's next seq, and its root's summary
//! changes in the same transaction. Here: which message a reply may go to, and reading a thread.

use std::collections::HashSet;

use super::{page_limit, Chat, MAX_PAGE};
use crate::domain::caller::Caller;
use crate::domain::error::{ChatError, ChatResult, InvalidInput};
use crate::domain::ids::{ConversationId, MessageId, TenantId};
use crate::domain::{FollowedThread, FollowedThreads, Message, ThreadPage, ThreadSummary};
use crate::persistence::follows::{Follow, FollowRead};

impl Chat {
    /// The root a reply goes to, as it is now: a top-level message of this conversation, not
    /// deleted unless its thread already has replies (the thread stays alive under a tombstone).
    pub(super) async fn thread_root(&self, t: &TenantId, c: &ConversationId, root: &MessageId) -> ChatResult<Message> {
        let Some(found) = self.tables.message(t, c, root).await? else {
            return Err(InvalidInput::new("threadRootId", "names no message of this conversation").into());
        };
        let root = found.message;
        if root.is_reply() {
            return Err(InvalidInput::new(
                "threadRootId",
                "is a reply: threads are one level deep, reply to its thread's root instead",
            )
            .into());
        }
        if root.deleted_at.is_some() && root.thread.is_none() {
            return Err(InvalidInput::new("threadRootId", "names a deleted message").into());
        }
        Ok(root)
    }

    /// A thread: its root and a page of replies, oldest first, after the reply `after`.
    pub async fn thread(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        root: &MessageId,
        after: Option<&MessageId>,
        limit: Option<usize>,
    ) -> ChatResult<ThreadPage> {
        let t = &caller.tenant;
        self.require_member(caller, conversation).await?;
        let limit = page_limit(limit, MAX_PAGE)?;
        // The root, the page and the caller's follow item are independent reads: issued together.
        let (found, (items, more), follow) = tokio::try_join!(
            self.tables.main_message(t, conversation, root),
            self.tables.thread(t, conversation, root, after, limit),
            self.tables.follow(t, &caller.user, conversation, root),
        )?;
        let root = match found {
            Some(found) if !found.message.is_reply() => found.message,
            _ => return Err(ChatError::NotFound("message")),
        };
        let next_cursor = if more { items.last().map(|m| m.id.to_string()) } else { None };
        let following = follow.is_some();
        Ok(ThreadPage { root, items, next_cursor, following })
    }
}

/// Follows the Threads view considers per user, in key order (conversation, then root): a user
/// following more sees only these; the bound keeps the view's reads bounded.
pub const MAX_FOLLOWS: usize = 1_000;
/// Largest page of the Threads view.
pub const MAX_THREADS_PAGE: usize = 50;
/// Replies the Threads view shows of each thread.
const LAST_REPLIES: usize = 2;

impl Chat {
    /// The top-level message `root` of a conversation the caller is a member of, for the
    /// caller's own thread actions (follow, unfollow, read): 404 `message` when it is none.
    async fn member_root(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        root: &MessageId,
    ) -> ChatResult<Message> {
        self.require_member(caller, conversation).await?;
        match self.tables.main_message(&caller.tenant, conversation, root).await? {
            Some(found) if !found.message.is_reply() => Ok(found.message),
            _ => Err(ChatError::NotFound("message")),
        }
    }

    /// Follows a thread (idempotent): its replies so far count as read.
    pub async fn follow_thread(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        root: &MessageId,
    ) -> ChatResult<()> {
        let root = self.member_root(caller, conversation, root).await?;
        self.spend(caller, "read", "all", self.limits.reads, None).await?;
        let read = FollowRead::Through(root.thread.map_or(0, |s| s.reply_count));
        self.tables.start_following(&caller.tenant, &caller.user, conversation, &root.id, read).await
    }

    /// Stops following a thread (idempotent). A later reply that mentions the caller follows it again.
    pub async fn unfollow_thread(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        root: &MessageId,
    ) -> ChatResult<()> {
        let root = self.member_root(caller, conversation, root).await?;
        self.spend(caller, "read", "all", self.limits.reads, None).await?;
        self.tables.unfollow(&caller.tenant, &caller.user, conversation, &root.id).await
    }

    /// The caller has read every reply of the thread so far: its unread replies and the
    /// mentions of the caller in them stop counting. No event: the caller's other tabs see it
    /// on their next Threads load.
    pub async fn read_thread(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        root: &MessageId,
    ) -> ChatResult<()> {
        let root = self.member_root(caller, conversation, root).await?;
        self.spend(caller, "read", "all", self.limits.reads, None).await?;
        let t = &caller.tenant;
        if let Some(thread) = &root.thread {
            self.tables.read_thread(t, &caller.user, conversation, &root.id, thread.reply_count).await?;
        }
        self.clear_thread_mentions(t, &caller.user, conversation, &root.id).await;
        Ok(())
    }

    /// The Threads view: the threads the caller follows in conversations they are still in,
    /// newest reply first, each with its unread replies and last replies. Costs one query of
    /// the caller's follows, one batch read of memberships and one of roots, and one small
    /// query per thread shown: nothing grows with a thread's or a conversation's size.
    pub async fn followed_threads(
        &self,
        caller: &Caller,
        cursor: Option<&str>,
        limit: Option<usize>,
    ) -> ChatResult<FollowedThreads> {
        let t = &caller.tenant;
        let limit = page_limit(limit, MAX_THREADS_PAGE)?;
        let after = cursor.map(parse_cursor).transpose()?;
        let follows = self.tables.follows(t, &caller.user, MAX_FOLLOWS).await?;
        let conversations: Vec<ConversationId> =
            follows.iter().map(|f| f.conversation_id.clone()).collect::<HashSet<_>>().into_iter().collect();
        let joined = self.tables.joined(t, &caller.user, &conversations, false).await?;
        let follows: Vec<Follow> = follows.into_iter().filter(|f| joined.contains(&f.conversation_id)).collect();
        let ids: Vec<(ConversationId, MessageId, Option<MessageId>)> =
            follows.iter().map(|f| (f.conversation_id.clone(), f.root_id, None)).collect();
        let roots = self.tables.messages_across(t, &ids).await?;
        // Threads with replies, newest reply first (ties by root id, so the order is total).
        let mut threads: Vec<(Follow, Message, ThreadSummary)> = follows
            .into_iter()
            .filter_map(|f| {
                let root = roots.get(&f.root_id)?.clone();
                let summary = root.thread.clone()?;
                Some((f, root, summary))
            })
            .collect();
        threads.sort_by(|a, b| order_key(&b.2, &b.1.id).cmp(&order_key(&a.2, &a.1.id)));
        let start = match &after {
            Some((at, id)) => threads.iter().position(|(_, r, s)| order_key(s, &r.id) < (at.as_str(), *id)),
            None => Some(0),
        }
        .unwrap_or(threads.len());
        let page: Vec<_> = threads.into_iter().skip(start).take(limit + 1).collect();
        let more = page.len() > limit;
        let page = &page[..page.len().min(limit)];
        let last = futures::future::try_join_all(
            page.iter().map(|(f, root, _)| self.tables.last_replies(t, &f.conversation_id, &root.id, LAST_REPLIES)),
        )
        .await?;
        let next_cursor =
            if more { page.last().map(|(_, r, s)| format!("{}|{}", s.last_reply_at, r.id)) } else { None };
        let items = page
            .iter()
            .zip(last)
            .map(|((f, root, summary), last_replies)| FollowedThread {
                conversation_id: f.conversation_id.clone(),
                root: root.clone(),
                unread_replies: summary.reply_count.saturating_sub(f.read_count),
                last_replies,
            })
            .collect();
        Ok(FollowedThreads { items, next_cursor })
    }
}

fn order_key<'a>(summary: &'a ThreadSummary, root: &MessageId) -> (&'a str, MessageId) {
    (summary.last_reply_at.as_str(), *root)
}

/// A Threads view cursor: the last shown thread's `lastReplyAt|rootId`.
fn parse_cursor(raw: &str) -> ChatResult<(String, MessageId)> {
    let invalid = || InvalidInput::new("cursor", "is not a cursor this list gave");
    let (at, id) = raw.split_once('|').ok_or_else(invalid)?;
    let id = MessageId::parse(id).map_err(|_| invalid())?;
    Ok((at.to_owned(), id))
}
