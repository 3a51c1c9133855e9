//! Bearer-token verification: RS256 against the identity provider's JWKS (the Cognito case) and,
//! for local development only, HS256 with a secret. The algorithm is chosen by what we have
//! configured, never by the token: `alg: none` and HS/RS confusion are refused.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::sync::RwLock;

use crate::domain::caller::{Caller, Role};
use crate::domain::ids::{TenantId, UserId};
use crate::domain::values::{DisplayName, Handle};

/// Issuer and audience of locally issued development tokens.
pub const DEV_ISSUER: &str = "tenant-chat-local";
pub const DEV_AUDIENCE: &str = "tenant-chat";
/// An unknown `kid` triggers a JWKS refresh at most this often (key rotation, not a DoS lever).
const JWKS_REFRESH_INTERVAL: Duration = Duration::from_secs(300);

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
    pub iss: String,
    pub aud: String,
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
        Ok(Caller { tenant, user, roles, display_name, handle })
    }
}

struct Jwks {
    url: Option<String>,
    keys: RwLock<(JwkSet, Option<Instant>)>,
    http: reqwest::Client,
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
        Self {
            dev_secret: None,
            issuer: Some(issuer.to_owned()),
            audience: Some(audience.to_owned()),
            jwks: Some(Arc::new(Jwks {
                url: Some(jwks_url.to_owned()),
                keys: RwLock::new((JwkSet { keys: Vec::new() }, None)),
                http: reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap_or_default(),
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
                keys: RwLock::new((keys, Some(Instant::now()))),
                http: reqwest::Client::new(),
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
        let claims = self.verify(token).await?;
        claims.into_caller()
    }

    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed)?;
        match header.alg {
            Algorithm::HS256 => {
                let secret = self.dev_secret.as_ref().ok_or(AuthError::Algorithm)?;
                let mut validation = Validation::new(Algorithm::HS256);
                validation.set_issuer(&[DEV_ISSUER]);
                validation.set_audience(&[DEV_AUDIENCE]);
                decode(token, &DecodingKey::from_secret(secret), &validation)
            }
            Algorithm::RS256 => {
                let (jwks, issuer, audience) = match (&self.jwks, &self.issuer, &self.audience) {
                    (Some(j), Some(i), Some(a)) => (j, i, a),
                    _ => return Err(AuthError::Algorithm),
                };
                let kid = header.kid.ok_or(AuthError::UnknownKey)?;
                let key = jwks.key(&kid).await?;
                let mut validation = Validation::new(Algorithm::RS256);
                validation.set_issuer(&[issuer]);
                validation.set_audience(&[audience]);
                decode(token, &key, &validation)
            }
            _ => Err(AuthError::Algorithm),
        }
    }

    /// Issues a development token. Only `functions/local` exposes this.
    pub fn issue_dev_token(&self, claims: &Claims) -> Result<String, AuthError> {
        let secret = self.dev_secret.as_ref().ok_or(AuthError::Algorithm)?;
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret))
            .map_err(|e| AuthError::Invalid(e.to_string()))
    }
}

fn decode(token: &str, key: &DecodingKey, validation: &Validation) -> Result<Claims, AuthError> {
    use jsonwebtoken::errors::ErrorKind;
    jsonwebtoken::decode::<Claims>(token, key, validation).map(|d| d.claims).map_err(|e| match e.kind() {
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::InvalidAlgorithm => AuthError::Algorithm,
        ErrorKind::InvalidToken | ErrorKind::Base64(_) | ErrorKind::Json(_) | ErrorKind::Utf8(_) => {
            AuthError::Malformed
        }
        ErrorKind::MissingRequiredClaim(claim) => AuthError::Claims(format!("missing {claim}")),
        other => AuthError::Invalid(format!("{other:?}")),
    })
}

impl Jwks {
    async fn key(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        if let Some(key) = self.find(kid).await? {
            return Ok(key);
        }
        let stale = {
            let guard = self.keys.read().await;
            guard.1.is_none_or(|at| at.elapsed() >= JWKS_REFRESH_INTERVAL)
        };
        if stale {
            self.refresh().await?;
            if let Some(key) = self.find(kid).await? {
                return Ok(key);
            }
        }
        Err(AuthError::UnknownKey)
    }

    async fn find(&self, kid: &str) -> Result<Option<DecodingKey>, AuthError> {
        let guard = self.keys.read().await;
        match guard.0.find(kid) {
            Some(jwk) => DecodingKey::from_jwk(jwk).map(Some).map_err(|_| AuthError::UnknownKey),
            None => Ok(None),
        }
    }

    async fn refresh(&self) -> Result<(), AuthError> {
        let Some(url) = &self.url else { return Ok(()) };
        let mut guard = self.keys.write().await;
        // Another request may have refreshed while we waited for the lock.
        if guard.1.is_some_and(|at| at.elapsed() < JWKS_REFRESH_INTERVAL) {
            return Ok(());
        }
        guard.1 = Some(Instant::now());
        let response = self.http.get(url).send().await.map_err(|e| {
            tracing::warn!(error = %e, "JWKS fetch failed");
            AuthError::KeysUnavailable
        })?;
        let set: JwkSet = response
            .error_for_status()
            .map_err(|_| AuthError::KeysUnavailable)?
            .json()
            .await
            .map_err(|_| AuthError::KeysUnavailable)?;
        guard.0 = set;
        Ok(())
    }
}
