//! The archive export is as private as the conversation (issue 23, item 1): another tenant, a
//! non-member, a tenant admin who is not in a DM or private channel, and anonymous callers are
//! refused; the compliance role exports anything only once a tenant admin enabled it, and every
//! such export (and every change of the policy) leaves an audit record without message content.

use integration_tests::{error_code, spawn_app, TestApp, TestUser};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn export(app: &TestApp, user: Option<&TestUser>, conversation: &str) -> (StatusCode, Value) {
    app.call(Method::GET, &format!("/api/v1/chat/retention/archive?conversationId={conversation}"), user, None).await
}

async fn refused(app: &TestApp, user: Option<&TestUser>, conversation: &str, status: StatusCode, code: &str) {
    let (got, body) = export(app, user, conversation).await;
    let who = user.map_or("anonymous", |u| u.id.as_str());
    assert_eq!(got, status, "{who} exporting {conversation}: {body}");
    assert_eq!(error_code(&body), code, "{who} exporting {conversation}");
}

async fn files(app: &TestApp, user: &TestUser, conversation: &str) -> usize {
    let (status, body) = export(app, Some(user), conversation).await;
    assert_eq!(status, StatusCode::OK, "{} exporting {conversation}: {body}", user.id);
    let items = body["items"].as_array().expect("items");
    assert!(!items.is_empty(), "the archive of {conversation} holds its message");
    items.len()
}

#[tokio::test]
async fn the_archive_export_is_as_private_as_the_conversation() {
    let app = spawn_app().await;
    let alice = app.user_with_roles("acme", "alice", &["admin"]).await;
    let erin = app.user_with_roles("acme", "erin", &["admin"]).await;
    let bob = app.user("acme", "bob").await;
    let carol = app.user("acme", "carol").await;
    let cora = app.user_with_roles("acme", "cora", &["compliance"]).await;
    let dave = app.user_with_roles("globex", "dave", &["admin"]).await;
    let public = app.create_channel(&alice, "general", "public").await;
    let private = app.create_channel(&alice, "secret", "private").await;
    app.invite(&alice, &private, &bob).await;
    let dm = app.open_dm(&alice, &bob).await;
    for (c, id) in [(&public, "p"), (&private, "s"), (&dm, "d")] {
        app.send(&alice, c, id, "the merger closes friday").await;
    }
    app.stack.wait_archived().await.unwrap();
    let all = [&public, &private, &dm];

    // A tenant admin who is not in the DM or the private channel: they do not exist for her.
    refused(&app, Some(&erin), &private, StatusCode::NOT_FOUND, "not_found").await;
    refused(&app, Some(&erin), &dm, StatusCode::NOT_FOUND, "not_found").await;
    // Public channels: a workspace admin exports them, as in Slack.
    files(&app, &erin, &public).await;
    for c in all {
        // The member (a tenant admin in it) exports.
        files(&app, &alice, c).await;
        refused(&app, None, c, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        // Another tenant's admin: byte-for-byte the answer for an id that never existed.
        refused(&app, Some(&dave), c, StatusCode::NOT_FOUND, "not_found").await;
        // Not an admin, member or not: the archive (deleted and pre-edit text) is an admin's tool.
        refused(&app, Some(&carol), c, StatusCode::FORBIDDEN, "not_tenant_admin").await;
        refused(&app, Some(&bob), c, StatusCode::FORBIDDEN, "not_tenant_admin").await;
        // The compliance role before the tenant enabled it.
        refused(&app, Some(&cora), c, StatusCode::FORBIDDEN, "compliance_export_disabled").await;
    }
    let never = "C01JD00000000000000000000XX";
    assert_eq!(export(&app, Some(&dave), &public).await.1, export(&app, Some(&dave), never).await.1);

    // Only a tenant admin turns compliance export on; the change is itself recorded.
    let policy = "/api/v1/chat/retention/archive-policy";
    assert_eq!(
        app.get(&alice, policy).await.1,
        json!({ "complianceExport": false, "archiveRetentionDays": null, "purgeDeleted": false })
    );
    let (status, body) = app.call(Method::PUT, policy, Some(&alice), Some(json!({ "archiveRetentionDays": 0 }))).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_input".to_owned()), "{body}");
    for user in [&bob, &cora, &dave] {
        let (status, _) = app.call(Method::PUT, policy, Some(user), Some(json!({ "complianceExport": true }))).await;
        let expected = if user.id == "dave" { StatusCode::OK } else { StatusCode::FORBIDDEN };
        assert_eq!(status, expected, "{} setting the policy", user.id);
    }
    refused(&app, Some(&cora), &private, StatusCode::FORBIDDEN, "compliance_export_disabled").await;
    let (status, body) = app.call(Method::PUT, policy, Some(&alice), Some(json!({ "complianceExport": true }))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["complianceExport"], true);

    // Now the compliance role exports anything, and each export is audited.
    for c in all {
        files(&app, &cora, c).await;
    }
    // Still nothing for another tenant, and the admin's own reach is unchanged.
    refused(&app, Some(&dave), &private, StatusCode::NOT_FOUND, "not_found").await;
    refused(&app, Some(&erin), &private, StatusCode::NOT_FOUND, "not_found").await;
    let audit = "/api/v1/chat/retention/audit";
    for user in [&bob, &cora] {
        let (status, body) = app.get(user, audit).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{} reading the audit trail", user.id);
        assert_eq!(error_code(&body), "not_tenant_admin");
    }
    let (status, trail) = app.get(&erin, audit).await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    let items = trail["items"].as_array().unwrap();
    assert!(!trail.to_string().contains("merger"), "no message content in the audit trail: {trail}");
    let exports: Vec<&Value> = items.iter().filter(|r| r["action"] == "compliance_export").collect();
    assert_eq!(exports.len(), 3, "{trail}");
    // Newest first: the last export (the DM) leads.
    assert_eq!(exports[0]["conversationId"], dm.as_str());
    for record in &exports {
        assert_eq!(record["actor"], "cora");
        assert!(record["at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(record["files"], 1);
    }
    let changes: Vec<&Value> = items.iter().filter(|r| r["action"] == "archive_policy_changed").collect();
    assert_eq!(changes.len(), 1, "{trail}");
    assert_eq!(changes[0]["actor"], "alice");
    assert_eq!(changes[0]["policy"]["complianceExport"], true);
    // Paging walks the same records.
    let (_, first) = app.get(&erin, &format!("{audit}?limit=2")).await;
    let cursor = first["nextCursor"].as_str().expect("more pages");
    let (_, rest) = app.get(&erin, &format!("{audit}?limit=50&cursor={cursor}")).await;
    assert_eq!(first["items"].as_array().unwrap().len() + rest["items"].as_array().unwrap().len(), items.len());
    assert_eq!(error_code(&app.get(&erin, &format!("{audit}?limit=0")).await.1), "invalid_input");
    // Other tenants' trails are their own (dave's policy change above, nothing of acme's).
    let (_, theirs) = app.get(&dave, audit).await;
    assert!(theirs["items"].as_array().unwrap().iter().all(|r| r["actor"] == "dave"), "{theirs}");

    // Turned off again: the compliance role is refused again.
    app.call(Method::PUT, policy, Some(&alice), Some(json!({ "complianceExport": false }))).await;
    refused(&app, Some(&cora), &dm, StatusCode::FORBIDDEN, "compliance_export_disabled").await;
}
