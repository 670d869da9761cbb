//! A person's registry record, read within the caller's reach; staff give a purpose and are audited.

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::{Authed, ClientMeta};
use crate::problem::{ApiError, Problem, Query};
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
pub struct ReadParams {
    /// Why: one of counter_service, hotline_enquiry, card_production, employer_application, case_review,
    /// data_correction. Required unless the record is the caller's own.
    pub purpose: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PersonView {
    pub id_number: String,
    pub name: String,
    pub gender: String,
    pub birth_date: String,
    pub nationality: String,
    pub ethnicity: Option<String>,
    #[schema(example = "retiree")]
    pub category: String,
    pub mobile: Option<String>,
    pub residence_district: Option<String>,
}

/// A registry record. Out of reach answers 404, exactly like a missing record.
#[utoipa::path(get, path = "/api/v1/persons/{id_number}", tag = "people", security(("bearer" = [])),
    params(("id_number" = String, Path), ReadParams),
    responses((status = 200, body = PersonView), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn person(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    Path(id_number): Path<String>,
    Query(params): Query<ReadParams>,
) -> Result<Json<PersonView>, ApiError> {
    let person =
        sscard_app::people::read_person(&state.ctx, &p, &id_number, params.purpose.as_deref(), &meta.0).await?;
    Ok(Json(PersonView {
        id_number: person.id_number.as_str().to_string(),
        name: person.name.as_str().to_string(),
        gender: person.gender.as_str().to_string(),
        birth_date: person.birth_date().to_string(),
        nationality: person.nationality.clone(),
        ethnicity: person.ethnicity.clone(),
        category: person.membership.category().to_string(),
        mobile: person.mobile.as_ref().map(|m| m.masked()),
        residence_district: person.residence_district.clone(),
    }))
}
