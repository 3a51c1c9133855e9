//! The table's change feed (DynamoDB Streams, or the embedded store's twin) read as the domain's
//! changes: which index operation a message item's change makes.

use crate::domain::search::{created_ms, IndexOp, SearchDoc};
use crate::domain::Message;
use crate::persistence::codec::from_attrs;
use crate::persistence::keys;
use crate::ports::store::{Attrs, ChangeRecord};

fn tenant_of(pk: &str) -> Option<&str> {
    pk.strip_prefix(keys::TENANT_PK_PREFIX)?.split('#').next()
}

/// The index change a table change makes, if any: message created or edited → upsert; soft
/// deleted or removed (retention) → delete.
pub fn index_op(record: &ChangeRecord) -> Result<Option<IndexOp>, String> {
    if !record.key.sk.starts_with(keys::MESSAGE_PREFIX) {
        return Ok(None);
    }
    let tenant = tenant_of(&record.key.pk).ok_or("message key without tenant")?.to_owned();
    let parse = |attrs: &Attrs| from_attrs::<Message>(attrs).map_err(|e| e.to_string());
    match (&record.old, &record.new) {
        (_, Some(new)) => {
            let message = parse(new)?;
            if message.deleted_at.is_some() {
                return Ok(Some(IndexOp::Delete {
                    id: message.id.to_string(),
                    tenant_id: tenant,
                    version: message.updated_seq,
                }));
            }
            Ok(Some(IndexOp::Upsert(SearchDoc {
                id: message.id.to_string(),
                tenant_id: tenant,
                conversation_id: message.conversation_id.to_string(),
                author_id: message.author_id.to_string(),
                created_ms: created_ms(&message),
                body: message.body,
                mentions: message.mentions.iter().map(|u| u.to_string()).collect(),
                has_file: !message.attachments.is_empty(),
                version: message.updated_seq,
            })))
        }
        (Some(old), None) => {
            let message = parse(old)?;
            Ok(Some(IndexOp::Delete {
                id: message.id.to_string(),
                tenant_id: tenant,
                version: message.updated_seq + 1,
            }))
        }
        (None, None) => Ok(None),
    }
}
