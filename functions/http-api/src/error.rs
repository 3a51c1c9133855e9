//! The one place domain errors become HTTP: `{"error": {"code", "message"}}` with the matching
//! status. Internal errors are logged with context and shown only as `internal`.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use shared::auth::AuthError;
use shared::{ChatError, InvalidInput};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `invalid_input`, `unauthenticated`, `forbidden`, `not_a_member`,
    /// `not_found`, `name_taken`, `payload_too_large`, `internal`, …
    pub code: String,
    pub message: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// Seconds, for 429 answers (`Retry-After`).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { status, code: code.into(), message: message.into(), retry_after: None }
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such route")
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = self.retry_after;
        let body = ErrorBody { error: ErrorDetail { code: self.code, message: self.message } };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
        }
        response
    }
}

impl From<InvalidInput> for ApiError {
    fn from(e: InvalidInput) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_input", e.to_string())
    }
}

impl From<ChatError> for ApiError {
    fn from(e: ChatError) -> Self {
        match e {
            ChatError::Invalid(e) => e.into(),
            ChatError::Unauthenticated(m) => Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", m),
            ChatError::Forbidden { code, message } => Self::new(StatusCode::FORBIDDEN, code, message),
            ChatError::NotFound(what) => Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found")),
            ChatError::Conflict { code, message } => Self::new(StatusCode::CONFLICT, code, message),
            ChatError::RateLimited { retry_after_secs } => Self {
                retry_after: Some(retry_after_secs),
                ..Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("too many requests; retry in {retry_after_secs} s"),
                )
            },
            ChatError::Unavailable(e) => {
                tracing::warn!(error = %e, "store busy");
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "busy, try again")
            }
            other => {
                tracing::error!(error = %other, "request failed");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
            }
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        if e == AuthError::KeysUnavailable {
            tracing::error!("identity provider keys unavailable");
            // Not a 401: the token may be fine, and a client that signs out on 401 must not.
            return Self {
                retry_after: Some(2),
                ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "auth_unavailable", "cannot verify tokens right now")
            };
        }
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", e.to_string())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => Self::new(StatusCode::BAD_REQUEST, "invalid_input", e.body_text()),
            JsonRejection::JsonSyntaxError(e) => Self::new(StatusCode::BAD_REQUEST, "invalid_json", e.body_text()),
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected Content-Type: application/json",
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "request body too large")
            }
            other => Self::new(other.status(), "invalid_body", other.body_text()),
        }
    }
}

/// The innermost error's text: serde's, which starts with the field (`conversationId: …`), not
/// axum's wrapper (`Failed to deserialize query string: …`), so `invalid_input` messages start
/// with the field as docs/CHAT.md says.
fn innermost(error: &dyn std::error::Error) -> String {
    let mut inner = error;
    while let Some(source) = inner.source() {
        inner = source;
    }
    let message = inner.to_string();
    // serde names the field (`conversationId: …`); our values' own errors name it too.
    match message.split_once(": ") {
        Some((field, rest)) if rest.starts_with(field) => rest.to_owned(),
        _ => message,
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_input", innermost(&r))
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_input", innermost(&r))
    }
}
