//! 办事渠道: the SPEC §7.4 table, service by service, drawn from the domain's matrix (public), with the services
//! the bureau has suspended on a channel for now marked so.

use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use sscard_domain::access::Channel;
use sscard_domain::card::channels::{cell, Acting, Service};

#[derive(Serialize)]
struct ServiceCellView {
    allowed: bool,
    /// ✓ with its conditions in brackets, or —.
    text: String,
}

#[derive(Serialize)]
struct ChannelRow {
    channel: String,
    cells: Vec<ServiceCellView>,
}

#[derive(Serialize)]
struct ServiceTable {
    code: &'static str,
    name: String,
    rows: Vec<ChannelRow>,
}

/// `services.html`: public.
#[derive(Serialize)]
struct ServicesPage {
    acting: Vec<String>,
    services: Vec<ServiceTable>,
}

/// 办事渠道: the SPEC §7.4 table, service by service, drawn from the domain's matrix.
pub async fn services_page(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    use axum::response::IntoResponse;
    let prefs = super::super::pages::Prefs::from_headers(&headers);
    let suspended = match sscard_app::channel_policy::suspensions(&state.ctx).await {
        Ok(s) => s,
        Err(e) => return crate::problem::ApiError::from(e).into_response(),
    };
    let m = |id: &str| state.i18n.format(prefs.lang, id, &[]);
    let (sep, open, close) = if prefs.lang == crate::i18n::Lang::En {
        (", ", "(", ")")
    } else {
        ("、", "（", "）")
    };
    let page = ServicesPage {
        acting: Acting::ALL
            .iter()
            .map(|a| m(&format!("acting-{}", a.as_str())))
            .collect(),
        services: Service::ALL
            .into_iter()
            .map(|s| ServiceTable {
                code: s.as_str(),
                name: m(&format!("service-{}", s.as_str())),
                rows: Channel::ALL
                    .into_iter()
                    .map(|ch| ChannelRow {
                        channel: m(&format!("channel-{}", ch.as_str())),
                        cells: Acting::ALL
                            .into_iter()
                            .map(|a| {
                                let x = cell(s, ch, a);
                                if x.allowed && suspended.contains(s, ch) {
                                    return ServiceCellView {
                                        allowed: false,
                                        text: m("services_suspended"),
                                    };
                                }
                                let conditions: Vec<String> = x
                                    .conditions
                                    .iter()
                                    .map(|k| m(&format!("condition-{}", k.as_str())))
                                    .collect();
                                let text = match (x.allowed, conditions.is_empty()) {
                                    (false, _) => "—".to_string(),
                                    (true, true) => "✓".to_string(),
                                    (true, false) => format!("✓ {open}{}{close}", conditions.join(sep)),
                                };
                                ServiceCellView {
                                    allowed: x.allowed,
                                    text,
                                }
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    };
    super::super::pages::render(&state, prefs, &uri, "services.html", StatusCode::OK, page).await
}
