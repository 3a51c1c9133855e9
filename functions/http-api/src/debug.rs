//! `GET /api/v1/super/debug/chat/{metrics,rooms,connections}`: super admins only. Everything is
//! read from the table (summed over every Lambda instance), never from this process's memory.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shared::ops::{self, MetricsReport, Room};
use shared::ports::clock::{Clock, SystemClock};
use shared::realtime::Connection;
use shared::{Caller, Role};

use crate::error::ApiError;
use crate::extract::{ApiQuery, Authed};
use crate::AppState;

type ApiResult<T> = Result<T, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/super/debug/chat/metrics", get(metrics))
        .route("/api/v1/super/debug/chat/rooms", get(rooms))
        .route("/api/v1/super/debug/chat/connections", get(connections))
}

fn require_super_admin(caller: &Caller) -> ApiResult<()> {
    if caller.has_role(Role::SuperAdmin) {
        Ok(())
    } else {
        Err(ApiError::forbidden("super admins only"))
    }
}

#[derive(Deserialize)]
pub struct Window {
    /// Minutes back from now, 1-1440 (default 60).
    minutes: Option<u32>,
}

async fn metrics(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<Window>,
) -> ApiResult<Json<MetricsReport>> {
    require_super_admin(&caller)?;
    let tables = state.chat.tables();
    // This instance's own counters first, so what it just did is counted.
    state.metrics.flush(tables).await?;
    Ok(Json(ops::metrics_report(tables, SystemClock.now_ms(), q.minutes.unwrap_or(60)).await?))
}

#[derive(Serialize)]
pub struct Rooms {
    items: Vec<Room>,
}

async fn rooms(State(state): State<AppState>, Authed(caller): Authed) -> ApiResult<Json<Rooms>> {
    require_super_admin(&caller)?;
    let tables = state.chat.tables();
    Ok(Json(Rooms { items: ops::rooms(tables, SystemClock.now_ms()).await? }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionFilter {
    tenant_id: Option<String>,
    user_id: Option<String>,
    /// The `nextCursor` of the previous page.
    cursor: Option<String>,
    /// 1-500, default 100.
    limit: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionPage {
    items: Vec<ConnectionView>,
    total: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionView {
    connection_id: String,
    tenant_id: String,
    user_id: String,
    connected_at: String,
    last_seen_at: String,
    subscriptions: usize,
}

impl From<&Connection> for ConnectionView {
    fn from(c: &Connection) -> Self {
        Self {
            connection_id: c.connection_id.to_string(),
            tenant_id: c.tenant_id.to_string(),
            user_id: c.user_id.to_string(),
            connected_at: c.connected_at.clone(),
            last_seen_at: c.last_seen_at.clone(),
            subscriptions: c.subscriptions.len(),
        }
    }
}

async fn connections(
    State(state): State<AppState>,
    Authed(caller): Authed,
    ApiQuery(q): ApiQuery<ConnectionFilter>,
) -> ApiResult<Json<ConnectionPage>> {
    require_super_admin(&caller)?;
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > 500 {
        return Err(shared::InvalidInput::new("limit", "must be 1-500").into());
    }
    let all = ops::live_connections(state.chat.tables(), SystemClock.now_ms()).await?;
    let matching: Vec<&Connection> = all
        .iter()
        .filter(|c| q.tenant_id.as_deref().is_none_or(|t| c.tenant_id.as_str() == t))
        .filter(|c| q.user_id.as_deref().is_none_or(|u| c.user_id.as_str() == u))
        .collect();
    // Ordered by (connectedAt, id); the cursor is the last connection id of the previous page.
    let start = match &q.cursor {
        Some(cursor) => {
            matching.iter().position(|c| c.connection_id.as_str() == cursor).map_or(matching.len(), |i| i + 1)
        }
        None => 0,
    };
    let page: Vec<ConnectionView> = matching.iter().skip(start).take(limit).map(|c| ConnectionView::from(*c)).collect();
    let next_cursor =
        (start + page.len() < matching.len()).then(|| page.last().map(|c| c.connection_id.clone())).flatten();
    Ok(Json(ConnectionPage { total: matching.len(), items: page, next_cursor }))
}
