//! Non-key information change (Q31): address, occupation, mobile; the bank account's mobile is the bank's.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use serde::{Deserialize, Serialize};
use sscard_app::cards;

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

/// `card_info.html`.
#[derive(Serialize, Default)]
struct InfoPage {
    csrf: String,
    number: String,
    title: String,
    occupations: Vec<Opt>,
    values: std::collections::BTreeMap<String, String>,
    #[serde(flatten)]
    problems: FieldErrors,
}

csrf_pages!(InfoPage);

async fn form(c: &PageCtx, number: &str, mut page: InfoPage, status: StatusCode) -> PageResult {
    let v = cards::status::view(&c.state.ctx, &c.p, number).await?;
    let chosen = page.values.get("occupation").cloned().unwrap_or_default();
    page.occupations = c
        .state
        .ctx
        .codes
        .occupations
        .iter()
        .map(|o| Opt {
            name: o.name(c.en()).to_string(),
            selected: o.code == chosen,
            code: o.code.clone(),
        })
        .collect();
    page.number = number.to_string();
    page.title = title(c, &v);
    Ok(c.show("card_info.html", status, page).await)
}

pub async fn info_page(c: PageCtx, Path(number): Path<String>) -> PageResult {
    form(&c, &number, InfoPage::default(), StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct InfoForm {
    address: Option<String>,
    occupation: Option<String>,
    mobile: Option<String>,
}

pub async fn info_submit(
    c: PageCtx,
    meta: ClientMeta,
    Path(number): Path<String>,
    Form(f): Form<InfoForm>,
) -> PageResult {
    let input = cards::info::InfoIn {
        address: f.address.clone(),
        occupation: f.occupation.clone(),
        mobile: f.mobile.clone(),
        financial_mobile: None,
    };
    match cards::info::change(&c.state.ctx, &c.p, &number, &input, &meta.0).await {
        Ok(_) => Ok(Redirect::to("/cards?done=info").into_response()),
        Err(e) => {
            let err = shown(e)?;
            let mut page = InfoPage::default();
            for (k, v) in [
                ("address", f.address),
                ("occupation", f.occupation),
                ("mobile", f.mobile),
            ] {
                page.values.insert(k.into(), v.unwrap_or_default());
            }
            let status = c.fail(&mut page.problems, err, "address");
            form(&c, &number, page, status).await
        }
    }
}
