//! Cards issued for demo data (and tests): a holder's card in any state, made by the same store writes as the
//! real road (a personal application submitted with its order, the bank's acceptance and production report,
//! collection at the branch) and then the card's own changes, each with its record. Nothing here bypasses a
//! rule the store enforces; it only skips the pages.

use chrono::{DateTime, Duration, FixedOffset};
use sscard_domain::access::Channel;
use sscard_domain::application::{
    Application, ApplicationEvent, ApplicationEventRecord, ApplicationForm, ApplicationState, Route,
};
use sscard_domain::card::channels::Service;
use sscard_domain::card::lifecycle::Reason;
use sscard_domain::card::transition::{Actor, CardTransition};
use sscard_domain::card::{Card, FinancialState, SocialSecurityState, Transport};
use sscard_domain::policy::CollectionMethod;
use sscard_domain::values::{IdNumber, Mobile};

use crate::ports::{CardWrite, NewOrder, ReportDetails, StoreError, Submission};
use crate::secrets::new_id;
use crate::AppContext;

/// The card to issue.
#[derive(Debug, Clone)]
pub struct DemoCard {
    pub number: String,
    pub holder: IdNumber,
    /// The account that applied (the holder's, or a guardian's).
    pub applicant: String,
    pub mobile: Mobile,
    pub bank: String,
    pub branch: String,
    /// Where it ends up: pending activation, active, reported lost (temporarily, until `loss_until`), formally
    /// lost, cancelled; with the financial function active or not.
    pub social_security: SocialSecurityState,
    pub financial_active: bool,
    pub loss_until: Option<DateTime<FixedOffset>>,
}

fn event(
    e: ApplicationEvent,
    from: ApplicationState,
    to: ApplicationState,
    at: DateTime<FixedOffset>,
) -> ApplicationEventRecord {
    ApplicationEventRecord {
        at,
        event: e,
        from: Some(from),
        to,
        actor: "demo".into(),
        channel: Channel::Web,
        note: None,
    }
}

async fn step(
    ctx: &AppContext,
    card: &Card,
    service: Service,
    ss: SocialSecurityState,
    fin: FinancialState,
    loss_until: Option<DateTime<FixedOffset>>,
) -> Result<Card, StoreError> {
    let at = ctx.clock.now();
    let t = CardTransition {
        card: card.number.clone(),
        at,
        service,
        social_security: (card.social_security, ss),
        financial: (card.financial, fin),
        reason: if service == Service::TemporaryLoss || service == Service::FormalLoss {
            Reason::Lost
        } else {
            Reason::Requested
        },
        reason_text: None,
        channel: Some(Channel::BankOutlet),
        actor: Actor::system(),
        place: card.branch.clone(),
        key: None,
    };
    let w = CardWrite {
        replacement: None,
        retire: None,
        fields: None,
        transition: t,
        loss_until,
        password_hash: None,
        bank_event: None,
        notify: None,
        ends_legacy_medical: service == Service::Activation,
        info: None,
        audit: None,
    };
    ctx.store.write_card_change(&w).await?;
    let mut next = card.clone();
    next.social_security = ss;
    next.financial = fin;
    next.loss_until = loss_until;
    Ok(next)
}

/// Issues the card and brings it to the asked state.
pub async fn issue(ctx: &AppContext, d: &DemoCard) -> Result<Card, StoreError> {
    let now = ctx.clock.now();
    let id = new_id();
    let a = Application {
        id: id.clone(),
        reference: crate::applications::new_reference(ctx),
        person: d.holder.clone(),
        applicant: d.applicant.clone(),
        route: Route::Personal,
        channel: Channel::Web,
        state: ApplicationState::Draft,
        form: ApplicationForm {
            ethnicity: Some("01".into()),
            occupation: Some("2".into()),
            residence_district: Some("110105".into()),
            residence_address: Some("朝阳区示例街1号".into()),
            mobile: Some(d.mobile.clone()),
            bank: Some(d.bank.clone()),
            branch: Some(d.branch.clone()),
            collection: Some(CollectionMethod::BranchPickup),
            mail: None,
        },
        documents: Default::default(),
        created_at: now - Duration::days(40),
        updated_at: now - Duration::days(40),
        submitted_at: None,
        due_on: None,
        minor: None,
        employer: None,
    };
    let start = ApplicationEventRecord {
        from: None,
        ..event(
            ApplicationEvent::Start,
            ApplicationState::Draft,
            ApplicationState::Draft,
            now,
        )
    };
    if let Err(open) = ctx.store.create_application(&a, &start).await? {
        return Err(StoreError::Database(format!(
            "{} already has an open application {open}",
            d.holder.masked()
        )));
    }
    let order = new_id();
    let submission = Submission {
        submitted_at: now,
        due_on: (now + Duration::days(30)).date_naive(),
        key: None,
        order: NewOrder {
            id: order.clone(),
            bank: d.bank.clone(),
        },
    };
    use ApplicationEvent as E;
    use ApplicationState as S;
    let submit = event(E::Submit, S::Draft, S::Submitted, now);
    ctx.store
        .transition(&id, S::Draft, &submit, Some(&submission), None, None)
        .await?;
    let sent = event(E::SendToBank, S::Submitted, S::SentToBank, now);
    ctx.store.transition(&id, S::Submitted, &sent, None, None, None).await?;
    let accept = event(E::BankAccept, S::SentToBank, S::InProduction, now);
    ctx.store
        .apply_report(&order, S::SentToBank, &accept, &ReportDetails::default(), None, None)
        .await?;
    let mut card = Card {
        number: d.number.clone(),
        holder: d.holder.clone(),
        generation: 3,
        bank: d.bank.clone(),
        branch: Some(d.branch.clone()),
        masked_account: format!("6217********{}", &d.number[d.number.len().saturating_sub(4)..]),
        issued_on: now.date_naive(),
        application: id.clone(),
        social_security: SocialSecurityState::PendingActivation,
        financial: FinancialState::Inactive,
        loss_until: None,
        transport: Transport::default(),
        park_pass_year: None,
        links: sscard_domain::card::CardLinks::default(),
    };
    let details = ReportDetails {
        card_number: Some(card.number.clone()),
        masked_account: Some(card.masked_account.clone()),
        ..ReportDetails::default()
    };
    let produce = event(E::Produce, S::InProduction, S::Produced, now);
    ctx.store
        .apply_report(&order, S::InProduction, &produce, &details, Some(&card), None)
        .await?;
    let ready = event(E::ReadyForPickup, S::Produced, S::ReadyForPickup, now);
    ctx.store.transition(&id, S::Produced, &ready, None, None, None).await?;
    let collect = event(E::Collect, S::ReadyForPickup, S::Collected, now);
    ctx.store
        .collect_card(&id, S::ReadyForPickup, &collect, &card.number, false, None)
        .await?;
    use FinancialState as F;
    use SocialSecurityState as SS;
    if d.social_security == SS::PendingActivation {
        return Ok(card);
    }
    let fin = if d.financial_active { F::Active } else { F::Inactive };
    card = step(ctx, &card, Service::Activation, SS::Active, card.financial, None).await?;
    if d.financial_active {
        card = step(ctx, &card, Service::FinancialActivation, SS::Active, F::Active, None).await?;
    }
    let lost_fin = if d.financial_active { F::Loss } else { fin };
    match d.social_security {
        SS::TempLoss => {
            let until = d.loss_until.unwrap_or(now + Duration::days(15));
            card = step(ctx, &card, Service::TemporaryLoss, SS::TempLoss, lost_fin, Some(until)).await?;
        }
        SS::FormalLoss => {
            card = step(ctx, &card, Service::FormalLoss, SS::FormalLoss, lost_fin, None).await?;
        }
        SS::Cancelled => {
            card = step(ctx, &card, Service::Cancellation, SS::Cancelled, card.financial, None).await?;
        }
        _ => {}
    }
    Ok(card)
}
