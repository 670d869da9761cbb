//! The abuse limits of logins and quotas (SPEC §3, §9), counted in the store and judged by the policy table.

use chrono::{DateTime, FixedOffset};
use sscard_domain::account::Account;
use sscard_domain::security::Limit;

use crate::ports::StoreError;

use crate::AppContext;

use super::*;

/// Seconds from now until `until`, at least one (a `Retry-After` of 0 invites a retry storm).
pub(super) fn seconds_until(ctx: &AppContext, until: DateTime<FixedOffset>) -> u64 {
    u64::try_from((until - ctx.clock.now()).num_seconds())
        .unwrap_or(0)
        .max(1)
}

pub(super) fn locked(ctx: &AppContext, until: DateTime<FixedOffset>) -> AuthError {
    AuthError::Locked {
        until,
        retry_after_secs: seconds_until(ctx, until),
    }
}

pub(super) fn rate_limited(ctx: &AppContext, until: DateTime<FixedOffset>) -> AuthError {
    AuthError::RateLimited {
        until,
        retry_after_secs: seconds_until(ctx, until),
    }
}

/// `Some(until)` when the limit is reached for this bucket. A counter that cannot be read is an error (the
/// caller answers 503), never "no limit" and never a lockout.
pub(super) async fn limited(
    ctx: &AppContext,
    limit: &Limit,
    key: &str,
) -> Result<Option<DateTime<FixedOffset>>, StoreError> {
    let now = ctx.clock.now();
    let bucket = format!("{}:{key}", limit.name);
    let events = ctx.store.events_since(&bucket, now - limit.window).await?;
    Ok(limit.check(&events, now).err())
}

/// Counts this attempt first, then judges it with every attempt counted so far: of a burst of concurrent
/// attempts, no more than the limit pass, whatever their interleaving.
pub(super) async fn attempt(
    ctx: &AppContext,
    limit: &Limit,
    key: &str,
) -> Result<Option<DateTime<FixedOffset>>, StoreError> {
    let now = ctx.clock.now();
    let bucket = format!("{}:{key}", limit.name);
    ctx.store.record_event(&bucket, now).await?;
    let events = ctx.store.events_since(&bucket, now - limit.window).await?;
    Ok(limit.check_recorded(&events, now).err())
}

/// The key of an account's attempts from one address.
pub(super) fn account_address(account: &Account, meta: &Meta) -> String {
    format!("{}|{}", account.id, meta.ip.as_deref().unwrap_or("-"))
}

pub(super) async fn count(ctx: &AppContext, limit: &Limit, key: &str) -> Result<(), StoreError> {
    ctx.store
        .record_event(&format!("{}:{key}", limit.name), ctx.clock.now())
        .await
}

/// Checks a limit and, when not yet reached, counts one more event against it.
pub async fn take_quota(ctx: &AppContext, limit: &Limit, key: &str) -> Result<(), AuthError> {
    if let Some(until) = limited(ctx, limit, key).await? {
        return Err(rate_limited(ctx, until));
    }
    count(ctx, limit, key).await?;
    Ok(())
}
