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

/// Everything a running service needs from storage.
pub trait Store: HealthStore + RegistryStore + ReferenceStore + SettingsStore {}

impl<T: HealthStore + RegistryStore + ReferenceStore + SettingsStore> Store for T {}

pub const SETTING_DEMO_DATA: &str = "demo_data";
