//! SQLite: the embedded default. WAL so readers never wait for the writer; a busy timeout so writers queue
//! instead of failing; foreign keys on.

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
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use sscard_app::ports::{ImportBatch, ImportSession, StoreError, StoreResult};

use crate::{migrate_err, ConnectOptions, StartupLock};

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
}

impl SqliteStore {
    pub const ENGINE: &'static str = "sqlite";

    pub async fn connect(url: &str) -> StoreResult<SqliteStore> {
        Ok(SqliteStore::open(url, ConnectOptions::default()).await?.0)
    }

    /// Opens the file, takes the startup lock (an exclusive lock on `FILE.lock`, so processes sharing the file
    /// migrate and seed one at a time) and migrates under it.
    pub async fn open(url: &str, opts: ConnectOptions) -> StoreResult<(SqliteStore, StartupLock)> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Database(format!("the SQLite URL does not parse: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let file = options.get_filename().to_path_buf();
        let in_memory = file.as_os_str().is_empty() || file.to_string_lossy().contains(":memory:");
        let lock = if in_memory {
            StartupLock { _held: Box::new(()) }
        } else {
            lock_file(&file).await?
        };
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(opts.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Database(explain_open_error(&file, &e)))?;
        sqlx::migrate!("migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(format!("{}: {}", file.display(), explain_migrate_error(&file, e))))?;
        Ok((SqliteStore { pool }, lock))
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn begin_import_session(&self) -> StoreResult<Box<dyn ImportSession>> {
        // IMMEDIATE takes the write lock up front, so the import never fails half-way on a lock upgrade.
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await.db()?;
        Ok(Box::new(SqliteImport { tx }))
    }
}

/// An exclusive lock on `DB.lock`, taken off the async threads (it may wait for another process).
async fn lock_file(db: &Path) -> StoreResult<StartupLock> {
    let mut path = db.as_os_str().to_owned();
    path.push(".lock");
    let path = PathBuf::from(path);
    let shown = path.display().to_string();
    let held = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        f.lock()?;
        Ok(f)
    })
    .await
    .map_err(|e| StoreError::Database(format!("the startup lock task failed: {e}")))?
    .map_err(|e| StoreError::Database(format!("cannot lock {shown}: {}", io_cause(&e, db))))?;
    Ok(StartupLock { _held: Box::new(held) })
}

/// What went wrong with a file, in words an operator can act on.
fn io_cause(e: &std::io::Error, file: &Path) -> String {
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match e.kind() {
        std::io::ErrorKind::NotFound => format!("the directory {} does not exist", dir.display()),
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
            format!("permission denied or read-only: {} cannot be written", dir.display())
        }
        std::io::ErrorKind::StorageFull => "the disk is full".to_string(),
        _ => e.to_string(),
    }
}

/// SQLite's result codes as causes: 14 cannot open, 13 full, 26 not a database, 8 read-only.
fn sqlite_cause(e: &sqlx::Error, file: &Path) -> String {
    let code = e
        .as_database_error()
        .and_then(|d| d.code())
        .and_then(|c| c.parse::<i32>().ok())
        .map(|c| c & 0xff);
    match code {
        Some(14) => {
            let probe = file
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            match std::fs::metadata(probe) {
                Err(err) => io_cause(&err, file),
                Ok(m) if m.permissions().readonly() => format!("{} is read-only", probe.display()),
                Ok(_) => format!(
                    "cannot open the file (permissions, or {} is read-only)",
                    probe.display()
                ),
            }
        }
        Some(13) => "the disk is full".to_string(),
        Some(26) => "the file is not a SQLite database".to_string(),
        Some(8) => "the database is read-only".to_string(),
        _ => match e {
            sqlx::Error::Io(io) => io_cause(io, file),
            other => other.to_string(),
        },
    }
}

fn explain_open_error(file: &Path, e: &sqlx::Error) -> String {
    format!(
        "cannot open the SQLite database {}: {}",
        file.display(),
        sqlite_cause(e, file)
    )
}

fn explain_migrate_error(file: &Path, e: sqlx::migrate::MigrateError) -> String {
    match e {
        sqlx::migrate::MigrateError::Execute(inner) => format!("migration failed: {}", sqlite_cause(&inner, file)),
        other => migrate_err(other).to_string(),
    }
}

struct SqliteImport {
    tx: Transaction<'static, Sqlite>,
}

#[async_trait]
impl ImportSession for SqliteImport {
    async fn write(&mut self, batch: &ImportBatch) -> StoreResult<()> {
        let tx = &mut self.tx;
        write_batch!(Sqlite, tx, batch);
        Ok(())
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await.db()
    }
}

/// SQLite serialises writers: a pull needs no row lock.
pub(crate) const PICK_LOCK: &str = "";
/// Locks a row read before it is written: PostgreSQL's row lock; SQLite's `BEGIN IMMEDIATE` already holds
/// the database's one write lock.
pub(crate) const ROW_LOCK: &str = "";
/// A read-then-write transaction takes the write lock up front, so a concurrent writer waits for it instead of
/// failing the lock upgrade half-way.
pub(crate) const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// How an outbox claim locks the messages it picks. SQLite runs one writer at a time: the claiming UPDATE is atomic on its own.
pub(crate) const CLAIM_LOCK: &str = "";
/// An application's documents as a JSON array of `{kind, hash, media_type, bytes}` (one query reads an
/// application with its documents).
pub(crate) const DOCS_JSON: &str =
    "(SELECT COALESCE(json_group_array(json_object('kind', d.kind, 'hash', d.hash, 'media_type', d.media_type, \
     'bytes', d.bytes)), '[]') FROM application_documents d WHERE d.application_id = a.id)";

/// This engine's `IN` list over a JSON array of strings bound as text, for `placeholder`.
pub(crate) fn in_json(placeholder: &str) -> String {
    format!("IN (SELECT value FROM json_each({placeholder}))")
}

impl SqliteStore {
    /// A session and its audit entry in one transaction (SQLite is in process: two statements cost little).
    pub(crate) async fn insert_session_audited(
        &self,
        s: &sscard_app::ports::SessionRecord,
        audit: Option<&sscard_domain::audit::AuditEntry>,
    ) -> Result<(), sqlx::Error> {
        use crate::accounts::{ms, SESSION_COLUMNS};
        let mut tx = self.pool.begin().await?;
        sqlx::query(&format!(
            "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(&s.id)
        .bind(&s.account)
        .bind(s.kind.as_str())
        .bind(s.channel.as_str())
        .bind(&s.client_id)
        .bind(&s.csrf)
        .bind(ms(s.created_at))
        .bind(ms(s.expires_at))
        .bind(&s.ip)
        .bind(&s.user_agent)
        .execute(&mut *tx)
        .await?;
        if let Some(e) = audit {
            Self::insert_audit(&mut *tx, e).await?;
        }
        tx.commit().await
    }
}

impl SqliteStore {
    /// The batch as a few set-based statements in one write transaction (taken up front, so nothing
    /// changes between the check and the writes). Any row no longer `confirmed` rolls it all back.
    async fn write_batch(&self, b: &sscard_app::ports::Batch) -> StoreResult<sscard_app::ports::BatchWrite> {
        use sscard_domain::application::{ApplicationEvent, ApplicationState};
        let at = crate::accounts::ms(b.at);
        let json = crate::collective::batch_json(b);
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.db()?;
        let moved = sqlx::query(
            "UPDATE applications SET state = $1, updated_ms = $2, submitted_ms = $2, due_on = $3 \
             WHERE state = $4 AND id IN (SELECT json_extract(value, '$.id') FROM json_each($5))",
        )
        .bind(ApplicationState::Submitted.as_str())
        .bind(at)
        .bind(b.due_on)
        .bind(ApplicationState::Confirmed.as_str())
        .bind(&json)
        .execute(&mut *tx)
        .await
        .db()?;
        if usize::try_from(moved.rows_affected()).ok() != Some(b.items.len()) {
            tx.rollback().await.db()?;
            return Ok(sscard_app::ports::BatchWrite::StateChanged);
        }
        sqlx::query(
            "INSERT INTO application_events (application_id, at_ms, event, from_state, to_state, actor, channel) \
             SELECT json_extract(value, '$.id'), $1, $2, $3, $4, $5, $6 FROM json_each($7)",
        )
        .bind(at)
        .bind(ApplicationEvent::EmployerSubmit.as_str())
        .bind(ApplicationState::Confirmed.as_str())
        .bind(ApplicationState::Submitted.as_str())
        .bind(&b.actor)
        .bind(b.channel.as_str())
        .bind(&json)
        .execute(&mut *tx)
        .await
        .db()?;
        sqlx::query(
            "UPDATE production_orders SET superseded = 1 WHERE NOT superseded \
             AND application_id IN (SELECT json_extract(value, '$.id') FROM json_each($1))",
        )
        .bind(&json)
        .execute(&mut *tx)
        .await
        .db()?;
        sqlx::query(
            "INSERT INTO production_orders (id, application_id, bank, created_ms) \
             SELECT json_extract(value, '$.order_id'), json_extract(value, '$.id'), json_extract(value, '$.bank'), $1 \
             FROM json_each($2)",
        )
        .bind(at)
        .bind(&json)
        .execute(&mut *tx)
        .await
        .db()?;
        sqlx::query(
            "INSERT INTO sms_outbox (id, mobile, body, created_ms, attempts, due_ms) \
             SELECT json_extract(value, '$.sms_id'), json_extract(value, '$.mobile'), json_extract(value, '$.body'), \
             $1, 0, $1 FROM json_each($2) WHERE json_extract(value, '$.sms_id') IS NOT NULL",
        )
        .bind(at)
        .bind(&json)
        .execute(&mut *tx)
        .await
        .db()?;
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
