//! Replacement cards (SPEC §7.2, §8): their production orders in the bank interface (pulled and leased like an
//! application's, reported on with the same reports), the new card linked both ways to the one it replaces, the
//! registry's printed-field flag, the bank-change history, the non-counter suspension, and the working-day
//! calendar loaded per year.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use sscard_domain::calendar::{CalendarDay, DueDate};
use sscard_domain::card::replacement::{PrintedField, ReplacementCause, ReplacementState};
use sscard_domain::card::Card;
use sscard_domain::values::IdNumber;

use super::*;

/// A replacement card's production order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplacementOrder {
    pub id: String,
    /// The card it replaces.
    pub card: String,
    pub holder: IdNumber,
    /// The replaced card's application (the photo and the form the bank prints from).
    pub application: String,
    pub bank: String,
    /// Where the new card is collected.
    pub branch: String,
    pub cause: ReplacementCause,
    pub state: ReplacementState,
    /// Made at the counter by an equipped branch: never pulled.
    pub instant: bool,
    pub created_at: DateTime<FixedOffset>,
    pub due: DueDate,
    pub pulled_at: Option<DateTime<FixedOffset>>,
    pub lease_until: Option<DateTime<FixedOffset>>,
    pub acknowledged_at: Option<DateTime<FixedOffset>>,
    pub new_card: Option<String>,
    pub masked_account: Option<String>,
    pub tracking_number: Option<String>,
    pub reject_reason: Option<String>,
}

/// A bank's report applied to a replacement order (see [`ReplacementStore::apply_replacement_report`]).
#[derive(Debug, Clone)]
pub struct ReplacementReport {
    pub order: String,
    pub from: ReplacementState,
    pub to: ReplacementState,
    pub at: DateTime<FixedOffset>,
    pub details: ReportDetails,
    /// The new card, when produced: created linked to the one it replaces.
    pub new_card: Option<Card>,
    pub notify: Option<SmsMessage>,
    /// An `accepted` or `rejected` report acknowledges the order.
    pub acknowledges: bool,
}

/// A printed field of a holder's card changed in the registry (see [`ReplacementStore::flag_printed_fields`]).
#[derive(Debug, Clone)]
pub struct PrintedFieldFlag {
    pub holder: IdNumber,
    pub fields: Vec<PrintedField>,
    pub at: DateTime<FixedOffset>,
}

#[async_trait]
pub trait ReplacementStore: Send + Sync {
    /// A bank's pull of replacement orders, as [`OrderStore::pull_orders`] does for applications: with a `key`
    /// used before, the orders of that pull again; else expired leases first, then new orders (each moved to
    /// `sent_to_bank`); leased until `lease_until`. Concurrent pulls never share an order.
    async fn pull_replacements(&self, pull: &OrderPull) -> StoreResult<Vec<ReplacementOrder>>;
    /// Acknowledges these pulled orders of the bank; how many were newly acknowledged.
    async fn ack_replacements(&self, bank: &str, ids: &[String], at: DateTime<FixedOffset>) -> StoreResult<u64>;
    async fn replacement_order(&self, id: &str) -> StoreResult<Option<ReplacementOrder>>;
    /// The replacement orders asked for a card, oldest first.
    async fn replacements_of_card(&self, card: &str) -> StoreResult<Vec<ReplacementOrder>>;
    /// Moves the order from `from` (else nothing is written: `StateChanged`), records the details and, when
    /// produced, creates the new card (`replaces` the old one, which gets `replaced_by`) and queues the text,
    /// atomically. `CardNumberTaken` when the number is another card's.
    async fn apply_replacement_report(&self, r: &ReplacementReport) -> StoreResult<ReportWrite>;
    /// Open replacement orders past their due date on `today`, by bank and the collecting branch's district.
    async fn overdue_replacements(&self, today: NaiveDate) -> StoreResult<Vec<SlaRow>>;
    /// When `holder` last changed bank (a `bank_change` on any of their cards).
    async fn last_bank_change(&self, holder: &IdNumber) -> StoreResult<Option<DateTime<FixedOffset>>>;
    /// The stored registry records of those of these people who hold a card that is not cancelled (a registry
    /// import compares their printed fields), in one query.
    async fn card_holder_records(&self, ids: &[String]) -> StoreResult<Vec<sscard_domain::registry::InsuredPerson>>;
    /// Of these people, those who gave up a card for a bank change, each with that card (the latest): a new
    /// application of theirs names it to the new bank (Q25).
    async fn bank_changed_cards(&self, persons: &[String]) -> StoreResult<Vec<(String, String)>>;
    /// Flags the holder's live cards (not cancelled, not already being replaced) as needing a replacement for
    /// these fields (added to any flagged before); the flagged cards' numbers.
    async fn flag_printed_fields(&self, flag: &PrintedFieldFlag) -> StoreResult<Vec<String>>;
    /// Cards whose social-security function was cancelled at or before `cancelled_by`, whose financial function
    /// is not cancelled and whose non-counter business is not yet suspended; at most `limit`.
    async fn due_suspensions(&self, cancelled_by: DateTime<FixedOffset>, limit: u32) -> StoreResult<Vec<String>>;
    /// The working-day calendar's exception days, every loaded year.
    async fn calendar_days(&self) -> StoreResult<Vec<CalendarDay>>;
    /// The loaded years, each with when it was loaded and by whom.
    async fn calendar_years(&self) -> StoreResult<Vec<(i32, DateTime<FixedOffset>, String)>>;
    /// Loads these years (their days replace what was stored for them), atomically.
    async fn load_calendar(
        &self,
        years: &[i32],
        days: &[CalendarDay],
        by: &str,
        at: DateTime<FixedOffset>,
    ) -> StoreResult<()>;
    /// Open orders whose due date is provisional: id and the day they were asked for.
    async fn provisional_replacements(&self) -> StoreResult<Vec<(String, NaiveDate)>>;
    async fn set_replacement_due(&self, id: &str, due: DueDate) -> StoreResult<()>;
}
