use serde::{Serialize, Serializer};
use std::fmt;

use super::ErrorCode;

/// A person's name: 1–50 characters after trimming; letters (any script), inner spaces, and the
/// separators used in names (`·` for transliterated and minority names, `-`, `.`, `'`).
/// The look-alike dots people type for `·` (`•`, `・`, `．`) are normalised to U+00B7.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct PersonName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the name is empty")]
    Empty,
    #[error("a name has at most 50 characters; {found} were entered")]
    TooLong { found: usize },
    #[error("a name may not contain “{found}”")]
    Character { found: char },
}

impl ErrorCode for NameError {
    fn code(&self) -> &'static str {
        match self {
            NameError::Empty => "name.empty",
            NameError::TooLong { .. } => "name.too_long",
            NameError::Character { .. } => "name.character",
        }
    }
}

impl PersonName {
    pub fn parse(input: &str) -> Result<PersonName, NameError> {
        use unicode_normalization::UnicodeNormalization;
        let normalised: String = input
            .nfc()
            .collect::<String>()
            .trim()
            .chars()
            .map(|c| match c {
                '•' | '・' | '．' | '‧' => '·',
                other => other,
            })
            .collect();
        if normalised.is_empty() {
            return Err(NameError::Empty);
        }
        let count = normalised.chars().count();
        if count > 50 {
            return Err(NameError::TooLong { found: count });
        }
        if let Some(bad) = normalised
            .chars()
            .find(|c| !(c.is_alphabetic() || *c == ' ' || matches!(c, '·' | '-' | '.' | '\'')))
        {
            return Err(NameError::Character { found: bad });
        }
        Ok(PersonName(normalised))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for PersonName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(PersonName::parse("  王小明 ").unwrap().as_str(), "王小明");
        assert_eq!(
            PersonName::parse("阿依古丽•买买提").unwrap().as_str(),
            "阿依古丽·买买提"
        );
        assert_eq!(PersonName::parse("   "), Err(NameError::Empty));
        assert_eq!(
            PersonName::parse(&"王".repeat(51)),
            Err(NameError::TooLong { found: 51 })
        );
        assert!(PersonName::parse(&"王".repeat(50)).is_ok());
        assert_eq!(PersonName::parse("王1"), Err(NameError::Character { found: '1' }));
        assert!(PersonName::parse("王\u{0}").is_err());
    }
}
