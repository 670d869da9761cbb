//! Recording a holder's written authorisation of a proxy (Q37): the holder's name and ID number, the services,
//! until when, the signed paper. Once recorded, the holder's card appears in the proxy's 我的社保卡 with what
//! the authorisation covers.

use axum::extract::Multipart;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Serialize;
use sscard_app::cards;
use sscard_domain::card::proxy::DELEGABLE;

use super::super::forms::{multipart_fields, FieldErrors};
use super::super::pages::{csrf_pages, PageCtx, PageResult};
use super::shown;
use crate::access::ClientMeta;

#[derive(Serialize)]
struct ServiceOpt {
    code: &'static str,
    name: String,
    selected: bool,
}

/// `card_proxy.html`.
#[derive(Serialize, Default)]
struct ProxyPage {
    csrf: String,
    services: Vec<ServiceOpt>,
    values: std::collections::BTreeMap<String, String>,
    #[serde(flatten)]
    problems: FieldErrors,
}

csrf_pages!(ProxyPage);

fn options(c: &PageCtx, chosen: &[String]) -> Vec<ServiceOpt> {
    DELEGABLE
        .into_iter()
        .map(|s| ServiceOpt {
            code: s.as_str(),
            name: c.m(&format!("service-{}", s.as_str())),
            selected: chosen.iter().any(|x| x == s.as_str()),
        })
        .collect()
}

pub async fn proxy_page(c: PageCtx) -> PageResult {
    let page = ProxyPage {
        services: options(&c, &[]),
        ..ProxyPage::default()
    };
    Ok(c.show("card_proxy.html", StatusCode::OK, page).await)
}

pub async fn proxy_submit(c: PageCtx, meta: ClientMeta, multipart: Multipart) -> PageResult {
    let mut input = cards::proxies::ProxyIn::default();
    for (name, bytes) in multipart_fields(multipart).await? {
        let text = || String::from_utf8_lossy(&bytes).trim().to_string();
        match name.as_str() {
            "holder_name" => input.holder_name = text(),
            "holder_id_number" => input.holder_id_number = text(),
            "services" => input.services.push(text()),
            "valid_until" => input.valid_until = text(),
            "document" => input.document = bytes.to_vec(),
            _ => {}
        }
    }
    match cards::proxies::authorise(&c.state.ctx, &c.p, &input, &meta.0).await {
        Ok(_) => Ok(Redirect::to("/cards?done=proxy").into_response()),
        Err(e) => {
            let err = shown(e)?;
            let mut page = ProxyPage {
                services: options(&c, &input.services),
                ..ProxyPage::default()
            };
            for (k, v) in [
                ("holder_name", &input.holder_name),
                ("holder_id_number", &input.holder_id_number),
                ("valid_until", &input.valid_until),
            ] {
                page.values.insert(k.into(), v.clone());
            }
            let status = c.fail(&mut page.problems, err, "holder_name");
            Ok(c.show("card_proxy.html", status, page).await)
        }
    }
}
