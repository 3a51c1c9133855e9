//! The HTTP API: one axum `Router`, run by `lambda_http` in Lambda (`main.rs`) and served as-is
//! by `functions/local`. Handlers stay thin: parse, call the domain, map the result.

pub mod debug;
pub mod error;
pub mod extract;
pub mod observe;
pub mod routes;

#[cfg(test)]
mod openapi_snapshot;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use shared::auth::Authenticator;
use shared::config::Limits;
use shared::ops::Metrics;
use shared::Chat;

#[derive(Clone)]
pub struct AppState {
    pub chat: Arc<Chat>,
    pub auth: Arc<Authenticator>,
    pub limits: Limits,
    pub metrics: Arc<Metrics>,
}

/// Every `/api/v1` route. Callers add their own extras (the local stack: dev tokens, the
/// WebSocket emulator, the web page).
pub fn router(state: AppState) -> Router {
    let limit = state.limits.max_body_bytes;
    routes::api_routes()
        .merge(debug::routes())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), observe::observe))
        .fallback(|| async { error::ApiError::not_found() })
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}
