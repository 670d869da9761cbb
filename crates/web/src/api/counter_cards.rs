//! Card services at a counter over the API (bank clerks, channel `bank_outlet`; outlet clerks,
//! `district_outlet`): find the holder's cards (audited), then a service after the identity check, under the
//! matrix's conditions for the clerk's channel.

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use sscard_app::cards::{counter, services::ServiceRequest};
use sscard_domain::card::channels::Service;
use utoipa::ToSchema;

use super::cards::CardDetail;
use super::hotline::SearchIn;
use crate::access::{Authed, ClientMeta, IdempotencyKey};
use crate::problem::{ApiError, JsonBody, Problem};
use crate::state::AppState;

/// The holder's cards, by ID number (in the body), read for a stated purpose (`counter_service`; audited).
#[utoipa::path(post, path = "/api/v1/counter/card-searches", operation_id = "counter_card_search", tag = "counter", security(("bearer" = [])),
    request_body = SearchIn,
    responses((status = 200, body = [CardDetail]), (status = 422, body = Problem)))]
pub async fn search(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    JsonBody(body): JsonBody<SearchIn>,
) -> Result<Json<Vec<CardDetail>>, ApiError> {
    let views = counter::find(&state.ctx, &p, &body.id_number, body.purpose.as_deref(), &meta.0).await?;
    Ok(Json(views.iter().map(CardDetail::of).collect()))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct CounterServiceIn {
    /// The identity document presented (`id_card`, `passport`, …) and its number (the holder's).
    #[serde(default)]
    pub identity_document: String,
    #[serde(default)]
    pub identity_number: String,
    /// For a loss: `lost` (the default), `stolen`, `other`; for a cancellation: `death`, `emigration`,
    /// `moved_out`, `other`; for a release: `found` or none.
    pub reason: Option<String>,
    pub reason_text: Option<String>,
    /// For a password reset: the new service password (six digits).
    pub new: Option<String>,
}

/// A service on one card at the clerk's counter: activation, financial activation (the issuing bank), temporary
/// or formal loss, release, cancellation, a password reset (`new`; the document checked stands for the online
/// reset's code and face check). A district outlet changes the social-security function only and
/// releases only a formal loss; the issuing bank's services are refused elsewhere (`issuing_bank_only`); a
/// service the channel does not offer is refused with the channels that do (`wrong_channel`).
#[utoipa::path(post, path = "/api/v1/counter/cards/{number}/services/{service}", operation_id = "counter_card_service", tag = "counter",
    security(("bearer" = [])),
    params(("number" = String, Path), ("service" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = CounterServiceIn,
    responses((status = 200, body = CardDetail), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn service(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    Path((number, service)): Path<(String, String)>,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<CounterServiceIn>,
) -> Result<Json<CardDetail>, ApiError> {
    let service = Service::parse(&service).ok_or(ApiError::NotFound)?;
    let identity = counter::IdentityCheck {
        document: body.identity_document,
        number: body.identity_number,
    };
    let v = match service {
        Service::PasswordReset => {
            let new = body.new.unwrap_or_default();
            counter::reset_password(&state.ctx, &p, &number, &identity, &new, &meta.0).await?
        }
        _ => {
            let req = ServiceRequest {
                reason: body.reason,
                reason_text: body.reason_text,
                key,
                ..ServiceRequest::default()
            };
            counter::perform(&state.ctx, &p, &number, service, &identity, &req, &meta.0).await?
        }
    };
    Ok(Json(CardDetail::of(&v)))
}
