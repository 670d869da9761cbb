//! Import jobs: a file uploaded in the console, imported in the background with its progress and row report.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};

use super::*;

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportJobState {
    Running,
    Finished,
    /// The file as a whole could not be imported (a missing column, a database failure): nothing stored.
    Failed,
    /// Its instance stopped while it ran (no heartbeat): nothing stored, since an import commits once.
    Abandoned,
}

impl ImportJobState {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportJobState::Running => "running",
            ImportJobState::Finished => "finished",
            ImportJobState::Failed => "failed",
            ImportJobState::Abandoned => "abandoned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Running, Self::Finished, Self::Failed, Self::Abandoned]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Rows read, accepted and rejected so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportCounts {
    pub read: u64,
    pub accepted: u64,
    pub rejected: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportJob {
    pub id: String,
    /// `registry`, `entities`, `guardianship`, `branches`, `outlets`, `calendar`.
    pub kind: String,
    pub file_name: String,
    pub started_by: String,
    pub state: ImportJobState,
    pub counts: ImportCounts,
    pub failure: Option<String>,
    pub started_at: DateTime<FixedOffset>,
    pub heartbeat_at: DateTime<FixedOffset>,
    pub finished_at: Option<DateTime<FixedOffset>>,
}

/// One rejected row of the row report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportRejection {
    /// As a spreadsheet shows it: the header is row 1.
    pub row: u64,
    pub column: Option<String>,
    pub reason: String,
}

#[async_trait]
pub trait ImportJobStore: Send + Sync {
    /// Records a new running job, first marking as abandoned a running job of its kind whose heartbeat is
    /// older than `stale_before`. `Ok(Err(id))` when a job of the kind is still running: that one's id.
    async fn start_import_job(
        &self,
        job: &ImportJob,
        stale_before: DateTime<FixedOffset>,
    ) -> StoreResult<Result<(), String>>;

    /// Adds to a running job's rejected rows and sets its counts and heartbeat.
    async fn import_job_progress(
        &self,
        id: &str,
        counts: ImportCounts,
        rejections: &[ImportRejection],
        now: DateTime<FixedOffset>,
    ) -> StoreResult<()>;

    /// Ends a running job (finished, failed) with its final counts.
    async fn finish_import_job(
        &self,
        id: &str,
        state: ImportJobState,
        counts: ImportCounts,
        failure: Option<&str>,
        now: DateTime<FixedOffset>,
    ) -> StoreResult<()>;

    async fn import_job(&self, id: &str) -> StoreResult<Option<ImportJob>>;

    /// The most recent jobs first.
    async fn import_jobs(&self, limit: u32) -> StoreResult<Vec<ImportJob>>;

    /// A job's rejected rows after row `after`, in row order, at most `limit` (the report is read in pages).
    async fn import_rejections(&self, id: &str, after: u64, limit: u32) -> StoreResult<Vec<ImportRejection>>;
}
