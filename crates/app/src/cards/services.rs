//! One service on one card, by the holder or a guardian, on the caller's channel: the channel matrix decides
//! whether it may be done here (a refusal names where instead), the card decides whether it can be done now,
//! and the change is written whole (state, record, text to the holder, the issuing bank's event, audit entry).
//! A request key makes a retry answer what the first request did.

use sscard_domain::account::Principal;
use sscard_domain::audit::{AuditAction, Outcome};
use sscard_domain::card::channels::Service;
use sscard_domain::card::lifecycle::{Change, Reason};
use sscard_domain::card::texts::change_message;
use sscard_domain::card::transition::{Actor, CardTransition, ReasonText};
use sscard_domain::card::Card;

use super::status::CardView;
use super::{actor_for, holder_mobile, CardError};
use crate::auth::Meta;
use crate::ports::{CardWrite, CardWriteOutcome, SmsMessage};
use crate::records::fe;
use crate::secrets::new_id;
use crate::AppContext;

/// What the caller asks for.
#[derive(Debug, Clone, Default)]
pub struct ServiceRequest {
    /// A reason code (`lost`, `stolen`, `other`… for a loss); the service's default when absent.
    pub reason: Option<String>,
    /// Free text, required with the reason `other`.
    pub reason_text: Option<String>,
    /// The request's idempotency key.
    pub key: Option<String>,
    /// The outlet or branch where a counter does it (recorded with the change).
    pub place: Option<String>,
    /// A counter that may touch the social-security function only (a district outlet's formal loss or
    /// cancellation): the financial function is left as it is.
    pub social_security_only: bool,
    /// What the change's audit entry adds to its record (a counter's identity check: the document and the
    /// masked number), so it commits with the change.
    pub audit_note: Option<String>,
}

/// The services a holder or guardian performs through this module.
const ONLINE_CHANGES: [Service; 2] = [Service::Activation, Service::TemporaryLoss];

fn reason_of(service: Service, req: &ServiceRequest) -> Result<(Reason, Option<ReasonText>), CardError> {
    let bad = |code| CardError::Invalid(vec![fe("reason", code)]);
    let loss = matches!(service, Service::TemporaryLoss | Service::FormalLoss);
    let reason = match req.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None if loss => Reason::Lost,
        // A cancellation says why (death, emigration, moving out of the province; Q33).
        None if service == Service::Cancellation => return Err(bad("required")),
        None if service == Service::BankChange => Reason::BankChange,
        None => Reason::Requested,
        Some(code) => Reason::parse(code).ok_or_else(|| bad("invalid_choice"))?,
    };
    let fits = match service {
        _ if loss => reason.for_loss(),
        Service::Cancellation => matches!(
            reason,
            Reason::Death | Reason::Emigration | Reason::MovedOut | Reason::Other
        ),
        Service::Release => matches!(reason, Reason::Requested | Reason::Found),
        Service::BankChange => reason == Reason::BankChange,
        _ => reason == Reason::Requested,
    };
    if !fits {
        return Err(bad("invalid_choice"));
    }
    let text = match (
        reason,
        req.reason_text.as_deref().map(str::trim).filter(|t| !t.is_empty()),
    ) {
        (Reason::Other, Some(t)) => {
            Some(ReasonText::parse(t).map_err(|_| CardError::Invalid(vec![fe("reason_text", "reason_text_invalid")]))?)
        }
        (Reason::Other, None) => return Err(CardError::Invalid(vec![fe("reason_text", "reason_text_required")])),
        (_, _) => None,
    };
    Ok((reason, text))
}

pub(crate) fn parse_key(key: Option<&str>) -> Result<Option<String>, CardError> {
    match key.map(str::trim) {
        None | Some("") => Ok(None),
        Some(k) if k.len() <= 100 && k.bytes().all(|b| b.is_ascii_graphic()) => Ok(Some(k.to_string())),
        Some(_) => Err(CardError::Invalid(vec![fe(
            "idempotency_key",
            "idempotency_key_invalid",
        )])),
    }
}

/// Makes a temporary loss that has run out durable before anything else is decided on the card (the release
/// job may not have come by yet); a race with the job is harmless: one of the two writes it.
pub(crate) async fn settle_expired(ctx: &AppContext, card: &Card) -> Result<(), CardError> {
    let now = ctx.clock.now();
    if let Some(change) = card.expired_loss(now) {
        let t = CardTransition::of(
            &card.number,
            &change,
            now,
            Reason::LossExpired,
            None,
            None,
            Actor::system(),
            None,
            None,
        );
        let w = CardWrite {
            replacement: None,
            retire: None,
            fields: None,
            transition: t,
            loss_until: None,
            password_hash: None,
            bank_event: None,
            notify: None,
            ends_legacy_medical: false,
            info: None,
            audit: None,
        };
        ctx.store.write_card_change(&w).await?;
    }
    Ok(())
}

/// The text to the holder about `change`.
pub(crate) async fn notice(
    ctx: &AppContext,
    card: &Card,
    t: &CardTransition,
    loss_until: Option<chrono::DateTime<chrono::FixedOffset>>,
) -> Result<Option<SmsMessage>, CardError> {
    let Some(channel) = t.channel else {
        return Ok(None);
    };
    Ok(holder_mobile(ctx, card).await?.map(|mobile| SmsMessage {
        id: new_id(),
        mobile,
        body: change_message(
            &card.number,
            t.service,
            t.at,
            channel,
            t.actor.acting,
            t.actor.role,
            loss_until,
        ),
        created_at: t.at,
        attempts: 0,
    }))
}

/// The write of `change`, with everything that goes with it.
pub(crate) async fn write_for(
    ctx: &AppContext,
    card: &Card,
    change: &Change,
    t: CardTransition,
    password_hash: Option<String>,
    audit: sscard_domain::audit::AuditEntry,
) -> Result<CardWrite, CardError> {
    let notify = notice(ctx, card, &t, change.loss_until).await?;
    Ok(CardWrite {
        replacement: None,
        retire: None,
        fields: None,
        loss_until: change.loss_until,
        password_hash,
        bank_event: change.concerns_bank().then(|| (new_id(), card.bank.clone())),
        notify,
        // Q24: the new card's activation ends the medical function of the holder's legacy cards.
        ends_legacy_medical: card.generation == 3
            && change.social_security.0 == sscard_domain::card::SocialSecurityState::PendingActivation
            && change.social_security.1 == sscard_domain::card::SocialSecurityState::Active,
        audit: Some(audit),
        info: None,
        transition: t,
    })
}

/// Does `service` on card `number` for the signed-in holder or guardian, on their channel.
pub async fn perform(
    ctx: &AppContext,
    p: &Principal,
    number: &str,
    service: Service,
    req: &ServiceRequest,
    meta: &Meta,
) -> Result<CardView, CardError> {
    if !ONLINE_CHANGES.contains(&service) {
        return Err(CardError::NotFound);
    }
    let stored = ctx.store.card(number).await?.ok_or(CardError::NotFound)?;
    let actor = actor_for(ctx, p, &stored).await?;
    crate::channel_policy::check(ctx, service, p.channel, actor.acting).await??;
    super::proxies::covers(ctx, &stored, &actor, service).await?;
    let acting = actor.acting;
    change_card(ctx, p, &stored, service, actor, req, meta).await?;
    super::status::view_after(ctx, p, number, acting).await
}

/// Makes the change of `service` on `stored` for `actor` (who may do it on `p`'s channel: the caller checked),
/// with its record, text, bank event and audit entry; a repeated request key answers what the first did.
pub(crate) async fn change_card(
    ctx: &AppContext,
    p: &Principal,
    stored: &Card,
    service: Service,
    actor: Actor,
    req: &ServiceRequest,
    meta: &Meta,
) -> Result<(), CardError> {
    let number = stored.number.as_str();
    let key = parse_key(req.key.as_deref())?;
    let (reason, reason_text) = reason_of(service, req)?;
    if let Some(k) = &key {
        if let Some(done) = ctx.store.card_transition_by_key(number, k).await? {
            if done.service != service {
                return Err(CardError::Invalid(vec![fe(
                    "idempotency_key",
                    "idempotency_key_reused",
                )]));
            }
            return Ok(());
        }
    }
    settle_expired(ctx, stored).await?;
    let card = ctx.store.card(number).await?.ok_or(CardError::NotFound)?;
    let now = ctx.clock.now();
    let mut change = card.change(service, now)?;
    if req.social_security_only {
        change.financial = (card.financial, card.financial);
        if !change.moves() {
            return Err(CardError::Refused(
                sscard_domain::card::lifecycle::CardRefusal::SocialSecurityOnly,
            ));
        }
    }
    let t = CardTransition::of(
        number,
        &change,
        now,
        reason,
        reason_text,
        Some(p.channel),
        actor,
        req.place.clone(),
        key,
    );
    let audit = super::card_entry(
        ctx,
        p,
        AuditAction::StateChanged,
        Outcome::Success,
        match &req.audit_note {
            Some(note) => format!("card:{number}:{};{note}", service.as_str()),
            None => format!("card:{number}:{}", service.as_str()),
        },
        &card,
        meta,
    );
    let retire = super::replacement::retirement(ctx, &card, &t).await?;
    let mut w = write_for(ctx, &card, &change, t, None, audit).await?;
    w.retire = retire;
    match ctx.store.write_card_change(&w).await? {
        CardWriteOutcome::Done | CardWriteOutcome::KeyUsed => Ok(()),
        CardWriteOutcome::StateChanged => Err(CardError::StateChanged),
    }
}

/// A service this person cannot do through their own channel (counter services, the bank's): refused naming
/// where it can be done. Not a card of theirs: "not found" first, as everywhere.
pub async fn not_here(ctx: &AppContext, p: &Principal, number: &str, service: Service) -> Result<(), CardError> {
    let stored = ctx.store.card(number).await?.ok_or(CardError::NotFound)?;
    let actor = actor_for(ctx, p, &stored).await?;
    crate::channel_policy::check(ctx, service, p.channel, actor.acting).await??;
    // The matrix allows it here, but it is done at a counter (a later part of the card's life).
    Err(CardError::NotFound)
}
