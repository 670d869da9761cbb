//! Value types (SPEC §4.5). Each is built only through `parse`, so a value in hand is always valid.

mod free_text;
mod id_number;
mod mobile;
mod name;
mod postal_code;
pub mod uscc;

pub use free_text::{FreeText, TextError};
pub use id_number::{age_on, check_character, Gender, IdNumber, IdNumberError};
pub use mobile::{Mobile, MobileError};
pub use name::{NameError, PersonName};
pub use postal_code::{BeijingPostalCode, PostalCodeError};
pub use uscc::{Uscc, UsccError};

/// Every value error has a stable machine code (used in API problem documents and message catalogues).
pub trait ErrorCode {
    fn code(&self) -> &'static str;
}
