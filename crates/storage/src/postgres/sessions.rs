//! PostgreSQL: the session, challenge, rate and OpenID-flow stores.

use super::PgStore;
use crate::DbResult;

#[async_trait::async_trait]
impl sscard_app::ports::SessionStore for PgStore {
    async fn create_session(
        &self,
        s: &sscard_app::ports::SessionRecord,
        audit: Option<&sscard_domain::audit::AuditEntry>,
    ) -> sscard_app::ports::StoreResult<()> {
        // Every login and token: the engine's cheapest way to write both together.
        self.insert_session_audited(s, audit).await.db()
    }

    async fn live_session(
        &self,
        id: &str,
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> sscard_app::ports::StoreResult<Option<sscard_app::ports::SessionRecord>> {
        let sql = format!(
            "SELECT {} FROM sessions WHERE id = $1 AND revoked_ms IS NULL AND expires_ms > $2",
            crate::accounts::SESSION_COLUMNS
        );
        let row: Option<crate::accounts::SessionRow> = sqlx::query_as(&sql)
            .bind(id)
            .bind(crate::accounts::ms(now))
            .fetch_optional(&self.pool)
            .await
            .db()?;
        row.map(crate::accounts::SessionRow::into_domain).transpose()
    }

    async fn live_session_with_account(
        &self,
        id: &str,
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> sscard_app::ports::StoreResult<
        Option<(
            sscard_app::ports::SessionRecord,
            Option<sscard_domain::account::Account>,
        )>,
    > {
        let sql =
            "SELECT s.id AS s_id, s.account_id, s.kind, s.channel, s.client_id, s.csrf, s.created_ms, s.expires_ms, \
             s.ip, s.user_agent, a.id, a.role, a.entity_uscc, a.bank, a.branch, a.outlet, a.district, a.username, \
             a.mobile, a.id_number, a.real_name, a.display_name, a.disabled, a.password_hash \
             FROM sessions s LEFT JOIN accounts a ON a.id = s.account_id \
             WHERE s.id = $1 AND s.revoked_ms IS NULL AND s.expires_ms > $2"
                .to_string();
        let row: Option<crate::accounts::SessionAccountRow> = sqlx::query_as(&sql)
            .bind(id)
            .bind(crate::accounts::ms(now))
            .fetch_optional(&self.pool)
            .await
            .db()?;
        row.map(crate::accounts::SessionAccountRow::into_domain).transpose()
    }

    async fn revoke_session(
        &self,
        id: &str,
        at: chrono::DateTime<chrono::FixedOffset>,
        audit: Option<&sscard_domain::audit::AuditEntry>,
    ) -> sscard_app::ports::StoreResult<bool> {
        let mut tx = self.pool.begin().await.db()?;
        let r = sqlx::query("UPDATE sessions SET revoked_ms = $1 WHERE id = $2 AND revoked_ms IS NULL")
            .bind(crate::accounts::ms(at))
            .bind(id)
            .execute(&mut *tx)
            .await
            .db()?;
        if let Some(e) = audit {
            Self::insert_audit(&mut *tx, e).await.db()?;
        }
        tx.commit().await.db()?;
        Ok(r.rows_affected() == 1)
    }

    async fn revoke_account_sessions(
        &self,
        account: &str,
        at: chrono::DateTime<chrono::FixedOffset>,
        audit: Option<&sscard_domain::audit::AuditEntry>,
    ) -> sscard_app::ports::StoreResult<u64> {
        let mut tx = self.pool.begin().await.db()?;
        let r = sqlx::query(crate::accounts::REVOKE_ACCOUNT_SESSIONS)
            .bind(crate::accounts::ms(at))
            .bind(account)
            .execute(&mut *tx)
            .await
            .db()?;
        if let Some(e) = audit {
            Self::insert_audit(&mut *tx, e).await.db()?;
        }
        tx.commit().await.db()?;
        Ok(r.rows_affected())
    }

    async fn account_sessions(
        &self,
        account: &str,
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_app::ports::SessionRecord>> {
        let sql = format!(
            "SELECT {} FROM sessions WHERE account_id = $1 AND revoked_ms IS NULL \
                           AND expires_ms > $2 ORDER BY created_ms DESC, id",
            crate::accounts::SESSION_COLUMNS
        );
        let rows: Vec<crate::accounts::SessionRow> = sqlx::query_as(&sql)
            .bind(account)
            .bind(crate::accounts::ms(now))
            .fetch_all(&self.pool)
            .await
            .db()?;
        rows.into_iter().map(crate::accounts::SessionRow::into_domain).collect()
    }
}

#[async_trait::async_trait]
impl sscard_app::ports::ChallengeStore for PgStore {
    async fn create_challenge(
        &self,
        c: &sscard_app::ports::Challenge,
        at: chrono::DateTime<chrono::FixedOffset>,
    ) -> sscard_app::ports::StoreResult<()> {
        sqlx::query(
            "INSERT INTO challenges (id, kind, bound_to, secret_hash, created_ms, expires_ms, failures) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&c.id)
        .bind(c.kind.as_str())
        .bind(&c.bound_to)
        .bind(&c.secret_hash)
        .bind(crate::accounts::ms(at))
        .bind(crate::accounts::ms(c.expires_at))
        .bind(i32::try_from(c.failures).unwrap_or(i32::MAX))
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    async fn challenge(
        &self,
        id: &str,
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> sscard_app::ports::StoreResult<Option<sscard_app::ports::Challenge>> {
        let row: Option<crate::accounts::ChallengeRow> = sqlx::query_as(
            "SELECT id, kind, bound_to, secret_hash, expires_ms, failures FROM challenges \
             WHERE id = $1 AND used_ms IS NULL AND expires_ms > $2",
        )
        .bind(id)
        .bind(crate::accounts::ms(now))
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(crate::accounts::ChallengeRow::into_domain).transpose()
    }

    async fn latest_challenge(
        &self,
        kind: sscard_app::ports::ChallengeKind,
        bound_to: &str,
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> sscard_app::ports::StoreResult<Option<sscard_app::ports::Challenge>> {
        let row: Option<crate::accounts::ChallengeRow> = sqlx::query_as(
            "SELECT id, kind, bound_to, secret_hash, expires_ms, failures FROM challenges \
             WHERE kind = $1 AND bound_to = $2 AND used_ms IS NULL AND expires_ms > $3 \
             ORDER BY created_ms DESC, id DESC LIMIT 1",
        )
        .bind(kind.as_str())
        .bind(bound_to)
        .bind(crate::accounts::ms(now))
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(crate::accounts::ChallengeRow::into_domain).transpose()
    }

    async fn consume_challenge(
        &self,
        id: &str,
        at: chrono::DateTime<chrono::FixedOffset>,
    ) -> sscard_app::ports::StoreResult<bool> {
        // The condition on used_ms makes this the one place a challenge is spent: of two concurrent
        // uses, exactly one updates a row.
        let r = sqlx::query("UPDATE challenges SET used_ms = $1 WHERE id = $2 AND used_ms IS NULL")
            .bind(crate::accounts::ms(at))
            .bind(id)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(r.rows_affected() == 1)
    }

    async fn fail_challenge(&self, id: &str) -> sscard_app::ports::StoreResult<u32> {
        let n: Option<i32> =
            sqlx::query_scalar("UPDATE challenges SET failures = failures + 1 WHERE id = $1 RETURNING failures")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .db()?;
        Ok(n.and_then(|n| u32::try_from(n).ok()).unwrap_or(u32::MAX))
    }
}

#[async_trait::async_trait]
impl sscard_app::ports::RateStore for PgStore {
    async fn record_event(
        &self,
        bucket: &str,
        at: chrono::DateTime<chrono::FixedOffset>,
    ) -> sscard_app::ports::StoreResult<()> {
        sqlx::query("INSERT INTO rate_events (bucket, at_ms) VALUES ($1, $2)")
            .bind(bucket)
            .bind(crate::accounts::ms(at))
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }

    async fn events_since(
        &self,
        bucket: &str,
        since: chrono::DateTime<chrono::FixedOffset>,
    ) -> sscard_app::ports::StoreResult<Vec<chrono::DateTime<chrono::FixedOffset>>> {
        let rows: Vec<i64> =
            sqlx::query_scalar("SELECT at_ms FROM rate_events WHERE bucket = $1 AND at_ms > $2 ORDER BY at_ms")
                .bind(bucket)
                .bind(crate::accounts::ms(since))
                .fetch_all(&self.pool)
                .await
                .db()?;
        rows.into_iter().map(crate::accounts::from_ms).collect()
    }

    async fn clear_events(&self, bucket: &str) -> sscard_app::ports::StoreResult<()> {
        sqlx::query("DELETE FROM rate_events WHERE bucket = $1")
            .bind(bucket)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl sscard_app::ports::OidcFlowStore for PgStore {
    async fn create_oidc_flow(&self, f: &sscard_app::ports::OidcFlow) -> sscard_app::ports::StoreResult<()> {
        sqlx::query(
            "INSERT INTO oidc_flows (state, provider, nonce, pkce_verifier, bound_to, expires_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&f.state)
        .bind(&f.provider)
        .bind(&f.nonce)
        .bind(&f.pkce_verifier)
        .bind(&f.bound_to)
        .bind(crate::accounts::ms(f.expires_at))
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    async fn take_oidc_flow(
        &self,
        state: &str,
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> sscard_app::ports::StoreResult<Option<sscard_app::ports::OidcFlow>> {
        let row: Option<(String, String, String, String, String, i64)> = sqlx::query_as(
            "UPDATE oidc_flows SET used_ms = $1 WHERE state = $2 AND used_ms IS NULL AND expires_ms > $1 \
             RETURNING state, provider, nonce, pkce_verifier, bound_to, expires_ms",
        )
        .bind(crate::accounts::ms(now))
        .bind(state)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(|(state, provider, nonce, pkce_verifier, bound_to, expires_ms)| {
            Ok(sscard_app::ports::OidcFlow {
                state,
                provider,
                nonce,
                pkce_verifier,
                bound_to,
                expires_at: crate::accounts::from_ms(expires_ms)?,
            })
        })
        .transpose()
    }
}
