//! Production orders and the bank's reports on them (SPEC §5.6, §8). Every submission (and resubmission)
//! becomes one order for its bank; the bank's reports move the application along its state machine. A report
//! that was already applied changes nothing; one out of order is refused with the state it needed.

use serde::{Deserialize, Serialize};

use crate::application::{ApplicationEvent, ApplicationState, TransitionError};

/// What a bank reports about one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum BankReport {
    Accepted,
    Rejected {
        reason: String,
    },
    Produced {
        card_number: String,
        masked_account: String,
    },
    Mailed {
        tracking_number: String,
    },
    ReadyForPickup,
    DeliveredToEntity,
    Collected,
}

/// How a report applies to an application in `state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportOutcome {
    /// Move the application: the event, and the state it leads to.
    Move(ApplicationEvent, ApplicationState),
    /// The same report was applied before: nothing changes.
    AlreadyApplied,
}

impl BankReport {
    pub fn event(&self) -> ApplicationEvent {
        match self {
            BankReport::Accepted => ApplicationEvent::BankAccept,
            BankReport::Rejected { .. } => ApplicationEvent::Reject,
            BankReport::Produced { .. } => ApplicationEvent::Produce,
            BankReport::Mailed { .. } => ApplicationEvent::Mail,
            BankReport::ReadyForPickup => ApplicationEvent::ReadyForPickup,
            BankReport::DeliveredToEntity => ApplicationEvent::DeliverToEntity,
            BankReport::Collected => ApplicationEvent::Collect,
        }
    }

    pub fn status(&self) -> &'static str {
        match self {
            BankReport::Accepted => "accepted",
            BankReport::Rejected { .. } => "rejected",
            BankReport::Produced { .. } => "produced",
            BankReport::Mailed { .. } => "mailed",
            BankReport::ReadyForPickup => "ready_for_pickup",
            BankReport::DeliveredToEntity => "delivered_to_entity",
            BankReport::Collected => "collected",
        }
    }

    /// The state this report leads to.
    pub fn target(&self) -> ApplicationState {
        match self {
            BankReport::Accepted => ApplicationState::InProduction,
            BankReport::Rejected { .. } => ApplicationState::Rejected,
            BankReport::Produced { .. } => ApplicationState::Produced,
            BankReport::Mailed { .. } => ApplicationState::Mailed,
            BankReport::ReadyForPickup => ApplicationState::ReadyForPickup,
            BankReport::DeliveredToEntity => ApplicationState::DeliveredToEntity,
            BankReport::Collected => ApplicationState::Collected,
        }
    }

    /// Applies to an application in `state`: a move, "already applied" (the application is already where this
    /// report leads), or the transition error naming the states it needed.
    pub fn apply_to(&self, state: ApplicationState) -> Result<ReportOutcome, TransitionError> {
        if state == self.target() {
            return Ok(ReportOutcome::AlreadyApplied);
        }
        let to = state.apply(self.event())?;
        Ok(ReportOutcome::Move(self.event(), to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationState as S;

    #[test]
    fn reports_follow_the_state_machine_and_repeat_harmlessly() {
        assert_eq!(
            BankReport::Accepted.apply_to(S::SentToBank),
            Ok(ReportOutcome::Move(ApplicationEvent::BankAccept, S::InProduction))
        );
        assert_eq!(
            BankReport::Accepted.apply_to(S::InProduction),
            Ok(ReportOutcome::AlreadyApplied)
        );
        let err = BankReport::Collected.apply_to(S::InProduction).unwrap_err();
        assert_eq!(err.expected, vec![S::Mailed, S::ReadyForPickup, S::DeliveredToEntity]);
        let produced = BankReport::Produced {
            card_number: "1".into(),
            masked_account: "6222****1234".into(),
        };
        assert!(produced.apply_to(S::SentToBank).is_err(), "not accepted yet");
    }
}
