//! The bank interface (SPEC §8): a bank's system pulls its new production orders and reports on each. A
//! pull is at-least-once: it leases its orders for [`PULL_LEASE`], and an order the bank has not acknowledged
//! by then (its `accepted` or `rejected` report, or [`acknowledge`]) goes back to the queue, so an answer lost
//! on the way (a timeout, a proxy reset, a crash) loses no order. The same pull asked again with its
//! idempotency key answers the same orders.
//! bank system sees only its own bank's orders; anything else is "not found". The same report twice changes
//! nothing; a report out of order is refused with the states it needed.

use sscard_domain::account::{AccountKind, Principal};
use sscard_domain::application::{Application, ApplicationState};
use sscard_domain::card::{Card, FinancialState, SocialSecurityState};
use sscard_domain::orders::{BankReport, ReportOutcome};

use crate::ports::{OrderPull, ProductionOrder, ReportDetails, ReportWrite, StoreError};
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

/// Pulls up to `limit` orders of the caller's bank, leased for [`PULL_LEASE`]: first those whose lease ran
/// out unacknowledged, then new ones (each marked pulled, its application moved to `sent_to_bank`). With a
/// `key` used before by this bank system, the orders of that pull again.
pub async fn pull(
    ctx: &AppContext,
    p: &Principal,
    limit: u32,
    key: Option<&str>,
) -> Result<Vec<(ProductionOrder, Application)>, BankError> {
    let bank = bank_of(p)?;
    if limit == 0 || limit > MAX_PULL {
        return Err(BankError::Invalid(vec![fe("limit", "limit_out_of_range")]));
    }
    let now = ctx.clock.now();
    let orders = ctx
        .store
        .pull_orders(&OrderPull {
            bank: bank.to_string(),
            limit,
            at: now,
            actor: p.account.id.clone(),
            lease_until: now + PULL_LEASE,
            key: key.map(str::to_string),
        })
        .await?;
    let ids: Vec<String> = orders.iter().map(|o| o.id.clone()).collect();
    let mut apps: std::collections::HashMap<String, Application> = ctx
        .store
        .order_applications(&ids)
        .await?
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect();
    let mut out = Vec::with_capacity(orders.len());
    for o in orders {
        let a = apps.remove(&o.application).ok_or(BankError::NotFound)?;
        out.push((o, a));
    }
    Ok(out)
}

/// Acknowledges pulled orders of the caller's bank: they are safe at the bank and leave the lease queue.
/// Returns how many were newly acknowledged (an order acknowledged before, or not the bank's, counts none).
pub async fn acknowledge(ctx: &AppContext, p: &Principal, orders: &[String]) -> Result<u64, BankError> {
    let bank = bank_of(p)?;
    if orders.is_empty() || orders.len() > MAX_ACK {
        return Err(BankError::Invalid(vec![fe("orders", "ack_out_of_range")]));
    }
    Ok(ctx.store.ack_orders(bank, orders, ctx.clock.now()).await?)
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

/// One of the caller's bank's orders, with its application.
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

fn details(report: &BankReport) -> Result<ReportDetails, BankError> {
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
        } => {
            match text("card_number", card_number, 32) {
                Ok(c) if c.chars().all(|ch| ch.is_ascii_alphanumeric()) => d.card_number = Some(c),
                Ok(_) => errors.push(fe("card_number", "card_number_invalid")),
                Err(e) => errors.push(e),
            }
            // The account is stored masked only (SPEC §7.1): an account number in clear is refused.
            match text("masked_account", masked_account, 32) {
                Ok(m) if m.contains('*') && m.chars().filter(|c| c.is_ascii_digit()).count() <= 8 => {
                    d.masked_account = Some(m)
                }
                Ok(_) => errors.push(fe("masked_account", "account_not_masked")),
                Err(e) => errors.push(e),
            }
        }
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

/// The SLA report (SPEC §8, §10): current orders past their due date (30 days from submission) and not yet
/// produced, by bank and district, as of today.
pub async fn sla_report(ctx: &AppContext) -> Result<Vec<crate::ports::SlaRow>, StoreError> {
    ctx.store.overdue_orders(ctx.clock.now().date_naive()).await
}
