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

/// A bank, branch or outlet as the bureau changes it in the console (SPEC §4.3, §10); codes never change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReferenceRecord {
    Bank(Bank),
    Branch(Branch),
    Outlet(Outlet),
}

impl ReferenceRecord {
    pub fn kind(&self) -> ReferenceKind {
        match self {
            ReferenceRecord::Bank(_) => ReferenceKind::Bank,
            ReferenceRecord::Branch(_) => ReferenceKind::Branch,
            ReferenceRecord::Outlet(_) => ReferenceKind::Outlet,
        }
    }
    pub fn code(&self) -> &str {
        match self {
            ReferenceRecord::Bank(b) => &b.code,
            ReferenceRecord::Branch(b) => &b.code,
            ReferenceRecord::Outlet(o) => &o.code,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    Bank,
    Branch,
    Outlet,
}

impl ReferenceKind {
    pub const ALL: [ReferenceKind; 3] = [ReferenceKind::Bank, ReferenceKind::Branch, ReferenceKind::Outlet];
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceKind::Bank => "bank",
            ReferenceKind::Branch => "branch",
            ReferenceKind::Outlet => "outlet",
        }
    }
    pub fn parse(s: &str) -> Option<ReferenceKind> {
        ReferenceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What live data a change would break, to be counted before it is made (in the same transaction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dependency {
    /// Cards ordered for collection at the branch and not yet collected: it must keep taking pickups.
    PickupsWaiting,
    /// Live outlet clerks' accounts carry the outlet's district: it cannot move while they are bound to it.
    ClerksBound,
}

/// The dependency a change from `before` to `after` must have none of, if any.
pub fn dependency_of_change(before: &ReferenceRecord, after: &ReferenceRecord) -> Option<Dependency> {
    match (before, after) {
        (ReferenceRecord::Branch(b), ReferenceRecord::Branch(a)) if b.accepts_pickup && !a.accepts_pickup => {
            Some(Dependency::PickupsWaiting)
        }
        (ReferenceRecord::Outlet(b), ReferenceRecord::Outlet(a)) if b.district != a.district => {
            Some(Dependency::ClerksBound)
        }
        _ => None,
    }
}

#[cfg(test)]
mod change_tests {
    use super::*;

    fn branch(accepts_pickup: bool) -> ReferenceRecord {
        ReferenceRecord::Branch(Branch {
            code: "102-0101".into(),
            bank: "102".into(),
            name: "x".into(),
            district: "110105".into(),
            address: "y".into(),
            accepts_pickup,
            instant_issuance: false,
        })
    }

    fn outlet(district: &str) -> ReferenceRecord {
        ReferenceRecord::Outlet(Outlet {
            code: "D-1".into(),
            name: "x".into(),
            district: district.into(),
            address: "y".into(),
        })
    }

    #[test]
    fn only_a_change_that_breaks_something_is_checked() {
        assert_eq!(
            dependency_of_change(&branch(true), &branch(false)),
            Some(Dependency::PickupsWaiting)
        );
        assert_eq!(dependency_of_change(&branch(false), &branch(false)), None);
        assert_eq!(dependency_of_change(&branch(false), &branch(true)), None);
        assert_eq!(
            dependency_of_change(&outlet("110105"), &outlet("110108")),
            Some(Dependency::ClerksBound)
        );
        assert_eq!(dependency_of_change(&outlet("110105"), &outlet("110105")), None);
    }
}
