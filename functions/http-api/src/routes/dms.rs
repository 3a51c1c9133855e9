//! Direct messages: opening one lands on the same conversation whichever of its people opens it,
//! naming them in any order.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use shared::domain::dm::{DmPeople, MAX_DM_PEOPLE};
use shared::domain::ids::UserId;
use shared::domain::ConversationSummary;
use shared::InvalidInput;
use utoipa::ToSchema;

use super::ApiResult;
use crate::error::ErrorBody;
use crate::extract::{ApiJson, Authed};
use crate::AppState;

/// Who the DM is with: one of `userId` or `userIds`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct OpenDm {
    /// One other person: the ordinary DM.
    #[serde(default)]
    user_id: Option<String>,
    /// The other people, 1 to 7 (a group DM holds 3 to 8 with the caller, who may be listed or
    /// not; a name given twice counts once; one person is the ordinary DM). All must be users of
    /// the caller's tenant.
    #[serde(default)]
    user_ids: Option<Vec<String>>,
}

/// More names than any DM holds, even repeated, is a mistake, not a list to de-duplicate.
const MAX_NAMED: usize = 2 * MAX_DM_PEOPLE;

#[utoipa::path(post, path = "/api/v1/chat/dms", request_body = OpenDm, security(("bearer" = [])),
    responses((status = 200, body = ConversationSummary), (status = 404, body = ErrorBody)))]
pub(super) async fn open_dm(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiJson(body): ApiJson<OpenDm>,
) -> ApiResult<Json<ConversationSummary>> {
    let people = match (body.user_id, body.user_ids) {
        (Some(one), None) => DmPeople::new(&caller.user, [UserId::parse(&one)?], "userId")?,
        (None, Some(many)) => {
            if many.len() > MAX_NAMED {
                return Err(InvalidInput::new("userIds", format!("names at most {MAX_NAMED} people")).into());
            }
            let named = many
                .iter()
                .map(|raw| UserId::parse(raw).map_err(|e| InvalidInput::new("userIds", e.message)))
                .collect::<Result<Vec<_>, _>>()?;
            DmPeople::new(&caller.user, named, "userIds")?
        }
        _ => return Err(InvalidInput::new("userIds", "give either userId or userIds").into()),
    };
    Ok(Json(state.chat.open_dm_with(&caller, &people).await?))
}
