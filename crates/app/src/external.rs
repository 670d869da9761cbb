//! Logging in through an external identity provider (SPEC §3): the provider asserts a verified person (ID
//! number + name) or entity (USCC); this maps the assertion to an account, creating one on first use.
//!
//! A person whose asserted name and ID number match the registry is real-name bound at once (the provider
//! has verified them); otherwise they may log in but must still pass real-name authentication to apply.

use sscard_domain::account::{AccountKind, LoginIdentifier};
use sscard_domain::audit::{AuditAction, Outcome};
use sscard_domain::values::{IdNumber, PersonName, Uscc};

use crate::auth::{entry, login_as, AuthError, Issued, Meta, Via};
use crate::ports::{AccountConflict, NewAccount};
use crate::secrets::new_id;
use crate::AppContext;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternalIdentity {
    Person { id_number: IdNumber, name: PersonName },
    Entity { uscc: Uscc, name: String },
}

#[derive(Debug, thiserror::Error)]
pub enum ExternalError {
    #[error("the entity {0} is not registered with the bureau")]
    UnknownEntity(String),
    #[error("the identity is linked to a disabled account")]
    Disabled,
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] crate::ports::StoreError),
}

pub async fn login_external(
    ctx: &AppContext,
    via: &Via,
    provider: &str,
    subject: &str,
    identity: &ExternalIdentity,
    meta: &Meta,
) -> Result<Issued, ExternalError> {
    let now = ctx.clock.now();
    if let Some(a) = ctx.store.account_for_external(provider, subject).await? {
        if a.disabled {
            return Err(ExternalError::Disabled);
        }
        return Ok(login_as(ctx, via, &a, meta).await?);
    }
    // The creation's audit entry, written with the account.
    let created = |new: &NewAccount| {
        let mut e = entry(ctx, AuditAction::AccountCreated, Outcome::Success, via.channel(), meta);
        e.actor = Some(new.id.clone());
        e.role = Some(new.kind.role());
        e.record = Some(format!("account:{}", new.id));
        e
    };
    let account = match identity {
        ExternalIdentity::Person { id_number, name } => {
            let registered = ctx
                .store
                .person(id_number)
                .await?
                .is_some_and(|p| p.name.as_str() == name.as_str());
            let existing = ctx
                .store
                .account_for_login(&LoginIdentifier::IdNumber(id_number.clone()))
                .await?
                .map(|(a, _)| a)
                .filter(|a| a.kind == AccountKind::Resident);
            match existing {
                Some(a) => {
                    match ctx.store.link_external(provider, subject, &a.id, now).await? {
                        Ok(()) | Err(AccountConflict::ExternalIdentity) => {}
                        Err(c) => return Err(AuthError::Taken(c).into()),
                    }
                    let mut e = entry(ctx, AuditAction::AccountCreated, Outcome::Success, via.channel(), meta);
                    e.actor = Some(a.id.clone());
                    e.role = Some(a.role());
                    e.record = Some(format!("account:{}", a.id));
                    ctx.store.append_audit(&e).await?;
                    a
                }
                None => {
                    let new = NewAccount {
                        id: new_id(),
                        kind: AccountKind::Resident,
                        username: None,
                        mobile: None,
                        display_name: name.as_str().to_string(),
                        password_hash: None,
                        created_at: now,
                    };
                    let bind = registered.then_some((id_number, name));
                    ctx.store
                        .create_external_account(&new, provider, subject, bind, Some(&created(&new)))
                        .await?
                        .map_err(AuthError::Taken)?
                }
            }
        }
        ExternalIdentity::Entity { uscc, name } => {
            if ctx.store.entity(uscc).await?.is_none() {
                return Err(ExternalError::UnknownEntity(uscc.as_str().to_string()));
            }
            let new = NewAccount {
                id: new_id(),
                kind: AccountKind::EntityHandler { entity: uscc.clone() },
                username: None,
                mobile: None,
                display_name: name.chars().take(60).collect(),
                password_hash: None,
                created_at: now,
            };
            ctx.store
                .create_external_account(&new, provider, subject, None, Some(&created(&new)))
                .await?
                .map_err(AuthError::Taken)?
        }
    };
    Ok(login_as(ctx, via, &account, meta).await?)
}

/// Remembers an authorisation flow just started (state, nonce, PKCE verifier), bound to the browser's session.
pub async fn begin_flow(ctx: &AppContext, flow: &crate::ports::OidcFlow) -> Result<(), crate::ports::StoreError> {
    ctx.store.create_oidc_flow(flow).await
}

/// Takes (spends) the flow a callback's state names, if it is live.
pub async fn take_flow(
    ctx: &AppContext,
    state_hash: &str,
) -> Result<Option<crate::ports::OidcFlow>, crate::ports::StoreError> {
    ctx.store.take_oidc_flow(state_hash, ctx.clock.now()).await
}
