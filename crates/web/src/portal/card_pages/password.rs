//! The card's service password: change with the current one; reset after a texted code and the face check.

use axum::extract::{Multipart, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use serde::{Deserialize, Serialize};
use sscard_app::cards::{self};
use sscard_domain::card::channels::{cell, Service};

use super::super::forms::{multipart_fields, FieldErrors};
use super::super::pages::{csrf_pages, PageCtx, PageResult};
use crate::access::ClientMeta;

use super::*;

#[derive(Serialize, Default)]
struct PasswordPage {
    csrf: String,
    number: String,
    title: String,
    can_change: bool,
    can_reset: bool,
    notice: Option<String>,
    #[serde(flatten)]
    problems: FieldErrors,
}

csrf_pages!(PasswordPage);

async fn password_form(c: &PageCtx, number: &str, page: PasswordPage, status: StatusCode) -> PageResult {
    let v = cards::status::view(&c.state.ctx, &c.p, number).await?;
    let page = PasswordPage {
        number: number.to_string(),
        title: title(c, &v),
        can_change: cell(Service::PasswordChange, c.p.channel, v.acting).allowed,
        can_reset: cell(Service::PasswordReset, c.p.channel, v.acting).allowed,
        ..page
    };
    Ok(c.show("card_password.html", status, page).await)
}

pub async fn password_page(c: PageCtx, Path(number): Path<String>) -> PageResult {
    password_form(&c, &number, PasswordPage::default(), StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct PasswordForm {
    old: Option<String>,
    new: Option<String>,
}

pub async fn password_submit(
    c: PageCtx,
    meta: ClientMeta,
    Path(number): Path<String>,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    let (old, new) = (f.old.unwrap_or_default(), f.new.unwrap_or_default());
    let mut page = PasswordPage::default();
    page.problems.required(
        &c.state,
        c.prefs.lang,
        &[("old", old.trim().is_empty()), ("new", new.trim().is_empty())],
    );
    if !page.problems.is_empty() {
        return password_form(&c, &number, page, StatusCode::BAD_REQUEST).await;
    }
    match cards::password::change(&c.state.ctx, &c.p, &number, &old, &new, &meta.0).await {
        Ok(()) => Ok(Redirect::to("/cards?done=password").into_response()),
        Err(e) => {
            let err = shown(e)?;
            let status = c.fail(&mut page.problems, err, "old");
            password_form(&c, &number, page, status).await
        }
    }
}

pub async fn reset_code(c: PageCtx, meta: ClientMeta, Path(number): Path<String>) -> PageResult {
    let mut page = PasswordPage::default();
    let status = match cards::password::send_reset_code(&c.state.ctx, &c.p, &number, &meta.0).await {
        Ok(()) => {
            page.notice = Some(c.m("mycard_code_sent"));
            StatusCode::OK
        }
        Err(cards::CardError::Auth(a)) => c.fail(&mut page.problems, a.into(), "code"),
        Err(e) => {
            let err = shown(e)?;
            c.fail(&mut page.problems, err, "code")
        }
    };
    password_form(&c, &number, page, status).await
}

pub async fn reset_submit(
    c: PageCtx,
    meta: ClientMeta,
    Path(number): Path<String>,
    multipart: Multipart,
) -> PageResult {
    let mut input = cards::password::ResetIn::default();
    for (name, bytes) in multipart_fields(multipart).await? {
        match name.as_str() {
            "code" => input.code = String::from_utf8_lossy(&bytes).trim().to_string(),
            "reset_new" => input.new = String::from_utf8_lossy(&bytes).trim().to_string(),
            "photo" => input.photo = bytes.to_vec(),
            _ => {}
        }
    }
    match cards::password::reset(&c.state.ctx, &c.p, &number, &input, &meta.0).await {
        Ok(()) => Ok(Redirect::to("/cards?done=password").into_response()),
        Err(e) => {
            let mut page = PasswordPage::default();
            let err = match e {
                cards::CardError::Invalid(mut fields) => {
                    // The new password's field on this form is `reset_new`.
                    for f in &mut fields {
                        if f.field == "new" {
                            f.field = "reset_new".into();
                        }
                    }
                    cards::CardError::Invalid(fields).into()
                }
                cards::CardError::Auth(a) => a.into(),
                other => shown(other)?,
            };
            let status = c.fail(&mut page.problems, err, "code");
            password_form(&c, &number, page, status).await
        }
    }
}
