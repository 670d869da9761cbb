//! Accounts, API clients, sessions, one-time secrets, abuse counters, OpenID flows, the SMS outbox and the audit log.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use sscard_domain::access::Channel;
use sscard_domain::account::{Account, AccountKind, LoginIdentifier, Username};
use sscard_domain::audit::AuditEntry;
use sscard_domain::values::{IdNumber, Mobile, PersonName, Uscc};

use super::*;

/// An OpenID Connect login in progress, between the redirect to the provider and its callback. `state` is the
/// SHA-256 of the state parameter; the nonce and PKCE verifier are needed in clear at the callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcFlow {
    pub state: String,
    pub provider: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// The pre-login session that started it: a callback in another browser is refused.
    pub bound_to: String,
    pub expires_at: DateTime<FixedOffset>,
}

#[async_trait]
pub trait OidcFlowStore: Send + Sync {
    async fn create_oidc_flow(&self, f: &OidcFlow) -> StoreResult<()>;
    /// Takes a live flow by its state hash: a second take of the same flow finds nothing.
    async fn take_oidc_flow(&self, state: &str, now: DateTime<FixedOffset>) -> StoreResult<Option<OidcFlow>>;
}

/// An account to create. `password_hash` is an Argon2id PHC string.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: String,
    pub kind: AccountKind,
    pub username: Option<Username>,
    pub mobile: Option<Mobile>,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub created_at: DateTime<FixedOffset>,
}

/// Which unique key a new account collided with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountConflict {
    Username,
    Mobile,
    IdNumber,
    ExternalIdentity,
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates the account and appends `audit` in the same transaction (nothing of either on a conflict).
    async fn create_account(
        &self,
        new: &NewAccount,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<Result<Account, AccountConflict>>;
    async fn account(&self, id: &str) -> StoreResult<Option<Account>>;
    /// The account a login identifier names, with its password hash. A resident's ID number names an account
    /// only after real-name authentication bound it.
    async fn account_for_login(&self, login: &LoginIdentifier) -> StoreResult<Option<(Account, Option<String>)>>;
    /// Binds a verified name and ID number to a resident account. `Err(IdNumber)` when another account holds it.
    /// `audit` is appended in the same transaction.
    async fn bind_real_name(
        &self,
        account: &str,
        id_number: &IdNumber,
        name: &PersonName,
        at: DateTime<FixedOffset>,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<Result<(), AccountConflict>>;
    /// The account linked to an external identity (provider, subject), if any.
    async fn account_for_external(&self, provider: &str, subject: &str) -> StoreResult<Option<Account>>;
    /// Creates an account and links it to an external identity in one transaction.
    async fn create_external_account(
        &self,
        new: &NewAccount,
        provider: &str,
        subject: &str,
        real_name: Option<(&IdNumber, &PersonName)>,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<Result<Account, AccountConflict>>;
    async fn link_external(
        &self,
        provider: &str,
        subject: &str,
        account: &str,
        at: DateTime<FixedOffset>,
    ) -> StoreResult<Result<(), AccountConflict>>;
    /// Accounts bound to an entity (its handlers).
    async fn entity_handlers(&self, uscc: &Uscc) -> StoreResult<Vec<Account>>;
    async fn count_accounts(&self) -> StoreResult<u64>;
    /// Disables or enables an account, with `audit`, in one transaction; disabling also revokes its live
    /// sessions and tokens. `false` when there is no such account.
    async fn set_account_disabled(
        &self,
        id: &str,
        disabled: bool,
        at: DateTime<FixedOffset>,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// Changes an account's password (ending its live sessions and tokens) or its binding (of the same role),
    /// with `audit`, in one transaction. `false` when there is no such account (of that role).
    async fn change_account(
        &self,
        change: &AccountChange,
        at: DateTime<FixedOffset>,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// The accounts of one role, by username, at most `limit`.
    async fn accounts_with_role(&self, role: sscard_domain::access::Role, limit: u32) -> StoreResult<Vec<Account>>;
}

/// What the console changes in a staff account.
#[derive(Debug, Clone)]
pub enum AccountChange {
    /// A new password hash (or machine-secret hash): the account's sessions end.
    Password { id: String, hash: String },
    /// A new binding to a bank branch, outlet, entity or bank, of the same role.
    Binding { id: String, kind: AccountKind },
}

/// A registered API client: a channel (`jingtong`, `minsheng`, `wechat_official`, or `web` for the bureau's
/// own tools) identified by client credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiClient {
    pub client_id: String,
    pub name: String,
    pub channel: Channel,
    pub secret_hash: String,
}

#[async_trait]
pub trait ClientStore: Send + Sync {
    /// `false` when the client id is taken.
    async fn create_client(&self, client: &ApiClient, at: DateTime<FixedOffset>) -> StoreResult<bool>;
    async fn client(&self, client_id: &str) -> StoreResult<Option<ApiClient>>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// A portal cookie.
    Cookie,
    /// An API bearer token.
    Bearer,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Cookie => "cookie",
            SessionKind::Bearer => "bearer",
        }
    }
}

/// A session or token as stored: `id` is the SHA-256 of the secret the client holds, never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: String,
    /// `None` for an anonymous pre-login session (it holds the login form's CSRF token and captcha).
    pub account: Option<String>,
    pub kind: SessionKind,
    pub channel: Channel,
    pub client_id: Option<String>,
    pub csrf: String,
    pub created_at: DateTime<FixedOffset>,
    pub expires_at: DateTime<FixedOffset>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Creates the session and appends `audit` (the login or token it records) in the same transaction.
    async fn create_session(&self, s: &SessionRecord, audit: Option<&AuditEntry>) -> StoreResult<()>;
    /// The session if it exists, is not revoked and has not expired at `now`.
    async fn live_session(&self, id: &str, now: DateTime<FixedOffset>) -> StoreResult<Option<SessionRecord>>;
    /// The live session and its account, in one query (every authenticated request asks this).
    async fn live_session_with_account(
        &self,
        id: &str,
        now: DateTime<FixedOffset>,
    ) -> StoreResult<Option<(SessionRecord, Option<Account>)>>;
    /// `true` when a live session was revoked.
    async fn revoke_session(
        &self,
        id: &str,
        at: DateTime<FixedOffset>,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<bool>;
    /// Revokes every live session and token of an account; returns how many. `audit` in the same transaction.
    async fn revoke_account_sessions(
        &self,
        account: &str,
        at: DateTime<FixedOffset>,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<u64>;
    async fn account_sessions(&self, account: &str, now: DateTime<FixedOffset>) -> StoreResult<Vec<SessionRecord>>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeKind {
    Captcha,
    SmsCode,
}

impl ChallengeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeKind::Captcha => "captcha",
            ChallengeKind::SmsCode => "sms",
        }
    }
}

/// A one-time secret: a captcha answer bound to a login attempt, or an SMS code bound to a mobile number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub id: String,
    pub kind: ChallengeKind,
    /// What it is bound to: the pre-login session or API client (captcha), the mobile number (SMS).
    pub bound_to: String,
    pub secret_hash: String,
    pub expires_at: DateTime<FixedOffset>,
    pub failures: u32,
}

#[async_trait]
pub trait ChallengeStore: Send + Sync {
    async fn create_challenge(&self, c: &Challenge, at: DateTime<FixedOffset>) -> StoreResult<()>;
    /// An unused, unexpired challenge by id.
    async fn challenge(&self, id: &str, now: DateTime<FixedOffset>) -> StoreResult<Option<Challenge>>;
    /// The newest unused, unexpired challenge of a kind bound to `bound_to`.
    async fn latest_challenge(
        &self,
        kind: ChallengeKind,
        bound_to: &str,
        now: DateTime<FixedOffset>,
    ) -> StoreResult<Option<Challenge>>;
    /// Marks it used. `false` when it already was (someone else used it first): the caller must refuse.
    async fn consume_challenge(&self, id: &str, at: DateTime<FixedOffset>) -> StoreResult<bool>;
    /// Counts a wrong answer; returns the failures so far.
    async fn fail_challenge(&self, id: &str) -> StoreResult<u32>;
}

/// Counted events for the abuse limits, by bucket (e.g. `login_account:{id}`).
#[async_trait]
pub trait RateStore: Send + Sync {
    async fn record_event(&self, bucket: &str, at: DateTime<FixedOffset>) -> StoreResult<()>;
    async fn events_since(&self, bucket: &str, since: DateTime<FixedOffset>)
        -> StoreResult<Vec<DateTime<FixedOffset>>>;
    async fn clear_events(&self, bucket: &str) -> StoreResult<()>;
}

/// A text message waiting to be sent. Bodies never contain links (SPEC §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsMessage {
    pub id: String,
    pub mobile: Mobile,
    pub body: String,
    pub created_at: DateTime<FixedOffset>,
    pub attempts: u32,
}

#[async_trait]
pub trait OutboxStore: Send + Sync {
    async fn enqueue_sms(&self, m: &SmsMessage) -> StoreResult<()>;
    /// A one-time code: its challenge, the text that carries it and the audit entry, in one transaction.
    async fn send_code(&self, c: &Challenge, m: &SmsMessage, audit: &AuditEntry) -> StoreResult<()>;
    /// Claims up to `limit` due messages for `lease`; a claimed message is invisible to other workers until the
    /// lease ends (PostgreSQL: `FOR UPDATE SKIP LOCKED`).
    async fn claim_sms(
        &self,
        limit: u32,
        now: DateTime<FixedOffset>,
        lease: chrono::Duration,
    ) -> StoreResult<Vec<SmsMessage>>;
    /// Extends a claimed message's lease to `until`, right before it is handed to the gateway; `false` when
    /// the claim is no longer this worker's (`attempts` moved on: another worker claimed it after this one's
    /// lease ran out) or the message was sent, and then it must not be sent.
    async fn renew_sms(&self, id: &str, attempts: u32, until: DateTime<FixedOffset>) -> StoreResult<bool>;
    async fn mark_sms_sent(&self, id: &str, at: DateTime<FixedOffset>) -> StoreResult<()>;
    async fn mark_sms_failed(&self, id: &str, error: &str, retry_at: DateTime<FixedOffset>) -> StoreResult<()>;
    async fn pending_sms(&self) -> StoreResult<u64>;
}

/// The append-only audit log: there is no update or delete here, by design.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn append_audit(&self, e: &AuditEntry) -> StoreResult<()>;
    /// Reads of a person's data by anyone other than themselves, newest first (their PIPL access log).
    async fn person_access_log(&self, id_number: &str, limit: u32) -> StoreResult<Vec<AuditEntry>>;
    /// The newest entries, optionally of one actor (for the admin).
    async fn recent_audit(&self, actor: Option<&str>, limit: u32) -> StoreResult<Vec<AuditEntry>>;
}
