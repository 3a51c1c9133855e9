//! The `/api/v1` routes, one module per capability, and the OpenAPI document generated from them.
//! Handlers stay thin: parse, call the use case, map the result; each keeps its request and
//! response shapes beside it.

mod attachments;
mod channels;
mod conversations;
mod dms;
mod messages;
mod profiles;
mod reads;
mod retention;
mod search;
mod threads;

use axum::response::IntoResponse;
use axum::routing::{delete, get, patch, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shared::app::{
    ArchiveFile, ArchivePolicy, AuditAction, AuditPage, AuditRecord, ConversationPolicy, RetentionSettings,
    SearchResults, TenantPolicy, UploadIntent,
};
use shared::domain::presence::{PresenceFrame, PresenceStatus, TypingFrame, UserPresence};
use shared::domain::search::SortOrder;
use shared::domain::{
    Changes, ChannelDetails, ConversationSummary, ConversationUpdate, Event, EventType, FollowedThread,
    FollowedThreads, Message, MessagePage, NotificationLevel, NotificationSetting, PublicChannel, Reaction,
    ReactionChange, ThreadPage, ThreadSummary, UserProfile,
};
use utoipa::{OpenApi, ToSchema};

// The handlers are named unqualified in `ApiDoc`'s `paths(...)`: utoipa tags an operation with
// the module path written there (`channels::join_channel` would be tagged `channels`), which
// would change the published document. The globs also bring in what `#[utoipa::path]` generates
// beside each handler (`__path_join_channel`), which `paths(...)` needs.
use self::{
    attachments::*, channels::*, conversations::*, dms::*, messages::*, profiles::*, reads::*, retention::*, search::*,
    threads::*,
};
use crate::error::{ApiError, ErrorBody};
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
        .route("/api/v1/chat/conversations/{id}/notifications", put(set_notification_level))
        .route("/api/v1/chat/channels", get(browse_channels).post(create_channel))
        .route("/api/v1/chat/channels/{id}", patch(update_channel))
        .route("/api/v1/chat/channels/{id}/archive", post(archive_channel))
        .route("/api/v1/chat/channels/{id}/unarchive", post(unarchive_channel))
        .route("/api/v1/chat/channels/{id}/join", post(join_channel))
        .route("/api/v1/chat/channels/{id}/leave", post(leave_channel))
        .route("/api/v1/chat/channels/{id}/members", post(invite_member).get(list_members))
        .route("/api/v1/chat/channels/{id}/members/{user_id}", delete(remove_member))
        .route("/api/v1/chat/dms", post(open_dm))
        .route("/api/v1/chat/conversations/{id}/messages", get(history).post(send_message))
        .route("/api/v1/chat/conversations/{id}/messages/{message_id}", patch(edit_message).delete(delete_message))
        .route("/api/v1/chat/conversations/{id}/threads/{root_id}", get(thread))
        .route("/api/v1/chat/conversations/{id}/threads/{root_id}/follow", put(follow_thread).delete(unfollow_thread))
        .route("/api/v1/chat/conversations/{id}/threads/{root_id}/read", post(read_thread))
        .route("/api/v1/chat/threads", get(followed_threads))
        .route("/api/v1/chat/conversations/{id}/messages/{message_id}/versions", get(message_versions))
        .route(
            "/api/v1/chat/conversations/{id}/messages/{message_id}/reactions/{emoji}",
            put(add_reaction).delete(remove_reaction),
        )
        .route("/api/v1/chat/conversations/{id}/changes", get(changes))
        .route("/api/v1/chat/conversations/{id}/read", post(mark_read))
        .route("/api/v1/chat/conversations/{id}/uploads", post(upload_intent))
        .route("/api/v1/chat/attachments/{attachment_id}", get(download))
        .route("/api/v1/chat/search", get(search))
        .route("/api/v1/chat/retention", get(retention_settings).put(set_tenant_retention))
        .route("/api/v1/chat/retention/archive", get(archive_files))
        .route("/api/v1/chat/retention/archive-policy", get(archive_policy).put(set_archive_policy))
        .route("/api/v1/chat/retention/audit", get(audit_records))
        .route("/api/v1/chat/conversations/{id}/retention", put(set_conversation_retention))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Tenant Chat API", version = "1"),
    paths(
        health, me, find_users, list_conversations, get_conversation, browse_channels, create_channel, join_channel,
        leave_channel, invite_member, list_members, remove_member, open_dm, history, send_message, edit_message, delete_message,
        message_versions, add_reaction, remove_reaction,
        changes, mark_read, upload_intent, download, search, retention_settings, set_tenant_retention,
        set_conversation_retention, archive_files, archive_policy, set_archive_policy, audit_records, thread,
        follow_thread, unfollow_thread, read_thread, followed_threads, update_channel, archive_channel,
        unarchive_channel, set_notification_level
    ),
    components(schemas(ErrorBody, SortOrder, RetentionSettings, TenantPolicy, ConversationPolicy, ArchiveFile, ArchivePolicy, AuditAction, AuditRecord, AuditPage, SearchResults, UploadIntent, Message, ConversationSummary, PublicChannel, UserProfile, Event, EventType, Changes, MessagePage, ThreadPage, ThreadSummary, FollowedThread, FollowedThreads, Reaction, ReactionChange, ConversationUpdate, ChannelDetails, NotificationLevel, NotificationSetting, TypingFrame, PresenceFrame, UserPresence, PresenceStatus)),
    modifiers(&BearerAuth, &Conventions)
)]
pub struct ApiDoc;

/// The document itself, as generated (`docs/openapi.json` holds a copy, checked by a unit test).
async fn openapi() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

// A list, with the cursor of the next page when there is one. (A `//` comment: a doc comment
// would become the schema's description in the document.)
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct Items<T: ToSchema> {
    items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

// A user named in a body: the member to invite.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct UserRef {
    user_id: String,
}

struct BearerAuth;

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
