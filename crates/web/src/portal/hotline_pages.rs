//! The hotline agent's console (role `hotline_agent`, channel `hotline`): find the caller's cards by ID number
//! (audited, with its purpose), then with the password the caller gives, their card's state or a temporary
//! loss. The ID number travels in form bodies only, never in a URL.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::Form;
use serde::{Deserialize, Serialize};
use sscard_app::cards::{self, hotline, services::ServiceRequest, status::CardView};
use sscard_domain::card::SocialSecurityState;

use super::forms::FieldErrors;
use super::pages::{csrf_pages, PageCtx, PageResult};
use crate::access::ClientMeta;
use crate::problem::ApiError;

#[derive(Serialize, Default)]
struct HotlineCard {
    number: String,
    title: String,
    key: String,
    ss_code: &'static str,
    ss_name: String,
    fin_name: String,
    loss_until: Option<String>,
}

/// `hotline.html`.
#[derive(Serialize, Default)]
struct HotlinePage {
    csrf: String,
    id_number: String,
    searched: bool,
    cards: Vec<HotlineCard>,
    notice: Option<String>,
    #[serde(flatten)]
    problems: FieldErrors,
}

csrf_pages!(HotlinePage);

pub async fn hotline_page(c: PageCtx) -> PageResult {
    Ok(c.show("hotline.html", StatusCode::OK, HotlinePage::default()).await)
}

#[derive(Deserialize, Default)]
pub struct FindForm {
    id_number: Option<String>,
    purpose: Option<String>,
}

/// Fills the page with the caller's cards; `shown`, the one whose state the password opened.
async fn found(
    c: &PageCtx,
    page: &mut HotlinePage,
    purpose: &str,
    shown: Option<&CardView>,
) -> Result<(), cards::CardError> {
    let meta = sscard_app::auth::Meta::default();
    let list = hotline::find(&c.state.ctx, &c.p, &page.id_number, Some(purpose), &meta).await?;
    page.searched = true;
    page.cards = list
        .into_iter()
        .map(|f| {
            let mut card = HotlineCard {
                title: format!(
                    "{} ···· {}",
                    c.state
                        .ctx
                        .codes
                        .bank(&f.bank)
                        .map(|b| if c.en() { b.name_en.clone() } else { b.name_zh.clone() })
                        .unwrap_or_else(|| f.bank.clone()),
                    &f.number[f.number.len().saturating_sub(4)..]
                ),
                key: c.state.ctx.secrets.token(),
                number: f.number,
                ..HotlineCard::default()
            };
            if let Some(v) = shown.filter(|v| v.card.number == card.number) {
                card.ss_code = v.card.social_security.as_str();
                card.ss_name = c.m(&format!("card_ss-{}", v.card.social_security.as_str()));
                card.fin_name = c.m(&format!("card_fin-{}", v.card.financial.as_str()));
                card.loss_until = v
                    .card
                    .loss_until
                    .filter(|_| v.card.social_security == SocialSecurityState::TempLoss)
                    .map(|u| {
                        c.state.i18n.format(
                            c.prefs.lang,
                            "mycard_loss_until",
                            &[("until", u.format("%Y-%m-%d %H:%M").to_string())],
                        )
                    });
            }
            card
        })
        .collect();
    Ok(())
}

/// A refusal the console shows beside its field; anything else is the error page.
fn beside(e: cards::CardError) -> Result<ApiError, ApiError> {
    use cards::CardError as C;
    match e {
        C::Invalid(_)
        | C::WrongPassword { .. }
        | C::PasswordLocked
        | C::PasswordChangeRequired
        | C::WrongChannel(_)
        | C::Refused(_)
        | C::StateChanged => Ok(e.into()),
        other => Err(other.into()),
    }
}

pub async fn search(c: PageCtx, Form(f): Form<FindForm>) -> PageResult {
    let mut page = HotlinePage {
        id_number: f.id_number.unwrap_or_default().trim().to_string(),
        ..HotlinePage::default()
    };
    let purpose = f.purpose.unwrap_or_default();
    let status = match found(&c, &mut page, &purpose, None).await {
        Ok(()) => StatusCode::OK,
        Err(e) => c.fail(&mut page.problems, beside(e)?, "id_number"),
    };
    Ok(c.show("hotline.html", status, page).await)
}

#[derive(Deserialize, Default)]
pub struct ActForm {
    id_number: Option<String>,
    action: Option<String>,
    idempotency_key: Option<String>,
    #[serde(flatten)]
    rest: std::collections::HashMap<String, String>,
}

pub async fn act(c: PageCtx, meta: ClientMeta, Path(number): Path<String>, Form(f): Form<ActForm>) -> PageResult {
    let field = format!("password-{number}");
    let password = f.rest.get(&field).cloned().unwrap_or_default();
    let mut page = HotlinePage {
        id_number: f.id_number.unwrap_or_default(),
        ..HotlinePage::default()
    };
    let ctx = &c.state.ctx;
    let result = match f.action.as_deref() {
        Some("temporary_loss") => {
            let req = ServiceRequest {
                key: f.idempotency_key,
                ..ServiceRequest::default()
            };
            hotline::report_loss(ctx, &c.p, &number, &password, &req, &meta.0)
                .await
                .map(|v| (v, Some(c.m("mycard_done"))))
        }
        _ => hotline::status(ctx, &c.p, &number, &password, &meta.0)
            .await
            .map(|v| (v, None)),
    };
    let (status, shown) = match result {
        Ok((v, notice)) => {
            page.notice = notice;
            (StatusCode::OK, Some(v))
        }
        Err(e) => {
            let status = c.fail(&mut page.problems, beside(e)?, &field);
            page.problems.rename("password", &field);
            (status, None)
        }
    };
    // The list again (the read is audited again: the agent looked at the caller's cards again).
    if let Err(e) = found(&c, &mut page, "hotline_enquiry", shown.as_ref()).await {
        return Err(beside(e).unwrap_or_else(|x| x).into());
    }
    Ok(c.show("hotline.html", status, page).await)
}
