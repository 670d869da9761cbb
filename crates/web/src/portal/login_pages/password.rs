//! Password + captcha: residents and handlers at `/login`, staff at `/staff/login`.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use sscard_app::auth::{self, Door};

use super::*;
use crate::access::{Caller, ClientMeta};
use crate::problem::ApiError;
use crate::state::AppState;

// ---- password + captcha (residents, handlers; and the staff door) ----

pub async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    caller: Caller,
    meta: ClientMeta,
    Query(q): Query<NextParam>,
) -> Response {
    let staff = uri.path().starts_with("/staff");
    if caller.principal().is_some() {
        return Redirect::to(if staff { "/staff" } else { "/account" }).into_response();
    }
    let page = match Page::open(&state, &headers, &uri, &caller, &meta.0).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let form = AuthForm {
        kind: if staff { "staff" } else { "password" },
        next: safe_next(q.next.as_deref(), ""),
        ..AuthForm::default()
    };
    page.show("login.html", StatusCode::OK, form, true).await
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    captcha_id: String,
    #[serde(default)]
    captcha: String,
    next: Option<String>,
}

pub async fn login_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    caller: Caller,
    meta: ClientMeta,
    Form(f): Form<LoginForm>,
) -> Response {
    let staff = uri.path().starts_with("/staff");
    let page = match Page::open(&state, &headers, &uri, &caller, &meta.0).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let form = AuthForm {
        kind: if staff { "staff" } else { "password" },
        next: safe_next(f.next.as_deref(), ""),
        ..AuthForm::default()
    }
    .value("login", &f.login);
    let form = form.required(
        &state,
        page.lang(),
        &[("login", &f.login), ("password", &f.password), ("captcha", &f.captcha)],
    );
    if !form.problems.is_empty() {
        return page.show("login.html", StatusCode::BAD_REQUEST, form, true).await;
    }
    let door = if staff { Door::Staff } else { Door::Public };
    let result = auth::login_with_password(
        &state.ctx,
        &page.via(),
        door,
        &f.login,
        &f.password,
        (&f.captcha_id, &f.captcha),
        &meta.0,
    )
    .await;
    match result {
        Ok(issued) => {
            let default = if staff { "/staff" } else { "/account" };
            logged_in(&state, &issued, &safe_next(f.next.as_deref(), default))
        }
        Err(e) => {
            let err = ApiError::from(e);
            let status = status_of(&err);
            let field = if err.code() == "captcha_wrong" {
                "captcha"
            } else {
                "login"
            };
            let form = form.error(&state, page.lang(), &err, field);
            with_retry_after(page.show("login.html", status, form, true).await, &err)
        }
    }
}
