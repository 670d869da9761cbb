//! SQLite: the card store (changes with their records, the release of expired losses, the service password), a
//! plain implementation of the port. The transition codec and the shared SQL are in `crate::cards`.

use super::{in_json, SqliteStore, BEGIN_WRITE};
use crate::accounts::{from_ms, ms};
use crate::cards::{
    services_text, EventRow, InfoRow, ProxyRow, TransitionRow, TransitionValues, EVENT_COLUMNS, HOLDER_MOBILE,
    INSERT_BANK_EVENT, INSERT_TRANSITION, PROXY_COLUMNS, RELEASE_TEXT_ID, TRANSITION_COLUMNS, UPDATE_CARD,
    UPDATE_FIELDS, UPSERT_INFO,
};
use crate::DbResult;
use sscard_app::ports::{CardSecret, CardWrite, CardWriteOutcome, ReleaseBatch, StoreResult};
use sscard_domain::card::transition::CardTransition;

#[async_trait::async_trait]
impl sscard_app::ports::CardStore for SqliteStore {
    async fn write_card_change(&self, w: &CardWrite) -> StoreResult<CardWriteOutcome> {
        let t = &w.transition;
        let v = TransitionValues::of(t);
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.db()?;
        if let Some(key) = &v.key {
            let used: Option<i64> =
                sqlx::query_scalar("SELECT seq FROM card_transitions WHERE card_number = $1 AND request_key = $2")
                    .bind(&v.card)
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await
                    .db()?;
            if used.is_some() {
                return Ok(CardWriteOutcome::KeyUsed);
            }
        }
        let r = sqlx::query(UPDATE_CARD)
            .bind(v.ss.1)
            .bind(v.fin.1)
            .bind(w.loss_until.map(ms))
            .bind(&w.password_hash)
            .bind(&v.card)
            .bind(v.ss.0)
            .bind(v.fin.0)
            .execute(&mut *tx)
            .await
            .db()?;
        if r.rows_affected() != 1 {
            return Ok(CardWriteOutcome::StateChanged);
        }
        let seq = insert_transition(&mut tx, &v).await?;
        if let Some(f) = &w.fields {
            sqlx::query(UPDATE_FIELDS)
                .bind(f.top_up_fen)
                .bind(f.park_pass_year.map(i32::from))
                .bind(&v.card)
                .execute(&mut *tx)
                .await
                .db()?;
        }
        if let Some(order) = &w.replacement {
            if !super::replacements::order_in(&mut tx, order).await? {
                return Ok(CardWriteOutcome::StateChanged);
            }
        }
        if let Some(r) = &w.retire {
            let (event, bank) = &r.bank_event;
            if !super::replacements::retire_in(&mut tx, &r.transition, event, bank).await? {
                return Ok(CardWriteOutcome::StateChanged);
            }
        }
        if let Some((id, bank)) = &w.bank_event {
            insert_bank_event(&mut tx, id, bank, seq, &v).await?;
        }
        if let Some(m) = &w.notify {
            Self::enqueue_in(&mut *tx, m, t.at).await.db()?;
        }
        if w.ends_legacy_medical {
            sqlx::query(
                "INSERT INTO legacy_medical_ended (holder_id, ended_ms, by_card) \
                 SELECT holder_id, $1, number FROM cards WHERE number = $2 ON CONFLICT (holder_id) DO NOTHING",
            )
            .bind(v.at_ms)
            .bind(&v.card)
            .execute(&mut *tx)
            .await
            .db()?;
        }
        if let Some(info) = &w.info {
            sqlx::query(UPSERT_INFO)
                .bind(&v.card)
                .bind(info.address.as_ref().map(|a| a.as_str().to_string()))
                .bind(&info.occupation)
                .bind(info.mobile.as_ref().map(|m| m.as_str().to_string()))
                .bind(v.at_ms)
                .execute(&mut *tx)
                .await
                .db()?;
        }
        if let Some(a) = &w.audit {
            Self::insert_audit(&mut *tx, a).await.db()?;
        }
        tx.commit().await.db()?;
        Ok(CardWriteOutcome::Done)
    }

    async fn card_transitions(&self, number: &str) -> StoreResult<Vec<CardTransition>> {
        let rows: Vec<TransitionRow> = sqlx::query_as(&format!(
            "SELECT {TRANSITION_COLUMNS} FROM card_transitions WHERE card_number = $1 ORDER BY seq"
        ))
        .bind(number)
        .fetch_all(&self.pool)
        .await
        .db()?;
        rows.into_iter().map(TransitionRow::into_domain).collect()
    }

    async fn card_transition_by_key(&self, number: &str, key: &str) -> StoreResult<Option<CardTransition>> {
        let row: Option<TransitionRow> = sqlx::query_as(&format!(
            "SELECT {TRANSITION_COLUMNS} FROM card_transitions WHERE card_number = $1 AND request_key = $2"
        ))
        .bind(number)
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(TransitionRow::into_domain).transpose()
    }

    async fn release_due_losses(&self, batch: &ReleaseBatch) -> StoreResult<sscard_app::ports::ReleaseRound> {
        let now = ms(batch.now);
        // SQLite has one writer: the transaction that picks the cards is the one that releases them.
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.db()?;
        let (after_ms, after_number) = match &batch.after {
            Some((t, n)) => (Some(ms(*t)), Some(n.clone())),
            None => (None, None),
        };
        let picked_rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT number, loss_until_ms FROM cards WHERE social_security = 'temp_loss' AND loss_until_ms <= $1 \
             AND ($3 IS NULL OR (loss_until_ms, number) > ($3, $4)) ORDER BY loss_until_ms, number LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(batch.limit))
        .bind(after_ms)
        .bind(after_number)
        .fetch_all(&mut *tx)
        .await
        .db()?;
        let Some((last_number, last_ms)) = picked_rows.last().cloned() else {
            return Ok(sscard_app::ports::ReleaseRound {
                released: 0,
                last: None,
            });
        };
        let due: Vec<String> = picked_rows.into_iter().map(|(n, _)| n).collect();
        let list = serde_json::to_string(&due)
            .map_err(|e| sscard_app::ports::StoreError::Database(format!("card list: {e}")))?;
        let picked = in_json("$2");
        sqlx::query(&format!(
            "INSERT INTO card_transitions ({TRANSITION_COLUMNS}) SELECT number, $1, 'release', 'temp_loss', \
             'active', financial, financial, 'loss_expired', NULL, NULL, NULL, 'system', 'self', NULL, NULL, NULL \
             FROM cards WHERE number {picked}"
        ))
        .bind(now)
        .bind(&list)
        .execute(&mut *tx)
        .await
        .db()?;
        sqlx::query(&format!(
            "INSERT INTO sms_outbox (id, mobile, body, created_ms, attempts, due_ms) \
             SELECT {RELEASE_TEXT_ID}, {HOLDER_MOBILE}, $3 || substr(u.number, -4) || $4, $1, 0, $1 \
             FROM cards u JOIN applications a ON a.id = u.application_id \
             LEFT JOIN registry_persons p ON p.id_number = u.holder_id \
             LEFT JOIN card_holder_info i ON i.card_number = u.number \
             WHERE u.number {picked} AND {HOLDER_MOBILE} IS NOT NULL"
        ))
        .bind(now)
        .bind(&list)
        .bind(&batch.text_before)
        .bind(&batch.text_after)
        .execute(&mut *tx)
        .await
        .db()?;
        let r = sqlx::query(&format!(
            "UPDATE cards SET social_security = 'active', loss_until_ms = NULL WHERE number {picked} \
             AND social_security = 'temp_loss'"
        ))
        .bind(now)
        .bind(&list)
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(sscard_app::ports::ReleaseRound {
            released: r.rows_affected(),
            last: Some((from_ms(last_ms)?, last_number)),
        })
    }

    async fn legacy_medical_ended(
        &self,
        holder: &sscard_domain::values::IdNumber,
    ) -> StoreResult<Option<chrono::DateTime<chrono::FixedOffset>>> {
        let at: Option<i64> = sqlx::query_scalar("SELECT ended_ms FROM legacy_medical_ended WHERE holder_id = $1")
            .bind(holder.as_str())
            .fetch_optional(&self.pool)
            .await
            .db()?;
        at.map(from_ms).transpose()
    }

    async fn card_secret(&self, number: &str) -> StoreResult<Option<CardSecret>> {
        let row: Option<(Option<String>, i64)> =
            sqlx::query_as("SELECT password_hash, password_failures FROM cards WHERE number = $1")
                .bind(number)
                .fetch_optional(&self.pool)
                .await
                .db()?;
        Ok(row.map(|(hash, failures)| CardSecret {
            hash,
            failures: u32::try_from(failures).unwrap_or(u32::MAX),
        }))
    }

    async fn record_password_failure(
        &self,
        number: &str,
        audit: &sscard_domain::audit::AuditEntry,
    ) -> StoreResult<u32> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.db()?;
        let n: i64 = sqlx::query_scalar(
            "UPDATE cards SET password_failures = password_failures + 1 WHERE number = $1 RETURNING password_failures",
        )
        .bind(number)
        .fetch_one(&mut *tx)
        .await
        .db()?;
        Self::insert_audit(&mut *tx, audit).await.db()?;
        tx.commit().await.db()?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn clear_password_failures(&self, number: &str, below: u32) -> StoreResult<()> {
        sqlx::query("UPDATE cards SET password_failures = 0 WHERE number = $1 AND password_failures < $2")
            .bind(number)
            .bind(i64::from(below))
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }

    async fn pull_card_events(
        &self,
        pull: &sscard_app::ports::CardEventPull,
    ) -> StoreResult<Vec<sscard_app::ports::CardBankEvent>> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.db()?;
        let now = ms(pull.at);
        let rows: Vec<EventRow> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM card_bank_events WHERE bank = $1 AND acked_ms IS NULL \
             AND (lease_ms IS NULL OR lease_ms <= $2) ORDER BY created_ms, id LIMIT $3"
        ))
        .bind(&pull.bank)
        .bind(now)
        .bind(i64::from(pull.limit))
        .fetch_all(&mut *tx)
        .await
        .db()?;
        for r in &rows {
            sqlx::query("UPDATE card_bank_events SET lease_ms = $1, pulled_by = $2 WHERE id = $3")
                .bind(ms(pull.lease_until))
                .bind(&pull.actor)
                .bind(&r.id)
                .execute(&mut *tx)
                .await
                .db()?;
        }
        tx.commit().await.db()?;
        rows.into_iter().map(EventRow::into_domain).collect()
    }

    async fn ack_card_events(
        &self,
        bank: &str,
        ids: &[String],
        at: chrono::DateTime<chrono::FixedOffset>,
    ) -> StoreResult<u64> {
        let mut n = 0;
        for id in ids {
            let r = sqlx::query(
                "UPDATE card_bank_events SET acked_ms = $1 WHERE id = $2 AND bank = $3 AND acked_ms IS NULL",
            )
            .bind(ms(at))
            .bind(id)
            .bind(bank)
            .execute(&self.pool)
            .await
            .db()?;
            n += r.rows_affected();
        }
        Ok(n)
    }

    async fn holder_info(&self, number: &str) -> StoreResult<sscard_domain::card::info::HolderInfo> {
        let row: Option<InfoRow> =
            sqlx::query_as("SELECT address, occupation, mobile FROM card_holder_info WHERE card_number = $1")
                .bind(number)
                .fetch_optional(&self.pool)
                .await
                .db()?;
        row.map(InfoRow::into_domain).transpose().map(Option::unwrap_or_default)
    }

    async fn create_proxy_authorisation(
        &self,
        a: &sscard_domain::card::proxy::ProxyAuthorisation,
        audit: &sscard_domain::audit::AuditEntry,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.db()?;
        sqlx::query(&format!(
            "INSERT INTO proxy_authorisations ({PROXY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&a.id)
        .bind(a.holder.as_str())
        .bind(a.proxy.as_str())
        .bind(services_text(a))
        .bind(a.valid_until)
        .bind(&a.document_hash)
        .bind(ms(a.created_at))
        .bind(&a.created_by)
        .execute(&mut *tx)
        .await
        .db()?;
        Self::insert_audit(&mut *tx, audit).await.db()?;
        tx.commit().await.db()?;
        Ok(())
    }

    async fn proxy_authorisations_of(
        &self,
        proxy: &sscard_domain::values::IdNumber,
        today: chrono::NaiveDate,
    ) -> StoreResult<Vec<sscard_domain::card::proxy::ProxyAuthorisation>> {
        let rows: Vec<ProxyRow> = sqlx::query_as(&format!(
            "SELECT {PROXY_COLUMNS} FROM proxy_authorisations WHERE proxy_id = $1 AND valid_until >= $2 \
             ORDER BY created_ms DESC, id"
        ))
        .bind(proxy.as_str())
        .bind(today)
        .fetch_all(&self.pool)
        .await
        .db()?;
        rows.into_iter().map(ProxyRow::into_domain).collect()
    }
}

/// Appends a transition's record; its sequence number (the bank's event points at it).
pub(super) async fn insert_transition(c: &mut sqlx::SqliteConnection, v: &TransitionValues) -> StoreResult<i64> {
    sqlx::query_scalar(&format!("{INSERT_TRANSITION} RETURNING seq"))
        .bind(&v.card)
        .bind(v.at_ms)
        .bind(v.service)
        .bind(v.ss.0)
        .bind(v.ss.1)
        .bind(v.fin.0)
        .bind(v.fin.1)
        .bind(v.reason)
        .bind(&v.reason_text)
        .bind(v.channel)
        .bind(v.role)
        .bind(&v.actor)
        .bind(v.acting)
        .bind(&v.agent)
        .bind(&v.place)
        .bind(&v.key)
        .fetch_one(&mut *c)
        .await
        .db()
}

/// Queues the issuing bank's event of transition `seq`.
pub(super) async fn insert_bank_event(
    c: &mut sqlx::SqliteConnection,
    id: &str,
    bank: &str,
    seq: i64,
    v: &TransitionValues,
) -> StoreResult<()> {
    sqlx::query(INSERT_BANK_EVENT)
        .bind(id)
        .bind(&v.card)
        .bind(bank)
        .bind(seq)
        .bind(v.service)
        .bind(v.fin.0)
        .bind(v.fin.1)
        .bind(v.at_ms)
        .execute(&mut *c)
        .await
        .db()?;
    Ok(())
}
