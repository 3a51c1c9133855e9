//! Attachments end to end: upload intent → a real HTTP PUT to the presigned URL → send with the
//! attachment → download by a member, against S3 on moto and against the local blob store.

use std::sync::Arc;
use std::time::Duration;

use integration_tests::*;
use local::StackOptions;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shared::adapters::aws::s3::S3Blobs;
use shared::ports::blobs::Blobs;

struct World {
    app: TestApp,
    alice: TestUser,
    bob: TestUser,
    carol: TestUser,
    dave: TestUser,
    channel: String,
}

async fn world(opts: StackOptions) -> World {
    let app = spawn_app_with(opts).await;
    let alice = app.user("acme", "alice").await;
    let bob = app.user("acme", "bob").await;
    let carol = app.user("acme", "carol").await;
    let dave = app.user("globex", "dave").await;
    let channel = app.create_channel(&alice, "files", "private").await;
    app.invite(&alice, &channel, &bob).await;
    World { app, alice, bob, carol, dave, channel }
}

async fn moto_blobs() -> Arc<S3Blobs> {
    let sdk = shared::adapters::aws::sdk::sdk_config(Some(moto())).await.expect("sdk config");
    let blobs = S3Blobs::new(&sdk, format!("att-{}", ulid::Ulid::new().to_string().to_lowercase()), true);
    blobs.create_bucket().await.expect("bucket on moto");
    Arc::new(blobs)
}

async fn intent(w: &World, user: &TestUser, filename: &str, content_type: &str, size: usize) -> (StatusCode, Value) {
    w.app
        .post(
            user,
            &format!("/api/v1/chat/conversations/{}/uploads", w.channel),
            json!({ "filename": filename, "contentType": content_type, "size": size }),
        )
        .await
}

/// The browser's PUT: exactly the URL and headers the intent gave.
async fn put(intent: &Value, body: Vec<u8>, content_type_override: Option<&str>) -> StatusCode {
    let mut req = reqwest::Client::new().put(intent["url"].as_str().unwrap());
    for (k, v) in intent["headers"].as_object().unwrap() {
        let value = if k.eq_ignore_ascii_case("content-type") {
            content_type_override.unwrap_or(v.as_str().unwrap())
        } else {
            v.as_str().unwrap()
        };
        req = req.header(k, value);
    }
    req.body(body).send().await.expect("PUT sent").status()
}

async fn send_with(w: &World, user: &TestUser, cmid: &str, uploads: &[&str]) -> (StatusCode, Value) {
    w.app
        .post(
            user,
            &format!("/api/v1/chat/conversations/{}/messages", w.channel),
            json!({ "clientMessageId": cmid, "body": "", "attachmentIds": uploads }),
        )
        .await
}

async fn download_url(w: &World, user: Option<&TestUser>, attachment: &str) -> (StatusCode, Value) {
    let mut req = w
        .app
        .http
        .get(w.app.url(&format!("/api/v1/chat/attachments/{attachment}")))
        .header("accept", "application/json");
    if let Some(user) = user {
        req = req.bearer_auth(&user.token);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The whole flow; `strict_put` says whether the store itself refuses a PUT that breaks the
/// signed length or type (S3 and the local store do; moto does not check signatures, so there the
/// server's HeadObject check at attach time is what refuses it).
async fn flow(w: World, strict_put: bool) {
    let bytes: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    let (status, up) = intent(&w, &w.alice, "../../Q3 report.pdf", "application/pdf", bytes.len()).await;
    assert_eq!(status, StatusCode::CREATED, "{up}");
    let url = up["url"].as_str().unwrap();
    assert!(
        url.contains(&format!(
            "tenants/acme/conversations/{}/{}/Q3_report.pdf",
            w.channel,
            up["uploadId"].as_str().unwrap()
        )),
        "{url}"
    );
    assert!(!url.contains(".."));

    // Not uploaded yet: cannot be attached.
    let (status, err) = send_with(&w, &w.alice, "early", &[up["uploadId"].as_str().unwrap()]).await;
    assert_eq!((status, error_code(&err).as_str()), (StatusCode::BAD_REQUEST, "invalid_input"));

    assert_eq!(put(&up, bytes.clone(), None).await, StatusCode::OK);
    // Bob cannot attach alice's upload.
    let (status, _) = send_with(&w, &w.bob, "steal", &[up["uploadId"].as_str().unwrap()]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, message) = send_with(&w, &w.alice, "with-file", &[up["uploadId"].as_str().unwrap()]).await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    let attachment = &message["attachments"][0];
    assert_eq!(
        (attachment["name"].as_str(), attachment["size"].as_u64(), attachment["contentType"].as_str()),
        (Some("../../Q3 report.pdf"), Some(70_000), Some("application/pdf"))
    );
    let attachment_id = attachment["id"].as_str().unwrap().to_owned();
    // Attaching the same upload again is refused.
    let (status, _) = send_with(&w, &w.alice, "again", &[up["uploadId"].as_str().unwrap()]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A member downloads it.
    let (status, link) = download_url(&w, Some(&w.bob), &attachment_id).await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let file = reqwest::get(link["url"].as_str().unwrap()).await.unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    // S3 answers with the signed `response-content-disposition`; moto ignores that parameter, so
    // there the signed URL itself is checked.
    let disposition = match file.headers().get("content-disposition") {
        Some(v) => v.to_str().unwrap().to_owned(),
        None if !strict_put => {
            let url = reqwest::Url::parse(link["url"].as_str().unwrap()).unwrap();
            url.query_pairs()
                .find(|(k, _)| k == "response-content-disposition")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        }
        None => String::new(),
    };
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert_eq!(file.bytes().await.unwrap().to_vec(), bytes);
    // Without Accept: JSON, a redirect to the same kind of URL.
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = no_redirects
        .get(w.app.url(&format!("/api/v1/chat/attachments/{attachment_id}")))
        .bearer_auth(&w.bob.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert!(resp.headers().get("location").is_some());

    // A non-member, another tenant and an anonymous caller are refused.
    assert_eq!(download_url(&w, Some(&w.carol), &attachment_id).await.0, StatusCode::NOT_FOUND);
    assert_eq!(download_url(&w, Some(&w.dave), &attachment_id).await.0, StatusCode::NOT_FOUND);
    assert_eq!(download_url(&w, None, &attachment_id).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(intent(&w, &w.carol, "x.txt", "text/plain", 10).await.0, StatusCode::NOT_FOUND);
    assert_eq!(intent(&w, &w.dave, "x.txt", "text/plain", 10).await.0, StatusCode::NOT_FOUND);
    let (status, _) = w
        .app
        .call(
            Method::POST,
            &format!("/api/v1/chat/conversations/{}/uploads", w.channel),
            None,
            Some(json!({ "filename": "x", "contentType": "text/plain", "size": 1 })),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A PUT larger than declared, or with another content type, never becomes an attachment.
    let (_, big) = intent(&w, &w.alice, "big.bin", "application/octet-stream", 100).await;
    let big_put = put(&big, vec![1; 200], None).await;
    let (_, typed) = intent(&w, &w.alice, "typed.txt", "text/plain", 5).await;
    let typed_put = put(&typed, b"hello".to_vec(), Some("image/png")).await;
    if strict_put {
        assert!(big_put.is_client_error(), "oversized PUT: {big_put}");
        assert!(typed_put.is_client_error(), "retyped PUT: {typed_put}");
    }
    for upload in [&big, &typed] {
        let (status, err) = send_with(
            &w,
            &w.alice,
            &format!("bad-{}", upload["uploadId"].as_str().unwrap()),
            &[upload["uploadId"].as_str().unwrap()],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    }

    // Limits on the intent itself.
    assert_eq!(
        intent(&w, &w.alice, "huge.bin", "application/octet-stream", 26 * 1024 * 1024).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(intent(&w, &w.alice, "page.html", "text/html", 10).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(intent(&w, &w.alice, "\u{0}\u{202E}", "text/plain", 10).await.0, StatusCode::BAD_REQUEST);

    // Deleted message: no download any more.
    let path = format!("/api/v1/chat/conversations/{}/messages/{}", w.channel, message["id"].as_str().unwrap());
    assert_eq!(w.app.call(Method::DELETE, &path, Some(&w.alice), None).await.0, StatusCode::OK);
    assert_eq!(download_url(&w, Some(&w.bob), &attachment_id).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn attachments_on_s3_moto() {
    let blobs = moto_blobs().await;
    let mut opts = StackOptions::ephemeral();
    opts.blobs = Some(blobs.clone());
    let w = world(opts).await;
    // The object is tagged staged until attached (the lifecycle rule expires staged objects).
    let (_, up) = intent(&w, &w.alice, "tag.txt", "text/plain", 3).await;
    assert_eq!(put(&up, b"abc".to_vec(), None).await, StatusCode::OK);
    let key = format!("tenants/acme/conversations/{}/{}/tag.txt", w.channel, up["uploadId"].as_str().unwrap());
    assert_eq!(blobs.state(&key).await.unwrap().as_deref(), Some("staged"));
    assert_eq!(send_with(&w, &w.alice, "tagged", &[up["uploadId"].as_str().unwrap()]).await.0, StatusCode::CREATED);
    assert_eq!(blobs.state(&key).await.unwrap().as_deref(), Some("attached"));
    assert_eq!(blobs.head(&key).await.unwrap().unwrap().size, 3);
    flow(w, false).await;
}

#[tokio::test]
async fn attachments_on_the_local_blob_store() {
    let w = world(StackOptions::ephemeral()).await;
    flow(w, true).await;
}

#[tokio::test]
async fn local_urls_expire() {
    let mut opts = StackOptions::ephemeral();
    opts.uploads.url_ttl_secs = 1;
    let w = world(opts).await;
    let (_, up) = intent(&w, &w.alice, "late.txt", "text/plain", 4).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(put(&up, b"late".to_vec(), None).await, StatusCode::FORBIDDEN);
    let (_, up) = intent(&w, &w.alice, "ok.txt", "text/plain", 2).await;
    assert_eq!(put(&up, b"ok".to_vec(), None).await, StatusCode::OK);
    let (_, message) = send_with(&w, &w.alice, "ok", &[up["uploadId"].as_str().unwrap()]).await;
    let (_, link) = download_url(&w, Some(&w.bob), message["attachments"][0]["id"].as_str().unwrap()).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(reqwest::get(link["url"].as_str().unwrap()).await.unwrap().status(), StatusCode::FORBIDDEN);
    // A tampered URL is refused too.
    let (_, link) = download_url(&w, Some(&w.bob), message["attachments"][0]["id"].as_str().unwrap()).await;
    let tampered = link["url"].as_str().unwrap().replace("ok.txt", "other.txt");
    assert_eq!(reqwest::get(tampered).await.unwrap().status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn images_are_inline_and_everything_else_downloads() {
    let w = world(StackOptions::ephemeral()).await;
    let png: Vec<u8> = vec![0x89, b'P', b'N', b'G', 1, 2, 3];
    let (_, up) = intent(&w, &w.alice, "cat.png", "image/png", png.len()).await;
    assert_eq!(put(&up, png.clone(), None).await, StatusCode::OK);
    let (_, message) = send_with(&w, &w.alice, "img", &[up["uploadId"].as_str().unwrap()]).await;
    let (_, link) = download_url(&w, Some(&w.bob), message["attachments"][0]["id"].as_str().unwrap()).await;
    let resp = reqwest::get(link["url"].as_str().unwrap()).await.unwrap();
    assert!(resp.headers()["content-disposition"].to_str().unwrap().starts_with("inline;"));
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
}
