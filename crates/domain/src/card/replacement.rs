//! Replacement (SPEC §7.2, handbook Q18–Q23): 补领 after a formal loss, 换领 for a damaged card or one whose
//! printed fields changed in the registry. "New for new": the holder gets a third-generation card, free of
//! charge, made within [`REPLACEMENT_WORKING_DAYS`] working days (or at once by an equipped branch). A lost card
//! is terminal at once; a damaged one works until its replacement is activated. The replacement is its own kind
//! of production order in the bank interface; its reports move it along [`ReplacementState`].

use serde::Serialize;

use super::channels::Service;
use super::lifecycle::{CardRefusal, Change};
use super::{Card, FinancialState, SocialSecurityState};
use crate::orders::BankReport;

/// A replacement is made within this many working days of the request (SPEC §7.2).
pub const REPLACEMENT_WORKING_DAYS: u32 = 4;

/// Why a card is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplacementCause {
    /// 补领: the card was lost (or stolen) and formally reported.
    Lost,
    /// 换领: the card is damaged.
    Damaged,
    /// 换领: a field printed on the card changed in the registry.
    PrintedFieldChanged,
}

impl ReplacementCause {
    pub const ALL: [ReplacementCause; 3] = [
        ReplacementCause::Lost,
        ReplacementCause::Damaged,
        ReplacementCause::PrintedFieldChanged,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ReplacementCause::Lost => "lost",
            ReplacementCause::Damaged => "damaged",
            ReplacementCause::PrintedFieldChanged => "printed_field_changed",
        }
    }
    pub fn parse(s: &str) -> Option<ReplacementCause> {
        ReplacementCause::ALL.into_iter().find(|c| c.as_str() == s)
    }
    /// 补领 (a lost card) rather than 换领 (the old card in hand).
    pub fn is_reissue(self) -> bool {
        self == ReplacementCause::Lost
    }
}

/// A field printed on the card: a change in the registry requires a replacement (SPEC §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrintedField {
    Name,
    SocialSecurityNumber,
    Gender,
    Ethnicity,
    BirthDate,
}

impl PrintedField {
    pub const ALL: [PrintedField; 5] = [
        PrintedField::Name,
        PrintedField::SocialSecurityNumber,
        PrintedField::Gender,
        PrintedField::Ethnicity,
        PrintedField::BirthDate,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            PrintedField::Name => "name",
            PrintedField::SocialSecurityNumber => "social_security_number",
            PrintedField::Gender => "gender",
            PrintedField::Ethnicity => "ethnicity",
            PrintedField::BirthDate => "birth_date",
        }
    }
    pub fn parse(s: &str) -> Option<PrintedField> {
        PrintedField::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

impl PrintedField {
    /// The printed fields that differ between a person's registry record before and after a re-import (the
    /// social security number and the date of birth are the ID number itself: a record under another number is
    /// another person).
    pub fn changed(old: &crate::registry::InsuredPerson, new: &crate::registry::InsuredPerson) -> Vec<PrintedField> {
        let mut out = Vec::new();
        if old.id_number != new.id_number {
            out.push(PrintedField::SocialSecurityNumber);
        }
        if old.name != new.name {
            out.push(PrintedField::Name);
        }
        if old.gender != new.gender {
            out.push(PrintedField::Gender);
        }
        if old.ethnicity != new.ethnicity {
            out.push(PrintedField::Ethnicity);
        }
        if old.birth_date() != new.birth_date() {
            out.push(PrintedField::BirthDate);
        }
        out
    }
}

/// A replacement order's progress at the bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplacementState {
    /// Waiting for the bank's pull.
    Ordered,
    SentToBank,
    InProduction,
    Rejected,
    Produced,
    ReadyForPickup,
    Mailed,
    Collected,
}

impl ReplacementState {
    pub const ALL: [ReplacementState; 8] = [
        ReplacementState::Ordered,
        ReplacementState::SentToBank,
        ReplacementState::InProduction,
        ReplacementState::Rejected,
        ReplacementState::Produced,
        ReplacementState::ReadyForPickup,
        ReplacementState::Mailed,
        ReplacementState::Collected,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ReplacementState::Ordered => "ordered",
            ReplacementState::SentToBank => "sent_to_bank",
            ReplacementState::InProduction => "in_production",
            ReplacementState::Rejected => "rejected",
            ReplacementState::Produced => "produced",
            ReplacementState::ReadyForPickup => "ready_for_pickup",
            ReplacementState::Mailed => "mailed",
            ReplacementState::Collected => "collected",
        }
    }
    pub fn parse(s: &str) -> Option<ReplacementState> {
        ReplacementState::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// Made (or given up): it no longer counts against the 4 working days.
    pub fn is_done(self) -> bool {
        !matches!(
            self,
            ReplacementState::Ordered | ReplacementState::SentToBank | ReplacementState::InProduction
        )
    }
}

/// How a bank's report applies to a replacement order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplacementStep {
    Move(ReplacementState),
    AlreadyApplied,
}

/// A report that does not fit the order's state: where it stands and what the report needed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the replacement is {state:?}; this report needs one of {expected:?}")]
pub struct ReplacementOutOfOrder {
    pub state: ReplacementState,
    pub expected: Vec<ReplacementState>,
}

impl ReplacementState {
    /// Where `report` leads from here: the same report twice is "already applied". A replacement is never
    /// delivered to an entity.
    pub fn after(self, report: &BankReport) -> Result<ReplacementStep, ReplacementOutOfOrder> {
        use ReplacementState as R;
        let (target, from): (R, &[R]) = match report {
            BankReport::Accepted => (R::InProduction, &[R::SentToBank]),
            BankReport::Rejected { .. } => (R::Rejected, &[R::SentToBank, R::InProduction]),
            BankReport::Produced { .. } => (R::Produced, &[R::InProduction]),
            BankReport::ReadyForPickup => (R::ReadyForPickup, &[R::Produced]),
            BankReport::Mailed { .. } => (R::Mailed, &[R::Produced]),
            BankReport::Collected => (R::Collected, &[R::ReadyForPickup, R::Mailed]),
            BankReport::DeliveredToEntity => (R::Collected, &[]),
        };
        if self == target && !from.is_empty() {
            return Ok(ReplacementStep::AlreadyApplied);
        }
        if from.contains(&self) {
            return Ok(ReplacementStep::Move(target));
        }
        Err(ReplacementOutOfOrder {
            state: self,
            expected: from.to_vec(),
        })
    }
}

impl Card {
    /// What asking for a replacement for `cause` does to this card now (read [`Card::at`] first): a lost card
    /// must be formally reported and ends at once; a card in hand (damaged, or its printed fields changed) keeps
    /// working until its replacement is activated. One replacement at a time.
    pub fn replacement(&self, cause: ReplacementCause) -> Result<Change, CardRefusal> {
        use SocialSecurityState as S;
        if self.links.replacement_order.is_some() {
            return Err(CardRefusal::ReplacementInProgress);
        }
        let ss = self.social_security;
        let fin = self.financial;
        let stay = Change {
            service: Service::Replacement,
            social_security: (ss, ss),
            financial: (fin, fin),
            loss_until: None,
        };
        match (cause, ss) {
            (_, S::Cancelled) => Err(CardRefusal::Cancelled),
            (ReplacementCause::Lost, S::FormalLoss) => Ok(Change {
                social_security: (ss, S::Cancelled),
                financial: (fin, FinancialState::Cancelled),
                ..stay
            }),
            // 补领 needs the formal loss first (it ends the lost card's use for good).
            (ReplacementCause::Lost, _) => Err(CardRefusal::FormalLossFirst),
            (_, S::FormalLoss) => Err(CardRefusal::ReportedLost),
            (ReplacementCause::PrintedFieldChanged, _) if self.links.replacement_required.is_empty() => {
                Err(CardRefusal::NoPrintedFieldChange)
            }
            // A temporary loss keeps its end; the card in hand changes only when the new one is activated.
            (_, S::TempLoss) => Ok(Change {
                loss_until: self.loss_until,
                ..stay
            }),
            _ => Ok(stay),
        }
    }

    /// When this card's replacement is activated, the card it replaces ends (if it has not already).
    pub fn retired_by_replacement(&self) -> Option<Change> {
        (self.social_security != SocialSecurityState::Cancelled || self.financial != FinancialState::Cancelled)
            .then_some(Change {
                service: Service::Replacement,
                social_security: (self.social_security, SocialSecurityState::Cancelled),
                financial: (self.financial, FinancialState::Cancelled),
                loss_until: None,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::tests::card;

    #[test]
    fn a_lost_card_is_replaced_only_after_its_formal_loss_and_ends_at_once() {
        let lost = card(SocialSecurityState::TempLoss, FinancialState::Loss);
        assert_eq!(
            lost.replacement(ReplacementCause::Lost),
            Err(CardRefusal::FormalLossFirst)
        );
        let formal = card(SocialSecurityState::FormalLoss, FinancialState::Loss);
        let ch = formal.replacement(ReplacementCause::Lost).unwrap();
        assert_eq!(
            (ch.social_security.1, ch.financial.1),
            (SocialSecurityState::Cancelled, FinancialState::Cancelled)
        );
        assert_eq!(
            formal.replacement(ReplacementCause::Damaged),
            Err(CardRefusal::ReportedLost)
        );
    }

    #[test]
    fn a_damaged_card_works_until_the_new_one_is_activated() {
        let c = card(SocialSecurityState::Active, FinancialState::Active);
        let ch = c.replacement(ReplacementCause::Damaged).unwrap();
        assert!(!ch.moves());
        let retire = c.retired_by_replacement().unwrap();
        assert_eq!(retire.social_security.1, SocialSecurityState::Cancelled);
        let mut ordered = c.clone();
        ordered.links.replacement_order = Some("r1".into());
        assert_eq!(
            ordered.replacement(ReplacementCause::Damaged),
            Err(CardRefusal::ReplacementInProgress)
        );
        assert_eq!(
            c.replacement(ReplacementCause::PrintedFieldChanged),
            Err(CardRefusal::NoPrintedFieldChange)
        );
        let mut flagged = c.clone();
        flagged.links.replacement_required = vec![PrintedField::Name];
        assert!(flagged.replacement(ReplacementCause::PrintedFieldChanged).is_ok());
    }

    #[test]
    fn reports_move_a_replacement_in_order_and_twice_changes_nothing() {
        use ReplacementState as R;
        assert_eq!(
            R::SentToBank.after(&BankReport::Accepted),
            Ok(ReplacementStep::Move(R::InProduction))
        );
        assert_eq!(
            R::InProduction.after(&BankReport::Accepted),
            Ok(ReplacementStep::AlreadyApplied)
        );
        let produced = BankReport::Produced {
            card_number: "X".into(),
            masked_account: "6222****0001".into(),
        };
        assert_eq!(
            R::SentToBank.after(&produced).unwrap_err().expected,
            vec![R::InProduction]
        );
        assert!(R::Produced.after(&BankReport::DeliveredToEntity).is_err());
        assert!(R::Collected.is_done() && !R::SentToBank.is_done());
        for s in R::ALL {
            assert_eq!(R::parse(s.as_str()), Some(s));
        }
    }
}
