//! Who may apply for their own card, by which route (SPEC §5.1). Each refusal is its own variant, so each
//! gets its own code and a message that says what to do instead.

use chrono::NaiveDate;
use serde::Serialize;

use crate::application::Route;
use crate::registry::{InsuredPerson, Membership};

/// Why a person cannot apply for themselves right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Ineligible {
    #[error("not in the insured-person registry")]
    NotInRegistry,
    #[error("holds no social insurance")]
    NoInsurance,
    #[error("applications for this category open on {opens_on}")]
    NotOpenYet { category: String, opens_on: NaiveDate },
    #[error("an application is already in progress: resume it")]
    ApplicationInProgress { reference: String },
    #[error("a third-generation card is already held: report a loss or apply for a replacement instead")]
    LiveCard,
    #[error("under 18: a guardian applies on the child's behalf")]
    UnderAge,
    #[error("only a guardian listed in the household register can apply for this child")]
    NotGuardian,
    #[error("the name does not match the child's record")]
    ChildNameMismatch,
    #[error("18 or over on the day of application: they apply for themselves after real-name authentication")]
    ComeOfAge,
    #[error("an employee applies through their employer's collective application, which is not open")]
    EmployerNotOpen,
}

impl Ineligible {
    pub fn code(&self) -> &'static str {
        match self {
            Ineligible::NotInRegistry => "not_in_registry",
            Ineligible::NoInsurance => "no_insurance",
            Ineligible::NotOpenYet { .. } => "not_open_yet",
            Ineligible::ApplicationInProgress { .. } => "application_in_progress",
            Ineligible::LiveCard => "live_card",
            Ineligible::UnderAge => "under_age",
            Ineligible::NotGuardian => "not_guardian",
            Ineligible::ChildNameMismatch => "child_name_mismatch",
            Ineligible::ComeOfAge => "come_of_age",
            Ineligible::EmployerNotOpen => "employer_not_open",
        }
    }
}

/// What the check needs to know besides the registry record.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The opening date of a category, when it is set and still in the future.
    pub opens_on: Option<NaiveDate>,
    /// The reference of the person's open application, if any.
    pub open_application: Option<String>,
    pub has_live_card: bool,
    /// For employees: whether their employer has opened collective application.
    pub employer_open: bool,
}

/// The route by which `person` applies for their own card on `today`, or why they cannot.
pub fn own_route(person: Option<&InsuredPerson>, today: NaiveDate, facts: &Facts) -> Result<Route, Ineligible> {
    let p = person.ok_or(Ineligible::NotInRegistry)?;
    if p.id_number.age_on(today) < 18 || p.membership == Membership::ResidentMinor {
        return Err(Ineligible::UnderAge);
    }
    if p.insurance.is_empty() {
        return Err(Ineligible::NoInsurance);
    }
    let route = match p.membership {
        Membership::Individual => Route::Personal,
        Membership::Retiree { .. } => Route::Retiree,
        // An employee applies through their employer's collective application, once it is open (SPEC §6.2).
        Membership::Employee { .. } if facts.employer_open => Route::Collective,
        Membership::Employee { .. } => return Err(Ineligible::EmployerNotOpen),
        Membership::ResidentMinor => return Err(Ineligible::UnderAge),
    };
    open_now(p, today, facts)?;
    Ok(route)
}

/// What every route checks last: the category is open, no application is in progress, no live card.
pub fn open_now(p: &InsuredPerson, today: NaiveDate, facts: &Facts) -> Result<(), Ineligible> {
    if let Some(opens_on) = facts.opens_on.filter(|d| *d > today) {
        return Err(Ineligible::NotOpenYet {
            category: p.membership.category().to_string(),
            opens_on,
        });
    }
    if let Some(reference) = &facts.open_application {
        return Err(Ineligible::ApplicationInProgress {
            reference: reference.clone(),
        });
    }
    if facts.has_live_card {
        return Err(Ineligible::LiveCard);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::InsuranceType;
    use crate::values::{IdNumber, PersonName};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    fn person(born: (i32, u32, u32), membership: Membership) -> InsuredPerson {
        let d = NaiveDate::from_ymd_opt(born.0, born.1, born.2).unwrap();
        InsuredPerson {
            id_number: IdNumber::compose("110105", d, 11, today()).unwrap(),
            name: PersonName::parse("张三").unwrap(),
            gender: crate::values::Gender::Male,
            nationality: "CHN".into(),
            ethnicity: Some("01".into()),
            id_valid_from: NaiveDate::from_ymd_opt(2015, 1, 1).unwrap(),
            id_valid_until: None,
            address: "x".into(),
            residence_district: Some("110105".into()),
            mobile: None,
            occupation: None,
            insurance: vec![InsuranceType::Pension],
            membership,
            legacy_cards: vec![],
        }
    }

    #[test]
    fn each_refusal_has_its_own_code() {
        let f = Facts::default();
        let adult = person((1980, 1, 1), Membership::Individual);
        assert_eq!(own_route(Some(&adult), today(), &f), Ok(Route::Personal));
        let retiree = person(
            (1950, 1, 1),
            Membership::Retiree {
                pension_bank: "102".into(),
                pension_branch: "b".into(),
            },
        );
        assert_eq!(own_route(Some(&retiree), today(), &f), Ok(Route::Retiree));
        let cases: Vec<(Option<InsuredPerson>, Facts, &str)> = vec![
            (None, Facts::default(), "not_in_registry"),
            (
                Some(InsuredPerson {
                    insurance: vec![],
                    ..adult.clone()
                }),
                Facts::default(),
                "no_insurance",
            ),
            (
                Some(person((2010, 1, 1), Membership::Individual)),
                Facts::default(),
                "under_age",
            ),
            (
                Some(person((2009, 11, 22), Membership::Individual)),
                Facts::default(),
                "under_age",
            ),
            (
                Some(adult.clone()),
                Facts {
                    opens_on: NaiveDate::from_ymd_opt(2027, 1, 1),
                    ..Facts::default()
                },
                "not_open_yet",
            ),
            (
                Some(adult.clone()),
                Facts {
                    open_application: Some("BJ1".into()),
                    ..Facts::default()
                },
                "application_in_progress",
            ),
            (
                Some(adult.clone()),
                Facts {
                    has_live_card: true,
                    ..Facts::default()
                },
                "live_card",
            ),
            (
                Some(person(
                    (1990, 1, 1),
                    Membership::Employee {
                        employer: crate::values::uscc::complete_uscc("91110105000000001").unwrap(),
                    },
                )),
                Facts::default(),
                "employer_not_open",
            ),
        ];
        for (p, facts, code) in cases {
            assert_eq!(own_route(p.as_ref(), today(), &facts).unwrap_err().code(), code);
        }
        // An employee whose employer has opened collective application confirms through it.
        let employee = person(
            (1990, 1, 1),
            Membership::Employee {
                employer: crate::values::uscc::complete_uscc("91110105000000001").unwrap(),
            },
        );
        let open = Facts {
            employer_open: true,
            ..Facts::default()
        };
        assert_eq!(own_route(Some(&employee), today(), &open), Ok(Route::Collective));
        // 18 today: an adult.
        assert!(own_route(Some(&person((2008, 11, 21), Membership::Individual)), today(), &f).is_ok());
        // An opening date that has passed does not block.
        let past = Facts {
            opens_on: NaiveDate::from_ymd_opt(2026, 1, 4),
            ..Facts::default()
        };
        assert!(own_route(Some(&adult), today(), &past).is_ok());
    }
}
