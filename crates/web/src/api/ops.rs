//! Operational endpoints: liveness, readiness, metrics, the OpenAPI document.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::problem::{ApiError, Problem};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct Ready {
    #[schema(example = "ready")]
    pub status: &'static str,
    #[schema(example = "sqlite")]
    pub database: &'static str,
    pub calendar: CalendarReadiness,
}

/// The working-day calendar: a counter never stops for want of it, but the admin must load the next year in
/// time (`warning` from 60 days before the last loaded day).
#[derive(Serialize, ToSchema)]
pub struct CalendarReadiness {
    pub years: Vec<i32>,
    /// The last day the loaded data covers (`null`: nothing loaded).
    pub last_day: Option<String>,
    pub days_left: Option<i64>,
    pub warning: bool,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Readiness: the database answers a query. The details say how far the working-day calendar reaches.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses(
    (status = 200, body = Ready),
    (status = 503, description = "The database cannot be reached", body = Problem, content_type = "application/problem+json"),
))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Ready>, ApiError> {
    // Any failure to answer means "not ready": load balancers need 503 here, whatever the cause, and within
    // their probe's timeout (the pool's own wait for a connection is longer).
    let database =
        match tokio::time::timeout(state.config.readiness_timeout, sscard_app::health::database(&state.ctx)).await {
            Ok(Ok(engine)) => engine,
            Ok(Err(e)) => return Err(ApiError::DatabaseUnavailable(e.to_string())),
            Err(_) => {
                return Err(ApiError::DatabaseUnavailable(format!(
                    "no answer within {} ms",
                    state.config.readiness_timeout.as_millis()
                )))
            }
        };
    let calendar = sscard_app::calendar::status(&state.ctx).await?;
    if calendar.warning {
        tracing::warn!(last_day = ?calendar.last_day, "the working-day calendar ends soon: load the next year");
    }
    Ok(Json(Ready {
        status: "ready",
        database,
        calendar: CalendarReadiness {
            years: calendar.years,
            last_day: calendar.last_day.map(|d| d.to_string()),
            days_left: calendar.days_left,
            warning: calendar.warning,
        },
    }))
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "ops", responses(
    (status = 200, description = "The OpenAPI 3 document of every API route", content_type = "application/json"),
))]
pub async fn openapi_json() -> impl IntoResponse {
    match crate::api::openapi().to_json() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => ApiError::Internal(e.to_string()).into_response(),
    }
}

/// Prometheus text exposition (not part of the JSON API, so not in the document).
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
