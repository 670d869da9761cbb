//! Reading a person's registry record, within the reader's reach (SPEC §9), and the resident's view of who
//! read their data (PIPL's right to know).
//!
//! Reach: a resident reads their own record; a handler their entity's employees; a bank clerk the retirees
//! whose pension their bank pays (their bank's applications and cards join in later issues); outlet clerks,
//! hotline agents and the admin anyone, with a stated purpose. A record outside one's reach is "not found",
//! exactly like a missing one. Every read of someone else's record is audited.

use sscard_domain::account::{AccountKind, Principal};
use sscard_domain::audit::{is_read_purpose, AuditAction, AuditEntry, Outcome};
use sscard_domain::registry::{InsuredPerson, Membership};
use sscard_domain::values::IdNumber;

use crate::auth::{principal_entry, Meta};
use crate::ports::StoreError;
use crate::AppContext;

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("not found")]
    NotFound,
    #[error("a purpose from the list is required to read someone else's data")]
    PurposeRequired,
    #[error("not allowed for this role")]
    Forbidden,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn within_reach(p: &Principal, person: &InsuredPerson) -> bool {
    match &p.account.kind {
        AccountKind::Resident => p.account.id_number.as_ref() == Some(&person.id_number),
        AccountKind::EntityHandler { entity } => {
            matches!(&person.membership, Membership::Employee { employer } if employer == entity)
        }
        AccountKind::BankClerk { bank, .. } => {
            matches!(&person.membership, Membership::Retiree { pension_bank, .. } if pension_bank == bank)
        }
        AccountKind::OutletClerk { .. } | AccountKind::HotlineAgent | AccountKind::Admin => true,
        AccountKind::BankSystem { .. } => false,
    }
}

pub async fn read_person(
    ctx: &AppContext,
    p: &Principal,
    id_number: &str,
    purpose: Option<&str>,
    meta: &Meta,
) -> Result<InsuredPerson, AccessError> {
    if matches!(p.account.kind, AccountKind::BankSystem { .. }) {
        return Err(AccessError::Forbidden);
    }
    let Ok(id) = IdNumber::parse(id_number, ctx.clock.now().date_naive()) else {
        return Err(AccessError::NotFound);
    };
    let own = p.account.id_number.as_ref() == Some(&id);
    if !own && !purpose.is_some_and(is_read_purpose) {
        return Err(AccessError::PurposeRequired);
    }
    let found = ctx.store.person(&id).await?;
    let person = match found {
        Some(person) if within_reach(p, &person) => person,
        _ => {
            // Out of reach or missing: the same answer; the attempt is audited without naming the person.
            let mut e = principal_entry(ctx, p, AuditAction::PersonRead, Outcome::Refused, None, meta);
            e.purpose = purpose.map(str::to_string);
            ctx.store.append_audit(&e).await?;
            return Err(AccessError::NotFound);
        }
    };
    if !own {
        let mut e = principal_entry(
            ctx,
            p,
            AuditAction::PersonRead,
            Outcome::Success,
            Some(format!("person:{}", id.masked())),
            meta,
        );
        e.subject_person = Some(id.as_str().to_string());
        e.purpose = purpose.map(str::to_string);
        ctx.store.append_audit(&e).await?;
    }
    Ok(person)
}

/// One read of someone's data in a resident's access log: their own record, or a child's they are the guardian
/// of (named).
#[derive(Debug, Clone)]
pub struct AccessLine {
    /// The child's name (or masked ID number) when the record read is a ward's; `None` for the caller's own.
    pub ward: Option<String>,
    pub entry: AuditEntry,
}

/// Who read the resident's data, and the data of the children under 18 the household register lists them as
/// guardian of, newest first, at most `limit`. Empty until real-name authentication binds an ID number.
pub async fn my_access_log(ctx: &AppContext, p: &Principal, limit: u32) -> Result<Vec<AccessLine>, StoreError> {
    let Some(me) = &p.account.id_number else {
        return Ok(Vec::new());
    };
    let mut lines: Vec<AccessLine> = ctx
        .store
        .person_access_log(me.as_str(), limit)
        .await?
        .into_iter()
        .map(|entry| AccessLine { ward: None, entry })
        .collect();
    let today = ctx.clock.now().date_naive();
    for link in ctx.store.guardianships_of_guardian(me).await? {
        if !sscard_domain::minor::is_minor(&link.child, today) {
            continue;
        }
        let name = match ctx.store.person(&link.child).await? {
            Some(child) => child.name.as_str().to_string(),
            None => link.child.masked(),
        };
        for entry in ctx.store.person_access_log(link.child.as_str(), limit).await? {
            lines.push(AccessLine {
                ward: Some(name.clone()),
                entry,
            });
        }
    }
    lines.sort_by_key(|l| std::cmp::Reverse(l.entry.at));
    lines.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(lines)
}

/// The bank branch (`bank/branch`), outlet, employer or bank an access-log entry names, as a resident would
/// recognise it, with its code beside the name; a code that names nothing known stays as it is.
pub async fn organisation_label(ctx: &AppContext, code: &str, en: bool) -> Result<String, StoreError> {
    use sscard_domain::codes::Table;
    let codes = &ctx.codes;
    let named = |name: String| format!("{name} ({code})");
    if let Some((bank, branch)) = code.split_once('/') {
        let filter = crate::ports::BranchFilter {
            bank: Some(bank.to_string()),
            ..Default::default()
        };
        let found = ctx
            .store
            .branches(&filter)
            .await?
            .into_iter()
            .find(|b| b.code == branch);
        return Ok(match found {
            Some(b) => named(format!("{} {}", codes.name(Table::Bank, bank, en), b.name)),
            None => code.to_string(),
        });
    }
    if let Some(o) = ctx.store.outlets(None).await?.into_iter().find(|o| o.code == code) {
        return Ok(named(o.name));
    }
    if let Ok(uscc) = sscard_domain::values::Uscc::parse(code) {
        if let Some(e) = ctx.store.entity(&uscc).await? {
            return Ok(named(e.name));
        }
    }
    if codes.bank(code).is_some() {
        return Ok(named(codes.name(Table::Bank, code, en)));
    }
    Ok(code.to_string())
}

/// The name the registry holds for a person (empty when the registry no longer lists them).
pub async fn registry_name(ctx: &AppContext, id: &IdNumber) -> Result<String, StoreError> {
    Ok(ctx
        .store
        .person(id)
        .await?
        .map(|p| p.name.as_str().to_string())
        .unwrap_or_default())
}
