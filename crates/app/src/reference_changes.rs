//! The console's changes of banks, branches and outlets (SPEC §4.3, §10): the fields as typed, parsed; the
//! change kept with who, when, before and after, and audited; refused while live data depends on what it
//! takes away, with the count. A change is read from the database by every instance, so it is in force at once.

use sscard_domain::access::Role;
use sscard_domain::account::Principal;
use sscard_domain::audit::{AuditAction, Outcome};
use sscard_domain::registry::{Bank, Branch, Dependency, Outlet, ReferenceKind, ReferenceRecord};
use sscard_domain::values::{ErrorCode, FreeText};

use crate::auth::{principal_entry, Meta};
use crate::ports::{ReferenceChange, ReferenceEdit, ReferenceWrite, StoreError};
use crate::records::{fe, FieldError};
use crate::AppContext;

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("only the bureau's administrators change reference data")]
    Forbidden,
    #[error("no such record")]
    Unknown,
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    #[error("{count} records depend on what the change takes away")]
    Depended { dependency: Dependency, count: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A bank's, branch's or outlet's fields as typed in the console; the code names the record and never changes.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    pub short: Option<String>,
    pub name: Option<String>,
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
    pub district: Option<String>,
    pub address: Option<String>,
    pub accepts_pickup: bool,
    pub instant_issuance: bool,
    pub supports_online_replacement: bool,
}

fn text(v: &Option<String>, field: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    match FreeText::parse(v.as_deref().unwrap_or_default(), max) {
        Ok(t) => t.into_string(),
        Err(e) => {
            errors.push(fe(field, e.code()));
            String::new()
        }
    }
}

/// A known district code, typed (checked before the text fields, so its message comes first).
fn district(ctx: &AppContext, typed: &Typed, errors: &mut Vec<FieldError>) -> String {
    let d = typed.district.as_deref().map(str::trim).unwrap_or_default().to_string();
    if d.is_empty() {
        errors.push(fe("district", "required"));
    } else if ctx.codes.district(&d).is_none() {
        errors.push(fe("district", "invalid_choice"));
    }
    d
}

/// The record `typed` describes, or what is wrong with each field.
pub fn parse(ctx: &AppContext, kind: ReferenceKind, code: &str, typed: &Typed) -> Result<ReferenceRecord, ChangeError> {
    let mut errors = Vec::new();
    let record = match kind {
        ReferenceKind::Bank => ReferenceRecord::Bank(Bank {
            code: code.to_string(),
            short: text(&typed.short, "short", 20, &mut errors),
            name_zh: text(&typed.name_zh, "name_zh", 100, &mut errors),
            name_en: text(&typed.name_en, "name_en", 100, &mut errors),
            supports_online_replacement: typed.supports_online_replacement,
        }),
        ReferenceKind::Branch => {
            let district = district(ctx, typed, &mut errors);
            ReferenceRecord::Branch(Branch {
                code: code.to_string(),
                bank: code.split('-').next().unwrap_or_default().to_string(),
                name: text(&typed.name, "name", 100, &mut errors),
                district,
                address: text(&typed.address, "address", 200, &mut errors),
                accepts_pickup: typed.accepts_pickup,
                instant_issuance: typed.instant_issuance,
            })
        }
        ReferenceKind::Outlet => {
            let district = district(ctx, typed, &mut errors);
            ReferenceRecord::Outlet(Outlet {
                code: code.to_string(),
                name: text(&typed.name, "name", 100, &mut errors),
                district,
                address: text(&typed.address, "address", 200, &mut errors),
            })
        }
    };
    if errors.is_empty() {
        Ok(record)
    } else {
        Err(ChangeError::Invalid(errors))
    }
}

/// Makes the change; the record as it was before, or `None` when it already read so (nothing written).
pub async fn change(
    ctx: &AppContext,
    p: &Principal,
    after: ReferenceRecord,
    meta: &Meta,
) -> Result<Option<ReferenceRecord>, ChangeError> {
    if p.role() != Role::Admin {
        return Err(ChangeError::Forbidden);
    }
    let record = Some(format!("{}:{}", after.kind().as_str(), after.code()));
    let audit = principal_entry(ctx, p, AuditAction::ReferenceChanged, Outcome::Success, record, meta);
    let edit = ReferenceEdit {
        after,
        by: p.account.id.clone(),
        at: ctx.clock.now(),
    };
    match ctx.store.change_reference(&edit, &audit).await? {
        ReferenceWrite::Changed { before } => Ok(Some(before)),
        ReferenceWrite::Unchanged => Ok(None),
        ReferenceWrite::Unknown => Err(ChangeError::Unknown),
        ReferenceWrite::Depended { dependency, count } => Err(ChangeError::Depended { dependency, count }),
    }
}

/// One record as it stands, with its kept changes (newest first, at most 50).
pub struct RecordWithHistory {
    pub record: ReferenceRecord,
    pub changes: Vec<ReferenceChange>,
}

pub async fn record(
    ctx: &AppContext,
    kind: ReferenceKind,
    code: &str,
) -> Result<Option<RecordWithHistory>, ChangeError> {
    let record = match kind {
        ReferenceKind::Bank => ctx
            .store
            .banks()
            .await?
            .into_iter()
            .find(|b| b.code == code)
            .map(ReferenceRecord::Bank),
        ReferenceKind::Branch => crate::reference::branch(ctx, code)
            .await
            .map_err(|e| match e {
                crate::reference::ReferenceError::Store(s) => ChangeError::Store(s),
                _ => ChangeError::Unknown,
            })?
            .map(ReferenceRecord::Branch),
        ReferenceKind::Outlet => ctx
            .store
            .outlets(None)
            .await?
            .into_iter()
            .find(|o| o.code == code)
            .map(ReferenceRecord::Outlet),
    };
    let Some(record) = record else {
        return Ok(None);
    };
    let changes = ctx.store.reference_changes(kind, code, 50).await?;
    Ok(Some(RecordWithHistory { record, changes }))
}

/// The records of `kind` whose code, name or address holds `q` (all of them for an empty `q`), at most `limit`.
pub async fn search(
    ctx: &AppContext,
    kind: ReferenceKind,
    q: &str,
    limit: usize,
) -> Result<Vec<ReferenceRecord>, StoreError> {
    let q = q.trim().to_lowercase();
    let hit = |fields: &[&str]| q.is_empty() || fields.iter().any(|f| f.to_lowercase().contains(&q));
    let all: Vec<ReferenceRecord> = match kind {
        ReferenceKind::Bank => ctx
            .store
            .banks()
            .await?
            .into_iter()
            .filter(|b| hit(&[&b.code, &b.short, &b.name_zh, &b.name_en]))
            .map(ReferenceRecord::Bank)
            .collect(),
        ReferenceKind::Branch => ctx
            .store
            .branches(&crate::ports::BranchFilter::default())
            .await?
            .into_iter()
            .filter(|b| hit(&[&b.code, &b.name, &b.address, &b.district]))
            .map(ReferenceRecord::Branch)
            .collect(),
        ReferenceKind::Outlet => ctx
            .store
            .outlets(None)
            .await?
            .into_iter()
            .filter(|o| hit(&[&o.code, &o.name, &o.address, &o.district]))
            .map(ReferenceRecord::Outlet)
            .collect(),
    };
    Ok(all.into_iter().take(limit).collect())
}

/// Whether a bank takes replacements of damaged cards online (SPEC §7.2), as a kept change of the bank.
pub async fn set_online_replacement(
    ctx: &AppContext,
    p: &Principal,
    code: &str,
    supported: bool,
    meta: &Meta,
) -> Result<(), ChangeError> {
    let Some(mut bank) = ctx.store.banks().await?.into_iter().find(|b| b.code == code) else {
        return Err(ChangeError::Unknown);
    };
    bank.supports_online_replacement = supported;
    change(ctx, p, ReferenceRecord::Bank(bank), meta).await.map(|_| ())
}
