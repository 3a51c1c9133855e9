//! DynamoDB Streams records (as Lambda receives them) → the store's `ChangeRecord`, so the stream
//! consumers run the same logic on AWS and on the embedded store's change feed.

use aws_lambda_events::dynamodb::EventRecord;
use serde::Serialize;
use serde_json::Value;

use crate::ports::store::{Attrs, ChangeRecord, Key};

fn image(item: &serde_dynamo::Item) -> Result<Option<Attrs>, String> {
    if item.is_empty() {
        return Ok(None);
    }
    let mut attrs: Attrs = serde_dynamo::from_item(item.clone()).map_err(|e| e.to_string())?;
    attrs.remove("PK");
    attrs.remove("SK");
    Ok(Some(attrs))
}

pub fn change_record(record: &EventRecord, position: u64) -> Result<ChangeRecord, String> {
    let keys: Attrs = serde_dynamo::from_item(record.change.keys.clone()).map_err(|e| e.to_string())?;
    let key_part =
        |name: &str| keys.get(name).and_then(Value::as_str).map(str::to_owned).ok_or(format!("record without {name}"));
    Ok(ChangeRecord {
        position,
        key: Key { pk: key_part("PK")?, sk: key_part("SK")? },
        old: image(&record.change.old_image)?,
        new: image(&record.change.new_image)?,
    })
}

/// A stream consumer's answer with `ReportBatchItemFailures`: the first record that failed (Lambda
/// retries from it), or none.
#[derive(Debug, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    pub batch_item_failures: Vec<ItemFailure>,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ItemFailure {
    pub item_identifier: String,
}

impl BatchResponse {
    pub fn failed_from(sequence_number: Option<String>) -> Self {
        Self {
            batch_item_failures: sequence_number
                .map(|item_identifier| ItemFailure { item_identifier })
                .into_iter()
                .collect(),
        }
    }
}
