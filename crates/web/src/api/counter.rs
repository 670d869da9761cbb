//! Counter services for bank clerks (issue 7): find a holder's cards of the clerk's bank and record their
//! collection at the branch.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use sscard_app::counter;

use super::wire::CollectIn;
use sscard_domain::application::Application;
use sscard_domain::card::Card;
use utoipa::{IntoParams, ToSchema};

use crate::access::{Authed, ClientMeta};
use crate::problem::{ApiError, JsonBody, Problem};
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
pub struct FindParams {
    /// The holder's ID number, as on the identity document shown.
    pub id_number: String,
    /// Why the clerk reads it (`counter_service`): recorded in the holder's access log.
    pub purpose: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CounterCard {
    pub number: String,
    pub name: String,
    /// Masked.
    pub id_number: String,
    pub bank: String,
    /// The branch where the card waits.
    pub branch: Option<String>,
    pub masked_account: String,
    #[schema(example = "pending_activation")]
    pub social_security: String,
    pub financial: String,
    pub application: String,
    pub reference: String,
    /// The application's state (`ready_for_pickup` when it waits at the branch).
    pub state: String,
    /// The route: `minor` cards are collected by a listed guardian.
    pub route: String,
}

fn view(card: Card, a: Application, name: String) -> CounterCard {
    CounterCard {
        name,
        id_number: card.holder.masked(),
        branch: a.form.branch.clone(),
        social_security: card.social_security.as_str().into(),
        financial: card.financial.as_str().into(),
        number: card.number,
        bank: card.bank,
        masked_account: card.masked_account,
        application: a.id,
        reference: a.reference,
        state: a.state.as_str().into(),
        route: a.route.as_str().into(),
    }
}

async fn name_of(state: &AppState, card: &Card) -> Result<String, ApiError> {
    Ok(sscard_app::people::registry_name(&state.ctx, &card.holder).await?)
}

/// The holder's cards issued by the clerk's bank. A purpose is required and the read is audited; a holder
/// without a card of this bank gets an empty list.
#[utoipa::path(get, path = "/api/v1/counter/cards", operation_id = "counter_find_cards", tag = "counter",
    security(("bearer" = [])), params(FindParams),
    responses((status = 200, body = [CounterCard]), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn find(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    Query(q): Query<FindParams>,
) -> Result<Json<Vec<CounterCard>>, ApiError> {
    let found = counter::find_cards(&state.ctx, &p, &q.id_number, q.purpose.as_deref(), &meta.0).await?;
    let mut out = Vec::with_capacity(found.len());
    for (card, a) in found {
        let name = name_of(&state, &card).await?;
        out.push(view(card, a, name));
    }
    Ok(Json(out))
}

/// Records the collection of a card waiting at the clerk's branch: identity checked; the holder in person,
/// or for a minor a guardian listed in the household register (`guardian_required`, `not_guardian`,
/// `holder_must_collect`); optionally activating the social-security function.
#[utoipa::path(post, path = "/api/v1/counter/cards/{number}/collect", operation_id = "counter_collect", tag = "counter",
    security(("bearer" = [])), params(("number" = String, Path)), request_body = CollectIn,
    responses((status = 200, body = CounterCard), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn collect(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    Path(number): Path<String>,
    JsonBody(body): JsonBody<CollectIn>,
) -> Result<Json<CounterCard>, ApiError> {
    let (card, a) = counter::collect(&state.ctx, &p, &number, &body.into(), &meta.0).await?;
    let name = name_of(&state, &card).await?;
    Ok(Json(view(card, a, name)))
}
