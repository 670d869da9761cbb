//! Sessions and tokens after login: the anonymous pre-login session, resolving one, logging out.

use sscard_domain::access::Channel;
use sscard_domain::account::{Account, Principal};
use sscard_domain::audit::{AuditAction, Outcome};
use sscard_domain::security::{self};

use crate::ports::{SessionKind, SessionRecord, StoreError};

use crate::secrets::sha256_hex;
use crate::AppContext;

use super::*;

/// An anonymous pre-login portal session: it carries the login form's CSRF token and binds its captchas.
pub async fn start_anonymous_session(ctx: &AppContext, meta: &Meta) -> Result<(String, SessionRecord), StoreError> {
    let now = ctx.clock.now();
    let secret = ctx.secrets.token();
    let s = SessionRecord {
        id: sha256_hex(&[&secret]),
        account: None,
        kind: SessionKind::Cookie,
        channel: Channel::Web,
        client_id: None,
        csrf: ctx.secrets.token(),
        created_at: now,
        expires_at: now + security::ANONYMOUS_SESSION_TTL,
        ip: meta.ip.clone(),
        user_agent: None,
    };
    ctx.store.create_session(&s, None).await?;
    Ok((secret, s))
}

/// The live session a secret names, and its principal when it belongs to an enabled account.
pub async fn resolve(
    ctx: &AppContext,
    secret: &str,
    kind: SessionKind,
) -> Result<Option<(SessionRecord, Option<Principal>)>, StoreError> {
    let id = sha256_hex(&[secret]);
    let Some((s, account)) = ctx.store.live_session_with_account(&id, ctx.clock.now()).await? else {
        return Ok(None);
    };
    if s.kind != kind {
        return Ok(None);
    }
    let principal = account.filter(|a| !a.disabled).map(|account| Principal {
        account,
        channel: s.channel,
        session: s.id.clone(),
    });
    Ok(Some((s, principal)))
}

pub async fn logout(ctx: &AppContext, p: &Principal, meta: &Meta) -> Result<(), StoreError> {
    let e = principal_entry(
        ctx,
        p,
        AuditAction::Logout,
        Outcome::Success,
        Some(format!("account:{}", p.account.id)),
        meta,
    );
    ctx.store.revoke_session(&p.session, ctx.clock.now(), Some(&e)).await?;
    Ok(())
}

/// Ends every session and token of the account, this one included.
pub async fn logout_everywhere(ctx: &AppContext, p: &Principal, meta: &Meta) -> Result<u64, StoreError> {
    let e = principal_entry(
        ctx,
        p,
        AuditAction::LogoutEverywhere,
        Outcome::Success,
        Some(format!("account:{}", p.account.id)),
        meta,
    );
    ctx.store
        .revoke_account_sessions(&p.account.id, ctx.clock.now(), Some(&e))
        .await
}

/// The caller's live sessions and tokens, newest first ("where am I logged in").
pub async fn my_sessions(ctx: &AppContext, p: &Principal) -> Result<Vec<SessionRecord>, StoreError> {
    ctx.store.account_sessions(&p.account.id, ctx.clock.now()).await
}

/// The caller's account as it is stored now (after a change such as real-name authentication).
pub async fn my_account(ctx: &AppContext, p: &Principal) -> Result<Option<Account>, StoreError> {
    ctx.store.account(&p.account.id).await
}
