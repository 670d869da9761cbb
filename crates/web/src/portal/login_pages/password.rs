//! Password + captcha: residents at `/login`, employers' handlers at `/entity/login` (the same public door),
//! staff at `/staff/login`.

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

// ---- password + captcha (residents at /login, employers' handlers at /entity/login, staff at /staff/login) ----

/// Which door a login page is: "staff", "entity" or "password" (residents).
fn door_of(uri: &Uri) -> &'static str {
    match uri.path() {
        p if p.starts_with("/staff") => "staff",
        p if p.starts_with("/entity") => "entity",
        _ => "password",
    }
}

pub async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    caller: Caller,
    meta: ClientMeta,
    Query(q): Query<NextParam>,
) -> Response {
    let kind = door_of(&uri);
    if let Some(p) = caller.principal() {
        return Redirect::to(home_of(p.role())).into_response();
    }
    let page = match Page::open(&state, &headers, &uri, &caller, &meta.0).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let form = AuthForm {
        kind,
        next: safe_next(q.next.as_deref(), ""),
        captcha_kind: captcha_kind(q.captcha.as_deref()),
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
    captcha_kind: Option<String>,
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
    let kind = door_of(&uri);
    let staff = kind == "staff";
    let page = match Page::open(&state, &headers, &uri, &caller, &meta.0).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let form = AuthForm {
        kind,
        next: safe_next(f.next.as_deref(), ""),
        captcha_kind: captcha_kind(f.captcha_kind.as_deref()),
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
        Ok(issued) => logged_in(&state, &issued, &safe_next(f.next.as_deref(), "")),
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
