//! The local stand-in for S3's presigned URLs: `PUT` and `GET /_blobs/{key}?…&sig=…`, checked
//! by the local blob adapter (signature, expiry) and here (content type, exact length).

use std::collections::HashMap;

use axum::body::{to_bytes, Body};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use axum::Router;
use shared::adapters::embedded::localfs::{Grant, LocalBlobs};

pub fn routes(blobs: LocalBlobs, max_bytes: u64) -> Router {
    Router::new()
        .route(&format!("{}/{{*key}}", blobs.route()), put(upload).get(download))
        .layer(DefaultBodyLimit::max(max_bytes as usize + 1))
        .with_state(blobs)
}

/// S3-like XML errors, so the browser sees what S3 would say.
fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    (status, [(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

async fn upload(
    State(blobs): State<LocalBlobs>,
    Path(key): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (content_type, size) = match blobs.verify("put", &key, &params) {
        Ok(Grant::Put { content_type, size }) => (content_type, size),
        Ok(_) => return refuse(StatusCode::FORBIDDEN, "AccessDenied", "not an upload URL"),
        Err(e) => return refuse(StatusCode::FORBIDDEN, "AccessDenied", &e.to_string()),
    };
    let sent_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !sent_type.eq_ignore_ascii_case(&content_type) {
        return refuse(StatusCode::FORBIDDEN, "SignatureDoesNotMatch", "content type differs from the one signed");
    }
    let bytes = match to_bytes(body, size as usize + 1).await {
        Ok(bytes) => bytes,
        Err(_) => return refuse(StatusCode::BAD_REQUEST, "EntityTooLarge", "body larger than the signed length"),
    };
    if bytes.len() as u64 != size {
        return refuse(StatusCode::BAD_REQUEST, "IncompleteBody", "body length differs from the signed length");
    }
    match blobs.write(&key, &bytes, &content_type).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", &e.to_string()),
    }
}

async fn download(
    State(blobs): State<LocalBlobs>,
    Path(key): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let (content_type, disposition) = match blobs.verify("get", &key, &params) {
        Ok(Grant::Get { content_type, disposition }) => (content_type, disposition),
        Ok(_) => return refuse(StatusCode::FORBIDDEN, "AccessDenied", "not a download URL"),
        Err(e) => return refuse(StatusCode::FORBIDDEN, "AccessDenied", &e.to_string()),
    };
    match blobs.read(&key).await {
        Ok(Some(bytes)) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CONTENT_DISPOSITION, disposition),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
                (header::CACHE_CONTROL, "private, max-age=300".to_owned()),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => refuse(StatusCode::NOT_FOUND, "NoSuchKey", "no such file"),
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", &e.to_string()),
    }
}
