//! Replacement orders, the calendar and the printed-field flag: the row codecs and the SQL both engines share;
//! the impls are per engine (`sqlite::replacements`, `postgres::replacements`).

use sscard_app::ports::{ReplacementOrder, StoreError};
use sscard_domain::calendar::{CalendarDay, DayKind, DueDate};
use sscard_domain::card::replacement::{PrintedField, ReplacementCause, ReplacementState};

use crate::accounts::from_ms;
use crate::common::stored_id;

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("{what}: {v}"))
}

/// The printed fields as stored (comma-separated; NULL or empty for none).
pub(crate) fn printed_fields(stored: Option<&str>) -> Result<Vec<PrintedField>, StoreError> {
    stored
        .unwrap_or("")
        .split(',')
        .filter(|f| !f.is_empty())
        .map(|f| PrintedField::parse(f).ok_or_else(|| corrupt("replacement_required", f)))
        .collect()
}

/// The printed fields to store.
pub(crate) fn printed_fields_text(fields: &[PrintedField]) -> Option<String> {
    let mut f: Vec<PrintedField> = fields.to_vec();
    f.sort();
    f.dedup();
    (!f.is_empty()).then(|| f.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(","))
}

pub(crate) const REPLACEMENT_COLUMNS: &str = "id, card_number, holder_id, application_id, bank, branch, cause, state, \
    instant, created_ms, due_on, due_provisional, pulled_ms, lease_ms, acked_ms, new_card, masked_account, \
    tracking_number, reject_reason";

pub(crate) const INSERT_REPLACEMENT: &str = "INSERT INTO replacement_orders (id, card_number, holder_id, \
    application_id, bank, branch, cause, state, instant, created_ms, updated_ms, due_on, due_provisional, pulled_ms, \
    new_card, masked_account) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12, $13, $14, $15)";

/// Marks the card replaced-in-progress; only if nothing was asked before (`$1` order, `$2` card).
pub(crate) const MARK_REPLACEMENT: &str =
    "UPDATE cards SET replacement_order = $1 WHERE number = $2 AND replacement_order IS NULL";

/// A replacement card, produced: `$1`…`$8` as [`sscard_domain::card::Card`], `$9` the card it replaces.
pub(crate) const INSERT_REPLACEMENT_CARD: &str = "INSERT INTO cards (number, holder_id, generation, bank, branch, \
    masked_account, issued_on, application_id, social_security, financial, replaces) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending_activation', 'inactive', $9)";

/// The retired card's end (`$1` ss to, `$2` fin to, `$3` number, `$4` ss from, `$5` fin from).
pub(crate) const RETIRE_CARD: &str = "UPDATE cards SET social_security = $1, financial = $2, loss_until_ms = NULL \
    WHERE number = $3 AND social_security = $4 AND financial = $5";

/// A replacement's move (`$1` to, `$2` at, `$3` new card, `$4` masked account, `$5` tracking, `$6` reason, `$7`
/// acknowledges, `$8` id, `$9` from).
pub(crate) const MOVE_REPLACEMENT: &str = "UPDATE replacement_orders SET state = $1, updated_ms = $2, \
    new_card = COALESCE($3, new_card), masked_account = COALESCE($4, masked_account), \
    tracking_number = COALESCE($5, tracking_number), reject_reason = COALESCE($6, reject_reason), \
    acked_ms = CASE WHEN $7 AND acked_ms IS NULL THEN $2 ELSE acked_ms END WHERE id = $8 AND state = $9";

/// Open orders past due on `$1`, by bank and the collecting branch's district.
pub(crate) const OVERDUE_REPLACEMENTS: &str = "SELECT r.bank, COALESCE(b.district, '') AS district, COUNT(*) AS n, \
    MIN(r.due_on) AS oldest FROM replacement_orders r LEFT JOIN branches b ON b.code = r.branch \
    WHERE r.state IN ('ordered', 'sent_to_bank', 'in_production') AND r.due_on < $1 \
    GROUP BY r.bank, COALESCE(b.district, '') ORDER BY r.bank, district";

/// `$1` the holder: the time of their last bank change.
pub(crate) const LAST_BANK_CHANGE: &str = "SELECT MAX(t.at_ms) FROM card_transitions t \
    JOIN cards c ON c.number = t.card_number WHERE c.holder_id = $1 AND t.service = 'bank_change'";

/// Cards due for the non-counter suspension (`$1` the cancellation cut-off, `$2` limit).
pub(crate) const DUE_SUSPENSIONS: &str = "SELECT c.number FROM cards c WHERE c.social_security = 'cancelled' \
    AND c.financial <> 'cancelled' \
    AND NOT EXISTS (SELECT 1 FROM card_transitions s WHERE s.card_number = c.number \
        AND s.reason = 'non_counter_suspended') \
    AND (SELECT MAX(t.at_ms) FROM card_transitions t WHERE t.card_number = c.number \
        AND t.ss_to = 'cancelled' AND t.ss_from <> 'cancelled') <= $1 \
    ORDER BY c.number LIMIT $2";

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ReplacementRow {
    pub id: String,
    pub card_number: String,
    pub holder_id: String,
    pub application_id: String,
    pub bank: String,
    pub branch: String,
    pub cause: String,
    pub state: String,
    pub instant: bool,
    pub created_ms: i64,
    pub due_on: chrono::NaiveDate,
    pub due_provisional: bool,
    pub pulled_ms: Option<i64>,
    pub lease_ms: Option<i64>,
    pub acked_ms: Option<i64>,
    pub new_card: Option<String>,
    pub masked_account: Option<String>,
    pub tracking_number: Option<String>,
    pub reject_reason: Option<String>,
}

impl ReplacementRow {
    pub fn into_domain(self) -> Result<ReplacementOrder, StoreError> {
        Ok(ReplacementOrder {
            holder: stored_id(&self.holder_id)?,
            cause: ReplacementCause::parse(&self.cause).ok_or_else(|| corrupt("cause", &self.cause))?,
            state: ReplacementState::parse(&self.state).ok_or_else(|| corrupt("state", &self.state))?,
            created_at: from_ms(self.created_ms)?,
            due: DueDate {
                date: self.due_on,
                provisional: self.due_provisional,
            },
            pulled_at: self.pulled_ms.map(from_ms).transpose()?,
            lease_until: self.lease_ms.map(from_ms).transpose()?,
            acknowledged_at: self.acked_ms.map(from_ms).transpose()?,
            id: self.id,
            card: self.card_number,
            application: self.application_id,
            bank: self.bank,
            branch: self.branch,
            instant: self.instant,
            new_card: self.new_card,
            masked_account: self.masked_account,
            tracking_number: self.tracking_number,
            reject_reason: self.reject_reason,
        })
    }
}

/// A calendar day as stored.
pub(crate) fn calendar_day(day: chrono::NaiveDate, kind: &str, name: String) -> Result<CalendarDay, StoreError> {
    let kind = match kind {
        "holiday" => DayKind::Holiday,
        "workday" => DayKind::Workday,
        other => return Err(corrupt("calendar kind", other)),
    };
    Ok(CalendarDay { date: day, kind, name })
}
