//! Production orders: the row codecs and shared SQL of the order store (written with each submission, pulled by
//! the bank, reported on); its impls are per engine (`postgres::orders`, `sqlite::orders`).

use sscard_app::ports::{ProductionOrder, StoreError};
use sscard_domain::card::{Card, FinancialState, SocialSecurityState};

use crate::accounts::from_ms;

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct OrderRow {
    pub id: String,
    pub application_id: String,
    pub bank: String,
    pub created_ms: i64,
    pub pulled_ms: Option<i64>,
    pub lease_ms: Option<i64>,
    pub acked_ms: Option<i64>,
    pub card_number: Option<String>,
    pub masked_account: Option<String>,
    pub tracking_number: Option<String>,
    pub reject_reason: Option<String>,
    pub current: bool,
}

impl OrderRow {
    pub fn into_domain(self) -> Result<ProductionOrder, StoreError> {
        Ok(ProductionOrder {
            created_at: from_ms(self.created_ms)?,
            pulled_at: self.pulled_ms.map(from_ms).transpose()?,
            lease_until: self.lease_ms.map(from_ms).transpose()?,
            acknowledged_at: self.acked_ms.map(from_ms).transpose()?,
            id: self.id,
            application: self.application_id,
            bank: self.bank,
            card_number: self.card_number,
            masked_account: self.masked_account,
            tracking_number: self.tracking_number,
            reject_reason: self.reject_reason,
            current: self.current,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CardRow {
    pub number: String,
    pub holder_id: String,
    pub generation: i32,
    pub bank: String,
    pub branch: Option<String>,
    pub masked_account: String,
    pub issued_on: chrono::NaiveDate,
    pub application_id: String,
    pub social_security: String,
    pub financial: String,
    pub loss_until_ms: Option<i64>,
    pub transport_enabled: bool,
    pub transport_balance_fen: i64,
    pub park_pass_year: Option<i32>,
    pub replaces: Option<String>,
    pub replaced_by: Option<String>,
    pub replacement_order: Option<String>,
    pub replacement_required: Option<String>,
}

/// A card's columns, in [`CardRow`]'s order.
pub(crate) const CARD_COLUMNS: &str = "number, holder_id, generation, bank, branch, masked_account, issued_on, \
    application_id, social_security, financial, loss_until_ms, transport_enabled, transport_balance_fen, park_pass_year, \
    replaces, replaced_by, replacement_order, replacement_required";

impl CardRow {
    pub fn into_domain(self) -> Result<Card, StoreError> {
        let corrupt = |what: &str, v: &str| StoreError::Corrupt(format!("{what}: {v}"));
        Ok(Card {
            holder: crate::common::stored_id(&self.holder_id)?,
            generation: u8::try_from(self.generation).map_err(|e| corrupt("generation", &e.to_string()))?,
            social_security: SocialSecurityState::parse(&self.social_security)
                .ok_or_else(|| corrupt("social_security", &self.social_security))?,
            financial: FinancialState::parse(&self.financial).ok_or_else(|| corrupt("financial", &self.financial))?,
            number: self.number,
            bank: self.bank,
            branch: self.branch,
            masked_account: self.masked_account,
            issued_on: self.issued_on,
            application: self.application_id,
            loss_until: self.loss_until_ms.map(from_ms).transpose()?,
            transport: sscard_domain::card::Transport {
                enabled: self.transport_enabled,
                balance_fen: self.transport_balance_fen,
            },
            park_pass_year: self
                .park_pass_year
                .map(u16::try_from)
                .transpose()
                .map_err(|e| corrupt("park_pass_year", &e.to_string()))?,
            links: sscard_domain::card::CardLinks {
                replaces: self.replaces,
                replaced_by: self.replaced_by,
                replacement_order: self.replacement_order,
                replacement_required: crate::replacements::printed_fields(self.replacement_required.as_deref())?,
            },
        })
    }
}

/// The columns of an order, with whether it is its application's current one.
pub(crate) const ORDER_SELECT: &str =
    "SELECT o.id, o.application_id, o.bank, o.created_ms, o.pulled_ms, o.lease_ms, o.acked_ms, o.card_number, \
    o.masked_account, o.tracking_number, o.reject_reason, NOT o.superseded AS current \
    FROM production_orders o";
