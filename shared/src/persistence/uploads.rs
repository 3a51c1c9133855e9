//! Upload intents (`UPLOAD#{uploadId}` in the conversation's partition): made with a TTL when a
//! client asks where to upload, read when a send attaches them or a download is asked for, and
//! attached in the send's transaction, which ends the TTL. Also where the file itself is stored
//! (its object key).

use serde::{Deserialize, Serialize};

use super::attrs;
use super::codec::{from_attrs, to_expiring_attrs};
use super::keys;
use super::tables::Tables;
use crate::domain::error::ChatResult;
use crate::domain::ids::{ConversationId, MessageId, TenantId, UserId};
use crate::ports::store::{Cond, Item, Update, WriteOp, TTL_ATTR};

/// An intent never attached is forgotten after this (the object itself goes after a day).
const INTENT_TTL_SECS: i64 = 2 * 24 * 3600;

/// The stored upload intent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadRecord {
    pub upload_id: String,
    pub uploader_id: UserId,
    /// For display: the original name without control or bidi characters.
    pub name: String,
    pub content_type: String,
    pub size: u64,
    /// The file's object key in attachment storage.
    pub key: String,
    pub created_at: String,
    /// The message it was attached to (kept as written: a malformed one is the download's
    /// error, not the read's).
    #[serde(default)]
    pub attached_to: Option<String>,
}

/// Only the object key of an upload intent: deleting a file needs no more, and a record that
/// otherwise no longer reads still has its file deleted.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct ObjectRef {
    key: String,
}

impl Tables {
    /// The upload intent `upload_id` of the conversation, read consistently (an intent is
    /// attached, and then downloaded, right after it is made).
    pub async fn upload(&self, t: &TenantId, c: &ConversationId, upload_id: &str) -> ChatResult<Option<UploadRecord>> {
        self.db().get(&keys::upload(t, c, upload_id), true).await?.map(|i| from_attrs(&i.attrs)).transpose()
    }

    /// The object key of the upload intent `upload_id`, if it exists.
    pub async fn upload_object_key(
        &self,
        t: &TenantId,
        c: &ConversationId,
        upload_id: &str,
    ) -> ChatResult<Option<String>> {
        let item = self.db().get(&keys::upload(t, c, upload_id), true).await?;
        Ok(item.map(|i| from_attrs::<ObjectRef>(&i.attrs)).transpose()?.map(|r| r.key))
    }

    /// Stores a new upload intent, made at `now_ms`, expiring unless it is attached.
    pub async fn create_upload(
        &self,
        t: &TenantId,
        c: &ConversationId,
        record: &UploadRecord,
        now_ms: i64,
    ) -> ChatResult<()> {
        Ok(self.db().put(new_intent(t, c, record, now_ms)?, Cond::NotExists).await?)
    }
}

/// A new upload intent's item: the record and its expiry.
fn new_intent(t: &TenantId, c: &ConversationId, record: &UploadRecord, now_ms: i64) -> ChatResult<Item> {
    Ok(Item::new(keys::upload(t, c, &record.upload_id), to_expiring_attrs(record, expires_at(now_ms))?))
}

/// When an intent made at `now_ms` expires (epoch seconds, as TTL reads it).
fn expires_at(now_ms: i64) -> i64 {
    now_ms / 1000 + INTENT_TTL_SECS
}

/// Attaches an upload to a message: only an upload not attached yet, which then stops expiring.
pub fn attach(t: &TenantId, c: &ConversationId, upload_id: &str, m: &MessageId) -> WriteOp {
    WriteOp::Update {
        key: keys::upload(t, c, upload_id),
        update: Update::default().set(attrs::ATTACHED_TO, m.to_string()).remove(TTL_ATTR),
        cond: Cond::ExistsWithout(attrs::ATTACHED_TO.into()),
    }
}

/// Where the file of an upload is stored: hierarchical and tenant-scoped, under the
/// conversation and the upload, with its storage-safe file name.
pub fn object_key(t: &TenantId, c: &ConversationId, upload_id: &str, filename: &str) -> String {
    keys::attachment_object(t, c, upload_id, filename)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ids() -> (TenantId, ConversationId) {
        (TenantId::parse("acme").expect("tenant"), ConversationId::parse("C01JD8Z6V3Q0000000000000000").expect("c"))
    }

    fn record() -> UploadRecord {
        UploadRecord {
            upload_id: "01JE0000000000000000000001".into(),
            uploader_id: UserId::parse("alice").expect("user"),
            name: "report.pdf".into(),
            content_type: "application/pdf".into(),
            size: 1234,
            key: "tenants/acme/conversations/C01JD8Z6V3Q0000000000000000/01JE0000000000000000000001/report.pdf".into(),
            created_at: "2026-12-07T10:00:00.000Z".into(),
            attached_to: None,
        }
    }

    #[test]
    fn an_intent_expires_two_days_after_it_was_made_in_epoch_seconds() {
        assert_eq!(expires_at(0), 172_800);
        assert_eq!(expires_at(1_999), 1 + 172_800);
    }

    #[test]
    fn a_new_intent_is_stored_with_the_attributes_it_always_had_and_its_expiry() {
        let (t, c) = ids();
        let item = new_intent(&t, &c, &record(), 10_000).expect("item");
        assert_eq!(item.key, keys::upload(&t, &c, "01JE0000000000000000000001"));
        let expected = json!({
            "uploadId": "01JE0000000000000000000001",
            "uploaderId": "alice",
            "name": "report.pdf",
            "contentType": "application/pdf",
            "size": 1234,
            "key": record().key,
            "createdAt": "2026-12-07T10:00:00.000Z",
            "attachedTo": null,
            "expiresAt": 10 + 172_800,
        });
        assert_eq!(serde_json::Value::Object(item.attrs), expected);
    }

    #[test]
    fn an_intent_written_before_reads_and_its_object_key_reads_alone() {
        let attrs = json!({
            "uploadId": "01JE0000000000000000000001",
            "uploaderId": "alice",
            "name": "report.pdf",
            "contentType": "application/pdf",
            "size": 1234,
            "key": record().key,
            "createdAt": "2026-12-07T10:00:00.000Z",
            "expiresAt": 1,
        });
        let attrs = attrs.as_object().expect("object").clone();
        assert_eq!(from_attrs::<UploadRecord>(&attrs).expect("record"), record());
        assert_eq!(from_attrs::<ObjectRef>(&attrs).expect("key").key, record().key);
        let mut broken = attrs.clone();
        broken.remove("size");
        assert!(from_attrs::<UploadRecord>(&broken).is_err());
        assert_eq!(from_attrs::<ObjectRef>(&broken).expect("key").key, record().key, "the file is still found");
    }

    #[test]
    fn attaching_names_the_message_ends_the_expiry_and_only_takes_an_unattached_intent() {
        let (t, c) = ids();
        let m = MessageId::parse("01JE0000000000000000000009").expect("message");
        let WriteOp::Update { key, update, cond } = attach(&t, &c, "01JE0000000000000000000001", &m) else {
            panic!("an update")
        };
        assert_eq!(key, keys::upload(&t, &c, "01JE0000000000000000000001"));
        assert_eq!(update.set.get("attachedTo"), Some(&json!("01JE0000000000000000000009")));
        assert_eq!(update.remove, vec!["expiresAt".to_owned()]);
        assert_eq!(cond, Cond::ExistsWithout("attachedTo".into()));
    }
}
