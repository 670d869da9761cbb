//! What the two engines share: row codecs and the SQL that is the same on both.
//!
//! The stores built on it (registry, reference data, settings, health) are plain impls per engine
//! (`postgres::shared`, `sqlite::shared`); the bulk writes of an import session are `write_batch!` (in `macros`), a body
//! macro, because sqlx's generic-over-database bounds would be longer than the SQL itself.

use chrono::NaiveDate;
use sscard_app::ports::StoreError;
use sscard_domain::registry::{
    Bank, Branch, Entity, Guardianship, InsuranceType, InsuredPerson, LegacyCard, Membership, Outlet,
};
use sscard_domain::values::{Gender, IdNumber, Mobile, PersonName, Uscc};

pub(crate) const PERSON_COLUMNS: &str = "id_number, name, gender, birth_date, nationality, ethnicity, \
    id_valid_from, id_valid_until, address, residence_district, mobile, occupation, insurance_types, category, \
    employer_uscc, pension_bank, pension_branch, legacy_cards";

pub(crate) const PERSON_UPSERT_TAIL: &str = " ON CONFLICT (id_number) DO UPDATE SET name = excluded.name, \
    gender = excluded.gender, birth_date = excluded.birth_date, nationality = excluded.nationality, \
    ethnicity = excluded.ethnicity, id_valid_from = excluded.id_valid_from, id_valid_until = excluded.id_valid_until, \
    address = excluded.address, residence_district = excluded.residence_district, mobile = excluded.mobile, \
    occupation = excluded.occupation, insurance_types = excluded.insurance_types, category = excluded.category, \
    employer_uscc = excluded.employer_uscc, pension_bank = excluded.pension_bank, \
    pension_branch = excluded.pension_branch, legacy_cards = excluded.legacy_cards, updated_at = CURRENT_TIMESTAMP";

pub(crate) const ENTITY_UPSERT_TAIL: &str = " ON CONFLICT (uscc) DO UPDATE SET name = excluded.name, \
    address = excluded.address, district = excluded.district, updated_at = CURRENT_TIMESTAMP";
pub(crate) const GUARDIANSHIP_UPSERT_TAIL: &str = " ON CONFLICT (guardian_id, child_id) DO UPDATE SET \
    relationship = excluded.relationship, guardian_is_householder = excluded.guardian_is_householder, \
    same_booklet = excluded.same_booklet, updated_at = CURRENT_TIMESTAMP";
pub(crate) const BRANCH_UPSERT_TAIL: &str = " ON CONFLICT (code) DO UPDATE SET bank = excluded.bank, \
    name = excluded.name, district = excluded.district, address = excluded.address, \
    accepts_pickup = excluded.accepts_pickup, instant_issuance = excluded.instant_issuance, updated_at = CURRENT_TIMESTAMP";
pub(crate) const OUTLET_UPSERT_TAIL: &str = " ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
    district = excluded.district, address = excluded.address, updated_at = CURRENT_TIMESTAMP";

/// Rows per multi-row statement: 18 columns × 1,000 stays under both engines' bind-parameter limits.
pub(crate) const ROWS_PER_STATEMENT: usize = 1_000;

/// A registry person as it is stored: plain columns.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct PersonRow {
    pub id_number: String,
    pub name: String,
    pub gender: String,
    pub birth_date: NaiveDate,
    pub nationality: String,
    pub ethnicity: Option<String>,
    pub id_valid_from: NaiveDate,
    pub id_valid_until: Option<NaiveDate>,
    pub address: String,
    pub residence_district: Option<String>,
    pub mobile: Option<String>,
    pub occupation: Option<String>,
    pub insurance_types: String,
    pub category: String,
    pub employer_uscc: Option<String>,
    pub pension_bank: Option<String>,
    pub pension_branch: Option<String>,
    pub legacy_cards: String,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// Stored ID numbers were validated when written; re-parsing them without a "today" bound only guards
/// against data written outside the application.
pub(crate) fn stored_id(s: &str) -> Result<IdNumber, StoreError> {
    IdNumber::parse(s, NaiveDate::MAX).map_err(|e| corrupt("id_number", e))
}

/// The registry columns a membership fills: employer USCC, pension bank, pension branch.
pub(crate) fn membership_columns(m: &Membership) -> (Option<&str>, Option<&str>, Option<&str>) {
    match m {
        Membership::Employee { employer } => (Some(employer.as_str()), None, None),
        Membership::Retiree {
            pension_bank,
            pension_branch,
        } => (None, Some(pension_bank), Some(pension_branch)),
        Membership::Individual | Membership::ResidentMinor => (None, None, None),
    }
}

impl PersonRow {
    pub fn from_domain(p: &InsuredPerson) -> PersonRow {
        let (employer, bank, branch) = membership_columns(&p.membership);
        let (employer_uscc, pension_bank, pension_branch) = (
            employer.map(str::to_string),
            bank.map(str::to_string),
            branch.map(str::to_string),
        );
        PersonRow {
            id_number: p.id_number.as_str().to_string(),
            name: p.name.as_str().to_string(),
            gender: p.gender.as_str().to_string(),
            birth_date: p.birth_date(),
            nationality: p.nationality.clone(),
            ethnicity: p.ethnicity.clone(),
            id_valid_from: p.id_valid_from,
            id_valid_until: p.id_valid_until,
            address: p.address.clone(),
            residence_district: p.residence_district.clone(),
            mobile: p.mobile.as_ref().map(|m| m.as_str().to_string()),
            occupation: p.occupation.clone(),
            insurance_types: p.insurance.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(";"),
            category: p.membership.category().to_string(),
            employer_uscc,
            pension_bank,
            pension_branch,
            legacy_cards: p
                .legacy_cards
                .iter()
                .map(|c| format!("{}:{}", c.generation, c.bank))
                .collect::<Vec<_>>()
                .join(";"),
        }
    }

    pub fn into_domain(self) -> Result<InsuredPerson, StoreError> {
        let membership = match (
            self.category.as_str(),
            self.employer_uscc,
            self.pension_bank,
            self.pension_branch,
        ) {
            ("employee", Some(u), _, _) => Membership::Employee {
                employer: Uscc::parse(&u).map_err(|e| corrupt("employer_uscc", e))?,
            },
            ("retiree", _, Some(pension_bank), Some(pension_branch)) => Membership::Retiree {
                pension_bank,
                pension_branch,
            },
            ("individual", ..) => Membership::Individual,
            ("resident_minor", ..) => Membership::ResidentMinor,
            (other, ..) => return Err(corrupt("category", other)),
        };
        let mut insurance = Vec::new();
        for t in self.insurance_types.split(';').filter(|s| !s.is_empty()) {
            insurance.push(InsuranceType::parse(t).ok_or_else(|| corrupt("insurance_types", t))?);
        }
        let mut legacy_cards = Vec::new();
        for c in self.legacy_cards.split(';').filter(|s| !s.is_empty()) {
            let (g, bank) = c.split_once(':').ok_or_else(|| corrupt("legacy_cards", c))?;
            let generation = g.parse::<u8>().map_err(|e| corrupt("legacy_cards", e))?;
            legacy_cards.push(LegacyCard {
                generation,
                bank: bank.to_string(),
            });
        }
        Ok(InsuredPerson {
            id_number: stored_id(&self.id_number)?,
            name: PersonName::parse(&self.name).map_err(|e| corrupt("name", e))?,
            gender: Gender::parse(&self.gender).ok_or_else(|| corrupt("gender", &self.gender))?,
            nationality: self.nationality,
            ethnicity: self.ethnicity,
            id_valid_from: self.id_valid_from,
            id_valid_until: self.id_valid_until,
            address: self.address,
            residence_district: self.residence_district,
            mobile: self
                .mobile
                .map(|m| Mobile::parse(&m).map_err(|e| corrupt("mobile", e)))
                .transpose()?,
            occupation: self.occupation,
            insurance,
            membership,
            legacy_cards,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct EntityRow {
    pub uscc: String,
    pub name: String,
    pub address: String,
    pub district: String,
}

impl EntityRow {
    pub fn into_domain(self) -> Result<Entity, StoreError> {
        Ok(Entity {
            uscc: Uscc::parse(&self.uscc).map_err(|e| corrupt("uscc", e))?,
            name: self.name,
            address: self.address,
            district: self.district,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct GuardianshipRow {
    pub guardian_id: String,
    pub child_id: String,
    pub relationship: String,
    pub guardian_is_householder: bool,
    pub same_booklet: bool,
}

impl GuardianshipRow {
    pub fn into_domain(self) -> Result<Guardianship, StoreError> {
        Ok(Guardianship {
            guardian: stored_id(&self.guardian_id)?,
            child: stored_id(&self.child_id)?,
            relationship: self.relationship,
            guardian_is_householder: self.guardian_is_householder,
            same_booklet: self.same_booklet,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct BranchRow {
    pub code: String,
    pub bank: String,
    pub name: String,
    pub district: String,
    pub address: String,
    pub accepts_pickup: bool,
    pub instant_issuance: bool,
}

impl From<BranchRow> for Branch {
    fn from(r: BranchRow) -> Branch {
        Branch {
            code: r.code,
            bank: r.bank,
            name: r.name,
            district: r.district,
            address: r.address,
            accepts_pickup: r.accepts_pickup,
            instant_issuance: r.instant_issuance,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct OutletRow {
    pub code: String,
    pub name: String,
    pub district: String,
    pub address: String,
}

impl From<OutletRow> for Outlet {
    fn from(r: OutletRow) -> Outlet {
        Outlet {
            code: r.code,
            name: r.name,
            district: r.district,
            address: r.address,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct BankRow {
    pub code: String,
    pub short: String,
    pub name_zh: String,
    pub name_en: String,
    pub supports_online_replacement: bool,
}

impl From<BankRow> for Bank {
    fn from(r: BankRow) -> Bank {
        Bank {
            code: r.code,
            short: r.short,
            name_zh: r.name_zh,
            name_en: r.name_en,
            supports_online_replacement: r.supports_online_replacement,
        }
    }
}

/// Settings: an upsert, and the change kept beside it (`change_setting` on both engines).
pub(crate) const UPSERT_SETTING: &str =
    "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
pub(crate) const INSERT_SETTING_CHANGE: &str =
    "INSERT INTO setting_changes (key, previous, value, changed_by, changed_ms) VALUES ($1, $2, $3, $4, $5)";
/// `$1` is a LIKE pattern (the prefix with `%`, its own `%` and `_` escaped with `\\`).
pub(crate) const SETTING_CHANGES: &str = "SELECT key, previous, value, changed_by, changed_ms FROM setting_changes \
    WHERE key LIKE $1 ESCAPE '\\' ORDER BY changed_ms DESC, seq DESC LIMIT $2";

pub(crate) fn like_prefix(prefix: &str) -> String {
    let mut p = prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    p.push('%');
    p
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SettingChangeRow {
    key: String,
    previous: Option<String>,
    value: String,
    changed_by: String,
    changed_ms: i64,
}

impl SettingChangeRow {
    pub(crate) fn into_domain(self) -> Result<sscard_app::ports::SettingChange, StoreError> {
        Ok(sscard_app::ports::SettingChange {
            at: crate::accounts::from_ms(self.changed_ms)?,
            key: self.key,
            previous: self.previous,
            value: self.value,
            by: self.changed_by,
        })
    }
}
