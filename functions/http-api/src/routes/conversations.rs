//! The caller's conversations (channels and DMs alike): the list and one summary.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use shared::domain::ids::ConversationId;
use shared::domain::{ConversationSummary, NotificationLevel, NotificationSetting};
use utoipa::ToSchema;

use super::{ApiResult, Items};
use crate::error::ErrorBody;
use crate::extract::{ApiJson, ApiPath, Authed};
use crate::AppState;

#[utoipa::path(get, path = "/api/v1/chat/conversations", security(("bearer" = [])),
    responses((status = 200, body = Items<ConversationSummary>), (status = 401, body = ErrorBody)))]
pub(super) async fn list_conversations(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> ApiResult<Json<Items<ConversationSummary>>> {
    let items = state.chat.list_conversations(&caller).await?;
    Ok(Json(Items { items, next_cursor: None }))
}

#[utoipa::path(get, path = "/api/v1/chat/conversations/{id}", security(("bearer" = [])),
    responses((status = 200, body = ConversationSummary), (status = 404, body = ErrorBody)))]
pub(super) async fn get_conversation(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(conversation): ApiPath<ConversationId>,
) -> ApiResult<Json<ConversationSummary>> {
    Ok(Json(state.chat.summary(&caller, &conversation).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct SetNotificationLevel {
    level: NotificationLevel,
}

/// Sets the caller's notification level in a conversation they are a member of; their other
/// tabs and devices receive `chat:notificationLevel`.
#[utoipa::path(put, path = "/api/v1/chat/conversations/{id}/notifications", request_body = SetNotificationLevel,
    security(("bearer" = [])),
    responses((status = 200, body = NotificationSetting), (status = 404, body = ErrorBody)))]
pub(super) async fn set_notification_level(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(conversation): ApiPath<ConversationId>,
    ApiJson(body): ApiJson<SetNotificationLevel>,
) -> ApiResult<Json<NotificationSetting>> {
    Ok(Json(state.chat.set_notification_level(&caller, &conversation, body.level).await?))
}
