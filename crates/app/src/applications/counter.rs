//! An application taken at a counter (SPEC §7.4: district/street and bank outlets take applications, except
//! during the concentrated campaign): the clerk checks the person's identity document, records the consents they
//! give in person, and starts the draft on the normal route for them; the clerk then completes it with the same
//! steps as online (the form, the documents, the submission), as its applicant, on the desk's channel.

use sscard_domain::access::Channel;
use sscard_domain::account::{AccountKind, Principal};
use sscard_domain::application::{Application, ConsentKind};
use sscard_domain::card::channels::{Acting, Condition, Service};
use sscard_domain::eligibility::{own_route, Ineligible};
use sscard_domain::registry::Membership;
use sscard_domain::values::IdNumber;

use super::draft::{create_draft, prefilled};
use super::eligibility::facts_for;
use crate::auth::Meta;
use crate::records::{consent, fe, ApplyError};
use crate::AppContext;

/// The channel of a clerk's desk; anyone else is not at a counter.
pub(crate) fn desk_channel(p: &Principal) -> Option<Channel> {
    match p.account.kind {
        AccountKind::BankClerk { .. } => Some(Channel::BankOutlet),
        AccountKind::OutletClerk { .. } => Some(Channel::DistrictOutlet),
        _ => None,
    }
}

/// What the person in front of the clerk gives.
#[derive(Debug, Clone, Default)]
pub struct CounterApplicationIn {
    /// Their ID number, as on the identity document the clerk checked, and the document's kind.
    pub id_number: String,
    pub identity_document: String,
    /// The consents they gave at the counter.
    pub disclaimer: bool,
    pub access_authorisation: bool,
}

/// Starts the application for the person at the counter; refused during the campaign.
pub async fn start_at_counter(
    ctx: &AppContext,
    p: &Principal,
    input: &CounterApplicationIn,
    meta: &Meta,
) -> Result<Application, ApplyError> {
    let _ = meta;
    let channel = desk_channel(p).ok_or(ApplyError::NotFound)?;
    let conditions = crate::channel_policy::check(ctx, Service::Apply, channel, Acting::Holder)
        .await?
        .map_err(|_| ApplyError::NotFound)?;
    if conditions.contains(&Condition::NotDuringCampaign) && crate::campaign::running(ctx).await? {
        return Err(ApplyError::DuringCampaign);
    }
    let today = ctx.clock.now().date_naive();
    let mut errors = Vec::new();
    if input.identity_document.trim().is_empty() {
        errors.push(fe("identity_document", "required"));
    }
    let person = match IdNumber::parse(&input.id_number, today) {
        Ok(id) => Some(id),
        Err(_) => {
            errors.push(fe("id_number", "id_number_invalid"));
            None
        }
    };
    let Some(person) = person.filter(|_| errors.is_empty()) else {
        return Err(ApplyError::Invalid(errors));
    };
    if !input.disclaimer {
        return Err(ApplyError::ConsentRequired(ConsentKind::Disclaimer));
    }
    if !input.access_authorisation {
        return Err(ApplyError::ConsentRequired(ConsentKind::AccessAuthorisation));
    }
    let record = ctx.store.person(&person).await?;
    let facts = facts_for(ctx, record.as_ref()).await?;
    let route = own_route(record.as_ref(), today, &facts).map_err(ApplyError::Ineligible)?;
    let record = record.ok_or(ApplyError::Ineligible(Ineligible::NotInRegistry))?;
    // An employee's card comes through the employer's collective application, never a counter's.
    if let Membership::Employee { .. } = record.membership {
        return Err(ApplyError::Ineligible(Ineligible::EmployerNotOpen));
    }
    consent(ctx, p, &person, ConsentKind::AccessAuthorisation, None).await?;
    consent(ctx, p, &person, ConsentKind::Disclaimer, None).await?;
    let form = prefilled(route, &record, channel);
    create_draft(ctx, p, person, route, form, None, None).await
}
