//! The caller's own account: who they are, their sessions, who read their data, real-name authentication.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sscard_domain::access::Channel;
use sscard_domain::account::{Account, AccountKind};
use utoipa::ToSchema;

use crate::access::{Authed, ClientMeta};
use crate::problem::{ApiError, JsonBody, Problem};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct AccountView {
    pub id: String,
    #[schema(example = "resident")]
    pub role: String,
    /// The channel this session acts through.
    #[schema(example = "jingtong")]
    pub channel: String,
    pub display_name: String,
    pub username: Option<String>,
    /// Masked: `138****8000`.
    pub mobile: Option<String>,
    /// Masked: `110105********002X`.
    pub id_number: Option<String>,
    pub real_name_verified: bool,
    /// What the account is bound to: entity USCC, bank and branch, outlet.
    pub entity: Option<String>,
    pub bank: Option<String>,
    pub branch: Option<String>,
    pub outlet: Option<String>,
}

impl AccountView {
    pub fn of(a: &Account, channel: Channel) -> AccountView {
        let (entity, bank, branch, outlet) = match &a.kind {
            AccountKind::EntityHandler { entity } => (Some(entity.as_str().to_string()), None, None, None),
            AccountKind::BankClerk { bank, branch } => (None, Some(bank.clone()), Some(branch.clone()), None),
            AccountKind::BankSystem { bank } => (None, Some(bank.clone()), None, None),
            AccountKind::OutletClerk { outlet, .. } => (None, None, None, Some(outlet.clone())),
            _ => (None, None, None, None),
        };
        AccountView {
            id: a.id.clone(),
            role: a.role().as_str().to_string(),
            channel: channel.as_str().to_string(),
            display_name: a.display_name.clone(),
            username: a.username.as_ref().map(|u| u.as_str().to_string()),
            mobile: a.mobile.as_ref().map(|m| m.masked()),
            id_number: a.id_number.as_ref().map(|i| i.masked()),
            real_name_verified: a.is_real_name_verified(),
            entity,
            bank,
            branch,
            outlet,
        }
    }
}

/// The logged-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = AccountView), (status = 401, body = Problem)))]
pub async fn me(Authed(p): Authed) -> Json<AccountView> {
    Json(AccountView::of(&p.account, p.channel))
}

#[derive(Serialize, ToSchema)]
pub struct SessionView {
    /// The first characters of the session's stored hash: enough to tell sessions apart, useless to steal.
    pub id: String,
    pub current: bool,
    #[schema(example = "bearer")]
    pub kind: &'static str,
    pub channel: String,
    pub client_id: Option<String>,
    pub created_at: String,
    pub expires_at: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The account's live sessions and tokens.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = [SessionView]), (status = 401, body = Problem)))]
pub async fn sessions(State(state): State<AppState>, Authed(p): Authed) -> Result<Json<Vec<SessionView>>, ApiError> {
    let list = sscard_app::auth::my_sessions(&state.ctx, &p).await?;
    Ok(Json(
        list.into_iter()
            .map(|s| SessionView {
                id: s.id.chars().take(12).collect(),
                current: s.id == p.session,
                kind: s.kind.as_str(),
                channel: s.channel.as_str().to_string(),
                client_id: s.client_id,
                created_at: s.created_at.to_rfc3339(),
                expires_at: s.expires_at.to_rfc3339(),
                ip: s.ip,
                user_agent: s.user_agent,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Revoked {
    pub revoked: u64,
}

/// Logs out everywhere: every session and token of the account, this one included.
#[utoipa::path(delete, path = "/api/v1/me/sessions", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = Revoked), (status = 401, body = Problem)))]
pub async fn revoke_all(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
) -> Result<Json<Revoked>, ApiError> {
    let revoked = sscard_app::auth::logout_everywhere(&state.ctx, &p, &meta.0).await?;
    Ok(Json(Revoked { revoked }))
}

#[derive(Serialize, ToSchema)]
pub struct AccessView {
    pub at: String,
    /// Who read: the role, and the bank/branch or outlet they act for.
    #[schema(example = "outlet_clerk")]
    pub role: String,
    pub organisation: Option<String>,
    pub channel: String,
    #[schema(example = "counter_service")]
    pub purpose: Option<String>,
    /// Set when the record read is a child's the caller is guardian of: the child's name.
    pub ward: Option<String>,
}

/// Who read my personal data, and my children's under 18: role, bank or outlet, when, why (PIPL's right to
/// know).
#[utoipa::path(get, path = "/api/v1/me/access-log", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = [AccessView]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn access_log(State(state): State<AppState>, Authed(p): Authed) -> Result<Json<Vec<AccessView>>, ApiError> {
    let list = sscard_app::people::my_access_log(&state.ctx, &p, 200).await?;
    Ok(Json(list.into_iter().map(access_view).collect()))
}

pub fn access_view(line: sscard_app::people::AccessLine) -> AccessView {
    let e = line.entry;
    AccessView {
        ward: line.ward,
        at: e.at.to_rfc3339(),
        role: e.role.map(|r| r.as_str().to_string()).unwrap_or_default(),
        organisation: e.organisation,
        channel: e.channel.as_str().to_string(),
        purpose: e.purpose,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RealNameIn {
    pub name: String,
    pub id_number: String,
    /// A photo of the face taken now (JPEG or PNG), base64.
    pub photo: String,
}

/// Real-name authentication: name + ID number must match the registry and the face check must pass.
#[utoipa::path(post, path = "/api/v1/me/real-name", tag = "account", security(("bearer" = [])), request_body = RealNameIn,
    responses((status = 200, body = AccountView), (status = 409, body = Problem), (status = 422, body = Problem),
              (status = 429, body = Problem), (status = 503, body = Problem)))]
pub async fn real_name(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    JsonBody(body): JsonBody<RealNameIn>,
) -> Result<Json<AccountView>, ApiError> {
    let photo = base64::engine::general_purpose::STANDARD
        .decode(body.photo.trim())
        .map_err(|_| {
            ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_fields",
                "photo",
                "photo_type",
            )
        })?;
    sscard_app::realname::verify_real_name(&state.ctx, &p, &body.name, &body.id_number, photo, &meta.0).await?;
    let account = sscard_app::auth::my_account(&state.ctx, &p)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(AccountView::of(&account, p.channel)))
}
