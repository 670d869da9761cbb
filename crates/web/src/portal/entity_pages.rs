//! The entity handler's pages (SPEC §6, seed 000): a dashboard with counts, the collective-application
//! settings (单位开通集体申请), the employee list with filters, search and paging (职工申请情况查询), and
//! select-and-submit (职工申请信息提交) with the batch result. Every rule is the use case's, as in the API.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::Query;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;
use sscard_app::applications::ApplyError;
use sscard_app::collective::{self, Selection, SettingsIn};
use sscard_app::ports::BranchFilter;
use sscard_domain::collective::EmployeeStatus;

use super::forms::FieldErrors;
use super::pages::{csrf_pages, PageCtx, PageError, PageResult};
use crate::api::collective::{csv_cell, employee_query, EmployeeParams};
use crate::problem::ApiError;

#[derive(Serialize, Clone)]
struct Opt {
    code: String,
    name: String,
    selected: bool,
}

#[derive(Serialize, Clone)]
struct EmployeeLine {
    name: String,
    id_number: String,
    employed: bool,
    status: String,
    status_name: String,
    application: Option<String>,
    reference: String,
    selectable: bool,
}

#[derive(Serialize, Clone)]
struct CountRow {
    status: String,
    name: String,
    count: u64,
}

#[derive(Serialize, Clone)]
struct HeldRow {
    application: String,
    name: String,
    id_number: String,
    reference: String,
    delivered_on: String,
    return_by: String,
    overdue: bool,
}

#[derive(Serialize, Clone)]
struct BatchLineRow {
    id_number: String,
    reference: String,
    reason: String,
}

/// `entity.html`: the entity, its settings, and how many employees are in each status.
#[derive(Serialize, Default)]
struct DashboardPage {
    csrf: String,
    entity_name: String,
    uscc: String,
    configured: bool,
    open: bool,
    entity_collects: bool,
    contact_name: String,
    branches: Vec<String>,
    counts: Vec<CountRow>,
    total: u64,
    notice: Option<String>,
}

/// `entity_settings.html`: the settings form, every branch a checkbox.
#[derive(Serialize, Default)]
struct SettingsPage {
    csrf: String,
    entity_name: String,
    uscc: String,
    values: BTreeMap<String, String>,
    branch_groups: Vec<BranchGroup>,
    #[serde(flatten)]
    problems: FieldErrors,
}

/// One bank's branches in the settings form.
#[derive(Serialize)]
struct BranchGroup {
    bank: String,
    name: String,
    branches: Vec<Opt>,
    chosen: usize,
}

/// `entity_employees.html`: the employee list with its filters, paging and selection.
#[derive(Serialize, Default)]
struct EmployeesPage {
    csrf: String,
    values: BTreeMap<String, String>,
    #[serde(flatten)]
    problems: FieldErrors,
    statuses: Vec<Opt>,
    employees: Vec<EmployeeLine>,
    next: Option<String>,
    query: String,
    /// The submission form's idempotency key: the same form sent twice (a double click, a retry after a lost
    /// answer) submits once and shows the first answer.
    batch_key: String,
}

/// `entity_submitted.html`: what a batch submitted and what it skipped.
#[derive(Serialize, Default)]
struct SubmittedPage {
    csrf: String,
    #[serde(flatten)]
    problems: FieldErrors,
    submitted: Vec<BatchLineRow>,
    skipped: Vec<BatchLineRow>,
    due_on: String,
    replayed: bool,
}

/// `entity_cards.html`: the cards the entity holds.
#[derive(Serialize, Default)]
struct CardsPage {
    csrf: String,
    #[serde(flatten)]
    problems: FieldErrors,
    held: Vec<HeldRow>,
}

csrf_pages!(DashboardPage, SettingsPage, EmployeesPage, SubmittedPage, CardsPage);

/// The name of an employee's status in the caller's language.
fn status_name(c: &PageCtx, s: EmployeeStatus) -> String {
    match s {
        EmployeeStatus::NotConfirmed | EmployeeStatus::Confirmed => c.m(&format!("status-{}", s.as_str())),
        EmployeeStatus::Application(st) => c.m(&format!("state-{}", st.as_str())),
    }
}

/// The dashboard: the entity, its settings, and how many employees are in each status.
#[derive(serde::Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn dashboard(c: PageCtx, Query(saved): Query<SavedQuery>) -> PageResult {
    let view = collective::view(&c.state.ctx, &c.p).await?;
    let counts = collective::counts(&c.state.ctx, &c.p).await?;
    let mut page = DashboardPage {
        entity_name: view.entity.name.clone(),
        uscc: view.entity.uscc.as_str().into(),
        total: counts.iter().map(|(_, n)| n).sum(),
        counts: counts
            .iter()
            .map(|(s, n)| CountRow {
                status: s.as_str().into(),
                name: status_name(&c, *s),
                count: *n,
            })
            .collect(),
        notice: saved.saved.map(|_| c.m("entity_saved")),
        ..DashboardPage::default()
    };
    if let Some(s) = &view.settings {
        page.configured = true;
        page.open = s.open;
        page.entity_collects = s.entity_collects;
        page.contact_name = s.contact_name.as_str().into();
        page.branches = branch_names(&c, &s.branches.iter().map(|b| b.branch.clone()).collect::<Vec<_>>()).await?;
    }
    Ok(c.show("entity.html", StatusCode::OK, page).await)
}

async fn branch_names(c: &PageCtx, codes: &[String]) -> Result<Vec<String>, ApiError> {
    let all = sscard_app::reference::branches(&c.state.ctx, &BranchFilter::default()).await?;
    Ok(codes
        .iter()
        .map(|code| {
            all.iter()
                .find(|b| &b.code == code)
                .map(|b| format!("{} {}", bank_name(c, &b.bank), b.name))
                .unwrap_or_else(|| code.clone())
        })
        .collect())
}

fn bank_name(c: &PageCtx, code: &str) -> String {
    c.state
        .ctx
        .codes
        .bank(code)
        .map(|b| if c.en() { b.name_en.clone() } else { b.name_zh.clone() })
        .unwrap_or_else(|| code.to_string())
}

/// The settings form, with what was typed (or stored) and every branch as a checkbox, grouped by bank (a group
/// opens by itself when it holds a chosen branch), each branch named with its district and address.
async fn settings_form(c: &PageCtx, page: &mut SettingsPage, chosen: &[String]) -> Result<(), ApiError> {
    let all = sscard_app::reference::branches(&c.state.ctx, &BranchFilter::default()).await?;
    let codes = &c.state.ctx.codes;
    let mut groups: Vec<BranchGroup> = Vec::new();
    for b in &all {
        let opt = Opt {
            selected: chosen.contains(&b.code),
            name: format!(
                "{} · {}（{}）",
                codes.name(sscard_domain::codes::Table::District, &b.district, c.en()),
                b.name,
                b.address
            ),
            code: b.code.clone(),
        };
        match groups.iter_mut().find(|g| g.bank == b.bank) {
            Some(g) => g.branches.push(opt),
            None => groups.push(BranchGroup {
                bank: b.bank.clone(),
                name: bank_name(c, &b.bank),
                branches: vec![opt],
                chosen: 0,
            }),
        }
    }
    for g in &mut groups {
        g.chosen = g.branches.iter().filter(|o| o.selected).count();
    }
    page.branch_groups = groups;
    Ok(())
}

pub async fn settings_page(c: PageCtx) -> PageResult {
    let view = collective::view(&c.state.ctx, &c.p).await?;
    let mut page = SettingsPage {
        entity_name: view.entity.name.clone(),
        uscc: view.entity.uscc.as_str().into(),
        ..SettingsPage::default()
    };
    let mut chosen = Vec::new();
    if let Some(s) = &view.settings {
        page.values.insert("open".into(), yes_no(s.open));
        page.values.insert("entity_collects".into(), yes_no(s.entity_collects));
        page.values
            .insert("contact_name".into(), s.contact_name.as_str().into());
        page.values
            .insert("contact_mobile".into(), s.contact_mobile.as_str().into());
        chosen = s.branches.iter().map(|b| b.branch.clone()).collect();
    }
    settings_form(&c, &mut page, &chosen).await?;
    Ok(c.show("entity_settings.html", StatusCode::OK, page).await)
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// The fields of a form body; repeated names (checkboxes) collected in order.
fn fields(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn first(fields: &[(String, String)], name: &str) -> Option<String> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

fn all(fields: &[(String, String)], name: &str) -> Vec<String> {
    fields
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

pub async fn settings_submit(c: PageCtx, body: Bytes) -> PageResult {
    let f = fields(&body);
    let open = first(&f, "open");
    let collects = first(&f, "entity_collects");
    let branches = all(&f, "branches");
    let mut page = SettingsPage::default();
    // Both questions must be answered: no default is assumed for the employer.
    page.problems.required(
        &c.state,
        c.prefs.lang,
        &[("open", open.is_none()), ("entity_collects", collects.is_none())],
    );
    let input = SettingsIn {
        open: open.as_deref() == Some("yes"),
        entity_collects: collects.as_deref() == Some("yes"),
        contact_name: first(&f, "contact_name").unwrap_or_default(),
        contact_mobile: first(&f, "contact_mobile").unwrap_or_default(),
        branches: branches.clone(),
    };
    // With a question unanswered nothing is saved, but every other field is still checked and shown.
    let result = if page.problems.is_empty() {
        collective::save_settings(&c.state.ctx, &c.p, &input).await.map(|_| ())
    } else {
        collective::checked_settings(&c.state.ctx, &c.p, &input)
            .await
            .and(Err(ApplyError::Invalid(Vec::new())))
    };
    match result {
        Ok(()) => Ok(Redirect::to("/entity?saved=1").into_response()),
        Err(e) => {
            if !matches!(&e, ApplyError::Invalid(list) if list.is_empty()) {
                page.problems.add(&c.state, c.prefs.lang, &ApiError::from(e), "open");
            }
            for (k, v) in [
                ("open", open),
                ("entity_collects", collects),
                ("contact_name", Some(input.contact_name)),
                ("contact_mobile", Some(input.contact_mobile)),
            ] {
                if let Some(v) = v {
                    page.values.insert(k.into(), v);
                }
            }
            let v = collective::view(&c.state.ctx, &c.p).await?;
            page.entity_name = v.entity.name;
            page.uscc = v.entity.uscc.as_str().into();
            settings_form(&c, &mut page, &branches).await?;
            Ok(c.show("entity_settings.html", StatusCode::BAD_REQUEST, page).await)
        }
    }
}

/// 职工申请情况查询 and 职工申请信息提交: the list with filters and paging; confirmed rows can be selected.
pub async fn employees_page(c: PageCtx, Query(params): Query<EmployeeParams>) -> PageResult {
    let mut page = EmployeesPage::default();
    let q = match employee_query(&params) {
        Ok(q) => q,
        Err(e) => {
            page.problems.add(&c.state, c.prefs.lang, &e, "status");
            sscard_app::ports::EmployeeQuery {
                limit: 50,
                ..Default::default()
            }
        }
    };
    let limit = q.limit.clamp(1, collective::MAX_PAGE) as usize;
    let selected_status = q.status.map(|s| s.as_str().to_string());
    page.statuses = EmployeeStatus::all()
        .into_iter()
        .map(|s| Opt {
            code: s.as_str().into(),
            name: status_name(&c, s),
            selected: selected_status.as_deref() == Some(s.as_str()),
        })
        .collect();
    page.values.insert("q".into(), params.q.clone().unwrap_or_default());
    page.batch_key = c.state.ctx.secrets.token();
    let rows = collective::employees(&c.state.ctx, &c.p, q).await?;
    page.next = rows.last().filter(|_| rows.len() == limit).map(|r| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r.person.as_str())
    });
    page.query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("status", selected_status.as_deref().unwrap_or(""))
        .append_pair("q", params.q.as_deref().unwrap_or(""))
        .finish();
    page.employees = rows
        .iter()
        .map(|r| EmployeeLine {
            name: r.name.clone(),
            id_number: r.person.masked(),
            employed: r.employed,
            status: r.status.as_str().into(),
            status_name: status_name(&c, r.status),
            selectable: r.status == EmployeeStatus::Confirmed && r.employed,
            application: r.application.as_ref().map(|a| a.0.clone()),
            reference: r.application.as_ref().map(|a| a.1.clone()).unwrap_or_default(),
        })
        .collect();
    let status = if page.problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(c.show("entity_employees.html", status, page).await)
}

pub async fn export(c: PageCtx, Query(params): Query<EmployeeParams>) -> PageResult {
    let q = employee_query(&params)?;
    let rows = collective::all_employees(&c.state.ctx, &c.p, q).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"employees.csv\""),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        people_csv(&c, &rows),
    )
        .into_response())
}

/// The employee list for the person who opens it in a spreadsheet: headers and values in their language, and a
/// UTF-8 byte-order mark so that Excel on a Chinese Windows reads it as UTF-8. (The API's export keeps codes.)
fn people_csv(c: &PageCtx, rows: &[sscard_app::ports::EmployeeRow]) -> String {
    let mut out = String::from("\u{feff}");
    let header = [
        "apply_name",
        "apply_id_number",
        "csv_employed",
        "col_state",
        "col_reference",
        "csv_updated",
    ]
    .map(|k| csv_cell(&c.m(k)));
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for r in rows {
        let application = r.application.as_ref();
        let cells = [
            r.name.clone(),
            r.person.masked(),
            c.m(if r.employed { "answer-yes" } else { "answer-no" }),
            status_name(c, r.status),
            application.map(|a| a.1.clone()).unwrap_or_default(),
            application
                .map(|a| a.2.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default(),
        ];
        let line: Vec<String> = cells.iter().map(|v| csv_cell(v)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Submits the selected employees (or every confirmed one) and shows what was submitted and skipped.
pub async fn submit(c: PageCtx, body: Bytes) -> Response {
    let f = fields(&body);
    let selection = Selection {
        applications: all(&f, "applications"),
        all_confirmed: first(&f, "all_confirmed").is_some(),
    };
    let key = first(&f, "batch_key").filter(|k| !k.is_empty());
    let mut page = SubmittedPage::default();
    match collective::submit(&c.state.ctx, &c.p, &selection, key.as_deref()).await {
        Ok(out) => {
            let row = |l: sscard_app::collective::BatchLine| BatchLineRow {
                id_number: l.person.unwrap_or_default(),
                reference: l.reference.unwrap_or_default(),
                reason: l
                    .skipped
                    .map(|r| c.m(&format!("skip-{}", r.code())))
                    .unwrap_or_default(),
            };
            page.due_on = out.due_on.map(|d| d.to_string()).unwrap_or_default();
            page.replayed = out.replayed;
            page.submitted = out.submitted.into_iter().map(row).collect();
            page.skipped = out.skipped.into_iter().map(row).collect();
            c.show("entity_submitted.html", StatusCode::OK, page).await
        }
        Err(e) => {
            page.problems
                .add(&c.state, c.prefs.lang, &ApiError::from(e), "applications");
            c.show("entity_submitted.html", StatusCode::BAD_REQUEST, page).await
        }
    }
}

/// 单位代领: the cards the entity holds, each to hand out or return to the bank within 30 days.
pub async fn cards_page(c: PageCtx) -> PageResult {
    let mut page = CardsPage::default();
    held(&c, &mut page).await?;
    Ok(c.show("entity_cards.html", StatusCode::OK, page).await)
}

async fn held(c: &PageCtx, page: &mut CardsPage) -> Result<(), PageError> {
    let cards = collective::held_cards(&c.state.ctx, &c.p).await?;
    for h in cards {
        page.held.push(HeldRow {
            application: h.application.id.clone(),
            name: h.name,
            id_number: h.application.person.masked(),
            reference: h.application.reference.clone(),
            delivered_on: h.delivered_at.date_naive().to_string(),
            return_by: h.status.return_by().to_string(),
            overdue: h.status.is_overdue(),
        });
    }
    Ok(())
}

/// Records a hand-out (`handover`) or a return to the bank (`return`), then shows the list again.
pub async fn settle(
    c: PageCtx,
    axum::extract::Path((id, action)): axum::extract::Path<(String, String)>,
) -> PageResult {
    let event = match action.as_str() {
        "handover" => sscard_domain::application::ApplicationEvent::Collect,
        "return" => sscard_domain::application::ApplicationEvent::ReturnToBank,
        _ => return Err(ApiError::NotFound.into()),
    };
    match collective::settle_card(&c.state.ctx, &c.p, &id, event).await {
        Ok(_) => Ok(Redirect::to(&format!("/entity/cards?done={action}")).into_response()),
        Err(e @ ApplyError::NotFound) => Err(e.into()),
        Err(e) => {
            let mut page = CardsPage::default();
            page.problems.add(&c.state, c.prefs.lang, &ApiError::from(e), "cards");
            held(&c, &mut page).await?;
            Ok(c.show("entity_cards.html", StatusCode::CONFLICT, page).await)
        }
    }
}
