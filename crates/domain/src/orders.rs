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

/// The text message that tells the applicant their application reached `state` (SPEC §8: at submitted,
/// rejected, produced, mailed with the tracking number, ready for pickup); `None` for the other states.
/// `detail` is the bank's reason or the tracking number. Never a link (handbook Q40).
pub fn progress_message(state: ApplicationState, reference: &str, detail: Option<&str>) -> Option<String> {
    let head = format!("【北京社保卡】您的社保卡申请（编号{reference}）");
    let detail = detail.unwrap_or("");
    let text = match state {
        ApplicationState::Submitted => {
            "已提交，银行将在30天内制卡。可在\u{201c}个人中心—我的办事\u{201d}查看进度。".to_string()
        }
        ApplicationState::Rejected => format!("被银行退回，原因：{detail}。请修改后重新提交。"),
        ApplicationState::Produced => "已制卡完成。".to_string(),
        ApplicationState::Mailed => format!("已由银行寄出，快递单号{detail}。"),
        ApplicationState::ReadyForPickup => "已可到办卡网点领取，请携带身份证件。".to_string(),
        _ => return None,
    };
    Some(format!("{head}{text}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationState as S;

    #[test]
    fn progress_messages_at_the_five_steps_and_never_a_link() {
        let with = |s| progress_message(s, "BJ1", Some("SF123"));
        for s in [S::Submitted, S::Rejected, S::Produced, S::Mailed, S::ReadyForPickup] {
            let m = with(s).unwrap();
            assert!(m.contains("BJ1") && !crate::audit::contains_link(&m), "{m}");
        }
        assert!(with(S::Mailed).unwrap().contains("SF123"));
        for s in [
            S::Draft,
            S::SentToBank,
            S::InProduction,
            S::DeliveredToEntity,
            S::Collected,
            S::Withdrawn,
        ] {
            assert_eq!(with(s), None);
        }
    }

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
