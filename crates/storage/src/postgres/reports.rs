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
        let rows: Vec<q::DayRow> = sqlx::query_as(&q::applications_per_day(by))
            .bind(crate::accounts::ms(from))
            .bind(crate::accounts::ms(until))
            .fetch_all(&self.pool)
            .await
            .db()?;
        rows.into_iter().map(q::DayRow::into_domain).collect()
    }
}
