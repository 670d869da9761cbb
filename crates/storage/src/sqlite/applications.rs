//! SQLite: the application store (drafts, documents, state changes with their event, consent, order and text), a plain implementation of the port. Row codecs and the shared columns are in `crate::applications`.

use super::{SqliteStore, DOCS_JSON};
use crate::DbResult;

impl SqliteStore {
    pub(super) fn application_select(tail: &str) -> String {
        format!(
            "SELECT {}, {} AS docs FROM applications a {tail}",
            crate::applications::APPLICATION_COLUMNS,
            DOCS_JSON
        )
    }

    pub(super) async fn application_where(
        &self,
        condition: &str,
        value: &str,
    ) -> sscard_app::ports::StoreResult<Option<sscard_domain::application::Application>> {
        let sql = Self::application_select(&format!("WHERE {condition}"));
        let row: Option<crate::applications::ApplicationRow> =
            sqlx::query_as(&sql).bind(value).fetch_optional(&self.pool).await.db()?;
        row.map(crate::applications::ApplicationRow::into_domain_with_docs)
            .transpose()
    }

    /// Puts a text message in the outbox, inside the caller's transaction.
    pub(super) async fn enqueue_in<'c, E>(
        exec: E,
        m: &sscard_app::ports::SmsMessage,
        at: chrono::DateTime<chrono::FixedOffset>,
    ) -> Result<(), sqlx::Error>
    where
        E: sqlx::Executor<'c, Database = sqlx::Sqlite>,
    {
        sqlx::query(
            "INSERT INTO sms_outbox (id, mobile, body, created_ms, attempts, due_ms) \
                     VALUES ($1, $2, $3, $4, 0, $4)",
        )
        .bind(&m.id)
        .bind(m.mobile.as_str())
        .bind(&m.body)
        .bind(crate::accounts::ms(at))
        .execute(exec)
        .await?;
        Ok(())
    }

    pub(super) async fn insert_event<'c, E>(
        exec: E,
        id: &str,
        e: &sscard_domain::application::ApplicationEventRecord,
    ) -> Result<(), sqlx::Error>
    where
        E: sqlx::Executor<'c, Database = sqlx::Sqlite>,
    {
        sqlx::query(
            "INSERT INTO application_events (application_id, at_ms, event, from_state, to_state, actor, \
                     channel, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(crate::accounts::ms(e.at))
        .bind(e.event.as_str())
        .bind(e.from.map(|s| s.as_str()))
        .bind(e.to.as_str())
        .bind(&e.actor)
        .bind(e.channel.as_str())
        .bind(&e.note)
        .execute(exec)
        .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl sscard_app::ports::ApplicationStore for SqliteStore {
    async fn create_application(
        &self,
        a: &sscard_domain::application::Application,
        start: &sscard_domain::application::ApplicationEventRecord,
    ) -> sscard_app::ports::StoreResult<Result<(), String>> {
        let mut tx = self.pool.begin().await.db()?;
        let cols = crate::applications::form_columns(&a.form);
        // `open_person` ($34) is what the one-open-application index reads.
        let sql = format!(
            "INSERT INTO applications ({}, open_person) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
                           $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, \
                           $27, $28, $29, $30, $31, $32, $33, $34)",
            crate::applications::APPLICATION_COLUMNS
        );
        let mut q = sqlx::query(&sql)
            .bind(&a.id)
            .bind(&a.reference)
            .bind(a.person.as_str())
            .bind(&a.applicant)
            .bind(a.route.as_str())
            .bind(a.channel.as_str())
            .bind(a.state.as_str());
        for c in cols.iter().take(13) {
            q = q.bind(c.clone());
        }
        let inserted = q
            .bind(crate::accounts::ms(a.created_at))
            .bind(crate::accounts::ms(a.updated_at))
            .bind(a.submitted_at.map(crate::accounts::ms))
            .bind(a.due_on);
        let m = a.minor.as_ref();
        let answers = m.map(crate::applications::minor_answers);
        let inserted = inserted
            .bind(m.map(|m| m.guardian.as_str().to_string()))
            .bind(m.map(|m| m.relationship.clone()))
            .bind(m.map(|m| m.id_type.as_str()))
            .bind(answers.and_then(|a| a.0))
            .bind(answers.and_then(|a| a.1))
            .bind(answers.and_then(|a| a.2))
            .bind(answers.and_then(|a| a.3))
            .bind(answers.is_some_and(|a| a.4))
            .bind(a.employer.as_ref().map(|u| u.as_str().to_string()))
            .bind(a.state.is_open().then(|| a.person.as_str().to_string()))
            .execute(&mut *tx)
            .await;
        if let Err(e) = inserted {
            let unique = e.as_database_error().is_some_and(|d| d.is_unique_violation());
            drop(tx);
            if unique {
                if let Some(open) = self.open_application_of(&a.person).await? {
                    return Ok(Err(open.id));
                }
            }
            return Err(crate::db_err(e));
        }
        Self::insert_event(&mut *tx, &a.id, start).await.db()?;
        tx.commit().await.db()?;
        Ok(Ok(()))
    }

    async fn application(
        &self,
        id: &str,
    ) -> sscard_app::ports::StoreResult<Option<sscard_domain::application::Application>> {
        self.application_where("id = $1", id).await
    }

    async fn application_by_reference(
        &self,
        reference: &str,
    ) -> sscard_app::ports::StoreResult<Option<sscard_domain::application::Application>> {
        self.application_where("reference = $1", reference).await
    }

    async fn open_application_of(
        &self,
        person: &sscard_domain::values::IdNumber,
    ) -> sscard_app::ports::StoreResult<Option<sscard_domain::application::Application>> {
        self.application_where("open_person = $1", person.as_str()).await
    }

    async fn has_collected_card(
        &self,
        person: &sscard_domain::values::IdNumber,
    ) -> sscard_app::ports::StoreResult<bool> {
        let n: i64 = sqlx::query_scalar(crate::applications::LIVE_CARDS)
            .bind(person.as_str())
            .fetch_one(&self.pool)
            .await
            .db()?;
        Ok(n > 0)
    }

    async fn applications_of(
        &self,
        account: &str,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_domain::application::Application>> {
        let sql = Self::application_select("WHERE applicant = $1 ORDER BY created_ms DESC, id");
        let rows: Vec<crate::applications::ApplicationRow> =
            sqlx::query_as(&sql).bind(account).fetch_all(&self.pool).await.db()?;
        rows.into_iter()
            .map(crate::applications::ApplicationRow::into_domain_with_docs)
            .collect()
    }

    async fn applications_about(
        &self,
        person: &sscard_domain::values::IdNumber,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_domain::application::Application>> {
        let sql = Self::application_select("WHERE person_id = $1 ORDER BY created_ms DESC, id");
        let rows: Vec<crate::applications::ApplicationRow> = sqlx::query_as(&sql)
            .bind(person.as_str())
            .fetch_all(&self.pool)
            .await
            .db()?;
        rows.into_iter()
            .map(crate::applications::ApplicationRow::into_domain_with_docs)
            .collect()
    }

    async fn save_minor(
        &self,
        id: &str,
        m: &sscard_domain::minor::MinorDetails,
        keep: &[sscard_domain::documents::DocumentKind],
        at: chrono::DateTime<chrono::FixedOffset>,
    ) -> sscard_app::ports::StoreResult<bool> {
        let mut tx = self.pool.begin().await.db()?;
        let a = crate::applications::minor_answers(m);
        let r = sqlx::query("UPDATE applications SET child_id_type = $1, child_id_valid_from = $2, \
                             child_id_valid_until = $3, guardian_is_householder = $4, same_booklet = $5, \
                             cartoon_photo = $6, updated_ms = $7 WHERE id = $8 AND state IN ('draft', 'confirmed', 'rejected') AND route = 'minor'")
            .bind(m.id_type.as_str()).bind(a.0).bind(a.1).bind(a.2).bind(a.3).bind(a.4)
            .bind(crate::accounts::ms(at)).bind(id)
            .execute(&mut *tx).await.db()?;
        if r.rows_affected() != 1 {
            return Ok(false);
        }
        // Documents the new answers no longer ask for go with the change, so none is ever submitted.
        let kinds: Vec<String> = sqlx::query_scalar("SELECT kind FROM application_documents WHERE application_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await
            .db()?;
        for k in kinds {
            if !keep.iter().any(|d| d.as_str() == k) {
                sqlx::query("DELETE FROM application_documents WHERE application_id = $1 AND kind = $2")
                    .bind(id)
                    .bind(&k)
                    .execute(&mut *tx)
                    .await
                    .db()?;
            }
        }
        tx.commit().await.db()?;
        Ok(true)
    }

    async fn save_form(
        &self,
        id: &str,
        form: &sscard_domain::application::ApplicationForm,
        at: chrono::DateTime<chrono::FixedOffset>,
    ) -> sscard_app::ports::StoreResult<bool> {
        let sql = format!("UPDATE applications SET {}, updated_ms = $14 WHERE id = $15 AND state IN ('draft', 'confirmed', 'rejected')",
                          crate::applications::FORM_SET);
        let mut q = sqlx::query(&sql);
        for c in crate::applications::form_columns(form).iter().take(13) {
            q = q.bind(c.clone());
        }
        let r = q
            .bind(crate::accounts::ms(at))
            .bind(id)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(r.rows_affected() == 1)
    }

    async fn set_document(
        &self,
        id: &str,
        kind: sscard_domain::documents::DocumentKind,
        doc: &sscard_domain::application::DocumentRef,
        at: chrono::DateTime<chrono::FixedOffset>,
    ) -> sscard_app::ports::StoreResult<bool> {
        let mut tx = self.pool.begin().await.db()?;
        let r = sqlx::query(
            "UPDATE applications SET updated_ms = $1 WHERE id = $2 AND state IN ('draft', 'confirmed', 'rejected')",
        )
        .bind(crate::accounts::ms(at))
        .bind(id)
        .execute(&mut *tx)
        .await
        .db()?;
        if r.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO application_documents (application_id, kind, hash, media_type, bytes, uploaded_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (application_id, kind) DO UPDATE SET \
                     hash = excluded.hash, media_type = excluded.media_type, bytes = excluded.bytes, \
                     uploaded_ms = excluded.uploaded_ms",
        )
        .bind(id)
        .bind(kind.as_str())
        .bind(&doc.hash)
        .bind(&doc.media_type)
        .bind(i64::try_from(doc.bytes).unwrap_or(i64::MAX))
        .bind(crate::accounts::ms(at))
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(true)
    }

    async fn transition(
        &self,
        id: &str,
        from: sscard_domain::application::ApplicationState,
        event: &sscard_domain::application::ApplicationEventRecord,
        submission: Option<&sscard_app::ports::Submission>,
        consent: Option<&sscard_domain::application::Consent>,
        notify: Option<&sscard_app::ports::SmsMessage>,
    ) -> sscard_app::ports::StoreResult<bool> {
        let consent_cols = consent.map(|c| {
            (
                c.account.clone(),
                c.person.as_str().to_string(),
                c.kind.as_str(),
                c.text_version.clone(),
                c.channel.as_str(),
                crate::accounts::ms(c.at),
            )
        });
        let mut tx = self.pool.begin().await.db()?;
        let r = sqlx::query(
            "UPDATE applications SET state = $1, updated_ms = $2, \
                             submitted_ms = COALESCE($3, submitted_ms), due_on = COALESCE($4, due_on), \
                             submit_key = COALESCE($5, submit_key), \
                   open_person = CASE WHEN $1 IN ('collected', 'withdrawn') THEN NULL ELSE open_person END \
                   WHERE id = $6 AND state = $7",
        )
        .bind(event.to.as_str())
        .bind(crate::accounts::ms(event.at))
        .bind(submission.map(|s| crate::accounts::ms(s.submitted_at)))
        .bind(submission.map(|s| s.due_on))
        .bind(submission.and_then(|s| s.key.clone()))
        .bind(id)
        .bind(from.as_str())
        .execute(&mut *tx)
        .await
        .db()?;
        if r.rows_affected() != 1 {
            return Ok(false);
        }
        Self::insert_event(&mut *tx, id, event).await.db()?;
        if let Some((account, person, kind, version, channel, at)) = consent_cols {
            sqlx::query(&format!(
                "INSERT INTO consents ({}) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                crate::applications::CONSENT_COLUMNS
            ))
            .bind(account)
            .bind(person)
            .bind(id)
            .bind(kind)
            .bind(version)
            .bind(channel)
            .bind(at)
            .execute(&mut *tx)
            .await
            .db()?;
        }
        if let Some(m) = notify {
            Self::enqueue_in(&mut *tx, m, event.at).await.db()?;
        }
        if let Some(sub) = submission {
            // A resubmission replaces the order before it.
            sqlx::query("UPDATE production_orders SET superseded = TRUE WHERE application_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .db()?;
            sqlx::query("INSERT INTO production_orders (id, application_id, bank, created_ms) VALUES ($1, $2, $3, $4)")
                .bind(&sub.order.id)
                .bind(id)
                .bind(&sub.order.bank)
                .bind(crate::accounts::ms(event.at))
                .execute(&mut *tx)
                .await
                .db()?;
        }
        tx.commit().await.db()?;
        Ok(true)
    }

    async fn submit_key(&self, id: &str) -> sscard_app::ports::StoreResult<Option<String>> {
        let k: Option<Option<String>> = sqlx::query_scalar("SELECT submit_key FROM applications WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .db()?;
        Ok(k.flatten())
    }

    async fn events(
        &self,
        id: &str,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_domain::application::ApplicationEventRecord>> {
        let rows: Vec<crate::applications::EventRow> = sqlx::query_as(
            "SELECT at_ms, event, from_state, to_state, actor, channel, note FROM application_events \
             WHERE application_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .db()?;
        rows.into_iter()
            .map(crate::applications::EventRow::into_domain)
            .collect()
    }

    async fn record_consent(&self, c: &sscard_domain::application::Consent) -> sscard_app::ports::StoreResult<()> {
        sqlx::query(&format!(
            "INSERT INTO consents ({}) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            crate::applications::CONSENT_COLUMNS
        ))
        .bind(&c.account)
        .bind(c.person.as_str())
        .bind(&c.application)
        .bind(c.kind.as_str())
        .bind(&c.text_version)
        .bind(c.channel.as_str())
        .bind(crate::accounts::ms(c.at))
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    async fn consents_of_application(
        &self,
        id: &str,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_domain::application::Consent>> {
        let rows: Vec<crate::applications::ConsentRow> = sqlx::query_as(&format!(
            "SELECT {} FROM consents WHERE application_id = $1 ORDER BY seq",
            crate::applications::CONSENT_COLUMNS
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .db()?;
        rows.into_iter()
            .map(crate::applications::ConsentRow::into_domain)
            .collect()
    }

    async fn latest_consent(
        &self,
        account: &str,
        kind: sscard_domain::application::ConsentKind,
        since: chrono::DateTime<chrono::FixedOffset>,
    ) -> sscard_app::ports::StoreResult<Option<sscard_domain::application::Consent>> {
        let row: Option<crate::applications::ConsentRow> = sqlx::query_as(&format!(
            "SELECT {} FROM consents WHERE account_id = $1 AND kind = $2 AND at_ms >= $3 ORDER BY seq DESC LIMIT 1",
            crate::applications::CONSENT_COLUMNS
        ))
        .bind(account)
        .bind(kind.as_str())
        .bind(crate::accounts::ms(since))
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(crate::applications::ConsentRow::into_domain).transpose()
    }

    async fn document_of_applicant(&self, account: &str, hash: &str) -> sscard_app::ports::StoreResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM application_documents d JOIN applications a ON a.id = d.application_id \
             WHERE a.applicant = $1 AND d.hash = $2",
        )
        .bind(account)
        .bind(hash)
        .fetch_one(&self.pool)
        .await
        .db()?;
        Ok(n > 0)
    }
}
