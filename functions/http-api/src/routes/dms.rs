//! Direct messages: opening one lands on the same conversation whichever side opens it.

use axum::extract::State;
use axum::Json;
use shared::domain::ids::UserId;
use shared::domain::ConversationSummary;

use super::{ApiResult, UserRef};
use crate::error::ErrorBody;
use crate::extract::{ApiJson, Authed};
use crate::AppState;

#[utoipa::path(post, path = "/api/v1/chat/dms", request_body = UserRef, security(("bearer" = [])),
    responses((status = 200, body = ConversationSummary), (status = 404, body = ErrorBody)))]
pub(super) async fn open_dm(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(body): ApiJson<UserRef>,
) -> ApiResult<Json<ConversationSummary>> {
    let other = UserId::parse(&body.user_id)?;
    Ok(Json(state.chat.open_dm(&caller, &other).await?))
}
