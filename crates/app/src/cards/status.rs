//! The read model of a card for the person who may act on it ("my card", a status query): each function's
//! state as of now, what can be done on this channel now, where else the rest can be done, the timeline of
//! changes, the automatic release time during a temporary loss, and the holder's legacy cards.

use sscard_domain::access::Channel;
use sscard_domain::account::Principal;
use sscard_domain::application::Application;
use sscard_domain::card::channels::{cell, Acting, Condition, Service};
use sscard_domain::card::password::{PasswordState, MAX_FAILURES};
use sscard_domain::card::replacement::ReplacementCause;
use sscard_domain::card::transition::CardTransition;
use sscard_domain::card::{Card, LegacyCardStatus};

use super::{actor_for, CardError};
use crate::AppContext;

/// A service not offered here, and the channels that offer it to this person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elsewhere {
    pub service: Service,
    pub channels: Vec<Channel>,
}

#[derive(Debug, Clone)]
pub struct CardView {
    /// As it stands now (a temporary loss past its end reads released).
    pub card: Card,
    pub acting: Acting,
    pub password: PasswordState,
    /// What this person can do on this channel now.
    pub here: Vec<Service>,
    /// What the card allows now but this channel does not, with where.
    pub elsewhere: Vec<Elsewhere>,
    /// Oldest first.
    pub transitions: Vec<CardTransition>,
    pub legacy: Vec<LegacyCardStatus>,
    /// The replacement asked for this card, with its due date and progress at the bank, and the name of the
    /// branch that hands it over.
    pub replacement: Option<(crate::ports::ReplacementOrder, String)>,
}

/// The services of the card's life a card view lists, in the order a holder reads them.
const LISTED: [Service; 13] = [
    Service::Activation,
    Service::TemporaryLoss,
    Service::Release,
    Service::FormalLoss,
    Service::FinancialActivation,
    Service::Replacement,
    Service::PasswordChange,
    Service::PasswordReset,
    Service::InfoChange,
    Service::StatusQuery,
    Service::Cancellation,
    Service::BankChange,
    Service::InstantCard,
];

/// Whether the card, as it stands, can take `service` at all (wherever it is done).
fn possible(card: &Card, service: Service, now: chrono::DateTime<chrono::FixedOffset>) -> bool {
    let cancelled = card.social_security == sscard_domain::card::SocialSecurityState::Cancelled;
    match service {
        Service::StatusQuery => true,
        Service::PasswordChange | Service::PasswordReset | Service::InfoChange | Service::InstantCard => !cancelled,
        Service::Replacement => ReplacementCause::ALL.into_iter().any(|c| card.replacement(c).is_ok()),
        s => card.change(s, now).is_ok(),
    }
}

/// The view of `card` for someone acting as `acting` on `channel`.
pub(crate) async fn view_of(
    ctx: &AppContext,
    card: Card,
    acting: Acting,
    channel: Channel,
) -> Result<CardView, CardError> {
    let now = ctx.clock.now();
    let card = card.at(now);
    let secret = ctx.store.card_secret(&card.number).await?.ok_or(CardError::NotFound)?;
    let password = match (&secret.hash, secret.failures >= MAX_FAILURES) {
        (_, true) => PasswordState::Locked,
        (None, false) => PasswordState::Initial,
        (Some(_), false) => PasswordState::Set,
    };
    let mut here = Vec::new();
    let mut elsewhere = Vec::new();
    let suspended = crate::channel_policy::suspensions(ctx).await?;
    for s in LISTED {
        if !possible(&card, s, now) {
            continue;
        }
        match sscard_domain::card::channels::check_with(s, channel, acting, &suspended) {
            // Online only a card in hand (换领), and only at a bank that takes it online; else its counter.
            Ok(conditions) if conditions.contains(&Condition::OnlineReplacementBank) => {
                let in_hand = card.replacement(ReplacementCause::Damaged).is_ok();
                if in_hand && online_replacement(ctx, &card.bank).await? {
                    here.push(s);
                } else {
                    elsewhere.push(Elsewhere {
                        service: s,
                        channels: vec![Channel::BankOutlet],
                    });
                }
            }
            Ok(_) => here.push(s),
            Err(e) => {
                // A channel whose condition this card does not meet is not "where else" (a district outlet
                // releases only a formal loss).
                let channels: Vec<Channel> = e
                    .alternatives
                    .into_iter()
                    .filter(|ch| {
                        !(cell(s, *ch, acting)
                            .conditions
                            .contains(&Condition::FormalSocialSecurityLossOnly)
                            && card.social_security != sscard_domain::card::SocialSecurityState::FormalLoss)
                    })
                    .collect();
                if !channels.is_empty() {
                    elsewhere.push(Elsewhere { service: s, channels });
                }
            }
        }
    }
    let ended = ctx.store.legacy_medical_ended(&card.holder).await?;
    let legacy = ctx
        .store
        .person(&card.holder)
        .await?
        .map(|p| p.legacy_cards)
        .unwrap_or_default()
        .into_iter()
        .map(|l| LegacyCardStatus {
            generation: l.generation,
            bank: l.bank,
            medical_ended_at: ended,
        })
        .collect();
    let transitions = ctx.store.card_transitions(&card.number).await?;
    let replacement = match &card.links.replacement_order {
        Some(id) => match ctx.store.replacement_order(id).await? {
            Some(r) => {
                let filter = crate::ports::BranchFilter {
                    bank: Some(r.bank.clone()),
                    ..Default::default()
                };
                let name = ctx
                    .store
                    .branches(&filter)
                    .await?
                    .into_iter()
                    .find(|b| b.code == r.branch)
                    .map_or_else(|| r.branch.clone(), |b| b.name);
                Some((r, name))
            }
            None => None,
        },
        None => None,
    };
    Ok(CardView {
        card,
        acting,
        password,
        here,
        elsewhere,
        transitions,
        legacy,
        replacement,
    })
}

/// Whether the card's bank takes replacements online.
async fn online_replacement(ctx: &AppContext, bank: &str) -> Result<bool, CardError> {
    Ok(ctx
        .store
        .banks()
        .await?
        .iter()
        .any(|b| b.code == bank && b.supports_online_replacement))
}

/// One card for the signed-in holder, guardian or proxy (a status query: a proxy's authorisation must cover it).
pub async fn view(ctx: &AppContext, p: &Principal, number: &str) -> Result<CardView, CardError> {
    let card = ctx.store.card(number).await?.ok_or(CardError::NotFound)?;
    let actor = actor_for(ctx, p, &card).await?;
    crate::channel_policy::check(ctx, Service::StatusQuery, p.channel, actor.acting).await??;
    super::proxies::covers(ctx, &card, &actor, Service::StatusQuery).await?;
    let mut v = view_of(ctx, card, actor.acting, p.channel).await?;
    limit_to_authorisation(ctx, p, &mut v).await?;
    Ok(v)
}

/// The card as it stands after a service `acting` just did on it: the answer to that service (no second look
/// at who the caller is, and no status query needed in a proxy's authorisation for it).
pub(crate) async fn view_after(
    ctx: &AppContext,
    p: &Principal,
    number: &str,
    acting: Acting,
) -> Result<CardView, CardError> {
    let card = ctx.store.card(number).await?.ok_or(CardError::NotFound)?;
    let mut v = view_of(ctx, card, acting, p.channel).await?;
    limit_to_authorisation(ctx, p, &mut v).await?;
    Ok(v)
}

/// A proxy is offered only what their authorisations for this holder cover.
async fn limit_to_authorisation(ctx: &AppContext, p: &Principal, v: &mut CardView) -> Result<(), CardError> {
    if v.acting != Acting::Proxy {
        return Ok(());
    }
    let today = ctx.clock.now().date_naive();
    let auths = super::proxies::mine(ctx, p).await?;
    let covered = |s: &Service| auths.iter().any(|a| a.holder == v.card.holder && a.covers(*s, today));
    v.here.retain(covered);
    v.elsewhere.retain(|e| covered(&e.service));
    Ok(())
}

/// "My card": the holder's own cards, then those of the minors they are a listed guardian of; and the
/// applications still on their way to a card (the production progress).
#[derive(Debug, Clone, Default)]
pub struct MyCards {
    pub cards: Vec<CardView>,
    pub in_progress: Vec<Application>,
}

pub async fn my_cards(ctx: &AppContext, p: &Principal) -> Result<MyCards, CardError> {
    let Some(me) = p.account.id_number.clone() else {
        return Ok(MyCards::default());
    };
    let today = ctx.clock.now().date_naive();
    let mut out = MyCards::default();
    for card in ctx.store.cards_of(&me).await? {
        out.cards.push(view_of(ctx, card, Acting::Holder, p.channel).await?);
    }
    let mut people = vec![me.clone()];
    for g in ctx.store.guardianships_of_guardian(&me).await? {
        if !sscard_domain::minor::is_minor(&g.child, today) {
            continue;
        }
        for card in ctx.store.cards_of(&g.child).await? {
            out.cards.push(view_of(ctx, card, Acting::Guardian, p.channel).await?);
        }
        people.push(g.child);
    }
    // The cards of holders who authorised this resident as their proxy.
    let today_auths = super::proxies::mine(ctx, p).await?;
    let mut seen = Vec::new();
    for a in &today_auths {
        if seen.contains(&a.holder) || people.contains(&a.holder) {
            continue;
        }
        seen.push(a.holder.clone());
        for card in ctx.store.cards_of(&a.holder).await? {
            let mut v = view_of(ctx, card, Acting::Proxy, p.channel).await?;
            limit_to_authorisation(ctx, p, &mut v).await?;
            out.cards.push(v);
        }
    }
    for person in &people {
        for a in ctx.store.applications_about(person).await? {
            if a.state.is_open() && a.state != sscard_domain::application::ApplicationState::Draft {
                out.in_progress.push(a);
            }
        }
    }
    Ok(out)
}

/// Whether `acting` may use `service` on `channel` (for pages that show a form only where it can be sent).
pub fn offered(service: Service, channel: Channel, acting: Acting) -> bool {
    cell(service, channel, acting).allowed
}
