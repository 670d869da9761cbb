//! Portal pages for logging in (SPEC §3, §11), before there is a signed-in caller: password + captcha,
//! SMS code and registration, the staff door, external identity providers. One question group per page;
//! errors in a summary and beside their field. The visitor's pre-login session carries the CSRF token and the
//! captcha ([`Page`]).
//!
//! - [`password`]: password + captcha (residents, handlers; and the staff door).
//! - [`sms`]: mobile + SMS code, and registration.
//! - [`oidc`]: external identity providers.

mod oidc;
mod password;
mod sms;

pub use oidc::{oidc_callback, oidc_start};
pub use password::{login_page, login_submit};
pub use sms::{send_code, sms_page, use_code};

use std::collections::BTreeMap;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use sscard_app::auth::{self, Issued, Meta, Via};
use sscard_app::ports::SessionRecord;

use super::forms::FieldErrors;
use super::pages::{render, PageError, Prefs};
use crate::access::{Caller, SESSION_COOKIE};
use crate::i18n::Lang;
use crate::problem::ApiError;
use crate::state::{AppState, Mode};

/// Only local paths are followed after login (no open redirect).
pub fn safe_next(next: Option<&str>, default: &str) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or(default)
        .to_string()
}

pub(super) fn session_cookie(state: &AppState, secret: &str) -> Option<HeaderValue> {
    let secure = if state.config.mode == Mode::Production {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax{secure}"
    ))
    .ok()
}

pub(crate) fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("sscard_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// The visitor's session, starting an anonymous one (and its cookie) when there is none.
pub(super) async fn visitor_session(
    state: &AppState,
    caller: &Caller,
    meta: &Meta,
) -> Result<(SessionRecord, Option<HeaderValue>), ApiError> {
    if let Some(s) = caller.session() {
        return Ok((s.clone(), None));
    }
    let (secret, s) = auth::start_anonymous_session(&state.ctx, meta).await?;
    Ok((s, session_cookie(state, &secret)))
}

/// Every login-type form: what was typed, what was wrong, the captcha to show.
#[derive(Serialize, Default)]
pub(super) struct AuthForm {
    kind: &'static str,
    step: u8,
    csrf: String,
    next: String,
    /// Which captcha to show ("image", or "sum": the question a screen reader can read).
    #[serde(skip)]
    captcha_kind: &'static str,
    captcha: CaptchaView,
    values: BTreeMap<String, String>,
    #[serde(flatten)]
    problems: FieldErrors,
    notice: Option<String>,
    providers: Vec<ProviderLink>,
}

/// The captcha as the page shows it: a picture, or a sum asked in words; each with a plain link (no script) to a
/// new one and to the other kind.
#[derive(Serialize, Default)]
pub(super) struct CaptchaView {
    id: String,
    kind: &'static str,
    img: String,
    question: String,
    new_url: String,
    other_url: String,
}

/// "sum" when the visitor asked for the question instead of the picture.
pub(super) fn captcha_kind(asked: Option<&str>) -> &'static str {
    if asked == Some("sum") {
        "sum"
    } else {
        "image"
    }
}

#[derive(Serialize)]
pub(super) struct ProviderLink {
    id: String,
    name: String,
}

impl AuthForm {
    fn value(mut self, k: &str, v: &str) -> AuthForm {
        self.values.insert(k.to_string(), v.to_string());
        self
    }

    fn error(mut self, state: &AppState, lang: Lang, err: &ApiError, first_field: &str) -> AuthForm {
        self.problems.add(state, lang, err, first_field);
        self
    }

    fn required(mut self, state: &AppState, lang: Lang, fields: &[(&str, &str)]) -> AuthForm {
        let empty: Vec<(&str, bool)> = fields.iter().map(|(n, v)| (*n, v.trim().is_empty())).collect();
        self.problems.required(state, lang, &empty);
        self
    }
}

pub(super) struct Page<'a> {
    state: &'a AppState,
    prefs: Prefs,
    uri: &'a Uri,
    session: SessionRecord,
    cookie: Option<HeaderValue>,
}

impl Page<'_> {
    async fn open<'a>(
        state: &'a AppState,
        headers: &HeaderMap,
        uri: &'a Uri,
        caller: &Caller,
        meta: &Meta,
    ) -> Result<Page<'a>, Response> {
        match visitor_session(state, caller, meta).await {
            Ok((session, cookie)) => Ok(Page {
                state,
                prefs: Prefs::from_headers(headers),
                uri,
                session,
                cookie,
            }),
            Err(e) => Err(PageError::from(e).into_response()),
        }
    }

    fn via(&self) -> Via {
        Via::Portal {
            pre_session: Some(self.session.id.clone()),
        }
    }

    /// Renders a form with a fresh captcha (the last one, if any, is spent).
    async fn show(&self, template: &str, status: StatusCode, mut form: AuthForm, captcha: bool) -> Response {
        form.csrf = self.session.csrf.clone();
        form.providers = self
            .state
            .oidc
            .iter()
            .map(|p| ProviderLink {
                id: p.config.id.clone(),
                name: if self.prefs.lang == Lang::En {
                    p.config.name_en.clone()
                } else {
                    p.config.name_zh.clone()
                },
            })
            .collect();
        if captcha {
            match self.captcha(&form).await {
                Ok(c) => form.captcha = c,
                Err(e) => return e.into_response(),
            }
        }
        let mut res = render(self.state, self.prefs, self.uri, template, status, form).await;
        if let Some(c) = &self.cookie {
            res.headers_mut().append(header::SET_COOKIE, c.clone());
        }
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }

    fn lang(&self) -> Lang {
        self.prefs.lang
    }

    /// A new captcha of the kind the form asks for.
    async fn captcha(&self, form: &AuthForm) -> Result<CaptchaView, PageError> {
        // The GET page a form was posted from (a code request posts to ".../code").
        let page = self.uri.path().trim_end_matches("/code");
        let url = |kind: &str| {
            let mut q = url::form_urlencoded::Serializer::new(String::new());
            if !form.next.is_empty() {
                q.append_pair("next", &form.next);
            }
            q.append_pair("captcha", kind);
            format!("{page}?{}", q.finish())
        };
        let kind = if form.captcha_kind == "sum" { "sum" } else { "image" };
        let mut view = CaptchaView {
            kind,
            new_url: url(kind),
            other_url: url(if kind == "sum" { "image" } else { "sum" }),
            ..CaptchaView::default()
        };
        if kind == "sum" {
            let (id, (a, b)) = auth::new_sum_captcha(&self.state.ctx, &self.via()).await?;
            view.id = id;
            view.question = self.state.i18n.format(
                self.lang(),
                "captcha_question",
                &[("a", a.to_string()), ("b", b.to_string())],
            );
        } else {
            let (id, text) = auth::new_captcha(&self.state.ctx, &self.via()).await?;
            view.id = id;
            view.img = crate::captcha::draw(text).await?;
        }
        Ok(view)
    }
}

/// Where an account starts when no page was asked for: employers on their dashboard, staff on their console,
/// residents on their account.
pub(crate) fn home_of(role: sscard_domain::access::Role) -> &'static str {
    use sscard_domain::access::Role;
    match role {
        Role::Resident => "/account",
        Role::EntityHandler => "/entity",
        _ => "/staff",
    }
}

/// After a login: the new session's cookie (the id changes at login) and the way on (`next`, or the
/// account's home when empty).
pub(super) fn logged_in(state: &AppState, issued: &Issued, next: &str) -> Response {
    let next = if next.is_empty() {
        home_of(issued.account.role())
    } else {
        next
    };
    let mut res = Redirect::to(next).into_response();
    if let Some(c) = session_cookie(state, &issued.secret) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// A refusal that passes with time (locked, rate-limited, busy, database away) tells when to come back.
pub(super) fn with_retry_after(mut res: Response, err: &ApiError) -> Response {
    if let Some(secs) = err.retry_after() {
        res.headers_mut()
            .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
    }
    res
}

pub(crate) fn status_of(err: &ApiError) -> StatusCode {
    match err.status() {
        s if s.is_server_error() => s,
        StatusCode::TOO_MANY_REQUESTS => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::BAD_REQUEST,
    }
}

#[derive(Deserialize, Default)]
pub struct NextParam {
    next: Option<String>,
    /// `sum` for the captcha's question instead of its picture.
    captcha: Option<String>,
}
