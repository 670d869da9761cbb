//! Captchas and SMS codes: drawn or sent, each spent by its first use.

use sscard_domain::audit::{sms_code_message, AuditAction, Outcome};
use sscard_domain::security::{self};
use sscard_domain::values::Mobile;

use crate::ports::{Challenge, ChallengeKind, SmsMessage};

use crate::secrets::{new_id, sha256_hex};
use crate::AppContext;

use super::limits::*;
use super::*;

/// A new captcha bound to `via`; returns its id and the text to draw.
pub async fn new_captcha(ctx: &AppContext, via: &Via) -> Result<(String, String), AuthError> {
    let text = ctx.secrets.captcha_text(security::CAPTCHA_LENGTH);
    let id = store_captcha(ctx, via, &text).await?;
    Ok((id, text))
}

/// The captcha's alternative that a screen reader can read aloud (WCAG 1.1.1): the sum of two numbers from 1
/// to 9, asked in words. Spent like the picture; returns its id and the two numbers.
pub async fn new_sum_captcha(ctx: &AppContext, via: &Via) -> Result<(String, (u8, u8)), AuthError> {
    let digits: Vec<u8> = ctx
        .secrets
        .numeric_code(2)
        .bytes()
        .map(|d| d.wrapping_sub(b'0') % 9 + 1)
        .collect();
    let (a, b) = (
        digits.first().copied().unwrap_or(1),
        digits.get(1).copied().unwrap_or(1),
    );
    let id = store_captcha(ctx, via, &(a + b).to_string()).await?;
    Ok((id, (a, b)))
}

async fn store_captcha(ctx: &AppContext, via: &Via, answer: &str) -> Result<String, AuthError> {
    let id = new_id();
    let now = ctx.clock.now();
    let c = Challenge {
        id: id.clone(),
        kind: ChallengeKind::Captcha,
        bound_to: via.captcha_binding(),
        secret_hash: sha256_hex(&[&id, &answer.to_ascii_uppercase()]),
        expires_at: now + security::CAPTCHA_TTL,
        failures: 0,
    };
    ctx.store.create_challenge(&c, now).await?;
    Ok(id)
}

/// Spends a captcha: right or wrong, it cannot be used again.
pub(super) async fn spend_captcha(ctx: &AppContext, via: &Via, id: &str, answer: &str) -> Result<(), AuthError> {
    let now = ctx.clock.now();
    let Some(c) = ctx.store.challenge(id, now).await? else {
        return Err(AuthError::CaptchaWrong);
    };
    if c.kind != ChallengeKind::Captcha || c.bound_to != via.captcha_binding() {
        return Err(AuthError::CaptchaWrong);
    }
    let spent = ctx.store.consume_challenge(id, now).await?;
    let right = c.secret_hash == sha256_hex(&[id, &answer.trim().to_ascii_uppercase()]);
    if spent && right {
        Ok(())
    } else {
        Err(AuthError::CaptchaWrong)
    }
}

pub(super) fn sms_binding(m: &Mobile) -> String {
    format!("mobile:{}", m.as_str())
}

/// Sends a login/registration code to a mobile number, after a captcha, within the hourly quota. The answer
/// is the same whether or not an account uses the number.
pub async fn send_sms_code(
    ctx: &AppContext,
    via: &Via,
    captcha: (&str, &str),
    mobile: &Mobile,
    meta: &Meta,
) -> Result<(), AuthError> {
    spend_captcha(ctx, via, captcha.0, captcha.1).await?;
    take_quota(ctx, &security::SMS_PER_MOBILE, mobile.as_str()).await?;
    let mut e = entry(ctx, AuditAction::SmsCodeSent, Outcome::Success, via.channel(), meta);
    e.record = Some(format!("mobile:{}", mobile.masked()));
    issue_code(ctx, sms_binding(mobile), mobile, &e).await?;
    Ok(())
}

/// Texts a one-time code to `mobile` for whatever `binding` names (a login, a card's password reset), with its
/// audit entry, in one write. The caller has taken its quota.
pub(crate) async fn issue_code(
    ctx: &AppContext,
    binding: String,
    mobile: &Mobile,
    audit: &sscard_domain::audit::AuditEntry,
) -> Result<(), StoreError> {
    let now = ctx.clock.now();
    let id = new_id();
    let code = ctx.secrets.numeric_code(security::SMS_CODE_LENGTH);
    let challenge = Challenge {
        id: id.clone(),
        kind: ChallengeKind::SmsCode,
        bound_to: binding,
        secret_hash: sha256_hex(&[&id, &code]),
        expires_at: now + security::SMS_CODE_TTL,
        failures: 0,
    };
    let text = SmsMessage {
        id: new_id(),
        mobile: mobile.clone(),
        body: sms_code_message(&code, security::SMS_CODE_TTL.num_minutes()),
        created_at: now,
        attempts: 0,
    };
    ctx.store.send_code(&challenge, &text, audit).await
}

/// Spends the newest live code of `binding` if `code` is it; a wrong one counts, and the third burns it.
pub(crate) async fn spend_code(ctx: &AppContext, binding: &str, code: &str) -> Result<bool, StoreError> {
    let now = ctx.clock.now();
    let Some(c) = ctx.store.latest_challenge(ChallengeKind::SmsCode, binding, now).await? else {
        return Ok(false);
    };
    if c.secret_hash == sha256_hex(&[&c.id, code.trim()]) {
        return ctx.store.consume_challenge(&c.id, now).await;
    }
    if ctx.store.fail_challenge(&c.id).await? >= security::SMS_CODE_MAX_TRIES {
        ctx.store.consume_challenge(&c.id, now).await?;
    }
    Ok(false)
}

/// Checks an SMS code; a right one is spent, a wrong one counts, and the third wrong try burns it.
pub(super) async fn spend_sms_code(ctx: &AppContext, mobile: &Mobile, code: &str) -> Result<(), AuthError> {
    if spend_code(ctx, &sms_binding(mobile), code).await? {
        Ok(())
    } else {
        Err(AuthError::CodeWrong)
    }
}
