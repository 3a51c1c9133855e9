//! Retention and the archive, a tenant admin's tools: retention settings (the tenant's policy
//! and a conversation's), the archive's files, the archive policy and its audit trail.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use shared::app::{ArchiveFile, ArchivePolicy, AuditPage, ConversationPolicy, RetentionSettings, TenantPolicy};
use shared::domain::ids::ConversationId;
use utoipa::{IntoParams, ToSchema};

use super::ApiResult;
use crate::error::ErrorBody;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed};
use crate::AppState;

#[utoipa::path(get, path = "/api/v1/chat/retention", security(("bearer" = [])),
    responses((status = 200, body = RetentionSettings), (status = 403, body = ErrorBody)))]
pub(super) async fn retention_settings(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> ApiResult<Json<RetentionSettings>> {
    Ok(Json(state.chat.retention_settings(&caller).await?))
}

#[utoipa::path(put, path = "/api/v1/chat/retention", request_body = TenantPolicy, security(("bearer" = [])),
    responses((status = 200, body = TenantPolicy), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn set_tenant_retention(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(policy): ApiJson<TenantPolicy>,
) -> ApiResult<Json<TenantPolicy>> {
    Ok(Json(state.chat.set_tenant_retention(&caller, policy).await?))
}

#[utoipa::path(put, path = "/api/v1/chat/conversations/{id}/retention", request_body = ConversationPolicy, security(("bearer" = [])),
    responses((status = 200, body = ConversationPolicy), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn set_conversation_retention(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(conversation): ApiPath<ConversationId>,
    ApiJson(policy): ApiJson<ConversationPolicy>,
) -> ApiResult<Json<ConversationPolicy>> {
    Ok(Json(state.chat.set_conversation_retention(&caller, &conversation, policy).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(super) struct ArchiveQuery {
    // Parsed by serde like the path ids: a malformed one is a 400 `invalid_input` naming
    // `conversationId`; a plain string in the document, as every id is.
    #[param(value_type = String)]
    conversation_id: ConversationId,
    /// First day, `YYYY-MM-DD` (inclusive).
    from: Option<String>,
    /// Last day, `YYYY-MM-DD` (inclusive).
    to: Option<String>,
    /// The `nextCursor` of the previous page.
    cursor: Option<String>,
    /// 1-100, default 50.
    limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct ArchiveFiles {
    items: Vec<ArchiveFile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/chat/retention/archive", params(ArchiveQuery), security(("bearer" = [])),
    responses((status = 200, body = ArchiveFiles), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn archive_files(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<ArchiveQuery>,
) -> ApiResult<Json<ArchiveFiles>> {
    let (items, next_cursor) = state
        .chat
        .archive_files(&caller, &q.conversation_id, q.from.as_deref(), q.to.as_deref(), q.cursor.as_deref(), q.limit)
        .await?;
    Ok(Json(ArchiveFiles { items, next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/chat/retention/archive-policy", security(("bearer" = [])),
    responses((status = 200, body = ArchivePolicy), (status = 403, body = ErrorBody)))]
pub(super) async fn archive_policy(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> ApiResult<Json<ArchivePolicy>> {
    Ok(Json(state.chat.archive_policy(&caller).await?))
}

#[utoipa::path(put, path = "/api/v1/chat/retention/archive-policy", request_body = ArchivePolicy, security(("bearer" = [])),
    responses((status = 200, body = ArchivePolicy), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn set_archive_policy(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(policy): ApiJson<ArchivePolicy>,
) -> ApiResult<Json<ArchivePolicy>> {
    Ok(Json(state.chat.set_archive_policy(&caller, policy).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct AuditQuery {
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// 1-100 (default 50).
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/chat/retention/audit", params(AuditQuery), security(("bearer" = [])),
    responses((status = 200, body = AuditPage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn audit_records(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    Ok(Json(state.chat.audit_records(&caller, q.cursor.as_deref(), q.limit).await?))
}

#[cfg(test)]
mod tests {
    use axum::extract::FromRequestParts;
    use axum::http::{Request, StatusCode};
    use shared::domain::ids::{ConversationId, TenantId, UserId};

    use super::ArchiveQuery;
    use crate::error::ApiError;
    use crate::extract::ApiQuery;

    /// The query as `archive_files` receives it (its extractor runs after `Authed`).
    async fn archive_query(query: &str) -> Result<ArchiveQuery, ApiError> {
        let request = Request::builder().uri(format!("/api/v1/chat/retention/archive?{query}")).body(()).unwrap();
        let (mut parts, ()) = request.into_parts();
        ApiQuery::<ArchiveQuery>::from_request_parts(&mut parts, &()).await.map(|ApiQuery(q)| q)
    }

    #[tokio::test]
    async fn the_archive_query_takes_a_typed_conversation_id() {
        let tenant = TenantId::parse("acme").unwrap();
        let dm = ConversationId::for_dm(&tenant, &UserId::parse("alice").unwrap(), &UserId::parse("bob").unwrap());
        for id in [ConversationId::new_channel(), dm] {
            let q = match archive_query(&format!("conversationId={id}&from=2026-12-01&limit=5")).await {
                Ok(q) => q,
                Err(e) => panic!("{id}: {e}"),
            };
            assert_eq!(q.conversation_id, id);
            assert_eq!((q.from.as_deref(), q.limit), (Some("2026-12-01"), Some(5)));
        }
        // Malformed, with a key delimiter, empty, missing: a 400 naming the field, as before.
        for bad in ["conversationId=C123", "conversationId=C01JD00000000000000000000X%23", "conversationId=", ""] {
            let Err(e) = archive_query(bad).await else { panic!("{bad:?} was accepted") };
            assert_eq!((e.status, e.code.as_str()), (StatusCode::BAD_REQUEST, "invalid_input"), "{bad:?}: {e}");
            assert!(e.message.contains("conversationId"), "{bad:?}: {e}");
            assert!(!e.message.starts_with("Failed to deserialize"), "{bad:?}: {e}: the field first, not axum's");
            assert!(!e.message.starts_with("conversationId: conversationId"), "{bad:?}: {e}: the field once");
        }
    }
}
