//! Row codecs and the shared SQL of applications, their documents, events and consents
//! (`sqlite::applications`, `postgres::applications` run it).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sscard_app::ports::StoreError;
use sscard_domain::access::Channel;
use sscard_domain::application::{
    Application, ApplicationEvent, ApplicationEventRecord, ApplicationForm, ApplicationState, Consent, ConsentKind,
    DocumentRef, MailDetails, Route,
};
use sscard_domain::documents::DocumentKind;
use sscard_domain::minor::{ChildIdType, MinorDetails};
use sscard_domain::policy::CollectionMethod;
use sscard_domain::values::{BeijingPostalCode, Mobile, PersonName};

use crate::accounts::from_ms;
use crate::common::stored_id;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

pub(crate) const APPLICATION_COLUMNS: &str = "id, reference, person_id, applicant, route, channel, state, ethnicity, \
    occupation, residence_district, residence_address, mobile, bank, branch, collection, mail_recipient, mail_mobile, \
    mail_district, mail_postal_code, mail_address, created_ms, updated_ms, submitted_ms, due_on, guardian_id, \
    relationship, child_id_type, child_id_valid_from, child_id_valid_until, guardian_is_householder, same_booklet, \
    cartoon_photo, employer_uscc";

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ApplicationRow {
    pub id: String,
    pub reference: String,
    pub person_id: String,
    pub applicant: String,
    pub route: String,
    pub channel: String,
    pub state: String,
    pub ethnicity: Option<String>,
    pub occupation: Option<String>,
    pub residence_district: Option<String>,
    pub residence_address: Option<String>,
    pub mobile: Option<String>,
    pub bank: Option<String>,
    pub branch: Option<String>,
    pub collection: Option<String>,
    pub mail_recipient: Option<String>,
    pub mail_mobile: Option<String>,
    pub mail_district: Option<String>,
    pub mail_postal_code: Option<String>,
    pub mail_address: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub submitted_ms: Option<i64>,
    pub due_on: Option<NaiveDate>,
    pub guardian_id: Option<String>,
    pub relationship: Option<String>,
    pub child_id_type: Option<String>,
    pub child_id_valid_from: Option<NaiveDate>,
    pub child_id_valid_until: Option<NaiveDate>,
    pub guardian_is_householder: Option<bool>,
    pub same_booklet: Option<bool>,
    pub cartoon_photo: bool,
    pub employer_uscc: Option<String>,
    /// The documents as a JSON array (`[{"kind", "hash", "media_type", "bytes"}]`).
    pub docs: String,
}

/// The form's columns, in `APPLICATION_COLUMNS` order from `ethnicity` to `mail_address`.
pub(crate) type FormColumns = [Option<String>; 14];

pub(crate) fn form_columns(f: &ApplicationForm) -> FormColumns {
    let mail = f.mail.as_ref();
    [
        f.ethnicity.clone(),
        f.occupation.clone(),
        f.residence_district.clone(),
        f.residence_address.clone(),
        f.mobile.as_ref().map(|m| m.as_str().to_string()),
        f.bank.clone(),
        f.branch.clone(),
        f.collection.map(|c| c.as_str().to_string()),
        mail.map(|m| m.recipient.as_str().to_string()),
        mail.map(|m| m.mobile.as_str().to_string()),
        mail.map(|m| m.district.clone()),
        mail.map(|m| m.postal_code.as_str().to_string()),
        mail.map(|m| m.address.clone()),
        None,
    ]
}

pub(crate) const FORM_SET: &str = "ethnicity = $1, occupation = $2, residence_district = $3, residence_address = $4, \
    mobile = $5, bank = $6, branch = $7, collection = $8, mail_recipient = $9, mail_mobile = $10, mail_district = $11, \
    mail_postal_code = $12, mail_address = $13";

/// A minor's answers as bound values: from, until, householder, same booklet, cartoon.
pub(crate) fn minor_answers(
    m: &MinorDetails,
) -> (Option<NaiveDate>, Option<NaiveDate>, Option<bool>, Option<bool>, bool) {
    (
        m.id_valid_from,
        m.id_valid_until,
        m.guardian_is_householder,
        m.same_booklet,
        m.cartoon_photo,
    )
}

impl ApplicationRow {
    pub fn into_domain_with_docs(self) -> Result<Application, StoreError> {
        let rows: Vec<DocumentRow> = serde_json::from_str(&self.docs).map_err(|e| corrupt("documents", e))?;
        let docs = documents(rows)?;
        self.into_domain(docs)
    }

    pub fn into_domain(self, documents: BTreeMap<DocumentKind, DocumentRef>) -> Result<Application, StoreError> {
        let mail = match (
            self.mail_recipient,
            self.mail_mobile,
            self.mail_district,
            self.mail_postal_code,
            self.mail_address,
        ) {
            (Some(r), Some(m), Some(d), Some(p), Some(a)) => Some(MailDetails {
                recipient: PersonName::parse(&r).map_err(|e| corrupt("mail_recipient", e))?,
                mobile: Mobile::parse(&m).map_err(|e| corrupt("mail_mobile", e))?,
                district: d,
                postal_code: BeijingPostalCode::parse(&p).map_err(|e| corrupt("mail_postal_code", e))?,
                address: a,
            }),
            _ => None,
        };
        let minor = match (self.guardian_id, self.relationship, self.child_id_type) {
            (Some(g), Some(relationship), Some(t)) => Some(MinorDetails {
                guardian: stored_id(&g)?,
                relationship,
                id_type: ChildIdType::parse(&t).ok_or_else(|| corrupt("child_id_type", &t))?,
                id_valid_from: self.child_id_valid_from,
                id_valid_until: self.child_id_valid_until,
                guardian_is_householder: self.guardian_is_householder,
                same_booklet: self.same_booklet,
                cartoon_photo: self.cartoon_photo,
            }),
            (None, None, None) => None,
            _ => return Err(corrupt("minor details", "partly stored")),
        };
        Ok(Application {
            minor,
            employer: self
                .employer_uscc
                .map(|u| sscard_domain::values::Uscc::parse(&u).map_err(|e| corrupt("employer_uscc", e)))
                .transpose()?,
            person: stored_id(&self.person_id)?,
            route: Route::parse(&self.route).ok_or_else(|| corrupt("route", &self.route))?,
            channel: Channel::parse(&self.channel).ok_or_else(|| corrupt("channel", &self.channel))?,
            state: ApplicationState::parse(&self.state).ok_or_else(|| corrupt("state", &self.state))?,
            form: ApplicationForm {
                ethnicity: self.ethnicity,
                occupation: self.occupation,
                residence_district: self.residence_district,
                residence_address: self.residence_address,
                mobile: self
                    .mobile
                    .map(|m| Mobile::parse(&m).map_err(|e| corrupt("mobile", e)))
                    .transpose()?,
                bank: self.bank,
                branch: self.branch,
                collection: self
                    .collection
                    .map(|c| CollectionMethod::parse(&c).ok_or_else(|| corrupt("collection", c)))
                    .transpose()?,
                mail,
            },
            documents,
            created_at: from_ms(self.created_ms)?,
            updated_at: from_ms(self.updated_ms)?,
            submitted_at: self.submitted_ms.map(from_ms).transpose()?,
            due_on: self.due_on,
            id: self.id,
            reference: self.reference,
            applicant: self.applicant,
        })
    }
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct DocumentRow {
    pub kind: String,
    pub hash: String,
    pub media_type: String,
    pub bytes: i64,
}

pub(crate) fn documents(rows: Vec<DocumentRow>) -> Result<BTreeMap<DocumentKind, DocumentRef>, StoreError> {
    rows.into_iter()
        .map(|r| {
            Ok((
                DocumentKind::parse(&r.kind).ok_or_else(|| corrupt("document kind", &r.kind))?,
                DocumentRef {
                    hash: r.hash,
                    media_type: r.media_type,
                    bytes: u64::try_from(r.bytes).map_err(|e| corrupt("bytes", e))?,
                },
            ))
        })
        .collect()
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct EventRow {
    pub at_ms: i64,
    pub event: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub actor: String,
    pub channel: String,
    pub note: Option<String>,
}

impl EventRow {
    pub fn into_domain(self) -> Result<ApplicationEventRecord, StoreError> {
        let state = |s: &str| ApplicationState::parse(s).ok_or_else(|| corrupt("state", s));
        Ok(ApplicationEventRecord {
            at: from_ms(self.at_ms)?,
            event: ApplicationEvent::parse(&self.event).ok_or_else(|| corrupt("event", &self.event))?,
            from: self.from_state.as_deref().map(state).transpose()?,
            to: state(&self.to_state)?,
            channel: Channel::parse(&self.channel).ok_or_else(|| corrupt("channel", &self.channel))?,
            actor: self.actor,
            note: self.note,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ConsentRow {
    pub account_id: String,
    pub person_id: String,
    pub application_id: Option<String>,
    pub kind: String,
    pub text_version: String,
    pub channel: String,
    pub at_ms: i64,
}

impl ConsentRow {
    pub fn into_domain(self) -> Result<Consent, StoreError> {
        Ok(Consent {
            person: stored_id(&self.person_id)?,
            kind: ConsentKind::parse(&self.kind).ok_or_else(|| corrupt("consent kind", &self.kind))?,
            channel: Channel::parse(&self.channel).ok_or_else(|| corrupt("channel", &self.channel))?,
            at: from_ms(self.at_ms)?,
            account: self.account_id,
            application: self.application_id,
            text_version: self.text_version,
        })
    }
}

pub(crate) const CONSENT_COLUMNS: &str = "account_id, person_id, application_id, kind, text_version, channel, at_ms";

/// `$1` a person: how many of their collected applications still have a card that is not cancelled (or no card
/// row at all).
pub(crate) const LIVE_CARDS: &str = "SELECT COUNT(*) FROM applications a WHERE a.person_id = $1 \
    AND a.state = 'collected' AND (NOT EXISTS (SELECT 1 FROM cards c WHERE c.application_id = a.id) \
    OR EXISTS (SELECT 1 FROM cards c WHERE c.application_id = a.id AND c.social_security <> 'cancelled'))";
