//! Messages of a conversation: history pages, send, edit (and its history), delete, reactions.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use shared::app::{HistoryQuery, NewMessage, ReplyTo};
use shared::domain::error::InvalidInput;
use shared::domain::ids::{ClientMessageId, ConversationId, MessageId, UserId};
use shared::domain::values::MessageBody;
use shared::domain::{Emoji, Message, MessagePage, MessageVersion, Reaction};
use utoipa::{IntoParams, ToSchema};

use super::{ApiResult, Items};
use crate::error::ErrorBody;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed};
use crate::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct HistoryParams {
    /// A message id: the page of messages just older than it.
    before: Option<String>,
    /// A message id: the page of messages just newer than it.
    after: Option<String>,
    /// 1-100, default 50.
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/chat/conversations/{id}/messages", params(HistoryParams), security(("bearer" = [])),
    responses((status = 200, body = MessagePage), (status = 404, body = ErrorBody)))]
pub(super) async fn history(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(conversation): ApiPath<ConversationId>,
    ApiQuery(q): ApiQuery<HistoryParams>,
) -> ApiResult<Json<MessagePage>> {
    let query = HistoryQuery {
        before: q.before.as_deref().map(MessageId::parse).transpose()?,
        after: q.after.as_deref().map(MessageId::parse).transpose()?,
        limit: q.limit,
    };
    Ok(Json(state.chat.history(&caller, &conversation, query).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct SendMessage {
    /// Chosen by the client; sending the same id again returns the first message.
    client_message_id: String,
    body: String,
    /// User ids the message mentions (at most 20; each a user of the caller's tenant).
    #[serde(default)]
    mentions: Vec<String>,
    /// Upload ids from `POST …/uploads` (at most 10); the body may be empty when files are attached.
    #[serde(default)]
    attachment_ids: Vec<String>,
    /// Makes the message a reply in the thread of this top-level message of the conversation.
    #[serde(default)]
    thread_root_id: Option<String>,
    /// With `threadRootId`: also show the reply in the conversation's main history.
    #[serde(default)]
    also_in_channel: bool,
}

fn parse_root(raw: &str) -> Result<MessageId, InvalidInput> {
    MessageId::parse(raw).map_err(|mut e| {
        e.field = "threadRootId";
        e
    })
}

fn user_ids(raw: &[String]) -> ApiResult<Vec<UserId>> {
    Ok(raw.iter().map(|u| UserId::parse(u)).collect::<Result<Vec<_>, _>>().map_err(|mut e| {
        e.field = "mentions";
        e
    })?)
}

#[utoipa::path(post, path = "/api/v1/chat/conversations/{id}/messages", request_body = SendMessage, security(("bearer" = [])),
    responses((status = 201, body = Message, description = "created"), (status = 200, body = Message, description = "a duplicate of an earlier send: the first message"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "`conversation_archived`: the channel is archived")))]
pub(super) async fn send_message(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(conversation): ApiPath<ConversationId>,
    ApiJson(body): ApiJson<SendMessage>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let text = if body.attachment_ids.is_empty() {
        MessageBody::parse(&body.body)?
    } else {
        MessageBody::parse_optional(&body.body)?
    };
    let reply_to = match (body.thread_root_id.as_deref(), body.also_in_channel) {
        (Some(root), also_in_channel) => Some(ReplyTo { root: parse_root(root)?, also_in_channel }),
        (None, true) => Err(InvalidInput::new("alsoInChannel", "is only for a reply (with threadRootId)"))?,
        (None, false) => None,
    };
    let new = NewMessage {
        client_message_id: ClientMessageId::parse(&body.client_message_id)?,
        body: text,
        mentions: user_ids(&body.mentions)?,
        attachments: body.attachment_ids,
        reply_to,
    };
    let sent = state.chat.send(&caller, &conversation, new).await?;
    let status = if sent.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(sent.message)))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct EditMessage {
    body: String,
    /// Replaces the message's mentions when given.
    #[serde(default)]
    mentions: Option<Vec<String>>,
}

#[utoipa::path(patch, path = "/api/v1/chat/conversations/{id}/messages/{message_id}", request_body = EditMessage, security(("bearer" = [])),
    responses((status = 200, body = Message), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "`conversation_archived`: the channel is archived")))]
pub(super) async fn edit_message(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((conversation, message)): ApiPath<(ConversationId, MessageId)>,
    ApiJson(body): ApiJson<EditMessage>,
) -> ApiResult<Json<Message>> {
    let mentions = body.mentions.as_deref().map(user_ids).transpose()?;
    Ok(Json(state.chat.edit(&caller, &conversation, &message, MessageBody::parse(&body.body)?, mentions).await?))
}

#[utoipa::path(delete, path = "/api/v1/chat/conversations/{id}/messages/{message_id}", security(("bearer" = [])),
    responses((status = 200, body = Message), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "`conversation_archived`: the channel is archived")))]
pub(super) async fn delete_message(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((conversation, message)): ApiPath<(ConversationId, MessageId)>,
) -> ApiResult<Json<Message>> {
    Ok(Json(state.chat.delete(&caller, &conversation, &message).await?))
}

#[utoipa::path(get, path = "/api/v1/chat/conversations/{id}/messages/{message_id}/versions", security(("bearer" = [])),
    responses((status = 200, body = Items<MessageVersion>, description = "the message's earlier texts, newest first (at most 50)"),
        (status = 404, body = ErrorBody)))]
pub(super) async fn message_versions(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((conversation, message)): ApiPath<(ConversationId, MessageId)>,
) -> ApiResult<Json<Items<MessageVersion>>> {
    let items = state.chat.versions(&caller, &conversation, &message).await?;
    Ok(Json(Items { items, next_cursor: None }))
}

// A message's reactions after a reaction was added or removed.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct MessageReactions {
    #[schema(value_type = String)]
    message_id: MessageId,
    reactions: Vec<Reaction>,
}

async fn react(
    state: AppState,
    caller: shared::Caller,
    (conversation, message, emoji): (ConversationId, MessageId, String),
    add: bool,
) -> ApiResult<Json<MessageReactions>> {
    let emoji = Emoji::parse(&emoji)?;
    let reactions = state.chat.react(&caller, &conversation, &message, &emoji, add).await?;
    Ok(Json(MessageReactions { message_id: message, reactions }))
}

/// Adds the caller's reaction (`emoji`: one Unicode emoji, URL-encoded). Adding one already held
/// changes nothing.
#[utoipa::path(put, path = "/api/v1/chat/conversations/{id}/messages/{message_id}/reactions/{emoji}", security(("bearer" = [])),
    responses((status = 200, body = MessageReactions), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`message_deleted`, `too_many_reactions` (50 distinct emoji), or `conversation_archived`"),
        (status = 429, body = ErrorBody)))]
pub(super) async fn add_reaction(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(path): ApiPath<(ConversationId, MessageId, String)>,
) -> ApiResult<Json<MessageReactions>> {
    react(state, caller, path, true).await
}

/// Removes the caller's reaction. Removing one not held changes nothing.
#[utoipa::path(delete, path = "/api/v1/chat/conversations/{id}/messages/{message_id}/reactions/{emoji}", security(("bearer" = [])),
    responses((status = 200, body = MessageReactions), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`message_deleted`, or `conversation_archived`"), (status = 429, body = ErrorBody)))]
pub(super) async fn remove_reaction(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(path): ApiPath<(ConversationId, MessageId, String)>,
) -> ApiResult<Json<MessageReactions>> {
    react(state, caller, path, false).await
}
