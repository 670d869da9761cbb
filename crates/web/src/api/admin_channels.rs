//! Suspending a service on a channel for a while (SPEC §7.4 as the bureau runs it): the cells suspended now, and
//! every change with who made it. A suspended cell is refused like one the table closes, naming the channels
//! still open; in force on every instance at once.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sscard_app::channel_policy::{self, SuspendError};
use sscard_domain::access::Channel;
use sscard_domain::card::channels::{Service, SuspensionError, Suspensions};
use utoipa::ToSchema;

use crate::access::Authed;
use crate::api::applications::OpeningChangeView;
use crate::problem::{ApiError, JsonBody, Problem};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct SuspendedCell {
    pub service: String,
    pub channel: String,
}

#[derive(Serialize, ToSchema)]
pub struct SuspensionsView {
    pub suspended: Vec<SuspendedCell>,
    /// Newest first (at most 50): the list before and after, as `service:channel` pairs.
    pub changes: Vec<OpeningChangeView>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendIn {
    pub suspended: bool,
}

impl From<SuspendError> for ApiError {
    fn from(e: SuspendError) -> ApiError {
        match e {
            SuspendError::Forbidden => ApiError::rule(StatusCode::FORBIDDEN, "forbidden"),
            SuspendError::Refused(SuspensionError::NotOffered) => {
                ApiError::rule(StatusCode::UNPROCESSABLE_ENTITY, "channel_not_offered")
            }
            SuspendError::Refused(SuspensionError::Malformed) => {
                ApiError::Internal("the stored suspensions are malformed".into())
            }
            SuspendError::Store(s) => s.into(),
        }
    }
}

pub(crate) async fn view(state: &AppState, now: Suspensions) -> Result<SuspensionsView, ApiError> {
    Ok(SuspensionsView {
        suspended: now
            .pairs()
            .iter()
            .map(|(s, c)| SuspendedCell {
                service: s.as_str().into(),
                channel: c.as_str().into(),
            })
            .collect(),
        changes: channel_policy::changes(&state.ctx)
            .await?
            .into_iter()
            .map(|c| OpeningChangeView {
                at: c.at.to_rfc3339(),
                by: c.by,
                previous: c.previous,
                value: c.value,
            })
            .collect(),
    })
}

/// The services suspended on a channel now, and the changes.
#[utoipa::path(get, path = "/api/v1/admin/channel-suspensions", operation_id = "list_channel_suspensions", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = SuspensionsView), (status = 403, body = Problem)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<SuspensionsView>, ApiError> {
    let now = channel_policy::suspensions(&state.ctx).await?;
    Ok(Json(view(&state, now).await?))
}

/// Suspends a service on a channel, or restores it. Only what the SPEC's table offers can be suspended
/// (`channel_not_offered`).
#[utoipa::path(put, path = "/api/v1/admin/channel-suspensions/{service}/{channel}", operation_id = "set_channel_suspension", tag = "admin",
    security(("bearer" = [])), params(("service" = String, Path), ("channel" = String, Path)), request_body = SuspendIn,
    responses((status = 200, body = SuspensionsView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn set(
    State(state): State<AppState>,
    Authed(p): Authed,
    Path((service, channel)): Path<(String, String)>,
    JsonBody(body): JsonBody<SuspendIn>,
) -> Result<Json<SuspensionsView>, ApiError> {
    let service = Service::parse(&service).ok_or(ApiError::NotFound)?;
    let channel = Channel::parse(&channel).ok_or(ApiError::NotFound)?;
    let now = channel_policy::set(&state.ctx, &p, service, channel, body.suspended).await?;
    Ok(Json(view(&state, now).await?))
}
