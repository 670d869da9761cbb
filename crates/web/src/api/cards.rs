//! The card's life over the API (SPEC §7): the channel matrix as published data, one card's state and history
//! for its holder (or a minor's guardian), and the online services: activation, temporary loss, the service
//! password. Every refusal names its code; a refusal of the channel names where instead (`channels`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sscard_app::cards::{self, services::ServiceRequest, status::CardView};
use sscard_domain::card::channels::{matrix, Service};
use utoipa::ToSchema;

use crate::access::{Authed, ClientMeta, IdempotencyKey};
use crate::problem::{ApiError, JsonBody, Problem};
use crate::state::AppState;

/// One cell of the SPEC §7.4 table.
#[derive(Serialize, ToSchema)]
pub struct ServiceCell {
    #[schema(example = "temporary_loss")]
    pub service: &'static str,
    /// A SPEC §2 channel code.
    #[schema(example = "hotline")]
    pub channel: &'static str,
    /// `self`, `guardian` or `proxy`.
    #[schema(example = "self")]
    pub acting: &'static str,
    /// Whether the SPEC's table offers it.
    pub allowed: bool,
    /// Offered, but suspended on this channel by the bureau for now (refused there, naming the channels still open).
    pub suspended: bool,
    /// Condition codes (`issuing_bank`, `service_password`, …) the service checks itself.
    #[schema(example = json!(["service_password"]))]
    pub conditions: Vec<&'static str>,
}

/// Which channel may do what, for whom (SPEC §7.4): one row per service × channel × acting, with what the bureau
/// has suspended for now. The portal's "where can I do this" page is drawn from the same table.
#[utoipa::path(get, path = "/api/v1/reference/services", tag = "reference",
    responses((status = 200, body = [ServiceCell]), (status = 503, body = Problem)))]
pub async fn services(State(state): State<AppState>) -> Result<Json<Vec<ServiceCell>>, ApiError> {
    let suspended = sscard_app::channel_policy::suspensions(&state.ctx).await?;
    Ok(Json(
        matrix()
            .into_iter()
            .map(|c| ServiceCell {
                service: c.service.as_str(),
                channel: c.channel.as_str(),
                acting: c.acting.as_str(),
                suspended: c.allowed && suspended.contains(c.service, c.channel),
                allowed: c.allowed,
                conditions: c.conditions.iter().map(|x| x.as_str()).collect(),
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct TransitionView {
    pub at: String,
    #[schema(example = "temporary_loss")]
    pub service: &'static str,
    pub social_security_from: &'static str,
    pub social_security_to: &'static str,
    pub financial_from: &'static str,
    pub financial_to: &'static str,
    #[schema(example = "lost")]
    pub reason: &'static str,
    pub reason_text: Option<String>,
    /// `null` for the system's own change (an expired temporary loss).
    pub channel: Option<&'static str>,
    /// The role of who did it (`null`: the system).
    pub role: Option<&'static str>,
    /// `self`, `guardian` or `proxy`.
    pub acting: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct ElsewhereView {
    pub service: &'static str,
    pub channels: Vec<&'static str>,
}

#[derive(Serialize, ToSchema)]
pub struct LegacyCardView {
    pub generation: u8,
    pub bank: String,
    /// When its medical-settlement function ended (the new card's activation).
    pub medical_ended_at: Option<String>,
}

/// One card as its holder (or a minor's guardian) sees it, as of now.
#[derive(Serialize, ToSchema)]
pub struct CardDetail {
    pub number: String,
    /// Masked.
    pub holder_id_number: String,
    pub generation: u8,
    pub bank: String,
    pub branch: Option<String>,
    pub masked_account: String,
    pub issued_on: String,
    #[schema(example = "temp_loss")]
    pub social_security: &'static str,
    #[schema(example = "loss")]
    pub financial: &'static str,
    /// During a temporary loss: when the social-security side ends by itself (Asia/Shanghai, RFC 3339).
    pub loss_until: Option<String>,
    pub transport_enabled: bool,
    pub transport_balance_fen: i64,
    pub park_pass_year: Option<u16>,
    /// `initial`, `set` or `locked`.
    pub service_password: &'static str,
    /// How the caller stands to the card: `self` or `guardian`.
    pub acting: &'static str,
    /// What the caller can do on this channel now.
    pub available_here: Vec<&'static str>,
    /// What the card allows now but only elsewhere, with where.
    pub elsewhere: Vec<ElsewhereView>,
    pub transitions: Vec<TransitionView>,
    pub legacy_cards: Vec<LegacyCardView>,
    /// The card this one replaces, and the one that replaced it.
    pub replaces: Option<String>,
    pub replaced_by: Option<String>,
    /// Printed fields changed in the registry (`name`, `gender`, …): the card must be replaced (换领).
    pub replacement_required: Vec<&'static str>,
    /// The replacement asked for this card: once asked, the card is never released (Q21).
    pub replacement: Option<super::replacements::ReplacementView>,
}

impl CardDetail {
    pub fn of(v: &CardView) -> CardDetail {
        let c = &v.card;
        CardDetail {
            number: c.number.clone(),
            holder_id_number: c.holder.masked(),
            generation: c.generation,
            bank: c.bank.clone(),
            branch: c.branch.clone(),
            masked_account: c.masked_account.clone(),
            issued_on: c.issued_on.to_string(),
            social_security: c.social_security.as_str(),
            financial: c.financial.as_str(),
            loss_until: c.loss_until.map(|t| t.to_rfc3339()),
            transport_enabled: c.transport.enabled,
            transport_balance_fen: c.transport.balance_fen,
            park_pass_year: c.park_pass_year,
            service_password: v.password.as_str(),
            acting: v.acting.as_str(),
            available_here: v.here.iter().map(|s| s.as_str()).collect(),
            elsewhere: v
                .elsewhere
                .iter()
                .map(|e| ElsewhereView {
                    service: e.service.as_str(),
                    channels: e.channels.iter().map(|c| c.as_str()).collect(),
                })
                .collect(),
            transitions: v
                .transitions
                .iter()
                .map(|t| TransitionView {
                    at: t.at.to_rfc3339(),
                    service: t.service.as_str(),
                    social_security_from: t.social_security.0.as_str(),
                    social_security_to: t.social_security.1.as_str(),
                    financial_from: t.financial.0.as_str(),
                    financial_to: t.financial.1.as_str(),
                    reason: t.reason.as_str(),
                    reason_text: t.reason_text.as_ref().map(|r| r.as_str().to_string()),
                    channel: t.channel.map(|c| c.as_str()),
                    role: t.actor.role.map(|r| r.as_str()),
                    acting: t.actor.acting.as_str(),
                })
                .collect(),
            legacy_cards: v
                .legacy
                .iter()
                .map(|l| LegacyCardView {
                    generation: l.generation,
                    bank: l.bank.clone(),
                    medical_ended_at: l.medical_ended_at.map(|t| t.to_rfc3339()),
                })
                .collect(),
            replaces: c.links.replaces.clone(),
            replaced_by: c.links.replaced_by.clone(),
            replacement_required: c.links.replacement_required.iter().map(|f| f.as_str()).collect(),
            replacement: v
                .replacement
                .as_ref()
                .map(|(r, _)| super::replacements::ReplacementView::of(r)),
        }
    }
}

/// One of the caller's cards (or a card of a minor they are guardian of): states, what can be done here and
/// where else, the history of changes.
#[utoipa::path(get, path = "/api/v1/me/cards/{number}", tag = "cards", security(("bearer" = [])),
    params(("number" = String, Path)),
    responses((status = 200, body = CardDetail), (status = 404, body = Problem)))]
pub async fn card(
    State(state): State<AppState>,
    Authed(p): Authed,
    Path(number): Path<String>,
) -> Result<Json<CardDetail>, ApiError> {
    let v = cards::status::view(&state.ctx, &p, &number).await?;
    Ok(Json(CardDetail::of(&v)))
}

/// Activates the card's social-security function (a mailed card; SPEC §7.2). The holder's legacy cards'
/// medical settlement ends (Q24). Send an `Idempotency-Key`: a retry answers the same.
#[utoipa::path(post, path = "/api/v1/me/cards/{number}/activation", tag = "cards", security(("bearer" = [])),
    params(("number" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = CardDetail), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn activate(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    Path(number): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
) -> Result<Json<CardDetail>, ApiError> {
    let req = ServiceRequest {
        key,
        ..ServiceRequest::default()
    };
    let v = cards::services::perform(&state.ctx, &p, &number, Service::Activation, &req, &meta.0).await?;
    Ok(Json(CardDetail::of(&v)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct LossIn {
    /// `lost` (the default), `stolen` or `other`.
    pub reason: Option<String>,
    /// Required with `other`: what happened (at most 200 characters).
    pub reason_text: Option<String>,
}

/// Reports the card lost (临时挂失): medical and financial use are suspended at once; the social-security side
/// ends by itself 15 days later (`loss_until`), the financial one when the issuing bank lifts it. The issuing
/// bank is told through the bank interface. Send an `Idempotency-Key`: a retry answers the same.
#[utoipa::path(post, path = "/api/v1/me/cards/{number}/temporary-loss", tag = "cards", security(("bearer" = [])),
    params(("number" = String, Path), ("Idempotency-Key" = Option<String>, Header)), request_body = LossIn,
    responses((status = 200, body = CardDetail), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn temporary_loss(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    Path(number): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<LossIn>,
) -> Result<Json<CardDetail>, ApiError> {
    let req = ServiceRequest {
        reason: body.reason,
        reason_text: body.reason_text,
        key,
        ..ServiceRequest::default()
    };
    let v = cards::services::perform(&state.ctx, &p, &number, Service::TemporaryLoss, &req, &meta.0).await?;
    Ok(Json(CardDetail::of(&v)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeIn {
    /// The current service password (the initial value until it is first changed).
    pub old: String,
    /// Six digits; not the initial value, not six equal or consecutive digits.
    pub new: String,
}

/// Changes the service password with the current one. A wrong current password counts towards the lock
/// (five wrong tries on any channel).
#[utoipa::path(put, path = "/api/v1/me/cards/{number}/password", tag = "cards", security(("bearer" = [])),
    params(("number" = String, Path)), request_body = PasswordChangeIn,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem), (status = 423, body = Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    Path(number): Path<String>,
    JsonBody(body): JsonBody<PasswordChangeIn>,
) -> Result<StatusCode, ApiError> {
    cards::password::change(&state.ctx, &p, &number, &body.old, &body.new, &meta.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Texts a one-time code to the mobile on record for the card, for a password reset.
#[utoipa::path(post, path = "/api/v1/me/cards/{number}/password/reset-code", tag = "cards", security(("bearer" = [])),
    params(("number" = String, Path)),
    responses((status = 202), (status = 404, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn reset_code(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    Path(number): Path<String>,
) -> Result<StatusCode, ApiError> {
    cards::password::send_reset_code(&state.ctx, &p, &number, &meta.0).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetIn {
    /// The code texted by `reset-code`.
    pub code: String,
    /// A photo of the face of the person acting, taken now (JPEG or PNG), base64: the real-name face check.
    pub photo: String,
    pub new: String,
}

/// Resets the service password (a locked one too) after identity is verified again: the texted code and the
/// face check.
#[utoipa::path(post, path = "/api/v1/me/cards/{number}/password/reset", tag = "cards", security(("bearer" = [])),
    params(("number" = String, Path)), request_body = PasswordResetIn,
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn reset_password(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    Path(number): Path<String>,
    JsonBody(body): JsonBody<PasswordResetIn>,
) -> Result<StatusCode, ApiError> {
    let photo = base64::engine::general_purpose::STANDARD
        .decode(body.photo.trim())
        .unwrap_or_default();
    let input = cards::password::ResetIn {
        code: body.code,
        photo,
        new: body.new,
    };
    cards::password::reset(&state.ctx, &p, &number, &input, &meta.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProxyIn {
    /// The holder's ID number and name, as in the registry.
    pub holder_id_number: String,
    pub holder_name: String,
    /// Of `activation`, `temporary_loss`, `password_change`, `status_query`.
    pub services: Vec<String>,
    /// The last day it may be used (`YYYY-MM-DD`, at most a year ahead).
    pub valid_until: String,
    /// The signed authorisation, scanned or photographed (JPEG or PNG), base64.
    pub document: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProxyView {
    pub id: String,
    /// Masked.
    pub holder_id_number: String,
    pub services: Vec<&'static str>,
    pub valid_until: String,
}

fn proxy_view(a: &sscard_domain::card::proxy::ProxyAuthorisation) -> ProxyView {
    ProxyView {
        id: a.id.clone(),
        holder_id_number: a.holder.masked(),
        services: a.services.iter().map(|s| s.as_str()).collect(),
        valid_until: a.valid_until.to_string(),
    }
}

/// Records a holder's written authorisation naming the caller as their proxy (Q37). The caller may then do
/// those services on the holder's cards (they appear in `GET /api/v1/me/cards/{number}` for them).
#[utoipa::path(post, path = "/api/v1/me/proxy-authorisations", tag = "cards", security(("bearer" = [])),
    request_body = ProxyIn,
    responses((status = 201, body = ProxyView), (status = 422, body = Problem)))]
pub async fn authorise_proxy(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    JsonBody(body): JsonBody<ProxyIn>,
) -> Result<(StatusCode, Json<ProxyView>), ApiError> {
    let document = base64::engine::general_purpose::STANDARD
        .decode(body.document.trim())
        .unwrap_or_default();
    let input = cards::proxies::ProxyIn {
        holder_id_number: body.holder_id_number,
        holder_name: body.holder_name,
        services: body.services,
        valid_until: body.valid_until,
        document,
    };
    let a = cards::proxies::authorise(&state.ctx, &p, &input, &meta.0).await?;
    Ok((StatusCode::CREATED, Json(proxy_view(&a))))
}

/// The authorisations naming the caller as proxy that are valid today.
#[utoipa::path(get, path = "/api/v1/me/proxy-authorisations", tag = "cards", security(("bearer" = [])),
    responses((status = 200, body = [ProxyView])))]
pub async fn my_proxy_authorisations(
    State(state): State<AppState>,
    Authed(p): Authed,
) -> Result<Json<Vec<ProxyView>>, ApiError> {
    let list = cards::proxies::mine(&state.ctx, &p).await?;
    Ok(Json(list.iter().map(proxy_view).collect()))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct InfoIn {
    pub address: Option<String>,
    /// An occupation code (`GET /api/v1/reference/occupations`).
    pub occupation: Option<String>,
    pub mobile: Option<String>,
    /// The bank account's reserved mobile: refused here (`financial_mobile_at_bank`, with the channel).
    pub financial_mobile: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct InfoView {
    pub address: Option<String>,
    pub occupation: Option<String>,
    /// Masked.
    pub mobile: Option<String>,
}

fn info_in(body: InfoIn) -> cards::info::InfoIn {
    cards::info::InfoIn {
        address: body.address,
        occupation: body.occupation,
        mobile: body.mobile,
        financial_mobile: body.financial_mobile,
    }
}

/// Changes the holder's non-key information on record for the card (Q31): address, occupation, mobile. The
/// holder is texted at the number on record before the change.
#[utoipa::path(patch, path = "/api/v1/me/cards/{number}/info", tag = "cards", security(("bearer" = [])),
    params(("number" = String, Path)), request_body = InfoIn,
    responses((status = 200, body = InfoView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn change_info(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    Path(number): Path<String>,
    JsonBody(body): JsonBody<InfoIn>,
) -> Result<Json<InfoView>, ApiError> {
    let info = cards::info::change(&state.ctx, &p, &number, &info_in(body), &meta.0).await?;
    Ok(Json(InfoView {
        address: info.address.map(|a| a.as_str().to_string()),
        occupation: info.occupation,
        mobile: info.mobile.map(|m| m.masked()),
    }))
}

/// Everything any service on a card may need; each service reads its own fields.
#[derive(Deserialize, ToSchema, Default)]
pub struct AnyServiceIn {
    pub reason: Option<String>,
    pub reason_text: Option<String>,
    /// Password change: the current and the new password.
    pub old: Option<String>,
    pub new: Option<String>,
    /// Password reset: the texted code and a face photo (base64).
    pub code: Option<String>,
    pub photo: Option<String>,
    #[serde(flatten)]
    pub info: InfoIn,
}

/// Any service of SPEC §7.4 by its code, on the caller's channel: performed when the channel matrix (and the
/// proxy's authorisation) allows it, else refused with `wrong_channel` naming the channels that offer it. The
/// answer is the card as it stands after it. (The dedicated routes above do the same, one service each.)
#[utoipa::path(post, path = "/api/v1/me/cards/{number}/services/{service}", tag = "cards",
    security(("bearer" = [])),
    params(("number" = String, Path), ("service" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = AnyServiceIn,
    responses((status = 200, body = CardDetail), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn any_service(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    Path((number, service)): Path<(String, String)>,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<AnyServiceIn>,
) -> Result<Json<CardDetail>, ApiError> {
    let service = Service::parse(&service).ok_or(ApiError::NotFound)?;
    let ctx = &state.ctx;
    match service {
        Service::Activation | Service::TemporaryLoss => {
            let req = ServiceRequest {
                reason: body.reason,
                reason_text: body.reason_text,
                key,
                ..ServiceRequest::default()
            };
            let v = cards::services::perform(ctx, &p, &number, service, &req, &meta.0).await?;
            return Ok(Json(CardDetail::of(&v)));
        }
        Service::StatusQuery => {}
        Service::PasswordChange => {
            let (old, new) = (body.old.unwrap_or_default(), body.new.unwrap_or_default());
            cards::password::change(ctx, &p, &number, &old, &new, &meta.0).await?;
        }
        Service::PasswordReset => {
            let photo = base64::engine::general_purpose::STANDARD
                .decode(body.photo.unwrap_or_default().trim())
                .unwrap_or_default();
            let input = cards::password::ResetIn {
                code: body.code.unwrap_or_default(),
                photo,
                new: body.new.unwrap_or_default(),
            };
            cards::password::reset(ctx, &p, &number, &input, &meta.0).await?;
        }
        Service::InfoChange => {
            cards::info::change(ctx, &p, &number, &info_in(body.info), &meta.0).await?;
        }
        other => cards::services::not_here(ctx, &p, &number, other).await?,
    }
    let v = cards::status::view(ctx, &p, &number).await?;
    Ok(Json(CardDetail::of(&v)))
}
