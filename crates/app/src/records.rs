//! What every application flow shares (one's own, a child's, an employer's, the counter, the bank): the refusals
//! they answer with, field by field, and the records they write with each change: the event, the consent with
//! the version of its text, and the progress text to the applicant.

use chrono::{DateTime, FixedOffset};
use sscard_domain::account::{ApplyRefusal, Principal};
use sscard_domain::application::{
    Application, ApplicationEvent, ApplicationEventRecord, ApplicationState, Consent, ConsentKind,
};

use sscard_domain::documents::{DocumentError, DocumentKind};
use sscard_domain::eligibility::Ineligible;
use sscard_domain::values::IdNumber;

use crate::auth::AuthError;
use crate::ports::{BlobError, StoreError};
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
    /// Confirming (the collective route's step) an application of another route: it is submitted instead.
    #[error("the application is not part of an employer's collective application")]
    NotCollective,
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
    /// Counters take no new applications during the concentrated campaign (SPEC §7.4).
    #[error("not during the concentrated application campaign")]
    DuringCampaign,
    #[error("{0}")]
    Transition(sscard_domain::application::TransitionError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Blob(#[from] BlobError),
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
