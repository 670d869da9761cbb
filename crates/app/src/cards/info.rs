//! Non-key information change (Q31): the holder (or a guardian) changes the address, occupation or mobile on
//! record for the card, online or at an outlet; the financial account's reserved mobile is refused with the
//! channel that can change it (the issuing bank's counter). The change is recorded like every other, and the
//! holder is texted at the number on record before the change.

use sscard_domain::account::Principal;
use sscard_domain::audit::{AuditAction, Outcome};
use sscard_domain::card::channels::Service;
use sscard_domain::card::info::{Address, HolderInfo};
use sscard_domain::card::lifecycle::{Change, Reason};
use sscard_domain::card::transition::CardTransition;
use sscard_domain::codes::Table;
use sscard_domain::values::Mobile;

use super::services::write_for;
use super::{actor_for, CardError};
use crate::auth::Meta;
use crate::ports::CardWriteOutcome;
use crate::records::fe;
use crate::AppContext;

/// What the caller asks to change; an absent or empty field is left as it is.
#[derive(Debug, Clone, Default)]
pub struct InfoIn {
    pub address: Option<String>,
    pub occupation: Option<String>,
    pub mobile: Option<String>,
    /// The bank account's reserved mobile: never changed here.
    pub financial_mobile: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub async fn change(
    ctx: &AppContext,
    p: &Principal,
    number: &str,
    input: &InfoIn,
    meta: &Meta,
) -> Result<HolderInfo, CardError> {
    let card = super::card_now(ctx, number).await?;
    let actor = actor_for(ctx, p, &card).await?;
    crate::channel_policy::check(ctx, Service::InfoChange, p.channel, actor.acting).await??;
    if given(&input.financial_mobile).is_some() {
        return Err(CardError::FinancialMobile);
    }
    let info = parse(ctx, input, false)?.0;
    record(ctx, p, &card, actor, info, None, None, meta).await
}

/// The fields to change, and the financial account's reserved mobile when `financial_mobile_here` (the
/// issuing bank's counter); nothing given is refused.
pub(crate) fn parse(
    ctx: &AppContext,
    input: &InfoIn,
    financial_mobile_here: bool,
) -> Result<(HolderInfo, Option<Mobile>), CardError> {
    let mut errors = Vec::new();
    let mut info = HolderInfo::default();
    if let Some(a) = given(&input.address) {
        match Address::parse(a) {
            Ok(a) => info.address = Some(a),
            Err(code) => errors.push(fe("address", code)),
        }
    }
    if let Some(o) = given(&input.occupation) {
        if ctx.codes.contains(Table::Occupation, o) {
            info.occupation = Some(o.to_string());
        } else {
            errors.push(fe("occupation", "invalid_choice"));
        }
    }
    if let Some(m) = given(&input.mobile) {
        match Mobile::parse(m) {
            Ok(m) => info.mobile = Some(m),
            Err(_) => errors.push(fe("mobile", "mobile_invalid")),
        }
    }
    let mut financial = None;
    if let Some(m) = given(&input.financial_mobile).filter(|_| financial_mobile_here) {
        match Mobile::parse(m) {
            Ok(m) => financial = Some(m),
            Err(_) => errors.push(fe("financial_mobile", "mobile_invalid")),
        }
    }
    if !errors.is_empty() {
        return Err(CardError::Invalid(errors));
    }
    if info == HolderInfo::default() && financial.is_none() {
        return Err(CardError::Invalid(vec![fe("address", "nothing_to_change")]));
    }
    Ok((info, financial))
}

/// Records the change on the card (`place` and `note`: a counter's branch and identity check).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record(
    ctx: &AppContext,
    p: &Principal,
    card: &sscard_domain::card::Card,
    actor: sscard_domain::card::transition::Actor,
    info: HolderInfo,
    place: Option<String>,
    note: Option<String>,
    meta: &Meta,
) -> Result<HolderInfo, CardError> {
    let number = card.number.as_str();
    let now = ctx.clock.now();
    let change = Change {
        service: Service::InfoChange,
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
        Some(p.channel),
        actor,
        place,
        None,
    );
    let audit = super::card_entry(
        ctx,
        p,
        AuditAction::StateChanged,
        Outcome::Success,
        match note {
            Some(n) => format!("card:{number}:info_change;{n}"),
            None => format!("card:{number}:info_change"),
        },
        card,
        meta,
    );
    // The text goes to the number on record before the change: a changed number is what a thief would do.
    let mut w = write_for(ctx, card, &change, t, None, audit).await?;
    w.info = (info != HolderInfo::default()).then_some(info);
    match ctx.store.write_card_change(&w).await? {
        CardWriteOutcome::Done | CardWriteOutcome::KeyUsed => Ok(ctx.store.holder_info(number).await?),
        CardWriteOutcome::StateChanged => Err(CardError::StateChanged),
    }
}
