//! The bank clerk's counter (issue 7): find a holder's cards of the clerk's bank by ID number (with a purpose,
//! audited), then record the pickup of a card waiting at the clerk's branch: identity checked, the holder in
//! person or a minor's listed guardian, optionally activating the social-security function. Every rule is the
//! use case's, as in the API.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use sscard_app::counter::{self, CollectIn};

use super::forms::FieldErrors;
use super::pages::{csrf_pages, PageCtx, PageError, PageResult};
use crate::access::ClientMeta;
use crate::problem::ApiError;

#[derive(Serialize, Clone)]
struct CardRow {
    number: String,
    name: String,
    id_number: String,
    branch: String,
    state: String,
    state_name: String,
    social_security: String,
    minor: bool,
    waiting: bool,
}

#[derive(Serialize, Default)]
struct CounterPage {
    csrf: String,
    id_number: String,
    purpose: String,
    searched: bool,
    cards: Vec<CardRow>,
    notice: Option<String>,
    #[serde(flatten)]
    problems: FieldErrors,
}

csrf_pages!(CounterPage);

#[derive(Deserialize)]
pub struct FindForm {
    id_number: Option<String>,
    purpose: Option<String>,
}

/// Fills the page with the holder's cards (the read is audited by the use case).
/// A refusal (a malformed ID number, no purpose) goes beside the field; a failure is the 500 page.
async fn find(c: &PageCtx, page: &mut CounterPage, meta: &sscard_app::auth::Meta) -> Result<(), PageError> {
    match counter::find_cards(&c.state.ctx, &c.p, &page.id_number, Some(page.purpose.as_str()), meta).await {
        Ok(found) => {
            page.searched = true;
            for (card, a) in found {
                let name = sscard_app::people::registry_name(&c.state.ctx, &card.holder).await?;
                // The branch by its name and address, as the clerk and the holder know it.
                let branch = match &a.form.branch {
                    Some(code) => sscard_app::reference::branch(&c.state.ctx, code)
                        .await?
                        .map(|b| format!("{}（{}）", b.name, b.address))
                        .unwrap_or_else(|| code.clone()),
                    None => String::new(),
                };
                page.cards.push(CardRow {
                    id_number: card.holder.masked(),
                    branch,
                    state: a.state.as_str().into(),
                    state_name: c.m(&format!("state-{}", a.state.as_str())),
                    social_security: c.m(&format!("card_ss-{}", card.social_security.as_str())),
                    minor: sscard_domain::minor::is_minor(&card.holder, c.state.ctx.clock.now().date_naive()),
                    waiting: a.state == sscard_domain::application::ApplicationState::ReadyForPickup,
                    number: card.number,
                    name,
                });
            }
        }
        Err(e) => {
            let err = ApiError::from(e);
            if err.status().is_server_error() {
                return Err(err.into());
            }
            page.problems.add(&c.state, c.prefs.lang, &err, "id_number");
        }
    }
    Ok(())
}

pub async fn counter_page(c: PageCtx) -> Response {
    let page = CounterPage {
        purpose: "counter_service".into(),
        ..CounterPage::default()
    };
    c.show("counter.html", StatusCode::OK, page).await
}

/// The search is a POST, so the holder's ID number never lands in a URL (the counter PC's history, a proxy's
/// log); the answer is the page itself.
pub async fn search(c: PageCtx, meta: ClientMeta, axum::Form(f): axum::Form<FindForm>) -> PageResult {
    let mut page = CounterPage {
        id_number: f.id_number.unwrap_or_default().trim().to_string(),
        purpose: f.purpose.unwrap_or_default(),
        ..CounterPage::default()
    };
    find(&c, &mut page, &meta.0).await?;
    let status = if page.problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(c.show("counter.html", status, page).await)
}

/// Records a pickup, then shows the holder's cards again.
pub async fn collect(c: PageCtx, meta: ClientMeta, Path(number): Path<String>, body: Bytes) -> PageResult {
    let f: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let input = CollectIn {
        identity_checked: get("identity_checked").is_some(),
        collector: get("collector").unwrap_or_default(),
        guardian_id_number: get("guardian_id_number").filter(|g| !g.trim().is_empty()),
        activate: get("activate").is_some(),
    };
    let id_number = get("holder").unwrap_or_default();
    match counter::collect(&c.state.ctx, &c.p, &number, &input, &meta.0).await {
        Ok(_) => {
            // The page itself, not a redirect: a redirect would carry the ID number in its URL.
            let mut page = CounterPage {
                id_number,
                purpose: "counter_service".into(),
                notice: Some(c.m("counter_done")),
                ..CounterPage::default()
            };
            find(&c, &mut page, &meta.0).await?;
            Ok(c.show("counter.html", StatusCode::OK, page).await)
        }
        Err(e @ sscard_app::applications::ApplyError::NotFound) => Err(e.into()),
        Err(e) => {
            let mut page = CounterPage {
                id_number,
                purpose: "counter_service".into(),
                ..CounterPage::default()
            };
            let status = c.fail(&mut page.problems, ApiError::from(e), "collector");
            find(&c, &mut page, &meta.0).await?;
            Ok(c.show("counter.html", status, page).await)
        }
    }
}
