//! Applying for a child (SPEC §5.3, §5.4): who may act for whom, the child's ID type and its extra answers,
//! the document matrix (data), and the age limits (18 for the route, 7 for the cartoon photo).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::application::Route;
use crate::documents::DocumentKind;
use crate::eligibility::{open_now, Facts, Ineligible};
use crate::registry::{Guardianship, InsuredPerson};
use crate::values::{IdNumber, PersonName};

/// The age from which a person applies for themselves.
pub const ADULT_AGE: u32 = 18;
/// A child younger than this on the day of application may have the default cartoon card photo.
pub const CARTOON_BELOW_AGE: u32 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildIdType {
    /// 居民身份证.
    ResidentId,
    /// 户口本.
    HouseholdBooklet,
}

impl ChildIdType {
    pub const ALL: [ChildIdType; 2] = [ChildIdType::ResidentId, ChildIdType::HouseholdBooklet];
    pub fn as_str(self) -> &'static str {
        match self {
            ChildIdType::ResidentId => "resident_id",
            ChildIdType::HouseholdBooklet => "household_booklet",
        }
    }
    pub fn parse(s: &str) -> Option<ChildIdType> {
        ChildIdType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// What a minor's application holds besides the common form. The guardian and the relationship are fixed
/// when the draft is created (from the household register, after the guardian confirmed them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MinorDetails {
    pub guardian: IdNumber,
    /// GB/T 4761 code, from the register; never edited.
    pub relationship: String,
    pub id_type: ChildIdType,
    pub id_valid_from: Option<NaiveDate>,
    pub id_valid_until: Option<NaiveDate>,
    /// Household booklet only.
    pub guardian_is_householder: Option<bool>,
    /// Household booklet only.
    pub same_booklet: Option<bool>,
    /// The system's default cartoon photo instead of an uploaded card photo (child under 7 only).
    pub cartoon_photo: bool,
}

/// One row of the SPEC §5.4 matrix: for a child ID type and, for a booklet, the householder answer.
pub struct MatrixRow {
    pub id_type: ChildIdType,
    /// `None`: the answer does not matter for this ID type.
    pub guardian_is_householder: Option<bool>,
    pub documents: &'static [DocumentKind],
}

/// SPEC §5.4, documents required for a minor, as data.
pub const MINOR_DOCUMENT_MATRIX: [MatrixRow; 3] = {
    use DocumentKind as D;
    [
        MatrixRow {
            id_type: ChildIdType::ResidentId,
            guardian_is_householder: None,
            documents: &[D::IdFront, D::IdBack, D::BirthCertificate],
        },
        MatrixRow {
            id_type: ChildIdType::HouseholdBooklet,
            guardian_is_householder: Some(true),
            documents: &[
                D::BookletFirstPage,
                D::BookletChildPage,
                D::BookletChildPageBack,
                D::BookletHouseholderPage,
                D::BookletHouseholderPageBack,
            ],
        },
        MatrixRow {
            id_type: ChildIdType::HouseholdBooklet,
            guardian_is_householder: Some(false),
            documents: &[
                D::BookletFirstPage,
                D::BookletChildPage,
                D::BookletChildPageBack,
                D::BirthCertificate,
            ],
        },
    ]
};

/// Always required of a minor's application, whatever the matrix says: the guardian's own ID card.
pub const GUARDIAN_DOCUMENTS: [DocumentKind; 2] = [DocumentKind::GuardianIdFront, DocumentKind::GuardianIdBack];

impl MinorDetails {
    /// The documents this application needs, in the order they are asked for: the guardian's ID, the card
    /// photo (unless the cartoon is chosen), then the matrix row. For a booklet whose householder question is
    /// still unanswered, only the pages every booklet row shares.
    pub fn required_documents(&self) -> Vec<DocumentKind> {
        let mut out = GUARDIAN_DOCUMENTS.to_vec();
        if !self.cartoon_photo {
            out.push(DocumentKind::CardPhoto);
        }
        let rows: Vec<&MatrixRow> = MINOR_DOCUMENT_MATRIX
            .iter()
            .filter(|r| r.id_type == self.id_type)
            .filter(|r| {
                r.guardian_is_householder.is_none()
                    || self.guardian_is_householder.is_none()
                    || r.guardian_is_householder == self.guardian_is_householder
            })
            .collect();
        if let Some(first) = rows.first() {
            for d in first.documents {
                if rows.iter().all(|r| r.documents.contains(d)) {
                    out.push(*d);
                }
            }
        }
        out
    }

    /// The answers still missing for submission, by name.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.id_valid_from.is_none() {
            out.push("id_valid_from");
        }
        match self.id_type {
            ChildIdType::ResidentId => {
                if self.id_valid_until.is_none() {
                    out.push("id_valid_until");
                }
            }
            ChildIdType::HouseholdBooklet => {
                if self.guardian_is_householder.is_none() {
                    out.push("guardian_is_householder");
                }
                if self.same_booklet.is_none() {
                    out.push("same_booklet");
                }
            }
        }
        out
    }
}

/// Whether the default cartoon photo may be chosen for `child` on `today`.
pub fn cartoon_allowed(child: &IdNumber, today: NaiveDate) -> bool {
    child.age_on(today) < CARTOON_BELOW_AGE
}

/// Whether `child` is still a minor on `today`: the guardian route is open only then.
pub fn is_minor(child: &IdNumber, today: NaiveDate) -> bool {
    child.age_on(today) < ADULT_AGE
}

/// The minor route for a guardian acting for `child` (SPEC §5.1, §5.3), or why not. The guardian link is
/// checked first, so someone who is not a listed guardian learns nothing about the child's record.
pub fn minor_route(
    child_id: &IdNumber,
    child_name: &PersonName,
    child: Option<&InsuredPerson>,
    link: Option<&Guardianship>,
    today: NaiveDate,
    facts: &Facts,
) -> Result<Route, Ineligible> {
    if link.is_none() {
        return Err(Ineligible::NotGuardian);
    }
    let c = child.ok_or(Ineligible::NotInRegistry)?;
    if c.name.as_str() != child_name.as_str() {
        return Err(Ineligible::ChildNameMismatch);
    }
    if !is_minor(child_id, today) {
        return Err(Ineligible::ComeOfAge);
    }
    if c.insurance.is_empty() {
        return Err(Ineligible::NoInsurance);
    }
    open_now(c, today, facts)?;
    Ok(Route::Minor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{InsuranceType, Membership};
    use DocumentKind as D;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    fn details(id_type: ChildIdType, householder: Option<bool>, cartoon: bool) -> MinorDetails {
        MinorDetails {
            guardian: IdNumber::compose("110105", NaiveDate::from_ymd_opt(1985, 3, 1).unwrap(), 11, today()).unwrap(),
            relationship: "51".into(),
            id_type,
            id_valid_from: None,
            id_valid_until: None,
            guardian_is_householder: householder,
            same_booklet: None,
            cartoon_photo: cartoon,
        }
    }

    #[test]
    fn the_matrix_is_the_spec_table() {
        let rid = details(ChildIdType::ResidentId, None, false).required_documents();
        assert_eq!(
            rid,
            vec![
                D::GuardianIdFront,
                D::GuardianIdBack,
                D::CardPhoto,
                D::IdFront,
                D::IdBack,
                D::BirthCertificate
            ]
        );
        let yes = details(ChildIdType::HouseholdBooklet, Some(true), false).required_documents();
        assert_eq!(
            yes[3..],
            [
                D::BookletFirstPage,
                D::BookletChildPage,
                D::BookletChildPageBack,
                D::BookletHouseholderPage,
                D::BookletHouseholderPageBack
            ]
        );
        let no = details(ChildIdType::HouseholdBooklet, Some(false), false).required_documents();
        assert_eq!(
            no[3..],
            [
                D::BookletFirstPage,
                D::BookletChildPage,
                D::BookletChildPageBack,
                D::BirthCertificate
            ]
        );
        // Unanswered: only what both booklet rows share.
        let open = details(ChildIdType::HouseholdBooklet, None, false).required_documents();
        assert_eq!(
            open[3..],
            [D::BookletFirstPage, D::BookletChildPage, D::BookletChildPageBack]
        );
        // The cartoon replaces the card photo and nothing else.
        let cartoon = details(ChildIdType::ResidentId, None, true).required_documents();
        assert!(!cartoon.contains(&D::CardPhoto));
        assert_eq!(cartoon.len(), rid.len() - 1);
        // Every row, every route: the guardian's ID always.
        for row in &MINOR_DOCUMENT_MATRIX {
            let d = details(row.id_type, row.guardian_is_householder, false).required_documents();
            assert!(d.starts_with(&GUARDIAN_DOCUMENTS));
        }
    }

    #[test]
    fn booklet_answers_are_required_only_for_a_booklet() {
        let mut rid = details(ChildIdType::ResidentId, None, false);
        assert_eq!(rid.missing(), vec!["id_valid_from", "id_valid_until"]);
        rid.id_valid_from = Some(today());
        rid.id_valid_until = Some(today());
        assert!(rid.missing().is_empty());
        let booklet = details(ChildIdType::HouseholdBooklet, None, false);
        assert_eq!(
            booklet.missing(),
            vec!["id_valid_from", "guardian_is_householder", "same_booklet"]
        );
    }

    fn child(born: NaiveDate) -> (IdNumber, InsuredPerson) {
        let id = IdNumber::compose("110105", born, 12, today()).unwrap();
        let p = InsuredPerson {
            id_number: id.clone(),
            name: PersonName::parse("王小明").unwrap(),
            gender: crate::values::Gender::Female,
            nationality: "CHN".into(),
            ethnicity: Some("01".into()),
            id_valid_from: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
            id_valid_until: None,
            address: "x".into(),
            residence_district: Some("110105".into()),
            mobile: None,
            occupation: None,
            insurance: vec![InsuranceType::Medical],
            membership: Membership::ResidentMinor,
            legacy_cards: vec![],
        };
        (id, p)
    }

    #[test]
    fn age_boundaries_fall_on_the_birthdays() {
        let t = today();
        // Born `years` before today, shifted by `days`.
        let born = |years: i32, days: i64| {
            NaiveDate::from_ymd_opt(2026 - years, 11, 21).unwrap() + chrono::Duration::days(days)
        };
        // 18th birthday tomorrow: still a minor today; on the birthday: of age.
        assert!(is_minor(&child(born(18, 1)).0, t));
        assert!(!is_minor(&child(born(18, 0)).0, t));
        assert!(!is_minor(&child(born(18, -1)).0, t));
        assert!(cartoon_allowed(&child(born(7, 1)).0, t));
        assert!(!cartoon_allowed(&child(born(7, 0)).0, t));
        assert!(!cartoon_allowed(&child(born(7, -1)).0, t));
    }

    #[test]
    fn the_guardian_link_is_checked_before_anything_about_the_child() {
        let (id, p) = child(NaiveDate::from_ymd_opt(2015, 5, 5).unwrap());
        let name = PersonName::parse("王小明").unwrap();
        let f = Facts::default();
        let link = Guardianship {
            guardian: id.clone(),
            child: id.clone(),
            relationship: "51".into(),
            guardian_is_householder: true,
            same_booklet: true,
        };
        assert_eq!(
            minor_route(&id, &name, None, None, today(), &f),
            Err(Ineligible::NotGuardian)
        );
        assert_eq!(
            minor_route(&id, &name, Some(&p), None, today(), &f),
            Err(Ineligible::NotGuardian)
        );
        assert_eq!(
            minor_route(&id, &name, Some(&p), Some(&link), today(), &f),
            Ok(Route::Minor)
        );
        let other = PersonName::parse("王小红").unwrap();
        assert_eq!(
            minor_route(&id, &other, Some(&p), Some(&link), today(), &f),
            Err(Ineligible::ChildNameMismatch)
        );
        let (adult, ap) = child(NaiveDate::from_ymd_opt(2008, 11, 21).unwrap());
        assert_eq!(
            minor_route(&adult, &name, Some(&ap), Some(&link), today(), &f),
            Err(Ineligible::ComeOfAge)
        );
    }
}
