//! Who may call what: the one table every route is checked against (SPEC §2, §9).
//!
//! [`identify`] turns the request's credentials into a [`Caller`] (API: bearer tokens only; portal: the
//! session cookie only, so a cookie can never drive the API across sites). [`authorize`] then looks the
//! matched route up in [`API_RULES`] or [`PORTAL_RULES`]: a route missing from its table is refused
//! (fail closed), so a new handler cannot be reached before someone decides who may reach it. Ownership of
//! records is checked in the use cases, which answer "not found" for anything outside the caller's reach.

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use futures::StreamExt;
use sscard_app::auth::Meta;
use sscard_app::ports::{SessionKind, SessionRecord};
use sscard_domain::access::Role;
use sscard_domain::account::Principal;

use crate::problem::ApiError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "sscard_session";

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Caller {
    /// No credentials, or credentials that name nothing live.
    Anonymous,
    /// A portal visitor with a pre-login session (it holds the login form's CSRF token and captchas).
    Visitor { session: SessionRecord },
    /// A logged-in account.
    User {
        session: SessionRecord,
        principal: Box<Principal>,
    },
}

impl Caller {
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Caller::User { principal, .. } => Some(principal),
            _ => None,
        }
    }
    pub fn session(&self) -> Option<&SessionRecord> {
        match self {
            Caller::Visitor { session } | Caller::User { session, .. } => Some(session),
            Caller::Anonymous => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    /// Any logged-in account of these roles.
    Roles(&'static [Role]),
}

use Role::*;

const ANY_ACCOUNT: &[Role] = &Role::ALL;
const PEOPLE: &[Role] = &[Resident, EntityHandler, BankClerk, OutletClerk, HotlineAgent, Admin];
const RESIDENT: &[Role] = &[Resident];
const ADMIN: &[Role] = &[Admin];
const HANDLER: &[Role] = &[EntityHandler];
/// Who completes an application: a resident online, a clerk one taken at their counter.
const APPLICANTS: &[Role] = &[Resident, BankClerk, OutletClerk];

/// Every API route: method, path template, who may call it.
pub const API_RULES: &[(Method, &str, Access)] = &[
    (Method::GET, "/healthz", Access::Public),
    (Method::GET, "/readyz", Access::Public),
    (Method::GET, "/api/v1/openapi.json", Access::Public),
    (Method::GET, "/api/v1/reference/districts", Access::Public),
    (Method::GET, "/api/v1/reference/ethnic-groups", Access::Public),
    (Method::GET, "/api/v1/reference/nationalities", Access::Public),
    (Method::GET, "/api/v1/reference/occupations", Access::Public),
    (Method::GET, "/api/v1/reference/guardian-relationships", Access::Public),
    (Method::GET, "/api/v1/reference/banks", Access::Public),
    (Method::GET, "/api/v1/reference/branches", Access::Public),
    (Method::GET, "/api/v1/reference/outlets", Access::Public),
    (Method::GET, "/api/v1/reference/services", Access::Public),
    // Logging in: public, but the channel client authenticates itself (HTTP Basic) inside each.
    (Method::POST, "/api/v1/auth/captchas", Access::Public),
    (Method::POST, "/api/v1/auth/login", Access::Public),
    (Method::POST, "/api/v1/auth/sms-codes", Access::Public),
    (Method::POST, "/api/v1/auth/sms-login", Access::Public),
    (Method::POST, "/api/v1/auth/register", Access::Public),
    (Method::POST, "/api/v1/auth/token", Access::Public),
    (Method::POST, "/api/v1/auth/logout", Access::Roles(ANY_ACCOUNT)),
    (Method::GET, "/api/v1/me", Access::Roles(ANY_ACCOUNT)),
    (Method::GET, "/api/v1/me/sessions", Access::Roles(ANY_ACCOUNT)),
    (Method::DELETE, "/api/v1/me/sessions", Access::Roles(ANY_ACCOUNT)),
    (Method::GET, "/api/v1/me/access-log", Access::Roles(RESIDENT)),
    (Method::POST, "/api/v1/me/real-name", Access::Roles(RESIDENT)),
    (Method::GET, "/api/v1/persons/{id_number}", Access::Roles(PEOPLE)),
    (Method::POST, "/api/v1/admin/accounts", Access::Roles(ADMIN)),
    (Method::GET, "/api/v1/admin/accounts", Access::Roles(ADMIN)),
    (
        Method::PUT,
        "/api/v1/admin/accounts/{id}/password",
        Access::Roles(ADMIN),
    ),
    (Method::PUT, "/api/v1/admin/accounts/{id}/binding", Access::Roles(ADMIN)),
    (
        Method::PUT,
        "/api/v1/admin/accounts/{id}/disabled",
        Access::Roles(ADMIN),
    ),
    (Method::POST, "/api/v1/admin/clients", Access::Roles(ADMIN)),
    (Method::GET, "/api/v1/admin/audit", Access::Roles(ADMIN)),
    (Method::POST, "/api/v1/admin/cases/lookup", Access::Roles(ADMIN)),
    (Method::GET, "/api/v1/admin/channel-suspensions", Access::Roles(ADMIN)),
    (
        Method::PUT,
        "/api/v1/admin/channel-suspensions/{service}/{channel}",
        Access::Roles(ADMIN),
    ),
    (Method::GET, "/api/v1/admin/reference/{kind}", Access::Roles(ADMIN)),
    (
        Method::GET,
        "/api/v1/admin/reference/{kind}/{code}",
        Access::Roles(ADMIN),
    ),
    (
        Method::PUT,
        "/api/v1/admin/reference/{kind}/{code}",
        Access::Roles(ADMIN),
    ),
    (Method::GET, "/api/v1/admin/reports/sla", Access::Roles(ADMIN)),
    (Method::GET, "/api/v1/admin/reports/sla.csv", Access::Roles(ADMIN)),
    (Method::GET, "/api/v1/admin/reports/applications", Access::Roles(ADMIN)),
    (Method::GET, "/api/v1/admin/reports/{report}", Access::Roles(ADMIN)),
    (Method::GET, "/api/v1/admin/reports/{report}/csv", Access::Roles(ADMIN)),
    (
        Method::GET,
        "/api/v1/admin/reports/applications.csv",
        Access::Roles(ADMIN),
    ),
    (Method::PUT, "/api/v1/admin/openings/{category}", Access::Roles(ADMIN)),
    (Method::GET, "/api/v1/admin/openings", Access::Roles(ADMIN)),
    (Method::GET, "/api/v1/admin/imports", Access::Roles(ADMIN)),
    (Method::POST, "/api/v1/admin/imports/{kind}", Access::Roles(ADMIN)),
    (Method::GET, "/api/v1/admin/imports/{kind}/{id}", Access::Roles(ADMIN)),
    (
        Method::GET,
        "/api/v1/admin/imports/{kind}/{id}/rejections.csv",
        Access::Roles(ADMIN),
    ),
    (Method::GET, "/api/v1/admin/calendar", Access::Roles(ADMIN)),
    (Method::PUT, "/api/v1/admin/calendar", Access::Roles(ADMIN)),
    (Method::GET, "/api/v1/admin/campaign", Access::Roles(ADMIN)),
    (Method::PUT, "/api/v1/admin/campaign", Access::Roles(ADMIN)),
    (
        Method::PUT,
        "/api/v1/admin/banks/{code}/online-replacement",
        Access::Roles(ADMIN),
    ),
    (
        Method::POST,
        "/api/v1/applications/eligibility",
        Access::Roles(RESIDENT),
    ),
    (Method::POST, "/api/v1/applications", Access::Roles(RESIDENT)),
    (Method::GET, "/api/v1/applications", Access::Roles(RESIDENT)),
    // A clerk completes the applications they took at the counter (their own, as applicant: nobody else's).
    (Method::GET, "/api/v1/applications/{id}", Access::Roles(APPLICANTS)),
    (Method::PATCH, "/api/v1/applications/{id}", Access::Roles(APPLICANTS)),
    (
        Method::PUT,
        "/api/v1/applications/{id}/documents/{kind}",
        Access::Roles(APPLICANTS),
    ),
    (
        Method::GET,
        "/api/v1/applications/{id}/documents/{kind}",
        Access::Roles(APPLICANTS),
    ),
    (
        Method::POST,
        "/api/v1/applications/{id}/submit",
        Access::Roles(APPLICANTS),
    ),
    (
        Method::POST,
        "/api/v1/counter/applications",
        Access::Roles(&[Role::BankClerk, Role::OutletClerk]),
    ),
    (
        Method::POST,
        "/api/v1/applications/{id}/withdraw",
        Access::Roles(RESIDENT),
    ),
    (Method::GET, "/api/v1/applications/{id}/events", Access::Roles(RESIDENT)),
    (
        Method::PATCH,
        "/api/v1/applications/{id}/minor",
        Access::Roles(RESIDENT),
    ),
    (Method::POST, "/api/v1/children/lookup", Access::Roles(RESIDENT)),
    (Method::POST, "/api/v1/children/applications", Access::Roles(RESIDENT)),
    (Method::GET, "/api/v1/children", Access::Roles(RESIDENT)),
    (Method::GET, "/api/v1/me/cards", Access::Roles(RESIDENT)),
    (Method::GET, "/api/v1/me/cards/{number}", Access::Roles(RESIDENT)),
    (
        Method::POST,
        "/api/v1/me/cards/{number}/activation",
        Access::Roles(RESIDENT),
    ),
    (
        Method::POST,
        "/api/v1/me/cards/{number}/temporary-loss",
        Access::Roles(RESIDENT),
    ),
    (
        Method::PUT,
        "/api/v1/me/cards/{number}/password",
        Access::Roles(RESIDENT),
    ),
    (
        Method::POST,
        "/api/v1/me/cards/{number}/password/reset-code",
        Access::Roles(RESIDENT),
    ),
    (
        Method::POST,
        "/api/v1/me/cards/{number}/password/reset",
        Access::Roles(RESIDENT),
    ),
    (Method::POST, "/api/v1/me/proxy-authorisations", Access::Roles(RESIDENT)),
    (Method::PATCH, "/api/v1/me/cards/{number}/info", Access::Roles(RESIDENT)),
    (
        Method::POST,
        "/api/v1/me/cards/{number}/services/{service}",
        Access::Roles(RESIDENT),
    ),
    (Method::GET, "/api/v1/me/proxy-authorisations", Access::Roles(RESIDENT)),
    (
        Method::POST,
        "/api/v1/counter/card-searches",
        Access::Roles(&[Role::BankClerk, Role::OutletClerk]),
    ),
    (
        Method::POST,
        "/api/v1/counter/cards/{number}/services/{service}",
        Access::Roles(&[Role::BankClerk, Role::OutletClerk]),
    ),
    (
        Method::POST,
        "/api/v1/counter/cards/{number}/replacement",
        Access::Roles(&[Role::BankClerk, Role::OutletClerk]),
    ),
    (
        Method::POST,
        "/api/v1/me/cards/{number}/replacement",
        Access::Roles(RESIDENT),
    ),
    (
        Method::POST,
        "/api/v1/hotline/searches",
        Access::Roles(&[Role::HotlineAgent]),
    ),
    (
        Method::POST,
        "/api/v1/hotline/cards/{number}/services/{service}",
        Access::Roles(&[Role::HotlineAgent]),
    ),
    (
        Method::POST,
        "/api/v1/applications/{id}/confirm",
        Access::Roles(RESIDENT),
    ),
    (Method::GET, "/api/v1/entity/collective", Access::Roles(HANDLER)),
    (Method::PUT, "/api/v1/entity/collective", Access::Roles(HANDLER)),
    (Method::GET, "/api/v1/entity/collective/history", Access::Roles(HANDLER)),
    (Method::GET, "/api/v1/entity/employees", Access::Roles(HANDLER)),
    (Method::GET, "/api/v1/entity/employees/counts", Access::Roles(HANDLER)),
    (Method::GET, "/api/v1/entity/employees.csv", Access::Roles(HANDLER)),
    (Method::GET, "/api/v1/entity/applications/{id}", Access::Roles(HANDLER)),
    (Method::POST, "/api/v1/entity/submissions", Access::Roles(HANDLER)),
    (Method::GET, "/api/v1/entity/cards", Access::Roles(HANDLER)),
    (Method::GET, "/api/v1/counter/cards", Access::Roles(&[Role::BankClerk])),
    (
        Method::POST,
        "/api/v1/counter/cards/{number}/collect",
        Access::Roles(&[Role::BankClerk]),
    ),
    (
        Method::POST,
        "/api/v1/entity/cards/{id}/handover",
        Access::Roles(HANDLER),
    ),
    (Method::POST, "/api/v1/entity/cards/{id}/return", Access::Roles(HANDLER)),
    (
        Method::POST,
        "/api/v1/bank/orders/pull",
        Access::Roles(&[Role::BankSystem]),
    ),
    (
        Method::GET,
        "/api/v1/bank/orders/{id}",
        Access::Roles(&[Role::BankSystem]),
    ),
    (
        Method::POST,
        "/api/v1/bank/orders/ack",
        Access::Roles(&[Role::BankSystem]),
    ),
    (
        Method::POST,
        "/api/v1/bank/orders/pull.csv",
        Access::Roles(&[Role::BankSystem]),
    ),
    (
        Method::POST,
        "/api/v1/bank/orders/{id}/reports",
        Access::Roles(&[Role::BankSystem]),
    ),
    (
        Method::POST,
        "/api/v1/bank/card-events/pull",
        Access::Roles(&[Role::BankSystem]),
    ),
    (
        Method::POST,
        "/api/v1/bank/card-events/ack",
        Access::Roles(&[Role::BankSystem]),
    ),
    (
        Method::POST,
        "/api/v1/bank/cards/{number}/financial",
        Access::Roles(&[Role::BankSystem]),
    ),
];

const STAFF: &[Role] = &[BankClerk, OutletClerk, HotlineAgent, Admin];

/// Every portal route.
pub const PORTAL_RULES: &[(Method, &str, Access)] = &[
    (Method::GET, "/", Access::Public),
    (Method::GET, "/branches", Access::Public),
    (Method::GET, "/preferences", Access::Public),
    (Method::GET, "/assets/{file}", Access::Public),
    (Method::GET, "/login", Access::Public),
    (Method::POST, "/login", Access::Public),
    (Method::GET, "/login/sms", Access::Public),
    (Method::POST, "/login/sms", Access::Public),
    (Method::POST, "/login/sms/code", Access::Public),
    (Method::GET, "/register", Access::Public),
    (Method::POST, "/register", Access::Public),
    (Method::POST, "/register/code", Access::Public),
    (Method::GET, "/staff/login", Access::Public),
    (Method::GET, "/entity/login", Access::Public),
    (Method::POST, "/entity/login", Access::Public),
    (Method::POST, "/staff/login", Access::Public),
    (Method::GET, "/login/oidc/{provider}", Access::Public),
    (Method::GET, "/login/oidc/{provider}/callback", Access::Public),
    (Method::POST, "/logout", Access::Roles(ANY_ACCOUNT)),
    (Method::GET, "/account", Access::Roles(ANY_ACCOUNT)),
    (Method::POST, "/account/sessions/revoke-all", Access::Roles(ANY_ACCOUNT)),
    (Method::GET, "/account/real-name", Access::Roles(RESIDENT)),
    (Method::POST, "/account/real-name", Access::Roles(RESIDENT)),
    (Method::GET, "/staff", Access::Roles(STAFF)),
    (Method::GET, "/admin", Access::Roles(ADMIN)),
    (Method::GET, "/admin/imports", Access::Roles(ADMIN)),
    (Method::GET, "/admin/cases", Access::Roles(ADMIN)),
    (Method::POST, "/admin/cases", Access::Roles(ADMIN)),
    (Method::GET, "/admin/reference", Access::Roles(ADMIN)),
    (Method::GET, "/admin/accounts", Access::Roles(ADMIN)),
    (Method::POST, "/admin/accounts", Access::Roles(ADMIN)),
    (Method::GET, "/admin/accounts/{id}", Access::Roles(ADMIN)),
    (Method::POST, "/admin/accounts/{id}/disabled", Access::Roles(ADMIN)),
    (Method::POST, "/admin/accounts/{id}/password", Access::Roles(ADMIN)),
    (Method::POST, "/admin/accounts/{id}/binding", Access::Roles(ADMIN)),
    (Method::GET, "/admin/reference/{kind}/{code}", Access::Roles(ADMIN)),
    (Method::POST, "/admin/reference/{kind}/{code}", Access::Roles(ADMIN)),
    (Method::GET, "/admin/openings", Access::Roles(ADMIN)),
    (Method::GET, "/admin/policy", Access::Roles(ADMIN)),
    (Method::POST, "/admin/policy/campaign", Access::Roles(ADMIN)),
    (Method::POST, "/admin/policy/channels", Access::Roles(ADMIN)),
    (Method::POST, "/admin/openings/{category}", Access::Roles(ADMIN)),
    (Method::GET, "/admin/reports/applications", Access::Roles(ADMIN)),
    (Method::GET, "/admin/reports/applications.csv", Access::Roles(ADMIN)),
    (Method::GET, "/admin/reports/{report}", Access::Roles(ADMIN)),
    (Method::GET, "/admin/reports/{report}/csv", Access::Roles(ADMIN)),
    (Method::POST, "/admin/imports/upload", Access::Roles(ADMIN)),
    (Method::GET, "/admin/imports/{kind}/{id}", Access::Roles(ADMIN)),
    (
        Method::GET,
        "/admin/imports/{kind}/{id}/rejections.csv",
        Access::Roles(ADMIN),
    ),
    (Method::GET, "/staff/counter", Access::Roles(&[Role::BankClerk])),
    (Method::POST, "/staff/counter", Access::Roles(&[Role::BankClerk])),
    (
        Method::POST,
        "/staff/counter/cards/{number}/collect",
        Access::Roles(&[Role::BankClerk]),
    ),
    (Method::GET, "/apply", Access::Roles(RESIDENT)),
    (Method::POST, "/apply", Access::Roles(RESIDENT)),
    (Method::GET, "/apply/child", Access::Roles(RESIDENT)),
    (Method::POST, "/apply/child", Access::Roles(RESIDENT)),
    (Method::GET, "/apply/{id}/documents", Access::Roles(RESIDENT)),
    (Method::POST, "/apply/{id}/documents", Access::Roles(RESIDENT)),
    (Method::GET, "/apply/{id}/{step}", Access::Roles(RESIDENT)),
    (Method::POST, "/apply/{id}/{step}", Access::Roles(RESIDENT)),
    (Method::GET, "/applications", Access::Roles(RESIDENT)),
    (Method::GET, "/services", Access::Public),
    (Method::GET, "/cards", Access::Roles(RESIDENT)),
    (Method::GET, "/cards/proxy", Access::Roles(RESIDENT)),
    (Method::POST, "/cards/proxy", Access::Roles(RESIDENT)),
    (Method::GET, "/staff/cards", Access::Roles(&[BankClerk, OutletClerk])),
    (Method::POST, "/staff/cards", Access::Roles(&[BankClerk, OutletClerk])),
    (
        Method::POST,
        "/staff/cards/{number}",
        Access::Roles(&[BankClerk, OutletClerk]),
    ),
    (Method::GET, "/staff/hotline", Access::Roles(&[HotlineAgent])),
    (Method::POST, "/staff/hotline", Access::Roles(&[HotlineAgent])),
    (
        Method::POST,
        "/staff/hotline/cards/{number}",
        Access::Roles(&[HotlineAgent]),
    ),
    (Method::POST, "/cards/{number}/activation", Access::Roles(RESIDENT)),
    (Method::GET, "/cards/{number}/loss", Access::Roles(RESIDENT)),
    (Method::POST, "/cards/{number}/loss", Access::Roles(RESIDENT)),
    (Method::GET, "/cards/{number}/password", Access::Roles(RESIDENT)),
    (Method::GET, "/cards/{number}/info", Access::Roles(RESIDENT)),
    (Method::POST, "/cards/{number}/info", Access::Roles(RESIDENT)),
    (Method::GET, "/cards/{number}/replacement", Access::Roles(RESIDENT)),
    (Method::POST, "/cards/{number}/replacement", Access::Roles(RESIDENT)),
    (
        Method::POST,
        "/staff/cards/{number}/replacement",
        Access::Roles(&[BankClerk, OutletClerk]),
    ),
    (Method::POST, "/cards/{number}/password", Access::Roles(RESIDENT)),
    (
        Method::POST,
        "/cards/{number}/password/reset-code",
        Access::Roles(RESIDENT),
    ),
    (Method::POST, "/cards/{number}/password/reset", Access::Roles(RESIDENT)),
    (Method::GET, "/children", Access::Roles(RESIDENT)),
    (Method::GET, "/applications/{id}", Access::Roles(RESIDENT)),
    (Method::POST, "/applications/{id}/withdraw", Access::Roles(RESIDENT)),
    (Method::GET, "/entity", Access::Roles(HANDLER)),
    (Method::GET, "/entity/collective", Access::Roles(HANDLER)),
    (Method::POST, "/entity/collective", Access::Roles(HANDLER)),
    (Method::GET, "/entity/employees", Access::Roles(HANDLER)),
    (Method::GET, "/entity/employees.csv", Access::Roles(HANDLER)),
    (Method::POST, "/entity/submissions", Access::Roles(HANDLER)),
    (Method::GET, "/entity/cards", Access::Roles(HANDLER)),
    (Method::POST, "/entity/cards/{id}/{action}", Access::Roles(HANDLER)),
];

pub fn rule(table: &[(Method, &str, Access)], method: &Method, path: &str) -> Option<Access> {
    // HEAD is answered like GET.
    let method = if method == Method::HEAD { &Method::GET } else { method };
    table
        .iter()
        .find(|(m, p, _)| m == method && *p == path)
        .map(|(_, _, a)| *a)
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

pub fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/") || path == "/healthz" || path == "/readyz"
}

/// Resolves the caller once per request and stores it in the request's extensions. Assets and the
/// operational endpoints need no caller: they are served without a database look-up.
pub async fn identify(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/assets/") || matches!(path, "/healthz" | "/readyz" | "/metrics") {
        req.extensions_mut().insert(Caller::Anonymous);
        return next.run(req).await;
    }
    let api = is_api_path(req.uri().path());
    let (secret, kind) = if api {
        (bearer(req.headers()).map(str::to_string), SessionKind::Bearer)
    } else {
        (
            cookie(req.headers(), SESSION_COOKIE).map(str::to_string),
            SessionKind::Cookie,
        )
    };
    let caller = match secret {
        None => Caller::Anonymous,
        Some(secret) => match sscard_app::auth::resolve(&state.ctx, &secret, kind).await {
            Ok(None) => Caller::Anonymous,
            Ok(Some((session, None))) => Caller::Visitor { session },
            Ok(Some((session, Some(principal)))) => Caller::User {
                session,
                principal: Box::new(principal),
            },
            Err(e) => return ApiError::from(e).into_response(),
        },
    };
    req.extensions_mut().insert(caller);
    next.run(req).await
}

/// Sends a signed-out visitor to the door for the page they asked for (staff pages to the staff door), to come
/// back to that page after logging in.
pub fn to_login(uri: &axum::http::Uri) -> Response {
    let target = uri.path_and_query().map_or("/", |p| p.as_str());
    let path = uri.path();
    let login = if path == "/staff" || path.starts_with("/staff/") {
        "/staff/login"
    } else if path == "/entity" || path.starts_with("/entity/") {
        "/entity/login"
    } else {
        "/login"
    };
    let next = url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>();
    Redirect::to(&format!("{login}?next={next}")).into_response()
}

/// Checks the matched route against its table. Runs as a route layer, after routing.
pub async fn authorize(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string());
    let api = is_api_path(req.uri().path());
    let table = if api { API_RULES } else { PORTAL_RULES };
    let Some(access) = path.as_deref().and_then(|p| rule(table, req.method(), p)) else {
        let known_path = path.as_deref().is_some_and(|p| table.iter().any(|(_, tp, _)| *tp == p));
        if known_path {
            // Another method of a listed path: answered 405 here, so no handler ever runs without a rule.
            return ApiError::MethodNotAllowed.into_response();
        }
        tracing::error!(path = ?path, "route has no access rule; refused");
        return ApiError::rule(StatusCode::FORBIDDEN, "forbidden").into_response();
    };
    let caller = req.extensions().get::<Caller>().cloned().unwrap_or(Caller::Anonymous);
    if let Access::Roles(roles) = access {
        match caller.principal() {
            None if api => {
                let mut res = ApiError::rule(StatusCode::UNAUTHORIZED, "unauthenticated").into_response();
                res.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
                return res;
            }
            None => return to_login(req.uri()),
            Some(p) if !roles.contains(&p.role()) => {
                return if api {
                    ApiError::rule(StatusCode::FORBIDDEN, "forbidden").into_response()
                } else {
                    crate::portal::forbidden_page(&state, req.headers(), req.uri()).await
                };
            }
            Some(_) => {}
        }
    }
    next.run(req).await
}

/// The logged-in principal of a route that requires one. `authorize` has already refused anonymous callers;
/// this extractor refuses again rather than assume.
#[derive(Debug, Clone)]
pub struct Authed(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Authed {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Authed, ApiError> {
        match parts.extensions.get::<Caller>() {
            Some(Caller::User { principal, .. }) => Ok(Authed(principal.as_ref().clone())),
            _ => Err(ApiError::rule(StatusCode::UNAUTHORIZED, "unauthenticated")),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Caller, std::convert::Infallible> {
        Ok(parts.extensions.get::<Caller>().cloned().unwrap_or(Caller::Anonymous))
    }
}

/// A signed-in caller of a portal page: who they are and their session's CSRF token. Anyone else is sent to log
/// in and brought back (the access table already does so before any handler runs; this is the belt to its
/// braces, so a handler never has to ask).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub principal: Principal,
    pub csrf: String,
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<SignedIn, Response> {
        match parts.extensions.get::<Caller>() {
            Some(Caller::User { session, principal }) => Ok(SignedIn {
                principal: principal.as_ref().clone(),
                csrf: session.csrf.clone(),
            }),
            _ => Err(to_login(&parts.uri)),
        }
    }
}

/// The client's address, worked out once per request by [`client_address`].
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub std::net::IpAddr);

/// The client's address: the TCP peer, unless the peer is a trusted proxy, in which case `X-Forwarded-For` is
/// read from the right (each trusted proxy appended the address it saw) and the first address that is not a
/// trusted proxy is the client. With no trusted proxy configured, the header is never read.
pub fn client_ip(peer: std::net::IpAddr, forwarded_for: &[&str], trusted: &[ipnet::IpNet]) -> std::net::IpAddr {
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops = forwarded_for
        .iter()
        .flat_map(|h| h.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        // A hop that is not an address: the chain before it cannot be believed; stop at the last good one.
        let Ok(ip) = hop.parse::<std::net::IpAddr>() else { break };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

pub async fn client_address(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if let Some(peer) = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
    {
        let forwarded: Vec<&str> = if state.config.trusted_proxies.is_empty() {
            Vec::new()
        } else {
            req.headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect()
        };
        let ip = client_ip(peer, &forwarded, &state.config.trusted_proxies);
        req.extensions_mut().insert(ClientAddr(ip));
    }
    next.run(req).await
}

/// The request's `Idempotency-Key` (at most 100 characters kept), so a retry is recognised.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<IdempotencyKey, std::convert::Infallible> {
        Ok(IdempotencyKey(
            parts
                .headers
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(|k| k.chars().take(100).collect()),
        ))
    }
}

/// The request's origin for the audit log and per-address limits.
#[derive(Debug, Clone)]
pub struct ClientMeta(pub Meta);

impl<S: Send + Sync> FromRequestParts<S> for ClientMeta {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientMeta, std::convert::Infallible> {
        let ip = parts.extensions.get::<ClientAddr>().map(|c| c.0.to_string());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(200).collect());
        Ok(ClientMeta(Meta { ip, user_agent }))
    }
}

/// Portal forms: every POST must carry the session's CSRF token as a `csrf` form field (also in a multipart
/// upload: never in the URL, where logs and referrers would keep it). SameSite=Lax cookies are the first
/// defence; this is the second.
pub async fn check_csrf(req: Request, next: Next) -> Response {
    if req.method() != Method::POST || is_api_path(req.uri().path()) {
        return next.run(req).await;
    }
    let expected = req
        .extensions()
        .get::<Caller>()
        .and_then(|c| c.session())
        .map(|s| s.csrf.clone());
    let Some(expected) = expected else {
        return csrf_refused();
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let boundary = multer::parse_boundary(&content_type).ok();
    if !content_type.starts_with("application/x-www-form-urlencoded") && boundary.is_none() {
        return csrf_refused();
    }
    let (parts, body) = req.into_parts();
    let Some(boundary) = boundary else {
        // The body is bounded by the request body limit (an over-long one is 413 here, as it would be later).
        let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
            return ApiError::PayloadTooLarge.into_response();
        };
        let given = url::form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.into_owned());
        if given.as_deref() != Some(expected.as_str()) {
            return csrf_refused();
        }
        return next
            .run(Request::from_parts(parts, axum::body::Body::from(bytes)))
            .await;
    };
    // A multipart form's token comes first (every form puts it there), so only the body's first bytes are read
    // for it and the rest streams on to the handler untouched: an import file is never held whole.
    let mut stream = body.into_data_stream();
    let mut head = Vec::new();
    let mut ended = false;
    while head.len() < CSRF_PREFIX {
        match stream.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            Some(Err(_)) => return ApiError::PayloadTooLarge.into_response(),
            None => {
                ended = true;
                break;
            }
        }
    }
    let mut given = multipart_field(head.clone().into(), boundary.clone(), "csrf").await;
    if given.is_none() && !ended && !STREAMED_FORMS.contains(&parts.uri.path()) {
        // A form that put its token last: read it whole (the ordinary body limit bounds it).
        let Ok(rest) = axum::body::to_bytes(axum::body::Body::from_stream(stream), usize::MAX).await else {
            return ApiError::PayloadTooLarge.into_response();
        };
        head.extend_from_slice(&rest);
        given = multipart_field(head.clone().into(), boundary, "csrf").await;
        stream = axum::body::Body::empty().into_data_stream();
    }
    if given.as_deref() != Some(expected.as_str()) {
        return csrf_refused();
    }
    let head = futures::stream::once(async move { Ok::<_, axum::Error>(axum::body::Bytes::from(head)) });
    let body = axum::body::Body::from_stream(head.chain(stream));
    next.run(Request::from_parts(parts, body)).await
}

/// How much of a multipart body is read for its token before the rest streams on.
const CSRF_PREFIX: usize = 64 * 1024;
/// Forms whose bodies are too large to read whole for a token placed last: theirs must come first.
const STREAMED_FORMS: &[&str] = &["/admin/imports/upload"];

/// The text of a multipart form's field, if there is one.
async fn multipart_field(bytes: axum::body::Bytes, boundary: String, name: &str) -> Option<String> {
    let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(bytes) });
    let mut form = multer::Multipart::new(stream, boundary);
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some(name) {
            return field.text().await.ok();
        }
    }
    None
}

/// The form's token is missing or stale: the portal's page says so in the visitor's language.
fn csrf_refused() -> Response {
    crate::portal::pages::PageError(ApiError::rule(StatusCode::FORBIDDEN, "form_expired")).into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::client_ip;

    #[test]
    fn the_client_address_is_believed_only_from_trusted_proxies() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let lb: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // No trusted proxy: the header is anybody's word.
        assert_eq!(client_ip(ip("203.0.113.9"), &["1.2.3.4"], &[]), ip("203.0.113.9"));
        // A peer that is not a trusted proxy: the same.
        assert_eq!(client_ip(ip("203.0.113.9"), &["1.2.3.4"], &lb), ip("203.0.113.9"));
        // Through the balancer: the address it saw, not what the client wrote before it.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &["6.6.6.6, 198.51.100.7"], &lb),
            ip("198.51.100.7")
        );
        // Two trusted hops, and two header lines.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &["198.51.100.7", "10.0.0.5"], &lb),
            ip("198.51.100.7")
        );
        // Garbage in the chain stops the walk at the last address believed.
        assert_eq!(client_ip(ip("10.0.0.2"), &["nonsense"], &lb), ip("10.0.0.2"));
        assert_eq!(client_ip(ip("10.0.0.2"), &[], &lb), ip("10.0.0.2"));
    }
}
