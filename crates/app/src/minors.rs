//! Applying for a child (SPEC §5.3): the guardian finds the child in the household register, confirms the
//! relationship shown, and then fills in the child's draft, which from there on follows the common flow
//! (form, documents, submission, states) in [`crate::applications`]. Also "my children".

use chrono::NaiveDate;
use sscard_domain::account::Principal;
use sscard_domain::application::{Application, ConsentKind, Route};
use sscard_domain::eligibility::Ineligible;
use sscard_domain::minor::{cartoon_allowed, is_minor, minor_route, ChildIdType, MinorDetails};
use sscard_domain::registry::{Guardianship, InsuredPerson};
use sscard_domain::security;
use sscard_domain::values::{IdNumber, PersonName};

use crate::applications::{create_draft, facts_for, may_apply, prefilled};
use crate::auth::{take_quota, Meta};
use crate::records::{consent, fe, ApplyError, FieldError};
use crate::AppContext;

/// The child as the guardian typed them.
#[derive(Debug, Clone, Default)]
pub struct ChildIn {
    pub name: String,
    pub id_number: String,
    /// `resident_id` or `household_booklet`.
    pub id_type: String,
}

/// A child found in the register with the caller as a listed guardian, and eligible for the minor route.
#[derive(Debug, Clone)]
pub struct ChildMatch {
    pub child: InsuredPerson,
    pub link: Guardianship,
    pub id_type: ChildIdType,
    pub cartoon_allowed: bool,
}

fn parse_child(c: &ChildIn, today: NaiveDate) -> Result<(PersonName, IdNumber, ChildIdType), ApplyError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let name = PersonName::parse(&c.name).map_err(|_| errors.push(fe("child_name", "name_invalid")));
    let id = IdNumber::parse(&c.id_number, today).map_err(|_| errors.push(fe("child_id_number", "id_number_invalid")));
    let id_type = ChildIdType::parse(&c.id_type).ok_or_else(|| errors.push(fe("child_id_type", "invalid_choice")));
    match (name, id, id_type) {
        (Ok(n), Ok(i), Ok(t)) => Ok((n, i, t)),
        _ => Err(ApplyError::Invalid(errors)),
    }
}

/// Finds the child (SPEC §5.3: "您与被代办人的关系是XX，请确认") after the access-authorisation consent, within
/// the eligibility quota; refuses with the reason and the route to use instead.
pub async fn find_child(
    ctx: &AppContext,
    p: &Principal,
    child: &ChildIn,
    access_authorisation: bool,
    meta: &Meta,
) -> Result<ChildMatch, ApplyError> {
    let _ = meta;
    let me = may_apply(p)?;
    let today = ctx.clock.now().date_naive();
    let (name, child_id, id_type) = parse_child(child, today)?;
    if !access_authorisation {
        return Err(ApplyError::ConsentRequired(ConsentKind::AccessAuthorisation));
    }
    take_quota(ctx, &security::ELIGIBILITY_PER_ACCOUNT, &p.account.id).await?;
    consent(ctx, p, &me, ConsentKind::AccessAuthorisation, None).await?;
    let link = ctx
        .store
        .guardianships_of_guardian(&me)
        .await?
        .into_iter()
        .find(|g| g.child == child_id);
    // Nothing about the child is read unless the caller is a listed guardian.
    let person = match &link {
        Some(_) => ctx.store.person(&child_id).await?,
        None => None,
    };
    let facts = facts_for(ctx, person.as_ref()).await?;
    minor_route(&child_id, &name, person.as_ref(), link.as_ref(), today, &facts).map_err(ApplyError::Ineligible)?;
    match (person, link) {
        (Some(child), Some(link)) => Ok(ChildMatch {
            cartoon_allowed: cartoon_allowed(&child.id_number, today),
            child,
            link,
            id_type,
        }),
        // `minor_route` refused both cases above.
        _ => Err(ApplyError::Ineligible(Ineligible::NotGuardian)),
    }
}

/// Starts a child's application: the disclaimer, the child found, and the relationship the guardian confirms
/// by sending back the code they were shown (anything else is refused, naming the register's relationship).
pub async fn start(
    ctx: &AppContext,
    p: &Principal,
    disclaimer: bool,
    access_authorisation: bool,
    child: &ChildIn,
    confirmed_relationship: Option<&str>,
    meta: &Meta,
) -> Result<Application, ApplyError> {
    let me = may_apply(p)?;
    if !disclaimer {
        return Err(ApplyError::ConsentRequired(ConsentKind::Disclaimer));
    }
    let found = find_child(ctx, p, child, access_authorisation, meta).await?;
    if confirmed_relationship != Some(found.link.relationship.as_str()) {
        return Err(ApplyError::RelationshipUnconfirmed(found.link.relationship));
    }
    consent(ctx, p, &me, ConsentKind::Disclaimer, None).await?;
    let booklet = found.id_type == ChildIdType::HouseholdBooklet;
    let details = MinorDetails {
        guardian: me,
        relationship: found.link.relationship.clone(),
        id_type: found.id_type,
        id_valid_from: Some(found.child.id_valid_from),
        id_valid_until: found.child.id_valid_until,
        // Prefilled from the register; the guardian's answers decide the documents.
        guardian_is_householder: booklet.then_some(found.link.guardian_is_householder),
        same_booklet: booklet.then_some(found.link.same_booklet),
        cartoon_photo: false,
    };
    let form = prefilled(Route::Minor, &found.child, p.channel);
    create_draft(
        ctx,
        p,
        found.child.id_number.clone(),
        Route::Minor,
        form,
        Some(details),
        None,
    )
    .await
}

/// The child's ID answers as typed (SPEC §5.3). Absent fields keep their value.
#[derive(Debug, Clone, Default)]
pub struct MinorPatch {
    /// `resident_id` or `household_booklet`.
    pub id_type: Option<String>,
    /// `YYYY-MM-DD`.
    pub id_valid_from: Option<String>,
    /// `YYYY-MM-DD`.
    pub id_valid_until: Option<String>,
    pub guardian_is_householder: Option<bool>,
    pub same_booklet: Option<bool>,
    /// The system's default cartoon card photo (a child under 7 only).
    pub cartoon_photo: Option<bool>,
}

fn date(field: &str, v: &str, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let d = NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok();
    if d.is_none() {
        errors.push(fe(field, "date_invalid"));
    }
    d
}

/// Saves the child's answers. Every answer given is checked; if any fails, nothing is saved. Documents the
/// new answers no longer ask for are dropped with the change.
pub async fn update(ctx: &AppContext, p: &Principal, id: &str, patch: &MinorPatch) -> Result<Application, ApplyError> {
    let mut a = crate::applications::to_act_on(ctx, p, id).await?;
    if !a.state.is_editable() {
        return Err(ApplyError::NotDraft(a.state));
    }
    let Some(mut m) = a.minor.clone() else {
        return Err(ApplyError::NotFound);
    };
    let today = ctx.clock.now().date_naive();
    let mut errors = Vec::new();
    if let Some(t) = &patch.id_type {
        match ChildIdType::parse(t) {
            Some(t) => m.id_type = t,
            None => errors.push(fe("id_type", "invalid_choice")),
        }
    }
    if let Some(v) = &patch.id_valid_from {
        m.id_valid_from = date("id_valid_from", v, &mut errors);
        if m.id_valid_from.is_some_and(|d| d > today) {
            errors.push(fe("id_valid_from", "date_in_future"));
        }
    }
    if let Some(v) = &patch.id_valid_until {
        m.id_valid_until = date("id_valid_until", v, &mut errors);
    }
    if let (Some(from), Some(until)) = (m.id_valid_from, m.id_valid_until) {
        if until <= from && !errors.iter().any(|e| e.field.starts_with("id_valid")) {
            errors.push(fe("id_valid_until", "until_before_from"));
        }
    }
    if patch.guardian_is_householder.is_some() {
        m.guardian_is_householder = patch.guardian_is_householder;
    }
    if patch.same_booklet.is_some() {
        m.same_booklet = patch.same_booklet;
    }
    if m.id_type == ChildIdType::ResidentId {
        m.guardian_is_householder = None;
        m.same_booklet = None;
    }
    if let Some(c) = patch.cartoon_photo {
        if c && !cartoon_allowed(&a.person, today) {
            errors.push(fe("cartoon_photo", "cartoon_not_allowed"));
        }
        m.cartoon_photo = c;
    }
    if !errors.is_empty() {
        return Err(ApplyError::Invalid(errors));
    }
    let keep = m.required_documents();
    let now = ctx.clock.now();
    if !ctx.store.save_minor(&a.id, &m, &keep, now).await? {
        return Err(ApplyError::NotDraft(a.state));
    }
    a.documents.retain(|k, _| keep.contains(k));
    a.minor = Some(m);
    a.updated_at = now;
    Ok(a)
}

/// One of the caller's wards and the applications for their card.
#[derive(Debug, Clone)]
pub struct Ward {
    pub child: Option<InsuredPerson>,
    pub link: Guardianship,
    /// Under 18 today: the guardian may still act for them.
    pub minor: bool,
    pub applications: Vec<Application>,
}

/// "My children": every child the register lists the caller as guardian of, with their applications.
/// Until the caller's real name is authenticated the register cannot know them: no wards (as "my
/// applications" is empty), not a refusal.
pub async fn children(ctx: &AppContext, p: &Principal) -> Result<Vec<Ward>, ApplyError> {
    let Ok(me) = may_apply(p) else {
        return Ok(Vec::new());
    };
    let today = ctx.clock.now().date_naive();
    let mut out = Vec::new();
    for link in ctx.store.guardianships_of_guardian(&me).await? {
        out.push(Ward {
            child: ctx.store.person(&link.child).await?,
            minor: is_minor(&link.child, today),
            applications: ctx.store.applications_about(&link.child).await?,
            link,
        });
    }
    Ok(out)
}
