//! The card's life after hand-over (SPEC §7): each change written with its transition record, the text to the
//! holder, the issuing bank's event and the audit entry, all or nothing; the release of expired temporary losses
//! in batches; the service password's hash and wrong tries.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate};
use sscard_domain::audit::AuditEntry;
use sscard_domain::card::info::HolderInfo;
use sscard_domain::card::proxy::ProxyAuthorisation;
use sscard_domain::card::transition::CardTransition;
use sscard_domain::values::IdNumber;

use super::*;

/// One change to a card and everything that goes with it.
#[derive(Debug, Clone)]
pub struct CardWrite {
    /// The record; its `social_security` and `financial` pairs are the condition (the card must still be in the
    /// `from` states) and the change.
    pub transition: CardTransition,
    /// The card's temporary-loss end after the change (set by a loss, cleared otherwise).
    pub loss_until: Option<DateTime<FixedOffset>>,
    /// A new service-password hash (a change or a reset): stored, and the wrong tries forgotten.
    pub password_hash: Option<String>,
    /// The issuing bank hears of it: the financial function moved (an event id, the bank).
    pub bank_event: Option<(String, String)>,
    pub notify: Option<SmsMessage>,
    /// The activation of a new card ends the medical function of the holder's legacy cards (Q24).
    pub ends_legacy_medical: bool,
    /// Non-key information changed (Q31): each given field replaces the one on record.
    pub info: Option<HolderInfo>,
    pub audit: Option<AuditEntry>,
    /// A replacement asked for this card: its order is created and the card marked (only if no replacement
    /// was asked before: else nothing is written, `StateChanged`).
    pub replacement: Option<ReplacementOrder>,
    /// The activation of a replacement ends the card it replaces: that card's own change (conditional on its
    /// `from` states like the main one), with a bank event when its financial function moves.
    pub retire: Option<RetiredCard>,
    /// A transport top-up or a park pass recorded at the issuing bank's counter (SPEC §7.1).
    pub fields: Option<CardFields>,
}

/// What the issuing bank's counter records on the card: a transport top-up (in fen, added to the balance; the
/// transport function is enabled by it) and a park pass's year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CardFields {
    pub top_up_fen: i64,
    pub park_pass_year: Option<u16>,
}

/// The card a replacement's activation ends (see [`CardWrite::retire`]).
#[derive(Debug, Clone)]
pub struct RetiredCard {
    pub transition: CardTransition,
    /// The event id and the bank, should its financial function move.
    pub bank_event: (String, String),
}

/// What became of a [`CardWrite`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardWriteOutcome {
    Done,
    /// The card was no longer in the `from` states: nothing written.
    StateChanged,
    /// The request key was used on this card already: nothing written (answer what it did).
    KeyUsed,
}

/// One round of the release job: at most `limit` cards whose temporary loss ended by `now`, each released with
/// a system transition and a text `text_before` + the card number's last four + `text_after`.
#[derive(Debug, Clone)]
pub struct ReleaseBatch {
    pub now: DateTime<FixedOffset>,
    pub limit: u32,
    pub text_before: String,
    pub text_after: String,
    /// Where the previous batch of this run stopped (the last card's loss end and number): the next one starts
    /// after it, so a run never walks again over the cards it released (their index entries linger until
    /// vacuum). A card skipped because it was locked is taken by the next run.
    pub after: Option<(DateTime<FixedOffset>, String)>,
}

/// What one batch released, and where it stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseRound {
    pub released: u64,
    /// The last card this batch looked at (released or not): `None` when there was none.
    pub last: Option<(DateTime<FixedOffset>, String)>,
}

/// A change to a card's financial function the issuing bank must hear of, as the bank pulls it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardBankEvent {
    pub id: String,
    pub card: String,
    pub bank: String,
    pub service: sscard_domain::card::channels::Service,
    pub financial: (sscard_domain::card::FinancialState, sscard_domain::card::FinancialState),
    pub created_at: DateTime<FixedOffset>,
}

/// One pull of a bank's card events: up to `limit`, oldest first, those not acknowledged and not leased by an
/// earlier pull still running; each leased until `lease_until`.
#[derive(Debug, Clone)]
pub struct CardEventPull {
    pub bank: String,
    pub limit: u32,
    pub at: DateTime<FixedOffset>,
    pub lease_until: DateTime<FixedOffset>,
    pub actor: String,
}

/// A card's service password as stored: its hash (`None`: still the initial value) and the wrong tries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSecret {
    pub hash: Option<String>,
    pub failures: u32,
}

#[async_trait]
pub trait CardStore: Send + Sync {
    /// Writes the change if the card is still in the transition's `from` states, with its record, password,
    /// bank event, text, legacy-card end and audit entry, in one transaction.
    async fn write_card_change(&self, w: &CardWrite) -> StoreResult<CardWriteOutcome>;
    /// The card's transitions, oldest first.
    async fn card_transitions(&self, number: &str) -> StoreResult<Vec<CardTransition>>;
    /// The transition made under this request key on this card, if any.
    async fn card_transition_by_key(&self, number: &str, key: &str) -> StoreResult<Option<CardTransition>>;
    /// Releases up to `limit` due temporary losses (each exactly once, whatever else runs at the same time:
    /// PostgreSQL skips rows another instance has locked); how many it released.
    async fn release_due_losses(&self, batch: &ReleaseBatch) -> StoreResult<ReleaseRound>;
    /// When the medical function of `holder`'s legacy cards ended, if it has.
    async fn legacy_medical_ended(&self, holder: &IdNumber) -> StoreResult<Option<DateTime<FixedOffset>>>;
    async fn card_secret(&self, number: &str) -> StoreResult<Option<CardSecret>>;
    /// Counts a wrong try (whatever the channel) and records it in the audit log; the count after it.
    async fn record_password_failure(&self, number: &str, audit: &AuditEntry) -> StoreResult<u32>;
    /// A right password forgets the wrong tries before it (unless the password is locked).
    async fn clear_password_failures(&self, number: &str, below: u32) -> StoreResult<()>;
    /// Leases the bank's next card events (at least once: an event not acknowledged comes back when its lease
    /// ends; concurrent pulls never share one).
    async fn pull_card_events(&self, pull: &CardEventPull) -> StoreResult<Vec<CardBankEvent>>;
    /// Acknowledges these events of this bank; how many were acknowledged now.
    async fn ack_card_events(&self, bank: &str, ids: &[String], at: DateTime<FixedOffset>) -> StoreResult<u64>;
    /// The non-key information changed on this card since issue (what was never changed is `None`).
    async fn holder_info(&self, number: &str) -> StoreResult<HolderInfo>;
    /// Records a holder's authorisation of a proxy, with its audit entry.
    async fn create_proxy_authorisation(&self, a: &ProxyAuthorisation, audit: &AuditEntry) -> StoreResult<()>;
    /// The authorisations naming `proxy` that are still valid on `today`, newest first.
    async fn proxy_authorisations_of(&self, proxy: &IdNumber, today: NaiveDate)
        -> StoreResult<Vec<ProxyAuthorisation>>;
}
