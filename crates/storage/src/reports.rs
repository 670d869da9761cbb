//! The console's reports: the SQL both engines share (`sqlite::reports`, `postgres::reports` run it). A day is
//! counted in Beijing time (UTC+8, no daylight saving) from the stored epoch milliseconds.

use chrono::{Days, NaiveDate};
use sscard_app::ports::{Breakdown, Counted, DayCount, StoreError};

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
         WHERE submitted_ms >= $1 AND submitted_ms < $2 GROUP BY day, grp",
        col = column(by)
    )
}

/// Where an order stands against its due day (`$3`: today's day number): made by then, made later, not made and
/// past it, not made and still in time, or closed without a card. `made` and `due` are day numbers.
fn standing(made: &str, due: &str, closed: &str) -> String {
    format!(
        "CASE WHEN {made} IS NOT NULL AND {made} <= {due} THEN 'on_time' \
              WHEN {made} IS NOT NULL THEN 'late' \
              WHEN {closed} THEN 'closed' \
              WHEN $3 > {due} THEN 'overdue' ELSE 'in_time' END"
    )
}

/// The SQL of a daily count; `date_day` turns a DATE column into its day number since 1970-01-01 (the engines
/// differ: see each engine's `reports` module). Binds: `$1`/`$2` the period's epoch milliseconds, `$3` today's
/// day number.
pub(crate) fn daily_counts(counted: Counted, date_day: fn(&str) -> String) -> String {
    let day = |col: &str| format!("({col} + {BEIJING_MS}) / {DAY_MS}");
    match counted {
        Counted::Production => {
            let made = "(SELECT MIN(e.at_ms) FROM application_events e \
                         WHERE e.application_id = a.id AND e.to_state = 'produced')";
            format!(
                "SELECT day, grp, COUNT(*) AS n FROM (SELECT {sub} AS day, {standing} AS grp \
                 FROM (SELECT a.submitted_ms, a.state, a.due_on, {made_day} AS made FROM applications a \
                       WHERE a.submitted_ms >= $1 AND a.submitted_ms < $2) a) t \
                 GROUP BY day, grp",
                sub = day("submitted_ms"),
                made_day = day(made),
                standing = standing("made", &date_day("due_on"), "state IN ('rejected', 'withdrawn')"),
            )
        }
        Counted::Replacements => format!(
            "SELECT day, grp, COUNT(*) AS n FROM (SELECT {created} AS day, {standing} AS grp \
             FROM (SELECT r.created_ms, r.state, r.due_on, {made} AS made FROM replacement_orders r \
                   LEFT JOIN cards c ON c.number = r.new_card \
                   WHERE r.created_ms >= $1 AND r.created_ms < $2) r) t \
             GROUP BY day, grp",
            created = day("created_ms"),
            made = date_day("c.issued_on"),
            standing = standing("made", &date_day("due_on"), "state = 'rejected'"),
        ),
        Counted::Employers => format!(
            "SELECT day, grp, COUNT(*) AS n FROM ( \
                SELECT {first} AS day, 'opened' AS grp FROM collective_settings_history \
                    GROUP BY uscc HAVING MIN(at_ms) >= $1 AND MIN(at_ms) < $2 \
                UNION ALL SELECT {at} AS day, \
                    CASE event WHEN 'confirm' THEN 'confirmed' ELSE 'submitted' END AS grp \
                    FROM application_events \
                    WHERE event IN ('confirm', 'employer_submit') AND at_ms >= $1 AND at_ms < $2 \
             ) t WHERE $3 = $3 GROUP BY day, grp",
            first = day("MIN(at_ms)"),
            at = day("at_ms"),
        ),
        Counted::Services => format!(
            "SELECT {at} AS day, channel AS grp, COUNT(*) AS n FROM card_transitions \
             WHERE at_ms >= $1 AND at_ms < $2 AND $3 = $3 GROUP BY day, grp",
            at = day("at_ms"),
        ),
        Counted::Sms => format!(
            "SELECT {created} AS day, CASE WHEN sent_ms IS NOT NULL THEN 'sent' \
                 WHEN last_error IS NOT NULL THEN 'failed' ELSE 'queued' END AS grp, COUNT(*) AS n \
             FROM sms_outbox WHERE created_ms >= $1 AND created_ms < $2 AND $3 = $3 \
             GROUP BY day, grp",
            created = day("created_ms"),
        ),
    }
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

/// A date's day number since 1970-01-01 (what `$3` of a daily count binds).
pub(crate) fn day_number(d: NaiveDate) -> i64 {
    NaiveDate::from_ymd_opt(1970, 1, 1).map_or(0, |epoch| (d - epoch).num_days())
}
