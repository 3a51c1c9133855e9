//! The table's change feed (DynamoDB Streams, or the embedded store's twin) read as the domain's
//! changes: the message version a record carries (the archive's input), and which index
//! operation it makes.

use crate::domain::markdown::body_text;
use crate::domain::search::{created_ms, IndexOp, SearchDoc};
use crate::domain::Message;
use crate::persistence::codec::from_attrs;
use crate::persistence::keys;
use crate::ports::store::ChangeRecord;

/// A message version a change of the table carries.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageVersion<'r> {
    /// The tenant of the item's key, as written there.
    pub tenant: &'r str,
    /// `INSERT`, `MODIFY` or `REMOVE` (retention; the version is the message as it was).
    pub event: &'static str,
    pub message: Message,
}

/// The message version `record` carries, if it is a change of a message item.
pub fn message_version(record: &ChangeRecord) -> Result<Option<MessageVersion<'_>>, String> {
    if !record.key.sk.starts_with(keys::MESSAGE_PREFIX) {
        return Ok(None);
    }
    let (event, image) = match (&record.old, &record.new) {
        (None, Some(new)) => ("INSERT", new),
        (Some(_), Some(new)) => ("MODIFY", new),
        (Some(old), None) => ("REMOVE", old),
        (None, None) => return Ok(None),
    };
    let message: Message = from_attrs(image).map_err(|e| e.to_string())?;
    let tenant = record
        .key
        .pk
        .strip_prefix(keys::TENANT_PK_PREFIX)
        .and_then(|r| r.split('#').next())
        .ok_or("key without tenant")?;
    Ok(Some(MessageVersion { tenant, event, message }))
}

/// The index change a table change makes, if any: message created or edited → upsert; soft
/// deleted or removed (retention) → delete.
pub fn index_op(record: &ChangeRecord) -> Result<Option<IndexOp>, String> {
    let Some(MessageVersion { tenant, event, message }) = message_version(record)? else { return Ok(None) };
    let tenant_id = tenant.to_owned();
    // Removed: a version above every one the message had, so a replayed older upsert cannot
    // revive it.
    if event == "REMOVE" {
        return Ok(Some(IndexOp::Delete { id: message.id.to_string(), tenant_id, version: message.updated_seq + 1 }));
    }
    if message.deleted_at.is_some() {
        return Ok(Some(IndexOp::Delete { id: message.id.to_string(), tenant_id, version: message.updated_seq }));
    }
    // The words a person reads, not the Markdown markers around them.
    let text = body_text(&message.body);
    Ok(Some(IndexOp::Upsert(SearchDoc {
        id: message.id.to_string(),
        tenant_id,
        conversation_id: message.conversation_id.to_string(),
        author_id: message.author_id.to_string(),
        created_ms: created_ms(&message),
        body: text.plain,
        mentions: message.mentions.iter().map(|u| u.to_string()).collect(),
        has_file: !message.attachments.is_empty(),
        has_link: text.has_link,
        version: message.updated_seq,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{ConversationId, TenantId};
    use crate::ports::store::Attrs;

    fn attrs(value: serde_json::Value) -> Attrs {
        value.as_object().cloned().expect("an object")
    }

    fn message_attrs(c: &ConversationId) -> Attrs {
        attrs(serde_json::json!({
            "id": "01JBZ5X3N8Q0V7W6Y4T2R1P0MA", "conversationId": c.as_str(), "authorId": "bob",
            "clientMessageId": "m1", "body": "hi", "mentions": [], "attachments": [],
            "createdAt": "2026-01-01T00:00:00.000Z", "seq": 3, "updatedSeq": 3, "ordinal": 1,
        }))
    }

    #[test]
    fn a_message_change_is_a_version_and_any_other_change_is_not() {
        let t = TenantId::parse("acme").expect("tenant");
        let c = ConversationId::new_channel();
        let key =
            keys::message(&t, &c, &crate::domain::ids::MessageId::parse("01JBZ5X3N8Q0V7W6Y4T2R1P0MA").expect("id"));
        let change = |old: Option<Attrs>, new: Option<Attrs>| ChangeRecord { position: 0, key: key.clone(), old, new };
        let events = [
            (change(None, Some(message_attrs(&c))), Some("INSERT")),
            (change(Some(message_attrs(&c)), Some(message_attrs(&c))), Some("MODIFY")),
            (change(Some(message_attrs(&c)), None), Some("REMOVE")),
            (change(None, None), None),
        ];
        for (record, event) in events {
            let version = message_version(&record).expect("reads");
            assert_eq!(version.as_ref().map(|v| v.event), event);
            assert!(version.is_none_or(|v| v.tenant == "acme" && v.message.conversation_id == c));
        }
        let meta = ChangeRecord { key: keys::conversation_meta(&t, &c), ..change(None, Some(Attrs::new())) };
        assert_eq!(message_version(&meta), Ok(None));
        assert!(message_version(&change(None, Some(Attrs::new()))).is_err());
    }
}
