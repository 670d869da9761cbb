//! Opening the database at start: wait for it (naming where and why, never the password), migrate and load
//! first data under the startup lock, and build the application context.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sscard_app::ports::{StoreError, SETTING_DEMO_DATA};
use sscard_app::AppContext;
use sscard_domain::calendar::WorkdayCalendar;
use sscard_domain::clock::SystemClock;
use sscard_domain::codes::CodeTables;
use sscard_storage::{ConnectOptions, StartupLock};

/// The demo-data flag while a first load is under way: a start that finds it finishes the load.
pub const DEMO_SEEDING: &str = "seeding";

/// How the database is reached.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    pub url: String,
    pub options: ConnectOptions,
    /// How long a start waits for an unreachable database before giving up.
    pub start_wait: Duration,
}

/// Opens the database, retrying while it cannot be reached (a server still starting, a failover) until
/// `start_wait` has passed. A fault that waiting will not mend (a bad path, a full disk, a file that is not a
/// database) fails at once.
async fn open_store(db: &DatabaseConfig) -> anyhow::Result<(Arc<dyn sscard_app::ports::Store>, StartupLock)> {
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(500);
    loop {
        match sscard_storage::open(&db.url, db.options).await {
            Ok(opened) => return Ok(opened),
            Err(StoreError::Unavailable(why)) if started.elapsed() < db.start_wait => {
                tracing::warn!(cause = %why, retry_in_ms = pause.as_millis() as u64, "database not reachable yet");
                eprintln!(
                    "waiting for the database: {why}; trying again in {} ms",
                    pause.as_millis()
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
            Err(e) => anyhow::bail!("cannot open the database: {e}"),
        }
    }
}

/// The application context on the configured database, with the startup lock still held: the caller loads
/// what must exist before serving, then drops the lock.
pub async fn context_locked(db: &DatabaseConfig, data_dir: &Path) -> anyhow::Result<(AppContext, StartupLock)> {
    let (store, lock) = open_store(db).await?;
    let codes = CodeTables::load().context("code tables")?;
    store
        .ensure_banks(&sscard_app::reference::banks_from_codes(&codes))
        .await
        .context("cannot load the bank table")?;
    let ctx = AppContext {
        store,
        clock: Arc::new(SystemClock),
        codes: Arc::new(codes),
        calendar: Arc::new(WorkdayCalendar::embedded().context("working-day calendar")?),
        secrets: Arc::new(sscard_app::secrets::OsSecrets),
        face: Arc::new(sscard_app::realname::DemoFaceVerifier),
        blobs: Arc::new(match std::env::var("SSCARD_DOCUMENT_STORE") {
            Ok(url) if !url.is_empty() => sscard_storage::blobs::ObjectBlobStore::from_url(&url)
                .map_err(|e| anyhow::anyhow!("SSCARD_DOCUMENT_STORE: {e}"))?,
            _ => sscard_storage::blobs::ObjectBlobStore::local(&data_dir.join("documents"))
                .map_err(|e| anyhow::anyhow!("document store: {e}"))?,
        }),
        machines: Default::default(),
    };
    // The binary's calendar years, where the store has not got them (a year the admin loaded is kept).
    sscard_app::calendar::seed(&ctx)
        .await
        .context("cannot load the working-day calendar")?;
    Ok((ctx, lock))
}

pub async fn context(db: &DatabaseConfig, data_dir: &Path) -> anyhow::Result<AppContext> {
    Ok(context_locked(db, data_dir).await?.0)
}

/// What a demo-mode start must do with the demo data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoStart {
    /// Loaded, or a database of real data: leave it.
    Nothing,
    /// An empty database: load the set.
    Load,
    /// A load that stopped half-way (killed, disk full): run it again to the end (it is made of upserts).
    Finish,
}

pub fn demo_start(flag: Option<&str>, registry_is_empty: bool) -> DemoStart {
    match flag {
        Some("true") => DemoStart::Nothing,
        Some(DEMO_SEEDING) => DemoStart::Finish,
        _ if registry_is_empty => DemoStart::Load,
        _ => DemoStart::Nothing,
    }
}

/// Loads or finishes the demo set when a demo-mode start needs it; called under the startup lock, so of
/// several instances starting at once exactly one loads it and the others find it done.
pub async fn demo_first_start(ctx: &AppContext) -> anyhow::Result<()> {
    let flag = ctx.store.setting(SETTING_DEMO_DATA).await?;
    let empty = ctx.store.count_persons().await? == 0;
    match demo_start(flag.as_deref(), empty) {
        DemoStart::Nothing => Ok(()),
        DemoStart::Load | DemoStart::Finish => {
            tracing::info!("loading the demo data set");
            // The summary names the demo accounts and how to log in: the first thing a demo user needs.
            eprintln!("{}", crate::demo::seed(ctx).await?);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_half_loaded_demo_set_is_finished_and_real_data_left_alone() {
        assert_eq!(demo_start(None, true), DemoStart::Load);
        assert_eq!(demo_start(Some(DEMO_SEEDING), false), DemoStart::Finish);
        assert_eq!(demo_start(Some("true"), false), DemoStart::Nothing);
        assert_eq!(demo_start(None, false), DemoStart::Nothing, "a registry of real data");
    }
}
