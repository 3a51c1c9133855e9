//! Keeping a client in step with a conversation: the changes since the seq it holds, and the
//! caller's read position.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use shared::domain::ids::{ConversationId, MessageId};
use shared::domain::Changes;
use utoipa::{IntoParams, ToSchema};

use super::ApiResult;
use crate::error::ErrorBody;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed};
use crate::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(super) struct ChangesParams {
    /// The last seq the client holds (0: from the start).
    #[serde(default)]
    after_seq: u64,
    /// 1-500, default 50.
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/chat/conversations/{id}/changes", params(ChangesParams), security(("bearer" = [])),
    responses((status = 200, body = Changes), (status = 404, body = ErrorBody)))]
pub(super) async fn changes(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(conversation): ApiPath<ConversationId>,
    ApiQuery(q): ApiQuery<ChangesParams>,
) -> ApiResult<Json<Changes>> {
    Ok(Json(state.chat.changes(&caller, &conversation, q.after_seq, q.limit).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct MarkRead {
    message_id: String,
}

#[utoipa::path(post, path = "/api/v1/chat/conversations/{id}/read", request_body = MarkRead, security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub(super) async fn mark_read(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(conversation): ApiPath<ConversationId>,
    ApiJson(body): ApiJson<MarkRead>,
) -> ApiResult<StatusCode> {
    let message = MessageId::parse(&body.message_id)?;
    state.chat.mark_read(&caller, &conversation, &message).await?;
    Ok(StatusCode::NO_CONTENT)
}
