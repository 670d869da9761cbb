//! PostgreSQL: the SMS outbox store: messages claimed under a lease, renewed before each send.

use super::{PgStore, CLAIM_LOCK};
use crate::DbResult;

#[async_trait::async_trait]
impl sscard_app::ports::OutboxStore for PgStore {
    async fn enqueue_sms(&self, m: &sscard_app::ports::SmsMessage) -> sscard_app::ports::StoreResult<()> {
        sqlx::query(
            "INSERT INTO sms_outbox (id, mobile, body, created_ms, attempts, due_ms) \
                     VALUES ($1, $2, $3, $4, $5, $4)",
        )
        .bind(&m.id)
        .bind(m.mobile.as_str())
        .bind(&m.body)
        .bind(crate::accounts::ms(m.created_at))
        .bind(i32::try_from(m.attempts).unwrap_or(0))
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    async fn send_code(
        &self,
        c: &sscard_app::ports::Challenge,
        m: &sscard_app::ports::SmsMessage,
        audit: &sscard_domain::audit::AuditEntry,
    ) -> sscard_app::ports::StoreResult<()> {
        let mut tx = self.pool.begin().await.db()?;
        sqlx::query(
            "INSERT INTO challenges (id, kind, bound_to, secret_hash, created_ms, expires_ms, failures) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&c.id)
        .bind(c.kind.as_str())
        .bind(&c.bound_to)
        .bind(&c.secret_hash)
        .bind(crate::accounts::ms(m.created_at))
        .bind(crate::accounts::ms(c.expires_at))
        .bind(i32::try_from(c.failures).unwrap_or(i32::MAX))
        .execute(&mut *tx)
        .await
        .db()?;
        Self::enqueue_in(&mut *tx, m, m.created_at).await.db()?;
        Self::insert_audit(&mut *tx, audit).await.db()?;
        tx.commit().await.db()?;
        Ok(())
    }

    async fn claim_sms(
        &self,
        limit: u32,
        now: chrono::DateTime<chrono::FixedOffset>,
        lease: chrono::Duration,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_app::ports::SmsMessage>> {
        let sql = format!(
            "UPDATE sms_outbox SET due_ms = $1, attempts = attempts + 1 WHERE id IN \
            (SELECT id FROM sms_outbox WHERE sent_ms IS NULL AND due_ms <= $2 ORDER BY due_ms LIMIT $3{CLAIM_LOCK}) \
             RETURNING id, mobile, body, created_ms, attempts"
        );
        let rows: Vec<crate::accounts::SmsRow> = sqlx::query_as(&sql)
            .bind(crate::accounts::ms(now + lease))
            .bind(crate::accounts::ms(now))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .db()?;
        rows.into_iter().map(crate::accounts::SmsRow::into_domain).collect()
    }

    async fn renew_sms(
        &self,
        id: &str,
        attempts: u32,
        until: chrono::DateTime<chrono::FixedOffset>,
    ) -> sscard_app::ports::StoreResult<bool> {
        // Still ours only if nobody claimed it since (a claim counts an attempt) and it is not sent.
        let r = sqlx::query("UPDATE sms_outbox SET due_ms = $1 WHERE id = $2 AND attempts = $3 AND sent_ms IS NULL")
            .bind(crate::accounts::ms(until))
            .bind(id)
            .bind(i32::try_from(attempts).unwrap_or(i32::MAX))
            .execute(&self.pool)
            .await
            .db()?;
        Ok(r.rows_affected() == 1)
    }

    async fn mark_sms_sent(
        &self,
        id: &str,
        at: chrono::DateTime<chrono::FixedOffset>,
    ) -> sscard_app::ports::StoreResult<()> {
        sqlx::query("UPDATE sms_outbox SET sent_ms = $1, last_error = NULL WHERE id = $2")
            .bind(crate::accounts::ms(at))
            .bind(id)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }

    async fn mark_sms_failed(
        &self,
        id: &str,
        error: &str,
        retry_at: chrono::DateTime<chrono::FixedOffset>,
    ) -> sscard_app::ports::StoreResult<()> {
        sqlx::query("UPDATE sms_outbox SET due_ms = $1, last_error = $2 WHERE id = $3")
            .bind(crate::accounts::ms(retry_at))
            .bind(error)
            .bind(id)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }

    async fn pending_sms(&self) -> sscard_app::ports::StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sms_outbox WHERE sent_ms IS NULL")
            .fetch_one(&self.pool)
            .await
            .db()?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
