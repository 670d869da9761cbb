//! The admin's settings of the card's life: the working-day calendar (a year loaded as a file), the
//! concentrated campaign's period, and which banks take replacements online.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::Authed;
use crate::problem::{ApiError, JsonBody, Problem};
use crate::state::AppState;

const UNPROCESSABLE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

#[derive(Serialize, ToSchema)]
pub struct CalendarView {
    /// The loaded years, each with when and by whom.
    pub years: Vec<CalendarYearView>,
    /// The last day the loaded data covers.
    pub last_day: Option<String>,
    pub days_left: Option<i64>,
    /// From 60 days before the last loaded day: load the next year. Until then a due date past it is counted on
    /// weekends only and marked provisional.
    pub warning: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CalendarYearView {
    pub year: i32,
    pub loaded_at: String,
    pub loaded_by: String,
}

async fn calendar_view(state: &AppState) -> Result<CalendarView, ApiError> {
    let status = sscard_app::calendar::status(&state.ctx).await?;
    Ok(CalendarView {
        years: status
            .loaded
            .into_iter()
            .map(|(year, at, by)| CalendarYearView {
                year,
                loaded_at: at.to_rfc3339(),
                loaded_by: by,
            })
            .collect(),
        last_day: status.last_day.map(|d| d.to_string()),
        days_left: status.days_left,
        warning: status.warning,
    })
}

/// The working-day calendar: the years loaded and how far it reaches.
#[utoipa::path(get, path = "/api/v1/admin/calendar", operation_id = "get_calendar", tag = "admin",
    security(("bearer" = [])), responses((status = 200, body = CalendarView), (status = 403, body = Problem)))]
pub async fn get_calendar(State(state): State<AppState>) -> Result<Json<CalendarView>, ApiError> {
    Ok(Json(calendar_view(&state).await?))
}

/// Loads a year's official holidays and adjusted working days: a CSV file `date,kind,name` (`kind` is `holiday`
/// for a weekday off, `workday` for a weekend day worked). Each year in the file replaces what was loaded for
/// it; open replacement orders whose due date was provisional are recomputed. A bad row is refused with its
/// row number and nothing is loaded.
#[utoipa::path(put, path = "/api/v1/admin/calendar", operation_id = "load_calendar", tag = "admin",
    security(("bearer" = [])), request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = CalendarView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn load_calendar(
    State(state): State<AppState>,
    Authed(p): Authed,
    body: String,
) -> Result<Json<CalendarView>, ApiError> {
    use sscard_app::calendar::CalendarLoadError as E;
    match sscard_app::calendar::load(&state.ctx, &body, &p.account.id).await {
        Ok(_) => Ok(Json(calendar_view(&state).await?)),
        Err(E::Invalid(e)) => Err(
            ApiError::field(UNPROCESSABLE, "invalid_fields", "file", "calendar_invalid")
                .with_arg("reason", e.to_string()),
        ),
        Err(E::Empty) => Err(ApiError::field(
            UNPROCESSABLE,
            "invalid_fields",
            "file",
            "calendar_empty",
        )),
        Err(E::Store(e)) => Err(e.into()),
    }
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignIn {
    /// `YYYY-MM-DD..YYYY-MM-DD` (both days included), or `none`.
    #[schema(example = "2024-10-30..2025-12-31")]
    pub period: String,
}

#[derive(Serialize, ToSchema)]
pub struct CampaignView {
    /// The first and last day, or null for no campaign.
    pub from: Option<String>,
    pub until: Option<String>,
    /// Whether it runs today: counters take no new applications and make no instant cards.
    pub running: bool,
    /// Every change made in the console, newest first (at most 50).
    pub changes: Vec<crate::api::applications::OpeningChangeView>,
}

pub(crate) async fn campaign_view(state: &AppState) -> Result<CampaignView, ApiError> {
    let period = sscard_app::campaign::period(&state.ctx).await?;
    Ok(CampaignView {
        from: period.map(|p| p.from.to_string()),
        until: period.map(|p| p.until.to_string()),
        running: sscard_app::campaign::running(&state.ctx).await?,
        changes: sscard_app::campaign::changes(&state.ctx)
            .await?
            .into_iter()
            .map(|c| crate::api::applications::OpeningChangeView {
                at: c.at.to_rfc3339(),
                by: c.by,
                previous: c.previous,
                value: c.value,
            })
            .collect(),
    })
}

/// The concentrated campaign's period (SPEC §1): unset, the SPEC's 2024-10-30 to 2025-12-31.
#[utoipa::path(get, path = "/api/v1/admin/campaign", operation_id = "get_campaign", tag = "admin",
    security(("bearer" = [])), responses((status = 200, body = CampaignView), (status = 403, body = Problem)))]
pub async fn get_campaign(State(state): State<AppState>) -> Result<Json<CampaignView>, ApiError> {
    Ok(Json(campaign_view(&state).await?))
}

/// Sets the concentrated campaign's period, read by the channel matrix at once.
#[utoipa::path(put, path = "/api/v1/admin/campaign", operation_id = "set_campaign", tag = "admin",
    security(("bearer" = [])), request_body = CampaignIn,
    responses((status = 200, body = CampaignView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_campaign(
    State(state): State<AppState>,
    crate::access::Authed(p): crate::access::Authed,
    JsonBody(body): JsonBody<CampaignIn>,
) -> Result<Json<CampaignView>, ApiError> {
    use sscard_app::campaign::SetError;
    match sscard_app::campaign::set(&state.ctx, &body.period, &p.account.id).await {
        Ok(_) => Ok(Json(campaign_view(&state).await?)),
        Err(SetError::Invalid(f)) => Err(ApiError::field(UNPROCESSABLE, "invalid_fields", &f.field, f.code)),
        Err(SetError::Store(e)) => Err(e.into()),
    }
}
