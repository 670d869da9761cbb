//! The console's reports: the SQL both engines share (`sqlite::reports`, `postgres::reports` run it). A day is
//! counted in Beijing time (UTC+8, no daylight saving) from the stored epoch milliseconds.

use chrono::{Days, NaiveDate};
use sscard_app::ports::{Breakdown, DayCount, StoreError};

/// Milliseconds from epoch midnight UTC to Beijing midnight: a stored time plus this, divided by a day, is the
/// Beijing day's number since 1970-01-01.
const BEIJING_MS: i64 = 8 * 3600 * 1000;
const DAY_MS: i64 = 86_400_000;

/// The column each breakdown reads: named here, never taken from a request.
fn column(by: Breakdown) -> &'static str {
    match by {
        Breakdown::Route => "route",
        Breakdown::Channel => "channel",
        Breakdown::Bank => "bank",
        Breakdown::District => "residence_district",
    }
}

pub(crate) fn applications_per_day(by: Breakdown) -> String {
    format!(
        "SELECT (submitted_ms + {BEIJING_MS}) / {DAY_MS} AS day, {col} AS grp, COUNT(*) AS n FROM applications \
         WHERE submitted_ms >= $1 AND submitted_ms < $2 GROUP BY day, grp ORDER BY day, grp",
        col = column(by)
    )
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DayRow {
    day: i64,
    grp: Option<String>,
    n: i64,
}

impl DayRow {
    pub(crate) fn into_domain(self) -> Result<DayCount, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("report {what}: {self:?}"));
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).ok_or_else(|| corrupt("epoch"))?;
        let days = u64::try_from(self.day).map_err(|_| corrupt("day"))?;
        Ok(DayCount {
            day: epoch.checked_add_days(Days::new(days)).ok_or_else(|| corrupt("day"))?,
            count: u64::try_from(self.n).map_err(|_| corrupt("count"))?,
            group: self.grp,
        })
    }
}
