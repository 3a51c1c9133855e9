//! Threads: reading one, following it, marking it read, and the Threads view (replies are sent
//! like messages, with `threadRootId`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use shared::domain::ids::{ConversationId, MessageId};
use shared::domain::{FollowedThreads, ThreadPage};
use utoipa::IntoParams;

use super::ApiResult;
use crate::error::ErrorBody;
use crate::extract::{ApiPath, ApiQuery, Authed};
use crate::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ThreadParams {
    /// A reply id: the page of replies just after it.
    after: Option<String>,
    /// 1-100, default 50.
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/chat/conversations/{id}/threads/{root_id}", params(ThreadParams), security(("bearer" = [])),
    responses((status = 200, body = ThreadPage), (status = 404, body = ErrorBody, description = "no such conversation (or not a member), or the root is no top-level message")))]
pub(super) async fn thread(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((conversation, root)): ApiPath<(ConversationId, MessageId)>,
    ApiQuery(q): ApiQuery<ThreadParams>,
) -> ApiResult<Json<ThreadPage>> {
    let after = q.after.as_deref().map(MessageId::parse).transpose()?;
    Ok(Json(state.chat.thread(&caller, &conversation, &root, after.as_ref(), q.limit).await?))
}

#[utoipa::path(put, path = "/api/v1/chat/conversations/{id}/threads/{root_id}/follow", security(("bearer" = [])),
    responses((status = 204, description = "following (idempotent); the replies so far count as read"), (status = 404, body = ErrorBody)))]
pub(super) async fn follow_thread(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((conversation, root)): ApiPath<(ConversationId, MessageId)>,
) -> ApiResult<StatusCode> {
    state.chat.follow_thread(&caller, &conversation, &root).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/chat/conversations/{id}/threads/{root_id}/follow", security(("bearer" = [])),
    responses((status = 204, description = "not following (idempotent)"), (status = 404, body = ErrorBody)))]
pub(super) async fn unfollow_thread(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((conversation, root)): ApiPath<(ConversationId, MessageId)>,
) -> ApiResult<StatusCode> {
    state.chat.unfollow_thread(&caller, &conversation, &root).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/chat/conversations/{id}/threads/{root_id}/read", security(("bearer" = [])),
    responses((status = 204, description = "every reply so far is read"), (status = 404, body = ErrorBody)))]
pub(super) async fn read_thread(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((conversation, root)): ApiPath<(ConversationId, MessageId)>,
) -> ApiResult<StatusCode> {
    state.chat.read_thread(&caller, &conversation, &root).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct FollowedParams {
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// 1-50, default 50.
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/chat/threads", params(FollowedParams), security(("bearer" = [])),
    responses((status = 200, body = FollowedThreads)))]
pub(super) async fn followed_threads(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<FollowedParams>,
) -> ApiResult<Json<FollowedThreads>> {
    Ok(Json(state.chat.followed_threads(&caller, q.cursor.as_deref(), q.limit).await?))
}
