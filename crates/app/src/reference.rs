//! Reference-data queries.

use sscard_domain::registry::{Bank, Branch, Outlet};

use crate::ports::{BranchFilter, StoreError};
use crate::AppContext;

#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    #[error("unknown bank code {0}")]
    UnknownBank(String),
    #[error("unknown district code {0}")]
    UnknownDistrict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub async fn banks(ctx: &AppContext) -> Result<Vec<Bank>, ReferenceError> {
    Ok(ctx.store.banks().await?)
}

/// Branches, optionally of one bank and/or in one district; unknown codes are an error, not an empty list.
pub async fn branches(ctx: &AppContext, filter: &BranchFilter) -> Result<Vec<Branch>, ReferenceError> {
    if let Some(bank) = &filter.bank {
        if ctx.codes.bank(bank).is_none() {
            return Err(ReferenceError::UnknownBank(bank.clone()));
        }
    }
    if let Some(d) = &filter.district {
        if ctx.codes.district(d).is_none() {
            return Err(ReferenceError::UnknownDistrict(d.clone()));
        }
    }
    Ok(ctx.store.branches(filter).await?)
}

/// One branch by its code, or `None` for a code that names none. Read from its bank's list (a few dozen rows):
/// a branch code begins with its bank's.
pub async fn branch(ctx: &AppContext, code: &str) -> Result<Option<Branch>, ReferenceError> {
    let Some(bank) = code.split('-').next().filter(|b| ctx.codes.bank(b).is_some()) else {
        return Ok(None);
    };
    let filter = BranchFilter {
        bank: Some(bank.to_string()),
        ..BranchFilter::default()
    };
    Ok(ctx.store.branches(&filter).await?.into_iter().find(|b| b.code == code))
}

pub async fn outlets(ctx: &AppContext, district: Option<&str>) -> Result<Vec<Outlet>, ReferenceError> {
    if let Some(d) = district {
        if ctx.codes.district(d).is_none() {
            return Err(ReferenceError::UnknownDistrict(d.to_string()));
        }
    }
    Ok(ctx.store.outlets(district).await?)
}

/// The bank table as the code tables define it, for `ensure_banks` at start-up.
pub fn banks_from_codes(codes: &sscard_domain::codes::CodeTables) -> Vec<Bank> {
    codes
        .banks
        .iter()
        .map(|b| Bank {
            code: b.code.clone(),
            short: b.short.clone(),
            name_zh: b.name_zh.clone(),
            name_en: b.name_en.clone(),
            supports_online_replacement: false,
        })
        .collect()
}

/// Sets whether a bank takes replacements of damaged cards online (SPEC §7.2); `false` for an unknown bank.
pub async fn set_online_replacement(
    ctx: &crate::AppContext,
    bank: &str,
    supported: bool,
) -> Result<bool, crate::ports::StoreError> {
    ctx.store.set_bank_online_replacement(bank, supported).await
}
