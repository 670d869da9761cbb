//! Replacement over the API (SPEC §7.2): a holder's (or guardian's) online 换领 at a bank that takes it, and
//! a bank clerk's 补领 or 换领 at the counter (an instant card where the branch is equipped).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sscard_app::cards::counter::IdentityCheck;
use sscard_app::cards::replacement::{self, ReplacementRequest};
use sscard_app::ports::ReplacementOrder;
use sscard_domain::card::Card;
use utoipa::ToSchema;

use crate::access::{Authed, ClientMeta, IdempotencyKey};
use crate::problem::{ApiError, JsonBody, Problem};
use crate::state::AppState;

/// A replacement order as its holder and the counter see it.
#[derive(Serialize, ToSchema)]
pub struct ReplacementView {
    pub id: String,
    /// The card it replaces.
    pub card: String,
    #[schema(example = "damaged")]
    pub cause: &'static str,
    /// `ordered`, `sent_to_bank`, `in_production`, `rejected`, `produced`, `ready_for_pickup`, `mailed`,
    /// `collected`.
    #[schema(example = "ordered")]
    pub state: &'static str,
    /// Where the new card is collected.
    pub branch: String,
    /// Made within 4 working days of the request (SPEC §7.2).
    pub due_on: String,
    /// Counted past the loaded working-day calendar (weekends only): recomputed when the year is loaded.
    pub due_provisional: bool,
    /// Made at the counter.
    pub instant: bool,
    /// The new card, once produced.
    pub new_card: Option<String>,
    pub created_at: String,
}

impl ReplacementView {
    pub fn of(r: &ReplacementOrder) -> ReplacementView {
        ReplacementView {
            id: r.id.clone(),
            card: r.card.clone(),
            cause: r.cause.as_str(),
            state: r.state.as_str(),
            branch: r.branch.clone(),
            due_on: r.due.date.to_string(),
            due_provisional: r.due.provisional,
            instant: r.instant,
            new_card: r.new_card.clone(),
            created_at: r.created_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ReplacementOut {
    pub replacement: ReplacementView,
    /// The replaced card's functions after the request (a lost card ends at once; one in hand works until the
    /// new card is activated).
    #[schema(example = "active")]
    pub social_security: &'static str,
    #[schema(example = "active")]
    pub financial: &'static str,
}

fn out(r: &ReplacementOrder, card: &Card) -> ReplacementOut {
    ReplacementOut {
        replacement: ReplacementView::of(r),
        social_security: card.social_security.as_str(),
        financial: card.financial.as_str(),
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct OnlineReplacementIn {
    /// `damaged` or `printed_field_changed` (a lost card is reissued at the issuing bank's counter).
    #[serde(default)]
    pub cause: String,
    /// A branch of the card's bank that hands cards over; default: the card's own branch.
    pub branch: Option<String>,
}

/// Asks for a replacement of a card in hand (换领), online: only at banks that take it online
/// (`no_online_replacement` otherwise, naming the bank counter); free of charge, made within 4 working days
/// at the chosen branch. The card keeps working until the new one is activated. Send an `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/me/cards/{number}/replacement", operation_id = "request_replacement", tag = "cards",
    security(("bearer" = [])), params(("number" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = OnlineReplacementIn,
    responses((status = 201, body = ReplacementOut), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn request_online(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    Path(number): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<OnlineReplacementIn>,
) -> Result<(StatusCode, Json<ReplacementOut>), ApiError> {
    let req = ReplacementRequest {
        cause: body.cause,
        branch: body.branch,
        instant: None,
        key,
    };
    let (order, card) = replacement::request_online(&state.ctx, &p, &number, &req, &meta.0).await?;
    Ok((StatusCode::CREATED, Json(out(&order, &card))))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CounterReplacementIn {
    /// The identity document presented (`id_card`, `passport`, …) and its number (the holder's).
    #[serde(default)]
    pub identity_document: String,
    #[serde(default)]
    pub identity_number: String,
    /// The old card handed in (required for a 换领; a lost card cannot be).
    #[serde(default)]
    pub card_presented: bool,
    /// `self` (default) or `guardian` (of a minor: `agent_id_number` is the guardian's own ID number).
    pub acting: Option<String>,
    pub agent_id_number: Option<String>,
    /// `lost` (补领, after the formal loss), `damaged` or `printed_field_changed` (换领).
    #[serde(default)]
    pub cause: String,
    /// An instant card made at this (equipped) branch: its number and masked account.
    pub instant_card_number: Option<String>,
    pub instant_masked_account: Option<String>,
}

/// A replacement at the issuing bank's counter after the identity check: 补领 of a formally lost card (which
/// ends at once) or 换领. It becomes a replacement order due in 4 working days, or, at an equipped branch
/// outside the campaign, an instant card handed over at once (`instant_card_number`). Refused at a district
/// outlet (`wrong_channel`, naming the bank counter) and at another bank (`issuing_bank_only`).
#[utoipa::path(post, path = "/api/v1/counter/cards/{number}/replacement", operation_id = "counter_replacement",
    tag = "counter", security(("bearer" = [])),
    params(("number" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = CounterReplacementIn,
    responses((status = 201, body = ReplacementOut), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn request_at_counter(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    Path(number): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<CounterReplacementIn>,
) -> Result<(StatusCode, Json<ReplacementOut>), ApiError> {
    let identity = IdentityCheck {
        document: body.identity_document,
        number: body.identity_number,
        card_presented: body.card_presented,
    };
    let instant = match (body.instant_card_number, body.instant_masked_account) {
        (None, None) => None,
        (n, a) => Some((n.unwrap_or_default(), a.unwrap_or_default())),
    };
    let req = ReplacementRequest {
        cause: body.cause,
        branch: None,
        instant,
        key,
    };
    let party = sscard_app::cards::counter::CounterParty {
        acting: body.acting,
        agent_id_number: body.agent_id_number,
        case_document: None,
    };
    let (order, card) =
        replacement::request_at_counter(&state.ctx, &p, &number, &identity, &party, &req, &meta.0).await?;
    Ok((StatusCode::CREATED, Json(out(&order, &card))))
}
