//! Files: an upload intent (where and how to PUT the file) and short-lived download links.

use axum::extract::State;
use axum::http::header::{ACCEPT, LOCATION};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use shared::app::UploadIntent;
use shared::domain::ids::ConversationId;
use utoipa::ToSchema;

use super::ApiResult;
use crate::error::ErrorBody;
use crate::extract::{ApiJson, ApiPath, Authed};
use crate::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct NewUpload {
    filename: String,
    content_type: String,
    size: u64,
}

#[utoipa::path(post, path = "/api/v1/chat/conversations/{id}/uploads", request_body = NewUpload, security(("bearer" = [])),
    responses((status = 201, body = UploadIntent), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`conversation_archived`: the channel is archived")))]
pub(super) async fn upload_intent(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(conversation): ApiPath<ConversationId>,
    ApiJson(body): ApiJson<NewUpload>,
) -> ApiResult<(StatusCode, Json<UploadIntent>)> {
    let intent =
        state.chat.upload_intent(&caller, &conversation, &body.filename, &body.content_type, body.size).await?;
    Ok((StatusCode::CREATED, Json(intent)))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct DownloadUrl {
    url: String,
    expires_at: String,
}

/// A short-lived download URL: a 302 to it, or `{url, expiresAt}` when the client asks for JSON
/// (a browser cannot send the bearer token through a plain link).
#[utoipa::path(get, path = "/api/v1/chat/attachments/{attachment_id}", security(("bearer" = [])),
    responses((status = 302, description = "redirect to the file"), (status = 200, body = DownloadUrl), (status = 404, body = ErrorBody)))]
pub(super) async fn download(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(attachment_id): ApiPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (url, expires_at) = state.chat.attachment_url(&caller, &attachment_id).await?;
    let wants_json = headers.get(ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"));
    if wants_json {
        return Ok(Json(DownloadUrl { url, expires_at }).into_response());
    }
    Ok((StatusCode::FOUND, [(LOCATION, url)], ()).into_response())
}
