//! Portal pages for the signed-in account (SPEC §9, §11): "my account" (sessions, access log), logging out,
//! real-name authentication, and the staff console's home.

use std::collections::BTreeMap;

use axum::extract::{Multipart, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;
use sscard_app::auth::{self};

use super::forms::FieldErrors;
use super::login_pages::{clear_cookie, status_of};
use super::pages::{render, PageCtx, PageError, PageResult, Prefs};
use crate::access::{Caller, ClientMeta};
use crate::i18n::Lang;
use crate::problem::ApiError;
use crate::state::AppState;

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
    /// Whose record was read: 本人, or a child's name.
    whose: String,
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
    for e in access.iter().map(|l| &l.entry) {
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
            .map(|line| (line.ward, line.entry))
            .map(|(ward, e)| AccessRow {
                whose: ward.unwrap_or_else(|| msg("whose-self")),
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
    is_hotline_agent: bool,
    is_clerk: bool,
    is_admin: bool,
    /// The admin's warning: the working-day calendar ends within 60 days (load the next year).
    calendar_warning: Option<String>,
}

pub async fn staff_home(c: PageCtx) -> super::pages::PageResult {
    let (state, prefs, uri, p) = (&c.state, c.prefs, &c.uri, &c.p);
    let calendar_warning = if p.role() == sscard_domain::access::Role::Admin {
        let cal = sscard_app::calendar::status(&state.ctx).await?;
        cal.warning.then(|| {
            state.i18n.format(
                prefs.lang,
                "staff_calendar_warning",
                &[(
                    "last_day",
                    cal.last_day.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
                )],
            )
        })
    } else {
        None
    };
    let page = StaffPage {
        calendar_warning,
        csrf: c.csrf.clone(),
        display_name: p.account.display_name.clone(),
        role: state
            .i18n
            .format(prefs.lang, &format!("role-{}", p.role().as_str()), &[]),
        organisation: p.account.kind.organisation().unwrap_or_default(),
        is_bank_clerk: p.role() == sscard_domain::access::Role::BankClerk,
        is_hotline_agent: p.role() == sscard_domain::access::Role::HotlineAgent,
        is_admin: p.role() == sscard_domain::access::Role::Admin,
        is_clerk: matches!(
            p.role(),
            sscard_domain::access::Role::BankClerk | sscard_domain::access::Role::OutletClerk
        ),
    };
    Ok(render(state, prefs, uri, "staff.html", StatusCode::OK, page).await)
}
