//! The console's case lookup (SPEC §9, §10): any application or card found by the holder's ID number, an
//! application's reference or a card's number, with a stated purpose. The read is audited with the person as
//! its subject, so it shows in their "who read my data"; a lookup that finds nothing is audited too, naming no one.

use sscard_domain::access::Role;
use sscard_domain::account::Principal;
use sscard_domain::application::{Application, ApplicationEventRecord};
use sscard_domain::audit::{is_read_purpose, AuditAction, Outcome};
use sscard_domain::card::transition::CardTransition;
use sscard_domain::card::Card;
use sscard_domain::registry::InsuredPerson;
use sscard_domain::values::IdNumber;

use crate::auth::{principal_entry, Meta};
use crate::ports::{ReplacementOrder, StoreError};
use crate::AppContext;

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("only the bureau's administrators look cases up")]
    Forbidden,
    /// The field and the reason, for the message beside it.
    #[error("{0}: {1}")]
    Invalid(&'static str, &'static str),
    #[error("nothing matches")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What was typed, read as the one kind of key it can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseKey {
    Person(IdNumber),
    /// `BJ` + the day + eight characters (see `applications::draft::new_reference`).
    Reference(String),
    Card(String),
}

impl CaseKey {
    pub fn parse(typed: &str, today: chrono::NaiveDate) -> Result<CaseKey, CaseError> {
        let t = typed.trim();
        if t.is_empty() {
            return Err(CaseError::Invalid("q", "required"));
        }
        if let Ok(id) = IdNumber::parse(t, today) {
            return Ok(CaseKey::Person(id));
        }
        let upper = t.to_ascii_uppercase();
        if upper.len() == 18 && upper.starts_with("BJ") && upper.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Ok(CaseKey::Reference(upper));
        }
        if t.len() <= 32 && t.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Ok(CaseKey::Card(upper));
        }
        Err(CaseError::Invalid("q", "case_key_invalid"))
    }

    fn kind(&self) -> &'static str {
        match self {
            CaseKey::Person(_) => "person",
            CaseKey::Reference(_) => "application",
            CaseKey::Card(_) => "card",
        }
    }
}

pub struct ApplicationCase {
    pub application: Application,
    pub events: Vec<ApplicationEventRecord>,
}

pub struct CardCase {
    pub card: Card,
    pub transitions: Vec<CardTransition>,
    pub replacements: Vec<ReplacementOrder>,
}

/// Everything the platform holds about one person's cards and applications, oldest event first in each.
pub struct Case {
    pub id_number: IdNumber,
    /// `None` when the registry no longer lists the person.
    pub person: Option<InsuredPerson>,
    pub applications: Vec<ApplicationCase>,
    pub cards: Vec<CardCase>,
}

async fn holder_of(ctx: &AppContext, key: &CaseKey) -> Result<Option<IdNumber>, StoreError> {
    Ok(match key {
        CaseKey::Person(id) => Some(id.clone()),
        CaseKey::Reference(r) => ctx.store.application_by_reference(r).await?.map(|a| a.person),
        CaseKey::Card(n) => ctx.store.card(n).await?.map(|c| c.holder),
    })
}

/// Looks a case up for `purpose` (one of the audit's read purposes).
pub async fn look_up(
    ctx: &AppContext,
    p: &Principal,
    typed: &str,
    purpose: Option<&str>,
    meta: &Meta,
) -> Result<Case, CaseError> {
    if p.role() != Role::Admin {
        return Err(CaseError::Forbidden);
    }
    let key = CaseKey::parse(typed, ctx.clock.now().date_naive())?;
    let Some(purpose) = purpose.map(str::trim).filter(|p| !p.is_empty()) else {
        return Err(CaseError::Invalid("purpose", "purpose_required"));
    };
    if !is_read_purpose(purpose) {
        return Err(CaseError::Invalid("purpose", "invalid_choice"));
    }
    let holder = holder_of(ctx, &key).await?;
    let person = match &holder {
        Some(id) => ctx.store.person(id).await?,
        None => None,
    };
    let applications = match &holder {
        Some(id) => ctx.store.applications_about(id).await?,
        None => Vec::new(),
    };
    let cards = match &holder {
        Some(id) => ctx.store.cards_of(id).await?,
        None => Vec::new(),
    };
    let found = holder.filter(|_| person.is_some() || !applications.is_empty() || !cards.is_empty());
    let outcome = if found.is_some() {
        Outcome::Success
    } else {
        Outcome::Refused
    };
    let record = found.as_ref().map(|id| format!("case:{}:{}", key.kind(), id.masked()));
    let mut e = principal_entry(ctx, p, AuditAction::PersonRead, outcome, record, meta);
    e.subject_person = found.as_ref().map(|id| id.as_str().to_string());
    e.purpose = Some(purpose.to_string());
    ctx.store.append_audit(&e).await?;
    let Some(id_number) = found else {
        return Err(CaseError::NotFound);
    };
    let mut case = Case {
        id_number,
        person,
        applications: Vec::with_capacity(applications.len()),
        cards: Vec::with_capacity(cards.len()),
    };
    for application in applications {
        let events = ctx.store.events(&application.id).await?;
        case.applications.push(ApplicationCase { application, events });
    }
    let now = ctx.clock.now();
    for card in cards {
        let transitions = ctx.store.card_transitions(&card.number).await?;
        let replacements = ctx.store.replacements_of_card(&card.number).await?;
        case.cards.push(CardCase {
            card: card.at(now),
            transitions,
            replacements,
        });
    }
    Ok(case)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 8).expect("a date")
    }

    #[test]
    fn each_key_is_read_as_what_it_can_be() {
        let id = "11010519491231002X";
        assert!(matches!(CaseKey::parse(id, today()), Ok(CaseKey::Person(_))));
        assert_eq!(
            CaseKey::parse(" bj20261208ab12cd34 ", today()).ok(),
            Some(CaseKey::Reference("BJ20261208AB12CD34".into()))
        );
        assert_eq!(
            CaseKey::parse("1100001234567", today()).ok(),
            Some(CaseKey::Card("1100001234567".into()))
        );
        assert!(matches!(
            CaseKey::parse("  ", today()),
            Err(CaseError::Invalid("q", "required"))
        ));
        assert!(matches!(
            CaseKey::parse("x' OR 1=1", today()),
            Err(CaseError::Invalid("q", "case_key_invalid"))
        ));
    }
}
