//! Submission (with its production order, in one transaction) and withdrawal (SPEC §5.5–5.6, §8).

use chrono::Duration;
use sscard_domain::account::Principal;
use sscard_domain::application::{Application, ApplicationEvent, ApplicationState, ConsentKind, Route};
use sscard_domain::policy::PRODUCTION_DAYS;

use crate::ports::Submission;
use crate::secrets::new_id;
use crate::AppContext;

use super::*;
use crate::records::*;

/// Submission (SPEC §5.5): the solemn commitment and a separate confirmation; complete; once. A retry with
/// the same `key` answers with the application as submitted.
pub async fn submit(
    ctx: &AppContext,
    p: &Principal,
    id: &str,
    commitment: bool,
    confirmed: bool,
    key: Option<&str>,
) -> Result<Application, ApplyError> {
    let a = to_act_on(ctx, p, id).await?;
    // At a counter the person in front of the clerk gives the commitment; online, the applicant themself.
    let person = match super::desk_channel(p) {
        Some(_) => a.person.clone(),
        None => may_apply(p)?,
    };
    // An employee confirms; their employer submits (SPEC §6.2–6.3).
    if a.route == Route::Collective {
        return Err(ApplyError::SubmittedByEmployer);
    }
    if !a.state.is_editable() {
        return replayed(ctx, &a, key).await;
    }
    ready_to_send(&a, commitment, confirmed)?;
    let now = ctx.clock.now();
    // The day of application is the day of submission: a cartoon chosen at six is refused at seven.
    if a.minor.as_ref().is_some_and(|m| m.cartoon_photo)
        && !sscard_domain::minor::cartoon_allowed(&a.person, now.date_naive())
    {
        return Err(ApplyError::Invalid(vec![fe("cartoon_photo", "cartoon_not_allowed")]));
    }
    // A rejected application, fixed, goes to the bank again as a new order.
    let submit = if a.state == ApplicationState::Rejected {
        ApplicationEvent::Resubmit
    } else {
        ApplicationEvent::Submit
    };
    let event = event_by(p, now, submit, Some(a.state), ApplicationState::Submitted, None);
    // `missing()` was empty, so the bank is set.
    let bank = a
        .form
        .bank
        .clone()
        .ok_or_else(|| ApplyError::Incomplete(vec!["bank".into()]))?;
    let submission = Submission {
        submitted_at: now,
        due_on: (now + Duration::days(PRODUCTION_DAYS)).date_naive(),
        key: key.map(str::to_string),
        // The production order goes in the same transaction as the submission (SPEC §8).
        order: crate::ports::NewOrder { id: new_id(), bank },
    };
    let commitment = consent_given(p, &person, ConsentKind::Commitment, Some(&a.id), now);
    if !ctx
        .store
        .transition(
            &a.id,
            a.state,
            &event,
            Some(&submission),
            Some(&commitment),
            progress_sms(ctx, &a, ApplicationState::Submitted, None).as_ref(),
        )
        .await?
    {
        // Someone else (another tab, another channel, a retry) submitted it first.
        let now_stored = ctx.store.application(&a.id).await?.ok_or(ApplyError::NotFound)?;
        return replayed(ctx, &now_stored, key).await;
    }
    // What was just written, without reading it back.
    let mut done = a;
    done.state = ApplicationState::Submitted;
    done.updated_at = now;
    done.submitted_at = Some(now);
    done.due_on = Some(submission.due_on);
    Ok(done)
}

/// What submission (and an employee's confirmation) asks last (SPEC §5.5): the solemn commitment, the
/// separate explicit confirmation, and nothing missing.
pub(crate) fn ready_to_send(a: &Application, commitment: bool, confirmed: bool) -> Result<(), ApplyError> {
    if !commitment {
        return Err(ApplyError::ConsentRequired(ConsentKind::Commitment));
    }
    if !confirmed {
        return Err(ApplyError::Invalid(vec![fe("confirm", "confirmation_required")]));
    }
    let missing = a.missing();
    if !missing.is_empty() {
        return Err(ApplyError::Incomplete(missing));
    }
    Ok(())
}

async fn replayed(ctx: &AppContext, a: &Application, key: Option<&str>) -> Result<Application, ApplyError> {
    if a.state == ApplicationState::Submitted {
        let stored = ctx.store.submit_key(&a.id).await?;
        if key.is_some() && stored.as_deref() == key {
            return Ok(a.clone());
        }
        return Err(ApplyError::AlreadySubmitted);
    }
    Err(ApplyError::NotDraft(a.state))
}

/// Withdrawal, while allowed (before production, SPEC §5.6).
pub async fn withdraw(ctx: &AppContext, p: &Principal, id: &str) -> Result<Application, ApplyError> {
    let a = mine(ctx, p, id).await?;
    let to = a
        .state
        .apply(ApplicationEvent::Withdraw)
        .map_err(ApplyError::Transition)?;
    let event = event_by(p, ctx.clock.now(), ApplicationEvent::Withdraw, Some(a.state), to, None);
    if !ctx.store.transition(&a.id, a.state, &event, None, None, None).await? {
        let state = ctx.store.application(&a.id).await?.map(|x| x.state).unwrap_or(a.state);
        return Err(ApplyError::NotDraft(state));
    }
    ctx.store.application(&a.id).await?.ok_or(ApplyError::NotFound)
}
