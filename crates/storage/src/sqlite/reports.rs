//! SQLite: the console's reports, with the SQL of `crate::reports`.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use sscard_app::ports::{Breakdown, Counted, DayCount, ReportStore, StoreResult};

use super::SqliteStore;
use crate::reports as q;
use crate::DbResult;

#[async_trait]
impl ReportStore for SqliteStore {
    async fn applications_per_day(
        &self,
        from: DateTime<FixedOffset>,
        until: DateTime<FixedOffset>,
        by: Breakdown,
    ) -> StoreResult<Vec<DayCount>> {
        let (from, until) = (crate::accounts::ms(from), crate::accounts::ms(until));
        report_rows_on!(&self.pool, &q::applications_per_day(by), from, until)
    }

    async fn daily_counts(
        &self,
        from: DateTime<FixedOffset>,
        until: DateTime<FixedOffset>,
        counted: Counted,
        today: NaiveDate,
    ) -> StoreResult<Vec<DayCount>> {
        let (from, until) = (crate::accounts::ms(from), crate::accounts::ms(until));
        let today = q::day_number(today);
        report_rows_on!(&self.pool, &q::daily_counts(counted, DATE_DAY), from, until, today)
    }
}

/// A DATE column's day number since 1970-01-01 on this engine.
const DATE_DAY: fn(&str) -> String = |col| format!("CAST(julianday({col}) - 2440587.5 AS INTEGER)");
