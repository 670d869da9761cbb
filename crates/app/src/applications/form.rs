//! The form: a patch checked whole (every field, the bank rule, collection methods, branches) before anything
//! is saved (SPEC §5.2–5.3).

use sscard_domain::account::Principal;
use sscard_domain::application::{Application, ApplicationForm, MailDetails, Route};
use sscard_domain::codes::Table;
use sscard_domain::policy::{bank_rule, collection_methods, BankRule, CollectionMethod};
use sscard_domain::values::{BeijingPostalCode, Mobile, PersonName};

use crate::ports::BranchFilter;
use crate::AppContext;

use super::*;
use crate::records::*;

/// A text field of a patch as given, without surrounding spaces.
fn trimmed(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).map(str::to_string)
}

/// Mail details as typed.
#[derive(Debug, Clone, Default)]
pub struct MailPatch {
    pub recipient: Option<String>,
    pub mobile: Option<String>,
    pub district: Option<String>,
    pub postal_code: Option<String>,
    pub address: Option<String>,
}

/// The fields a request changes; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct FormPatch {
    pub ethnicity: Option<String>,
    pub occupation: Option<String>,
    pub residence_district: Option<String>,
    pub residence_address: Option<String>,
    pub mobile: Option<String>,
    pub bank: Option<String>,
    pub branch: Option<String>,
    /// `branch_pickup`, `bank_mail`, …: one the route allows on this channel.
    pub collection: Option<String>,
    pub mail: Option<MailPatch>,
}

const ADDRESS_MAX: usize = 100;

/// An address typed into the form: free text (NFC, trimmed, no control characters or direction marks), named
/// by its own code when refused.
fn text(field: &str, value: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    use sscard_domain::values::{ErrorCode, FreeText};
    match FreeText::parse(value, ADDRESS_MAX) {
        Ok(t) => Some(t.into_string()),
        Err(e) => {
            errors.push(fe(field, e.code()));
            None
        }
    }
}

/// Applies a patch to a draft's form, checking every field; nothing is saved unless all pass.
pub async fn update(ctx: &AppContext, p: &Principal, id: &str, patch: &FormPatch) -> Result<Application, ApplyError> {
    let mut a = to_act_on(ctx, p, id).await?;
    let form = checked_form(ctx, p, &a, patch).await?;
    let now = ctx.clock.now();
    if !ctx.store.save_form(&a.id, &form, now).await? {
        let state = ctx.store.application(&a.id).await?.map(|x| x.state).unwrap_or(a.state);
        return Err(ApplyError::NotDraft(state));
    }
    a.form = form;
    a.updated_at = now;
    Ok(a)
}

/// Checks a patch as [`update`] would, and saves nothing: a page that found some answers missing still names
/// what is wrong with the others, in the same pass.
pub async fn check_patch(ctx: &AppContext, p: &Principal, id: &str, patch: &FormPatch) -> Result<(), ApplyError> {
    let a = to_act_on(ctx, p, id).await?;
    checked_form(ctx, p, &a, patch).await.map(|_| ())
}

/// The draft's form with the patch applied, every field checked.
async fn checked_form(
    ctx: &AppContext,
    p: &Principal,
    a: &Application,
    patch: &FormPatch,
) -> Result<ApplicationForm, ApplyError> {
    if !a.state.is_editable() {
        return Err(ApplyError::NotDraft(a.state));
    }
    let codes = &ctx.codes;
    let mut errors = Vec::new();
    let mut form = a.form.clone();
    let code = |field: &str, table: Table, value: &str, errors: &mut Vec<FieldError>| {
        if codes.contains(table, value.trim()) {
            Some(value.trim().to_string())
        } else {
            errors.push(fe(field, "invalid_choice"));
            None
        }
    };
    if let Some(v) = &patch.ethnicity {
        form.ethnicity = code("ethnicity", Table::EthnicGroup, v, &mut errors).or(form.ethnicity);
    }
    if let Some(v) = &patch.occupation {
        form.occupation = code("occupation", Table::Occupation, v, &mut errors).or(form.occupation);
    }
    if let Some(v) = &patch.residence_district {
        form.residence_district =
            code("residence_district", Table::District, v, &mut errors).or(form.residence_district);
    }
    if let Some(v) = &patch.residence_address {
        form.residence_address = text("residence_address", v, &mut errors).or(form.residence_address);
    }
    if let Some(v) = &patch.mobile {
        match Mobile::parse(v) {
            Ok(m) => form.mobile = Some(m),
            Err(_) => errors.push(fe("mobile", "mobile_invalid")),
        }
    }
    // Bank and branch: a retiree's are locked to the pension bank; otherwise a cooperative bank and one of its
    // branches.
    if patch.bank.is_some() || patch.branch.is_some() {
        match bank_rule(a.route) {
            BankRule::PensionBank => {
                let changes = patch
                    .bank
                    .as_ref()
                    .is_some_and(|b| Some(b.trim()) != form.bank.as_deref())
                    || patch
                        .branch
                        .as_ref()
                        .is_some_and(|b| Some(b.trim()) != form.branch.as_deref());
                if changes {
                    errors.push(fe("bank", "bank_locked"));
                }
            }
            BankRule::EmployerAllowed => {
                let settings = crate::employer_settings::settings_of(ctx, a).await?;
                let bank = trimmed(&patch.bank).or(form.bank.clone());
                let branch = trimmed(&patch.branch);
                // Changing the bank drops a branch of the old one.
                let branch = branch.or_else(|| form.branch.clone().filter(|_| patch.bank.is_none()));
                match (bank, branch) {
                    (Some(b), Some(br)) if settings.allows_branch(&b, &br) => {
                        form.bank = Some(b);
                        form.branch = Some(br);
                    }
                    (Some(b), None) if settings.branches.iter().any(|x| x.bank == b) => {
                        form.bank = Some(b);
                        form.branch = None;
                    }
                    (Some(_), Some(_)) => errors.push(fe("branch", "branch_not_allowed")),
                    (Some(_), None) => errors.push(fe("bank", "bank_not_allowed")),
                    (None, _) => errors.push(fe("bank", "required")),
                }
            }
            BankRule::Any => {
                let bank = trimmed(&patch.bank).or(form.bank.clone());
                let branch = trimmed(&patch.branch);
                match bank {
                    Some(b) if codes.bank(&b).is_some() => {
                        let branches = ctx
                            .store
                            .branches(&BranchFilter {
                                bank: Some(b.clone()),
                                ..BranchFilter::default()
                            })
                            .await?;
                        // Changing the bank drops a branch of the old one.
                        let branch = branch.or_else(|| form.branch.clone().filter(|_| patch.bank.is_none()));
                        match branch {
                            Some(br) if branches.iter().any(|x| x.code == br) => {
                                form.bank = Some(b);
                                form.branch = Some(br);
                            }
                            Some(_) => errors.push(fe("branch", "branch_not_of_bank")),
                            None => {
                                form.bank = Some(b);
                                form.branch = None;
                            }
                        }
                    }
                    Some(_) => errors.push(fe("bank", "invalid_choice")),
                    None => errors.push(fe("bank", "required")),
                }
            }
        }
    }
    if let Some(v) = &patch.collection {
        let allowed = match a.route {
            Route::Collective => crate::employer_settings::settings_of(ctx, a)
                .await?
                .collection_methods(p.channel),
            route => collection_methods(route, p.channel).to_vec(),
        };
        match CollectionMethod::parse(v.trim()) {
            Some(m) if allowed.contains(&m) => {
                form.collection = Some(m);
                if !m.needs_mail_details() {
                    form.mail = None;
                }
            }
            _ => errors.push(fe("collection", "collection_not_allowed")),
        }
    }
    // SPEC §4.3: a card is handed out only at a branch that accepts pickup. Judged on the form as it would be
    // saved, whichever of bank, branch or method this change touched; named on the field the change set.
    if patch.bank.is_some() || patch.branch.is_some() || patch.collection.is_some() {
        if let (Some(method), Some(bank), Some(branch)) = (form.collection, &form.bank, &form.branch) {
            if method.collected_at_branch() && !branch_accepts_pickup(ctx, bank, branch).await? {
                let field = if patch.branch.is_some() || patch.bank.is_some() {
                    "branch"
                } else {
                    "collection"
                };
                errors.push(fe(field, "branch_no_pickup"));
            }
        }
    }
    if let Some(m) = &patch.mail {
        let recipient = PersonName::parse(m.recipient.as_deref().unwrap_or(""));
        let mobile = Mobile::parse(m.mobile.as_deref().unwrap_or(""));
        let district = m
            .district
            .as_deref()
            .map(str::trim)
            .filter(|d| codes.district(d).is_some());
        let postal = BeijingPostalCode::parse(m.postal_code.as_deref().unwrap_or(""));
        let address = text("mail.address", m.address.as_deref().unwrap_or(""), &mut errors);
        if recipient.is_err() {
            errors.push(fe("mail.recipient", "name_invalid"));
        }
        if mobile.is_err() {
            errors.push(fe("mail.mobile", "mobile_invalid"));
        }
        if district.is_none() {
            errors.push(fe("mail.district", "invalid_choice"));
        }
        if postal.is_err() {
            errors.push(fe("mail.postal_code", "postal_code_invalid"));
        }
        if let (Ok(recipient), Ok(mobile), Some(district), Ok(postal_code), Some(address)) =
            (recipient, mobile, district, postal, address)
        {
            form.mail = Some(MailDetails {
                recipient,
                mobile,
                district: district.to_string(),
                postal_code,
                address,
            });
        }
    }
    if !errors.is_empty() {
        return Err(ApplyError::Invalid(errors));
    }
    Ok(form)
}

async fn branch_accepts_pickup(ctx: &AppContext, bank: &str, branch: &str) -> Result<bool, ApplyError> {
    let branches = ctx
        .store
        .branches(&BranchFilter {
            bank: Some(bank.to_string()),
            accepts_pickup: Some(true),
            ..BranchFilter::default()
        })
        .await?;
    Ok(branches.iter().any(|b| b.code == branch))
}
