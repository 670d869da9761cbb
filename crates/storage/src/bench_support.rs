//! Baselines for the import benchmark (`benches/import.rs`): the fastest plain bulk load each engine offers,
//! of the same rows, through the same driver.

use crate::DbResult;
use sqlx::{PgPool, SqlitePool};
use sscard_app::ports::StoreError;
use sscard_domain::registry::InsuredPerson;

use crate::common::{PersonRow, PERSON_COLUMNS};

/// SQLite baseline: one transaction, one prepared single-row INSERT executed per row.
pub async fn sqlite_prepared_insert(pool: &SqlitePool, rows: &[InsuredPerson]) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO registry_persons ({PERSON_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
    );
    let mut tx = pool.begin().await.db()?;
    for p in rows {
        let r = PersonRow::from_domain(p);
        sqlx::query(&sql)
            .bind(r.id_number)
            .bind(r.name)
            .bind(r.gender)
            .bind(r.birth_date)
            .bind(r.nationality)
            .bind(r.ethnicity)
            .bind(r.id_valid_from)
            .bind(r.id_valid_until)
            .bind(r.address)
            .bind(r.residence_district)
            .bind(r.mobile)
            .bind(r.occupation)
            .bind(r.insurance_types)
            .bind(r.category)
            .bind(r.employer_uscc)
            .bind(r.pension_bank)
            .bind(r.pension_branch)
            .bind(r.legacy_cards)
            .execute(&mut *tx)
            .await
            .db()?;
    }
    tx.commit().await.db()
}

/// The rows in COPY text format (prepared before the timed part of the baseline).
pub fn copy_text(rows: &[InsuredPerson]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows.len() * 200);
    for p in rows {
        crate::postgres::copy_person_line(&mut out, p);
    }
    out
}

/// PostgreSQL baseline: `COPY registry_persons FROM STDIN` of prepared text, in one transaction.
pub async fn pg_copy(pool: &PgPool, text: &[u8]) -> Result<(), StoreError> {
    let mut tx = pool.begin().await.db()?;
    let mut copy = (*tx)
        .copy_in_raw(&format!("COPY registry_persons ({PERSON_COLUMNS}) FROM STDIN"))
        .await
        .db()?;
    for chunk in text.chunks(1 << 20) {
        copy.send(chunk).await.db()?;
    }
    copy.finish().await.db()?;
    tx.commit().await.db()
}
