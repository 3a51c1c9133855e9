//! Rate limits, counted in the store (so they hold across Lambda instances): a fixed window per
//! user (and conversation, or connection) and action. Slack's posting limit of about one message
//! a second per channel is the reference: the default lets a burst of 10 through per 10 seconds.

use std::str::FromStr;

use serde_json::Value;

use super::error::{ChatError, ChatResult};
use super::ids::{TenantId, UserId};
use crate::ports::clock::Clock;
use crate::ports::store::{Cond, Key, Store, Update, TTL_ATTR};

/// `count` actions per `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub window_secs: u32,
}

impl FromStr for Rate {
    type Err = String;
    /// `"10/10"`: ten per ten seconds.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (count, window) = s.split_once('/').ok_or("expected COUNT/SECONDS")?;
        let count: u32 = count.trim().parse().map_err(|_| "bad count")?;
        let window_secs: u32 = window.trim().parse().map_err(|_| "bad seconds")?;
        if count == 0 || window_secs == 0 {
            return Err("count and seconds must be positive".into());
        }
        Ok(Rate { count, window_secs })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimits {
    /// Sends per user per conversation.
    pub sends: Option<Rate>,
    /// Upload intents per user.
    pub uploads: Option<Rate>,
    /// Subscribe frames per connection.
    pub subscribes: Option<Rate>,
}

impl RateLimits {
    pub fn production() -> Self {
        Self {
            sends: Some(Rate { count: 10, window_secs: 10 }),
            uploads: Some(Rate { count: 30, window_secs: 60 }),
            subscribes: Some(Rate { count: 30, window_secs: 60 }),
        }
    }
}

/// Counts one action; refuses it (with the seconds until the window ends) past the limit.
pub async fn check_rate(
    store: &dyn Store,
    clock: &dyn Clock,
    tenant: &TenantId,
    user: &UserId,
    action: &str,
    scope: &str,
    rate: Option<Rate>,
) -> ChatResult<()> {
    let Some(rate) = rate else { return Ok(()) };
    let now_s = clock.now_ms() / 1000;
    let window = i64::from(rate.window_secs);
    let start = now_s - now_s.rem_euclid(window);
    let key = Key::new(crate::keys::user_pk(tenant, user), format!("RATE#{action}#{scope}#{start}"));
    let update = Update::default().add("count", 1).set(TTL_ATTR, start + window + 60);
    let after = store.update(&key, update, Cond::Always).await?;
    let count = after.get("count").and_then(Value::as_i64).unwrap_or(0);
    if count > i64::from(rate.count) {
        let retry_after = (start + window - now_s).max(1) as u64;
        tracing::debug!(tenant = %tenant, action, count, "rate limited");
        return Err(ChatError::RateLimited { retry_after_secs: retry_after });
    }
    Ok(())
}
