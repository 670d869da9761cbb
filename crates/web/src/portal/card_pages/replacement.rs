//! 网上换领: the holder asks for a replacement of a card in hand (damaged, or its printed fields changed), where
//! the card's bank takes it online; the new card is made within 4 working days at the chosen branch.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use serde::{Deserialize, Serialize};
use sscard_app::cards::{self, replacement::ReplacementRequest};
use sscard_app::ports::BranchFilter;

use super::super::forms::FieldErrors;
use super::super::pages::{csrf_pages, PageCtx, PageResult};
use super::{shown, title};
use crate::access::ClientMeta;

#[derive(Serialize)]
struct Opt {
    code: String,
    name: String,
    selected: bool,
}

/// `card_replacement.html`.
#[derive(Serialize, Default)]
struct ReplacementPage {
    csrf: String,
    number: String,
    title: String,
    key: String,
    causes: Vec<Opt>,
    branches: Vec<Opt>,
    #[serde(flatten)]
    problems: FieldErrors,
}

csrf_pages!(ReplacementPage);

async fn form(
    c: &PageCtx,
    number: &str,
    cause: &str,
    branch: &str,
    mut page: ReplacementPage,
    status: StatusCode,
) -> PageResult {
    let v = cards::status::view(&c.state.ctx, &c.p, number).await?;
    let flagged = !v.card.links.replacement_required.is_empty();
    page.causes = ["damaged", "printed_field_changed"]
        .into_iter()
        .filter(|code| *code == "damaged" || flagged)
        .map(|code| Opt {
            code: code.into(),
            name: c.m(&format!("cause-{code}")),
            selected: code == cause || (cause.is_empty() && code == "damaged" && !flagged),
        })
        .collect();
    let chosen = if branch.is_empty() {
        v.card.branch.clone().unwrap_or_default()
    } else {
        branch.to_string()
    };
    page.branches = sscard_app::reference::branches(
        &c.state.ctx,
        &BranchFilter {
            bank: Some(v.card.bank.clone()),
            accepts_pickup: Some(true),
            ..BranchFilter::default()
        },
    )
    .await
    .map_err(|e| crate::problem::ApiError::Internal(e.to_string()))?
    .into_iter()
    .map(|b| Opt {
        selected: b.code == chosen,
        name: format!("{}（{}）", b.name, b.address),
        code: b.code,
    })
    .collect();
    page.number = number.to_string();
    page.title = title(c, &v);
    if page.key.is_empty() {
        page.key = c.state.ctx.secrets.token();
    }
    Ok(c.show("card_replacement.html", status, page).await)
}

pub async fn replacement_page(c: PageCtx, Path(number): Path<String>) -> PageResult {
    form(&c, &number, "", "", ReplacementPage::default(), StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct ReplacementForm {
    cause: Option<String>,
    branch: Option<String>,
    idempotency_key: Option<String>,
}

pub async fn replacement_submit(
    c: PageCtx,
    meta: ClientMeta,
    Path(number): Path<String>,
    Form(f): Form<ReplacementForm>,
) -> PageResult {
    let req = ReplacementRequest {
        cause: f.cause.clone().unwrap_or_default(),
        branch: f.branch.clone(),
        instant: None,
        key: f.idempotency_key.clone(),
    };
    match cards::replacement::request_online(&c.state.ctx, &c.p, &number, &req, &meta.0).await {
        Ok(_) => Ok(Redirect::to("/cards?done=replacement").into_response()),
        Err(e) => {
            let err = shown(e)?;
            let mut page = ReplacementPage {
                key: f.idempotency_key.unwrap_or_default(),
                ..ReplacementPage::default()
            };
            let status = c.fail(&mut page.problems, err, "cause");
            form(
                &c,
                &number,
                f.cause.as_deref().unwrap_or_default(),
                f.branch.as_deref().unwrap_or_default(),
                page,
                status,
            )
            .await
        }
    }
}
