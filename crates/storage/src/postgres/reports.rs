//! PostgreSQL: the console's reports, with the SQL of `crate::reports`.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use sscard_app::ports::{Breakdown, DayCount, ReportStore, StoreResult};

use super::PgStore;
use crate::reports as q;
use crate::DbResult;

#[async_trait]
impl ReportStore for PgStore {
    async fn applications_per_day(
        &self,
        from: DateTime<FixedOffset>,
        until: DateTime<FixedOffset>,
        by: Breakdown,
    ) -> StoreResult<Vec<DayCount>> {
        let (from, until) = (crate::accounts::ms(from), crate::accounts::ms(until));
        rows_on!(&self.pool, q::DayRow, &q::applications_per_day(by), from, until)
    }
}
