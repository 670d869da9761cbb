//! Employer collective application: the row codecs and the SQL both engines share for the entity's settings and
//! their history,
//! the handler's employee list and counts, and the batch submission (one engine-specific set-based write
//! each: `write_batch` in `postgres.rs` and `sqlite.rs`).

use sscard_app::ports::{Batch, EmployeeRow, StoreError};
use sscard_domain::application::ApplicationState;
use sscard_domain::collective::{AllowedBranch, CollectiveSettings, EmployeeStatus};
use sscard_domain::values::{Mobile, PersonName, Uscc};

use crate::accounts::from_ms;
use crate::common::stored_id;

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
