//! PostgreSQL: housekeeping, the statements of `crate::housekeeping` run on this engine's pool.

use async_trait::async_trait;
use sscard_app::ports::{HousekeepingStore, PruneBefore, Pruned, StoreResult};

use super::PgStore;
use crate::DbResult;

#[async_trait]
impl HousekeepingStore for PgStore {
    async fn prune(&self, before: &PruneBefore) -> StoreResult<Pruned> {
        prune_on!(&self.pool, before)
    }
}
