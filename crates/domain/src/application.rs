//! The application state machine (SPEC §5.1, §5.6). The route an application takes is [`crate::route`].
//!
//! Transitions are the only way to change a state, and each returns `Result`: an illegal one is refused with
//! the state it would have needed.

use serde::{Deserialize, Serialize};

pub use crate::route::Route;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationState {
    Draft,
    /// Collective route: the employee confirmed their data (信息已确认); the handler submits it (SPEC §6.2).
    Confirmed,
    Submitted,
    SentToBank,
    InProduction,
    Produced,
    Mailed,
    ReadyForPickup,
    DeliveredToEntity,
    Collected,
    Rejected,
    Withdrawn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationEvent {
    /// The draft is created (the first event of every application; no state leads to it).
    Start,
    Submit,
    /// Collective route: the employee confirms their data, ready for the handler (SPEC §6.2).
    Confirm,
    /// Collective route: the entity's handler submits a confirmed employee in a batch (SPEC §6.3).
    EmployerSubmit,
    SendToBank,
    BankAccept,
    Produce,
    Mail,
    ReadyForPickup,
    DeliverToEntity,
    Collect,
    Reject,
    Withdraw,
    /// The applicant fixes a rejected application and submits it again.
    Resubmit,
    /// The entity returns a card it could not hand out to the bank, where the holder collects it (SPEC §6.5).
    ReturnToBank,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {event:?} an application that is {from:?}; it must be one of {expected:?}")]
pub struct TransitionError {
    pub from: ApplicationState,
    pub event: ApplicationEvent,
    pub expected: Vec<ApplicationState>,
}

impl ApplicationState {
    pub const ALL: [ApplicationState; 12] = [
        ApplicationState::Draft,
        ApplicationState::Confirmed,
        ApplicationState::Submitted,
        ApplicationState::SentToBank,
        ApplicationState::InProduction,
        ApplicationState::Produced,
        ApplicationState::Mailed,
        ApplicationState::ReadyForPickup,
        ApplicationState::DeliveredToEntity,
        ApplicationState::Collected,
        ApplicationState::Rejected,
        ApplicationState::Withdrawn,
    ];

    /// The states from which `event` is allowed, and where it leads.
    fn rule(event: ApplicationEvent) -> (&'static [ApplicationState], ApplicationState) {
        use ApplicationEvent as E;
        use ApplicationState as S;
        match event {
            E::Start => (&[], S::Draft),
            E::Submit => (&[S::Draft], S::Submitted),
            // A rejected collective application goes back to the employee, who fixes and confirms it again.
            E::Confirm => (&[S::Draft, S::Rejected], S::Confirmed),
            E::EmployerSubmit => (&[S::Confirmed], S::Submitted),
            E::SendToBank => (&[S::Submitted], S::SentToBank),
            E::BankAccept => (&[S::SentToBank], S::InProduction),
            E::Produce => (&[S::InProduction], S::Produced),
            E::Mail => (&[S::Produced], S::Mailed),
            E::ReadyForPickup => (&[S::Produced], S::ReadyForPickup),
            E::DeliverToEntity => (&[S::Produced], S::DeliveredToEntity),
            E::Collect => (&[S::Mailed, S::ReadyForPickup, S::DeliveredToEntity], S::Collected),
            E::Reject => (&[S::SentToBank, S::InProduction], S::Rejected),
            // Withdrawal is allowed only before production starts (SPEC §5.6).
            E::Withdraw => (
                &[S::Draft, S::Confirmed, S::Submitted, S::SentToBank, S::Rejected],
                S::Withdrawn,
            ),
            E::Resubmit => (&[S::Rejected], S::Submitted),
            E::ReturnToBank => (&[S::DeliveredToEntity], S::ReadyForPickup),
        }
    }

    pub fn apply(self, event: ApplicationEvent) -> Result<ApplicationState, TransitionError> {
        let (from, to) = Self::rule(event);
        if from.contains(&self) {
            Ok(to)
        } else {
            Err(TransitionError {
                from: self,
                event,
                expected: from.to_vec(),
            })
        }
    }

    /// The applicant may change the answers and documents: a draft, an application the bank rejected, which
    /// is fixed and submitted again (SPEC §5.6), or a confirmed collective one until the handler submits it
    /// (SPEC §6.2).
    pub fn is_editable(self) -> bool {
        matches!(
            self,
            ApplicationState::Draft | ApplicationState::Confirmed | ApplicationState::Rejected
        )
    }

    /// Open applications block a new one for the same person (SPEC §5.1).
    pub fn is_open(self) -> bool {
        !matches!(self, ApplicationState::Collected | ApplicationState::Withdrawn)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationState::Draft => "draft",
            ApplicationState::Confirmed => "confirmed",
            ApplicationState::Submitted => "submitted",
            ApplicationState::SentToBank => "sent_to_bank",
            ApplicationState::InProduction => "in_production",
            ApplicationState::Produced => "produced",
            ApplicationState::Mailed => "mailed",
            ApplicationState::ReadyForPickup => "ready_for_pickup",
            ApplicationState::DeliveredToEntity => "delivered_to_entity",
            ApplicationState::Collected => "collected",
            ApplicationState::Rejected => "rejected",
            ApplicationState::Withdrawn => "withdrawn",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationEvent as E;
    use ApplicationState as S;

    #[test]
    fn the_happy_paths_of_each_collection_method() {
        for delivery in [E::Mail, E::ReadyForPickup, E::DeliverToEntity] {
            let mut s = S::Draft;
            for e in [
                E::Submit,
                E::SendToBank,
                E::BankAccept,
                E::Produce,
                delivery,
                E::Collect,
            ] {
                s = s.apply(e).unwrap();
            }
            assert_eq!(s, S::Collected);
        }
    }

    #[test]
    fn the_production_date_applies_only_until_the_card_is_made() {
        use ApplicationState as S;
        let waiting: Vec<S> = S::ALL.into_iter().filter(|s| s.awaits_production()).collect();
        assert_eq!(waiting, vec![S::Submitted, S::SentToBank, S::InProduction]);
    }

    #[test]
    fn withdrawal_only_before_production() {
        assert_eq!(S::Submitted.apply(E::Withdraw), Ok(S::Withdrawn));
        let err = S::InProduction.apply(E::Withdraw).unwrap_err();
        assert_eq!(err.from, S::InProduction);
        assert!(!err.expected.contains(&S::InProduction));
    }

    #[test]
    fn a_collective_application_is_confirmed_by_the_employee_and_submitted_by_the_employer() {
        assert_eq!(S::Draft.apply(E::Confirm), Ok(S::Confirmed));
        assert_eq!(S::Confirmed.apply(E::EmployerSubmit), Ok(S::Submitted));
        // The employer cannot submit what the employee has not confirmed; a confirmed one can still be withdrawn.
        assert_eq!(
            S::Draft.apply(E::EmployerSubmit).unwrap_err().expected,
            vec![S::Confirmed]
        );
        assert_eq!(S::Confirmed.apply(E::Withdraw), Ok(S::Withdrawn));
        assert!(S::Confirmed.apply(E::Submit).is_err());
        // A rejected collective application is fixed and confirmed again.
        assert_eq!(S::Rejected.apply(E::Confirm), Ok(S::Confirmed));
        assert!(S::Confirmed.is_editable() && !S::Submitted.is_editable());
    }

    #[test]
    fn a_card_the_entity_holds_is_handed_out_or_returned_to_the_bank() {
        assert_eq!(S::DeliveredToEntity.apply(E::Collect), Ok(S::Collected));
        assert_eq!(S::DeliveredToEntity.apply(E::ReturnToBank), Ok(S::ReadyForPickup));
        // Once returned, the holder collects it at the branch; nothing else can be returned.
        assert_eq!(S::ReadyForPickup.apply(E::Collect), Ok(S::Collected));
        assert!(S::ReadyForPickup.apply(E::ReturnToBank).is_err());
        assert!(S::Mailed.apply(E::ReturnToBank).is_err());
    }

    #[test]
    fn rejection_returns_to_the_applicant_who_resubmits() {
        let s = S::SentToBank.apply(E::Reject).unwrap();
        assert_eq!(s.apply(E::Resubmit), Ok(S::Submitted));
    }

    #[test]
    fn terminal_states_accept_nothing_but_nothing_skips_a_step() {
        for e in ApplicationEvent::ALL {
            assert!(S::Collected.apply(e).is_err());
            assert!(S::Withdrawn.apply(e).is_err());
        }
        assert!(S::Submitted.apply(E::Produce).is_err());
        assert!(S::Draft.apply(E::Collect).is_err());
    }
}

pub use record::*;

/// The application record (SPEC §5.2): what the registry fixes, what the applicant fills in, the documents.
mod record {
    use std::collections::BTreeMap;

    use chrono::{DateTime, FixedOffset, NaiveDate};
    use serde::Serialize;

    use super::{ApplicationState, Route};
    use crate::access::Channel;
    use crate::documents::DocumentKind;
    use crate::minor::MinorDetails;
    use crate::policy::CollectionMethod;
    use crate::values::{BeijingPostalCode, IdNumber, Mobile, PersonName, Uscc};

    /// Where the bank mails the card.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct MailDetails {
        pub recipient: PersonName,
        pub mobile: Mobile,
        /// A district code of the city.
        pub district: String,
        pub postal_code: BeijingPostalCode,
        pub address: String,
    }

    /// The fields the applicant fills in; each is `None` until given. Every value held here has been checked.
    #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
    pub struct ApplicationForm {
        pub ethnicity: Option<String>,
        pub occupation: Option<String>,
        pub residence_district: Option<String>,
        pub residence_address: Option<String>,
        pub mobile: Option<Mobile>,
        pub bank: Option<String>,
        pub branch: Option<String>,
        pub collection: Option<CollectionMethod>,
        pub mail: Option<MailDetails>,
    }

    impl ApplicationForm {
        /// The fields still missing for submission, by name.
        pub fn missing(&self) -> Vec<&'static str> {
            let mut out = Vec::new();
            let checks: [(&'static str, bool); 8] = [
                ("ethnicity", self.ethnicity.is_some()),
                ("occupation", self.occupation.is_some()),
                ("residence_district", self.residence_district.is_some()),
                ("residence_address", self.residence_address.is_some()),
                ("mobile", self.mobile.is_some()),
                ("bank", self.bank.is_some()),
                ("branch", self.branch.is_some()),
                ("collection", self.collection.is_some()),
            ];
            for (name, present) in checks {
                if !present {
                    out.push(name);
                }
            }
            if self.collection.is_some_and(CollectionMethod::needs_mail_details) && self.mail.is_none() {
                out.push("mail");
            }
            out
        }
    }

    /// A stored document: content-addressed.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct DocumentRef {
        /// SHA-256 of the bytes, hex: also the object's name in the store.
        pub hash: String,
        pub media_type: String,
        pub bytes: u64,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Application {
        pub id: String,
        /// What the applicant quotes (e.g. on the hotline).
        pub reference: String,
        pub person: IdNumber,
        pub applicant: String,
        pub route: Route,
        /// The channel it was started on; each event records its own.
        pub channel: Channel,
        pub state: ApplicationState,
        pub form: ApplicationForm,
        pub documents: BTreeMap<DocumentKind, DocumentRef>,
        pub created_at: DateTime<FixedOffset>,
        pub updated_at: DateTime<FixedOffset>,
        pub submitted_at: Option<DateTime<FixedOffset>>,
        /// The date by which the card must be produced: 30 days from submission.
        pub due_on: Option<NaiveDate>,
        /// For the minor route: the guardian, the fixed relationship and the child's ID answers.
        pub minor: Option<MinorDetails>,
        /// For the collective route: the employer whose collective application it belongs to.
        pub employer: Option<Uscc>,
    }

    impl Application {
        /// The documents this application needs (SPEC §5.4).
        pub fn required_documents(&self) -> Vec<DocumentKind> {
            match &self.minor {
                Some(m) => m.required_documents(),
                None => DocumentKind::OWN.to_vec(),
            }
        }

        /// What is still missing before it can be submitted: form fields, the minor's answers, then documents.
        pub fn missing(&self) -> Vec<String> {
            let mut out: Vec<String> = self.form.missing().into_iter().map(str::to_string).collect();
            if let Some(m) = &self.minor {
                out.extend(m.missing().into_iter().map(str::to_string));
            }
            for kind in self.required_documents() {
                if !self.documents.contains_key(&kind) {
                    out.push(kind.as_str().to_string());
                }
            }
            out
        }
    }

    /// One state change, with who made it, where and when.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct ApplicationEventRecord {
        pub at: DateTime<FixedOffset>,
        pub event: super::ApplicationEvent,
        pub from: Option<ApplicationState>,
        pub to: ApplicationState,
        pub actor: String,
        pub channel: Channel,
        pub note: Option<String>,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ConsentKind {
        /// 免责声明.
        Disclaimer,
        /// 访问授权: to check eligibility against the registry.
        AccessAuthorisation,
        /// 申请人郑重承诺, at submission.
        Commitment,
    }

    impl ConsentKind {
        pub fn as_str(self) -> &'static str {
            match self {
                ConsentKind::Disclaimer => "disclaimer",
                ConsentKind::AccessAuthorisation => "access_authorisation",
                ConsentKind::Commitment => "commitment",
            }
        }
        pub fn parse(s: &str) -> Option<ConsentKind> {
            [
                ConsentKind::Disclaimer,
                ConsentKind::AccessAuthorisation,
                ConsentKind::Commitment,
            ]
            .into_iter()
            .find(|k| k.as_str() == s)
        }
        /// The version of the text shown, recorded with each consent. Change it whenever the text changes.
        pub fn text_version(self) -> &'static str {
            match self {
                ConsentKind::Disclaimer => "disclaimer-2024-10",
                ConsentKind::AccessAuthorisation => "access-2024-10",
                ConsentKind::Commitment => "commitment-2024-10",
            }
        }
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Consent {
        pub account: String,
        pub person: IdNumber,
        pub application: Option<String>,
        pub kind: ConsentKind,
        pub text_version: String,
        pub channel: Channel,
        pub at: DateTime<FixedOffset>,
    }
}

impl ApplicationEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationEvent::Start => "start",
            ApplicationEvent::Submit => "submit",
            ApplicationEvent::Confirm => "confirm",
            ApplicationEvent::EmployerSubmit => "employer_submit",
            ApplicationEvent::SendToBank => "send_to_bank",
            ApplicationEvent::BankAccept => "bank_accept",
            ApplicationEvent::Produce => "produce",
            ApplicationEvent::Mail => "mail",
            ApplicationEvent::ReadyForPickup => "ready_for_pickup",
            ApplicationEvent::DeliverToEntity => "deliver_to_entity",
            ApplicationEvent::Collect => "collect",
            ApplicationEvent::Reject => "reject",
            ApplicationEvent::Withdraw => "withdraw",
            ApplicationEvent::Resubmit => "resubmit",
            ApplicationEvent::ReturnToBank => "return_to_bank",
        }
    }
}

impl ApplicationState {
    /// Whether the latest production date still says something: the card is not made yet and the
    /// application is alive (a withdrawn, refused or collected one has no date to wait for).
    pub fn awaits_production(self) -> bool {
        matches!(
            self,
            ApplicationState::Submitted | ApplicationState::SentToBank | ApplicationState::InProduction
        )
    }

    pub fn parse(s: &str) -> Option<ApplicationState> {
        ApplicationState::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl ApplicationEvent {
    pub const ALL: [ApplicationEvent; 15] = [
        ApplicationEvent::Start,
        ApplicationEvent::Submit,
        ApplicationEvent::Confirm,
        ApplicationEvent::EmployerSubmit,
        ApplicationEvent::SendToBank,
        ApplicationEvent::BankAccept,
        ApplicationEvent::Produce,
        ApplicationEvent::Mail,
        ApplicationEvent::ReadyForPickup,
        ApplicationEvent::DeliverToEntity,
        ApplicationEvent::Collect,
        ApplicationEvent::Reject,
        ApplicationEvent::Withdraw,
        ApplicationEvent::Resubmit,
        ApplicationEvent::ReturnToBank,
    ];

    pub fn parse(s: &str) -> Option<ApplicationEvent> {
        ApplicationEvent::ALL.into_iter().find(|e| e.as_str() == s)
    }
}
