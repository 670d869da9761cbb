//! Proxies (Q37): a resident records the holder's written authorisation naming them (the holder's name and ID
//! number as in the registry, which services, until when, the signed paper judged from its bytes); then they may
//! do those services on the holder's cards (activation, temporary loss, password change, status query, nothing
//! else), each recorded as theirs on the holder's behalf.

use chrono::NaiveDate;
use sscard_domain::account::Principal;
use sscard_domain::audit::{AuditAction, Outcome};
use sscard_domain::card::channels::{Acting, Service};
use sscard_domain::card::proxy::{check_validity, parse_services, ProxyAuthorisation};
use sscard_domain::card::transition::Actor;
use sscard_domain::card::Card;
use sscard_domain::documents::DocumentKind;
use sscard_domain::values::IdNumber;

use super::CardError;
use crate::applications::ApplyError;
use crate::auth::{principal_entry, Meta};
use crate::records::{fe, FieldError};
use crate::secrets::new_id;
use crate::AppContext;

/// What the proxy sends.
#[derive(Debug, Clone, Default)]
pub struct ProxyIn {
    pub holder_id_number: String,
    pub holder_name: String,
    pub services: Vec<String>,
    /// `YYYY-MM-DD`.
    pub valid_until: String,
    pub document: Vec<u8>,
}

/// Records the authorisation; the proxy is the signed-in, real-name authenticated resident.
pub async fn authorise(
    ctx: &AppContext,
    p: &Principal,
    input: &ProxyIn,
    meta: &Meta,
) -> Result<ProxyAuthorisation, CardError> {
    let me = p.account.id_number.clone().ok_or(CardError::NotFound)?;
    let today = ctx.clock.now().date_naive();
    let mut errors: Vec<FieldError> = Vec::new();
    let holder = match IdNumber::parse(&input.holder_id_number, today) {
        Ok(h) if h == me => {
            errors.push(fe("holder_id_number", "proxy_is_holder"));
            None
        }
        Ok(h) => Some(h),
        Err(_) => {
            errors.push(fe("holder_id_number", "id_number_invalid"));
            None
        }
    };
    let services = match parse_services(&input.services) {
        Ok(s) => Some(s),
        Err(e) => {
            errors.push(fe(e.field(), e.code()));
            None
        }
    };
    let valid_until = match NaiveDate::parse_from_str(input.valid_until.trim(), "%Y-%m-%d") {
        Ok(d) => match check_validity(d, today) {
            Ok(()) => Some(d),
            Err(e) => {
                errors.push(fe(e.field(), e.code()));
                None
            }
        },
        Err(_) => {
            errors.push(fe("valid_until", "date_invalid"));
            None
        }
    };
    if input.document.is_empty() {
        errors.push(fe("document", "required"));
    }
    let (Some(holder), Some(services), Some(valid_until), true) = (holder, services, valid_until, errors.is_empty())
    else {
        return Err(CardError::Invalid(errors));
    };
    // The holder must be the registry's person of that name: one answer whether the number is unknown or the
    // name differs, so this is no oracle for the registry.
    let named = ctx
        .store
        .person(&holder)
        .await?
        .is_some_and(|person| person.name.as_str() == input.holder_name.trim());
    if !named {
        return Err(CardError::Invalid(vec![fe("holder_name", "holder_not_matched")]));
    }
    let doc = match crate::applications::judged(ctx, DocumentKind::ProxyAuthorisation, input.document.clone()).await {
        Ok(d) => d,
        Err(ApplyError::Document(d)) => return Err(CardError::Invalid(vec![fe("document", d.code())])),
        Err(ApplyError::Store(e)) => return Err(CardError::Store(e)),
        Err(other) => {
            return Err(CardError::Store(crate::ports::StoreError::Unavailable(
                other.to_string(),
            )))
        }
    };
    let a = ProxyAuthorisation {
        id: new_id(),
        holder: holder.clone(),
        proxy: me,
        services,
        valid_until,
        document_hash: doc.hash,
        created_at: ctx.clock.now(),
        created_by: p.account.id.clone(),
    };
    let mut audit = principal_entry(
        ctx,
        p,
        AuditAction::StateChanged,
        Outcome::Success,
        Some(format!("proxy_authorisation:{}", a.id)),
        meta,
    );
    audit.subject_person = Some(holder.as_str().to_string());
    ctx.store.create_proxy_authorisation(&a, &audit).await?;
    Ok(a)
}

/// The authorisations naming the signed-in resident that are valid today.
pub async fn mine(ctx: &AppContext, p: &Principal) -> Result<Vec<ProxyAuthorisation>, CardError> {
    let Some(me) = &p.account.id_number else {
        return Ok(Vec::new());
    };
    Ok(ctx
        .store
        .proxy_authorisations_of(me, ctx.clock.now().date_naive())
        .await?)
}

/// The proxy's standing on `card`: an actor when some valid authorisation names its holder.
pub(crate) async fn proxy_for(ctx: &AppContext, p: &Principal, card: &Card) -> Result<Option<Actor>, CardError> {
    let Some(me) = &p.account.id_number else {
        return Ok(None);
    };
    let today = ctx.clock.now().date_naive();
    let any = ctx
        .store
        .proxy_authorisations_of(me, today)
        .await?
        .iter()
        .any(|a| a.holder == card.holder);
    Ok(any.then(|| Actor {
        role: Some(p.role()),
        account: p.account.id.clone(),
        acting: Acting::Proxy,
        agent: Some(me.clone()),
    }))
}

/// A proxy acts only within the services an authorisation valid today gives them for this holder.
pub(crate) async fn covers(ctx: &AppContext, card: &Card, actor: &Actor, service: Service) -> Result<(), CardError> {
    if actor.acting != Acting::Proxy {
        return Ok(());
    }
    let Some(me) = &actor.agent else {
        return Err(CardError::NotFound);
    };
    let today = ctx.clock.now().date_naive();
    let covered = ctx
        .store
        .proxy_authorisations_of(me, today)
        .await?
        .iter()
        .any(|a| a.holder == card.holder && a.covers(service, today));
    if covered {
        Ok(())
    } else {
        Err(CardError::NotAuthorised(service))
    }
}
