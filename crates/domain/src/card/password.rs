//! The card's service password (服务密码, SPEC §7.2, Q16): six digits, separate from the financial PIN, what the
//! hotline and self-service channels verify a holder with.
//!
//! The initial value is the last six characters of the social security number (the ID number). A number
//! ending in the check character `X` cannot be typed on a telephone keypad or a six-digit field, so its `X`
//! is entered as `0` (the usual rule for numeric keypads): a number ending `…12345X` starts as `123450`. The initial value must be changed on first use. Five wrong tries, counted across every channel,
//! lock it; a locked password is reset (identity verified again), never waited out.

use serde::Serialize;

use crate::values::IdNumber;

/// Wrong tries, across all channels, that lock the password.
pub const MAX_FAILURES: u32 = 5;

/// Six digits. Cannot hold anything else.
#[derive(Clone, PartialEq, Eq)]
pub struct ServicePassword(String);

impl std::fmt::Debug for ServicePassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServicePassword(******)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("a service password is exactly six digits")]
    Malformed,
    #[error("six identical or consecutive digits are too easy to guess")]
    TooSimple,
    #[error("the new password must differ from the initial one")]
    SameAsInitial,
}

impl PasswordError {
    pub fn code(self) -> &'static str {
        match self {
            PasswordError::Malformed => "password_malformed",
            PasswordError::TooSimple => "password_too_simple",
            PasswordError::SameAsInitial => "password_same_as_initial",
        }
    }
}

impl ServicePassword {
    pub fn parse(input: &str) -> Result<ServicePassword, PasswordError> {
        let s = input.trim();
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PasswordError::Malformed);
        }
        Ok(ServicePassword(s.to_string()))
    }

    /// A password a holder may choose: not the initial one, not six equal digits, not a run (123456, 654321).
    pub fn parse_new(input: &str, holder: &IdNumber) -> Result<ServicePassword, PasswordError> {
        let p = ServicePassword::parse(input)?;
        let b = p.0.as_bytes();
        let same = b.iter().all(|d| *d == b[0]);
        let up = b.windows(2).all(|w| w[1] == w[0] + 1);
        let down = b.windows(2).all(|w| w[0] == w[1] + 1);
        if same || up || down {
            return Err(PasswordError::TooSimple);
        }
        if p == initial(holder) {
            return Err(PasswordError::SameAsInitial);
        }
        Ok(p)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The initial service password of `holder`'s card: the last six characters of the ID number, `X` as `0`.
pub fn initial(holder: &IdNumber) -> ServicePassword {
    let s = holder.as_str();
    let tail: String = s[s.len() - 6..]
        .chars()
        .map(|c| if c.is_ascii_digit() { c } else { '0' })
        .collect();
    ServicePassword(tail)
}

/// Where a card's password stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordState {
    /// Still the initial value: it verifies, and must be changed before anything else is done with it.
    Initial,
    Set,
    /// Five wrong tries: only a reset opens it.
    Locked,
}

impl PasswordState {
    pub fn as_str(self) -> &'static str {
        match self {
            PasswordState::Initial => "initial",
            PasswordState::Set => "set",
            PasswordState::Locked => "locked",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn id(s: &str) -> IdNumber {
        IdNumber::parse(s, NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()).unwrap()
    }

    #[test]
    fn six_digits_only() {
        for bad in ["12345", "1234567", "12345a", "", "１２３４５６"] {
            assert_eq!(ServicePassword::parse(bad), Err(PasswordError::Malformed), "{bad}");
        }
        assert!(ServicePassword::parse(" 482913 ").is_ok());
        assert_eq!(
            format!("{:?}", ServicePassword::parse("482913").unwrap()),
            "ServicePassword(******)"
        );
    }

    #[test]
    fn the_initial_value_is_the_last_six_with_x_as_0() {
        let x = id("11010519491231002X");
        assert_eq!(initial(&x).as_str(), "310020");
        let digits = id("110105198001020118");
        assert_eq!(initial(&digits).as_str(), "020118");
    }

    #[test]
    fn a_new_password_is_not_guessable() {
        let holder = id("11010519491231002X");
        for weak in ["111111", "123456", "654321", "012345"] {
            assert_eq!(
                ServicePassword::parse_new(weak, &holder),
                Err(PasswordError::TooSimple),
                "{weak}"
            );
        }
        assert_eq!(
            ServicePassword::parse_new(initial(&holder).as_str(), &holder),
            Err(PasswordError::SameAsInitial)
        );
        assert!(ServicePassword::parse_new("482913", &holder).is_ok());
    }
}
