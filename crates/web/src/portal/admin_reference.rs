//! The console's reference-data pages: banks, branches and outlets searched, each changed through its form
//! with its history below; a refusal (a field, or live data depending on the change) is shown beside the field
//! with what was typed kept.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use serde::{Deserialize, Serialize};
use sscard_app::reference_changes::{self as changes, Typed};
use sscard_domain::registry::{ReferenceKind, ReferenceRecord};

use super::forms::FieldErrors;
use super::pages::{csrf_pages, PageCtx, PageResult};
use crate::access::ClientMeta;
use crate::api::admin_reference::{kind_of, ReferenceItem};
use crate::problem::{ApiError, Query};

#[derive(Deserialize, Default)]
pub struct SearchParams {
    kind: Option<String>,
    q: Option<String>,
}

#[derive(Serialize)]
struct Row {
    href: String,
    code: String,
    name: String,
    detail: String,
}

/// `admin_reference.html`.
#[derive(Serialize, Default)]
struct SearchPage {
    csrf: String,
    kind: String,
    kinds: Vec<(&'static str, String)>,
    q: String,
    rows: Vec<Row>,
}

csrf_pages!(SearchPage);

fn plural(kind: ReferenceKind) -> &'static str {
    match kind {
        ReferenceKind::Bank => "banks",
        ReferenceKind::Branch => "branches",
        ReferenceKind::Outlet => "outlets",
    }
}

fn row(c: &PageCtx, r: &ReferenceRecord) -> Row {
    let yes_no = |b: bool| if b { c.m("reference_yes") } else { c.m("reference_no") };
    let (name, detail) = match r {
        ReferenceRecord::Bank(b) => (
            if c.en() { b.name_en.clone() } else { b.name_zh.clone() },
            format!(
                "{}: {}",
                c.m("label-supports_online_replacement"),
                yes_no(b.supports_online_replacement)
            ),
        ),
        ReferenceRecord::Branch(b) => (
            b.name.clone(),
            format!(
                "{} · {}: {}",
                b.address,
                c.m("label-accepts_pickup"),
                yes_no(b.accepts_pickup)
            ),
        ),
        ReferenceRecord::Outlet(o) => (o.name.clone(), o.address.clone()),
    };
    Row {
        href: format!("/admin/reference/{}/{}", plural(r.kind()), r.code()),
        code: r.code().to_string(),
        name,
        detail,
    }
}

pub async fn search(c: PageCtx, Query(params): Query<SearchParams>) -> PageResult {
    let kind = kind_of(params.kind.as_deref().unwrap_or("branches"))?;
    let q = params.q.unwrap_or_default();
    let found = changes::search(&c.state.ctx, kind, &q, 200)
        .await
        .map_err(ApiError::from)?;
    let page = SearchPage {
        kind: plural(kind).into(),
        kinds: ["banks", "branches", "outlets"]
            .into_iter()
            .map(|k| (k, c.m(&format!("reference_kind-{k}"))))
            .collect(),
        rows: found.iter().map(|r| row(&c, r)).collect(),
        q,
        ..SearchPage::default()
    };
    Ok(c.show("admin_reference.html", StatusCode::OK, page).await)
}

#[derive(Serialize)]
struct ChangeLine {
    at: String,
    by: String,
    what: String,
}

/// `admin_reference_record.html`.
#[derive(Serialize, Default)]
struct RecordPage {
    csrf: String,
    kind: String,
    code: String,
    title: String,
    values: ReferenceItem,
    districts: Vec<(String, String)>,
    changes: Vec<ChangeLine>,
    #[serde(flatten)]
    problems: FieldErrors,
}

csrf_pages!(RecordPage);

/// What changed between two kept versions, field by field (`name: 旧 → 新`).
fn difference(before: &serde_json::Value, after: &serde_json::Value) -> String {
    let (Some(b), Some(a)) = (before.as_object(), after.as_object()) else {
        return String::new();
    };
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, v)| {
            let show = |v: Option<&serde_json::Value>| match v {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => "—".into(),
            };
            format!("{k}: {} → {}", show(b.get(k)), show(Some(v)))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

async fn show(
    c: &PageCtx,
    kind: ReferenceKind,
    code: &str,
    typed: Option<ReferenceItem>,
    problems: FieldErrors,
    status: StatusCode,
) -> PageResult {
    let r = changes::record(&c.state.ctx, kind, code)
        .await
        .map_err(ApiError::from)?
        .ok_or(ApiError::NotFound)?;
    let current = ReferenceItem::from(&r.record);
    let ids: Vec<&str> = r.changes.iter().map(|ch| ch.by.as_str()).collect();
    let who = sscard_app::accounts::who(&c.state.ctx, &ids)
        .await
        .map_err(ApiError::from)?;
    let page = RecordPage {
        kind: plural(kind).into(),
        code: code.into(),
        title: format!("{} {code}", c.m(&format!("reference_kind-{}", plural(kind)))),
        values: typed.unwrap_or(current),
        districts: c
            .state
            .ctx
            .codes
            .districts
            .iter()
            .map(|d| {
                (
                    d.code.clone(),
                    if c.en() { d.name_en.clone() } else { d.name_zh.clone() },
                )
            })
            .collect(),
        changes: r
            .changes
            .iter()
            .map(|ch| ChangeLine {
                at: ch.at.format("%Y-%m-%d %H:%M").to_string(),
                by: who.get(&ch.by).cloned().unwrap_or_else(|| ch.by.clone()),
                what: difference(&ch.before, &ch.after),
            })
            .collect(),
        problems,
        ..RecordPage::default()
    };
    Ok(c.show("admin_reference_record.html", status, page).await)
}

pub async fn record(c: PageCtx, Path((kind, code)): Path<(String, String)>) -> PageResult {
    show(&c, kind_of(&kind)?, &code, None, FieldErrors::default(), StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct RecordForm {
    short: Option<String>,
    name: Option<String>,
    name_zh: Option<String>,
    name_en: Option<String>,
    district: Option<String>,
    address: Option<String>,
    accepts_pickup: Option<String>,
    instant_issuance: Option<String>,
    supports_online_replacement: Option<String>,
}

pub async fn change(
    c: PageCtx,
    meta: ClientMeta,
    Path((kind, code)): Path<(String, String)>,
    Form(f): Form<RecordForm>,
) -> PageResult {
    let kind = kind_of(&kind)?;
    let typed = Typed {
        short: f.short,
        name: f.name,
        name_zh: f.name_zh,
        name_en: f.name_en,
        district: f.district,
        address: f.address,
        accepts_pickup: f.accepts_pickup.is_some(),
        instant_issuance: f.instant_issuance.is_some(),
        supports_online_replacement: f.supports_online_replacement.is_some(),
    };
    let outcome = match changes::parse(&c.state.ctx, kind, &code, &typed) {
        Ok(after) => changes::change(&c.state.ctx, &c.p, after, &meta.0).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/admin/reference/{}/{code}", plural(kind))).into_response()),
        Err(e @ (changes::ChangeError::Invalid(_) | changes::ChangeError::Depended { .. })) => {
            let first = match kind {
                ReferenceKind::Bank => "short",
                ReferenceKind::Branch => "accepts_pickup",
                ReferenceKind::Outlet => "district",
            };
            let mut problems = FieldErrors::default();
            let status = c.fail(&mut problems, ApiError::from(e), first);
            let as_typed = ReferenceItem {
                kind: kind.as_str().into(),
                code: code.clone(),
                bank: code.split('-').next().map(str::to_string),
                short: typed.short,
                name: typed.name,
                name_zh: typed.name_zh,
                name_en: typed.name_en,
                district: typed.district,
                address: typed.address,
                accepts_pickup: Some(typed.accepts_pickup),
                instant_issuance: Some(typed.instant_issuance),
                supports_online_replacement: Some(typed.supports_online_replacement),
            };
            show(&c, kind, &code, Some(as_typed), problems, status).await
        }
        Err(e) => Err(ApiError::from(e).into()),
    }
}
