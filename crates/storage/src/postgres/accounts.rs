//! PostgreSQL: the account and API-client stores, and the account helpers other stores share (insert, look up).

use super::PgStore;
use crate::DbResult;

impl PgStore {
    pub(super) async fn insert_account<'c, E>(exec: E, new: &sscard_app::ports::NewAccount) -> Result<(), sqlx::Error>
    where
        E: sqlx::Executor<'c, Database = sqlx::Postgres>,
    {
        let (entity, bank, branch, outlet, district) = crate::accounts::kind_columns(&new.kind);
        sqlx::query(
            "INSERT INTO accounts (id, role, entity_uscc, bank, branch, outlet, district, username, mobile, \
             display_name, password_hash, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&new.id)
        .bind(new.kind.role().as_str())
        .bind(entity)
        .bind(bank)
        .bind(branch)
        .bind(outlet)
        .bind(district)
        .bind(new.username.as_ref().map(|u| u.as_str().to_string()))
        .bind(new.mobile.as_ref().map(|m| m.as_str().to_string()))
        .bind(&new.display_name)
        .bind(&new.password_hash)
        .bind(crate::accounts::ms(new.created_at))
        .execute(exec)
        .await?;
        Ok(())
    }

    pub(super) async fn account_where(
        &self,
        column: &str,
        value: &str,
    ) -> sscard_app::ports::StoreResult<Option<(sscard_domain::account::Account, Option<String>)>> {
        let sql = format!(
            "SELECT {} FROM accounts WHERE {column} = $1",
            crate::accounts::ACCOUNT_COLUMNS
        );
        let row: Option<crate::accounts::AccountRow> =
            sqlx::query_as(&sql).bind(value).fetch_optional(&self.pool).await.db()?;
        row.map(crate::accounts::AccountRow::into_domain).transpose()
    }
}

#[async_trait::async_trait]
impl sscard_app::ports::AccountStore for PgStore {
    async fn create_account(
        &self,
        new: &sscard_app::ports::NewAccount,
        audit: Option<&sscard_domain::audit::AuditEntry>,
    ) -> sscard_app::ports::StoreResult<Result<sscard_domain::account::Account, sscard_app::ports::AccountConflict>>
    {
        let mut tx = self.pool.begin().await.db()?;
        if let Err(e) = Self::insert_account(&mut *tx, new).await {
            return match crate::accounts::conflict_of(&e) {
                Some(c) => Ok(Err(c)),
                None => Err(crate::db_err(e)),
            };
        }
        if let Some(e) = audit {
            Self::insert_audit(&mut *tx, e).await.db()?;
        }
        tx.commit().await.db()?;
        let made = self.account(&new.id).await?;
        made.map(Ok)
            .ok_or_else(|| sscard_app::ports::StoreError::Database("account vanished after insert".into()))
    }

    async fn account(&self, id: &str) -> sscard_app::ports::StoreResult<Option<sscard_domain::account::Account>> {
        Ok(self.account_where("id", id).await?.map(|(a, _)| a))
    }

    async fn account_for_login(
        &self,
        login: &sscard_domain::account::LoginIdentifier,
    ) -> sscard_app::ports::StoreResult<Option<(sscard_domain::account::Account, Option<String>)>> {
        use sscard_domain::account::LoginIdentifier as L;
        match login {
            L::Mobile(m) => self.account_where("mobile", m.as_str()).await,
            L::IdNumber(id) => self.account_where("id_number", id.as_str()).await,
            L::Username(u) => self.account_where("username", u.as_str()).await,
        }
    }

    async fn bind_real_name(
        &self,
        account: &str,
        id_number: &sscard_domain::values::IdNumber,
        name: &sscard_domain::values::PersonName,
        at: chrono::DateTime<chrono::FixedOffset>,
        audit: Option<&sscard_domain::audit::AuditEntry>,
    ) -> sscard_app::ports::StoreResult<Result<(), sscard_app::ports::AccountConflict>> {
        let mut tx = self.pool.begin().await.db()?;
        let r = sqlx::query("UPDATE accounts SET id_number = $1, real_name = $2, real_name_ms = $3 WHERE id = $4")
            .bind(id_number.as_str())
            .bind(name.as_str())
            .bind(crate::accounts::ms(at))
            .bind(account)
            .execute(&mut *tx)
            .await;
        if let Err(e) = r {
            return match crate::accounts::conflict_of(&e) {
                Some(c) => Ok(Err(c)),
                None => Err(crate::db_err(e)),
            };
        }
        if let Some(e) = audit {
            Self::insert_audit(&mut *tx, e).await.db()?;
        }
        tx.commit().await.db()?;
        Ok(Ok(()))
    }

    async fn account_for_external(
        &self,
        provider: &str,
        subject: &str,
    ) -> sscard_app::ports::StoreResult<Option<sscard_domain::account::Account>> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT account_id FROM external_identities WHERE provider = $1 AND subject = $2")
                .bind(provider)
                .bind(subject)
                .fetch_optional(&self.pool)
                .await
                .db()?;
        match id {
            Some(id) => self.account(&id).await,
            None => Ok(None),
        }
    }

    async fn create_external_account(
        &self,
        new: &sscard_app::ports::NewAccount,
        provider: &str,
        subject: &str,
        real_name: Option<(&sscard_domain::values::IdNumber, &sscard_domain::values::PersonName)>,
        audit: Option<&sscard_domain::audit::AuditEntry>,
    ) -> sscard_app::ports::StoreResult<Result<sscard_domain::account::Account, sscard_app::ports::AccountConflict>>
    {
        let mut tx = self.pool.begin().await.db()?;
        let mut result = Self::insert_account(&mut *tx, new).await;
        if let (Ok(()), Some((id, name))) = (&result, real_name) {
            result = sqlx::query("UPDATE accounts SET id_number = $1, real_name = $2, real_name_ms = $3 WHERE id = $4")
                .bind(id.as_str())
                .bind(name.as_str())
                .bind(crate::accounts::ms(new.created_at))
                .bind(&new.id)
                .execute(&mut *tx)
                .await
                .map(|_| ());
        }
        if result.is_ok() {
            result = sqlx::query(
                "INSERT INTO external_identities (provider, subject, account_id, created_ms) \
                                  VALUES ($1, $2, $3, $4)",
            )
            .bind(provider)
            .bind(subject)
            .bind(&new.id)
            .bind(crate::accounts::ms(new.created_at))
            .execute(&mut *tx)
            .await
            .map(|_| ());
        }
        if let Err(e) = result {
            return match crate::accounts::conflict_of(&e) {
                Some(c) => Ok(Err(c)),
                None => Err(crate::db_err(e)),
            };
        }
        if let Some(e) = audit {
            Self::insert_audit(&mut *tx, e).await.db()?;
        }
        tx.commit().await.db()?;
        let made = self.account(&new.id).await?;
        made.map(Ok)
            .ok_or_else(|| sscard_app::ports::StoreError::Database("account vanished after insert".into()))
    }

    async fn link_external(
        &self,
        provider: &str,
        subject: &str,
        account: &str,
        at: chrono::DateTime<chrono::FixedOffset>,
    ) -> sscard_app::ports::StoreResult<Result<(), sscard_app::ports::AccountConflict>> {
        let r = sqlx::query(
            "INSERT INTO external_identities (provider, subject, account_id, created_ms) \
                             VALUES ($1, $2, $3, $4)",
        )
        .bind(provider)
        .bind(subject)
        .bind(account)
        .bind(crate::accounts::ms(at))
        .execute(&self.pool)
        .await;
        match r {
            Ok(_) => Ok(Ok(())),
            Err(e) => match crate::accounts::conflict_of(&e) {
                Some(c) => Ok(Err(c)),
                None => Err(crate::db_err(e)),
            },
        }
    }

    async fn entity_handlers(
        &self,
        uscc: &sscard_domain::values::Uscc,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_domain::account::Account>> {
        let sql = format!(
            "SELECT {} FROM accounts WHERE entity_uscc = $1 AND role = 'entity_handler' ORDER BY id",
            crate::accounts::ACCOUNT_COLUMNS
        );
        let rows: Vec<crate::accounts::AccountRow> = sqlx::query_as(&sql)
            .bind(uscc.as_str())
            .fetch_all(&self.pool)
            .await
            .db()?;
        rows.into_iter().map(|r| r.into_domain().map(|(a, _)| a)).collect()
    }

    async fn set_account_disabled(
        &self,
        id: &str,
        disabled: bool,
        at: chrono::DateTime<chrono::FixedOffset>,
        audit: &sscard_domain::audit::AuditEntry,
    ) -> sscard_app::ports::StoreResult<bool> {
        set_account_disabled_on!(self.pool, id, disabled, at, audit)
    }

    async fn change_account(
        &self,
        change: &sscard_app::ports::AccountChange,
        at: chrono::DateTime<chrono::FixedOffset>,
        audit: &sscard_domain::audit::AuditEntry,
    ) -> sscard_app::ports::StoreResult<bool> {
        change_account_on!(self.pool, change, at, audit)
    }

    async fn accounts_with_role(
        &self,
        role: sscard_domain::access::Role,
        limit: u32,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_domain::account::Account>> {
        let sql = format!(
            "SELECT {} FROM accounts WHERE role = $1 ORDER BY username, id LIMIT $2",
            crate::accounts::ACCOUNT_COLUMNS
        );
        let rows: Vec<crate::accounts::AccountRow> = sqlx::query_as(&sql)
            .bind(role.as_str())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .db()?;
        rows.into_iter().map(|r| r.into_domain().map(|(a, _)| a)).collect()
    }

    async fn count_accounts(&self) -> sscard_app::ports::StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
            .fetch_one(&self.pool)
            .await
            .db()?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

#[async_trait::async_trait]
impl sscard_app::ports::ClientStore for PgStore {
    async fn create_client(
        &self,
        c: &sscard_app::ports::ApiClient,
        at: chrono::DateTime<chrono::FixedOffset>,
    ) -> sscard_app::ports::StoreResult<bool> {
        let r = sqlx::query(
            "INSERT INTO api_clients (client_id, name, channel, secret_hash, created_ms) \
                             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (client_id) DO NOTHING",
        )
        .bind(&c.client_id)
        .bind(&c.name)
        .bind(c.channel.as_str())
        .bind(&c.secret_hash)
        .bind(crate::accounts::ms(at))
        .execute(&self.pool)
        .await
        .db()?;
        Ok(r.rows_affected() == 1)
    }

    async fn client(&self, client_id: &str) -> sscard_app::ports::StoreResult<Option<sscard_app::ports::ApiClient>> {
        let row: Option<crate::accounts::ClientRow> =
            sqlx::query_as("SELECT client_id, name, channel, secret_hash FROM api_clients WHERE client_id = $1")
                .bind(client_id)
                .fetch_optional(&self.pool)
                .await
                .db()?;
        row.map(crate::accounts::ClientRow::into_domain).transpose()
    }
}
