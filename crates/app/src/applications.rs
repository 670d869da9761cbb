//! Applying for one's own card (SPEC §5.1–5.6): the eligibility check, the draft and its form, the documents,
//! consents, submission, withdrawal, and "my applications".
//!
//! Every refusal leaves stored data as it was: a form patch is checked whole before anything is saved; a
//! document is judged before it is stored; state changes are conditional on the state read.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, FixedOffset};
use serde::Deserialize;
use sscard_domain::access::Channel;
use sscard_domain::account::{ApplyRefusal, Principal};
use sscard_domain::application::{
    Application, ApplicationEvent, ApplicationEventRecord, ApplicationForm, ApplicationState, Consent, ConsentKind,
    DocumentRef, MailDetails, Route,
};
use sscard_domain::codes::{CodeTables, Table};
use sscard_domain::documents::{DocumentError, DocumentKind, MAX_DOCUMENT_BYTES};
use sscard_domain::eligibility::{own_route, Facts, Ineligible};
use sscard_domain::policy::{bank_rule, collection_methods, BankRule, CollectionMethod, PRODUCTION_DAYS};
use sscard_domain::registry::{InsuredPerson, Membership};
use sscard_domain::security;
use sscard_domain::values::{BeijingPostalCode, IdNumber, Mobile, PersonName};

use crate::auth::{take_quota, AuthError, Meta};
use crate::ports::{BlobError, BranchFilter, StoreError, Submission};
use crate::secrets::new_id;
use crate::AppContext;

/// A field at fault: its name, the code of the rule, and the value found when it helps to say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
}

pub(crate) fn fe(field: &str, code: &'static str) -> FieldError {
    FieldError {
        field: field.to_string(),
        code,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("not eligible: {0}")]
    Ineligible(Ineligible),
    #[error("{0}")]
    MayNotApply(ApplyRefusal),
    #[error("the {0:?} consent is required")]
    ConsentRequired(ConsentKind),
    #[error("not found")]
    NotFound,
    #[error("the application is {0:?}, not a draft")]
    NotDraft(ApplicationState),
    #[error("invalid fields: {0:?}")]
    Invalid(Vec<FieldError>),
    #[error("missing before submission: {0:?}")]
    Incomplete(Vec<String>),
    #[error("document: {0}")]
    Document(DocumentError),
    #[error("this application does not take a {} document", .0.as_str())]
    DocumentNotRequired(DocumentKind),
    #[error("confirm the relationship {0} shown from the household register")]
    RelationshipUnconfirmed(String),
    #[error("the application was already submitted")]
    AlreadySubmitted,
    #[error("an employee confirms their data; their employer submits it")]
    SubmittedByEmployer,
    #[error("the employer's collective application is closed")]
    CollectiveClosed,
    #[error("{0}")]
    Transition(sscard_domain::application::TransitionError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Blob(#[from] BlobError),
}

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

pub(crate) async fn consent(
    ctx: &AppContext,
    p: &Principal,
    person: &IdNumber,
    kind: ConsentKind,
    application: Option<&str>,
) -> Result<(), StoreError> {
    ctx.store
        .record_consent(&consent_given(p, person, kind, application, ctx.clock.now()))
        .await
}

/// A consent the caller gives at `at`, with the version of the text they were shown (SPEC §5.5).
pub(crate) fn consent_given(
    p: &Principal,
    person: &IdNumber,
    kind: ConsentKind,
    application: Option<&str>,
    at: DateTime<FixedOffset>,
) -> Consent {
    Consent {
        account: p.account.id.clone(),
        person: person.clone(),
        application: application.map(str::to_string),
        kind,
        text_version: kind.text_version().to_string(),
        channel: p.channel,
        at,
    }
}

/// An application's event done by the caller, on their channel.
pub(crate) fn event_by(
    p: &Principal,
    at: DateTime<FixedOffset>,
    event: ApplicationEvent,
    from: Option<ApplicationState>,
    to: ApplicationState,
    note: Option<String>,
) -> ApplicationEventRecord {
    ApplicationEventRecord {
        at,
        event,
        from,
        to,
        actor: p.account.id.clone(),
        channel: p.channel,
        note,
    }
}

/// A text field of a patch as given, without surrounding spaces.
fn trimmed(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).map(str::to_string)
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

/// The text message that tells the applicant their application reached `state`, to the card-reserved
/// mobile; written in the same transaction as the change (SPEC §8). `None` when no message is due.
pub(crate) fn progress_sms(
    ctx: &AppContext,
    a: &Application,
    state: ApplicationState,
    detail: Option<&str>,
) -> Option<crate::ports::SmsMessage> {
    Some(crate::ports::SmsMessage {
        body: sscard_domain::orders::progress_message(state, &a.reference, detail)?,
        mobile: a.form.mobile.clone()?,
        id: new_id(),
        created_at: ctx.clock.now(),
        attempts: 0,
    })
}

/// A reference a person can read out on the phone: date and eight characters.
fn new_reference(ctx: &AppContext) -> String {
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
        let settings = crate::collective::open_settings(ctx, uscc).await?;
        form = crate::collective::prefill(form, &settings, p.channel);
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

/// Mail details as typed.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct MailPatch {
    pub recipient: Option<String>,
    pub mobile: Option<String>,
    pub district: Option<String>,
    pub postal_code: Option<String>,
    pub address: Option<String>,
}

/// The fields a request changes; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
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

fn text(field: &str, value: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        errors.push(fe(field, "required"));
        None
    } else if v.chars().count() > ADDRESS_MAX {
        errors.push(fe(field, "too_long"));
        None
    } else {
        Some(v.to_string())
    }
}

/// Applies a patch to a draft's form, checking every field; nothing is saved unless all pass.
pub async fn update(ctx: &AppContext, p: &Principal, id: &str, patch: &FormPatch) -> Result<Application, ApplyError> {
    let mut a = to_act_on(ctx, p, id).await?;
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
                let settings = crate::collective::settings_of(ctx, &a).await?;
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
            Route::Collective => crate::collective::settings_of(ctx, &a)
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
    let now = ctx.clock.now();
    if !ctx.store.save_form(&a.id, &form, now).await? {
        let state = ctx.store.application(&a.id).await?.map(|x| x.state).unwrap_or(a.state);
        return Err(ApplyError::NotDraft(state));
    }
    a.form = form;
    a.updated_at = now;
    Ok(a)
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

/// Judges a document's bytes and attaches it to the draft. The bytes are stored (content-addressed) only
/// when they pass.
pub async fn upload(
    ctx: &AppContext,
    p: &Principal,
    id: &str,
    kind: DocumentKind,
    bytes: Vec<u8>,
) -> Result<Application, ApplyError> {
    let mut a = to_act_on(ctx, p, id).await?;
    if !a.state.is_editable() {
        return Err(ApplyError::NotDraft(a.state));
    }
    // SPEC §5.4: a document outside the set this application needs is refused (a cartoon photo replaces the
    // card photo; the matrix decides a child's papers).
    if !a.required_documents().contains(&kind) {
        return Err(ApplyError::DocumentNotRequired(kind));
    }
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(ApplyError::Document(DocumentError::TooLarge {
            bytes: bytes.len() as u64,
            max: MAX_DOCUMENT_BYTES,
        }));
    }
    // At most one decode per core at a time: more would only trade CPU for task switching and memory.
    let permit = decode_permits()
        .acquire()
        .await
        .map_err(|e| StoreError::Database(format!("decode permits: {e}")))?;
    let (bytes, judged) = tokio::task::spawn_blocking(move || {
        let judged = crate::images::inspect(kind, &bytes);
        (bytes, judged)
    })
    .await
    .map_err(|e| StoreError::Database(format!("inspection task: {e}")))?;
    drop(permit);
    let facts = judged.map_err(ApplyError::Document)?;
    let hash = digest(&bytes);
    let doc = DocumentRef {
        hash: hash.clone(),
        media_type: facts.format.media_type().to_string(),
        bytes: facts.bytes,
    };
    ctx.blobs.put(&hash, bytes).await?;
    let now = ctx.clock.now();
    if !ctx.store.set_document(&a.id, kind, &doc, now).await? {
        return Err(ApplyError::NotDraft(ApplicationState::Submitted));
    }
    a.documents.insert(kind, doc);
    a.updated_at = now;
    Ok(a)
}

fn decode_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        tokio::sync::Semaphore::new(cores)
    })
}

fn digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A document's bytes, for whoever may read the application.
pub async fn document(
    ctx: &AppContext,
    p: &Principal,
    id: &str,
    kind: DocumentKind,
) -> Result<(DocumentRef, Vec<u8>), ApplyError> {
    let a = readable(ctx, p, id).await?;
    let doc = a.documents.get(&kind).cloned().ok_or(ApplyError::NotFound)?;
    let bytes = ctx.blobs.get(&doc.hash).await?.ok_or(ApplyError::NotFound)?;
    Ok((doc, bytes))
}

/// Submission (SPEC §5.5): the solemn commitment and a separate confirmation; complete; once. A retry with
/// the same `key` answers with the application as submitted.
pub async fn submit(
    ctx: &AppContext,
    p: &Principal,
    id: &str,
    commitment: bool,
    confirmed: bool,
    key: Option<&str>,
) -> Result<Application, ApplyError> {
    let a = to_act_on(ctx, p, id).await?;
    let person = may_apply(p)?;
    // An employee confirms; their employer submits (SPEC §6.2–6.3).
    if a.route == Route::Collective {
        return Err(ApplyError::SubmittedByEmployer);
    }
    if !a.state.is_editable() {
        return replayed(ctx, &a, key).await;
    }
    ready_to_send(&a, commitment, confirmed)?;
    let now = ctx.clock.now();
    // The day of application is the day of submission: a cartoon chosen at six is refused at seven.
    if a.minor.as_ref().is_some_and(|m| m.cartoon_photo)
        && !sscard_domain::minor::cartoon_allowed(&a.person, now.date_naive())
    {
        return Err(ApplyError::Invalid(vec![fe("cartoon_photo", "cartoon_not_allowed")]));
    }
    // A rejected application, fixed, goes to the bank again as a new order.
    let submit = if a.state == ApplicationState::Rejected {
        ApplicationEvent::Resubmit
    } else {
        ApplicationEvent::Submit
    };
    let event = event_by(p, now, submit, Some(a.state), ApplicationState::Submitted, None);
    // `missing()` was empty, so the bank is set.
    let bank = a
        .form
        .bank
        .clone()
        .ok_or_else(|| ApplyError::Incomplete(vec!["bank".into()]))?;
    let submission = Submission {
        submitted_at: now,
        due_on: (now + Duration::days(PRODUCTION_DAYS)).date_naive(),
        key: key.map(str::to_string),
        // The production order goes in the same transaction as the submission (SPEC §8).
        order: crate::ports::NewOrder { id: new_id(), bank },
    };
    let commitment = consent_given(p, &person, ConsentKind::Commitment, Some(&a.id), now);
    if !ctx
        .store
        .transition(
            &a.id,
            a.state,
            &event,
            Some(&submission),
            Some(&commitment),
            progress_sms(ctx, &a, ApplicationState::Submitted, None).as_ref(),
        )
        .await?
    {
        // Someone else (another tab, another channel, a retry) submitted it first.
        let now_stored = ctx.store.application(&a.id).await?.ok_or(ApplyError::NotFound)?;
        return replayed(ctx, &now_stored, key).await;
    }
    // What was just written, without reading it back.
    let mut done = a;
    done.state = ApplicationState::Submitted;
    done.updated_at = now;
    done.submitted_at = Some(now);
    done.due_on = Some(submission.due_on);
    Ok(done)
}

/// What submission (and an employee's confirmation) asks last (SPEC §5.5): the solemn commitment, the
/// separate explicit confirmation, and nothing missing.
pub(crate) fn ready_to_send(a: &Application, commitment: bool, confirmed: bool) -> Result<(), ApplyError> {
    if !commitment {
        return Err(ApplyError::ConsentRequired(ConsentKind::Commitment));
    }
    if !confirmed {
        return Err(ApplyError::Invalid(vec![fe("confirm", "confirmation_required")]));
    }
    let missing = a.missing();
    if !missing.is_empty() {
        return Err(ApplyError::Incomplete(missing));
    }
    Ok(())
}

async fn replayed(ctx: &AppContext, a: &Application, key: Option<&str>) -> Result<Application, ApplyError> {
    if a.state == ApplicationState::Submitted {
        let stored = ctx.store.submit_key(&a.id).await?;
        if key.is_some() && stored.as_deref() == key {
            return Ok(a.clone());
        }
        return Err(ApplyError::AlreadySubmitted);
    }
    Err(ApplyError::NotDraft(a.state))
}

/// Withdrawal, while allowed (before production, SPEC §5.6).
pub async fn withdraw(ctx: &AppContext, p: &Principal, id: &str) -> Result<Application, ApplyError> {
    let a = mine(ctx, p, id).await?;
    let to = a
        .state
        .apply(ApplicationEvent::Withdraw)
        .map_err(ApplyError::Transition)?;
    let event = event_by(p, ctx.clock.now(), ApplicationEvent::Withdraw, Some(a.state), to, None);
    if !ctx.store.transition(&a.id, a.state, &event, None, None, None).await? {
        let state = ctx.store.application(&a.id).await?.map(|x| x.state).unwrap_or(a.state);
        return Err(ApplyError::NotDraft(state));
    }
    ctx.store.application(&a.id).await?.ok_or(ApplyError::NotFound)
}
