//! The 96066 hotline (role `hotline_agent`, channel `hotline`): the agent finds the caller's cards by ID number
//! with a stated purpose (audited: it shows in the holder's "who read my data"), verifies the caller with the
//! card's service password, then does a temporary loss or a status query, and nothing else: every other service
//! is refused naming the channels that offer it. A wrong password counts towards the lock like anywhere else.

use sscard_domain::access::{Channel, Role};
use sscard_domain::account::Principal;
use sscard_domain::audit::{AuditAction, AuditEntry, Outcome};
use sscard_domain::card::channels::{Acting, Service};
use sscard_domain::card::transition::Actor;
use sscard_domain::card::Card;

use super::services::{change_card, ServiceRequest};
use super::status::{view_of, CardView};
use super::{password, CardError};
use crate::auth::Meta;
use crate::AppContext;

fn agent(p: &Principal) -> Result<(), CardError> {
    if p.role() == Role::HotlineAgent && p.channel == Channel::Hotline {
        Ok(())
    } else {
        Err(CardError::NotFound)
    }
}

/// A card as the agent first sees it: enough to tell the caller's cards apart, nothing of their state.
#[derive(Debug, Clone)]
pub struct FoundCard {
    pub number: String,
    pub bank: String,
    pub issued_on: chrono::NaiveDate,
}

/// The cards of `id_number`, read for `purpose` (audited).
pub async fn find(
    ctx: &AppContext,
    p: &Principal,
    id_number: &str,
    purpose: Option<&str>,
    meta: &Meta,
) -> Result<Vec<FoundCard>, CardError> {
    agent(p)?;
    let holder = super::audited_holder(ctx, p, id_number, purpose, meta).await?;
    Ok(ctx
        .store
        .cards_of(&holder)
        .await?
        .into_iter()
        .map(|c| FoundCard {
            number: c.number,
            bank: c.bank,
            issued_on: c.issued_on,
        })
        .collect())
}

fn failed(ctx: &AppContext, p: &Principal, card: &Card, meta: &Meta) -> AuditEntry {
    let e = super::card_entry(
        ctx,
        p,
        AuditAction::CardPasswordFailed,
        Outcome::Failure,
        format!("card:{}", card.number),
        card,
        meta,
    );
    e
}

/// The card, once `service` is one the hotline offers and the caller's password is right. The initial password
/// verifies but must be changed first (Q16), online or at an outlet.
async fn verified(
    ctx: &AppContext,
    p: &Principal,
    number: &str,
    service: Service,
    password: &str,
    meta: &Meta,
) -> Result<Card, CardError> {
    agent(p)?;
    crate::channel_policy::check(ctx, service, p.channel, Acting::Holder).await??;
    let card = super::card_now(ctx, number).await?;
    let initial = password::verify(ctx, &card, password, &failed(ctx, p, &card, meta)).await?;
    if initial {
        return Err(CardError::PasswordChangeRequired);
    }
    Ok(card)
}

/// A status query by telephone.
pub async fn status(
    ctx: &AppContext,
    p: &Principal,
    number: &str,
    password: &str,
    meta: &Meta,
) -> Result<CardView, CardError> {
    let card = verified(ctx, p, number, Service::StatusQuery, password, meta).await?;
    view_of(ctx, card, Acting::Holder, p.channel).await
}

/// A temporary loss by telephone, recorded as the agent's on the holder's behalf.
pub async fn report_loss(
    ctx: &AppContext,
    p: &Principal,
    number: &str,
    password: &str,
    req: &ServiceRequest,
    meta: &Meta,
) -> Result<CardView, CardError> {
    let card = verified(ctx, p, number, Service::TemporaryLoss, password, meta).await?;
    let actor = Actor {
        role: Some(p.role()),
        account: p.account.id.clone(),
        acting: Acting::Holder,
        agent: None,
    };
    change_card(ctx, p, &card, Service::TemporaryLoss, actor, req, meta).await?;
    let card = super::card_now(ctx, number).await?;
    view_of(ctx, card, Acting::Holder, p.channel).await
}

/// Any other service asked of the hotline: refused, naming where it can be done.
pub fn other(p: &Principal, service: Service) -> Result<(), CardError> {
    agent(p)?;
    sscard_domain::card::channels::check(service, p.channel, Acting::Holder)?;
    // Offered by telephone but not through this call (the two above are the only ones).
    Err(CardError::NotFound)
}
