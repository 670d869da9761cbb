//! Card pickup at a bank branch's counter (issue 7): the clerk finds the cards of their bank by the holder's
//! ID number (with a stated purpose, audited), checks identity, and records the collection, by the holder or,
//! for a minor, by a guardian listed in the household register; the social-security function may be activated
//! at the same time. A clerk reaches only their own bank's cards; anything else is "not found".

use sscard_domain::account::{AccountKind, Principal};
use sscard_domain::application::{Application, ApplicationEvent, ApplicationState};
use sscard_domain::audit::{is_read_purpose, AuditAction, Outcome};
use sscard_domain::card::Card;
use sscard_domain::counter::{may_collect, Collector};
use sscard_domain::values::IdNumber;

use crate::auth::{principal_entry, Meta};
use crate::records::{fe, ApplyError};
use crate::AppContext;

/// The bank and branch a clerk works at; anyone else reaches nothing here.
fn clerk_of(p: &Principal) -> Result<(&str, &str), ApplyError> {
    match &p.account.kind {
        AccountKind::BankClerk { bank, branch } => Ok((bank, branch)),
        _ => Err(ApplyError::NotFound),
    }
}

/// The cards of the clerk's bank held by `id_number`, each with its application. The read is audited with its
/// purpose (it shows in the holder's access log).
pub async fn find_cards(
    ctx: &AppContext,
    p: &Principal,
    id_number: &str,
    purpose: Option<&str>,
    meta: &Meta,
) -> Result<Vec<(Card, Application)>, ApplyError> {
    let (bank, _) = clerk_of(p)?;
    let holder = IdNumber::parse(id_number, ctx.clock.now().date_naive())
        .map_err(|_| ApplyError::Invalid(vec![fe("id_number", "id_number_invalid")]))?;
    if !purpose.is_some_and(is_read_purpose) {
        return Err(ApplyError::Invalid(vec![fe("purpose", "purpose_required")]));
    }
    let mut e = principal_entry(
        ctx,
        p,
        AuditAction::PersonRead,
        Outcome::Success,
        Some(format!("cards:{}", holder.masked())),
        meta,
    );
    e.subject_person = Some(holder.as_str().to_string());
    e.purpose = purpose.map(str::to_string);
    ctx.store.append_audit(&e).await?;
    let mut out = Vec::new();
    for card in ctx.store.cards_of(&holder).await? {
        if card.bank != bank {
            continue;
        }
        if let Some(a) = ctx.store.application(&card.application).await? {
            out.push((card, a));
        }
    }
    Ok(out)
}

/// What the clerk records at the counter.
#[derive(Debug, Clone, Default)]
pub struct CollectIn {
    /// The clerk checked the collector's identity document against the person in front of them.
    pub identity_checked: bool,
    /// `holder`, or `guardian` for a minor's card.
    pub collector: String,
    /// The guardian's ID number, when a guardian collects.
    pub guardian_id_number: Option<String>,
    /// Activate the social-security function now (the holder asked for it at the counter).
    pub activate: bool,
}

/// Records the card's collection at the clerk's branch: the application becomes `collected`.
pub async fn collect(
    ctx: &AppContext,
    p: &Principal,
    number: &str,
    input: &CollectIn,
    meta: &Meta,
) -> Result<(Card, Application), ApplyError> {
    let (bank, branch) = clerk_of(p)?;
    let card = match ctx.store.card(number).await? {
        Some(c) if c.bank == bank => c,
        _ => return Err(ApplyError::NotFound),
    };
    let a = ctx
        .store
        .application(&card.application)
        .await?
        .ok_or(ApplyError::NotFound)?;
    let today = ctx.clock.now().date_naive();
    let mut errors = Vec::new();
    let collector = match input.collector.trim() {
        "holder" => Some(Collector::Holder),
        "guardian" => match input.guardian_id_number.as_deref().map(|g| IdNumber::parse(g, today)) {
            Some(Ok(id_number)) => Some(Collector::Guardian { id_number }),
            _ => {
                errors.push(fe("guardian_id_number", "id_number_invalid"));
                None
            }
        },
        _ => {
            errors.push(fe("collector", "invalid_choice"));
            None
        }
    };
    if !input.identity_checked {
        errors.push(fe("identity_checked", "identity_check_required"));
    }
    let Some(collector) = collector.filter(|_| errors.is_empty()) else {
        return Err(ApplyError::Invalid(errors));
    };
    // Only a card waiting at a branch is collected at a counter (a mailed card or one at the employer is not).
    let not_waiting = |from| {
        ApplyError::Transition(sscard_domain::application::TransitionError {
            from,
            event: ApplicationEvent::Collect,
            expected: vec![ApplicationState::ReadyForPickup],
        })
    };
    if a.state != ApplicationState::ReadyForPickup {
        return Err(not_waiting(a.state));
    }
    if a.form.branch.as_deref() != Some(branch) {
        return Err(ApplyError::Invalid(vec![fe("branch", "card_at_another_branch")]));
    }
    let guardians = match &collector {
        Collector::Guardian { id_number } => ctx.store.guardianships_of_guardian(id_number).await?,
        Collector::Holder => Vec::new(),
    };
    may_collect(&card.holder, today, &collector, &guardians)
        .map_err(|r| ApplyError::Invalid(vec![fe("collector", r.code())]))?;
    let note = match &collector {
        Collector::Holder => "collected at the counter by the holder".to_string(),
        Collector::Guardian { id_number } => format!("collected at the counter by guardian {}", id_number.masked()),
    };
    let event = crate::records::event_by(
        p,
        ctx.clock.now(),
        ApplicationEvent::Collect,
        Some(a.state),
        ApplicationState::Collected,
        Some(note),
    );
    let mut e = principal_entry(
        ctx,
        p,
        AuditAction::StateChanged,
        Outcome::Success,
        Some(format!("card:{}", card.number)),
        meta,
    );
    e.subject_person = Some(card.holder.as_str().to_string());
    e.purpose = Some("counter_service".into());
    if !ctx
        .store
        .collect_card(&a.id, a.state, &event, &card.number, input.activate, Some(&e))
        .await?
    {
        let now = ctx.store.application(&a.id).await?.ok_or(ApplyError::NotFound)?;
        return Err(not_waiting(now.state));
    }
    let card = ctx.store.card(&card.number).await?.ok_or(ApplyError::NotFound)?;
    let a = ctx.store.application(&a.id).await?.ok_or(ApplyError::NotFound)?;
    Ok((card, a))
}
