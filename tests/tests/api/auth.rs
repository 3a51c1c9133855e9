//! Token verification the way Lambda does it: RS256 against a JWKS fetched from the identity
//! provider (served here on loopback), issuer/audience/expiry checked, `alg: none` and HS/RS
//! confusion refused.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::routing::get;
use axum::Router;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use shared::auth::{AuthError, Authenticator};
use shared::Role;

const PRIVATE_PEM: &[u8] = include_bytes!("../../fixtures/test-rs256-private.pem");
const PUBLIC_PEM: &[u8] = include_bytes!("../../fixtures/test-rs256-public.pem");
const JWKS: &str = include_str!("../../fixtures/test-jwks.json");
const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_test";
const AUDIENCE: &str = "client-123";

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn claims() -> Value {
    json!({
        "sub": "5f1c7a2e-0000-4000-8000-000000000001",
        "custom:tenant_id": "acme",
        "cognito:groups": ["admin"],
        "name": "Alice Anderson",
        "email": "alice@acme.test",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "exp": now() + 600,
    })
}

fn rs256(claims: &Value, kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_pem(PRIVATE_PEM).unwrap()).unwrap()
}

/// A stand-in identity provider serving its JWKS on loopback, as Cognito does.
async fn identity_provider() -> String {
    let app =
        Router::new().route("/.well-known/jwks.json", get(|| async { ([("content-type", "application/json")], JWKS) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/.well-known/jwks.json")
}

#[tokio::test]
async fn cognito_style_tokens_verify_against_a_fetched_jwks() {
    let jwks_url = identity_provider().await;
    let auth = Authenticator::oidc(ISSUER, AUDIENCE, &jwks_url);
    let caller = auth.authenticate(&rs256(&claims(), "test-key-1")).await.expect("valid token");
    assert_eq!(caller.tenant.as_str(), "acme");
    assert_eq!(caller.user.as_str(), "5f1c7a2e-0000-4000-8000-000000000001");
    assert_eq!(caller.display_name.as_str(), "Alice Anderson");
    assert_eq!(caller.suggested_handle.as_str(), "alice");
    assert!(caller.has_role(Role::TenantAdmin));
    assert!(!caller.has_role(Role::SuperAdmin));
}

#[tokio::test]
async fn bad_tokens_are_refused() {
    let jwks_url = identity_provider().await;
    let auth = Authenticator::oidc(ISSUER, AUDIENCE, &jwks_url);
    let with = |patch: Value| {
        let mut c = claims();
        for (k, v) in patch.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    assert_eq!(
        auth.authenticate(&rs256(&with(json!({ "exp": now() - 120 })), "test-key-1")).await.unwrap_err(),
        AuthError::Expired
    );
    assert!(matches!(
        auth.authenticate(&rs256(&with(json!({ "iss": "https://evil.test" })), "test-key-1")).await,
        Err(AuthError::Invalid(_))
    ));
    assert!(matches!(
        auth.authenticate(&rs256(&with(json!({ "aud": "other-client" })), "test-key-1")).await,
        Err(AuthError::Invalid(_))
    ));
    assert_eq!(auth.authenticate(&rs256(&claims(), "unknown-kid")).await.unwrap_err(), AuthError::UnknownKey);
    let mut no_tenant = claims();
    no_tenant.as_object_mut().unwrap().remove("custom:tenant_id");
    assert!(matches!(auth.authenticate(&rs256(&no_tenant, "test-key-1")).await, Err(AuthError::Claims(_))));

    // HS/RS confusion: an HS256 token "signed" with the public key must not verify.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("test-key-1".into());
    let confused = jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(PUBLIC_PEM).unwrap()).unwrap();
    assert_eq!(auth.authenticate(&confused).await.unwrap_err(), AuthError::Algorithm);

    // alg: none, with and without a signature part.
    use base64::Engine;
    let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let unsigned = format!("{}.{}.", b64(json!({ "alg": "none", "typ": "JWT" })), b64(claims()));
    assert!(auth.authenticate(&unsigned).await.is_err());
    let unsigned_rs = format!("{}.{}.", b64(json!({ "alg": "RS256", "kid": "test-key-1" })), b64(claims()));
    assert!(auth.authenticate(&unsigned_rs).await.is_err());

    // A tampered payload fails the signature.
    let token = rs256(&claims(), "test-key-1");
    let parts: Vec<&str> = token.split('.').collect();
    let forged = format!("{}.{}.{}", parts[0], b64(with(json!({ "custom:tenant_id": "globex" }))), parts[2]);
    assert!(matches!(auth.authenticate(&forged).await, Err(AuthError::Invalid(_))));
}

#[tokio::test]
async fn dev_tokens_are_refused_where_only_the_identity_provider_is_trusted() {
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_str(JWKS).unwrap();
    let lambda_auth = Authenticator::with_jwks(ISSUER, AUDIENCE, jwks);
    let dev = Authenticator::dev(b"local-secret-local-secret-local-secret");
    let claims = shared::auth::Claims {
        sub: "alice".into(),
        tenant_id: Some("acme".into()),
        exp: now() + 600,
        iss: shared::auth::DEV_ISSUER.into(),
        aud: shared::auth::DEV_AUDIENCE.into(),
        ..Default::default()
    };
    let token = dev.issue_dev_token(&claims).unwrap();
    assert!(dev.authenticate(&token).await.is_ok());
    assert_eq!(lambda_auth.authenticate(&token).await.unwrap_err(), AuthError::Algorithm);
}

#[tokio::test]
async fn an_unreachable_identity_provider_is_an_outage_not_a_login_failure() {
    let auth = Authenticator::oidc(ISSUER, AUDIENCE, "http://127.0.0.1:9/.well-known/jwks.json");
    assert_eq!(auth.authenticate(&rs256(&claims(), "test-key-1")).await.unwrap_err(), AuthError::KeysUnavailable);
}

fn local_oidc(jwks_url: &str) -> shared::config::AuthConfig {
    shared::config::AuthConfig { issuer: ISSUER.into(), audience: AUDIENCE.into(), jwks_url: jwks_url.into() }
}

/// The local stack with an external issuer (what the OIDC browser test runs): RS256 tokens shaped
/// like Cognito's verify against the issuer's JWKS, dev tokens still work, and the page is told
/// where to sign in.
#[tokio::test]
async fn the_local_stack_verifies_an_external_issuers_tokens() {
    let jwks_url = identity_provider().await;
    let app = integration_tests::spawn_app_with(local::StackOptions {
        oidc: Some(local_oidc(&jwks_url)),
        ..local::StackOptions::ephemeral()
    })
    .await;
    let http = reqwest::Client::new();
    let mut token = claims();
    token["aud"] = json!(["other-api", AUDIENCE]);
    let me: Value = http
        .get(app.url("/api/v1/me"))
        .bearer_auth(rs256(&token, "test-key-1"))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["tenantId"], "acme");
    assert_eq!(me["userId"], "5f1c7a2e-0000-4000-8000-000000000001");
    assert_eq!(me["roles"], json!(["tenant-admin"]));
    // Refused as before: a wrong audience is a 401.
    let mut wrong = claims();
    wrong["aud"] = json!("someone-else");
    let refused = http.get(app.url("/api/v1/me")).bearer_auth(rs256(&wrong, "test-key-1")).send().await.unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);
    // The dev sign-in still works beside the issuer.
    let bob = app.user("acme", "bob").await;
    assert_eq!(app.get(&bob, "/api/v1/me").await.0, reqwest::StatusCode::OK);
    // The socket accepts the issuer's token too.
    let url = format!("{}?token={}", app.stack.ws_url(), rs256(&claims(), "test-key-1"));
    assert!(tokio_tungstenite::connect_async(url).await.is_ok());

    let config: Value = http.get(app.url("/config.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(config["devSignIn"], true, "{config}");
    assert_eq!(config["oidc"]["authority"], ISSUER, "{config}");
    assert_eq!(config["oidc"]["clientId"], AUDIENCE, "{config}");
}

/// Without the issuer's keys the answer is 503 (retry), not 401 (sign in again), on both APIs.
#[tokio::test]
async fn an_unreachable_issuer_is_503_over_http_and_at_websocket_connect() {
    let app = integration_tests::spawn_app_with(local::StackOptions {
        oidc: Some(local_oidc("http://127.0.0.1:9/.well-known/jwks.json")),
        ..local::StackOptions::ephemeral()
    })
    .await;
    let token = rs256(&claims(), "test-key-1");
    let response = reqwest::Client::new().get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "auth_unavailable");
    let url = format!("{}?token={token}", app.stack.ws_url());
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status().as_u16(), 503),
        other => panic!("expected a 503 refusal, got {other:?}"),
    }
}

/// Handles are the server's: two users whose tokens both say `alice` get `alice` and `alice2`,
/// a later token cannot change a handle, and display names lose bidi and invisible characters.
#[tokio::test]
async fn handles_are_unique_per_tenant_and_assigned_by_the_server() {
    let app = integration_tests::spawn_app().await;
    let http = reqwest::Client::new();
    let token = |sub: &str, username: &str, name: &str| {
        app.stack
            .auth
            .issue_dev_token(&shared::auth::Claims {
                sub: sub.into(),
                tenant_id: Some("acme".into()),
                name: Some(name.into()),
                preferred_username: Some(username.into()),
                exp: now() + 600,
                iss: shared::auth::DEV_ISSUER.into(),
                aud: shared::auth::DEV_AUDIENCE.into(),
                ..Default::default()
            })
            .unwrap()
    };
    let me = |token: String| {
        let request = http.get(app.url("/api/v1/me")).bearer_auth(token);
        async move { request.send().await.unwrap().error_for_status().unwrap().json::<Value>().await.unwrap() }
    };
    let first = me(token("u-first", "alice", "Alice One")).await;
    let second = me(token("u-second", "Alice", "Alice\u{202E}owT\u{200B}")).await;
    assert_eq!(first["handle"], "alice");
    assert_eq!(second["handle"], "alice2", "the clash gets a suffix");
    assert_eq!(second["displayName"], "AliceowT", "bidi override and zero-width space removed");
    // Another tenant has its own "alice".
    let mut globex = shared::auth::Claims {
        sub: "u-third".into(),
        tenant_id: Some("globex".into()),
        preferred_username: Some("alice".into()),
        exp: now() + 600,
        iss: shared::auth::DEV_ISSUER.into(),
        aud: shared::auth::DEV_AUDIENCE.into(),
        ..Default::default()
    };
    assert_eq!(me(app.stack.auth.issue_dev_token(&globex).unwrap()).await["handle"], "alice");
    globex.sub = "u-fourth".into();
    assert_eq!(me(app.stack.auth.issue_dev_token(&globex).unwrap()).await["handle"], "alice2");
    // A new token asking for another handle (and bringing a new name) changes the name only.
    let renamed = me(token("u-second", "zed", "Alice Two")).await;
    assert_eq!(renamed["handle"], "alice2");
    assert_eq!(renamed["displayName"], "Alice Two");
    // Search and the user directory see the stored handles.
    let found: Value = http
        .get(app.url("/api/v1/chat/users?prefix=alice"))
        .bearer_auth(token("u-first", "alice", "Alice One"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let handles: Vec<&str> = found["items"].as_array().unwrap().iter().map(|u| u["handle"].as_str().unwrap()).collect();
    assert_eq!(handles, ["alice", "alice2"]);
    // A fresh process over the same store (no cache) keeps the stored handle too.
    let chat = shared::Chat::new(
        std::sync::Arc::new(app.stack.store.clone()),
        std::sync::Arc::new(shared::ports::clock::SystemClock),
        std::sync::Arc::new(integration_tests::NoEvents),
    );
    let mut caller = integration_tests::caller("acme", "u-second", &[]);
    caller.suggested_handle = shared::domain::values::Handle::parse("alice").unwrap();
    assert_eq!(chat.ensure_profile(&caller).await.unwrap().handle, "alice2");
}

/// The local stack answers only to its own host names: a page on a name it controls that resolves
/// to 127.0.0.1 (DNS rebinding) can neither mint dev tokens nor read the API.
#[tokio::test]
async fn the_local_stack_refuses_other_host_names_and_will_not_listen_beyond_loopback_untold() {
    let app = integration_tests::spawn_app().await;
    let port = app.stack.addr.port();
    let body = json!({ "tenantId": "acme", "userId": "mallory", "roles": ["super-admin"] });
    let minted = app.http.post(app.url("/api/v1/dev/token")).json(&body).send().await.unwrap();
    assert_eq!(minted.status(), 200, "its own name works");
    for host in [format!("evil.example:{port}"), format!("127.0.0.1.evil.example:{port}"), "localhost:1".into()] {
        let answer =
            app.http.post(app.url("/api/v1/dev/token")).header("host", &host).json(&body).send().await.unwrap();
        assert_eq!(answer.status(), 421, "{host}");
        let error: Value = answer.json().await.unwrap();
        assert_eq!(error["error"]["code"], "unknown_host");
        let me = app.http.get(app.url("/api/v1/me")).header("host", &host).send().await.unwrap();
        assert_eq!(me.status(), 421, "{host}");
    }
    let named = app.http.get(app.url("/config.json")).header("host", format!("localhost:{port}")).send().await.unwrap();
    assert_eq!(named.status(), 200);

    // Another interface only when told which names it answers to.
    let mut opts = local::StackOptions::ephemeral();
    opts.addr = "0.0.0.0:0".parse().unwrap();
    let refused = local::Stack::start(opts).await.err().expect("refuses to listen beyond loopback");
    assert!(refused.to_string().contains("LOCAL_HOSTS"), "{refused}");
    let mut opts = local::StackOptions::ephemeral();
    opts.addr = "0.0.0.0:0".parse().unwrap();
    opts.extra_hosts = vec!["chat.lan".into()];
    let told = local::Stack::start(opts).await.expect("told its names");
    let url = format!("http://127.0.0.1:{}/config.json", told.addr.port());
    let lan = reqwest::Client::new().get(&url).header("host", format!("chat.lan:{}", told.addr.port())).send().await;
    assert_eq!(lan.unwrap().status(), 200);
    told.stop().await;
}
