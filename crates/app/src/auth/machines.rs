//! Machine credentials: a channel client's (HTTP Basic) and a bank system's (client-credentials grant).

use sscard_domain::access::Channel;
use sscard_domain::account::{AccountKind, LoginIdentifier, Username};
use sscard_domain::audit::{AuditAction, Outcome};

use crate::ports::{ApiClient, SessionKind};

use crate::secrets::verify_machine_secret;
use crate::AppContext;

use super::login::*;
use super::*;

/// An API client by its credentials (HTTP Basic). The secret is a random token checked with a keyed hash in
/// microseconds: it cannot be guessed, so a wrong one locks nothing out (a lockout here would let anyone who
/// read the client id out of a public mini-program shut the whole channel). Nothing is written on failure.
pub async fn authenticate_client(
    ctx: &AppContext,
    client_id: &str,
    secret: &str,
    meta: &Meta,
) -> Result<ApiClient, AuthError> {
    let now = ctx.clock.now();
    let client = match ctx.machines.client(client_id, now) {
        Some(c) => Some(c),
        None => {
            let found = ctx.store.client(client_id).await?;
            if let Some(c) = &found {
                ctx.machines.keep_client(c, now);
            }
            found
        }
    };
    let ok = verify_machine_secret(secret, client.as_ref().map(|c| c.secret_hash.as_str())).await?;
    match client {
        Some(c) if ok => Ok(c),
        _ => {
            tracing::info!(client_id, ip = meta.ip.as_deref(), "client authentication failed");
            Err(AuthError::ClientUnauthorized)
        }
    }
}

/// A bank system's token (client-credentials grant): its username and secret.
pub async fn bank_system_token(
    ctx: &AppContext,
    client_id: &str,
    secret: &str,
    meta: &Meta,
) -> Result<Issued, AuthError> {
    let via = Via::Api {
        client: ApiClient {
            client_id: client_id.to_string(),
            name: String::new(),
            channel: Channel::BankOutlet,
            secret_hash: String::new(),
        },
    };
    let now = ctx.clock.now();
    let found = match ctx.machines.bank_system(client_id, now) {
        Some(kept) => Some(kept),
        None => {
            let read = match Username::parse(client_id) {
                Ok(u) => ctx.store.account_for_login(&LoginIdentifier::Username(u)).await?,
                Err(_) => None,
            };
            if let Some((a, h)) = read
                .as_ref()
                .filter(|(a, _)| matches!(a.kind, AccountKind::BankSystem { .. }))
            {
                ctx.machines.keep_bank_system(client_id, a, h.clone(), now);
            }
            read
        }
    };
    let (account, hash) = match found {
        Some((a, h)) if matches!(a.kind, AccountKind::BankSystem { .. }) => (Some(a), h),
        _ => (None, None),
    };
    // A machine's secret: a keyed hash, no lockout (see `authenticate_client`); failures are audited.
    let ok = verify_machine_secret(secret, hash.as_deref()).await?;
    match account {
        Some(a) if ok && !a.disabled => {
            issue(
                ctx,
                &a,
                Channel::BankOutlet,
                SessionKind::Bearer,
                None,
                meta,
                AuditAction::TokenIssued,
            )
            .await
        }
        other => {
            let mut e = entry(ctx, AuditAction::LoginFailed, Outcome::Failure, via.channel(), meta);
            if let Some(a) = &other {
                e = with_account(e, a);
            }
            ctx.store.append_audit(&e).await?;
            Err(AuthError::ClientUnauthorized)
        }
    }
}
