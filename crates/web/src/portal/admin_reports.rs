//! The console's reports in the browser: each report as a table, a chart drawn on the server (SVG, with a
//! title and a description for screen readers; the table is the full text alternative) and a CSV download.
//! The period (and the applications report's breakdown) are a GET form: the page works without JavaScript.

use axum::extract::Path;
use axum::http::StatusCode;
use serde::Serialize;
use sscard_app::ports::Breakdown;
use sscard_app::reports::{DailyReport, ReportKind};

use super::forms::FieldErrors;
use super::pages::{csrf_pages, PageCtx, PageResult};
use crate::api::admin_reports::{group_name, report_csv, report_of, ReportParams};
use crate::problem::Query;

/// Colours of the groups in the chart, in order (distinct in hue and lightness).
const PALETTE: [&str; 16] = [
    "#1d70b8", "#f47738", "#00703c", "#d4351c", "#5694ca", "#912b88", "#85994b", "#b58840", "#6f72af", "#28a197",
    "#f499be", "#505a5f", "#003078", "#ffdd00", "#b1b4b6", "#0b0c0c",
];

#[derive(Serialize)]
struct GroupLine {
    name: String,
    colour: &'static str,
    total: u64,
}

#[derive(Serialize)]
struct DayLine {
    day: String,
    counts: Vec<u64>,
    total: u64,
}

/// `admin_report.html`.
#[derive(Serialize, Default)]
struct ReportPage {
    csrf: String,
    report: String,
    title: String,
    lead: String,
    from: String,
    to: String,
    by: String,
    choices: Vec<(&'static str, String)>,
    shown: bool,
    chart: String,
    groups: Vec<GroupLine>,
    days: Vec<DayLine>,
    total: u64,
    csv: String,
    #[serde(flatten)]
    problems: FieldErrors,
}

csrf_pages!(ReportPage);

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A stacked bar per day, one colour per group, scaled to the busiest day; the axis names the first, middle
/// and last day and the busiest day's count.
fn chart(c: &PageCtx, r: &DailyReport, names: &[String]) -> String {
    const H: u32 = 200;
    const LEFT: u32 = 48;
    const BOTTOM: u32 = 24;
    let bar = if r.days.len() > 120 { 3 } else { 8 };
    let width = LEFT + bar * r.days.len() as u32 + 8;
    let peak = r.days.iter().map(|d| d.total).max().unwrap_or(0).max(1);
    let busiest = r.days.iter().max_by_key(|d| d.total);
    let title = c.m(&format!("report_chart_title-{}", r.kind.name()));
    let desc = c.state.i18n.format(
        c.prefs.lang,
        "report_chart_desc",
        &[
            ("total", r.total.to_string()),
            ("from", r.period.from.to_string()),
            ("to", r.period.to.to_string()),
            ("peak_day", busiest.map(|d| d.day.to_string()).unwrap_or_default()),
            ("peak", busiest.map(|d| d.total).unwrap_or(0).to_string()),
            ("groups", names.join(", ")),
        ],
    );
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {total_h}\" width=\"100%\" role=\"img\" \
         aria-labelledby=\"chart-title chart-desc\" id=\"chart\" preserveAspectRatio=\"xMinYMin meet\">\
         <title id=\"chart-title\">{title}</title><desc id=\"chart-desc\">{desc}</desc>\
         <line x1=\"{LEFT}\" y1=\"{H}\" x2=\"{width}\" y2=\"{H}\" stroke=\"#0b0c0c\"/>\
         <text x=\"{lx}\" y=\"12\" text-anchor=\"end\" font-size=\"11\">{peak}</text>\
         <text x=\"{lx}\" y=\"{H}\" text-anchor=\"end\" font-size=\"11\">0</text>",
        total_h = H + BOTTOM,
        title = escape(&title),
        desc = escape(&desc),
        lx = LEFT - 4,
    );
    for (i, d) in r.days.iter().enumerate() {
        let x = LEFT + bar * i as u32;
        let mut y = H;
        for (g, n) in d.counts.iter().enumerate() {
            if *n == 0 {
                continue;
            }
            let h = ((*n as f64 / peak as f64) * f64::from(H - 16)).round().max(1.0) as u32;
            y = y.saturating_sub(h);
            svg.push_str(&format!(
                "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"{fill}\"><title>{day} {name}: {n}</title></rect>",
                w = bar.saturating_sub(1).max(1),
                fill = PALETTE[g % PALETTE.len()],
                day = d.day,
                name = escape(&names[g]),
            ));
        }
    }
    let last = r.days.len().saturating_sub(1);
    for i in [0, last / 2, last] {
        if let Some(d) = r.days.get(i) {
            let x = LEFT + bar * i as u32;
            let anchor = if i == 0 {
                "start"
            } else if i == last {
                "end"
            } else {
                "middle"
            };
            svg.push_str(&format!(
                "<text x=\"{x}\" y=\"{y}\" text-anchor=\"{anchor}\" font-size=\"11\">{day}</text>",
                y = H + 16,
                day = d.day.format("%m-%d"),
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

pub async fn applications(c: PageCtx, Query(p): Query<ReportParams>) -> PageResult {
    show(c, "applications".into(), p).await
}

pub async fn daily(c: PageCtx, Path(report): Path<String>, Query(p): Query<ReportParams>) -> PageResult {
    show(c, report, p).await
}

async fn show(c: PageCtx, report: String, p: ReportParams) -> PageResult {
    let applications = report == "applications";
    let mut page = ReportPage {
        title: c.m(&format!("report_title-{report}")),
        lead: c.m(&format!("report_lead-{report}")),
        choices: if applications {
            Breakdown::ALL
                .iter()
                .map(|b| (b.as_str(), c.m(&format!("report_by-{}", b.as_str()))))
                .collect()
        } else {
            Vec::new()
        },
        from: p.from.clone().unwrap_or_default(),
        to: p.to.clone().unwrap_or_default(),
        by: p.by.clone().unwrap_or_else(|| "route".into()),
        report: report.clone(),
        ..ReportPage::default()
    };
    let r = match report_of(&c.state, &report, &p).await {
        Ok(r) => r,
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let status = c.fail(&mut page.problems, e, "from");
            return Ok(c.show("admin_report.html", status, page).await);
        }
        Err(e) => return Err(e.into()),
    };
    let names: Vec<String> = r
        .groups
        .iter()
        .map(|g| group_name(&c.state, c.prefs.lang, r.kind, g.as_deref()))
        .collect();
    page.chart = chart(&c, &r, &names);
    page.from = r.period.from.to_string();
    page.to = r.period.to.to_string();
    page.csv = match r.kind {
        ReportKind::Applications(by) => {
            page.by = by.as_str().to_string();
            format!(
                "/admin/reports/applications.csv?from={}&to={}&by={}",
                page.from, page.to, page.by
            )
        }
        ReportKind::Counted(_) => format!("/admin/reports/{report}/csv?from={}&to={}", page.from, page.to),
    };
    page.groups = names
        .into_iter()
        .zip(&r.totals)
        .enumerate()
        .map(|(i, (name, total))| GroupLine {
            name,
            colour: PALETTE[i % PALETTE.len()],
            total: *total,
        })
        .collect();
    page.days = r
        .days
        .iter()
        .map(|d| DayLine {
            day: d.day.to_string(),
            counts: d.counts.clone(),
            total: d.total,
        })
        .collect();
    page.total = r.total;
    page.shown = true;
    Ok(c.show("admin_report.html", StatusCode::OK, page).await)
}

/// The applications report as CSV with a byte-order mark, for spreadsheets.
pub async fn applications_csv(c: PageCtx, Query(p): Query<ReportParams>) -> PageResult {
    let r = report_of(&c.state, "applications", &p).await?;
    Ok(report_csv(&c.state, c.prefs.lang, &r, true))
}

/// Any report as CSV with a byte-order mark.
pub async fn daily_csv(c: PageCtx, Path(report): Path<String>, Query(p): Query<ReportParams>) -> PageResult {
    let r = report_of(&c.state, &report, &p).await?;
    Ok(report_csv(&c.state, c.prefs.lang, &r, true))
}
