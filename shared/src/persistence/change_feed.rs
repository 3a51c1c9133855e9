//! The table's change feed (DynamoDB Streams, or the embedded store's twin) read as the domain's
//! changes: the message version a record carries (the archive's input), and which index
//! operation it makes.

use crate::domain::markdown::body_text;
use crate::domain::search::{created_ms, IndexOp, SearchDoc};
use crate::domain::Message;
use crate::persistence::attrs;
use crate::persistence::codec::from_attrs;
use crate::persistence::keys;
use crate::ports::store::{Attrs, ChangeRecord};

/// A message version a change of the table carries.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageVersion<'r> {
    /// The tenant of the item's key, as written there.
    pub tenant: &'r str,
    /// `INSERT`, `MODIFY` or `REMOVE` (retention; the version is the message as it was).
    pub event: &'static str,
    pub message: Message,
}

/// The message version `record` carries, if it is a change of a message item: a top-level
/// message (`MSG#`) or a thread reply (`RPL#`), each version once — the copy of a reply also sent
/// to the conversation (`MSG#`, with `threadRootId`) is no version of its own.
pub fn message_version(record: &ChangeRecord) -> Result<Option<MessageVersion<'_>>, String> {
    let sk = &record.key.sk;
    let main = sk.starts_with(keys::MESSAGE_PREFIX);
    if !main && !sk.starts_with(keys::REPLY_PREFIX) {
        return Ok(None);
    }
    let (event, image) = match (&record.old, &record.new) {
        // A reaction is not a new version of the message: search and the archive skip it.
        (Some(old), Some(new)) if only_reactions_differ(old, new) => return Ok(None),
        (None, Some(new)) => ("INSERT", new),
        (Some(_), Some(new)) => ("MODIFY", new),
        (Some(old), None) => ("REMOVE", old),
        (None, None) => return Ok(None),
    };
    let message: Message = from_attrs(image).map_err(|e| e.to_string())?;
    if main && message.is_reply() {
        return Ok(None);
    }
    let tenant = record
        .key
        .pk
        .strip_prefix(keys::TENANT_PK_PREFIX)
        .and_then(|r| r.split('#').next())
        .ok_or("key without tenant")?;
    Ok(Some(MessageVersion { tenant, event, message }))
}

fn only_reactions_differ(old: &Attrs, new: &Attrs) -> bool {
    fn rest(a: &Attrs) -> Vec<(&String, &serde_json::Value)> {
        a.iter().filter(|(k, _)| !matches!(k.as_str(), attrs::REACTIONS | attrs::REACTIONS_SEQ)).collect()
    }
    old.get(attrs::REACTIONS_SEQ) != new.get(attrs::REACTIONS_SEQ) && rest(old) == rest(new)
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
        thread_root_id: message.thread_root_id.map(|r| r.to_string()),
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
        // A reaction changes only the summary: no new version for search or the archive; a delete
        // (which clears the summary) still is one.
        let mut reacted = message_attrs(&c);
        reacted.insert("reactions".into(), serde_json::json!([{ "emoji": "👍", "count": 1, "userIds": ["ann"] }]));
        reacted.insert("reactionsSeq".into(), 4.into());
        assert_eq!(message_version(&change(Some(message_attrs(&c)), Some(reacted.clone()))), Ok(None));
        let mut deleted = message_attrs(&c);
        deleted.insert("deletedAt".into(), "2026-01-01T00:01:00.000Z".into());
        deleted.insert("reactionsSeq".into(), 5.into());
        let delete = change(Some(reacted), Some(deleted));
        assert_eq!(message_version(&delete).expect("reads").map(|v| v.event), Some("MODIFY"));
        let meta = ChangeRecord { key: keys::conversation_meta(&t, &c), ..change(None, Some(Attrs::new())) };
        assert_eq!(message_version(&meta), Ok(None));
        assert!(message_version(&change(None, Some(Attrs::new()))).is_err());
    }

    #[test]
    fn a_reply_is_one_version_indexed_with_its_root_and_its_copy_in_the_main_list_is_none() {
        use crate::domain::ids::MessageId;
        let t = TenantId::parse("acme").expect("tenant");
        let c = ConversationId::new_channel();
        let id = MessageId::parse("01JBZ5X3N8Q0V7W6Y4T2R1P0MA").expect("id");
        let root = MessageId::parse("01JBZ5X3N8Q0V7W6Y4T2R1P0MB").expect("root");
        let mut reply = message_attrs(&c);
        reply.insert("threadRootId".into(), root.to_string().into());
        reply.insert("alsoInChannel".into(), true.into());
        let record = |key| ChangeRecord { position: 0, key, old: None, new: Some(reply.clone()) };
        let Ok(Some(IndexOp::Upsert(doc))) = index_op(&record(keys::reply(&t, &c, &root, &id))) else {
            panic!("a reply is indexed")
        };
        assert_eq!(doc.thread_root_id, Some(root.to_string()));
        assert_eq!(message_version(&record(keys::message(&t, &c, &id))), Ok(None), "the copy is no version");
        assert_eq!(index_op(&record(keys::reply_locator(&t, &c, &id))), Ok(None));
    }
}
