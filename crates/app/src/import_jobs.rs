//! Import jobs (SPEC §10): a CSV file uploaded in the console (browser or API) is imported in the background
//! by the same rules as `sscard import` ([`crate::import`]), with its progress and a row report.
//!
//! The web adapter streams the upload to a temporary file; [`start`] checks the header, records the job (the
//! database refuses a second running job of a kind, whichever instance takes it) and spawns the import. While
//! it runs, the counts are kept in this process ([`live_counts`]) and written to the job every few seconds;
//! rejected rows go to a temporary file and are stored once the import has committed, since SQLite's import
//! holds the one write lock until then. A job whose instance stops leaves no heartbeat, and the next start of
//! its kind marks it abandoned (nothing of it was stored: an import commits once).

use std::collections::HashMap;
use std::io::{BufReader, Read, Seek};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use crate::import::{import_csv_observed, ImportError, ImportKind, ImportObserver, RejectedRow};
use crate::ports::{ImportCounts, ImportJob, ImportJobState, ImportRejection, StoreError};
use crate::AppContext;

/// A running job with no heartbeat for this long is taken to have lost its instance.
const STALE_AFTER: Duration = Duration::from_secs(10 * 60);
/// How often a running job's counts (and heartbeat) are written.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);
/// Rejected rows stored per statement batch once the import has committed.
const REJECTIONS_PER_WRITE: usize = 5_000;
/// A calendar file is a year or two of days: read whole, and refused above this.
const MAX_CALENDAR_BYTES: u64 = 1024 * 1024;

/// What the console can import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Records(ImportKind),
    /// A year's working-day calendar ([`crate::calendar::load`]).
    Calendar,
}

impl JobKind {
    pub const ALL: [JobKind; 6] = [
        JobKind::Records(ImportKind::Registry),
        JobKind::Records(ImportKind::Entities),
        JobKind::Records(ImportKind::Guardianship),
        JobKind::Records(ImportKind::Branches),
        JobKind::Records(ImportKind::Outlets),
        JobKind::Calendar,
    ];

    pub fn parse(s: &str) -> Option<JobKind> {
        match s {
            "calendar" => Some(JobKind::Calendar),
            _ => ImportKind::parse(s).map(JobKind::Records),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Calendar => "calendar",
            JobKind::Records(k) => k.as_str(),
        }
    }

    /// The columns a file must have.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            JobKind::Calendar => &["date", "kind"],
            JobKind::Records(k) => k.columns(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("an import of this kind is running: {id}")]
    Running { id: String },
    #[error("the file has no header row")]
    NoHeader,
    #[error("the file lacks the column(s) {0:?}")]
    MissingColumns(Vec<&'static str>),
    #[error("the uploaded file could not be read: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The uploaded file, deleted when the job is done with it.
pub type Upload = tempfile::NamedTempFile;

/// Counts of the jobs this process is running, by job id.
static LIVE: LazyLock<Mutex<HashMap<String, ImportCounts>>> = LazyLock::new(Default::default);

fn set_live(id: &str, counts: Option<ImportCounts>) {
    let mut live = LIVE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match counts {
        Some(c) => live.insert(id.to_string(), c),
        None => live.remove(id),
    };
}

/// The counts of a job running in this process, fresher than the stored ones.
pub fn live_counts(id: &str) -> Option<ImportCounts> {
    LIVE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(id)
        .copied()
}

/// A job as the console shows it: the stored record with this process's fresher counts while it runs here.
pub async fn job(ctx: &AppContext, id: &str) -> Result<Option<ImportJob>, StoreError> {
    Ok(ctx.store.import_job(id).await?.map(with_live_counts))
}

/// The most recent jobs, newest first.
pub async fn recent(ctx: &AppContext, limit: u32) -> Result<Vec<ImportJob>, StoreError> {
    Ok(ctx
        .store
        .import_jobs(limit)
        .await?
        .into_iter()
        .map(with_live_counts)
        .collect())
}

fn with_live_counts(mut job: ImportJob) -> ImportJob {
    if job.state == ImportJobState::Running {
        if let Some(c) = live_counts(&job.id) {
            job.counts = c;
        }
    }
    job
}

/// Checks the file's header, records the job and starts the import in the background.
pub async fn start(
    ctx: &AppContext,
    kind: JobKind,
    mut upload: Upload,
    file_name: &str,
    by: &str,
) -> Result<ImportJob, StartError> {
    check_header(kind, upload.as_file_mut())?;
    let now = ctx.clock.now();
    let stale = now - chrono::Duration::from_std(STALE_AFTER).unwrap_or_default();
    let job = ImportJob {
        id: crate::secrets::new_id(),
        kind: kind.as_str().to_string(),
        file_name: file_name.chars().take(200).collect(),
        started_by: by.to_string(),
        state: ImportJobState::Running,
        counts: ImportCounts::default(),
        failure: None,
        started_at: now,
        heartbeat_at: now,
        finished_at: None,
    };
    if let Err(id) = ctx.store.start_import_job(&job, stale).await? {
        return Err(StartError::Running { id });
    }
    set_live(&job.id, Some(ImportCounts::default()));
    tracing::info!(job = %job.id, kind = kind.as_str(), by, "import job started");
    let (ctx, id, by) = (ctx.clone(), job.id.clone(), by.to_string());
    // The import parses the file synchronously between its writes, as `sscard import` does on its main thread:
    // on a thread of its own, so that the runtime's workers stay free for its writer and for the requests the
    // server answers meanwhile (on two cores, sharing the workers cost it a third of its speed).
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(run(ctx, id, by, kind, upload)));
    Ok(job)
}

fn check_header(kind: JobKind, file: &mut std::fs::File) -> Result<(), StartError> {
    file.rewind()?;
    // A header is one line; a file whose first 64 KB hold no line end has none.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(file.by_ref().take(64 * 1024));
    let mut header = csv::StringRecord::new();
    let found = reader.read_record(&mut header).unwrap_or(false);
    file.rewind()?;
    if !found
        || header
            .iter()
            .all(|h| h.trim_start_matches('\u{feff}').trim().is_empty())
    {
        return Err(StartError::NoHeader);
    }
    let missing = crate::import::missing_columns(kind.columns(), &header);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(StartError::MissingColumns(missing))
    }
}

/// Keeps the counts where the console reads them and every rejected row in a temporary file.
struct Watch {
    id: String,
    counts: tokio::sync::watch::Sender<ImportCounts>,
    rejected: Option<csv::Writer<std::fs::File>>,
    failed_to_keep: Option<String>,
}

impl ImportObserver for Watch {
    fn counts(&mut self, counts: ImportCounts) {
        set_live(&self.id, Some(counts));
        self.counts.send_replace(counts);
    }

    fn rejected(&mut self, row: &RejectedRow) {
        let Some(w) = self.rejected.as_mut() else {
            return;
        };
        let kept = w.write_record([
            row.row.to_string().as_str(),
            row.column.unwrap_or(""),
            row.reason.as_str(),
        ]);
        if let Err(e) = kept {
            self.failed_to_keep = Some(e.to_string());
            self.rejected = None;
        }
    }
}

async fn run(ctx: AppContext, id: String, by: String, kind: JobKind, upload: Upload) {
    let (tx, rx) = tokio::sync::watch::channel(ImportCounts::default());
    let beat = tokio::spawn(beat(ctx.clone(), id.clone(), rx));
    let outcome = import(&ctx, &id, &by, kind, upload, tx).await;
    beat.abort();
    let now = ctx.clock.now();
    let finished = match outcome {
        Ok(counts) => {
            ctx.store
                .finish_import_job(&id, ImportJobState::Finished, counts, None, now)
                .await
        }
        Err((counts, why)) => {
            tracing::warn!(job = %id, kind = kind.as_str(), failure = %why, "import job failed");
            ctx.store
                .finish_import_job(&id, ImportJobState::Failed, counts, Some(&why), now)
                .await
        }
    };
    if let Err(e) = finished {
        // The job stays `running` until it is taken for abandoned; its data was committed or not as above.
        tracing::error!(job = %id, error = %e, "the import job's end could not be recorded");
    }
    set_live(&id, None);
}

/// Writes the counts (and so the heartbeat) while the import runs. On SQLite the write waits for the
/// import's lock and may time out: the next beat tries again.
async fn beat(ctx: AppContext, id: String, mut rx: tokio::sync::watch::Receiver<ImportCounts>) {
    loop {
        tokio::time::sleep(PROGRESS_EVERY).await;
        let counts = *rx.borrow_and_update();
        if let Err(e) = ctx.store.import_job_progress(&id, counts, &[], ctx.clock.now()).await {
            tracing::debug!(job = %id, error = %e, "import progress not written this time");
        }
    }
}

type Failure = (ImportCounts, String);

async fn import(
    ctx: &AppContext,
    id: &str,
    by: &str,
    kind: JobKind,
    upload: Upload,
    counts: tokio::sync::watch::Sender<ImportCounts>,
) -> Result<ImportCounts, Failure> {
    let failed = |why: String| (ImportCounts::default(), why);
    let file = upload.reopen().map_err(|e| failed(e.to_string()))?;
    let kind = match kind {
        JobKind::Calendar => return import_calendar(ctx, id, by, file).await,
        JobKind::Records(k) => k,
    };
    let rejected = tempfile::tempfile().map_err(|e| failed(e.to_string()))?;
    let mut watch = Watch {
        id: id.to_string(),
        counts,
        rejected: Some(csv::Writer::from_writer(rejected)),
        failed_to_keep: None,
    };
    let report = loop {
        let input = BufReader::with_capacity(256 * 1024, upload.reopen().map_err(|e| failed(e.to_string()))?);
        match import_csv_observed(ctx, kind, input, &mut watch).await {
            // Another kind's import holds the database's import lock: wait for it, then read the file again.
            Err(ImportError::Store(StoreError::Busy(_))) => tokio::time::sleep(PROGRESS_EVERY).await,
            other => break other,
        }
    };
    let counts = *watch.counts.borrow();
    let report = report.map_err(|e| (counts, e.to_string()))?;
    let counts = ImportCounts {
        read: counts.read,
        accepted: report.accepted,
        rejected: report.rejected,
    };
    if let Some(why) = watch.failed_to_keep {
        return Err((counts, format!("imported, but the row report could not be kept: {why}")));
    }
    let rejected = watch
        .rejected
        .map(csv::Writer::into_inner)
        .transpose()
        .map_err(|e| (counts, e.to_string()))?;
    if let Some(file) = rejected {
        store_rejections(ctx, id, counts, file)
            .await
            .map_err(|e| (counts, format!("imported, but the row report could not be stored: {e}")))?;
    }
    Ok(counts)
}

async fn store_rejections(
    ctx: &AppContext,
    id: &str,
    counts: ImportCounts,
    mut file: std::fs::File,
) -> Result<(), String> {
    file.rewind().map_err(|e| e.to_string())?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(file);
    let mut chunk = Vec::with_capacity(REJECTIONS_PER_WRITE);
    let mut records = reader.records();
    loop {
        let next = records.next().transpose().map_err(|e| e.to_string())?;
        if let Some(r) = &next {
            chunk.push(ImportRejection {
                row: r.get(0).and_then(|n| n.parse().ok()).unwrap_or(0),
                column: r.get(1).filter(|c| !c.is_empty()).map(str::to_string),
                reason: r.get(2).unwrap_or_default().to_string(),
            });
        }
        if chunk.len() >= REJECTIONS_PER_WRITE || (next.is_none() && !chunk.is_empty()) {
            ctx.store
                .import_job_progress(id, counts, &chunk, ctx.clock.now())
                .await
                .map_err(|e| e.to_string())?;
            chunk.clear();
        }
        if next.is_none() {
            return Ok(());
        }
    }
}

async fn import_calendar(ctx: &AppContext, id: &str, by: &str, file: std::fs::File) -> Result<ImportCounts, Failure> {
    let failed = |why: String| (ImportCounts::default(), why);
    let mut text = String::new();
    file.take(MAX_CALENDAR_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| failed(format!("the file is not UTF-8 text: {e}")))?;
    if text.len() as u64 > MAX_CALENDAR_BYTES {
        return Err(failed(format!("a calendar file is at most {MAX_CALENDAR_BYTES} bytes")));
    }
    let days = text.lines().skip(1).filter(|l| !l.trim().is_empty()).count() as u64;
    crate::calendar::load(ctx, &text, by)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let counts = ImportCounts {
        read: days,
        accepted: days,
        rejected: 0,
    };
    set_live(id, Some(counts));
    Ok(counts)
}

/// A new, empty upload file (the web adapter streams the request into it).
pub fn new_upload() -> std::io::Result<Upload> {
    tempfile::NamedTempFile::new()
}

/// Rejected rows read per page of the row report.
pub const REPORT_PAGE: u32 = 5_000;

/// One page of a job's row report as CSV lines (`row,column,reason`, no header), the rows after `after`;
/// with the row to continue after, or `None` when this was the last page.
pub async fn report_page(ctx: &AppContext, id: &str, after: u64) -> Result<(Vec<u8>, Option<u64>), StoreError> {
    let rows = ctx.store.import_rejections(id, after, REPORT_PAGE).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in &rows {
        let row = r.row.to_string();
        w.write_record([row.as_str(), r.column.as_deref().unwrap_or(""), r.reason.as_str()])
            .map_err(|e| StoreError::Database(format!("the row report could not be written: {e}")))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| StoreError::Database(format!("the row report could not be written: {e}")))?;
    let more = (rows.len() == REPORT_PAGE as usize)
        .then(|| rows.last().map(|r| r.row))
        .flatten();
    Ok((bytes, more))
}
