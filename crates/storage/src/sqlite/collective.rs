//! SQLite: the collective store (an employer's settings and history, the employee list, the batch), a plain
//! implementation of the port. The SQL the engines share and the row codecs are in `crate::collective`; the
//! batch's write is `SqliteStore::write_batch` in this engine's module.

use super::{in_json, SqliteStore};
use crate::DbResult;

#[async_trait::async_trait]
impl sscard_app::ports::CollectiveStore for SqliteStore {
    async fn collective_settings(
        &self,
        entity: &sscard_domain::values::Uscc,
    ) -> sscard_app::ports::StoreResult<Option<sscard_domain::collective::CollectiveSettings>> {
        let row: Option<crate::collective::SettingsRow> = sqlx::query_as(
            "SELECT uscc, is_open, entity_collects, contact_name, contact_mobile, updated_ms, updated_by \
             FROM collective_settings WHERE uscc = $1",
        )
        .bind(entity.as_str())
        .fetch_optional(&self.pool)
        .await
        .db()?;
        let Some(row) = row else { return Ok(None) };
        let branches: Vec<(String, String)> =
            sqlx::query_as("SELECT bank, branch FROM collective_branches WHERE uscc = $1 ORDER BY bank, branch")
                .bind(entity.as_str())
                .fetch_all(&self.pool)
                .await
                .db()?;
        row.into_domain(branches).map(Some)
    }

    async fn save_collective_settings(
        &self,
        s: &sscard_domain::collective::CollectiveSettings,
        channel: sscard_domain::access::Channel,
        audit: Option<&sscard_domain::audit::AuditEntry>,
    ) -> sscard_app::ports::StoreResult<()> {
        let snapshot = serde_json::to_string(s)
            .map_err(|e| sscard_app::ports::StoreError::Database(format!("settings snapshot: {e}")))?;
        let at = crate::accounts::ms(s.updated_at);
        let mut tx = self.pool.begin().await.db()?;
        sqlx::query(
            "INSERT INTO collective_settings (uscc, is_open, entity_collects, contact_name, \
                     contact_mobile, updated_ms, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (uscc) DO UPDATE SET is_open = excluded.is_open, \
                     entity_collects = excluded.entity_collects, contact_name = excluded.contact_name, \
                     contact_mobile = excluded.contact_mobile, updated_ms = excluded.updated_ms, \
                     updated_by = excluded.updated_by",
        )
        .bind(s.entity.as_str())
        .bind(s.open)
        .bind(s.entity_collects)
        .bind(s.contact_name.as_str())
        .bind(s.contact_mobile.as_str())
        .bind(at)
        .bind(&s.updated_by)
        .execute(&mut *tx)
        .await
        .db()?;
        sqlx::query("DELETE FROM collective_branches WHERE uscc = $1")
            .bind(s.entity.as_str())
            .execute(&mut *tx)
            .await
            .db()?;
        for b in &s.branches {
            sqlx::query("INSERT INTO collective_branches (uscc, bank, branch) VALUES ($1, $2, $3)")
                .bind(s.entity.as_str())
                .bind(&b.bank)
                .bind(&b.branch)
                .execute(&mut *tx)
                .await
                .db()?;
        }
        sqlx::query(
            "INSERT INTO collective_settings_history (uscc, at_ms, actor, channel, settings) \
                     VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(s.entity.as_str())
        .bind(at)
        .bind(&s.updated_by)
        .bind(channel.as_str())
        .bind(snapshot)
        .execute(&mut *tx)
        .await
        .db()?;
        if let Some(e) = audit {
            Self::insert_audit(&mut *tx, e).await.db()?;
        }
        tx.commit().await.db()
    }

    async fn collective_history(
        &self,
        entity: &sscard_domain::values::Uscc,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_app::ports::SettingsChange>> {
        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT at_ms, actor, channel, settings FROM collective_settings_history WHERE uscc = $1 ORDER BY seq",
        )
        .bind(entity.as_str())
        .fetch_all(&self.pool)
        .await
        .db()?;
        rows.into_iter()
            .map(|(at, actor, channel, settings)| {
                Ok(sscard_app::ports::SettingsChange {
                    at: crate::accounts::from_ms(at)?,
                    channel: sscard_domain::access::Channel::parse(&channel)
                        .ok_or_else(|| sscard_app::ports::StoreError::Corrupt(format!("channel: {channel}")))?,
                    actor,
                    settings,
                })
            })
            .collect()
    }

    async fn employees(
        &self,
        entity: &sscard_domain::values::Uscc,
        q: &sscard_app::ports::EmployeeQuery,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_app::ports::EmployeeRow>> {
        let search = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
        // In every statement (PostgreSQL refuses unused parameters); an empty search matches all.
        let matches = |p: &str| format!("($5 = '' OR {p}.name LIKE $4 ESCAPE '\\' OR {p}.id_number = $5)");
        let columns = "p.id_number, p.name, COALESCE(p.employer_uscc = $1, FALSE) AS employed, a.id AS app_id, \
                       a.reference, a.state, a.updated_ms";
        let latest = crate::collective::LATEST_APPLICATION;
        // Each plan reads the entity's rows in ID-number order and stops at one page of matches.
        let sql = match q.status {
            // Someone with an application in that state: from the entity's applications (each person's
            // current one), whether or not the registry still names the entity.
            Some(st) if st != sscard_domain::collective::EmployeeStatus::NotConfirmed => format!(
                "SELECT {columns} FROM applications a JOIN registry_persons p ON p.id_number = a.person_id \
                 WHERE a.employer_uscc = $1 AND a.person_id > $2 AND {cond} AND a.id = {latest} AND {m} \
                 ORDER BY a.person_id LIMIT $3",
                cond = crate::collective::status_condition(st),
                m = matches("p")
            ),
            // Not confirmed: the registry's current employees without a confirmed or later application.
            Some(st) => format!(
                "SELECT {columns} FROM registry_persons p LEFT JOIN applications a ON a.id = {latest} \
                 WHERE p.employer_uscc = $1 AND p.id_number > $2 AND {cond} AND {m} \
                 ORDER BY p.id_number LIMIT $3",
                cond = crate::collective::status_condition(st),
                m = matches("p")
            ),
            // Everyone: the registry's employees and anyone with an application of the entity; each side
            // reads one page.
            None => format!(
                "WITH ids AS (\
                   SELECT pid FROM (SELECT id_number AS pid FROM registry_persons r WHERE employer_uscc = $1 \
                     AND id_number > $2 AND {mr} ORDER BY id_number LIMIT $3) r \
                   UNION \
                   SELECT pid FROM (SELECT DISTINCT x.person_id AS pid FROM applications x \
                     JOIN registry_persons r ON r.id_number = x.person_id WHERE x.employer_uscc = $1 \
                     AND x.person_id > $2 AND {mr} ORDER BY x.person_id LIMIT $3) x) \
                 SELECT {columns} FROM ids JOIN registry_persons p ON p.id_number = ids.pid \
                 LEFT JOIN applications a ON a.id = {latest} ORDER BY p.id_number LIMIT $3",
                mr = matches("r")
            ),
        };
        let rows: Vec<crate::collective::EmployeeDbRow> = sqlx::query_as(&sql)
            .bind(entity.as_str())
            .bind(q.after.clone().unwrap_or_default())
            .bind(i64::from(q.limit))
            .bind(search.map(crate::collective::like_prefix).unwrap_or_default())
            .bind(search.unwrap_or_default().to_ascii_uppercase())
            .fetch_all(&self.pool)
            .await
            .db()?;
        rows.into_iter()
            .map(crate::collective::EmployeeDbRow::into_domain)
            .collect()
    }

    async fn employee_counts(
        &self,
        entity: &sscard_domain::values::Uscc,
    ) -> sscard_app::ports::StoreResult<Vec<(sscard_domain::collective::EmployeeStatus, u64)>> {
        let sql = format!(
            "WITH ids AS (SELECT id_number AS pid FROM registry_persons WHERE employer_uscc = $1 \
               UNION SELECT person_id FROM applications WHERE employer_uscc = $1) \
             SELECT COALESCE(a.state, 'none') AS st, COUNT(*) AS n FROM ids \
             JOIN registry_persons p ON p.id_number = ids.pid \
             LEFT JOIN applications a ON a.id = {} GROUP BY COALESCE(a.state, 'none')",
            crate::collective::LATEST_APPLICATION
        );
        let rows: Vec<(String, i64)> = sqlx::query_as(&sql)
            .bind(entity.as_str())
            .fetch_all(&self.pool)
            .await
            .db()?;
        crate::collective::counts(rows)
    }

    async fn collective_applications(
        &self,
        entity: &sscard_domain::values::Uscc,
        ids: Option<&[String]>,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_domain::application::Application>> {
        // A batch of thousands: the documents in one query beside the rows rather than one JSON aggregate
        // per row, for the handler's selection as for every confirmed one.
        let (filter, list) = match ids {
            Some(list) => (
                format!("a.employer_uscc = $1 AND a.id {}", in_json("$2")),
                Some(
                    serde_json::to_string(list)
                        .map_err(|e| sscard_app::ports::StoreError::Database(format!("id list: {e}")))?,
                ),
            ),
            None => ("a.employer_uscc = $1 AND a.state = 'confirmed'".to_string(), None),
        };
        let sql = format!(
            "SELECT {}, '[]' AS docs FROM applications a WHERE {filter} ORDER BY person_id",
            crate::applications::APPLICATION_COLUMNS
        );
        let mut rows_q = sqlx::query_as::<_, crate::applications::ApplicationRow>(&sql).bind(entity.as_str());
        let docs_sql = format!(
            "SELECT d.application_id, d.kind, d.hash, d.media_type, d.bytes \
                                FROM application_documents d JOIN applications a ON a.id = d.application_id \
                                WHERE {filter}"
        );
        let mut docs_q = sqlx::query_as::<_, (String, String, String, String, i64)>(&docs_sql).bind(entity.as_str());
        if let Some(list) = &list {
            rows_q = rows_q.bind(list.as_str());
            docs_q = docs_q.bind(list.as_str());
        }
        let rows = rows_q.fetch_all(&self.pool).await.db()?;
        let docs = docs_q.fetch_all(&self.pool).await.db()?;
        crate::collective::with_documents(rows, docs)
    }

    async fn employers_of(
        &self,
        persons: &[sscard_domain::values::IdNumber],
    ) -> sscard_app::ports::StoreResult<std::collections::HashMap<String, sscard_domain::values::Uscc>> {
        let ids: Vec<&str> = persons.iter().map(|p| p.as_str()).collect();
        let json = serde_json::to_string(&ids)
            .map_err(|e| sscard_app::ports::StoreError::Database(format!("id list: {e}")))?;
        let rows: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT id_number, employer_uscc FROM registry_persons WHERE employer_uscc IS NOT NULL \
             AND id_number {}",
            in_json("$1")
        ))
        .bind(json)
        .fetch_all(&self.pool)
        .await
        .db()?;
        rows.into_iter()
            .map(|(id, u)| {
                Ok((
                    id,
                    sscard_domain::values::Uscc::parse(&u)
                        .map_err(|e| sscard_app::ports::StoreError::Corrupt(format!("employer_uscc: {e}")))?,
                ))
            })
            .collect()
    }

    async fn cards_at_entity(
        &self,
        entity: &sscard_domain::values::Uscc,
    ) -> sscard_app::ports::StoreResult<
        Vec<(
            sscard_domain::application::Application,
            chrono::DateTime<chrono::FixedOffset>,
            String,
        )>,
    > {
        let sql =
            Self::application_select("WHERE employer_uscc = $1 AND state = 'delivered_to_entity' ORDER BY person_id");
        let rows: Vec<crate::applications::ApplicationRow> = sqlx::query_as(&sql)
            .bind(entity.as_str())
            .fetch_all(&self.pool)
            .await
            .db()?;
        // When each was delivered, and to whom it belongs, in one query beside the rows.
        let delivered: std::collections::HashMap<String, (i64, String)> = sqlx::query_as::<_, (String, i64, String)>(
            "SELECT e.application_id, MAX(e.at_ms), COALESCE(MAX(p.name), '') FROM application_events e \
             JOIN applications a ON a.id = e.application_id \
             LEFT JOIN registry_persons p ON p.id_number = a.person_id \
             WHERE a.employer_uscc = $1 AND a.state = 'delivered_to_entity' AND e.event = 'deliver_to_entity' \
             GROUP BY e.application_id",
        )
        .bind(entity.as_str())
        .fetch_all(&self.pool)
        .await
        .db()?
        .into_iter()
        .map(|(id, ms, name)| (id, (ms, name)))
        .collect();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let a = row.into_domain_with_docs()?;
            let (ms, name) = delivered.get(&a.id).cloned().ok_or_else(|| {
                sscard_app::ports::StoreError::Corrupt(format!("application {} delivered without its event", a.id))
            })?;
            out.push((a, crate::accounts::from_ms(ms)?, name));
        }
        out.sort_by(|x, y| x.1.cmp(&y.1).then_with(|| x.0.person.as_str().cmp(y.0.person.as_str())));
        Ok(out)
    }

    async fn submit_batch(
        &self,
        batch: &sscard_app::ports::Batch,
    ) -> sscard_app::ports::StoreResult<sscard_app::ports::BatchWrite> {
        if batch.items.is_empty() {
            // Nothing to write but the reply.
            return match &batch.reply {
                Some(r) => {
                    let mut conn = self.pool.acquire().await.db()?;
                    Ok(if remember_reply!(conn, r, batch.at) {
                        sscard_app::ports::BatchWrite::Written
                    } else {
                        sscard_app::ports::BatchWrite::KeyUsed
                    })
                }
                None => Ok(sscard_app::ports::BatchWrite::Written),
            };
        }
        self.write_batch(batch).await
    }

    async fn stored_reply(
        &self,
        scope: &str,
        actor: &str,
        key: &str,
    ) -> sscard_app::ports::StoreResult<Option<String>> {
        sqlx::query_scalar("SELECT reply FROM idempotent_replies WHERE scope = $1 AND actor = $2 AND key = $3")
            .bind(scope)
            .bind(actor)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .db()
    }
}
