//! The admin's account management and audit view.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sscard_domain::access::{Channel, Role};
use sscard_domain::account::{AccountKind, Username};
use sscard_domain::values::Uscc;
use utoipa::{IntoParams, ToSchema};

use crate::access::{Authed, ClientMeta};
use crate::api::me::AccountView;
use crate::problem::{ApiError, JsonBody, Problem, Query};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccountIn {
    /// entity_handler, bank_clerk, outlet_clerk, hotline_agent, admin or bank_system.
    #[schema(example = "bank_clerk")]
    pub role: String,
    pub username: String,
    pub display_name: String,
    /// The password (or, for a bank system, its client secret).
    pub password: String,
    pub bank: Option<String>,
    pub branch: Option<String>,
    pub outlet: Option<String>,
    pub entity: Option<String>,
}

const UNPROCESSABLE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

fn required(v: &Option<String>, field: &str) -> Result<String, ApiError> {
    v.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::field(UNPROCESSABLE, "invalid_fields", field, "required"))
}

/// Parses the binding a role needs; the use case then checks it against reference data.
pub fn kind_of(body: &NewAccountIn) -> Result<AccountKind, ApiError> {
    let binding = BindingIn {
        role: body.role.clone(),
        bank: body.bank.clone(),
        branch: body.branch.clone(),
        outlet: body.outlet.clone(),
        entity: body.entity.clone(),
    };
    binding_kind(&binding)
}

/// An account's binding: the role it is for (which a rebinding never changes) and what that role is bound to.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindingIn {
    #[schema(example = "bank_clerk")]
    pub role: String,
    pub bank: Option<String>,
    pub branch: Option<String>,
    pub outlet: Option<String>,
    pub entity: Option<String>,
}

/// Parses a binding; the use case then checks it against reference data.
pub fn binding_kind(body: &BindingIn) -> Result<AccountKind, ApiError> {
    let role = Role::parse(&body.role)
        .ok_or_else(|| ApiError::field(UNPROCESSABLE, "invalid_fields", "role", "invalid_choice"))?;
    Ok(match role {
        Role::Resident => AccountKind::Resident,
        Role::EntityHandler => AccountKind::EntityHandler {
            entity: Uscc::parse(&required(&body.entity, "entity")?)
                .map_err(|_| ApiError::field(UNPROCESSABLE, "invalid_fields", "entity", "uscc_invalid"))?,
        },
        Role::BankClerk => AccountKind::BankClerk {
            bank: required(&body.bank, "bank")?,
            branch: required(&body.branch, "branch")?,
        },
        Role::BankSystem => AccountKind::BankSystem {
            bank: required(&body.bank, "bank")?,
        },
        // The use case fills the district from the outlet's record.
        Role::OutletClerk => AccountKind::OutletClerk {
            outlet: required(&body.outlet, "outlet")?,
            district: String::new(),
        },
        Role::HotlineAgent => AccountKind::HotlineAgent,
        Role::Admin => AccountKind::Admin,
    })
}

/// Creates a staff, entity-handler or bank-system account.
#[utoipa::path(post, path = "/api/v1/admin/accounts", tag = "admin", security(("bearer" = [])), request_body = NewAccountIn,
    responses((status = 201, body = AccountView), (status = 403, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn create_account(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    JsonBody(body): JsonBody<NewAccountIn>,
) -> Result<Response, ApiError> {
    let kind = kind_of(&body)?;
    let username = Username::parse(&body.username).map_err(|e| crate::refusals::username_error(&e))?;
    let account = sscard_app::accounts::create_account(
        &state.ctx,
        Some(&p.account),
        kind,
        username,
        &body.display_name,
        &body.password,
        &meta.0,
    )
    .await?;
    let channel = account.kind.fixed_channel().unwrap_or(Channel::Web);
    Ok((StatusCode::CREATED, Json(AccountView::of(&account, channel))).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisabledIn {
    pub disabled: bool,
}

/// Disables an account (its sessions and tokens end at once, on every instance) or enables it again. An
/// administrator cannot disable their own account (`own_account`).
#[utoipa::path(put, path = "/api/v1/admin/accounts/{id}/disabled", operation_id = "set_account_disabled",
    tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = DisabledIn,
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn set_disabled(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    axum::extract::Path(id): axum::extract::Path<String>,
    JsonBody(body): JsonBody<DisabledIn>,
) -> Result<StatusCode, ApiError> {
    sscard_app::accounts::set_disabled(&state.ctx, &p, &id, body.disabled, &meta.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClientIn {
    pub client_id: String,
    pub name: String,
    /// jingtong, minsheng, wechat_official or web.
    pub channel: String,
}

#[derive(Serialize, ToSchema)]
pub struct ClientOut {
    pub client_id: String,
    pub channel: String,
    /// Shown once; only its hash is stored.
    pub client_secret: String,
}

/// Registers a channel's API client and returns its secret once.
#[utoipa::path(post, path = "/api/v1/admin/clients", tag = "admin", security(("bearer" = [])), request_body = NewClientIn,
    responses((status = 201, body = ClientOut), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_client(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<NewClientIn>,
) -> Result<Response, ApiError> {
    let channel = Channel::parse(&body.channel)
        .ok_or_else(|| ApiError::field(UNPROCESSABLE, "invalid_fields", "channel", "not_a_client_channel"))?;
    let id_ok = (3..=64).contains(&body.client_id.len())
        && body
            .client_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !id_ok {
        return Err(ApiError::field(
            UNPROCESSABLE,
            "invalid_fields",
            "client_id",
            "client_id_invalid",
        ));
    }
    let (client, secret) =
        sscard_app::accounts::create_client(&state.ctx, &body.client_id, &body.name, channel, None).await?;
    let out = ClientOut {
        client_id: client.client_id,
        channel: client.channel.as_str().to_string(),
        client_secret: secret,
    };
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[derive(Deserialize, IntoParams)]
pub struct AuditParams {
    /// Only this actor's entries.
    pub actor: Option<String>,
    /// At most this many (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditView {
    pub at: String,
    pub actor: Option<String>,
    pub role: Option<String>,
    pub channel: String,
    pub organisation: Option<String>,
    pub action: String,
    pub record: Option<String>,
    /// Masked.
    pub subject_person: Option<String>,
    pub purpose: Option<String>,
    pub outcome: String,
    pub ip: Option<String>,
}

/// The newest audit entries.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin", security(("bearer" = [])), params(AuditParams),
    responses((status = 200, body = [AuditView]), (status = 403, body = Problem)))]
pub async fn audit(
    State(state): State<AppState>,
    Query(q): Query<AuditParams>,
) -> Result<Json<Vec<AuditView>>, ApiError> {
    // A limit outside what the document says is refused, not quietly changed.
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_fields",
            "limit",
            "out_of_range",
        ));
    }
    let list = sscard_app::accounts::audit_log(&state.ctx, q.actor.as_deref(), limit).await?;
    let today = state.ctx.clock.now().date_naive();
    Ok(Json(
        list.into_iter()
            .map(|e| AuditView {
                at: e.at.to_rfc3339(),
                actor: e.actor,
                role: e.role.map(|r| r.as_str().to_string()),
                channel: e.channel.as_str().to_string(),
                organisation: e.organisation,
                action: e.action.as_str().to_string(),
                record: e.record,
                subject_person: e.subject_person.map(|s| {
                    sscard_domain::values::IdNumber::parse(&s, today)
                        .map(|i| i.masked())
                        .unwrap_or_else(|_| "***".into())
                }),
                purpose: e.purpose,
                outcome: e.outcome.as_str().to_string(),
                ip: e.ip,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct SlaLine {
    /// `application` (due 30 days after submission) or `replacement` (due 4 working days after the request).
    #[schema(example = "application")]
    pub kind: &'static str,
    #[schema(example = "102")]
    pub bank: String,
    pub bank_name: String,
    /// The issuing branch's district (GB/T 2260).
    #[schema(example = "110105")]
    pub district: String,
    pub district_name: String,
    /// Orders not produced by their due date.
    pub overdue: u64,
    /// The earliest due date among them.
    pub oldest_due: String,
}

fn sla_lines(state: &AppState, report: sscard_app::bank::SlaReport) -> Vec<SlaLine> {
    let codes = &state.ctx.codes;
    let kinds = report
        .applications
        .into_iter()
        .map(|r| ("application", r))
        .chain(report.replacements.into_iter().map(|r| ("replacement", r)));
    kinds
        .map(|(kind, r)| SlaLine {
            kind,
            bank_name: codes.bank(&r.bank).map(|b| b.name_zh.clone()).unwrap_or_default(),
            district_name: codes
                .district(&r.district)
                .map(|d| d.name_zh.clone())
                .unwrap_or_default(),
            bank: r.bank,
            district: r.district,
            overdue: r.overdue,
            oldest_due: r.oldest_due.to_string(),
        })
        .collect()
}

/// The SLA report: orders whose card is not produced by its due date, by kind, bank and the branch's district:
/// applications past 30 days from submission, replacements past 4 working days from the request.
#[utoipa::path(get, path = "/api/v1/admin/reports/sla", operation_id = "sla_report", tag = "admin",
    security(("bearer" = [])), responses((status = 200, body = [SlaLine]), (status = 403, body = Problem)))]
pub async fn sla(State(state): State<AppState>) -> Result<Json<Vec<SlaLine>>, ApiError> {
    let rows = sscard_app::bank::sla_report(&state.ctx).await?;
    Ok(Json(sla_lines(&state, rows)))
}

/// The SLA report as a CSV file (UTF-8).
#[utoipa::path(get, path = "/api/v1/admin/reports/sla.csv", operation_id = "sla_report_csv", tag = "admin",
    security(("bearer" = [])), responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem)))]
pub async fn sla_csv(State(state): State<AppState>) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let rows = sscard_app::bank::sla_report(&state.ctx).await?;
    let mut out = String::from("kind,bank,bank_name,district,district_name,overdue,oldest_due\n");
    for l in sla_lines(&state, rows) {
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            l.kind, l.bank, l.bank_name, l.district, l.district_name, l.overdue, l.oldest_due
        ));
    }
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"sla.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct StaffView {
    #[serde(flatten)]
    pub account: AccountView,
    pub disabled: bool,
}

#[derive(Deserialize, IntoParams)]
pub struct StaffParams {
    /// admin, bank_clerk, outlet_clerk, hotline_agent, bank_system or entity_handler; every staff role when absent.
    pub role: Option<String>,
    /// Part of the username or the name (any case).
    pub q: Option<String>,
}

/// The accounts of one staff role (at most 500), searched.
#[utoipa::path(get, path = "/api/v1/admin/accounts", operation_id = "list_accounts", tag = "admin",
    security(("bearer" = [])), params(StaffParams),
    responses((status = 200, body = [StaffView]), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_accounts(
    State(state): State<AppState>,
    Query(params): Query<StaffParams>,
) -> Result<Json<Vec<StaffView>>, ApiError> {
    let role = match params.role.as_deref() {
        None => None,
        Some(r) => Some(
            Role::parse(r)
                .filter(|r| sscard_app::accounts::STAFF_ROLES.contains(r))
                .ok_or_else(|| ApiError::field(UNPROCESSABLE, "invalid_fields", "role", "invalid_choice"))?,
        ),
    };
    let found = sscard_app::accounts::staff(&state.ctx, role, params.q.as_deref().unwrap_or_default()).await?;
    Ok(Json(
        found
            .iter()
            .map(|a| StaffView {
                account: AccountView::of(a, a.kind.fixed_channel().unwrap_or(Channel::Web)),
                disabled: a.disabled,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordIn {
    /// The new password (a bank system's: its new client secret). Tell it to the person by a separate way.
    pub password: String,
}

/// Sets a staff account's password; its sessions and tokens end at once, on every instance.
#[utoipa::path(put, path = "/api/v1/admin/accounts/{id}/password", operation_id = "reset_account_password",
    tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = PasswordIn,
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn reset_password(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    axum::extract::Path(id): axum::extract::Path<String>,
    JsonBody(body): JsonBody<PasswordIn>,
) -> Result<StatusCode, ApiError> {
    sscard_app::accounts::reset_password(&state.ctx, &p, &id, &body.password, &meta.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Binds a staff account to another branch, outlet, entity or bank, within its role (`role_mismatch`).
#[utoipa::path(put, path = "/api/v1/admin/accounts/{id}/binding", operation_id = "rebind_account",
    tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = BindingIn,
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn rebind(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    axum::extract::Path(id): axum::extract::Path<String>,
    JsonBody(body): JsonBody<BindingIn>,
) -> Result<StatusCode, ApiError> {
    let kind = binding_kind(&body)?;
    sscard_app::accounts::rebind(&state.ctx, &p, &id, kind, &meta.0).await?;
    Ok(StatusCode::NO_CONTENT)
}
