//! Body macros: statements written once for both engines where only the connection's type differs. Each is
//! used inside an ordinary method of a per-engine `impl`; none holds an `impl` itself.

/// Writes small-table batches (and, on SQLite, persons) as multi-row upserts on an open transaction.
macro_rules! write_rows {
    ($db:ty, $tx:expr, $rows:expr, $table:literal, $cols:expr, $tail:expr, |$b:ident, $r:ident| $push:block) => {{
        for chunk in $rows.chunks($crate::common::ROWS_PER_STATEMENT) {
            let mut qb = sqlx::QueryBuilder::<$db>::new(concat!("INSERT INTO ", $table, " ("));
            qb.push($cols).push(") ");
            qb.push_values(chunk, |mut $b, $r| $push);
            qb.push($tail);
            qb.build().execute(&mut **$tx).await.db()?;
        }
    }};
}

/// Writes any batch as multi-row upserts (SQLite uses it for every kind; PostgreSQL for all but persons).
macro_rules! write_batch {
    ($db:ty, $tx:expr, $batch:expr) => {{
        use sscard_app::ports::ImportBatch;
        match $batch {
            ImportBatch::Entities(rows) => write_rows!(
                $db,
                $tx,
                rows,
                "entities",
                "uscc, name, address, district",
                $crate::common::ENTITY_UPSERT_TAIL,
                |b, e| {
                    b.push_bind(e.uscc.as_str().to_string())
                        .push_bind(e.name.clone())
                        .push_bind(e.address.clone())
                        .push_bind(e.district.clone());
                }
            ),
            ImportBatch::Guardianships(rows) => write_rows!(
                $db,
                $tx,
                rows,
                "guardianships",
                "guardian_id, child_id, relationship, guardian_is_householder, same_booklet",
                $crate::common::GUARDIANSHIP_UPSERT_TAIL,
                |b, g| {
                    b.push_bind(g.guardian.as_str().to_string())
                        .push_bind(g.child.as_str().to_string())
                        .push_bind(g.relationship.clone())
                        .push_bind(g.guardian_is_householder)
                        .push_bind(g.same_booklet);
                }
            ),
            ImportBatch::Branches(rows) => write_rows!(
                $db,
                $tx,
                rows,
                "branches",
                "code, bank, name, district, address, accepts_pickup, instant_issuance",
                $crate::common::BRANCH_UPSERT_TAIL,
                |b, r| {
                    b.push_bind(r.code.clone())
                        .push_bind(r.bank.clone())
                        .push_bind(r.name.clone())
                        .push_bind(r.district.clone())
                        .push_bind(r.address.clone())
                        .push_bind(r.accepts_pickup)
                        .push_bind(r.instant_issuance);
                }
            ),
            ImportBatch::Outlets(rows) => write_rows!(
                $db,
                $tx,
                rows,
                "outlets",
                "code, name, district, address",
                $crate::common::OUTLET_UPSERT_TAIL,
                |b, o| {
                    b.push_bind(o.code.clone())
                        .push_bind(o.name.clone())
                        .push_bind(o.district.clone())
                        .push_bind(o.address.clone());
                }
            ),
            ImportBatch::Persons(rows) => {
                let rows: Vec<$crate::common::PersonRow> =
                    rows.iter().map($crate::common::PersonRow::from_domain).collect();
                write_rows!(
                    $db,
                    $tx,
                    rows,
                    "registry_persons",
                    $crate::common::PERSON_COLUMNS,
                    $crate::common::PERSON_UPSERT_TAIL,
                    |b, p| {
                        b.push_bind(p.id_number.clone())
                            .push_bind(p.name.clone())
                            .push_bind(p.gender.clone())
                            .push_bind(p.birth_date)
                            .push_bind(p.nationality.clone())
                            .push_bind(p.ethnicity.clone())
                            .push_bind(p.id_valid_from)
                            .push_bind(p.id_valid_until)
                            .push_bind(p.address.clone())
                            .push_bind(p.residence_district.clone())
                            .push_bind(p.mobile.clone())
                            .push_bind(p.occupation.clone())
                            .push_bind(p.insurance_types.clone())
                            .push_bind(p.category.clone())
                            .push_bind(p.employer_uscc.clone())
                            .push_bind(p.pension_bank.clone())
                            .push_bind(p.pension_branch.clone())
                            .push_bind(p.legacy_cards.clone());
                    }
                )
            }
        }
    }};
}

/// Remembers a reply under its idempotency key on `$conn` (a connection or transaction); `true` when this
/// was the first, `false` when the key was already taken (the statement then wrote nothing).
macro_rules! remember_reply {
    ($conn:ident, $reply:expr, $at:expr) => {
        sqlx::query(
            "INSERT INTO idempotent_replies (scope, actor, key, created_ms, reply) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT DO NOTHING",
        )
        .bind($reply.scope)
        .bind(&$reply.actor)
        .bind(&$reply.key)
        .bind($crate::accounts::ms($at))
        .bind(&$reply.body)
        .execute(&mut *$conn)
        .await
        .db()?
        .rows_affected()
            == 1
    };
}

/// The orders with these ids, in that order, read inside the transaction `$tx`.
macro_rules! orders_in {
    ($tx:ident, $ids:expr) => {{
        let mut out = Vec::with_capacity($ids.len());
        for id in $ids.iter() {
            let row: $crate::orders::OrderRow =
                sqlx::query_as(&format!("{} WHERE o.id = $1", $crate::orders::ORDER_SELECT))
                    .bind(id)
                    .fetch_one(&mut *$tx)
                    .await
                    .db()?;
            out.push(row.into_domain()?);
        }
        out
    }};
}

/// One round on `$pool`: each table's statement with its cut-off (the engines differ only in the pool's type).
macro_rules! prune_on {
    ($pool:expr, $before:expr) => {{
        let run = |sql: &'static str, at| async move {
            sqlx::query(sql)
                .bind($crate::accounts::ms(at))
                .execute($pool)
                .await
                .map(|r| r.rows_affected())
                .db()
        };
        Ok(sscard_app::ports::Pruned {
            sessions: run($crate::housekeeping::SESSIONS, $before.dead).await?,
            challenges: run($crate::housekeeping::CHALLENGES, $before.dead).await?,
            oidc_flows: run($crate::housekeeping::OIDC_FLOWS, $before.dead).await?,
            rate_events: run($crate::housekeeping::RATE_EVENTS, $before.rate_events).await?,
            replies: run($crate::housekeeping::REPLIES, $before.replies).await?,
        })
    }};
}

/// Starts an import job on `$pool` (`ImportJobStore::start_import_job`): a stale running job of the kind is
/// abandoned first; the unique index on running jobs refuses a second, and the running one's id is answered.
macro_rules! import_job_start_on {
    ($pool:expr, $job:expr, $stale:expr) => {{
        use $crate::imports as q;
        let mut tx = $pool.begin().await.db()?;
        sqlx::query(q::ABANDON_STALE)
            .bind(q::at($job.started_at))
            .bind(&$job.kind)
            .bind(q::at($stale))
            .execute(&mut *tx)
            .await
            .db()?;
        let inserted = sqlx::query(q::INSERT_JOB)
            .bind(&$job.id)
            .bind(&$job.kind)
            .bind(&$job.file_name)
            .bind(&$job.started_by)
            .bind(q::at($job.started_at))
            .execute(&mut *tx)
            .await;
        match inserted {
            Ok(_) => {
                tx.commit().await.db()?;
                Ok(Ok(()))
            }
            Err(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
                drop(tx);
                let running: Option<(String,)> = sqlx::query_as(q::RUNNING_OF_KIND)
                    .bind(&$job.kind)
                    .fetch_optional($pool)
                    .await
                    .db()?;
                // It may have ended between the two statements: then the caller may simply try again.
                Ok(Err(running.map(|r| r.0).unwrap_or_default()))
            }
            Err(e) => Err(e).db(),
        }
    }};
}

/// Records an import job's progress and new rejected rows in one transaction.
macro_rules! import_job_progress_on {
    ($db:ty, $pool:expr, $id:expr, $counts:expr, $rejections:expr, $now:expr) => {{
        use $crate::imports as q;
        let mut tx = $pool.begin().await.db()?;
        for chunk in $rejections.chunks($crate::common::ROWS_PER_STATEMENT) {
            let mut qb = sqlx::QueryBuilder::<$db>::new(q::INSERT_REJECTION);
            qb.push_values(chunk, |mut b, r| {
                b.push_bind($id)
                    .push_bind(q::row_number(r))
                    .push_bind(r.column.clone())
                    .push_bind(r.reason.clone());
            });
            qb.build().execute(&mut *tx).await.db()?;
        }
        let [read, accepted, rejected] = q::counts($counts);
        sqlx::query(q::PROGRESS)
            .bind($id)
            .bind(read)
            .bind(accepted)
            .bind(rejected)
            .bind(q::at($now))
            .execute(&mut *tx)
            .await
            .db()?;
        tx.commit().await.db()?;
        Ok(())
    }};
}

/// Ends a running import job (`ImportJobStore::finish_import_job`).
macro_rules! import_job_finish_on {
    ($pool:expr, $id:expr, $state:expr, $counts:expr, $failure:expr, $now:expr) => {{
        use $crate::imports as q;
        let [read, accepted, rejected] = q::counts($counts);
        sqlx::query(q::FINISH)
            .bind($id)
            .bind($state.as_str())
            .bind(read)
            .bind(accepted)
            .bind(rejected)
            .bind($failure)
            .bind(q::at($now))
            .execute($pool)
            .await
            .db()?;
        Ok(())
    }};
}

/// Reads rows of `$row` type with `$sql` and its binds, each turned into its domain value by `into_domain`.
macro_rules! rows_on {
    ($pool:expr, $row:ty, $sql:expr $(, $bind:expr)*) => {{
        let rows: Vec<$row> = sqlx::query_as($sql)
            $(.bind($bind))*
            .fetch_all($pool)
            .await
            .db()?;
        rows.into_iter().map(<$row>::into_domain).collect()
    }};
}

/// Disables or enables an account with its audit entry; disabling revokes its sessions too.
macro_rules! set_account_disabled_on {
    ($pool:expr, $id:expr, $disabled:expr, $at:expr, $audit:expr) => {{
        let mut tx = $pool.begin().await.db()?;
        let r = sqlx::query($crate::accounts::SET_DISABLED)
            .bind($disabled)
            .bind($id)
            .execute(&mut *tx)
            .await
            .db()?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        if $disabled {
            sqlx::query($crate::accounts::REVOKE_ACCOUNT_SESSIONS)
                .bind($crate::accounts::ms($at))
                .bind($id)
                .execute(&mut *tx)
                .await
                .db()?;
        }
        Self::insert_audit(&mut *tx, $audit).await.db()?;
        tx.commit().await.db()?;
        Ok(true)
    }};
}

/// Sets a setting and keeps its change (before, after, who, when) in one transaction.
macro_rules! change_setting_on {
    ($pool:expr, $key:expr, $value:expr, $by:expr, $at:expr) => {{
        let mut tx = $pool.begin().await.db()?;
        let previous: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
            .bind($key)
            .fetch_optional(&mut *tx)
            .await
            .db()?;
        sqlx::query($crate::common::UPSERT_SETTING)
            .bind($key)
            .bind($value)
            .execute(&mut *tx)
            .await
            .db()?;
        sqlx::query($crate::common::INSERT_SETTING_CHANGE)
            .bind($key)
            .bind(previous.map(|p| p.0))
            .bind($value)
            .bind($by)
            .bind($crate::accounts::ms($at))
            .execute(&mut *tx)
            .await
            .db()?;
        tx.commit().await.db()?;
        Ok(())
    }};
}

/// Changes a bank, branch or outlet with its kept change and audit entry, unless live data depends on what the
/// change takes away (see `ReferenceStore::change_reference`). `$begin` and `$lock` are the engine's
/// `BEGIN_WRITE` and `ROW_LOCK`: the record stays locked from its read to its write.
macro_rules! change_reference_on {
    ($pool:expr, $begin:expr, $lock:expr, $edit:expr, $audit:expr) => {{
        use sscard_app::ports::ReferenceWrite;
        use sscard_domain::registry::ReferenceRecord as R;
        let edit: &sscard_app::ports::ReferenceEdit = $edit;
        let code = edit.after.code();
        let mut tx = $pool.begin_with($begin).await.db()?;
        let select = |sql: &str| format!("{sql}{}", $lock);
        let before: Option<R> = match &edit.after {
            R::Bank(_) => sqlx::query_as::<_, $crate::common::BankRow>(&select($crate::reference::BANK))
                .bind(code)
                .fetch_optional(&mut *tx)
                .await
                .db()?
                .map(|r| R::Bank(r.into())),
            R::Branch(_) => sqlx::query_as::<_, $crate::common::BranchRow>(&select($crate::reference::BRANCH))
                .bind(code)
                .fetch_optional(&mut *tx)
                .await
                .db()?
                .map(|r| R::Branch(r.into())),
            R::Outlet(_) => sqlx::query_as::<_, $crate::common::OutletRow>(&select($crate::reference::OUTLET))
                .bind(code)
                .fetch_optional(&mut *tx)
                .await
                .db()?
                .map(|r| R::Outlet(r.into())),
        };
        let Some(before) = before else {
            return Ok(ReferenceWrite::Unknown);
        };
        if before == edit.after {
            return Ok(ReferenceWrite::Unchanged);
        }
        if let Some(dependency) = sscard_domain::registry::dependency_of_change(&before, &edit.after) {
            let count: i64 = sqlx::query_scalar($crate::reference::dependency_sql(dependency))
                .bind(code)
                .fetch_one(&mut *tx)
                .await
                .db()?;
            if count > 0 {
                return Ok(ReferenceWrite::Depended {
                    dependency,
                    count: u64::try_from(count).unwrap_or(u64::MAX),
                });
            }
        }
        let update = match &edit.after {
            R::Bank(b) => sqlx::query($crate::reference::UPDATE_BANK)
                .bind(code)
                .bind(&b.short)
                .bind(&b.name_zh)
                .bind(&b.name_en)
                .bind(b.supports_online_replacement),
            R::Branch(b) => sqlx::query($crate::reference::UPDATE_BRANCH)
                .bind(code)
                .bind(&b.name)
                .bind(&b.district)
                .bind(&b.address)
                .bind(b.accepts_pickup)
                .bind(b.instant_issuance),
            R::Outlet(o) => sqlx::query($crate::reference::UPDATE_OUTLET)
                .bind(code)
                .bind(&o.name)
                .bind(&o.district)
                .bind(&o.address),
        };
        update.execute(&mut *tx).await.db()?;
        let as_json =
            |r: &R| serde_json::to_string(r).map_err(|e| sscard_app::ports::StoreError::Corrupt(e.to_string()));
        sqlx::query($crate::reference::INSERT_CHANGE)
            .bind(edit.after.kind().as_str())
            .bind(code)
            .bind(as_json(&before)?)
            .bind(as_json(&edit.after)?)
            .bind(&edit.by)
            .bind($crate::accounts::ms(edit.at))
            .execute(&mut *tx)
            .await
            .db()?;
        Self::insert_audit(&mut *tx, $audit).await.db()?;
        tx.commit().await.db()?;
        Ok(ReferenceWrite::Changed { before })
    }};
}

/// Changes an account's password (ending its sessions) or its binding, with its audit entry.
macro_rules! change_account_on {
    ($pool:expr, $change:expr, $at:expr, $audit:expr) => {{
        use sscard_app::ports::AccountChange;
        let mut tx = $pool.begin().await.db()?;
        let r = match $change {
            AccountChange::Password { id, hash } => {
                let r = sqlx::query($crate::accounts::SET_PASSWORD)
                    .bind(id)
                    .bind(hash)
                    .execute(&mut *tx)
                    .await
                    .db()?;
                sqlx::query($crate::accounts::REVOKE_ACCOUNT_SESSIONS)
                    .bind($crate::accounts::ms($at))
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .db()?;
                r
            }
            AccountChange::Binding { id, kind } => {
                let (entity, bank, branch, outlet, district) = $crate::accounts::kind_columns(kind);
                let r = sqlx::query($crate::accounts::SET_BINDING)
                    .bind(id)
                    .bind(entity)
                    .bind(bank)
                    .bind(branch)
                    .bind(outlet)
                    .bind(district)
                    .bind(kind.role().as_str())
                    .execute(&mut *tx)
                    .await
                    .db()?;
                r
            }
        };
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        Self::insert_audit(&mut *tx, $audit).await.db()?;
        tx.commit().await.db()?;
        Ok(true)
    }};
}

/// A report's day counts: an unnamed statement, so PostgreSQL plans it for the period asked (a generic plan
/// guesses a few rows and reads a year through the index), unordered in SQL (a sort of every row to disk
/// otherwise), ordered here by day and group (a few hundred rows).
macro_rules! report_rows_on {
    ($pool:expr, $sql:expr $(, $bind:expr)*) => {{
        let rows: Vec<$crate::reports::DayRow> = sqlx::query_as($sql)
            $(.bind($bind))*
            .persistent(false)
            .fetch_all($pool)
            .await
            .db()?;
        let mut out = rows
            .into_iter()
            .map($crate::reports::DayRow::into_domain)
            .collect::<Result<Vec<_>, _>>()?;
        out.sort_by(|a, b| (a.day, &a.group).cmp(&(b.day, &b.group)));
        Ok(out)
    }};
}
