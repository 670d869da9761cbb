//! SQLite: the registry, reference-data, settings and health stores, a plain implementation of each port.
//! The row codecs and the SQL the engines share are in `crate::common`.

use crate::DbResult;
use sqlx::Sqlite;

use super::SqliteStore;

#[async_trait::async_trait]
impl sscard_app::ports::RegistryStore for SqliteStore {
    async fn begin_import(&self) -> sscard_app::ports::StoreResult<Box<dyn sscard_app::ports::ImportSession>> {
        self.begin_import_session().await
    }

    async fn person(
        &self,
        id: &sscard_domain::values::IdNumber,
    ) -> sscard_app::ports::StoreResult<Option<sscard_domain::registry::InsuredPerson>> {
        let sql = format!(
            "SELECT {} FROM registry_persons WHERE id_number = $1",
            crate::common::PERSON_COLUMNS
        );
        let row: Option<crate::common::PersonRow> = sqlx::query_as(&sql)
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .db()?;
        row.map(crate::common::PersonRow::into_domain).transpose()
    }

    async fn entity(
        &self,
        uscc: &sscard_domain::values::Uscc,
    ) -> sscard_app::ports::StoreResult<Option<sscard_domain::registry::Entity>> {
        let row: Option<crate::common::EntityRow> =
            sqlx::query_as("SELECT uscc, name, address, district FROM entities WHERE uscc = $1")
                .bind(uscc.as_str())
                .fetch_optional(&self.pool)
                .await
                .db()?;
        row.map(crate::common::EntityRow::into_domain).transpose()
    }

    async fn guardianships_of_guardian(
        &self,
        guardian: &sscard_domain::values::IdNumber,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_domain::registry::Guardianship>> {
        let rows: Vec<crate::common::GuardianshipRow> = sqlx::query_as(
            "SELECT guardian_id, child_id, relationship, guardian_is_householder, same_booklet \
             FROM guardianships WHERE guardian_id = $1 ORDER BY child_id",
        )
        .bind(guardian.as_str())
        .fetch_all(&self.pool)
        .await
        .db()?;
        rows.into_iter()
            .map(crate::common::GuardianshipRow::into_domain)
            .collect()
    }

    async fn count_persons(&self) -> sscard_app::ports::StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM registry_persons")
            .fetch_one(&self.pool)
            .await
            .db()?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn entity_usccs(&self) -> sscard_app::ports::StoreResult<std::collections::HashSet<String>> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT uscc FROM entities")
            .fetch_all(&self.pool)
            .await
            .db()?;
        Ok(rows.into_iter().collect())
    }

    async fn branch_banks(&self) -> sscard_app::ports::StoreResult<std::collections::HashMap<String, String>> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT code, bank FROM branches")
            .fetch_all(&self.pool)
            .await
            .db()?;
        Ok(rows.into_iter().collect())
    }
}

#[async_trait::async_trait]
impl sscard_app::ports::ReferenceStore for SqliteStore {
    async fn ensure_banks(&self, banks: &[sscard_domain::registry::Bank]) -> sscard_app::ports::StoreResult<()> {
        if banks.is_empty() {
            return Ok(());
        }
        let mut qb = sqlx::QueryBuilder::<Sqlite>::new(
            "INSERT INTO banks (code, short, name_zh, name_en, supports_online_replacement) ",
        );
        qb.push_values(banks, |mut b, bank| {
            b.push_bind(bank.code.clone())
                .push_bind(bank.short.clone())
                .push_bind(bank.name_zh.clone())
                .push_bind(bank.name_en.clone())
                .push_bind(bank.supports_online_replacement);
        });
        qb.push(
            " ON CONFLICT (code) DO UPDATE SET short = excluded.short, name_zh = excluded.name_zh, \
                  name_en = excluded.name_en",
        );
        qb.build().execute(&self.pool).await.db()?;
        Ok(())
    }

    async fn set_bank_online_replacement(&self, bank: &str, supported: bool) -> sscard_app::ports::StoreResult<bool> {
        let r = sqlx::query("UPDATE banks SET supports_online_replacement = $1 WHERE code = $2")
            .bind(supported)
            .bind(bank)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(r.rows_affected() == 1)
    }

    async fn banks(&self) -> sscard_app::ports::StoreResult<Vec<sscard_domain::registry::Bank>> {
        let rows: Vec<crate::common::BankRow> = sqlx::query_as(
            "SELECT code, short, name_zh, name_en, supports_online_replacement FROM banks ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn branches(
        &self,
        filter: &sscard_app::ports::BranchFilter,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_domain::registry::Branch>> {
        let mut qb = sqlx::QueryBuilder::<Sqlite>::new(
            "SELECT code, bank, name, district, address, accepts_pickup, instant_issuance FROM branches WHERE 1 = 1",
        );
        if let Some(bank) = &filter.bank {
            qb.push(" AND bank = ").push_bind(bank.clone());
        }
        if let Some(d) = &filter.district {
            qb.push(" AND district = ").push_bind(d.clone());
        }
        if let Some(p) = filter.accepts_pickup {
            qb.push(" AND accepts_pickup = ").push_bind(p);
        }
        qb.push(" ORDER BY bank, district, code");
        let rows: Vec<crate::common::BranchRow> = qb.build_query_as().fetch_all(&self.pool).await.db()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn outlets(
        &self,
        district: Option<&str>,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_domain::registry::Outlet>> {
        let mut qb = sqlx::QueryBuilder::<Sqlite>::new("SELECT code, name, district, address FROM outlets");
        if let Some(d) = district {
            qb.push(" WHERE district = ").push_bind(d.to_string());
        }
        qb.push(" ORDER BY district, code");
        let rows: Vec<crate::common::OutletRow> = qb.build_query_as().fetch_all(&self.pool).await.db()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn change_reference(
        &self,
        edit: &sscard_app::ports::ReferenceEdit,
        audit: &sscard_domain::audit::AuditEntry,
    ) -> sscard_app::ports::StoreResult<sscard_app::ports::ReferenceWrite> {
        change_reference_on!(&self.pool, super::BEGIN_WRITE, super::ROW_LOCK, edit, audit)
    }

    async fn reference_changes(
        &self,
        kind: sscard_domain::registry::ReferenceKind,
        code: &str,
        limit: u32,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_app::ports::ReferenceChange>> {
        rows_on!(
            &self.pool,
            crate::reference::ChangeRow,
            crate::reference::CHANGES,
            kind.as_str(),
            code,
            i64::from(limit)
        )
    }
}

#[async_trait::async_trait]
impl sscard_app::ports::SettingsStore for SqliteStore {
    async fn setting(&self, key: &str) -> sscard_app::ports::StoreResult<Option<String>> {
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .db()
    }

    async fn set_setting(&self, key: &str, value: &str) -> sscard_app::ports::StoreResult<()> {
        sqlx::query(crate::common::UPSERT_SETTING)
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }

    async fn change_setting(
        &self,
        key: &str,
        value: &str,
        by: &str,
        at: chrono::DateTime<chrono::FixedOffset>,
    ) -> sscard_app::ports::StoreResult<()> {
        change_setting_on!(self.pool, key, value, by, at)
    }

    async fn setting_changes(
        &self,
        prefix: &str,
        limit: u32,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_app::ports::SettingChange>> {
        let pattern = crate::common::like_prefix(prefix);
        rows_on!(
            &self.pool,
            crate::common::SettingChangeRow,
            crate::common::SETTING_CHANGES,
            pattern,
            i64::from(limit)
        )
    }
}

#[async_trait::async_trait]
impl sscard_app::ports::HealthStore for SqliteStore {
    async fn ping(&self) -> sscard_app::ports::StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.db()?;
        Ok(())
    }
    fn engine(&self) -> &'static str {
        Self::ENGINE
    }
}
