//! Portal pages.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use sscard_app::ports::BranchFilter;

use crate::access::cookie;
use crate::i18n::Lang;
use crate::state::{AppState, Mode};

/// The visitor's display preferences, from cookies.
#[derive(Debug, Clone, Copy)]
pub struct Prefs {
    pub lang: Lang,
    pub elder: bool,
}

impl Prefs {
    pub fn from_headers(headers: &HeaderMap) -> Prefs {
        Prefs {
            lang: cookie(headers, "lang").and_then(Lang::parse).unwrap_or(Lang::ZhCn),
            elder: cookie(headers, "elder") == Some("1"),
        }
    }
}

#[derive(Serialize)]
struct Shell<T: Serialize> {
    lang: &'static str,
    /// The language's messages, built once at start-up.
    m: minijinja::Value,
    elder: bool,
    demo: bool,
    path: String,
    #[serde(flatten)]
    page: T,
}

async fn is_demo(state: &AppState) -> bool {
    if state.config.mode == Mode::Demo {
        return true;
    }
    // In production a database that holds demo data must still say so on every page (production refuses
    // to start on one; this is the belt to that braces). A database that cannot answer is logged, not hidden.
    match sscard_app::health::holds_demo_data(&state.ctx).await {
        Ok(demo) => demo,
        Err(e) => {
            tracing::error!(error = %e, "could not read the demo-data flag");
            false
        }
    }
}

pub(crate) async fn render<T: Serialize>(
    state: &AppState,
    prefs: Prefs,
    uri: &Uri,
    template: &str,
    status: StatusCode,
    page: T,
) -> Response {
    let shell = Shell {
        lang: prefs.lang.tag(),
        m: state.i18n.all(prefs.lang),
        elder: prefs.elder,
        demo: is_demo(state).await,
        path: uri.path().to_string(),
        page,
    };
    let html = state.templates.get_template(template).and_then(|t| t.render(&shell));
    match html {
        Ok(body) => {
            let mut res = (status, Html(body)).into_response();
            res.headers_mut()
                .insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(prefs.lang.tag()));
            res
        }
        Err(e) => {
            tracing::error!(template, error = %e, "template failed");
            // Still a page: its language, a title, and where to go.
            let title = state.i18n.format(prefs.lang, "error_title", &[]);
            let home = state.i18n.format(prefs.lang, "back_home", &[]);
            let body = format!(
                "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
                 <body><h1>{title}</h1><p><a href=\"/\">{home}</a></p></body></html>",
                prefs.lang.tag()
            );
            (StatusCode::INTERNAL_SERVER_ERROR, Html(body)).into_response()
        }
    }
}

#[derive(Serialize)]
struct Empty {}

pub async fn home(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    render(
        &state,
        Prefs::from_headers(&headers),
        &uri,
        "home.html",
        StatusCode::OK,
        Empty {},
    )
    .await
}

#[derive(Deserialize)]
pub struct BranchParams {
    district: Option<String>,
    bank: Option<String>,
    page: Option<String>,
}

/// Branches a page shows: a phone screen's worth; fewer, larger ones in elderly mode.
const BRANCHES_PER_PAGE: usize = 20;
const BRANCHES_PER_PAGE_ELDER: usize = 8;

#[derive(Serialize)]
struct Named {
    code: String,
    name: String,
}

#[derive(Serialize)]
struct BranchRow {
    name: String,
    bank: String,
    district: String,
    address: String,
    accepts_pickup: bool,
    instant_issuance: bool,
}

#[derive(Serialize)]
struct BranchesPage {
    districts: Vec<Named>,
    banks: Vec<Named>,
    district: String,
    bank: String,
    branches: Vec<BranchRow>,
    count_text: String,
    /// Elderly mode asks for the district first rather than listing the whole city.
    choose_district_first: bool,
    /// "Page 2 of 12" and the links either side (plain links: no script).
    page_text: String,
    prev_url: Option<String>,
    next_url: Option<String>,
}

pub async fn branches(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Query(params): Query<BranchParams>,
) -> Response {
    let prefs = Prefs::from_headers(&headers);
    let en = prefs.lang == Lang::En;
    let codes = &state.ctx.codes;
    // Unknown codes in the query (a hand-edited address) are ignored rather than shown as an error.
    let district = params.district.filter(|d| codes.district(d).is_some());
    let bank = params.bank.filter(|b| codes.bank(b).is_some());
    let choose_district_first = prefs.elder && district.is_none();
    let filter = BranchFilter {
        bank: bank.clone(),
        district: district.clone(),
        accepts_pickup: None,
    };
    let list = match sscard_app::reference::branches(&state.ctx, &filter).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "branch list failed");
            return error_page(
                &state,
                prefs,
                &uri,
                StatusCode::SERVICE_UNAVAILABLE,
                request_id(&headers),
            )
            .await;
        }
    };
    let total = list.len();
    let per_page = if prefs.elder {
        BRANCHES_PER_PAGE_ELDER
    } else {
        BRANCHES_PER_PAGE
    };
    let pages = total.div_ceil(per_page).max(1);
    let page_no = params
        .page
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let page_url = |n: usize| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("district", district.as_deref().unwrap_or(""));
        q.append_pair("bank", bank.as_deref().unwrap_or(""));
        q.append_pair("page", &n.to_string());
        format!("/branches?{}", q.finish())
    };
    let (prev_url, next_url) = (
        (page_no > 1).then(|| page_url(page_no - 1)),
        (page_no < pages).then(|| page_url(page_no + 1)),
    );
    let page_text = state.i18n.format(
        prefs.lang,
        "page_of",
        &[("n", page_no.to_string()), ("total", pages.to_string())],
    );
    let list: Vec<_> = if choose_district_first {
        Vec::new()
    } else {
        list.into_iter().skip((page_no - 1) * per_page).take(per_page).collect()
    };
    let name = |zh: &str, en_name: &str| if en { en_name.to_string() } else { zh.to_string() };
    let district_name = |c: &str| codes.district(c).map(|d| name(&d.name_zh, &d.name_en));
    let bank_name = |c: &str| codes.bank(c).map(|b| name(&b.name_zh, &b.name_en));
    let named = |code: &str, zh: &str, en_name: &str| Named {
        code: code.to_string(),
        name: name(zh, en_name),
    };
    let page = BranchesPage {
        districts: codes
            .districts
            .iter()
            .map(|d| named(&d.code, &d.name_zh, &d.name_en))
            .collect(),
        banks: codes
            .banks
            .iter()
            .map(|b| named(&b.code, &b.name_zh, &b.name_en))
            .collect(),
        district: district.unwrap_or_default(),
        bank: bank.unwrap_or_default(),
        count_text: state
            .i18n
            .format(prefs.lang, "branches_count", &[("count", total.to_string())]),
        choose_district_first,
        page_text: if choose_district_first || pages == 1 {
            String::new()
        } else {
            page_text
        },
        prev_url: prev_url.filter(|_| !choose_district_first),
        next_url: next_url.filter(|_| !choose_district_first),
        branches: list
            .into_iter()
            .map(|b| BranchRow {
                bank: bank_name(&b.bank).unwrap_or(b.bank),
                district: district_name(&b.district).unwrap_or(b.district),
                name: b.name,
                address: b.address,
                accepts_pickup: b.accepts_pickup,
                instant_issuance: b.instant_issuance,
            })
            .collect(),
    };
    render(&state, prefs, &uri, "branches.html", StatusCode::OK, page).await
}

#[derive(Deserialize)]
pub struct PrefParams {
    lang: Option<String>,
    elder: Option<String>,
    next: Option<String>,
}

/// Sets a display preference and goes back. Only local paths are followed (no open redirect).
pub async fn preferences(State(state): State<AppState>, Query(p): Query<PrefParams>) -> Response {
    let next = p
        .next
        .filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or_else(|| "/".to_string());
    let secure = if state.config.mode == Mode::Production {
        "; Secure"
    } else {
        ""
    };
    let mut res = Redirect::to(&next).into_response();
    let mut set = |name: &str, value: &str| {
        let c = format!("{name}={value}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly{secure}");
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    };
    if let Some(lang) = p.lang.as_deref().and_then(Lang::parse) {
        set("lang", lang.tag());
    }
    match p.elder.as_deref() {
        Some("on") => set("elder", "1"),
        Some("off") => set("elder", "0"),
        _ => {}
    }
    res
}

#[derive(Serialize)]
struct ErrorPage {
    title: String,
    body: String,
    /// What exactly was refused (a client error's problem detail).
    detail: Option<String>,
    /// A server error's request id, for the hotline to find the log line.
    request_id: Option<String>,
}

/// Why a page could not be shown. A handler returns it with `?`; [`crate::problem::render_problems`] renders it
/// as the portal's error page (never a JSON problem): 404 and 403 as those pages, another refusal with its
/// detail, a failure (a store that did not answer) as a 500 page with the request id — never an empty list.
pub(crate) struct PageError(pub(crate) crate::problem::ApiError);

/// A page handler's answer.
pub(crate) type PageResult = Result<Response, PageError>;

impl<E: Into<crate::problem::ApiError>> From<E> for PageError {
    fn from(e: E) -> PageError {
        PageError(e.into())
    }
}

/// The mark a [`PageError`] leaves on its response for the middleware that renders it.
#[derive(Clone)]
pub(crate) struct PageFailure(pub(crate) crate::problem::ApiError);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if self.0.status().is_server_error() {
            tracing::error!(code = self.0.code(), error = ?self.0, "page failed");
        }
        let mut res = self.0.status().into_response();
        res.extensions_mut().insert(PageFailure(self.0));
        res
    }
}

/// The error page for a [`PageError`].
pub(crate) async fn failure_page(
    state: &AppState,
    prefs: Prefs,
    uri: &Uri,
    err: &crate::problem::ApiError,
    request_id: Option<String>,
) -> Response {
    let status = err.status();
    // A page this account may not open, or one that is not there; an expired form says so instead.
    if status == StatusCode::NOT_FOUND || (status == StatusCode::FORBIDDEN && err.code() != "form_expired") {
        return error_page(state, prefs, uri, status, request_id).await;
    }
    let server = status.is_server_error();
    let problem = (!server).then(|| crate::problem::problem_body(state, prefs.lang, err, "", None));
    let page = ErrorPage {
        // A refusal is named ("Request too large"); a failure is "something went wrong".
        title: match &problem {
            Some(p) => p.title.clone(),
            None => state.i18n.format(prefs.lang, "error_title", &[]),
        },
        body: state.i18n.format(prefs.lang, "error_body", &[]),
        detail: problem.map(|p| p.detail),
        // Every error page gives the reference the hotline can find the request by.
        request_id,
    };
    let mut res = render(state, prefs, uri, "error.html", status, page).await;
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(secs) = err.retry_after() {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

async fn error_page(
    state: &AppState,
    prefs: Prefs,
    uri: &Uri,
    status: StatusCode,
    request_id: Option<String>,
) -> Response {
    let (t, b) = match status {
        StatusCode::NOT_FOUND => ("not_found_title", "not_found_body"),
        StatusCode::FORBIDDEN => ("forbidden_title", "forbidden_body"),
        _ => ("error_title", "error_body"),
    };
    let page = ErrorPage {
        title: state.i18n.format(prefs.lang, t, &[]),
        body: state.i18n.format(prefs.lang, b, &[]),
        detail: None,
        request_id,
    };
    render(state, prefs, uri, "error.html", status, page).await
}

/// The request's id (set by the outermost layer), for the error page's reference.
fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The portal's 404 page (the router's fallback for non-API paths).
pub async fn not_found_page(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    error_page(
        &state,
        Prefs::from_headers(&headers),
        &uri,
        StatusCode::NOT_FOUND,
        request_id(&headers),
    )
    .await
}

/// The portal's 403 page: a page this account may not open.
pub async fn forbidden_page(state: &AppState, headers: &HeaderMap, uri: &Uri) -> Response {
    error_page(
        state,
        Prefs::from_headers(headers),
        uri,
        StatusCode::FORBIDDEN,
        request_id(headers),
    )
    .await
}

/// A 404 without state (unknown asset names).
pub fn not_found_page_default() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "404",
    )
}

/// A signed-in caller's page context, taken by the handler as an extractor: who they are, their language and
/// elderly mode, the CSRF token their forms carry, and the request's address and headers. Anyone not signed in
/// is sent to log in (see [`crate::access::SignedIn`]). The resident's, the entity handler's and the counter's
/// pages share it.
pub(crate) struct PageCtx {
    pub state: AppState,
    pub prefs: Prefs,
    pub uri: Uri,
    pub p: sscard_domain::account::Principal,
    pub csrf: String,
}

/// A page whose forms post back: it carries the session's CSRF token.
pub(crate) trait CsrfPage: Serialize {
    fn set_csrf(&mut self, csrf: String);
}

/// `CsrfPage` for page structs with a `csrf` field.
macro_rules! csrf_pages {
    ($($page:ty),*) => {
        $(impl $crate::portal::pages::CsrfPage for $page {
            fn set_csrf(&mut self, csrf: String) {
                self.csrf = csrf;
            }
        })*
    };
}
pub(crate) use csrf_pages;

impl axum::extract::FromRequestParts<AppState> for PageCtx {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &AppState) -> Result<PageCtx, Response> {
        let who = crate::access::SignedIn::from_request_parts(parts, state).await?;
        Ok(PageCtx {
            state: state.clone(),
            prefs: Prefs::from_headers(&parts.headers),
            uri: parts.uri.clone(),
            p: who.principal,
            csrf: who.csrf,
        })
    }
}

impl PageCtx {
    pub fn en(&self) -> bool {
        self.prefs.lang == Lang::En
    }

    pub fn m(&self, id: &str) -> String {
        self.state.i18n.format(self.prefs.lang, id, &[])
    }

    /// Renders a page for this caller; personal pages are never cached.
    pub async fn show<T: CsrfPage>(&self, template: &str, status: StatusCode, mut page: T) -> Response {
        page.set_csrf(self.csrf.clone());
        let mut res = render(&self.state, self.prefs, &self.uri, template, status, page).await;
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }

    /// Puts a refusal beside its field (and in the summary); the status to answer with.
    pub fn fail(
        &self,
        problems: &mut super::forms::FieldErrors,
        err: crate::problem::ApiError,
        first: &str,
    ) -> StatusCode {
        let status = if err.status().is_server_error() {
            err.status()
        } else {
            StatusCode::BAD_REQUEST
        };
        problems.add(&self.state, self.prefs.lang, &err, first);
        status
    }
}
