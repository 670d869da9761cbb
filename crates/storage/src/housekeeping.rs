//! Housekeeping: deleting what has outlived its use (dead sessions, spent challenges, old rate events and
//! idempotent replies). The statements are the same on both engines; each engine's impl runs them on its own
//! pool, each in its own short transaction so no table is locked for long.

use crate::DbResult;
use async_trait::async_trait;
use sscard_app::ports::{HousekeepingStore, PruneBefore, Pruned, StoreResult};

use crate::accounts::ms;
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;

const SESSIONS: &str = "DELETE FROM sessions WHERE expires_ms < $1 OR revoked_ms < $1";
const CHALLENGES: &str = "DELETE FROM challenges WHERE expires_ms < $1 OR used_ms < $1";
const OIDC_FLOWS: &str = "DELETE FROM oidc_flows WHERE expires_ms < $1";
const RATE_EVENTS: &str = "DELETE FROM rate_events WHERE at_ms < $1";
const REPLIES: &str = "DELETE FROM idempotent_replies WHERE created_ms < $1";

/// One round on `$pool`: each table's statement with its cut-off (the engines differ only in the pool's type).
macro_rules! prune_on {
    ($pool:expr, $before:expr) => {{
        let run = |sql: &'static str, at| async move {
            sqlx::query(sql)
                .bind(ms(at))
                .execute($pool)
                .await
                .map(|r| r.rows_affected())
                .db()
        };
        Ok(Pruned {
            sessions: run(SESSIONS, $before.dead).await?,
            challenges: run(CHALLENGES, $before.dead).await?,
            oidc_flows: run(OIDC_FLOWS, $before.dead).await?,
            rate_events: run(RATE_EVENTS, $before.rate_events).await?,
            replies: run(REPLIES, $before.replies).await?,
        })
    }};
}

#[async_trait]
impl HousekeepingStore for PgStore {
    async fn prune(&self, before: &PruneBefore) -> StoreResult<Pruned> {
        prune_on!(&self.pool, before)
    }
}

#[async_trait]
impl HousekeepingStore for SqliteStore {
    async fn prune(&self, before: &PruneBefore) -> StoreResult<Pruned> {
        prune_on!(&self.pool, before)
    }
}
