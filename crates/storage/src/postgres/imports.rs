//! PostgreSQL: import jobs, with the SQL of `crate::imports` (the bodies are the shared `import_job*_on!` and
//! `rows_on!` macros: the statements are the same on both engines).

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};
use sscard_app::ports::{ImportCounts, ImportJob, ImportJobState, ImportJobStore, ImportRejection, StoreResult};

use super::PgStore;
use crate::imports as q;
use crate::DbResult;

#[async_trait]
impl ImportJobStore for PgStore {
    async fn start_import_job(
        &self,
        job: &ImportJob,
        stale_before: DateTime<FixedOffset>,
    ) -> StoreResult<Result<(), String>> {
        import_job_start_on!(&self.pool, job, stale_before)
    }

    async fn import_job_progress(
        &self,
        id: &str,
        counts: ImportCounts,
        rejections: &[ImportRejection],
        now: DateTime<FixedOffset>,
    ) -> StoreResult<()> {
        import_job_progress_on!(sqlx::Postgres, &self.pool, id, counts, rejections, now)
    }

    async fn finish_import_job(
        &self,
        id: &str,
        state: ImportJobState,
        counts: ImportCounts,
        failure: Option<&str>,
        now: DateTime<FixedOffset>,
    ) -> StoreResult<()> {
        import_job_finish_on!(&self.pool, id, state, counts, failure, now)
    }

    async fn import_job(&self, id: &str) -> StoreResult<Option<ImportJob>> {
        let jobs: StoreResult<Vec<ImportJob>> = rows_on!(&self.pool, q::JobRow, &q::one_job(), id);
        Ok(jobs?.into_iter().next())
    }

    async fn import_jobs(&self, limit: u32) -> StoreResult<Vec<ImportJob>> {
        rows_on!(&self.pool, q::JobRow, &q::recent_jobs(), i64::from(limit))
    }

    async fn import_rejections(&self, id: &str, after: u64, limit: u32) -> StoreResult<Vec<ImportRejection>> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        rows_on!(&self.pool, q::RejectionRow, q::REJECTIONS, id, after, i64::from(limit))
    }
}
