//! The WebSocket API function. API Gateway routes on `$request.body.action`; this handler takes
//! the event for any route key, so the same code serves Lambda and the local emulator.
//!
//! Client → server: `{"action": "subscribe", "conversationIds"?: [...]}`, `{"action": "ping"}`,
//! `{"action": "typing", "conversationId"}`, `{"action": "presence", "idle"?, "away"?}`,
//! `{"action": "presenceSubscribe", "userIds": [...]}`.
//! Server → client: `subscribed` (with each conversation's `lastSeq`), `pong`, `presence`,
//! `error`, the `chat:*` events, and the ephemeral `chat:typing` / `chat:presence` frames.

use std::sync::Arc;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use serde::Deserialize;
use serde_json::{json, Value};
use shared::auth::Authenticator;
use shared::config::Limits;
use shared::domain::ids::{ConnectionId, ConversationId, UserId};
use shared::realtime::Realtime;
use shared::ChatError;

pub struct WsApp {
    pub realtime: Arc<Realtime>,
    pub auth: Arc<Authenticator>,
    pub limits: Limits,
}

#[derive(Deserialize)]
#[serde(tag = "action", rename_all = "lowercase", deny_unknown_fields)]
enum ClientFrame {
    Subscribe {
        #[serde(default, rename = "conversationIds")]
        conversation_ids: Option<Vec<String>>,
    },
    Ping,
    Typing {
        #[serde(rename = "conversationId")]
        conversation_id: String,
    },
    /// This tab is idle / active again (`idle`), or the user chooses away / back (`away`).
    Presence {
        #[serde(default)]
        idle: Option<bool>,
        #[serde(default)]
        away: Option<bool>,
    },
    #[serde(rename = "presenceSubscribe")]
    PresenceSubscribe {
        #[serde(rename = "userIds")]
        user_ids: Vec<String>,
    },
}

const ACTIONS: [&str; 5] = ["subscribe", "ping", "typing", "presence", "presenceSubscribe"];

fn response(status: i64, body: Option<&str>) -> ApiGatewayProxyResponse {
    let mut out = ApiGatewayProxyResponse::default();
    out.status_code = status;
    out.body = body.map(|b| Body::Text(b.to_owned()));
    out
}

/// The error frame a connection gets once its token has expired; the server then closes it.
pub const TOKEN_EXPIRED: &str = "token_expired";

pub fn error_frame(code: &str, message: &str) -> Value {
    json!({ "type": "error", "code": code, "message": message })
}

impl WsApp {
    /// Handles one event and logs it (route key, connection, status, latency; never the frame).
    pub async fn handle(&self, event: ApiGatewayWebsocketProxyRequest) -> ApiGatewayProxyResponse {
        let started = std::time::Instant::now();
        let route = event.request_context.route_key.clone().unwrap_or_default();
        let connection = event.request_context.connection_id.clone().unwrap_or_default();
        let request_id = event.request_context.request_id.clone().unwrap_or_default();
        let response = self.route(event).await;
        tracing::info!(
            request_id = %request_id,
            route = %route,
            connection = %connection,
            status = response.status_code,
            latency_ms = (started.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0,
            "websocket event"
        );
        self.realtime.metrics().maybe_flush(self.realtime.tables()).await;
        response
    }

    async fn route(&self, event: ApiGatewayWebsocketProxyRequest) -> ApiGatewayProxyResponse {
        let ctx = &event.request_context;
        let route = ctx.route_key.clone().unwrap_or_default();
        let Some(connection) = ctx.connection_id.as_deref().and_then(|c| ConnectionId::parse(c).ok()) else {
            return response(400, Some("missing connection id"));
        };
        match route.as_str() {
            "$connect" => self.connect(&connection, event.query_string_parameters.first("token")).await,
            "$disconnect" => {
                let grace = std::time::Duration::from_millis(self.limits.presence_grace_ms);
                if let Err(e) = self.realtime.disconnect_settling(&connection, grace).await {
                    tracing::warn!(connection = %connection, error = %e, "disconnect clean-up failed; TTL will sweep it");
                }
                response(200, None)
            }
            _ => {
                let body = match (event.body.as_deref(), event.is_base64_encoded) {
                    (_, true) => Err(("binary_not_supported", "frames are JSON text".to_owned())),
                    (None, false) => Err(("invalid_json", "empty frame".to_owned())),
                    (Some(body), false) => Ok(body),
                };
                let reply = match body {
                    Ok(body) => self.frame(&connection, body).await,
                    Err((code, message)) => Some(error_frame(code, &message)),
                };
                // A relayed `typing` has no answer: one per keystroke burst would be noise.
                let Some(reply) = reply else { return response(200, None) };
                if let Err(e) = self.realtime.send_to(&connection, &reply).await {
                    tracing::debug!(connection = %connection, error = %e, "reply not delivered");
                }
                if reply.get("code").and_then(Value::as_str) == Some(TOKEN_EXPIRED) {
                    if let Err(e) = self.realtime.push().close(&connection).await {
                        tracing::debug!(connection = %connection, error = %e, "close after expiry failed");
                    }
                }
                response(200, None)
            }
        }
    }

    /// Authenticates before anything is stored: a refused token never becomes a connection.
    async fn connect(&self, connection: &ConnectionId, token: Option<&str>) -> ApiGatewayProxyResponse {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return response(401, Some("missing token"));
        };
        let (caller, expires_at) = match self.auth.authenticate_until(token).await {
            Ok(verified) => verified,
            // The identity provider's keys cannot be had: an outage to retry, not a bad token.
            Err(shared::auth::AuthError::KeysUnavailable) => {
                tracing::error!("websocket connect: identity provider keys unavailable");
                return response(503, Some("unavailable"));
            }
            Err(e) => {
                tracing::debug!(error = %e, "websocket connect refused");
                return response(401, Some("unauthenticated"));
            }
        };
        match self.realtime.connect(&caller, connection, i64::try_from(expires_at).ok()).await {
            Ok(()) => response(200, None),
            Err(ChatError::Forbidden { message, .. }) => response(429, Some(&message)),
            Err(e) => {
                tracing::error!(error = %e, "connect failed");
                response(500, None)
            }
        }
    }

    /// One client frame → the reply frame, if any. Never fails: bad input becomes an error frame.
    pub async fn frame(&self, connection: &ConnectionId, body: &str) -> Option<Value> {
        if body.len() > self.limits.max_frame_bytes {
            return Some(error_frame(
                "frame_too_large",
                &format!("frames are limited to {} bytes", self.limits.max_frame_bytes),
            ));
        }
        let value: Value = match serde_json::from_str(body) {
            Ok(v) => v,
            Err(_) => return Some(error_frame("invalid_json", "frame is not JSON")),
        };
        let action = value.get("action").and_then(Value::as_str).unwrap_or_default().to_owned();
        let frame: ClientFrame = match serde_json::from_value(value) {
            Ok(f) => f,
            Err(e) if ACTIONS.contains(&action.as_str()) => return Some(error_frame("invalid_frame", &e.to_string())),
            Err(_) => return Some(error_frame("unknown_action", &format!("unknown action {action:?}"))),
        };
        if let Err(e) = self.realtime.touch(connection).await {
            tracing::debug!(error = %e, "touch failed");
        }
        Some(match frame {
            ClientFrame::Ping => json!({ "type": "pong" }),
            ClientFrame::Typing { conversation_id } => {
                let id = match ConversationId::parse(&conversation_id) {
                    Ok(id) => id,
                    Err(e) => return Some(error_frame("invalid_input", &e.to_string())),
                };
                match self.realtime.typing(connection, &id).await {
                    Ok(_) => return None,
                    Err(e) => signal_error(e, "typing"),
                }
            }
            ClientFrame::Presence { idle, away } => {
                let result = match (idle, away) {
                    (Some(idle), None) => self.realtime.set_idle(connection, idle).await,
                    (None, Some(away)) => self.realtime.set_away(connection, away).await,
                    _ => return Some(error_frame("invalid_input", "name exactly one of idle and away")),
                };
                match result {
                    Ok(view) => {
                        serde_json::to_value(view.frame()).unwrap_or_else(|_| error_frame("internal", "presence"))
                    }
                    Err(e) => signal_error(e, "presence"),
                }
            }
            ClientFrame::PresenceSubscribe { user_ids } => {
                let ids = match user_ids.iter().map(|s| UserId::parse(s)).collect::<Result<Vec<_>, _>>() {
                    Ok(ids) => ids,
                    Err(e) => return Some(error_frame("invalid_input", &e.to_string())),
                };
                match self.realtime.watch_presence(connection, ids).await {
                    Ok(view) => {
                        serde_json::to_value(view.frame()).unwrap_or_else(|_| error_frame("internal", "presence"))
                    }
                    Err(e) => signal_error(e, "presenceSubscribe"),
                }
            }
            ClientFrame::Subscribe { conversation_ids } => {
                let ids = match conversation_ids
                    .map(|ids| ids.iter().map(|s| ConversationId::parse(s)).collect::<Result<Vec<_>, _>>())
                    .transpose()
                {
                    Ok(ids) => ids,
                    Err(e) => return Some(error_frame("invalid_input", &e.to_string())),
                };
                match self.realtime.subscribe(connection, ids).await {
                    Ok(conversations) => json!({ "type": "subscribed", "conversations": conversations }),
                    Err(ChatError::NotFound(_)) => error_frame("not_found", "conversation not found"),
                    Err(ChatError::Invalid(e)) => error_frame("invalid_input", &e.to_string()),
                    // The connection outlived its token (or was never registered): `route` closes it
                    // after this frame; the client reconnects with a fresh token and catches up.
                    Err(ChatError::Unauthenticated(_)) => {
                        error_frame(TOKEN_EXPIRED, "the token of this connection expired; reconnect")
                    }
                    Err(ChatError::RateLimited { retry_after_secs }) => json!({
                        "type": "error",
                        "code": "rate_limited",
                        "message": format!("too many subscribes; retry in {retry_after_secs} s"),
                        "retryAfter": retry_after_secs,
                    }),
                    Err(e) => {
                        tracing::error!(error = %e, "subscribe failed");
                        error_frame("internal", "subscribe failed")
                    }
                }
            }
        })
    }
}

/// The error frame of a failed `typing` / `presence` / `presenceSubscribe`.
fn signal_error(e: ChatError, action: &str) -> Value {
    match e {
        ChatError::NotFound(_) => error_frame("not_found", "conversation not found"),
        ChatError::Invalid(e) => error_frame("invalid_input", &e.to_string()),
        ChatError::Unauthenticated(_) => error_frame(TOKEN_EXPIRED, "the token of this connection expired; reconnect"),
        ChatError::RateLimited { retry_after_secs } => json!({
            "type": "error",
            "code": "rate_limited",
            "message": format!("too many {action} frames; retry in {retry_after_secs} s"),
            "retryAfter": retry_after_secs,
        }),
        e => {
            tracing::error!(error = %e, action, "signal failed");
            error_frame("internal", &format!("{action} failed"))
        }
    }
}
