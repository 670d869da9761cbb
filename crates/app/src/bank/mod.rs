//! The bank interface (SPEC §8): a bank's system pulls its new production orders (applications' and, first,
//! replacement cards', SPEC §7.2) and reports on each. A pull is at-least-once: it leases its orders for [`PULL_LEASE`], and an order the bank has not acknowledged
//! by then (its `accepted` or `rejected` report, or [`acknowledge`]) goes back to the queue, so an answer lost
//! on the way (a timeout, a proxy reset, a crash) loses no order. The same pull asked again with its
//! idempotency key answers the same orders. A
//! bank system sees only its own bank's orders; anything else is "not found". The same report twice changes
//! nothing; a report out of order is refused with the states it needed.

use sscard_domain::account::{AccountKind, Principal};
use sscard_domain::application::{Application, ApplicationState};
use sscard_domain::card::{Card, FinancialState, SocialSecurityState};
use sscard_domain::orders::{BankReport, ReportOutcome};

use crate::ports::{OrderPull, ProductionOrder, ReplacementOrder, ReportDetails, ReportWrite, SlaRow, StoreError};
use crate::records::{fe, FieldError};
use crate::AppContext;

/// At most this many orders per pull.
pub const MAX_PULL: u32 = 500;
/// How long a pull holds its orders for the bank before unacknowledged ones go back to the queue.
pub const PULL_LEASE: chrono::Duration = chrono::Duration::minutes(10);
/// At most this many orders per acknowledgement.
pub const MAX_ACK: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum BankError {
    #[error("not found")]
    NotFound,
    #[error("a newer order replaced this one (the application was resubmitted)")]
    Superseded,
    #[error("out of order: the application is {state:?}; this report needs one of {expected:?}")]
    OutOfOrder {
        state: ApplicationState,
        expected: Vec<ApplicationState>,
    },
    #[error("invalid fields: {0:?}")]
    Invalid(Vec<FieldError>),
    #[error("another card already has this number")]
    CardNumberTaken,
    #[error("out of order: the replacement is {state:?}; this report needs one of {expected:?}")]
    ReplacementOutOfOrder {
        state: sscard_domain::card::replacement::ReplacementState,
        expected: Vec<sscard_domain::card::replacement::ReplacementState>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The bank a bank system acts for; any other caller has none.
fn bank_of(p: &Principal) -> Result<&str, BankError> {
    match &p.account.kind {
        AccountKind::BankSystem { bank } => Ok(bank),
        _ => Err(BankError::NotFound),
    }
}

/// One order as a bank receives it: an application's, or a replacement card's (with the replaced card's
/// application, which holds the photo and form the bank prints from).
#[derive(Debug, Clone)]
pub enum BankOrder {
    /// With the card its person gave up for a bank change, when they did (Q25: the new bank is told).
    Application(ProductionOrder, Application, Option<String>),
    Replacement(ReplacementOrder, Application),
}

/// Pulls up to `limit` orders of the caller's bank, leased for [`PULL_LEASE`]: replacement orders first (due
/// in 4 working days, against an application's 30 days), then applications'; of each kind first those whose
/// lease ran out unacknowledged, then new ones (each marked pulled, an application moved to `sent_to_bank`).
/// With a `key` used before by this bank system, the orders of that pull again.
pub async fn pull(ctx: &AppContext, p: &Principal, limit: u32, key: Option<&str>) -> Result<Vec<BankOrder>, BankError> {
    let bank = bank_of(p)?;
    if limit == 0 || limit > MAX_PULL {
        return Err(BankError::Invalid(vec![fe("limit", "limit_out_of_range")]));
    }
    let now = ctx.clock.now();
    let mut pull = OrderPull {
        bank: bank.to_string(),
        limit,
        at: now,
        actor: p.account.id.clone(),
        lease_until: now + PULL_LEASE,
        key: key.map(str::to_string),
    };
    let replacements = ctx.store.pull_replacements(&pull).await?;
    let room = limit.saturating_sub(u32::try_from(replacements.len()).unwrap_or(limit));
    let orders = if room > 0 {
        pull.limit = room;
        ctx.store.pull_orders(&pull).await?
    } else {
        Vec::new()
    };
    let ids: Vec<String> = orders.iter().map(|o| o.id.clone()).collect();
    let mut apps: std::collections::HashMap<String, Application> = ctx
        .store
        .order_applications(&ids)
        .await?
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect();
    let mut out = Vec::with_capacity(orders.len() + replacements.len());
    for r in replacements {
        let a = ctx
            .store
            .application(&r.application)
            .await?
            .ok_or(BankError::NotFound)?;
        out.push(BankOrder::Replacement(r, a));
    }
    let persons: Vec<String> = apps.values().map(|a| a.person.as_str().to_string()).collect();
    // The latest last: a later bank change replaces an earlier one.
    let previous: std::collections::HashMap<String, String> = if persons.is_empty() {
        Default::default()
    } else {
        ctx.store.bank_changed_cards(&persons).await?.into_iter().collect()
    };
    for o in orders {
        let a = apps.remove(&o.application).ok_or(BankError::NotFound)?;
        let before = previous.get(a.person.as_str()).cloned();
        out.push(BankOrder::Application(o, a, before));
    }
    Ok(out)
}

/// Acknowledges pulled orders of the caller's bank (of either kind): they are safe at the bank and leave the
/// lease queue. Returns how many were newly acknowledged (an order acknowledged before, or not the bank's,
/// counts none).
pub async fn acknowledge(ctx: &AppContext, p: &Principal, orders: &[String]) -> Result<u64, BankError> {
    let bank = bank_of(p)?;
    if orders.is_empty() || orders.len() > MAX_ACK {
        return Err(BankError::Invalid(vec![fe("orders", "ack_out_of_range")]));
    }
    let now = ctx.clock.now();
    Ok(ctx.store.ack_orders(bank, orders, now).await? + ctx.store.ack_replacements(bank, orders, now).await?)
}

/// The caller's own cards (after real-name authentication; none before).
pub async fn my_cards(ctx: &AppContext, p: &Principal) -> Result<Vec<Card>, StoreError> {
    match p.account.id_number.as_ref().filter(|_| p.account.may_apply().is_ok()) {
        // As they stand now: a temporary loss past its 15 days reads released, as everywhere.
        Some(me) => {
            let now = ctx.clock.now();
            Ok(ctx.store.cards_of(me).await?.iter().map(|c| c.at(now)).collect())
        }
        None => Ok(Vec::new()),
    }
}

/// One of the caller's bank's application orders, with its application.
pub async fn order(ctx: &AppContext, p: &Principal, id: &str) -> Result<(ProductionOrder, Application), BankError> {
    let bank = bank_of(p)?;
    let o = ctx
        .store
        .order(id)
        .await?
        .filter(|o| o.bank == bank)
        .ok_or(BankError::NotFound)?;
    let a = ctx
        .store
        .application(&o.application)
        .await?
        .ok_or(BankError::NotFound)?;
    Ok((o, a))
}

/// One of the caller's bank's orders, of either kind.
pub async fn any_order(ctx: &AppContext, p: &Principal, id: &str) -> Result<BankOrder, BankError> {
    let bank = bank_of(p)?;
    if ctx.store.order(id).await?.is_some() {
        let (o, a) = order(ctx, p, id).await?;
        let before = ctx
            .store
            .bank_changed_cards(&[a.person.as_str().to_string()])
            .await?
            .pop()
            .map(|(_, card)| card);
        return Ok(BankOrder::Application(o, a, before));
    }
    let r = ctx
        .store
        .replacement_order(id)
        .await?
        .filter(|r| r.bank == bank)
        .ok_or(BankError::NotFound)?;
    let a = ctx
        .store
        .application(&r.application)
        .await?
        .ok_or(BankError::NotFound)?;
    Ok(BankOrder::Replacement(r, a))
}

/// A report on one of the caller's bank's orders, of either kind; `changed` false when it was already applied.
pub async fn report_any(
    ctx: &AppContext,
    p: &Principal,
    id: &str,
    r: &BankReport,
) -> Result<(BankOrder, bool), BankError> {
    match any_order(ctx, p, id).await? {
        BankOrder::Application(_, _, before) => {
            let (o, a, changed) = report(ctx, p, id, r).await?;
            Ok((BankOrder::Application(o, a, before), changed))
        }
        BankOrder::Replacement(order, _) => {
            let changed = crate::cards::replacement::report(ctx, &order, r).await?;
            Ok((any_order(ctx, p, id).await?, changed))
        }
    }
}

/// A produced card's number (letters and digits) and its account, masked (SPEC §7.1: an account number in
/// clear is refused).
pub(crate) fn card_details(card_number: &str, masked_account: &str) -> Result<(String, String), Vec<FieldError>> {
    let mut errors = Vec::new();
    let number = card_number.trim();
    if number.is_empty() {
        errors.push(fe("card_number", "required"));
    } else if number.chars().count() > 32 {
        errors.push(fe("card_number", "field_too_long"));
    } else if !number.chars().all(|ch| ch.is_ascii_alphanumeric()) {
        errors.push(fe("card_number", "card_number_invalid"));
    }
    let m = masked_account.trim();
    if m.is_empty() {
        errors.push(fe("masked_account", "required"));
    } else if m.chars().count() > 32 {
        errors.push(fe("masked_account", "field_too_long"));
    } else if !(m.contains('*') && m.chars().filter(|c| c.is_ascii_digit()).count() <= 8) {
        errors.push(fe("masked_account", "account_not_masked"));
    }
    if errors.is_empty() {
        Ok((number.to_string(), m.to_string()))
    } else {
        Err(errors)
    }
}

/// The card a replacement order produced: third generation ("new for new"), its social-security function
/// pending activation, collected at the order's branch.
pub(crate) fn new_card(order: &ReplacementOrder, number: &str, account: &str, today: chrono::NaiveDate) -> Card {
    Card {
        number: number.to_string(),
        holder: order.holder.clone(),
        generation: 3,
        bank: order.bank.clone(),
        branch: Some(order.branch.clone()),
        masked_account: account.to_string(),
        issued_on: today,
        application: order.application.clone(),
        social_security: SocialSecurityState::PendingActivation,
        financial: FinancialState::Inactive,
        loss_until: None,
        transport: sscard_domain::card::Transport::default(),
        park_pass_year: None,
        links: sscard_domain::card::CardLinks {
            replaces: Some(order.card.clone()),
            ..Default::default()
        },
    }
}

pub(crate) fn details(report: &BankReport) -> Result<ReportDetails, BankError> {
    let text = |field: &str, v: &str, max: usize| -> Result<String, FieldError> {
        let v = v.trim();
        if v.is_empty() {
            Err(fe(field, "required"))
        } else if v.chars().count() > max {
            Err(fe(field, "field_too_long"))
        } else {
            Ok(v.to_string())
        }
    };
    let mut d = ReportDetails::default();
    let mut errors = Vec::new();
    match report {
        BankReport::Rejected { reason } => match text("reason", reason, 200) {
            Ok(r) => d.reject_reason = Some(r),
            Err(e) => errors.push(e),
        },
        BankReport::Produced {
            card_number,
            masked_account,
        } => match card_details(card_number, masked_account) {
            Ok((c, m)) => {
                d.card_number = Some(c);
                d.masked_account = Some(m);
            }
            Err(e) => errors.extend(e),
        },
        BankReport::Mailed { tracking_number } => match text("tracking_number", tracking_number, 40) {
            Ok(t) => d.tracking_number = Some(t),
            Err(e) => errors.push(e),
        },
        _ => {}
    }
    if errors.is_empty() {
        Ok(d)
    } else {
        Err(BankError::Invalid(errors))
    }
}

/// Applies a report to one of the caller's bank's orders. `Ok(false)` when it was already applied (nothing
/// changed); the order and its application as they now stand either way.
pub async fn report(
    ctx: &AppContext,
    p: &Principal,
    id: &str,
    report: &BankReport,
) -> Result<(ProductionOrder, Application, bool), BankError> {
    let (o, a) = order(ctx, p, id).await?;
    let details = details(report)?;
    if !o.current {
        return Err(BankError::Superseded);
    }
    let outcome = report.apply_to(a.state).map_err(|e| BankError::OutOfOrder {
        state: e.from,
        expected: e.expected,
    })?;
    let (event, to) = match outcome {
        ReportOutcome::AlreadyApplied => return Ok((o, a, false)),
        ReportOutcome::Move(event, to) => (event, to),
    };
    let record = crate::records::event_by(
        p,
        ctx.clock.now(),
        event,
        Some(a.state),
        to,
        details
            .reject_reason
            .clone()
            .or_else(|| details.tracking_number.clone()),
    );
    // SPEC §7.1: the card exists from `produced`, its social-security function pending activation.
    let card = match (&details.card_number, &details.masked_account) {
        (Some(number), Some(account)) => Some(Card {
            number: number.clone(),
            holder: a.person.clone(),
            generation: 3,
            bank: o.bank.clone(),
            branch: a.form.branch.clone(),
            masked_account: account.clone(),
            issued_on: record.at.date_naive(),
            application: a.id.clone(),
            social_security: SocialSecurityState::PendingActivation,
            financial: FinancialState::Inactive,
            loss_until: None,
            transport: sscard_domain::card::Transport::default(),
            park_pass_year: None,
            links: sscard_domain::card::CardLinks::default(),
        }),
        _ => None,
    };
    let written = ctx
        .store
        .apply_report(
            &o.id,
            a.state,
            &record,
            &details,
            card.as_ref(),
            crate::records::progress_sms(ctx, &a, to, record.note.as_deref()).as_ref(),
        )
        .await?;
    if written == ReportWrite::CardNumberTaken {
        return Err(BankError::CardNumberTaken);
    }
    let changed = written == ReportWrite::Done;
    let (o, a) = order(ctx, p, id).await?;
    if !changed {
        // Another report moved it first: judge this one against where it now stands.
        return match report.apply_to(a.state) {
            Ok(ReportOutcome::AlreadyApplied) => Ok((o, a, false)),
            Ok(ReportOutcome::Move(..)) | Err(_) => Err(BankError::OutOfOrder {
                state: a.state,
                expected: ApplicationState::ALL
                    .into_iter()
                    .filter(|s| report.apply_to(*s).is_ok_and(|r| r != ReportOutcome::AlreadyApplied))
                    .collect(),
            }),
        };
    }
    Ok((o, a, true))
}

/// The SLA report (SPEC §8, §10), as of today, by bank and district: applications' orders past their due date
/// (30 days from submission) and replacement orders past theirs (4 working days) not yet produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaReport {
    pub applications: Vec<SlaRow>,
    pub replacements: Vec<SlaRow>,
}

pub async fn sla_report(ctx: &AppContext) -> Result<SlaReport, StoreError> {
    let today = ctx.clock.now().date_naive();
    Ok(SlaReport {
        applications: ctx.store.overdue_orders(today).await?,
        replacements: ctx.store.overdue_replacements(today).await?,
    })
}
