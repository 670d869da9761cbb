//! The audit log's entries (SPEC §9): who, as which role, through which channel, when, did what to which
//! record, why, and with what outcome. Entries are only ever appended.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use crate::access::{Channel, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    LoginSucceeded,
    LoginFailed,
    Logout,
    LogoutEverywhere,
    SmsCodeSent,
    RealNameVerified,
    RealNameRefused,
    AccountCreated,
    TokenIssued,
    /// A staff member (or system) read a person's personal data.
    PersonRead,
    /// A state change of a record (applications, cards).
    StateChanged,
    /// A wrong service password for a card, on any channel (five lock it).
    CardPasswordFailed,
    /// The bureau changed a bank, branch or outlet (the change itself is kept with before and after).
    ReferenceChanged,
    /// The bureau changed a staff account: its password reset, or its binding to a bank branch or outlet.
    AccountChanged,
}

impl AuditAction {
    pub const ALL: [AuditAction; 14] = [
        AuditAction::LoginSucceeded,
        AuditAction::LoginFailed,
        AuditAction::Logout,
        AuditAction::LogoutEverywhere,
        AuditAction::SmsCodeSent,
        AuditAction::RealNameVerified,
        AuditAction::RealNameRefused,
        AuditAction::AccountCreated,
        AuditAction::TokenIssued,
        AuditAction::PersonRead,
        AuditAction::StateChanged,
        AuditAction::CardPasswordFailed,
        AuditAction::ReferenceChanged,
        AuditAction::AccountChanged,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::LoginSucceeded => "login_succeeded",
            AuditAction::LoginFailed => "login_failed",
            AuditAction::Logout => "logout",
            AuditAction::LogoutEverywhere => "logout_everywhere",
            AuditAction::SmsCodeSent => "sms_code_sent",
            AuditAction::RealNameVerified => "real_name_verified",
            AuditAction::RealNameRefused => "real_name_refused",
            AuditAction::AccountCreated => "account_created",
            AuditAction::TokenIssued => "token_issued",
            AuditAction::PersonRead => "person_read",
            AuditAction::StateChanged => "state_changed",
            AuditAction::CardPasswordFailed => "card_password_failed",
            AuditAction::ReferenceChanged => "reference_changed",
            AuditAction::AccountChanged => "account_changed",
        }
    }
    pub fn parse(s: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    Refused,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Refused => "refused",
        }
    }
    pub fn parse(s: &str) -> Option<Outcome> {
        [Outcome::Success, Outcome::Failure, Outcome::Refused]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub at: DateTime<FixedOffset>,
    /// The acting account; `None` for an attempt that named no known account.
    pub actor: Option<String>,
    pub role: Option<Role>,
    pub channel: Channel,
    /// The bank/branch or outlet the actor acts for.
    pub organisation: Option<String>,
    pub action: AuditAction,
    /// The record acted on, as `kind:id` (e.g. `account:…`, `person:…`).
    pub record: Option<String>,
    /// The person whose personal data this touched (their ID number), for their access log.
    pub subject_person: Option<String>,
    pub purpose: Option<String>,
    pub outcome: Outcome,
    pub ip: Option<String>,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Outcome::parse("refused"), Some(Outcome::Refused));
    }
}

/// Why a staff member reads a person's data: a fixed list, so the access log a resident sees is meaningful
/// (PIPL purpose limitation) and can be shown in their language.
pub const READ_PURPOSES: [&str; 6] = [
    "counter_service",
    "hotline_enquiry",
    "card_production",
    "employer_application",
    "case_review",
    "data_correction",
];

pub fn is_read_purpose(s: &str) -> bool {
    READ_PURPOSES.contains(&s)
}

/// The text of the login/registration code message. Never a link (handbook Q40: the bureau never sends links).
pub fn sms_code_message(code: &str, minutes: i64) -> String {
    format!("【北京社保卡】验证码{code}，{minutes}分钟内有效。请勿告诉他人，工作人员不会向您索要验证码。")
}

/// Whether a text holds anything a phone would turn into a link.
pub fn contains_link(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    ["http:", "https:", "://", "www.", ".com", ".cn", ".net", ".org"]
        .iter()
        .any(|p| t.contains(p))
}

#[cfg(test)]
mod message_tests {
    use super::*;

    #[test]
    fn code_message_has_code_and_no_link() {
        let m = sms_code_message("123456", 5);
        assert!(m.contains("123456") && m.contains('5'));
        assert!(!contains_link(&m));
        assert!(contains_link("点击 https://x.example 激活"));
        assert!(contains_link("访问 www.example 领取"));
    }

    #[test]
    fn purposes_are_codes() {
        assert!(is_read_purpose("counter_service"));
        assert!(!is_read_purpose("curiosity"));
        assert!(READ_PURPOSES
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
    }
}
