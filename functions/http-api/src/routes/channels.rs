//! Channels: browse the public ones, create, join, leave, and manage members.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use shared::app::ChannelChange;
use shared::domain::ids::{ConversationId, UserId};
use shared::domain::values::{ChannelName, Topic};
use shared::domain::{ChannelDetails, ConversationSummary, MemberView, PublicChannel, Visibility};
use utoipa::{IntoParams, ToSchema};

use super::{ApiResult, Items, UserRef};
use crate::error::ErrorBody;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed};
use crate::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct Paging {
    /// The `nextCursor` of the previous page.
    cursor: Option<String>,
    /// 1-100, default 50.
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/chat/channels", params(Paging), security(("bearer" = [])),
    responses((status = 200, body = Items<PublicChannel>), (status = 401, body = ErrorBody)))]
pub(super) async fn browse_channels(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<Paging>,
) -> ApiResult<Json<Items<PublicChannel>>> {
    let (items, next_cursor) = state.chat.browse_channels(&caller, q.cursor.as_deref(), q.limit).await?;
    Ok(Json(Items { items, next_cursor }))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateChannel {
    name: String,
    visibility: Visibility,
    #[serde(default)]
    topic: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/chat/channels", request_body = CreateChannel, security(("bearer" = [])),
    responses((status = 201, body = ConversationSummary), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn create_channel(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(body): ApiJson<CreateChannel>,
) -> ApiResult<(StatusCode, Json<ConversationSummary>)> {
    let name = ChannelName::parse(&body.name)?;
    let topic = body.topic.as_deref().map(Topic::parse).transpose()?;
    let created = state.chat.create_channel(&caller, name, body.visibility, topic).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(post, path = "/api/v1/chat/channels/{id}/join", security(("bearer" = [])),
    responses((status = 200, body = ConversationSummary), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "`conversation_archived`: the channel is archived")))]
pub(super) async fn join_channel(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(conversation): ApiPath<ConversationId>,
) -> ApiResult<Json<ConversationSummary>> {
    Ok(Json(state.chat.join(&caller, &conversation).await?))
}

#[utoipa::path(post, path = "/api/v1/chat/channels/{id}/leave", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub(super) async fn leave_channel(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(conversation): ApiPath<ConversationId>,
) -> ApiResult<StatusCode> {
    state.chat.leave(&caller, &conversation).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/chat/channels/{id}/members", request_body = UserRef, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "`conversation_archived`: the channel is archived")))]
pub(super) async fn invite_member(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(conversation): ApiPath<ConversationId>,
    ApiJson(body): ApiJson<UserRef>,
) -> ApiResult<StatusCode> {
    let target = UserId::parse(&body.user_id)?;
    state.chat.invite(&caller, &conversation, &target).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Members in user-id order, a page at a time.
#[utoipa::path(get, path = "/api/v1/chat/channels/{id}/members", params(Paging), security(("bearer" = [])),
    responses((status = 200, body = Items<MemberView>), (status = 404, body = ErrorBody)))]
pub(super) async fn list_members(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(conversation): ApiPath<ConversationId>,
    ApiQuery(q): ApiQuery<Paging>,
) -> ApiResult<Json<Items<MemberView>>> {
    let (items, next_cursor) = state.chat.members(&caller, &conversation, q.cursor.as_deref(), q.limit).await?;
    Ok(Json(Items { items, next_cursor }))
}

#[utoipa::path(delete, path = "/api/v1/chat/channels/{id}/members/{user_id}", security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn remove_member(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((conversation, target)): ApiPath<(ConversationId, UserId)>,
) -> ApiResult<StatusCode> {
    state.chat.remove(&caller, &conversation, &target).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct UpdateChannel {
    /// A new name, validated as at creation (a public channel's is unique in the tenant).
    #[serde(default)]
    name: Option<String>,
    /// A new topic, at most 250 characters on one line; empty clears it.
    #[serde(default)]
    topic: Option<String>,
}

/// Renames the channel or edits its topic (channel admins and tenant admins; not a DM, not
/// while archived). Members receive `chat:conversationUpdated`.
#[utoipa::path(patch, path = "/api/v1/chat/channels/{id}", request_body = UpdateChannel, security(("bearer" = [])),
    responses((status = 200, body = ChannelDetails), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(super) async fn update_channel(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(conversation): ApiPath<ConversationId>,
    ApiJson(body): ApiJson<UpdateChannel>,
) -> ApiResult<Json<ChannelDetails>> {
    let change = ChannelChange {
        name: body.name.as_deref().map(ChannelName::parse).transpose()?,
        topic: body.topic.as_deref().map(Topic::parse).transpose()?,
        archived: None,
    };
    Ok(Json(state.chat.update_channel(&caller, &conversation, change).await?))
}

/// Archives the channel: read-only, hidden from browsing, still listed and searchable for its
/// members. Members receive `chat:conversationUpdated`.
#[utoipa::path(post, path = "/api/v1/chat/channels/{id}/archive", security(("bearer" = [])),
    responses((status = 200, body = ChannelDetails), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn archive_channel(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(conversation): ApiPath<ConversationId>,
) -> ApiResult<Json<ChannelDetails>> {
    let change = ChannelChange { archived: Some(true), ..Default::default() };
    Ok(Json(state.chat.update_channel(&caller, &conversation, change).await?))
}

/// Unarchives the channel. Members receive `chat:conversationUpdated`.
#[utoipa::path(post, path = "/api/v1/chat/channels/{id}/unarchive", security(("bearer" = [])),
    responses((status = 200, body = ChannelDetails), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub(super) async fn unarchive_channel(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(conversation): ApiPath<ConversationId>,
) -> ApiResult<Json<ChannelDetails>> {
    let change = ChannelChange { archived: Some(false), ..Default::default() };
    Ok(Json(state.chat.update_channel(&caller, &conversation, change).await?))
}
