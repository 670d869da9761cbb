//! Chinese working days (SPEC §7.3): Monday–Friday, less official holidays, plus adjusted working weekends
//! (调休). The exceptions are data (`data/cn_workday_calendar.csv`), one set per year.

use chrono::{Datelike, NaiveDate, Weekday};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    Holiday,
    Workday,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }
}

/// How many days before the last loaded day the admin is warned to load the next year.
pub const CALENDAR_WARNING_DAYS: i64 = 60;

/// A due date: exact when every day up to it is covered by loaded data; otherwise counted on weekends only
/// (no holidays known) and marked provisional, to be recomputed when the year is loaded. A counter never stops
/// for want of a calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueDate {
    pub date: NaiveDate,
    pub provisional: bool,
}

/// One exception day, as loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct WorkdayCalendar {
    exceptions: BTreeMap<NaiveDate, DayKind>,
    years: BTreeSet<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("calendar row {row}: {reason}")]
    Row { row: usize, reason: String },
    #[error("the working-day calendar has no data for {year}; load that year's holiday notice first")]
    YearNotCovered { year: i32 },
}

/// The years the binary carries (from the official notices, `data/cn_workday_calendar.csv`).
pub const EMBEDDED_CSV: &str = include_str!("../data/cn_workday_calendar.csv");

impl WorkdayCalendar {
    /// The calendar compiled into the binary.
    pub fn embedded() -> Result<WorkdayCalendar, CalendarError> {
        WorkdayCalendar::from_csv(EMBEDDED_CSV)
    }

    /// `date,kind,name` rows; `kind` is `holiday` (a weekday off) or `workday` (a weekend day worked).
    /// A year counts as covered when it has at least one row.
    pub fn from_csv(text: &str) -> Result<WorkdayCalendar, CalendarError> {
        let mut exceptions = BTreeMap::new();
        let mut years = BTreeSet::new();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        for (i, rec) in reader.records().enumerate() {
            let row = i + 2;
            let rec = rec.map_err(|e| CalendarError::Row {
                row,
                reason: e.to_string(),
            })?;
            let date =
                NaiveDate::parse_from_str(rec.get(0).unwrap_or(""), "%Y-%m-%d").map_err(|e| CalendarError::Row {
                    row,
                    reason: format!("date: {e}"),
                })?;
            let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
            let kind = match rec.get(1).unwrap_or("") {
                "holiday" if !weekend => DayKind::Holiday,
                "workday" if weekend => DayKind::Workday,
                "holiday" => {
                    return Err(CalendarError::Row {
                        row,
                        reason: format!("{date} is a weekend day already"),
                    })
                }
                "workday" => {
                    return Err(CalendarError::Row {
                        row,
                        reason: format!("{date} is a weekday already"),
                    })
                }
                other => {
                    return Err(CalendarError::Row {
                        row,
                        reason: format!("unknown kind {other:?}"),
                    })
                }
            };
            exceptions.insert(date, kind);
            years.insert(date.year());
        }
        Ok(WorkdayCalendar { exceptions, years })
    }

    /// The calendar of these exception days (the years they fall in count as covered).
    pub fn from_days(days: &[CalendarDay]) -> WorkdayCalendar {
        WorkdayCalendar {
            exceptions: days.iter().map(|d| (d.date, d.kind)).collect(),
            years: days.iter().map(|d| d.date.year()).collect(),
        }
    }

    /// `date,kind,name` rows parsed into days (each checked as [`WorkdayCalendar::from_csv`] does).
    pub fn parse_days(text: &str) -> Result<Vec<CalendarDay>, CalendarError> {
        WorkdayCalendar::from_csv(text)?;
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let mut out = Vec::new();
        for rec in reader.records().flatten() {
            let (Some(date), Some(kind)) = (
                rec.get(0).and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
                match rec.get(1) {
                    Some("holiday") => Some(DayKind::Holiday),
                    Some("workday") => Some(DayKind::Workday),
                    _ => None,
                },
            ) else {
                continue;
            };
            out.push(CalendarDay {
                date,
                kind,
                name: rec.get(2).unwrap_or("").trim().to_string(),
            });
        }
        Ok(out)
    }

    /// The years with data, in order.
    pub fn years(&self) -> Vec<i32> {
        self.years.iter().copied().collect()
    }

    /// The last day the loaded data covers (31 December of the last year), if any.
    pub fn last_day(&self) -> Option<NaiveDate> {
        self.years.last().and_then(|y| NaiveDate::from_ymd_opt(*y, 12, 31))
    }

    /// The `n`th working day after `from`, never failing: a day in a year without data counts as a working day
    /// when it is Monday–Friday, and the answer is then provisional.
    pub fn due_date(&self, from: NaiveDate, n: u32) -> DueDate {
        let mut date = from;
        let mut left = n;
        let mut provisional = false;
        while left > 0 {
            let Some(next) = date.succ_opt() else { break };
            date = next;
            let working = match self.is_working_day(date) {
                Ok(w) => w,
                Err(_) => {
                    provisional = true;
                    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
                }
            };
            if working {
                left -= 1;
            }
        }
        DueDate { date, provisional }
    }

    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        if !self.covers(date.year()) {
            return Err(CalendarError::YearNotCovered { year: date.year() });
        }
        Ok(match self.exceptions.get(&date) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        })
    }

    /// The `n`th working day after `from` (`from` itself is not counted; `n = 0` returns `from`).
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let mut date = from;
        let mut left = n;
        while left > 0 {
            date = date
                .succ_opt()
                .ok_or(CalendarError::YearNotCovered { year: date.year() + 1 })?;
            if self.is_working_day(date)? {
                left -= 1;
            }
        }
        Ok(date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn holidays_and_adjusted_workdays() {
        let cal = WorkdayCalendar::embedded().unwrap();
        assert!(!cal.is_working_day(d(2026, 10, 1)).unwrap(), "National Day");
        assert!(cal.is_working_day(d(2026, 10, 10)).unwrap(), "adjusted Saturday");
        assert!(cal.is_working_day(d(2026, 11, 23)).unwrap(), "ordinary Monday");
        assert!(!cal.is_working_day(d(2026, 11, 21)).unwrap(), "ordinary Saturday");
    }

    #[test]
    fn adding_working_days_skips_the_golden_week_and_counts_the_adjusted_saturday() {
        let cal = WorkdayCalendar::embedded().unwrap();
        // Wed 30 Sep 2026 + 4 working days: 1–7 Oct are off (1,2,5,6,7 holidays; 3,4 weekend),
        // Thu 8, Fri 9, Sat 10 (worked), Mon 12.
        assert_eq!(cal.add_working_days(d(2026, 9, 30), 4).unwrap(), d(2026, 10, 12));
        // An ordinary Friday + 4 = the next Thursday.
        assert_eq!(cal.add_working_days(d(2026, 11, 20), 4).unwrap(), d(2026, 11, 26));
        assert_eq!(cal.add_working_days(d(2026, 11, 20), 0).unwrap(), d(2026, 11, 20));
    }

    #[test]
    fn years_without_data_are_refused_not_guessed() {
        let cal = WorkdayCalendar::embedded().unwrap();
        assert_eq!(
            cal.is_working_day(d(2027, 1, 4)),
            Err(CalendarError::YearNotCovered { year: 2027 })
        );
        assert!(cal.add_working_days(d(2026, 12, 30), 4).is_err());
    }

    #[test]
    fn a_due_date_past_the_loaded_data_is_counted_on_weekends_and_provisional() {
        let cal = WorkdayCalendar::embedded().unwrap();
        // Wed 30 Dec 2026 + 4: Thu 31, then 2027 unknown: Fri 1 Jan (a holiday in fact), Mon 4, Tue 5.
        let due = cal.due_date(d(2026, 12, 30), 4);
        assert_eq!(
            due,
            DueDate {
                date: d(2027, 1, 5),
                provisional: true
            }
        );
        let exact = cal.due_date(d(2026, 9, 30), 4);
        assert_eq!(
            exact,
            DueDate {
                date: d(2026, 10, 12),
                provisional: false
            }
        );
        assert_eq!(cal.last_day(), Some(d(2026, 12, 31)));
        let with_2027 = WorkdayCalendar::from_days(
            &[
                WorkdayCalendar::parse_days(include_str!("../data/cn_workday_calendar.csv")).unwrap(),
                vec![CalendarDay {
                    date: d(2027, 1, 1),
                    kind: DayKind::Holiday,
                    name: "元旦".into(),
                }],
            ]
            .concat(),
        );
        assert_eq!(
            with_2027.due_date(d(2026, 12, 30), 4),
            DueDate {
                date: d(2027, 1, 6),
                provisional: false
            }
        );
    }

    #[test]
    fn malformed_rows_are_reported_with_their_row() {
        let err = WorkdayCalendar::from_csv("date,kind,name\n2026-10-01,holiday,x\n2026-10-03,holiday,y\n");
        assert!(matches!(err, Err(CalendarError::Row { row: 3, .. })));
    }
}
