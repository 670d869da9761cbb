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

impl_order_store!(SqliteStore, "", "BEGIN IMMEDIATE");
