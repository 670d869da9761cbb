//! Application routes and the application state machine (SPEC §5.1, §5.6).
//!
//! Transitions are the only way to change a state, and each returns `Result`: an illegal one is refused with
//! the state it would have needed.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    Personal,
    Retiree,
    Minor,
    Collective,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationState {
    Draft,
    Submitted,
    SentToBank,
    InProduction,
    Produced,
    Mailed,
    ReadyForPickup,
    DeliveredToEntity,
    Collected,
    Rejected,
    Withdrawn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationEvent {
    Submit,
    SendToBank,
    BankAccept,
    Produce,
    Mail,
    ReadyForPickup,
    DeliverToEntity,
    Collect,
    Reject,
    Withdraw,
    /// The applicant fixes a rejected application and submits it again.
    Resubmit,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {event:?} an application that is {from:?}; it must be one of {expected:?}")]
pub struct TransitionError {
    pub from: ApplicationState,
    pub event: ApplicationEvent,
    pub expected: Vec<ApplicationState>,
}

impl ApplicationState {
    pub const ALL: [ApplicationState; 11] = [
        ApplicationState::Draft,
        ApplicationState::Submitted,
        ApplicationState::SentToBank,
        ApplicationState::InProduction,
        ApplicationState::Produced,
        ApplicationState::Mailed,
        ApplicationState::ReadyForPickup,
        ApplicationState::DeliveredToEntity,
        ApplicationState::Collected,
        ApplicationState::Rejected,
        ApplicationState::Withdrawn,
    ];

    /// The states from which `event` is allowed, and where it leads.
    fn rule(event: ApplicationEvent) -> (&'static [ApplicationState], ApplicationState) {
        use ApplicationEvent as E;
        use ApplicationState as S;
        match event {
            E::Submit => (&[S::Draft], S::Submitted),
            E::SendToBank => (&[S::Submitted], S::SentToBank),
            E::BankAccept => (&[S::SentToBank], S::InProduction),
            E::Produce => (&[S::InProduction], S::Produced),
            E::Mail => (&[S::Produced], S::Mailed),
            E::ReadyForPickup => (&[S::Produced], S::ReadyForPickup),
            E::DeliverToEntity => (&[S::Produced], S::DeliveredToEntity),
            E::Collect => (&[S::Mailed, S::ReadyForPickup, S::DeliveredToEntity], S::Collected),
            E::Reject => (&[S::SentToBank, S::InProduction], S::Rejected),
            // Withdrawal is allowed only before production starts (SPEC §5.6).
            E::Withdraw => (&[S::Draft, S::Submitted, S::SentToBank, S::Rejected], S::Withdrawn),
            E::Resubmit => (&[S::Rejected], S::Submitted),
        }
    }

    pub fn apply(self, event: ApplicationEvent) -> Result<ApplicationState, TransitionError> {
        let (from, to) = Self::rule(event);
        if from.contains(&self) {
            Ok(to)
        } else {
            Err(TransitionError {
                from: self,
                event,
                expected: from.to_vec(),
            })
        }
    }

    /// Open applications block a new one for the same person (SPEC §5.1).
    pub fn is_open(self) -> bool {
        !matches!(self, ApplicationState::Collected | ApplicationState::Withdrawn)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationState::Draft => "draft",
            ApplicationState::Submitted => "submitted",
            ApplicationState::SentToBank => "sent_to_bank",
            ApplicationState::InProduction => "in_production",
            ApplicationState::Produced => "produced",
            ApplicationState::Mailed => "mailed",
            ApplicationState::ReadyForPickup => "ready_for_pickup",
            ApplicationState::DeliveredToEntity => "delivered_to_entity",
            ApplicationState::Collected => "collected",
            ApplicationState::Rejected => "rejected",
            ApplicationState::Withdrawn => "withdrawn",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationEvent as E;
    use ApplicationState as S;

    #[test]
    fn the_happy_paths_of_each_collection_method() {
        for delivery in [E::Mail, E::ReadyForPickup, E::DeliverToEntity] {
            let mut s = S::Draft;
            for e in [
                E::Submit,
                E::SendToBank,
                E::BankAccept,
                E::Produce,
                delivery,
                E::Collect,
            ] {
                s = s.apply(e).unwrap();
            }
            assert_eq!(s, S::Collected);
        }
    }

    #[test]
    fn withdrawal_only_before_production() {
        assert_eq!(S::Submitted.apply(E::Withdraw), Ok(S::Withdrawn));
        let err = S::InProduction.apply(E::Withdraw).unwrap_err();
        assert_eq!(err.from, S::InProduction);
        assert!(!err.expected.contains(&S::InProduction));
    }

    #[test]
    fn rejection_returns_to_the_applicant_who_resubmits() {
        let s = S::SentToBank.apply(E::Reject).unwrap();
        assert_eq!(s.apply(E::Resubmit), Ok(S::Submitted));
    }

    #[test]
    fn terminal_states_accept_nothing_but_nothing_skips_a_step() {
        let events = [
            E::Submit,
            E::SendToBank,
            E::BankAccept,
            E::Produce,
            E::Mail,
            E::ReadyForPickup,
            E::DeliverToEntity,
            E::Collect,
            E::Reject,
            E::Withdraw,
            E::Resubmit,
        ];
        for e in events {
            assert!(S::Collected.apply(e).is_err());
            assert!(S::Withdrawn.apply(e).is_err());
        }
        assert!(S::Submitted.apply(E::Produce).is_err());
        assert!(S::Draft.apply(E::Collect).is_err());
    }
}
