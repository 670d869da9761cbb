//! Production orders: the banks' pulls, their reports, the cards, counter pickup and the SLA report.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use sscard_domain::application::{Application, ApplicationEventRecord, ApplicationState};
use sscard_domain::audit::AuditEntry;
use sscard_domain::values::IdNumber;

use super::*;

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
