//! PostgreSQL: production. Bulk imports `COPY` new rows straight into the registry and merge rows whose key is
//! already stored through a transaction-local staging table and `INSERT … ON CONFLICT DO UPDATE`.

mod accounts;
mod applications;
mod audit;
mod cards;
mod collective;
mod housekeeping;
mod imports;
mod orders;
mod outbox;
mod replacements;
mod reports;
mod sessions;
mod shared;

use crate::DbResult;
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};
use sscard_app::ports::{ImportBatch, ImportSession, StoreError, StoreResult};
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use sscard_domain::registry::InsuredPerson;

use crate::common::{membership_columns, PERSON_COLUMNS, PERSON_UPSERT_TAIL};
use crate::{migrate_err, ConnectOptions, StartupLock};

#[derive(Debug, Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
}

/// The advisory lock held while a process migrates and seeds ("SSCARD01" in ASCII).
const STARTUP_LOCK_KEY: i64 = 0x5353_4341_5244_3031;
/// The advisory lock an import holds for its transaction: one import at a time ("SSCARDIM").
const IMPORT_LOCK_KEY: i64 = 0x5353_4341_5244_494d;

/// Staged rows are merged into the registry every this many rows.
const FLUSH_ROWS: usize = 100_000;

impl PgStore {
    pub const ENGINE: &'static str = "postgres";

    pub async fn connect(url: &str) -> StoreResult<PgStore> {
        Ok(PgStore::open(url, ConnectOptions::default()).await?.0)
    }

    /// Opens the pool, takes the startup lock on a connection of its own and migrates under it (sqlx creates
    /// its bookkeeping table before its own lock, so two first starts at once could collide on it).
    pub async fn open(url: &str, opts: ConnectOptions) -> StoreResult<(PgStore, StartupLock)> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("the PostgreSQL URL does not parse: {e}")))?
            .application_name("sscard");
        // Where, never with the password: start errors are logged.
        let place = format!(
            "PostgreSQL at {}:{} (database {:?}, user {:?})",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or("-"),
            options.get_username()
        );
        let unreachable = |e: sqlx::Error| StoreError::Unavailable(format!("cannot reach {place}: {e}"));
        // One connection first, alone: the pool would only say it timed out, this says why (refused, no such
        // host, authentication failed, no such database).
        let probe = sqlx::ConnectOptions::connect(&options).await.map_err(unreachable)?;
        sqlx::Connection::close(probe).await.map_err(unreachable)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(opts.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(unreachable)?;
        let mut conn = pool.acquire().await.map_err(unreachable)?.detach();
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(STARTUP_LOCK_KEY)
            .execute(&mut conn)
            .await
            .db()?;
        sqlx::migrate!("migrations/postgres")
            .run(&mut conn)
            .await
            .map_err(migrate_err)?;
        // Closing this connection (on drop, or when the process dies) releases the lock.
        let lock = StartupLock {
            _held: Box::new(tokio::sync::Mutex::new(conn)),
        };
        Ok((PgStore { pool }, lock))
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_import_session(&self) -> StoreResult<Box<dyn ImportSession>> {
        let mut tx = self.pool.begin().await.db()?;
        // Two imports at once would both COPY the same new keys; the second is refused with a clear word.
        let ours: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
            .bind(IMPORT_LOCK_KEY)
            .fetch_one(&mut *tx)
            .await
            .db()?;
        if !ours {
            return Err(StoreError::Busy(
                "another import is running on this database; try again when it has finished".into(),
            ));
        }
        let registry_was_empty: bool = sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM registry_persons)")
            .fetch_one(&mut *tx)
            .await
            .db()?;
        Ok(Box::new(PgImport {
            tx,
            staged: 0,
            staging_created: false,
            registry_was_empty,
            buffer: Vec::new(),
        }))
    }
}

struct PgImport {
    tx: Transaction<'static, Postgres>,
    staged: usize,
    staging_created: bool,
    /// A first load into an empty registry has no stored keys to look up (each key comes once per session).
    registry_was_empty: bool,
    buffer: Vec<u8>,
}

/// One field in COPY text format.
pub fn copy_field(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        None => out.extend_from_slice(b"\\N"),
        // Almost every value needs no escaping: copy it whole.
        Some(v) if !v.bytes().any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r')) => {
            out.extend_from_slice(v.as_bytes())
        }
        Some(v) => {
            for b in v.bytes() {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    other => out.push(other),
                }
            }
        }
    }
}

/// `YYYY-MM-DD`, written digit by digit (this runs a few million times per registry import).
fn copy_date(out: &mut Vec<u8>, d: NaiveDate) {
    let digits = |out: &mut Vec<u8>, n: u32, width: u32| {
        for p in (0..width).rev() {
            out.push(b'0' + ((n / 10u32.pow(p)) % 10) as u8);
        }
    };
    digits(out, d.year().unsigned_abs(), 4);
    out.push(b'-');
    digits(out, d.month(), 2);
    out.push(b'-');
    digits(out, d.day(), 2);
}

/// One registry row in COPY text format, columns in [`PERSON_COLUMNS`] order, written straight from the
/// record without an intermediate row of owned strings.
pub(crate) fn copy_person_line(out: &mut Vec<u8>, p: &InsuredPerson) {
    let (employer, pension_bank, pension_branch) = membership_columns(&p.membership);
    let tab = |out: &mut Vec<u8>| out.push(b'\t');
    copy_field(out, Some(p.id_number.as_str()));
    tab(out);
    copy_field(out, Some(p.name.as_str()));
    tab(out);
    copy_field(out, Some(p.gender.as_str()));
    tab(out);
    copy_date(out, p.birth_date());
    tab(out);
    copy_field(out, Some(&p.nationality));
    tab(out);
    copy_field(out, p.ethnicity.as_deref());
    tab(out);
    copy_date(out, p.id_valid_from);
    tab(out);
    match p.id_valid_until {
        Some(d) => copy_date(out, d),
        None => copy_field(out, None),
    }
    tab(out);
    copy_field(out, Some(&p.address));
    tab(out);
    copy_field(out, p.residence_district.as_deref());
    tab(out);
    copy_field(out, p.mobile.as_ref().map(|m| m.as_str()));
    tab(out);
    copy_field(out, p.occupation.as_deref());
    tab(out);
    for (i, t) in p.insurance.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        out.extend_from_slice(t.as_str().as_bytes());
    }
    tab(out);
    copy_field(out, Some(p.membership.category()));
    tab(out);
    copy_field(out, employer);
    tab(out);
    copy_field(out, pension_bank);
    tab(out);
    copy_field(out, pension_branch);
    tab(out);
    for (i, c) in p.legacy_cards.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        out.push(b'0' + c.generation);
        out.push(b':');
        copy_field(out, Some(&c.bank));
    }
    out.push(b'\n');
}

impl PgImport {
    /// New keys are copied straight into the registry (the fastest path PostgreSQL has); keys already stored go
    /// through the staging table and one `INSERT … ON CONFLICT DO UPDATE` per flush. A row inserted by another
    /// writer between the look-up and the COPY fails the whole import cleanly (unique key), never duplicates.
    async fn stage(&mut self, rows: &[InsuredPerson]) -> StoreResult<()> {
        let existing: Vec<String> = if self.registry_was_empty {
            Vec::new()
        } else {
            let keys: Vec<&str> = rows.iter().map(|p| p.id_number.as_str()).collect();
            sqlx::query_scalar("SELECT id_number FROM registry_persons WHERE id_number = ANY($1)")
                .bind(&keys)
                .fetch_all(&mut *self.tx)
                .await
                .db()?
        };
        let existing: std::collections::HashSet<String> = existing.into_iter().collect();
        let (updates, inserts): (Vec<_>, Vec<_>) = rows.iter().partition(|p| existing.contains(p.id_number.as_str()));
        if !inserts.is_empty() {
            self.copy_into("registry_persons", &inserts).await?;
        }
        if !updates.is_empty() {
            if !self.staging_created {
                sqlx::query(
                    "CREATE TEMP TABLE registry_import (LIKE registry_persons INCLUDING DEFAULTS) ON COMMIT DROP",
                )
                .execute(&mut *self.tx)
                .await
                .db()?;
                self.staging_created = true;
            }
            self.copy_into("registry_import", &updates).await?;
            self.staged += updates.len();
            if self.staged >= FLUSH_ROWS {
                self.merge().await?;
            }
        }
        Ok(())
    }

    async fn copy_into(&mut self, table: &str, rows: &[&InsuredPerson]) -> StoreResult<()> {
        self.buffer.clear();
        for p in rows {
            copy_person_line(&mut self.buffer, p);
        }
        let mut copy = (*self.tx)
            .copy_in_raw(&format!("COPY {table} ({PERSON_COLUMNS}) FROM STDIN"))
            .await
            .db()?;
        copy.send(self.buffer.as_slice()).await.db()?;
        copy.finish().await.db()?;
        Ok(())
    }

    async fn merge(&mut self) -> StoreResult<()> {
        if self.staged == 0 {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO registry_persons ({PERSON_COLUMNS}) SELECT {PERSON_COLUMNS} FROM registry_import{PERSON_UPSERT_TAIL}"
        );
        sqlx::query(&sql).execute(&mut *self.tx).await.db()?;
        sqlx::query("TRUNCATE registry_import")
            .execute(&mut *self.tx)
            .await
            .db()?;
        self.staged = 0;
        Ok(())
    }
}

#[async_trait]
impl ImportSession for PgImport {
    async fn write(&mut self, batch: &ImportBatch) -> StoreResult<()> {
        if let ImportBatch::Persons(rows) = batch {
            return self.stage(rows).await;
        }
        let tx = &mut self.tx;
        write_batch!(Postgres, tx, batch);
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> StoreResult<()> {
        self.merge().await?;
        self.tx.commit().await.db()
    }
}

/// How a pull locks the rows it picks and skips those another pull holds (several instances pull at once).
pub(crate) const PICK_LOCK: &str = " FOR UPDATE OF o SKIP LOCKED";
/// Locks a row read before it is written: PostgreSQL's row lock; SQLite's `BEGIN IMMEDIATE` already holds
/// the database's one write lock.
pub(crate) const ROW_LOCK: &str = " FOR UPDATE";
/// How a read-then-write transaction starts (row locks do the rest).
pub(crate) const BEGIN_WRITE: &str = "BEGIN";

/// How an outbox claim locks the messages it picks. Several servers may share one database: a worker skips the messages another has locked.
pub(crate) const CLAIM_LOCK: &str = " FOR UPDATE SKIP LOCKED";
/// An application's documents as a JSON array of `{kind, hash, media_type, bytes}` (one query reads an
/// application with its documents).
pub(crate) const DOCS_JSON: &str =
    "(SELECT COALESCE(json_agg(json_build_object('kind', d.kind, 'hash', d.hash, 'media_type', d.media_type, \
     'bytes', d.bytes)), '[]')::text FROM application_documents d WHERE d.application_id = a.id)";

/// This engine's `IN` list over a JSON array of strings bound as text, for `placeholder`.
pub(crate) fn in_json(placeholder: &str) -> String {
    format!("IN (SELECT json_array_elements_text({placeholder}::json))")
}

impl PgStore {
    /// A session and its audit entry in one statement (one round trip, one commit): every login and every
    /// bank token writes both, so on opening day this is the hottest write. Its commit does not wait for the
    /// WAL to reach the disk (`synchronous_commit = off` for this one transaction): a crash of the database may
    /// lose the last fraction of a second of logins, each session with its audit entry (never one without the
    /// other), and those callers log in again. Nothing else waits on it: any later durable commit flushes it
    /// too, and every other write the platform makes stays fully durable. (Measured: the flush, not the
    /// statement, was the cost of a token: 49% of a read's rate with it, 85% without; `docs/performance.md`.)
    pub(crate) async fn insert_session_audited(
        &self,
        s: &sscard_app::ports::SessionRecord,
        audit: Option<&sscard_domain::audit::AuditEntry>,
    ) -> Result<(), sqlx::Error> {
        use crate::accounts::{ms, AUDIT_COLUMNS, SESSION_COLUMNS};
        let session =
            format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
        let sql = match audit {
            Some(_) => format!(
                "WITH lazy AS (SELECT set_config('synchronous_commit', 'off', true)), s AS ({session}) \
                 INSERT INTO audit_log ({AUDIT_COLUMNS}) \
                 SELECT $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21 FROM lazy"
            ),
            None => session,
        };
        let mut q = sqlx::query(&sql)
            .bind(&s.id)
            .bind(&s.account)
            .bind(s.kind.as_str())
            .bind(s.channel.as_str())
            .bind(&s.client_id)
            .bind(&s.csrf)
            .bind(ms(s.created_at))
            .bind(ms(s.expires_at))
            .bind(&s.ip)
            .bind(&s.user_agent);
        if let Some(e) = audit {
            q = q
                .bind(ms(e.at))
                .bind(&e.actor)
                .bind(e.role.map(|r| r.as_str()))
                .bind(e.channel.as_str())
                .bind(&e.organisation)
                .bind(e.action.as_str())
                .bind(&e.record)
                .bind(&e.subject_person)
                .bind(&e.purpose)
                .bind(e.outcome.as_str())
                .bind(&e.ip);
        }
        q.execute(&self.pool).await?;
        Ok(())
    }

    /// The batch in one statement: the update decides, and the events, orders and texts follow only for the
    /// rows it moved. Any row no longer `confirmed` rolls the whole batch back.
    async fn write_batch(&self, b: &sscard_app::ports::Batch) -> StoreResult<sscard_app::ports::BatchWrite> {
        use sscard_domain::application::{ApplicationEvent, ApplicationState};
        let at = crate::accounts::ms(b.at);
        let mut tx = self.pool.begin().await.db()?;
        let n: i64 = sqlx::query_scalar(
            "WITH input AS (SELECT * FROM json_to_recordset($1::json) \
               AS t(id text, order_id text, bank text, sms_id text, mobile text, body text)), \
             u AS (UPDATE applications a SET state = $7, updated_ms = $2, submitted_ms = $2, due_on = $3 \
               FROM input WHERE a.id = input.id AND a.state = $6 RETURNING a.id), \
             e AS (INSERT INTO application_events (application_id, at_ms, event, from_state, to_state, actor, channel) \
               SELECT id, $2, $8, $6, $7, $4, $5 FROM u), \
             s AS (UPDATE production_orders SET superseded = TRUE WHERE application_id IN (SELECT id FROM u) \
               AND NOT superseded), \
             o AS (INSERT INTO production_orders (id, application_id, bank, created_ms) \
               SELECT i.order_id, i.id, i.bank, $2 FROM input i JOIN u ON u.id = i.id), \
             m AS (INSERT INTO sms_outbox (id, mobile, body, created_ms, attempts, due_ms) \
               SELECT i.sms_id, i.mobile, i.body, $2, 0, $2 FROM input i JOIN u ON u.id = i.id WHERE i.sms_id IS NOT NULL) \
             SELECT COUNT(*) FROM u",
        )
        .bind(crate::collective::batch_json(b))
        .bind(at)
        .bind(b.due_on)
        .bind(&b.actor)
        .bind(b.channel.as_str())
        .bind(ApplicationState::Confirmed.as_str())
        .bind(ApplicationState::Submitted.as_str())
        .bind(ApplicationEvent::EmployerSubmit.as_str())
        .fetch_one(&mut *tx)
        .await
        .db()?;
        if usize::try_from(n).ok() != Some(b.items.len()) {
            tx.rollback().await.db()?;
            return Ok(sscard_app::ports::BatchWrite::StateChanged);
        }
        if let Some(r) = &b.reply {
            if !remember_reply!(tx, r, b.at) {
                tx.rollback().await.db()?;
                return Ok(sscard_app::ports::BatchWrite::KeyUsed);
            }
        }
        tx.commit().await.db()?;
        Ok(sscard_app::ports::BatchWrite::Written)
    }
}
