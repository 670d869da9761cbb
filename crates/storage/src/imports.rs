//! Import jobs: the row codecs and the SQL both engines share (`sqlite::imports`, `postgres::imports` run it
//! through the `import_jobs_*` body macros). Times are epoch milliseconds.

use sscard_app::ports::{ImportCounts, ImportJob, ImportJobState, ImportRejection, StoreError};

use crate::accounts::{from_ms, ms};

pub(crate) const JOB_COLUMNS: &str = "id, kind, file_name, started_by, state, rows_read, accepted, rejected, \
    failure, started_ms, heartbeat_ms, finished_ms";

pub(crate) const ABANDON_STALE: &str = "UPDATE import_jobs SET state = 'abandoned', finished_ms = $1 \
    WHERE kind = $2 AND state = 'running' AND heartbeat_ms < $3";
pub(crate) const INSERT_JOB: &str = "INSERT INTO import_jobs (id, kind, file_name, started_by, state, rows_read, \
    accepted, rejected, failure, started_ms, heartbeat_ms, finished_ms) \
    VALUES ($1, $2, $3, $4, 'running', 0, 0, 0, NULL, $5, $5, NULL)";
pub(crate) const RUNNING_OF_KIND: &str = "SELECT id FROM import_jobs WHERE kind = $1 AND state = 'running'";
pub(crate) const PROGRESS: &str = "UPDATE import_jobs SET rows_read = $2, accepted = $3, rejected = $4, \
    heartbeat_ms = $5 WHERE id = $1 AND state = 'running'";
pub(crate) const INSERT_REJECTION: &str = "INSERT INTO import_rejections (job_id, row_number, column_name, reason) ";
pub(crate) const FINISH: &str = "UPDATE import_jobs SET state = $2, rows_read = $3, accepted = $4, rejected = $5, \
    failure = $6, heartbeat_ms = $7, finished_ms = $7 WHERE id = $1 AND state = 'running'";
pub(crate) const REJECTIONS: &str = "SELECT row_number, column_name, reason FROM import_rejections \
    WHERE job_id = $1 AND row_number > $2 ORDER BY row_number LIMIT $3";

pub(crate) fn one_job() -> String {
    format!("SELECT {JOB_COLUMNS} FROM import_jobs WHERE id = $1")
}

pub(crate) fn recent_jobs() -> String {
    format!("SELECT {JOB_COLUMNS} FROM import_jobs ORDER BY started_ms DESC, id LIMIT $1")
}

fn count(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The counts as bound: read, accepted, rejected.
pub(crate) fn counts(c: ImportCounts) -> [i64; 3] {
    [count(c.read), count(c.accepted), count(c.rejected)]
}

pub(crate) fn row_number(r: &ImportRejection) -> i64 {
    count(r.row)
}

pub(crate) fn at(t: chrono::DateTime<chrono::FixedOffset>) -> i64 {
    ms(t)
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn unsigned(what: &str, v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|e| corrupt(what, e))
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct JobRow {
    id: String,
    kind: String,
    file_name: String,
    started_by: String,
    state: String,
    rows_read: i64,
    accepted: i64,
    rejected: i64,
    failure: Option<String>,
    started_ms: i64,
    heartbeat_ms: i64,
    finished_ms: Option<i64>,
}

impl JobRow {
    pub(crate) fn into_domain(self) -> Result<ImportJob, StoreError> {
        Ok(ImportJob {
            state: ImportJobState::parse(&self.state).ok_or_else(|| corrupt("import job state", &self.state))?,
            counts: ImportCounts {
                read: unsigned("rows_read", self.rows_read)?,
                accepted: unsigned("accepted", self.accepted)?,
                rejected: unsigned("rejected", self.rejected)?,
            },
            started_at: from_ms(self.started_ms)?,
            heartbeat_at: from_ms(self.heartbeat_ms)?,
            finished_at: self.finished_ms.map(from_ms).transpose()?,
            id: self.id,
            kind: self.kind,
            file_name: self.file_name,
            started_by: self.started_by,
            failure: self.failure,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct RejectionRow {
    row_number: i64,
    column_name: Option<String>,
    reason: String,
}

impl RejectionRow {
    pub(crate) fn into_domain(self) -> Result<ImportRejection, StoreError> {
        Ok(ImportRejection {
            row: unsigned("row_number", self.row_number)?,
            column: self.column_name,
            reason: self.reason,
        })
    }
}
