//! Messages: sending (idempotent by client message id), editing and deleting.

use super::sequence::{ChangePlan, CommitOutcome};
use super::Chat;
use crate::domain::caller::Caller;
use crate::domain::error::{ChatError, ChatResult, InvalidInput};
use crate::domain::ids::{ClientMessageId, ConversationId, MessageId, TenantId, UserId};
use crate::domain::values::MessageBody;
use crate::domain::{
    Attachment, Change, Event, EventType, Member, MemberRole, Message, MessageChange, MessageVersion, ThreadSummary,
};
use crate::persistence::change_log::LoggedChange;
use crate::persistence::conversations::{check_member, count_message, read_own_message, set_deleted_ordinals};
use crate::persistence::follows::{follow, FollowRead};
use crate::persistence::mentions::{mention, unmention, MentionAt};
use crate::persistence::messages::{self as stored, StoredMessage};
use crate::persistence::transaction::{OpRole, Transaction};
use crate::persistence::{uploads, versions};
use crate::ports::store::WriteOp;

/// How often a change is re-planned when a mentioned member joined or left meanwhile.
const MENTION_RACE_ATTEMPTS: usize = 4;
/// How often a send is re-planned: a reply also plans again when a reply to the same thread from
/// another process committed first (replies from this process take turns, see `commit_change_reading`).
const SEND_ATTEMPTS: usize = 8;
/// Recent deletions remembered on the conversation for unread counts.
pub(super) const MAX_DELETED_ORDINALS: usize = 1000;

/// Inputs to a send, parsed.
pub struct NewMessage {
    pub client_message_id: ClientMessageId,
    pub body: MessageBody,
    /// Users the message mentions (the composer's structured mentions, not parsed from text).
    pub mentions: Vec<UserId>,
    /// Upload ids (from upload intents) to attach.
    pub attachments: Vec<String>,
    /// Set for a reply in a thread.
    pub reply_to: Option<ReplyTo>,
}

/// The thread a reply goes to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplyTo {
    /// The thread's root: a top-level message of the conversation.
    pub root: MessageId,
    /// Also shown in the conversation's main history (and counted as unread there).
    pub also_in_channel: bool,
}

pub struct Sent {
    pub message: Message,
    /// False when the client message id had been seen: the first message is returned, nothing written.
    pub created: bool,
}

impl Chat {
    /// Sends a message. The client message id is a unique constraint written in the same
    /// transaction: the same id again returns the first message, forever, and writes nothing.
    pub async fn send(&self, caller: &Caller, conversation: &ConversationId, new: NewMessage) -> ChatResult<Sent> {
        let t = &caller.tenant;
        // One read answers "may send" and "sent before?". The membership (rather than the member
        // item) also says whether the sender has unread mentions to clear, saving a query per
        // send when they have none.
        let (membership, sent_before) =
            self.tables.membership_and_sent(t, conversation, &caller.user, &new.client_message_id).await?;
        let Some(membership) = membership else {
            self.require_member(caller, conversation).await?;
            return Err(ChatError::NotFound("conversation"));
        };
        if let Some(id) = sent_before {
            if let Some(first) = self.tables.message(t, conversation, &id).await? {
                return Ok(Sent { message: first.message, created: false });
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
        let reply_to = new.reply_to;
        // A reply only in its thread is not one of the conversation's messages: it takes no
        // ordinal, so it counts toward no one's unread, and does not move the sender's reading.
        let in_main_list = reply_to.is_none_or(|r| r.also_in_channel);
        for _ in 0..SEND_ATTEMPTS {
            // Only members are told: a mentioned user who cannot read the conversation learns nothing.
            let notified = self.members_among(t, conversation, &mentions, Some(&caller.user)).await?;
            let mut sent: Option<StoredMessage> = None;
            // A reply's root is read in the commit's turn, after the sequence: replies to one
            // thread from this process never race for its summary.
            let read_root = || async {
                match &reply_to {
                    Some(r) => self.thread_root(t, conversation, &r.root).await.map(Some),
                    None => Ok(None),
                }
            };
            let outcome = self
                .commit_change_reading(t, conversation, read_root, |meta, seq, root: &Option<Message>| {
                    // The id (time-ordered) is taken after the sequence was read, on every attempt,
                    // so history order (by id) follows commit order (by seq) but for sends within
                    // the same millisecond on different instances; clients order by seq.
                    let id =
                        MessageId::from_ulid(ulid::Ulid::from_parts(self.clock.now_ms().max(0) as u64, rand::random()));
                    let now = self.now();
                    let thread =
                        root.as_ref().map(|r| ThreadSummary::with_reply(r.thread.as_ref(), &caller.user, &now, seq));
                    let stored = StoredMessage {
                        message: Message {
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
                            thread_root_id: reply_to.map(|r| r.root),
                            also_in_channel: reply_to.is_some_and(|r| r.also_in_channel),
                            thread: thread.clone(),
                            reactions: Vec::new(),
                        },
                        ordinal: if in_main_list { meta.message_count + 1 } else { 0 },
                        edits: 0,
                    };
                    let mut ops = Transaction::default();
                    ops.push(OpRole::ClientIdGuard, stored::guard_client_id(t, &caller.user, &stored.message)?);
                    ops.extend(OpRole::Message, stored::create(t, &stored)?);
                    // The conditions prove the sender is still a member when the message commits.
                    ops.push(OpRole::CallerMembership, check_member(t, conversation, &caller.user));
                    if in_main_list {
                        // Sending advances the sender's own read position.
                        let read = read_own_message(t, &caller.user, conversation, seq, stored.ordinal);
                        ops.push(OpRole::CallerMembership, read);
                    }
                    if let (Some(root), Some(thread)) = (root, &thread) {
                        let previous = root.thread.as_ref().map(|s| s.last_reply_seq);
                        ops.push(
                            OpRole::ThreadRoot,
                            stored::summarize_thread(t, conversation, &root.id, previous, thread)?,
                        );
                        ops.extend(
                            OpRole::Record,
                            follow_reply(t, conversation, &caller.user, root, thread, &notified),
                        );
                    }
                    let at = MentionAt::of(&stored.message, stored.ordinal);
                    ops.extend(OpRole::Mention, mention(t, conversation, &notified, at));
                    for upload in &uploads {
                        ops.push(OpRole::Upload, uploads::attach(t, conversation, &upload.upload_id, &id));
                    }
                    let change = LoggedChange::of(EventType::NewMessage, &stored.message);
                    sent = Some(stored);
                    let plan = ChangePlan::new(ops, change);
                    Ok(if in_main_list { plan.updating_meta(count_message(&now)) } else { plan })
                })
                .await?;
            match outcome {
                CommitOutcome::Done { seq } => {
                    let StoredMessage { message, ordinal, .. } =
                        sent.ok_or_else(|| ChatError::Internal("send committed without a message".into()))?;
                    // The sender has read everything up to here, mentions of them included (a reply
                    // only in its thread is no position in the conversation).
                    if membership.mention_count > 0 && ordinal > 0 {
                        self.clear_mentions_through(t, &caller.user, conversation, ordinal).await;
                    }
                    self.publish(t, message_event(MessageChange::Created, seq, &message)).await;
                    return Ok(Sent { message, created: true });
                }
                CommitOutcome::Refused(failed) if failed.contains(&OpRole::ClientIdGuard) => {
                    // Another request with the same client id won the race: answer with its message.
                    let message = self
                        .tables
                        .sent_as(t, conversation, &caller.user, &new.client_message_id)
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
                // A mentioned member left while we sent, or another reply to the thread committed
                // first: look again.
                CommitOutcome::Refused(_) => continue,
            }
        }
        Err(ChatError::Internal("membership or thread kept changing while sending".into()))
    }

    /// Edits the caller's own message, keeping the text it replaces as a version (see
    /// `versions`). `mentions`, when given, replaces the message's mentions: someone an edit
    /// adds is notified (if they have not read that far), someone it removes stops counting it.
    pub async fn edit(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        id: &MessageId,
        body: MessageBody,
        mentions: Option<Vec<UserId>>,
    ) -> ChatResult<Message> {
        let t = &caller.tenant;
        let (_, mut current) = self.member_and_message(caller, conversation, id).await?;
        let body = body.into_inner();
        let mut spent = false;
        for _ in 0..MENTION_RACE_ATTEMPTS {
            let message = &current.message;
            if message.deleted_at.is_some() {
                return Err(ChatError::NotFound("message"));
            }
            if message.author_id != caller.user {
                return Err(ChatError::forbidden("not_author", "only the author can edit a message"));
            }
            let mentions = match &mentions {
                Some(m) => self.parse_mentions(t, m.clone()).await?,
                None => message.mentions.clone(),
            };
            if body == message.body && mentions == message.mentions {
                return Ok(current.message);
            }
            if !spent {
                self.spend(caller, "change", "all", self.limits.message_changes, Some(conversation)).await?;
                spent = true;
            }
            let ordinal = current.ordinal;
            let added: Vec<UserId> = mentions.iter().filter(|u| !message.mentions.contains(u)).cloned().collect();
            let removed: Vec<UserId> = message.mentions.iter().filter(|u| !mentions.contains(u)).cloned().collect();
            let members = self.members_among(t, conversation, &added, Some(&caller.user)).await?;
            let at = MentionAt::of(message, ordinal);
            // A reply only in its thread has no place in anyone's reading of the conversation:
            // everyone it newly mentions is told.
            let notify = match at {
                MentionAt::Ordinal(ordinal) => self.unread_by(t, conversation, &members, ordinal).await?,
                MentionAt::Reply { .. } => members,
            };
            let forget = self.tables.counted_mentions(t, conversation, &removed, at).await?;
            let now = self.now();
            let replaced = MessageVersion {
                body: message.body.clone(),
                mentions: message.mentions.clone(),
                written_at: message.edited_at.clone().unwrap_or_else(|| message.created_at.clone()),
                replaced_at: now.clone(),
            };
            let outcome = self
                .commit_change(t, conversation, |_, seq| {
                    let mut ops = Transaction::default();
                    ops.extend(OpRole::Message, stored::edit(t, &current, &body, &mentions, &now, seq)?);
                    ops.extend(
                        OpRole::Record,
                        versions::keep_version(t, conversation, id, current.edits + 1, &replaced)?,
                    );
                    ops.extend(OpRole::Mention, mention(t, conversation, &notify, at));
                    ops.extend(OpRole::Mention, unmention(t, conversation, &forget, at));
                    Ok(ChangePlan::new(ops, LoggedChange::of(EventType::MessageUpdated, &current.message)))
                })
                .await?;
            match outcome {
                CommitOutcome::Done { seq } => {
                    let message = Message { body, mentions, edited_at: Some(now), updated_seq: seq, ..current.message };
                    self.publish(t, message_event(MessageChange::Updated, seq, &message)).await;
                    return Ok(message);
                }
                // Edited or deleted meanwhile: its text now is the one this edit replaces.
                CommitOutcome::Refused(failed) if failed.contains(&OpRole::Message) => {
                    current = self.tables.message(t, conversation, id).await?.ok_or(ChatError::NotFound("message"))?;
                }
                // Someone read, joined or left meanwhile: plan again.
                CommitOutcome::Refused(_) => continue,
            }
        }
        Err(ChatError::Internal("the message or its mentions kept changing while editing".into()))
    }

    /// A message's earlier texts, newest first, for those who can read the conversation. A
    /// deleted message has none (its delete removes them; until that finished, none are shown).
    pub async fn versions(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        id: &MessageId,
    ) -> ChatResult<Vec<MessageVersion>> {
        let (_, current) = self.member_and_message(caller, conversation, id).await?;
        if current.message.deleted_at.is_some() {
            return Err(ChatError::NotFound("message"));
        }
        if current.message.edited_at.is_none() {
            return Ok(Vec::new());
        }
        self.tables.versions(&caller.tenant, conversation, id).await
    }

    /// Deletes a message (its author, a channel admin, or a tenant admin): a tombstone keeps its
    /// id and seq so catch-up can carry the delete; the body and attachments are gone, and it
    /// stops counting as unread or as a mention.
    pub async fn delete(&self, caller: &Caller, conversation: &ConversationId, id: &MessageId) -> ChatResult<Message> {
        let t = &caller.tenant;
        let (member, StoredMessage { message: current, ordinal, .. }) =
            self.member_and_message(caller, conversation, id).await?;
        if current.deleted_at.is_some() {
            return Ok(current);
        }
        if !may_delete(caller, &member, conversation, &current) {
            return Err(ChatError::forbidden("not_author", "only the author or a channel admin can delete a message"));
        }
        self.spend(caller, "change", "all", self.limits.message_changes, Some(conversation)).await?;
        self.tombstone(t, conversation, current, ordinal, false).await
    }

    /// Turns a message into its tombstone as a change of the conversation (the delete, or
    /// retention keeping an expired root's thread readable): it stops counting as unread or as
    /// a mention, and its files go.
    pub(super) async fn tombstone(
        &self,
        t: &TenantId,
        conversation: &ConversationId,
        current: Message,
        ordinal: u64,
        by_retention: bool,
    ) -> ChatResult<Message> {
        for _ in 0..MENTION_RACE_ATTEMPTS {
            let at = MentionAt::of(&current, ordinal);
            let forget = self.tables.counted_mentions(t, conversation, &current.mentions, at).await?;
            let now = self.now();
            let outcome = self
                .commit_change(t, conversation, |meta, seq| {
                    let deleted = note_deletion(&meta.deleted_ordinals, ordinal);
                    let mut ops = Transaction::default();
                    ops.extend(OpRole::Message, stored::tombstone(t, &current, &now, seq));
                    ops.extend(OpRole::Mention, unmention(t, conversation, &forget, at));
                    let plan = ChangePlan::new(ops, LoggedChange::of(EventType::MessageDeleted, &current))
                        .updating_meta(set_deleted_ordinals(&deleted));
                    // Retention runs in archived channels too; a person's delete does not.
                    Ok(if by_retention { plan.even_when_archived() } else { plan })
                })
                .await?;
            match outcome {
                CommitOutcome::Done { seq } => {
                    self.discard_attachments(t, conversation, &current.attachments).await;
                    // Unreadable already (a deleted message shows no versions); a failure here
                    // leaves them to retention, which removes them with the tombstone.
                    if current.edited_at.is_some() {
                        if let Err(e) = self.tables.remove_versions(t, conversation, &current.id).await {
                            tracing::warn!(error = %e, "could not remove a deleted message's versions");
                        }
                    }
                    let message = Message {
                        body: String::new(),
                        attachments: Vec::new(),
                        mentions: Vec::new(),
                        reactions: Vec::new(),
                        deleted_at: Some(now),
                        updated_seq: seq,
                        ..current
                    };
                    self.publish(t, message_event(MessageChange::Deleted, seq, &message)).await;
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

    /// The caller's member item and one message of the conversation, read together: the
    /// message only once the membership is proven.
    pub(super) async fn member_and_message(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        id: &MessageId,
    ) -> ChatResult<(Member, StoredMessage)> {
        let (member, message) = self.tables.member_and_message(&caller.tenant, conversation, &caller.user, id).await?;
        let member = match member {
            Some(member) => member,
            // The 403 or 404 a non-member gets (or a member who joined since the read).
            None => self.require_member(caller, conversation).await?,
        };
        Ok((member, message.ok_or(ChatError::NotFound("message"))?))
    }
}

/// Its author may delete a message; so may a channel admin (not in a DM) and a tenant admin.
fn may_delete(caller: &Caller, member: &Member, conversation: &ConversationId, message: &Message) -> bool {
    let is_channel_admin = member.role == MemberRole::Admin && !conversation.is_dm();
    message.author_id == caller.user || is_channel_admin || caller.is_tenant_admin()
}

/// The conversation's recent deletions with `ordinal` added (once), the oldest dropped past the
/// bound.
pub(super) fn note_deletion(deleted: &[u64], ordinal: u64) -> Vec<u64> {
    let mut deleted = deleted.to_vec();
    if ordinal > 0 && !deleted.contains(&ordinal) {
        deleted.push(ordinal);
    }
    let excess = deleted.len().saturating_sub(MAX_DELETED_ORDINALS);
    deleted.drain(..excess);
    deleted
}

/// Who follows a thread after a reply by `author`: the author (who has read it all), the root's
/// author once the thread exists (on its first reply), and the members the reply mentions.
fn follow_reply(
    t: &TenantId,
    c: &ConversationId,
    author: &UserId,
    root: &Message,
    thread: &ThreadSummary,
    mentioned: &[UserId],
) -> Vec<WriteOp> {
    let mut ops = vec![follow(t, author, c, &root.id, FollowRead::Through(thread.reply_count))];
    let mut others: Vec<&UserId> = mentioned.iter().filter(|u| *u != author).collect();
    if root.thread.is_none() && root.author_id != *author && !others.contains(&&root.author_id) {
        others.push(&root.author_id);
    }
    ops.extend(others.into_iter().map(|u| follow(t, u, c, &root.id, FollowRead::Keep)));
    ops
}

pub(super) fn message_event(kind: MessageChange, seq: u64, message: &Message) -> Event {
    Event::new(message.conversation_id.clone(), seq, Change::message(kind, message.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deletions_are_remembered_up_to_the_bound_oldest_forgotten_first() {
        assert_eq!(note_deletion(&[3, 5], 8), vec![3, 5, 8]);
        // A message stored before ordinals were: nothing to remember; and each deletion once.
        assert_eq!(note_deletion(&[3], 0), vec![3]);
        assert_eq!(note_deletion(&[3, 5], 5), vec![3, 5]);
        let full: Vec<u64> = (1..=MAX_DELETED_ORDINALS as u64).collect();
        let after = note_deletion(&full, 5000);
        assert_eq!(after.len(), MAX_DELETED_ORDINALS);
        assert_eq!((after[0], after[after.len() - 1]), (2, 5000));
    }
}
