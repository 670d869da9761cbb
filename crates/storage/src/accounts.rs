//! Row codecs for accounts, sessions, challenges and the audit log, and the SQL both engines share for them
//! (`sqlite::accounts`, `postgres::accounts` and their siblings run it). Times are stored as epoch milliseconds.

use chrono::{DateTime, FixedOffset};
use sscard_app::ports::{
    AccountConflict, ApiClient, Challenge, ChallengeKind, SessionKind, SessionRecord, SmsMessage, StoreError,
};
use sscard_domain::access::{Channel, Role};
use sscard_domain::account::{Account, AccountKind, Username};
use sscard_domain::audit::{AuditAction, AuditEntry, Outcome};
use sscard_domain::clock::shanghai;
use sscard_domain::values::{Mobile, PersonName, Uscc};

use crate::common::stored_id;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

pub(crate) fn ms(t: DateTime<FixedOffset>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(v: i64) -> Result<DateTime<FixedOffset>, StoreError> {
    DateTime::from_timestamp_millis(v)
        .map(|t| t.with_timezone(&shanghai()))
        .ok_or_else(|| corrupt("timestamp", v))
}

/// Which unique key a failed insert hit, if that is why it failed. Both engines name the column or the
/// constraint (`accounts_mobile_key`, `accounts.mobile`) in the message.
pub(crate) fn conflict_of(e: &sqlx::Error) -> Option<AccountConflict> {
    let db = e.as_database_error()?;
    if !db.is_unique_violation() {
        return None;
    }
    let text = format!("{} {}", db.message(), db.constraint().unwrap_or(""));
    Some(if text.contains("external_identities") {
        AccountConflict::ExternalIdentity
    } else if text.contains("username") {
        AccountConflict::Username
    } else if text.contains("mobile") {
        AccountConflict::Mobile
    } else {
        AccountConflict::IdNumber
    })
}

pub(crate) const SET_DISABLED: &str = "UPDATE accounts SET disabled = $1 WHERE id = $2";
pub(crate) const REVOKE_ACCOUNT_SESSIONS: &str =
    "UPDATE sessions SET revoked_ms = $1 WHERE account_id = $2 AND revoked_ms IS NULL AND expires_ms > $1";

pub(crate) const SET_PASSWORD: &str = "UPDATE accounts SET password_hash = $2 WHERE id = $1";
/// `$7`: the role the account must already have (a binding never changes a role).
pub(crate) const SET_BINDING: &str = "UPDATE accounts SET entity_uscc = $2, bank = $3, branch = $4, outlet = $5, \
    district = $6 WHERE id = $1 AND role = $7";

pub(crate) const ACCOUNT_COLUMNS: &str = "id, role, entity_uscc, bank, branch, outlet, district, username, mobile, \
    id_number, real_name, display_name, disabled, password_hash";

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AccountRow {
    pub id: String,
    pub role: String,
    pub entity_uscc: Option<String>,
    pub bank: Option<String>,
    pub branch: Option<String>,
    pub outlet: Option<String>,
    pub district: Option<String>,
    pub username: Option<String>,
    pub mobile: Option<String>,
    pub id_number: Option<String>,
    pub real_name: Option<String>,
    pub display_name: String,
    pub disabled: bool,
    pub password_hash: Option<String>,
}

/// The binding columns of an account kind: entity, bank, branch, outlet, district.
pub(crate) type KindColumns = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

pub(crate) fn kind_columns(k: &AccountKind) -> KindColumns {
    match k {
        AccountKind::EntityHandler { entity } => (Some(entity.as_str().to_string()), None, None, None, None),
        AccountKind::BankClerk { bank, branch } => (None, Some(bank.clone()), Some(branch.clone()), None, None),
        AccountKind::OutletClerk { outlet, district } => {
            (None, None, None, Some(outlet.clone()), Some(district.clone()))
        }
        AccountKind::BankSystem { bank } => (None, Some(bank.clone()), None, None, None),
        AccountKind::Resident | AccountKind::HotlineAgent | AccountKind::Admin => (None, None, None, None, None),
    }
}

impl AccountRow {
    pub fn into_domain(self) -> Result<(Account, Option<String>), StoreError> {
        let role = Role::parse(&self.role).ok_or_else(|| corrupt("role", &self.role))?;
        let missing = |what: &str| corrupt(what, "missing for this role");
        let kind = match role {
            Role::Resident => AccountKind::Resident,
            Role::EntityHandler => AccountKind::EntityHandler {
                entity: Uscc::parse(self.entity_uscc.as_deref().ok_or_else(|| missing("entity_uscc"))?)
                    .map_err(|e| corrupt("entity_uscc", e))?,
            },
            Role::BankClerk => AccountKind::BankClerk {
                bank: self.bank.ok_or_else(|| missing("bank"))?,
                branch: self.branch.ok_or_else(|| missing("branch"))?,
            },
            Role::OutletClerk => AccountKind::OutletClerk {
                outlet: self.outlet.ok_or_else(|| missing("outlet"))?,
                district: self.district.ok_or_else(|| missing("district"))?,
            },
            Role::HotlineAgent => AccountKind::HotlineAgent,
            Role::Admin => AccountKind::Admin,
            Role::BankSystem => AccountKind::BankSystem {
                bank: self.bank.ok_or_else(|| missing("bank"))?,
            },
        };
        let account = Account {
            id: self.id,
            kind,
            username: self
                .username
                .map(|u| Username::parse(&u).map_err(|e| corrupt("username", e)))
                .transpose()?,
            mobile: self
                .mobile
                .map(|m| Mobile::parse(&m).map_err(|e| corrupt("mobile", e)))
                .transpose()?,
            id_number: self.id_number.as_deref().map(stored_id).transpose()?,
            display_name: self.display_name,
            real_name: self
                .real_name
                .map(|n| PersonName::parse(&n).map_err(|e| corrupt("real_name", e)))
                .transpose()?,
            disabled: self.disabled,
        };
        Ok((account, self.password_hash))
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ClientRow {
    pub client_id: String,
    pub name: String,
    pub channel: String,
    pub secret_hash: String,
}

impl ClientRow {
    pub fn into_domain(self) -> Result<ApiClient, StoreError> {
        Ok(ApiClient {
            channel: Channel::parse(&self.channel).ok_or_else(|| corrupt("channel", &self.channel))?,
            client_id: self.client_id,
            name: self.name,
            secret_hash: self.secret_hash,
        })
    }
}

pub(crate) const SESSION_COLUMNS: &str =
    "id, account_id, kind, channel, client_id, csrf, created_ms, expires_ms, ip, user_agent";

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SessionRow {
    pub id: String,
    pub account_id: Option<String>,
    pub kind: String,
    pub channel: String,
    pub client_id: Option<String>,
    pub csrf: String,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl SessionRow {
    pub fn into_domain(self) -> Result<SessionRecord, StoreError> {
        Ok(SessionRecord {
            kind: match self.kind.as_str() {
                "cookie" => SessionKind::Cookie,
                "bearer" => SessionKind::Bearer,
                other => return Err(corrupt("session kind", other)),
            },
            channel: Channel::parse(&self.channel).ok_or_else(|| corrupt("channel", &self.channel))?,
            id: self.id,
            account: self.account_id,
            client_id: self.client_id,
            csrf: self.csrf,
            created_at: from_ms(self.created_ms)?,
            expires_at: from_ms(self.expires_ms)?,
            ip: self.ip,
            user_agent: self.user_agent,
        })
    }
}

/// A session joined with its account (absent for a pre-login session).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SessionAccountRow {
    pub s_id: String,
    pub account_id: Option<String>,
    pub kind: String,
    pub channel: String,
    pub client_id: Option<String>,
    pub csrf: String,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub id: Option<String>,
    pub role: Option<String>,
    pub entity_uscc: Option<String>,
    pub bank: Option<String>,
    pub branch: Option<String>,
    pub outlet: Option<String>,
    pub district: Option<String>,
    pub username: Option<String>,
    pub mobile: Option<String>,
    pub id_number: Option<String>,
    pub real_name: Option<String>,
    pub display_name: Option<String>,
    pub disabled: Option<bool>,
    pub password_hash: Option<String>,
}

impl SessionAccountRow {
    pub fn into_domain(self) -> Result<(SessionRecord, Option<Account>), StoreError> {
        let account = match (self.id, self.role, self.display_name, self.disabled) {
            (Some(id), Some(role), Some(display_name), Some(disabled)) => Some(
                AccountRow {
                    id,
                    role,
                    entity_uscc: self.entity_uscc,
                    bank: self.bank,
                    branch: self.branch,
                    outlet: self.outlet,
                    district: self.district,
                    username: self.username,
                    mobile: self.mobile,
                    id_number: self.id_number,
                    real_name: self.real_name,
                    display_name,
                    disabled,
                    password_hash: self.password_hash,
                }
                .into_domain()?
                .0,
            ),
            _ => None,
        };
        let session = SessionRow {
            id: self.s_id,
            account_id: self.account_id,
            kind: self.kind,
            channel: self.channel,
            client_id: self.client_id,
            csrf: self.csrf,
            created_ms: self.created_ms,
            expires_ms: self.expires_ms,
            ip: self.ip,
            user_agent: self.user_agent,
        }
        .into_domain()?;
        Ok((session, account))
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ChallengeRow {
    pub id: String,
    pub kind: String,
    pub bound_to: String,
    pub secret_hash: String,
    pub expires_ms: i64,
    pub failures: i32,
}

impl ChallengeRow {
    pub fn into_domain(self) -> Result<Challenge, StoreError> {
        Ok(Challenge {
            kind: match self.kind.as_str() {
                "captcha" => ChallengeKind::Captcha,
                "sms" => ChallengeKind::SmsCode,
                other => return Err(corrupt("challenge kind", other)),
            },
            id: self.id,
            bound_to: self.bound_to,
            secret_hash: self.secret_hash,
            expires_at: from_ms(self.expires_ms)?,
            failures: u32::try_from(self.failures).map_err(|e| corrupt("failures", e))?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SmsRow {
    pub id: String,
    pub mobile: String,
    pub body: String,
    pub created_ms: i64,
    pub attempts: i32,
}

impl SmsRow {
    pub fn into_domain(self) -> Result<SmsMessage, StoreError> {
        Ok(SmsMessage {
            mobile: Mobile::parse(&self.mobile).map_err(|e| corrupt("mobile", e))?,
            id: self.id,
            body: self.body,
            created_at: from_ms(self.created_ms)?,
            attempts: u32::try_from(self.attempts).map_err(|e| corrupt("attempts", e))?,
        })
    }
}

pub(crate) const AUDIT_COLUMNS: &str =
    "at_ms, actor, role, channel, organisation, action, record, subject_person, purpose, outcome, ip";

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AuditRow {
    pub at_ms: i64,
    pub actor: Option<String>,
    pub role: Option<String>,
    pub channel: String,
    pub organisation: Option<String>,
    pub action: String,
    pub record: Option<String>,
    pub subject_person: Option<String>,
    pub purpose: Option<String>,
    pub outcome: String,
    pub ip: Option<String>,
}

impl AuditRow {
    pub fn into_domain(self) -> Result<AuditEntry, StoreError> {
        Ok(AuditEntry {
            at: from_ms(self.at_ms)?,
            role: self
                .role
                .map(|r| Role::parse(&r).ok_or_else(|| corrupt("role", r)))
                .transpose()?,
            channel: Channel::parse(&self.channel).ok_or_else(|| corrupt("channel", &self.channel))?,
            action: AuditAction::parse(&self.action).ok_or_else(|| corrupt("action", &self.action))?,
            outcome: Outcome::parse(&self.outcome).ok_or_else(|| corrupt("outcome", &self.outcome))?,
            actor: self.actor,
            organisation: self.organisation,
            record: self.record,
            subject_person: self.subject_person,
            purpose: self.purpose,
            ip: self.ip,
        })
    }
}
