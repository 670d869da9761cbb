//! Card services at a counter over the API (bank clerks, channel `bank_outlet`; outlet clerks,
//! `district_outlet`): find the holder's cards (audited), then a service after the identity check, under the
//! matrix's conditions for the clerk's channel.

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use sscard_app::cards::replacement::{self, ReplacementRequest};
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
#[serde(deny_unknown_fields)]
pub struct CounterServiceIn {
    /// The holder's identity document presented (`id_card`, `passport`, …) and its number.
    #[serde(default)]
    pub identity_document: String,
    #[serde(default)]
    pub identity_number: String,
    /// The card itself was handed over (required where it is given up: a 换领, a bank change).
    #[serde(default)]
    pub card_presented: bool,
    /// Who acts: `self` (default), `guardian` (of a minor, as in the household register) or `proxy` (with the
    /// holder's written authorisation on record; for a cancellation after a death, emigration or a move, the
    /// documents of that case in `case_document`).
    pub acting: Option<String>,
    /// The guardian's or proxy's own ID number.
    pub agent_id_number: Option<String>,
    pub case_document: Option<String>,
    /// For a loss: `lost` (the default), `stolen`, `other`; for a cancellation: `death`, `emigration`,
    /// `moved_out`, `other`; for a release: `found` or none.
    pub reason: Option<String>,
    pub reason_text: Option<String>,
    /// A password change: the old password; a change or reset: the new one (six digits).
    pub old: Option<String>,
    pub new: Option<String>,
    /// An information change (the reserved mobile of the bank account at the issuing bank only).
    pub address: Option<String>,
    pub occupation: Option<String>,
    pub mobile: Option<String>,
    pub financial_mobile: Option<String>,
    /// A replacement (`replacement`, or `instant_card` with the card made now): `lost`, `damaged` or
    /// `printed_field_changed`.
    pub cause: Option<String>,
    pub instant_card_number: Option<String>,
    pub instant_masked_account: Option<String>,
    /// `instant_card` without a card: a transport top-up (fen) or a park pass (year) recorded on the card.
    pub top_up_fen: Option<i64>,
    pub park_pass_year: Option<u16>,
}

/// A service on one card at the clerk's counter, after the identity check, for the holder or the guardian or
/// proxy in front of the clerk: activation, financial activation (the issuing bank), temporary or formal loss,
/// release, cancellation, bank change (the issuing bank; again only six months after the last change), a
/// password change (`old`, `new`) or reset (`new`), an information change, a status query, a replacement
/// (`cause`; an instant card at an equipped branch), a transport top-up or park pass. A district outlet
/// changes the social-security function only and releases only a formal loss; the issuing bank's services are
/// refused elsewhere (`issuing_bank_only`); a service the channel does not offer this person is refused with
/// the channels that do (`wrong_channel`).
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
    use sscard_app::cards::counter::desk_services;
    let service = Service::parse(&service).ok_or(ApiError::NotFound)?;
    let ctx = &state.ctx;
    let identity = counter::IdentityCheck {
        document: body.identity_document,
        number: body.identity_number,
        card_presented: body.card_presented,
    };
    let party = counter::CounterParty {
        acting: body.acting,
        agent_id_number: body.agent_id_number,
        case_document: body.case_document,
    };
    let instant = match (body.instant_card_number, body.instant_masked_account) {
        (None, None) => None,
        (n, a) => Some((n.unwrap_or_default(), a.unwrap_or_default())),
    };
    let v = match service {
        Service::PasswordReset => {
            let new = body.new.unwrap_or_default();
            counter::reset_password(ctx, &p, &number, &identity, &party, &new, &meta.0).await?
        }
        Service::PasswordChange => {
            let (old, new) = (body.old.unwrap_or_default(), body.new.unwrap_or_default());
            desk_services::change_password(ctx, &p, &number, &identity, &party, &old, &new, &meta.0).await?
        }
        Service::InfoChange => {
            let input = sscard_app::cards::info::InfoIn {
                address: body.address,
                occupation: body.occupation,
                mobile: body.mobile,
                financial_mobile: body.financial_mobile,
            };
            desk_services::change_info(ctx, &p, &number, &identity, &party, &input, &meta.0).await?
        }
        Service::StatusQuery => desk_services::status(ctx, &p, &number, &identity, &party, &meta.0).await?,
        Service::InstantCard if instant.is_none() => {
            desk_services::record_fields(
                ctx,
                &p,
                &number,
                &identity,
                &party,
                body.top_up_fen,
                body.park_pass_year,
                &meta.0,
            )
            .await?
        }
        Service::Replacement | Service::InstantCard => {
            let req = ReplacementRequest {
                cause: body.cause.unwrap_or_default(),
                branch: None,
                instant,
                key,
            };
            replacement::request_at_counter(ctx, &p, &number, &identity, &party, &req, &meta.0).await?;
            desk_services::status(ctx, &p, &number, &identity, &party, &meta.0).await?
        }
        _ => {
            let req = ServiceRequest {
                reason: body.reason,
                reason_text: body.reason_text,
                key,
                ..ServiceRequest::default()
            };
            counter::perform(ctx, &p, &number, service, &identity, &party, &req, &meta.0).await?
        }
    };
    Ok(Json(CardDetail::of(&v)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CounterApplicationIn {
    /// The person's ID number, from the identity document the clerk checked, and the document's kind.
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub identity_document: String,
    /// The consents the person gave at the counter (免责声明, 访问授权).
    #[serde(default)]
    pub disclaimer: bool,
    #[serde(default)]
    pub access_authorisation: bool,
}

/// Takes an application at the counter (SPEC §7.4; refused with `during_campaign` while the concentrated campaign
/// runs): the person's identity checked and their consents recorded, the eligibility check, then the draft on
/// the normal route, prefilled from the registry. The clerk completes it as its applicant with the same routes as
/// online: `PATCH /api/v1/applications/{id}`, the documents, `POST /api/v1/applications/{id}/submit`.
#[utoipa::path(post, path = "/api/v1/counter/applications", operation_id = "counter_application", tag = "counter",
    security(("bearer" = [])), request_body = CounterApplicationIn,
    responses((status = 201, body = super::applications::ApplicationView), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn apply(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    JsonBody(body): JsonBody<CounterApplicationIn>,
) -> Result<(axum::http::StatusCode, Json<super::applications::ApplicationView>), ApiError> {
    let input = sscard_app::applications::CounterApplicationIn {
        id_number: body.id_number,
        identity_document: body.identity_document,
        disclaimer: body.disclaimer,
        access_authorisation: body.access_authorisation,
    };
    let a = sscard_app::applications::start_at_counter(&state.ctx, &p, &input, &meta.0).await?;
    let view = super::applications::view(&state, &a, p.channel).await?;
    Ok((axum::http::StatusCode::CREATED, Json(view)))
}
