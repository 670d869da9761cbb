//! Starting (or resuming) one's own application, and a child's (the relationship confirmed from the register).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use sscard_app::applications::{self as apps, ApplyError};
use sscard_domain::eligibility::Ineligible;

use super::super::pages::{PageCtx, PageResult};
use crate::access::ClientMeta;

use super::*;

pub async fn start_page(c: PageCtx) -> Response {
    let page = StartPage {
        verified: c.p.account.is_real_name_verified(),
        ..StartPage::default()
    };
    c.show("apply_start.html", StatusCode::OK, page).await
}

#[derive(Deserialize)]
pub struct StartForm {
    disclaimer: Option<String>,
    access_authorisation: Option<String>,
}

pub async fn start(c: PageCtx, meta: ClientMeta, Form(f): Form<StartForm>) -> PageResult {
    let result = apps::start(
        &c.state.ctx,
        &c.p,
        f.disclaimer.is_some(),
        f.access_authorisation.is_some(),
        &meta.0,
    )
    .await;
    match result {
        Ok(a) => Ok(Redirect::to(&format!("/apply/{}/personal", a.id)).into_response()),
        Err(ApplyError::Ineligible(Ineligible::ApplicationInProgress { .. })) => {
            // Resume it: the open application, wherever it was started.
            let open = apps::my_open_application(&c.state.ctx, &c.p).await?;
            Ok(match open {
                Some(a) if a.state.is_editable() && a.applicant == c.p.account.id => {
                    Redirect::to(&format!("/apply/{}/check", a.id)).into_response()
                }
                Some(a) if a.applicant == c.p.account.id => {
                    Redirect::to(&format!("/applications/{}", a.id)).into_response()
                }
                _ => Redirect::to("/applications").into_response(),
            })
        }
        Err(e) => {
            let mut page = StartPage {
                verified: c.p.account.is_real_name_verified(),
                ..StartPage::default()
            };
            let status = c.fail(&mut page.problems, e.into(), "disclaimer");
            Ok(c.show("apply_start.html", status, page).await)
        }
    }
}

// ---- applying for a child ----

pub async fn child_start_page(c: PageCtx) -> Response {
    let mut page = ChildStartPage {
        verified: c.p.account.is_real_name_verified(),
        ..ChildStartPage::default()
    };
    page.values.insert("child_id_type".into(), "resident_id".into());
    c.show("apply_child.html", StatusCode::OK, page).await
}

#[derive(Deserialize)]
pub struct ChildStartForm {
    disclaimer: Option<String>,
    access_authorisation: Option<String>,
    child_name: Option<String>,
    child_id_type: Option<String>,
    child_id_number: Option<String>,
    /// Sent back from the confirmation page: the relationship the guardian confirmed.
    relationship: Option<String>,
}

/// The guardian's first page posts here twice: first to be shown the relationship from the household
/// register ("您与被代办人的关系是XX，请确认"), then with it confirmed, which creates the draft.
pub async fn child_start(c: PageCtx, meta: ClientMeta, Form(f): Form<ChildStartForm>) -> Response {
    let child = sscard_app::minors::ChildIn {
        name: f.child_name.clone().unwrap_or_default(),
        id_number: f.child_id_number.clone().unwrap_or_default(),
        id_type: f.child_id_type.clone().unwrap_or_default(),
    };
    let result = sscard_app::minors::start(
        &c.state.ctx,
        &c.p,
        f.disclaimer.is_some(),
        f.access_authorisation.is_some(),
        &child,
        f.relationship.as_deref(),
        &meta.0,
    )
    .await;
    let mut page = ChildStartPage {
        verified: c.p.account.is_real_name_verified(),
        ..ChildStartPage::default()
    };
    for (k, v) in [
        ("child_name", &f.child_name),
        ("child_id_type", &f.child_id_type),
        ("child_id_number", &f.child_id_number),
        ("disclaimer", &f.disclaimer),
        ("access_authorisation", &f.access_authorisation),
    ] {
        page.values.insert(k.into(), v.clone().unwrap_or_default());
    }
    match result {
        Ok(a) => Redirect::to(&format!("/apply/{}/child", a.id)).into_response(),
        Err(ApplyError::RelationshipUnconfirmed(code)) => {
            let name = c
                .state
                .ctx
                .codes
                .name(sscard_domain::codes::Table::GuardianRelationship, &code, c.en());
            page.notice = Some(
                c.state
                    .i18n
                    .format(c.prefs.lang, "relationship_confirm", &[("relationship", name)]),
            );
            page.values.insert("relationship".into(), code);
            c.show("apply_child.html", StatusCode::OK, page).await
        }
        Err(e) => {
            let first = match &e {
                ApplyError::ConsentRequired(k) => k.as_str(),
                _ => "child_name",
            };
            let status = c.fail(&mut page.problems, e.into(), first);
            c.show("apply_child.html", status, page).await
        }
    }
}

// ---- the steps ----
