//! One retry layer on AWS (issue 23 item 8): the SDK's standard mode, configured once in
//! `sdk_config`, makes at most `SDK_MAX_ATTEMPTS` attempts per call — the store is not wrapped in
//! a second layer and pushes do not loop on top — and a call that hangs ends at the operation
//! timeout. Against loopback fakes that count what reaches them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Router;
use serde_json::json;
use shared::adapters::aws::apigw::ApiGatewayPush;
use shared::adapters::aws::sdk::{sdk_config, SDK_MAX_ATTEMPTS, SDK_OPERATION_TIMEOUT};
use shared::adapters::aws::stack::aws_store;
use shared::domain::ids::ConnectionId;
use shared::ports::push::{Push, PushError};
use shared::ports::store::{Cond, Item, Key, StoreError};

/// An endpoint that answers every request with `status` and AWS error `code`, counting them.
async fn failing_endpoint(status: u16, code: &'static str) -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .fallback(move |State(calls): State<Arc<AtomicUsize>>| async move {
            calls.fetch_add(1, Ordering::SeqCst);
            (
                StatusCode::from_u16(status).unwrap(),
                [("x-amzn-errortype", code), ("content-type", "application/x-amz-json-1.0")],
                axum::Json(json!({ "__type": code, "message": "scripted" })),
            )
                .into_response()
        })
        .with_state(calls.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, calls)
}

fn key() -> Key {
    Key::new("T#acme", "USER#alice")
}

#[tokio::test]
async fn store_calls_make_at_most_the_sdks_attempts() {
    for (status, code) in [(500, "InternalServerError"), (400, "ThrottlingException")] {
        let (url, calls) = failing_endpoint(status, code).await;
        let store = aws_store(&sdk_config(Some(&url)).await.unwrap(), "chat");
        let err = store.get(&key(), true).await.unwrap_err();
        assert!(err.is_retryable(), "{code}: {err}");
        assert_eq!(calls.load(Ordering::SeqCst), SDK_MAX_ATTEMPTS as usize, "{code}: one layer of attempts");
    }
    // A single write cancelled by a running transaction: retried by the SDK too (not by a wrapper).
    let (url, calls) = failing_endpoint(400, "TransactionConflictException").await;
    let store = aws_store(&sdk_config(Some(&url)).await.unwrap(), "chat");
    let err = store.put(Item::new(key(), Default::default()), Cond::Always).await.unwrap_err();
    assert!(matches!(err, StoreError::Transient(_)), "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), SDK_MAX_ATTEMPTS as usize);
    // A failed condition is an answer: asked once.
    let (url, calls) = failing_endpoint(400, "ConditionalCheckFailedException").await;
    let store = aws_store(&sdk_config(Some(&url)).await.unwrap(), "chat");
    let err = store.put(Item::new(key(), Default::default()), Cond::NotExists).await.unwrap_err();
    assert!(matches!(err, StoreError::ConditionFailed), "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn pushes_make_at_most_the_sdks_attempts() {
    let id = ConnectionId::parse("L0SM9cOFvHcCIhw=").unwrap();
    for (status, code) in [(500, "InternalServerErrorException"), (429, "LimitExceededException")] {
        let (url, calls) = failing_endpoint(status, code).await;
        let push = ApiGatewayPush::new(&sdk_config(Some(&url)).await.unwrap(), &url);
        assert!(matches!(push.post(&id, b"{}").await, Err(PushError::Failed(_))), "{code}");
        assert_eq!(calls.load(Ordering::SeqCst), SDK_MAX_ATTEMPTS as usize, "{code}: not 3 x 3");
    }
}

#[tokio::test]
async fn a_call_that_hangs_ends_at_the_operation_timeout() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    let store = aws_store(&sdk_config(Some(&url)).await.unwrap(), "chat");
    // The test's own guard is far past the operation timeout: only a missing timeout trips it.
    let guard = SDK_OPERATION_TIMEOUT * 3;
    let outcome = tokio::time::timeout(guard, store.get(&key(), true)).await;
    let err = outcome.expect("the SDK's operation timeout ends the call").unwrap_err();
    assert!(matches!(err, StoreError::Transient(_)), "a timeout is a retryable fault: {err}");
    let attempts = accepted.load(Ordering::SeqCst);
    assert!((1..=SDK_MAX_ATTEMPTS as usize).contains(&attempts), "{attempts} attempts");
}
