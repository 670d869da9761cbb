use serde::{Serialize, Serializer};
use std::fmt;

use super::ErrorCode;

/// A unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a 31-character alphabet
/// (no I, O, S, V, Z), the 3rd–8th a division code, the 18th a MOD 31 check character.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uscc(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("the unified social credit code is empty")]
    Empty,
    #[error("a unified social credit code has 18 characters; {found} were entered")]
    Length { found: usize },
    #[error("character {position} of the unified social credit code is not allowed (I, O, S, V and Z are never used)")]
    Character { position: usize },
    #[error("characters 3–8 of the unified social credit code must be a division code (digits)")]
    Division,
    #[error("the unified social credit code's check character should be {expected}, not {found}")]
    Checksum { expected: char, found: char },
}

impl ErrorCode for UsccError {
    fn code(&self) -> &'static str {
        match self {
            UsccError::Empty => "uscc.empty",
            UsccError::Length { .. } => "uscc.length",
            UsccError::Character { .. } => "uscc.character",
            UsccError::Division => "uscc.division",
            UsccError::Checksum { .. } => "uscc.checksum",
        }
    }
}

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

fn value_of(c: u8) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|a| *a == c)
        .and_then(|p| u32::try_from(p).ok())
}

/// The check character for 17 code values (each 0..31).
pub fn uscc_check_character(values: &[u32; 17]) -> char {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    char::from(ALPHABET[check as usize])
}

impl Uscc {
    pub fn parse(input: &str) -> Result<Uscc, UsccError> {
        let s = input.trim().to_ascii_uppercase();
        if s.is_empty() {
            return Err(UsccError::Empty);
        }
        let count = s.chars().count();
        if count != 18 || s.len() != 18 {
            return Err(UsccError::Length { found: count });
        }
        let bytes = s.as_bytes();
        let mut values = [0u32; 17];
        for (i, b) in bytes[..17].iter().enumerate() {
            values[i] = value_of(*b).ok_or(UsccError::Character { position: i + 1 })?;
        }
        if value_of(bytes[17]).is_none() {
            return Err(UsccError::Character { position: 18 });
        }
        if !bytes[2..8].iter().all(u8::is_ascii_digit) {
            return Err(UsccError::Division);
        }
        let expected = uscc_check_character(&values);
        let found = char::from(bytes[17]);
        if expected != found {
            return Err(UsccError::Checksum { expected, found });
        }
        Ok(Uscc(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uscc({})", self.0)
    }
}

impl Serialize for Uscc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Builds a valid USCC from its first 17 characters (used by the demo-data generator and tests).
pub fn complete_uscc(first17: &str) -> Option<Uscc> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 {
        return None;
    }
    let mut values = [0u32; 17];
    for (i, b) in bytes.iter().enumerate() {
        values[i] = value_of(*b)?;
    }
    Uscc::parse(&format!("{first17}{}", uscc_check_character(&values))).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_published_code_parses() {
        // A real, published code (the format's own worked example family).
        let u = Uscc::parse("91350100M000100Y43").unwrap();
        assert_eq!(u.as_str(), "91350100M000100Y43");
        assert_eq!(
            Uscc::parse("91350100m000100y43").unwrap().as_str(),
            "91350100M000100Y43"
        );
    }

    #[test]
    fn bad_codes_have_specific_errors() {
        assert_eq!(Uscc::parse(""), Err(UsccError::Empty));
        assert_eq!(Uscc::parse("91350100M000100Y4"), Err(UsccError::Length { found: 17 }));
        assert_eq!(
            Uscc::parse("91350100M0001O0Y43"),
            Err(UsccError::Character { position: 14 })
        );
        assert_eq!(Uscc::parse("913501A0M000100Y43"), Err(UsccError::Division));
        assert!(matches!(
            Uscc::parse("91350100M000100Y44"),
            Err(UsccError::Checksum { .. })
        ));
    }

    proptest! {
        #[test]
        fn generated_codes_parse_and_single_changes_are_rejected(
            body in "[0-9A-HJ-NP-RTUW-Y]{9}", div in 110000u32..119999, pos in 0usize..17, rep in 0usize..31,
        ) {
            let first17 = format!("91{div}{body}");
            let code = complete_uscc(&first17).unwrap();
            let mut bytes = code.as_str().as_bytes().to_vec();
            prop_assume!(bytes[pos] != ALPHABET[rep]);
            bytes[pos] = ALPHABET[rep];
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(Uscc::parse(&changed).is_err());
        }
    }
}
