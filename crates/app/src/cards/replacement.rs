//! Asking for a replacement (SPEC §7.2, Q18–Q23): 补领 of a lost card at its issuing bank's counter after the
//! formal loss; 换领 of a damaged card (or one whose printed fields changed) online where the bank supports it,
//! or at the counter. The request, the old card's change (a lost card ends at once), the production order due in
//! 4 working days, the bank's event and the audit entry are one write. An equipped branch outside the campaign
//! makes the card at once (an instant card): the order is recorded as made and the new card handed over.
//! When the new card is activated, a card in hand that it replaces ends ([`retirement`]).

use sscard_domain::access::Channel;
use sscard_domain::account::Principal;
use sscard_domain::audit::{AuditAction, Outcome};
use sscard_domain::card::channels::{Condition, Service, WrongChannel};
use sscard_domain::card::lifecycle::{CardRefusal, Reason};
use sscard_domain::card::replacement::{ReplacementCause, ReplacementState, REPLACEMENT_WORKING_DAYS};
use sscard_domain::card::transition::{Actor, CardTransition};
use sscard_domain::card::{Card, SocialSecurityState};
use sscard_domain::orders::BankReport;

use super::counter::{identity_errors, CounterParty, Desk, IdentityCheck};
use super::services::{settle_expired, write_for};
use super::CardError;
use crate::auth::Meta;
use crate::ports::{BranchFilter, CardWriteOutcome, ReplacementOrder, RetiredCard};
use crate::records::fe;
use crate::secrets::new_id;
use crate::AppContext;

/// What the caller asks for.
#[derive(Debug, Clone, Default)]
pub struct ReplacementRequest {
    /// `lost`, `damaged` or `printed_field_changed`.
    pub cause: String,
    /// Online: the branch of the card's bank where the new card is collected (default: the card's own).
    pub branch: Option<String>,
    /// At an equipped branch: the instant card made at the counter (its number and masked account).
    pub instant: Option<(String, String)>,
    pub key: Option<String>,
}

fn cause_of(req: &ReplacementRequest) -> Result<ReplacementCause, CardError> {
    ReplacementCause::parse(req.cause.trim()).ok_or_else(|| CardError::Invalid(vec![fe("cause", "invalid_choice")]))
}

/// Where the replacement is asked for.
enum Place<'a> {
    Online,
    /// The desk, the document checked, and who acted for the holder (audit note).
    Counter(&'a Desk, &'a IdentityCheck, Option<String>),
}

/// Online 换领, by the holder or a guardian, at a bank that supports it; the order and the card as they stand.
pub async fn request_online(
    ctx: &AppContext,
    p: &Principal,
    number: &str,
    req: &ReplacementRequest,
    meta: &Meta,
) -> Result<(ReplacementOrder, Card), CardError> {
    let stored = ctx.store.card(number).await?.ok_or(CardError::NotFound)?;
    let actor = super::actor_for(ctx, p, &stored).await?;
    request(ctx, p, stored, actor, Place::Online, req, meta).await
}

/// At a bank counter, for the holder in front of the clerk.
pub async fn request_at_counter(
    ctx: &AppContext,
    p: &Principal,
    number: &str,
    identity: &IdentityCheck,
    party: &CounterParty,
    req: &ReplacementRequest,
    meta: &Meta,
) -> Result<(ReplacementOrder, Card), CardError> {
    let desk = super::counter::desk(p)?;
    let stored = ctx.store.card(number).await?.ok_or(CardError::NotFound)?;
    let online = online_possible(ctx, &stored, req).await?;
    let (actor, _, agent) = super::counter::party_actor(ctx, p, &desk, &stored, Service::Replacement, party, None)
        .await
        .map_err(|e| match e {
            CardError::WrongChannel(mut w) => {
                w.alternatives.retain(|ch| !ch.is_online() || online);
                CardError::WrongChannel(w)
            }
            other => other,
        })?;
    request(ctx, p, stored, actor, Place::Counter(&desk, identity, agent), req, meta).await
}

/// Whether this card could be replaced online for this cause (its bank takes it online, and it is in hand): a
/// refusal of where names the online channels only then.
async fn online_possible(ctx: &AppContext, card: &Card, req: &ReplacementRequest) -> Result<bool, CardError> {
    let in_hand = cause_of(req).is_ok_and(|c| !c.is_reissue());
    Ok(in_hand
        && ctx
            .store
            .banks()
            .await?
            .iter()
            .any(|b| b.code == card.bank && b.supports_online_replacement))
}

async fn request(
    ctx: &AppContext,
    p: &Principal,
    stored: Card,
    actor: Actor,
    place: Place<'_>,
    req: &ReplacementRequest,
    meta: &Meta,
) -> Result<(ReplacementOrder, Card), CardError> {
    let channel = match place {
        Place::Online => p.channel,
        Place::Counter(desk, ..) => desk.channel,
    };
    let bank = ctx
        .store
        .banks()
        .await?
        .into_iter()
        .find(|b| b.code == stored.bank)
        .ok_or(CardError::NotFound)?;
    // Where else: online only for a card in hand at a bank that takes it online.
    let online = online_possible(ctx, &stored, req).await?;
    let conditions = crate::channel_policy::check(ctx, Service::Replacement, channel, actor.acting)
        .await?
        .map_err(|mut e| {
            e.alternatives.retain(|ch| !ch.is_online() || online);
            e
        })?;
    let cause = cause_of(req)?;
    for c in &conditions {
        match (c, &place) {
            // 补领 is the issuing bank's, with the ID document (SPEC §7.2): never online.
            (Condition::OnlineReplacementBank, _) if cause.is_reissue() => {
                return Err(CardError::WrongChannel(WrongChannel {
                    service: Service::Replacement,
                    channel,
                    acting: actor.acting,
                    alternatives: vec![Channel::BankOutlet],
                }));
            }
            (Condition::OnlineReplacementBank, _) if !bank.supports_online_replacement => {
                return Err(CardError::Refused(CardRefusal::NoOnlineReplacement));
            }
            (Condition::IssuingBank, Place::Counter(desk, ..))
                if desk.bank.as_deref() != Some(stored.bank.as_str()) =>
            {
                return Err(CardError::Refused(CardRefusal::IssuingBankOnly));
            }
            _ => {}
        }
    }
    // Where the new card is collected: the counter's own branch, or a branch of the card's bank.
    let branches = ctx
        .store
        .branches(&BranchFilter {
            bank: Some(stored.bank.clone()),
            ..BranchFilter::default()
        })
        .await?;
    let branch_code = match &place {
        Place::Counter(desk, ..) => desk.place.clone(),
        Place::Online => match req.branch.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
            Some(b) => b.to_string(),
            None => stored.branch.clone().unwrap_or_default(),
        },
    };
    let branch = branches
        .iter()
        .find(|b| b.code == branch_code && (b.accepts_pickup || req.instant.is_some()));
    let mut errors = Vec::new();
    if let Place::Counter(_, identity, _) = &place {
        errors.extend(identity_errors(ctx, identity, &stored));
        // 换领: the old card is handed in (a lost one cannot be).
        if !cause.is_reissue() {
            errors.extend(super::counter::original_errors(identity));
        }
    }
    if branch.is_none() {
        errors.push(fe("branch", "branch_not_found"));
    }
    let instant = match &req.instant {
        None => None,
        Some(_) if matches!(place, Place::Online) => return Err(CardError::Invalid(vec![fe("instant", "not_online")])),
        Some((number, account)) => match crate::bank::card_details(number, account) {
            Ok(d) => Some(d),
            Err(e) => {
                errors.extend(e);
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(CardError::Invalid(errors));
    }
    let branch = branch.ok_or(CardError::NotFound)?;
    if req.instant.is_some() {
        // The instant card's own cell: equipped branches, not during the campaign.
        crate::channel_policy::check(ctx, Service::InstantCard, channel, actor.acting).await??;
        if !branch.instant_issuance {
            return Err(CardError::Refused(CardRefusal::NotEquipped));
        }
        if crate::campaign::running(ctx).await? {
            return Err(CardError::Refused(CardRefusal::DuringCampaign));
        }
    }
    if let Some((new_number, _)) = &instant {
        if ctx.store.card(new_number).await?.is_some() {
            return Err(CardError::Invalid(vec![fe("card_number", "card_number_taken")]));
        }
    }
    settle_expired(ctx, &stored).await?;
    let card = super::card_now(ctx, &stored.number).await?;
    let change = card.replacement(cause)?;
    let now = ctx.clock.now();
    let today = now.date_naive();
    let due = crate::calendar::due_date(ctx, today, REPLACEMENT_WORKING_DAYS).await?;
    let order = ReplacementOrder {
        id: new_id(),
        card: card.number.clone(),
        holder: card.holder.clone(),
        application: card.application.clone(),
        bank: card.bank.clone(),
        branch: branch.code.clone(),
        cause,
        state: if instant.is_some() {
            ReplacementState::InProduction
        } else {
            ReplacementState::Ordered
        },
        instant: instant.is_some(),
        created_at: now,
        due,
        pulled_at: instant.is_some().then_some(now),
        lease_until: None,
        acknowledged_at: None,
        new_card: None,
        masked_account: None,
        tracking_number: None,
        reject_reason: None,
    };
    let reason = match cause {
        ReplacementCause::Lost => Reason::Lost,
        ReplacementCause::Damaged => Reason::Damaged,
        ReplacementCause::PrintedFieldChanged => Reason::Requested,
    };
    let (place_code, note) = match &place {
        Place::Online => (None, None),
        Place::Counter(desk, identity, agent) => (
            Some(desk.place.clone()),
            Some(super::counter::desk_note(identity, &card, agent.clone())),
        ),
    };
    let key = super::services::parse_key(req.key.as_deref())?;
    let t = CardTransition::of(
        &card.number,
        &change,
        now,
        reason,
        None,
        Some(channel),
        actor,
        place_code,
        key,
    );
    let record = match note {
        Some(n) => format!("card:{}:replacement:{};{n}", card.number, order.id),
        None => format!("card:{}:replacement:{}", card.number, order.id),
    };
    let audit = super::card_entry(ctx, p, AuditAction::StateChanged, Outcome::Success, record, &card, meta);
    let mut w = write_for(ctx, &card, &change, t, None, audit).await?;
    w.replacement = Some(order.clone());
    match ctx.store.write_card_change(&w).await? {
        CardWriteOutcome::Done => {}
        CardWriteOutcome::KeyUsed => return answer_for_key(ctx, &card).await,
        CardWriteOutcome::StateChanged => return Err(CardError::StateChanged),
    }
    if let Some((number, account)) = instant {
        // Made at the counter and handed over there: produced and collected in one step.
        let new_card = crate::bank::new_card(&order, &number, &account, today);
        let report = crate::ports::ReplacementReport {
            order: order.id.clone(),
            from: ReplacementState::InProduction,
            to: ReplacementState::Collected,
            at: now,
            details: crate::ports::ReportDetails {
                card_number: Some(number),
                masked_account: Some(account),
                ..Default::default()
            },
            new_card: Some(new_card),
            notify: None,
            acknowledges: true,
        };
        if ctx.store.apply_replacement_report(&report).await? == crate::ports::ReportWrite::CardNumberTaken {
            return Err(CardError::Invalid(vec![fe("card_number", "card_number_taken")]));
        }
    }
    let order = ctx
        .store
        .replacement_order(&order.id)
        .await?
        .ok_or(CardError::NotFound)?;
    Ok((order, super::card_now(ctx, &card.number).await?))
}

/// A request repeated with its key: what the first one made.
async fn answer_for_key(ctx: &AppContext, card: &Card) -> Result<(ReplacementOrder, Card), CardError> {
    let order = ctx
        .store
        .replacements_of_card(&card.number)
        .await?
        .pop()
        .ok_or(CardError::StateChanged)?;
    Ok((order, super::card_now(ctx, &card.number).await?))
}

/// When `card` is a replacement being activated (its social-security function leaves `pending_activation`),
/// the end of the card it replaces, recorded as the same person's act on the same channel.
pub(crate) async fn retirement(
    ctx: &AppContext,
    card: &Card,
    t: &CardTransition,
) -> Result<Option<RetiredCard>, CardError> {
    let activates = t.social_security.0 == SocialSecurityState::PendingActivation
        && t.social_security.1 == SocialSecurityState::Active;
    let Some(old) = card.links.replaces.as_ref().filter(|_| activates) else {
        return Ok(None);
    };
    let Some(old) = ctx.store.card(old).await? else {
        return Ok(None);
    };
    Ok(old.retired_by_replacement().map(|change| RetiredCard {
        transition: CardTransition::of(
            &old.number,
            &change,
            t.at,
            Reason::Replaced,
            None,
            t.channel,
            t.actor.clone(),
            t.place.clone(),
            None,
        ),
        bank_event: (new_id(), old.bank.clone()),
    }))
}

/// A bank's report on a replacement order: moves it, creates the new card when produced (linked both ways),
/// texts the holder when it waits at the branch. `Ok(false)` when it was already applied.
pub async fn report(
    ctx: &AppContext,
    order: &ReplacementOrder,
    report: &BankReport,
) -> Result<bool, crate::bank::BankError> {
    use crate::bank::BankError;
    use sscard_domain::card::replacement::ReplacementStep;
    let details = crate::bank::details(report)?;
    let to = match order.state.after(report) {
        Ok(ReplacementStep::AlreadyApplied) => return Ok(false),
        Ok(ReplacementStep::Move(to)) => to,
        Err(e) => {
            return Err(BankError::ReplacementOutOfOrder {
                state: e.state,
                expected: e.expected,
            })
        }
    };
    let now = ctx.clock.now();
    let new_card = match (&details.card_number, &details.masked_account) {
        (Some(n), Some(a)) => Some(crate::bank::new_card(order, n, a, now.date_naive())),
        _ => None,
    };
    let notify = match (to, ctx.store.card(&order.card).await?) {
        (ReplacementState::ReadyForPickup, Some(old)) => {
            let new = order.new_card.clone().unwrap_or_default();
            let branch = ctx
                .store
                .branches(&BranchFilter {
                    bank: Some(order.bank.clone()),
                    ..BranchFilter::default()
                })
                .await?
                .into_iter()
                .find(|b| b.code == order.branch)
                .map(|b| b.name)
                .unwrap_or_else(|| order.branch.clone());
            super::holder_mobile(ctx, &old)
                .await?
                .map(|mobile| crate::ports::SmsMessage {
                    id: new_id(),
                    mobile,
                    body: sscard_domain::card::texts::replacement_ready_message(&old.number, &new, &branch),
                    created_at: now,
                    attempts: 0,
                })
        }
        _ => None,
    };
    let written = ctx
        .store
        .apply_replacement_report(&crate::ports::ReplacementReport {
            order: order.id.clone(),
            from: order.state,
            to,
            at: now,
            details,
            new_card,
            notify,
            acknowledges: matches!(report, BankReport::Accepted | BankReport::Rejected { .. }),
        })
        .await?;
    match written {
        crate::ports::ReportWrite::Done => Ok(true),
        crate::ports::ReportWrite::CardNumberTaken => Err(BankError::CardNumberTaken),
        // Another report moved it first: judge this one against where it now stands.
        crate::ports::ReportWrite::StateChanged => {
            let now_order = ctx
                .store
                .replacement_order(&order.id)
                .await?
                .ok_or(BankError::NotFound)?;
            match now_order.state.after(report) {
                Ok(ReplacementStep::AlreadyApplied) => Ok(false),
                Ok(ReplacementStep::Move(_)) => Err(BankError::ReplacementOutOfOrder {
                    state: now_order.state,
                    expected: vec![order.state],
                }),
                Err(e) => Err(BankError::ReplacementOutOfOrder {
                    state: e.state,
                    expected: e.expected,
                }),
            }
        }
    }
}
