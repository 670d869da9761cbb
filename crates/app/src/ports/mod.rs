//! Storage ports. One trait per aggregate or use case; `sscard-storage` implements each for SQLite and for
//! PostgreSQL, and one conformance suite runs against both.
//!
//! - `reference`: the registry, imports, reference data, settings.
//! - `accounts`: accounts, clients, sessions, challenges, limits, OpenID flows, the SMS outbox, the audit log.
//! - `applications`: applications and document bytes.
//! - `orders`: production orders, bank reports, cards.
//! - `cards`: the card's life after hand-over: changes with their records, releases, the service password.
//! - `replacements`: replacement cards and their orders, bank changes, the printed-field flag, the calendar.
//! - `collective`: the employer's collective application.
//! - `housekeeping`: pruning.
//! - `imports`: import jobs run from the console, their progress and row reports.
//! - `reports`: the console's reports.

mod accounts;
mod applications;
mod cards;
mod collective;
mod housekeeping;
mod imports;
mod orders;
mod reference;
mod replacements;
mod reports;

pub use accounts::*;
pub use applications::*;
pub use cards::*;
pub use collective::*;
pub use housekeeping::*;
pub use imports::*;
pub use orders::*;
pub use reference::*;
pub use replacements::*;
pub use reports::*;

use async_trait::async_trait;

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
    + CardStore
    + ReplacementStore
    + CollectiveStore
    + HousekeepingStore
    + ImportJobStore
    + ReportStore
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
        + CardStore
        + ReplacementStore
        + CollectiveStore
        + HousekeepingStore
        + ImportJobStore
        + ReportStore
{
}

pub const SETTING_DEMO_DATA: &str = "demo_data";
