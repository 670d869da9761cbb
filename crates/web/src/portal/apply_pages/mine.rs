//! 我的办事: my applications, my children, one application with its history, withdrawal.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use sscard_app::applications::{self as apps, ApplyError};
use sscard_domain::application::{Application, ApplicationState};

use super::super::pages::{PageCtx, PageResult};

use super::*;

/// One application in a list: its reference (linked), its state, its due date while it still applies.
pub(super) fn listed(c: &PageCtx, a: &Application) -> Row {
    Row {
        key: a.id.clone(),
        label: a.reference.clone(),
        value: state_name(c, a.state),
        change: a.due_on.filter(|_| a.state.awaits_production()).map(|d| d.to_string()),
    }
}

/// 我的办事 says whose each application is: the caller's own, or the child's name.
async fn whose(c: &PageCtx, a: &Application) -> Result<String, super::super::pages::PageError> {
    if a.route != sscard_domain::application::Route::Minor {
        return Ok(c.m("whose-self"));
    }
    let person = apps::draft_view(&c.state.ctx, a, c.p.channel).await?.person;
    Ok(person
        .map(|p| p.name.as_str().to_string())
        .unwrap_or_else(|| a.person.masked()))
}

pub(super) fn state_name(c: &PageCtx, s: ApplicationState) -> String {
    c.m(&format!("state-{}", s.as_str()))
}

pub async fn my_applications(c: PageCtx) -> PageResult {
    let list = apps::list_mine(&c.state.ctx, &c.p).await?;
    let mut applications = Vec::with_capacity(list.len());
    for a in &list {
        applications.push(MineRow {
            row: listed(&c, a),
            whose: whose(&c, a).await?,
        });
    }
    let page = ApplicationsPage {
        applications,
        ..ApplicationsPage::default()
    };
    Ok(c.show("applications.html", StatusCode::OK, page).await)
}

/// "My children": each child the household register lists the caller as guardian of, with their
/// applications and where each stands.
pub async fn my_children(c: PageCtx) -> PageResult {
    let wards = match sscard_app::minors::children(&c.state.ctx, &c.p).await {
        Ok(w) => w,
        Err(ApplyError::MayNotApply(_)) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let page = ChildrenPage {
        verified: c.p.account.is_real_name_verified(),
        wards: wards
            .into_iter()
            .map(|w| WardRow {
                name: w
                    .child
                    .as_ref()
                    .map(|p| p.name.as_str().to_string())
                    .unwrap_or_default(),
                id_number: w.link.child.masked(),
                relationship: c.state.ctx.codes.name(
                    sscard_domain::codes::Table::GuardianRelationship,
                    &w.link.relationship,
                    c.en(),
                ),
                minor: w.minor,
                applications: w.applications.iter().map(|a| listed(&c, a)).collect(),
            })
            .collect(),
        ..ChildrenPage::default()
    };
    Ok(c.show("children.html", StatusCode::OK, page).await)
}

pub async fn my_application(c: PageCtx, Path(id): Path<String>) -> PageResult {
    // Readable also by a listed guardian who did not apply, and by the young adult the card is for.
    let a = apps::readable(&c.state.ctx, &c.p, &id).await?;
    let history = apps::history(&c.state.ctx, &c.p, &id).await?;
    let mut page = ApplicationPage {
        due_on: a
            .due_on
            .filter(|_| a.state.awaits_production())
            .map(|d| d.to_string())
            .unwrap_or_default(),
        can_withdraw: a.applicant == c.p.account.id
            && a.state
                .apply(sscard_domain::application::ApplicationEvent::Withdraw)
                .is_ok(),
        history: history
            .into_iter()
            .map(|e| Row {
                key: e.event.as_str().into(),
                label: e.at.format("%Y-%m-%d %H:%M").to_string(),
                value: state_name(&c, e.to),
                change: Some(c.m(&format!("channel-{}", e.channel.as_str()))),
            })
            .collect(),
        notice: Some(c.m(&format!("next-{}", a.state.as_str()))),
        ..ApplicationPage::default()
    };
    fill(&c, &a, "check", &mut page.form).await?;
    page.form.state = state_name(&c, a.state);
    page.state_code = a.state.as_str().to_string();
    Ok(c.show("application.html", StatusCode::OK, page).await)
}

/// Withdrawal asks first: the application's page posts here with `confirm` only from the question's page.
pub async fn withdraw(c: PageCtx, Path(id): Path<String>, body: axum::body::Bytes) -> PageResult {
    let confirmed = url::form_urlencoded::parse(&body).any(|(k, v)| k == "confirm" && v == "yes");
    if !confirmed {
        let a = apps::readable(&c.state.ctx, &c.p, &id).await?;
        let page = WithdrawPage {
            id: a.id.clone(),
            reference: a.reference.clone(),
            whose: whose(&c, &a).await?,
            ..WithdrawPage::default()
        };
        return Ok(c.show("withdraw.html", StatusCode::OK, page).await);
    }
    let a = apps::withdraw(&c.state.ctx, &c.p, &id).await?;
    Ok(Redirect::to(&format!("/applications/{}", a.id)).into_response())
}
