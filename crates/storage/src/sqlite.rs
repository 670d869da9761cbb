//! SQLite: the embedded default. WAL so readers never wait for the writer; a busy timeout so writers queue
//! instead of failing; foreign keys on.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use sscard_app::ports::{ImportBatch, ImportSession, StoreResult};

use crate::{db_err, migrate_err};

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
}

impl SqliteStore {
    pub const ENGINE: &'static str = "sqlite";

    pub async fn connect(url: &str) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(db_err)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(15))
            .connect_with(options)
            .await
            .map_err(db_err)?;
        sqlx::migrate!("migrations/sqlite")
            .run(&pool)
            .await
            .map_err(migrate_err)?;
        Ok(SqliteStore { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn begin_import_session(&self) -> StoreResult<Box<dyn ImportSession>> {
        // IMMEDIATE takes the write lock up front, so the import never fails half-way on a lock upgrade.
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db_err)?;
        Ok(Box::new(SqliteImport { tx }))
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
        self.tx.commit().await.map_err(db_err)
    }
}

impl_shared_store!(SqliteStore, Sqlite);

// SQLite runs one writer at a time: the claiming UPDATE is atomic on its own.
impl_account_stores!(SqliteStore, Sqlite, "");

impl_application_store!(
    SqliteStore, Sqlite,
    false,
    "(SELECT COALESCE(json_group_array(json_object('kind', d.kind, 'hash', d.hash, 'media_type', d.media_type, 'bytes', d.bytes)), '[]') FROM application_documents d WHERE d.application_id = a.id)"
);

impl_order_store!(
    SqliteStore,
    "",
    "BEGIN IMMEDIATE",
    "IN (SELECT value FROM json_each({}))"
);

impl_collective_store!(SqliteStore, "IN (SELECT value FROM json_each({}))");

impl SqliteStore {
    /// The batch as a few set-based statements in one write transaction (taken up front, so nothing
    /// changes between the check and the writes). Any row no longer `confirmed` rolls it all back.
    async fn write_batch(&self, b: &sscard_app::ports::Batch) -> StoreResult<bool> {
        use sscard_domain::application::{ApplicationEvent, ApplicationState};
        let at = crate::accounts::ms(b.at);
        let json = crate::collective::batch_json(b);
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db_err)?;
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
        .map_err(db_err)?;
        if usize::try_from(moved.rows_affected()).ok() != Some(b.items.len()) {
            tx.rollback().await.map_err(db_err)?;
            return Ok(false);
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
        .map_err(db_err)?;
        sqlx::query(
            "UPDATE production_orders SET superseded = 1 WHERE NOT superseded \
             AND application_id IN (SELECT json_extract(value, '$.id') FROM json_each($1))",
        )
        .bind(&json)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query(
            "INSERT INTO production_orders (id, application_id, bank, created_ms) \
             SELECT json_extract(value, '$.order_id'), json_extract(value, '$.id'), json_extract(value, '$.bank'), $1 \
             FROM json_each($2)",
        )
        .bind(at)
        .bind(&json)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query(
            "INSERT INTO sms_outbox (id, mobile, body, created_ms, attempts, due_ms) \
             SELECT json_extract(value, '$.sms_id'), json_extract(value, '$.mobile'), json_extract(value, '$.body'), \
             $1, 0, $1 FROM json_each($2) WHERE json_extract(value, '$.sms_id') IS NOT NULL",
        )
        .bind(at)
        .bind(&json)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }
}
