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

/// The desk form's services besides the state changes (a replacement has its own form).
const DESK_MORE: [Service; 5] = [
    Service::PasswordChange,
    Service::PasswordReset,
    Service::InfoChange,
    Service::StatusQuery,
    Service::InstantCard,
];

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
            .filter(|s| counter::AT_COUNTER.contains(s) || DESK_MORE.contains(s))
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
        Some(service) => match run(&c, &meta, &number, service, &identity, &party, &req, &given).await {
            Ok(()) => {
                page.notice = Some(c.m("desk_done"));
                StatusCode::OK
            }
            Err(e) => {
                let status = c.fail(&mut page.problems, beside(e)?, &field);
                page.problems.rename("identity_number", &field);
                page.problems.rename("top_up_fen", &format!("top_up_yuan-{number}"));
                for name in [
                    "acting",
                    "agent_id_number",
                    "case_document",
                    "card_presented",
                    "old",
                    "new",
                    "address",
                    "occupation",
                    "mobile",
                    "financial_mobile",
                    "park_pass_year",
                ] {
                    page.problems.rename(name, &format!("{name}-{number}"));
                }
                status
            }
        },
    };
    // The list again (the read is audited again: the clerk looked at the holder's cards again).
    if let Err(e) = fill(&c, &mut page, "counter_service").await {
        return Err(beside(e).unwrap_or_else(|x| x).into());
    }
    Ok(c.show("staff_cards.html", status, page).await)
}

/// One service at the desk, with the fields it needs from the form (`given`: a card's own field by name).
#[allow(clippy::too_many_arguments)]
async fn run(
    c: &PageCtx,
    meta: &ClientMeta,
    number: &str,
    service: Service,
    identity: &counter::IdentityCheck,
    party: &counter::CounterParty,
    req: &ServiceRequest,
    given: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<(), cards::CardError> {
    use sscard_app::cards::counter::desk_services;
    let (ctx, p, meta) = (&c.state.ctx, &c.p, &meta.0);
    match service {
        Service::PasswordChange => {
            let (old, new) = (given("old").unwrap_or_default(), given("new").unwrap_or_default());
            desk_services::change_password(ctx, p, number, identity, party, &old, &new, meta).await?;
        }
        Service::PasswordReset => {
            let new = given("new").unwrap_or_default();
            counter::reset_password(ctx, p, number, identity, party, &new, meta).await?;
        }
        Service::InfoChange => {
            let input = sscard_app::cards::info::InfoIn {
                address: given("address"),
                occupation: given("occupation"),
                mobile: given("mobile"),
                financial_mobile: given("financial_mobile"),
            };
            desk_services::change_info(ctx, p, number, identity, party, &input, meta).await?;
        }
        Service::StatusQuery => {
            desk_services::status(ctx, p, number, identity, party, meta).await?;
        }
        Service::InstantCard => {
            // Yuan with up to two decimals on the form; fen in the record.
            let top_up = match given("top_up_yuan") {
                None => None,
                Some(y) => Some(yuan_to_fen(&y).ok_or_else(|| invalid("top_up_fen", "top_up_out_of_range"))?),
            };
            let year = match given("park_pass_year") {
                None => None,
                Some(y) => Some(
                    y.parse::<u16>()
                        .map_err(|_| invalid("park_pass_year", "park_pass_year_invalid"))?,
                ),
            };
            desk_services::record_fields(ctx, p, number, identity, party, top_up, year, meta).await?;
        }
        _ => {
            counter::perform(ctx, p, number, service, identity, party, req, meta).await?;
        }
    }
    Ok(())
}

fn invalid(field: &str, code: &'static str) -> cards::CardError {
    cards::CardError::Invalid(vec![sscard_app::records::FieldError {
        field: field.to_string(),
        code,
    }])
}

/// `12`, `12.5` or `12.50` yuan in fen; anything else is `None`.
fn yuan_to_fen(s: &str) -> Option<i64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || frac.len() > 2 || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().ok()?
    };
    whole.checked_mul(100)?.checked_add(frac)
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

#[cfg(test)]
mod tests {
    use super::yuan_to_fen;

    #[test]
    fn yuan_read_to_the_fen() {
        assert_eq!(yuan_to_fen("12"), Some(1200));
        assert_eq!(yuan_to_fen("12.5"), Some(1250));
        assert_eq!(yuan_to_fen("0.05"), Some(5));
        for bad in ["", ".5", "12.345", "-1", "1e3", "十"] {
            assert_eq!(yuan_to_fen(bad), None, "{bad}");
        }
    }
}
