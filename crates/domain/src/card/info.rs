//! Non-key information (Q31): the holder's address, occupation and mobile, changed online or at an outlet. The
//! financial account's reserved mobile is not among them: it is changed at the issuing bank only.

use serde::Serialize;

use crate::values::{ErrorCode, FreeText, Mobile, TextError};

/// A postal address: free text ([`FreeText`]) of 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Address(String);

impl Address {
    pub const MAX: usize = 100;

    /// The refusal's code: `required`, or what is wrong with the text (too long, a control character, a
    /// direction mark).
    pub fn parse(input: &str) -> Result<Address, &'static str> {
        match FreeText::parse(input, Address::MAX) {
            Ok(t) => Ok(Address(t.into_string())),
            Err(TextError::Empty) => Err("required"),
            Err(e) => Err(e.code()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The holder's non-key information as the card's records hold it; `None`: not changed here (the application's
/// or the registry's value stands).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HolderInfo {
    pub address: Option<Address>,
    /// An occupation code of the code table.
    pub occupation: Option<String>,
    pub mobile: Option<Mobile>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_bounded_and_printable() {
        assert_eq!(Address::parse("  "), Err("required"));
        assert_eq!(Address::parse(&"路".repeat(101)), Err("too_long"));
        assert_eq!(Address::parse("朝阳区\n1号"), Err("text_control"));
        assert_eq!(Address::parse("朝阳区\u{202E}1号"), Err("text_direction"));
        assert_eq!(Address::parse(" 朝阳区建国路1号 ").unwrap().as_str(), "朝阳区建国路1号");
    }
}
