//! Reference data (SPEC §4.3–4.4): code tables from the binary, banks and branches from the database.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use sscard_app::ports::BranchFilter;
use utoipa::{IntoParams, ToSchema};

use crate::problem::{ApiError, Problem, Query};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct CodeItem {
    #[schema(example = "01")]
    pub code: String,
    #[schema(example = "汉族")]
    pub name_zh: String,
    #[schema(example = "Han")]
    pub name_en: String,
}

#[derive(Serialize, ToSchema)]
pub struct DistrictItem {
    #[schema(example = "110105")]
    pub code: String,
    #[schema(example = "朝阳区")]
    pub name_zh: String,
    #[schema(example = "Chaoyang")]
    pub name_en: String,
    #[schema(example = "100020")]
    pub postal_code: String,
}

#[derive(Serialize, ToSchema)]
pub struct BankItem {
    #[schema(example = "102")]
    pub code: String,
    #[schema(example = "ICBC")]
    pub short: String,
    #[schema(example = "工商银行")]
    pub name_zh: String,
    pub name_en: String,
    /// Whether damaged cards of this bank can be replaced online (SPEC §7.2).
    pub supports_online_replacement: bool,
}

#[derive(Serialize, ToSchema)]
pub struct BranchItem {
    #[schema(example = "102-110105-01")]
    pub code: String,
    #[schema(example = "102")]
    pub bank: String,
    pub name: String,
    #[schema(example = "110105")]
    pub district: String,
    pub address: String,
    pub accepts_pickup: bool,
    pub instant_issuance: bool,
}

#[derive(Serialize, ToSchema)]
pub struct OutletItem {
    pub code: String,
    pub name: String,
    pub district: String,
    pub address: String,
}

#[derive(Serialize, ToSchema)]
pub struct List<T> {
    pub items: Vec<T>,
}

fn codes(list: &[sscard_domain::codes::Code]) -> Json<List<CodeItem>> {
    Json(List {
        items: list
            .iter()
            .map(|c| CodeItem {
                code: c.code.clone(),
                name_zh: c.name_zh.clone(),
                name_en: c.name_en.clone(),
            })
            .collect(),
    })
}

/// The 16 districts (GB/T 2260) with their main postal code.
#[utoipa::path(get, path = "/api/v1/reference/districts", tag = "reference",
    responses((status = 200, body = List<DistrictItem>)))]
pub async fn districts(State(s): State<AppState>) -> Json<List<DistrictItem>> {
    Json(List {
        items: s
            .ctx
            .codes
            .districts
            .iter()
            .map(|d| DistrictItem {
                code: d.code.clone(),
                name_zh: d.name_zh.clone(),
                name_en: d.name_en.clone(),
                postal_code: d.postal_code.clone(),
            })
            .collect(),
    })
}

/// The 56 ethnic groups (GB/T 3304).
#[utoipa::path(get, path = "/api/v1/reference/ethnic-groups", tag = "reference",
    responses((status = 200, body = List<CodeItem>)))]
pub async fn ethnic_groups(State(s): State<AppState>) -> Json<List<CodeItem>> {
    codes(&s.ctx.codes.ethnic_groups)
}

/// Nationalities (GB/T 2659, ISO 3166-1 alpha-3).
#[utoipa::path(get, path = "/api/v1/reference/nationalities", tag = "reference",
    responses((status = 200, body = List<CodeItem>)))]
pub async fn nationalities(State(s): State<AppState>) -> Json<List<CodeItem>> {
    codes(&s.ctx.codes.nationalities)
}

/// Occupations (GB/T 6565 major groups, plus R retired, S student, N not employed).
#[utoipa::path(get, path = "/api/v1/reference/occupations", tag = "reference",
    responses((status = 200, body = List<CodeItem>)))]
pub async fn occupations(State(s): State<AppState>) -> Json<List<CodeItem>> {
    codes(&s.ctx.codes.occupations)
}

/// Guardian relationships (GB/T 4761).
#[utoipa::path(get, path = "/api/v1/reference/guardian-relationships", tag = "reference",
    responses((status = 200, body = List<CodeItem>)))]
pub async fn guardian_relationships(State(s): State<AppState>) -> Json<List<CodeItem>> {
    codes(&s.ctx.codes.guardian_relationships)
}

/// The 15 cooperative banks.
#[utoipa::path(get, path = "/api/v1/reference/banks", tag = "reference", responses(
    (status = 200, body = List<BankItem>),
    (status = 503, body = Problem, content_type = "application/problem+json"),
))]
pub async fn banks(State(s): State<AppState>) -> Result<Json<List<BankItem>>, ApiError> {
    let banks = sscard_app::reference::banks(&s.ctx).await?;
    Ok(Json(List {
        items: banks
            .into_iter()
            .map(|b| BankItem {
                code: b.code,
                short: b.short,
                name_zh: b.name_zh,
                name_en: b.name_en,
                supports_online_replacement: b.supports_online_replacement,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BranchQuery {
    /// Bank code, e.g. `102`.
    pub bank: Option<String>,
    /// District code, e.g. `110105`.
    pub district: Option<String>,
    /// Only branches that hand out cards.
    pub accepts_pickup: Option<bool>,
}

/// Branches of the cooperative banks, filterable by bank and district.
#[utoipa::path(get, path = "/api/v1/reference/branches", tag = "reference", params(BranchQuery), responses(
    (status = 200, body = List<BranchItem>),
    (status = 400, description = "A parameter does not parse", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Unknown bank or district code", body = Problem, content_type = "application/problem+json"),
))]
pub async fn branches(
    State(s): State<AppState>,
    Query(q): Query<BranchQuery>,
) -> Result<Json<List<BranchItem>>, ApiError> {
    let filter = BranchFilter {
        bank: q.bank,
        district: q.district,
        accepts_pickup: q.accepts_pickup,
    };
    let list = sscard_app::reference::branches(&s.ctx, &filter).await?;
    Ok(Json(List {
        items: list
            .into_iter()
            .map(|b| BranchItem {
                code: b.code,
                bank: b.bank,
                name: b.name,
                district: b.district,
                address: b.address,
                accepts_pickup: b.accepts_pickup,
                instant_issuance: b.instant_issuance,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutletQuery {
    /// District code.
    pub district: Option<String>,
}

/// District and street service outlets (区、街社保卡服务网点).
#[utoipa::path(get, path = "/api/v1/reference/outlets", tag = "reference", params(OutletQuery), responses(
    (status = 200, body = List<OutletItem>),
    (status = 422, description = "Unknown district code", body = Problem, content_type = "application/problem+json"),
))]
pub async fn outlets(
    State(s): State<AppState>,
    Query(q): Query<OutletQuery>,
) -> Result<Json<List<OutletItem>>, ApiError> {
    let list = sscard_app::reference::outlets(&s.ctx, q.district.as_deref()).await?;
    Ok(Json(List {
        items: list
            .into_iter()
            .map(|o| OutletItem {
                code: o.code,
                name: o.name,
                district: o.district,
                address: o.address,
            })
            .collect(),
    }))
}
