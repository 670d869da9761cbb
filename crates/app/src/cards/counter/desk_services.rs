//! The desk's services that change no state: the service password's change with the old one, non-key
//! information (and, at the issuing bank only, the account's reserved mobile), the status query, and the bank's
//! own card fields (transport top-up, park pass). Each after the identity check, for the holder or whoever may
//! act for them here, recorded with the branch or outlet.

use sscard_domain::account::Principal;
use sscard_domain::audit::{AuditAction, Outcome};
use sscard_domain::card::channels::{Condition, Service};
use sscard_domain::card::lifecycle::{CardRefusal, Change, Reason};
use sscard_domain::card::password::ServicePassword;
use sscard_domain::card::transition::CardTransition;

use super::{desk, desk_note, identity_errors, party_actor, CounterParty, IdentityCheck};
use crate::auth::Meta;
use crate::cards::info::InfoIn;
use crate::cards::status::{view_of, CardView};
use crate::cards::CardError;
use crate::ports::{CardFields, CardWriteOutcome};
use crate::records::fe;
use crate::AppContext;

fn checked(ctx: &AppContext, identity: &IdentityCheck, card: &sscard_domain::card::Card) -> Result<(), CardError> {
    let errors = identity_errors(ctx, identity, card);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CardError::Invalid(errors))
    }
}

/// Changes the service password with the old one (five wrong tries across every channel lock it).
#[allow(clippy::too_many_arguments)]
pub async fn change_password(
    ctx: &AppContext,
    p: &Principal,
    number: &str,
    identity: &IdentityCheck,
    party: &CounterParty,
    old: &str,
    new: &str,
    meta: &Meta,
) -> Result<CardView, CardError> {
    let desk = desk(p)?;
    let card = crate::cards::card_now(ctx, number).await?;
    let (actor, _, agent) = party_actor(ctx, p, &desk, &card, Service::PasswordChange, party, None).await?;
    checked(ctx, identity, &card)?;
    let new = ServicePassword::parse_new(new, &card.holder).map_err(CardError::Password)?;
    let failed = crate::cards::card_entry(
        ctx,
        p,
        AuditAction::CardPasswordFailed,
        Outcome::Failure,
        format!("card:{number}"),
        &card,
        meta,
    );
    crate::cards::password::verify(ctx, &card, old, &failed).await?;
    let acting = actor.acting;
    crate::cards::password::store_new(
        ctx,
        p,
        &card,
        actor,
        Service::PasswordChange,
        &new,
        Some(desk.place.clone()),
        Some(desk_note(identity, &card, agent)),
        meta,
    )
    .await?;
    view_of(ctx, crate::cards::card_now(ctx, number).await?, acting, desk.channel).await
}

/// Changes the non-key information; the account's reserved mobile only at the issuing bank's counter.
pub async fn change_info(
    ctx: &AppContext,
    p: &Principal,
    number: &str,
    identity: &IdentityCheck,
    party: &CounterParty,
    input: &InfoIn,
    meta: &Meta,
) -> Result<CardView, CardError> {
    let desk = desk(p)?;
    let card = crate::cards::card_now(ctx, number).await?;
    let (actor, conditions, agent) = party_actor(ctx, p, &desk, &card, Service::InfoChange, party, None).await?;
    checked(ctx, identity, &card)?;
    let wants_financial = input.financial_mobile.as_deref().is_some_and(|m| !m.trim().is_empty());
    if wants_financial
        && (conditions.contains(&Condition::NotFinancialMobile) || desk.bank.as_deref() != Some(card.bank.as_str()))
    {
        return Err(CardError::FinancialMobile);
    }
    let (info, financial) = crate::cards::info::parse(ctx, input, true)?;
    let mut note = desk_note(identity, &card, agent);
    if let Some(m) = financial {
        // The bank changes it in its own system; the card's record says it was done, and where.
        note.push_str(&format!(";financial_mobile:{}", m.masked()));
    }
    let acting = actor.acting;
    crate::cards::info::record(ctx, p, &card, actor, info, Some(desk.place.clone()), Some(note), meta).await?;
    view_of(ctx, crate::cards::card_now(ctx, number).await?, acting, desk.channel).await
}

/// The card's state for the person in front of the clerk (audited as a read of the holder's card).
pub async fn status(
    ctx: &AppContext,
    p: &Principal,
    number: &str,
    identity: &IdentityCheck,
    party: &CounterParty,
    meta: &Meta,
) -> Result<CardView, CardError> {
    let desk = desk(p)?;
    let card = crate::cards::card_now(ctx, number).await?;
    let (actor, _, agent) = party_actor(ctx, p, &desk, &card, Service::StatusQuery, party, None).await?;
    checked(ctx, identity, &card)?;
    let e = crate::cards::card_entry(
        ctx,
        p,
        AuditAction::PersonRead,
        Outcome::Success,
        format!("card:{number}:status_query;{}", desk_note(identity, &card, agent)),
        &card,
        meta,
    );
    ctx.store.append_audit(&e).await?;
    view_of(ctx, card, actor.acting, desk.channel).await
}

/// A transport top-up (fen) or a park pass (year), recorded on the card at the issuing bank's counter.
#[allow(clippy::too_many_arguments)]
pub async fn record_fields(
    ctx: &AppContext,
    p: &Principal,
    number: &str,
    identity: &IdentityCheck,
    party: &CounterParty,
    top_up_fen: Option<i64>,
    park_pass_year: Option<u16>,
    meta: &Meta,
) -> Result<CardView, CardError> {
    let desk = desk(p)?;
    let card = crate::cards::card_now(ctx, number).await?;
    // One row of SPEC §7.4 with the instant card: the bank's counter; its own conditions are the instant
    // card's, not these.
    let (actor, _, agent) = party_actor(ctx, p, &desk, &card, Service::InstantCard, party, None).await?;
    if desk.bank.as_deref() != Some(card.bank.as_str()) {
        return Err(CardError::Refused(CardRefusal::IssuingBankOnly));
    }
    let mut errors = identity_errors(ctx, identity, &card);
    let today_year = chrono::Datelike::year(&ctx.clock.now());
    match top_up_fen {
        Some(f) if !(1..=100_000).contains(&f) => errors.push(fe("top_up_fen", "top_up_out_of_range")),
        _ => {}
    }
    match park_pass_year {
        Some(y) if i32::from(y) < today_year || i32::from(y) > today_year + 1 => {
            errors.push(fe("park_pass_year", "park_pass_year_invalid"))
        }
        _ => {}
    }
    if top_up_fen.is_none() && park_pass_year.is_none() {
        errors.push(fe("top_up_fen", "nothing_to_change"));
    }
    if !errors.is_empty() {
        return Err(CardError::Invalid(errors));
    }
    if card.social_security == sscard_domain::card::SocialSecurityState::Cancelled {
        return Err(CardError::Refused(CardRefusal::Cancelled));
    }
    let now = ctx.clock.now();
    let change = Change {
        service: Service::InstantCard,
        social_security: (card.social_security, card.social_security),
        financial: (card.financial, card.financial),
        loss_until: card.loss_until,
    };
    let t = CardTransition::of(
        number,
        &change,
        now,
        Reason::Requested,
        None,
        Some(desk.channel),
        actor.clone(),
        Some(desk.place.clone()),
        None,
    );
    let audit = crate::cards::card_entry(
        ctx,
        p,
        AuditAction::StateChanged,
        Outcome::Success,
        format!(
            "card:{number}:card_fields:top_up={}:park_pass={};{}",
            top_up_fen.unwrap_or(0),
            park_pass_year.map(|y| y.to_string()).unwrap_or_default(),
            desk_note(identity, &card, agent)
        ),
        &card,
        meta,
    );
    let mut w = crate::cards::services::write_for(ctx, &card, &change, t, None, audit).await?;
    w.fields = Some(CardFields {
        top_up_fen: top_up_fen.unwrap_or(0),
        park_pass_year,
    });
    match ctx.store.write_card_change(&w).await? {
        CardWriteOutcome::Done | CardWriteOutcome::KeyUsed => {}
        CardWriteOutcome::StateChanged => return Err(CardError::StateChanged),
    }
    view_of(
        ctx,
        crate::cards::card_now(ctx, number).await?,
        actor.acting,
        desk.channel,
    )
    .await
}
