//! Records of the data the platform consults but does not own (SPEC §4.1–4.3): the insured-person registry,
//! employers, guardianships, bank branches and district/street service outlets.

use chrono::NaiveDate;
use serde::Serialize;

use crate::values::{Gender, IdNumber, Mobile, PersonName, Uscc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum InsuranceType {
    Pension,
    Unemployment,
    WorkInjury,
    Medical,
    /// 征地超转
    LandTransfer,
}

impl InsuranceType {
    pub const ALL: [InsuranceType; 5] = [
        InsuranceType::Pension,
        InsuranceType::Unemployment,
        InsuranceType::WorkInjury,
        InsuranceType::Medical,
        InsuranceType::LandTransfer,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            InsuranceType::Pension => "pension",
            InsuranceType::Unemployment => "unemployment",
            InsuranceType::WorkInjury => "work_injury",
            InsuranceType::Medical => "medical",
            InsuranceType::LandTransfer => "land_transfer",
        }
    }
    pub fn parse(s: &str) -> Option<InsuranceType> {
        InsuranceType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// The registry category, with the data each category must have (SPEC §4.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "category", rename_all = "snake_case")]
pub enum Membership {
    Employee {
        employer: Uscc,
    },
    Individual,
    Retiree {
        pension_bank: String,
        pension_branch: String,
    },
    ResidentMinor,
}

impl Membership {
    pub fn category(&self) -> &'static str {
        match self {
            Membership::Employee { .. } => "employee",
            Membership::Individual => "individual",
            Membership::Retiree { .. } => "retiree",
            Membership::ResidentMinor => "resident_minor",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegacyCard {
    /// 1 or 2.
    pub generation: u8,
    pub bank: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InsuredPerson {
    pub id_number: IdNumber,
    pub name: PersonName,
    pub gender: Gender,
    pub nationality: String,
    pub ethnicity: Option<String>,
    pub id_valid_from: NaiveDate,
    /// `None` is a long-term (长期) ID card.
    pub id_valid_until: Option<NaiveDate>,
    pub address: String,
    pub residence_district: Option<String>,
    pub mobile: Option<Mobile>,
    pub occupation: Option<String>,
    pub insurance: Vec<InsuranceType>,
    pub membership: Membership,
    pub legacy_cards: Vec<LegacyCard>,
}

impl InsuredPerson {
    pub fn birth_date(&self) -> NaiveDate {
        self.id_number.birth_date()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entity {
    pub uscc: Uscc,
    pub name: String,
    pub address: String,
    pub district: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Guardianship {
    pub guardian: IdNumber,
    pub child: IdNumber,
    /// GB/T 4761 code.
    pub relationship: String,
    pub guardian_is_householder: bool,
    pub same_booklet: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Branch {
    pub code: String,
    pub bank: String,
    pub name: String,
    pub district: String,
    pub address: String,
    pub accepts_pickup: bool,
    pub instant_issuance: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outlet {
    pub code: String,
    pub name: String,
    pub district: String,
    pub address: String,
}

/// A bank in the platform's own table (SPEC §4.3): the code table entry plus what the bureau configures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bank {
    pub code: String,
    pub short: String,
    pub name_zh: String,
    pub name_en: String,
    pub supports_online_replacement: bool,
}

/// Branch and outlet codes: 1–32 characters of `A–Z a–z 0–9 -`.
pub fn is_valid_site_code(code: &str) -> bool {
    !code.is_empty() && code.len() <= 32 && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}
