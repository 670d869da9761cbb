//! The console's changes of banks, branches and outlets: the SQL both engines run, and the row codec of a kept
//! change (no I/O of its own; `change_reference_on!` runs it).

use sscard_app::ports::{ReferenceChange, StoreError};
use sscard_domain::registry::{Dependency, ReferenceKind};

pub(crate) const BANK: &str =
    "SELECT code, short, name_zh, name_en, supports_online_replacement FROM banks WHERE code = $1";
pub(crate) const BRANCH: &str = "SELECT code, bank, name, district, address, accepts_pickup, instant_issuance \
    FROM branches WHERE code = $1";
pub(crate) const OUTLET: &str = "SELECT code, name, district, address FROM outlets WHERE code = $1";

pub(crate) const UPDATE_BANK: &str =
    "UPDATE banks SET short = $2, name_zh = $3, name_en = $4, supports_online_replacement = $5 WHERE code = $1";
pub(crate) const UPDATE_BRANCH: &str = "UPDATE branches SET name = $2, district = $3, address = $4, \
    accepts_pickup = $5, instant_issuance = $6 WHERE code = $1";
pub(crate) const UPDATE_OUTLET: &str = "UPDATE outlets SET name = $2, district = $3, address = $4 WHERE code = $1";

/// Cards on their way to being collected at the branch `$1`: first applications (in person or by an agent),
/// then replacements. The states match the partial indexes of migration 0015.
pub(crate) const PICKUPS_WAITING: &str = "SELECT \
    (SELECT COUNT(*) FROM applications WHERE branch = $1 \
        AND state IN ('submitted', 'sent_to_bank', 'in_production', 'produced', 'ready_for_pickup') \
        AND collection IN ('branch_pickup', 'agent_branch_pickup')) \
    + (SELECT COUNT(*) FROM replacement_orders WHERE branch = $1 \
        AND state IN ('ordered', 'sent_to_bank', 'in_production', 'produced', 'ready_for_pickup'))";
/// Live outlet clerks bound to the outlet `$1`.
pub(crate) const CLERKS_BOUND: &str = "SELECT COUNT(*) FROM accounts WHERE outlet = $1 AND NOT disabled";

pub(crate) fn dependency_sql(d: Dependency) -> &'static str {
    match d {
        Dependency::PickupsWaiting => PICKUPS_WAITING,
        Dependency::ClerksBound => CLERKS_BOUND,
    }
}

pub(crate) const INSERT_CHANGE: &str = "INSERT INTO reference_changes \
    (kind, code, before_json, after_json, changed_by, changed_ms) VALUES ($1, $2, $3, $4, $5, $6)";
pub(crate) const CHANGES: &str = "SELECT kind, code, before_json, after_json, changed_by, changed_ms \
    FROM reference_changes WHERE kind = $1 AND code = $2 ORDER BY changed_ms DESC, seq DESC LIMIT $3";

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ChangeRow {
    kind: String,
    code: String,
    before_json: String,
    after_json: String,
    changed_by: String,
    changed_ms: i64,
}

fn json(column: &str, text: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("reference_changes.{column}: {e}")))
}

impl ChangeRow {
    pub(crate) fn into_domain(self) -> Result<ReferenceChange, StoreError> {
        Ok(ReferenceChange {
            kind: ReferenceKind::parse(&self.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("reference_changes.kind {}", self.kind)))?,
            before: json("before_json", &self.before_json)?,
            after: json("after_json", &self.after_json)?,
            code: self.code,
            by: self.changed_by,
            at: crate::accounts::from_ms(self.changed_ms)?,
        })
    }
}
