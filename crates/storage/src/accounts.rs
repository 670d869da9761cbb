//! Row codecs for accounts, sessions, challenges and the audit log, and the SQL both engines share for them
//! ([`impl_account_stores!`]). Times are stored as epoch milliseconds.

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

/// The account, session, challenge, rate, client and audit stores, written once for both engines.
macro_rules! impl_account_stores {
    // `$claim_lock`: how the engine keeps two workers from claiming one message.
    ($store:ty, $db:ty, $claim_lock:literal) => {
        #[async_trait::async_trait]
        impl sscard_app::ports::OutboxStore for $store {
            async fn enqueue_sms(&self, m: &sscard_app::ports::SmsMessage) -> sscard_app::ports::StoreResult<()> {
                sqlx::query("INSERT INTO sms_outbox (id, mobile, body, created_ms, attempts, due_ms) \
                             VALUES ($1, $2, $3, $4, $5, $4)")
                    .bind(&m.id).bind(m.mobile.as_str()).bind(&m.body).bind($crate::accounts::ms(m.created_at))
                    .bind(i32::try_from(m.attempts).unwrap_or(0))
                    .execute(&self.pool).await.map_err($crate::db_err)?;
                Ok(())
            }

            async fn send_code(&self, c: &sscard_app::ports::Challenge, m: &sscard_app::ports::SmsMessage,
                audit: &sscard_domain::audit::AuditEntry) -> sscard_app::ports::StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err($crate::db_err)?;
                sqlx::query("INSERT INTO challenges (id, kind, bound_to, secret_hash, created_ms, expires_ms, failures) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(&c.id).bind(c.kind.as_str()).bind(&c.bound_to).bind(&c.secret_hash)
                    .bind($crate::accounts::ms(m.created_at)).bind($crate::accounts::ms(c.expires_at))
                    .bind(i32::try_from(c.failures).unwrap_or(i32::MAX))
                    .execute(&mut *tx).await.map_err($crate::db_err)?;
                Self::enqueue_in(&mut *tx, m, m.created_at).await.map_err($crate::db_err)?;
                Self::insert_audit(&mut *tx, audit).await.map_err($crate::db_err)?;
                tx.commit().await.map_err($crate::db_err)?;
                Ok(())
            }

            async fn claim_sms(&self, limit: u32, now: chrono::DateTime<chrono::FixedOffset>, lease: chrono::Duration)
                -> sscard_app::ports::StoreResult<Vec<sscard_app::ports::SmsMessage>> {
                let sql = concat!("UPDATE sms_outbox SET due_ms = $1, attempts = attempts + 1 WHERE id IN \
                    (SELECT id FROM sms_outbox WHERE sent_ms IS NULL AND due_ms <= $2 ORDER BY due_ms LIMIT $3 ",
                    $claim_lock, ") RETURNING id, mobile, body, created_ms, attempts");
                let rows: Vec<$crate::accounts::SmsRow> = sqlx::query_as(sql)
                    .bind($crate::accounts::ms(now + lease)).bind($crate::accounts::ms(now)).bind(i64::from(limit))
                    .fetch_all(&self.pool).await.map_err($crate::db_err)?;
                rows.into_iter().map($crate::accounts::SmsRow::into_domain).collect()
            }

            async fn renew_sms(&self, id: &str, attempts: u32, until: chrono::DateTime<chrono::FixedOffset>)
                -> sscard_app::ports::StoreResult<bool> {
                // Still ours only if nobody claimed it since (a claim counts an attempt) and it is not sent.
                let r = sqlx::query("UPDATE sms_outbox SET due_ms = $1 WHERE id = $2 AND attempts = $3 AND sent_ms IS NULL")
                    .bind($crate::accounts::ms(until)).bind(id).bind(i32::try_from(attempts).unwrap_or(i32::MAX))
                    .execute(&self.pool).await.map_err($crate::db_err)?;
                Ok(r.rows_affected() == 1)
            }

            async fn mark_sms_sent(&self, id: &str, at: chrono::DateTime<chrono::FixedOffset>) -> sscard_app::ports::StoreResult<()> {
                sqlx::query("UPDATE sms_outbox SET sent_ms = $1, last_error = NULL WHERE id = $2")
                    .bind($crate::accounts::ms(at)).bind(id).execute(&self.pool).await.map_err($crate::db_err)?;
                Ok(())
            }

            async fn mark_sms_failed(&self, id: &str, error: &str, retry_at: chrono::DateTime<chrono::FixedOffset>)
                -> sscard_app::ports::StoreResult<()> {
                sqlx::query("UPDATE sms_outbox SET due_ms = $1, last_error = $2 WHERE id = $3")
                    .bind($crate::accounts::ms(retry_at)).bind(error).bind(id)
                    .execute(&self.pool).await.map_err($crate::db_err)?;
                Ok(())
            }

            async fn pending_sms(&self) -> sscard_app::ports::StoreResult<u64> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sms_outbox WHERE sent_ms IS NULL")
                    .fetch_one(&self.pool).await.map_err($crate::db_err)?;
                Ok(u64::try_from(n).unwrap_or(0))
            }
        }

        impl $store {
            /// Appends an audit entry on `exec` (a connection or a transaction), so that a change and the
            /// entry that records it commit together.
            async fn insert_audit<'c, E>(exec: E, e: &sscard_domain::audit::AuditEntry) -> Result<(), sqlx::Error>
            where
                E: sqlx::Executor<'c, Database = $db>,
            {
                sqlx::query(&format!("INSERT INTO audit_log ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                        $crate::accounts::AUDIT_COLUMNS))
                    .bind($crate::accounts::ms(e.at)).bind(&e.actor).bind(e.role.map(|r| r.as_str()))
                    .bind(e.channel.as_str()).bind(&e.organisation).bind(e.action.as_str()).bind(&e.record)
                    .bind(&e.subject_person).bind(&e.purpose).bind(e.outcome.as_str()).bind(&e.ip)
                    .execute(exec).await?;
                Ok(())
            }

            async fn insert_account<'c, E>(exec: E, new: &sscard_app::ports::NewAccount) -> Result<(), sqlx::Error>
            where
                E: sqlx::Executor<'c, Database = $db>,
            {
                let (entity, bank, branch, outlet, district) = $crate::accounts::kind_columns(&new.kind);
                sqlx::query(
                    "INSERT INTO accounts (id, role, entity_uscc, bank, branch, outlet, district, username, mobile, \
                     display_name, password_hash, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(&new.id)
                .bind(new.kind.role().as_str())
                .bind(entity)
                .bind(bank)
                .bind(branch)
                .bind(outlet)
                .bind(district)
                .bind(new.username.as_ref().map(|u| u.as_str().to_string()))
                .bind(new.mobile.as_ref().map(|m| m.as_str().to_string()))
                .bind(&new.display_name)
                .bind(&new.password_hash)
                .bind($crate::accounts::ms(new.created_at))
                .execute(exec)
                .await?;
                Ok(())
            }

            async fn account_where(&self, column: &str, value: &str)
                -> sscard_app::ports::StoreResult<Option<(sscard_domain::account::Account, Option<String>)>> {
                let sql = format!("SELECT {} FROM accounts WHERE {column} = $1", $crate::accounts::ACCOUNT_COLUMNS);
                let row: Option<$crate::accounts::AccountRow> = sqlx::query_as(&sql)
                    .bind(value).fetch_optional(&self.pool).await.map_err($crate::db_err)?;
                row.map($crate::accounts::AccountRow::into_domain).transpose()
            }
        }

        #[async_trait::async_trait]
        impl sscard_app::ports::AccountStore for $store {
            async fn create_account(&self, new: &sscard_app::ports::NewAccount,
                audit: Option<&sscard_domain::audit::AuditEntry>)
                -> sscard_app::ports::StoreResult<Result<sscard_domain::account::Account, sscard_app::ports::AccountConflict>> {
                let mut tx = self.pool.begin().await.map_err($crate::db_err)?;
                if let Err(e) = Self::insert_account(&mut *tx, new).await {
                    return match $crate::accounts::conflict_of(&e) {
                        Some(c) => Ok(Err(c)),
                        None => Err($crate::db_err(e)),
                    };
                }
                if let Some(e) = audit {
                    Self::insert_audit(&mut *tx, e).await.map_err($crate::db_err)?;
                }
                tx.commit().await.map_err($crate::db_err)?;
                let made = self.account(&new.id).await?;
                made.map(Ok).ok_or_else(|| sscard_app::ports::StoreError::Database("account vanished after insert".into()))
            }

            async fn account(&self, id: &str) -> sscard_app::ports::StoreResult<Option<sscard_domain::account::Account>> {
                Ok(self.account_where("id", id).await?.map(|(a, _)| a))
            }

            async fn account_for_login(&self, login: &sscard_domain::account::LoginIdentifier)
                -> sscard_app::ports::StoreResult<Option<(sscard_domain::account::Account, Option<String>)>> {
                use sscard_domain::account::LoginIdentifier as L;
                match login {
                    L::Mobile(m) => self.account_where("mobile", m.as_str()).await,
                    L::IdNumber(id) => self.account_where("id_number", id.as_str()).await,
                    L::Username(u) => self.account_where("username", u.as_str()).await,
                }
            }

            async fn bind_real_name(&self, account: &str, id_number: &sscard_domain::values::IdNumber,
                name: &sscard_domain::values::PersonName, at: chrono::DateTime<chrono::FixedOffset>,
                audit: Option<&sscard_domain::audit::AuditEntry>)
                -> sscard_app::ports::StoreResult<Result<(), sscard_app::ports::AccountConflict>> {
                let mut tx = self.pool.begin().await.map_err($crate::db_err)?;
                let r = sqlx::query("UPDATE accounts SET id_number = $1, real_name = $2, real_name_ms = $3 WHERE id = $4")
                    .bind(id_number.as_str()).bind(name.as_str()).bind($crate::accounts::ms(at)).bind(account)
                    .execute(&mut *tx).await;
                if let Err(e) = r {
                    return match $crate::accounts::conflict_of(&e) {
                        Some(c) => Ok(Err(c)),
                        None => Err($crate::db_err(e)),
                    };
                }
                if let Some(e) = audit {
                    Self::insert_audit(&mut *tx, e).await.map_err($crate::db_err)?;
                }
                tx.commit().await.map_err($crate::db_err)?;
                Ok(Ok(()))
            }

            async fn account_for_external(&self, provider: &str, subject: &str)
                -> sscard_app::ports::StoreResult<Option<sscard_domain::account::Account>> {
                let id: Option<String> = sqlx::query_scalar(
                    "SELECT account_id FROM external_identities WHERE provider = $1 AND subject = $2")
                    .bind(provider).bind(subject).fetch_optional(&self.pool).await.map_err($crate::db_err)?;
                match id {
                    Some(id) => self.account(&id).await,
                    None => Ok(None),
                }
            }

            async fn create_external_account(&self, new: &sscard_app::ports::NewAccount, provider: &str, subject: &str,
                real_name: Option<(&sscard_domain::values::IdNumber, &sscard_domain::values::PersonName)>,
                audit: Option<&sscard_domain::audit::AuditEntry>)
                -> sscard_app::ports::StoreResult<Result<sscard_domain::account::Account, sscard_app::ports::AccountConflict>> {
                let mut tx = self.pool.begin().await.map_err($crate::db_err)?;
                let mut result = Self::insert_account(&mut *tx, new).await;
                if let (Ok(()), Some((id, name))) = (&result, real_name) {
                    result = sqlx::query("UPDATE accounts SET id_number = $1, real_name = $2, real_name_ms = $3 WHERE id = $4")
                        .bind(id.as_str()).bind(name.as_str()).bind($crate::accounts::ms(new.created_at)).bind(&new.id)
                        .execute(&mut *tx).await.map(|_| ());
                }
                if result.is_ok() {
                    result = sqlx::query("INSERT INTO external_identities (provider, subject, account_id, created_ms) \
                                          VALUES ($1, $2, $3, $4)")
                        .bind(provider).bind(subject).bind(&new.id).bind($crate::accounts::ms(new.created_at))
                        .execute(&mut *tx).await.map(|_| ());
                }
                if let Err(e) = result {
                    return match $crate::accounts::conflict_of(&e) {
                        Some(c) => Ok(Err(c)),
                        None => Err($crate::db_err(e)),
                    };
                }
                if let Some(e) = audit {
                    Self::insert_audit(&mut *tx, e).await.map_err($crate::db_err)?;
                }
                tx.commit().await.map_err($crate::db_err)?;
                let made = self.account(&new.id).await?;
                made.map(Ok).ok_or_else(|| sscard_app::ports::StoreError::Database("account vanished after insert".into()))
            }

            async fn link_external(&self, provider: &str, subject: &str, account: &str, at: chrono::DateTime<chrono::FixedOffset>)
                -> sscard_app::ports::StoreResult<Result<(), sscard_app::ports::AccountConflict>> {
                let r = sqlx::query("INSERT INTO external_identities (provider, subject, account_id, created_ms) \
                                     VALUES ($1, $2, $3, $4)")
                    .bind(provider).bind(subject).bind(account).bind($crate::accounts::ms(at))
                    .execute(&self.pool).await;
                match r {
                    Ok(_) => Ok(Ok(())),
                    Err(e) => match $crate::accounts::conflict_of(&e) {
                        Some(c) => Ok(Err(c)),
                        None => Err($crate::db_err(e)),
                    },
                }
            }

            async fn entity_handlers(&self, uscc: &sscard_domain::values::Uscc)
                -> sscard_app::ports::StoreResult<Vec<sscard_domain::account::Account>> {
                let sql = format!("SELECT {} FROM accounts WHERE entity_uscc = $1 AND role = 'entity_handler' ORDER BY id",
                    $crate::accounts::ACCOUNT_COLUMNS);
                let rows: Vec<$crate::accounts::AccountRow> = sqlx::query_as(&sql)
                    .bind(uscc.as_str()).fetch_all(&self.pool).await.map_err($crate::db_err)?;
                rows.into_iter().map(|r| r.into_domain().map(|(a, _)| a)).collect()
            }

            async fn count_accounts(&self) -> sscard_app::ports::StoreResult<u64> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
                    .fetch_one(&self.pool).await.map_err($crate::db_err)?;
                Ok(u64::try_from(n).unwrap_or(0))
            }
        }

        #[async_trait::async_trait]
        impl sscard_app::ports::ClientStore for $store {
            async fn create_client(&self, c: &sscard_app::ports::ApiClient, at: chrono::DateTime<chrono::FixedOffset>)
                -> sscard_app::ports::StoreResult<bool> {
                let r = sqlx::query("INSERT INTO api_clients (client_id, name, channel, secret_hash, created_ms) \
                                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (client_id) DO NOTHING")
                    .bind(&c.client_id).bind(&c.name).bind(c.channel.as_str()).bind(&c.secret_hash)
                    .bind($crate::accounts::ms(at))
                    .execute(&self.pool).await.map_err($crate::db_err)?;
                Ok(r.rows_affected() == 1)
            }

            async fn client(&self, client_id: &str) -> sscard_app::ports::StoreResult<Option<sscard_app::ports::ApiClient>> {
                let row: Option<$crate::accounts::ClientRow> = sqlx::query_as(
                    "SELECT client_id, name, channel, secret_hash FROM api_clients WHERE client_id = $1")
                    .bind(client_id).fetch_optional(&self.pool).await.map_err($crate::db_err)?;
                row.map($crate::accounts::ClientRow::into_domain).transpose()
            }
        }

        #[async_trait::async_trait]
        impl sscard_app::ports::SessionStore for $store {
            async fn create_session(&self, s: &sscard_app::ports::SessionRecord,
                audit: Option<&sscard_domain::audit::AuditEntry>) -> sscard_app::ports::StoreResult<()> {
                // Every login and token: the engine's cheapest way to write both together.
                self.insert_session_audited(s, audit).await.map_err($crate::db_err)
            }

            async fn live_session(&self, id: &str, now: chrono::DateTime<chrono::FixedOffset>)
                -> sscard_app::ports::StoreResult<Option<sscard_app::ports::SessionRecord>> {
                let sql = format!("SELECT {} FROM sessions WHERE id = $1 AND revoked_ms IS NULL AND expires_ms > $2",
                    $crate::accounts::SESSION_COLUMNS);
                let row: Option<$crate::accounts::SessionRow> = sqlx::query_as(&sql)
                    .bind(id).bind($crate::accounts::ms(now)).fetch_optional(&self.pool).await.map_err($crate::db_err)?;
                row.map($crate::accounts::SessionRow::into_domain).transpose()
            }

            async fn live_session_with_account(&self, id: &str, now: chrono::DateTime<chrono::FixedOffset>)
                -> sscard_app::ports::StoreResult<Option<(sscard_app::ports::SessionRecord, Option<sscard_domain::account::Account>)>> {
                let sql = format!(
                    "SELECT s.id AS s_id, s.account_id, s.kind, s.channel, s.client_id, s.csrf, s.created_ms, s.expires_ms, \
                     s.ip, s.user_agent, a.id, a.role, a.entity_uscc, a.bank, a.branch, a.outlet, a.district, a.username, \
                     a.mobile, a.id_number, a.real_name, a.display_name, a.disabled, a.password_hash \
                     FROM sessions s LEFT JOIN accounts a ON a.id = s.account_id \
                     WHERE s.id = $1 AND s.revoked_ms IS NULL AND s.expires_ms > $2");
                let row: Option<$crate::accounts::SessionAccountRow> = sqlx::query_as(&sql)
                    .bind(id).bind($crate::accounts::ms(now)).fetch_optional(&self.pool).await.map_err($crate::db_err)?;
                row.map($crate::accounts::SessionAccountRow::into_domain).transpose()
            }

            async fn revoke_session(&self, id: &str, at: chrono::DateTime<chrono::FixedOffset>,
                audit: Option<&sscard_domain::audit::AuditEntry>) -> sscard_app::ports::StoreResult<bool> {
                let mut tx = self.pool.begin().await.map_err($crate::db_err)?;
                let r = sqlx::query("UPDATE sessions SET revoked_ms = $1 WHERE id = $2 AND revoked_ms IS NULL")
                    .bind($crate::accounts::ms(at)).bind(id).execute(&mut *tx).await.map_err($crate::db_err)?;
                if let Some(e) = audit {
                    Self::insert_audit(&mut *tx, e).await.map_err($crate::db_err)?;
                }
                tx.commit().await.map_err($crate::db_err)?;
                Ok(r.rows_affected() == 1)
            }

            async fn revoke_account_sessions(&self, account: &str, at: chrono::DateTime<chrono::FixedOffset>,
                audit: Option<&sscard_domain::audit::AuditEntry>) -> sscard_app::ports::StoreResult<u64> {
                let mut tx = self.pool.begin().await.map_err($crate::db_err)?;
                let r = sqlx::query("UPDATE sessions SET revoked_ms = $1 WHERE account_id = $2 AND revoked_ms IS NULL \
                                     AND expires_ms > $1")
                    .bind($crate::accounts::ms(at)).bind(account).execute(&mut *tx).await.map_err($crate::db_err)?;
                if let Some(e) = audit {
                    Self::insert_audit(&mut *tx, e).await.map_err($crate::db_err)?;
                }
                tx.commit().await.map_err($crate::db_err)?;
                Ok(r.rows_affected())
            }

            async fn account_sessions(&self, account: &str, now: chrono::DateTime<chrono::FixedOffset>)
                -> sscard_app::ports::StoreResult<Vec<sscard_app::ports::SessionRecord>> {
                let sql = format!("SELECT {} FROM sessions WHERE account_id = $1 AND revoked_ms IS NULL \
                                   AND expires_ms > $2 ORDER BY created_ms DESC, id", $crate::accounts::SESSION_COLUMNS);
                let rows: Vec<$crate::accounts::SessionRow> = sqlx::query_as(&sql)
                    .bind(account).bind($crate::accounts::ms(now)).fetch_all(&self.pool).await.map_err($crate::db_err)?;
                rows.into_iter().map($crate::accounts::SessionRow::into_domain).collect()
            }
        }

        #[async_trait::async_trait]
        impl sscard_app::ports::ChallengeStore for $store {
            async fn create_challenge(&self, c: &sscard_app::ports::Challenge, at: chrono::DateTime<chrono::FixedOffset>)
                -> sscard_app::ports::StoreResult<()> {
                sqlx::query("INSERT INTO challenges (id, kind, bound_to, secret_hash, created_ms, expires_ms, failures) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(&c.id).bind(c.kind.as_str()).bind(&c.bound_to).bind(&c.secret_hash)
                    .bind($crate::accounts::ms(at)).bind($crate::accounts::ms(c.expires_at))
                    .bind(i32::try_from(c.failures).unwrap_or(i32::MAX))
                    .execute(&self.pool).await.map_err($crate::db_err)?;
                Ok(())
            }

            async fn challenge(&self, id: &str, now: chrono::DateTime<chrono::FixedOffset>)
                -> sscard_app::ports::StoreResult<Option<sscard_app::ports::Challenge>> {
                let row: Option<$crate::accounts::ChallengeRow> = sqlx::query_as(
                    "SELECT id, kind, bound_to, secret_hash, expires_ms, failures FROM challenges \
                     WHERE id = $1 AND used_ms IS NULL AND expires_ms > $2")
                    .bind(id).bind($crate::accounts::ms(now)).fetch_optional(&self.pool).await.map_err($crate::db_err)?;
                row.map($crate::accounts::ChallengeRow::into_domain).transpose()
            }

            async fn latest_challenge(&self, kind: sscard_app::ports::ChallengeKind, bound_to: &str,
                now: chrono::DateTime<chrono::FixedOffset>)
                -> sscard_app::ports::StoreResult<Option<sscard_app::ports::Challenge>> {
                let row: Option<$crate::accounts::ChallengeRow> = sqlx::query_as(
                    "SELECT id, kind, bound_to, secret_hash, expires_ms, failures FROM challenges \
                     WHERE kind = $1 AND bound_to = $2 AND used_ms IS NULL AND expires_ms > $3 \
                     ORDER BY created_ms DESC, id DESC LIMIT 1")
                    .bind(kind.as_str()).bind(bound_to).bind($crate::accounts::ms(now))
                    .fetch_optional(&self.pool).await.map_err($crate::db_err)?;
                row.map($crate::accounts::ChallengeRow::into_domain).transpose()
            }

            async fn consume_challenge(&self, id: &str, at: chrono::DateTime<chrono::FixedOffset>)
                -> sscard_app::ports::StoreResult<bool> {
                // The condition on used_ms makes this the one place a challenge is spent: of two concurrent
                // uses, exactly one updates a row.
                let r = sqlx::query("UPDATE challenges SET used_ms = $1 WHERE id = $2 AND used_ms IS NULL")
                    .bind($crate::accounts::ms(at)).bind(id).execute(&self.pool).await.map_err($crate::db_err)?;
                Ok(r.rows_affected() == 1)
            }

            async fn fail_challenge(&self, id: &str) -> sscard_app::ports::StoreResult<u32> {
                let n: Option<i32> = sqlx::query_scalar(
                    "UPDATE challenges SET failures = failures + 1 WHERE id = $1 RETURNING failures")
                    .bind(id).fetch_optional(&self.pool).await.map_err($crate::db_err)?;
                Ok(n.and_then(|n| u32::try_from(n).ok()).unwrap_or(u32::MAX))
            }
        }

        #[async_trait::async_trait]
        impl sscard_app::ports::RateStore for $store {
            async fn record_event(&self, bucket: &str, at: chrono::DateTime<chrono::FixedOffset>)
                -> sscard_app::ports::StoreResult<()> {
                sqlx::query("INSERT INTO rate_events (bucket, at_ms) VALUES ($1, $2)")
                    .bind(bucket).bind($crate::accounts::ms(at)).execute(&self.pool).await.map_err($crate::db_err)?;
                Ok(())
            }

            async fn events_since(&self, bucket: &str, since: chrono::DateTime<chrono::FixedOffset>)
                -> sscard_app::ports::StoreResult<Vec<chrono::DateTime<chrono::FixedOffset>>> {
                let rows: Vec<i64> = sqlx::query_scalar(
                    "SELECT at_ms FROM rate_events WHERE bucket = $1 AND at_ms > $2 ORDER BY at_ms")
                    .bind(bucket).bind($crate::accounts::ms(since)).fetch_all(&self.pool).await.map_err($crate::db_err)?;
                rows.into_iter().map($crate::accounts::from_ms).collect()
            }

            async fn clear_events(&self, bucket: &str) -> sscard_app::ports::StoreResult<()> {
                sqlx::query("DELETE FROM rate_events WHERE bucket = $1")
                    .bind(bucket).execute(&self.pool).await.map_err($crate::db_err)?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl sscard_app::ports::OidcFlowStore for $store {
            async fn create_oidc_flow(&self, f: &sscard_app::ports::OidcFlow) -> sscard_app::ports::StoreResult<()> {
                sqlx::query("INSERT INTO oidc_flows (state, provider, nonce, pkce_verifier, bound_to, expires_ms) \
                             VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(&f.state).bind(&f.provider).bind(&f.nonce).bind(&f.pkce_verifier).bind(&f.bound_to)
                    .bind($crate::accounts::ms(f.expires_at))
                    .execute(&self.pool).await.map_err($crate::db_err)?;
                Ok(())
            }

            async fn take_oidc_flow(&self, state: &str, now: chrono::DateTime<chrono::FixedOffset>)
                -> sscard_app::ports::StoreResult<Option<sscard_app::ports::OidcFlow>> {
                let row: Option<(String, String, String, String, String, i64)> = sqlx::query_as(
                    "UPDATE oidc_flows SET used_ms = $1 WHERE state = $2 AND used_ms IS NULL AND expires_ms > $1 \
                     RETURNING state, provider, nonce, pkce_verifier, bound_to, expires_ms")
                    .bind($crate::accounts::ms(now)).bind(state)
                    .fetch_optional(&self.pool).await.map_err($crate::db_err)?;
                row.map(|(state, provider, nonce, pkce_verifier, bound_to, expires_ms)| {
                    Ok(sscard_app::ports::OidcFlow {
                        state, provider, nonce, pkce_verifier, bound_to,
                        expires_at: $crate::accounts::from_ms(expires_ms)?,
                    })
                }).transpose()
            }
        }

        #[async_trait::async_trait]
        impl sscard_app::ports::AuditStore for $store {
            async fn append_audit(&self, e: &sscard_domain::audit::AuditEntry) -> sscard_app::ports::StoreResult<()> {
                let mut conn = self.pool.acquire().await.map_err($crate::db_err)?;
                Self::insert_audit(&mut *conn, e).await.map_err($crate::db_err)?;
                Ok(())
            }

            async fn person_access_log(&self, id_number: &str, limit: u32)
                -> sscard_app::ports::StoreResult<Vec<sscard_domain::audit::AuditEntry>> {
                let sql = format!("SELECT {} FROM audit_log WHERE subject_person = $1 AND action = 'person_read' \
                                   AND role IS NOT NULL AND role <> 'resident' ORDER BY seq DESC LIMIT $2",
                                  $crate::accounts::AUDIT_COLUMNS);
                let rows: Vec<$crate::accounts::AuditRow> = sqlx::query_as(&sql)
                    .bind(id_number).bind(i64::from(limit)).fetch_all(&self.pool).await.map_err($crate::db_err)?;
                rows.into_iter().map($crate::accounts::AuditRow::into_domain).collect()
            }

            async fn recent_audit(&self, actor: Option<&str>, limit: u32)
                -> sscard_app::ports::StoreResult<Vec<sscard_domain::audit::AuditEntry>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!("SELECT {} FROM audit_log", $crate::accounts::AUDIT_COLUMNS));
                if let Some(a) = actor {
                    qb.push(" WHERE actor = ").push_bind(a.to_string());
                }
                qb.push(" ORDER BY seq DESC LIMIT ").push_bind(i64::from(limit));
                let rows: Vec<$crate::accounts::AuditRow> =
                    qb.build_query_as().fetch_all(&self.pool).await.map_err($crate::db_err)?;
                rows.into_iter().map($crate::accounts::AuditRow::into_domain).collect()
            }
        }
    };
}
