//! Employer collective application through the API (SPEC §6): the handler's settings, employee list,
//! counts, CSV export and batch submission; the employee's confirmation.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sscard_app::collective::{self, BatchLine};

use super::wire::{Selection, SettingsIn};
use sscard_app::ports::{EmployeeQuery, EmployeeRow};
use sscard_domain::application::ApplicationEvent;
use sscard_domain::collective::{CollectiveSettings, EmployeeStatus};
use utoipa::{IntoParams, ToSchema};

use super::applications::{view, ApplicationView};
use crate::access::{Authed, IdempotencyKey};
use crate::problem::{ApiError, JsonBody, Problem};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct BranchView {
    #[schema(example = "102")]
    pub bank: String,
    #[schema(example = "102001")]
    pub branch: String,
}

#[derive(Serialize, ToSchema)]
pub struct SettingsView {
    pub open: bool,
    pub entity_collects: bool,
    pub contact_name: String,
    pub contact_mobile: String,
    pub branches: Vec<BranchView>,
    pub updated_at: String,
}

pub fn settings_view(s: &CollectiveSettings) -> SettingsView {
    SettingsView {
        open: s.open,
        entity_collects: s.entity_collects,
        contact_name: s.contact_name.as_str().into(),
        contact_mobile: s.contact_mobile.as_str().into(),
        branches: s
            .branches
            .iter()
            .map(|b| BranchView {
                bank: b.bank.clone(),
                branch: b.branch.clone(),
            })
            .collect(),
        updated_at: s.updated_at.to_rfc3339(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct EntityOut {
    pub uscc: String,
    pub name: String,
    pub address: String,
    pub district: String,
    /// Absent until the handler first opens collective application.
    pub settings: Option<SettingsView>,
}

/// The handler's entity (from the registry, not editable) and its collective-application settings.
#[utoipa::path(get, path = "/api/v1/entity/collective", operation_id = "get_collective", tag = "employer",
    security(("bearer" = [])), responses((status = 200, body = EntityOut), (status = 403, body = Problem)))]
pub async fn get_settings(State(state): State<AppState>, Authed(p): Authed) -> Result<Json<EntityOut>, ApiError> {
    let v = collective::view(&state.ctx, &p).await?;
    Ok(Json(EntityOut {
        uscc: v.entity.uscc.as_str().into(),
        name: v.entity.name,
        address: v.entity.address,
        district: v.entity.district,
        settings: v.settings.as_ref().map(settings_view),
    }))
}

/// Opens, changes or closes collective application (SPEC §6.1): whether the entity collects the cards, the
/// branches employees may choose (at least one while open), the contact. Every field is checked before
/// anything is saved; each change is kept in the history.
#[utoipa::path(put, path = "/api/v1/entity/collective", operation_id = "save_collective", tag = "employer",
    security(("bearer" = [])), request_body = SettingsIn,
    responses((status = 200, body = SettingsView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_settings(
    State(state): State<AppState>,
    Authed(p): Authed,
    JsonBody(body): JsonBody<SettingsIn>,
) -> Result<Json<SettingsView>, ApiError> {
    let s = collective::save_settings(&state.ctx, &p, &body.into()).await?;
    Ok(Json(settings_view(&s)))
}

#[derive(Serialize, ToSchema)]
pub struct ChangeView {
    pub at: String,
    pub actor: String,
    pub channel: String,
    /// The settings after the change.
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
}

/// Every change to the settings, oldest first (the audit trail).
#[utoipa::path(get, path = "/api/v1/entity/collective/history", operation_id = "collective_history", tag = "employer",
    security(("bearer" = [])), responses((status = 200, body = [ChangeView]), (status = 403, body = Problem)))]
pub async fn history(State(state): State<AppState>, Authed(p): Authed) -> Result<Json<Vec<ChangeView>>, ApiError> {
    let rows = collective::history(&state.ctx, &p).await?;
    Ok(Json(
        rows.into_iter()
            .map(|c| ChangeView {
                at: c.at.to_rfc3339(),
                actor: c.actor,
                channel: c.channel.as_str().into(),
                settings: serde_json::from_str(&c.settings).unwrap_or(serde_json::Value::Null),
            })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct EmployeeParams {
    /// `not_confirmed`, `confirmed`, or an application state (`submitted`, `sent_to_bank`, …).
    pub status: Option<String>,
    /// A name prefix, or a whole ID number.
    pub q: Option<String>,
    /// The `next` of the previous page.
    pub cursor: Option<String>,
    /// 50 by default.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct EmployeeView {
    pub name: String,
    /// Masked.
    pub id_number: String,
    /// Whether the registry still names this entity as the employer.
    pub employed: bool,
    #[schema(example = "confirmed")]
    pub status: String,
    /// The application to select for submission, when there is one.
    pub application: Option<String>,
    pub reference: Option<String>,
    pub updated_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EmployeePage {
    pub employees: Vec<EmployeeView>,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next: Option<String>,
}

fn employee_view(r: &EmployeeRow) -> EmployeeView {
    EmployeeView {
        name: r.name.clone(),
        id_number: r.person.masked(),
        employed: r.employed,
        status: r.status.as_str().into(),
        application: r.application.as_ref().map(|a| a.0.clone()),
        reference: r.application.as_ref().map(|a| a.1.clone()),
        updated_at: r.application.as_ref().map(|a| a.2.to_rfc3339()),
    }
}

/// The cursor is opaque to clients: the position in the entity's list.
fn cursor_of(r: &EmployeeRow) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r.person.as_str())
}

pub fn employee_query(params: &EmployeeParams) -> Result<EmployeeQuery, ApiError> {
    let status = match params.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(EmployeeStatus::parse(s).ok_or_else(|| {
            ApiError::field(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_fields",
                "status",
                "invalid_choice",
            )
        })?),
        None => None,
    };
    let after = match params.cursor.as_deref().filter(|s| !s.is_empty()) {
        Some(c) => Some(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    ApiError::field(
                        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_fields",
                        "cursor",
                        "cursor_invalid",
                    )
                })?,
        ),
        None => None,
    };
    let limit = params.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::field(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_fields",
            "limit",
            "out_of_range",
        ));
    }
    Ok(EmployeeQuery {
        status,
        search: params.q.clone().filter(|q| !q.trim().is_empty()),
        after,
        limit,
    })
}

/// 职工申请情况查询 (SPEC §6.4): the entity's employees with their status, in ID-number order, a page at a
/// time; filter by status, search by name prefix or whole ID number. ID numbers are masked.
#[utoipa::path(get, path = "/api/v1/entity/employees", operation_id = "list_employees", tag = "employer",
    security(("bearer" = [])), params(EmployeeParams),
    responses((status = 200, body = EmployeePage), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn employees(
    State(state): State<AppState>,
    Authed(p): Authed,
    Query(params): Query<EmployeeParams>,
) -> Result<Json<EmployeePage>, ApiError> {
    let q = employee_query(&params)?;
    let limit = q.limit.clamp(1, collective::MAX_PAGE) as usize;
    let rows = collective::employees(&state.ctx, &p, q).await?;
    Ok(Json(EmployeePage {
        next: rows.last().filter(|_| rows.len() == limit).map(cursor_of),
        employees: rows.iter().map(employee_view).collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct StatusCount {
    #[schema(example = "confirmed")]
    pub status: String,
    pub count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct CountsOut {
    pub total: u64,
    pub statuses: Vec<StatusCount>,
}

/// How many employees are in each status (the handler's dashboard).
#[utoipa::path(get, path = "/api/v1/entity/employees/counts", operation_id = "employee_counts", tag = "employer",
    security(("bearer" = [])), responses((status = 200, body = CountsOut), (status = 403, body = Problem)))]
pub async fn counts(State(state): State<AppState>, Authed(p): Authed) -> Result<Json<CountsOut>, ApiError> {
    let rows = collective::counts(&state.ctx, &p).await?;
    Ok(Json(CountsOut {
        total: rows.iter().map(|(_, n)| n).sum(),
        statuses: rows
            .into_iter()
            .map(|(s, n)| StatusCount {
                status: s.as_str().into(),
                count: n,
            })
            .collect(),
    }))
}

/// The employee list as CSV (the same filters; ID numbers masked).
pub fn csv_of(rows: &[EmployeeRow]) -> String {
    let mut out = String::from("name,id_number,employed,status,reference,updated_at\n");
    for r in rows {
        let v = employee_view(r);
        let cells = [
            v.name,
            v.id_number,
            v.employed.to_string(),
            v.status,
            v.reference.unwrap_or_default(),
            v.updated_at.unwrap_or_default(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// A CSV cell, quoted when needed, and never read by a spreadsheet as a formula.
pub(crate) fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The whole employee list as a CSV file (UTF-8), with the list's filters.
#[utoipa::path(get, path = "/api/v1/entity/employees.csv", operation_id = "export_employees", tag = "employer",
    security(("bearer" = [])), params(EmployeeParams),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem)))]
pub async fn export(
    State(state): State<AppState>,
    Authed(p): Authed,
    Query(params): Query<EmployeeParams>,
) -> Result<Response, ApiError> {
    let q = employee_query(&params)?;
    let rows = collective::all_employees(&state.ctx, &p, q).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"employees.csv\""),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        csv_of(&rows),
    )
        .into_response())
}

/// One of the entity's collective applications (an employee's confirmed data). Another entity's is 404,
/// like a missing one.
#[utoipa::path(get, path = "/api/v1/entity/applications/{id}", operation_id = "entity_application", tag = "employer",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ApplicationView), (status = 404, body = Problem)))]
pub async fn application(
    State(state): State<AppState>,
    Authed(p): Authed,
    Path(id): Path<String>,
) -> Result<Json<ApplicationView>, ApiError> {
    let a = collective::application(&state.ctx, &p, &id).await?;
    Ok(Json(view(&state, &a, a.channel).await?))
}

#[derive(Serialize, ToSchema)]
pub struct BatchLineView {
    pub application: String,
    /// Masked; absent for an application not found.
    pub id_number: Option<String>,
    pub reference: Option<String>,
    /// Why it was skipped: `left_entity`, `not_confirmed`, `already_submitted`, `incomplete`,
    /// `branch_not_allowed`, `collection_not_allowed`, `not_found`.
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct BatchOut {
    pub submitted: Vec<BatchLineView>,
    pub skipped: Vec<BatchLineView>,
    /// The cards must be produced by this date (30 days from submission), when any was submitted.
    pub due_on: Option<String>,
    /// `true` when this answers a retry with an `Idempotency-Key` already used: it is the first answer, the
    /// batch went through then, and nothing was done now.
    pub replayed: bool,
}

fn line_view(l: BatchLine) -> BatchLineView {
    BatchLineView {
        application: l.application,
        id_number: l.person,
        reference: l.reference,
        reason: l.skipped.map(|r| r.code().to_string()),
    }
}

/// 职工申请信息提交 (SPEC §6.3): submits the selected confirmed employees (or all confirmed ones) in one
/// transaction; each skipped one is listed with its reason. Submitting the same batch again changes nothing:
/// each is then `already_submitted`. Send an `Idempotency-Key`: a retry with it (the first answer lost)
/// gets the first answer again, with `replayed: true`.
#[utoipa::path(post, path = "/api/v1/entity/submissions", operation_id = "submit_employees", tag = "employer",
    security(("bearer" = [])), request_body = Selection, params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = BatchOut), (status = 403, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn submit(
    State(state): State<AppState>,
    Authed(p): Authed,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<Selection>,
) -> Result<Json<BatchOut>, ApiError> {
    let out = collective::submit(&state.ctx, &p, &body.into(), key.as_deref()).await?;
    Ok(Json(BatchOut {
        submitted: out.submitted.into_iter().map(line_view).collect(),
        skipped: out.skipped.into_iter().map(line_view).collect(),
        due_on: out.due_on.map(|d| d.to_string()),
        replayed: out.replayed,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmIn {
    /// 申请人郑重承诺.
    pub commitment: bool,
    /// The separate, explicit confirmation.
    pub confirm: bool,
}

/// 信息已确认 (SPEC §6.2): the employee confirms their collective application; their employer then submits
/// it. Still editable until then. Confirming again changes nothing.
#[utoipa::path(post, path = "/api/v1/applications/{id}/confirm", operation_id = "confirm_application", tag = "applications",
    security(("bearer" = [])), params(("id" = String, Path)), request_body = ConfirmIn,
    responses((status = 200, body = ApplicationView), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn confirm(
    State(state): State<AppState>,
    Authed(p): Authed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ConfirmIn>,
) -> Result<Json<ApplicationView>, ApiError> {
    let a = collective::confirm(&state.ctx, &p, &id, body.commitment, body.confirm).await?;
    Ok(Json(view(&state, &a, p.channel).await?))
}

#[derive(Serialize, ToSchema)]
pub struct HeldCardView {
    pub application: String,
    pub reference: String,
    pub name: String,
    /// Masked.
    pub id_number: String,
    /// When the bank delivered it to the entity.
    pub delivered_at: String,
    /// Hand it out or return it to the bank by this date (30 days after collection).
    pub return_by: String,
    pub overdue: bool,
}

/// 单位代领: the cards the entity collected and has not yet handed out or returned, longest held first, each
/// with its return-by date (30 days after collection) and whether it is overdue.
#[utoipa::path(get, path = "/api/v1/entity/cards", operation_id = "entity_cards", tag = "employer",
    security(("bearer" = [])), responses((status = 200, body = [HeldCardView]), (status = 403, body = Problem)))]
pub async fn held_cards(State(state): State<AppState>, Authed(p): Authed) -> Result<Json<Vec<HeldCardView>>, ApiError> {
    let cards = collective::held_cards(&state.ctx, &p).await?;
    Ok(Json(
        cards
            .into_iter()
            .map(|c| HeldCardView {
                application: c.application.id.clone(),
                reference: c.application.reference.clone(),
                name: c.name,
                id_number: c.application.person.masked(),
                delivered_at: c.delivered_at.to_rfc3339(),
                return_by: c.status.return_by().to_string(),
                overdue: c.status.is_overdue(),
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct SettledView {
    pub application: String,
    #[schema(example = "collected")]
    pub state: String,
}

/// The entity handed the card to its holder: the application is collected.
#[utoipa::path(post, path = "/api/v1/entity/cards/{id}/handover", operation_id = "hand_over_card", tag = "employer",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = SettledView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn hand_over(
    State(state): State<AppState>,
    Authed(p): Authed,
    Path(id): Path<String>,
) -> Result<Json<SettledView>, ApiError> {
    let a = collective::settle_card(&state.ctx, &p, &id, ApplicationEvent::Collect).await?;
    Ok(Json(SettledView {
        application: a.id,
        state: a.state.as_str().into(),
    }))
}

/// The entity returned a card it could not hand out to the bank: the holder collects it at the branch and is
/// told so by text.
#[utoipa::path(post, path = "/api/v1/entity/cards/{id}/return", operation_id = "return_card", tag = "employer",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = SettledView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn return_card(
    State(state): State<AppState>,
    Authed(p): Authed,
    Path(id): Path<String>,
) -> Result<Json<SettledView>, ApiError> {
    let a = collective::settle_card(&state.ctx, &p, &id, ApplicationEvent::ReturnToBank).await?;
    Ok(Json(SettledView {
        application: a.id,
        state: a.state.as_str().into(),
    }))
}
