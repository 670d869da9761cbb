//! The card (SPEC §7.1): created when the bank reports it produced, with its social-security function
//! pending activation and its financial function inactive. The services of §7.2 move these states.
//!
//! - [`channels`]: which channel may do what (SPEC §7.4) as data, and the refusal naming where instead.
//! - [`info`]: the holder's non-key information (address, occupation, mobile).
//! - [`lifecycle`]: what each service does to the two functions; the 15-day temporary loss.
//! - [`password`]: the service password (six digits, the initial value, the lock).
//! - [`proxy`]: what a holder may delegate to a proxy, and for how long.
//! - [`replacement`]: 补领 and 换领, the replacement order's progress at the bank.
//! - [`transition`]: the append-only record of every change.
//! - [`texts`]: what the holder is told of each change.

pub mod channel_suspensions;
pub mod channels;
pub mod info;
pub mod lifecycle;
pub mod password;
pub mod proxy;
pub mod replacement;
pub mod texts;
pub mod transition;

use chrono::{DateTime, FixedOffset, NaiveDate};
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
    /// When a temporary loss of the social-security function ends by itself (set while it is `temp_loss`).
    pub loss_until: Option<DateTime<FixedOffset>>,
    /// The transport function (a top-up is the bank's; SPEC §7.1).
    pub transport: Transport,
    /// The park pass's year, when one is loaded.
    pub park_pass_year: Option<u16>,
    /// Its place in a chain of replacements, and whether the registry requires one.
    pub links: CardLinks,
}

/// A card's replacement links (SPEC §7.2): the card it replaces, the one that replaced it, the replacement order
/// asked for it, and the printed fields that changed in the registry since it was made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CardLinks {
    pub replaces: Option<String>,
    pub replaced_by: Option<String>,
    /// Set when a replacement is asked for: from then on the card cannot be released (Q21).
    pub replacement_order: Option<String>,
    /// Printed fields changed in the registry: the card must be replaced (empty: none).
    pub replacement_required: Vec<replacement::PrintedField>,
}

/// The transport function: enabled, and its balance in fen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Transport {
    pub enabled: bool,
    pub balance_fen: i64,
}

/// A first- or second-generation card the registry lists for a holder (SPEC §7.1). Its medical-settlement
/// function ends when the holder's new card is activated (Q24).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegacyCardStatus {
    pub generation: u8,
    pub bank: String,
    /// When its medical-settlement function ended (the new card's activation); `None` while it still works.
    pub medical_ended_at: Option<DateTime<FixedOffset>>,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A third-generation card in these states (tests of this module's children).
    pub(crate) fn card(ss: SocialSecurityState, fin: FinancialState) -> Card {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default();
        Card {
            number: "BJ0000001".into(),
            holder: IdNumber::parse("110105198001020118", today).unwrap_or_else(|e| panic!("{e}")),
            generation: 3,
            bank: "102".into(),
            branch: Some("102-0101".into()),
            masked_account: "6217********0001".into(),
            issued_on: today,
            application: "a1".into(),
            social_security: ss,
            financial: fin,
            loss_until: None,
            transport: Transport::default(),
            park_pass_year: None,
            links: CardLinks::default(),
        }
    }

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
