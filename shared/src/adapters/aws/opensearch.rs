//! The OpenSearch `SearchIndex`: the REST API over HTTPS, signed with SigV4 (`es` for a domain,
//! `aoss` for a serverless collection). Upserts and deletes go through `_bulk` with external
//! versions (the message's `updatedSeq`), so replays and reordering are harmless; every query
//! carries the tenant and the caller's readable conversations as filters.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{sign, PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde_json::{json, Value};

use crate::domain::search::{IndexOp, SearchHit, SearchPage, SearchPlan, SortOrder};
use crate::ports::search::{SearchError, SearchIndex};

/// The index mapping and settings (`infra/opensearch/messages-index.json`).
pub const INDEX_DEFINITION: &str = include_str!("../../../../infra/opensearch/messages-index.json");
const ATTEMPTS: u32 = 3;

#[derive(Clone)]
pub struct Signer {
    pub credentials: SharedCredentialsProvider,
    pub region: String,
    /// `es` (managed domain) or `aoss` (serverless collection).
    pub service: String,
}

#[derive(Clone)]
pub struct OpenSearchIndex {
    http: reqwest::Client,
    endpoint: String,
    index: String,
    signer: Option<Signer>,
    /// An IAM role granted `_search` on this index only (the HTTP API's), mapped by the master
    /// user when it prepares the index: a deploy needs no manual step in OpenSearch Dashboards.
    reader_role_arn: Option<String>,
}

fn unavailable(e: impl std::fmt::Display) -> SearchError {
    SearchError::Unavailable(e.to_string())
}

impl OpenSearchIndex {
    /// `signer: None` only for a test double on loopback.
    pub fn new(endpoint: &str, index: &str, signer: Option<Signer>) -> Self {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
        Self {
            http,
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            index: index.to_owned(),
            signer,
            reader_role_arn: None,
        }
    }

    /// Names the role `prepare` maps to search-only access (a managed domain with fine-grained
    /// access control, where this client signs as the master user).
    pub fn with_reader_role(mut self, role_arn: Option<String>) -> Self {
        self.reader_role_arn = role_arn.filter(|arn| !arn.is_empty());
        self
    }

    /// The security plugin's role that may only search this index.
    fn reader_role_name(&self) -> String {
        format!("tenant-chat-{}-search", self.index)
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<(u16, Value), SearchError> {
        let url = format!("{}{}", self.endpoint, path);
        let mut attempt = 0;
        loop {
            let mut headers: Vec<(String, String)> = vec![("content-type".into(), content_type.into())];
            if let Some(signer) = &self.signer {
                headers.extend(self.signature(signer, method, &url, &body, content_type).await?);
            }
            let mut request = self.http.request(method.parse().map_err(unavailable)?, &url).body(body.clone());
            for (k, v) in &headers {
                request = request.header(k, v);
            }
            let outcome = request.send().await;
            let retry = match &outcome {
                Ok(resp) => matches!(resp.status().as_u16(), 429 | 502 | 503 | 504),
                Err(e) => e.is_connect() || e.is_timeout(),
            };
            attempt += 1;
            if retry && attempt < ATTEMPTS {
                tokio::time::sleep(Duration::from_millis((100 << attempt) + rand::random::<u64>() % 100)).await;
                continue;
            }
            let response = outcome.map_err(unavailable)?;
            let status = response.status().as_u16();
            let text = response.text().await.map_err(unavailable)?;
            let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
            return Ok((status, value));
        }
    }

    async fn signature(
        &self,
        signer: &Signer,
        method: &str,
        url: &str,
        body: &[u8],
        content_type: &str,
    ) -> Result<Vec<(String, String)>, SearchError> {
        let credentials = signer.credentials.provide_credentials().await.map_err(unavailable)?;
        let identity: Identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&signer.region)
            .name(&signer.service)
            .time(SystemTime::now())
            .settings({
                // Serverless collections require the payload hash header; domains accept it.
                let mut settings = SigningSettings::default();
                settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
                settings
            })
            .build()
            .map_err(unavailable)?
            .into();
        let request =
            SignableRequest::new(method, url, [("content-type", content_type)].into_iter(), SignableBody::Bytes(body))
                .map_err(unavailable)?;
        let (instructions, _) = sign(request, &params).map_err(unavailable)?.into_parts();
        Ok(instructions.headers().map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
    }

    /// Creates the index with its mapping unless it exists (before the indexer's first write),
    /// or adds the mapping's newer fields to an index made before them (a strict mapping refuses
    /// documents with unknown fields; adding fields is allowed and idempotent), then grants the
    /// reader role its search-only access.
    pub async fn ensure_index(&self) -> Result<(), SearchError> {
        let (status, _) = self.send("HEAD", &format!("/{}", self.index), Vec::new(), "application/json").await?;
        if status == 200 {
            self.ensure_fields().await?;
        } else {
            let (status, body) = self
                .send("PUT", &format!("/{}", self.index), INDEX_DEFINITION.as_bytes().to_vec(), "application/json")
                .await?;
            let exists =
                body.pointer("/error/type").and_then(Value::as_str) == Some("resource_already_exists_exception");
            if !(200..300).contains(&status) && !exists {
                return Err(SearchError::Rejected(format!("creating the index: {status} {body}")));
            }
        }
        self.ensure_reader_access().await
    }

    /// An index created by an older release lacks the fields added since (`hasLink`), and its
    /// mapping is strict: adding fields is allowed on a live index, so the mapping is put again
    /// (the fields it has already are unchanged).
    async fn ensure_fields(&self) -> Result<(), SearchError> {
        let definition: Value = serde_json::from_str(INDEX_DEFINITION).map_err(unavailable)?;
        let mappings = serde_json::to_vec(&definition["mappings"]).map_err(unavailable)?;
        let (status, body) =
            self.send("PUT", &format!("/{}/_mapping", self.index), mappings, "application/json").await?;
        if !(200..300).contains(&status) {
            return Err(SearchError::Rejected(format!("updating the mapping: {status} {body}")));
        }
        Ok(())
    }

    /// The security plugin's role (search on this index, nothing else) and its mapping to the
    /// reader's IAM role. Both PUTs replace what is there, so every cold start may repeat them.
    async fn ensure_reader_access(&self) -> Result<(), SearchError> {
        let Some(arn) = &self.reader_role_arn else { return Ok(()) };
        let role = self.reader_role_name();
        let definition = json!({
            "index_permissions": [{ "index_patterns": [self.index], "allowed_actions": ["indices:data/read/search"] }]
        });
        let mapping = json!({ "backend_roles": [arn] });
        for (path, body) in [
            (format!("/_plugins/_security/api/roles/{role}"), definition),
            (format!("/_plugins/_security/api/rolesmapping/{role}"), mapping),
        ] {
            let (status, answer) =
                self.send("PUT", &path, serde_json::to_vec(&body).map_err(unavailable)?, "application/json").await?;
            if !(200..300).contains(&status) {
                return Err(SearchError::Rejected(format!("granting search to the reader role: {status} {answer}")));
            }
        }
        Ok(())
    }

    /// The NDJSON body of a `_bulk` request.
    pub fn bulk_body(&self, ops: &[IndexOp]) -> Result<Vec<u8>, SearchError> {
        let mut body = Vec::new();
        for op in ops {
            let (action, doc) = match op {
                IndexOp::Upsert(doc) => (
                    json!({ "index": { "_index": self.index, "_id": doc.id, "version": doc.version, "version_type": "external" } }),
                    Some(serde_json::to_value(doc).map_err(unavailable)?),
                ),
                IndexOp::Delete { id, version, .. } => (
                    json!({ "delete": { "_index": self.index, "_id": id, "version": version, "version_type": "external" } }),
                    None,
                ),
            };
            body.extend(serde_json::to_vec(&action).map_err(unavailable)?);
            body.push(b'\n');
            if let Some(doc) = doc {
                body.extend(serde_json::to_vec(&doc).map_err(unavailable)?);
                body.push(b'\n');
            }
        }
        Ok(body)
    }

    /// The `_search` body for a plan: access filters first, always.
    pub fn query_body(plan: &SearchPlan) -> Result<Value, SearchError> {
        let mut filter = vec![
            json!({ "term": { "tenantId": plan.tenant_id } }),
            json!({ "terms": { "conversationId": plan.conversation_ids } }),
        ];
        if let Some(author) = &plan.author_id {
            filter.push(json!({ "term": { "authorId": author } }));
        }
        if let Some(user) = &plan.mentions_user {
            filter.push(json!({ "term": { "mentions": user } }));
        }
        if plan.has_file {
            filter.push(json!({ "term": { "hasFile": true } }));
        }
        if plan.has_link {
            filter.push(json!({ "term": { "hasLink": true } }));
        }
        if plan.after_ms.is_some() || plan.before_ms.is_some() {
            let mut range = serde_json::Map::new();
            if let Some(after) = plan.after_ms {
                range.insert("gte".into(), after.into());
            }
            if let Some(before) = plan.before_ms {
                range.insert("lt".into(), before.into());
            }
            filter.push(json!({ "range": { "createdMs": range } }));
        }
        let phrase = |(tokens, prefix): &(Vec<String>, bool)| {
            let text = tokens.join(" ");
            if *prefix {
                json!({ "match_phrase_prefix": { "body": { "query": text } } })
            } else {
                json!({ "match_phrase": { "body": { "query": text } } })
            }
        };
        // Every clause must match; a clause of several terms (`a OR b`) matches when one does.
        let must: Vec<Value> = plan
            .clauses
            .iter()
            .map(|clause| match clause.as_slice() {
                [one] => phrase(one),
                any => json!({ "bool": { "should": any.iter().map(phrase).collect::<Vec<_>>(), "minimum_should_match": 1 } }),
            })
            .collect();
        let must_not: Vec<Value> = plan.excluded.iter().map(phrase).collect();
        let mut body = json!({
            "size": plan.limit + 1,
            "query": { "bool": { "filter": filter, "must": must, "must_not": must_not } },
            "_source": ["id", "conversationId", "createdMs", "threadRootId"],
            "track_total_hits": false,
        });
        match plan.sort {
            SortOrder::Newest => {
                body["sort"] = json!([{ "createdMs": "desc" }, { "id": "desc" }]);
                if let Some(cursor) = &plan.cursor {
                    let (ms, id) = cursor.split_once(':').ok_or_else(|| SearchError::Rejected("bad cursor".into()))?;
                    let ms: i64 = ms.parse().map_err(|_| SearchError::Rejected("bad cursor".into()))?;
                    body["search_after"] = json!([ms, id]);
                }
            }
            SortOrder::Relevance => {
                body["sort"] = json!(["_score", { "createdMs": "desc" }, { "id": "desc" }]);
                if let Some(cursor) = &plan.cursor {
                    let from: usize = cursor.parse().map_err(|_| SearchError::Rejected("bad cursor".into()))?;
                    body["from"] = from.into();
                }
            }
        }
        Ok(body)
    }
}

#[async_trait]
impl SearchIndex for OpenSearchIndex {
    async fn prepare(&self) -> Result<(), SearchError> {
        self.ensure_index().await
    }
    async fn apply(&self, ops: &[IndexOp]) -> Result<Vec<Result<(), SearchError>>, SearchError> {
        if ops.is_empty() {
            return Ok(Vec::new());
        }
        let (status, body) = self.send("POST", "/_bulk", self.bulk_body(ops)?, "application/x-ndjson").await?;
        if status == 429 || status >= 500 {
            return Err(SearchError::Unavailable(format!("bulk answered {status}")));
        }
        if !(200..300).contains(&status) {
            return Err(SearchError::Rejected(format!("bulk answered {status}: {body}")));
        }
        let items = body
            .get("items")
            .and_then(Value::as_array)
            .ok_or_else(|| SearchError::Rejected("bulk answer without items".into()))?;
        if items.len() != ops.len() {
            return Err(SearchError::Rejected("bulk answer does not match the request".into()));
        }
        Ok(items
            .iter()
            .map(|item| {
                let result = item.get("index").or_else(|| item.get("delete")).unwrap_or(&Value::Null);
                let status = result.get("status").and_then(Value::as_u64).unwrap_or(0);
                match status {
                    200..=299 => Ok(()),
                    // Already newer in the index (a replay or an out-of-order delivery): done.
                    409 => Ok(()),
                    // Deleting what was never indexed is done too.
                    404 if item.get("delete").is_some() => Ok(()),
                    429 | 500..=599 => Err(SearchError::Unavailable(format!("item answered {status}"))),
                    _ => Err(SearchError::Rejected(format!(
                        "item answered {status}: {}",
                        result.get("error").unwrap_or(&Value::Null)
                    ))),
                }
            })
            .collect())
    }

    async fn search(&self, plan: &SearchPlan) -> Result<SearchPage, SearchError> {
        if plan.conversation_ids.is_empty() {
            return Ok(SearchPage::default());
        }
        let query = Self::query_body(plan)?;
        let (status, body) = self
            .send(
                "POST",
                &format!("/{}/_search", self.index),
                serde_json::to_vec(&query).map_err(unavailable)?,
                "application/json",
            )
            .await?;
        if status == 429 || status >= 500 {
            return Err(SearchError::Unavailable(format!("search answered {status}")));
        }
        // A new stack's index is created before the first message is indexed: nothing to find yet.
        if status == 404 && body.pointer("/error/type").and_then(Value::as_str) == Some("index_not_found_exception") {
            return Ok(SearchPage::default());
        }
        if !(200..300).contains(&status) {
            return Err(SearchError::Rejected(format!("search answered {status}: {body}")));
        }
        let hits = body.pointer("/hits/hits").and_then(Value::as_array).cloned().unwrap_or_default();
        let mut out = Vec::new();
        let mut next_cursor = None;
        for (i, hit) in hits.iter().enumerate() {
            let source = hit.get("_source").unwrap_or(&Value::Null);
            let id = source
                .get("id")
                .and_then(Value::as_str)
                .or_else(|| hit.get("_id").and_then(Value::as_str))
                .unwrap_or_default();
            if i == plan.limit {
                next_cursor = Some(match plan.sort {
                    SortOrder::Newest => {
                        out.last().map(|h: &(SearchHit, i64)| format!("{}:{}", h.1, h.0.id)).unwrap_or_default()
                    }
                    SortOrder::Relevance => (plan.cursor.as_deref().and_then(|c| c.parse::<usize>().ok()).unwrap_or(0)
                        + plan.limit)
                        .to_string(),
                });
                break;
            }
            out.push((
                SearchHit {
                    id: id.to_owned(),
                    conversation_id: source
                        .get("conversationId")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    score: hit.get("_score").and_then(Value::as_f64).unwrap_or(0.0),
                    thread_root_id: source.get("threadRootId").and_then(Value::as_str).map(str::to_owned),
                },
                source.get("createdMs").and_then(Value::as_i64).unwrap_or(0),
            ));
        }
        Ok(SearchPage { hits: out.into_iter().map(|(h, _)| h).collect(), next_cursor })
    }
}
