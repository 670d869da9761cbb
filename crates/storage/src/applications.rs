//! Row codecs and the shared SQL of applications, their documents, events and consents
//! ([`impl_application_store!`]).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sscard_app::ports::StoreError;
use sscard_domain::access::Channel;
use sscard_domain::application::{
    Application, ApplicationEvent, ApplicationEventRecord, ApplicationForm, ApplicationState, Consent, ConsentKind,
    DocumentRef, MailDetails, Route,
};
use sscard_domain::documents::DocumentKind;
use sscard_domain::minor::{ChildIdType, MinorDetails};
use sscard_domain::policy::CollectionMethod;
use sscard_domain::values::{BeijingPostalCode, Mobile, PersonName};

use crate::accounts::from_ms;
use crate::common::stored_id;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

pub(crate) const APPLICATION_COLUMNS: &str = "id, reference, person_id, applicant, route, channel, state, ethnicity, \
    occupation, residence_district, residence_address, mobile, bank, branch, collection, mail_recipient, mail_mobile, \
    mail_district, mail_postal_code, mail_address, created_ms, updated_ms, submitted_ms, due_on, guardian_id, \
    relationship, child_id_type, child_id_valid_from, child_id_valid_until, guardian_is_householder, same_booklet, \
    cartoon_photo, employer_uscc";

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ApplicationRow {
    pub id: String,
    pub reference: String,
    pub person_id: String,
    pub applicant: String,
    pub route: String,
    pub channel: String,
    pub state: String,
    pub ethnicity: Option<String>,
    pub occupation: Option<String>,
    pub residence_district: Option<String>,
    pub residence_address: Option<String>,
    pub mobile: Option<String>,
    pub bank: Option<String>,
    pub branch: Option<String>,
    pub collection: Option<String>,
    pub mail_recipient: Option<String>,
    pub mail_mobile: Option<String>,
    pub mail_district: Option<String>,
    pub mail_postal_code: Option<String>,
    pub mail_address: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub submitted_ms: Option<i64>,
    pub due_on: Option<NaiveDate>,
    pub guardian_id: Option<String>,
    pub relationship: Option<String>,
    pub child_id_type: Option<String>,
    pub child_id_valid_from: Option<NaiveDate>,
    pub child_id_valid_until: Option<NaiveDate>,
    pub guardian_is_householder: Option<bool>,
    pub same_booklet: Option<bool>,
    pub cartoon_photo: bool,
    pub employer_uscc: Option<String>,
    /// The documents as a JSON array (`[{"kind", "hash", "media_type", "bytes"}]`).
    pub docs: String,
}

/// The form's columns, in `APPLICATION_COLUMNS` order from `ethnicity` to `mail_address`.
pub(crate) type FormColumns = [Option<String>; 14];

pub(crate) fn form_columns(f: &ApplicationForm) -> FormColumns {
    let mail = f.mail.as_ref();
    [
        f.ethnicity.clone(),
        f.occupation.clone(),
        f.residence_district.clone(),
        f.residence_address.clone(),
        f.mobile.as_ref().map(|m| m.as_str().to_string()),
        f.bank.clone(),
        f.branch.clone(),
        f.collection.map(|c| c.as_str().to_string()),
        mail.map(|m| m.recipient.as_str().to_string()),
        mail.map(|m| m.mobile.as_str().to_string()),
        mail.map(|m| m.district.clone()),
        mail.map(|m| m.postal_code.as_str().to_string()),
        mail.map(|m| m.address.clone()),
        None,
    ]
}

pub(crate) const FORM_SET: &str = "ethnicity = $1, occupation = $2, residence_district = $3, residence_address = $4, \
    mobile = $5, bank = $6, branch = $7, collection = $8, mail_recipient = $9, mail_mobile = $10, mail_district = $11, \
    mail_postal_code = $12, mail_address = $13";

/// A minor's answers as bound values: from, until, householder, same booklet, cartoon.
pub(crate) fn minor_answers(
    m: &MinorDetails,
) -> (Option<NaiveDate>, Option<NaiveDate>, Option<bool>, Option<bool>, bool) {
    (
        m.id_valid_from,
        m.id_valid_until,
        m.guardian_is_householder,
        m.same_booklet,
        m.cartoon_photo,
    )
}

impl ApplicationRow {
    pub fn into_domain_with_docs(self) -> Result<Application, StoreError> {
        let rows: Vec<DocumentRow> = serde_json::from_str(&self.docs).map_err(|e| corrupt("documents", e))?;
        let docs = documents(rows)?;
        self.into_domain(docs)
    }

    pub fn into_domain(self, documents: BTreeMap<DocumentKind, DocumentRef>) -> Result<Application, StoreError> {
        let mail = match (
            self.mail_recipient,
            self.mail_mobile,
            self.mail_district,
            self.mail_postal_code,
            self.mail_address,
        ) {
            (Some(r), Some(m), Some(d), Some(p), Some(a)) => Some(MailDetails {
                recipient: PersonName::parse(&r).map_err(|e| corrupt("mail_recipient", e))?,
                mobile: Mobile::parse(&m).map_err(|e| corrupt("mail_mobile", e))?,
                district: d,
                postal_code: BeijingPostalCode::parse(&p).map_err(|e| corrupt("mail_postal_code", e))?,
                address: a,
            }),
            _ => None,
        };
        let minor = match (self.guardian_id, self.relationship, self.child_id_type) {
            (Some(g), Some(relationship), Some(t)) => Some(MinorDetails {
                guardian: stored_id(&g)?,
                relationship,
                id_type: ChildIdType::parse(&t).ok_or_else(|| corrupt("child_id_type", &t))?,
                id_valid_from: self.child_id_valid_from,
                id_valid_until: self.child_id_valid_until,
                guardian_is_householder: self.guardian_is_householder,
                same_booklet: self.same_booklet,
                cartoon_photo: self.cartoon_photo,
            }),
            (None, None, None) => None,
            _ => return Err(corrupt("minor details", "partly stored")),
        };
        Ok(Application {
            minor,
            employer: self
                .employer_uscc
                .map(|u| sscard_domain::values::Uscc::parse(&u).map_err(|e| corrupt("employer_uscc", e)))
                .transpose()?,
            person: stored_id(&self.person_id)?,
            route: Route::parse(&self.route).ok_or_else(|| corrupt("route", &self.route))?,
            channel: Channel::parse(&self.channel).ok_or_else(|| corrupt("channel", &self.channel))?,
            state: ApplicationState::parse(&self.state).ok_or_else(|| corrupt("state", &self.state))?,
            form: ApplicationForm {
                ethnicity: self.ethnicity,
                occupation: self.occupation,
                residence_district: self.residence_district,
                residence_address: self.residence_address,
                mobile: self
                    .mobile
                    .map(|m| Mobile::parse(&m).map_err(|e| corrupt("mobile", e)))
                    .transpose()?,
                bank: self.bank,
                branch: self.branch,
                collection: self
                    .collection
                    .map(|c| CollectionMethod::parse(&c).ok_or_else(|| corrupt("collection", c)))
                    .transpose()?,
                mail,
            },
            documents,
            created_at: from_ms(self.created_ms)?,
            updated_at: from_ms(self.updated_ms)?,
            submitted_at: self.submitted_ms.map(from_ms).transpose()?,
            due_on: self.due_on,
            id: self.id,
            reference: self.reference,
            applicant: self.applicant,
        })
    }
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct DocumentRow {
    pub kind: String,
    pub hash: String,
    pub media_type: String,
    pub bytes: i64,
}

pub(crate) fn documents(rows: Vec<DocumentRow>) -> Result<BTreeMap<DocumentKind, DocumentRef>, StoreError> {
    rows.into_iter()
        .map(|r| {
            Ok((
                DocumentKind::parse(&r.kind).ok_or_else(|| corrupt("document kind", &r.kind))?,
                DocumentRef {
                    hash: r.hash,
                    media_type: r.media_type,
                    bytes: u64::try_from(r.bytes).map_err(|e| corrupt("bytes", e))?,
                },
            ))
        })
        .collect()
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct EventRow {
    pub at_ms: i64,
    pub event: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub actor: String,
    pub channel: String,
    pub note: Option<String>,
}

impl EventRow {
    pub fn into_domain(self) -> Result<ApplicationEventRecord, StoreError> {
        let state = |s: &str| ApplicationState::parse(s).ok_or_else(|| corrupt("state", s));
        Ok(ApplicationEventRecord {
            at: from_ms(self.at_ms)?,
            event: ApplicationEvent::parse(&self.event).ok_or_else(|| corrupt("event", &self.event))?,
            from: self.from_state.as_deref().map(state).transpose()?,
            to: state(&self.to_state)?,
            channel: Channel::parse(&self.channel).ok_or_else(|| corrupt("channel", &self.channel))?,
            actor: self.actor,
            note: self.note,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ConsentRow {
    pub account_id: String,
    pub person_id: String,
    pub application_id: Option<String>,
    pub kind: String,
    pub text_version: String,
    pub channel: String,
    pub at_ms: i64,
}

impl ConsentRow {
    pub fn into_domain(self) -> Result<Consent, StoreError> {
        Ok(Consent {
            person: stored_id(&self.person_id)?,
            kind: ConsentKind::parse(&self.kind).ok_or_else(|| corrupt("consent kind", &self.kind))?,
            channel: Channel::parse(&self.channel).ok_or_else(|| corrupt("channel", &self.channel))?,
            at: from_ms(self.at_ms)?,
            account: self.account_id,
            application: self.application_id,
            text_version: self.text_version,
        })
    }
}

pub(crate) const CONSENT_COLUMNS: &str = "account_id, person_id, application_id, kind, text_version, channel, at_ms";

macro_rules! impl_application_store {
    // `$one_statement`: whether the engine runs data-modifying CTEs (PostgreSQL does; SQLite does not).
    // `$docs_json`: the engine's expression for an application's documents as a JSON array (one query
    // reads an application with its documents).
    ($store:ty, $db:ty, $one_statement:literal, $docs_json:literal) => {
        impl $store {
            fn application_select(tail: &str) -> String {
                format!("SELECT {}, {} AS docs FROM applications a {tail}", $crate::applications::APPLICATION_COLUMNS, $docs_json)
            }

            async fn application_where(&self, condition: &str, value: &str)
                -> sscard_app::ports::StoreResult<Option<sscard_domain::application::Application>> {
                let sql = Self::application_select(&format!("WHERE {condition}"));
                let row: Option<$crate::applications::ApplicationRow> = sqlx::query_as(&sql)
                    .bind(value).fetch_optional(&self.pool).await.map_err($crate::db_err)?;
                row.map($crate::applications::ApplicationRow::into_domain_with_docs).transpose()
            }

            /// Puts a text message in the outbox, inside the caller's transaction.
            async fn enqueue_in<'c, E>(exec: E, m: &sscard_app::ports::SmsMessage,
                at: chrono::DateTime<chrono::FixedOffset>) -> Result<(), sqlx::Error>
            where
                E: sqlx::Executor<'c, Database = $db>,
            {
                sqlx::query("INSERT INTO sms_outbox (id, mobile, body, created_ms, attempts, due_ms) \
                             VALUES ($1, $2, $3, $4, 0, $4)")
                    .bind(&m.id).bind(m.mobile.as_str()).bind(&m.body).bind($crate::accounts::ms(at))
                    .execute(exec).await?;
                Ok(())
            }

            async fn insert_event<'c, E>(exec: E, id: &str, e: &sscard_domain::application::ApplicationEventRecord)
                -> Result<(), sqlx::Error>
            where
                E: sqlx::Executor<'c, Database = $db>,
            {
                sqlx::query("INSERT INTO application_events (application_id, at_ms, event, from_state, to_state, actor, \
                             channel, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(id).bind($crate::accounts::ms(e.at)).bind(e.event.as_str()).bind(e.from.map(|s| s.as_str()))
                    .bind(e.to.as_str()).bind(&e.actor).bind(e.channel.as_str()).bind(&e.note)
                    .execute(exec).await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl sscard_app::ports::ApplicationStore for $store {
            async fn create_application(&self, a: &sscard_domain::application::Application,
                start: &sscard_domain::application::ApplicationEventRecord)
                -> sscard_app::ports::StoreResult<Result<(), String>> {
                let mut tx = self.pool.begin().await.map_err($crate::db_err)?;
                let cols = $crate::applications::form_columns(&a.form);
                // `open_person` ($34) is what the one-open-application index reads.
                let sql = format!("INSERT INTO applications ({}, open_person) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
                                   $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, \
                                   $27, $28, $29, $30, $31, $32, $33, $34)",
                                  $crate::applications::APPLICATION_COLUMNS);
                let mut q = sqlx::query(&sql)
                    .bind(&a.id).bind(&a.reference).bind(a.person.as_str()).bind(&a.applicant).bind(a.route.as_str())
                    .bind(a.channel.as_str()).bind(a.state.as_str());
                for c in cols.iter().take(13) {
                    q = q.bind(c.clone());
                }
                let inserted = q
                    .bind($crate::accounts::ms(a.created_at)).bind($crate::accounts::ms(a.updated_at))
                    .bind(a.submitted_at.map($crate::accounts::ms)).bind(a.due_on);
                let m = a.minor.as_ref();
                let answers = m.map($crate::applications::minor_answers);
                let inserted = inserted
                    .bind(m.map(|m| m.guardian.as_str().to_string())).bind(m.map(|m| m.relationship.clone()))
                    .bind(m.map(|m| m.id_type.as_str())).bind(answers.and_then(|a| a.0)).bind(answers.and_then(|a| a.1))
                    .bind(answers.and_then(|a| a.2)).bind(answers.and_then(|a| a.3)).bind(answers.is_some_and(|a| a.4))
                    .bind(a.employer.as_ref().map(|u| u.as_str().to_string()))
                    .bind(a.state.is_open().then(|| a.person.as_str().to_string()))
                    .execute(&mut *tx).await;
                if let Err(e) = inserted {
                    let unique = e.as_database_error().is_some_and(|d| d.is_unique_violation());
                    drop(tx);
                    if unique {
                        if let Some(open) = self.open_application_of(&a.person).await? {
                            return Ok(Err(open.id));
                        }
                    }
                    return Err($crate::db_err(e));
                }
                Self::insert_event(&mut *tx, &a.id, start).await.map_err($crate::db_err)?;
                tx.commit().await.map_err($crate::db_err)?;
                Ok(Ok(()))
            }

            async fn application(&self, id: &str)
                -> sscard_app::ports::StoreResult<Option<sscard_domain::application::Application>> {
                self.application_where("id = $1", id).await
            }

            async fn open_application_of(&self, person: &sscard_domain::values::IdNumber)
                -> sscard_app::ports::StoreResult<Option<sscard_domain::application::Application>> {
                self.application_where("open_person = $1", person.as_str()).await
            }

            async fn has_collected_card(&self, person: &sscard_domain::values::IdNumber) -> sscard_app::ports::StoreResult<bool> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM applications WHERE person_id = $1 AND state = 'collected'")
                    .bind(person.as_str()).fetch_one(&self.pool).await.map_err($crate::db_err)?;
                Ok(n > 0)
            }

            async fn applications_of(&self, account: &str)
                -> sscard_app::ports::StoreResult<Vec<sscard_domain::application::Application>> {
                let sql = Self::application_select("WHERE applicant = $1 ORDER BY created_ms DESC, id");
                let rows: Vec<$crate::applications::ApplicationRow> = sqlx::query_as(&sql)
                    .bind(account).fetch_all(&self.pool).await.map_err($crate::db_err)?;
                rows.into_iter().map($crate::applications::ApplicationRow::into_domain_with_docs).collect()
            }

            async fn applications_about(&self, person: &sscard_domain::values::IdNumber)
                -> sscard_app::ports::StoreResult<Vec<sscard_domain::application::Application>> {
                let sql = Self::application_select("WHERE person_id = $1 ORDER BY created_ms DESC, id");
                let rows: Vec<$crate::applications::ApplicationRow> = sqlx::query_as(&sql)
                    .bind(person.as_str()).fetch_all(&self.pool).await.map_err($crate::db_err)?;
                rows.into_iter().map($crate::applications::ApplicationRow::into_domain_with_docs).collect()
            }

            async fn save_minor(&self, id: &str, m: &sscard_domain::minor::MinorDetails,
                keep: &[sscard_domain::documents::DocumentKind], at: chrono::DateTime<chrono::FixedOffset>)
                -> sscard_app::ports::StoreResult<bool> {
                let mut tx = self.pool.begin().await.map_err($crate::db_err)?;
                let a = $crate::applications::minor_answers(m);
                let r = sqlx::query("UPDATE applications SET child_id_type = $1, child_id_valid_from = $2, \
                                     child_id_valid_until = $3, guardian_is_householder = $4, same_booklet = $5, \
                                     cartoon_photo = $6, updated_ms = $7 WHERE id = $8 AND state IN ('draft', 'confirmed', 'rejected') AND route = 'minor'")
                    .bind(m.id_type.as_str()).bind(a.0).bind(a.1).bind(a.2).bind(a.3).bind(a.4)
                    .bind($crate::accounts::ms(at)).bind(id)
                    .execute(&mut *tx).await.map_err($crate::db_err)?;
                if r.rows_affected() != 1 {
                    return Ok(false);
                }
                // Documents the new answers no longer ask for go with the change, so none is ever submitted.
                let kinds: Vec<String> = sqlx::query_scalar("SELECT kind FROM application_documents WHERE application_id = $1")
                    .bind(id).fetch_all(&mut *tx).await.map_err($crate::db_err)?;
                for k in kinds {
                    if !keep.iter().any(|d| d.as_str() == k) {
                        sqlx::query("DELETE FROM application_documents WHERE application_id = $1 AND kind = $2")
                            .bind(id).bind(&k).execute(&mut *tx).await.map_err($crate::db_err)?;
                    }
                }
                tx.commit().await.map_err($crate::db_err)?;
                Ok(true)
            }

            async fn save_form(&self, id: &str, form: &sscard_domain::application::ApplicationForm,
                at: chrono::DateTime<chrono::FixedOffset>) -> sscard_app::ports::StoreResult<bool> {
                let sql = format!("UPDATE applications SET {}, updated_ms = $14 WHERE id = $15 AND state IN ('draft', 'confirmed', 'rejected')",
                                  $crate::applications::FORM_SET);
                let mut q = sqlx::query(&sql);
                for c in $crate::applications::form_columns(form).iter().take(13) {
                    q = q.bind(c.clone());
                }
                let r = q.bind($crate::accounts::ms(at)).bind(id).execute(&self.pool).await.map_err($crate::db_err)?;
                Ok(r.rows_affected() == 1)
            }

            async fn set_document(&self, id: &str, kind: sscard_domain::documents::DocumentKind,
                doc: &sscard_domain::application::DocumentRef, at: chrono::DateTime<chrono::FixedOffset>)
                -> sscard_app::ports::StoreResult<bool> {
                if $one_statement {
                    let n: i64 = sqlx::query_scalar(
                        "WITH u AS (UPDATE applications SET updated_ms = $1 WHERE id = $2 AND state IN ('draft', 'confirmed', 'rejected') RETURNING id), \
                         d AS (INSERT INTO application_documents (application_id, kind, hash, media_type, bytes, uploaded_ms) \
                           SELECT id, $3, $4, $5, $6, $1 FROM u ON CONFLICT (application_id, kind) DO UPDATE SET \
                           hash = excluded.hash, media_type = excluded.media_type, bytes = excluded.bytes, \
                           uploaded_ms = excluded.uploaded_ms RETURNING 1) SELECT COUNT(*) FROM d")
                        .bind($crate::accounts::ms(at)).bind(id).bind(kind.as_str()).bind(&doc.hash).bind(&doc.media_type)
                        .bind(i64::try_from(doc.bytes).unwrap_or(i64::MAX))
                        .fetch_one(&self.pool).await.map_err($crate::db_err)?;
                    return Ok(n == 1);
                }
                let mut tx = self.pool.begin().await.map_err($crate::db_err)?;
                let r = sqlx::query("UPDATE applications SET updated_ms = $1 WHERE id = $2 AND state IN ('draft', 'confirmed', 'rejected')")
                    .bind($crate::accounts::ms(at)).bind(id).execute(&mut *tx).await.map_err($crate::db_err)?;
                if r.rows_affected() != 1 {
                    return Ok(false);
                }
                sqlx::query("INSERT INTO application_documents (application_id, kind, hash, media_type, bytes, uploaded_ms) \
                             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (application_id, kind) DO UPDATE SET \
                             hash = excluded.hash, media_type = excluded.media_type, bytes = excluded.bytes, \
                             uploaded_ms = excluded.uploaded_ms")
                    .bind(id).bind(kind.as_str()).bind(&doc.hash).bind(&doc.media_type)
                    .bind(i64::try_from(doc.bytes).unwrap_or(i64::MAX)).bind($crate::accounts::ms(at))
                    .execute(&mut *tx).await.map_err($crate::db_err)?;
                tx.commit().await.map_err($crate::db_err)?;
                Ok(true)
            }

            async fn transition(&self, id: &str, from: sscard_domain::application::ApplicationState,
                event: &sscard_domain::application::ApplicationEventRecord,
                submission: Option<&sscard_app::ports::Submission>,
                consent: Option<&sscard_domain::application::Consent>,
                notify: Option<&sscard_app::ports::SmsMessage>) -> sscard_app::ports::StoreResult<bool> {
                let consent_cols = consent.map(|c| (c.account.clone(), c.person.as_str().to_string(), c.kind.as_str(),
                    c.text_version.clone(), c.channel.as_str(), $crate::accounts::ms(c.at)));
                if $one_statement {
                    // One round trip: the update decides, the event and the consent follow only if it happened.
                    let n: i64 = sqlx::query_scalar(
                        "WITH u AS (UPDATE applications SET state = $1, updated_ms = $2, \
                           submitted_ms = COALESCE($3, submitted_ms), due_on = COALESCE($4, due_on), \
                           submit_key = COALESCE($5, submit_key), \
                           open_person = CASE WHEN $1 IN ('collected', 'withdrawn') THEN NULL ELSE open_person END \
                           WHERE id = $6 AND state = $7 RETURNING id), \
                         e AS (INSERT INTO application_events (application_id, at_ms, event, from_state, to_state, actor, \
                           channel, note) SELECT id, $2, $8, $7, $1, $9, $10, $11 FROM u RETURNING 1), \
                         c AS (INSERT INTO consents (account_id, person_id, application_id, kind, text_version, channel, at_ms) \
                           SELECT $12, $13, id, $14, $15, $16, $17 FROM u WHERE $12 IS NOT NULL RETURNING 1), \
                         o AS (INSERT INTO production_orders (id, application_id, bank, created_ms) \
                           SELECT $18, id, $19, $2 FROM u WHERE $18 IS NOT NULL RETURNING 1), \
                         s AS (UPDATE production_orders SET superseded = TRUE WHERE application_id = $6 \
                           AND NOT superseded AND $18 IS NOT NULL AND EXISTS (SELECT 1 FROM u) RETURNING 1), \
                         m AS (INSERT INTO sms_outbox (id, mobile, body, created_ms, attempts, due_ms) \
                           SELECT $20, $21, $22, $2, 0, $2 FROM u WHERE $20 IS NOT NULL RETURNING 1) \
                         SELECT COUNT(*) FROM e")
                        .bind(event.to.as_str()).bind($crate::accounts::ms(event.at))
                        .bind(submission.map(|s| $crate::accounts::ms(s.submitted_at)))
                        .bind(submission.map(|s| s.due_on))
                        .bind(submission.and_then(|s| s.key.clone()))
                        .bind(id).bind(from.as_str())
                        .bind(event.event.as_str()).bind(&event.actor).bind(event.channel.as_str()).bind(&event.note)
                        .bind(consent_cols.as_ref().map(|c| c.0.clone())).bind(consent_cols.as_ref().map(|c| c.1.clone()))
                        .bind(consent_cols.as_ref().map(|c| c.2)).bind(consent_cols.as_ref().map(|c| c.3.clone()))
                        .bind(consent_cols.as_ref().map(|c| c.4)).bind(consent_cols.as_ref().map(|c| c.5))
                        .bind(submission.map(|s| s.order.id.clone())).bind(submission.map(|s| s.order.bank.clone()))
                        .bind(notify.map(|m| m.id.clone())).bind(notify.map(|m| m.mobile.as_str().to_string()))
                        .bind(notify.map(|m| m.body.clone()))
                        .fetch_one(&self.pool).await.map_err($crate::db_err)?;
                    return Ok(n == 1);
                }
                let mut tx = self.pool.begin().await.map_err($crate::db_err)?;
                let r = sqlx::query("UPDATE applications SET state = $1, updated_ms = $2, \
                                     submitted_ms = COALESCE($3, submitted_ms), due_on = COALESCE($4, due_on), \
                                     submit_key = COALESCE($5, submit_key), \
                           open_person = CASE WHEN $1 IN ('collected', 'withdrawn') THEN NULL ELSE open_person END \
                           WHERE id = $6 AND state = $7")
                    .bind(event.to.as_str()).bind($crate::accounts::ms(event.at))
                    .bind(submission.map(|s| $crate::accounts::ms(s.submitted_at)))
                    .bind(submission.map(|s| s.due_on))
                    .bind(submission.and_then(|s| s.key.clone()))
                    .bind(id).bind(from.as_str())
                    .execute(&mut *tx).await.map_err($crate::db_err)?;
                if r.rows_affected() != 1 {
                    return Ok(false);
                }
                Self::insert_event(&mut *tx, id, event).await.map_err($crate::db_err)?;
                if let Some((account, person, kind, version, channel, at)) = consent_cols {
                    sqlx::query(&format!("INSERT INTO consents ({}) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                                         $crate::applications::CONSENT_COLUMNS))
                        .bind(account).bind(person).bind(id).bind(kind).bind(version).bind(channel).bind(at)
                        .execute(&mut *tx).await.map_err($crate::db_err)?;
                }
                if let Some(m) = notify {
                    Self::enqueue_in(&mut *tx, m, event.at).await.map_err($crate::db_err)?;
                }
                if let Some(sub) = submission {
                    // A resubmission replaces the order before it.
                    sqlx::query("UPDATE production_orders SET superseded = TRUE WHERE application_id = $1")
                        .bind(id).execute(&mut *tx).await.map_err($crate::db_err)?;
                    sqlx::query("INSERT INTO production_orders (id, application_id, bank, created_ms) VALUES ($1, $2, $3, $4)")
                        .bind(&sub.order.id).bind(id).bind(&sub.order.bank).bind($crate::accounts::ms(event.at))
                        .execute(&mut *tx).await.map_err($crate::db_err)?;
                }
                tx.commit().await.map_err($crate::db_err)?;
                Ok(true)
            }

            async fn submit_key(&self, id: &str) -> sscard_app::ports::StoreResult<Option<String>> {
                let k: Option<Option<String>> = sqlx::query_scalar("SELECT submit_key FROM applications WHERE id = $1")
                    .bind(id).fetch_optional(&self.pool).await.map_err($crate::db_err)?;
                Ok(k.flatten())
            }

            async fn events(&self, id: &str)
                -> sscard_app::ports::StoreResult<Vec<sscard_domain::application::ApplicationEventRecord>> {
                let rows: Vec<$crate::applications::EventRow> = sqlx::query_as(
                    "SELECT at_ms, event, from_state, to_state, actor, channel, note FROM application_events \
                     WHERE application_id = $1 ORDER BY seq")
                    .bind(id).fetch_all(&self.pool).await.map_err($crate::db_err)?;
                rows.into_iter().map($crate::applications::EventRow::into_domain).collect()
            }

            async fn record_consent(&self, c: &sscard_domain::application::Consent) -> sscard_app::ports::StoreResult<()> {
                sqlx::query(&format!("INSERT INTO consents ({}) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                                     $crate::applications::CONSENT_COLUMNS))
                    .bind(&c.account).bind(c.person.as_str()).bind(&c.application).bind(c.kind.as_str())
                    .bind(&c.text_version).bind(c.channel.as_str()).bind($crate::accounts::ms(c.at))
                    .execute(&self.pool).await.map_err($crate::db_err)?;
                Ok(())
            }

            async fn consents_of_application(&self, id: &str)
                -> sscard_app::ports::StoreResult<Vec<sscard_domain::application::Consent>> {
                let rows: Vec<$crate::applications::ConsentRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM consents WHERE application_id = $1 ORDER BY seq", $crate::applications::CONSENT_COLUMNS))
                    .bind(id).fetch_all(&self.pool).await.map_err($crate::db_err)?;
                rows.into_iter().map($crate::applications::ConsentRow::into_domain).collect()
            }

            async fn latest_consent(&self, account: &str, kind: sscard_domain::application::ConsentKind,
                since: chrono::DateTime<chrono::FixedOffset>)
                -> sscard_app::ports::StoreResult<Option<sscard_domain::application::Consent>> {
                let row: Option<$crate::applications::ConsentRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM consents WHERE account_id = $1 AND kind = $2 AND at_ms >= $3 ORDER BY seq DESC LIMIT 1",
                    $crate::applications::CONSENT_COLUMNS))
                    .bind(account).bind(kind.as_str()).bind($crate::accounts::ms(since))
                    .fetch_optional(&self.pool).await.map_err($crate::db_err)?;
                row.map($crate::applications::ConsentRow::into_domain).transpose()
            }

            async fn document_of_applicant(&self, account: &str, hash: &str) -> sscard_app::ports::StoreResult<bool> {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM application_documents d JOIN applications a ON a.id = d.application_id \
                     WHERE a.applicant = $1 AND d.hash = $2")
                    .bind(account).bind(hash).fetch_one(&self.pool).await.map_err($crate::db_err)?;
                Ok(n > 0)
            }
        }
    };
}
