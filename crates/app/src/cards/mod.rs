//! The card's life after hand-over (SPEC §7): who may act on a card, the services, the service password, the
//! holder's view, and the release of expired temporary losses.
//!
//! - [`services`]: one service on one card (activation, temporary loss, …): the channel matrix, the card's
//!   transition, the record, the text, the bank's event, all in one write; the same request key answers the same.
//! - [`bank`]: the issuing bank's events (pulled and acknowledged like orders) and its financial reports.
//! - [`counter`]: services at a bank or outlet counter, under the matrix's conditions for that channel.
//! - [`hotline`]: the 96066 hotline: find by ID number (audited), verify with the service password, then a
//!   temporary loss or a status query only.
//! - [`info`]: the holder's non-key information (address, occupation, mobile; not the bank's mobile).
//! - [`password`]: the service password: change, reset after identity is verified again, verification (five
//!   wrong tries across all channels lock it).
//! - [`printed`]: a registry change of a printed field flags the holder's live cards and texts them.
//! - [`status`]: the read model of "my card" and of a status query: each function in plain states, what can be
//!   done here and where else, the timeline.
//! - [`proxies`]: a holder's written authorisation of a proxy, and what it lets the proxy do.
//! - [`replacement`]: 补领 and 换领: the request (online or at the bank counter, instant where equipped), the
//!   bank's reports on the order, the old card's end when the new one is activated.
//! - [`suspension`]: six months after a social-security cancellation, the account's non-counter business is
//!   suspended (a scheduled, recorded transition).
//! - [`release`]: the release job's use case: due losses in batches, each released once.

pub mod bank;
pub mod counter;
pub mod demo;
pub mod hotline;
pub mod info;
pub mod password;
pub mod printed;
pub mod proxies;
pub mod release;
pub mod replacement;
pub mod services;
pub mod status;
pub mod suspension;

use sscard_domain::account::Principal;
use sscard_domain::card::channels::{Acting, WrongChannel};
use sscard_domain::card::lifecycle::CardRefusal;
use sscard_domain::card::password::PasswordError;
use sscard_domain::card::transition::Actor;
use sscard_domain::card::Card;
use sscard_domain::minor::is_minor;
use sscard_domain::values::{IdNumber, Mobile};

use crate::ports::StoreError;
use crate::records::FieldError;
use crate::secrets::PasswordHashError;
use crate::AppContext;

#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// No such card, or not one this caller may act on (the same answer: nothing leaks).
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    WrongChannel(WrongChannel),
    #[error("{0}")]
    Refused(CardRefusal),
    #[error("invalid fields: {0:?}")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Password(PasswordError),
    #[error("wrong service password ({remaining} tries left)")]
    WrongPassword { remaining: u32 },
    #[error("the service password is locked after five wrong tries: reset it")]
    PasswordLocked,
    #[error("the initial service password must be changed first")]
    PasswordChangeRequired,
    /// The reserved mobile of the financial account is changed at the issuing bank only.
    #[error("the financial account's reserved mobile is changed at the issuing bank")]
    FinancialMobile,
    /// A proxy whose authorisation does not cover this service (or has run out).
    #[error("the authorisation does not cover {}", .0.as_str())]
    NotAuthorised(sscard_domain::card::channels::Service),
    /// The card changed while this request was deciding (another channel, the release job): nothing written.
    #[error("the card changed meanwhile; read it again")]
    StateChanged,
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    #[error(transparent)]
    Hash(#[from] PasswordHashError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<WrongChannel> for CardError {
    fn from(e: WrongChannel) -> CardError {
        CardError::WrongChannel(e)
    }
}

impl From<CardRefusal> for CardError {
    fn from(e: CardRefusal) -> CardError {
        CardError::Refused(e)
    }
}

/// Who the signed-in person is to this card: the holder, a guardian listed in the household register of a
/// holder under 18 (guardians act for minors in everything), or a proxy the holder authorised in writing.
/// Anyone else: "not found".
pub(crate) async fn actor_for(ctx: &AppContext, p: &Principal, card: &Card) -> Result<Actor, CardError> {
    let me = p.account.id_number.as_ref().ok_or(CardError::NotFound)?;
    let role = Some(p.role());
    if me == &card.holder {
        return Ok(Actor {
            role,
            account: p.account.id.clone(),
            acting: Acting::Holder,
            agent: None,
        });
    }
    let today = ctx.clock.now().date_naive();
    if is_minor(&card.holder, today) && is_guardian(ctx, me, &card.holder).await? {
        return Ok(Actor {
            role,
            account: p.account.id.clone(),
            acting: Acting::Guardian,
            agent: Some(me.clone()),
        });
    }
    proxies::proxy_for(ctx, p, card).await?.ok_or(CardError::NotFound)
}

pub(crate) async fn is_guardian(ctx: &AppContext, guardian: &IdNumber, child: &IdNumber) -> Result<bool, StoreError> {
    Ok(ctx
        .store
        .guardianships_of_guardian(guardian)
        .await?
        .iter()
        .any(|g| &g.child == child))
}

/// The audit entry of `p`'s act on `card` (`record` names it): the holder is its subject, so it shows in their
/// "who read my data" when staff read it.
pub(crate) fn card_entry(
    ctx: &AppContext,
    p: &Principal,
    action: sscard_domain::audit::AuditAction,
    outcome: sscard_domain::audit::Outcome,
    record: String,
    card: &Card,
    meta: &crate::auth::Meta,
) -> sscard_domain::audit::AuditEntry {
    let mut e = crate::auth::principal_entry(ctx, p, action, outcome, Some(record), meta);
    e.subject_person = Some(card.holder.as_str().to_string());
    e
}

/// Staff reading a holder's cards by ID number: the number parsed, the purpose one of the read purposes, and the
/// read audited so it shows in the holder's "who read my data"; the holder.
pub(crate) async fn audited_holder(
    ctx: &AppContext,
    p: &Principal,
    id_number: &str,
    purpose: Option<&str>,
    meta: &crate::auth::Meta,
) -> Result<IdNumber, CardError> {
    let holder = IdNumber::parse(id_number, ctx.clock.now().date_naive())
        .map_err(|_| CardError::Invalid(vec![crate::records::fe("id_number", "id_number_invalid")]))?;
    if !purpose.is_some_and(sscard_domain::audit::is_read_purpose) {
        return Err(CardError::Invalid(vec![crate::records::fe(
            "purpose",
            "purpose_required",
        )]));
    }
    let mut e = crate::auth::principal_entry(
        ctx,
        p,
        sscard_domain::audit::AuditAction::PersonRead,
        sscard_domain::audit::Outcome::Success,
        Some(format!("cards:{}", holder.masked())),
        meta,
    );
    e.subject_person = Some(holder.as_str().to_string());
    e.purpose = purpose.map(str::to_string);
    ctx.store.append_audit(&e).await?;
    Ok(holder)
}

/// The card by number, as it stands now (a temporary loss past its end reads released).
pub(crate) async fn card_now(ctx: &AppContext, number: &str) -> Result<Card, CardError> {
    let card = ctx.store.card(number).await?.ok_or(CardError::NotFound)?;
    Ok(card.at(ctx.clock.now()))
}

/// Where the holder is texted: the mobile they last gave for this card, else the application's, else the
/// registry's.
pub(crate) async fn holder_mobile(ctx: &AppContext, card: &Card) -> Result<Option<Mobile>, StoreError> {
    if let Some(m) = ctx.store.holder_info(&card.number).await?.mobile {
        return Ok(Some(m));
    }
    if let Some(m) = ctx
        .store
        .application(&card.application)
        .await?
        .and_then(|a| a.form.mobile)
    {
        return Ok(Some(m));
    }
    Ok(ctx.store.person(&card.holder).await?.and_then(|p| p.mobile))
}
