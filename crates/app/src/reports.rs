//! The console's reports (SPEC §10), as the read models the pages and the API show: every day of the period
//! (days without a record included, so a chart's axis has no gaps), each group's count and the totals.
//! Applications per day by a breakdown, production against its limits, employers' adoption, lifecycle services
//! by channel and the SMS outbox are all reports of this one shape.

use chrono::{Days, NaiveDate};

use crate::ports::{Breakdown, Counted, StoreError};
use crate::AppContext;

/// The longest period a report covers.
pub const MAX_DAYS: u64 = 366;
/// The period when none is given: the last 30 days, today included.
pub const DEFAULT_DAYS: u64 = 30;

/// A report's period, both days included, at most [`MAX_DAYS`] long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Which field of the period is at fault, and why (a refusal code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {code}")]
pub struct PeriodError {
    pub field: &'static str,
    pub code: &'static str,
}

impl Period {
    /// From the query's text (`YYYY-MM-DD`, either may be absent): the last 30 days by default.
    pub fn parse(from: Option<&str>, to: Option<&str>, today: NaiveDate) -> Result<Period, PeriodError> {
        let date = |field: &'static str, v: &str| {
            NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|_| PeriodError {
                field,
                code: "invalid_date",
            })
        };
        let to = to.map(|v| date("to", v)).transpose()?.unwrap_or(today);
        let from = match from {
            Some(v) => date("from", v)?,
            None => to.checked_sub_days(Days::new(DEFAULT_DAYS - 1)).unwrap_or(to),
        };
        if from > to {
            return Err(PeriodError {
                field: "from",
                code: "period_reversed",
            });
        }
        if (to - from).num_days() >= MAX_DAYS as i64 {
            return Err(PeriodError {
                field: "from",
                code: "period_too_long",
            });
        }
        Ok(Period { from, to })
    }

    pub fn days(self) -> impl Iterator<Item = NaiveDate> {
        self.from.iter_days().take_while(move |d| *d <= self.to)
    }
}

/// One day's row: a count per group (in the report's group order) and the day's total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDay {
    pub day: NaiveDate,
    pub counts: Vec<u64>,
    pub total: u64,
}

/// Which report: applications per day by a breakdown, or one of the other daily counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Applications(Breakdown),
    Counted(Counted),
}

impl ReportKind {
    /// The report's name in URLs: `applications`, or a [`Counted`]'s.
    pub fn name(self) -> &'static str {
        match self {
            ReportKind::Applications(_) => "applications",
            ReportKind::Counted(c) => c.as_str(),
        }
    }

    /// The report named `name`, with the breakdown `by` (applications only: `route` when absent). `None` for
    /// an unknown name; `Err` for a breakdown that is none.
    pub fn parse(name: &str, by: Option<&str>) -> Option<Result<ReportKind, PeriodError>> {
        if name == "applications" {
            return Some(match by {
                None => Ok(ReportKind::Applications(Breakdown::Route)),
                Some(b) => Breakdown::parse(b).map(ReportKind::Applications).ok_or(PeriodError {
                    field: "by",
                    code: "invalid_choice",
                }),
            });
        }
        Counted::parse(name).map(|c| Ok(ReportKind::Counted(c)))
    }
}

/// A report: each day's count per group, broken down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyReport {
    pub period: Period,
    pub kind: ReportKind,
    /// The groups, in order: a counted report's fixed ones, else those that occur in the period; `None` for
    /// records without a value (an application without a district, a change the system made by itself).
    pub groups: Vec<Option<String>>,
    pub days: Vec<ReportDay>,
    /// Per group over the period.
    pub totals: Vec<u64>,
    pub total: u64,
}

/// Applications submitted per day in `period`, by `by`.
pub async fn applications_per_day(ctx: &AppContext, period: Period, by: Breakdown) -> Result<DailyReport, StoreError> {
    report(ctx, period, ReportKind::Applications(by)).await
}

/// The report `kind` over `period`.
pub async fn report(ctx: &AppContext, period: Period, kind: ReportKind) -> Result<DailyReport, StoreError> {
    let zone = *ctx.clock.now().offset();
    let midnight = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(zone).single())
            .ok_or_else(|| StoreError::Database(format!("no midnight on {d}")))
    };
    let until = period
        .to
        .checked_add_days(Days::new(1))
        .ok_or_else(|| StoreError::Database("the period ends past the calendar".into()))?;
    let (from, until) = (midnight(period.from)?, midnight(until)?);
    let rows = match kind {
        ReportKind::Applications(by) => ctx.store.applications_per_day(from, until, by).await?,
        ReportKind::Counted(c) => ctx.store.daily_counts(from, until, c, ctx.clock.today()).await?,
    };
    let fixed = match kind {
        ReportKind::Counted(c) => c.groups(),
        ReportKind::Applications(_) => &[],
    };
    let groups: Vec<Option<String>> = if fixed.is_empty() {
        let mut found: Vec<Option<String>> = rows.iter().map(|r| r.group.clone()).collect();
        found.sort();
        found.dedup();
        found
    } else {
        fixed.iter().map(|g| Some((*g).to_string())).collect()
    };
    let place = |g: &Option<String>| {
        if fixed.is_empty() {
            groups.binary_search(g).ok()
        } else {
            groups.iter().position(|x| x == g)
        }
    };
    let mut days: Vec<ReportDay> = period
        .days()
        .map(|day| ReportDay {
            day,
            counts: vec![0; groups.len()],
            total: 0,
        })
        .collect();
    let mut totals = vec![0; groups.len()];
    for r in rows {
        // The store answers only days of the period: a day's row is its distance from the first.
        let day = usize::try_from((r.day - period.from).num_days()).ok();
        let (Some(d), Some(g)) = (day.and_then(|i| days.get_mut(i)), place(&r.group)) else {
            continue;
        };
        d.counts[g] += r.count;
        d.total += r.count;
        totals[g] += r.count;
    }
    Ok(DailyReport {
        period,
        kind,
        groups,
        total: totals.iter().sum(),
        days,
        totals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn a_period_is_the_last_30_days_unless_given_and_never_over_a_year() {
        let today = d("2026-12-07");
        assert_eq!(
            Period::parse(None, None, today),
            Ok(Period {
                from: d("2026-11-08"),
                to: today
            })
        );
        assert_eq!(
            Period::parse(Some("2026-01-01"), Some("2026-12-31"), today).map(|p| p.days().count()),
            Ok(365)
        );
        let err = |field, code| Err(PeriodError { field, code });
        assert_eq!(
            Period::parse(Some("2026-13-01"), None, today),
            err("from", "invalid_date")
        );
        assert_eq!(Period::parse(None, Some("yesterday"), today), err("to", "invalid_date"));
        assert_eq!(
            Period::parse(Some("2026-12-08"), None, today),
            err("from", "period_reversed")
        );
        assert_eq!(
            Period::parse(Some("2024-01-01"), Some("2025-01-01"), today),
            err("from", "period_too_long")
        );
    }
}
