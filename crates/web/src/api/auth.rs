//! Logging in through the API (SPEC §3): channel clients identify themselves with HTTP Basic client
//! credentials on every login call; bank systems get tokens with the client-credentials grant.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sscard_app::auth::{self, Issued, Via};
use sscard_app::ports::ApiClient;
use sscard_domain::security;
use sscard_domain::values::Mobile;
use utoipa::ToSchema;

use crate::access::{Authed, ClientMeta};
use crate::api::me::AccountView;
use crate::problem::{ApiError, JsonBody, Problem};
use crate::state::AppState;

/// `Authorization: Basic base64(id:secret)`.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(v.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

async fn client(state: &AppState, headers: &HeaderMap, meta: &ClientMeta) -> Result<ApiClient, ApiError> {
    let Some((id, secret)) = basic(headers) else {
        return Err(ApiError::rule(StatusCode::UNAUTHORIZED, "client_unauthorized"));
    };
    Ok(auth::authenticate_client(&state.ctx, &id, &secret, &meta.0).await?)
}

fn mobile(s: &str) -> Result<Mobile, ApiError> {
    Mobile::parse(s).map_err(|_| {
        ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_fields",
            "mobile",
            "mobile_invalid",
        )
    })
}

#[derive(Serialize, ToSchema)]
pub struct CaptchaOut {
    pub captcha_id: String,
    /// The picture, a `data:image/jpeg;base64,…` URI.
    pub image: String,
    pub expires_in: i64,
}

/// A captcha for the next login or SMS request; single use, bound to this client, 5 minutes.
#[utoipa::path(post, path = "/api/v1/auth/captchas", tag = "auth", security(("client" = [])),
    responses((status = 201, body = CaptchaOut), (status = 401, body = Problem)))]
pub async fn captcha(
    State(state): State<AppState>,
    meta: ClientMeta,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let client = client(&state, &headers, &meta).await?;
    let (id, text) = auth::new_captcha(&state.ctx, &Via::Api { client }).await?;
    let image = crate::captcha::draw(text).await?;
    let out = CaptchaOut {
        captcha_id: id,
        image,
        expires_in: security::CAPTCHA_TTL.num_seconds(),
    };
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct TokenOut {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    pub expires_in: i64,
    pub account: AccountView,
}

impl TokenOut {
    fn of(i: Issued) -> TokenOut {
        TokenOut {
            expires_in: (i.session.expires_at - i.session.created_at).num_seconds(),
            account: AccountView::of(&i.account, i.session.channel),
            access_token: i.secret,
            token_type: "Bearer",
        }
    }
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    res
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginIn {
    /// Username, mobile number or ID number.
    pub login: String,
    pub password: String,
    pub captcha_id: String,
    pub captcha: String,
}

/// Password login: username, mobile or ID number + password + captcha. After 5 wrong passwords in 15
/// minutes the account is locked for 15 minutes, even for the right password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(("client" = [])), request_body = LoginIn,
    responses((status = 200, body = TokenOut), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 429, body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    meta: ClientMeta,
    headers: HeaderMap,
    JsonBody(body): JsonBody<LoginIn>,
) -> Result<Response, ApiError> {
    let client = client(&state, &headers, &meta).await?;
    let issued = auth::login_with_password(
        &state.ctx,
        &Via::Api { client },
        auth::Door::Any,
        &body.login,
        &body.password,
        (&body.captcha_id, &body.captcha),
        &meta.0,
    )
    .await?;
    Ok(no_store(Json(TokenOut::of(issued)).into_response()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsCodeIn {
    pub mobile: String,
    pub captcha_id: String,
    pub captcha: String,
}

#[derive(Serialize, ToSchema)]
pub struct Accepted {
    pub accepted: bool,
}

/// Sends a 6-digit code to a mobile number (at most 5 per number per hour). The answer is the same whether
/// or not an account uses the number.
#[utoipa::path(post, path = "/api/v1/auth/sms-codes", tag = "auth", security(("client" = [])), request_body = SmsCodeIn,
    responses((status = 202, body = Accepted), (status = 400, body = Problem), (status = 429, body = Problem)))]
pub async fn sms_code(
    State(state): State<AppState>,
    meta: ClientMeta,
    headers: HeaderMap,
    JsonBody(body): JsonBody<SmsCodeIn>,
) -> Result<Response, ApiError> {
    let client = client(&state, &headers, &meta).await?;
    let m = mobile(&body.mobile)?;
    auth::send_sms_code(
        &state.ctx,
        &Via::Api { client },
        (&body.captcha_id, &body.captcha),
        &m,
        &meta.0,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(Accepted { accepted: true })).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsLoginIn {
    pub mobile: String,
    pub code: String,
}

/// Mobile + SMS code login.
#[utoipa::path(post, path = "/api/v1/auth/sms-login", tag = "auth", security(("client" = [])), request_body = SmsLoginIn,
    responses((status = 200, body = TokenOut), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn sms_login(
    State(state): State<AppState>,
    meta: ClientMeta,
    headers: HeaderMap,
    JsonBody(body): JsonBody<SmsLoginIn>,
) -> Result<Response, ApiError> {
    let client = client(&state, &headers, &meta).await?;
    let m = mobile(&body.mobile)?;
    let issued = auth::login_with_sms(&state.ctx, &Via::Api { client }, &m, &body.code, &meta.0).await?;
    Ok(no_store(Json(TokenOut::of(issued)).into_response()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterIn {
    pub mobile: String,
    pub code: String,
    pub password: String,
    pub username: Option<String>,
}

/// A new resident account (mobile proven by an SMS code); logs in.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", security(("client" = [])), request_body = RegisterIn,
    responses((status = 201, body = TokenOut), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn register(
    State(state): State<AppState>,
    meta: ClientMeta,
    headers: HeaderMap,
    JsonBody(body): JsonBody<RegisterIn>,
) -> Result<Response, ApiError> {
    let client = client(&state, &headers, &meta).await?;
    let m = mobile(&body.mobile)?;
    let issued = auth::register(
        &state.ctx,
        &Via::Api { client },
        &m,
        &body.code,
        &body.password,
        body.username.as_deref(),
        &meta.0,
    )
    .await?;
    Ok(no_store(
        (StatusCode::CREATED, Json(TokenOut::of(issued))).into_response(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct TokenIn {
    /// Must be `client_credentials`.
    #[schema(pattern = "^client_credentials$")]
    pub grant_type: String,
}

/// A bank system's token: client-credentials grant with the bank system's id and secret as HTTP Basic.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", security(("client" = [])),
    request_body(content = TokenIn, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = TokenOut), (status = 400, body = Problem), (status = 401, body = Problem)))]
pub async fn token(
    State(state): State<AppState>,
    meta: ClientMeta,
    headers: HeaderMap,
    axum::extract::Form(body): axum::extract::Form<TokenIn>,
) -> Result<Response, ApiError> {
    // Who is asking comes first (RFC 6749 §5.2: no credentials is 401 whatever the grant).
    let Some((id, secret)) = basic(&headers) else {
        return Err(ApiError::rule(StatusCode::UNAUTHORIZED, "client_unauthorized"));
    };
    if body.grant_type != "client_credentials" {
        return Err(ApiError::field(
            StatusCode::BAD_REQUEST,
            "invalid_fields",
            "grant_type",
            "grant_type_unsupported",
        ));
    }
    let issued = auth::bank_system_token(&state.ctx, &id, &secret, &meta.0).await?;
    Ok(no_store(Json(TokenOut::of(issued)).into_response()))
}

/// Ends this token.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn logout(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
) -> Result<StatusCode, ApiError> {
    auth::logout(&state.ctx, &p, &meta.0).await?;
    Ok(StatusCode::NO_CONTENT)
}
