//! The card's service password (SPEC §7.2, Q16): changed with the old one, reset after the person's identity is
//! verified again (the real-name face check and an SMS code to the holder's mobile), verified by the hotline.
//! Every wrong try, whatever the channel, is counted and recorded; the fifth locks it until a reset.

use subtle::ConstantTimeEq;

use sscard_domain::account::Principal;
use sscard_domain::audit::{AuditAction, AuditEntry, Outcome};
use sscard_domain::card::channels::Service;
use sscard_domain::card::lifecycle::{Change, Reason};
use sscard_domain::card::password::{initial, ServicePassword, MAX_FAILURES};
use sscard_domain::card::transition::{Actor, CardTransition};
use sscard_domain::card::Card;
use sscard_domain::security;

use super::services::write_for;
use super::{actor_for, holder_mobile, CardError};
use crate::auth::{take_quota, Meta};
use crate::ports::CardWriteOutcome;
use crate::realname::{sniff_image, FaceCheck, FaceVerdict};
use crate::records::fe;
use crate::secrets::{hash_password, new_id, verify_password};
use crate::AppContext;

/// Checks `given` against the card's password. A wrong one is counted (with `failed`, its audit entry); at
/// the fifth the password is locked. A locked password is refused before anything is compared.
pub(crate) async fn verify(ctx: &AppContext, card: &Card, given: &str, failed: &AuditEntry) -> Result<bool, CardError> {
    let secret = ctx.store.card_secret(&card.number).await?.ok_or(CardError::NotFound)?;
    if secret.failures >= MAX_FAILURES {
        return Err(CardError::PasswordLocked);
    }
    let right = match (ServicePassword::parse(given), &secret.hash) {
        (Err(_), _) => false,
        (Ok(p), None) => bool::from(p.as_str().as_bytes().ct_eq(initial(&card.holder).as_str().as_bytes())),
        (Ok(p), Some(hash)) => verify_password(p.as_str(), Some(hash)).await?,
    };
    if right {
        ctx.store.clear_password_failures(&card.number, MAX_FAILURES).await?;
        return Ok(secret.hash.is_none());
    }
    let n = ctx.store.record_password_failure(&card.number, failed).await?;
    if n >= MAX_FAILURES {
        return Err(CardError::PasswordLocked);
    }
    Err(CardError::WrongPassword {
        remaining: MAX_FAILURES - n,
    })
}

/// The change that records a password change or reset: the card's states stay as they are.
fn unchanged(card: &Card, service: Service) -> Change {
    Change {
        service,
        social_security: (card.social_security, card.social_security),
        financial: (card.financial, card.financial),
        loss_until: card.loss_until,
    }
}

/// Stores a new password hash with its record (`place`: the counter, when one did it; `note`: what the audit
/// entry adds, such as a counter's identity check).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn store_new(
    ctx: &AppContext,
    p: &Principal,
    card: &Card,
    actor: Actor,
    service: Service,
    new: &ServicePassword,
    place: Option<String>,
    note: Option<String>,
    meta: &Meta,
) -> Result<(), CardError> {
    let hash = hash_password(new.as_str()).await?;
    let now = ctx.clock.now();
    let change = unchanged(card, service);
    let t = CardTransition::of(
        &card.number,
        &change,
        now,
        Reason::Requested,
        None,
        Some(p.channel),
        actor,
        place,
        None,
    );
    let record = format!("card:{}:{}", card.number, service.as_str());
    let audit = super::card_entry(
        ctx,
        p,
        AuditAction::StateChanged,
        Outcome::Success,
        match note {
            Some(n) => format!("{record};{n}"),
            None => record,
        },
        card,
        meta,
    );
    let w = write_for(ctx, card, &change, t, Some(hash), audit).await?;
    match ctx.store.write_card_change(&w).await? {
        CardWriteOutcome::Done | CardWriteOutcome::KeyUsed => Ok(()),
        CardWriteOutcome::StateChanged => Err(CardError::StateChanged),
    }
}

fn failed_entry(ctx: &AppContext, p: &Principal, card: &Card, meta: &Meta) -> AuditEntry {
    let e = super::card_entry(
        ctx,
        p,
        AuditAction::CardPasswordFailed,
        Outcome::Failure,
        format!("card:{}", card.number),
        card,
        meta,
    );
    e
}

/// Changes the password with the old one (the initial value counts as the old one until it is changed).
pub async fn change(
    ctx: &AppContext,
    p: &Principal,
    number: &str,
    old: &str,
    new: &str,
    meta: &Meta,
) -> Result<(), CardError> {
    let card = super::card_now(ctx, number).await?;
    let actor = actor_for(ctx, p, &card).await?;
    crate::channel_policy::check(ctx, Service::PasswordChange, p.channel, actor.acting).await??;
    super::proxies::covers(ctx, &card, &actor, Service::PasswordChange).await?;
    let new = ServicePassword::parse_new(new, &card.holder).map_err(CardError::Password)?;
    verify(ctx, &card, old, &failed_entry(ctx, p, &card, meta)).await?;
    store_new(ctx, p, &card, actor, Service::PasswordChange, &new, None, None, meta).await
}

fn reset_binding(number: &str) -> String {
    format!("card-password:{number}")
}

/// Texts a one-time code to the holder's mobile for a password reset (within the hourly quota per mobile).
pub async fn send_reset_code(ctx: &AppContext, p: &Principal, number: &str, meta: &Meta) -> Result<(), CardError> {
    let card = super::card_now(ctx, number).await?;
    let actor = actor_for(ctx, p, &card).await?;
    crate::channel_policy::check(ctx, Service::PasswordReset, p.channel, actor.acting).await??;
    let mobile = holder_mobile(ctx, &card)
        .await?
        .ok_or_else(|| CardError::Invalid(vec![fe("code", "no_mobile_on_record")]))?;
    take_quota(ctx, &security::SMS_PER_MOBILE, mobile.as_str()).await?;
    let e = super::card_entry(
        ctx,
        p,
        AuditAction::SmsCodeSent,
        Outcome::Success,
        format!("mobile:{}", mobile.masked()),
        &card,
        meta,
    );
    crate::auth::issue_code(ctx, reset_binding(number), &mobile, &e).await?;
    Ok(())
}

/// What a reset needs: the code texted to the holder, a new selfie of the person acting, the new password.
#[derive(Debug, Clone, Default)]
pub struct ResetIn {
    pub code: String,
    pub photo: Vec<u8>,
    pub new: String,
}

/// Resets the password (a locked one too) once the person acting proves who they are again: the SMS code and
/// the real-name face check. The wrong tries are forgotten with the new password.
pub async fn reset(
    ctx: &AppContext,
    p: &Principal,
    number: &str,
    input: &ResetIn,
    meta: &Meta,
) -> Result<(), CardError> {
    let card = super::card_now(ctx, number).await?;
    let actor = actor_for(ctx, p, &card).await?;
    crate::channel_policy::check(ctx, Service::PasswordReset, p.channel, actor.acting).await??;
    let mut errors = Vec::new();
    let new = match ServicePassword::parse_new(&input.new, &card.holder) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.push(fe("new", e.code()));
            None
        }
    };
    let media_type = sniff_image(&input.photo);
    if media_type.is_none() || input.photo.len() > crate::realname::MAX_SELFIE_BYTES {
        errors.push(fe("photo", "photo_invalid"));
    }
    if input.code.trim().is_empty() {
        errors.push(fe("code", "code_required"));
    }
    let (Some(new), Some(media_type), true) = (new, media_type, errors.is_empty()) else {
        return Err(CardError::Invalid(errors));
    };
    take_quota(ctx, &security::REAL_NAME_PER_ACCOUNT, &p.account.id).await?;
    if !crate::auth::spend_code(ctx, &reset_binding(number), &input.code).await? {
        return Err(CardError::Invalid(vec![fe("code", "code_wrong")]));
    }
    let (Some(id_number), Some(name)) = (p.account.id_number.clone(), p.account.real_name.clone()) else {
        return Err(CardError::NotFound);
    };
    let verdict = ctx
        .face
        .verify(&FaceCheck {
            request_id: new_id(),
            id_number,
            name,
            media_type,
            photo: input.photo.clone(),
        })
        .await
        .map_err(|e| CardError::Store(crate::ports::StoreError::Unavailable(e.to_string())))?;
    if let FaceVerdict::NoMatch { .. } = verdict {
        return Err(CardError::Invalid(vec![fe("photo", "face_mismatch")]));
    }
    store_new(ctx, p, &card, actor, Service::PasswordReset, &new, None, None, meta).await
}
