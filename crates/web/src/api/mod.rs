//! The JSON API under `/api/v1`, plus the operational endpoints. Every route is registered through
//! `utoipa_axum::routes!`, so it cannot be served without being in the OpenAPI document.

pub mod ops;
pub mod reference;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sscard API",
        description = "The third-generation social security card platform of Beijing: applications, production \
                       and the card's lifecycle. Errors are RFC 9457 problem documents with a stable `code`; \
                       their text follows `Accept-Language` (zh-CN by default, en).",
        version = "1.0.0",
        license(name = "MIT OR Apache-2.0")
    ),
    tags(
        (name = "ops", description = "Health, readiness, metrics and this document"),
        (name = "reference", description = "Code tables and the cooperative banks' branches (SPEC §4.3–4.4)")
    ),
    components(schemas(crate::problem::Problem, crate::problem::FieldProblem))
)]
pub struct ApiDoc;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::openapi_json))
        .routes(routes!(reference::districts))
        .routes(routes!(reference::ethnic_groups))
        .routes(routes!(reference::nationalities))
        .routes(routes!(reference::occupations))
        .routes(routes!(reference::guardian_relationships))
        .routes(routes!(reference::banks))
        .routes(routes!(reference::branches))
        .routes(routes!(reference::outlets))
}

/// The OpenAPI document of every API route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    router().split_for_parts().1
}
