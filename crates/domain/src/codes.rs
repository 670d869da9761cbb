//! Code tables (SPEC §4.4), parsed from CSV files compiled into the binary.
//!
//! They are loaded once at start-up by [`CodeTables::load`]; a broken table is a build defect, caught by the
//! tests below, and reported as an error at start-up rather than a panic.

use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Code {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

impl Code {
    pub fn name(&self, lang_is_en: bool) -> &str {
        if lang_is_en {
            &self.name_en
        } else {
            &self.name_zh
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct District {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub postal_code: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BankCode {
    /// CNAPS bank-type code, e.g. `102` for ICBC.
    pub code: String,
    pub short: String,
    pub name_zh: String,
    pub name_en: String,
}

/// Which table a code belongs to; used in error messages ("unknown ethnic group code 99").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    District,
    EthnicGroup,
    Nationality,
    Occupation,
    GuardianRelationship,
    Bank,
}

impl Table {
    pub fn as_str(self) -> &'static str {
        match self {
            Table::District => "district",
            Table::EthnicGroup => "ethnic group",
            Table::Nationality => "nationality",
            Table::Occupation => "occupation",
            Table::GuardianRelationship => "guardian relationship",
            Table::Bank => "bank",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("code table {table}: {source}")]
pub struct CodeTableError {
    table: &'static str,
    #[source]
    source: csv::Error,
}

#[derive(Debug, Clone)]
pub struct CodeTables {
    pub districts: Vec<District>,
    pub ethnic_groups: Vec<Code>,
    pub nationalities: Vec<Code>,
    pub occupations: Vec<Code>,
    pub guardian_relationships: Vec<Code>,
    pub banks: Vec<BankCode>,
    index: HashMap<Table, HashMap<String, usize>>,
}

fn read<T: serde::de::DeserializeOwned>(table: &'static str, text: &str) -> Result<Vec<T>, CodeTableError> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(|source| CodeTableError { table, source })
}

#[derive(serde::Deserialize)]
struct CodeRow {
    code: String,
    name_zh: String,
    name_en: String,
}

#[derive(serde::Deserialize)]
struct DistrictRow {
    code: String,
    name_zh: String,
    name_en: String,
    postal_code: String,
}

#[derive(serde::Deserialize)]
struct BankRow {
    code: String,
    short: String,
    name_zh: String,
    name_en: String,
}

fn codes(table: &'static str, text: &str) -> Result<Vec<Code>, CodeTableError> {
    Ok(read::<CodeRow>(table, text)?
        .into_iter()
        .map(|r| Code {
            code: r.code,
            name_zh: r.name_zh,
            name_en: r.name_en,
        })
        .collect())
}

impl CodeTables {
    pub fn load() -> Result<CodeTables, CodeTableError> {
        let districts = read::<DistrictRow>("districts", include_str!("../data/districts.csv"))?
            .into_iter()
            .map(|r| District {
                code: r.code,
                name_zh: r.name_zh,
                name_en: r.name_en,
                postal_code: r.postal_code,
            })
            .collect::<Vec<_>>();
        let banks = read::<BankRow>("banks", include_str!("../data/banks.csv"))?
            .into_iter()
            .map(|r| BankCode {
                code: r.code,
                short: r.short,
                name_zh: r.name_zh,
                name_en: r.name_en,
            })
            .collect::<Vec<_>>();
        let mut tables = CodeTables {
            districts,
            ethnic_groups: codes("ethnic_groups", include_str!("../data/ethnic_groups.csv"))?,
            nationalities: codes("nationalities", include_str!("../data/nationalities.csv"))?,
            occupations: codes("occupations", include_str!("../data/occupations.csv"))?,
            guardian_relationships: codes(
                "guardian_relationships",
                include_str!("../data/guardian_relationships.csv"),
            )?,
            banks,
            index: HashMap::new(),
        };
        tables.build_index();
        Ok(tables)
    }

    fn build_index(&mut self) {
        let mut index: HashMap<Table, HashMap<String, usize>> = HashMap::new();
        for (i, d) in self.districts.iter().enumerate() {
            index.entry(Table::District).or_default().insert(d.code.clone(), i);
        }
        for (t, list) in [
            (Table::EthnicGroup, &self.ethnic_groups),
            (Table::Nationality, &self.nationalities),
            (Table::Occupation, &self.occupations),
            (Table::GuardianRelationship, &self.guardian_relationships),
        ] {
            for (i, c) in list.iter().enumerate() {
                index.entry(t).or_default().insert(c.code.clone(), i);
            }
        }
        for (i, b) in self.banks.iter().enumerate() {
            index.entry(Table::Bank).or_default().insert(b.code.clone(), i);
        }
        self.index = index;
    }

    fn position(&self, table: Table, code: &str) -> Option<usize> {
        self.index.get(&table).and_then(|m| m.get(code)).copied()
    }

    pub fn contains(&self, table: Table, code: &str) -> bool {
        self.position(table, code).is_some()
    }

    pub fn district(&self, code: &str) -> Option<&District> {
        self.position(Table::District, code).map(|i| &self.districts[i])
    }

    pub fn bank(&self, code: &str) -> Option<&BankCode> {
        self.position(Table::Bank, code).map(|i| &self.banks[i])
    }

    /// A code's name in Chinese or English; the code itself when the table does not hold it.
    pub fn name(&self, table: Table, code: &str, en: bool) -> String {
        let pick = |zh: &str, en_name: &str| if en { en_name.to_string() } else { zh.to_string() };
        let Some(i) = self.position(table, code) else {
            return code.to_string();
        };
        match table {
            Table::District => pick(&self.districts[i].name_zh, &self.districts[i].name_en),
            Table::Bank => pick(&self.banks[i].name_zh, &self.banks[i].name_en),
            Table::EthnicGroup => self.ethnic_groups[i].name(en).to_string(),
            Table::Nationality => self.nationalities[i].name(en).to_string(),
            Table::Occupation => self.occupations[i].name(en).to_string(),
            Table::GuardianRelationship => self.guardian_relationships[i].name(en).to_string(),
        }
    }

    /// The occupation every retiree's application defaults to (SPEC §5.2).
    pub const RETIRED_OCCUPATION: &'static str = "R";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_loads_with_the_expected_size() {
        let t = CodeTables::load().unwrap();
        assert_eq!(t.districts.len(), 16);
        assert_eq!(t.ethnic_groups.len(), 56);
        assert_eq!(t.banks.len(), 15);
        assert_eq!(t.occupations.len(), 11);
        assert_eq!(t.guardian_relationships.len(), 10);
        assert!(t.nationalities.len() >= 240);
        assert!(t.contains(Table::Nationality, "CHN"));
        assert!(t.contains(Table::Occupation, CodeTables::RETIRED_OCCUPATION));
        assert_eq!(t.bank("102").map(|b| b.short.as_str()), Some("ICBC"));
        assert!(t.district("110103").is_none(), "崇文区 no longer exists");
    }

    #[test]
    fn codes_are_unique_and_district_postal_codes_are_in_beijing() {
        let t = CodeTables::load().unwrap();
        for d in &t.districts {
            assert!(
                crate::values::BeijingPostalCode::parse(&d.postal_code).is_ok(),
                "{}",
                d.code
            );
        }
        let total = t.districts.len()
            + t.ethnic_groups.len()
            + t.nationalities.len()
            + t.occupations.len()
            + t.guardian_relationships.len()
            + t.banks.len();
        assert_eq!(
            t.index.values().map(HashMap::len).sum::<usize>(),
            total,
            "a code appears twice in one table"
        );
    }
}
