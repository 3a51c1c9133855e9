//! `make dev`: the whole system on a laptop at http://127.0.0.1:3000, data in `./.data`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use local::{Stack, StackOptions};
use shared::config::{init_tracing, Config};
use shared::ports::clock::{Clock, SystemClock};

/// Every request allocates across many threads (tokio workers, SQLite's blocking pool), where
/// glibc's malloc spent a quarter of the server's CPU in the end-to-end benchmark.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A per-checkout secret for dev tokens, made once and kept in the data folder.
fn dev_secret(data_dir: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let path = data_dir.join("dev-jwt-secret");
    if let Ok(secret) = std::fs::read(&path) {
        if secret.len() >= 32 {
            return Ok(secret);
        }
    }
    std::fs::create_dir_all(data_dir)?;
    let secret: String = (0..48).map(|_| char::from(b'a' + rand_byte() % 26)).collect();
    std::fs::write(&path, &secret).with_context(|| format!("writing {}", path.display()))?;
    Ok(secret.into_bytes())
}

fn rand_byte() -> u8 {
    rand::random::<u8>()
}

/// `LOCAL_CLOCK_OFFSET_SECS`: the stack runs that far from the real time (negative: in the
/// past). Browser tests seed messages over several days by restarting it on the same data
/// with different offsets; tokens keep the real time.
fn clock_offset() -> anyhow::Result<Option<std::sync::Arc<dyn Clock>>> {
    let Ok(raw) = std::env::var("LOCAL_CLOCK_OFFSET_SECS") else { return Ok(None) };
    let secs: i64 = raw.trim().parse().context("LOCAL_CLOCK_OFFSET_SECS")?;
    Ok(Some(std::sync::Arc::new(OffsetClock(secs.saturating_mul(1000)))))
}

struct OffsetClock(i64);

impl Clock for OffsetClock {
    fn now_ms(&self) -> i64 {
        SystemClock.now_ms().saturating_add(self.0)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_tracing(std::env::var("LOG_FORMAT").is_ok_and(|f| f == "json"));
    let config = Config::from_env()?;
    let addr: SocketAddr =
        std::env::var("LOCAL_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into()).parse().context("LOCAL_ADDR")?;
    let data_dir = PathBuf::from(std::env::var("DATA_DIR").unwrap_or_else(|_| ".data".into()));
    let idle = std::env::var("LOCAL_WS_IDLE_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(600);
    let static_dir = PathBuf::from(std::env::var("CLIENT_DIST").unwrap_or_else(|_| "client/dist".into()));
    let stack = Stack::start(StackOptions {
        addr,
        dev_secret: dev_secret(&data_dir)?,
        data_dir: Some(data_dir),
        idle_timeout: Duration::from_secs(idle),
        static_dir: static_dir.exists().then_some(static_dir),
        seed: std::env::var("SEED_DEMO").map(|v| v != "false").unwrap_or(true),
        rate_limits: config.rate_limits.clone(),
        default_retention_days: config.default_retention_days,
        limits: config.limits,
        metrics_flush_ms: 5_000,
        uploads: config.uploads.clone(),
        blobs: None,
        clock: clock_offset()?,
        retention_interval: Duration::from_secs(
            std::env::var("RETENTION_INTERVAL_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(3600),
        ),
        index_window: Duration::from_secs(1),
        archive_window: Duration::from_secs(5),
        oidc: config.auth.clone(),
        allowed_origins: std::env::var("ALLOWED_ORIGINS")
            .map(|v| v.split(',').map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect())
            .unwrap_or_default(),
        extra_hosts: std::env::var("LOCAL_HOSTS")
            .map(|v| v.split(',').map(|h| h.trim().to_owned()).filter(|h| !h.is_empty()).collect())
            .unwrap_or_default(),
        fanout: shared::config::fanout_settings()?,
    })
    .await?;
    tracing::info!(url = %stack.http_url(), ws = %stack.ws_url(), "Tenant Chat is running");
    println!("Tenant Chat: {}  (WebSocket {}?token=…)", stack.http_url(), stack.ws_url());
    tokio::signal::ctrl_c().await?;
    stack.stop().await;
    Ok(())
}
