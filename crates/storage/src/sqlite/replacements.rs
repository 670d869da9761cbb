//! SQLite: the replacement store (replacement orders in the bank interface, the new card linked both ways,
//! the printed-field flag, bank changes, suspensions, the calendar), a plain implementation of the port. The
//! codecs and the shared SQL are in `crate::replacements`.

use super::{in_json, SqliteStore, BEGIN_WRITE, CLAIM_LOCK};
use crate::accounts::{from_ms, ms};
use crate::cards::TransitionValues;
use crate::replacements::{
    calendar_day, printed_fields, printed_fields_text, ReplacementRow, DUE_SUSPENSIONS, INSERT_REPLACEMENT,
    INSERT_REPLACEMENT_CARD, LAST_BANK_CHANGE, MARK_REPLACEMENT, MOVE_REPLACEMENT, OVERDUE_REPLACEMENTS,
    REPLACEMENT_COLUMNS, RETIRE_CARD,
};
use crate::DbResult;
use chrono::{DateTime, FixedOffset, NaiveDate};
use sqlx::SqliteConnection;
use sscard_app::ports::{
    OrderPull, PrintedFieldFlag, ReplacementOrder, ReplacementReport, ReportWrite, SlaRow, StoreError, StoreResult,
};
use sscard_domain::calendar::{CalendarDay, DueDate};
use sscard_domain::card::transition::CardTransition;
use sscard_domain::values::IdNumber;

/// Part of a card write: creates the replacement order and marks the card; `false` when a replacement was
/// asked for it before (the caller rolls back).
pub(super) async fn order_in(c: &mut SqliteConnection, o: &ReplacementOrder) -> StoreResult<bool> {
    let marked = sqlx::query(MARK_REPLACEMENT)
        .bind(&o.id)
        .bind(&o.card)
        .execute(&mut *c)
        .await
        .db()?;
    if marked.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(INSERT_REPLACEMENT)
        .bind(&o.id)
        .bind(&o.card)
        .bind(o.holder.as_str())
        .bind(&o.application)
        .bind(&o.bank)
        .bind(&o.branch)
        .bind(o.cause.as_str())
        .bind(o.state.as_str())
        .bind(o.instant)
        .bind(ms(o.created_at))
        .bind(o.due.date)
        .bind(o.due.provisional)
        .bind(o.pulled_at.map(ms))
        .bind(&o.new_card)
        .bind(&o.masked_account)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(true)
}

/// Part of a card write: the end of the card a replacement replaces, with its record and the bank's event; `false` when it no longer stands in the `from` states.
pub(super) async fn retire_in(
    c: &mut SqliteConnection,
    t: &CardTransition,
    event: &str,
    bank: &str,
) -> StoreResult<bool> {
    let v = TransitionValues::of(t);
    let r = sqlx::query(RETIRE_CARD)
        .bind(v.ss.1)
        .bind(v.fin.1)
        .bind(&v.card)
        .bind(v.ss.0)
        .bind(v.fin.0)
        .execute(&mut *c)
        .await
        .db()?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    let seq = super::cards::insert_transition(c, &v).await?;
    // A card ending always reaches its bank (SPEC §8).
    super::cards::insert_bank_event(c, event, bank, seq, &v).await?;
    Ok(true)
}

async fn orders_by_id(c: &mut SqliteConnection, ids: &[String]) -> StoreResult<Vec<ReplacementOrder>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let row: ReplacementRow = sqlx::query_as(&format!(
            "SELECT {REPLACEMENT_COLUMNS} FROM replacement_orders WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(&mut *c)
        .await
        .db()?;
        out.push(row.into_domain()?);
    }
    Ok(out)
}

fn count(n: i64) -> StoreResult<u64> {
    u64::try_from(n).map_err(|e| StoreError::Corrupt(format!("count: {e}")))
}

#[async_trait::async_trait]
impl sscard_app::ports::ReplacementStore for SqliteStore {
    async fn pull_replacements(&self, pull: &OrderPull) -> StoreResult<Vec<ReplacementOrder>> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.db()?;
        let now = ms(pull.at);
        let lease = ms(pull.lease_until);
        if let Some(key) = &pull.key {
            let again: Vec<String> = sqlx::query_scalar(
                "SELECT id FROM replacement_orders WHERE pulled_by = $1 AND pull_key = $2 AND bank = $3 \
                 ORDER BY created_ms, id",
            )
            .bind(&pull.actor)
            .bind(key)
            .bind(&pull.bank)
            .fetch_all(&mut *tx)
            .await
            .db()?;
            if !again.is_empty() {
                sqlx::query(
                    "UPDATE replacement_orders SET lease_ms = $1 WHERE pulled_by = $2 AND pull_key = $3 \
                     AND bank = $4 AND acked_ms IS NULL",
                )
                .bind(lease)
                .bind(&pull.actor)
                .bind(key)
                .bind(&pull.bank)
                .execute(&mut *tx)
                .await
                .db()?;
                let out = orders_by_id(&mut tx, &again).await?;
                tx.commit().await.db()?;
                return Ok(out);
            }
        }
        let limit = i64::from(pull.limit);
        let mut ids: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT id FROM replacement_orders WHERE bank = $1 AND pulled_ms IS NOT NULL AND acked_ms IS NULL \
             AND lease_ms <= $2 AND state = 'sent_to_bank' ORDER BY lease_ms, id LIMIT $3{CLAIM_LOCK}"
        ))
        .bind(&pull.bank)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await
        .db()?;
        let room = limit - ids.len() as i64;
        if room > 0 {
            let fresh: Vec<String> = sqlx::query_scalar(&format!(
                "SELECT id FROM replacement_orders WHERE bank = $1 AND pulled_ms IS NULL AND state = 'ordered' \
                 ORDER BY created_ms, id LIMIT $2{CLAIM_LOCK}"
            ))
            .bind(&pull.bank)
            .bind(room)
            .fetch_all(&mut *tx)
            .await
            .db()?;
            ids.extend(fresh);
        }
        for id in &ids {
            sqlx::query(
                "UPDATE replacement_orders SET state = 'sent_to_bank', pulled_ms = COALESCE(pulled_ms, $1), \
                 updated_ms = $1, lease_ms = $2, pulled_by = $3, pull_key = $4 WHERE id = $5",
            )
            .bind(now)
            .bind(lease)
            .bind(&pull.actor)
            .bind(&pull.key)
            .bind(id)
            .execute(&mut *tx)
            .await
            .db()?;
        }
        let out = orders_by_id(&mut tx, &ids).await?;
        tx.commit().await.db()?;
        Ok(out)
    }

    async fn ack_replacements(&self, bank: &str, ids: &[String], at: DateTime<FixedOffset>) -> StoreResult<u64> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.db()?;
        let mut n = 0;
        for id in ids {
            n += sqlx::query(
                "UPDATE replacement_orders SET acked_ms = $1 WHERE id = $2 AND bank = $3 \
                 AND pulled_ms IS NOT NULL AND acked_ms IS NULL",
            )
            .bind(ms(at))
            .bind(id)
            .bind(bank)
            .execute(&mut *tx)
            .await
            .db()?
            .rows_affected();
        }
        tx.commit().await.db()?;
        Ok(n)
    }

    async fn replacement_order(&self, id: &str) -> StoreResult<Option<ReplacementOrder>> {
        let row: Option<ReplacementRow> = sqlx::query_as(&format!(
            "SELECT {REPLACEMENT_COLUMNS} FROM replacement_orders WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(ReplacementRow::into_domain).transpose()
    }

    async fn replacements_of_card(&self, card: &str) -> StoreResult<Vec<ReplacementOrder>> {
        let rows: Vec<ReplacementRow> = sqlx::query_as(&format!(
            "SELECT {REPLACEMENT_COLUMNS} FROM replacement_orders WHERE card_number = $1 ORDER BY created_ms, id"
        ))
        .bind(card)
        .fetch_all(&self.pool)
        .await
        .db()?;
        rows.into_iter().map(ReplacementRow::into_domain).collect()
    }

    async fn apply_replacement_report(&self, r: &ReplacementReport) -> StoreResult<ReportWrite> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.db()?;
        let at = ms(r.at);
        let moved = sqlx::query(MOVE_REPLACEMENT)
            .bind(r.to.as_str())
            .bind(at)
            .bind(&r.details.card_number)
            .bind(&r.details.masked_account)
            .bind(&r.details.tracking_number)
            .bind(&r.details.reject_reason)
            .bind(r.acknowledges)
            .bind(&r.order)
            .bind(r.from.as_str())
            .execute(&mut *tx)
            .await
            .db()?;
        if moved.rows_affected() != 1 {
            return Ok(ReportWrite::StateChanged);
        }
        if let Some(card) = &r.new_card {
            let old: String = sqlx::query_scalar("SELECT card_number FROM replacement_orders WHERE id = $1")
                .bind(&r.order)
                .fetch_one(&mut *tx)
                .await
                .db()?;
            let inserted = sqlx::query(&format!("{INSERT_REPLACEMENT_CARD} ON CONFLICT (number) DO NOTHING"))
                .bind(&card.number)
                .bind(card.holder.as_str())
                .bind(i32::from(card.generation))
                .bind(&card.bank)
                .bind(&card.branch)
                .bind(&card.masked_account)
                .bind(card.issued_on)
                .bind(&card.application)
                .bind(&old)
                .execute(&mut *tx)
                .await
                .db()?;
            if inserted.rows_affected() != 1 {
                return Ok(ReportWrite::CardNumberTaken);
            }
            sqlx::query("UPDATE cards SET replaced_by = $1 WHERE number = $2")
                .bind(&card.number)
                .bind(&old)
                .execute(&mut *tx)
                .await
                .db()?;
        }
        if let Some(m) = &r.notify {
            Self::enqueue_in(&mut *tx, m, r.at).await.db()?;
        }
        tx.commit().await.db()?;
        Ok(ReportWrite::Done)
    }

    async fn overdue_replacements(&self, today: NaiveDate) -> StoreResult<Vec<SlaRow>> {
        let rows: Vec<(String, String, i64, NaiveDate)> = sqlx::query_as(OVERDUE_REPLACEMENTS)
            .bind(today)
            .fetch_all(&self.pool)
            .await
            .db()?;
        rows.into_iter()
            .map(|(bank, district, n, oldest_due)| {
                Ok(SlaRow {
                    bank,
                    district,
                    overdue: count(n)?,
                    oldest_due,
                })
            })
            .collect()
    }

    async fn last_bank_change(&self, holder: &IdNumber) -> StoreResult<Option<DateTime<FixedOffset>>> {
        let at: Option<i64> = sqlx::query_scalar(LAST_BANK_CHANGE)
            .bind(holder.as_str())
            .fetch_one(&self.pool)
            .await
            .db()?;
        at.map(from_ms).transpose()
    }

    async fn card_holder_records(&self, ids: &[String]) -> StoreResult<Vec<sscard_domain::registry::InsuredPerson>> {
        let ids = serde_json::to_string(ids).map_err(|e| StoreError::Database(e.to_string()))?;
        let rows: Vec<crate::common::PersonRow> = sqlx::query_as(&format!(
            "SELECT {} FROM registry_persons WHERE id_number IN (SELECT holder_id FROM cards \
             WHERE social_security <> 'cancelled' AND holder_id {})",
            crate::common::PERSON_COLUMNS,
            in_json("$1")
        ))
        .bind(ids)
        .fetch_all(&self.pool)
        .await
        .db()?;
        rows.into_iter().map(crate::common::PersonRow::into_domain).collect()
    }

    async fn bank_changed_cards(&self, persons: &[String]) -> StoreResult<Vec<(String, String)>> {
        let persons = serde_json::to_string(persons).map_err(|e| StoreError::Database(e.to_string()))?;
        sqlx::query_as(&format!(
            "SELECT c.holder_id, c.number FROM cards c JOIN card_transitions t ON t.card_number = c.number \
             WHERE t.service = 'bank_change' AND c.holder_id {} ORDER BY t.at_ms",
            in_json("$1")
        ))
        .bind(persons)
        .fetch_all(&self.pool)
        .await
        .db()
    }

    async fn flag_printed_fields(&self, flag: &PrintedFieldFlag) -> StoreResult<Vec<String>> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.db()?;
        let cards: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT number, replacement_required FROM cards WHERE holder_id = $1 \
             AND social_security <> 'cancelled' AND replacement_order IS NULL ORDER BY number",
        )
        .bind(flag.holder.as_str())
        .fetch_all(&mut *tx)
        .await
        .db()?;
        let mut flagged = Vec::with_capacity(cards.len());
        for (number, before) in cards {
            let fields = [printed_fields(before.as_deref())?, flag.fields.clone()].concat();
            sqlx::query("UPDATE cards SET replacement_required = $1 WHERE number = $2")
                .bind(printed_fields_text(&fields))
                .bind(&number)
                .execute(&mut *tx)
                .await
                .db()?;
            flagged.push(number);
        }
        tx.commit().await.db()?;
        Ok(flagged)
    }

    async fn due_suspensions(&self, cancelled_by: DateTime<FixedOffset>, limit: u32) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(DUE_SUSPENSIONS)
            .bind(ms(cancelled_by))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .db()
    }

    async fn calendar_days(&self) -> StoreResult<Vec<CalendarDay>> {
        let rows: Vec<(NaiveDate, String, String)> =
            sqlx::query_as("SELECT day, kind, name FROM calendar_days ORDER BY day")
                .fetch_all(&self.pool)
                .await
                .db()?;
        rows.into_iter()
            .map(|(day, kind, name)| calendar_day(day, &kind, name))
            .collect()
    }

    async fn calendar_years(&self) -> StoreResult<Vec<(i32, DateTime<FixedOffset>, String)>> {
        let rows: Vec<(i32, i64, String)> =
            sqlx::query_as("SELECT year, loaded_ms, loaded_by FROM calendar_years ORDER BY year")
                .fetch_all(&self.pool)
                .await
                .db()?;
        rows.into_iter().map(|(y, at, by)| Ok((y, from_ms(at)?, by))).collect()
    }

    async fn load_calendar(
        &self,
        years: &[i32],
        days: &[CalendarDay],
        by: &str,
        at: DateTime<FixedOffset>,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.db()?;
        for year in years {
            let (from, to) = year_bounds(*year)?;
            sqlx::query("DELETE FROM calendar_days WHERE day >= $1 AND day <= $2")
                .bind(from)
                .bind(to)
                .execute(&mut *tx)
                .await
                .db()?;
            sqlx::query(
                "INSERT INTO calendar_years (year, loaded_ms, loaded_by) VALUES ($1, $2, $3) \
                 ON CONFLICT (year) DO UPDATE SET loaded_ms = EXCLUDED.loaded_ms, loaded_by = EXCLUDED.loaded_by",
            )
            .bind(year)
            .bind(ms(at))
            .bind(by)
            .execute(&mut *tx)
            .await
            .db()?;
        }
        for d in days {
            sqlx::query("INSERT INTO calendar_days (day, kind, name) VALUES ($1, $2, $3)")
                .bind(d.date)
                .bind(d.kind.as_str())
                .bind(&d.name)
                .execute(&mut *tx)
                .await
                .db()?;
        }
        tx.commit().await.db()?;
        Ok(())
    }

    async fn provisional_replacements(&self) -> StoreResult<Vec<(String, NaiveDate)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT id, created_ms FROM replacement_orders WHERE due_provisional \
             AND state IN ('ordered', 'sent_to_bank', 'in_production') ORDER BY created_ms, id",
        )
        .fetch_all(&self.pool)
        .await
        .db()?;
        rows.into_iter()
            .map(|(id, at)| Ok((id, from_ms(at)?.date_naive())))
            .collect()
    }

    async fn set_replacement_due(&self, id: &str, due: DueDate) -> StoreResult<()> {
        sqlx::query("UPDATE replacement_orders SET due_on = $1, due_provisional = $2 WHERE id = $3")
            .bind(due.date)
            .bind(due.provisional)
            .bind(id)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }
}

/// The first and last day of `year`.
pub(super) fn year_bounds(year: i32) -> StoreResult<(NaiveDate, NaiveDate)> {
    match (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(StoreError::Corrupt(format!("calendar year {year}"))),
    }
}
