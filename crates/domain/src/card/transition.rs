//! The record of a change to a card (SPEC §7, issue "the card's life"): append-only, written in the same
//! transaction as the state it records. Who did it, for whom, where, why, and under which request key.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use super::channels::{Acting, Service};
use super::lifecycle::{Change, Reason};
use super::{FinancialState, SocialSecurityState};
use crate::access::{Channel, Role};
use crate::values::IdNumber;

/// Free text given with the reason `other`: [`crate::values::FreeText`] of 1 to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReasonText(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReasonTextError {
    #[error("say what happened, in at most 200 characters")]
    Invalid,
}

impl ReasonText {
    pub fn parse(input: &str) -> Result<ReasonText, ReasonTextError> {
        crate::values::FreeText::parse(input, 200)
            .map(|t| ReasonText(t.into_string()))
            .map_err(|_| ReasonTextError::Invalid)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who made the change: a signed-in account in a role, or the system itself (the release job).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// `None` for the system.
    pub role: Option<Role>,
    /// The account id, or `system`.
    pub account: String,
    /// On whose behalf: the holder themself, a guardian or a proxy (with that person's ID number).
    pub acting: Acting,
    pub agent: Option<IdNumber>,
}

impl Actor {
    pub fn system() -> Actor {
        Actor {
            role: None,
            account: "system".into(),
            acting: Acting::Holder,
            agent: None,
        }
    }
}

/// One change to a card, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardTransition {
    pub card: String,
    pub at: DateTime<FixedOffset>,
    pub service: Service,
    pub social_security: (SocialSecurityState, SocialSecurityState),
    pub financial: (FinancialState, FinancialState),
    pub reason: Reason,
    pub reason_text: Option<ReasonText>,
    /// `None` for the system's own change (the release job).
    pub channel: Option<Channel>,
    pub actor: Actor,
    /// The outlet or branch where a counter did it.
    pub place: Option<String>,
    /// The request's idempotency key: the same key on the same card is one change.
    pub key: Option<String>,
}

impl CardTransition {
    /// The record of `change`, made at `at`.
    #[allow(clippy::too_many_arguments)]
    pub fn of(
        card: &str,
        change: &Change,
        at: DateTime<FixedOffset>,
        reason: Reason,
        reason_text: Option<ReasonText>,
        channel: Option<Channel>,
        actor: Actor,
        place: Option<String>,
        key: Option<String>,
    ) -> CardTransition {
        CardTransition {
            card: card.to_string(),
            at,
            service: change.service,
            social_security: change.social_security,
            financial: change.financial,
            reason,
            reason_text,
            channel,
            actor,
            place,
            key,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_text_is_bounded_and_printable() {
        assert!(ReasonText::parse("").is_err());
        assert!(ReasonText::parse("   ").is_err());
        assert!(ReasonText::parse(&"字".repeat(201)).is_err());
        assert!(ReasonText::parse("lost\u{7}").is_err());
        assert_eq!(
            ReasonText::parse(" 在公交车上丢失 ").unwrap().as_str(),
            "在公交车上丢失"
        );
    }
}
