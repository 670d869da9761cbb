//! The issuing bank's side of the card's life (SPEC §7.2, §8): every change that touches the financial function
//! is an event the bank pulls and acknowledges like an order (at least once, never lost); the bank reports the
//! financial function's state back, which moves the card as the rules allow and texts the holder.

use chrono::Duration;
use sscard_domain::account::{AccountKind, Principal};
use sscard_domain::audit::{AuditAction, Outcome};
use sscard_domain::card::lifecycle::Reason;
use sscard_domain::card::transition::{Actor, CardTransition};
use sscard_domain::card::{Card, FinancialState};

use super::services::write_for;
use super::CardError;
use crate::auth::Meta;
use crate::ports::{CardBankEvent, CardEventPull, CardWriteOutcome};
use crate::records::fe;
use crate::AppContext;

/// How long a pulled event waits for its acknowledgement before it is handed out again.
pub const EVENT_LEASE_MINUTES: i64 = 10;

fn bank_of(p: &Principal) -> Result<&str, CardError> {
    match &p.account.kind {
        AccountKind::BankSystem { bank } => Ok(bank),
        _ => Err(CardError::NotFound),
    }
}

/// The bank's next events (1–500).
pub async fn pull_events(ctx: &AppContext, p: &Principal, limit: u32) -> Result<Vec<CardBankEvent>, CardError> {
    let bank = bank_of(p)?;
    if !(1..=500).contains(&limit) {
        return Err(CardError::Invalid(vec![fe("limit", "limit_out_of_range")]));
    }
    let now = ctx.clock.now();
    let pull = CardEventPull {
        bank: bank.to_string(),
        limit,
        at: now,
        lease_until: now + Duration::minutes(EVENT_LEASE_MINUTES),
        actor: p.account.id.clone(),
    };
    Ok(ctx.store.pull_card_events(&pull).await?)
}

pub async fn ack_events(ctx: &AppContext, p: &Principal, ids: &[String]) -> Result<u64, CardError> {
    let bank = bank_of(p)?;
    Ok(ctx.store.ack_card_events(bank, ids, ctx.clock.now()).await?)
}

/// The bank reports the financial function's state (`active`, `loss`, `cancelled`) of one of its cards.
pub async fn report_financial(
    ctx: &AppContext,
    p: &Principal,
    number: &str,
    state: &str,
    meta: &Meta,
) -> Result<Card, CardError> {
    let bank = bank_of(p)?;
    let to = FinancialState::parse(state).ok_or_else(|| CardError::Invalid(vec![fe("state", "invalid_choice")]))?;
    let stored = ctx.store.card(number).await?.ok_or(CardError::NotFound)?;
    if stored.bank != bank {
        return Err(CardError::NotFound);
    }
    super::services::settle_expired(ctx, &stored).await?;
    let card = super::card_now(ctx, number).await?;
    let Some(change) = card.financial_report(to)? else {
        return Ok(card);
    };
    let now = ctx.clock.now();
    let actor = Actor {
        role: Some(p.role()),
        account: p.account.id.clone(),
        acting: sscard_domain::card::channels::Acting::Holder,
        agent: None,
    };
    let t = CardTransition::of(
        number,
        &change,
        now,
        Reason::BankReport,
        None,
        Some(p.channel),
        actor,
        None,
        None,
    );
    let audit = super::card_entry(
        ctx,
        p,
        AuditAction::StateChanged,
        Outcome::Success,
        format!("card:{number}:financial:{}", to.as_str()),
        &card,
        meta,
    );
    let mut w = write_for(ctx, &card, &change, t, None, audit).await?;
    // The bank told us: it needs no event about its own report.
    w.bank_event = None;
    match ctx.store.write_card_change(&w).await? {
        CardWriteOutcome::Done | CardWriteOutcome::KeyUsed => super::card_now(ctx, number).await,
        CardWriteOutcome::StateChanged => Err(CardError::StateChanged),
    }
}
