//! The website flow of the seeds (001 retirees, 002 individuals) as GOV.UK-style pages: one question group per
//! page, error summary, check your answers with a change link per row, a separate confirmation, a confirmation
//! page with the reference, and 我的办事. Works without JavaScript; every rule is the use case's, as in the API.
//!
//! - [`start`]: starting (or resuming) one's own application, and a child's.
//! - [`steps`]: one question group per page, and its answer; [`fill`] is what each step's page shows.
//! - [`documents`]: the documents page's upload.
//! - [`mine`]: 我的办事 (my applications), my children, one application, withdrawal.

use std::collections::BTreeMap;

use serde::Serialize;
use sscard_app::applications as apps;
use sscard_domain::application::Application;

use super::forms::FieldErrors;
use super::pages::{csrf_pages, PageCtx, PageError};

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

/// An application as its pages show it (what [`fill`] sets): shared by the step pages and the application page.
#[derive(Serialize, Default)]
struct Filled {
    id: String,
    reference: String,
    step: String,
    state: String,
    route: String,
    values: BTreeMap<String, String>,
    options: BTreeMap<String, Vec<Opt>>,
    /// Registry fields, shown and not editable.
    fixed: Vec<Row>,
    /// Check your answers.
    rows: Vec<Row>,
    bank_locked: bool,
    /// The documents this application needs, in the order asked (SPEC §5.4).
    documents: Vec<String>,
    /// A child's application: the default cartoon photo may be chosen today.
    cartoon_allowed: bool,
    /// Whose application this is, in words (本人 / the child's name / through the employer).
    whose: String,
    /// The confirmation's question and the done page's title for this route.
    confirm_question: String,
    done_title: String,
    /// Where a retiree's card is made (the pension bank and its branch), by name.
    locked_to: String,
    /// Where the card is collected, when at a branch: its name and address.
    pickup_at: String,
    /// The documents already uploaded: kind → its size, shown with a ✓ (a new file replaces it).
    uploaded: BTreeMap<String, String>,
    /// "Step 3 of 7" and the step before this one.
    progress: String,
    back: Option<String>,
}

/// `apply_step.html`: one question group, the documents, check your answers, the confirmation, done.
#[derive(Serialize, Default)]
struct StepPage {
    csrf: String,
    #[serde(flatten)]
    form: Filled,
    #[serde(flatten)]
    problems: FieldErrors,
    idempotency_key: String,
    due_on: String,
    from_check: bool,
}

/// `application.html`: one application, where it stands, what comes next, and its history.
#[derive(Serialize, Default)]
struct ApplicationPage {
    csrf: String,
    #[serde(flatten)]
    form: Filled,
    due_on: String,
    /// The state's code (the page shows its name).
    state_code: String,
    notice: Option<String>,
    history: Vec<Row>,
    can_withdraw: bool,
}

/// `applications.html`: 我的办事.
#[derive(Serialize, Default)]
struct ApplicationsPage {
    csrf: String,
    applications: Vec<MineRow>,
}

/// One of my applications, and whose it is (mine, or a child's).
#[derive(Serialize)]
struct MineRow {
    #[serde(flatten)]
    row: Row,
    whose: String,
}

/// `withdraw.html`: are you sure?
#[derive(Serialize, Default)]
struct WithdrawPage {
    csrf: String,
    id: String,
    reference: String,
    whose: String,
}

/// `children.html`: each ward and their applications.
#[derive(Serialize, Default)]
struct ChildrenPage {
    csrf: String,
    verified: bool,
    wards: Vec<WardRow>,
}

/// `apply_start.html`: the disclaimer and the access authorisation.
#[derive(Serialize, Default)]
struct StartPage {
    csrf: String,
    verified: bool,
    #[serde(flatten)]
    problems: FieldErrors,
}

/// `apply_child.html`: the child, and the relationship to confirm.
#[derive(Serialize, Default)]
struct ChildStartPage {
    csrf: String,
    verified: bool,
    notice: Option<String>,
    values: BTreeMap<String, String>,
    #[serde(flatten)]
    problems: FieldErrors,
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

csrf_pages!(
    StepPage,
    ApplicationPage,
    ApplicationsPage,
    WithdrawPage,
    ChildrenPage,
    StartPage,
    ChildStartPage
);

/// The caller's own application (404 for anyone else's).
async fn own(c: &PageCtx, id: &str) -> Result<Application, PageError> {
    Ok(apps::mine(&c.state.ctx, &c.p, id).await?)
}

// ---- start ----
