//! Applying for a child through the API (SPEC §5.3), for the mini-program channels: find the child, confirm
//! the relationship, answer the child's ID questions; then the common application steps. And "my children".

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sscard_app::applications::ApplyError;
use sscard_app::minors;

use super::wire::{ChildIn, MinorPatch};
use sscard_domain::codes::Table;
use utoipa::ToSchema;

use super::applications::{view, ApplicationView};
use crate::access::{Authed, ClientMeta};
use crate::i18n::Lang;
use crate::problem::{ApiError, JsonBody, Problem};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FindChildIn {
    pub child: ChildIn,
    /// 访问授权: the register is consulted only with it.
    pub access_authorisation: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ChildFound {
    /// Show "您与被代办人的关系是XX，请确认" with `relationship_name`, then send `relationship` back to start.
    #[schema(example = "51")]
    pub relationship: String,
    #[schema(example = "女")]
    pub relationship_name: String,
    pub name: String,
    /// Masked.
    pub id_number: String,
    pub birth_date: String,
    /// The default cartoon card photo may be chosen (the child is under 7 today).
    pub cartoon_allowed: bool,
}

fn lang(headers: &HeaderMap) -> Lang {
    Lang::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

fn relationship_name(state: &AppState, code: &str, lang: Lang) -> String {
    state
        .ctx
        .codes
        .name(Table::GuardianRelationship, code, lang == Lang::En)
}

/// The one refusal that needs the code tables: name the register's relationship in the caller's language.
fn refusal(state: &AppState, lang: Lang, e: ApplyError) -> ApiError {
    match e {
        ApplyError::RelationshipUnconfirmed(code) => {
            ApiError::rule(StatusCode::UNPROCESSABLE_ENTITY, "relationship_unconfirmed")
                .with_arg("relationship_name", relationship_name(state, &code, lang))
                .with_arg("relationship", code)
        }
        other => other.into(),
    }
}

/// Finds a child the caller is a listed guardian of (SPEC §4.2, §5.3) and checks the minor route: under 18
/// today, insured, open, no application in progress, no live card. Refusals: `not_guardian` (whether or not
/// the child exists), `child_name_mismatch`, `come_of_age`, and those of the personal route. Counts against
/// the 20 eligibility checks per hour.
#[utoipa::path(post, path = "/api/v1/children/lookup", operation_id = "find_child", tag = "children", security(("bearer" = [])),
    request_body = FindChildIn,
    responses((status = 200, body = ChildFound), (status = 403, body = Problem), (status = 422, body = Problem),
              (status = 429, body = Problem)))]
pub async fn lookup(
    State(state): State<AppState>,
    meta: ClientMeta,
    headers: HeaderMap,
    Authed(p): Authed,
    JsonBody(body): JsonBody<FindChildIn>,
) -> Result<Json<ChildFound>, ApiError> {
    let lang = lang(&headers);
    let found = minors::find_child(&state.ctx, &p, &body.child.into(), body.access_authorisation, &meta.0)
        .await
        .map_err(|e| refusal(&state, lang, e))?;
    Ok(Json(ChildFound {
        relationship_name: relationship_name(&state, &found.link.relationship, lang),
        relationship: found.link.relationship,
        name: found.child.name.as_str().into(),
        id_number: found.child.id_number.masked(),
        birth_date: found.child.birth_date().to_string(),
        cartoon_allowed: found.cartoon_allowed,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartChildIn {
    /// 免责声明: "I agree".
    pub disclaimer: bool,
    pub access_authorisation: bool,
    pub child: ChildIn,
    /// The relationship code shown by the lookup, sent back as the guardian's confirmation. Absent or
    /// different: `relationship_unconfirmed`, naming the register's relationship.
    #[schema(example = "51")]
    pub relationship: Option<String>,
}

/// Starts an application for a child: the disclaimer, the lookup, the confirmed relationship (then fixed).
/// The draft's collection method is the guardian's branch pickup, the only one allowed.
#[utoipa::path(post, path = "/api/v1/children/applications", operation_id = "start_child_application", tag = "children", security(("bearer" = [])),
    request_body = StartChildIn,
    responses((status = 201, body = ApplicationView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn start(
    State(state): State<AppState>,
    meta: ClientMeta,
    headers: HeaderMap,
    Authed(p): Authed,
    JsonBody(body): JsonBody<StartChildIn>,
) -> Result<Response, ApiError> {
    let lang = lang(&headers);
    let a = minors::start(
        &state.ctx,
        &p,
        body.disclaimer,
        body.access_authorisation,
        &body.child.clone().into(),
        body.relationship.as_deref(),
        &meta.0,
    )
    .await
    .map_err(|e| refusal(&state, lang, e))?;
    Ok((StatusCode::CREATED, Json(view(&state, &a, p.channel).await?)).into_response())
}

/// Saves the child's ID answers (SPEC §5.3): ID type, validity, and for a household booklet whether the
/// guardian is the householder and in the same booklet; the cartoon photo (under 7 only). Every answer given
/// is checked; if any fails, nothing is saved. Documents the new answers no longer need are dropped.
#[utoipa::path(patch, path = "/api/v1/applications/{id}/minor", operation_id = "answer_child_questions", tag = "children", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = MinorPatch,
    responses((status = 200, body = ApplicationView), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn answer(
    State(state): State<AppState>,
    Authed(p): Authed,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<MinorPatch>,
) -> Result<Json<ApplicationView>, ApiError> {
    let a = minors::update(&state.ctx, &p, &id, &patch.into()).await?;
    Ok(Json(view(&state, &a, p.channel).await?))
}

#[derive(Serialize, ToSchema)]
pub struct WardView {
    pub name: Option<String>,
    /// Masked.
    pub id_number: String,
    pub relationship: String,
    pub relationship_name: String,
    /// Under 18 today: the guardian may still apply and act for them.
    pub minor: bool,
    pub applications: Vec<ApplicationView>,
}

/// "My children": each child the household register lists the caller as guardian of, with the applications
/// for their card and where each stands.
#[utoipa::path(get, path = "/api/v1/children", operation_id = "list_children", tag = "children", security(("bearer" = [])),
    responses((status = 200, body = [WardView]), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Authed(p): Authed,
) -> Result<Json<Vec<WardView>>, ApiError> {
    let lang = lang(&headers);
    let mut out = Vec::new();
    for w in minors::children(&state.ctx, &p).await? {
        let mut applications = Vec::new();
        for a in &w.applications {
            applications.push(view(&state, a, p.channel).await?);
        }
        out.push(WardView {
            name: w.child.as_ref().map(|c| c.name.as_str().to_string()),
            id_number: w.link.child.masked(),
            relationship_name: relationship_name(&state, &w.link.relationship, lang),
            relationship: w.link.relationship,
            minor: w.minor,
            applications,
        });
    }
    Ok(Json(out))
}
