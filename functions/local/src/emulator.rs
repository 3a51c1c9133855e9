//! API Gateway's WebSocket API, emulated: `ws://host/ws?token=…` gets a connection id, each
//! socket event becomes the `$connect` / `$default` / `$disconnect` event the real service would
//! send to `functions/ws`, and `/_ws/@connections/{id}` serves the documented management API
//! (POST, GET, DELETE; 410 for unknown ids) so the real SDK adapter can be tested against it.

use std::collections::HashMap;
use std::net::SocketAddr;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64_shim::encode as b64;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use shared::domain::ids::ConnectionId;
use shared::ports::push::{Push, PushError};
use tokio::sync::mpsc;

use crate::registry::{Outbound, OUTBOUND_QUEUE};
use crate::LocalState;

/// Messages larger than this close the socket (API Gateway's frame limit is 128 KiB); smaller
/// ones over the configured frame limit get an error frame from the handler.
const MAX_SOCKET_MESSAGE: usize = 1024 * 1024;

/// tungstenite's default (128 KiB) is zero-filled before every read and stays resident per
/// socket; clients send small frames (subscribe, ping) and the buffer grows for a larger one.
const SOCKET_READ_BUFFER: usize = 8 * 1024;

/// Frames a connection's writer takes from its queue per flush.
const OUTBOUND_BATCH: usize = 64;

pub fn routes(state: LocalState, management: std::sync::Arc<aws_credential_types::Credentials>) -> Router {
    let manage = Router::new()
        .route("/_ws/@connections/{id}", post(manage_post).get(manage_get).delete(manage_delete))
        .layer(axum::middleware::from_fn_with_state(management, crate::guard::require_stack_signature));
    Router::new().route("/ws", get(upgrade)).merge(manage).with_state(state)
}

fn event(
    route: &str,
    kind: &str,
    connection: &ConnectionId,
    source: &SocketAddr,
    query: Option<&HashMap<String, String>>,
    body: Option<(String, bool)>,
) -> Value {
    let now = shared::ports::clock::Clock::now_ms(&shared::ports::clock::SystemClock);
    let (body, base64) = match body {
        Some((b, is_b64)) => (Value::String(b), is_b64),
        None => (Value::Null, false),
    };
    json!({
        "headers": {},
        "multiValueHeaders": {},
        "queryStringParameters": query.cloned().unwrap_or_default(),
        "requestContext": {
            "routeKey": route,
            "eventType": kind,
            "connectionId": connection,
            "requestId": ulid::Ulid::new().to_string(),
            "stage": "local",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "connectedAt": now,
            "requestTimeEpoch": now,
            "identity": { "sourceIp": source.ip().to_string() },
        },
        "body": body,
        "isBase64Encoded": base64,
    })
}

async fn invoke(state: &LocalState, event: Value) -> ApiGatewayProxyResponse {
    match serde_json::from_value::<ApiGatewayWebsocketProxyRequest>(event) {
        Ok(request) => state.ws.handle(request).await,
        Err(e) => {
            tracing::error!(error = %e, "emulator built an event the handler cannot read");
            let mut out = ApiGatewayProxyResponse::default();
            out.status_code = 500;
            out
        }
    }
}

async fn upgrade(
    State(state): State<LocalState>,
    ConnectInfo(source): ConnectInfo<SocketAddr>,
    Query(query): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    let connection = match ConnectionId::parse(&ulid::Ulid::new().to_string()) {
        Ok(c) => c,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    // Like API Gateway: `$connect` runs before the upgrade, and a refusal never opens a socket.
    let connected = invoke(&state, event("$connect", "CONNECT", &connection, &source, Some(&query), None)).await;
    if connected.status_code != 200 {
        let status = StatusCode::from_u16(connected.status_code as u16).unwrap_or(StatusCode::FORBIDDEN);
        let message = match connected.body {
            Some(Body::Text(t)) => t,
            _ => "refused".to_owned(),
        };
        return (status, Json(json!({ "error": { "code": "unauthenticated", "message": message } }))).into_response();
    }
    ws.max_message_size(MAX_SOCKET_MESSAGE)
        .read_buffer_size(SOCKET_READ_BUFFER)
        .on_upgrade(move |socket| serve_socket(state, socket, connection, source))
}

async fn serve_socket(state: LocalState, socket: WebSocket, connection: ConnectionId, source: SocketAddr) {
    let (tx, mut rx) = mpsc::channel::<Outbound>(OUTBOUND_QUEUE);
    let registration = state.registry.register(connection.clone(), tx, source.ip().to_string(), state.clock.now_ms());
    let (mut sink, mut stream) = socket.split();
    // DeleteConnection closes at once, as API Gateway does, without waiting for the client.
    let closed_by_server = std::sync::Arc::new(tokio::sync::Notify::new());
    let close_signal = closed_by_server.clone();
    let writer = tokio::spawn(async move {
        // Under load many frames queue at once: write them all, then flush once (one syscall
        // for the lot instead of one per frame).
        let mut batch = Vec::new();
        while rx.recv_many(&mut batch, OUTBOUND_BATCH).await > 0 {
            let mut closing = false;
            let mut result = Ok(());
            for out in batch.drain(..) {
                match out {
                    Outbound::Text(text) => result = sink.feed(Message::Text(text)).await,
                    Outbound::Close => {
                        result = sink.feed(Message::Close(None)).await;
                        closing = true;
                    }
                }
                if closing || result.is_err() {
                    break;
                }
            }
            let flushed = sink.flush().await;
            if closing {
                close_signal.notify_one();
                break;
            }
            if result.is_err() || flushed.is_err() {
                break;
            }
        }
    });
    loop {
        let next = tokio::select! {
            next = tokio::time::timeout(state.idle_timeout, stream.next()) => match next {
                Ok(next) => next,
                Err(_) => {
                    tracing::debug!(connection = %connection, "idle timeout: closing like API Gateway");
                    break;
                }
            },
            () = closed_by_server.notified() => break,
        };
        let body = match next {
            Some(Ok(Message::Text(text))) => (text.to_string(), false),
            Some(Ok(Message::Binary(bytes))) => (b64(&bytes), true),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
        };
        state.registry.touch(&connection, state.clock.now_ms());
        invoke(&state, event("$default", "MESSAGE", &connection, &source, None, Some(body))).await;
    }
    drop(registration);
    writer.abort();
    invoke(&state, event("$disconnect", "DISCONNECT", &connection, &source, None, None)).await;
}

fn gone() -> Response {
    let mut headers = HeaderMap::new();
    headers.insert("x-amzn-errortype", HeaderValue::from_static("GoneException"));
    (StatusCode::GONE, headers, Json(json!({ "message": "connection is gone" }))).into_response()
}

fn parse_id(raw: &str) -> Option<ConnectionId> {
    ConnectionId::parse(raw).ok()
}

async fn manage_post(State(state): State<LocalState>, Path(id): Path<String>, body: Bytes) -> Response {
    let Some(id) = parse_id(&id) else { return gone() };
    match state.registry.post(&id, &body).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(PushError::Gone) => gone(),
        Err(PushError::Failed(_)) => {
            let mut headers = HeaderMap::new();
            headers.insert("x-amzn-errortype", HeaderValue::from_static("LimitExceededException"));
            (StatusCode::TOO_MANY_REQUESTS, headers, Json(json!({ "message": "slow down" }))).into_response()
        }
    }
}

async fn manage_get(State(state): State<LocalState>, Path(id): Path<String>) -> Response {
    let Some(info) = parse_id(&id).and_then(|id| state.registry.info(&id)) else { return gone() };
    Json(json!({
        "connectedAt": info.connected_at,
        "lastActiveAt": info.last_active_at,
        "identity": { "sourceIp": info.source_ip, "userAgent": "" },
    }))
    .into_response()
}

async fn manage_delete(State(state): State<LocalState>, Path(id): Path<String>) -> Response {
    let Some(id) = parse_id(&id) else { return gone() };
    match state.registry.close(&id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(_) => gone(),
    }
}

mod base64_shim {
    use base64::Engine;
    pub fn encode(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }
}
