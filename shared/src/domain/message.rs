//! Messages as the API shows them. They are stored in the same camelCase shape (plus the key and
//! a few bookkeeping attributes), so there is one mapping.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ids::{ClientMessageId, ConversationId, MessageId, UserId};
use super::reaction::Reaction;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub id: String,
    pub name: String,
    pub size: u64,
    pub content_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    #[schema(value_type = String)]
    pub id: MessageId,
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    /// The conversation sequence number of the message's creation.
    pub seq: u64,
    /// The sequence number of the message's latest change (creation, edit or delete).
    pub updated_seq: u64,
    #[schema(value_type = String)]
    pub author_id: UserId,
    /// Empty once deleted.
    pub body: String,
    #[schema(value_type = Vec<String>)]
    pub mentions: Vec<UserId>,
    pub attachments: Vec<Attachment>,
    #[schema(value_type = String)]
    pub client_message_id: ClientMessageId,
    pub created_at: String,
    /// Absent, never null, until the message is edited (the same for `deletedAt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub edited_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub deleted_at: Option<String>,
    /// On a reply: the top-level message it replies to (threads are one level deep).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, nullable = false)]
    pub thread_root_id: Option<MessageId>,
    /// On a reply also sent to the conversation: it shows in the main history too. Absent
    /// (never false) otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[schema(schema_with = only_true, required = false)]
    pub also_in_channel: bool,
    /// On a root with replies: the thread so far. On a reply: the thread as of (including)
    /// that reply, so a client holding the root keeps the summary with the higher
    /// `lastReplySeq`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub thread: Option<ThreadSummary>,
    /// Absent when none: each emoji in the order it was first used, with who reacted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
}

/// A flag that is `true` or absent: the schema says so, so clients type it `true`.
fn only_true() -> utoipa::openapi::Object {
    use utoipa::openapi::{ObjectBuilder, Type};
    ObjectBuilder::new().schema_type(Type::Boolean).enum_values(Some([true])).build()
}

impl Message {
    pub fn is_reply(&self) -> bool {
        self.thread_root_id.is_some()
    }
}

/// Participants a thread summary names.
pub const MAX_THREAD_PARTICIPANTS: usize = 5;

/// A thread as its root shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreadSummary {
    /// Replies ever sent (a deleted reply stays counted: its tombstone stays in the thread).
    pub reply_count: u64,
    pub last_reply_at: String,
    /// The conversation seq of the newest reply: of two summaries, the higher is newer.
    pub last_reply_seq: u64,
    /// Distinct reply authors, most recent first, at most `MAX_THREAD_PARTICIPANTS`.
    #[schema(value_type = Vec<String>)]
    pub participant_ids: Vec<UserId>,
}

impl ThreadSummary {
    /// The summary after one more reply by `author` at `at`, change `seq`.
    pub fn with_reply(previous: Option<&ThreadSummary>, author: &UserId, at: &str, seq: u64) -> ThreadSummary {
        let mut participant_ids = vec![author.clone()];
        if let Some(p) = previous {
            participant_ids.extend(p.participant_ids.iter().filter(|u| *u != author).cloned());
        }
        participant_ids.truncate(MAX_THREAD_PARTICIPANTS);
        ThreadSummary {
            reply_count: previous.map_or(0, |p| p.reply_count) + 1,
            last_reply_at: at.to_owned(),
            last_reply_seq: seq,
            participant_ids,
        }
    }
}

/// A thread: its root and a page of its replies, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreadPage {
    pub root: Message,
    pub items: Vec<Message>,
    /// Pass as `after` for the next page of replies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Whether the caller follows the thread.
    pub following: bool,
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessagePage {
    pub items: Vec<Message>,
    /// Pass as `before` (or `after`, when paging forward) for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A thread the caller follows, as the Threads view shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FollowedThread {
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    pub root: Message,
    /// Replies the caller has not read (the thread's count minus those read).
    pub unread_replies: u64,
    /// Up to the last 2 replies, oldest first.
    pub last_replies: Vec<Message>,
}

/// A page of the Threads view: newest reply first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FollowedThreads {
    pub items: Vec<FollowedThread>,
    /// Pass as `cursor` for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(u: &str) -> UserId {
        UserId::parse(u).expect("user")
    }

    #[test]
    fn a_reply_counts_once_and_puts_its_author_first_among_at_most_five() {
        let first = ThreadSummary::with_reply(None, &user("ann"), "t1", 4);
        assert_eq!((first.reply_count, first.last_reply_seq), (1, 4));
        assert_eq!(first.participant_ids, vec![user("ann")]);
        let mut s = first;
        for (i, u) in ["bob", "cat", "dan", "eve", "fay"].iter().enumerate() {
            s = ThreadSummary::with_reply(Some(&s), &user(u), "t", 5 + i as u64);
        }
        assert_eq!(s.reply_count, 6);
        assert_eq!(s.participant_ids, ["fay", "eve", "dan", "cat", "bob"].map(user).to_vec());
        let again = ThreadSummary::with_reply(Some(&s), &user("dan"), "t9", 20);
        assert_eq!(again.participant_ids, ["dan", "fay", "eve", "cat", "bob"].map(user).to_vec());
        assert_eq!((again.reply_count, again.last_reply_at.as_str(), again.last_reply_seq), (7, "t9", 20));
    }
}
