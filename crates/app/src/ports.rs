//! Storage ports. One trait per aggregate or use case; `sscard-storage` implements each for SQLite and for
//! PostgreSQL, and one conformance suite runs against both.

use async_trait::async_trait;
use sscard_domain::registry::{Bank, Branch, Entity, Guardianship, InsuredPerson, Outlet};
use sscard_domain::values::{IdNumber, Uscc};
use std::collections::{HashMap, HashSet};

/// A storage failure. Never turned into "not found": a lookup that could not be made is an error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database could not be reached: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(String),
    /// A stored value no longer parses (data written outside the application, or a bug).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Someone else holds what this needs (another import is running); try again later.
    #[error("{0}")]
    Busy(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait HealthStore: Send + Sync {
    /// Ok when the database answers a query.
    async fn ping(&self) -> StoreResult<()>;
    fn engine(&self) -> &'static str;
}

/// One batch of validated import rows.
#[derive(Debug, Clone)]
pub enum ImportBatch {
    Persons(Vec<InsuredPerson>),
    Entities(Vec<Entity>),
    Guardianships(Vec<Guardianship>),
    Branches(Vec<Branch>),
    Outlets(Vec<Outlet>),
}

/// An import in progress: batches are written inside one transaction, made visible by `commit`.
/// Dropping a session without committing stores nothing.
#[async_trait]
pub trait ImportSession: Send {
    /// Inserts new rows and updates existing ones by key (a re-import never duplicates). Within one session
    /// each key is written at most once: the import use case refuses a key repeated within a file.
    async fn write(&mut self, batch: &ImportBatch) -> StoreResult<()>;
    async fn commit(self: Box<Self>) -> StoreResult<()>;
}

#[async_trait]
pub trait RegistryStore: Send + Sync {
    async fn begin_import(&self) -> StoreResult<Box<dyn ImportSession>>;
    async fn person(&self, id: &IdNumber) -> StoreResult<Option<InsuredPerson>>;
    async fn entity(&self, uscc: &Uscc) -> StoreResult<Option<Entity>>;
    async fn guardianships_of_guardian(&self, guardian: &IdNumber) -> StoreResult<Vec<Guardianship>>;
    async fn count_persons(&self) -> StoreResult<u64>;
    /// Every known employer, for checking employee rows during an import.
    async fn entity_usccs(&self) -> StoreResult<HashSet<String>>;
    /// Branch code → bank code, for checking retirees' pension branches during an import.
    async fn branch_banks(&self) -> StoreResult<HashMap<String, String>>;
}

#[derive(Debug, Clone, Default)]
pub struct BranchFilter {
    pub bank: Option<String>,
    pub district: Option<String>,
    pub accepts_pickup: Option<bool>,
}

#[async_trait]
pub trait ReferenceStore: Send + Sync {
    /// Adds the banks that are missing; keeps what the bureau configured for the others.
    async fn ensure_banks(&self, banks: &[Bank]) -> StoreResult<()>;
    async fn set_bank_online_replacement(&self, bank: &str, supported: bool) -> StoreResult<bool>;
    async fn banks(&self) -> StoreResult<Vec<Bank>>;
    async fn branches(&self, filter: &BranchFilter) -> StoreResult<Vec<Branch>>;
    async fn outlets(&self, district: Option<&str>) -> StoreResult<Vec<Outlet>>;
}

/// Small key/value settings kept in the database (e.g. whether it holds demo data).
#[async_trait]
pub trait SettingsStore: Send + Sync {
    async fn setting(&self, key: &str) -> StoreResult<Option<String>>;
    async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()>;
}

/// An OpenID Connect login in progress, between the redirect to the provider and its callback. `state` is the
/// SHA-256 of the state parameter; the nonce and PKCE verifier are needed in clear at the callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcFlow {
    pub state: String,
    pub provider: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// The pre-login session that started it: a callback in another browser is refused.
    pub bound_to: String,
    pub expires_at: DateTime<FixedOffset>,
}

#[async_trait]
pub trait OidcFlowStore: Send + Sync {
    async fn create_oidc_flow(&self, f: &OidcFlow) -> StoreResult<()>;
    /// Takes a live flow by its state hash: a second take of the same flow finds nothing.
    async fn take_oidc_flow(&self, state: &str, now: DateTime<FixedOffset>) -> StoreResult<Option<OidcFlow>>;
}

/// Everything a running service needs from storage.
pub trait Store:
    HealthStore
    + RegistryStore
    + ReferenceStore
    + SettingsStore
    + AccountStore
    + ClientStore
    + SessionStore
    + ChallengeStore
    + RateStore
    + OutboxStore
    + AuditStore
    + OidcFlowStore
    + ApplicationStore
    + OrderStore
    + CollectiveStore
    + HousekeepingStore
{
}

impl<T> Store for T where
    T: HealthStore
        + RegistryStore
        + ReferenceStore
        + SettingsStore
        + AccountStore
        + ClientStore
        + SessionStore
        + ChallengeStore
        + RateStore
        + OutboxStore
        + AuditStore
        + OidcFlowStore
        + ApplicationStore
        + OrderStore
        + CollectiveStore
        + HousekeepingStore
{
}

pub const SETTING_DEMO_DATA: &str = "demo_data";

// ---- Accounts, sessions, secrets, limits, outbox, audit (issue 3) ----

use chrono::{DateTime, FixedOffset};
use sscard_domain::access::Channel;
use sscard_domain::account::{Account, AccountKind, LoginIdentifier, Username};
use sscard_domain::audit::AuditEntry;
use sscard_domain::values::{Mobile, PersonName};

/// An account to create. `password_hash` is an Argon2id PHC string.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: String,
    pub kind: AccountKind,
    pub username: Option<Username>,
    pub mobile: Option<Mobile>,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub created_at: DateTime<FixedOffset>,
}

/// Which unique key a new account collided with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountConflict {
    Username,
    Mobile,
    IdNumber,
    ExternalIdentity,
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates the account and appends `audit` in the same transaction (nothing of either on a conflict).
    async fn create_account(
        &self,
        new: &NewAccount,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<Result<Account, AccountConflict>>;
    async fn account(&self, id: &str) -> StoreResult<Option<Account>>;
    /// The account a login identifier names, with its password hash. A resident's ID number names an account
    /// only after real-name authentication bound it.
    async fn account_for_login(&self, login: &LoginIdentifier) -> StoreResult<Option<(Account, Option<String>)>>;
    /// Binds a verified name and ID number to a resident account. `Err(IdNumber)` when another account holds it.
    /// `audit` is appended in the same transaction.
    async fn bind_real_name(
        &self,
        account: &str,
        id_number: &IdNumber,
        name: &PersonName,
        at: DateTime<FixedOffset>,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<Result<(), AccountConflict>>;
    /// The account linked to an external identity (provider, subject), if any.
    async fn account_for_external(&self, provider: &str, subject: &str) -> StoreResult<Option<Account>>;
    /// Creates an account and links it to an external identity in one transaction.
    async fn create_external_account(
        &self,
        new: &NewAccount,
        provider: &str,
        subject: &str,
        real_name: Option<(&IdNumber, &PersonName)>,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<Result<Account, AccountConflict>>;
    async fn link_external(
        &self,
        provider: &str,
        subject: &str,
        account: &str,
        at: DateTime<FixedOffset>,
    ) -> StoreResult<Result<(), AccountConflict>>;
    /// Accounts bound to an entity (its handlers).
    async fn entity_handlers(&self, uscc: &Uscc) -> StoreResult<Vec<Account>>;
    async fn count_accounts(&self) -> StoreResult<u64>;
}

/// A registered API client: a channel (`jingtong`, `minsheng`, `wechat_official`, or `web` for the bureau's
/// own tools) identified by client credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiClient {
    pub client_id: String,
    pub name: String,
    pub channel: Channel,
    pub secret_hash: String,
}

#[async_trait]
pub trait ClientStore: Send + Sync {
    /// `false` when the client id is taken.
    async fn create_client(&self, client: &ApiClient, at: DateTime<FixedOffset>) -> StoreResult<bool>;
    async fn client(&self, client_id: &str) -> StoreResult<Option<ApiClient>>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// A portal cookie.
    Cookie,
    /// An API bearer token.
    Bearer,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Cookie => "cookie",
            SessionKind::Bearer => "bearer",
        }
    }
}

/// A session or token as stored: `id` is the SHA-256 of the secret the client holds, never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: String,
    /// `None` for an anonymous pre-login session (it holds the login form's CSRF token and captcha).
    pub account: Option<String>,
    pub kind: SessionKind,
    pub channel: Channel,
    pub client_id: Option<String>,
    pub csrf: String,
    pub created_at: DateTime<FixedOffset>,
    pub expires_at: DateTime<FixedOffset>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Creates the session and appends `audit` (the login or token it records) in the same transaction.
    async fn create_session(&self, s: &SessionRecord, audit: Option<&AuditEntry>) -> StoreResult<()>;
    /// The session if it exists, is not revoked and has not expired at `now`.
    async fn live_session(&self, id: &str, now: DateTime<FixedOffset>) -> StoreResult<Option<SessionRecord>>;
    /// The live session and its account, in one query (every authenticated request asks this).
    async fn live_session_with_account(
        &self,
        id: &str,
        now: DateTime<FixedOffset>,
    ) -> StoreResult<Option<(SessionRecord, Option<Account>)>>;
    /// `true` when a live session was revoked.
    async fn revoke_session(
        &self,
        id: &str,
        at: DateTime<FixedOffset>,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<bool>;
    /// Revokes every live session and token of an account; returns how many. `audit` in the same transaction.
    async fn revoke_account_sessions(
        &self,
        account: &str,
        at: DateTime<FixedOffset>,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<u64>;
    async fn account_sessions(&self, account: &str, now: DateTime<FixedOffset>) -> StoreResult<Vec<SessionRecord>>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeKind {
    Captcha,
    SmsCode,
}

impl ChallengeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeKind::Captcha => "captcha",
            ChallengeKind::SmsCode => "sms",
        }
    }
}

/// A one-time secret: a captcha answer bound to a login attempt, or an SMS code bound to a mobile number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub id: String,
    pub kind: ChallengeKind,
    /// What it is bound to: the pre-login session or API client (captcha), the mobile number (SMS).
    pub bound_to: String,
    pub secret_hash: String,
    pub expires_at: DateTime<FixedOffset>,
    pub failures: u32,
}

#[async_trait]
pub trait ChallengeStore: Send + Sync {
    async fn create_challenge(&self, c: &Challenge, at: DateTime<FixedOffset>) -> StoreResult<()>;
    /// An unused, unexpired challenge by id.
    async fn challenge(&self, id: &str, now: DateTime<FixedOffset>) -> StoreResult<Option<Challenge>>;
    /// The newest unused, unexpired challenge of a kind bound to `bound_to`.
    async fn latest_challenge(
        &self,
        kind: ChallengeKind,
        bound_to: &str,
        now: DateTime<FixedOffset>,
    ) -> StoreResult<Option<Challenge>>;
    /// Marks it used. `false` when it already was (someone else used it first): the caller must refuse.
    async fn consume_challenge(&self, id: &str, at: DateTime<FixedOffset>) -> StoreResult<bool>;
    /// Counts a wrong answer; returns the failures so far.
    async fn fail_challenge(&self, id: &str) -> StoreResult<u32>;
}

/// Counted events for the abuse limits, by bucket (e.g. `login_account:{id}`).
#[async_trait]
pub trait RateStore: Send + Sync {
    async fn record_event(&self, bucket: &str, at: DateTime<FixedOffset>) -> StoreResult<()>;
    async fn events_since(&self, bucket: &str, since: DateTime<FixedOffset>)
        -> StoreResult<Vec<DateTime<FixedOffset>>>;
    async fn clear_events(&self, bucket: &str) -> StoreResult<()>;
}

/// A text message waiting to be sent. Bodies never contain links (SPEC §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsMessage {
    pub id: String,
    pub mobile: Mobile,
    pub body: String,
    pub created_at: DateTime<FixedOffset>,
    pub attempts: u32,
}

#[async_trait]
pub trait OutboxStore: Send + Sync {
    async fn enqueue_sms(&self, m: &SmsMessage) -> StoreResult<()>;
    /// A one-time code: its challenge, the text that carries it and the audit entry, in one transaction.
    async fn send_code(&self, c: &Challenge, m: &SmsMessage, audit: &AuditEntry) -> StoreResult<()>;
    /// Claims up to `limit` due messages for `lease`; a claimed message is invisible to other workers until the
    /// lease ends (PostgreSQL: `FOR UPDATE SKIP LOCKED`).
    async fn claim_sms(
        &self,
        limit: u32,
        now: DateTime<FixedOffset>,
        lease: chrono::Duration,
    ) -> StoreResult<Vec<SmsMessage>>;
    /// Extends a claimed message's lease to `until`, right before it is handed to the gateway; `false` when
    /// the claim is no longer this worker's (`attempts` moved on: another worker claimed it after this one's
    /// lease ran out) or the message was sent, and then it must not be sent.
    async fn renew_sms(&self, id: &str, attempts: u32, until: DateTime<FixedOffset>) -> StoreResult<bool>;
    async fn mark_sms_sent(&self, id: &str, at: DateTime<FixedOffset>) -> StoreResult<()>;
    async fn mark_sms_failed(&self, id: &str, error: &str, retry_at: DateTime<FixedOffset>) -> StoreResult<()>;
    async fn pending_sms(&self) -> StoreResult<u64>;
}

/// The append-only audit log: there is no update or delete here, by design.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn append_audit(&self, e: &AuditEntry) -> StoreResult<()>;
    /// Reads of a person's data by anyone other than themselves, newest first (their PIPL access log).
    async fn person_access_log(&self, id_number: &str, limit: u32) -> StoreResult<Vec<AuditEntry>>;
    /// The newest entries, optionally of one actor (for the admin).
    async fn recent_audit(&self, actor: Option<&str>, limit: u32) -> StoreResult<Vec<AuditEntry>>;
}

// ---- Applications (issue 4) ----

use sscard_domain::application::{
    Application, ApplicationEventRecord, ApplicationForm, ApplicationState, Consent, ConsentKind, DocumentRef,
};
use sscard_domain::documents::DocumentKind;

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

/// A production order: one per submission, for the application's bank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductionOrder {
    pub id: String,
    pub application: String,
    pub bank: String,
    pub created_at: DateTime<FixedOffset>,
    pub pulled_at: Option<DateTime<FixedOffset>>,
    /// Until when the bank's last pull holds it: unacknowledged by then, it goes back to the queue.
    pub lease_until: Option<DateTime<FixedOffset>>,
    /// When the bank acknowledged it (its accepted or rejected report, or an explicit ack).
    pub acknowledged_at: Option<DateTime<FixedOffset>>,
    pub card_number: Option<String>,
    pub masked_account: Option<String>,
    pub tracking_number: Option<String>,
    pub reject_reason: Option<String>,
    /// Whether this is the application's current order (a resubmission replaces it with a new one).
    pub current: bool,
}

/// What has outlived its use, by table: before these times it may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PruneBefore {
    /// Sessions expired or revoked, challenges expired or spent, OpenID flows expired, before this.
    pub dead: DateTime<FixedOffset>,
    /// Rate events older than the longest limit's window.
    pub rate_events: DateTime<FixedOffset>,
    /// Idempotent replies older than a retry could come.
    pub replies: DateTime<FixedOffset>,
}

/// How many rows one round of housekeeping removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub sessions: u64,
    pub challenges: u64,
    pub oidc_flows: u64,
    pub rate_events: u64,
    pub replies: u64,
}

#[async_trait]
pub trait HousekeepingStore: Send + Sync {
    /// Deletes what has outlived its use. Safe on several instances at once: each statement deletes only
    /// rows past their time, and a row two instances both delete is deleted once.
    async fn prune(&self, before: &PruneBefore) -> StoreResult<Pruned>;
}

/// One pull of a bank's orders (see [`OrderStore::pull_orders`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPull {
    pub bank: String,
    pub limit: u32,
    pub at: DateTime<FixedOffset>,
    pub actor: String,
    pub lease_until: DateTime<FixedOffset>,
    /// The bank's `Idempotency-Key`, so a pull whose answer was lost can be asked again.
    pub key: Option<String>,
}

/// What a report adds to its order besides the state change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportDetails {
    pub card_number: Option<String>,
    pub masked_account: Option<String>,
    pub tracking_number: Option<String>,
    pub reject_reason: Option<String>,
}

#[async_trait]
pub trait OrderStore: Send + Sync {
    /// A bank's pull, atomically. With a `key` this actor used before: the orders of that pull again, their
    /// unacknowledged ones leased anew. Otherwise up to `limit` orders, oldest first: first those whose lease
    /// ran out unacknowledged, then new ones (each marked pulled, its application moved to `sent_to_bank`
    /// with an event by `actor`); each leased until `lease_until` under `key`. Concurrent pulls get
    /// different orders (PostgreSQL: `FOR UPDATE SKIP LOCKED`).
    async fn pull_orders(&self, pull: &OrderPull) -> StoreResult<Vec<ProductionOrder>>;
    /// Acknowledges these of the bank's pulled orders (the bank has them safe); the number newly
    /// acknowledged. Unknown, unpulled or another bank's orders are left alone.
    async fn ack_orders(&self, bank: &str, orders: &[String], at: DateTime<FixedOffset>) -> StoreResult<u64>;
    async fn order(&self, id: &str) -> StoreResult<Option<ProductionOrder>>;
    /// The applications of these orders, in two queries whatever their number (a pull hands out hundreds).
    async fn order_applications(&self, orders: &[String]) -> StoreResult<Vec<Application>>;
    /// An application's orders: the replaced ones first, the current one last.
    async fn orders_of_application(&self, application: &str) -> StoreResult<Vec<ProductionOrder>>;
    /// Moves the order's application from `from` as `event` says, records the details and creates the card
    /// (when produced), atomically; nothing is written unless all of it is.
    async fn apply_report(
        &self,
        order: &str,
        from: ApplicationState,
        event: &ApplicationEventRecord,
        details: &ReportDetails,
        card: Option<&sscard_domain::card::Card>,
        notify: Option<&SmsMessage>,
    ) -> StoreResult<ReportWrite>;
    /// The cards a person holds, newest first.
    async fn cards_of(&self, holder: &IdNumber) -> StoreResult<Vec<sscard_domain::card::Card>>;
    async fn card(&self, number: &str) -> StoreResult<Option<sscard_domain::card::Card>>;
    /// Records a card's collection at the counter: moves the application (conditional on `from`) and, when
    /// asked, activates the card's social-security function, atomically; `false` (nothing written) when the
    /// application was no longer in `from`.
    async fn collect_card(
        &self,
        application: &str,
        from: ApplicationState,
        event: &ApplicationEventRecord,
        card: &str,
        activate: bool,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<bool>;
    /// Current orders whose card is not produced yet and whose application was due before `today` (more than
    /// 30 days since submission), counted by bank and by the issuing branch's district.
    async fn overdue_orders(&self, today: chrono::NaiveDate) -> StoreResult<Vec<SlaRow>>;
}

/// One line of the SLA report: a bank, a district, how many of its orders are late, and the oldest due date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaRow {
    pub bank: String,
    pub district: String,
    pub overdue: u64,
    pub oldest_due: chrono::NaiveDate,
}

/// How a report was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportWrite {
    Done,
    /// The application was no longer in the state read: nothing written.
    StateChanged,
    /// Another card already has this number: nothing written.
    CardNumberTaken,
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
    async fn open_application_of(&self, person: &IdNumber) -> StoreResult<Option<Application>>;
    /// Whether the person holds a third-generation card (an application of theirs reached `collected`).
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

// ---- Employer collective application (issue 6) ----

use sscard_domain::collective::{CollectiveSettings, EmployeeStatus};

/// One change to an entity's collective settings, as they stood after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsChange {
    pub at: DateTime<FixedOffset>,
    pub actor: String,
    pub channel: Channel,
    /// The settings after the change, as JSON.
    pub settings: String,
}

/// Which employees a handler lists: by status, by name prefix or exact ID number, after a cursor.
#[derive(Debug, Clone, Default)]
pub struct EmployeeQuery {
    pub status: Option<EmployeeStatus>,
    /// A name prefix, or a whole ID number.
    pub search: Option<String>,
    /// The last ID number of the previous page.
    pub after: Option<String>,
    pub limit: u32,
}

/// One employee as the handler's list shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmployeeRow {
    pub person: IdNumber,
    pub name: String,
    /// Whether the registry still names this entity as their employer.
    pub employed: bool,
    pub status: EmployeeStatus,
    /// Their latest collective application with this entity, if any: id, reference, last change.
    pub application: Option<(String, String, DateTime<FixedOffset>)>,
}

/// One employee in a batch the handler submits: the application, its new production order and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchItem {
    pub application: String,
    pub order: NewOrder,
    pub notify: Option<SmsMessage>,
}

/// A batch: every item moves from `confirmed` to `submitted` with one event each, by one handler, at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub at: DateTime<FixedOffset>,
    pub due_on: chrono::NaiveDate,
    pub actor: String,
    pub channel: Channel,
    pub items: Vec<BatchItem>,
    /// The answer to remember under the caller's idempotency key, written in the batch's transaction.
    pub reply: Option<StoredReply>,
}

/// The first answer to a request sent with an `Idempotency-Key`, kept to answer a retry with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReply {
    /// What kind of request (`entity_batch`).
    pub scope: &'static str,
    pub actor: String,
    pub key: String,
    /// The answer, as JSON.
    pub body: String,
}

/// What [`CollectiveStore::submit_batch`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchWrite {
    Written,
    /// An item was no longer `confirmed` when written: nothing written.
    StateChanged,
    /// Another request with the same idempotency key got there first: nothing written.
    KeyUsed,
}

#[async_trait]
pub trait CollectiveStore: Send + Sync {
    async fn collective_settings(&self, entity: &Uscc) -> StoreResult<Option<CollectiveSettings>>;
    /// Saves the settings and appends them to the entity's history, atomically.
    /// `audit` is appended in the same transaction.
    async fn save_collective_settings(
        &self,
        s: &CollectiveSettings,
        channel: Channel,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<()>;
    /// Every change to an entity's settings, oldest first.
    async fn collective_history(&self, entity: &Uscc) -> StoreResult<Vec<SettingsChange>>;
    /// The entity's employees (in the registry now, or with a collective application of the entity), in
    /// ID-number order.
    async fn employees(&self, entity: &Uscc, q: &EmployeeQuery) -> StoreResult<Vec<EmployeeRow>>;
    /// How many of the entity's employees are in each status (statuses with none are left out).
    async fn employee_counts(&self, entity: &Uscc) -> StoreResult<Vec<(EmployeeStatus, u64)>>;
    /// The entity's collective applications with these ids (others are left out), or every confirmed one
    /// when `None`.
    async fn collective_applications(&self, entity: &Uscc, ids: Option<&[String]>) -> StoreResult<Vec<Application>>;
    /// The employer the registry names for each of these people (absent: not an employee or not in it).
    async fn employers_of(&self, persons: &[IdNumber]) -> StoreResult<HashMap<String, Uscc>>;
    /// The cards the entity collected and holds (applications `delivered_to_entity`), each with the time it
    /// was delivered and the holder's registry name, longest held first.
    async fn cards_at_entity(&self, entity: &Uscc) -> StoreResult<Vec<(Application, DateTime<FixedOffset>, String)>>;
    /// Submits the batch and remembers its reply: all of it or nothing.
    async fn submit_batch(&self, batch: &Batch) -> StoreResult<BatchWrite>;
    /// The answer remembered for this actor's idempotency key, if any.
    async fn stored_reply(&self, scope: &str, actor: &str, key: &str) -> StoreResult<Option<String>>;
}
