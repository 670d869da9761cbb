//! Card services at a counter (SPEC §7.2, §7.4): a bank clerk (channel `bank_outlet`) or an outlet clerk
//! (`district_outlet`) finds the holder's cards by ID number with a purpose (audited), records the identity
//! document presented, and does only what the matrix gives their channel, under its conditions: the issuing
//! bank's services at that bank only; a district outlet touches the social-security function only and releases
//! only a formal loss. Every refusal names its code (and, for the channel, where instead).
//!
//! The holder may be represented: a guardian of a minor (the household-register link is checked) or a proxy
//! (with the holder's written authorisation on record, or, for a cancellation after a death, emigration or a
//! move, the documents of that case). Either is recorded with their own ID number.
//!
//! - [`desk_services`]: the password change, information change (the bank's reserved mobile at the issuing bank),
//!   status query, transport top-up and park pass.

pub mod desk_services;

use sscard_domain::access::Channel;
use sscard_domain::account::{AccountKind, Principal};
use sscard_domain::card::channels::{Acting, Condition, Service};
use sscard_domain::card::lifecycle::CardRefusal;
use sscard_domain::card::password::ServicePassword;
use sscard_domain::card::transition::Actor;
use sscard_domain::card::SocialSecurityState;
use sscard_domain::values::IdNumber;

use super::services::{change_card, ServiceRequest};
use super::status::{view_of, CardView};
use super::CardError;
use crate::auth::Meta;
use crate::records::fe;
use crate::AppContext;

/// Where the clerk works.
pub(crate) struct Desk {
    pub channel: Channel,
    /// The bank of a bank clerk's branch.
    pub bank: Option<String>,
    /// The branch or outlet, recorded with each change.
    pub place: String,
}

/// The clerk, acting for the holder in front of them.
pub(crate) fn clerk_actor(p: &Principal) -> Actor {
    Actor {
        role: Some(p.role()),
        account: p.account.id.clone(),
        acting: Acting::Holder,
        agent: None,
    }
}

pub(crate) fn desk(p: &Principal) -> Result<Desk, CardError> {
    match &p.account.kind {
        AccountKind::BankClerk { bank, branch } => Ok(Desk {
            channel: Channel::BankOutlet,
            bank: Some(bank.clone()),
            place: branch.clone(),
        }),
        AccountKind::OutletClerk { outlet, .. } => Ok(Desk {
            channel: Channel::DistrictOutlet,
            bank: None,
            place: outlet.clone(),
        }),
        _ => Err(CardError::NotFound),
    }
}

/// The holder's cards, read for `purpose` (audited: it shows in the holder's access log).
pub async fn find(
    ctx: &AppContext,
    p: &Principal,
    id_number: &str,
    purpose: Option<&str>,
    meta: &Meta,
) -> Result<Vec<CardView>, CardError> {
    let desk = desk(p)?;
    let holder = super::audited_holder(ctx, p, id_number, purpose, meta).await?;
    let mut out = Vec::new();
    // The desk sees what the holder (or their representative) may do here.
    for card in ctx.store.cards_of(&holder).await? {
        out.push(view_of(ctx, card, Acting::Holder, desk.channel).await?);
    }
    Ok(out)
}

/// Who stands at the counter for the holder.
#[derive(Debug, Clone, Default)]
pub struct CounterParty {
    /// `self` (the default), `guardian` or `proxy`.
    pub acting: Option<String>,
    /// The guardian's or proxy's own ID number (their own document, checked too).
    pub agent_id_number: Option<String>,
    /// A proxy's cancellation after a death, emigration or a move: the document of the case (its kind and
    /// number, e.g. a death certificate).
    pub case_document: Option<String>,
}

/// The person acting (checked against the household register or the authorisation) as the record's actor,
/// and what the audit entry adds about them. `service`'s cell for this party on this desk is checked first, so
/// a refusal of where names the channels this party could use.
pub(crate) async fn party_actor(
    ctx: &AppContext,
    p: &Principal,
    desk: &Desk,
    card: &sscard_domain::card::Card,
    service: Service,
    party: &CounterParty,
    reason: Option<&str>,
) -> Result<(Actor, Vec<Condition>, Option<String>), CardError> {
    let acting = match party.acting.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => Acting::Holder,
        Some(a) => Acting::parse(a).ok_or_else(|| CardError::Invalid(vec![fe("acting", "invalid_choice")]))?,
    };
    let conditions = crate::channel_policy::check(ctx, service, desk.channel, acting).await??;
    let mut actor = clerk_actor(p);
    actor.acting = acting;
    if acting == Acting::Holder {
        return Ok((actor, conditions, None));
    }
    let today = ctx.clock.now().date_naive();
    let agent = match party
        .agent_id_number
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        None => return Err(CardError::Invalid(vec![fe("agent_id_number", "required")])),
        Some(a) => IdNumber::parse(a, today)
            .map_err(|_| CardError::Invalid(vec![fe("agent_id_number", "id_number_invalid")]))?,
    };
    if agent == card.holder {
        return Err(CardError::Invalid(vec![fe("agent_id_number", "proxy_is_holder")]));
    }
    actor.agent = Some(agent.clone());
    let mut note = format!("agent:{}:{}", acting.as_str(), agent.masked());
    match acting {
        Acting::Guardian => {
            let listed = sscard_domain::minor::is_minor(&card.holder, today)
                && super::is_guardian(ctx, &agent, &card.holder).await?;
            if !listed {
                return Err(CardError::Invalid(vec![fe("agent_id_number", "not_guardian")]));
            }
        }
        Acting::Proxy if conditions.contains(&Condition::CaseDocuments) => {
            // Q33: the agent of a death, emigration or move out of the province, with that case's documents.
            if !matches!(reason, Some("death" | "emigration" | "moved_out")) {
                return Err(CardError::Invalid(vec![fe("reason", "invalid_choice")]));
            }
            let doc = match sscard_domain::values::FreeText::parse(party.case_document.as_deref().unwrap_or(""), 100) {
                Ok(d) => d,
                Err(e) => {
                    use sscard_domain::values::ErrorCode;
                    return Err(CardError::Invalid(vec![fe("case_document", e.code())]));
                }
            };
            note.push_str(&format!(";case:{doc}"));
        }
        Acting::Proxy => super::proxies::covers(ctx, card, &actor, service).await?,
        Acting::Holder => {}
    }
    Ok((actor, conditions, Some(note)))
}

/// The audit note of a counter's act: the identity document checked, and who acted for the holder.
pub(crate) fn desk_note(identity: &IdentityCheck, card: &sscard_domain::card::Card, agent: Option<String>) -> String {
    let mut base = format!("identity:{}:{}", identity.document.trim(), card.holder.masked());
    if identity.card_presented {
        base.push_str(";card:presented");
    }
    match agent {
        Some(a) => format!("{base};{a}"),
        None => base,
    }
}

/// The identity document the clerk checked: its kind (`id_card`, `passport`, …) and number.
#[derive(Debug, Clone, Default)]
pub struct IdentityCheck {
    pub document: String,
    pub number: String,
    /// The card itself was handed over: the original is needed where the card is given up (a 换领, a bank
    /// change: the card is recovered).
    pub card_presented: bool,
}

/// The original card is required where the card is given up at the counter.
pub(crate) fn original_errors(identity: &IdentityCheck) -> Vec<crate::records::FieldError> {
    if identity.card_presented {
        Vec::new()
    } else {
        vec![fe("card_presented", "card_required")]
    }
}

/// What is wrong with the identity document presented for `card`: it must be named, and be the holder's.
pub(crate) fn identity_errors(
    ctx: &AppContext,
    identity: &IdentityCheck,
    card: &sscard_domain::card::Card,
) -> Vec<crate::records::FieldError> {
    let mut errors = Vec::new();
    if identity.document.trim().is_empty() {
        errors.push(fe("identity_document", "required"));
    }
    match IdNumber::parse(&identity.number, ctx.clock.now().date_naive()) {
        Ok(n) if n == card.holder => {}
        Ok(_) => errors.push(fe("identity_number", "identity_mismatch")),
        Err(_) => errors.push(fe("identity_number", "id_number_invalid")),
    }
    errors
}

/// The state changes a counter performs through [`perform`] (the password, information, replacement and the
/// rest have their own use cases).
pub const AT_COUNTER: [Service; 7] = [
    Service::Activation,
    Service::FinancialActivation,
    Service::TemporaryLoss,
    Service::FormalLoss,
    Service::Release,
    Service::Cancellation,
    Service::BankChange,
];

/// Does `service` on card `number` for the holder in front of the clerk (or their guardian or proxy).
#[allow(clippy::too_many_arguments)]
pub async fn perform(
    ctx: &AppContext,
    p: &Principal,
    number: &str,
    service: Service,
    identity: &IdentityCheck,
    party: &CounterParty,
    req: &ServiceRequest,
    meta: &Meta,
) -> Result<CardView, CardError> {
    let desk = desk(p)?;
    let card = super::card_now(ctx, number).await?;
    let (actor, conditions, agent) = party_actor(
        ctx,
        p,
        &desk,
        &card,
        service,
        party,
        req.reason.as_deref().map(str::trim),
    )
    .await?;
    if !AT_COUNTER.contains(&service) {
        return Err(CardError::NotFound);
    }
    // The holder's document is presented (by whoever acts), and it is recorded; the card itself where it is
    // recovered.
    let mut errors = identity_errors(ctx, identity, &card);
    if service == Service::BankChange {
        errors.extend(original_errors(identity));
    }
    if !errors.is_empty() {
        return Err(CardError::Invalid(errors));
    }
    let mut req = ServiceRequest {
        place: Some(desk.place.clone()),
        audit_note: Some(desk_note(identity, &card, agent)),
        ..req.clone()
    };
    for c in conditions {
        match c {
            Condition::IssuingBank if desk.bank.as_deref() != Some(card.bank.as_str()) => {
                return Err(CardError::Refused(CardRefusal::IssuingBankOnly));
            }
            Condition::SocialSecurityOnly => req.social_security_only = true,
            Condition::FormalSocialSecurityLossOnly if card.social_security != SocialSecurityState::FormalLoss => {
                return Err(CardError::Refused(CardRefusal::FormalLossOnly));
            }
            Condition::FormalSocialSecurityLossOnly => req.social_security_only = true,
            _ => {}
        }
    }
    if service == Service::BankChange {
        bank_change_allowed(ctx, &card).await?;
    }
    let acting = actor.acting;
    change_card(ctx, p, &card, service, actor, &req, meta).await?;
    let card = super::card_now(ctx, number).await?;
    view_of(ctx, card, acting, desk.channel).await
}

/// Q26: a holder changes bank again only six months after the last change; the refusal names the first day.
async fn bank_change_allowed(ctx: &AppContext, card: &sscard_domain::card::Card) -> Result<(), CardError> {
    if let Some(last) = ctx.store.last_bank_change(&card.holder).await? {
        let allowed_from = sscard_domain::card::lifecycle::bank_change_allowed_from(last.date_naive());
        if ctx.clock.now().date_naive() < allowed_from {
            return Err(CardError::Refused(CardRefusal::BankChangeTooSoon { allowed_from }));
        }
    }
    Ok(())
}

/// Resets the card's service password at the counter (a locked one too): the identity document in front of the
/// clerk is the identity check the online reset makes with a texted code and a face. The wrong tries are
/// forgotten with the new password.
#[allow(clippy::too_many_arguments)]
pub async fn reset_password(
    ctx: &AppContext,
    p: &Principal,
    number: &str,
    identity: &IdentityCheck,
    party: &CounterParty,
    new: &str,
    meta: &Meta,
) -> Result<CardView, CardError> {
    let desk = desk(p)?;
    let card = super::card_now(ctx, number).await?;
    let (actor, _, agent) = party_actor(ctx, p, &desk, &card, Service::PasswordReset, party, None).await?;
    let mut errors = identity_errors(ctx, identity, &card);
    let new = match ServicePassword::parse_new(new, &card.holder) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.push(fe("new", e.code()));
            None
        }
    };
    let (Some(new), true) = (new, errors.is_empty()) else {
        return Err(CardError::Invalid(errors));
    };
    let acting = actor.acting;
    super::password::store_new(
        ctx,
        p,
        &card,
        actor,
        Service::PasswordReset,
        &new,
        Some(desk.place.clone()),
        Some(desk_note(identity, &card, agent)),
        meta,
    )
    .await?;
    let card = super::card_now(ctx, number).await?;
    view_of(ctx, card, acting, desk.channel).await
}
