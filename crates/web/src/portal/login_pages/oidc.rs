//! External identity providers: the redirect out, and the callback.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sscard_app::ports::OidcFlow;
use sscard_app::secrets::sha256_hex;

use super::super::pages::PageError;
use super::*;
use crate::access::{Caller, ClientMeta};
use crate::problem::ApiError;
use crate::state::AppState;

// ---- external identity providers ----

pub async fn oidc_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    caller: Caller,
    meta: ClientMeta,
    Path(provider): Path<String>,
) -> Response {
    let Some(p) = state.oidc.iter().find(|p| p.config.id == provider).cloned() else {
        return crate::portal::pages::not_found_page(State(state), headers, uri).await;
    };
    let page = match Page::open(&state, &headers, &uri, &caller, &meta.0).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let started = match p.start().await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(provider, error = %e, "identity provider unavailable");
            let err = ApiError::rule(StatusCode::SERVICE_UNAVAILABLE, "provider_unavailable");
            let form = AuthForm {
                kind: "password",
                ..AuthForm::default()
            }
            .error(&state, page.lang(), &err, "login");
            return page
                .show("login.html", StatusCode::SERVICE_UNAVAILABLE, form, true)
                .await;
        }
    };
    let flow = OidcFlow {
        state: sha256_hex(&[&started.state]),
        provider: provider.clone(),
        nonce: started.nonce,
        pkce_verifier: started.pkce_verifier,
        bound_to: page.session.id.clone(),
        expires_at: state.ctx.clock.now() + chrono::Duration::minutes(10),
    };
    if let Err(e) = sscard_app::external::begin_flow(&state.ctx, &flow).await {
        return PageError::from(e).into_response();
    }
    let mut res = Redirect::to(started.authorize_url.as_str()).into_response();
    if let Some(c) = page.cookie {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

#[derive(Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
}

/// Back on the login page with what went wrong.
async fn callback_failed(page: Page<'_>, code: &'static str) -> Response {
    let err = ApiError::rule(StatusCode::BAD_REQUEST, code);
    let form = AuthForm {
        kind: "password",
        ..AuthForm::default()
    }
    .error(page.state, page.lang(), &err, "login");
    page.show("login.html", StatusCode::BAD_REQUEST, form, true).await
}

pub async fn oidc_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    caller: Caller,
    meta: ClientMeta,
    Path(provider): Path<String>,
    Query(q): Query<CallbackParams>,
) -> Response {
    let page = match Page::open(&state, &headers, &uri, &caller, &meta.0).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (Some(code), Some(st)) = (q.code, q.state) else {
        return callback_failed(page, "external_login_failed").await;
    };
    let flow = match sscard_app::external::take_flow(&state.ctx, &sha256_hex(&[&st])).await {
        Ok(Some(f)) if f.provider == provider && f.bound_to == page.session.id => f,
        Ok(_) => return callback_failed(page, "external_login_failed").await,
        Err(e) => return PageError::from(e).into_response(),
    };
    let Some(p) = state.oidc.iter().find(|p| p.config.id == provider).cloned() else {
        return callback_failed(page, "external_login_failed").await;
    };
    let today = state.ctx.clock.now().date_naive();
    let (subject, identity) = match p.finish(&code, &flow.nonce, &flow.pkce_verifier, today).await {
        Ok(x) => x,
        Err(e) => {
            tracing::warn!(provider, error = %e, "external login refused");
            return callback_failed(page, "external_login_failed").await;
        }
    };
    match sscard_app::external::login_external(&state.ctx, &page.via(), &provider, &subject, &identity, &meta.0).await {
        Ok(issued) => logged_in(&state, &issued, ""),
        Err(sscard_app::external::ExternalError::UnknownEntity(_)) => {
            callback_failed(page, "entity_not_registered").await
        }
        Err(e) => {
            tracing::warn!(provider, error = %e, "external login refused");
            callback_failed(page, "external_login_failed").await
        }
    }
}
