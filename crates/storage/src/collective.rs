//! Employer collective application ([`impl_collective_store!`]): the entity's settings and their history,
//! the handler's employee list and counts, and the batch submission (one engine-specific set-based write
//! each: `write_batch` in `postgres.rs` and `sqlite.rs`).

use sscard_app::ports::{Batch, EmployeeRow, StoreError};
use sscard_domain::application::ApplicationState;
use sscard_domain::collective::{AllowedBranch, CollectiveSettings, EmployeeStatus};
use sscard_domain::values::{Mobile, PersonName, Uscc};

use crate::accounts::from_ms;
use crate::common::stored_id;

/// Remembers a reply under its idempotency key on `$conn` (a connection or transaction); `true` when this
/// was the first, `false` when the key was already taken (the statement then wrote nothing).
macro_rules! remember_reply {
    ($conn:ident, $reply:expr, $at:expr) => {
        sqlx::query(
            "INSERT INTO idempotent_replies (scope, actor, key, created_ms, reply) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT DO NOTHING",
        )
        .bind($reply.scope)
        .bind(&$reply.actor)
        .bind(&$reply.key)
        .bind($crate::accounts::ms($at))
        .bind(&$reply.body)
        .execute(&mut *$conn)
        .await
        .map_err($crate::db_err)?
        .rows_affected()
            == 1
    };
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SettingsRow {
    pub uscc: String,
    pub is_open: bool,
    pub entity_collects: bool,
    pub contact_name: String,
    pub contact_mobile: String,
    pub updated_ms: i64,
    pub updated_by: String,
}

impl SettingsRow {
    pub fn into_domain(self, branches: Vec<(String, String)>) -> Result<CollectiveSettings, StoreError> {
        Ok(CollectiveSettings {
            entity: Uscc::parse(&self.uscc).map_err(|e| corrupt("uscc", e))?,
            open: self.is_open,
            entity_collects: self.entity_collects,
            branches: branches
                .into_iter()
                .map(|(bank, branch)| AllowedBranch { bank, branch })
                .collect(),
            contact_name: PersonName::parse(&self.contact_name).map_err(|e| corrupt("contact_name", e))?,
            contact_mobile: Mobile::parse(&self.contact_mobile).map_err(|e| corrupt("contact_mobile", e))?,
            updated_at: from_ms(self.updated_ms)?,
            updated_by: self.updated_by,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct EmployeeDbRow {
    pub id_number: String,
    pub name: String,
    pub employed: bool,
    pub app_id: Option<String>,
    pub reference: Option<String>,
    pub state: Option<String>,
    pub updated_ms: Option<i64>,
}

fn state(s: &str) -> Result<ApplicationState, StoreError> {
    ApplicationState::parse(s).ok_or_else(|| corrupt("state", s))
}

impl EmployeeDbRow {
    pub fn into_domain(self) -> Result<EmployeeRow, StoreError> {
        let st = self.state.as_deref().map(state).transpose()?;
        let application = match (self.app_id, self.reference, self.updated_ms) {
            (Some(id), Some(r), Some(ms)) => Some((id, r, from_ms(ms)?)),
            _ => None,
        };
        Ok(EmployeeRow {
            person: stored_id(&self.id_number)?,
            name: self.name,
            employed: self.employed,
            status: EmployeeStatus::of(st),
            application,
        })
    }
}

/// The count rows (`'none'`: no application yet), summed per status.
pub(crate) fn counts(rows: Vec<(String, i64)>) -> Result<Vec<(EmployeeStatus, u64)>, StoreError> {
    let mut out: Vec<(EmployeeStatus, u64)> = Vec::new();
    for (st, n) in rows {
        let status = EmployeeStatus::of(if st == "none" { None } else { Some(state(&st)?) });
        let n = u64::try_from(n).map_err(|e| corrupt("count", e))?;
        match out.iter_mut().find(|(s, _)| *s == status) {
            Some((_, total)) => *total += n,
            None => out.push((status, n)),
        }
    }
    out.sort_by_key(|(s, _)| EmployeeStatus::all().iter().position(|x| x == s));
    Ok(out)
}

/// The SQL condition for a status filter on the latest application's state (`'none'`: no application).
/// Built from the enum's own names only, never from input.
pub(crate) fn status_condition(status: EmployeeStatus) -> String {
    let names: Vec<String> = status
        .states()
        .into_iter()
        .map(|s| format!("'{}'", s.map_or("none", |s| s.as_str())))
        .collect();
    format!("COALESCE(a.state, 'none') IN ({})", names.join(", "))
}

/// A name prefix for `LIKE … ESCAPE '\'`, with the wildcards in the input taken literally.
pub(crate) fn like_prefix(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Applications read without their documents, and their documents read in one query beside them.
pub(crate) fn with_documents(
    rows: Vec<crate::applications::ApplicationRow>,
    docs: Vec<(String, String, String, String, i64)>,
) -> Result<Vec<sscard_domain::application::Application>, StoreError> {
    let mut by_app: std::collections::HashMap<String, Vec<crate::applications::DocumentRow>> =
        std::collections::HashMap::new();
    for (app, kind, hash, media_type, bytes) in docs {
        by_app.entry(app).or_default().push(crate::applications::DocumentRow {
            kind,
            hash,
            media_type,
            bytes,
        });
    }
    rows.into_iter()
        .map(|r| {
            let d = crate::applications::documents(by_app.remove(&r.id).unwrap_or_default())?;
            r.into_domain(d)
        })
        .collect()
}

/// The batch's items as the JSON array both engines' set-based writes read.
pub(crate) fn batch_json(b: &Batch) -> String {
    let items: Vec<serde_json::Value> = b
        .items
        .iter()
        .map(|i| {
            serde_json::json!({
                "id": i.application,
                "order_id": i.order.id,
                "bank": i.order.bank,
                "sms_id": i.notify.as_ref().map(|m| m.id.clone()),
                "mobile": i.notify.as_ref().map(|m| m.mobile.as_str().to_string()),
                "body": i.notify.as_ref().map(|m| m.body.clone()),
            })
        })
        .collect();
    serde_json::Value::Array(items).to_string()
}

/// A person's current collective application with the entity `$1`, as a scalar subquery on `p`: the open
/// one if any (at most one), else the latest closed one.
pub(crate) const LATEST_APPLICATION: &str = "(SELECT x.id FROM applications x WHERE x.employer_uscc = $1 \
    AND x.person_id = p.id_number ORDER BY (x.open_person IS NULL), x.created_ms DESC, x.id DESC LIMIT 1)";

macro_rules! impl_collective_store {
    // `$in_json`: the engine's `IN` list over a JSON array of strings bound as text, `{}` for the placeholder.
    ($store:ty, $in_json:literal) => {
        #[async_trait::async_trait]
        impl sscard_app::ports::CollectiveStore for $store {
            async fn collective_settings(&self, entity: &sscard_domain::values::Uscc)
                -> sscard_app::ports::StoreResult<Option<sscard_domain::collective::CollectiveSettings>> {
                let row: Option<$crate::collective::SettingsRow> = sqlx::query_as(
                    "SELECT uscc, is_open, entity_collects, contact_name, contact_mobile, updated_ms, updated_by \
                     FROM collective_settings WHERE uscc = $1")
                    .bind(entity.as_str()).fetch_optional(&self.pool).await.map_err($crate::db_err)?;
                let Some(row) = row else { return Ok(None) };
                let branches: Vec<(String, String)> = sqlx::query_as(
                    "SELECT bank, branch FROM collective_branches WHERE uscc = $1 ORDER BY bank, branch")
                    .bind(entity.as_str()).fetch_all(&self.pool).await.map_err($crate::db_err)?;
                row.into_domain(branches).map(Some)
            }

            async fn save_collective_settings(&self, s: &sscard_domain::collective::CollectiveSettings,
                channel: sscard_domain::access::Channel, audit: Option<&sscard_domain::audit::AuditEntry>)
                -> sscard_app::ports::StoreResult<()> {
                let snapshot = serde_json::to_string(s)
                    .map_err(|e| sscard_app::ports::StoreError::Database(format!("settings snapshot: {e}")))?;
                let at = $crate::accounts::ms(s.updated_at);
                let mut tx = self.pool.begin().await.map_err($crate::db_err)?;
                sqlx::query("INSERT INTO collective_settings (uscc, is_open, entity_collects, contact_name, \
                             contact_mobile, updated_ms, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                             ON CONFLICT (uscc) DO UPDATE SET is_open = excluded.is_open, \
                             entity_collects = excluded.entity_collects, contact_name = excluded.contact_name, \
                             contact_mobile = excluded.contact_mobile, updated_ms = excluded.updated_ms, \
                             updated_by = excluded.updated_by")
                    .bind(s.entity.as_str()).bind(s.open).bind(s.entity_collects).bind(s.contact_name.as_str())
                    .bind(s.contact_mobile.as_str()).bind(at).bind(&s.updated_by)
                    .execute(&mut *tx).await.map_err($crate::db_err)?;
                sqlx::query("DELETE FROM collective_branches WHERE uscc = $1")
                    .bind(s.entity.as_str()).execute(&mut *tx).await.map_err($crate::db_err)?;
                for b in &s.branches {
                    sqlx::query("INSERT INTO collective_branches (uscc, bank, branch) VALUES ($1, $2, $3)")
                        .bind(s.entity.as_str()).bind(&b.bank).bind(&b.branch)
                        .execute(&mut *tx).await.map_err($crate::db_err)?;
                }
                sqlx::query("INSERT INTO collective_settings_history (uscc, at_ms, actor, channel, settings) \
                             VALUES ($1, $2, $3, $4, $5)")
                    .bind(s.entity.as_str()).bind(at).bind(&s.updated_by).bind(channel.as_str()).bind(snapshot)
                    .execute(&mut *tx).await.map_err($crate::db_err)?;
                if let Some(e) = audit {
                    Self::insert_audit(&mut *tx, e).await.map_err($crate::db_err)?;
                }
                tx.commit().await.map_err($crate::db_err)
            }

            async fn collective_history(&self, entity: &sscard_domain::values::Uscc)
                -> sscard_app::ports::StoreResult<Vec<sscard_app::ports::SettingsChange>> {
                let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
                    "SELECT at_ms, actor, channel, settings FROM collective_settings_history WHERE uscc = $1 ORDER BY seq")
                    .bind(entity.as_str()).fetch_all(&self.pool).await.map_err($crate::db_err)?;
                rows.into_iter().map(|(at, actor, channel, settings)| Ok(sscard_app::ports::SettingsChange {
                    at: $crate::accounts::from_ms(at)?,
                    channel: sscard_domain::access::Channel::parse(&channel)
                        .ok_or_else(|| sscard_app::ports::StoreError::Corrupt(format!("channel: {channel}")))?,
                    actor,
                    settings,
                })).collect()
            }

            async fn employees(&self, entity: &sscard_domain::values::Uscc, q: &sscard_app::ports::EmployeeQuery)
                -> sscard_app::ports::StoreResult<Vec<sscard_app::ports::EmployeeRow>> {
                let search = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
                // In every statement (PostgreSQL refuses unused parameters); an empty search matches all.
                let matches = |p: &str| format!("($5 = '' OR {p}.name LIKE $4 ESCAPE '\\' OR {p}.id_number = $5)");
                let columns = "p.id_number, p.name, COALESCE(p.employer_uscc = $1, FALSE) AS employed, a.id AS app_id, \
                               a.reference, a.state, a.updated_ms";
                let latest = $crate::collective::LATEST_APPLICATION;
                // Each plan reads the entity's rows in ID-number order and stops at one page of matches.
                let sql = match q.status {
                    // Someone with an application in that state: from the entity's applications (each person's
                    // current one), whether or not the registry still names the entity.
                    Some(st) if st != sscard_domain::collective::EmployeeStatus::NotConfirmed => format!(
                        "SELECT {columns} FROM applications a JOIN registry_persons p ON p.id_number = a.person_id \
                         WHERE a.employer_uscc = $1 AND a.person_id > $2 AND {cond} AND a.id = {latest} AND {m} \
                         ORDER BY a.person_id LIMIT $3",
                        cond = $crate::collective::status_condition(st),
                        m = matches("p")),
                    // Not confirmed: the registry's current employees without a confirmed or later application.
                    Some(st) => format!(
                        "SELECT {columns} FROM registry_persons p LEFT JOIN applications a ON a.id = {latest} \
                         WHERE p.employer_uscc = $1 AND p.id_number > $2 AND {cond} AND {m} \
                         ORDER BY p.id_number LIMIT $3",
                        cond = $crate::collective::status_condition(st),
                        m = matches("p")),
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
                        mr = matches("r")),
                };
                let rows: Vec<$crate::collective::EmployeeDbRow> = sqlx::query_as(&sql)
                    .bind(entity.as_str()).bind(q.after.clone().unwrap_or_default()).bind(i64::from(q.limit))
                    .bind(search.map($crate::collective::like_prefix).unwrap_or_default())
                    .bind(search.unwrap_or_default().to_ascii_uppercase())
                    .fetch_all(&self.pool).await.map_err($crate::db_err)?;
                rows.into_iter().map($crate::collective::EmployeeDbRow::into_domain).collect()
            }

            async fn employee_counts(&self, entity: &sscard_domain::values::Uscc)
                -> sscard_app::ports::StoreResult<Vec<(sscard_domain::collective::EmployeeStatus, u64)>> {
                let sql = format!(
                    "WITH ids AS (SELECT id_number AS pid FROM registry_persons WHERE employer_uscc = $1 \
                       UNION SELECT person_id FROM applications WHERE employer_uscc = $1) \
                     SELECT COALESCE(a.state, 'none') AS st, COUNT(*) AS n FROM ids \
                     JOIN registry_persons p ON p.id_number = ids.pid \
                     LEFT JOIN applications a ON a.id = {} GROUP BY COALESCE(a.state, 'none')",
                    $crate::collective::LATEST_APPLICATION);
                let rows: Vec<(String, i64)> = sqlx::query_as(&sql)
                    .bind(entity.as_str()).fetch_all(&self.pool).await.map_err($crate::db_err)?;
                $crate::collective::counts(rows)
            }

            async fn collective_applications(&self, entity: &sscard_domain::values::Uscc,
                ids: Option<&[String]>)
                -> sscard_app::ports::StoreResult<Vec<sscard_domain::application::Application>> {
                // A batch of thousands: the documents in one query beside the rows rather than one JSON aggregate
                // per row, for the handler's selection as for every confirmed one.
                let (filter, list) = match ids {
                    Some(list) => (format!("a.employer_uscc = $1 AND a.id {}", format!($in_json, "$2")),
                        Some(serde_json::to_string(list)
                            .map_err(|e| sscard_app::ports::StoreError::Database(format!("id list: {e}")))?)),
                    None => ("a.employer_uscc = $1 AND a.state = 'confirmed'".to_string(), None),
                };
                let sql = format!("SELECT {}, '[]' AS docs FROM applications a WHERE {filter} ORDER BY person_id",
                                  $crate::applications::APPLICATION_COLUMNS);
                let mut rows_q = sqlx::query_as::<_, $crate::applications::ApplicationRow>(&sql).bind(entity.as_str());
                let docs_sql = format!("SELECT d.application_id, d.kind, d.hash, d.media_type, d.bytes \
                                        FROM application_documents d JOIN applications a ON a.id = d.application_id \
                                        WHERE {filter}");
                let mut docs_q = sqlx::query_as::<_, (String, String, String, String, i64)>(&docs_sql)
                    .bind(entity.as_str());
                if let Some(list) = &list {
                    rows_q = rows_q.bind(list.as_str());
                    docs_q = docs_q.bind(list.as_str());
                }
                let rows = rows_q.fetch_all(&self.pool).await.map_err($crate::db_err)?;
                let docs = docs_q.fetch_all(&self.pool).await.map_err($crate::db_err)?;
                $crate::collective::with_documents(rows, docs)
            }

            async fn employers_of(&self, persons: &[sscard_domain::values::IdNumber])
                -> sscard_app::ports::StoreResult<std::collections::HashMap<String, sscard_domain::values::Uscc>> {
                let ids: Vec<&str> = persons.iter().map(|p| p.as_str()).collect();
                let json = serde_json::to_string(&ids)
                    .map_err(|e| sscard_app::ports::StoreError::Database(format!("id list: {e}")))?;
                let rows: Vec<(String, String)> = sqlx::query_as(&format!(
                    "SELECT id_number, employer_uscc FROM registry_persons WHERE employer_uscc IS NOT NULL \
                     AND id_number {}", format!($in_json, "$1")))
                    .bind(json).fetch_all(&self.pool).await.map_err($crate::db_err)?;
                rows.into_iter()
                    .map(|(id, u)| Ok((id, sscard_domain::values::Uscc::parse(&u)
                        .map_err(|e| sscard_app::ports::StoreError::Corrupt(format!("employer_uscc: {e}")))?)))
                    .collect()
            }

            async fn cards_at_entity(&self, entity: &sscard_domain::values::Uscc)
                -> sscard_app::ports::StoreResult<Vec<(sscard_domain::application::Application,
                    chrono::DateTime<chrono::FixedOffset>, String)>> {
                let sql = Self::application_select(
                    "WHERE employer_uscc = $1 AND state = 'delivered_to_entity' ORDER BY person_id");
                let rows: Vec<$crate::applications::ApplicationRow> = sqlx::query_as(&sql)
                    .bind(entity.as_str()).fetch_all(&self.pool).await.map_err($crate::db_err)?;
                // When each was delivered, and to whom it belongs, in one query beside the rows.
                let delivered: std::collections::HashMap<String, (i64, String)> = sqlx::query_as::<_, (String, i64, String)>(
                    "SELECT e.application_id, MAX(e.at_ms), COALESCE(MAX(p.name), '') FROM application_events e \
                     JOIN applications a ON a.id = e.application_id \
                     LEFT JOIN registry_persons p ON p.id_number = a.person_id \
                     WHERE a.employer_uscc = $1 AND a.state = 'delivered_to_entity' AND e.event = 'deliver_to_entity' \
                     GROUP BY e.application_id")
                    .bind(entity.as_str()).fetch_all(&self.pool).await.map_err($crate::db_err)?
                    .into_iter().map(|(id, ms, name)| (id, (ms, name))).collect();
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    let a = row.into_domain_with_docs()?;
                    let (ms, name) = delivered.get(&a.id).cloned()
                        .ok_or_else(|| sscard_app::ports::StoreError::Corrupt(
                            format!("application {} delivered without its event", a.id)))?;
                    out.push((a, $crate::accounts::from_ms(ms)?, name));
                }
                out.sort_by(|x, y| x.1.cmp(&y.1).then_with(|| x.0.person.as_str().cmp(y.0.person.as_str())));
                Ok(out)
            }

            async fn submit_batch(&self, batch: &sscard_app::ports::Batch)
                -> sscard_app::ports::StoreResult<sscard_app::ports::BatchWrite> {
                if batch.items.is_empty() {
                    // Nothing to write but the reply.
                    return match &batch.reply {
                        Some(r) => {
                            let mut conn = self.pool.acquire().await.map_err($crate::db_err)?;
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

            async fn stored_reply(&self, scope: &str, actor: &str, key: &str)
                -> sscard_app::ports::StoreResult<Option<String>> {
                sqlx::query_scalar("SELECT reply FROM idempotent_replies WHERE scope = $1 AND actor = $2 AND key = $3")
                    .bind(scope).bind(actor).bind(key)
                    .fetch_optional(&self.pool).await.map_err($crate::db_err)
            }
        }
    };
}
