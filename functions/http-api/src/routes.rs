//! Route handlers and the OpenAPI document generated from them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shared::app::{
    ArchiveFile, ArchivePolicy, AuditAction, AuditPage, AuditRecord, ConversationPolicy, HistoryQuery, NewMessage,
    RetentionSettings, SearchResults, TenantPolicy, UploadIntent,
};
use shared::domain::ids::{ClientMessageId, ConversationId, MessageId, UserId};
use shared::domain::search::SortOrder;
use shared::domain::values::{ChannelName, MessageBody, Topic};
use shared::domain::*;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed};
use crate::AppState;

type ApiResult<T> = Result<T, ApiError>;

pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/health", get(health))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/me", get(me))
        .route("/api/v1/chat/users", get(find_users))
        .route("/api/v1/chat/conversations", get(list_conversations))
        .route("/api/v1/chat/conversations/{id}", get(get_conversation))
        .route("/api/v1/chat/channels", get(browse_channels).post(create_channel))
        .route("/api/v1/chat/channels/{id}/join", post(join_channel))
        .route("/api/v1/chat/channels/{id}/leave", post(leave_channel))
        .route("/api/v1/chat/channels/{id}/members", post(invite_member).get(list_members))
        .route("/api/v1/chat/channels/{id}/members/{user_id}", axum::routing::delete(remove_member))
        .route("/api/v1/chat/dms", post(open_dm))
        .route("/api/v1/chat/conversations/{id}/messages", get(history).post(send_message))
        .route("/api/v1/chat/conversations/{id}/messages/{message_id}", patch(edit_message).delete(delete_message))
        .route("/api/v1/chat/conversations/{id}/changes", get(changes))
        .route("/api/v1/chat/conversations/{id}/read", post(mark_read))
        .route("/api/v1/chat/conversations/{id}/uploads", post(upload_intent))
        .route("/api/v1/chat/attachments/{attachment_id}", get(download))
        .route("/api/v1/chat/search", get(search))
        .route("/api/v1/chat/retention", get(retention_settings).put(set_tenant_retention))
        .route("/api/v1/chat/retention/archive", get(archive_files))
        .route("/api/v1/chat/retention/archive-policy", get(archive_policy).put(set_archive_policy))
        .route("/api/v1/chat/retention/audit", get(audit_records))
        .route("/api/v1/chat/conversations/{id}/retention", axum::routing::put(set_conversation_retention))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Tenant Chat API", version = "1"),
    paths(
        health, me, find_users, list_conversations, get_conversation, browse_channels, create_channel, join_channel,
        leave_channel, invite_member, list_members, remove_member, open_dm, history, send_message, edit_message, delete_message,
        changes, mark_read, upload_intent, download, search, retention_settings, set_tenant_retention,
        set_conversation_retention, archive_files, archive_policy, set_archive_policy, audit_records
    ),
    components(schemas(ErrorBody, SortOrder, RetentionSettings, TenantPolicy, ConversationPolicy, ArchiveFile, ArchivePolicy, AuditAction, AuditRecord, AuditPage, SearchResults, UploadIntent, Message, ConversationSummary, PublicChannel, UserProfile, Event, EventType, Changes, MessagePage)),
    modifiers(&BearerAuth, &Conventions)
)]
pub struct ApiDoc;

struct BearerAuth;

/// What every authenticated operation may answer, and the path parameters of every route:
/// declared once here instead of on each handler.
struct Conventions;

impl utoipa::Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{ObjectBuilder, Ref, RefOr, Required, ResponseBuilder, Type};
        let errors = [
            ("400", "invalid input"),
            ("401", "missing, expired or invalid token"),
            ("403", "not allowed"),
            ("404", "not found (or not visible to the caller)"),
            ("413", "body too large"),
            ("415", "body is not JSON"),
            ("429", "rate limited (see Retry-After)"),
            ("503", "a dependency is unavailable; retry"),
        ];
        for (path, item) in openapi.paths.paths.iter_mut() {
            let names: Vec<String> = path
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .map(str::to_owned)
                .collect();
            for operation in
                [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten()
            {
                let parameters = operation.parameters.get_or_insert_with(Vec::new);
                for name in &names {
                    if !parameters.iter().any(|p| &p.name == name) {
                        parameters.push(
                            ParameterBuilder::new()
                                .name(name)
                                .parameter_in(ParameterIn::Path)
                                .required(Required::True)
                                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                                .build(),
                        );
                    }
                }
                if operation.security.is_none() {
                    continue;
                }
                for (status, description) in errors {
                    operation.responses.responses.entry(status.to_owned()).or_insert_with(|| {
                        RefOr::T(
                            ResponseBuilder::new()
                                .description(description)
                                .content(
                                    "application/json",
                                    utoipa::openapi::ContentBuilder::new()
                                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                                        .build(),
                                )
                                .build(),
                        )
                    });
                }
            }
        }
    }
}

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

async fn openapi() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    status: &'static str,
}

#[utoipa::path(get, path = "/api/v1/health", responses((status = 200, body = Health)))]
async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    tenant_id: String,
    user_id: String,
    handle: String,
    display_name: String,
    roles: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/me", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(State(state): State<AppState>, Authed(caller): Authed) -> Result<Json<Me>, ApiError> {
    // The handle is the profile's (assigned by the server), never the token's; the extractor
    // has just ensured the profile, so this is answered from the process's cache.
    let profile = state.chat.ensure_profile(&caller).await?;
    Ok(Json(Me {
        tenant_id: caller.tenant.to_string(),
        user_id: caller.user.to_string(),
        handle: profile.handle,
        display_name: profile.display_name,
        roles: caller.roles.iter().map(|r| r.as_str().to_owned()).collect(),
    }))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Items<T: ToSchema> {
    items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserSearch {
    /// Start of a handle or of any word of a display name; case-insensitive.
    #[serde(default)]
    prefix: String,
    /// Alternatively, comma-separated user ids to look up (at most 100).
    ids: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/chat/users", params(UserSearch), security(("bearer" = [])),
    responses((status = 200, body = Items<UserProfile>), (status = 401, body = ErrorBody)))]
async fn find_users(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<UserSearch>,
) -> ApiResult<Json<Items<UserProfile>>> {
    let items = match q.ids {
        Some(ids) => {
            let ids = ids.split(',').filter(|s| !s.is_empty()).map(UserId::parse).collect::<Result<Vec<_>, _>>()?;
            state.chat.users_by_id(&caller.tenant, &ids).await?
        }
        None => state.chat.find_users(&caller, &q.prefix).await?,
    };
    Ok(Json(Items { items, next_cursor: None }))
}

#[utoipa::path(get, path = "/api/v1/chat/conversations", security(("bearer" = [])),
    responses((status = 200, body = Items<ConversationSummary>), (status = 401, body = ErrorBody)))]
async fn list_conversations(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> ApiResult<Json<Items<ConversationSummary>>> {
    let items = state.chat.list_conversations(&caller).await?;
    Ok(Json(Items { items, next_cursor: None }))
}

#[utoipa::path(get, path = "/api/v1/chat/conversations/{id}", security(("bearer" = [])),
    responses((status = 200, body = ConversationSummary), (status = 404, body = ErrorBody)))]
async fn get_conversation(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(conversation): ApiPath<ConversationId>,
) -> ApiResult<Json<ConversationSummary>> {
    Ok(Json(state.chat.summary(&caller, &conversation).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// The `nextCursor` of the previous page.
    cursor: Option<String>,
    /// 1-100, default 50.
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/chat/channels", params(Paging), security(("bearer" = [])),
    responses((status = 200, body = Items<PublicChannel>), (status = 401, body = ErrorBody)))]
async fn browse_channels(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<Paging>,
) -> ApiResult<Json<Items<PublicChannel>>> {
    let (items, next_cursor) = state.chat.browse_channels(&caller, q.cursor.as_deref(), q.limit).await?;
    Ok(Json(Items { items, next_cursor }))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateChannel {
    name: String,
    visibility: Visibility,
    #[serde(default)]
    topic: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/chat/channels", request_body = CreateChannel, security(("bearer" = [])),
    responses((status = 201, body = ConversationSummary), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_channel(
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
    responses((status = 200, body = ConversationSummary), (status = 404, body = ErrorBody)))]
async fn join_channel(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(conversation): ApiPath<ConversationId>,
) -> ApiResult<Json<ConversationSummary>> {
    Ok(Json(state.chat.join(&caller, &conversation).await?))
}

#[utoipa::path(post, path = "/api/v1/chat/channels/{id}/leave", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn leave_channel(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(conversation): ApiPath<ConversationId>,
) -> ApiResult<StatusCode> {
    state.chat.leave(&caller, &conversation).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserRef {
    user_id: String,
}

#[utoipa::path(post, path = "/api/v1/chat/channels/{id}/members", request_body = UserRef, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn invite_member(
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
async fn list_members(
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
async fn remove_member(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((conversation, target)): ApiPath<(ConversationId, UserId)>,
) -> ApiResult<StatusCode> {
    state.chat.remove(&caller, &conversation, &target).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/chat/dms", request_body = UserRef, security(("bearer" = [])),
    responses((status = 200, body = ConversationSummary), (status = 404, body = ErrorBody)))]
async fn open_dm(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(body): ApiJson<UserRef>,
) -> ApiResult<Json<ConversationSummary>> {
    let other = UserId::parse(&body.user_id)?;
    Ok(Json(state.chat.open_dm(&caller, &other).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    /// A message id: the page of messages just older than it.
    before: Option<String>,
    /// A message id: the page of messages just newer than it.
    after: Option<String>,
    /// 1-100, default 50.
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/chat/conversations/{id}/messages", params(HistoryParams), security(("bearer" = [])),
    responses((status = 200, body = MessagePage), (status = 404, body = ErrorBody)))]
async fn history(
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
pub struct SendMessage {
    /// Chosen by the client; sending the same id again returns the first message.
    client_message_id: String,
    body: String,
    /// User ids the message mentions (at most 20; each a user of the caller's tenant).
    #[serde(default)]
    mentions: Vec<String>,
    /// Upload ids from `POST …/uploads` (at most 10); the body may be empty when files are attached.
    #[serde(default)]
    attachment_ids: Vec<String>,
}

fn user_ids(raw: &[String]) -> ApiResult<Vec<UserId>> {
    Ok(raw.iter().map(|u| UserId::parse(u)).collect::<Result<Vec<_>, _>>().map_err(|mut e| {
        e.field = "mentions";
        e
    })?)
}

#[utoipa::path(post, path = "/api/v1/chat/conversations/{id}/messages", request_body = SendMessage, security(("bearer" = [])),
    responses((status = 201, body = Message, description = "created"), (status = 200, body = Message, description = "a duplicate of an earlier send: the first message"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn send_message(
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
    let new = NewMessage {
        client_message_id: ClientMessageId::parse(&body.client_message_id)?,
        body: text,
        mentions: user_ids(&body.mentions)?,
        attachments: body.attachment_ids,
    };
    let sent = state.chat.send(&caller, &conversation, new).await?;
    let status = if sent.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(sent.message)))
}

#[derive(Deserialize, ToSchema)]
pub struct EditMessage {
    body: String,
    /// Replaces the message's mentions when given.
    #[serde(default)]
    mentions: Option<Vec<String>>,
}

#[utoipa::path(patch, path = "/api/v1/chat/conversations/{id}/messages/{message_id}", request_body = EditMessage, security(("bearer" = [])),
    responses((status = 200, body = Message), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn edit_message(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((conversation, message)): ApiPath<(ConversationId, MessageId)>,
    ApiJson(body): ApiJson<EditMessage>,
) -> ApiResult<Json<Message>> {
    let mentions = body.mentions.as_deref().map(user_ids).transpose()?;
    Ok(Json(state.chat.edit(&caller, &conversation, &message, MessageBody::parse(&body.body)?, mentions).await?))
}

#[utoipa::path(delete, path = "/api/v1/chat/conversations/{id}/messages/{message_id}", security(("bearer" = [])),
    responses((status = 200, body = Message), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_message(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath((conversation, message)): ApiPath<(ConversationId, MessageId)>,
) -> ApiResult<Json<Message>> {
    Ok(Json(state.chat.delete(&caller, &conversation, &message).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ChangesParams {
    /// The last seq the client holds (0: from the start).
    #[serde(default)]
    after_seq: u64,
    /// 1-500, default 50.
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/chat/conversations/{id}/changes", params(ChangesParams), security(("bearer" = [])),
    responses((status = 200, body = Changes), (status = 404, body = ErrorBody)))]
async fn changes(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(conversation): ApiPath<ConversationId>,
    ApiQuery(q): ApiQuery<ChangesParams>,
) -> ApiResult<Json<Changes>> {
    Ok(Json(state.chat.changes(&caller, &conversation, q.after_seq, q.limit).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MarkRead {
    message_id: String,
}

#[utoipa::path(post, path = "/api/v1/chat/conversations/{id}/read", request_body = MarkRead, security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn mark_read(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(conversation): ApiPath<ConversationId>,
    ApiJson(body): ApiJson<MarkRead>,
) -> ApiResult<StatusCode> {
    let message = MessageId::parse(&body.message_id)?;
    state.chat.mark_read(&caller, &conversation, &message).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewUpload {
    filename: String,
    content_type: String,
    size: u64,
}

#[utoipa::path(post, path = "/api/v1/chat/conversations/{id}/uploads", request_body = NewUpload, security(("bearer" = [])),
    responses((status = 201, body = UploadIntent), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn upload_intent(
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
pub struct DownloadUrl {
    url: String,
    expires_at: String,
}

/// A short-lived download URL: a 302 to it, or `{url, expiresAt}` when the client asks for JSON
/// (a browser cannot send the bearer token through a plain link).
#[utoipa::path(get, path = "/api/v1/chat/attachments/{attachment_id}", security(("bearer" = [])),
    responses((status = 302, description = "redirect to the file"), (status = 200, body = DownloadUrl), (status = 404, body = ErrorBody)))]
async fn download(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiPath(attachment_id): ApiPath<String>,
    headers: axum::http::HeaderMap,
) -> ApiResult<axum::response::Response> {
    let (url, expires_at) = state.chat.attachment_url(&caller, &attachment_id).await?;
    let wants_json = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if wants_json {
        return Ok(Json(DownloadUrl { url, expires_at }).into_response());
    }
    Ok((StatusCode::FOUND, [(axum::http::header::LOCATION, url)], ()).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words, "phrases", `from:@handle`, `in:#channel`, `has:file`, `is:mention`,
    /// `before:`/`after:`/`on:YYYY-MM-DD`; a trailing `*` (and the last word) matches prefixes.
    q: String,
    /// `newest` (default) or `relevance`.
    #[serde(default)]
    sort: SortOrder,
    cursor: Option<String>,
    /// 1-50, default 20.
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/chat/search", params(SearchParams), security(("bearer" = [])),
    responses((status = 200, body = SearchResults), (status = 400, body = ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<SearchParams>,
) -> ApiResult<Json<SearchResults>> {
    Ok(Json(state.chat.search(&caller, &q.q, q.sort, q.cursor, q.limit).await?))
}

#[utoipa::path(get, path = "/api/v1/chat/retention", security(("bearer" = [])),
    responses((status = 200, body = RetentionSettings), (status = 403, body = ErrorBody)))]
async fn retention_settings(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> ApiResult<Json<RetentionSettings>> {
    Ok(Json(state.chat.retention_settings(&caller).await?))
}

#[utoipa::path(put, path = "/api/v1/chat/retention", request_body = TenantPolicy, security(("bearer" = [])),
    responses((status = 200, body = TenantPolicy), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn set_tenant_retention(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(policy): ApiJson<TenantPolicy>,
) -> ApiResult<Json<TenantPolicy>> {
    Ok(Json(state.chat.set_tenant_retention(&caller, policy).await?))
}

#[utoipa::path(put, path = "/api/v1/chat/conversations/{id}/retention", request_body = ConversationPolicy, security(("bearer" = [])),
    responses((status = 200, body = ConversationPolicy), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn set_conversation_retention(
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
pub struct ArchiveQuery {
    conversation_id: String,
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
pub struct ArchiveFiles {
    items: Vec<ArchiveFile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/chat/retention/archive", params(ArchiveQuery), security(("bearer" = [])),
    responses((status = 200, body = ArchiveFiles), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn archive_files(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<ArchiveQuery>,
) -> ApiResult<Json<ArchiveFiles>> {
    let conversation = ConversationId::parse(&q.conversation_id)?;
    let (items, next_cursor) = state
        .chat
        .archive_files(&caller, &conversation, q.from.as_deref(), q.to.as_deref(), q.cursor.as_deref(), q.limit)
        .await?;
    Ok(Json(ArchiveFiles { items, next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/chat/retention/archive-policy", security(("bearer" = [])),
    responses((status = 200, body = ArchivePolicy), (status = 403, body = ErrorBody)))]
async fn archive_policy(State(state): State<AppState>, Authed(caller): Authed) -> ApiResult<Json<ArchivePolicy>> {
    Ok(Json(state.chat.archive_policy(&caller).await?))
}

#[utoipa::path(put, path = "/api/v1/chat/retention/archive-policy", request_body = ArchivePolicy, security(("bearer" = [])),
    responses((status = 200, body = ArchivePolicy), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn set_archive_policy(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(policy): ApiJson<ArchivePolicy>,
) -> ApiResult<Json<ArchivePolicy>> {
    Ok(Json(state.chat.set_archive_policy(&caller, policy).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// 1-100 (default 50).
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/chat/retention/audit", params(AuditQuery), security(("bearer" = [])),
    responses((status = 200, body = AuditPage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn audit_records(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    Ok(Json(state.chat.audit_records(&caller, q.cursor.as_deref(), q.limit).await?))
}
