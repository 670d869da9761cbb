//! The console's case lookup: a person's applications and cards with their timelines, found by ID number,
//! application reference or card number, for a stated purpose (audited). The key travels in the body, never
//! in a URL, so it is not written into access logs.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use sscard_app::cases::{self, Case};
use utoipa::ToSchema;

use crate::access::{Authed, ClientMeta};
use crate::problem::{ApiError, JsonBody, Problem};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseLookupIn {
    /// An ID number, an application reference (`BJ…`) or a card number.
    #[schema(example = "BJ20261208AB12CD34")]
    pub q: String,
    /// Why: counter_service, hotline_enquiry, card_production, employer_application, case_review or
    /// data_correction.
    #[schema(example = "case_review")]
    pub purpose: String,
}

#[derive(Serialize, ToSchema)]
pub struct CaseView {
    /// Masked.
    pub id_number: String,
    /// The registry's name; absent when the registry no longer lists the person.
    pub name: Option<String>,
    pub category: Option<String>,
    pub applications: Vec<CaseApplication>,
    pub cards: Vec<CaseCard>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseApplication {
    pub id: String,
    pub reference: String,
    pub route: String,
    pub channel: String,
    pub state: String,
    pub bank: Option<String>,
    pub branch: Option<String>,
    pub submitted_at: Option<String>,
    pub due_on: Option<String>,
    /// Oldest first.
    pub events: Vec<CaseEvent>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseEvent {
    pub at: String,
    pub event: String,
    pub from: Option<String>,
    pub to: String,
    pub actor: String,
    pub channel: Option<String>,
    pub note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseCard {
    pub number: String,
    pub bank: String,
    pub branch: Option<String>,
    pub issued_on: String,
    pub social_security: String,
    pub financial: String,
    /// Oldest first: each service that changed the card, with both functions' states before and after.
    pub transitions: Vec<CaseEvent>,
    pub replacements: Vec<CaseReplacement>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseReplacement {
    pub id: String,
    pub cause: String,
    pub state: String,
    pub branch: String,
    pub due_on: String,
    pub new_card: Option<String>,
}

fn time(t: chrono::DateTime<chrono::FixedOffset>) -> String {
    t.to_rfc3339()
}

impl From<&Case> for CaseView {
    fn from(c: &Case) -> CaseView {
        CaseView {
            id_number: c.id_number.masked(),
            name: c.person.as_ref().map(|p| p.name.as_str().to_string()),
            category: c.person.as_ref().map(|p| p.membership.category().to_string()),
            applications: c
                .applications
                .iter()
                .map(|a| {
                    let app = &a.application;
                    CaseApplication {
                        id: app.id.clone(),
                        reference: app.reference.clone(),
                        route: app.route.as_str().into(),
                        channel: app.channel.as_str().into(),
                        state: app.state.as_str().into(),
                        bank: app.form.bank.clone(),
                        branch: app.form.branch.clone(),
                        submitted_at: app.submitted_at.map(time),
                        due_on: app.due_on.map(|d| d.to_string()),
                        events: a
                            .events
                            .iter()
                            .map(|e| CaseEvent {
                                at: time(e.at),
                                event: e.event.as_str().into(),
                                from: e.from.map(|s| s.as_str().into()),
                                to: e.to.as_str().into(),
                                actor: e.actor.clone(),
                                channel: Some(e.channel.as_str().into()),
                                note: e.note.clone(),
                            })
                            .collect(),
                    }
                })
                .collect(),
            cards: c
                .cards
                .iter()
                .map(|k| CaseCard {
                    number: k.card.number.clone(),
                    bank: k.card.bank.clone(),
                    branch: k.card.branch.clone(),
                    issued_on: k.card.issued_on.to_string(),
                    social_security: k.card.social_security.as_str().into(),
                    financial: k.card.financial.as_str().into(),
                    transitions: k
                        .transitions
                        .iter()
                        .map(|t| CaseEvent {
                            at: time(t.at),
                            event: t.service.as_str().into(),
                            from: Some(format!("{}/{}", t.social_security.0.as_str(), t.financial.0.as_str())),
                            to: format!("{}/{}", t.social_security.1.as_str(), t.financial.1.as_str()),
                            actor: t.actor.account.clone(),
                            channel: t.channel.map(|ch| ch.as_str().into()),
                            note: Some(t.reason.as_str().to_string()),
                        })
                        .collect(),
                    replacements: k
                        .replacements
                        .iter()
                        .map(|r| CaseReplacement {
                            id: r.id.clone(),
                            cause: r.cause.as_str().into(),
                            state: r.state.as_str().into(),
                            branch: r.branch.clone(),
                            due_on: r.due.date.to_string(),
                            new_card: r.new_card.clone(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// Looks a case up. The read is audited with its purpose and shows in the person's "who read my data"; a key
/// that finds nothing answers 404 (and is audited too).
#[utoipa::path(post, path = "/api/v1/admin/cases/lookup", operation_id = "look_up_case", tag = "admin", security(("bearer" = [])),
    request_body = CaseLookupIn,
    responses((status = 200, body = CaseView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn look_up(
    State(state): State<AppState>,
    meta: ClientMeta,
    Authed(p): Authed,
    JsonBody(body): JsonBody<CaseLookupIn>,
) -> Result<Json<CaseView>, ApiError> {
    let case = cases::look_up(&state.ctx, &p, &body.q, Some(&body.purpose), &meta.0).await?;
    Ok(Json(CaseView::from(&case)))
}
