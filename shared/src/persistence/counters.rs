//! Rate counters: one item per window and key (`ADD count 1`, expiring by TTL a minute after its
//! window), so a limit holds across every Lambda instance.

use serde_json::Value;

use crate::domain::error::{ChatError, ChatResult};
use crate::domain::ids::{ConversationId, TenantId, UserId};
use crate::domain::limits::Rate;
use crate::persistence::attrs;
use crate::persistence::keys;
use crate::ports::clock::Clock;
use crate::ports::store::{Cond, Store, Update, TTL_ATTR};

/// Counts one action of `user`; refuses it (with the seconds until the window ends) past the limit.
pub async fn check_rate(
    store: &dyn Store,
    clock: &dyn Clock,
    tenant: &TenantId,
    user: &UserId,
    action: &str,
    scope: &str,
    rate: Option<Rate>,
) -> ChatResult<()> {
    spend(store, clock, tenant, keys::user_pk(tenant, user), &format!("{action}#{scope}"), rate).await
}

/// Counts one change taking `conversation`'s sequence against its budget, shared by all members.
pub async fn check_conversation_rate(
    store: &dyn Store,
    clock: &dyn Clock,
    tenant: &TenantId,
    conversation: &ConversationId,
    rate: Option<Rate>,
) -> ChatResult<()> {
    spend(store, clock, tenant, keys::conversation_pk(tenant, conversation), "write", rate).await
}

/// One counter item per window (`ADD count 1`, expiring by TTL a minute after its window).
async fn spend(
    store: &dyn Store,
    clock: &dyn Clock,
    tenant: &TenantId,
    pk: String,
    action: &str,
    rate: Option<Rate>,
) -> ChatResult<()> {
    let Some(rate) = rate else { return Ok(()) };
    let now_s = clock.now_ms() / 1000;
    let window = i64::from(rate.window_secs);
    let start = now_s - now_s.rem_euclid(window);
    let key = keys::rate_counter(pk, action, start);
    let update = Update::default().add(attrs::COUNT, 1).set(TTL_ATTR, start + window + 60);
    let after = store.update(&key, update, Cond::Always).await?;
    let count = after.get(attrs::COUNT).and_then(Value::as_i64).unwrap_or(0);
    if count > i64::from(rate.count) {
        let retry_after = (start + window - now_s).max(1) as u64;
        tracing::debug!(tenant = %tenant, action, count, "rate limited");
        return Err(ChatError::RateLimited { retry_after_secs: retry_after });
    }
    Ok(())
}
