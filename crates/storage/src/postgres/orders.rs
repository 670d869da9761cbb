//! PostgreSQL: the order store (pulls leased until acknowledged, reports, cards, counter pickup, the SLA report),
//! a plain implementation of the port. Row codecs and the shared order columns are in `crate::orders`.

use super::{in_json, PgStore, BEGIN_WRITE, PICK_LOCK};
use crate::DbResult;

#[async_trait::async_trait]
impl sscard_app::ports::OrderStore for PgStore {
    async fn pull_orders(
        &self,
        pull: &sscard_app::ports::OrderPull,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_app::ports::ProductionOrder>> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.db()?;
        let now = crate::accounts::ms(pull.at);
        let lease = crate::accounts::ms(pull.lease_until);
        // The same pull again (its answer was lost): the same orders, the unacknowledged ones re-leased.
        if let Some(key) = &pull.key {
            let again: Vec<String> = sqlx::query_scalar(
                "SELECT id FROM production_orders WHERE pulled_by = $1 AND pull_key = $2 AND bank = $3 \
                 ORDER BY created_ms, id",
            )
            .bind(&pull.actor)
            .bind(key)
            .bind(&pull.bank)
            .fetch_all(&mut *tx)
            .await
            .db()?;
            if !again.is_empty() {
                for id in &again {
                    sqlx::query("UPDATE production_orders SET lease_ms = $1 WHERE id = $2 AND acked_ms IS NULL")
                        .bind(lease)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .db()?;
                }
                let out = orders_in!(tx, again);
                tx.commit().await.db()?;
                return Ok(out);
            }
        }
        let limit = i64::from(pull.limit);
        // Orders pulled before whose lease ran out unacknowledged (the bank never got them, or lost them).
        let expired: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT o.id FROM production_orders o JOIN applications a ON a.id = o.application_id \
             WHERE o.bank = $1 AND o.pulled_ms IS NOT NULL AND o.acked_ms IS NULL AND o.lease_ms <= $2 \
             AND NOT o.superseded AND a.state = 'sent_to_bank' ORDER BY o.lease_ms, o.id LIMIT $3{}",
            PICK_LOCK
        ))
        .bind(&pull.bank)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await
        .db()?;
        let mut ids = Vec::with_capacity(pull.limit as usize);
        for order in expired {
            sqlx::query("UPDATE production_orders SET lease_ms = $1, pulled_by = $2, pull_key = $3 WHERE id = $4")
                .bind(lease)
                .bind(&pull.actor)
                .bind(&pull.key)
                .bind(&order)
                .execute(&mut *tx)
                .await
                .db()?;
            ids.push(order);
        }
        let room = limit - ids.len() as i64;
        if room > 0 {
            let sql = format!(
                "SELECT o.id, o.application_id FROM production_orders o JOIN applications a \
                               ON a.id = o.application_id WHERE o.bank = $1 AND o.pulled_ms IS NULL \
                               AND a.state = 'submitted' ORDER BY o.created_ms, o.id LIMIT $2{}",
                PICK_LOCK
            );
            let picked: Vec<(String, String)> = sqlx::query_as(&sql)
                .bind(&pull.bank)
                .bind(room)
                .fetch_all(&mut *tx)
                .await
                .db()?;
            for (order, application) in picked {
                let r = sqlx::query(
                    "UPDATE applications SET state = 'sent_to_bank', updated_ms = $1 \
                                     WHERE id = $2 AND state = 'submitted'",
                )
                .bind(now)
                .bind(&application)
                .execute(&mut *tx)
                .await
                .db()?;
                if r.rows_affected() != 1 {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO application_events (application_id, at_ms, event, from_state, to_state, \
                             actor, channel, note) VALUES ($1, $2, 'send_to_bank', 'submitted', 'sent_to_bank', \
                             $3, 'bank_outlet', NULL)",
                )
                .bind(&application)
                .bind(now)
                .bind(&pull.actor)
                .execute(&mut *tx)
                .await
                .db()?;
                sqlx::query(
                    "UPDATE production_orders SET pulled_ms = $1, lease_ms = $2, pulled_by = $3, \
                             pull_key = $4 WHERE id = $5",
                )
                .bind(now)
                .bind(lease)
                .bind(&pull.actor)
                .bind(&pull.key)
                .bind(&order)
                .execute(&mut *tx)
                .await
                .db()?;
                ids.push(order);
            }
        }
        let out = orders_in!(tx, ids);
        tx.commit().await.db()?;
        Ok(out)
    }

    async fn ack_orders(
        &self,
        bank: &str,
        orders: &[String],
        at: chrono::DateTime<chrono::FixedOffset>,
    ) -> sscard_app::ports::StoreResult<u64> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.db()?;
        let mut n = 0;
        for id in orders {
            n += sqlx::query(
                "UPDATE production_orders SET acked_ms = $1 WHERE id = $2 AND bank = $3 \
                              AND pulled_ms IS NOT NULL AND acked_ms IS NULL",
            )
            .bind(crate::accounts::ms(at))
            .bind(id)
            .bind(bank)
            .execute(&mut *tx)
            .await
            .db()?
            .rows_affected();
        }
        tx.commit().await.db()?;
        Ok(n)
    }

    async fn order(&self, id: &str) -> sscard_app::ports::StoreResult<Option<sscard_app::ports::ProductionOrder>> {
        let row: Option<crate::orders::OrderRow> =
            sqlx::query_as(&format!("{} WHERE o.id = $1", crate::orders::ORDER_SELECT))
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .db()?;
        row.map(crate::orders::OrderRow::into_domain).transpose()
    }

    async fn orders_of_application(
        &self,
        application: &str,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_app::ports::ProductionOrder>> {
        let rows: Vec<crate::orders::OrderRow> = sqlx::query_as(&format!(
            "{} WHERE o.application_id = $1 ORDER BY o.superseded DESC, o.created_ms, o.id",
            crate::orders::ORDER_SELECT
        ))
        .bind(application)
        .fetch_all(&self.pool)
        .await
        .db()?;
        rows.into_iter().map(crate::orders::OrderRow::into_domain).collect()
    }

    async fn apply_report(
        &self,
        order: &str,
        from: sscard_domain::application::ApplicationState,
        event: &sscard_domain::application::ApplicationEventRecord,
        details: &sscard_app::ports::ReportDetails,
        card: Option<&sscard_domain::card::Card>,
        notify: Option<&sscard_app::ports::SmsMessage>,
    ) -> sscard_app::ports::StoreResult<sscard_app::ports::ReportWrite> {
        use sscard_app::ports::ReportWrite;
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.db()?;
        let application: Option<String> =
            sqlx::query_scalar("SELECT application_id FROM production_orders WHERE id = $1")
                .bind(order)
                .fetch_optional(&mut *tx)
                .await
                .db()?;
        let Some(application) = application else {
            return Ok(ReportWrite::StateChanged);
        };
        let r = sqlx::query(
            "UPDATE applications SET state = $1, updated_ms = $2, \
                             open_person = CASE WHEN $1 IN ('collected', 'withdrawn') THEN NULL ELSE open_person END \
                             WHERE id = $3 AND state = $4",
        )
        .bind(event.to.as_str())
        .bind(crate::accounts::ms(event.at))
        .bind(&application)
        .bind(from.as_str())
        .execute(&mut *tx)
        .await
        .db()?;
        if r.rows_affected() != 1 {
            return Ok(ReportWrite::StateChanged);
        }
        Self::insert_event(&mut *tx, &application, event).await.db()?;
        if let Some(c) = card {
            let inserted = sqlx::query(
                "INSERT INTO cards (number, holder_id, generation, bank, branch, masked_account, \
                                        issued_on, application_id, social_security, financial) \
                                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&c.number)
            .bind(c.holder.as_str())
            .bind(i32::from(c.generation))
            .bind(&c.bank)
            .bind(&c.branch)
            .bind(&c.masked_account)
            .bind(c.issued_on)
            .bind(&c.application)
            .bind(c.social_security.as_str())
            .bind(c.financial.as_str())
            .execute(&mut *tx)
            .await;
            if let Err(e) = inserted {
                if e.as_database_error().is_some_and(|d| d.is_unique_violation()) {
                    return Ok(ReportWrite::CardNumberTaken);
                }
                return Err(crate::db_err(e));
            }
        }
        // Any report means the bank has the order: it leaves the lease queue for good.
        sqlx::query("UPDATE production_orders SET acked_ms = COALESCE(acked_ms, $1) WHERE id = $2")
            .bind(crate::accounts::ms(event.at))
            .bind(order)
            .execute(&mut *tx)
            .await
            .db()?;
        sqlx::query(
            "UPDATE production_orders SET card_number = COALESCE($1, card_number), \
                     masked_account = COALESCE($2, masked_account), tracking_number = COALESCE($3, tracking_number), \
                     reject_reason = COALESCE($4, reject_reason) WHERE id = $5",
        )
        .bind(&details.card_number)
        .bind(&details.masked_account)
        .bind(&details.tracking_number)
        .bind(&details.reject_reason)
        .bind(order)
        .execute(&mut *tx)
        .await
        .db()?;
        if let Some(m) = notify {
            Self::enqueue_in(&mut *tx, m, event.at).await.db()?;
        }
        tx.commit().await.db()?;
        Ok(ReportWrite::Done)
    }

    async fn cards_of(
        &self,
        holder: &sscard_domain::values::IdNumber,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_domain::card::Card>> {
        let rows: Vec<crate::orders::CardRow> = sqlx::query_as(&format!(
            "SELECT {} FROM cards WHERE holder_id = $1 ORDER BY issued_on DESC, number",
            crate::orders::CARD_COLUMNS
        ))
        .bind(holder.as_str())
        .fetch_all(&self.pool)
        .await
        .db()?;
        rows.into_iter().map(crate::orders::CardRow::into_domain).collect()
    }

    async fn order_applications(
        &self,
        orders: &[String],
    ) -> sscard_app::ports::StoreResult<Vec<sscard_domain::application::Application>> {
        let json = serde_json::to_string(orders)
            .map_err(|e| sscard_app::ports::StoreError::Database(format!("id list: {e}")))?;
        let of_orders = format!(
            "(SELECT application_id FROM production_orders WHERE id {})",
            in_json("$1")
        );
        let sql = format!(
            "SELECT {}, '[]' AS docs FROM applications a WHERE a.id IN {of_orders}",
            crate::applications::APPLICATION_COLUMNS
        );
        let rows: Vec<crate::applications::ApplicationRow> =
            sqlx::query_as(&sql).bind(&json).fetch_all(&self.pool).await.db()?;
        let docs: Vec<(String, String, String, String, i64)> = sqlx::query_as(&format!(
            "SELECT d.application_id, d.kind, d.hash, d.media_type, d.bytes FROM application_documents d \
             WHERE d.application_id IN {of_orders}"
        ))
        .bind(&json)
        .fetch_all(&self.pool)
        .await
        .db()?;
        crate::collective::with_documents(rows, docs)
    }

    async fn card(&self, number: &str) -> sscard_app::ports::StoreResult<Option<sscard_domain::card::Card>> {
        let row: Option<crate::orders::CardRow> = sqlx::query_as(&format!(
            "SELECT {} FROM cards WHERE number = $1",
            crate::orders::CARD_COLUMNS
        ))
        .bind(number)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(crate::orders::CardRow::into_domain).transpose()
    }

    async fn collect_card(
        &self,
        application: &str,
        from: sscard_domain::application::ApplicationState,
        event: &sscard_domain::application::ApplicationEventRecord,
        card: &str,
        activate: bool,
        audit: Option<&sscard_domain::audit::AuditEntry>,
    ) -> sscard_app::ports::StoreResult<bool> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.db()?;
        let r = sqlx::query(
            "UPDATE applications SET state = $1, updated_ms = $2, \
                             open_person = CASE WHEN $1 IN ('collected', 'withdrawn') THEN NULL ELSE open_person END \
                             WHERE id = $3 AND state = $4",
        )
        .bind(event.to.as_str())
        .bind(crate::accounts::ms(event.at))
        .bind(application)
        .bind(from.as_str())
        .execute(&mut *tx)
        .await
        .db()?;
        if r.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO application_events (application_id, at_ms, event, from_state, to_state, actor, \
                     channel, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(application)
        .bind(crate::accounts::ms(event.at))
        .bind(event.event.as_str())
        .bind(event.from.map(|s| s.as_str()))
        .bind(event.to.as_str())
        .bind(&event.actor)
        .bind(event.channel.as_str())
        .bind(&event.note)
        .execute(&mut *tx)
        .await
        .db()?;
        if activate {
            sqlx::query(
                "UPDATE cards SET social_security = 'active' WHERE number = $1 \
                         AND social_security = 'pending_activation'",
            )
            .bind(card)
            .execute(&mut *tx)
            .await
            .db()?;
        }
        if let Some(e) = audit {
            Self::insert_audit(&mut *tx, e).await.db()?;
        }
        tx.commit().await.db()?;
        Ok(true)
    }

    async fn overdue_orders(
        &self,
        today: chrono::NaiveDate,
    ) -> sscard_app::ports::StoreResult<Vec<sscard_app::ports::SlaRow>> {
        let rows: Vec<(String, String, i64, chrono::NaiveDate)> = sqlx::query_as(
            "SELECT o.bank, COALESCE(b.district, '') AS district, COUNT(*) AS n, MIN(a.due_on) AS oldest \
             FROM production_orders o JOIN applications a ON a.id = o.application_id \
             LEFT JOIN branches b ON b.code = a.branch \
             WHERE NOT o.superseded AND a.state IN ('submitted', 'sent_to_bank', 'in_production') \
             AND a.due_on < $1 \
             GROUP BY o.bank, COALESCE(b.district, '') ORDER BY o.bank, district",
        )
        .bind(today)
        .fetch_all(&self.pool)
        .await
        .db()?;
        rows.into_iter()
            .map(|(bank, district, n, oldest_due)| {
                Ok(sscard_app::ports::SlaRow {
                    bank,
                    district,
                    overdue: u64::try_from(n)
                        .map_err(|e| sscard_app::ports::StoreError::Corrupt(format!("count: {e}")))?,
                    oldest_due,
                })
            })
            .collect()
    }
}
