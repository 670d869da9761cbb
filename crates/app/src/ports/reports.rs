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

/// The console's other daily counts (SPEC §10): each day's records in the groups [`Counted::groups`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Applications by the day submitted: where their production stands against the 30-day limit.
    Production,
    /// Replacement orders by the day ordered: where their production stands against the 4-working-day limit.
    Replacements,
    /// Employers' collective application: entities that set it up, employees who confirmed, employees submitted.
    Employers,
    /// The card's lifecycle services done, by channel (`None`: the system's own, such as a loss's release).
    Services,
    /// Text messages by the day queued: sent, still queued, or failed and being retried.
    Sms,
}

impl Counted {
    pub const ALL: [Counted; 5] = [
        Counted::Production,
        Counted::Replacements,
        Counted::Employers,
        Counted::Services,
        Counted::Sms,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Counted::Production => "production",
            Counted::Replacements => "replacements",
            Counted::Employers => "employers",
            Counted::Services => "services",
            Counted::Sms => "sms",
        }
    }

    pub fn parse(s: &str) -> Option<Counted> {
        Counted::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The groups every day is split into, in order (empty: the groups found, as for services by channel).
    pub fn groups(self) -> &'static [&'static str] {
        match self {
            Counted::Production | Counted::Replacements => &["on_time", "late", "overdue", "in_time", "closed"],
            Counted::Employers => &["opened", "confirmed", "submitted"],
            Counted::Services => &[],
            Counted::Sms => &["sent", "queued", "failed"],
        }
    }
}

#[async_trait]
pub trait ReportStore: Send + Sync {
    /// The records of `counted` in `[from, until)`, by Beijing day and group, in day then group order.
    /// Production is judged as of `today`: an unfinished order past its due day is `overdue`.
    async fn daily_counts(
        &self,
        from: DateTime<FixedOffset>,
        until: DateTime<FixedOffset>,
        counted: Counted,
        today: NaiveDate,
    ) -> StoreResult<Vec<DayCount>>;
    /// Applications submitted in `[from, until)`, counted by day and by `by`, in day then group order.
    async fn applications_per_day(
        &self,
        from: DateTime<FixedOffset>,
        until: DateTime<FixedOffset>,
        by: Breakdown,
    ) -> StoreResult<Vec<DayCount>>;
}
