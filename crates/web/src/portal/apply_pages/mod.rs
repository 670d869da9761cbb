//! The website flow of the seeds (001 retirees, 002 individuals) as GOV.UK-style pages: one question group per
//! page, error summary, check your answers with a change link per row, a separate confirmation, a confirmation
//! page with the reference, and 我的办事. Works without JavaScript; every rule is the use case's, as in the API.
//!
//! - [`start`]: starting (or resuming) one's own application, and a child's.
//! - [`steps`]: one question group per page, and its answer; [`fill`] is what each step's page shows.
//! - [`documents`]: the documents page's upload.
//! - [`mine`]: 我的办事 (my applications), my children, one application, withdrawal.

use std::collections::BTreeMap;

use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sscard_app::applications::{self as apps, ApplyError};
use sscard_domain::application::Application;

use super::forms::FieldErrors;
use super::pages::{CsrfPage, PageCtx};
use crate::problem::ApiError;

mod documents;
mod fill;
mod mine;
mod start;
mod steps;

pub use documents::documents_submit;
use fill::*;
pub use mine::{my_application, my_applications, my_children, withdraw};
pub use start::{child_start, child_start_page, start, start_page};
pub use steps::{documents_page, step_page, step_submit};

#[derive(Serialize, Clone)]
struct Opt {
    code: String,
    name: String,
    selected: bool,
}

#[derive(Serialize, Clone)]
struct Row {
    key: String,
    label: String,
    value: String,
    change: Option<String>,
}

#[derive(Serialize, Default)]
struct ApplyPage {
    csrf: String,
    id: String,
    reference: String,
    step: String,
    state: String,
    route: String,
    values: BTreeMap<String, String>,
    #[serde(flatten)]
    problems: FieldErrors,
    options: BTreeMap<String, Vec<Opt>>,
    /// Registry fields, shown and not editable.
    fixed: Vec<Row>,
    /// Check your answers.
    rows: Vec<Row>,
    bank_locked: bool,
    verified: bool,
    idempotency_key: String,
    due_on: String,
    from_check: bool,
    notice: Option<String>,
    applications: Vec<Row>,
    history: Vec<Row>,
    can_withdraw: bool,
    /// The documents this application needs, in the order asked (SPEC §5.4).
    documents: Vec<String>,
    /// A child's application: the default cartoon photo may be chosen today.
    cartoon_allowed: bool,
    /// My children: each ward and their applications.
    wards: Vec<WardRow>,
}

#[derive(Serialize, Clone)]
struct WardRow {
    name: String,
    /// Masked.
    id_number: String,
    relationship: String,
    /// Under 18 today.
    minor: bool,
    applications: Vec<Row>,
}

impl CsrfPage for ApplyPage {
    fn set_csrf(&mut self, csrf: String) {
        self.csrf = csrf;
    }
}

/// The caller's own application, or the page to answer with instead (404 for anyone else's).
async fn own(c: &PageCtx, id: &str) -> Result<Application, Response> {
    match apps::mine(&c.state.ctx, &c.p, id).await {
        Ok(a) => Ok(a),
        Err(ApplyError::NotFound) => Err(c.not_found().await),
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}

// ---- start ----
