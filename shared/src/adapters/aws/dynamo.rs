//! The DynamoDB `Store`: one table with string keys `PK`/`SK`. Conditions become condition
//! expressions, transactions `TransactWriteItems`, queries key-condition `Query` with paging —
//! never a Scan.

use std::collections::HashMap;
use std::ops::Bound;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, ConditionCheck, Delete, DeleteRequest, KeySchemaElement, KeyType,
    KeysAndAttributes, Put, PutRequest, ReturnValue, ReturnValuesOnConditionCheckFailure, ScalarAttributeType,
    StreamSpecification, StreamViewType, TransactWriteItem, Update as DynUpdate, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use serde_json::Value;

use crate::ports::clock::{Clock, SystemClock};
use crate::ports::store::{
    Attrs, Cond, FailedCondition, Item, Key, Page, Query, Store, StoreError, Update, WriteOp, MAX_TRANSACTION_OPS,
    TTL_ATTR,
};

const PK: &str = "PK";
const SK: &str = "SK";
type AttrMap = HashMap<String, AttributeValue>;

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Maps an SDK error to the store's: throttling and server faults are retryable.
fn classify<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    err: aws_sdk_dynamodb::error::SdkError<E>,
) -> StoreError {
    let code = err.as_service_error().and_then(|e| e.code()).unwrap_or_default().to_owned();
    match code.as_str() {
        "ConditionalCheckFailedException" => StoreError::ConditionFailed,
        "ProvisionedThroughputExceededException"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "InternalServerError"
        | "ServiceUnavailable"
        | "TransactionConflictException"
        | "TransactionInProgressException" => StoreError::Transient(code),
        _ => match &err {
            aws_sdk_dynamodb::error::SdkError::TimeoutError(_)
            | aws_sdk_dynamodb::error::SdkError::DispatchFailure(_) => StoreError::Transient(format!("{err:?}")),
            _ => StoreError::Backend(format!("{code}: {}", aws_sdk_dynamodb::error::DisplayErrorContext(&err))),
        },
    }
}

fn key_map(key: &Key) -> AttrMap {
    HashMap::from([
        (PK.to_owned(), AttributeValue::S(key.pk.clone())),
        (SK.to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

fn to_dynamo(item: &Item) -> Result<AttrMap, StoreError> {
    let mut map: AttrMap = serde_dynamo::to_item(&item.attrs).map_err(backend)?;
    map.extend(key_map(&item.key));
    Ok(map)
}

fn from_dynamo(mut map: AttrMap) -> Result<Item, StoreError> {
    let pk = match map.remove(PK) {
        Some(AttributeValue::S(s)) => s,
        _ => return Err(StoreError::Backend("item without PK".into())),
    };
    let sk = match map.remove(SK) {
        Some(AttributeValue::S(s)) => s,
        _ => return Err(StoreError::Backend("item without SK".into())),
    };
    let attrs: Attrs = serde_dynamo::from_item(map).map_err(backend)?;
    Ok(Item::new(Key { pk, sk }, attrs))
}

/// TTL deletion is best-effort and late: an expired item is treated as gone.
fn live(attrs: &Attrs, now_s: i64) -> bool {
    attrs.get(TTL_ATTR).and_then(Value::as_i64).is_none_or(|exp| exp > now_s)
}

fn now_s() -> i64 {
    SystemClock.now_ms() / 1000
}

/// Builds the placeholder maps an expression needs.
#[derive(Default)]
struct Expr {
    names: HashMap<String, String>,
    values: AttrMap,
}

impl Expr {
    fn name(&mut self, attr: &str) -> String {
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), attr.to_owned());
        placeholder
    }
    fn value(&mut self, v: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), v);
        placeholder
    }
    fn json_value(&mut self, v: &Value) -> Result<String, StoreError> {
        let av: AttributeValue = serde_dynamo::to_attribute_value(v).map_err(backend)?;
        Ok(self.value(av))
    }

    fn condition(&mut self, cond: &Cond) -> Result<Option<String>, StoreError> {
        Ok(match cond {
            Cond::Always => None,
            Cond::NotExists => {
                let pk = self.name(PK);
                Some(format!("attribute_not_exists({pk})"))
            }
            Cond::Exists => {
                let pk = self.name(PK);
                Some(format!("attribute_exists({pk})"))
            }
            Cond::Equals(attr, v) => {
                let n = self.name(attr);
                let v = self.json_value(v)?;
                Some(format!("{n} = {v}"))
            }
            Cond::ExistsWithout(attr) => {
                let pk = self.name(PK);
                let n = self.name(attr);
                Some(format!("attribute_exists({pk}) AND attribute_not_exists({n})"))
            }
            Cond::MissingOrBelow(attr, limit) => {
                let n = self.name(attr);
                let v = self.value(AttributeValue::N(limit.to_string()));
                Some(format!("(attribute_not_exists({n}) OR {n} < {v})"))
            }
        })
    }

    fn update(&mut self, update: &Update) -> Result<String, StoreError> {
        let mut parts = Vec::new();
        let sets: Vec<String> = update
            .set
            .iter()
            .map(|(k, v)| {
                let n = self.name(k);
                let v = self.json_value(v)?;
                Ok(format!("{n} = {v}"))
            })
            .collect::<Result<_, StoreError>>()?;
        if !sets.is_empty() {
            parts.push(format!("SET {}", sets.join(", ")));
        }
        let removes: Vec<String> = update.remove.iter().map(|k| self.name(k)).collect();
        if !removes.is_empty() {
            parts.push(format!("REMOVE {}", removes.join(", ")));
        }
        let adds: Vec<String> = update
            .add
            .iter()
            .map(|(k, d)| {
                let n = self.name(k);
                let v = self.value(AttributeValue::N(d.to_string()));
                format!("{n} {v}")
            })
            .collect();
        if !adds.is_empty() {
            parts.push(format!("ADD {}", adds.join(", ")));
        }
        Ok(parts.join(" "))
    }

    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }
    fn values(&self) -> Option<AttrMap> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    /// The client retries what the SDK's standard mode retries (throttling, 5xx, timeouts,
    /// within its token bucket) and, on top, a single-item write cancelled by a conflicting
    /// transaction (a 400 the SDK does not retry on its own): one retry layer, no wrapper.
    pub fn from_config(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        let conf = aws_sdk_dynamodb::config::Builder::from(config).retry_classifier(TransactionConflicts).build();
        Self::new(Client::from_conf(conf), table)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Creates the table as `template.yaml` declares it (keys, on-demand billing, stream with
    /// both images). For tests and first-time local setups against an emulator.
    pub async fn create_table(&self) -> Result<(), StoreError> {
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(backend)
        };
        let key =
            |name: &str, kind| KeySchemaElement::builder().attribute_name(name).key_type(kind).build().map_err(backend);
        self.client
            .create_table()
            .table_name(&self.table)
            .attribute_definitions(attr(PK)?)
            .attribute_definitions(attr(SK)?)
            .key_schema(key(PK, KeyType::Hash)?)
            .key_schema(key(SK, KeyType::Range)?)
            .billing_mode(BillingMode::PayPerRequest)
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build()
                    .map_err(backend)?,
            )
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Every operation asks for its item back should its condition fail (it costs no read
    /// units): the port's refusal carries it, so a lost race needs no read to see the winner.
    fn transact_item(&self, op: &WriteOp) -> Result<TransactWriteItem, StoreError> {
        let mut expr = Expr::default();
        let builder = TransactWriteItem::builder();
        Ok(match op {
            WriteOp::Put { item, cond } => {
                let condition = expr.condition(cond)?;
                builder
                    .put(
                        Put::builder()
                            .table_name(&self.table)
                            .set_item(Some(to_dynamo(item)?))
                            .set_condition_expression(condition)
                            .set_expression_attribute_names(expr.names())
                            .set_expression_attribute_values(expr.values())
                            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                            .build()
                            .map_err(backend)?,
                    )
                    .build()
            }
            WriteOp::Update { key, update, cond } => {
                let update_expr = expr.update(update)?;
                let condition = expr.condition(cond)?;
                builder
                    .update(
                        DynUpdate::builder()
                            .table_name(&self.table)
                            .set_key(Some(key_map(key)))
                            .update_expression(update_expr)
                            .set_condition_expression(condition)
                            .set_expression_attribute_names(expr.names())
                            .set_expression_attribute_values(expr.values())
                            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                            .build()
                            .map_err(backend)?,
                    )
                    .build()
            }
            WriteOp::Delete { key, cond } => {
                let condition = expr.condition(cond)?;
                builder
                    .delete(
                        Delete::builder()
                            .table_name(&self.table)
                            .set_key(Some(key_map(key)))
                            .set_condition_expression(condition)
                            .set_expression_attribute_names(expr.names())
                            .set_expression_attribute_values(expr.values())
                            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                            .build()
                            .map_err(backend)?,
                    )
                    .build()
            }
            WriteOp::Check { key, cond } => {
                let condition = expr.condition(cond)?.unwrap_or_else(|| {
                    let pk = expr.name(PK);
                    format!("attribute_exists({pk}) OR attribute_not_exists({pk})")
                });
                builder
                    .condition_check(
                        ConditionCheck::builder()
                            .table_name(&self.table)
                            .set_key(Some(key_map(key)))
                            .condition_expression(condition)
                            .set_expression_attribute_names(expr.names())
                            .set_expression_attribute_values(expr.values())
                            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                            .build()
                            .map_err(backend)?,
                    )
                    .build()
            }
        })
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(classify)?;
        match out.item {
            Some(map) => {
                let item = from_dynamo(map)?;
                Ok(live(&item.attrs, now_s()).then_some(item))
            }
            None => Ok(None),
        }
    }

    async fn batch_get(&self, keys: &[Key], consistent: bool) -> Result<Vec<Item>, StoreError> {
        let mut unique: Vec<&Key> = keys.iter().collect();
        unique.sort();
        unique.dedup();
        let now = now_s();
        let mut out = Vec::with_capacity(unique.len());
        for chunk in unique.chunks(100) {
            let mut pending = KeysAndAttributes::builder()
                .set_keys(Some(chunk.iter().map(|k| key_map(k)).collect()))
                .consistent_read(consistent)
                .build()
                .map_err(backend)?;
            for attempt in 0u32.. {
                let resp = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, pending.clone())
                    .send()
                    .await
                    .map_err(classify)?;
                for map in resp.responses.unwrap_or_default().remove(&self.table).unwrap_or_default() {
                    let item = from_dynamo(map)?;
                    if live(&item.attrs, now) {
                        out.push(item);
                    }
                }
                match resp.unprocessed_keys.and_then(|mut u| u.remove(&self.table)) {
                    Some(rest) if !rest.keys.is_empty() => {
                        if attempt >= 8 {
                            return Err(StoreError::Transient("batch get kept returning unprocessed keys".into()));
                        }
                        pending = rest;
                        tokio::time::sleep(Duration::from_millis(20 << attempt.min(5))).await;
                    }
                    _ => break,
                }
            }
        }
        Ok(out)
    }

    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError> {
        let mut expr = Expr::default();
        let condition = expr.condition(&cond)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_dynamo(&item)?))
            .set_condition_expression(condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn update(&self, key: &Key, update: Update, cond: Cond) -> Result<Attrs, StoreError> {
        let mut expr = Expr::default();
        let update_expr = expr.update(&update)?;
        let condition = expr.condition(&cond)?;
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .update_expression(update_expr)
            .set_condition_expression(condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(classify)?;
        let mut map = out.attributes.unwrap_or_default();
        map.extend(key_map(key));
        Ok(from_dynamo(map)?.attrs)
    }

    async fn delete(&self, key: &Key, cond: Cond) -> Result<Option<Attrs>, StoreError> {
        let mut expr = Expr::default();
        let condition = expr.condition(&cond)?;
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .set_condition_expression(condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(classify)?;
        match out.attributes {
            Some(map) if !map.is_empty() => Ok(Some(from_dynamo(map)?.attrs)),
            _ => Ok(None),
        }
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        if ops.len() > MAX_TRANSACTION_OPS {
            return Err(StoreError::Backend(format!(
                "transaction of {} operations exceeds {MAX_TRANSACTION_OPS}",
                ops.len()
            )));
        }
        let items = ops.iter().map(|op| self.transact_item(op)).collect::<Result<Vec<_>, _>>()?;
        match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(()),
            Err(err) => {
                if let Some(TransactWriteItemsError::TransactionCanceledException(cancel)) = err.as_service_error() {
                    let reasons = cancel.cancellation_reasons();
                    let mut failed = Vec::new();
                    for (i, reason) in reasons.iter().enumerate() {
                        if reason.code() == Some("ConditionalCheckFailed") {
                            let current = match reason.item() {
                                Some(item) if !item.is_empty() => Some(from_dynamo(item.clone())?.attrs),
                                _ => None,
                            };
                            failed.push(FailedCondition::new(i, current));
                        }
                    }
                    // Throttled, the whole transaction: the store needs room, not a quick retry.
                    let throttled = |code: &str| {
                        matches!(code, "ThrottlingError" | "ProvisionedThroughputExceeded" | "RequestLimitExceeded")
                    };
                    if failed.is_empty() {
                        if let Some(code) = reasons.iter().filter_map(|r| r.code()).find(|c| throttled(c)) {
                            return Err(StoreError::Transient(code.to_owned()));
                        }
                    }
                    // Empty when cancelled for a conflicting transaction in progress: retryable.
                    return Err(StoreError::TransactionCanceled { failed });
                }
                Err(classify(err))
            }
        }
    }

    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let mut requests = Vec::new();
        for op in ops {
            match op {
                WriteOp::Put { item, cond: Cond::Always } => {
                    requests.push(
                        WriteRequest::builder()
                            .put_request(
                                PutRequest::builder().set_item(Some(to_dynamo(&item)?)).build().map_err(backend)?,
                            )
                            .build(),
                    );
                }
                WriteOp::Delete { key, cond: Cond::Always } => {
                    requests.push(
                        WriteRequest::builder()
                            .delete_request(
                                DeleteRequest::builder().set_key(Some(key_map(&key))).build().map_err(backend)?,
                            )
                            .build(),
                    );
                }
                // BatchWriteItem has no conditions or updates: those go one by one.
                WriteOp::Put { item, cond } => self.put(item, cond).await?,
                WriteOp::Update { key, update, cond } => {
                    self.update(&key, update, cond).await?;
                }
                WriteOp::Delete { key, cond } => {
                    self.delete(&key, cond).await?;
                }
                WriteOp::Check { .. } => {}
            }
        }
        for chunk in requests.chunks(25) {
            let mut pending = chunk.to_vec();
            for attempt in 0u32.. {
                let resp = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending.clone())
                    .send()
                    .await
                    .map_err(classify)?;
                match resp.unprocessed_items.and_then(|mut u| u.remove(&self.table)) {
                    Some(rest) if !rest.is_empty() => {
                        if attempt >= 8 {
                            return Err(StoreError::Transient("batch write kept returning unprocessed items".into()));
                        }
                        pending = rest;
                        tokio::time::sleep(Duration::from_millis(20 << attempt.min(5))).await;
                    }
                    _ => break,
                }
            }
        }
        Ok(())
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        // DynamoDB key conditions take one comparison on the sort key: inclusive bounds go into
        // it, and an excluded bound is dropped from the results here.
        let mut expr = Expr::default();
        let pk_name = expr.name(PK);
        let pk_value = expr.value(AttributeValue::S(query.pk.clone()));
        let sk_name = expr.name(SK);
        // DynamoDB refuses an empty string in a key condition; "" as a lower bound is no bound.
        let bound_value = |b: &Bound<String>| match b {
            Bound::Included(v) | Bound::Excluded(v) if !v.is_empty() => Some(v.clone()),
            _ => None,
        };
        let sk_condition = match (bound_value(&query.lower), bound_value(&query.upper)) {
            (Some(lo), Some(hi)) => {
                let lo = expr.value(AttributeValue::S(lo));
                let hi = expr.value(AttributeValue::S(hi));
                format!(" AND {sk_name} BETWEEN {lo} AND {hi}")
            }
            (Some(lo), None) => format!(" AND {sk_name} >= {}", expr.value(AttributeValue::S(lo))),
            (None, Some(hi)) => format!(" AND {sk_name} <= {}", expr.value(AttributeValue::S(hi))),
            (None, None) => String::new(),
        };
        let key_condition = format!("{pk_name} = {pk_value}{sk_condition}");
        let now = now_s();
        let want = query.limit + 1;
        let mut items = Vec::new();
        let mut start: Option<AttrMap> = None;
        loop {
            let resp = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression(&key_condition)
                .set_expression_attribute_names(expr.names())
                .set_expression_attribute_values(expr.values())
                .scan_index_forward(query.forward)
                .consistent_read(query.consistent)
                .limit((want - items.len() + 2).min(1000) as i32)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(classify)?;
            for map in resp.items.unwrap_or_default() {
                let item = from_dynamo(map)?;
                if query.contains(&item.key.sk) && live(&item.attrs, now) {
                    items.push(item);
                }
            }
            match resp.last_evaluated_key {
                Some(last) if items.len() < want => start = Some(last),
                _ => break,
            }
        }
        let more = items.len() > query.limit;
        items.truncate(query.limit);
        Ok(Page { items, more })
    }
}

/// Makes `TransactionConflictException` on a single-item write retryable (by the SDK, in its
/// bucket): the item was in a transaction that was running, and the write may pass next time.
#[derive(Debug)]
struct TransactionConflicts;

impl aws_smithy_runtime_api::client::retries::classifiers::ClassifyRetry for TransactionConflicts {
    fn classify_retry(
        &self,
        ctx: &aws_smithy_runtime_api::client::interceptors::context::InterceptorContext,
    ) -> aws_smithy_runtime_api::client::retries::classifiers::RetryAction {
        use aws_sdk_dynamodb::operation::{
            delete_item::DeleteItemError, put_item::PutItemError, update_item::UpdateItemError,
        };
        use aws_smithy_runtime_api::client::retries::classifiers::RetryAction;
        let Some(Err(err)) = ctx.output_or_error() else { return RetryAction::NoActionIndicated };
        let Some(op) = err.as_operation_error() else { return RetryAction::NoActionIndicated };
        let code = op
            .downcast_ref::<PutItemError>()
            .and_then(|e| e.code())
            .or_else(|| op.downcast_ref::<UpdateItemError>().and_then(|e| e.code()))
            .or_else(|| op.downcast_ref::<DeleteItemError>().and_then(|e| e.code()));
        if code == Some("TransactionConflictException") {
            RetryAction::transient_error()
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "TransactionConflicts"
    }
}
