//! The local stack's CORS answer (`ALLOWED_ORIGINS`) is the deployed HTTP API's: an allowed
//! origin may send the bearer, and its scripts may read `Retry-After` on a 429 (the client
//! counts down from it); any other origin gets no CORS grant.

use crate::common;

use local::{Stack, StackOptions};
use serde_json::json;
use shared::domain::limits::{Rate, RateLimits};

const PAGE: &str = "http://127.0.0.1:5173";

#[tokio::test]
async fn an_allowed_origin_may_call_the_api_and_read_retry_after() {
    let stack = Stack::start(StackOptions {
        seed: true,
        allowed_origins: vec![PAGE.into()],
        rate_limits: RateLimits { sends: Some(Rate { count: 1, window_secs: 60 }), ..RateLimits::default() },
        ..StackOptions::ephemeral()
    })
    .await
    .unwrap();
    let base = stack.http_url();
    let http = reqwest::Client::new();
    let token = stack.token("acme", "alice", "Alice Anderson", &[]).unwrap();

    let preflight = http
        .request(reqwest::Method::OPTIONS, format!("{base}/api/v1/chat/conversations"))
        .header("origin", PAGE)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization,content-type")
        .send()
        .await
        .unwrap();
    let allowed = |r: &reqwest::Response, name: &str| r.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(allowed(&preflight, "access-control-allow-origin").as_deref(), Some(PAGE));
    let headers = allowed(&preflight, "access-control-allow-headers").unwrap_or_default();
    assert!(headers.contains("authorization") && headers.contains("content-type"), "{headers}");

    let general = common::conversation_named(&http, &base, &token, "general").await;
    let send = |id: &'static str| {
        http.post(format!("{base}/api/v1/chat/conversations/{general}/messages"))
            .bearer_auth(&token)
            .header("origin", PAGE)
            .json(&json!({ "clientMessageId": id, "body": id }))
            .send()
    };
    assert_eq!(send("first").await.unwrap().status(), reqwest::StatusCode::CREATED);
    let limited = send("second").await.unwrap();
    assert_eq!(limited.status(), reqwest::StatusCode::TOO_MANY_REQUESTS);
    assert!(allowed(&limited, "retry-after").is_some_and(|s| s.parse::<u64>().is_ok()));
    assert_eq!(allowed(&limited, "access-control-allow-origin").as_deref(), Some(PAGE));
    assert_eq!(allowed(&limited, "access-control-expose-headers").as_deref(), Some("retry-after"));

    let other =
        http.get(format!("{base}/api/v1/health")).header("origin", "https://evil.example").send().await.unwrap();
    assert_eq!(allowed(&other, "access-control-allow-origin"), None, "another origin gets no grant");
    stack.stop().await;
}

#[tokio::test]
async fn without_allowed_origins_there_is_no_cors_grant() {
    let stack = Stack::start(StackOptions::ephemeral()).await.unwrap();
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/health", stack.http_url()))
        .header("origin", PAGE)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    assert_eq!(response.headers().get("access-control-allow-origin"), None);
    stack.stop().await;
}
