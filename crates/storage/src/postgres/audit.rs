//! PostgreSQL: the audit store, and the audit insert every other store runs inside its own transaction.

use super::PgStore;
use crate::DbResult;

impl PgStore {
    /// Appends an audit entry on `exec` (a connection or a transaction), so that a change and the
    /// entry that records it commit together.
    pub(super) async fn insert_audit<'c, E>(exec: E, e: &sscard_domain::audit::AuditEntry) -> Result<(), sqlx::Error>
    where
        E: sqlx::Executor<'c, Database = sqlx::Postgres>,
    {
        sqlx::query(&format!(
            "INSERT INTO audit_log ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            crate::accounts::AUDIT_COLUMNS
        ))
        .bind(crate::accounts::ms(e.at))
        .bind(&e.actor)
        .bind(e.role.map(|r| r.as_str()))
        .bind(e.channel.as_str())
        .bind(&e.organisation)
        .bind(e.action.as_str())
        .bind(&e.record)
        .bind(&e.subject_person)
        .bind(&e.purpose)
        .bind(e.outcome.as_str())
        .bind(&e.ip)
        .execute(exec)
        .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl sscard_app::ports::AuditStore for PgStore {
    async fn append_audit(&self, e: &sscard_domain::audit::AuditEntry) -> sscard_app::ports::StoreResult<()> {
        let mut conn = self.pool.acquire().await.db()?;
        Self::insert_audit(&mut *conn, e).await.db()?;
        Ok(())
    }

    async fn person_access_log(
        &self,
        id_number: &str,
        limit: u32,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_domain::audit::AuditEntry>> {
        let sql = format!(
            "SELECT {} FROM audit_log WHERE subject_person = $1 AND action = 'person_read' \
                           AND role IS NOT NULL AND role <> 'resident' ORDER BY seq DESC LIMIT $2",
            crate::accounts::AUDIT_COLUMNS
        );
        let rows: Vec<crate::accounts::AuditRow> = sqlx::query_as(&sql)
            .bind(id_number)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .db()?;
        rows.into_iter().map(crate::accounts::AuditRow::into_domain).collect()
    }

    async fn recent_audit(
        &self,
        actor: Option<&str>,
        limit: u32,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_domain::audit::AuditEntry>> {
        let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(format!(
            "SELECT {} FROM audit_log",
            crate::accounts::AUDIT_COLUMNS
        ));
        if let Some(a) = actor {
            qb.push(" WHERE actor = ").push_bind(a.to_string());
        }
        qb.push(" ORDER BY seq DESC LIMIT ").push_bind(i64::from(limit));
        let rows: Vec<crate::accounts::AuditRow> = qb.build_query_as().fetch_all(&self.pool).await.db()?;
        rows.into_iter().map(crate::accounts::AuditRow::into_domain).collect()
    }
}
