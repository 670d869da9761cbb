use serde::{Serialize, Serializer};
use std::fmt;

use super::ErrorCode;

/// A postal code for a mailing address in Beijing: 6 digits in 100000–102999 (SPEC §4.5).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct BeijingPostalCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostalCodeError {
    #[error("a postal code has 6 digits")]
    Format,
    #[error("{0} is not a Beijing postal code (100000–102999)")]
    NotBeijing(String),
}

impl ErrorCode for PostalCodeError {
    fn code(&self) -> &'static str {
        match self {
            PostalCodeError::Format => "postal_code.format",
            PostalCodeError::NotBeijing(_) => "postal_code.not_beijing",
        }
    }
}

impl BeijingPostalCode {
    pub fn parse(input: &str) -> Result<BeijingPostalCode, PostalCodeError> {
        let s = input.trim();
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PostalCodeError::Format);
        }
        let n: u32 = s.parse().map_err(|_| PostalCodeError::Format)?;
        if (100_000..=102_999).contains(&n) {
            Ok(BeijingPostalCode(s.to_string()))
        } else {
            Err(PostalCodeError::NotBeijing(s.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BeijingPostalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for BeijingPostalCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_range_is_enforced() {
        assert!(BeijingPostalCode::parse("100000").is_ok());
        assert!(BeijingPostalCode::parse("102999").is_ok());
        assert_eq!(
            BeijingPostalCode::parse("103000"),
            Err(PostalCodeError::NotBeijing("103000".into()))
        );
        assert_eq!(
            BeijingPostalCode::parse("099999"),
            Err(PostalCodeError::NotBeijing("099999".into()))
        );
        assert_eq!(BeijingPostalCode::parse("10001"), Err(PostalCodeError::Format));
        assert_eq!(BeijingPostalCode::parse("10001a"), Err(PostalCodeError::Format));
    }
}
