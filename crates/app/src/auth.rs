//! Logging in and out (SPEC §3, §9): password + captcha, mobile + SMS code, registration, API client and bank
//! system credentials, sessions and bearer tokens, and the abuse limits around all of them.
//!
//! Every attempt, good or bad, leaves an audit entry. A wrong answer never says which part was wrong beyond
//! what the person already knows (a wrong captcha is named; "no such account" and "wrong password" are one).

use chrono::{DateTime, FixedOffset};
use sscard_domain::access::Channel;
use sscard_domain::account::{Account, AccountKind, LoginIdentifier, Password, Principal, Username};
use sscard_domain::audit::{sms_code_message, AuditAction, AuditEntry, Outcome};
use sscard_domain::security::{self, Limit};
use sscard_domain::values::Mobile;

use crate::ports::{
    AccountConflict, ApiClient, Challenge, ChallengeKind, NewAccount, SessionKind, SessionRecord, SmsMessage,
    StoreError,
};
use crate::secrets::{hash_password, new_id, sha256_hex, verify_machine_secret, verify_password, PasswordHashError};
use crate::AppContext;

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

/// Seconds from now until `until`, at least one (a `Retry-After` of 0 invites a retry storm).
fn seconds_until(ctx: &AppContext, until: DateTime<FixedOffset>) -> u64 {
    u64::try_from((until - ctx.clock.now()).num_seconds())
        .unwrap_or(0)
        .max(1)
}

fn locked(ctx: &AppContext, until: DateTime<FixedOffset>) -> AuthError {
    AuthError::Locked {
        until,
        retry_after_secs: seconds_until(ctx, until),
    }
}

fn rate_limited(ctx: &AppContext, until: DateTime<FixedOffset>) -> AuthError {
    AuthError::RateLimited {
        until,
        retry_after_secs: seconds_until(ctx, until),
    }
}

/// `Some(until)` when the limit is reached for this bucket. A counter that cannot be read is an error (the
/// caller answers 503), never "no limit" and never a lockout.
async fn limited(ctx: &AppContext, limit: &Limit, key: &str) -> Result<Option<DateTime<FixedOffset>>, StoreError> {
    let now = ctx.clock.now();
    let bucket = format!("{}:{key}", limit.name);
    let events = ctx.store.events_since(&bucket, now - limit.window).await?;
    Ok(limit.check(&events, now).err())
}

/// Counts this attempt first, then judges it with every attempt counted so far: of a burst of concurrent
/// attempts, no more than the limit pass, whatever their interleaving.
async fn attempt(ctx: &AppContext, limit: &Limit, key: &str) -> Result<Option<DateTime<FixedOffset>>, StoreError> {
    let now = ctx.clock.now();
    let bucket = format!("{}:{key}", limit.name);
    ctx.store.record_event(&bucket, now).await?;
    let events = ctx.store.events_since(&bucket, now - limit.window).await?;
    Ok(limit.check_recorded(&events, now).err())
}

/// The key of an account's attempts from one address.
fn account_address(account: &Account, meta: &Meta) -> String {
    format!("{}|{}", account.id, meta.ip.as_deref().unwrap_or("-"))
}

async fn count(ctx: &AppContext, limit: &Limit, key: &str) -> Result<(), StoreError> {
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

/// A new captcha bound to `via`; returns its id and the text to draw.
pub async fn new_captcha(ctx: &AppContext, via: &Via) -> Result<(String, String), AuthError> {
    let id = new_id();
    let text = ctx.secrets.captcha_text(security::CAPTCHA_LENGTH);
    let now = ctx.clock.now();
    let c = Challenge {
        id: id.clone(),
        kind: ChallengeKind::Captcha,
        bound_to: via.captcha_binding(),
        secret_hash: sha256_hex(&[&id, &text.to_ascii_uppercase()]),
        expires_at: now + security::CAPTCHA_TTL,
        failures: 0,
    };
    ctx.store.create_challenge(&c, now).await?;
    Ok((id, text))
}

/// Spends a captcha: right or wrong, it cannot be used again.
async fn spend_captcha(ctx: &AppContext, via: &Via, id: &str, answer: &str) -> Result<(), AuthError> {
    let now = ctx.clock.now();
    let Some(c) = ctx.store.challenge(id, now).await? else {
        return Err(AuthError::CaptchaWrong);
    };
    if c.kind != ChallengeKind::Captcha || c.bound_to != via.captcha_binding() {
        return Err(AuthError::CaptchaWrong);
    }
    let spent = ctx.store.consume_challenge(id, now).await?;
    let right = c.secret_hash == sha256_hex(&[id, &answer.trim().to_ascii_uppercase()]);
    if spent && right {
        Ok(())
    } else {
        Err(AuthError::CaptchaWrong)
    }
}

fn sms_binding(m: &Mobile) -> String {
    format!("mobile:{}", m.as_str())
}

/// Sends a login/registration code to a mobile number, after a captcha, within the hourly quota. The answer
/// is the same whether or not an account uses the number.
pub async fn send_sms_code(
    ctx: &AppContext,
    via: &Via,
    captcha: (&str, &str),
    mobile: &Mobile,
    meta: &Meta,
) -> Result<(), AuthError> {
    spend_captcha(ctx, via, captcha.0, captcha.1).await?;
    take_quota(ctx, &security::SMS_PER_MOBILE, mobile.as_str()).await?;
    let now = ctx.clock.now();
    let id = new_id();
    let code = ctx.secrets.numeric_code(security::SMS_CODE_LENGTH);
    let challenge = Challenge {
        id: id.clone(),
        kind: ChallengeKind::SmsCode,
        bound_to: sms_binding(mobile),
        secret_hash: sha256_hex(&[&id, &code]),
        expires_at: now + security::SMS_CODE_TTL,
        failures: 0,
    };
    let text = SmsMessage {
        id: new_id(),
        mobile: mobile.clone(),
        body: sms_code_message(&code, security::SMS_CODE_TTL.num_minutes()),
        created_at: now,
        attempts: 0,
    };
    let mut e = entry(ctx, AuditAction::SmsCodeSent, Outcome::Success, via.channel(), meta);
    e.record = Some(format!("mobile:{}", mobile.masked()));
    ctx.store.send_code(&challenge, &text, &e).await?;
    Ok(())
}

/// Checks an SMS code; a right one is spent, a wrong one counts, and the third wrong try burns it.
async fn spend_sms_code(ctx: &AppContext, mobile: &Mobile, code: &str) -> Result<(), AuthError> {
    let now = ctx.clock.now();
    let Some(c) = ctx
        .store
        .latest_challenge(ChallengeKind::SmsCode, &sms_binding(mobile), now)
        .await?
    else {
        return Err(AuthError::CodeWrong);
    };
    if c.secret_hash == sha256_hex(&[&c.id, code.trim()]) {
        return if ctx.store.consume_challenge(&c.id, now).await? {
            Ok(())
        } else {
            Err(AuthError::CodeWrong)
        };
    }
    if ctx.store.fail_challenge(&c.id).await? >= security::SMS_CODE_MAX_TRIES {
        ctx.store.consume_challenge(&c.id, now).await?;
    }
    Err(AuthError::CodeWrong)
}

/// A new session or token for the account, written with the audit entry of `action` (a login, a token).
async fn issue(
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
async fn succeed(ctx: &AppContext, via: &Via, account: &Account, meta: &Meta) -> Result<Issued, AuthError> {
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

async fn fail(ctx: &AppContext, via: &Via, account: Option<&Account>, meta: &Meta) -> Result<(), AuthError> {
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
async fn check_locks(
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
