//! The employer's collective application: settings, the employee list, batches.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use sscard_domain::access::Channel;
use sscard_domain::application::Application;
use sscard_domain::audit::AuditEntry;
use sscard_domain::collective::{CollectiveSettings, EmployeeStatus};
use sscard_domain::values::{IdNumber, Uscc};
use std::collections::HashMap;

use super::*;

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
