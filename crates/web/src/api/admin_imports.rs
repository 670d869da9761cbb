//! The console's imports in the API: a CSV file streamed in as the request body (never whole in memory),
//! imported in the background ([`sscard_app::import_jobs`]), its progress and its row report.
//!
//! These routes sit outside the ordinary body limit and request timeout (a registry file of a million rows is
//! hundreds of megabytes): [`upload_limit`] and [`UPLOAD_TIMEOUT`] bound them instead.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use sscard_app::import_jobs::{self, JobKind, StartError};
use sscard_app::ports::ImportJob;
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, ToSchema};

use crate::access::Authed;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// Longest an upload may take (a few hundred megabytes over a slow office line).
pub const UPLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// The largest file an import takes: 4 GiB, about ten million registry rows.
pub fn upload_limit() -> usize {
    usize::try_from(4u64 << 30).unwrap_or(usize::MAX)
}

#[derive(Serialize, ToSchema)]
pub struct ImportJobView {
    pub id: String,
    /// `registry`, `entities`, `guardianship`, `branches`, `outlets`, `calendar`.
    pub kind: String,
    pub file_name: String,
    /// `running`, `finished`, `failed`, `abandoned` (its instance stopped; nothing of it was stored).
    pub state: String,
    pub rows_read: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// Why the file as a whole was not imported.
    pub failure: Option<String>,
    pub started_at: String,
    pub started_by: String,
    pub finished_at: Option<String>,
    /// Where the row report (row, column, reason) is, as CSV; complete once the job has finished.
    pub rejections: String,
}

impl ImportJobView {
    pub fn of(j: ImportJob) -> Self {
        Self {
            rejections: format!("/api/v1/admin/imports/{}/{}/rejections.csv", j.kind, j.id),
            state: j.state.as_str().to_string(),
            rows_read: j.counts.read,
            accepted: j.counts.accepted,
            rejected: j.counts.rejected,
            started_at: j.started_at.to_rfc3339(),
            finished_at: j.finished_at.map(|t| t.to_rfc3339()),
            id: j.id,
            kind: j.kind,
            file_name: j.file_name,
            failure: j.failure,
            started_by: j.started_by,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The file's name as the uploader knows it (shown in the job list).
    pub file_name: Option<String>,
}

pub(crate) fn kind_of(kind: &str) -> Result<JobKind, ApiError> {
    JobKind::parse(kind).ok_or(ApiError::NotFound)
}

/// Streams a body (the API's request body, or the portal form's file field) into a temporary file; the file
/// and how many bytes it holds.
pub(crate) async fn spool<E>(
    chunks: impl futures::Stream<Item = Result<axum::body::Bytes, E>>,
) -> Result<(import_jobs::Upload, u64), ApiError> {
    let upload = import_jobs::new_upload().map_err(|e| ApiError::Internal(e.to_string()))?;
    let file = upload.reopen().map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut out = tokio::io::BufWriter::with_capacity(256 * 1024, tokio::fs::File::from_std(file));
    let mut chunks = std::pin::pin!(chunks);
    let mut size = 0u64;
    while let Some(chunk) = chunks.next().await {
        // The only way a body stops short here is the limit layer's refusal (or a client gone).
        let chunk = chunk.map_err(|_| ApiError::PayloadTooLarge)?;
        size += chunk.len() as u64;
        out.write_all(&chunk)
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
    }
    out.flush().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((upload, size))
}

/// What a refused start means to the caller.
pub(crate) fn refused(e: StartError) -> ApiError {
    match e {
        StartError::Running { id } => ApiError::rule(StatusCode::CONFLICT, "import_running").with_arg("running", id),
        StartError::NoHeader => ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_fields",
            "file",
            "import_no_header",
        ),
        StartError::MissingColumns(columns) => ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_fields",
            "file",
            "import_missing_columns",
        )
        .with_arg("columns", columns.join(", ")),
        StartError::Io(e) => ApiError::Internal(e.to_string()),
        StartError::Store(e) => e.into(),
    }
}

/// Imports a CSV file in the background, by the rules of `sscard import`: a rejected row stores nothing, a
/// record already stored is updated by its key. The file's header is checked at once (a missing column is
/// refused and nothing is started); the answer is the job, to follow at `Location`. One import of a kind runs
/// at a time, on all instances together: a second is refused with the running one's id.
#[utoipa::path(post, path = "/api/v1/admin/imports/{kind}", operation_id = "start_import", tag = "admin",
    security(("bearer" = [])), params(("kind" = String, Path), UploadParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 202, body = ImportJobView), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn start_import(
    State(state): State<AppState>,
    Authed(p): Authed,
    Path(kind): Path<String>,
    Query(params): Query<UploadParams>,
    body: Body,
) -> Result<Response, ApiError> {
    let kind = kind_of(&kind)?;
    let (upload, _) = spool(body.into_data_stream()).await?;
    let name = params.file_name.unwrap_or_else(|| format!("{}.csv", kind.as_str()));
    let job = import_jobs::start(&state.ctx, kind, upload, &name, &p.account.id)
        .await
        .map_err(refused)?;
    let location = format!("/api/v1/admin/imports/{}/{}", job.kind, job.id);
    let mut r = (StatusCode::ACCEPTED, Json(ImportJobView::of(job))).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

/// The most recent imports, newest first.
#[utoipa::path(get, path = "/api/v1/admin/imports", operation_id = "list_imports", tag = "admin",
    security(("bearer" = [])), responses((status = 200, body = [ImportJobView]), (status = 403, body = Problem)))]
pub async fn list_imports(State(state): State<AppState>) -> Result<Json<Vec<ImportJobView>>, ApiError> {
    let jobs = import_jobs::recent(&state.ctx, 50).await?;
    Ok(Json(jobs.into_iter().map(ImportJobView::of).collect()))
}

pub(crate) async fn job_of(state: &AppState, kind: &str, id: &str) -> Result<ImportJob, ApiError> {
    let kind = kind_of(kind)?;
    match import_jobs::job(&state.ctx, id).await? {
        Some(j) if j.kind == kind.as_str() => Ok(j),
        _ => Err(ApiError::NotFound),
    }
}

/// An import's progress: rows read, accepted and rejected so far, and how it ended.
#[utoipa::path(get, path = "/api/v1/admin/imports/{kind}/{id}", operation_id = "get_import", tag = "admin",
    security(("bearer" = [])), params(("kind" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = ImportJobView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_import(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, String)>,
) -> Result<Json<ImportJobView>, ApiError> {
    Ok(Json(ImportJobView::of(job_of(&state, &kind, &id).await?)))
}

/// The row report as CSV (`row,column,reason`; the header is row 1), streamed page by page.
pub(crate) fn report_csv(state: AppState, job: ImportJob, bom: bool) -> Response {
    let head = format!("{}row,column,reason\n", if bom { "\u{feff}" } else { "" });
    let pages = futures::stream::unfold(Some(0u64), move |after| {
        let (state, id) = (state.clone(), job.id.clone());
        async move {
            match import_jobs::report_page(&state.ctx, &id, after?).await {
                Ok((bytes, more)) => Some((Ok::<_, std::io::Error>(bytes), more)),
                // The answer has begun: a failure now can only cut it short, which the client sees.
                Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
            }
        }
    });
    let body = futures::stream::once(async move { Ok(head.into_bytes()) }).chain(pages);
    let mut r = Body::from_stream(body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    r
}

/// The row report: every rejected row with its row number, column and reason, as CSV.
#[utoipa::path(get, path = "/api/v1/admin/imports/{kind}/{id}/rejections.csv", operation_id = "import_rejections",
    tag = "admin", security(("bearer" = [])), params(("kind" = String, Path), ("id" = String, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn import_rejections(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let job = job_of(&state, &kind, &id).await?;
    Ok(report_csv(state, job, false))
}
