//! Message search across the conversations the caller can read.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use shared::app::SearchResults;
use shared::domain::search::SortOrder;
use utoipa::IntoParams;

use super::ApiResult;
use crate::error::ErrorBody;
use crate::extract::{ApiQuery, Authed};
use crate::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct SearchParams {
    /// Words, "phrases", `a OR b`, `-word`/`-"phrase"` (exclude), `from:@handle`, `in:#channel`,
    /// `in:@handle` (your DM with them), `has:file`, `has:link`, `is:mention`,
    /// `before:`/`after:`/`on:YYYY-MM-DD` (days in `tz`); a trailing `*` (and the last word)
    /// matches prefixes.
    q: String,
    /// The caller's IANA time zone (`Europe/Berlin`) for the day operators; default UTC. An
    /// unknown zone is a 400.
    tz: Option<String>,
    /// `newest` (default) or `relevance`.
    #[serde(default)]
    sort: SortOrder,
    cursor: Option<String>,
    /// 1-50, default 20.
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/chat/search", params(SearchParams), security(("bearer" = [])),
    responses((status = 200, body = SearchResults), (status = 400, body = ErrorBody)))]
pub(super) async fn search(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<SearchParams>,
) -> ApiResult<Json<SearchResults>> {
    Ok(Json(state.chat.search(&caller, &q.q, q.tz.as_deref(), q.sort, q.cursor, q.limit).await?))
}
