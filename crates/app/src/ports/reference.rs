//! The registry, its imports, reference data (banks, branches, outlets) and settings.

use async_trait::async_trait;
use sscard_domain::audit::AuditEntry;
use sscard_domain::registry::{
    Bank, Branch, Dependency, Entity, Guardianship, InsuredPerson, Outlet, ReferenceKind, ReferenceRecord,
};
use sscard_domain::values::{IdNumber, Uscc};
use std::collections::{HashMap, HashSet};

use super::*;

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
    /// Changes a bank, branch or outlet (found by its code), keeps the change (before, after, who, when) and
    /// appends `audit`, in one transaction. Refused, writing nothing, while live data depends on what the
    /// change would take away (`sscard_domain::registry::dependency_of_change`), with the count of it.
    async fn change_reference(&self, edit: &ReferenceEdit, audit: &AuditEntry) -> StoreResult<ReferenceWrite>;
    /// A record's kept changes, newest first, at most `limit`.
    async fn reference_changes(&self, kind: ReferenceKind, code: &str, limit: u32)
        -> StoreResult<Vec<ReferenceChange>>;
}

/// A bank, branch or outlet as it is to be.
#[derive(Debug, Clone)]
pub struct ReferenceEdit {
    pub after: ReferenceRecord,
    pub by: String,
    pub at: chrono::DateTime<chrono::FixedOffset>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceWrite {
    Changed {
        before: ReferenceRecord,
    },
    /// The record already reads so: nothing written.
    Unchanged,
    /// No record has that code.
    Unknown,
    /// Refused: `count` records depend on what the change takes away.
    Depended {
        dependency: Dependency,
        count: u64,
    },
}

/// One kept change of a bank, branch or outlet; `before` and `after` are the records as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceChange {
    pub kind: ReferenceKind,
    pub code: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    pub by: String,
    pub at: chrono::DateTime<chrono::FixedOffset>,
}

/// Small key/value settings kept in the database (e.g. whether it holds demo data).
#[async_trait]
pub trait SettingsStore: Send + Sync {
    async fn setting(&self, key: &str) -> StoreResult<Option<String>>;
    async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()>;
    /// Sets a setting and keeps the change (before, after, who, when) in one transaction.
    async fn change_setting(
        &self,
        key: &str,
        value: &str,
        by: &str,
        at: chrono::DateTime<chrono::FixedOffset>,
    ) -> StoreResult<()>;
    /// The changes of the settings whose key starts with `prefix`, newest first, at most `limit`.
    async fn setting_changes(&self, prefix: &str, limit: u32) -> StoreResult<Vec<SettingChange>>;
}

/// One kept change of a setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingChange {
    pub key: String,
    pub previous: Option<String>,
    pub value: String,
    pub by: String,
    pub at: chrono::DateTime<chrono::FixedOffset>,
}
