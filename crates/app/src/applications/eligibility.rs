//! Who may apply, on which route: the eligibility check and the facts it reads (SPEC §5.1).

use sscard_domain::account::{ApplyRefusal, Principal};
use sscard_domain::application::{ConsentKind, Route};
use sscard_domain::eligibility::{own_route, Facts, Ineligible};
use sscard_domain::registry::{InsuredPerson, Membership};
use sscard_domain::security;
use sscard_domain::values::IdNumber;

use crate::auth::{take_quota, Meta};
use crate::ports::StoreError;
use crate::AppContext;

use crate::records::*;

/// The checked result of the eligibility check: the route, and the registry record the form starts from.
#[derive(Debug, Clone)]
pub struct Eligible {
    pub route: Route,
    pub person: InsuredPerson,
}

pub(crate) fn may_apply(p: &Principal) -> Result<IdNumber, ApplyError> {
    p.account.may_apply().map_err(ApplyError::MayNotApply)?;
    p.account
        .id_number
        .clone()
        .ok_or(ApplyError::MayNotApply(ApplyRefusal::RealNameRequired))
}

/// The setting that holds a category's opening date (`YYYY-MM-DD`); unset means open (normal issuance
/// since 2026-01-04).
pub fn opening_setting(category: &str) -> String {
    format!("opening:{category}")
}

/// What the eligibility check needs besides the registry record of `person` (none for a missing person):
/// the category's opening date, an open application, a live card.
pub(crate) async fn facts_for(ctx: &AppContext, person: Option<&InsuredPerson>) -> Result<Facts, StoreError> {
    let mut facts = Facts::default();
    if let Some(person) = person {
        let id = &person.id_number;
        facts.opens_on = ctx
            .store
            .setting(&opening_setting(person.membership.category()))
            .await?
            .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
        facts.open_application = ctx.store.open_application_of(id).await?.map(|a| a.reference);
        facts.has_live_card = ctx.store.has_collected_card(id).await?;
        if let Membership::Employee { employer } = &person.membership {
            facts.employer_open = ctx.store.collective_settings(employer).await?.is_some_and(|s| s.open);
        }
    }
    Ok(facts)
}

/// SPEC §5.1: after the access-authorisation consent, within the hourly quota.
pub async fn check_eligibility(
    ctx: &AppContext,
    p: &Principal,
    access_authorisation: bool,
    meta: &Meta,
) -> Result<Eligible, ApplyError> {
    let _ = meta;
    let id = may_apply(p)?;
    if !access_authorisation {
        return Err(ApplyError::ConsentRequired(ConsentKind::AccessAuthorisation));
    }
    take_quota(ctx, &security::ELIGIBILITY_PER_ACCOUNT, &p.account.id).await?;
    consent(ctx, p, &id, ConsentKind::AccessAuthorisation, None).await?;
    let person = ctx.store.person(&id).await?;
    let today = ctx.clock.now().date_naive();
    let facts = facts_for(ctx, person.as_ref()).await?;
    let route = own_route(person.as_ref(), today, &facts).map_err(ApplyError::Ineligible)?;
    Ok(Eligible {
        route,
        // `own_route` refused a missing person above.
        person: person.ok_or(ApplyError::Ineligible(Ineligible::NotInRegistry))?,
    })
}

/// Sets (or, with `None`, clears) the date a registry category opens for applications (the admin's).
pub async fn set_opening(
    ctx: &AppContext,
    category: &str,
    opens_on: Option<chrono::NaiveDate>,
    by: &str,
) -> Result<(), OpeningError> {
    if !CATEGORIES.contains(&category) {
        return Err(OpeningError::UnknownCategory);
    }
    let value = opens_on.map(|d| d.to_string()).unwrap_or_default();
    ctx.store
        .change_setting(&opening_setting(category), &value, by, ctx.clock.now())
        .await?;
    Ok(())
}

/// The registry categories that open for applications on a date of their own (SPEC §1, §10).
pub const CATEGORIES: [&str; 4] = ["individual", "retiree", "employee", "resident_minor"];

#[derive(Debug, thiserror::Error)]
pub enum OpeningError {
    #[error("no such category")]
    UnknownCategory,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A category's opening as the console shows it: its date (none: open), whether it is open today, and every
/// change made to it, newest first.
#[derive(Debug, Clone)]
pub struct Opening {
    pub category: &'static str,
    pub opens_on: Option<chrono::NaiveDate>,
    pub open_today: bool,
    pub changes: Vec<crate::ports::SettingChange>,
}

/// Every category's opening, read from the database on each call: a change made on one instance is in force
/// on all of them at once.
pub async fn openings(ctx: &AppContext) -> Result<Vec<Opening>, StoreError> {
    let today = ctx.clock.today();
    let mut out = Vec::new();
    for category in CATEGORIES {
        let key = opening_setting(category);
        let opens_on = ctx
            .store
            .setting(&key)
            .await?
            .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
        let changes = ctx
            .store
            .setting_changes(&key, 50)
            .await?
            .into_iter()
            .filter(|c| c.key == key)
            .collect();
        out.push(Opening {
            category,
            open_today: opens_on.is_none_or(|d| d <= today),
            opens_on,
            changes,
        });
    }
    Ok(out)
}
