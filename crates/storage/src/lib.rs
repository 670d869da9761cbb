//! sscard storage adapters: one SQLite and one PostgreSQL implementation of every port in
//! `sscard_app::ports`, each with its own migrations (`migrations/sqlite`, `migrations/postgres`).
//!
//! - [`open`] / [`connect`]: opens the database named by a URL (`sqlite:` or `postgres:`) under the startup
//!   lock and applies migrations.
//! - [`sqlite`], [`postgres`]: one module per engine, and in each a plain `impl Port for …Store` per aggregate:
//!   `accounts` (accounts, API clients), `sessions` (sessions, challenges, abuse counters, OpenID flows),
//!   `outbox` (SMS), `audit`, `applications`, `orders`, `collective`, `shared` (registry, reference data,
//!   settings, health). Each engine's `mod.rs` names its differences (`PICK_LOCK`, `CLAIM_LOCK`, `BEGIN_WRITE`,
//!   `DOCS_JSON`, `in_json`); SQLite adds WAL and a busy timeout, PostgreSQL `COPY` for bulk imports.
//! - `accounts`, `applications`, `orders`, `collective`, `common`: the row codecs, column lists and SQL text
//!   both engines share (no I/O of their own).
//! - [`blobs`]: document bytes in an object store (`object_store`: local directory, or S3-compatible).
//! - `housekeeping`: deleting what has outlived its use (one set of statements; each engine's
//!   `housekeeping` module runs them).
//! - `imports`: import jobs' row codecs and SQL (each engine's `imports` module runs it).
//! - `reference`: the console's changes of banks, branches and outlets: SQL and the kept change's codec.
//! - `reports`: the console's reports' SQL (each engine's `reports` module runs it).
//! - `macros`: body macros used inside per-engine methods (batch writes, a reply remembered, orders read back,
//!   a prune round); no macro holds an `impl`.
//! - [`DbResult::db`]: the one way a database error becomes a `StoreError`.
//!
//! The conformance suite (`tests/store/`) runs every store method against both engines.

#[macro_use]
mod macros;
mod accounts;
mod applications;
#[doc(hidden)]
pub mod bench_support;
pub mod blobs;
mod cards;
mod collective;
mod common;
mod housekeeping;
mod imports;
mod orders;
pub mod postgres;
mod reference;
mod replacements;
mod reports;
pub mod sqlite;

use std::sync::Arc;

use sscard_app::ports::{Store, StoreError};

/// Which engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn of(url: &str) -> Result<Engine, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Engine::Postgres)
        } else {
            Err(StoreError::Unavailable(format!(
                "DATABASE_URL must start with sqlite: or postgres://, got {:?}",
                url.split(':').next().unwrap_or("")
            )))
        }
    }
}

/// How the pool behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectOptions {
    /// Longest a request waits for a connection. Short, so that with the database away a request fails fast
    /// with a 503 instead of hanging past a load balancer's probe.
    pub acquire_timeout: std::time::Duration,
}

impl Default for ConnectOptions {
    fn default() -> ConnectOptions {
        ConnectOptions {
            acquire_timeout: std::time::Duration::from_secs(2),
        }
    }
}

/// Held while one process migrates the schema and loads first data; every other process starting on the same
/// database waits for it. Released when dropped, and by the operating system or the server if the process
/// dies (PostgreSQL: a session advisory lock on its own connection; SQLite: an exclusive lock on a file
/// beside the database).
pub struct StartupLock {
    _held: Box<dyn std::any::Any + Send + Sync>,
}

impl std::fmt::Debug for StartupLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StartupLock")
    }
}

/// Opens the database, takes the startup lock and applies pending migrations under it. The caller loads any
/// first data (banks, the demo set) before dropping the lock.
pub async fn open(url: &str, options: ConnectOptions) -> Result<(Arc<dyn Store>, StartupLock), StoreError> {
    Ok(match Engine::of(url)? {
        Engine::Sqlite => {
            let (s, lock) = sqlite::SqliteStore::open(url, options).await?;
            (Arc::new(s), lock)
        }
        Engine::Postgres => {
            let (s, lock) = postgres::PgStore::open(url, options).await?;
            (Arc::new(s), lock)
        }
    })
}

/// Opens the database and applies any pending migrations (the startup lock is released at once).
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    Ok(open(url, ConnectOptions::default()).await?.0)
}

/// `.db()?`: the one way this crate turns a database error into the ports' [`StoreError`].
pub(crate) trait DbResult<T> {
    fn db(self) -> Result<T, StoreError>;
}

impl<T> DbResult<T> for Result<T, sqlx::Error> {
    fn db(self) -> Result<T, StoreError> {
        self.map_err(db_err)
    }
}

pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Tls(_) => {
            StoreError::Unavailable(e.to_string())
        }
        other => StoreError::Database(other.to_string()),
    }
}

pub(crate) fn migrate_err(e: sqlx::migrate::MigrateError) -> StoreError {
    StoreError::Database(format!("migration failed: {e}"))
}
