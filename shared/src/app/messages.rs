//! Messages: sending (idempotent by client message id), editing and deleting.

use super::sequence::{ChangePlan, CommitOutcome};
use super::Chat;
use crate::domain::caller::Caller;
use crate::domain::error::{ChatError, ChatResult, InvalidInput};
use crate::domain::ids::{ClientMessageId, ConversationId, MessageId, UserId};
use crate::domain::values::MessageBody;
use crate::domain::{Attachment, Change, Event, EventType, Member, MemberRole, Message, MessageChange};
use crate::persistence::change_log::LoggedChange;
use crate::persistence::conversations::{check_member, count_message, read_own_message, set_deleted_ordinals};
use crate::persistence::mentions::{mention, unmention};
use crate::persistence::messages::{self as stored, StoredMessage};
use crate::persistence::transaction::{OpRole, Transaction};
use crate::persistence::uploads;

/// How often a change is re-planned when a mentioned member joined or left meanwhile.
const MENTION_RACE_ATTEMPTS: usize = 4;
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
        for _ in 0..MENTION_RACE_ATTEMPTS {
            // Only members are told: a mentioned user who cannot read the conversation learns nothing.
            let notified = self.members_among(t, conversation, &mentions, Some(&caller.user)).await?;
            let mut sent: Option<StoredMessage> = None;
            let outcome = self
                .commit_change(t, conversation, |meta, seq| {
                    // The id (time-ordered) is taken after the sequence was read, on every attempt,
                    // so history order (by id) follows commit order (by seq) but for sends within
                    // the same millisecond on different instances; clients order by seq.
                    let id =
                        MessageId::from_ulid(ulid::Ulid::from_parts(self.clock.now_ms().max(0) as u64, rand::random()));
                    let now = self.now();
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
                            reactions: Vec::new(),
                        },
                        ordinal: meta.message_count + 1,
                    };
                    let mut ops = Transaction::default();
                    ops.push(OpRole::ClientIdGuard, stored::guard_client_id(t, &caller.user, &stored.message)?);
                    ops.push(OpRole::Message, stored::create(t, &stored)?);
                    // Sending advances the sender's own read position; the conditions also prove
                    // they are still a member when the message commits.
                    ops.extend(
                        OpRole::CallerMembership,
                        [
                            read_own_message(t, &caller.user, conversation, seq, stored.ordinal),
                            check_member(t, conversation, &caller.user),
                        ],
                    );
                    ops.extend(OpRole::Mention, mention(t, conversation, &notified, stored.ordinal));
                    for upload in &uploads {
                        ops.push(OpRole::Upload, uploads::attach(t, conversation, &upload.upload_id, &id));
                    }
                    sent = Some(stored);
                    Ok(ChangePlan::new(ops, LoggedChange::message(EventType::NewMessage, &id))
                        .updating_meta(count_message(&now)))
                })
                .await?;
            match outcome {
                CommitOutcome::Done { seq } => {
                    let StoredMessage { message, ordinal } =
                        sent.ok_or_else(|| ChatError::Internal("send committed without a message".into()))?;
                    // The sender has read everything up to here, mentions of them included.
                    if membership.mention_count > 0 {
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
        let (_, StoredMessage { message: current, ordinal }) =
            self.member_and_message(caller, conversation, id).await?;
        if current.deleted_at.is_some() {
            return Err(ChatError::NotFound("message"));
        }
        if current.author_id != caller.user {
            return Err(ChatError::forbidden("not_author", "only the author can edit a message"));
        }
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
            let forget = self.tables.counted_mentions(t, conversation, &removed, ordinal).await?;
            let now = self.now();
            let outcome = self
                .commit_change(t, conversation, |_, seq| {
                    let mut ops = Transaction::default();
                    ops.push(OpRole::Message, stored::edit(t, conversation, id, &body, &mentions, &now, seq)?);
                    ops.extend(OpRole::Mention, mention(t, conversation, &notify, ordinal));
                    ops.extend(OpRole::Mention, unmention(t, conversation, &forget, ordinal));
                    Ok(ChangePlan::new(ops, LoggedChange::message(EventType::MessageUpdated, id)))
                })
                .await?;
            match outcome {
                CommitOutcome::Done { seq } => {
                    let message = Message { body, mentions, edited_at: Some(now), updated_seq: seq, ..current };
                    self.publish(t, message_event(MessageChange::Updated, seq, &message)).await;
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
        let (member, StoredMessage { message: current, ordinal }) =
            self.member_and_message(caller, conversation, id).await?;
        if current.deleted_at.is_some() {
            return Ok(current);
        }
        if !may_delete(caller, &member, conversation, &current) {
            return Err(ChatError::forbidden("not_author", "only the author or a channel admin can delete a message"));
        }
        self.spend(caller, "change", "all", self.limits.message_changes, Some(conversation)).await?;
        for _ in 0..MENTION_RACE_ATTEMPTS {
            let forget = self.tables.counted_mentions(t, conversation, &current.mentions, ordinal).await?;
            let now = self.now();
            let outcome = self
                .commit_change(t, conversation, |meta, seq| {
                    let deleted = note_deletion(&meta.deleted_ordinals, ordinal);
                    let mut ops = Transaction::default();
                    ops.push(OpRole::Message, stored::tombstone(t, conversation, id, &now, seq));
                    ops.extend(OpRole::Mention, unmention(t, conversation, &forget, ordinal));
                    Ok(ChangePlan::new(ops, LoggedChange::message(EventType::MessageDeleted, id))
                        .updating_meta(set_deleted_ordinals(&deleted)))
                })
                .await?;
            match outcome {
                CommitOutcome::Done { seq } => {
                    self.discard_attachments(t, conversation, &current.attachments).await;
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
