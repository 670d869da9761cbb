use serde::{Serialize, Serializer};
use std::fmt;
use unicode_normalization::UnicodeNormalization;

use super::ErrorCode;

/// Free text a person types (an address, a note, a reason): Unicode NFC, trimmed, at least one and at most
/// `max` characters (counted as characters, not bytes), without control characters (NUL, bell, terminal
/// escapes) or the invisible marks that reorder what is shown (bidirectional overrides and isolates, which can
/// make "Beijing" read as something else on a clerk's screen). Both databases store exactly what this holds.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct FreeText(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("the text is empty")]
    Empty,
    #[error("at most {max} characters; {found} were entered")]
    TooLong { max: usize, found: usize },
    #[error("the text contains a control character (U+{found:04X})")]
    Control { found: u32 },
    #[error("the text contains an invisible direction mark (U+{found:04X})")]
    Direction { found: u32 },
}

impl ErrorCode for TextError {
    fn code(&self) -> &'static str {
        match self {
            TextError::Empty => "required",
            TextError::TooLong { .. } => "too_long",
            TextError::Control { .. } => "text_control",
            TextError::Direction { .. } => "text_direction",
        }
    }
}

/// The marks that change the order text is shown in: embeddings and overrides (U+202A–U+202E), isolates
/// (U+2066–U+2069), and the implicit marks (U+200E, U+200F, U+061C).
fn is_direction_mark(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

impl FreeText {
    pub fn parse(input: &str, max: usize) -> Result<FreeText, TextError> {
        let text: String = input.nfc().collect::<String>().trim().to_string();
        if text.is_empty() {
            return Err(TextError::Empty);
        }
        if let Some(c) = text.chars().find(|c| c.is_control()) {
            return Err(TextError::Control { found: u32::from(c) });
        }
        if let Some(c) = text.chars().find(|c| is_direction_mark(*c)) {
            return Err(TextError::Direction { found: u32::from(c) });
        }
        let found = text.chars().count();
        if found > max {
            return Err(TextError::TooLong { max, found });
        }
        Ok(FreeText(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for FreeText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for FreeText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalised_trimmed_and_counted_in_characters() {
        // "é" typed as e + combining acute becomes the one character U+00E9.
        let t = FreeText::parse("  Cafe\u{301} 朝阳区一号 ", 100).unwrap();
        assert_eq!(t.as_str(), "Caf\u{e9} 朝阳区一号");
        assert_eq!(
            FreeText::parse(&"朝".repeat(100), 100)
                .unwrap()
                .as_str()
                .chars()
                .count(),
            100
        );
        assert_eq!(
            FreeText::parse(&"朝".repeat(101), 100),
            Err(TextError::TooLong { max: 100, found: 101 })
        );
        assert_eq!(FreeText::parse(" \t ", 100), Err(TextError::Empty));
    }

    #[test]
    fn control_characters_and_direction_marks_are_refused() {
        for (input, code) in [
            ("a\u{0}b", "text_control"),
            ("a\u{7}b", "text_control"),
            ("\u{1b}[31mred", "text_control"),
            ("line\nbreak", "text_control"),
            ("abc\u{202E}fed", "text_direction"),
            ("\u{2066}x\u{2069}", "text_direction"),
        ] {
            assert_eq!(FreeText::parse(input, 100).unwrap_err().code(), code, "{input:?}");
        }
    }

    proptest! {
        #[test]
        fn whatever_is_accepted_is_clean_and_stable(s in "\\PC{0,120}") {
            if let Ok(t) = FreeText::parse(&s, 100) {
                prop_assert!(!t.as_str().is_empty() && t.as_str().chars().count() <= 100);
                prop_assert!(!t.as_str().chars().any(|c| c.is_control() || is_direction_mark(c)));
                // Parsing what was stored gives it back unchanged.
                prop_assert_eq!(FreeText::parse(t.as_str(), 100).unwrap(), t);
            }
        }
    }
}
