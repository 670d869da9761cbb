//! The 96066 hotline over the API (role `hotline_agent`, channel `hotline`): find the caller's cards by ID
//! number with a purpose (audited), then a service on one card after the caller's service password: a
//! temporary loss or a status query; any other service is refused naming the channels that offer it.

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use sscard_app::cards::{hotline, services::ServiceRequest};
use sscard_domain::card::channels::Service;
use utoipa::ToSchema;

use super::cards::CardDetail;
use crate::access::{Authed, ClientMeta, IdempotencyKey};
use crate::problem::{ApiError, JsonBody, Problem};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchIn {
    /// The caller's ID number (in the body, so it never lands in a URL or a log).
    pub id_number: String,
    /// Why the agent reads it (`hotline_enquiry`): recorded in the holder's access log.
    #[schema(example = "hotline_enquiry")]
    pub purpose: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FoundCardView {
    pub number: String,
    pub bank: String,
    pub issued_on: String,
}

/// The caller's cards, by ID number, read for a stated purpose (audited).
#[utoipa::path(post, path = "/api/v1/hotline/searches", operation_id = "hotline_search", tag = "hotline", security(("bearer" = [])),
    request_body = SearchIn,
    responses((status = 200, body = [FoundCardView]), (status = 422, body = Problem)))]
pub async fn search(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    JsonBody(body): JsonBody<SearchIn>,
) -> Result<Json<Vec<FoundCardView>>, ApiError> {
    let found = hotline::find(&state.ctx, &p, &body.id_number, body.purpose.as_deref(), &meta.0).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|c| FoundCardView {
                number: c.number,
                bank: c.bank,
                issued_on: c.issued_on.to_string(),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema, Default)]
// Not `deny_unknown_fields`: a service's body is the same on every channel (a client sends the password
// fields it would send online), and the hotline's answer to a service it does not offer is where it can be
// done (`wrong_channel`), not a complaint about the body.
pub struct HotlineServiceIn {
    /// The card's service password, as the caller gives it.
    #[serde(default)]
    pub password: String,
    /// For a loss: `lost` (the default), `stolen` or `other`.
    pub reason: Option<String>,
    pub reason_text: Option<String>,
}

/// A service on one card for the caller, after their service password: `temporary_loss` or `status_query`;
/// anything else is refused (`wrong_channel`, with the channels that offer it). Five wrong passwords on any
/// channel lock it (`service_password_locked`); the initial password must be changed first.
#[utoipa::path(post, path = "/api/v1/hotline/cards/{number}/services/{service}", operation_id = "hotline_service", tag = "hotline",
    security(("bearer" = [])),
    params(("number" = String, Path), ("service" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = HotlineServiceIn,
    responses((status = 200, body = CardDetail), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 423, body = Problem)))]
pub async fn service(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    Path((number, service)): Path<(String, String)>,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<HotlineServiceIn>,
) -> Result<Json<CardDetail>, ApiError> {
    let service = Service::parse(&service).ok_or(ApiError::NotFound)?;
    let view = match service {
        Service::StatusQuery => hotline::status(&state.ctx, &p, &number, &body.password, &meta.0).await?,
        Service::TemporaryLoss => {
            let req = ServiceRequest {
                reason: body.reason,
                reason_text: body.reason_text,
                key,
                ..ServiceRequest::default()
            };
            hotline::report_loss(&state.ctx, &p, &number, &body.password, &req, &meta.0).await?
        }
        other => {
            hotline::other(&p, other)?;
            return Err(ApiError::NotFound);
        }
    };
    Ok(Json(CardDetail::of(&view)))
}
