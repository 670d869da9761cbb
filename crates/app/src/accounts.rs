//! The admin's account management (SPEC §2, §10): staff, entity handlers, bank systems and API clients.
//! Bindings are checked against reference data: a clerk's branch must exist and belong to their bank.

use sscard_domain::access::Channel;
use sscard_domain::account::{Account, AccountKind, Password, Username};
use sscard_domain::audit::{AuditAction, Outcome};

use crate::auth::{entry, Meta};
use crate::ports::{AccountConflict, ApiClient, BranchFilter, NewAccount, StoreError};
use crate::secrets::{
    hash_password, machine_secret_acceptable, machine_secret_hash, new_id, PasswordHashError, MACHINE_SECRET_MIN_CHARS,
};
use crate::AppContext;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("unknown bank {0}")]
    UnknownBank(String),
    #[error("unknown branch {0} of that bank")]
    UnknownBranch(String),
    #[error("unknown outlet {0}")]
    UnknownOutlet(String),
    #[error("unknown entity {0}")]
    UnknownEntity(String),
    #[error("residents register themselves")]
    ResidentsRegisterThemselves,
    #[error("an account already uses this {0:?}")]
    Taken(AccountConflict),
    #[error("the client id is taken")]
    ClientTaken,
    #[error("a channel client is one of jingtong, minsheng, wechat_official, web")]
    NotAClientChannel,
    #[error("password: {0}")]
    BadPassword(#[from] sscard_domain::account::PasswordError),
    /// A machine's secret (bank system, channel client) must be a random token, not a chosen word.
    #[error("a machine secret needs at least {MACHINE_SECRET_MIN_CHARS} characters and no spaces")]
    WeakMachineSecret,
    #[error("no such account")]
    NotFound,
    /// An administrator cannot lock themselves out (another administrator can).
    #[error("an administrator cannot disable their own account")]
    OwnAccount,
    /// A binding belongs to a role: rebinding never changes what an account may do.
    #[error("the binding is for another role")]
    RoleMismatch,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] PasswordHashError),
}

/// Disables (or enables again) an account. A disabled account's sessions and tokens end at once, on every
/// instance: each request reads its session with the account (`auth::sessions`), and disabling also revokes
/// them. Audited with the administrator who did it.
pub async fn set_disabled(
    ctx: &AppContext,
    by: &sscard_domain::account::Principal,
    id: &str,
    disabled: bool,
    meta: &Meta,
) -> Result<(), AccountError> {
    if disabled && by.account.id == id {
        return Err(AccountError::OwnAccount);
    }
    let audit = crate::auth::principal_entry(
        ctx,
        by,
        sscard_domain::audit::AuditAction::StateChanged,
        sscard_domain::audit::Outcome::Success,
        Some(format!(
            "account:{id}:{}",
            if disabled { "disabled" } else { "enabled" }
        )),
        meta,
    );
    if ctx
        .store
        .set_account_disabled(id, disabled, ctx.clock.now(), &audit)
        .await?
    {
        Ok(())
    } else {
        Err(AccountError::NotFound)
    }
}

/// Who creates an account: the admin's account id through the API, `None` from the CLI (the operator).
pub async fn create_account(
    ctx: &AppContext,
    by: Option<&Account>,
    mut kind: AccountKind,
    username: Username,
    display_name: &str,
    password: &str,
    meta: &Meta,
) -> Result<Account, AccountError> {
    // A person's password is hashed slowly; a machine's random token with a keyed hash (crate::secrets).
    let password_hash = if matches!(kind, AccountKind::BankSystem { .. }) {
        if !machine_secret_acceptable(password) {
            return Err(AccountError::WeakMachineSecret);
        }
        machine_secret_hash(password)
    } else {
        hash_password(Password::new_password(password)?.expose()).await?
    };
    checked_binding(ctx, &mut kind).await?;
    let new = NewAccount {
        id: new_id(),
        kind,
        username: Some(username),
        mobile: None,
        display_name: display_name.trim().chars().take(60).collect(),
        password_hash: Some(password_hash),
        created_at: ctx.clock.now(),
    };
    let mut e = entry(ctx, AuditAction::AccountCreated, Outcome::Success, Channel::Web, meta);
    if let Some(admin) = by {
        e.actor = Some(admin.id.clone());
        e.role = Some(admin.role());
    }
    e.record = Some(format!("account:{}", new.id));
    let account = ctx
        .store
        .create_account(&new, Some(&e))
        .await?
        .map_err(AccountError::Taken)?;
    Ok(account)
}

/// Checks a binding against reference data: the bank exists, the branch is that bank's, the outlet and the
/// entity exist. An outlet clerk's district is taken from the outlet's own record, whatever the caller said.
async fn checked_binding(ctx: &AppContext, kind: &mut AccountKind) -> Result<(), AccountError> {
    match kind {
        AccountKind::Resident => return Err(AccountError::ResidentsRegisterThemselves),
        AccountKind::BankClerk { bank, branch } => {
            let filter = BranchFilter {
                bank: Some(bank.clone()),
                ..BranchFilter::default()
            };
            if ctx.codes.bank(bank).is_none() {
                return Err(AccountError::UnknownBank(bank.clone()));
            }
            if !ctx.store.branches(&filter).await?.iter().any(|b| &b.code == branch) {
                return Err(AccountError::UnknownBranch(branch.clone()));
            }
        }
        AccountKind::BankSystem { bank } if ctx.codes.bank(bank).is_none() => {
            return Err(AccountError::UnknownBank(bank.clone()));
        }
        AccountKind::OutletClerk { outlet, district } => {
            // The district comes from the outlet's own record, whatever the caller said.
            let found = ctx.store.outlets(None).await?.into_iter().find(|o| &o.code == outlet);
            match found {
                Some(o) => *district = o.district,
                None => return Err(AccountError::UnknownOutlet(outlet.clone())),
            }
        }
        AccountKind::EntityHandler { entity } if ctx.store.entity(entity).await?.is_none() => {
            return Err(AccountError::UnknownEntity(entity.as_str().to_string()));
        }
        _ => {}
    }
    Ok(())
}

/// Registers an API client of a channel; returns the client and its secret (shown once). The secret is
/// generated unless given (the demo data uses known ones).
pub async fn create_client(
    ctx: &AppContext,
    client_id: &str,
    name: &str,
    channel: Channel,
    secret: Option<&str>,
) -> Result<(ApiClient, String), AccountError> {
    if !matches!(
        channel,
        Channel::Jingtong | Channel::Minsheng | Channel::WechatOfficial | Channel::Web
    ) {
        return Err(AccountError::NotAClientChannel);
    }
    let secret = secret.map(str::to_string).unwrap_or_else(|| ctx.secrets.token());
    if !machine_secret_acceptable(&secret) {
        return Err(AccountError::WeakMachineSecret);
    }
    let client = ApiClient {
        client_id: client_id.to_string(),
        name: name.to_string(),
        channel,
        secret_hash: machine_secret_hash(&secret),
    };
    if !ctx.store.create_client(&client, ctx.clock.now()).await? {
        return Err(AccountError::ClientTaken);
    }
    Ok((client, secret))
}

/// The newest audit entries, of one actor or of everyone (the admin's view, SPEC §9).
pub async fn audit_log(
    ctx: &AppContext,
    actor: Option<&str>,
    limit: u32,
) -> Result<Vec<sscard_domain::audit::AuditEntry>, StoreError> {
    ctx.store.recent_audit(actor, limit).await
}

/// Sets a new password for a staff account (a bank system's: a new machine secret). Its sessions and tokens end
/// at once; audited with the administrator who did it.
pub async fn reset_password(
    ctx: &AppContext,
    by: &sscard_domain::account::Principal,
    id: &str,
    password: &str,
    meta: &Meta,
) -> Result<(), AccountError> {
    let account = ctx.store.account(id).await?.ok_or(AccountError::NotFound)?;
    if matches!(account.kind, AccountKind::Resident) {
        // A resident resets their own password by SMS code; the bureau never sets it.
        return Err(AccountError::ResidentsRegisterThemselves);
    }
    let hash = if matches!(account.kind, AccountKind::BankSystem { .. }) {
        if !machine_secret_acceptable(password) {
            return Err(AccountError::WeakMachineSecret);
        }
        machine_secret_hash(password)
    } else {
        hash_password(Password::new_password(password)?.expose()).await?
    };
    let audit = crate::auth::principal_entry(
        ctx,
        by,
        AuditAction::AccountChanged,
        Outcome::Success,
        Some(format!("account:{id}:password")),
        meta,
    );
    let change = crate::ports::AccountChange::Password {
        id: id.to_string(),
        hash,
    };
    if ctx.store.change_account(&change, ctx.clock.now(), &audit).await? {
        Ok(())
    } else {
        Err(AccountError::NotFound)
    }
}

/// Binds a clerk to another branch (of a bank) or outlet, a handler to another entity, a bank system to another
/// bank; the role never changes (`role_mismatch`). Checked against reference data like a new account's.
pub async fn rebind(
    ctx: &AppContext,
    by: &sscard_domain::account::Principal,
    id: &str,
    mut kind: AccountKind,
    meta: &Meta,
) -> Result<(), AccountError> {
    let account = ctx.store.account(id).await?.ok_or(AccountError::NotFound)?;
    if account.role() != kind.role() {
        return Err(AccountError::RoleMismatch);
    }
    checked_binding(ctx, &mut kind).await?;
    let audit = crate::auth::principal_entry(
        ctx,
        by,
        AuditAction::AccountChanged,
        Outcome::Success,
        Some(format!("account:{id}:binding")),
        meta,
    );
    let change = crate::ports::AccountChange::Binding {
        id: id.to_string(),
        kind,
    };
    if ctx.store.change_account(&change, ctx.clock.now(), &audit).await? {
        Ok(())
    } else {
        Err(AccountError::NotFound)
    }
}

/// The staff roles the console lists.
pub const STAFF_ROLES: [sscard_domain::access::Role; 6] = [
    sscard_domain::access::Role::Admin,
    sscard_domain::access::Role::BankClerk,
    sscard_domain::access::Role::OutletClerk,
    sscard_domain::access::Role::HotlineAgent,
    sscard_domain::access::Role::BankSystem,
    sscard_domain::access::Role::EntityHandler,
];

/// The accounts of a staff role (of every staff role for `None`) whose username or name holds `q` (any case),
/// at most 500.
pub async fn staff(
    ctx: &AppContext,
    role: Option<sscard_domain::access::Role>,
    q: &str,
) -> Result<Vec<Account>, AccountError> {
    let roles: Vec<_> = match role {
        Some(r) if STAFF_ROLES.contains(&r) => vec![r],
        Some(_) => return Err(AccountError::ResidentsRegisterThemselves),
        None => STAFF_ROLES.to_vec(),
    };
    let mut all = Vec::new();
    for r in roles {
        all.extend(ctx.store.accounts_with_role(r, 5000).await?);
    }
    let q = q.trim().to_lowercase();
    Ok(all
        .into_iter()
        .filter(|a| {
            q.is_empty()
                || a.display_name.to_lowercase().contains(&q)
                || a.username
                    .as_ref()
                    .is_some_and(|u| u.as_str().to_lowercase().contains(&q))
        })
        .take(500)
        .collect())
}

/// One staff account, for the console's page of it (`None` for a resident's or an unknown id).
pub async fn staff_account(ctx: &AppContext, id: &str) -> Result<Option<Account>, AccountError> {
    Ok(ctx.store.account(id).await?.filter(|a| STAFF_ROLES.contains(&a.role())))
}

/// How a change's author reads on a page: each account id's username (its id when it has none or is gone).
pub async fn who(ctx: &AppContext, ids: &[&str]) -> Result<std::collections::HashMap<String, String>, StoreError> {
    let mut names = std::collections::HashMap::new();
    for id in ids {
        if names.contains_key(*id) {
            continue;
        }
        let name = ctx
            .store
            .account(id)
            .await?
            .and_then(|a| a.username.map(|u| u.as_str().to_string()))
            .unwrap_or_else(|| (*id).to_string());
        names.insert((*id).to_string(), name);
    }
    Ok(names)
}
