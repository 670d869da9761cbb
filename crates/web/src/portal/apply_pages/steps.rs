//! The steps: one question group per page, shown and answered; the next step after each.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use serde::Deserialize;
use sscard_app::applications::{self as apps, ApplyError, FormPatch, MailPatch};
use sscard_domain::application::Application;
use sscard_domain::policy::CollectionMethod;

use super::super::pages::{PageCtx, PageResult};
use crate::problem::ApiError;

use super::*;

pub(super) const STEPS: [&str; 9] = [
    "child",
    "personal",
    "bank",
    "branch",
    "collection",
    "mail",
    "documents",
    "check",
    "confirm",
];

/// The page after `step` for this application (the bank pages are skipped when the bank is locked, the mail
/// page unless the card is mailed).
pub(super) fn next_step(a: &Application, channel: sscard_domain::access::Channel, step: &str) -> &'static str {
    let locked = apps::DraftChoices::of(a.route, channel, None).bank_locked;
    let mailed = a.form.collection == Some(CollectionMethod::BankMail);
    let mut after = false;
    for s in STEPS {
        if after {
            let skip = (locked && (s == "bank" || s == "branch"))
                || (s == "mail" && !mailed)
                || (s == "child" && a.route != sscard_domain::application::Route::Minor);
            if !skip {
                return s;
            }
        }
        if s == step {
            after = true;
        }
    }
    "check"
}

/// The pages this application's route goes through, in order (for "step 3 of 7" and the back link).
pub(super) fn route_steps(a: &Application, channel: sscard_domain::access::Channel) -> Vec<&'static str> {
    let first = if a.route == sscard_domain::application::Route::Minor {
        "child"
    } else {
        "personal"
    };
    let mut steps = vec![first];
    while let Some(last) = steps.last().copied() {
        if last == "confirm" || steps.len() > STEPS.len() {
            break;
        }
        let next = if last == "check" {
            "confirm"
        } else {
            next_step(a, channel, last)
        };
        steps.push(next);
    }
    steps
}

#[derive(Deserialize, Default)]
pub struct StepQuery {
    from: Option<String>,
}

pub async fn step_page(c: PageCtx, Path((id, step)): Path<(String, String)>, Query(q): Query<StepQuery>) -> PageResult {
    show_step(c, id, step, q).await
}

/// The documents page (its POST is multipart, so it has its own route).
pub async fn documents_page(c: PageCtx, Path(id): Path<String>, Query(q): Query<StepQuery>) -> PageResult {
    show_step(c, id, "documents".into(), q).await
}

pub(super) async fn show_step(c: PageCtx, id: String, step: String, q: StepQuery) -> PageResult {
    if !STEPS.contains(&step.as_str()) && step != "done" {
        return Err(ApiError::NotFound.into());
    }
    let a = own(&c, &id).await?;
    if !a.state.is_editable() && step != "done" {
        return Ok(Redirect::to(&format!("/applications/{}", a.id)).into_response());
    }
    let mut page = StepPage {
        from_check: q.from.as_deref() == Some("check"),
        ..StepPage::default()
    };
    if step == "confirm" {
        page.idempotency_key = c.state.ctx.secrets.token();
    }
    if step == "done" {
        page.due_on = a.due_on.map(|d| d.to_string()).unwrap_or_default();
    }
    fill(&c, &a, &step, &mut page.form).await?;
    Ok(c.show("apply_step.html", StatusCode::OK, page).await)
}

/// Every field a step page can post; each step reads its own.
#[derive(Deserialize, Default)]
pub struct StepForm {
    ethnicity: Option<String>,
    occupation: Option<String>,
    residence_district: Option<String>,
    residence_address: Option<String>,
    mobile: Option<String>,
    bank: Option<String>,
    branch: Option<String>,
    collection: Option<String>,
    #[serde(rename = "mail.recipient")]
    mail_recipient: Option<String>,
    #[serde(rename = "mail.mobile")]
    mail_mobile: Option<String>,
    #[serde(rename = "mail.district")]
    mail_district: Option<String>,
    #[serde(rename = "mail.postal_code")]
    mail_postal_code: Option<String>,
    #[serde(rename = "mail.address")]
    mail_address: Option<String>,
    commitment: Option<String>,
    confirm: Option<String>,
    idempotency_key: Option<String>,
    from: Option<String>,
    id_type: Option<String>,
    id_valid_from: Option<String>,
    id_valid_until: Option<String>,
    guardian_is_householder: Option<String>,
    same_booklet: Option<String>,
    cartoon_photo: Option<String>,
}

impl StepForm {
    /// The step's answers as a patch (an empty answer left out), and the questions left unanswered.
    fn patch(&self, step: &str) -> (FormPatch, Vec<&'static str>) {
        let given = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        let mut missing = Vec::new();
        let mut need = |name: &'static str, v: &Option<String>| {
            if given(v).is_none() {
                missing.push(name);
            }
        };
        let patch = match step {
            "personal" => {
                for (n, v) in [
                    ("ethnicity", &self.ethnicity),
                    ("occupation", &self.occupation),
                    ("residence_district", &self.residence_district),
                    ("residence_address", &self.residence_address),
                    ("mobile", &self.mobile),
                ] {
                    need(n, v);
                }
                FormPatch {
                    ethnicity: given(&self.ethnicity),
                    occupation: given(&self.occupation),
                    residence_district: given(&self.residence_district),
                    residence_address: given(&self.residence_address),
                    mobile: given(&self.mobile),
                    ..FormPatch::default()
                }
            }
            "bank" => {
                need("bank", &self.bank);
                FormPatch {
                    bank: given(&self.bank),
                    ..FormPatch::default()
                }
            }
            "branch" => {
                need("branch", &self.branch);
                FormPatch {
                    branch: given(&self.branch),
                    ..FormPatch::default()
                }
            }
            "collection" => {
                need("collection", &self.collection);
                FormPatch {
                    collection: given(&self.collection),
                    ..FormPatch::default()
                }
            }
            "mail" => {
                for (n, v) in [
                    ("mail.recipient", &self.mail_recipient),
                    ("mail.mobile", &self.mail_mobile),
                    ("mail.district", &self.mail_district),
                    ("mail.postal_code", &self.mail_postal_code),
                    ("mail.address", &self.mail_address),
                ] {
                    need(n, v);
                }
                FormPatch {
                    mail: Some(MailPatch {
                        recipient: self.mail_recipient.clone(),
                        mobile: self.mail_mobile.clone(),
                        district: self.mail_district.clone(),
                        postal_code: self.mail_postal_code.clone(),
                        address: self.mail_address.clone(),
                    }),
                    ..FormPatch::default()
                }
            }
            _ => FormPatch::default(),
        };
        (patch, missing)
    }
}

/// The order of a step's questions on its page: the error summary follows it.
const FIELD_ORDER: [&str; 13] = [
    "ethnicity",
    "occupation",
    "residence_district",
    "residence_address",
    "mobile",
    "bank",
    "branch",
    "collection",
    "mail.recipient",
    "mail.mobile",
    "mail.district",
    "mail.postal_code",
    "mail.address",
];

pub async fn step_submit(c: PageCtx, Path((id, step)): Path<(String, String)>, Form(f): Form<StepForm>) -> PageResult {
    let a = own(&c, &id).await?;
    let from_check = f.from.as_deref() == Some("check");
    let mut page = StepPage {
        from_check,
        ..StepPage::default()
    };
    let result: Result<Application, ApplyError> = match step.as_str() {
        "check" => {
            if f.commitment.is_none() {
                Err(ApplyError::ConsentRequired(
                    sscard_domain::application::ConsentKind::Commitment,
                ))
            } else {
                let missing = a.missing();
                if missing.is_empty() {
                    return Ok(Redirect::to(&format!("/apply/{}/confirm", a.id)).into_response());
                }
                Err(ApplyError::Incomplete(missing))
            }
        }
        // An employee confirms; the employer submits (SPEC §6.2).
        "confirm" if a.route == sscard_domain::application::Route::Collective => {
            sscard_app::collective::confirm(&c.state.ctx, &c.p, &a.id, true, f.confirm.is_some()).await
        }
        "confirm" => {
            apps::submit(
                &c.state.ctx,
                &c.p,
                &a.id,
                true,
                f.confirm.is_some(),
                f.idempotency_key.as_deref(),
            )
            .await
        }
        "child" => {
            let yes_no = |v: &Option<String>| v.as_deref().map(|v| v == "yes");
            let patch = sscard_app::minors::MinorPatch {
                id_type: f.id_type.clone(),
                id_valid_from: f.id_valid_from.clone().filter(|v| !v.trim().is_empty()),
                id_valid_until: f.id_valid_until.clone().filter(|v| !v.trim().is_empty()),
                guardian_is_householder: yes_no(&f.guardian_is_householder),
                same_booklet: yes_no(&f.same_booklet),
                cartoon_photo: Some(f.cartoon_photo.is_some()),
            };
            sscard_app::minors::update(&c.state.ctx, &c.p, &a.id, &patch).await
        }
        s if STEPS.contains(&s) => {
            let (patch, missing) = f.patch(s);
            if missing.is_empty() {
                apps::update(&c.state.ctx, &c.p, &a.id, &patch).await
            } else {
                page.problems.required(
                    &c.state,
                    c.prefs.lang,
                    &missing.iter().map(|m| (*m, true)).collect::<Vec<_>>(),
                );
                // Every error in one pass: what is wrong with the answers given is said beside the missing
                // ones (checked, nothing saved).
                if let Err(e @ ApplyError::Invalid(_)) = apps::check_patch(&c.state.ctx, &c.p, &a.id, &patch).await {
                    c.fail(&mut page.problems, e.into(), s);
                }
                page.problems.order(&FIELD_ORDER);
                Err(ApplyError::Invalid(Vec::new()))
            }
        }
        _ => return Err(ApiError::NotFound.into()),
    };
    match result {
        Ok(updated) if step == "confirm" => Ok(Redirect::to(&format!("/apply/{}/done", updated.id)).into_response()),
        Ok(updated) => {
            let next = if from_check
                && !(step == "collection"
                    && updated.form.collection == Some(CollectionMethod::BankMail)
                    && updated.form.mail.is_none())
                && step != "bank"
            {
                "check"
            } else {
                next_step(&updated, c.p.channel, &step)
            };
            Ok(Redirect::to(&format!("/apply/{}/{next}", updated.id)).into_response())
        }
        Err(e) => {
            // What was typed is shown again, beside its error; nothing was stored.
            let typed = [
                ("ethnicity", &f.ethnicity),
                ("occupation", &f.occupation),
                ("residence_district", &f.residence_district),
                ("residence_address", &f.residence_address),
                ("mobile", &f.mobile),
                ("bank", &f.bank),
                ("branch", &f.branch),
                ("collection", &f.collection),
                ("mail.recipient", &f.mail_recipient),
                ("mail.mobile", &f.mail_mobile),
                ("mail.district", &f.mail_district),
                ("mail.postal_code", &f.mail_postal_code),
                ("mail.address", &f.mail_address),
                ("id_type", &f.id_type),
                ("id_valid_from", &f.id_valid_from),
                ("id_valid_until", &f.id_valid_until),
                ("guardian_is_householder", &f.guardian_is_householder),
                ("same_booklet", &f.same_booklet),
                ("cartoon_photo", &f.cartoon_photo),
            ];
            for (k, v) in typed {
                if let Some(v) = v {
                    page.form.values.insert(k.to_string(), v.clone());
                }
            }
            let status = match &e {
                ApplyError::Invalid(list) if list.is_empty() => StatusCode::BAD_REQUEST,
                _ => {
                    let first = match step.as_str() {
                        "check" => "commitment",
                        "confirm" => "confirm",
                        "personal" => "ethnicity",
                        "child" => "id_valid_from",
                        other => other,
                    };
                    c.fail(&mut page.problems, e.into(), first)
                }
            };
            if step == "confirm" {
                page.idempotency_key = c.state.ctx.secrets.token();
            }
            fill(&c, &a, &step, &mut page.form).await?;
            Ok(c.show("apply_step.html", status, page).await)
        }
    }
}
