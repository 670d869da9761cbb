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
    let openings = apps::openings(&c.state.ctx).await?;
    let ids: Vec<&str> = openings
        .iter()
        .flat_map(|o| o.changes.iter().map(|ch| ch.by.as_str()))
        .collect();
    let who = sscard_app::accounts::who(&c.state.ctx, &ids)
        .await
        .map_err(ApiError::from)?;
    let by = |id: String| who.get(&id).cloned().unwrap_or(id);
    let openings = openings
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
                    by: by(ch.by),
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

/// `admin_policy.html`: the campaign period (changed here, with its history), and the collection-method policy
/// and the channel matrix as the tables they are.
#[derive(Serialize, Default)]
struct PolicyPage {
    csrf: String,
    period: String,
    running: bool,
    changes: Vec<ChangeLine>,
    channels: Vec<String>,
    matrix: Vec<(String, Vec<String>)>,
    collection: Vec<(String, String, String)>,
    services: Vec<(&'static str, String)>,
    channel_codes: Vec<(&'static str, String)>,
    /// (service code, channel code, service name, channel name)
    suspended: Vec<(&'static str, &'static str, String, String)>,
    suspension_changes: Vec<ChangeLine>,
    #[serde(flatten)]
    problems: FieldErrors,
}

csrf_pages!(PolicyPage);

async fn policy_page(c: &PageCtx, typed: Option<String>, problems: FieldErrors, status: StatusCode) -> PageResult {
    use sscard_domain::access::Channel;
    use sscard_domain::card::channels::{cell, Acting, Service};
    let ctx = &c.state.ctx;
    let period = sscard_app::campaign::period(ctx).await.map_err(ApiError::from)?;
    let changes = sscard_app::campaign::changes(ctx).await.map_err(ApiError::from)?;
    let suspended = sscard_app::channel_policy::suspensions(ctx)
        .await
        .map_err(ApiError::from)?;
    let suspension_changes = sscard_app::channel_policy::changes(ctx).await.map_err(ApiError::from)?;
    let ids: Vec<&str> = changes
        .iter()
        .chain(&suspension_changes)
        .map(|ch| ch.by.as_str())
        .collect();
    let who = sscard_app::accounts::who(ctx, &ids).await.map_err(ApiError::from)?;
    let by = |id: String| who.get(&id).cloned().unwrap_or(id);
    let named = |prefix: &str, code: &str| c.m(&format!("{prefix}-{code}"));
    let page = PolicyPage {
        period: typed.unwrap_or_else(|| sscard_app::campaign::CampaignPeriod::as_setting(period)),
        running: sscard_app::campaign::running(ctx).await.map_err(ApiError::from)?,
        changes: changes
            .into_iter()
            .map(|ch| ChangeLine {
                at: ch.at.format("%Y-%m-%d %H:%M").to_string(),
                by: by(ch.by),
                previous: ch.previous.unwrap_or_else(|| "—".into()),
                value: ch.value,
            })
            .collect(),
        channels: Channel::ALL.iter().map(|ch| named("channel", ch.as_str())).collect(),
        matrix: Service::ALL
            .iter()
            .map(|s| {
                let cells = Channel::ALL
                    .iter()
                    .map(|ch| {
                        let cell = cell(*s, *ch, Acting::Holder);
                        if cell.allowed && suspended.contains(*s, *ch) {
                            c.m("policy_suspended_mark")
                        } else if !cell.allowed {
                            "✘".to_string()
                        } else if cell.conditions.is_empty() {
                            "✔".to_string()
                        } else {
                            let conditions: Vec<String> =
                                cell.conditions.iter().map(|k| named("condition", k.as_str())).collect();
                            format!("✔ {}", conditions.join("; "))
                        }
                    })
                    .collect();
                (named("service", s.as_str()), cells)
            })
            .collect(),
        collection: sscard_domain::policy::COLLECTION_POLICY
            .iter()
            .map(|(route, channel, methods)| {
                (
                    named("route_name", route.as_str()),
                    channel.map_or_else(|| c.m("policy_any_channel"), |ch| named("channel", ch.as_str())),
                    methods
                        .iter()
                        .map(|m| named("collection", m.as_str()))
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            })
            .collect(),
        services: Service::ALL
            .iter()
            .map(|s| (s.as_str(), named("service", s.as_str())))
            .collect(),
        channel_codes: Channel::ALL
            .iter()
            .map(|ch| (ch.as_str(), named("channel", ch.as_str())))
            .collect(),
        suspended: suspended
            .pairs()
            .iter()
            .map(|(s, ch)| {
                (
                    s.as_str(),
                    ch.as_str(),
                    named("service", s.as_str()),
                    named("channel", ch.as_str()),
                )
            })
            .collect(),
        suspension_changes: suspension_changes
            .into_iter()
            .map(|ch| ChangeLine {
                at: ch.at.format("%Y-%m-%d %H:%M").to_string(),
                by: by(ch.by),
                previous: ch.previous.unwrap_or_default(),
                value: ch.value,
            })
            .collect(),
        problems,
        ..PolicyPage::default()
    };
    Ok(c.show("admin_policy.html", status, page).await)
}

pub async fn policy(c: PageCtx) -> PageResult {
    policy_page(&c, None, FieldErrors::default(), StatusCode::OK).await
}

#[derive(serde::Deserialize)]
pub struct CampaignForm {
    #[serde(default)]
    period: String,
}

/// The campaign period as `YYYY-MM-DD..YYYY-MM-DD`, or `none`.
pub async fn set_campaign(c: PageCtx, Form(f): Form<CampaignForm>) -> PageResult {
    use sscard_app::campaign::SetError;
    match sscard_app::campaign::set(&c.state.ctx, f.period.trim(), &c.p.account.id).await {
        Ok(_) => Ok(Redirect::to("/admin/policy").into_response()),
        Err(SetError::Invalid(fe)) => {
            let mut problems = FieldErrors::default();
            let err = ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields", &fe.field, fe.code);
            let status = c.fail(&mut problems, err, "period");
            policy_page(&c, Some(f.period), problems, status).await
        }
        Err(SetError::Store(e)) => Err(ApiError::from(e).into()),
    }
}

#[derive(serde::Deserialize)]
pub struct SuspendForm {
    #[serde(default)]
    service: String,
    #[serde(default)]
    channel: String,
    /// `suspend` or `restore`.
    #[serde(default)]
    action: String,
}

pub async fn set_suspension(c: PageCtx, Form(f): Form<SuspendForm>) -> PageResult {
    use sscard_domain::access::Channel;
    use sscard_domain::card::channels::Service;
    let invalid = |field: &str| {
        ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_fields",
            field,
            "invalid_choice",
        )
    };
    let parsed = match (Service::parse(&f.service), Channel::parse(&f.channel)) {
        (Some(s), Some(ch)) => Ok((s, ch)),
        (None, _) => Err(invalid("service")),
        (_, None) => Err(invalid("channel")),
    };
    let result = match parsed {
        Ok((s, ch)) => sscard_app::channel_policy::set(&c.state.ctx, &c.p, s, ch, f.action != "restore")
            .await
            .map(|_| ())
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/admin/policy#suspensions").into_response()),
        Err(e) if e.status().is_server_error() => Err(e.into()),
        Err(e) => {
            let mut problems = FieldErrors::default();
            let status = c.fail(&mut problems, e, "service");
            policy_page(&c, None, problems, status).await
        }
    }
}
