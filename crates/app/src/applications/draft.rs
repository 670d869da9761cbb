//! The draft: started (or resumed) from the registry's record, read by those who may, listed as "my applications".

use std::collections::BTreeMap;

use sscard_domain::access::Channel;
use sscard_domain::account::Principal;
use sscard_domain::application::{
    Application, ApplicationEvent, ApplicationEventRecord, ApplicationForm, ApplicationState, ConsentKind, Route,
};

use sscard_domain::codes::CodeTables;
use sscard_domain::eligibility::Ineligible;
use sscard_domain::policy::collection_methods;
use sscard_domain::registry::{InsuredPerson, Membership};
use sscard_domain::values::IdNumber;

use crate::auth::Meta;
use crate::ports::StoreError;
use crate::secrets::new_id;
use crate::AppContext;

use super::*;
use crate::records::*;

/// A reference a person can read out on the phone: date and eight characters.
pub(crate) fn new_reference(ctx: &AppContext) -> String {
    let token = ctx.secrets.token().to_ascii_uppercase();
    let tail: String = token.chars().filter(|c| c.is_ascii_alphanumeric()).take(8).collect();
    format!("BJ{}{tail}", ctx.clock.now().format("%Y%m%d"))
}

/// The form as the registry fills it in (SPEC §5.2): editable fields prefilled, a retiree's bank locked.
pub(crate) fn prefilled(route: Route, person: &InsuredPerson, channel: Channel) -> ApplicationForm {
    let mut form = ApplicationForm {
        ethnicity: person.ethnicity.clone(),
        occupation: person.occupation.clone(),
        residence_district: person.residence_district.clone(),
        residence_address: Some(person.address.clone()).filter(|a| !a.trim().is_empty()),
        mobile: person.mobile.clone(),
        ..ApplicationForm::default()
    };
    if route == Route::Retiree {
        form.occupation = Some(CodeTables::RETIRED_OCCUPATION.to_string());
        if let Membership::Retiree {
            pension_bank,
            pension_branch,
        } = &person.membership
        {
            form.bank = Some(pension_bank.clone());
            form.branch = Some(pension_branch.clone());
        }
    }
    if let [only] = collection_methods(route, channel) {
        form.collection = Some(*only);
    }
    form
}

/// Starts (or resumes) the application: the disclaimer, then the eligibility check, then a draft. When the
/// person already has an open application, `Err(Ineligible(ApplicationInProgress))` names it.
pub async fn start(
    ctx: &AppContext,
    p: &Principal,
    disclaimer: bool,
    access_authorisation: bool,
    meta: &Meta,
) -> Result<Application, ApplyError> {
    let id = may_apply(p)?;
    if !disclaimer {
        return Err(ApplyError::ConsentRequired(ConsentKind::Disclaimer));
    }
    let eligible = check_eligibility(ctx, p, access_authorisation, meta).await?;
    consent(ctx, p, &id, ConsentKind::Disclaimer, None).await?;
    let mut form = prefilled(eligible.route, &eligible.person, p.channel);
    let mut employer = None;
    if let Membership::Employee { employer: uscc } = &eligible.person.membership {
        // The entity's settings narrow the choices (SPEC §6.2): its collection rule, its one branch.
        let settings = crate::employer_settings::open_settings(ctx, uscc).await?;
        form = crate::employer_settings::prefill(form, &settings, p.channel);
        employer = Some(uscc.clone());
    }
    create_draft(ctx, p, id, eligible.route, form, None, employer).await
}

/// Creates the draft with its `start` event. When the person already has an open application (another
/// channel started one a moment ago: the database's unique index decides), it is named instead.
pub(crate) async fn create_draft(
    ctx: &AppContext,
    p: &Principal,
    person: IdNumber,
    route: Route,
    form: ApplicationForm,
    minor: Option<sscard_domain::minor::MinorDetails>,
    employer: Option<sscard_domain::values::Uscc>,
) -> Result<Application, ApplyError> {
    let now = ctx.clock.now();
    let application = Application {
        id: new_id(),
        reference: new_reference(ctx),
        person,
        applicant: p.account.id.clone(),
        route,
        channel: p.channel,
        state: ApplicationState::Draft,
        form,
        documents: BTreeMap::new(),
        created_at: now,
        updated_at: now,
        submitted_at: None,
        due_on: None,
        minor,
        employer,
    };
    let start = event_by(p, now, ApplicationEvent::Start, None, ApplicationState::Draft, None);
    match ctx.store.create_application(&application, &start).await? {
        Ok(()) => Ok(application),
        Err(existing) => {
            let reference = ctx
                .store
                .application(&existing)
                .await?
                .map(|a| a.reference)
                .unwrap_or_default();
            Err(ApplyError::Ineligible(Ineligible::ApplicationInProgress { reference }))
        }
    }
}

/// The caller's own application (they made it), or "not found" (also for someone else's).
pub async fn mine(ctx: &AppContext, p: &Principal, id: &str) -> Result<Application, ApplyError> {
    match ctx.store.application(id).await? {
        Some(a) if a.applicant == p.account.id => Ok(a),
        _ => Err(ApplyError::NotFound),
    }
}

/// The caller's own application, to change it: for a child's, only while the child is under 18 on the day
/// (SPEC §5.3: at 18 the guardian can start no new business for them).
pub(crate) async fn to_act_on(ctx: &AppContext, p: &Principal, id: &str) -> Result<Application, ApplyError> {
    let a = mine(ctx, p, id).await?;
    if a.route == Route::Minor && !sscard_domain::minor::is_minor(&a.person, ctx.clock.now().date_naive()) {
        return Err(ApplyError::Ineligible(Ineligible::ComeOfAge));
    }
    Ok(a)
}

/// An application the caller may read: one they made, one whose card is theirs (after real-name
/// authentication, e.g. a young adult whose guardian applied), or one for a child they are a listed guardian
/// of. Anything else is "not found", like a missing one.
pub async fn readable(ctx: &AppContext, p: &Principal, id: &str) -> Result<Application, ApplyError> {
    let Some(a) = ctx.store.application(id).await? else {
        return Err(ApplyError::NotFound);
    };
    if a.applicant == p.account.id {
        return Ok(a);
    }
    let Some(me) = p.account.id_number.as_ref().filter(|_| p.account.may_apply().is_ok()) else {
        return Err(ApplyError::NotFound);
    };
    if &a.person == me {
        return Ok(a);
    }
    if a.route == Route::Minor
        && ctx
            .store
            .guardianships_of_guardian(me)
            .await?
            .iter()
            .any(|g| g.child == a.person)
    {
        return Ok(a);
    }
    Err(ApplyError::NotFound)
}

/// 我的办事: what the caller applied for, and (after real-name authentication) what others applied for on
/// their behalf, newest first.
pub async fn list_mine(ctx: &AppContext, p: &Principal) -> Result<Vec<Application>, ApplyError> {
    let mut out = ctx.store.applications_of(&p.account.id).await?;
    if let Some(me) = p.account.id_number.as_ref().filter(|_| p.account.may_apply().is_ok()) {
        for a in ctx.store.applications_about(me).await? {
            if !out.iter().any(|o| o.id == a.id) {
                out.push(a);
            }
        }
        out.sort_by(|x, y| y.created_at.cmp(&x.created_at).then_with(|| x.id.cmp(&y.id)));
    }
    Ok(out)
}

pub async fn history(ctx: &AppContext, p: &Principal, id: &str) -> Result<Vec<ApplicationEventRecord>, ApplyError> {
    let a = readable(ctx, p, id).await?;
    Ok(ctx.store.events(&a.id).await?)
}

/// The caller's own open application, if any (to resume it, wherever it was started).
pub async fn my_open_application(ctx: &AppContext, p: &Principal) -> Result<Option<Application>, StoreError> {
    match &p.account.id_number {
        Some(id) => ctx.store.open_application_of(id).await,
        None => Ok(None),
    }
}

/// The registry's record of the person an application is for (the fields the form shows, not edits).
pub async fn registry_record(ctx: &AppContext, a: &Application) -> Result<Option<InsuredPerson>, StoreError> {
    ctx.store.person(&a.person).await
}
