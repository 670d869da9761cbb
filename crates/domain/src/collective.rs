//! Employer collective application (SPEC §6): the entity's settings, what its employees may choose, the
//! status a handler sees for each employee, and why a confirmed employee is left out of a batch.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use crate::access::Channel;
use crate::application::{Application, ApplicationState, Route};
use crate::policy::{collection_methods, CollectionMethod};
use crate::values::{Mobile, PersonName, Uscc};

/// A bank branch the entity lets its employees choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AllowedBranch {
    pub bank: String,
    pub branch: String,
}

/// The entity's collective application (单位开通集体申请, SPEC §6.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollectiveSettings {
    pub entity: Uscc,
    /// Whether collective application is open (是否开通单位集中办卡).
    pub open: bool,
    /// Whether the entity collects the cards for its employees (单位代领).
    pub entity_collects: bool,
    /// The banks and branches employees may choose; never empty while open.
    pub branches: Vec<AllowedBranch>,
    /// The entity's contact for the card campaign (basic information filled by the handler).
    pub contact_name: PersonName,
    pub contact_mobile: Mobile,
    pub updated_at: DateTime<FixedOffset>,
    /// The handler account that made the last change.
    pub updated_by: String,
}

impl CollectiveSettings {
    pub fn allows_branch(&self, bank: &str, branch: &str) -> bool {
        self.branches.iter().any(|b| b.bank == bank && b.branch == branch)
    }

    /// The collection methods an employee may choose on `channel`: the policy table's collective row,
    /// narrowed by the entity's choice (employer collection forced when it collects, else not offered).
    pub fn collection_methods(&self, channel: Channel) -> Vec<CollectionMethod> {
        collection_methods(Route::Collective, channel)
            .iter()
            .copied()
            .filter(|m| (*m == CollectionMethod::EmployerCollection) == self.entity_collects)
            .collect()
    }
}

/// Days within which an entity returns to the bank a card it collected but could not hand out (handbook Q13).
pub const RETURN_DAYS: i64 = 30;

/// Where a card the entity holds stands against the return deadline (SPEC §6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ReturnStatus {
    /// To hand out, or to return by `return_by` (inclusive).
    Due { return_by: chrono::NaiveDate },
    /// Past `return_by`: return it to the bank now.
    Overdue { return_by: chrono::NaiveDate },
}

impl ReturnStatus {
    /// For a card the entity collected on `delivered_on`, seen on `today`.
    pub fn of(delivered_on: chrono::NaiveDate, today: chrono::NaiveDate) -> ReturnStatus {
        let return_by = delivered_on + chrono::Duration::days(RETURN_DAYS);
        if today > return_by {
            ReturnStatus::Overdue { return_by }
        } else {
            ReturnStatus::Due { return_by }
        }
    }
    pub fn return_by(self) -> chrono::NaiveDate {
        match self {
            ReturnStatus::Due { return_by } | ReturnStatus::Overdue { return_by } => return_by,
        }
    }
    pub fn is_overdue(self) -> bool {
        matches!(self, ReturnStatus::Overdue { .. })
    }
}

/// What a handler sees for one employee (职工申请情况, SPEC §6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub enum EmployeeStatus {
    /// No application, or a draft not yet confirmed.
    NotConfirmed,
    /// 信息已确认: ready for the handler.
    Confirmed,
    /// Submitted and beyond: the application's state (SPEC §5.6).
    Application(ApplicationState),
}

impl EmployeeStatus {
    /// The status of an employee whose latest collective application is in `state` (`None`: none yet). A
    /// withdrawn application leaves the employee free to start again, so it reads as not confirmed.
    pub fn of(state: Option<ApplicationState>) -> EmployeeStatus {
        match state {
            None | Some(ApplicationState::Draft) | Some(ApplicationState::Withdrawn) => EmployeeStatus::NotConfirmed,
            Some(ApplicationState::Confirmed) => EmployeeStatus::Confirmed,
            Some(s) => EmployeeStatus::Application(s),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EmployeeStatus::NotConfirmed => "not_confirmed",
            EmployeeStatus::Confirmed => "confirmed",
            EmployeeStatus::Application(s) => s.as_str(),
        }
    }

    /// Every status a handler can filter by, in the order of the journey.
    pub fn all() -> Vec<EmployeeStatus> {
        let mut out = vec![EmployeeStatus::NotConfirmed, EmployeeStatus::Confirmed];
        out.extend(
            ApplicationState::ALL
                .into_iter()
                .filter(|s| {
                    !matches!(
                        s,
                        ApplicationState::Draft | ApplicationState::Confirmed | ApplicationState::Withdrawn
                    )
                })
                .map(EmployeeStatus::Application),
        );
        out
    }

    pub fn parse(s: &str) -> Option<EmployeeStatus> {
        EmployeeStatus::all().into_iter().find(|x| x.as_str() == s)
    }

    /// The stored application states this status stands for (`None` in the list: no application at all).
    pub fn states(self) -> Vec<Option<ApplicationState>> {
        match self {
            EmployeeStatus::NotConfirmed => {
                vec![None, Some(ApplicationState::Draft), Some(ApplicationState::Withdrawn)]
            }
            EmployeeStatus::Confirmed => vec![Some(ApplicationState::Confirmed)],
            EmployeeStatus::Application(s) => vec![Some(s)],
        }
    }
}

impl From<EmployeeStatus> for String {
    fn from(s: EmployeeStatus) -> String {
        s.as_str().to_string()
    }
}

/// Why a selected employee was not submitted with the batch (SPEC §6.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    #[error("not an employee of this entity (or no collective application of theirs)")]
    NotFound,
    #[error("no longer an employee of this entity in the registry")]
    LeftEntity,
    #[error("the employee has not confirmed their data")]
    NotConfirmed,
    #[error("already submitted")]
    AlreadySubmitted { state: ApplicationState },
    #[error("incomplete: {missing:?}")]
    Incomplete { missing: Vec<String> },
    #[error("the chosen branch is no longer one the entity allows")]
    BranchNotAllowed,
    #[error("the chosen collection method is no longer one the entity allows")]
    CollectionNotAllowed,
}

impl SkipReason {
    pub fn code(&self) -> &'static str {
        match self {
            SkipReason::NotFound => "not_found",
            SkipReason::LeftEntity => "left_entity",
            SkipReason::NotConfirmed => "not_confirmed",
            SkipReason::AlreadySubmitted { .. } => "already_submitted",
            SkipReason::Incomplete { .. } => "incomplete",
            SkipReason::BranchNotAllowed => "branch_not_allowed",
            SkipReason::CollectionNotAllowed => "collection_not_allowed",
        }
    }
}

/// Whether the handler may submit `a` now: it belongs to the entity, the registry still names the entity as
/// the person's employer (`employer_now`), the employee confirmed it, it is complete, and its bank branch and
/// collection method are still ones the settings allow.
pub fn judge(a: &Application, employer_now: Option<&Uscc>, settings: &CollectiveSettings) -> Result<(), SkipReason> {
    if a.route != Route::Collective || a.employer.as_ref() != Some(&settings.entity) {
        return Err(SkipReason::NotFound);
    }
    if employer_now != Some(&settings.entity) {
        return Err(SkipReason::LeftEntity);
    }
    match a.state {
        ApplicationState::Confirmed => {}
        ApplicationState::Draft | ApplicationState::Rejected | ApplicationState::Withdrawn => {
            return Err(SkipReason::NotConfirmed)
        }
        s => return Err(SkipReason::AlreadySubmitted { state: s }),
    }
    let missing = a.missing();
    if !missing.is_empty() {
        return Err(SkipReason::Incomplete { missing });
    }
    let (Some(bank), Some(branch)) = (&a.form.bank, &a.form.branch) else {
        return Err(SkipReason::Incomplete {
            missing: vec!["branch".into()],
        });
    };
    if !settings.allows_branch(bank, branch) {
        return Err(SkipReason::BranchNotAllowed);
    }
    if !a
        .form
        .collection
        .is_some_and(|m| settings.collection_methods(a.channel).contains(&m))
    {
        return Err(SkipReason::CollectionNotAllowed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::{ApplicationForm, DocumentRef};
    use crate::documents::DocumentKind;
    use crate::values::IdNumber;
    use chrono::TimeZone;

    fn uscc(s: &str) -> Uscc {
        Uscc::parse(s).unwrap()
    }

    const A: &str = "91110000802100433B";
    const B: &str = "911100007109310534";

    fn settings(entity_collects: bool) -> CollectiveSettings {
        CollectiveSettings {
            entity: uscc(A),
            open: true,
            entity_collects,
            branches: vec![AllowedBranch {
                bank: "102".into(),
                branch: "102001".into(),
            }],
            contact_name: PersonName::parse("王经办").unwrap(),
            contact_mobile: Mobile::parse("13800138000").unwrap(),
            updated_at: chrono::FixedOffset::east_opt(8 * 3600)
                .unwrap()
                .with_ymd_and_hms(2026, 11, 21, 9, 0, 0)
                .unwrap(),
            updated_by: "handler".into(),
        }
    }

    fn confirmed(collection: CollectionMethod) -> Application {
        let at = settings(false).updated_at;
        let doc = DocumentRef {
            hash: "h".into(),
            media_type: "image/jpeg".into(),
            bytes: 30_000,
        };
        Application {
            id: "a".into(),
            reference: "r".into(),
            person: IdNumber::parse("11010519491231002X", at.date_naive()).unwrap(),
            applicant: "acct".into(),
            route: Route::Collective,
            channel: Channel::Web,
            state: ApplicationState::Confirmed,
            form: ApplicationForm {
                ethnicity: Some("01".into()),
                occupation: Some("2".into()),
                residence_district: Some("110105".into()),
                residence_address: Some("朝阳路1号".into()),
                mobile: Some(Mobile::parse("13900139000").unwrap()),
                bank: Some("102".into()),
                branch: Some("102001".into()),
                collection: Some(collection),
                mail: None,
            },
            documents: DocumentKind::OWN.iter().map(|k| (*k, doc.clone())).collect(),
            created_at: at,
            updated_at: at,
            submitted_at: None,
            due_on: None,
            minor: None,
            employer: Some(uscc(A)),
        }
    }

    #[test]
    fn the_entity_choice_narrows_the_collection_methods() {
        let names = |s: &CollectiveSettings| -> Vec<&str> {
            s.collection_methods(Channel::Web).iter().map(|m| m.as_str()).collect()
        };
        assert_eq!(names(&settings(true)), vec!["employer_collection"]);
        assert_eq!(names(&settings(false)), vec!["branch_pickup", "bank_mail"]);
    }

    #[test]
    fn every_skip_reason_as_data() {
        let s = settings(false);
        let a = confirmed(CollectionMethod::BranchPickup);
        let entity = uscc(A);
        assert_eq!(judge(&a, Some(&entity), &s), Ok(()));
        let cases: Vec<(Application, Option<Uscc>, &str)> = vec![
            (a.clone(), Some(uscc(B)), "left_entity"),
            (a.clone(), None, "left_entity"),
            (
                Application {
                    employer: Some(uscc(B)),
                    ..a.clone()
                },
                Some(uscc(B)),
                "not_found",
            ),
            (
                Application {
                    state: ApplicationState::Draft,
                    ..a.clone()
                },
                Some(entity.clone()),
                "not_confirmed",
            ),
            (
                Application {
                    state: ApplicationState::SentToBank,
                    ..a.clone()
                },
                Some(entity.clone()),
                "already_submitted",
            ),
            (
                Application {
                    documents: Default::default(),
                    ..a.clone()
                },
                Some(entity.clone()),
                "incomplete",
            ),
            (
                Application {
                    form: ApplicationForm {
                        branch: Some("102002".into()),
                        ..a.form.clone()
                    },
                    ..a.clone()
                },
                Some(entity.clone()),
                "branch_not_allowed",
            ),
            (
                confirmed(CollectionMethod::EmployerCollection),
                Some(entity.clone()),
                "collection_not_allowed",
            ),
        ];
        for (app, employer, code) in cases {
            assert_eq!(judge(&app, employer.as_ref(), &s).unwrap_err().code(), code, "{code}");
        }
        // The entity changed its mind: employer collection became the only way.
        assert_eq!(
            judge(&a, Some(&entity), &settings(true)).unwrap_err().code(),
            "collection_not_allowed"
        );
    }

    #[test]
    fn a_collected_card_is_due_for_thirty_days_then_overdue() {
        let d = |m, day| chrono::NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let delivered = d(11, 1);
        assert_eq!(
            ReturnStatus::of(delivered, d(11, 1)),
            ReturnStatus::Due { return_by: d(12, 1) }
        );
        assert!(!ReturnStatus::of(delivered, d(12, 1)).is_overdue());
        assert!(ReturnStatus::of(delivered, d(12, 2)).is_overdue());
        assert_eq!(ReturnStatus::of(delivered, d(12, 2)).return_by(), d(12, 1));
    }

    #[test]
    fn statuses_cover_every_state_once() {
        for st in ApplicationState::ALL {
            let status = EmployeeStatus::of(Some(st));
            assert!(status.states().contains(&Some(st)), "{st:?}");
            assert_eq!(EmployeeStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(EmployeeStatus::of(None).as_str(), "not_confirmed");
        assert_eq!(
            EmployeeStatus::of(Some(ApplicationState::Draft)).as_str(),
            "not_confirmed"
        );
        assert_eq!(
            EmployeeStatus::of(Some(ApplicationState::Confirmed)).as_str(),
            "confirmed"
        );
        assert_eq!(
            EmployeeStatus::of(Some(ApplicationState::Submitted)).as_str(),
            "submitted"
        );
        assert_eq!(EmployeeStatus::parse("withdrawn"), None);
    }
}
