//! The documents page's upload: each file judged by the use case, the error beside its field.

use axum::extract::{Multipart, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use sscard_app::applications::{self as apps, ApplyError};
use sscard_domain::documents::DocumentKind;

use super::super::pages::{PageCtx, PageResult};
use crate::problem::ApiError;

use super::*;

/// The documents page posts a multipart form: each file chosen is judged and attached on its own.
pub async fn documents_submit(c: PageCtx, Path(id): Path<String>, mut multipart: Multipart) -> PageResult {
    let mut page = StepPage::default();
    let mut from_check = false;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(ApiError::PayloadTooLarge.into()),
        };
        let name = field.name().unwrap_or("").to_string();
        let Ok(bytes) = field.bytes().await else {
            return Err(ApiError::PayloadTooLarge.into());
        };
        if name == "from" {
            from_check = bytes.as_ref() == b"check";
            continue;
        }
        let Some(kind) = DocumentKind::parse(&name) else {
            continue;
        };
        if bytes.is_empty() {
            continue;
        }
        match apps::upload(&c.state.ctx, &c.p, &id, kind, bytes.to_vec()).await {
            Ok(_) => {}
            Err(ApplyError::Document(d)) => {
                page.problems.add(
                    &c.state,
                    c.prefs.lang,
                    &crate::refusals::document_error(kind.as_str(), d),
                    kind.as_str(),
                );
            }
            Err(e @ ApplyError::DocumentNotRequired(_)) => {
                page.problems
                    .add(&c.state, c.prefs.lang, &ApiError::from(e), kind.as_str());
            }
            Err(e) => return Err(e.into()),
        }
    }
    let a = own(&c, &id).await?;
    if page.problems.is_empty() {
        let missing: Vec<DocumentKind> = a
            .required_documents()
            .into_iter()
            .filter(|k| !a.documents.contains_key(k))
            .collect();
        if missing.is_empty() {
            let _ = from_check;
            return Ok(Redirect::to(&format!("/apply/{}/check", a.id)).into_response());
        }
        page.problems.required(
            &c.state,
            c.prefs.lang,
            &missing.iter().map(|k| (k.as_str(), true)).collect::<Vec<_>>(),
        );
    }
    fill(&c, &a, "documents", &mut page.form).await?;
    Ok(c.show("apply_step.html", StatusCode::BAD_REQUEST, page).await)
}

// ---- 我的办事 ----
