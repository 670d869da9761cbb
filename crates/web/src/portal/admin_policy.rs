//! The console's policy tables: each registry category's opening date (SPEC §1, §10), changed here and in force
//! at once on every instance (it is read from the database on each eligibility check), with every change kept.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use serde::Serialize;
use sscard_app::applications as apps;

use super::forms::FieldErrors;
use super::pages::{csrf_pages, PageCtx, PageResult};
use crate::problem::ApiError;

#[derive(Serialize)]
struct ChangeLine {
    at: String,
    by: String,
    previous: String,
    value: String,
}

#[derive(Serialize)]
struct OpeningLine {
    category: &'static str,
    name: String,
    opens_on: String,
    state: String,
    open_today: bool,
    changes: Vec<ChangeLine>,
}

/// `admin_openings.html`.
#[derive(Serialize, Default)]
struct OpeningsPage {
    csrf: String,
    openings: Vec<OpeningLine>,
    #[serde(flatten)]
    problems: FieldErrors,
}

csrf_pages!(OpeningsPage);

/// `typed`: a category's date as typed, shown again beside its error.
async fn show(c: &PageCtx, problems: FieldErrors, status: StatusCode, typed: Option<(&str, &str)>) -> PageResult {
    let open = c.m("opening_open");
    let date_or_open = |v: &str| if v.is_empty() { open.clone() } else { v.to_string() };
    let openings = apps::openings(&c.state.ctx)
        .await?
        .into_iter()
        .map(|o| OpeningLine {
            category: o.category,
            name: c.m(&format!("category-{}", o.category)),
            opens_on: match typed {
                Some((category, value)) if category == o.category => value.to_string(),
                _ => o.opens_on.map(|d| d.to_string()).unwrap_or_default(),
            },
            state: if o.open_today {
                c.m("opening_state_open")
            } else {
                c.m("opening_state_closed")
            },
            open_today: o.open_today,
            changes: o
                .changes
                .into_iter()
                .map(|ch| ChangeLine {
                    at: ch.at.format("%Y-%m-%d %H:%M").to_string(),
                    by: ch.by,
                    previous: ch.previous.as_deref().map(date_or_open).unwrap_or_else(|| "—".into()),
                    value: date_or_open(&ch.value),
                })
                .collect(),
        })
        .collect();
    let page = OpeningsPage {
        openings,
        problems,
        ..OpeningsPage::default()
    };
    Ok(c.show("admin_openings.html", status, page).await)
}

pub async fn openings(c: PageCtx) -> PageResult {
    show(&c, FieldErrors::default(), StatusCode::OK, None).await
}

/// The form: `opens_on-{category}` (a date, or empty), and `action`: `open` opens the category now.
pub async fn set_opening(
    c: PageCtx,
    Path(category): Path<String>,
    Form(f): Form<std::collections::HashMap<String, String>>,
) -> PageResult {
    let field = format!("opens_on-{category}");
    let date = f.get(&field).map(|d| d.trim()).unwrap_or_default();
    let opens_on = if f.get("action").is_some_and(|a| a == "open") || date.is_empty() {
        None
    } else {
        match chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                let mut problems = FieldErrors::default();
                let err = ApiError::field(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_fields",
                    &field,
                    "invalid_date",
                );
                let status = c.fail(&mut problems, err, &field);
                return show(&c, problems, status, Some((&category, date))).await;
            }
        }
    };
    match apps::set_opening(&c.state.ctx, &category, opens_on, &c.p.account.id).await {
        Ok(()) => Ok(Redirect::to("/admin/openings").into_response()),
        Err(apps::OpeningError::UnknownCategory) => Err(ApiError::NotFound.into()),
        Err(apps::OpeningError::Store(e)) => Err(ApiError::from(e).into()),
    }
}
