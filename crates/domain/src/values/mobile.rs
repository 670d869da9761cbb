use serde::{Serialize, Serializer};
use std::fmt;

use super::ErrorCode;

/// A mainland mobile number: 11 digits, `1[3-9]` then 9 digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Mobile(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MobileError {
    #[error("the mobile number is empty")]
    Empty,
    #[error("a mobile number has 11 digits, starting 13–19")]
    Format,
}

impl ErrorCode for MobileError {
    fn code(&self) -> &'static str {
        match self {
            MobileError::Empty => "mobile.empty",
            MobileError::Format => "mobile.format",
        }
    }
}

impl Mobile {
    pub fn parse(input: &str) -> Result<Mobile, MobileError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(MobileError::Empty);
        }
        let b = s.as_bytes();
        let ok = b.len() == 11 && b.iter().all(u8::is_ascii_digit) && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]);
        if ok {
            Ok(Mobile(s.to_string()))
        } else {
            Err(MobileError::Format)
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// `138****5678`
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl fmt::Display for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mobile({})", self.masked())
    }
}

impl Serialize for Mobile {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rules() {
        assert_eq!(Mobile::parse("13812345678").unwrap().masked(), "138****5678");
        assert_eq!(Mobile::parse(""), Err(MobileError::Empty));
        for bad in [
            "12812345678",
            "1381234567",
            "138123456789",
            "1381234567a",
            "２３８１２３４５６７８",
        ] {
            assert_eq!(Mobile::parse(bad), Err(MobileError::Format), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn generated_mobiles_parse(s in "1[3-9][0-9]{9}") {
            let m = Mobile::parse(&s).unwrap();
            prop_assert_eq!(m.as_str(), s.as_str());
        }
    }
}
