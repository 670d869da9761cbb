//! The counters' card console (bank clerks at `bank_outlet`, outlet clerks at `district_outlet`): find the
//! holder's cards by ID number (audited, with its purpose; in form bodies only, never in a URL), then one of the
//! services the desk offers on that card after the identity document is checked. Refusals sit beside the form.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::Form;
use serde::{Deserialize, Serialize};
use sscard_app::cards::{self, counter, services::ServiceRequest, status::CardView};
use sscard_domain::card::channels::Service;
use sscard_domain::card::lifecycle::Reason;
use sscard_domain::card::replacement::ReplacementCause;

use super::forms::FieldErrors;
use super::pages::{csrf_pages, PageCtx, PageResult};
use crate::access::ClientMeta;
use crate::problem::ApiError;

#[derive(Serialize)]
struct Opt {
    code: &'static str,
    name: String,
}

#[derive(Serialize)]
struct DeskCard {
    number: String,
    title: String,
    key: String,
    ss_code: &'static str,
    ss_name: String,
    fin_code: &'static str,
    fin_name: String,
    services: Vec<Opt>,
    /// What this desk cannot do on this card, with where (an outlet: replacement and the bank's services).
    elsewhere: Vec<Opt>,
    /// A replacement can be asked here (the issuing bank's counter), and for which causes.
    causes: Vec<Opt>,
    flag: Option<String>,
    replacement: Option<String>,
}

/// `staff_cards.html`.
#[derive(Serialize, Default)]
struct DeskPage {
    csrf: String,
    id_number: String,
    searched: bool,
    cards: Vec<DeskCard>,
    reasons: Vec<Opt>,
    notice: Option<String>,
    #[serde(flatten)]
    problems: FieldErrors,
}

csrf_pages!(DeskPage);

fn card_block(c: &PageCtx, v: &CardView) -> DeskCard {
    let card = &v.card;
    DeskCard {
        title: format!(
            "{} ···· {}",
            c.state
                .ctx
                .codes
                .bank(&card.bank)
                .map(|b| if c.en() { b.name_en.clone() } else { b.name_zh.clone() })
                .unwrap_or_else(|| card.bank.clone()),
            &card.number[card.number.len().saturating_sub(4)..]
        ),
        key: c.state.ctx.secrets.token(),
        ss_code: card.social_security.as_str(),
        ss_name: c.m(&format!("card_ss-{}", card.social_security.as_str())),
        fin_code: card.financial.as_str(),
        fin_name: c.m(&format!("card_fin-{}", card.financial.as_str())),
        services: v
            .here
            .iter()
            .filter(|s| counter::AT_COUNTER.contains(s))
            .map(|s| Opt {
                code: s.as_str(),
                name: c.m(&format!("service-{}", s.as_str())),
            })
            .collect(),
        elsewhere: v
            .elsewhere
            .iter()
            .map(|e| Opt {
                code: e.service.as_str(),
                name: format!(
                    "{}: {}",
                    c.m(&format!("service-{}", e.service.as_str())),
                    e.channels
                        .iter()
                        .map(|ch| c.m(&format!("channel-{}", ch.as_str())))
                        .collect::<Vec<_>>()
                        .join(if c.en() { ", " } else { "、" })
                ),
            })
            .collect(),
        causes: if v.here.contains(&Service::Replacement) {
            ReplacementCause::ALL
                .into_iter()
                .filter(|cause| card.replacement(*cause).is_ok())
                .map(|cause| Opt {
                    code: cause.as_str(),
                    name: c.m(&format!("cause-{}", cause.as_str())),
                })
                .collect()
        } else {
            Vec::new()
        },
        flag: super::card_pages::flag_line(c, v),
        replacement: super::card_pages::replacement_line(c, v),
        number: card.number.clone(),
    }
}

fn reasons(c: &PageCtx) -> Vec<Opt> {
    [
        Reason::Lost,
        Reason::Stolen,
        Reason::Found,
        Reason::Death,
        Reason::Emigration,
        Reason::MovedOut,
    ]
    .into_iter()
    .map(|r| Opt {
        code: r.as_str(),
        name: c.m(&format!("reason-{}", r.as_str())),
    })
    .collect()
}

/// A refusal the console shows beside its form; anything else is the error page.
fn beside(e: cards::CardError) -> Result<ApiError, ApiError> {
    use cards::CardError as C;
    match e {
        C::Invalid(_) | C::WrongChannel(_) | C::Refused(_) | C::StateChanged => Ok(e.into()),
        other => Err(other.into()),
    }
}

async fn fill(c: &PageCtx, page: &mut DeskPage, purpose: &str) -> Result<(), cards::CardError> {
    let meta = sscard_app::auth::Meta::default();
    let views = counter::find(&c.state.ctx, &c.p, &page.id_number, Some(purpose), &meta).await?;
    page.searched = true;
    page.cards = views.iter().map(|v| card_block(c, v)).collect();
    page.reasons = reasons(c);
    Ok(())
}

pub async fn desk_page(c: PageCtx) -> PageResult {
    Ok(c.show("staff_cards.html", StatusCode::OK, DeskPage::default()).await)
}

#[derive(Deserialize, Default)]
pub struct FindForm {
    id_number: Option<String>,
    purpose: Option<String>,
}

pub async fn search(c: PageCtx, Form(f): Form<FindForm>) -> PageResult {
    let mut page = DeskPage {
        id_number: f.id_number.unwrap_or_default().trim().to_string(),
        ..DeskPage::default()
    };
    let status = match fill(&c, &mut page, f.purpose.as_deref().unwrap_or_default()).await {
        Ok(()) => StatusCode::OK,
        Err(e) => c.fail(&mut page.problems, beside(e)?, "id_number"),
    };
    Ok(c.show("staff_cards.html", status, page).await)
}

#[derive(Deserialize, Default)]
pub struct ActForm {
    id_number: Option<String>,
    service: Option<String>,
    reason: Option<String>,
    identity_document: Option<String>,
    acting: Option<String>,
    card_presented: Option<String>,
    idempotency_key: Option<String>,
    #[serde(flatten)]
    rest: std::collections::HashMap<String, String>,
}

pub async fn act(c: PageCtx, meta: ClientMeta, Path(number): Path<String>, Form(f): Form<ActForm>) -> PageResult {
    let field = format!("identity_number-{number}");
    let mut page = DeskPage {
        id_number: f.id_number.unwrap_or_default(),
        ..DeskPage::default()
    };
    let identity = counter::IdentityCheck {
        document: f.identity_document.unwrap_or_default(),
        number: f.rest.get(&field).cloned().unwrap_or_default(),
        card_presented: f.card_presented.as_deref() == Some("on"),
    };
    let given = |name: &str| {
        f.rest
            .get(&format!("{name}-{number}"))
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
    };
    // The holder, or a guardian or proxy with their own ID number (and a case's document for a cancellation).
    let party = counter::CounterParty {
        acting: f.acting.clone(),
        agent_id_number: given("agent_id_number"),
        case_document: given("case_document"),
    };
    let req = ServiceRequest {
        reason: f.reason.filter(|r| !r.is_empty()),
        key: f.idempotency_key,
        ..ServiceRequest::default()
    };
    let status = match f.service.as_deref().and_then(Service::parse) {
        None => c.fail(
            &mut page.problems,
            ApiError::field(StatusCode::BAD_REQUEST, "invalid_fields", "service", "invalid_choice"),
            &field,
        ),
        Some(service) => {
            match counter::perform(&c.state.ctx, &c.p, &number, service, &identity, &party, &req, &meta.0).await {
                Ok(_) => {
                    page.notice = Some(c.m("desk_done"));
                    StatusCode::OK
                }
                Err(e) => {
                    let status = c.fail(&mut page.problems, beside(e)?, &field);
                    page.problems.rename("identity_number", &field);
                    for name in ["acting", "agent_id_number", "case_document", "card_presented"] {
                        page.problems.rename(name, &format!("{name}-{number}"));
                    }
                    status
                }
            }
        }
    };
    // The list again (the read is audited again: the clerk looked at the holder's cards again).
    if let Err(e) = fill(&c, &mut page, "counter_service").await {
        return Err(beside(e).unwrap_or_else(|x| x).into());
    }
    Ok(c.show("staff_cards.html", status, page).await)
}

#[derive(Deserialize, Default)]
pub struct ReplaceForm {
    id_number: Option<String>,
    cause: Option<String>,
    identity_document: Option<String>,
    card_presented: Option<String>,
    idempotency_key: Option<String>,
    #[serde(flatten)]
    rest: std::collections::HashMap<String, String>,
}

/// 补领 or 换领 at the issuing bank's counter (an instant card where the branch is equipped); refusals beside
/// the form.
pub async fn replace(
    c: PageCtx,
    meta: ClientMeta,
    Path(number): Path<String>,
    Form(f): Form<ReplaceForm>,
) -> PageResult {
    use sscard_app::cards::replacement::{request_at_counter, ReplacementRequest};
    let field = format!("replace_identity_number-{number}");
    let mut page = DeskPage {
        id_number: f.id_number.unwrap_or_default(),
        ..DeskPage::default()
    };
    let identity = counter::IdentityCheck {
        document: f.identity_document.unwrap_or_default(),
        number: f.rest.get(&field).cloned().unwrap_or_default(),
        card_presented: f.card_presented.as_deref() == Some("on"),
    };
    let given = |name: &str| {
        f.rest
            .get(&format!("{name}-{number}"))
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
    };
    let instant = match (given("instant_card_number"), given("instant_masked_account")) {
        (None, None) => None,
        (n, a) => Some((n.unwrap_or_default(), a.unwrap_or_default())),
    };
    let req = ReplacementRequest {
        cause: f.cause.unwrap_or_default(),
        branch: None,
        instant,
        key: f.idempotency_key,
    };
    let party = counter::CounterParty::default();
    let status = match request_at_counter(&c.state.ctx, &c.p, &number, &identity, &party, &req, &meta.0).await {
        Ok((order, _)) => {
            page.notice = Some(c.state.i18n.format(
                c.prefs.lang,
                "desk_replacement_done",
                &[("due", order.due.date.to_string())],
            ));
            StatusCode::OK
        }
        Err(e) => {
            let status = c.fail(&mut page.problems, beside(e)?, &format!("cause-{number}"));
            page.problems.rename("identity_number", &field);
            page.problems.rename("cause", &format!("cause-{number}"));
            page.problems
                .rename("card_number", &format!("instant_card_number-{number}"));
            page.problems
                .rename("masked_account", &format!("instant_masked_account-{number}"));
            status
        }
    };
    if let Err(e) = fill(&c, &mut page, "counter_service").await {
        return Err(beside(e).unwrap_or_else(|x| x).into());
    }
    Ok(c.show("staff_cards.html", status, page).await)
}
