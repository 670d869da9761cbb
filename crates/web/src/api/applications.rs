//! Applying for one's own card through the API (SPEC §5): the same steps as the portal, for the
//! mini-program channels.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sscard_app::applications::{self as apps, ApplyError};

use super::wire::FormPatch;
use sscard_domain::application::{Application, ApplicationEventRecord};
use sscard_domain::documents::{DocumentKind, MAX_DOCUMENT_BYTES};
use utoipa::ToSchema;

use crate::access::{Authed, ClientMeta, IdempotencyKey};
use crate::problem::{ApiError, JsonBody, Problem};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EligibilityIn {
    /// 访问授权: the applicant agrees to the check against the registry.
    #[schema(example = true)]
    pub access_authorisation: bool,
}

#[derive(Serialize, ToSchema)]
pub struct EligibilityOut {
    #[schema(example = "retiree")]
    pub route: String,
    pub name: String,
    /// Masked.
    pub id_number: String,
    #[schema(example = "retiree")]
    pub category: String,
}

/// 开始资格校验: may this person apply for their own card, and by which route? Each refusal has its own code
/// (`not_in_registry`, `no_insurance`, `not_open_yet`, `application_in_progress`, `live_card`, `under_age`,
/// `employer_not_open`). At most 20 checks per account per hour.
#[utoipa::path(post, path = "/api/v1/applications/eligibility", tag = "applications", security(("bearer" = [])),
    request_body = EligibilityIn,
    responses((status = 200, body = EligibilityOut), (status = 403, body = Problem), (status = 422, body = Problem),
              (status = 429, body = Problem)))]
pub async fn eligibility(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    JsonBody(body): JsonBody<EligibilityIn>,
) -> Result<Json<EligibilityOut>, ApiError> {
    let e = apps::check_eligibility(&state.ctx, &p, body.access_authorisation, &meta.0).await?;
    Ok(Json(EligibilityOut {
        route: e.route.as_str().to_string(),
        name: e.person.name.as_str().to_string(),
        id_number: e.person.id_number.masked(),
        category: e.person.membership.category().to_string(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartIn {
    /// 免责声明: "I agree".
    pub disclaimer: bool,
    pub access_authorisation: bool,
}

#[derive(Serialize, ToSchema)]
pub struct PersonFields {
    pub name: String,
    #[schema(example = "resident_id")]
    pub id_type: &'static str,
    /// Masked.
    pub id_number: String,
    pub id_valid_from: String,
    /// Absent for a long-term ID card.
    pub id_valid_until: Option<String>,
    pub gender: String,
    pub birth_date: String,
    pub nationality: String,
}

#[derive(Serialize, ToSchema)]
pub struct MailView {
    pub recipient: String,
    pub mobile: String,
    pub district: String,
    pub postal_code: String,
    pub address: String,
}

#[derive(Serialize, ToSchema)]
pub struct DocumentView {
    pub media_type: String,
    pub bytes: u64,
}

#[derive(Serialize, ToSchema)]
pub struct ApplicationView {
    pub id: String,
    #[schema(example = "BJ20261121K7PX2Q9A")]
    pub reference: String,
    #[schema(example = "personal")]
    pub route: String,
    #[schema(example = "draft")]
    pub state: String,
    /// The channel it was started on.
    pub channel: String,
    /// Shown from the registry, not editable.
    pub person: Option<PersonFields>,
    pub ethnicity: Option<String>,
    pub occupation: Option<String>,
    pub residence_district: Option<String>,
    pub residence_address: Option<String>,
    pub mobile: Option<String>,
    pub bank: Option<String>,
    pub branch: Option<String>,
    /// A retiree's first third-generation card is issued by the pension bank and branch: not changeable.
    pub bank_locked: bool,
    pub collection: Option<String>,
    /// The collection methods this route allows on the caller's channel (policy data).
    pub allowed_collection: Vec<String>,
    pub mail: Option<MailView>,
    pub documents: BTreeMap<String, DocumentView>,
    /// The documents this application needs (SPEC §5.4): for a child, from the ID type and householder answer.
    pub required_documents: Vec<String>,
    /// For an application for a child: the guardian's fixed relationship and the child's ID answers.
    pub minor: Option<MinorView>,
    /// For a collective application: the employer and the branches and collection it allows.
    pub employer: Option<EmployerView>,
    /// What is still missing before submission.
    pub missing: Vec<String>,
    pub created_at: String,
    pub submitted_at: Option<String>,
    /// The card must be produced by this date (30 days from submission).
    pub due_on: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MinorView {
    /// GB/T 4761 code, from the household register; not editable.
    #[schema(example = "51")]
    pub relationship: String,
    /// The guardian's ID number, masked.
    pub guardian_id_number: String,
    #[schema(example = "household_booklet")]
    pub id_type: String,
    pub id_valid_from: Option<String>,
    pub id_valid_until: Option<String>,
    pub guardian_is_householder: Option<bool>,
    pub same_booklet: Option<bool>,
    pub cartoon_photo: bool,
}

pub async fn view(
    state: &AppState,
    a: &Application,
    channel: sscard_domain::access::Channel,
) -> Result<ApplicationView, ApiError> {
    let d = apps::draft_view(&state.ctx, a, channel).await?;
    Ok(view_of(a, d.person, &d.choices))
}

/// For a collective application: the employer and what it allows.
#[derive(Serialize, ToSchema)]
pub struct EmployerView {
    pub uscc: String,
    /// The employer collects the cards (单位代领): the only collection method then.
    pub entity_collects: bool,
    /// The banks and branches the employee may choose.
    pub allowed_branches: Vec<super::collective::BranchView>,
}

/// The view of an application with what it may choose, and the registry fields when `person` is given.
pub fn view_of(
    a: &Application,
    person: Option<sscard_domain::registry::InsuredPerson>,
    choices: &apps::DraftChoices,
) -> ApplicationView {
    ApplicationView {
        id: a.id.clone(),
        reference: a.reference.clone(),
        route: a.route.as_str().into(),
        state: a.state.as_str().into(),
        channel: a.channel.as_str().into(),
        person: person.map(|p| PersonFields {
            name: p.name.as_str().into(),
            id_type: a.minor.as_ref().map_or("resident_id", |m| m.id_type.as_str()),
            id_number: p.id_number.masked(),
            id_valid_from: p.id_valid_from.to_string(),
            id_valid_until: p.id_valid_until.map(|d| d.to_string()),
            gender: p.gender.as_str().into(),
            birth_date: p.birth_date().to_string(),
            nationality: p.nationality.clone(),
        }),
        ethnicity: a.form.ethnicity.clone(),
        occupation: a.form.occupation.clone(),
        residence_district: a.form.residence_district.clone(),
        residence_address: a.form.residence_address.clone(),
        mobile: a.form.mobile.as_ref().map(|m| m.as_str().to_string()),
        bank: a.form.bank.clone(),
        branch: a.form.branch.clone(),
        bank_locked: choices.bank_locked,
        collection: a.form.collection.map(|c| c.as_str().into()),
        allowed_collection: choices
            .collection_methods
            .iter()
            .map(|m| m.as_str().to_string())
            .collect(),
        mail: a.form.mail.as_ref().map(|m| MailView {
            recipient: m.recipient.as_str().into(),
            mobile: m.mobile.as_str().into(),
            district: m.district.clone(),
            postal_code: m.postal_code.as_str().into(),
            address: m.address.clone(),
        }),
        documents: a
            .documents
            .iter()
            .map(|(k, d)| {
                (
                    k.as_str().to_string(),
                    DocumentView {
                        media_type: d.media_type.clone(),
                        bytes: d.bytes,
                    },
                )
            })
            .collect(),
        required_documents: a.required_documents().iter().map(|k| k.as_str().to_string()).collect(),
        minor: a.minor.as_ref().map(|m| MinorView {
            relationship: m.relationship.clone(),
            guardian_id_number: m.guardian.masked(),
            id_type: m.id_type.as_str().into(),
            id_valid_from: m.id_valid_from.map(|d| d.to_string()),
            id_valid_until: m.id_valid_until.map(|d| d.to_string()),
            guardian_is_householder: m.guardian_is_householder,
            same_booklet: m.same_booklet,
            cartoon_photo: m.cartoon_photo,
        }),
        // A collective application offers what the employer allows (SPEC §6.2).
        employer: choices.employer.as_ref().map(|s| EmployerView {
            uscc: s.entity.as_str().into(),
            entity_collects: s.entity_collects,
            allowed_branches: super::collective::settings_view(s).branches,
        }),
        missing: if a.state.is_editable() { a.missing() } else { Vec::new() },
        created_at: a.created_at.to_rfc3339(),
        submitted_at: a.submitted_at.map(|t| t.to_rfc3339()),
        due_on: a.due_on.map(|d| d.to_string()),
    }
}

/// Starts an application (免责声明 + 访问授权 + the eligibility check) and returns the draft, prefilled from the
/// registry. With an application already open, `application_in_progress` names its reference: resume it.
#[utoipa::path(post, path = "/api/v1/applications", tag = "applications", security(("bearer" = [])), request_body = StartIn,
    responses((status = 201, body = ApplicationView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn start(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    JsonBody(body): JsonBody<StartIn>,
) -> Result<Response, ApiError> {
    let a = apps::start(&state.ctx, &p, body.disclaimer, body.access_authorisation, &meta.0).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &a, p.channel).await?)).into_response())
}

/// 我的办事: the caller's applications, newest first.
#[utoipa::path(get, path = "/api/v1/applications", tag = "applications", security(("bearer" = [])),
    responses((status = 200, body = [ApplicationView]), (status = 401, body = Problem)))]
pub async fn list(State(state): State<AppState>, Authed(p): Authed) -> Result<Json<Vec<ApplicationView>>, ApiError> {
    let mut out = Vec::new();
    for a in apps::list_mine(&state.ctx, &p).await? {
        out.push(view(&state, &a, p.channel).await?);
    }
    Ok(Json(out))
}

/// One application the caller may read: one they made, one for their own card, one for a child they are a
/// listed guardian of. Anything else answers 404, exactly like a missing one.
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "applications", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = ApplicationView), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    Authed(p): Authed,
    Path(id): Path<String>,
) -> Result<Json<ApplicationView>, ApiError> {
    let a = apps::readable(&state.ctx, &p, &id).await?;
    Ok(Json(view(&state, &a, p.channel).await?))
}

/// Saves fields of the draft. Every field given is checked; if any fails, nothing is saved and each is named.
#[utoipa::path(patch, path = "/api/v1/applications/{id}", tag = "applications", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = FormPatch,
    responses((status = 200, body = ApplicationView), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    Authed(p): Authed,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<FormPatch>,
) -> Result<Json<ApplicationView>, ApiError> {
    let a = apps::update(&state.ctx, &p, &id, &patch.into()).await?;
    Ok(Json(view(&state, &a, p.channel).await?))
}

fn kind_of(kind: &str) -> Result<DocumentKind, ApiError> {
    DocumentKind::parse(kind).ok_or(ApiError::NotFound)
}

/// Uploads a document (`card_photo`, `id_front`, `id_back`) as the raw request body. Its type is decided by
/// its bytes; the body is read up to 8.75 MB and no further.
#[utoipa::path(put, path = "/api/v1/applications/{id}/documents/{kind}", tag = "applications", security(("bearer" = [])),
    params(("id" = String, Path), ("kind" = String, Path, example = "card_photo")),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 200, body = ApplicationView), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "The application is no longer a draft (`not_draft`)"),
              (status = 422, body = Problem)))]
pub async fn upload(
    State(state): State<AppState>,
    Authed(p): Authed,
    Path((id, kind)): Path<(String, String)>,
    body: Body,
) -> Result<Json<ApplicationView>, ApiError> {
    let kind = kind_of(&kind)?;
    // One byte over the cap is enough to know it is too large; no more is ever held.
    let cap = usize::try_from(MAX_DOCUMENT_BYTES).unwrap_or(usize::MAX);
    let bytes = match axum::body::to_bytes(body, cap + 1).await {
        // No copy when the buffer is the request's own.
        Ok(b) => Vec::from(b),
        Err(_) => {
            return Err(crate::refusals::document_error(
                kind.as_str(),
                sscard_domain::documents::DocumentError::TooLarge {
                    bytes: MAX_DOCUMENT_BYTES + 1,
                    max: MAX_DOCUMENT_BYTES,
                },
            ))
        }
    };
    let a = match apps::upload(&state.ctx, &p, &id, kind, bytes).await {
        Ok(a) => a,
        Err(ApplyError::Document(d)) => return Err(crate::refusals::document_error(kind.as_str(), d)),
        Err(e) => return Err(e.into()),
    };
    Ok(Json(view(&state, &a, p.channel).await?))
}

/// A document's bytes, for its applicant only.
#[utoipa::path(get, path = "/api/v1/applications/{id}/documents/{kind}", tag = "applications", security(("bearer" = [])),
    params(("id" = String, Path), ("kind" = String, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 404, body = Problem)))]
pub async fn download(
    State(state): State<AppState>,
    Authed(p): Authed,
    Path((id, kind)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let kind = kind_of(&kind)?;
    let (doc, bytes) = apps::document(&state.ctx, &p, &id, kind).await?;
    Ok((
        [
            (header::CONTENT_TYPE, doc.media_type),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitIn {
    /// 申请人郑重承诺.
    pub commitment: bool,
    /// 是否确认提交个人申领: the separate, explicit confirmation.
    pub confirm: bool,
}

/// Submits the application. Send an `Idempotency-Key`: a retry with the same key answers with the
/// application as submitted; a second submission without it is refused (`already_submitted`). The answer
/// leaves out the registry fields (`person`), which the draft already showed.
#[utoipa::path(post, path = "/api/v1/applications/{id}/submit", tag = "applications", security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)), request_body = SubmitIn,
    responses((status = 200, body = ApplicationView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn submit(
    State(state): State<AppState>,
    Authed(p): Authed,
    Path(id): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<SubmitIn>,
) -> Result<Json<ApplicationView>, ApiError> {
    let a = apps::submit(&state.ctx, &p, &id, body.commitment, body.confirm, key.as_deref()).await?;
    // The submission's answer leaves out the registry fields and the employer (an employee does not submit).
    let choices = apps::DraftChoices::of(a.route, p.channel, None);
    Ok(Json(view_of(&a, None, &choices)))
}

/// Withdraws the application (allowed before production starts).
#[utoipa::path(post, path = "/api/v1/applications/{id}/withdraw", tag = "applications", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ApplicationView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn withdraw(
    State(state): State<AppState>,
    Authed(p): Authed,
    Path(id): Path<String>,
) -> Result<Json<ApplicationView>, ApiError> {
    let a = apps::withdraw(&state.ctx, &p, &id).await?;
    Ok(Json(view(&state, &a, p.channel).await?))
}

#[derive(Serialize, ToSchema)]
pub struct EventView {
    pub at: String,
    #[schema(example = "submit")]
    pub event: String,
    pub from: Option<String>,
    pub to: String,
    pub channel: String,
    /// The bank's reason for a rejection, or the tracking number of a mailing.
    pub note: Option<String>,
}

fn event_view(e: ApplicationEventRecord) -> EventView {
    EventView {
        at: e.at.to_rfc3339(),
        event: e.event.as_str().into(),
        from: e.from.map(|s| s.as_str().into()),
        to: e.to.as_str().into(),
        channel: e.channel.as_str().into(),
        note: e.note,
    }
}

/// The application's history: every state change with its time and channel.
#[utoipa::path(get, path = "/api/v1/applications/{id}/events", tag = "applications", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = [EventView]), (status = 404, body = Problem)))]
pub async fn events(
    State(state): State<AppState>,
    Authed(p): Authed,
    Path(id): Path<String>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    Ok(Json(
        apps::history(&state.ctx, &p, &id)
            .await?
            .into_iter()
            .map(event_view)
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpeningIn {
    /// `YYYY-MM-DD`, or null to open the category now.
    pub opens_on: Option<String>,
}

/// Sets the date a registry category (`individual`, `retiree`, `employee`, `resident_minor`) opens for
/// applications (SPEC §10). In force at once on every instance; the change is kept with who made it.
#[utoipa::path(put, path = "/api/v1/admin/openings/{category}", tag = "admin", security(("bearer" = [])),
    params(("category" = String, Path)), request_body = OpeningIn,
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_opening(
    State(state): State<AppState>,
    Authed(p): Authed,
    Path(category): Path<String>,
    JsonBody(body): JsonBody<OpeningIn>,
) -> Result<StatusCode, ApiError> {
    let opens_on = match body.opens_on.as_deref() {
        None => None,
        Some(d) => Some(chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
            ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_fields",
                "opens_on",
                "date_invalid",
            )
        })?),
    };
    match apps::set_opening(&state.ctx, &category, opens_on, &p.account.id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(apps::OpeningError::UnknownCategory) => Err(ApiError::NotFound),
        Err(apps::OpeningError::Store(e)) => Err(e.into()),
    }
}

#[derive(Serialize, ToSchema)]
pub struct OpeningChangeView {
    pub at: String,
    pub by: String,
    /// The date before (empty: open), or null when never set.
    pub previous: Option<String>,
    /// The date after (empty: open).
    pub value: String,
}

#[derive(Serialize, ToSchema)]
pub struct OpeningView {
    pub category: String,
    /// `YYYY-MM-DD`, or null: open.
    pub opens_on: Option<String>,
    pub open_today: bool,
    /// Newest first.
    pub changes: Vec<OpeningChangeView>,
}

impl OpeningView {
    pub fn of(o: apps::Opening) -> Self {
        Self {
            category: o.category.to_string(),
            opens_on: o.opens_on.map(|d| d.to_string()),
            open_today: o.open_today,
            changes: o
                .changes
                .into_iter()
                .map(|c| OpeningChangeView {
                    at: c.at.to_rfc3339(),
                    by: c.by,
                    previous: c.previous,
                    value: c.value,
                })
                .collect(),
        }
    }
}

/// Every category's opening date, whether it is open today, and the history of its changes.
#[utoipa::path(get, path = "/api/v1/admin/openings", operation_id = "list_openings", tag = "admin",
    security(("bearer" = [])), responses((status = 200, body = [OpeningView]), (status = 403, body = Problem)))]
pub async fn openings(State(state): State<AppState>) -> Result<Json<Vec<OpeningView>>, ApiError> {
    let list = apps::openings(&state.ctx).await?;
    Ok(Json(list.into_iter().map(OpeningView::of).collect()))
}
