//! Logging in and out (SPEC §3, §9): password + captcha, mobile + SMS code, registration, API client and bank
//! system credentials, sessions and bearer tokens, and the abuse limits around all of them.
//!
//! Every attempt, good or bad, leaves an audit entry. A wrong answer never says which part was wrong beyond
//! what the person already knows (a wrong captcha is named; "no such account" and "wrong password" are one).
//!
//! - [`login`]: password + captcha, SMS code, registration, a login another door verified; the session issued.
//! - [`challenges`]: captchas and SMS codes, each spent once.
//! - [`limits`]: the abuse limits, counted and judged (every refusal says when to come back).
//! - [`machines`]: channel clients' and bank systems' credentials (random tokens, keyed hashes, no lockout).
//! - [`sessions`]: anonymous pre-login sessions, resolving a session or token, logging out, "my sessions".

use chrono::{DateTime, FixedOffset};
use sscard_domain::access::Channel;
use sscard_domain::account::{Account, AccountKind, Principal};
use sscard_domain::audit::{AuditAction, AuditEntry, Outcome};

use crate::ports::{AccountConflict, ApiClient, SessionRecord, StoreError};

use crate::secrets::PasswordHashError;
use crate::AppContext;

mod challenges;
mod limits;
mod login;
mod machines;
mod sessions;

pub(crate) use challenges::{issue_code, spend_code};
pub use challenges::{new_captcha, new_sum_captcha, send_sms_code};
pub use limits::take_quota;
pub use login::{login_as, login_with_password, login_with_sms, register};
pub use machines::{authenticate_client, bank_system_token};
pub use sessions::{logout, logout_everywhere, my_account, my_sessions, resolve, start_anonymous_session};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown account or wrong password: deliberately one answer.
    #[error("the account or password is wrong")]
    InvalidCredentials,
    #[error("the characters in the picture were wrong, used or expired")]
    CaptchaWrong,
    #[error("the SMS code was wrong, used or expired")]
    CodeWrong,
    #[error("locked until {until}")]
    Locked {
        until: DateTime<FixedOffset>,
        retry_after_secs: u64,
    },
    #[error("too many requests; try again at {until}")]
    RateLimited {
        until: DateTime<FixedOffset>,
        retry_after_secs: u64,
    },
    #[error("the account is disabled")]
    Disabled,
    /// The API client's credentials are missing or wrong.
    #[error("client authentication failed")]
    ClientUnauthorized,
    /// A staff login page used by a resident, or the reverse.
    #[error("this account cannot log in here")]
    WrongDoor,
    #[error("no account uses this mobile number")]
    NoAccountForMobile,
    #[error("an account already uses this {0:?}")]
    Taken(AccountConflict),
    #[error("password: {0}")]
    BadPassword(#[from] sscard_domain::account::PasswordError),
    #[error("username: {0}")]
    BadUsername(#[from] sscard_domain::account::UsernameError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] PasswordHashError),
}

/// Where a request comes from, for the audit log and the per-address limits.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// How the person reached us: the portal (with its pre-login session) or an API client.
#[derive(Debug, Clone)]
pub enum Via {
    Portal { pre_session: Option<String> },
    Api { client: ApiClient },
}

impl Via {
    pub fn channel(&self) -> Channel {
        match self {
            Via::Portal { .. } => Channel::Web,
            Via::Api { client } => client.channel,
        }
    }
    /// What a captcha is bound to: the pre-login session, or the client.
    pub fn captcha_binding(&self) -> String {
        match self {
            Via::Portal { pre_session } => format!("session:{}", pre_session.as_deref().unwrap_or("-")),
            Via::Api { client } => format!("client:{}", client.client_id),
        }
    }
}

/// A session or token just issued: `secret` goes to the client once and is never stored.
#[derive(Debug, Clone)]
pub struct Issued {
    pub secret: String,
    pub session: SessionRecord,
    pub account: Account,
}

/// Which accounts a login door admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// Residents and entity handlers.
    Public,
    /// Clerks, agents and the admin.
    Staff,
    /// Either (API clients of the bureau's own tools).
    Any,
}

impl Door {
    fn admits(self, kind: &AccountKind) -> bool {
        match (self, kind) {
            (_, AccountKind::BankSystem { .. }) => false,
            (Door::Public, k) => !k.is_staff(),
            (Door::Staff, k) => k.is_staff(),
            (Door::Any, _) => true,
        }
    }
}

pub fn entry(ctx: &AppContext, action: AuditAction, outcome: Outcome, channel: Channel, meta: &Meta) -> AuditEntry {
    AuditEntry {
        at: ctx.clock.now(),
        actor: None,
        role: None,
        channel,
        organisation: None,
        action,
        record: None,
        subject_person: None,
        purpose: None,
        outcome,
        ip: meta.ip.clone(),
    }
}

fn with_account(mut e: AuditEntry, a: &Account) -> AuditEntry {
    e.actor = Some(a.id.clone());
    e.role = Some(a.role());
    e.organisation = a.kind.organisation();
    e.record = Some(format!("account:{}", a.id));
    e
}

/// The audit entry of a principal's action on a record.
pub fn principal_entry(
    ctx: &AppContext,
    p: &Principal,
    action: AuditAction,
    outcome: Outcome,
    record: Option<String>,
    meta: &Meta,
) -> AuditEntry {
    let mut e = with_account(entry(ctx, action, outcome, p.channel, meta), &p.account);
    e.record = record;
    e
}
