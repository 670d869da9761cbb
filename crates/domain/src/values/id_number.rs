use chrono::{Datelike, NaiveDate};
use serde::{Serialize, Serializer};
use std::fmt;

use super::ErrorCode;

/// A resident identity number (GB 11643-1999): 18 characters, a division code, a real date of birth
/// that is not in the future, a sequence number whose parity is the gender, and a MOD 11-2 check character.
/// Lower-case `x` is accepted and stored upper-case.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdNumber(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
}

impl Gender {
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
        }
    }
    pub fn parse(s: &str) -> Option<Gender> {
        match s.trim() {
            "male" | "M" | "1" | "男" => Some(Gender::Male),
            "female" | "F" | "2" | "女" => Some(Gender::Female),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("the ID number is empty")]
    Empty,
    #[error("15-digit ID numbers were replaced in 2004: enter the 18-character number printed on the current ID card")]
    Legacy15,
    #[error("an ID number has 18 characters; {found} were entered")]
    Length { found: usize },
    #[error("character {position} of the ID number must be a digit (only the last may be X)")]
    Character { position: usize },
    #[error("the ID number's division code {code} is not a valid area code")]
    Division { code: String },
    #[error("the ID number's date of birth {digits} is not a real date")]
    BirthDate { digits: String },
    #[error("the ID number's date of birth {date} is in the future")]
    FutureBirthDate { date: NaiveDate },
    #[error("the ID number's check character should be {expected}, not {found}")]
    Checksum { expected: char, found: char },
}

impl ErrorCode for IdNumberError {
    fn code(&self) -> &'static str {
        match self {
            IdNumberError::Empty => "id_number.empty",
            IdNumberError::Legacy15 => "id_number.legacy_15",
            IdNumberError::Length { .. } => "id_number.length",
            IdNumberError::Character { .. } => "id_number.character",
            IdNumberError::Division { .. } => "id_number.division",
            IdNumberError::BirthDate { .. } => "id_number.birth_date",
            IdNumberError::FutureBirthDate { .. } => "id_number.future_birth_date",
            IdNumberError::Checksum { .. } => "id_number.checksum",
        }
    }
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
/// GB/T 2260 province-level codes (first two digits).
const PROVINCES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63,
    64, 65, 71, 81, 82,
];

/// The check character for the first 17 digits (ISO 7064 MOD 11-2).
pub fn check_character(first17: &[u8; 17]) -> char {
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(d, w)| u32::from(*d) * w).sum();
    CHECK_CHARS[(sum % 11) as usize]
}

impl IdNumber {
    /// Parses an ID number; `today` (Asia/Shanghai) bounds the date of birth.
    pub fn parse(input: &str, today: NaiveDate) -> Result<IdNumber, IdNumberError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(IdNumberError::Empty);
        }
        let chars: Vec<char> = s.chars().collect();
        if chars.len() == 15 && chars.iter().all(char::is_ascii_digit) {
            return Err(IdNumberError::Legacy15);
        }
        if chars.len() != 18 {
            return Err(IdNumberError::Length { found: chars.len() });
        }
        let mut digits = [0u8; 17];
        for (i, c) in chars[..17].iter().enumerate() {
            digits[i] = c
                .to_digit(10)
                .and_then(|d| u8::try_from(d).ok())
                .ok_or(IdNumberError::Character { position: i + 1 })?;
        }
        let last = chars[17].to_ascii_uppercase();
        if !(last.is_ascii_digit() || last == 'X') {
            return Err(IdNumberError::Character { position: 18 });
        }
        let province = digits[0] * 10 + digits[1];
        if !PROVINCES.contains(&province) {
            return Err(IdNumberError::Division {
                code: s[..6].to_string(),
            });
        }
        let birth_digits: String = chars[6..14].iter().collect();
        let year = digits[6..10].iter().fold(0i32, |a, d| a * 10 + i32::from(*d));
        let month = u32::from(digits[10] * 10 + digits[11]);
        let day = u32::from(digits[12] * 10 + digits[13]);
        let birth = NaiveDate::from_ymd_opt(year, month, day)
            .filter(|_| year >= 1880)
            .ok_or(IdNumberError::BirthDate { digits: birth_digits })?;
        if birth > today {
            return Err(IdNumberError::FutureBirthDate { date: birth });
        }
        let expected = check_character(&digits);
        if expected != last {
            return Err(IdNumberError::Checksum { expected, found: last });
        }
        let mut normalised: String = chars[..17].iter().collect();
        normalised.push(last);
        Ok(IdNumber(normalised))
    }

    /// Builds the number of a person from its parts (demo data, tests); the check character is computed.
    pub fn compose(
        division: &str,
        birth: NaiveDate,
        sequence: u16,
        today: NaiveDate,
    ) -> Result<IdNumber, IdNumberError> {
        let first17 = format!("{division}{}{:03}", birth.format("%Y%m%d"), sequence % 1000);
        let mut digits = [0u8; 17];
        for (i, b) in first17.bytes().take(17).enumerate() {
            digits[i] = b.wrapping_sub(b'0');
        }
        if first17.len() != 17 || digits.iter().any(|d| *d > 9) {
            return Err(IdNumberError::Length {
                found: first17.len() + 1,
            });
        }
        IdNumber::parse(&format!("{first17}{}", check_character(&digits)), today)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The six-digit administrative division code of first registration (not necessarily a current district).
    pub fn division_code(&self) -> &str {
        &self.0[..6]
    }

    pub fn birth_date(&self) -> NaiveDate {
        let n = |r: std::ops::Range<usize>| self.0[r].bytes().fold(0u32, |a, b| a * 10 + u32::from(b - b'0'));
        // Checked in `parse`; the fallback is unreachable for a parsed value.
        NaiveDate::from_ymd_opt(n(6..10) as i32, n(10..12), n(12..14)).unwrap_or_default()
    }

    pub fn gender(&self) -> Gender {
        let seq = self.0.as_bytes()[16] - b'0';
        if seq % 2 == 1 {
            Gender::Male
        } else {
            Gender::Female
        }
    }

    /// Age in whole years on `on` (a person born on 29 February turns a year older on 1 March in common years).
    pub fn age_on(&self, on: NaiveDate) -> u32 {
        age_on(self.birth_date(), on)
    }

    /// `1101**********123X`: shown in every list (SPEC §4.5).
    pub fn masked(&self) -> String {
        format!("{}**********{}", &self.0[..4], &self.0[14..])
    }
}

/// Whole years between `birth` and `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    if on < birth {
        return 0;
    }
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Debug output is masked so that an ID number never reaches a log in full by accident.
impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl Serialize for IdNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap_or_default()
    }

    fn make(first17: &str) -> String {
        let mut d = [0u8; 17];
        for (i, b) in first17.bytes().enumerate() {
            d[i] = b - b'0';
        }
        format!("{first17}{}", check_character(&d))
    }

    #[test]
    fn known_valid_numbers_parse_and_derive_birth_and_gender() {
        let id = IdNumber::parse("11010519491231002X", today()).unwrap();
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
        assert_eq!(id.gender(), Gender::Female);
        assert_eq!(id.masked(), "1101**********002X");
        let male = IdNumber::parse(&make("11010819900307001"), today()).unwrap();
        assert_eq!(male.gender(), Gender::Male);
    }

    #[test]
    fn lower_case_x_is_normalised() {
        let id = IdNumber::parse("11010519491231002x", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn each_kind_of_bad_number_has_its_own_error() {
        let t = today();
        assert_eq!(IdNumber::parse("  ", t), Err(IdNumberError::Empty));
        assert_eq!(IdNumber::parse("110105491231002", t), Err(IdNumberError::Legacy15));
        assert_eq!(
            IdNumber::parse("1101051949123100", t),
            Err(IdNumberError::Length { found: 16 })
        );
        assert_eq!(
            IdNumber::parse("1101051949123100A2", t),
            Err(IdNumberError::Character { position: 17 })
        );
        assert!(matches!(
            IdNumber::parse(&make("99010519491231002"), t),
            Err(IdNumberError::Division { .. })
        ));
        assert!(matches!(
            IdNumber::parse(&make("11010519990230002"), t),
            Err(IdNumberError::BirthDate { .. })
        ));
        assert!(matches!(
            IdNumber::parse(&make("11010520261122002"), t),
            Err(IdNumberError::FutureBirthDate { .. })
        ));
        assert_eq!(
            IdNumber::parse("110105194912310021", t),
            Err(IdNumberError::Checksum {
                expected: 'X',
                found: '1'
            })
        );
        // Born today is valid.
        assert!(IdNumber::parse(&make("11010520261121002"), t).is_ok());
    }

    #[test]
    fn age_counts_whole_years() {
        let id = IdNumber::parse(&make("11010520081121002"), today()).unwrap();
        assert_eq!(id.age_on(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()), 17);
        assert_eq!(id.age_on(NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()), 18);
        let leap = NaiveDate::from_ymd_opt(2008, 2, 29).unwrap();
        assert_eq!(age_on(leap, NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()), 17);
        assert_eq!(age_on(leap, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()), 18);
    }

    #[test]
    fn debug_never_prints_the_full_number() {
        let id = IdNumber::parse("11010519491231002X", today()).unwrap();
        assert!(!format!("{id:?}").contains("19491231"));
    }

    prop_compose! {
        fn valid_first17()(
            province in proptest::sample::select(PROVINCES.to_vec()),
            rest in 0u32..10_000,
            days in 0i64..(365 * 120),
            seq in 0u32..1000,
        ) -> String {
            let birth = today() - chrono::Duration::days(days);
            format!("{province:02}{rest:04}{}{seq:03}", birth.format("%Y%m%d"))
        }
    }

    proptest! {
        #[test]
        fn every_generated_valid_number_parses(first17 in valid_first17()) {
            let s = make(&first17);
            let id = IdNumber::parse(&s, today()).unwrap();
            prop_assert_eq!(id.as_str(), s.as_str());
            prop_assert_eq!(id.birth_date().format("%Y%m%d").to_string(), first17[6..14].to_string());
        }

        #[test]
        fn every_single_character_change_in_the_first_17_is_rejected(
            first17 in valid_first17(),
            pos in 0usize..17,
            replacement in proptest::char::range('0', 'Z'),
        ) {
            let s = make(&first17);
            let mut chars: Vec<char> = s.chars().collect();
            prop_assume!(chars[pos] != replacement);
            chars[pos] = replacement;
            let changed: String = chars.into_iter().collect();
            prop_assert!(IdNumber::parse(&changed, today()).is_err(), "{} was accepted", changed);
        }

        #[test]
        fn impossible_and_future_dates_are_rejected(
            year in 1900i32..2100, month in 1u32..=12, day in 1u32..=31,
        ) {
            let s = make(&format!("110105{year:04}{month:02}{day:02}001"));
            let result = IdNumber::parse(&s, today());
            match NaiveDate::from_ymd_opt(year, month, day) {
                None => prop_assert!(matches!(result, Err(IdNumberError::BirthDate { .. })), "accepted"),
                Some(d) if d > today() => prop_assert!(matches!(result, Err(IdNumberError::FutureBirthDate { .. })), "accepted"),
                Some(_) => prop_assert!(result.is_ok()),
            }
        }
    }
}
