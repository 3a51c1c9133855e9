//! The local stack: the same HTTP router and WebSocket handler as in Lambda, over embedded
//! adapters, in one process. It emulates API Gateway's WebSocket API (connection ids, route keys,
//! the `@connections` management API, idle timeouts), adds the local-only dev-token route, and
//! serves the web client.

pub mod blobs;
pub mod emulator;
pub mod fanout_queue;
pub mod feed;
pub mod guard;
pub mod registry;
pub mod seed;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use shared::adapters::embedded::localfs::LocalBlobs;
use shared::adapters::embedded::search::SqliteSearch;
use shared::adapters::embedded::sqlite::SqliteStore;
use shared::auth::{Authenticator, Claims, DEV_AUDIENCE, DEV_ISSUER};
use shared::config::{AuthConfig, Limits};
use shared::domain::files::UploadRules;
use shared::domain::ids::{TenantId, UserId};
use shared::domain::limits::{FanoutSettings, RateLimits};
use shared::domain::values::DisplayName;
use shared::ops::Metrics;
use shared::ports::blobs::Blobs;
use shared::ports::clock::{Clock, SystemClock};
use shared::ports::queue::FanoutQueue;
use shared::realtime::Realtime;
use shared::Chat;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use http_api::error::ApiError;
use http_api::extract::ApiJson;
use http_api::AppState;

use crate::registry::Registry;

pub struct StackOptions {
    pub addr: SocketAddr,
    /// Where the SQLite file lives; `None` keeps everything in memory (tests).
    pub data_dir: Option<PathBuf>,
    pub dev_secret: Vec<u8>,
    /// API Gateway closes a WebSocket after 10 idle minutes; so does the emulator.
    pub idle_timeout: Duration,
    pub static_dir: Option<PathBuf>,
    pub seed: bool,
    pub limits: Limits,
    /// How often counters are added to the store (the debug endpoints flush on read anyway).
    pub metrics_flush_ms: i64,
    pub uploads: UploadRules,
    /// Attachment storage other than the local folder (tests point it at S3 on moto).
    pub blobs: Option<Arc<dyn Blobs>>,
    /// The clock (tests move a manual one to make messages expire).
    pub clock: Option<Arc<dyn Clock>>,
    /// How often the retention job runs (it also runs on `POST /api/v1/dev/retention/run`).
    pub retention_interval: Duration,
    pub rate_limits: RateLimits,
    /// Retention for tenants without a policy (`DEFAULT_RETENTION_DAYS`).
    pub default_retention_days: Option<u32>,
    /// How long the stream consumers gather changes before a batch (template.yaml's
    /// `MaximumBatchingWindowInSeconds`: 1 s for the indexer, 5 s for the archiver).
    pub index_window: Duration,
    pub archive_window: Duration,
    /// An external OpenID Connect issuer (`JWT_ISSUER`, `JWT_AUDIENCE`, `JWKS_URL`): its RS256
    /// tokens are verified against its JWKS beside the dev tokens, and `/config.json` names it
    /// to the page (authority = issuer, client = audience).
    pub oidc: Option<AuthConfig>,
    /// Other origins allowed to call the API (`ALLOWED_ORIGINS`, comma-separated), with the same
    /// CORS answer as template.yaml's HttpApi `CorsConfiguration`. Empty: same origin only.
    pub allowed_origins: Vec<String>,
    /// Host names the stack answers to besides its loopback ones (`LOCAL_HOSTS`); required when
    /// `addr` is not a loopback address, since anyone who reaches it can mint dev tokens.
    pub extra_hosts: Vec<String>,
    /// Where fan-out runs (`FANOUT_INLINE_MAX`): past `inline_max` subscribed connections an
    /// event goes through the fan-out queue's twin (`fanout_queue`), as it would go through SQS.
    pub fanout: FanoutSettings,
}

impl StackOptions {
    /// A stack for tests: port 0, in memory, no page.
    pub fn ephemeral() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            dev_secret: b"test-secret-test-secret-test-secret".to_vec(),
            idle_timeout: Duration::from_secs(600),
            static_dir: None,
            seed: false,
            limits: Limits::default(),
            metrics_flush_ms: 1_000,
            uploads: UploadRules::default(),
            blobs: None,
            clock: None,
            retention_interval: Duration::from_secs(3600),
            // Off in tests that drive volume; the rate-limit tests turn them on.
            rate_limits: RateLimits::default(),
            default_retention_days: None,
            // Tests see each change at once.
            index_window: Duration::ZERO,
            archive_window: Duration::ZERO,
            oidc: None,
            allowed_origins: Vec::new(),
            extra_hosts: Vec::new(),
            fanout: FanoutSettings::default(),
        }
    }
}

/// API Gateway's CORS answer for the HTTP API (template.yaml's `CorsConfiguration`), so a page on
/// another origin behaves locally as it does deployed: it may send the bearer and read
/// `Retry-After`.
fn cors(origins: &[String]) -> anyhow::Result<tower_http::cors::CorsLayer> {
    use axum::http::{header, HeaderValue, Method};
    let origins = origins
        .iter()
        .map(|o| HeaderValue::from_str(o).with_context(|| format!("ALLOWED_ORIGINS: {o:?}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(tower_http::cors::CorsLayer::new()
        .allow_origin(origins)
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::OPTIONS])
        .expose_headers([header::RETRY_AFTER])
        .max_age(Duration::from_secs(600)))
}

pub struct Stack {
    pub addr: SocketAddr,
    pub realtime: Arc<Realtime>,
    pub store: SqliteStore,
    pub registry: Registry,
    pub chat: Arc<Chat>,
    pub auth: Arc<Authenticator>,
    pub blobs: LocalBlobs,
    pub search: SqliteSearch,
    pub archive: LocalBlobs,
    /// What signs calls to the emulated `@connections` API (tests' SDK clients use them).
    pub management: Arc<aws_credential_types::Credentials>,
    shutdown: Option<oneshot::Sender<()>>,
    server: JoinHandle<()>,
    background: Vec<JoinHandle<()>>,
}

#[derive(Clone)]
pub struct LocalState {
    pub api: AppState,
    pub ws: Arc<ws::WsApp>,
    pub registry: Registry,
    pub clock: Arc<dyn Clock>,
    pub idle_timeout: Duration,
}

impl Stack {
    pub async fn start(opts: StackOptions) -> anyhow::Result<Stack> {
        let clock: Arc<dyn Clock> = opts.clock.clone().unwrap_or_else(|| Arc::new(SystemClock));
        let store = match &opts.data_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
                SqliteStore::open(&dir.join("chat.sqlite3"), clock.clone())?
            }
            None => SqliteStore::in_memory(clock.clone())?,
        };
        let registry = Registry::default();
        let shared_store: Arc<dyn shared::ports::store::Store> =
            Arc::new(shared::adapters::retrying::RetryingStore::new(Arc::new(store.clone())));
        let metrics = Arc::new(Metrics::new(clock.clone(), opts.metrics_flush_ms));
        let (fanout_queue, fanout_lanes) = fanout_queue::LocalFanoutQueue::new();
        let (slice_queue, slice_lanes) = fanout_queue::LocalFanoutQueue::new();
        let realtime = Arc::new(
            Realtime::new(shared_store.clone(), Arc::new(registry.clone()), clock.clone(), metrics.clone())
                .with_subscribe_rate(opts.rate_limits.subscribes)
                .with_signal_rates(opts.rate_limits.typing, opts.rate_limits.presence)
                .with_fanout_queue(Some(Arc::new(fanout_queue) as Arc<dyn FanoutQueue>), opts.fanout)
                .with_slice_queue(Some(Arc::new(slice_queue) as Arc<dyn FanoutQueue>)),
        );
        let mut fanout_workers = fanout_queue::spawn_workers(fanout_lanes, realtime.clone());
        fanout_workers.extend(fanout_queue::spawn_workers(slice_lanes, realtime.clone()));
        let scratch = std::env::temp_dir().join(format!("tenant-chat-{}", ulid::Ulid::new()));
        let data = opts.data_dir.clone().unwrap_or(scratch);
        let blob_root = data.join("blobs");
        let archive = LocalBlobs::at_route(data.join("archive"), &opts.dev_secret, clock.clone(), "/_archive");
        let local_blobs = LocalBlobs::new(blob_root, &opts.dev_secret, clock.clone());
        let blobs: Arc<dyn Blobs> = match &opts.blobs {
            Some(blobs) => blobs.clone(),
            None => Arc::new(local_blobs.clone()),
        };
        let search = match &opts.data_dir {
            Some(dir) => SqliteSearch::open(&dir.join("search.sqlite3"))?,
            None => SqliteSearch::in_memory()?,
        };
        let chat = Arc::new(
            Chat::new(shared_store, clock.clone(), realtime.clone())
                .with_rate_limits(opts.rate_limits.clone())
                .with_default_retention(opts.default_retention_days)
                .with_uploads(blobs, opts.uploads.clone())
                .with_search(Arc::new(search.clone()))
                .with_archive(Arc::new(archive.clone())),
        );
        let archiver =
            tokio::spawn(feed::run_archiver(store.clone(), archive.clone(), search.clone(), opts.archive_window));
        let retention_chat = chat.clone();
        let retention_every = opts.retention_interval;
        let retention = tokio::spawn(async move {
            loop {
                tokio::time::sleep(retention_every).await;
                if let Err(e) = retention_chat.run_retention().await {
                    tracing::warn!(error = %e, "retention run failed");
                }
            }
        });
        let indexer = tokio::spawn(feed::run_search_indexer(store.clone(), search.clone(), opts.index_window));
        let auth = Arc::new(match &opts.oidc {
            Some(o) => Authenticator::oidc(&o.issuer, &o.audience, &o.jwks_url).and_dev(&opts.dev_secret),
            None => Authenticator::dev(&opts.dev_secret),
        });
        let page_config = page_config(opts.oidc.as_ref());
        if opts.seed {
            seed::demo(&chat).await.context("seeding demo data")?;
        }
        let api = AppState { chat: chat.clone(), auth: auth.clone(), limits: opts.limits.clone(), metrics };
        let ws_app =
            Arc::new(ws::WsApp { realtime: realtime.clone(), auth: auth.clone(), limits: opts.limits.clone() });
        let state = LocalState {
            api: api.clone(),
            ws: ws_app,
            registry: registry.clone(),
            clock,
            idle_timeout: opts.idle_timeout,
        };

        if !opts.addr.ip().is_loopback() && opts.extra_hosts.is_empty() {
            anyhow::bail!(
                "LOCAL_ADDR {} is not a loopback address: anyone who can reach it can mint dev tokens; \
                 set LOCAL_HOSTS to the host names it may be reached by to do so anyway",
                opts.addr
            );
        }
        let management = Arc::new(guard::management_credentials(&opts.dev_secret));
        let mut app = http_api::router(api.clone())
            .merge(
                Router::new()
                    .route("/api/v1/dev/token", post(dev_token))
                    .route("/api/v1/dev/retention/run", post(run_retention))
                    .with_state(api),
            )
            .route("/config.json", axum::routing::get(move || std::future::ready(Json(page_config.clone()))))
            .merge(emulator::routes(state, management.clone()))
            .merge(blobs::routes(local_blobs.clone(), opts.uploads.max_bytes))
            .merge(blobs::routes(archive.clone(), 0));
        if let Some(dir) = &opts.static_dir {
            let index = dir.join("index.html");
            app = app.fallback_service(
                tower_http::services::ServeDir::new(dir).fallback(tower_http::services::ServeFile::new(index)),
            );
        }
        if !opts.allowed_origins.is_empty() {
            app = app.layer(cors(&opts.allowed_origins)?);
        }
        let listener =
            tokio::net::TcpListener::bind(opts.addr).await.with_context(|| format!("binding {}", opts.addr))?;
        let addr = listener.local_addr()?;
        if !addr.ip().is_loopback() {
            tracing::warn!(%addr, "the local stack is reachable beyond this machine: its dev sign-in is open to all who reach it");
        }
        let app = app.layer(axum::middleware::from_fn_with_state(
            guard::AllowedHosts::new(addr, &opts.extra_hosts),
            guard::require_known_host,
        ));
        local_blobs.set_base_url(&format!("http://{addr}"));
        archive.set_base_url(&format!("http://{addr}"));
        let sweeper = local_blobs.clone();
        let expiring = store.clone();
        let sweep = tokio::spawn(async move {
            loop {
                // The S3 lifecycle rule's twin: files never attached go after a day.
                if let Err(e) = sweeper.sweep_staged(std::time::Duration::from_secs(24 * 3600)).await {
                    tracing::warn!(error = %e, "sweeping unattached uploads failed");
                }
                // DynamoDB TTL's twin: expired connections, counters, staged uploads, change log.
                if let Err(e) = expiring.sweep_expired().await {
                    tracing::warn!(error = %e, "sweeping expired items failed");
                }
                tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            }
        });
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let service = app.into_make_service_with_connect_info::<SocketAddr>();
            if let Err(e) = axum::serve(listener, service).with_graceful_shutdown(async { drop(rx.await) }).await {
                tracing::error!(error = %e, "server stopped");
            }
        });
        Ok(Stack {
            addr,
            realtime,
            store,
            registry,
            chat,
            auth,
            blobs: local_blobs,
            search,
            shutdown: Some(tx),
            server,
            background: vec![sweep, indexer, archiver, retention].into_iter().chain(fanout_workers).collect(),
            archive,
            management,
        })
    }

    /// Waits until the search index has every change the store has made (tests).
    pub async fn wait_indexed(&self) -> anyhow::Result<()> {
        let target = *self.store.feed_head().borrow();
        for _ in 0..500 {
            if self.search.checkpoint(feed::SEARCH_CONSUMER).await? >= target {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        anyhow::bail!("search index did not catch up")
    }

    /// Waits until the archive holds every change the store has made (tests).
    pub async fn wait_archived(&self) -> anyhow::Result<()> {
        let target = *self.store.feed_head().borrow();
        for _ in 0..500 {
            if self.search.checkpoint(feed::ARCHIVE_CONSUMER).await? >= target {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        anyhow::bail!("archive did not catch up")
    }

    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Issues a development token, as `POST /api/v1/dev/token` does.
    pub fn token(&self, tenant: &str, user: &str, display_name: &str, roles: &[&str]) -> anyhow::Result<String> {
        Ok(self.auth.issue_dev_token(&dev_claims(
            tenant,
            user,
            display_name,
            roles.iter().map(|r| r.to_string()).collect(),
        )?)?)
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.server.abort();
        for task in &self.background {
            task.abort();
        }
        let _ = (&mut self.server).await;
    }
}

/// Development tokens live 12 hours.
const DEV_TOKEN_SECS: u64 = 12 * 3600;

/// The page's config.json (client/src/lib/config.ts): same-origin API and WebSocket, the demo
/// sign-in, and the identity provider when one is configured.
fn page_config(oidc: Option<&AuthConfig>) -> serde_json::Value {
    let mut config = serde_json::json!({ "devSignIn": true });
    if let Some(o) = oidc {
        config["oidc"] = serde_json::json!({ "authority": o.issuer, "clientId": o.audience, "providerName": "the identity provider" });
    }
    config
}

fn dev_claims(tenant: &str, user: &str, display_name: &str, roles: Vec<String>) -> Result<Claims, ApiError> {
    let tenant = TenantId::parse(tenant)?;
    let user = UserId::parse(user)?;
    let name = DisplayName::parse(display_name)?;
    let now = (SystemClock.now_ms() / 1000) as u64;
    Ok(Claims {
        sub: user.to_string(),
        tenant_id: Some(tenant.to_string()),
        roles,
        name: Some(name.as_str().to_owned()),
        preferred_username: Some(user.to_string()),
        exp: now + DEV_TOKEN_SECS,
        iat: Some(now),
        iss: DEV_ISSUER.to_owned(),
        aud: DEV_AUDIENCE.into(),
        ..Default::default()
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DevTokenRequest {
    tenant_id: String,
    user_id: String,
    display_name: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
}

/// Local only: signs people and tests in without an identity provider. Never compiled into a
/// Lambda (this crate is not deployed).
async fn dev_token(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<DevTokenRequest>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let display = body.display_name.clone().unwrap_or_else(|| body.user_id.clone());
    let claims = dev_claims(&body.tenant_id, &body.user_id, &display, body.roles)?;
    let token = state.auth.issue_dev_token(&claims)?;
    Ok((StatusCode::OK, Json(serde_json::json!({ "token": token }))))
}

/// Local only: runs the retention job now (a tenant admin's token), instead of waiting for the timer.
async fn run_retention(
    State(state): State<AppState>,
    http_api::extract::Authed(caller): http_api::extract::Authed,
) -> Result<Json<shared::app::RetentionReport>, ApiError> {
    if !caller.is_tenant_admin() {
        return Err(ApiError::forbidden("tenant admins only"));
    }
    Ok(Json(state.chat.run_retention().await?))
}
