//! The console's case lookup page: the key and the purpose go in a form body (never a URL); the answer is the
//! person's applications and cards, each with its timeline, in the caller's language.

use axum::http::StatusCode;
use axum::Form;
use serde::{Deserialize, Serialize};
use sscard_app::cases::{self, Case};
use sscard_domain::audit::READ_PURPOSES;

use super::forms::FieldErrors;
use super::pages::{csrf_pages, PageCtx, PageResult};
use crate::access::ClientMeta;
use crate::problem::ApiError;

#[derive(Serialize, Default)]
struct Line {
    at: String,
    what: String,
    state: String,
    channel: String,
    by: String,
}

#[derive(Serialize, Default)]
struct Section {
    id: String,
    title: String,
    facts: Vec<(String, String)>,
    lines: Vec<Line>,
}

/// `admin_cases.html`.
#[derive(Serialize, Default)]
struct CasesPage {
    csrf: String,
    q: String,
    purpose: String,
    purposes: Vec<(&'static str, String)>,
    searched: bool,
    person: Option<String>,
    applications: Vec<Section>,
    cards: Vec<Section>,
    #[serde(flatten)]
    problems: FieldErrors,
}

csrf_pages!(CasesPage);

#[derive(Deserialize, Default)]
pub struct LookupForm {
    q: Option<String>,
    purpose: Option<String>,
}

fn at(t: chrono::DateTime<chrono::FixedOffset>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// A code's name in the caller's language (`prefix-code`), or the code itself where none is written.
fn named(c: &PageCtx, prefix: &str, code: &str) -> String {
    let id = format!("{prefix}-{code}");
    if c.state.i18n.has(c.prefs.lang, &id) {
        c.m(&id)
    } else {
        code.to_string()
    }
}

fn sections(c: &PageCtx, case: &Case, page: &mut CasesPage) {
    page.person = Some(match &case.person {
        Some(p) => format!("{} ({})", p.name.as_str(), case.id_number.masked()),
        None => case.id_number.masked(),
    });
    for a in &case.applications {
        let app = &a.application;
        let mut facts = vec![
            (c.m("case_route"), named(c, "route_name", app.route.as_str())),
            (c.m("case_state"), named(c, "state", app.state.as_str())),
            (c.m("case_channel"), named(c, "channel", app.channel.as_str())),
        ];
        if let Some(due) = app.due_on {
            facts.push((c.m("case_due"), due.to_string()));
        }
        page.applications.push(Section {
            id: app.reference.clone(),
            title: format!("{} {}", c.m("case_application"), app.reference),
            facts,
            lines: a
                .events
                .iter()
                .map(|e| Line {
                    at: at(e.at),
                    what: named(c, "event", e.event.as_str()),
                    state: named(c, "state", e.to.as_str()),
                    channel: named(c, "channel", e.channel.as_str()),
                    by: e.actor.clone(),
                })
                .collect(),
        });
    }
    for k in &case.cards {
        let card = &k.card;
        let mut facts = vec![
            (
                c.m("case_bank"),
                c.state
                    .ctx
                    .codes
                    .bank(&card.bank)
                    .map(|b| if c.en() { b.name_en.clone() } else { b.name_zh.clone() })
                    .unwrap_or_else(|| card.bank.clone()),
            ),
            (c.m("case_issued"), card.issued_on.to_string()),
            (
                c.m("mycard_social_security"),
                named(c, "card_ss", card.social_security.as_str()),
            ),
            (c.m("mycard_financial"), named(c, "card_fin", card.financial.as_str())),
        ];
        for r in &k.replacements {
            facts.push((
                c.m("case_replacement"),
                format!(
                    "{} · {} · {}",
                    r.id,
                    named(c, "replacement_state", r.state.as_str()),
                    r.due.date
                ),
            ));
        }
        page.cards.push(Section {
            id: card.number.clone(),
            title: format!("{} {}", c.m("case_card"), card.number),
            facts,
            lines: k
                .transitions
                .iter()
                .map(|t| Line {
                    at: at(t.at),
                    what: format!(
                        "{} ({})",
                        named(c, "service", t.service.as_str()),
                        named(c, "reason", t.reason.as_str())
                    ),
                    state: format!(
                        "{} / {}",
                        named(c, "card_ss", t.social_security.1.as_str()),
                        named(c, "card_fin", t.financial.1.as_str())
                    ),
                    channel: t.channel.map(|ch| named(c, "channel", ch.as_str())).unwrap_or_default(),
                    by: t.actor.account.clone(),
                })
                .collect(),
        });
    }
}

fn empty(c: &PageCtx) -> CasesPage {
    CasesPage {
        purposes: READ_PURPOSES
            .iter()
            .map(|p| (*p, c.m(&format!("purpose-{p}"))))
            .collect(),
        purpose: "case_review".into(),
        ..CasesPage::default()
    }
}

pub async fn cases_page(c: PageCtx) -> PageResult {
    Ok(c.show("admin_cases.html", StatusCode::OK, empty(&c)).await)
}

pub async fn look_up(c: PageCtx, meta: ClientMeta, Form(f): Form<LookupForm>) -> PageResult {
    let mut page = empty(&c);
    page.q = f.q.unwrap_or_default().trim().to_string();
    page.purpose = f.purpose.unwrap_or_default();
    let status = match cases::look_up(&c.state.ctx, &c.p, &page.q, Some(&page.purpose), &meta.0).await {
        Ok(case) => {
            page.searched = true;
            sections(&c, &case, &mut page);
            StatusCode::OK
        }
        Err(cases::CaseError::NotFound) => {
            page.searched = true;
            StatusCode::NOT_FOUND
        }
        Err(e @ cases::CaseError::Invalid(..)) => {
            let mut problems = FieldErrors::default();
            let status = c.fail(&mut problems, ApiError::from(e), "q");
            page.problems = problems;
            status
        }
        Err(e) => return Err(ApiError::from(e).into()),
    };
    Ok(c.show("admin_cases.html", status, page).await)
}
