//! PostgreSQL: production. Bulk imports `COPY` new rows straight into the registry and merge rows whose key is
//! already stored through a transaction-local staging table and `INSERT … ON CONFLICT DO UPDATE`.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};
use sscard_app::ports::{ImportBatch, ImportSession, StoreResult};
use std::str::FromStr;

use crate::common::{PersonRow, PERSON_COLUMNS, PERSON_UPSERT_TAIL};
use crate::{db_err, migrate_err};

#[derive(Debug, Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
}

/// Staged rows are merged into the registry every this many rows.
const FLUSH_ROWS: usize = 100_000;

impl PgStore {
    pub const ENGINE: &'static str = "postgres";

    pub async fn connect(url: &str) -> StoreResult<PgStore> {
        let options = PgConnectOptions::from_str(url)
            .map_err(db_err)?
            .application_name("sscard");
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(15))
            .connect_with(options)
            .await
            .map_err(db_err)?;
        sqlx::migrate!("migrations/postgres")
            .run(&pool)
            .await
            .map_err(migrate_err)?;
        Ok(PgStore { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_import_session(&self) -> StoreResult<Box<dyn ImportSession>> {
        let tx = self.pool.begin().await.map_err(db_err)?;
        Ok(Box::new(PgImport {
            tx,
            staged: 0,
            staging_created: false,
            buffer: Vec::new(),
        }))
    }
}

struct PgImport {
    tx: Transaction<'static, Postgres>,
    staged: usize,
    staging_created: bool,
    buffer: Vec<u8>,
}

/// One field in COPY text format.
pub fn copy_field(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        None => out.extend_from_slice(b"\\N"),
        Some(v) => {
            for b in v.bytes() {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    other => out.push(other),
                }
            }
        }
    }
}

/// One registry row in COPY text format, columns in [`PERSON_COLUMNS`] order.
pub(crate) fn copy_person_line(out: &mut Vec<u8>, p: &PersonRow) {
    let birth = p.birth_date.to_string();
    let from = p.id_valid_from.to_string();
    let until = p.id_valid_until.map(|d| d.to_string());
    let fields: [Option<&str>; 18] = [
        Some(&p.id_number),
        Some(&p.name),
        Some(&p.gender),
        Some(&birth),
        Some(&p.nationality),
        p.ethnicity.as_deref(),
        Some(&from),
        until.as_deref(),
        Some(&p.address),
        p.residence_district.as_deref(),
        p.mobile.as_deref(),
        p.occupation.as_deref(),
        Some(&p.insurance_types),
        Some(&p.category),
        p.employer_uscc.as_deref(),
        p.pension_bank.as_deref(),
        p.pension_branch.as_deref(),
        Some(&p.legacy_cards),
    ];
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        copy_field(out, *f);
    }
    out.push(b'\n');
}

impl PgImport {
    /// New keys are copied straight into the registry (the fastest path PostgreSQL has); keys already stored go
    /// through the staging table and one `INSERT … ON CONFLICT DO UPDATE` per flush. A row inserted by another
    /// writer between the look-up and the COPY fails the whole import cleanly (unique key), never duplicates.
    async fn stage(&mut self, rows: &[sscard_domain::registry::InsuredPerson]) -> StoreResult<()> {
        let keys: Vec<&str> = rows.iter().map(|p| p.id_number.as_str()).collect();
        let existing: Vec<String> =
            sqlx::query_scalar("SELECT id_number FROM registry_persons WHERE id_number = ANY($1)")
                .bind(&keys)
                .fetch_all(&mut *self.tx)
                .await
                .map_err(db_err)?;
        let existing: std::collections::HashSet<String> = existing.into_iter().collect();
        let (updates, inserts): (Vec<_>, Vec<_>) = rows.iter().partition(|p| existing.contains(p.id_number.as_str()));
        if !inserts.is_empty() {
            self.copy_into("registry_persons", &inserts).await?;
        }
        if !updates.is_empty() {
            if !self.staging_created {
                sqlx::query(
                    "CREATE TEMP TABLE registry_import (LIKE registry_persons INCLUDING DEFAULTS) ON COMMIT DROP",
                )
                .execute(&mut *self.tx)
                .await
                .map_err(db_err)?;
                self.staging_created = true;
            }
            self.copy_into("registry_import", &updates).await?;
            self.staged += updates.len();
            if self.staged >= FLUSH_ROWS {
                self.merge().await?;
            }
        }
        Ok(())
    }

    async fn copy_into(&mut self, table: &str, rows: &[&sscard_domain::registry::InsuredPerson]) -> StoreResult<()> {
        self.buffer.clear();
        for p in rows {
            copy_person_line(&mut self.buffer, &PersonRow::from_domain(p));
        }
        let mut copy = (*self.tx)
            .copy_in_raw(&format!("COPY {table} ({PERSON_COLUMNS}) FROM STDIN"))
            .await
            .map_err(db_err)?;
        copy.send(self.buffer.as_slice()).await.map_err(db_err)?;
        copy.finish().await.map_err(db_err)?;
        Ok(())
    }

    async fn merge(&mut self) -> StoreResult<()> {
        if self.staged == 0 {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO registry_persons ({PERSON_COLUMNS}) SELECT {PERSON_COLUMNS} FROM registry_import{PERSON_UPSERT_TAIL}"
        );
        sqlx::query(&sql).execute(&mut *self.tx).await.map_err(db_err)?;
        sqlx::query("TRUNCATE registry_import")
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?;
        self.staged = 0;
        Ok(())
    }
}

#[async_trait]
impl ImportSession for PgImport {
    async fn write(&mut self, batch: &ImportBatch) -> StoreResult<()> {
        if let ImportBatch::Persons(rows) = batch {
            return self.stage(rows).await;
        }
        let tx = &mut self.tx;
        write_batch!(Postgres, tx, batch);
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> StoreResult<()> {
        self.merge().await?;
        self.tx.commit().await.map_err(db_err)
    }
}

impl_shared_store!(PgStore, Postgres);
