//! Threads: reading one (replies are sent like messages, with `threadRootId`).

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use shared::domain::ids::{ConversationId, MessageId};
use shared::domain::ThreadPage;
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
