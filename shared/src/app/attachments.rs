//! Attachments: an upload intent hands out a presigned PUT for a tenant-scoped key; a send may
//! attach uploads once storage confirms them; downloads are presigned GETs for members only.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;

use super::Chat;
use crate::domain::caller::Caller;
use crate::domain::error::{ChatError, ChatResult, InvalidInput};
use crate::domain::files::{content_type as parse_content_type, display_name, disposition, storage_name, UploadRules};
use crate::domain::ids::{ConversationId, MessageId, TenantId};
use crate::domain::{format_time, Attachment};
use crate::persistence::uploads::{self, UploadRecord};
use crate::ports::blobs::{BlobError, Blobs, ATTACHED};

/// Files one message may carry.
pub const MAX_ATTACHMENTS: usize = 10;

impl From<BlobError> for ChatError {
    fn from(e: BlobError) -> Self {
        ChatError::Internal(e.to_string())
    }
}

impl UploadRecord {
    /// The attachment a message shows for this upload: its id names the conversation and the
    /// upload, which is how a download finds the intent again.
    pub(super) fn attachment(&self, c: &ConversationId) -> Attachment {
        Attachment {
            id: format!("{c}.{}", self.upload_id),
            name: self.name.clone(),
            size: self.size,
            content_type: self.content_type.clone(),
        }
    }
}

/// What the client needs to upload: send `method` to `url` with exactly these `headers` and the
/// file as the body, then send the message with `uploadId` in `attachmentIds`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadIntent {
    pub upload_id: String,
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub expires_at: String,
}

fn parse_upload_id(raw: &str) -> Result<String, InvalidInput> {
    ulid::Ulid::from_string(raw)
        .map(|u| u.to_string())
        .map_err(|_| InvalidInput::new("attachments", format!("{raw:?} is not an upload id")))
}

impl Chat {
    fn blobs(&self) -> ChatResult<(&dyn Blobs, &UploadRules)> {
        self.uploads
            .as_ref()
            .map(|(b, r)| (b.as_ref(), r))
            .ok_or_else(|| ChatError::forbidden("uploads_disabled", "file uploads are not configured"))
    }

    /// An upload intent: the caller must be able to post in the conversation (a member, and the
    /// conversation not archived: the file could never be sent there); size, type and name are
    /// checked; the presigned PUT is bound to the key, type and length.
    pub async fn upload_intent(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        filename: &str,
        content_type: &str,
        size: u64,
    ) -> ChatResult<UploadIntent> {
        let t = &caller.tenant;
        self.require_member(caller, conversation).await?;
        if self.tables.meta(t, conversation, false).await?.is_some_and(|meta| meta.archived) {
            return Err(ChatError::archived());
        }
        let (blobs, rules) = self.blobs()?;
        self.spend(caller, "upload", "all", self.limits.uploads, None).await?;
        if size > rules.max_bytes {
            return Err(InvalidInput::new("size", format!("files are limited to {} bytes", rules.max_bytes)).into());
        }
        let content_type = parse_content_type(content_type)?;
        if rules.denied_types.contains(&content_type) {
            return Err(InvalidInput::new("contentType", format!("{content_type} files are not accepted")).into());
        }
        let name = display_name(filename).map_err(|mut e| {
            e.field = "filename";
            e
        })?;
        let upload_id = ulid::Ulid::new().to_string();
        let key = uploads::object_key(t, conversation, &upload_id, &storage_name(filename));
        let now_ms = self.clock.now_ms();
        let record = UploadRecord {
            upload_id: upload_id.clone(),
            uploader_id: caller.user.clone(),
            name,
            content_type: content_type.clone(),
            size,
            key: key.clone(),
            created_at: format_time(now_ms),
            attached_to: None,
        };
        self.tables.create_upload(t, conversation, &record, now_ms).await?;
        let ttl = Duration::from_secs(rules.url_ttl_secs);
        let request = blobs.presign_put(&key, &content_type, size, ttl).await?;
        tracing::debug!(tenant = %t, conversation = %conversation, size, "upload intent");
        Ok(UploadIntent {
            upload_id,
            method: request.method,
            url: request.url,
            headers: request.headers.into_iter().collect(),
            expires_at: format_time(now_ms + ttl.as_millis() as i64),
        })
    }

    /// The uploads a send references, each confirmed in storage with its declared size and type,
    /// made by this sender in this conversation and not attached yet; tagged attached.
    pub(super) async fn resolve_uploads(
        &self,
        caller: &Caller,
        conversation: &ConversationId,
        ids: &[String],
    ) -> ChatResult<Vec<UploadRecord>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        if ids.len() > MAX_ATTACHMENTS {
            return Err(InvalidInput::new("attachments", format!("at most {MAX_ATTACHMENTS} files per message")).into());
        }
        let (blobs, _) = self.blobs()?;
        let t = &caller.tenant;
        let mut records = Vec::with_capacity(ids.len());
        for raw in ids {
            let id = parse_upload_id(raw)?;
            if records.iter().any(|r: &UploadRecord| r.upload_id == id) {
                continue;
            }
            let unknown = || InvalidInput::new("attachments", format!("upload {id} is unknown here"));
            let record = self.tables.upload(t, conversation, &id).await?.ok_or_else(unknown)?;
            if record.uploader_id != caller.user {
                return Err(unknown().into());
            }
            if record.attached_to.is_some() {
                return Err(InvalidInput::new("attachments", format!("upload {id} is already attached")).into());
            }
            let stored = blobs.head(&record.key).await?;
            match stored {
                Some(meta)
                    if meta.size == record.size && meta.content_type.eq_ignore_ascii_case(&record.content_type) => {}
                Some(_) => {
                    return Err(InvalidInput::new(
                        "attachments",
                        format!("upload {id} does not match its declared size or type"),
                    )
                    .into())
                }
                None => return Err(InvalidInput::new("attachments", format!("upload {id} has not finished")).into()),
            }
            records.push(record);
        }
        for record in &records {
            blobs.set_state(&record.key, ATTACHED).await?;
        }
        Ok(records)
    }

    /// A short-lived download URL, for people who can read the message; none once it is deleted.
    pub async fn attachment_url(&self, caller: &Caller, attachment_id: &str) -> ChatResult<(String, String)> {
        let t = &caller.tenant;
        let (conversation, upload_id) = attachment_id.split_once('.').ok_or(ChatError::NotFound("attachment"))?;
        let conversation = ConversationId::parse(conversation).map_err(|_| ChatError::NotFound("attachment"))?;
        let upload_id = parse_upload_id(upload_id).map_err(|_| ChatError::NotFound("attachment"))?;
        self.require_member(caller, &conversation).await?;
        let (blobs, rules) = self.blobs()?;
        let record =
            self.tables.upload(t, &conversation, &upload_id).await?.ok_or(ChatError::NotFound("attachment"))?;
        let message_id = record.attached_to.as_deref().ok_or(ChatError::NotFound("attachment"))?;
        let message_id = MessageId::parse(message_id).map_err(|_| ChatError::corrupt("attachment message id"))?;
        let message =
            self.tables.message(t, &conversation, &message_id).await?.ok_or(ChatError::NotFound("attachment"))?.message;
        if message.deleted_at.is_some() || !message.attachments.iter().any(|a| a.id == attachment_id) {
            return Err(ChatError::NotFound("attachment"));
        }
        let ttl = Duration::from_secs(rules.url_ttl_secs);
        let url = blobs
            .presign_get(&record.key, &record.content_type, &disposition(&record.content_type, &record.name), ttl)
            .await?;
        Ok((url, format_time(self.clock.now_ms() + ttl.as_millis() as i64)))
    }

    /// Deletes the files of a deleted message (best effort: downloads are refused either way).
    pub(super) async fn discard_attachments(&self, t: &TenantId, c: &ConversationId, attachments: &[Attachment]) {
        let Ok((blobs, _)) = self.blobs() else { return };
        for attachment in attachments {
            let Some((_, upload_id)) = attachment.id.split_once('.') else { continue };
            // Best effort: an intent that cannot be read leaves its file, whose download is refused.
            if let Ok(Some(key)) = self.tables.upload_object_key(t, c, upload_id).await {
                if let Err(e) = blobs.delete(&key).await {
                    tracing::warn!(conversation = %c, error = %e, "deleting a deleted message's file failed");
                }
            }
        }
    }
}
