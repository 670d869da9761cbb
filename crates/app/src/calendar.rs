//! The working-day calendar (SPEC §7.3) as data in the store, loaded per year: the binary's years are seeded
//! at start, the admin (or `sscard import calendar FILE.csv`) loads a new one. It never stops a counter: a due
//! date past the loaded data is counted on weekends only and marked provisional, and loading the year
//! recomputes every provisional due date still open. The admin is warned from 60 days before the last loaded day.

use chrono::NaiveDate;
use sscard_domain::calendar::{CalendarError, DueDate, WorkdayCalendar, CALENDAR_WARNING_DAYS};

use crate::ports::StoreError;
use crate::AppContext;

#[derive(Debug, thiserror::Error)]
pub enum CalendarLoadError {
    #[error("{0}")]
    Invalid(#[from] CalendarError),
    #[error("the file holds no day")]
    Empty,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The calendar as loaded now (every instance reads the same store, so a year loaded anywhere counts at once).
pub async fn current(ctx: &AppContext) -> Result<WorkdayCalendar, StoreError> {
    Ok(WorkdayCalendar::from_days(&ctx.store.calendar_days().await?))
}

/// The due date `n` working days after `from`.
pub async fn due_date(ctx: &AppContext, from: NaiveDate, n: u32) -> Result<DueDate, StoreError> {
    Ok(current(ctx).await?.due_date(from, n))
}

/// Seeds the years the binary carries that the store does not have yet (a year loaded by the admin is kept).
pub async fn seed(ctx: &AppContext) -> Result<(), StoreError> {
    let loaded: Vec<i32> = ctx.store.calendar_years().await?.into_iter().map(|(y, ..)| y).collect();
    let embedded = ctx.calendar.years();
    let missing: Vec<i32> = embedded.into_iter().filter(|y| !loaded.contains(y)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let days = WorkdayCalendar::parse_days(sscard_domain::calendar::EMBEDDED_CSV)
        .map_err(|e| StoreError::Corrupt(format!("embedded calendar: {e}")))?;
    let days: Vec<_> = days
        .into_iter()
        .filter(|d| missing.contains(&chrono::Datelike::year(&d.date)))
        .collect();
    ctx.store
        .load_calendar(&missing, &days, "system", ctx.clock.now())
        .await?;
    recompute_provisional(ctx).await?;
    Ok(())
}

/// Loads the years of a `date,kind,name` file (each replaces what was stored for it) and recomputes the open
/// provisional due dates; the years loaded.
pub async fn load(ctx: &AppContext, csv: &str, by: &str) -> Result<Vec<i32>, CalendarLoadError> {
    let days = WorkdayCalendar::parse_days(csv)?;
    if days.is_empty() {
        return Err(CalendarLoadError::Empty);
    }
    let mut years: Vec<i32> = days.iter().map(|d| chrono::Datelike::year(&d.date)).collect();
    years.sort_unstable();
    years.dedup();
    ctx.store.load_calendar(&years, &days, by, ctx.clock.now()).await?;
    recompute_provisional(ctx).await?;
    Ok(years)
}

/// Recomputes the due dates counted past the loaded data; how many changed.
pub async fn recompute_provisional(ctx: &AppContext) -> Result<u64, StoreError> {
    let cal = current(ctx).await?;
    let mut n = 0;
    for (id, asked_on) in ctx.store.provisional_replacements().await? {
        let due = cal.due_date(asked_on, sscard_domain::card::replacement::REPLACEMENT_WORKING_DAYS);
        ctx.store.set_replacement_due(&id, due).await?;
        n += 1;
    }
    Ok(n)
}

/// Where the loaded calendar stands today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarStatus {
    pub years: Vec<i32>,
    /// Each loaded year with when and by whom.
    pub loaded: Vec<(i32, chrono::DateTime<chrono::FixedOffset>, String)>,
    pub last_day: Option<NaiveDate>,
    /// Days from today to the last loaded day (negative: already past it).
    pub days_left: Option<i64>,
    /// Within 60 days of the last loaded day (or past it, or nothing loaded): load the next year.
    pub warning: bool,
}

pub async fn status(ctx: &AppContext) -> Result<CalendarStatus, StoreError> {
    let cal = current(ctx).await?;
    let today = ctx.clock.now().date_naive();
    let last_day = cal.last_day();
    let days_left = last_day.map(|d| (d - today).num_days());
    Ok(CalendarStatus {
        years: cal.years(),
        loaded: ctx.store.calendar_years().await?,
        last_day,
        days_left,
        warning: days_left.is_none_or(|d| d <= CALENDAR_WARNING_DAYS),
    })
}
