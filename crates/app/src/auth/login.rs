//! Logging in: password + captcha, SMS code, registration, a login another door verified; the session issued.

use sscard_domain::access::Channel;
use sscard_domain::account::{Account, AccountKind, LoginIdentifier, Password, Username};
use sscard_domain::audit::{AuditAction, Outcome};
use sscard_domain::security::{self};
use sscard_domain::values::Mobile;

use crate::ports::{NewAccount, SessionKind, SessionRecord};

use crate::secrets::{hash_password, new_id, sha256_hex, verify_password};
use crate::AppContext;

use super::challenges::*;
use super::limits::*;
use super::*;

/// A new session or token for the account, written with the audit entry of `action` (a login, a token).
pub(super) async fn issue(
    ctx: &AppContext,
    account: &Account,
    channel: Channel,
    kind: SessionKind,
    client_id: Option<String>,
    meta: &Meta,
    action: AuditAction,
) -> Result<Issued, AuthError> {
    let now = ctx.clock.now();
    let ttl = match (kind, &account.kind) {
        (SessionKind::Cookie, _) => security::PORTAL_SESSION_TTL,
        (SessionKind::Bearer, AccountKind::BankSystem { .. }) => security::BANK_SYSTEM_TOKEN_TTL,
        (SessionKind::Bearer, _) => security::API_TOKEN_TTL,
    };
    let secret = ctx.secrets.token();
    let session = SessionRecord {
        id: sha256_hex(&[&secret]),
        account: Some(account.id.clone()),
        kind,
        channel: account.kind.fixed_channel().unwrap_or(channel),
        client_id,
        csrf: ctx.secrets.token(),
        created_at: now,
        expires_at: now + ttl,
        ip: meta.ip.clone(),
        user_agent: meta.user_agent.as_ref().map(|u| u.chars().take(200).collect()),
    };
    let audit = with_account(entry(ctx, action, Outcome::Success, session.channel, meta), account);
    ctx.store.create_session(&session, Some(&audit)).await?;
    Ok(Issued {
        secret,
        session,
        account: account.clone(),
    })
}

/// Logs in an account another door already verified (an external identity provider).
pub async fn login_as(ctx: &AppContext, via: &Via, account: &Account, meta: &Meta) -> Result<Issued, AuthError> {
    check_locks(ctx, via, Some(account), true, meta).await?;
    succeed(ctx, via, account, meta).await
}

/// After a successful login: clear the account's failures, end the pre-login session (the id changes at login),
/// issue the new session, and audit.
pub(super) async fn succeed(ctx: &AppContext, via: &Via, account: &Account, meta: &Meta) -> Result<Issued, AuthError> {
    ctx.store
        .clear_events(&format!(
            "{}:{}",
            security::LOGIN_ATTEMPTS_PER_ACCOUNT_ADDRESS.name,
            account_address(account, meta)
        ))
        .await?;
    let (kind, client) = match via {
        Via::Portal { pre_session } => {
            if let Some(pre) = pre_session {
                ctx.store.revoke_session(pre, ctx.clock.now(), None).await?;
            }
            (SessionKind::Cookie, None)
        }
        Via::Api { client } => (SessionKind::Bearer, Some(client.client_id.clone())),
    };
    issue(
        ctx,
        account,
        via.channel(),
        kind,
        client,
        meta,
        AuditAction::LoginSucceeded,
    )
    .await
}

pub(super) async fn fail(ctx: &AppContext, via: &Via, account: Option<&Account>, meta: &Meta) -> Result<(), AuthError> {
    if let Some(ip) = &meta.ip {
        count(ctx, &security::LOGIN_FAILURES_PER_IP, ip).await?;
    }
    let mut e = entry(ctx, AuditAction::LoginFailed, Outcome::Failure, via.channel(), meta);
    if let Some(a) = account {
        count(ctx, &security::LOGIN_FAILURES_PER_ACCOUNT, &a.id).await?;
        e = with_account(e, a);
    }
    ctx.store.append_audit(&e).await?;
    Ok(())
}

/// Refuses while the address (when `address` is set) or the account is locked, auditing the refusal. For an
/// account, this attempt is counted against it from this address before it is judged (see [`attempt`]); a
/// success clears that count.
pub(super) async fn check_locks(
    ctx: &AppContext,
    via: &Via,
    account: Option<&Account>,
    address: bool,
    meta: &Meta,
) -> Result<(), AuthError> {
    let mut until = None;
    if let (true, Some(ip)) = (address, &meta.ip) {
        until = limited(ctx, &security::LOGIN_FAILURES_PER_IP, ip).await?;
    }
    if let (None, Some(a)) = (until, account) {
        until = limited(ctx, &security::LOGIN_FAILURES_PER_ACCOUNT, &a.id).await?;
    }
    if let (None, Some(a)) = (until, account) {
        until = attempt(
            ctx,
            &security::LOGIN_ATTEMPTS_PER_ACCOUNT_ADDRESS,
            &account_address(a, meta),
        )
        .await?;
    }
    let Some(until) = until else { return Ok(()) };
    let mut e = entry(ctx, AuditAction::LoginFailed, Outcome::Refused, via.channel(), meta);
    if let Some(a) = account {
        e = with_account(e, a);
    }
    ctx.store.append_audit(&e).await?;
    Err(locked(ctx, until))
}

/// Username, mobile or ID number + password + captcha.
pub async fn login_with_password(
    ctx: &AppContext,
    via: &Via,
    door: Door,
    login: &str,
    password: &str,
    captcha: (&str, &str),
    meta: &Meta,
) -> Result<Issued, AuthError> {
    check_locks(ctx, via, None, true, meta).await?;
    // The captcha first: without it, nothing is learnt about the account or the password.
    spend_captcha(ctx, via, captcha.0, captcha.1).await?;
    let found = match LoginIdentifier::parse(login, ctx.clock.now().date_naive()) {
        Some(l) => ctx.store.account_for_login(&l).await?,
        None => None,
    };
    let (account, hash) = match found {
        Some((a, h)) if door.admits(&a.kind) => (Some(a), h),
        _ => (None, None),
    };
    // The address was checked above; now the account.
    check_locks(ctx, via, account.as_ref(), false, meta).await?;
    let ok = verify_password(Password::offered(password).expose(), hash.as_deref()).await?;
    match account {
        Some(a) if ok => {
            if a.disabled {
                fail(ctx, via, Some(&a), meta).await?;
                return Err(AuthError::Disabled);
            }
            succeed(ctx, via, &a, meta).await
        }
        other => {
            fail(ctx, via, other.as_ref(), meta).await?;
            Err(AuthError::InvalidCredentials)
        }
    }
}

/// Mobile + SMS code.
pub async fn login_with_sms(
    ctx: &AppContext,
    via: &Via,
    mobile: &Mobile,
    code: &str,
    meta: &Meta,
) -> Result<Issued, AuthError> {
    let account = ctx
        .store
        .account_for_login(&LoginIdentifier::Mobile(mobile.clone()))
        .await?
        .map(|(a, _)| a)
        .filter(|a| Door::Public.admits(&a.kind));
    check_locks(ctx, via, account.as_ref(), true, meta).await?;
    if let Err(e) = spend_sms_code(ctx, mobile, code).await {
        fail(ctx, via, account.as_ref(), meta).await?;
        return Err(e);
    }
    match account {
        // Only the holder of the phone learns that no account uses it.
        None => Err(AuthError::NoAccountForMobile),
        Some(a) if a.disabled => Err(AuthError::Disabled),
        Some(a) => succeed(ctx, via, &a, meta).await,
    }
}

/// A new resident account: mobile proven by an SMS code, a password, optionally a username. Logs in.
pub async fn register(
    ctx: &AppContext,
    via: &Via,
    mobile: &Mobile,
    code: &str,
    password: &str,
    username: Option<&str>,
    meta: &Meta,
) -> Result<Issued, AuthError> {
    let password = Password::new_password(password)?;
    let username = username
        .filter(|u| !u.trim().is_empty())
        .map(Username::parse)
        .transpose()?;
    check_locks(ctx, via, None, true, meta).await?;
    if let Err(e) = spend_sms_code(ctx, mobile, code).await {
        fail(ctx, via, None, meta).await?;
        return Err(e);
    }
    let now = ctx.clock.now();
    let new = NewAccount {
        id: new_id(),
        kind: AccountKind::Resident,
        username,
        mobile: Some(mobile.clone()),
        display_name: mobile.masked(),
        password_hash: Some(hash_password(password.expose()).await?),
        created_at: now,
    };
    let mut e = entry(ctx, AuditAction::AccountCreated, Outcome::Success, via.channel(), meta);
    e.actor = Some(new.id.clone());
    e.role = Some(new.kind.role());
    e.record = Some(format!("account:{}", new.id));
    let account = ctx
        .store
        .create_account(&new, Some(&e))
        .await?
        .map_err(AuthError::Taken)?;
    succeed(ctx, via, &account, meta).await
}
