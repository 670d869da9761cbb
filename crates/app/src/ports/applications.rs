//! Applications (drafts, documents, state changes with their event and consent) and the document bytes.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use sscard_domain::application::{
    Application, ApplicationEventRecord, ApplicationForm, ApplicationState, Consent, ConsentKind, DocumentRef,
};
use sscard_domain::documents::DocumentKind;
use sscard_domain::values::IdNumber;

use super::*;

/// What submission sets besides the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub submitted_at: DateTime<FixedOffset>,
    pub due_on: chrono::NaiveDate,
    /// The client's `Idempotency-Key`, so a retry of the same submission is recognised.
    pub key: Option<String>,
    /// The production order for the application's bank, written with the submission (SPEC §8).
    pub order: NewOrder,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub id: String,
    pub bank: String,
}

#[async_trait]
pub trait ApplicationStore: Send + Sync {
    /// Inserts a new draft and its first event. `Err(id)` of the person's open application when they have one
    /// (the database's unique index decides between two channels starting at once).
    async fn create_application(
        &self,
        a: &Application,
        start: &ApplicationEventRecord,
    ) -> StoreResult<Result<(), String>>;
    async fn application(&self, id: &str) -> StoreResult<Option<Application>>;
    /// The application a person quotes by its reference (what the hotline and the console look up).
    async fn application_by_reference(&self, reference: &str) -> StoreResult<Option<Application>>;
    async fn open_application_of(&self, person: &IdNumber) -> StoreResult<Option<Application>>;
    /// Whether the person holds a live third-generation card: an application of theirs reached `collected` and
    /// not every card made for it is cancelled (a card given up for a bank change, a death or a move leaves
    /// the way to a new application open).
    async fn has_collected_card(&self, person: &IdNumber) -> StoreResult<bool>;
    async fn applications_of(&self, account: &str) -> StoreResult<Vec<Application>>;
    /// Every application whose card is for `person`, newest first (a guardian's wards, a young adult's own).
    async fn applications_about(&self, person: &IdNumber) -> StoreResult<Vec<Application>>;
    /// Saves a minor's draft's answers and drops any document not in `keep`, atomically; `false` when it is
    /// no longer a draft.
    async fn save_minor(
        &self,
        id: &str,
        minor: &sscard_domain::minor::MinorDetails,
        keep: &[DocumentKind],
        at: DateTime<FixedOffset>,
    ) -> StoreResult<bool>;
    /// Saves a draft's form; `false` when it is no longer a draft.
    async fn save_form(&self, id: &str, form: &ApplicationForm, at: DateTime<FixedOffset>) -> StoreResult<bool>;
    /// Attaches a document to a draft; `false` when it is no longer a draft.
    async fn set_document(
        &self,
        id: &str,
        kind: DocumentKind,
        doc: &DocumentRef,
        at: DateTime<FixedOffset>,
    ) -> StoreResult<bool>;
    /// Moves the application from `from` to `event.to` and records the event (and the consent given with it,
    /// and the text message that tells the applicant), atomically; `false` (and nothing written) when it was no longer in `from`.
    async fn transition(
        &self,
        id: &str,
        from: ApplicationState,
        event: &ApplicationEventRecord,
        submission: Option<&Submission>,
        consent: Option<&Consent>,
        notify: Option<&SmsMessage>,
    ) -> StoreResult<bool>;
    /// The key the application was submitted with, if any.
    async fn submit_key(&self, id: &str) -> StoreResult<Option<String>>;
    async fn events(&self, id: &str) -> StoreResult<Vec<ApplicationEventRecord>>;
    async fn record_consent(&self, c: &Consent) -> StoreResult<()>;
    async fn consents_of_application(&self, id: &str) -> StoreResult<Vec<Consent>>;
    /// The newest consent of a kind given by an account since a time.
    async fn latest_consent(
        &self,
        account: &str,
        kind: ConsentKind,
        since: DateTime<FixedOffset>,
    ) -> StoreResult<Option<Consent>>;
    /// Whether any application attached to `account` holds a document with this hash.
    async fn document_of_applicant(&self, account: &str, hash: &str) -> StoreResult<bool>;
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("the document store could not be reached: {0}")]
    Unavailable(String),
}

/// Where document bytes live, addressed by their SHA-256 (the `object_store` crate: a local directory by
/// default, S3-compatible storage by configuration).
#[async_trait]
pub trait BlobStore: Send + Sync + std::fmt::Debug {
    async fn put(&self, hash: &str, bytes: Vec<u8>) -> Result<(), BlobError>;
    async fn get(&self, hash: &str) -> Result<Option<Vec<u8>>, BlobError>;
}
