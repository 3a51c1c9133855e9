//! Bearer-token verification: RS256 against the identity provider's JWKS (the Cognito case) and,
//! for local development only, HS256 with a secret. The algorithm is chosen by what we have
//! configured, never by the token: `alg: none` and HS/RS confusion are refused.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::sync::Mutex;

use crate::domain::caller::{Caller, Role};
use crate::domain::ids::{TenantId, UserId};
use crate::domain::values::{DisplayName, Handle};
use crate::ports::clock::{Clock, SystemClock};

/// Issuer and audience of locally issued development tokens.
pub const DEV_ISSUER: &str = "tenant-chat-local";
pub const DEV_AUDIENCE: &str = "tenant-chat";
/// An unknown `kid` triggers a JWKS refetch at most this often (key rotation, not a DoS lever).
const UNKNOWN_KID_REFETCH_MS: i64 = 60_000;
/// Cached keys are refetched after this long even when their `kid` is known, so a key the
/// identity provider revoked stops verifying within the hour.
const JWKS_MAX_AGE_MS: i64 = 3_600_000;
/// After a failed fetch the next try waits 1 s, 2 s, 4 s… up to this.
const FETCH_BACKOFF_MAX_MS: i64 = 30_000;
/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 30;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("missing bearer token")]
    Missing,
    #[error("malformed token")]
    Malformed,
    #[error("token algorithm not accepted")]
    Algorithm,
    #[error("token signing key unknown")]
    UnknownKey,
    #[error("token expired")]
    Expired,
    #[error("token rejected: {0}")]
    Invalid(String),
    #[error("token claims incomplete: {0}")]
    Claims(String),
    #[error("identity provider keys unavailable")]
    KeysUnavailable,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Claims {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(rename = "custom:tenant_id", default, skip_serializing_if = "Option::is_none")]
    pub cognito_tenant_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    #[serde(rename = "cognito:groups", default, skip_serializing_if = "Vec::is_empty")]
    pub cognito_groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    pub iss: String,
    /// One audience or several (OIDC allows both); Cognito access tokens carry `client_id` instead.
    #[serde(default, skip_serializing_if = "Audience::is_empty")]
    pub aud: Audience,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// The `aud` claim: a string or an array of strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Default for Audience {
    fn default() -> Self {
        Audience::Many(Vec::new())
    }
}

impl Audience {
    pub fn is_empty(&self) -> bool {
        matches!(self, Audience::Many(v) if v.is_empty())
    }
    pub fn contains(&self, audience: &str) -> bool {
        match self {
            Audience::One(a) => a == audience,
            Audience::Many(all) => all.iter().any(|a| a == audience),
        }
    }
}

impl From<&str> for Audience {
    fn from(a: &str) -> Self {
        Audience::One(a.to_owned())
    }
}
impl From<String> for Audience {
    fn from(a: String) -> Self {
        Audience::One(a)
    }
}

impl Claims {
    /// `aud` names us, or (no `aud`: a Cognito access token) `client_id` does.
    fn for_audience(&self, audience: &str) -> bool {
        if self.aud.is_empty() {
            return self.client_id.as_deref() == Some(audience);
        }
        self.aud.contains(audience)
    }
}

impl Claims {
    pub fn into_caller(self) -> Result<Caller, AuthError> {
        let tenant_raw =
            self.tenant_id.or(self.cognito_tenant_id).ok_or_else(|| AuthError::Claims("no tenant".into()))?;
        let tenant = TenantId::parse(&tenant_raw).map_err(|e| AuthError::Claims(e.to_string()))?;
        let user = UserId::parse(&self.sub).map_err(|e| AuthError::Claims(e.to_string()))?;
        let mut roles: Vec<Role> =
            self.roles.iter().chain(self.cognito_groups.iter()).filter_map(|r| Role::from_claim(r)).collect();
        roles.dedup();
        let shown = self
            .name
            .clone()
            .or_else(|| self.preferred_username.clone())
            .or_else(|| self.email.as_ref().and_then(|e| e.split('@').next().map(str::to_owned)))
            .unwrap_or_else(|| self.sub.clone());
        let display_name = DisplayName::parse(&shown)
            .or_else(|_| DisplayName::parse(&self.sub))
            .map_err(|e| AuthError::Claims(e.to_string()))?;
        let handle_source =
            self.preferred_username.as_deref().or(self.email.as_deref()).or(self.name.as_deref()).unwrap_or(&self.sub);
        let handle = Handle::derive(handle_source, &self.sub);
        Ok(Caller { tenant, user, roles, display_name, suggested_handle: handle })
    }
}

/// What the cache knows, guarded by a plain lock (never held across an await).
struct KeyCache {
    set: JwkSet,
    /// When the set was last fetched successfully (ms).
    fetched_at: Option<i64>,
    /// When a fetch was last tried, successful or not (ms).
    tried_at: Option<i64>,
    /// Fetches failed in a row: the backoff before the next try doubles with each.
    failures: u32,
}

impl Default for KeyCache {
    fn default() -> Self {
        Self { set: JwkSet { keys: Vec::new() }, fetched_at: None, tried_at: None, failures: 0 }
    }
}

enum Next {
    Use(DecodingKey),
    Refuse(AuthError),
    Fetch,
}

impl KeyCache {
    fn key(&self, kid: &str) -> Option<DecodingKey> {
        self.set.find(kid).and_then(|jwk| DecodingKey::from_jwk(jwk).ok())
    }

    /// May a fetch be tried now? After failures, only once the backoff has passed.
    fn may_fetch(&self, now: i64, healthy_interval: i64) -> bool {
        let Some(tried) = self.tried_at else { return true };
        let wait = if self.failures > 0 {
            (1_000_i64 << (self.failures - 1).min(16)).min(FETCH_BACKOFF_MAX_MS)
        } else {
            healthy_interval
        };
        now - tried >= wait
    }

    fn next(&self, kid: &str, now: i64, refetchable: bool) -> Next {
        match self.key(kid) {
            Some(key) => {
                let fresh = self.fetched_at.is_some_and(|at| now - at < JWKS_MAX_AGE_MS);
                // A stale key keeps working while the identity provider cannot be reached.
                if !refetchable || fresh || !self.may_fetch(now, 0) {
                    Next::Use(key)
                } else {
                    Next::Fetch
                }
            }
            None if refetchable && self.may_fetch(now, UNKNOWN_KID_REFETCH_MS) => Next::Fetch,
            // Keys in hand and the provider answering: this kid is simply not one of them.
            None if !refetchable || (self.failures == 0 && self.fetched_at.is_some()) => {
                Next::Refuse(AuthError::UnknownKey)
            }
            None => Next::Refuse(AuthError::KeysUnavailable),
        }
    }
}

struct Jwks {
    url: Option<String>,
    cache: std::sync::RwLock<KeyCache>,
    /// One fetch at a time; the others wait for its result instead of fetching too.
    fetching: Mutex<()>,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
}

/// Verifies tokens. Built once per cold start.
pub struct Authenticator {
    dev_secret: Option<Vec<u8>>,
    issuer: Option<String>,
    audience: Option<String>,
    jwks: Option<Arc<Jwks>>,
}

impl Authenticator {
    /// Identity-provider tokens (RS256 via JWKS): `issuer` and `audience` are checked.
    pub fn oidc(issuer: &str, audience: &str, jwks_url: &str) -> Self {
        Self::oidc_with_clock(issuer, audience, jwks_url, Arc::new(SystemClock))
    }

    /// As `oidc`, on a clock the caller moves (the cache's ages and backoff are measured on it).
    pub fn oidc_with_clock(issuer: &str, audience: &str, jwks_url: &str, clock: Arc<dyn Clock>) -> Self {
        Self {
            dev_secret: None,
            issuer: Some(issuer.to_owned()),
            audience: Some(audience.to_owned()),
            jwks: Some(Arc::new(Jwks {
                url: Some(jwks_url.to_owned()),
                cache: std::sync::RwLock::new(KeyCache::default()),
                fetching: Mutex::new(()),
                http: reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap_or_default(),
                clock,
            })),
        }
    }

    /// Identity-provider tokens verified against a key set given up front (tests, pinned keys).
    pub fn with_jwks(issuer: &str, audience: &str, keys: JwkSet) -> Self {
        Self {
            dev_secret: None,
            issuer: Some(issuer.to_owned()),
            audience: Some(audience.to_owned()),
            jwks: Some(Arc::new(Jwks {
                url: None,
                cache: std::sync::RwLock::new(KeyCache { set: keys, ..Default::default() }),
                fetching: Mutex::new(()),
                http: reqwest::Client::new(),
                clock: Arc::new(SystemClock),
            })),
        }
    }

    /// Local development: HS256 tokens issued by `functions/local`. Never configured in Lambda.
    pub fn dev(secret: &[u8]) -> Self {
        Self { dev_secret: Some(secret.to_vec()), issuer: None, audience: None, jwks: None }
    }

    /// Adds development tokens to an identity-provider authenticator (local stack with both).
    pub fn and_dev(mut self, secret: &[u8]) -> Self {
        self.dev_secret = Some(secret.to_vec());
        self
    }

    pub async fn authenticate(&self, token: &str) -> Result<Caller, AuthError> {
        Ok(self.authenticate_until(token).await?.0)
    }

    /// The caller and when their token expires (epoch seconds): a WebSocket connection lives
    /// no longer than the token that opened it.
    pub async fn authenticate_until(&self, token: &str) -> Result<(Caller, u64), AuthError> {
        let claims = self.verify(token).await?;
        let exp = claims.exp;
        Ok((claims.into_caller()?, exp))
    }

    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed)?;
        match header.alg {
            Algorithm::HS256 => {
                let secret = self.dev_secret.as_ref().ok_or(AuthError::Algorithm)?;
                let key = DecodingKey::from_secret(secret).map_err(|e| AuthError::Invalid(e.to_string()))?;
                decode(token, &key, Algorithm::HS256, DEV_ISSUER, DEV_AUDIENCE)
            }
            Algorithm::RS256 => {
                let (jwks, issuer, audience) = match (&self.jwks, &self.issuer, &self.audience) {
                    (Some(j), Some(i), Some(a)) => (j, i, a),
                    _ => return Err(AuthError::Algorithm),
                };
                let kid = header.kid.ok_or(AuthError::UnknownKey)?;
                let key = jwks.key(&kid).await?;
                decode(token, &key, Algorithm::RS256, issuer, audience)
            }
            _ => Err(AuthError::Algorithm),
        }
    }

    /// Issues a development token. Only `functions/local` exposes this.
    pub fn issue_dev_token(&self, claims: &Claims) -> Result<String, AuthError> {
        let secret = self.dev_secret.as_ref().ok_or(AuthError::Algorithm)?;
        let key = EncodingKey::from_secret(secret).map_err(|e| AuthError::Invalid(e.to_string()))?;
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key)
            .map_err(|e| AuthError::Invalid(e.to_string()))
    }
}

fn decode(
    token: &str,
    key: &DecodingKey,
    algorithm: Algorithm,
    issuer: &str,
    audience: &str,
) -> Result<Claims, AuthError> {
    use jsonwebtoken::errors::ErrorKind;
    let mut validation = Validation::new(algorithm);
    validation.set_issuer(&[issuer]);
    validation.leeway = LEEWAY_SECS;
    validation.validate_nbf = true;
    // Checked below: `aud` may be a string or an array, or absent with `client_id` instead.
    validation.validate_aud = false;
    let claims =
        jsonwebtoken::decode::<Claims>(token, key, &validation).map(|d| d.claims).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => AuthError::Expired,
            ErrorKind::ImmatureSignature => AuthError::Invalid("token not yet valid".into()),
            ErrorKind::InvalidAlgorithm => AuthError::Algorithm,
            ErrorKind::InvalidToken | ErrorKind::Base64(_) | ErrorKind::Json(_) | ErrorKind::Utf8(_) => {
                AuthError::Malformed
            }
            ErrorKind::MissingRequiredClaim(claim) => AuthError::Claims(format!("missing {claim}")),
            other => AuthError::Invalid(format!("{other:?}")),
        })?;
    if !claims.for_audience(audience) {
        return Err(AuthError::Invalid("InvalidAudience".into()));
    }
    Ok(claims)
}

impl Jwks {
    async fn key(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        let refetchable = self.url.is_some();
        if let Some(done) = self.settled(kid, refetchable) {
            return done;
        }
        let _turn = self.fetching.lock().await;
        // Whoever held the turn may have fetched what we need.
        if let Some(done) = self.settled(kid, refetchable) {
            return done;
        }
        let fetched = self.fetch().await;
        let now = self.clock.now_ms();
        let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
        cache.tried_at = Some(now);
        match fetched {
            Ok(set) => {
                cache.set = set;
                cache.fetched_at = Some(now);
                cache.failures = 0;
                cache.key(kid).ok_or(AuthError::UnknownKey)
            }
            Err(e) => {
                cache.failures = cache.failures.saturating_add(1);
                tracing::warn!(error = %e, failures = cache.failures, "JWKS fetch failed");
                // Stale while error: a key we had keeps verifying until the provider is back.
                cache.key(kid).ok_or(AuthError::KeysUnavailable)
            }
        }
    }

    /// The answer without fetching, when there is one.
    fn settled(&self, kid: &str, refetchable: bool) -> Option<Result<DecodingKey, AuthError>> {
        let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
        match cache.next(kid, self.clock.now_ms(), refetchable) {
            Next::Use(key) => Some(Ok(key)),
            Next::Refuse(e) => Some(Err(e)),
            Next::Fetch => None,
        }
    }

    async fn fetch(&self) -> Result<JwkSet, String> {
        let Some(url) = &self.url else { return Err("no JWKS URL".into()) };
        let response = self.http.get(url).send().await.map_err(|e| e.to_string())?;
        response.error_for_status().map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use serde_json::{json, Value};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::ports::clock::ManualClock;

    const PRIVATE_PEM: &[u8] = include_bytes!("../../tests/fixtures/test-rs256-private.pem");
    const JWKS: &str = include_str!("../../tests/fixtures/test-jwks.json");
    const ISSUER: &str = "https://issuer.test";
    const AUDIENCE: &str = "client-123";
    const START_MS: i64 = 1_900_000_000_000;

    /// A loopback identity provider whose JWKS endpoint can be taken down, revoke its key, and
    /// counts the fetches it served or refused.
    #[derive(Default)]
    struct Provider {
        down: AtomicBool,
        revoked: AtomicBool,
        fetches: AtomicUsize,
    }

    async fn provider() -> (Arc<Provider>, String) {
        let state = Arc::new(Provider::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                shared.fetches.fetch_add(1, Ordering::SeqCst);
                let (status, body) = if shared.down.load(Ordering::SeqCst) {
                    ("503 Service Unavailable", String::new())
                } else if shared.revoked.load(Ordering::SeqCst) {
                    ("200 OK", r#"{"keys":[]}"#.to_owned())
                } else {
                    ("200 OK", JWKS.to_owned())
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            }
        });
        (state, url)
    }

    fn claims(clock: &ManualClock) -> Value {
        json!({
            "sub": "u-1",
            "custom:tenant_id": "acme",
            "iss": ISSUER,
            "aud": AUDIENCE,
            "exp": clock.now_ms() / 1000 + 24 * 3600,
        })
    }

    fn token(claims: &Value, kid: &str) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_pem(PRIVATE_PEM).unwrap()).unwrap()
    }

    /// Tokens are checked against the real time (jsonwebtoken reads the system clock), the
    /// cache against the manual one.
    fn real_claims() -> Value {
        claims(&ManualClock::new(SystemClock.now_ms()))
    }

    async fn setup() -> (Arc<Provider>, ManualClock, Authenticator) {
        let (provider, url) = provider().await;
        let clock = ManualClock::new(START_MS);
        let auth = Authenticator::oidc_with_clock(ISSUER, AUDIENCE, &url, Arc::new(clock.clone()));
        (provider, clock, auth)
    }

    #[tokio::test]
    async fn a_failed_fetch_is_an_outage_and_is_retried_after_a_backoff() {
        let (provider, clock, auth) = setup().await;
        let good = token(&real_claims(), "test-key-1");
        provider.down.store(true, Ordering::SeqCst);
        assert_eq!(auth.verify(&good).await.unwrap_err(), AuthError::KeysUnavailable, "503, not 401");
        assert_eq!(provider.fetches.load(Ordering::SeqCst), 1);
        // Within the backoff nobody fetches again, and the answer stays "unavailable".
        assert_eq!(auth.verify(&good).await.unwrap_err(), AuthError::KeysUnavailable);
        assert_eq!(provider.fetches.load(Ordering::SeqCst), 1);
        // The backoff doubles while failures go on: 1 s, then 2 s.
        clock.advance_ms(1_000);
        assert_eq!(auth.verify(&good).await.unwrap_err(), AuthError::KeysUnavailable);
        assert_eq!(provider.fetches.load(Ordering::SeqCst), 2);
        clock.advance_ms(1_000);
        assert_eq!(auth.verify(&good).await.unwrap_err(), AuthError::KeysUnavailable);
        assert_eq!(provider.fetches.load(Ordering::SeqCst), 2, "second backoff is 2 s");
        // The provider is back: the next request after the backoff fetches and succeeds.
        provider.down.store(false, Ordering::SeqCst);
        clock.advance_ms(1_000);
        assert!(auth.verify(&good).await.is_ok());
        assert_eq!(provider.fetches.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn the_backoff_is_capped() {
        let cache = KeyCache { failures: 30, tried_at: Some(0), ..Default::default() };
        assert!(!cache.may_fetch(FETCH_BACKOFF_MAX_MS - 1, UNKNOWN_KID_REFETCH_MS));
        assert!(cache.may_fetch(FETCH_BACKOFF_MAX_MS, UNKNOWN_KID_REFETCH_MS));
    }

    #[tokio::test]
    async fn a_cached_key_keeps_working_while_the_refetch_fails_and_old_keys_are_refetched() {
        let (provider, clock, auth) = setup().await;
        let good = token(&real_claims(), "test-key-1");
        assert!(auth.verify(&good).await.is_ok());
        assert!(auth.verify(&good).await.is_ok());
        assert_eq!(provider.fetches.load(Ordering::SeqCst), 1, "a known kid is served from the cache");
        // Past the maximum age the keys are refetched; the provider is down: stale while error.
        clock.advance_ms(JWKS_MAX_AGE_MS);
        provider.down.store(true, Ordering::SeqCst);
        assert!(auth.verify(&good).await.is_ok());
        assert_eq!(provider.fetches.load(Ordering::SeqCst), 2);
        assert!(auth.verify(&good).await.is_ok(), "in the backoff the stale key is used without a fetch");
        assert_eq!(provider.fetches.load(Ordering::SeqCst), 2);
        // Back up, with the key revoked: the next refetch drops it.
        provider.down.store(false, Ordering::SeqCst);
        provider.revoked.store(true, Ordering::SeqCst);
        clock.advance_ms(1_000);
        assert_eq!(auth.verify(&good).await.unwrap_err(), AuthError::UnknownKey);
        assert_eq!(provider.fetches.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn an_unknown_kid_refetches_at_most_once_a_minute() {
        let (provider, clock, auth) = setup().await;
        assert!(auth.verify(&token(&real_claims(), "test-key-1")).await.is_ok());
        let unknown = token(&real_claims(), "rotated-key");
        assert_eq!(auth.verify(&unknown).await.unwrap_err(), AuthError::UnknownKey);
        assert_eq!(auth.verify(&unknown).await.unwrap_err(), AuthError::UnknownKey);
        assert_eq!(provider.fetches.load(Ordering::SeqCst), 1, "the first fetch is less than a minute old");
        clock.advance_ms(UNKNOWN_KID_REFETCH_MS);
        assert_eq!(auth.verify(&unknown).await.unwrap_err(), AuthError::UnknownKey);
        assert_eq!(provider.fetches.load(Ordering::SeqCst), 2);
        assert_eq!(auth.verify(&unknown).await.unwrap_err(), AuthError::UnknownKey);
        assert_eq!(provider.fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn nbf_and_audiences() {
        let (_provider, _clock, auth) = setup().await;
        let with = |patch: Value| {
            let mut c = real_claims();
            for (k, v) in patch.as_object().unwrap() {
                c[k] = v.clone();
            }
            token(&c, "test-key-1")
        };
        let now = SystemClock.now_ms() / 1000;
        assert!(auth.verify(&with(json!({ "nbf": now - 5 }))).await.is_ok());
        assert!(auth.verify(&with(json!({ "nbf": now + 10 }))).await.is_ok(), "within the leeway");
        assert!(matches!(auth.verify(&with(json!({ "nbf": now + 600 }))).await, Err(AuthError::Invalid(_))));
        assert!(auth.verify(&with(json!({ "aud": ["other", AUDIENCE] }))).await.is_ok(), "aud array");
        assert!(matches!(auth.verify(&with(json!({ "aud": ["other", "more"] }))).await, Err(AuthError::Invalid(_))));
        assert!(matches!(auth.verify(&with(json!({ "aud": "other" }))).await, Err(AuthError::Invalid(_))));
        assert!(matches!(auth.verify(&with(json!({ "aud": [] }))).await, Err(AuthError::Invalid(_))));
        // A Cognito access token: no aud, the app client in client_id.
        let mut access = real_claims();
        access.as_object_mut().unwrap().remove("aud");
        assert!(matches!(auth.verify(&token(&access, "test-key-1")).await, Err(AuthError::Invalid(_))));
        access["client_id"] = json!(AUDIENCE);
        assert!(auth.verify(&token(&access, "test-key-1")).await.is_ok());
        access["client_id"] = json!("other");
        assert!(matches!(auth.verify(&token(&access, "test-key-1")).await, Err(AuthError::Invalid(_))));
    }
}
