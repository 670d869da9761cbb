//! The card (SPEC §7.1): created when the bank reports it produced, with its social-security function
//! pending activation and its financial function inactive. The services of §7.2 move these states.

use chrono::NaiveDate;
use serde::Serialize;

use crate::values::IdNumber;

/// The card's social-security function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SocialSecurityState {
    PendingActivation,
    Active,
    TempLoss,
    FormalLoss,
    Cancelled,
}

/// The card's financial (bank account) function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FinancialState {
    Inactive,
    Active,
    Loss,
    Cancelled,
}

impl SocialSecurityState {
    pub const ALL: [SocialSecurityState; 5] = [
        SocialSecurityState::PendingActivation,
        SocialSecurityState::Active,
        SocialSecurityState::TempLoss,
        SocialSecurityState::FormalLoss,
        SocialSecurityState::Cancelled,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            SocialSecurityState::PendingActivation => "pending_activation",
            SocialSecurityState::Active => "active",
            SocialSecurityState::TempLoss => "temp_loss",
            SocialSecurityState::FormalLoss => "formal_loss",
            SocialSecurityState::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<SocialSecurityState> {
        SocialSecurityState::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

impl FinancialState {
    pub const ALL: [FinancialState; 4] = [
        FinancialState::Inactive,
        FinancialState::Active,
        FinancialState::Loss,
        FinancialState::Cancelled,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            FinancialState::Inactive => "inactive",
            FinancialState::Active => "active",
            FinancialState::Loss => "loss",
            FinancialState::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<FinancialState> {
        FinancialState::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A third-generation card this system issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Card {
    pub number: String,
    /// The social security number is the ID number.
    pub holder: IdNumber,
    pub generation: u8,
    pub bank: String,
    pub branch: Option<String>,
    /// Stored masked only.
    pub masked_account: String,
    pub issued_on: NaiveDate,
    pub application: String,
    pub social_security: SocialSecurityState,
    pub financial: FinancialState,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_back_from_their_names() {
        for s in SocialSecurityState::ALL {
            assert_eq!(SocialSecurityState::parse(s.as_str()), Some(s));
        }
        for s in FinancialState::ALL {
            assert_eq!(FinancialState::parse(s.as_str()), Some(s));
        }
        assert_eq!(SocialSecurityState::parse("lost"), None);
    }
}
