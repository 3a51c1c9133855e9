//! With CHAT_DEBUG=true, socket activity and requests are logged at debug level — and no message
//! body, token or file name ever appears in a log line. The session runs in a process of its own
//! (this test binary again, running only this test), which captures every log line of a full
//! session and checks: the tracing subscriber is process-global and `CHAT_DEBUG` is read from the
//! environment, and the other tests of this binary run on parallel threads of the parent process
//! (setting a variable there while they read the environment is undefined behaviour on Linux,
//! and their log lines would land in this test's capture).

use std::io::Write;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use integration_tests::*;
use reqwest::Method;
use serde_json::json;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Set in the child process that runs the session.
const SESSION: &str = "DEBUG_LOGS_SESSION";

#[test]
fn debug_logs_never_hold_bodies_tokens_or_file_names() {
    if std::env::var_os(SESSION).is_some() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(session());
        return;
    }
    // This test's name as the harness knows it: the module path without the crate's name.
    let module = module_path!().split_once("::").map_or(module_path!(), |(_, rest)| rest);
    let name = format!("{module}::debug_logs_never_hold_bodies_tokens_or_file_names");
    let child = Command::new(std::env::current_exe().unwrap())
        .args([name.as_str(), "--exact", "--test-threads=1"])
        .env(SESSION, "1")
        .env("CHAT_DEBUG", "true")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    let report = format!("{stdout}\n{}", String::from_utf8_lossy(&child.stderr));
    assert!(child.status.success(), "the session failed: {report}");
    assert!(stdout.contains("test result: ok. 1 passed"), "the session did not run: {report}");
}

async fn session() {
    let captured = Captured::default();
    let writer = captured.clone();
    shared::config::init_tracing_to(true, move || writer.clone());

    let app = spawn_app().await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let channel = app.create_channel(&alice, "general", "public").await;
    app.invite(&alice, &channel, &bob).await;
    let mut socket = ws_connect(&app, &bob).await;
    ws_subscribe(&mut socket, None).await;
    ws_send(&mut socket, json!({ "action": "ping", "secret": "FRAME-SECRET-6b1f" })).await;
    let body = "BODY-SECRET-7c2e please keep this out of logs";
    let sent = app.send(&alice, &channel, "cm-1", body).await;
    app.call(
        Method::PATCH,
        &format!("/api/v1/chat/conversations/{channel}/messages/{}", sent["id"].as_str().unwrap()),
        Some(&alice),
        Some(json!({ "body": "EDIT-SECRET-9d3f" })),
    )
    .await;
    app.post(
        &alice,
        &format!("/api/v1/chat/conversations/{channel}/messages"),
        json!({ "clientMessageId": "bad", "body": "x".repeat(50_000) }),
    )
    .await;
    app.call_token(Method::GET, "/api/v1/me", Some("not.a.token-SECRET"), None).await;
    ws_drain(&mut socket, Duration::from_millis(300)).await;
    drop(socket);
    tokio::time::sleep(Duration::from_millis(300)).await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("\"fan-out\""), "debug fan-out lines are there");
    assert!(logs.contains("\"connected\"") && logs.contains("\"subscribed\""), "socket activity is logged");
    assert!(logs.contains("\"request\"") && logs.contains("\"route\":\"/api/v1/chat/conversations/{id}/messages\""));
    assert!(logs.contains("\"tenant\":\"acme\""));
    for secret in
        ["BODY-SECRET", "EDIT-SECRET", "FRAME-SECRET", "token-SECRET", &alice.token, &bob.token, &"x".repeat(100)]
    {
        assert!(!logs.contains(secret), "{secret:.20}… leaked into the logs");
    }
    for line in logs.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|_| panic!("not a JSON log line: {line}"));
    }
}
