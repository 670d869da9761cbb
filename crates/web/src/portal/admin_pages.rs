//! The bureau's console (role `admin`, SPEC §10): its home, and imports uploaded in the browser and run in the
//! background ([`sscard_app::import_jobs`]) with their progress and row report. Works without JavaScript: the
//! progress page refreshes itself while the import runs.

use axum::extract::{Multipart, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Serialize;
use sscard_app::import_jobs::{self, JobKind};
use sscard_app::ports::{ImportJob, ImportJobState};

use super::forms::FieldErrors;
use super::pages::{csrf_pages, PageCtx, PageError, PageResult};
use crate::api::admin_imports;
use crate::problem::ApiError;

/// `admin.html`.
#[derive(Serialize, Default)]
struct ConsolePage {
    csrf: String,
}

/// One import in a list or on its page.
#[derive(Serialize)]
struct JobLine {
    id: String,
    kind: String,
    kind_name: String,
    file_name: String,
    state: &'static str,
    state_name: String,
    running: bool,
    read: u64,
    accepted: u64,
    rejected: u64,
    failure: Option<String>,
    started_at: String,
    finished_at: Option<String>,
    href: String,
}

/// `admin_imports.html`.
#[derive(Serialize, Default)]
struct ImportsPage {
    csrf: String,
    kinds: Vec<(String, String, String)>,
    kind: String,
    jobs: Vec<JobLine>,
    #[serde(flatten)]
    problems: FieldErrors,
}

/// `admin_import.html`.
#[derive(Serialize)]
struct ImportPage {
    csrf: String,
    job: JobLine,
}

csrf_pages!(ConsolePage, ImportsPage, ImportPage);

fn line(c: &PageCtx, j: ImportJob) -> JobLine {
    let time = |t: chrono::DateTime<chrono::FixedOffset>| t.format("%Y-%m-%d %H:%M:%S").to_string();
    JobLine {
        href: format!("/admin/imports/{}/{}", j.kind, j.id),
        kind_name: c.m(&format!("import_kind-{}", j.kind)),
        state: j.state.as_str(),
        state_name: c.m(&format!("import_state-{}", j.state.as_str())),
        running: j.state == ImportJobState::Running,
        read: j.counts.read,
        accepted: j.counts.accepted,
        rejected: j.counts.rejected,
        started_at: time(j.started_at),
        finished_at: j.finished_at.map(time),
        id: j.id,
        kind: j.kind,
        file_name: j.file_name,
        failure: j.failure,
    }
}

pub async fn console(c: PageCtx) -> PageResult {
    Ok(c.show("admin.html", StatusCode::OK, ConsolePage::default()).await)
}

async fn imports_page(c: &PageCtx, kind: &str, problems: FieldErrors, status: StatusCode) -> PageResult {
    let jobs = import_jobs::recent(&c.state.ctx, 50).await?;
    let page = ImportsPage {
        kinds: JobKind::ALL
            .iter()
            .map(|k| {
                (
                    k.as_str().to_string(),
                    c.m(&format!("import_kind-{}", k.as_str())),
                    k.columns().join(", "),
                )
            })
            .collect(),
        kind: kind.to_string(),
        jobs: jobs.into_iter().map(|j| line(c, j)).collect(),
        problems,
        ..ImportsPage::default()
    };
    Ok(c.show("admin_imports.html", status, page).await)
}

pub async fn imports(c: PageCtx) -> PageResult {
    imports_page(&c, "registry", FieldErrors::default(), StatusCode::OK).await
}

/// The upload: `csrf` (checked before the body is read on, see `access::check_csrf`), `kind`, then `file`,
/// streamed to a temporary file part by part.
pub async fn upload(c: PageCtx, mut multipart: Multipart) -> PageResult {
    let mut kind: Option<JobKind> = None;
    let mut kind_text = String::new();
    let mut file: Option<(import_jobs::Upload, String)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(ApiError::PayloadTooLarge.into()),
        };
        match field.name().unwrap_or("") {
            "kind" => {
                kind_text = field.text().await.map_err(|_| ApiError::PayloadTooLarge)?;
                kind = JobKind::parse(&kind_text);
            }
            "file" => {
                let name = field.file_name().unwrap_or("upload.csv").to_string();
                let (upload, size) = admin_imports::spool(field).await?;
                if size > 0 {
                    file = Some((upload, name));
                }
            }
            _ => {}
        }
    }
    let mut problems = FieldErrors::default();
    let Some(kind) = kind else {
        let err = ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_fields",
            "kind",
            "invalid_choice",
        );
        let status = c.fail(&mut problems, err, "kind");
        return imports_page(&c, &kind_text, problems, status).await;
    };
    let Some((upload, name)) = file else {
        let err = ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_fields",
            "file",
            "import_no_file",
        );
        let status = c.fail(&mut problems, err, "file");
        return imports_page(&c, kind.as_str(), problems, status).await;
    };
    match import_jobs::start(&c.state.ctx, kind, upload, &name, &c.p.account.id).await {
        Ok(job) => Ok(Redirect::to(&format!("/admin/imports/{}/{}", job.kind, job.id)).into_response()),
        Err(e) => {
            let err = admin_imports::refused(e);
            if err.status().is_server_error() {
                return Err(err.into());
            }
            let status = c.fail(&mut problems, err, "file");
            imports_page(&c, kind.as_str(), problems, status).await
        }
    }
}

pub async fn import(c: PageCtx, Path((kind, id)): Path<(String, String)>) -> PageResult {
    let job = admin_imports::job_of(&c.state, &kind, &id).await?;
    let page = ImportPage {
        csrf: String::new(),
        job: line(&c, job),
    };
    Ok(c.show("admin_import.html", StatusCode::OK, page).await)
}

/// The row report with a byte-order mark, so that a spreadsheet opens the Chinese reasons as UTF-8.
pub async fn rejections(c: PageCtx, Path((kind, id)): Path<(String, String)>) -> PageResult {
    let job = admin_imports::job_of(&c.state, &kind, &id).await.map_err(PageError)?;
    let mut r = admin_imports::report_csv(c.state.clone(), job, true);
    let disposition = format!("attachment; filename=\"import-{kind}-{id}-rejections.csv\"");
    if let Ok(v) = axum::http::HeaderValue::from_str(&disposition) {
        r.headers_mut().insert(axum::http::header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
