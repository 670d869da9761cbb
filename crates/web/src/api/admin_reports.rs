//! The console's reports in the API (SPEC §10), each a count per day and group over a period, as JSON or CSV:
//! applications submitted (by route, channel, bank or district), production against its limits (applications
//! and replacements), employers' adoption, lifecycle services by channel, the SMS outbox. The portal's page
//! (`portal::admin_reports`) shows the same read model as a table and a chart.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sscard_app::ports::Breakdown;
use sscard_app::reports::{self, DailyReport, Period, ReportKind};
use utoipa::{IntoParams, ToSchema};

use crate::i18n::Lang;
use crate::problem::{ApiError, Problem, Query};
use crate::state::AppState;

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// First day, `YYYY-MM-DD` (default: 29 days before `to`).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: today). At most 366 days in all.
    pub to: Option<String>,
    /// The applications report's breakdown: `route` (default), `channel`, `bank` or `district`.
    pub by: Option<String>,
}

fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// The report `name` the parameters ask for, or the field at fault (an unknown report is not found).
pub(crate) async fn report_of(state: &AppState, name: &str, p: &ReportParams) -> Result<DailyReport, ApiError> {
    let invalid = |e: sscard_app::reports::PeriodError| {
        ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fields", e.field, e.code)
    };
    let kind = ReportKind::parse(name, p.by.as_deref())
        .ok_or(ApiError::NotFound)?
        .map_err(invalid)?;
    let period = Period::parse(p.from.as_deref(), p.to.as_deref(), state.ctx.clock.today()).map_err(invalid)?;
    Ok(reports::report(&state.ctx, period, kind).await?)
}

/// A group's name in `lang` (a bank's or district's name, a route's or channel's), or "none" for no value.
pub(crate) fn group_name(state: &AppState, lang: Lang, kind: ReportKind, group: Option<&str>) -> String {
    let by = match kind {
        ReportKind::Applications(by) => by,
        ReportKind::Counted(c) => {
            let id = match (c, group) {
                (sscard_app::ports::Counted::Services, Some(channel)) => format!("channel-{channel}"),
                (sscard_app::ports::Counted::Services, None) => "report_system".to_string(),
                (c, Some(g)) => format!("report_group-{}-{g}", c.as_str()),
                (_, None) => "report_no_value".to_string(),
            };
            return state.i18n.format(lang, &id, &[]);
        }
    };
    let Some(code) = group else {
        return state.i18n.format(lang, "report_no_value", &[]);
    };
    let en = lang == Lang::En;
    let codes = &state.ctx.codes;
    let named = match by {
        Breakdown::Route => Some(state.i18n.format(lang, &format!("route_name-{code}"), &[])),
        Breakdown::Channel => Some(state.i18n.format(lang, &format!("channel-{code}"), &[])),
        Breakdown::Bank => codes
            .bank(code)
            .map(|b| if en { b.name_en.clone() } else { b.name_zh.clone() }),
        Breakdown::District => codes
            .district(code)
            .map(|d| if en { d.name_en.clone() } else { d.name_zh.clone() }),
    };
    named.unwrap_or_else(|| code.to_string())
}

#[derive(Serialize, ToSchema)]
pub struct ReportGroup {
    /// The code (a route, channel, bank or district code); null for applications without a value.
    pub code: Option<String>,
    pub name: String,
    pub total: u64,
}

#[derive(Serialize, ToSchema)]
pub struct ReportDayView {
    pub day: String,
    /// One count per group, in the order of `groups`.
    pub counts: Vec<u64>,
    pub total: u64,
}

#[derive(Serialize, ToSchema)]
pub struct DailyReportView {
    /// applications, production, replacements, employers, services or sms.
    pub report: String,
    pub from: String,
    pub to: String,
    /// The applications report's breakdown.
    pub by: Option<String>,
    pub groups: Vec<ReportGroup>,
    pub days: Vec<ReportDayView>,
    pub total: u64,
}

impl DailyReportView {
    fn of(state: &AppState, lang: Lang, r: DailyReport) -> Self {
        Self {
            report: r.kind.name().to_string(),
            from: r.period.from.to_string(),
            to: r.period.to.to_string(),
            by: match r.kind {
                ReportKind::Applications(by) => Some(by.as_str().to_string()),
                ReportKind::Counted(_) => None,
            },
            groups: r
                .groups
                .iter()
                .zip(&r.totals)
                .map(|(g, t)| ReportGroup {
                    name: group_name(state, lang, r.kind, g.as_deref()),
                    code: g.clone(),
                    total: *t,
                })
                .collect(),
            days: r
                .days
                .into_iter()
                .map(|d| ReportDayView {
                    day: d.day.to_string(),
                    counts: d.counts,
                    total: d.total,
                })
                .collect(),
            total: r.total,
        }
    }
}

/// Applications submitted per day (Beijing time) over a period, broken down by route, channel, bank or the
/// applicant's district; every day of the period is listed, with zeros.
#[utoipa::path(get, path = "/api/v1/admin/reports/applications", operation_id = "applications_report", tag = "admin",
    security(("bearer" = [])), params(ReportParams),
    responses((status = 200, body = DailyReportView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn applications(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<ReportParams>,
) -> Result<Json<DailyReportView>, ApiError> {
    let lang = lang_of(&headers);
    let r = report_of(&state, "applications", &p).await?;
    Ok(Json(DailyReportView::of(&state, lang, r)))
}

/// The report as CSV: one line per day and group with applications (`day,group,name,count`).
pub(crate) fn report_csv(state: &AppState, lang: Lang, r: &DailyReport, bom: bool) -> Response {
    let names: Vec<String> = r
        .groups
        .iter()
        .map(|g| group_name(state, lang, r.kind, g.as_deref()))
        .collect();
    let write = || -> Result<Vec<u8>, String> {
        let mut w = csv::Writer::from_writer(if bom {
            "\u{feff}".as_bytes().to_vec()
        } else {
            Vec::new()
        });
        w.write_record(["day", "group", "name", "count"])
            .map_err(|e| e.to_string())?;
        for d in &r.days {
            for ((g, name), n) in r.groups.iter().zip(&names).zip(&d.counts) {
                if *n > 0 {
                    let day = d.day.to_string();
                    w.write_record([day.as_str(), g.as_deref().unwrap_or(""), name, &n.to_string()])
                        .map_err(|e| e.to_string())?;
                }
            }
        }
        w.into_inner().map_err(|e| e.to_string())
    };
    let body = match write() {
        Ok(b) => b,
        Err(e) => return ApiError::Internal(e).into_response(),
    };
    let name = match r.kind {
        ReportKind::Applications(by) => format!("applications-{}", by.as_str()),
        ReportKind::Counted(c) => c.as_str().to_string(),
    };
    let name = format!("attachment; filename=\"{name}-{}-{}.csv\"", r.period.from, r.period.to);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        body,
    )
        .into_response()
}

/// The applications-per-day report as CSV (UTF-8).
#[utoipa::path(get, path = "/api/v1/admin/reports/applications.csv", operation_id = "applications_report_csv",
    tag = "admin", security(("bearer" = [])), params(ReportParams),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem),
              (status = 422, body = Problem)))]
pub async fn applications_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<ReportParams>,
) -> Result<Response, ApiError> {
    let lang = lang_of(&headers);
    let r = report_of(&state, "applications", &p).await?;
    Ok(report_csv(&state, lang, &r, false))
}

/// Any of the console's reports by name: `applications` (with `by`), `production` (applications against the
/// 30-day limit), `replacements` (against 4 working days), `employers` (collective application's adoption),
/// `services` (lifecycle services by channel), `sms` (the outbox). Every day of the period is listed, with zeros.
#[utoipa::path(get, path = "/api/v1/admin/reports/{report}", operation_id = "daily_report", tag = "admin",
    security(("bearer" = [])), params(("report" = String, Path), ReportParams),
    responses((status = 200, body = DailyReportView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn daily(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(report): Path<String>,
    Query(p): Query<ReportParams>,
) -> Result<Json<DailyReportView>, ApiError> {
    let lang = lang_of(&headers);
    let r = report_of(&state, &report, &p).await?;
    Ok(Json(DailyReportView::of(&state, lang, r)))
}

/// Any report as CSV (`day,group,name,count`, UTF-8).
#[utoipa::path(get, path = "/api/v1/admin/reports/{report}/csv", operation_id = "daily_report_csv", tag = "admin",
    security(("bearer" = [])), params(("report" = String, Path), ReportParams),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn daily_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(report): Path<String>,
    Query(p): Query<ReportParams>,
) -> Result<Response, ApiError> {
    let lang = lang_of(&headers);
    let r = report_of(&state, &report, &p).await?;
    Ok(report_csv(&state, lang, &r, false))
}
