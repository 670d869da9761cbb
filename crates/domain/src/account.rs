//! Accounts and the principal a request acts as (SPEC §2, §3).
//!
//! An account's kind carries what it is bound to (an entity's USCC, a bank branch, an outlet, a bank), so a
//! bank clerk without a branch or a handler without an entity cannot be represented.

use chrono::NaiveDate;
use serde::Serialize;

use crate::access::{Channel, Role};
use crate::values::{IdNumber, Mobile, PersonName, Uscc};

/// What an account is, and what it is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum AccountKind {
    Resident,
    EntityHandler { entity: Uscc },
    BankClerk { bank: String, branch: String },
    OutletClerk { outlet: String, district: String },
    HotlineAgent,
    Admin,
    BankSystem { bank: String },
}

impl AccountKind {
    pub fn role(&self) -> Role {
        match self {
            AccountKind::Resident => Role::Resident,
            AccountKind::EntityHandler { .. } => Role::EntityHandler,
            AccountKind::BankClerk { .. } => Role::BankClerk,
            AccountKind::OutletClerk { .. } => Role::OutletClerk,
            AccountKind::HotlineAgent => Role::HotlineAgent,
            AccountKind::Admin => Role::Admin,
            AccountKind::BankSystem { .. } => Role::BankSystem,
        }
    }

    /// Staff act at a counter or on the hotline: their channel follows from their role, whatever client they
    /// use. Residents and handlers act through the client they logged in with. The admin works in the
    /// bureau's web console.
    pub fn fixed_channel(&self) -> Option<Channel> {
        match self {
            AccountKind::BankClerk { .. } | AccountKind::BankSystem { .. } => Some(Channel::BankOutlet),
            AccountKind::OutletClerk { .. } => Some(Channel::DistrictOutlet),
            AccountKind::HotlineAgent => Some(Channel::Hotline),
            AccountKind::Admin => Some(Channel::Web),
            AccountKind::Resident | AccountKind::EntityHandler { .. } => None,
        }
    }

    /// The bank or outlet an account acts for, as shown in a resident's access log.
    pub fn organisation(&self) -> Option<String> {
        match self {
            AccountKind::BankClerk { bank, branch } => Some(format!("{bank}/{branch}")),
            AccountKind::OutletClerk { outlet, .. } => Some(outlet.clone()),
            AccountKind::BankSystem { bank } => Some(bank.clone()),
            AccountKind::EntityHandler { entity } => Some(entity.as_str().to_string()),
            _ => None,
        }
    }

    pub fn is_staff(&self) -> bool {
        matches!(
            self,
            AccountKind::BankClerk { .. }
                | AccountKind::OutletClerk { .. }
                | AccountKind::HotlineAgent
                | AccountKind::Admin
                | AccountKind::BankSystem { .. }
        )
    }
}

/// A login name: 3–32 characters, lower-case letters, digits, `_`, `.`, `-`, beginning with a letter, so it
/// can never be mistaken for a mobile number or an ID number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Username(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("a username has 3 to 32 characters")]
    Length,
    #[error("a username begins with a letter and holds only a-z, 0-9, _ . -")]
    Characters,
}

impl Username {
    pub fn parse(input: &str) -> Result<Username, UsernameError> {
        let s = input.trim().to_ascii_lowercase();
        if !(3..=32).contains(&s.len()) {
            return Err(UsernameError::Length);
        }
        let mut chars = s.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
        if !first_ok || !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c)) {
            return Err(UsernameError::Characters);
        }
        Ok(Username(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a person types in the "account" box of the login form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginIdentifier {
    Mobile(Mobile),
    IdNumber(IdNumber),
    Username(Username),
}

impl LoginIdentifier {
    /// A mobile number if it is one, else an ID number if it is one, else a username; `None` when it is
    /// none of them (so nothing is looked up).
    pub fn parse(input: &str, today: NaiveDate) -> Option<LoginIdentifier> {
        let s = input.trim();
        if let Ok(m) = Mobile::parse(s) {
            return Some(LoginIdentifier::Mobile(m));
        }
        if let Ok(id) = IdNumber::parse(s, today) {
            return Some(LoginIdentifier::IdNumber(id));
        }
        Username::parse(s).ok().map(LoginIdentifier::Username)
    }
}

/// A password as typed. Never printed: `Debug` hides it.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("a password has 8 to 128 characters")]
    Length,
    #[error("a password holds both letters and digits")]
    Weak,
}

impl Password {
    /// A new password must be 8–128 characters with letters and digits.
    pub fn new_password(input: &str) -> Result<Password, PasswordError> {
        let n = input.chars().count();
        if !(8..=128).contains(&n) {
            return Err(PasswordError::Length);
        }
        let letters = input.chars().any(|c| c.is_alphabetic());
        let digits = input.chars().any(|c| c.is_ascii_digit());
        if !(letters && digits) {
            return Err(PasswordError::Weak);
        }
        Ok(Password(input.to_string()))
    }
    /// A password offered at login is only compared, never judged; over-long input is cut so hashing stays cheap.
    pub fn offered(input: &str) -> Password {
        Password(input.chars().take(128).collect())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: String,
    pub kind: AccountKind,
    pub username: Option<Username>,
    pub mobile: Option<Mobile>,
    pub id_number: Option<IdNumber>,
    pub display_name: String,
    /// Set when real-name authentication (实名认证) passed: the registry name it matched.
    pub real_name: Option<PersonName>,
    pub disabled: bool,
}

impl Account {
    pub fn role(&self) -> Role {
        self.kind.role()
    }
    pub fn is_real_name_verified(&self) -> bool {
        self.real_name.is_some() && self.id_number.is_some()
    }

    /// Whether this account may apply for a card (SPEC §3): residents only after real-name authentication;
    /// entity handlers for their entity. The application routes (issues 4–6) ask this first.
    pub fn may_apply(&self) -> Result<(), ApplyRefusal> {
        match &self.kind {
            AccountKind::Resident if self.is_real_name_verified() => Ok(()),
            AccountKind::Resident => Err(ApplyRefusal::RealNameRequired),
            AccountKind::EntityHandler { .. } => Ok(()),
            _ => Err(ApplyRefusal::NotAnApplicant),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ApplyRefusal {
    #[error("real-name authentication is required before applying")]
    RealNameRequired,
    #[error("this account does not apply for cards")]
    NotAnApplicant,
}

/// Who a request acts as: one account, one role, one channel (SPEC §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub account: Account,
    pub channel: Channel,
    /// The session or token this request came with (its stored hash), for "log out" and the sessions list.
    pub session: String,
}

impl Principal {
    pub fn role(&self) -> Role {
        self.account.role()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    #[test]
    fn usernames() {
        assert_eq!(Username::parse(" Li.Wei_2 ").unwrap().as_str(), "li.wei_2");
        assert_eq!(Username::parse("ab"), Err(UsernameError::Length));
        assert_eq!(Username::parse("2abc"), Err(UsernameError::Characters));
        assert_eq!(Username::parse("ab c"), Err(UsernameError::Characters));
        assert_eq!(Username::parse("李伟abc"), Err(UsernameError::Characters));
    }

    #[test]
    fn login_identifier_kinds() {
        assert!(matches!(
            LoginIdentifier::parse("13800138000", today()),
            Some(LoginIdentifier::Mobile(_))
        ));
        assert!(matches!(
            LoginIdentifier::parse("11010519491231002X", today()),
            Some(LoginIdentifier::IdNumber(_))
        ));
        assert!(matches!(
            LoginIdentifier::parse("clerk01", today()),
            Some(LoginIdentifier::Username(_))
        ));
        // An ID number with a wrong check character is not silently taken as a username.
        assert_eq!(LoginIdentifier::parse("110105194912310021", today()), None);
        assert_eq!(LoginIdentifier::parse("", today()), None);
    }

    #[test]
    fn password_rules() {
        assert_eq!(Password::new_password("short1").unwrap_err(), PasswordError::Length);
        assert_eq!(Password::new_password("onlyletters").unwrap_err(), PasswordError::Weak);
        assert_eq!(Password::new_password("12345678").unwrap_err(), PasswordError::Weak);
        assert!(Password::new_password("安全密码abc123").is_ok());
        assert_eq!(format!("{:?}", Password::offered("secret123")), "Password(***)");
    }

    #[test]
    fn only_authenticated_residents_and_handlers_apply() {
        let mut a = Account {
            id: "a".into(),
            kind: AccountKind::Resident,
            username: None,
            mobile: None,
            id_number: None,
            display_name: "x".into(),
            real_name: None,
            disabled: false,
        };
        assert_eq!(a.may_apply(), Err(ApplyRefusal::RealNameRequired));
        a.id_number = Some(IdNumber::parse("11010519491231002X", today()).unwrap());
        assert_eq!(
            a.may_apply(),
            Err(ApplyRefusal::RealNameRequired),
            "an ID number alone is not authentication"
        );
        a.real_name = Some(PersonName::parse("张三").unwrap());
        assert_eq!(a.may_apply(), Ok(()));
        a.kind = AccountKind::HotlineAgent;
        assert_eq!(a.may_apply(), Err(ApplyRefusal::NotAnApplicant));
    }

    #[test]
    fn staff_channels_follow_role() {
        let clerk = AccountKind::BankClerk {
            bank: "ICBC".into(),
            branch: "B1".into(),
        };
        assert_eq!(clerk.fixed_channel(), Some(Channel::BankOutlet));
        assert_eq!(AccountKind::Resident.fixed_channel(), None);
        assert_eq!(clerk.organisation().as_deref(), Some("ICBC/B1"));
        for kind in [AccountKind::HotlineAgent, AccountKind::Admin] {
            assert!(kind.is_staff());
        }
        assert!(!AccountKind::Resident.is_staff());
    }
}
