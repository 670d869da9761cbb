//! PostgreSQL: import jobs, with the SQL of `crate::imports`.

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
        let [read, accepted, rejected] = q::counts(counts);
        sqlx::query(q::FINISH)
            .bind(id)
            .bind(state.as_str())
            .bind(read)
            .bind(accepted)
            .bind(rejected)
            .bind(failure)
            .bind(q::at(now))
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }

    async fn import_job(&self, id: &str) -> StoreResult<Option<ImportJob>> {
        let row: Option<q::JobRow> = sqlx::query_as(&q::one_job())
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .db()?;
        row.map(q::JobRow::into_domain).transpose()
    }

    async fn import_jobs(&self, limit: u32) -> StoreResult<Vec<ImportJob>> {
        let rows: Vec<q::JobRow> = sqlx::query_as(&q::recent_jobs())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .db()?;
        rows.into_iter().map(q::JobRow::into_domain).collect()
    }

    async fn import_rejections(&self, id: &str, after: u64, limit: u32) -> StoreResult<Vec<ImportRejection>> {
        let rows: Vec<q::RejectionRow> = sqlx::query_as(q::REJECTIONS)
            .bind(id)
            .bind(i64::try_from(after).unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .db()?;
        rows.into_iter().map(q::RejectionRow::into_domain).collect()
    }
}
