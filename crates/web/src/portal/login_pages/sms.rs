//! Mobile + SMS code: logging in, and registering a new account.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use sscard_app::auth::{self};
use sscard_domain::values::Mobile;

use super::*;
use crate::access::{Caller, ClientMeta};
use crate::problem::ApiError;
use crate::state::AppState;

// ---- mobile + SMS code ----

#[derive(Deserialize)]
pub struct CodeRequestForm {
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    captcha_id: String,
    #[serde(default)]
    captcha: String,
    captcha_kind: Option<String>,
}

pub async fn sms_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    caller: Caller,
    meta: ClientMeta,
    axum::extract::Query(q): axum::extract::Query<NextParam>,
) -> Response {
    let page = match Page::open(&state, &headers, &uri, &caller, &meta.0).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let kind = if uri.path().starts_with("/register") {
        "register"
    } else {
        "sms"
    };
    let form = AuthForm {
        kind,
        step: 1,
        captcha_kind: captcha_kind(q.captcha.as_deref()),
        ..AuthForm::default()
    };
    page.show(&format!("{kind}.html"), StatusCode::OK, form, true).await
}

/// Step 1 of SMS login and of registration: mobile + captcha → a code is sent.
pub async fn send_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    caller: Caller,
    meta: ClientMeta,
    Form(f): Form<CodeRequestForm>,
) -> Response {
    let kind = if uri.path().starts_with("/register") {
        "register"
    } else {
        "sms"
    };
    let template = format!("{kind}.html");
    let page = match Page::open(&state, &headers, &uri, &caller, &meta.0).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut form = AuthForm {
        kind,
        step: 1,
        captcha_kind: captcha_kind(f.captcha_kind.as_deref()),
        ..AuthForm::default()
    }
    .value("mobile", &f.mobile)
    .required(&state, page.lang(), &[("mobile", &f.mobile), ("captcha", &f.captcha)]);
    // Every field's error at once: a malformed number is said even when the captcha is missing.
    let mobile = Mobile::parse(&f.mobile);
    if mobile.is_err() && !f.mobile.trim().is_empty() {
        let err = ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_fields",
            "mobile",
            "mobile_invalid",
        );
        form = form.error(&state, page.lang(), &err, "mobile");
    }
    let (Ok(mobile), true) = (mobile, form.problems.is_empty()) else {
        return page.show(&template, StatusCode::BAD_REQUEST, form, true).await;
    };
    match auth::send_sms_code(&state.ctx, &page.via(), (&f.captcha_id, &f.captcha), &mobile, &meta.0).await {
        Ok(()) => {
            let notice = state
                .i18n
                .format(page.lang(), "sms_sent", &[("mobile", mobile.masked())]);
            let form = AuthForm {
                kind,
                step: 2,
                captcha_kind: "image",
                notice: Some(notice),
                ..AuthForm::default()
            }
            .value("mobile", mobile.as_str());
            page.show(&template, StatusCode::OK, form, false).await
        }
        Err(e) => {
            let err = ApiError::from(e);
            let form = form.error(&state, page.lang(), &err, "mobile");
            with_retry_after(page.show(&template, status_of(&err), form, true).await, &err)
        }
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    username: Option<String>,
}

/// Step 2: the code (and for registration, a password) → logged in.
pub async fn use_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    caller: Caller,
    meta: ClientMeta,
    Form(f): Form<CodeForm>,
) -> Response {
    let register = uri.path().starts_with("/register");
    let kind = if register { "register" } else { "sms" };
    let template = format!("{kind}.html");
    let page = match Page::open(&state, &headers, &uri, &caller, &meta.0).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut form = AuthForm {
        kind,
        step: 2,
        ..AuthForm::default()
    }
    .value("mobile", &f.mobile)
    .value("username", f.username.as_deref().unwrap_or(""));
    let mut required = vec![("code", f.code.as_str())];
    if register {
        required.push(("password", f.password.as_str()));
    }
    form = form.required(&state, page.lang(), &required);
    let Ok(mobile) = Mobile::parse(&f.mobile) else {
        // The mobile is a hidden field from step 1: start again.
        return Redirect::to(if register { "/register" } else { "/login/sms" }).into_response();
    };
    if !form.problems.is_empty() {
        return page.show(&template, StatusCode::BAD_REQUEST, form, false).await;
    }
    let result = if register {
        auth::register(
            &state.ctx,
            &page.via(),
            &mobile,
            &f.code,
            &f.password,
            f.username.as_deref(),
            &meta.0,
        )
        .await
    } else {
        auth::login_with_sms(&state.ctx, &page.via(), &mobile, &f.code, &meta.0).await
    };
    match result {
        Ok(issued) => logged_in(&state, &issued, ""),
        Err(e) => {
            let err = ApiError::from(e);
            let form = form.error(&state, page.lang(), &err, "code");
            with_retry_after(page.show(&template, status_of(&err), form, false).await, &err)
        }
    }
}
