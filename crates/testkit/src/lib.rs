//! Test support (dev-dependency only).
//!
//! - [`TestDb`]: a fresh, migrated database per test — a temporary SQLite file, or a new PostgreSQL database
//!   created on the server named by `SSCARD_TEST_PG_URL` and dropped afterwards.
//! - [`pg_available`]: whether PostgreSQL tests run; with `SSCARD_REQUIRE_PG=1` (CI) a missing server fails the
//!   test instead of skipping it.
//! - [`context`]: an `AppContext` on a fixed clock (2026-11-21 10:00, Asia/Shanghai); [`bench_context`], the
//!   same on PostgreSQL for the benchmarks.
//! - [`TestSecrets`]: known captchas and SMS codes.
//! - [`doubles`]: test servers speaking the face verifier's and the SMS gateway's protocols over HTTP.
//! - [`images`]: real image bytes: card photos that pass, and one of each kind that must fail.
//! - [`webdriver`]: a real browser (chromedriver + headless Chromium) that types, uploads and clicks.
//! - [`browser`]: headless Chromium for portal tests (`SSCARD_REQUIRE_BROWSER=1` makes it mandatory).
//! - [`cluster`]: a throwaway PostgreSQL cluster a fault test stops and starts itself.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: a failure here is a failed test

pub mod browser;
pub mod cluster;
pub mod doubles;
pub mod fixtures;
pub mod images;
pub mod webdriver;

use std::sync::Arc;

use chrono::TimeZone;
use sscard_app::ports::Store;
use sscard_app::AppContext;
use sscard_domain::calendar::WorkdayCalendar;
use sscard_domain::clock::{shanghai, FixedClock};
use sscard_domain::codes::CodeTables;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    Sqlite,
    Postgres,
}

pub struct TestDb {
    pub url: String,
    pub kind: EngineKind,
    _dir: Option<tempfile::TempDir>,
    admin_url: Option<String>,
    name: String,
}

pub fn flag(name: &str) -> bool {
    std::env::var(name).map(|v| v == "1" || v == "true").unwrap_or(false)
}

/// The PostgreSQL server for tests, or `None` (with a loud note) when tests may skip it.
pub fn pg_available() -> Option<String> {
    match std::env::var("SSCARD_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if flag("SSCARD_REQUIRE_PG") {
                panic!("SSCARD_REQUIRE_PG=1 but SSCARD_TEST_PG_URL is not set");
            }
            eprintln!("SKIPPED: PostgreSQL test (set SSCARD_TEST_PG_URL=postgres://… to run it)");
            None
        }
    }
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/test.db", dir.path().display());
        TestDb {
            url,
            kind: EngineKind::Sqlite,
            _dir: Some(dir),
            admin_url: None,
            name: String::new(),
        }
    }

    /// A new empty database on the test server; `None` when PostgreSQL tests are skipped.
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = pg_available()?;
        let name = format!("sscard_t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url)
            .await
            .unwrap();
        sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap();
        let url = replace_db(&admin_url, &name);
        Some(TestDb {
            url,
            kind: EngineKind::Postgres,
            _dir: None,
            admin_url: Some(admin_url),
            name,
        })
    }

    pub async fn of(kind: EngineKind) -> Option<TestDb> {
        match kind {
            EngineKind::Sqlite => Some(TestDb::sqlite().await),
            EngineKind::Postgres => TestDb::postgres().await,
        }
    }

    pub async fn store(&self) -> Arc<dyn Store> {
        sscard_storage::connect(&self.url).await.unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(admin) = self.admin_url.take() {
            let name = std::mem::take(&mut self.name);
            // Dropping needs its own runtime: Drop cannot await, and the test's runtime may be shutting down.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    if let Ok(mut c) = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await {
                        let _ = sqlx::Executor::execute(
                            &mut c,
                            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
                        )
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

/// `postgres://u@h:p/db?x` with `db` replaced.
pub fn replace_db(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..path_start], db);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

pub fn fixed_clock() -> FixedClock {
    FixedClock::at(shanghai().with_ymd_and_hms(2026, 11, 21, 10, 0, 0).unwrap())
}

/// Every captcha a test context draws shows this text.
pub const TEST_CAPTCHA: &str = "K7PX";

/// Randomness with known captchas and SMS codes counting up from 100001 (tokens stay random), so tests can
/// answer a captcha without reading the picture and tell one code from the next.
#[derive(Debug, Default)]
pub struct TestSecrets {
    codes: std::sync::atomic::AtomicU32,
}

impl sscard_app::secrets::SecretSource for TestSecrets {
    fn token(&self) -> String {
        sscard_app::secrets::OsSecrets.token()
    }
    fn captcha_text(&self, _len: usize) -> String {
        TEST_CAPTCHA.to_string()
    }
    fn numeric_code(&self, _len: usize) -> String {
        let n = self.codes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        format!("{}", 100_001 + n)
    }
}

pub fn context(store: Arc<dyn Store>, clock: FixedClock) -> AppContext {
    AppContext {
        store,
        clock: Arc::new(clock),
        codes: Arc::new(CodeTables::load().unwrap()),
        calendar: Arc::new(WorkdayCalendar::embedded().unwrap()),
        secrets: Arc::new(TestSecrets::default()),
        face: Arc::new(sscard_app::realname::DemoFaceVerifier),
        blobs: Arc::new(sscard_storage::blobs::ObjectBlobStore::memory()),
        machines: Default::default(),
    }
}

/// A context on a fresh store of `db`, with the 15 banks and the binary's calendar years loaded (as `sscard
/// serve` does at start-up).
pub async fn ready_context(db: &TestDb) -> AppContext {
    let ctx = context(db.store().await, fixed_clock());
    ctx.store
        .ensure_banks(&sscard_app::reference::banks_from_codes(&ctx.codes))
        .await
        .unwrap();
    sscard_app::calendar::seed(&ctx).await.unwrap();
    ctx
}

/// A benchmark's context on PostgreSQL: the store (for its pool) and a context with the OS's randomness (ids
/// never repeat between runs), the 15 banks and the fixture branches.
pub async fn bench_context(db: &TestDb) -> (sscard_storage::postgres::PgStore, AppContext) {
    let pg = sscard_storage::postgres::PgStore::connect(&db.url).await.unwrap();
    let mut ctx = context(Arc::new(pg.clone()), fixed_clock());
    ctx.secrets = Arc::new(sscard_app::secrets::OsSecrets);
    ctx.store
        .ensure_banks(&sscard_app::reference::banks_from_codes(&ctx.codes))
        .await
        .unwrap();
    sscard_app::import::import_csv(
        &ctx,
        sscard_app::import::ImportKind::Branches,
        fixtures::BRANCHES.as_bytes(),
    )
    .await
    .unwrap();
    (pg, ctx)
}

/// Runs an async test body against SQLite and against PostgreSQL: `both_engines!(name, |db| async move { … });`
#[macro_export]
macro_rules! both_engines {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::TestDb::of($crate::EngineKind::Sqlite).await.unwrap();
                ($body)(db).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::TestDb::of($crate::EngineKind::Postgres).await {
                    ($body)(db).await;
                }
            }
        }
    };
}
