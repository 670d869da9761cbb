//! What each service does to the card's two functions (SPEC §7.2), as pure transitions: a service applied to a
//! card (as it stands now) answers the change to make, or why it cannot. The 15-day temporary loss is time:
//! [`Card::at`] reads a loss past its end as `active` before any job has written it.

use chrono::{DateTime, Duration, FixedOffset, Months, NaiveDate};
use serde::Serialize;

use super::channels::Service;
use super::{Card, FinancialState, SocialSecurityState};

/// How long a temporary loss of the social-security function lasts before it ends by itself (SPEC §7.2).
pub const TEMPORARY_LOSS_DAYS: i64 = 15;

/// A holder may change bank again only this many months after the last change (Q26).
pub const BANK_CHANGE_MONTHS: u32 = 6;

/// Six months after a social-security cancellation the bank may suspend the account's non-counter business.
pub const NON_COUNTER_SUSPENSION_MONTHS: u32 = 6;

/// The first day a holder whose last bank change was on `last` may change again.
pub fn bank_change_allowed_from(last: NaiveDate) -> NaiveDate {
    last.checked_add_months(Months::new(BANK_CHANGE_MONTHS))
        .unwrap_or(NaiveDate::MAX)
}

/// Why a service was done: a stable code (plus free text where it is `other`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The holder (or whoever acts for them) asked for it.
    Requested,
    Lost,
    Stolen,
    Damaged,
    /// The card was found again.
    Found,
    /// The 15 days of a temporary loss ran out (the system's own transition).
    LossExpired,
    Death,
    Emigration,
    MovedOut,
    /// Replaced by a new card (a lost card at once; one in hand when the new one is activated).
    Replaced,
    /// The holder moves their card to another bank (Q25).
    BankChange,
    /// Six months after the social-security cancellation: the account's non-counter business is suspended.
    NonCounterSuspended,
    /// The issuing bank reported the financial function's state (its own counter, its own rules).
    BankReport,
    Other,
}

impl Reason {
    pub const ALL: [Reason; 14] = [
        Reason::Requested,
        Reason::Lost,
        Reason::Stolen,
        Reason::Damaged,
        Reason::Found,
        Reason::LossExpired,
        Reason::Death,
        Reason::Emigration,
        Reason::MovedOut,
        Reason::Replaced,
        Reason::BankChange,
        Reason::NonCounterSuspended,
        Reason::BankReport,
        Reason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Requested => "requested",
            Reason::Lost => "lost",
            Reason::Stolen => "stolen",
            Reason::Damaged => "damaged",
            Reason::Found => "found",
            Reason::LossExpired => "loss_expired",
            Reason::Death => "death",
            Reason::Emigration => "emigration",
            Reason::MovedOut => "moved_out",
            Reason::Replaced => "replaced",
            Reason::BankChange => "bank_change",
            Reason::NonCounterSuspended => "non_counter_suspended",
            Reason::BankReport => "bank_report",
            Reason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The reasons a person may give for a loss report.
    pub fn for_loss(self) -> bool {
        matches!(self, Reason::Lost | Reason::Stolen | Reason::Other)
    }
}

/// The change a service makes: each function from → to, and the temporary loss's end when it starts one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub service: Service,
    pub social_security: (SocialSecurityState, SocialSecurityState),
    pub financial: (FinancialState, FinancialState),
    /// Set by a temporary loss; cleared by anything that ends it.
    pub loss_until: Option<DateTime<FixedOffset>>,
}

impl Change {
    /// Whether the issuing bank must hear of it: the financial function moves.
    pub fn touches_financial(&self) -> bool {
        self.financial.0 != self.financial.1
    }

    /// Whether the issuing bank hears of it (SPEC §8): its financial function moves, or the card is lost, found,
    /// ended or replaced (a loss at an outlet leaves the account to the bank, which must still know).
    pub fn concerns_bank(&self) -> bool {
        self.touches_financial()
            || matches!(
                self.service,
                Service::TemporaryLoss
                    | Service::FormalLoss
                    | Service::Release
                    | Service::Cancellation
                    | Service::BankChange
                    | Service::Replacement
            )
    }

    /// Whether it changes any state at all (a status query or a password change does not).
    pub fn moves(&self) -> bool {
        self.social_security.0 != self.social_security.1 || self.touches_financial()
    }
}

/// Why the card cannot take this service now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CardRefusal {
    #[error("the social-security function is already active")]
    AlreadyActive,
    #[error("the card is cancelled")]
    Cancelled,
    #[error("the card is already reported lost")]
    AlreadyLost,
    #[error("the card's social-security function must be active for this (it is {0:?})")]
    NotActive(SocialSecurityState),
    #[error("the card is not reported lost")]
    NotLost,
    #[error("the financial function is already active")]
    FinancialAlreadyActive,
    #[error("the social-security function must be cancelled before the financial one")]
    SocialSecurityFirst,
    #[error("this service does not change the card's state")]
    NotAStateChange,
    /// This counter may touch the social-security function only; what is left is the bank's.
    #[error("only the social-security function can be changed here")]
    SocialSecurityOnly,
    /// A district outlet releases only a formal loss of the social-security function.
    #[error("only a formal loss of the social-security function can be released here")]
    FormalLossOnly,
    /// The service is the issuing bank's.
    #[error("only the issuing bank does this")]
    IssuingBankOnly,
    /// Q21: a replacement was issued for this card; it can no longer be released.
    #[error("a replacement was issued for this card: it cannot be released")]
    Replaced,
    #[error("a replacement for this card is already being made")]
    ReplacementInProgress,
    /// 补领 of a lost card comes after its formal loss.
    #[error("report the card's formal loss first")]
    FormalLossFirst,
    /// 换领 is for a card in hand; a card reported lost is reissued (补领).
    #[error("the card is reported lost: ask for a reissue of a lost card")]
    ReportedLost,
    #[error("no printed field of this card changed in the registry")]
    NoPrintedFieldChange,
    /// The card's bank does not make replacements online (its counter does).
    #[error("this bank does not take replacements online: at its counter")]
    NoOnlineReplacement,
    /// Q26: the bank may be changed again only six months after the last change.
    #[error("the bank can be changed again from {allowed_from}")]
    BankChangeTooSoon { allowed_from: NaiveDate },
    /// Not while the concentrated campaign runs (SPEC §1, §7.4).
    #[error("not during the concentrated application campaign")]
    DuringCampaign,
    /// An instant card needs a branch equipped for it.
    #[error("this branch is not equipped to make instant cards")]
    NotEquipped,
}

impl CardRefusal {
    pub fn code(self) -> &'static str {
        match self {
            CardRefusal::AlreadyActive => "card_already_active",
            CardRefusal::Cancelled => "card_cancelled",
            CardRefusal::AlreadyLost => "card_already_lost",
            CardRefusal::NotActive(_) => "card_not_active",
            CardRefusal::NotLost => "card_not_lost",
            CardRefusal::FinancialAlreadyActive => "financial_already_active",
            CardRefusal::SocialSecurityFirst => "social_security_first",
            CardRefusal::NotAStateChange => "not_a_state_change",
            CardRefusal::SocialSecurityOnly => "social_security_only",
            CardRefusal::FormalLossOnly => "formal_loss_only",
            CardRefusal::IssuingBankOnly => "issuing_bank_only",
            CardRefusal::Replaced => "card_replaced",
            CardRefusal::ReplacementInProgress => "replacement_in_progress",
            CardRefusal::FormalLossFirst => "formal_loss_first",
            CardRefusal::ReportedLost => "card_reported_lost",
            CardRefusal::NoPrintedFieldChange => "no_printed_field_change",
            CardRefusal::NoOnlineReplacement => "no_online_replacement",
            CardRefusal::BankChangeTooSoon { .. } => "bank_change_too_soon",
            CardRefusal::DuringCampaign => "during_campaign",
            CardRefusal::NotEquipped => "branch_not_equipped",
        }
    }
}

impl Card {
    /// The card as it stands at `now`: a temporary loss past its end reads `active` (the release job makes it
    /// durable later; a read never waits for it).
    pub fn at(&self, now: DateTime<FixedOffset>) -> Card {
        let mut c = self.clone();
        if c.social_security == SocialSecurityState::TempLoss && c.loss_until.is_some_and(|until| until <= now) {
            c.social_security = SocialSecurityState::Active;
            c.loss_until = None;
        }
        c
    }

    /// What `service` does to this card (read [`Card::at`] `now` first), or why it cannot.
    pub fn change(&self, service: Service, now: DateTime<FixedOffset>) -> Result<Change, CardRefusal> {
        use FinancialState as F;
        use SocialSecurityState as S;
        let (ss, fin) = (self.social_security, self.financial);
        let to = |ss_to, fin_to, loss_until| Change {
            service,
            social_security: (ss, ss_to),
            financial: (fin, fin_to),
            loss_until,
        };
        // Q21: once a replacement is issued, the old card is never released (whatever its state says).
        if service == Service::Release && self.links.replacement_order.is_some() {
            return Err(CardRefusal::Replaced);
        }
        if ss == S::Cancelled && !(service == Service::Cancellation && fin != F::Cancelled) {
            return Err(CardRefusal::Cancelled);
        }
        match service {
            Service::Activation => match ss {
                S::PendingActivation => Ok(to(S::Active, fin, None)),
                S::Active => Err(CardRefusal::AlreadyActive),
                other => Err(CardRefusal::NotActive(other)),
            },
            // It activates the social-security function too when that is still pending (SPEC §7.2).
            Service::FinancialActivation => match (ss, fin) {
                (_, F::Active) => Err(CardRefusal::FinancialAlreadyActive),
                (S::PendingActivation | S::Active, F::Inactive) => Ok(to(S::Active, F::Active, None)),
                (other, _) => Err(CardRefusal::NotActive(other)),
            },
            // Suspends medical and financial use at once; only the social-security side ends by itself.
            Service::TemporaryLoss => match ss {
                S::Active => {
                    let fin_to = if fin == F::Active { F::Loss } else { fin };
                    let until = now + Duration::days(TEMPORARY_LOSS_DAYS);
                    Ok(to(S::TempLoss, fin_to, Some(until)))
                }
                S::TempLoss | S::FormalLoss => Err(CardRefusal::AlreadyLost),
                other => Err(CardRefusal::NotActive(other)),
            },
            Service::FormalLoss => match ss {
                S::Active | S::TempLoss => {
                    let fin_to = if fin == F::Active { F::Loss } else { fin };
                    Ok(to(S::FormalLoss, fin_to, None))
                }
                S::FormalLoss => Err(CardRefusal::AlreadyLost),
                other => Err(CardRefusal::NotActive(other)),
            },
            Service::Release => match ss {
                S::TempLoss | S::FormalLoss => {
                    let fin_to = if fin == F::Loss { F::Active } else { fin };
                    Ok(to(S::Active, fin_to, None))
                }
                _ => Err(CardRefusal::NotLost),
            },
            // The social-security function first; the financial one only after it (Q33–Q35).
            Service::Cancellation => match (ss, fin) {
                (S::Cancelled, F::Cancelled) => Err(CardRefusal::Cancelled),
                (S::Cancelled, _) => Ok(to(S::Cancelled, F::Cancelled, None)),
                _ => Ok(to(S::Cancelled, fin, None)),
            },
            // Q25: the current card is recovered and cancelled, both functions at once, at its bank's counter.
            Service::BankChange => Ok(to(S::Cancelled, F::Cancelled, None)),
            _ => Err(CardRefusal::NotAStateChange),
        }
    }

    /// What the issuing bank's report of the financial function's state does: `None` when the card already
    /// stands so (the same report twice changes nothing). Activating the financial function activates a pending
    /// social-security function too; cancelling it needs the social-security function cancelled first.
    pub fn financial_report(&self, to: FinancialState) -> Result<Option<Change>, CardRefusal> {
        use FinancialState as F;
        use SocialSecurityState as S;
        let (ss, fin) = (self.social_security, self.financial);
        if to == fin {
            return Ok(None);
        }
        let change = |service, ss_to| {
            Ok(Some(Change {
                service,
                social_security: (ss, ss_to),
                financial: (fin, to),
                loss_until: self.loss_until,
            }))
        };
        match (fin, to) {
            (F::Cancelled, _) => Err(CardRefusal::Cancelled),
            (_, F::Cancelled) if ss != S::Cancelled => Err(CardRefusal::SocialSecurityFirst),
            (_, F::Cancelled) => change(Service::Cancellation, ss),
            (F::Inactive, F::Active) if ss == S::PendingActivation => change(Service::FinancialActivation, S::Active),
            (F::Inactive, F::Active) => change(Service::FinancialActivation, ss),
            (F::Loss, F::Active) => change(Service::Release, ss),
            (F::Active, F::Loss) => change(Service::TemporaryLoss, ss),
            _ => Err(CardRefusal::NotAStateChange),
        }
    }

    /// The system's own release of a temporary loss whose 15 days ran out: the social-security function only
    /// (the financial loss is the bank's to lift). `None` when the card is not (or no longer) due.
    pub fn expired_loss(&self, now: DateTime<FixedOffset>) -> Option<Change> {
        let due = self.social_security == SocialSecurityState::TempLoss && self.loss_until.is_some_and(|u| u <= now);
        due.then_some(Change {
            service: Service::Release,
            social_security: (SocialSecurityState::TempLoss, SocialSecurityState::Active),
            financial: (self.financial, self.financial),
            loss_until: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::tests::card;
    use chrono::TimeZone;

    fn now() -> DateTime<FixedOffset> {
        crate::clock::shanghai()
            .with_ymd_and_hms(2026, 12, 7, 9, 30, 0)
            .single()
            .unwrap()
    }

    #[test]
    fn activation_moves_a_pending_card_once() {
        let c = card(SocialSecurityState::PendingActivation, FinancialState::Inactive);
        let ch = c.change(Service::Activation, now()).unwrap();
        assert_eq!(ch.social_security.1, SocialSecurityState::Active);
        assert!(!ch.touches_financial());
        let active = card(SocialSecurityState::Active, FinancialState::Inactive);
        assert_eq!(
            active.change(Service::Activation, now()),
            Err(CardRefusal::AlreadyActive)
        );
    }

    #[test]
    fn a_temporary_loss_suspends_both_and_ends_by_itself_after_15_days_to_the_minute() {
        let c = card(SocialSecurityState::Active, FinancialState::Active);
        let ch = c.change(Service::TemporaryLoss, now()).unwrap();
        assert_eq!(ch.social_security.1, SocialSecurityState::TempLoss);
        assert_eq!(ch.financial.1, FinancialState::Loss);
        assert!(ch.touches_financial());
        let until = ch.loss_until.unwrap();
        assert_eq!(until, now() + Duration::days(15));
        let mut lost = c.clone();
        lost.social_security = SocialSecurityState::TempLoss;
        lost.financial = FinancialState::Loss;
        lost.loss_until = Some(until);
        let minute = Duration::minutes(1);
        assert_eq!(lost.at(until - minute).social_security, SocialSecurityState::TempLoss);
        assert!(lost.expired_loss(until - minute).is_none());
        let after = lost.at(until);
        assert_eq!(after.social_security, SocialSecurityState::Active);
        assert_eq!(after.financial, FinancialState::Loss, "the bank lifts its own");
        let release = lost.expired_loss(until + minute).unwrap();
        assert_eq!(release.financial, (FinancialState::Loss, FinancialState::Loss));
        assert_eq!(
            lost.change(Service::TemporaryLoss, now()),
            Err(CardRefusal::AlreadyLost)
        );
    }

    #[test]
    fn a_pending_or_cancelled_card_cannot_be_lost() {
        let pending = card(SocialSecurityState::PendingActivation, FinancialState::Inactive);
        assert_eq!(
            pending.change(Service::TemporaryLoss, now()),
            Err(CardRefusal::NotActive(SocialSecurityState::PendingActivation))
        );
        let gone = card(SocialSecurityState::Cancelled, FinancialState::Cancelled);
        for s in Service::ALL {
            assert!(gone.change(s, now()).is_err(), "{s:?}");
        }
    }

    #[test]
    fn cancellation_takes_social_security_first_then_financial() {
        let c = card(SocialSecurityState::Active, FinancialState::Active);
        let first = c.change(Service::Cancellation, now()).unwrap();
        assert_eq!(first.social_security.1, SocialSecurityState::Cancelled);
        assert_eq!(first.financial.1, FinancialState::Active);
        let half = card(SocialSecurityState::Cancelled, FinancialState::Active);
        let second = half.change(Service::Cancellation, now()).unwrap();
        assert_eq!(second.financial.1, FinancialState::Cancelled);
    }

    #[test]
    fn financial_activation_activates_a_pending_social_security_function_too() {
        let c = card(SocialSecurityState::PendingActivation, FinancialState::Inactive);
        let ch = c.change(Service::FinancialActivation, now()).unwrap();
        assert_eq!(
            (ch.social_security.1, ch.financial.1),
            (SocialSecurityState::Active, FinancialState::Active)
        );
    }

    #[test]
    fn release_lifts_both_losses() {
        let c = card(SocialSecurityState::FormalLoss, FinancialState::Loss);
        let ch = c.change(Service::Release, now()).unwrap();
        assert_eq!(
            (ch.social_security.1, ch.financial.1),
            (SocialSecurityState::Active, FinancialState::Active)
        );
        let fine = card(SocialSecurityState::Active, FinancialState::Active);
        assert_eq!(fine.change(Service::Release, now()), Err(CardRefusal::NotLost));
    }

    #[test]
    fn the_banks_report_moves_the_financial_function_only_as_the_rules_allow() {
        let c = card(SocialSecurityState::PendingActivation, FinancialState::Inactive);
        let ch = c.financial_report(FinancialState::Active).unwrap().unwrap();
        assert_eq!(
            ch.social_security.1,
            SocialSecurityState::Active,
            "activates a pending one too"
        );
        assert_eq!(
            c.financial_report(FinancialState::Inactive),
            Ok(None),
            "the same report twice"
        );
        assert_eq!(
            c.financial_report(FinancialState::Cancelled),
            Err(CardRefusal::SocialSecurityFirst)
        );
        let lost = card(SocialSecurityState::TempLoss, FinancialState::Loss);
        let ch = lost.financial_report(FinancialState::Active).unwrap().unwrap();
        assert_eq!(
            (ch.service, ch.social_security.1),
            (Service::Release, SocialSecurityState::TempLoss)
        );
        assert_eq!(
            card(SocialSecurityState::Active, FinancialState::Active).financial_report(FinancialState::Inactive),
            Err(CardRefusal::NotAStateChange)
        );
    }

    #[test]
    fn reasons_read_back() {
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.as_str()), Some(r));
        }
    }
}
