//! The console's reports: counts the database makes (SPEC §10).

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};

use super::*;

/// What the applications-per-day report breaks the days down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakdown {
    Route,
    Channel,
    Bank,
    District,
}

impl Breakdown {
    pub const ALL: [Breakdown; 4] = [
        Breakdown::Route,
        Breakdown::Channel,
        Breakdown::Bank,
        Breakdown::District,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Breakdown::Route => "route",
            Breakdown::Channel => "channel",
            Breakdown::Bank => "bank",
            Breakdown::District => "district",
        }
    }

    pub fn parse(s: &str) -> Option<Breakdown> {
        Breakdown::ALL.into_iter().find(|b| b.as_str() == s)
    }
}

/// Applications submitted on a day (Beijing time) in one group; `group` is `None` where the application has
/// no value for it (a draft's bank never chosen cannot be submitted, but a district may be blank).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCount {
    pub day: NaiveDate,
    pub group: Option<String>,
    pub count: u64,
}

#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Applications submitted in `[from, until)`, counted by day and by `by`, in day then group order.
    async fn applications_per_day(
        &self,
        from: DateTime<FixedOffset>,
        until: DateTime<FixedOffset>,
        by: Breakdown,
    ) -> StoreResult<Vec<DayCount>>;
}
