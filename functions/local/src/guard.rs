//! What keeps the local stack a local one: it answers only to the host names it was told (a web
//! page cannot reach it through a DNS name it controls), and its `@connections` management API
//! asks what API Gateway's asks — a SigV4 signature — from credentials only the stack holds.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use sha2::{Digest, Sha256};

/// A management request's body is one frame (API Gateway's limit is 128 KiB).
const MAX_MANAGEMENT_BODY: usize = 128 * 1024;
/// API Gateway refuses signatures more than five minutes from its clock.
const MAX_CLOCK_SKEW: Duration = Duration::from_secs(300);
const MANAGEMENT_KEY_ID: &str = "LOCALSTACKMANAGEMENT";

fn refusal(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "error": { "code": code, "message": message } }))).into_response()
}

/// The `Host` values the stack answers to: its own address under the loopback names, and the
/// names `LOCAL_HOSTS` adds (for a stack bound to another interface on purpose).
#[derive(Clone)]
pub struct AllowedHosts(Arc<HashSet<String>>);

impl AllowedHosts {
    pub fn new(addr: SocketAddr, extra: &[String]) -> Self {
        let port = addr.port();
        let mut hosts: HashSet<String> =
            [format!("127.0.0.1:{port}"), format!("localhost:{port}"), format!("[::1]:{port}"), addr.to_string()]
                .into_iter()
                .collect();
        for host in extra {
            let host = host.trim().to_ascii_lowercase();
            if host.contains(':') {
                hosts.insert(host);
            } else if !host.is_empty() {
                hosts.insert(format!("{host}:{port}"));
            }
        }
        Self(Arc::new(hosts))
    }

    fn allows(&self, headers: &HeaderMap) -> bool {
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|h| self.0.contains(&h.to_ascii_lowercase()))
    }
}

/// Refuses a request whose `Host` is not one of the stack's names (DNS rebinding: a page on
/// `evil.example` resolving to 127.0.0.1 would otherwise mint dev tokens and read the API).
pub async fn require_known_host(State(hosts): State<AllowedHosts>, request: Request, next: Next) -> Response {
    if hosts.allows(request.headers()) {
        next.run(request).await
    } else {
        refusal(StatusCode::MISDIRECTED_REQUEST, "unknown_host", "this stack does not answer to that host name")
    }
}

/// The credentials the emulated management API accepts: derived from the stack's secret, so
/// the stack (and tests holding it) can sign and nobody else can.
pub fn management_credentials(dev_secret: &[u8]) -> Credentials {
    let mut hash = Sha256::new();
    hash.update(b"tenant-chat local @connections\0");
    hash.update(dev_secret);
    let secret: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Credentials::new(MANAGEMENT_KEY_ID, secret, None, None, "local-stack")
}

/// Checks a SigV4-signed request by signing it again with the stack's credentials: the same
/// method, path, query, signed headers and body must give the same signature.
pub async fn require_stack_signature(
    State(credentials): State<Arc<Credentials>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_MANAGEMENT_BODY).await else {
        return refusal(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "the frame is too large");
    };
    match verify(&credentials, &parts.method, &parts.uri, &parts.headers, &bytes) {
        Ok(()) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Err(why) => {
            tracing::warn!(why, "refused an @connections call");
            let mut response = refusal(StatusCode::FORBIDDEN, "forbidden", why);
            response.headers_mut().insert("x-amzn-errortype", header::HeaderValue::from_static("ForbiddenException"));
            response
        }
    }
}

fn verify(
    credentials: &Credentials,
    method: &axum::http::Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), &'static str> {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or("not signed")?;
    let fields = authorization.strip_prefix("AWS4-HMAC-SHA256 ").ok_or("not a SigV4 signature")?;
    let field = |name: &str| {
        fields.split(',').map(str::trim).find_map(|f| f.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
    };
    let scope = field("Credential").ok_or("no credential scope")?;
    let signed_headers = field("SignedHeaders").ok_or("no signed headers")?;
    let given = field("Signature").ok_or("no signature")?;
    // key id / date / region / service / aws4_request
    let scope: Vec<&str> = scope.split('/').collect();
    let [key_id, _, region, service, "aws4_request"] = scope[..] else { return Err("malformed credential scope") };
    if key_id != credentials.access_key_id() {
        return Err("unknown access key");
    }
    let date = headers.get("x-amz-date").and_then(|v| v.to_str().ok()).ok_or("no x-amz-date")?;
    let time = time::PrimitiveDateTime::parse(
        date,
        time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"),
    )
    .map_err(|_| "malformed x-amz-date")?
    .assume_utc();
    let time = SystemTime::from(time);
    let skew = match time.duration_since(SystemTime::now()) {
        Ok(ahead) => ahead,
        Err(behind) => behind.duration(),
    };
    if skew > MAX_CLOCK_SKEW {
        return Err("signature too far from the stack's clock");
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).ok_or("no host")?;
    let url = format!("http://{host}{}", uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"));
    let mut signed: Vec<(&str, &str)> = Vec::new();
    for name in signed_headers.split(';') {
        let value = headers.get(name).and_then(|v| v.to_str().ok()).ok_or("a signed header is missing")?;
        signed.push((name, value));
    }
    let identity: Identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|_| "cannot build signing parameters")?
        .into();
    let signable = SignableRequest::new(method.as_str(), url, signed.into_iter(), SignableBody::Bytes(body))
        .map_err(|_| "cannot read the signed request")?;
    let (_, expected) = sign(signable, &params).map_err(|_| "cannot sign")?.into_parts();
    if constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        Ok(())
    } else {
        Err("signature does not match")
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
