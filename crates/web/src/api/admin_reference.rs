//! Reference data in the console's API (SPEC §4.3, §10): banks, branches and outlets listed and searched,
//! changed with every change kept (who, when, before, after) and audited, and a change refused while live data
//! depends on what it would take away (`dependents_exist`, with the count).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sscard_app::reference_changes::{self as changes, Typed};
use sscard_domain::registry::{ReferenceKind, ReferenceRecord};
use utoipa::{IntoParams, ToSchema};

use crate::access::{Authed, ClientMeta};
use crate::problem::{ApiError, JsonBody, Problem, Query};
use crate::state::AppState;

/// A bank, branch or outlet: the fields its kind has.
#[derive(Serialize, ToSchema, Default)]
pub struct ReferenceItem {
    /// bank, branch or outlet.
    pub kind: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_zh: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepts_pickup: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instant_issuance: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_online_replacement: Option<bool>,
}

impl From<&ReferenceRecord> for ReferenceItem {
    fn from(r: &ReferenceRecord) -> ReferenceItem {
        let mut item = ReferenceItem {
            kind: r.kind().as_str().into(),
            code: r.code().into(),
            ..ReferenceItem::default()
        };
        match r {
            ReferenceRecord::Bank(b) => {
                item.short = Some(b.short.clone());
                item.name_zh = Some(b.name_zh.clone());
                item.name_en = Some(b.name_en.clone());
                item.supports_online_replacement = Some(b.supports_online_replacement);
            }
            ReferenceRecord::Branch(b) => {
                item.bank = Some(b.bank.clone());
                item.name = Some(b.name.clone());
                item.district = Some(b.district.clone());
                item.address = Some(b.address.clone());
                item.accepts_pickup = Some(b.accepts_pickup);
                item.instant_issuance = Some(b.instant_issuance);
            }
            ReferenceRecord::Outlet(o) => {
                item.name = Some(o.name.clone());
                item.district = Some(o.district.clone());
                item.address = Some(o.address.clone());
            }
        }
        item
    }
}

/// The record as it is to be: the fields of its kind (a bank: short, name_zh, name_en,
/// supports_online_replacement; a branch: name, district, address, accepts_pickup, instant_issuance; an
/// outlet: name, district, address). A yes/no left out is no.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ReferenceIn {
    pub short: Option<String>,
    pub name: Option<String>,
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
    pub district: Option<String>,
    pub address: Option<String>,
    #[serde(default)]
    pub accepts_pickup: bool,
    #[serde(default)]
    pub instant_issuance: bool,
    #[serde(default)]
    pub supports_online_replacement: bool,
}

impl From<ReferenceIn> for Typed {
    fn from(b: ReferenceIn) -> Typed {
        Typed {
            short: b.short,
            name: b.name,
            name_zh: b.name_zh,
            name_en: b.name_en,
            district: b.district,
            address: b.address,
            accepts_pickup: b.accepts_pickup,
            instant_issuance: b.instant_issuance,
            supports_online_replacement: b.supports_online_replacement,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ReferenceChangeView {
    pub at: String,
    pub by: String,
    #[schema(value_type = Object)]
    pub before: serde_json::Value,
    #[schema(value_type = Object)]
    pub after: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
pub struct ReferenceRecordView {
    pub record: ReferenceItem,
    /// Newest first (at most 50).
    pub changes: Vec<ReferenceChangeView>,
}

#[derive(Deserialize, IntoParams)]
pub struct SearchParams {
    /// Part of a code, name or address (any case); all records when absent.
    pub q: Option<String>,
}

/// `banks`, `branches` or `outlets`.
pub fn kind_of(plural: &str) -> Result<ReferenceKind, ApiError> {
    match plural {
        "banks" => Ok(ReferenceKind::Bank),
        "branches" => Ok(ReferenceKind::Branch),
        "outlets" => Ok(ReferenceKind::Outlet),
        _ => Err(ApiError::NotFound),
    }
}

/// Banks, branches or outlets, searched (at most 500).
#[utoipa::path(get, path = "/api/v1/admin/reference/{kind}", operation_id = "search_reference", tag = "admin", security(("bearer" = [])),
    params(("kind" = String, Path, description = "banks, branches or outlets"), SearchParams),
    responses((status = 200, body = [ReferenceItem]), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn search(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    Query(params): Query<SearchParams>,
) -> Result<Json<Vec<ReferenceItem>>, ApiError> {
    let kind = kind_of(&kind)?;
    let found = changes::search(&state.ctx, kind, params.q.as_deref().unwrap_or_default(), 500).await?;
    Ok(Json(found.iter().map(ReferenceItem::from).collect()))
}

async fn view(state: &AppState, kind: ReferenceKind, code: &str) -> Result<ReferenceRecordView, ApiError> {
    let r = changes::record(&state.ctx, kind, code)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(ReferenceRecordView {
        record: ReferenceItem::from(&r.record),
        changes: r
            .changes
            .into_iter()
            .map(|c| ReferenceChangeView {
                at: c.at.to_rfc3339(),
                by: c.by,
                before: c.before,
                after: c.after,
            })
            .collect(),
    })
}

/// One record with its kept changes.
#[utoipa::path(get, path = "/api/v1/admin/reference/{kind}/{code}", operation_id = "reference_record", tag = "admin", security(("bearer" = [])),
    params(("kind" = String, Path, description = "banks, branches or outlets"), ("code" = String, Path)),
    responses((status = 200, body = ReferenceRecordView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn record(
    State(state): State<AppState>,
    Path((kind, code)): Path<(String, String)>,
) -> Result<Json<ReferenceRecordView>, ApiError> {
    Ok(Json(view(&state, kind_of(&kind)?, &code).await?))
}

/// Changes a record (its code never changes) and answers it with its history. A branch that still has cards
/// waiting for pickup keeps taking pickups, and an outlet with live clerks keeps its district: 409
/// `dependents_exist`, with the `count`.
#[utoipa::path(put, path = "/api/v1/admin/reference/{kind}/{code}", operation_id = "change_reference", tag = "admin", security(("bearer" = [])),
    params(("kind" = String, Path, description = "banks, branches or outlets"), ("code" = String, Path)),
    request_body = ReferenceIn,
    responses((status = 200, body = ReferenceRecordView), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn change(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    Path((kind, code)): Path<(String, String)>,
    JsonBody(body): JsonBody<ReferenceIn>,
) -> Result<Json<ReferenceRecordView>, ApiError> {
    let kind = kind_of(&kind)?;
    let after = changes::parse(&state.ctx, kind, &code, &body.into())?;
    changes::change(&state.ctx, &p, after, &meta.0).await?;
    Ok(Json(view(&state, kind, &code).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnlineReplacementIn {
    pub supported: bool,
}

/// Whether a bank takes replacements of damaged cards (换领) online (SPEC §7.2); otherwise at its counter.
/// Kept as a change of the bank.
#[utoipa::path(put, path = "/api/v1/admin/banks/{code}/online-replacement", operation_id = "set_online_replacement",
    tag = "admin", security(("bearer" = [])), params(("code" = String, Path)), request_body = OnlineReplacementIn,
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn set_online_replacement(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    Path(code): Path<String>,
    JsonBody(body): JsonBody<OnlineReplacementIn>,
) -> Result<StatusCode, ApiError> {
    changes::set_online_replacement(&state.ctx, &p, &code, body.supported, &meta.0).await?;
    Ok(StatusCode::NO_CONTENT)
}
