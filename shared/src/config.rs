//! Configuration from environment variables, read once at cold start. Limits live here, in one
//! type, so every function enforces the same numbers.

use std::env;

#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest HTTP request body (a 40,000-character message in 4-byte UTF-8 plus JSON fits).
    pub max_body_bytes: usize,
    /// Largest WebSocket frame a client may send (API Gateway's own limit is 128 KiB).
    pub max_frame_bytes: usize,
    /// How long `$disconnect` waits before deciding a user whose last connection closed is
    /// offline (`PRESENCE_GRACE_MS`): a quick reconnect changes nothing.
    pub presence_grace_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_body_bytes: 256 * 1024, max_frame_bytes: 32 * 1024, presence_grace_ms: 5_000 }
    }
}

#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub issuer: String,
    pub audience: String,
    pub jwks_url: String,
}

#[derive(Debug, Clone, Default)]
pub struct Config {
    pub table_name: String,
    /// Attachments bucket (`ATTACHMENTS_BUCKET`); uploads are refused without one.
    pub attachments_bucket: Option<String>,
    pub uploads: crate::domain::files::UploadRules,
    pub rate_limits: crate::domain::limits::RateLimits,
    /// `DEFAULT_RETENTION_DAYS`: retention for tenants without a policy (unset or 0: forever).
    pub default_retention_days: Option<u32>,
    /// `CHAT_DEBUG=true`: debug-level logs of socket activity and request handling.
    pub debug: bool,
    pub auth: Option<AuthConfig>,
    pub limits: Limits,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn number(name: &str, default: usize) -> Result<usize, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| ConfigError(format!("{name} must be a whole number, got {v:?}"))),
    }
}

pub fn debug_enabled() -> bool {
    matches!(var("CHAT_DEBUG").as_deref(), Some("true" | "1" | "yes"))
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let defaults = Limits::default();
        let auth = match (var("JWT_ISSUER"), var("JWT_AUDIENCE")) {
            (Some(issuer), Some(audience)) => {
                let jwks_url = var("JWKS_URL")
                    .unwrap_or_else(|| format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/')));
                Some(AuthConfig { issuer, audience, jwks_url })
            }
            (None, None) => None,
            _ => return Err(ConfigError("JWT_ISSUER and JWT_AUDIENCE go together".into())),
        };
        let mut uploads = crate::domain::files::UploadRules::default();
        uploads.max_bytes = number("UPLOAD_MAX_BYTES", uploads.max_bytes as usize)? as u64;
        uploads.url_ttl_secs = number("UPLOAD_URL_TTL_SECS", uploads.url_ttl_secs as usize)? as u64;
        if let Some(denied) = var("UPLOAD_DENIED_TYPES") {
            uploads.denied_types =
                denied.split(',').map(|t| t.trim().to_ascii_lowercase()).filter(|t| !t.is_empty()).collect();
        }
        let mut rate_limits = crate::domain::limits::RateLimits::production();
        for (name, slot) in rate_limits.by_variable() {
            if let Some(value) = var(name) {
                *slot = if value == "off" {
                    None
                } else {
                    Some(value.parse().map_err(|e| ConfigError(format!("{name}: {e}")))?)
                };
            }
        }
        let default_retention_days = match number("DEFAULT_RETENTION_DAYS", 0)? {
            0 => None,
            days => Some(days as u32),
        };
        Ok(Self {
            default_retention_days,
            rate_limits,
            attachments_bucket: var("ATTACHMENTS_BUCKET"),
            uploads,
            table_name: var("TABLE_NAME").unwrap_or_else(|| "tenant-chat".into()),
            debug: debug_enabled(),
            auth,
            limits: Limits {
                max_body_bytes: number("MAX_BODY_BYTES", defaults.max_body_bytes)?,
                max_frame_bytes: number("MAX_FRAME_BYTES", defaults.max_frame_bytes)?,
                presence_grace_ms: number("PRESENCE_GRACE_MS", defaults.presence_grace_ms as usize)? as u64,
            },
        })
    }
}

/// `FANOUT_INLINE_MAX`, `FANOUT_CONCURRENCY` and `FANOUT_SLICE_SIZE`: where fan-out runs, how
/// wide the fan-out function posts, and past how many recipients it splits the audience.
pub fn fanout_settings() -> Result<crate::domain::limits::FanoutSettings, ConfigError> {
    let defaults = crate::domain::limits::FanoutSettings::default();
    let settings = crate::domain::limits::FanoutSettings {
        inline_max: number("FANOUT_INLINE_MAX", defaults.inline_max)?,
        consumer_concurrency: number("FANOUT_CONCURRENCY", defaults.consumer_concurrency)?,
        slice_size: number("FANOUT_SLICE_SIZE", defaults.slice_size)?,
    };
    if settings.consumer_concurrency == 0 || settings.slice_size == 0 {
        return Err(ConfigError("FANOUT_CONCURRENCY and FANOUT_SLICE_SIZE must be at least 1".into()));
    }
    Ok(settings)
}

/// JSON logs in Lambda (CloudWatch), readable ones on a terminal; `CHAT_DEBUG=true` lowers the
/// level of our own crates to debug. `RUST_LOG` overrides both.
pub fn init_tracing(json: bool) {
    init_tracing_to(json, std::io::stdout);
}

/// As `init_tracing`, writing to `writer` (tests capture the logs to check what they hold).
pub fn init_tracing_to<W>(json: bool, writer: W)
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    use tracing_subscriber::EnvFilter;
    let default = if debug_enabled() { "info,shared=debug,http_api=debug,ws=debug,local=debug" } else { "info" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer);
    let result = if json {
        builder.json().flatten_event(true).with_current_span(true).without_time().try_init()
    } else {
        builder.with_target(false).try_init()
    };
    // Already initialised (tests start several stacks in one process): keep the first.
    drop(result);
}
