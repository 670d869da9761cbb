//! The channel matrix in force (SPEC §7.4): the domain's table, less the cells the bureau has suspended for a
//! while (a channel's system down, an incident). The suspensions are one setting, read from the database on every
//! check, so a change made on one instance is in force on all at once; every change is kept with who made it.

use sscard_domain::access::{Channel, Role};
use sscard_domain::account::Principal;
use sscard_domain::card::channels::{
    check_with, Acting, Condition, Service, SuspensionError, Suspensions, WrongChannel,
};

use crate::ports::{SettingChange, StoreError};
use crate::AppContext;

/// The setting's key; its value is `service:channel` pairs separated by commas.
pub const SETTING: &str = "channel_suspensions";

pub async fn suspensions(ctx: &AppContext) -> Result<Suspensions, StoreError> {
    let text = ctx.store.setting(SETTING).await?.unwrap_or_default();
    Suspensions::parse(&text).map_err(|e| StoreError::Corrupt(format!("{SETTING}: {e}")))
}

/// The cell's conditions, or the refusal naming the channels still open; the outer error is the database's.
pub async fn check(
    ctx: &AppContext,
    service: Service,
    channel: Channel,
    acting: Acting,
) -> Result<Result<Vec<Condition>, WrongChannel>, StoreError> {
    Ok(check_with(service, channel, acting, &suspensions(ctx).await?))
}

#[derive(Debug, thiserror::Error)]
pub enum SuspendError {
    #[error("only the bureau's administrators suspend a channel")]
    Forbidden,
    #[error(transparent)]
    Refused(#[from] SuspensionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Suspends (or restores) a service on a channel, kept with who did it; the list as it now stands.
pub async fn set(
    ctx: &AppContext,
    p: &Principal,
    service: Service,
    channel: Channel,
    suspended: bool,
) -> Result<Suspensions, SuspendError> {
    if p.role() != Role::Admin {
        return Err(SuspendError::Forbidden);
    }
    let now = suspensions(ctx).await?.with(service, channel, suspended)?;
    ctx.store
        .change_setting(SETTING, &now.as_setting(), &p.account.id, ctx.clock.now())
        .await?;
    Ok(now)
}

/// The suspensions' kept changes, newest first (at most 50).
pub async fn changes(ctx: &AppContext) -> Result<Vec<SettingChange>, StoreError> {
    ctx.store.setting_changes(SETTING, 50).await
}
