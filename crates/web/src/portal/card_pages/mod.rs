//! 我的社保卡 (my card) and 办事渠道 (where can I do this): each card with its functions' states in plain words,
//! what can be done here (activation, a loss report, the service password) and where else, the history of
//! changes, the automatic release time of a temporary loss; and the SPEC §7.4 table, drawn from the same data
//! as the API's. Everything works without JavaScript; every rule is the use case's.
//!
//! - [`password`]: the service password's change and reset.
//! - [`proxy`]: recording a holder's written authorisation of a proxy.
//! - [`replacement`]: 网上换领 where the card's bank takes it online.
//! - [`services`]: 办事渠道, public.

mod info;
mod password;
mod proxy;
mod replacement;
mod services;

pub use info::{info_page, info_submit};
pub use password::{password_page, password_submit, reset_code, reset_submit};
pub use proxy::{proxy_page, proxy_submit};
pub use replacement::{replacement_page, replacement_submit};
pub use services::services_page;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use serde::{Deserialize, Serialize};
use sscard_app::cards::{self, services::ServiceRequest, status::CardView};
use sscard_domain::access::Channel;
use sscard_domain::card::channels::{Acting, Service};
use sscard_domain::card::lifecycle::Reason;
use sscard_domain::card::SocialSecurityState;

use super::forms::FieldErrors;
use super::pages::{csrf_pages, PageCtx, PageResult};
use crate::access::ClientMeta;
use crate::problem::ApiError;

#[derive(Serialize, Clone)]
struct Row {
    key: String,
    label: String,
    value: String,
    change: Option<String>,
}

#[derive(Serialize)]
struct Action {
    code: &'static str,
    name: String,
    href: String,
    /// A button posting at once (activation); otherwise a link to its own page.
    post: bool,
}

#[derive(Serialize)]
struct CardBlock {
    number: String,
    title: String,
    holder: String,
    for_child: bool,
    for_proxy: bool,
    ss_code: &'static str,
    ss_name: String,
    fin_code: &'static str,
    fin_name: String,
    password_name: String,
    loss_until: Option<String>,
    fin_loss_note: bool,
    here: Vec<Action>,
    elsewhere: Vec<Row>,
    /// Printed fields changed in the registry: a replacement is required.
    flag: Option<String>,
    /// This card replaces another (its last four).
    replaces: Option<String>,
    /// The replacement asked for this card: its state, due date and branch (or the card that replaced it).
    replacement: Option<String>,
    legacy: Vec<Row>,
    timeline: Vec<Row>,
    /// The activation button's request key: a double click activates once.
    key: String,
}

/// `cards.html`.
#[derive(Serialize, Default)]
struct CardsPage {
    csrf: String,
    cards: Vec<CardBlock>,
    in_progress: Vec<Row>,
    notice: Option<String>,
    #[serde(flatten)]
    problems: FieldErrors,
}

#[derive(Serialize)]
struct ReasonOpt {
    code: &'static str,
    name: String,
    selected: bool,
}

/// `card_loss.html`.
#[derive(Serialize, Default)]
struct LossPage {
    csrf: String,
    number: String,
    title: String,
    key: String,
    reasons: Vec<ReasonOpt>,
    values: std::collections::BTreeMap<String, String>,
    #[serde(flatten)]
    problems: FieldErrors,
}

csrf_pages!(CardsPage, LossPage);

pub(super) fn tail(number: &str) -> &str {
    number.get(number.len().saturating_sub(4)..).unwrap_or(number)
}

pub(super) fn title(c: &PageCtx, v: &CardView) -> String {
    let bank = c
        .state
        .ctx
        .codes
        .bank(&v.card.bank)
        .map(|b| if c.en() { b.name_en.clone() } else { b.name_zh.clone() })
        .unwrap_or_else(|| v.card.bank.clone());
    format!("{bank} ···· {}", tail(&v.card.number))
}

pub(super) fn when(t: chrono::DateTime<chrono::FixedOffset>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

fn channel_name(c: &PageCtx, ch: Channel) -> String {
    c.m(&format!("channel-{}", ch.as_str()))
}

fn block(c: &PageCtx, v: &CardView) -> CardBlock {
    let number = v.card.number.clone();
    let here = v
        .here
        .iter()
        .filter_map(|s| {
            let (href, post) = match s {
                Service::Activation => (format!("/cards/{number}/activation"), true),
                Service::TemporaryLoss => (format!("/cards/{number}/loss"), false),
                Service::PasswordChange | Service::PasswordReset => (format!("/cards/{number}/password"), false),
                Service::InfoChange => (format!("/cards/{number}/info"), false),
                Service::Replacement => (format!("/cards/{number}/replacement"), false),
                _ => return None,
            };
            Some(Action {
                code: s.as_str(),
                name: c.m(&format!("service-{}", s.as_str())),
                href,
                post,
            })
        })
        .collect();
    let elsewhere = v
        .elsewhere
        .iter()
        .map(|e| Row {
            key: e.service.as_str().into(),
            label: c.m(&format!("service-{}", e.service.as_str())),
            value: e
                .channels
                .iter()
                .map(|ch| channel_name(c, *ch))
                .collect::<Vec<_>>()
                .join(if c.en() { ", " } else { "、" }),
            change: None,
        })
        .collect();
    let legacy = v
        .legacy
        .iter()
        .map(|l| Row {
            key: l.bank.clone(),
            label: format!("{} ({})", l.bank, l.generation),
            value: match l.medical_ended_at {
                Some(t) => c.state.i18n.format(
                    c.prefs.lang,
                    "mycard_legacy_ended",
                    &[("date", t.date_naive().to_string())],
                ),
                None => c.m("mycard_legacy_working"),
            },
            change: None,
        })
        .collect();
    let timeline = v
        .transitions
        .iter()
        .rev()
        .map(|t| Row {
            key: when(t.at),
            label: format!(
                "{} · {}",
                c.m(&format!("service-{}", t.service.as_str())),
                c.m(&format!("reason-{}", t.reason.as_str()))
            ),
            value: match t.channel {
                Some(ch) => channel_name(c, ch),
                None => c.m("mycard_by_system"),
            },
            change: None,
        })
        .collect();
    let card = &v.card;
    CardBlock {
        title: title(c, v),
        holder: card.holder.masked(),
        for_child: v.acting == Acting::Guardian,
        for_proxy: v.acting == Acting::Proxy,
        ss_code: card.social_security.as_str(),
        ss_name: c.m(&format!("card_ss-{}", card.social_security.as_str())),
        fin_code: card.financial.as_str(),
        fin_name: c.m(&format!("card_fin-{}", card.financial.as_str())),
        password_name: c.m(&format!("password-{}", v.password.as_str())),
        loss_until: card
            .loss_until
            .filter(|_| card.social_security == SocialSecurityState::TempLoss)
            .map(|u| {
                c.state
                    .i18n
                    .format(c.prefs.lang, "mycard_loss_until", &[("until", when(u))])
            }),
        fin_loss_note: card.financial == sscard_domain::card::FinancialState::Loss,
        here,
        elsewhere,
        flag: flag_line(c, v),
        replaces: v.card.links.replaces.as_deref().map(|old| {
            c.state
                .i18n
                .format(c.prefs.lang, "mycard_replaces", &[("old", tail(old).to_string())])
        }),
        replacement: replacement_line(c, v),
        legacy,
        timeline,
        key: c.state.ctx.secrets.token(),
        number,
    }
}

/// "The registry changed the name (…) printed on this card: it must be replaced", or nothing.
pub(crate) fn flag_line(c: &PageCtx, v: &CardView) -> Option<String> {
    let fields = &v.card.links.replacement_required;
    (!fields.is_empty()).then(|| {
        let names: Vec<String> = fields.iter().map(|f| c.m(&format!("printed-{}", f.as_str()))).collect();
        c.state.i18n.format(
            c.prefs.lang,
            "mycard_replacement_required",
            &[("fields", names.join(if c.en() { ", " } else { "、" }))],
        )
    })
}

/// The replacement's progress in a line: its state, the due date (provisional or not), where to collect it.
pub(crate) fn replacement_line(c: &PageCtx, v: &CardView) -> Option<String> {
    let (r, branch) = v.replacement.as_ref()?;
    let key = if r.due.provisional {
        "mycard_replacement_provisional"
    } else {
        "mycard_replacement_state"
    };
    Some(c.state.i18n.format(
        c.prefs.lang,
        key,
        &[
            ("state", c.m(&format!("replacement_state-{}", r.state.as_str()))),
            ("due", r.due.date.to_string()),
            ("branch", branch.clone()),
            ("new", r.new_card.as_deref().map(tail).unwrap_or("—").to_string()),
        ],
    ))
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn cards_page(c: &PageCtx, notice: Option<String>, problems: FieldErrors, status: StatusCode) -> PageResult {
    let mine = cards::status::my_cards(&c.state.ctx, &c.p).await?;
    let page = CardsPage {
        cards: mine.cards.iter().map(|v| block(c, v)).collect(),
        in_progress: mine
            .in_progress
            .iter()
            .map(|a| Row {
                key: a.id.clone(),
                label: a.reference.clone(),
                value: c.m(&format!("state-{}", a.state.as_str())),
                change: a.due_on.map(|d| d.to_string()),
            })
            .collect(),
        notice,
        problems,
        ..CardsPage::default()
    };
    Ok(c.show("cards.html", status, page).await)
}

/// 我的社保卡.
pub async fn my_cards(c: PageCtx, Query(q): Query<DoneQuery>) -> PageResult {
    let notice = match q.done.as_deref() {
        Some("activation") => Some(c.m("mycard_activated")),
        Some("password") => Some(c.m("mycard_password_changed")),
        Some("proxy") => Some(c.m("proxy_recorded")),
        Some("info") => Some(c.m("mycard_info_changed")),
        Some("replacement") => Some(c.m("mycard_replacement_asked")),
        Some(_) => Some(c.m("mycard_done")),
        None => None,
    };
    cards_page(&c, notice, FieldErrors::default(), StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct KeyForm {
    idempotency_key: Option<String>,
}

/// A refusal the page can show (the channel, the card's state, a field): beside the form; anything else is the
/// error page.
pub(super) fn shown(e: cards::CardError) -> Result<ApiError, ApiError> {
    use cards::CardError as C;
    match e {
        C::WrongChannel(_)
        | C::Refused(_)
        | C::Invalid(_)
        | C::Password(_)
        | C::WrongPassword { .. }
        | C::PasswordLocked
        | C::PasswordChangeRequired
        | C::NotAuthorised(_)
        | C::StateChanged => Ok(e.into()),
        other => Err(other.into()),
    }
}

pub async fn activate(c: PageCtx, meta: ClientMeta, Path(number): Path<String>, Form(f): Form<KeyForm>) -> PageResult {
    let req = ServiceRequest {
        key: f.idempotency_key,
        ..ServiceRequest::default()
    };
    match cards::services::perform(&c.state.ctx, &c.p, &number, Service::Activation, &req, &meta.0).await {
        Ok(_) => Ok(Redirect::to("/cards?done=activation").into_response()),
        Err(e) => {
            let err = shown(e)?;
            let mut problems = FieldErrors::default();
            let status = c.fail(&mut problems, err, &format!("activation-{number}"));
            cards_page(&c, None, problems, status).await
        }
    }
}

fn reasons(c: &PageCtx, selected: Option<&str>) -> Vec<ReasonOpt> {
    [Reason::Lost, Reason::Stolen, Reason::Other]
        .into_iter()
        .map(|r| ReasonOpt {
            code: r.as_str(),
            name: c.m(&format!("reason-{}", r.as_str())),
            selected: selected.unwrap_or("lost") == r.as_str(),
        })
        .collect()
}

async fn loss_form(c: &PageCtx, number: &str, page: LossPage, status: StatusCode) -> PageResult {
    let v = cards::status::view(&c.state.ctx, &c.p, number).await?;
    let page = LossPage {
        number: number.to_string(),
        title: title(c, &v),
        key: c.state.ctx.secrets.token(),
        ..page
    };
    Ok(c.show("card_loss.html", status, page).await)
}

pub async fn loss_page(c: PageCtx, Path(number): Path<String>) -> PageResult {
    let page = LossPage {
        reasons: reasons(&c, None),
        ..LossPage::default()
    };
    loss_form(&c, &number, page, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct LossForm {
    reason: Option<String>,
    reason_text: Option<String>,
    idempotency_key: Option<String>,
}

pub async fn loss_submit(
    c: PageCtx,
    meta: ClientMeta,
    Path(number): Path<String>,
    Form(f): Form<LossForm>,
) -> PageResult {
    let req = ServiceRequest {
        reason: f.reason.clone(),
        reason_text: f.reason_text.clone(),
        key: f.idempotency_key.clone(),
        ..ServiceRequest::default()
    };
    match cards::services::perform(&c.state.ctx, &c.p, &number, Service::TemporaryLoss, &req, &meta.0).await {
        Ok(_) => Ok(Redirect::to(&format!("/cards?done=temporary_loss#card-{number}")).into_response()),
        Err(e) => {
            let err = shown(e)?;
            let mut page = LossPage {
                reasons: reasons(&c, f.reason.as_deref()),
                ..LossPage::default()
            };
            page.values
                .insert("reason_text".into(), f.reason_text.unwrap_or_default());
            let status = c.fail(&mut page.problems, err, "reason");
            loss_form(&c, &number, page, status).await
        }
    }
}
