//! Who is calling, and who else is there: health, the caller's own profile, user lookup.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use shared::domain::ids::UserId;
use shared::domain::UserProfile;
use utoipa::{IntoParams, ToSchema};

use super::{ApiResult, Items};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, Authed};
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub(super) struct Health {
    status: &'static str,
}

#[utoipa::path(get, path = "/api/v1/health", responses((status = 200, body = Health)))]
pub(super) async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct Me {
    tenant_id: String,
    user_id: String,
    handle: String,
    display_name: String,
    roles: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/me", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub(super) async fn me(State(state): State<AppState>, Authed(caller): Authed) -> Result<Json<Me>, ApiError> {
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct UserSearch {
    /// Start of a handle or of any word of a display name; case-insensitive.
    #[serde(default)]
    prefix: String,
    /// Alternatively, comma-separated user ids to look up (at most 100).
    ids: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/chat/users", params(UserSearch), security(("bearer" = [])),
    responses((status = 200, body = Items<UserProfile>), (status = 401, body = ErrorBody)))]
pub(super) async fn find_users(
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
