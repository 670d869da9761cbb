//! Portal pages for logging in and the account (SPEC §3, §9, §11): password + captcha, SMS code,
//! registration, staff login, external identity providers, "my account" (sessions, access log) and
//! real-name authentication. One question group per page; errors in a summary and beside their field.

use std::collections::BTreeMap;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use sscard_app::auth::{self, Door, Issued, Meta, Via};
use sscard_app::ports::{OidcFlow, SessionRecord};
use sscard_app::secrets::sha256_hex;
use sscard_domain::values::Mobile;

use super::forms::FieldErrors;
use super::pages::{render, PageCtx, PageError, PageResult, Prefs};
use crate::access::{Caller, ClientMeta, SESSION_COOKIE};
use crate::i18n::Lang;
use crate::problem::ApiError;
use crate::state::{AppState, Mode};

/// Only local paths are followed after login (no open redirect).
pub fn safe_next(next: Option<&str>, default: &str) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or(default)
        .to_string()
}

fn session_cookie(state: &AppState, secret: &str) -> Option<HeaderValue> {
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

fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("sscard_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// The visitor's session, starting an anonymous one (and its cookie) when there is none.
async fn visitor_session(
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
struct AuthForm {
    kind: &'static str,
    step: u8,
    csrf: String,
    next: String,
    captcha_id: String,
    captcha_img: String,
    values: BTreeMap<String, String>,
    #[serde(flatten)]
    problems: FieldErrors,
    notice: Option<String>,
    providers: Vec<ProviderLink>,
}

#[derive(Serialize)]
struct ProviderLink {
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

struct Page<'a> {
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
            match auth::new_captcha(&self.state.ctx, &self.via()).await {
                Ok((id, text)) => match crate::captcha::draw(text).await {
                    Ok(img) => {
                        form.captcha_id = id;
                        form.captcha_img = img;
                    }
                    Err(e) => return PageError::from(e).into_response(),
                },
                Err(e) => return PageError::from(e).into_response(),
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
}

/// After a login: the new session's cookie (the id changes at login) and the way on.
fn logged_in(state: &AppState, issued: &Issued, next: &str) -> Response {
    let mut res = Redirect::to(next).into_response();
    if let Some(c) = session_cookie(state, &issued.secret) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// A refusal that passes with time (locked, rate-limited, busy, database away) tells when to come back.
fn with_retry_after(mut res: Response, err: &ApiError) -> Response {
    if let Some(secs) = err.retry_after() {
        res.headers_mut()
            .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
    }
    res
}

fn status_of(err: &ApiError) -> StatusCode {
    match err.status() {
        s if s.is_server_error() => s,
        StatusCode::TOO_MANY_REQUESTS => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::BAD_REQUEST,
    }
}

#[derive(Deserialize, Default)]
pub struct NextParam {
    next: Option<String>,
}

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

// ---- mobile + SMS code ----

#[derive(Deserialize)]
pub struct CodeRequestForm {
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    captcha_id: String,
    #[serde(default)]
    captcha: String,
}

pub async fn sms_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    caller: Caller,
    meta: ClientMeta,
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
    let form = AuthForm {
        kind,
        step: 1,
        ..AuthForm::default()
    }
    .value("mobile", &f.mobile)
    .required(&state, page.lang(), &[("mobile", &f.mobile), ("captcha", &f.captcha)]);
    if !form.problems.is_empty() {
        return page.show(&template, StatusCode::BAD_REQUEST, form, true).await;
    }
    let mobile = match Mobile::parse(&f.mobile) {
        Ok(m) => m,
        Err(_) => {
            let err = ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_fields",
                "mobile",
                "mobile_invalid",
            );
            let form = form.error(&state, page.lang(), &err, "mobile");
            return page.show(&template, StatusCode::BAD_REQUEST, form, true).await;
        }
    };
    match auth::send_sms_code(&state.ctx, &page.via(), (&f.captcha_id, &f.captcha), &mobile, &meta.0).await {
        Ok(()) => {
            let notice = state
                .i18n
                .format(page.lang(), "sms_sent", &[("mobile", mobile.masked())]);
            let form = AuthForm {
                kind,
                step: 2,
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
        Ok(issued) => logged_in(&state, &issued, "/account"),
        Err(e) => {
            let err = ApiError::from(e);
            let form = form.error(&state, page.lang(), &err, "code");
            with_retry_after(page.show(&template, status_of(&err), form, false).await, &err)
        }
    }
}

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
        return super::pages::not_found_page(State(state), headers, uri).await;
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
        Ok(issued) => logged_in(&state, &issued, "/account"),
        Err(sscard_app::external::ExternalError::UnknownEntity(_)) => {
            callback_failed(page, "entity_not_registered").await
        }
        Err(e) => {
            tracing::warn!(provider, error = %e, "external login refused");
            callback_failed(page, "external_login_failed").await
        }
    }
}

// ---- logged in ----

/// After logging out (here or everywhere): the cookie cleared, and on to `to`.
fn signed_out<T>(result: Result<T, sscard_app::ports::StoreError>, to: &str) -> Response {
    if let Err(e) = result {
        return PageError::from(e).into_response();
    }
    let mut res = Redirect::to(to).into_response();
    res.headers_mut().append(header::SET_COOKIE, clear_cookie());
    res
}

pub async fn logout(State(state): State<AppState>, caller: Caller, meta: ClientMeta) -> Response {
    let result = match caller.principal() {
        Some(p) => auth::logout(&state.ctx, p, &meta.0).await,
        None => Ok(()),
    };
    signed_out(result, "/")
}

pub async fn revoke_all(State(state): State<AppState>, caller: Caller, meta: ClientMeta) -> Response {
    let result = match caller.principal() {
        Some(p) => auth::logout_everywhere(&state.ctx, p, &meta.0).await.map(|_| ()),
        None => Ok(()),
    };
    signed_out(result, "/login")
}

#[derive(Serialize)]
struct SessionRow {
    current: bool,
    channel: String,
    created: String,
    ip: String,
    agent: String,
}

#[derive(Serialize)]
struct AccessRow {
    at: String,
    who: String,
    organisation: String,
    purpose: String,
}

#[derive(Serialize)]
struct AccountPage {
    csrf: String,
    display_name: String,
    role: String,
    role_key: String,
    mobile: String,
    id_number: String,
    is_resident: bool,
    is_handler: bool,
    real_name_verified: bool,
    sessions: Vec<SessionRow>,
    access: Vec<AccessRow>,
}

fn local_time(t: chrono::DateTime<chrono::FixedOffset>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// "My account": sessions, "log out everywhere", who read my data. Signed-out callers are sent to log in
/// (with this page as `next`) by the page context.
pub async fn account(c: PageCtx) -> PageResult {
    let (state, prefs, uri, p) = (&c.state, c.prefs, &c.uri, &c.p);
    let _now = state.ctx.clock.now();
    let sessions = sscard_app::auth::my_sessions(&state.ctx, p).await?;
    let access = sscard_app::people::my_access_log(&state.ctx, p, 100).await?;
    let msg = |id: &str| state.i18n.format(prefs.lang, id, &[]);
    let mut names = BTreeMap::new();
    for e in &access {
        if let Some(code) = &e.organisation {
            if !names.contains_key(code) {
                let name = sscard_app::people::organisation_label(&state.ctx, code, prefs.lang == Lang::En).await?;
                names.insert(code.clone(), name);
            }
        }
    }
    let page = AccountPage {
        csrf: c.csrf.clone(),
        // After real-name authentication the registry name is the one to greet them by.
        display_name: p
            .account
            .real_name
            .as_ref()
            .map(|n| n.as_str().to_string())
            .unwrap_or_else(|| p.account.display_name.clone()),
        role: msg(&format!("role-{}", p.role().as_str())),
        role_key: p.role().as_str().to_string(),
        mobile: p.account.mobile.as_ref().map(|m| m.masked()).unwrap_or_default(),
        id_number: p.account.id_number.as_ref().map(|i| i.masked()).unwrap_or_default(),
        is_resident: p.account.kind == sscard_domain::account::AccountKind::Resident,
        is_handler: p.role() == sscard_domain::access::Role::EntityHandler,
        real_name_verified: p.account.is_real_name_verified(),
        sessions: sessions
            .into_iter()
            .map(|s| SessionRow {
                current: s.id == p.session,
                channel: msg(&format!("channel-{}", s.channel.as_str())),
                created: local_time(s.created_at),
                ip: s.ip.unwrap_or_default(),
                agent: s.user_agent.unwrap_or_default(),
            })
            .collect(),
        access: access
            .into_iter()
            .map(|e| AccessRow {
                at: local_time(e.at),
                who: e.role.map(|r| msg(&format!("role-{}", r.as_str()))).unwrap_or_default(),
                organisation: e
                    .organisation
                    .map(|code| names.get(&code).cloned().unwrap_or(code))
                    .unwrap_or_default(),
                purpose: e.purpose.map(|p| msg(&format!("purpose-{p}"))).unwrap_or_default(),
            })
            .collect(),
    };
    let mut res = render(state, prefs, uri, "account.html", StatusCode::OK, page).await;
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

#[derive(Serialize, Default)]
struct RealNamePage {
    csrf: String,
    values: BTreeMap<String, String>,
    #[serde(flatten)]
    problems: FieldErrors,
    verified: bool,
}

async fn show_real_name(state: &AppState, prefs: Prefs, uri: &Uri, status: StatusCode, page: RealNamePage) -> Response {
    let mut res = render(state, prefs, uri, "real_name.html", status, page).await;
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub async fn real_name_page(c: PageCtx) -> Response {
    let page = RealNamePage {
        csrf: c.csrf.clone(),
        verified: c.p.account.is_real_name_verified(),
        ..RealNamePage::default()
    };
    show_real_name(&c.state, c.prefs, &c.uri, StatusCode::OK, page).await
}

pub async fn real_name_submit(c: PageCtx, meta: ClientMeta, mut multipart: Multipart) -> PageResult {
    let (state, prefs, uri, p) = (&c.state, c.prefs, &c.uri, &c.p);
    let (mut name, mut id_number, mut photo) = (String::new(), String::new(), Vec::new());
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let field_name = field.name().unwrap_or("").to_string();
                let Ok(bytes) = field.bytes().await else {
                    return Err(ApiError::PayloadTooLarge.into());
                };
                match field_name.as_str() {
                    "name" => name = String::from_utf8_lossy(&bytes).trim().to_string(),
                    "id_number" => id_number = String::from_utf8_lossy(&bytes).trim().to_string(),
                    "photo" => photo = bytes.to_vec(),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => return Err(ApiError::BadRequest.into()),
        }
    }
    let mut page = RealNamePage {
        csrf: c.csrf.clone(),
        ..RealNamePage::default()
    };
    page.values.insert("name".into(), name.clone());
    page.values.insert("id_number".into(), id_number.clone());
    page.problems.required(
        state,
        prefs.lang,
        &[
            ("name", name.is_empty()),
            ("id_number", id_number.is_empty()),
            ("photo", photo.is_empty()),
        ],
    );
    if !page.problems.is_empty() {
        return Ok(show_real_name(state, prefs, uri, StatusCode::BAD_REQUEST, page).await);
    }
    match sscard_app::realname::verify_real_name(&state.ctx, p, &name, &id_number, photo, &meta.0).await {
        Ok(()) => Ok(Redirect::to("/account").into_response()),
        Err(e) => {
            let err = ApiError::from(e);
            page.problems.add(state, prefs.lang, &err, "name");
            Ok(show_real_name(state, prefs, uri, status_of(&err), page).await)
        }
    }
}

#[derive(Serialize)]
struct StaffPage {
    csrf: String,
    display_name: String,
    role: String,
    organisation: String,
    is_bank_clerk: bool,
}

pub async fn staff_home(c: PageCtx) -> Response {
    let (state, prefs, uri, p) = (&c.state, c.prefs, &c.uri, &c.p);
    let page = StaffPage {
        csrf: c.csrf.clone(),
        display_name: p.account.display_name.clone(),
        role: state
            .i18n
            .format(prefs.lang, &format!("role-{}", p.role().as_str()), &[]),
        organisation: p.account.kind.organisation().unwrap_or_default(),
        is_bank_clerk: p.role() == sscard_domain::access::Role::BankClerk,
    };
    render(state, prefs, uri, "staff.html", StatusCode::OK, page).await
}
