//! The bank interface's card part (`docs/bank-interface.md`): the issuing bank pulls the events of its cards'
//! financial function (a loss reported online, by the hotline or by a proxy; a release; a cancellation),
//! acknowledges them, and reports the financial function's state back.

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use sscard_app::cards::bank;
use utoipa::ToSchema;

use crate::access::{Authed, ClientMeta};
use crate::problem::{ApiError, JsonBody, Problem};
use crate::state::AppState;

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct EventPullIn {
    /// 1–500; default 100.
    pub limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct CardEventView {
    pub id: String,
    pub card: String,
    /// The service that moved the financial function (`temporary_loss`, `release`, `cancellation`, …).
    #[schema(example = "temporary_loss")]
    pub service: &'static str,
    #[schema(example = "active")]
    pub financial_from: &'static str,
    #[schema(example = "loss")]
    pub financial_to: &'static str,
    pub created_at: String,
}

/// The caller's bank's card events, oldest first, each leased for 10 minutes: one not acknowledged by then is
/// handed out again (at least once, never lost); concurrent pulls never share one.
#[utoipa::path(post, path = "/api/v1/bank/card-events/pull", tag = "bank", security(("bearer" = [])),
    request_body = EventPullIn,
    responses((status = 200, body = [CardEventView]), (status = 422, body = Problem)))]
pub async fn pull(
    State(state): State<AppState>,
    Authed(p): Authed,
    JsonBody(body): JsonBody<EventPullIn>,
) -> Result<Json<Vec<CardEventView>>, ApiError> {
    let events = bank::pull_events(&state.ctx, &p, body.limit.unwrap_or(100)).await?;
    Ok(Json(
        events
            .into_iter()
            .map(|e| CardEventView {
                id: e.id,
                card: e.card,
                service: e.service.as_str(),
                financial_from: e.financial.0.as_str(),
                financial_to: e.financial.1.as_str(),
                created_at: e.created_at.to_rfc3339(),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventAckIn {
    pub events: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EventAcked {
    /// How many were acknowledged by this call (one acknowledged before is not counted again).
    pub acknowledged: u64,
}

/// Acknowledges card events: they are not handed out again.
#[utoipa::path(post, path = "/api/v1/bank/card-events/ack", tag = "bank", security(("bearer" = [])),
    request_body = EventAckIn, responses((status = 200, body = EventAcked)))]
pub async fn ack(
    State(state): State<AppState>,
    Authed(p): Authed,
    JsonBody(body): JsonBody<EventAckIn>,
) -> Result<Json<EventAcked>, ApiError> {
    let acknowledged = bank::ack_events(&state.ctx, &p, &body.events).await?;
    Ok(Json(EventAcked { acknowledged }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinancialIn {
    /// `active`, `loss` or `cancelled`.
    #[schema(example = "active")]
    pub state: String,
}

#[derive(Serialize, ToSchema)]
pub struct CardStateView {
    pub number: String,
    pub social_security: &'static str,
    pub financial: &'static str,
}

/// The bank reports the financial function's state of one of its cards (a loss lifted at its counter, a
/// financial activation, the account closed). The same report twice changes nothing; the holder is texted.
#[utoipa::path(post, path = "/api/v1/bank/cards/{number}/financial", tag = "bank", security(("bearer" = [])),
    params(("number" = String, Path)), request_body = FinancialIn,
    responses((status = 200, body = CardStateView), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn financial(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    Path(number): Path<String>,
    JsonBody(body): JsonBody<FinancialIn>,
) -> Result<Json<CardStateView>, ApiError> {
    let card = bank::report_financial(&state.ctx, &p, &number, &body.state, &meta.0).await?;
    Ok(Json(CardStateView {
        number: card.number,
        social_security: card.social_security.as_str(),
        financial: card.financial.as_str(),
    }))
}
