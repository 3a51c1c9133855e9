//! One JSON log line and one counter per request: request id, tenant, route, status, latency.
//! Never bodies or tokens.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// Filled by the `Authed` extractor once the token is verified, read back when the response leaves.
#[derive(Clone, Default)]
pub struct TenantSlot(pub Arc<Mutex<Option<String>>>);

impl TenantSlot {
    pub fn set(&self, tenant: &str) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(tenant.to_owned());
        }
    }
    fn get(&self) -> Option<String> {
        self.0.lock().ok().and_then(|s| s.clone())
    }
}

pub async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map_or_else(|| ulid::Ulid::new().to_string(), str::to_owned);
    let tenant = TenantSlot::default();
    request.extensions_mut().insert(tenant.clone());
    let mut response = next.run(request).await;
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    state.metrics.incr(&format!("requests.{method} {route}.{status}"), 1);
    tracing::info!(
        request_id = %request_id,
        method = %method,
        route = %route,
        status,
        latency_ms = (latency_ms * 1000.0).round() / 1000.0,
        tenant = tenant.get().as_deref().unwrap_or("-"),
        "request"
    );
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    state.metrics.maybe_flush(state.chat.tables()).await;
    response
}
