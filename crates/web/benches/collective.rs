//! Collective batch submission and the employee list on PostgreSQL, against baselines in the same run (issue 6):
//!
//! - **batch**: one HTTP request (`POST /api/v1/entity/submissions`, all confirmed) submitting 10,000 confirmed
//!   employees of an entity of 50,000: rows per second;
//! - **INSERT … SELECT**: the same 10,000 rows copied by one `INSERT … SELECT` into a table like `applications`
//!   (with its indexes): target batch ≥ 50% of it;
//! - **one commit per employee**: the same submission written one transaction per employee (the store's
//!   single-application transition: state, event, order, text): target batch ≥ 10× it;
//! - diagnosis, no target: **the same writes as bare SQL** (update, events, orders, texts: one statement per
//!   table, one transaction), and the batch sent as **a list of its 10,000 ids** instead of `all_confirmed`;
//! - **list page**: p50/p99 latency of `GET /api/v1/entity/employees` pages (first pages, random positions,
//!   each status filter, a name search) for the 50,000-employee entity, and of the counts.
//!
//! `SSCARD_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p sscard-web --bench collective`
//! (`SSCARD_BENCH_BATCH`, default 10000; `SSCARD_BENCH_EMPLOYEES`, default 50000; `SSCARD_BENCH_ROUNDS`, default 3).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use base64::Engine as _;
use chrono::NaiveDate;
use sscard_app::import::{import_csv, ImportKind};
use sscard_app::ports::{NewAccount, NewOrder, SessionKind, SessionRecord, Submission};
use sscard_domain::access::Channel;
use sscard_domain::account::{AccountKind, Username};
use sscard_domain::application::{ApplicationEvent, ApplicationEventRecord, ApplicationState};
use sscard_domain::collective::{AllowedBranch, CollectiveSettings};
use sscard_domain::values::{IdNumber, Mobile, PersonName, Uscc};
use sscard_testkit::fixtures::{csv, employee_row, uscc, REGISTRY_HEADER};
use sscard_testkit::TestDb;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

const SURNAMES: [&str; 10] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
const GIVEN: [&str; 10] = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇"];

/// Puts the batch's applications back to `confirmed`, with no orders, events of submission or texts.
async fn reset(pool: &sqlx::PgPool, entity: &str) {
    // Orders and texts exist only for the batch here: emptied, not deleted, so no round inserts into the
    // dead index entries of the one before.
    for sql in [
        "TRUNCATE sms_outbox, production_orders",
        "DELETE FROM application_events WHERE event = 'employer_submit'",
    ] {
        sqlx::query(sql).execute(pool).await.unwrap();
    }
    sqlx::query(
        "UPDATE applications SET state = 'confirmed', submitted_ms = NULL, due_on = NULL WHERE employer_uscc = $1",
    )
    .bind(entity)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("VACUUM ANALYZE applications").execute(pool).await.unwrap();
    sqlx::query("VACUUM ANALYZE application_events")
        .execute(pool)
        .await
        .unwrap();
}

fn main() {
    let batch = env("SSCARD_BENCH_BATCH", 10_000);
    let employees = env("SSCARD_BENCH_EMPLOYEES", 50_000).max(batch);
    let rounds = env("SSCARD_BENCH_ROUNDS", 3).max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let Some(db) = TestDb::postgres().await else {
            println!("SKIPPED: set SSCARD_TEST_PG_URL to run the collective benchmark");
            return;
        };
        let (pg, ctx) = sscard_testkit::bench_context(&db).await;
        let pool = pg.pool().clone();
        let entity = uscc(777);
        let entities = format!("uscc,name,address,district\n{entity},基准单位,北京市朝阳区一号,110105\n");
        import_csv(&ctx, ImportKind::Entities, entities.as_bytes()).await.unwrap();
        println!("collective benchmark: an entity of {employees} employees, batches of {batch}, {rounds} rounds, PostgreSQL");

        // The entity's employees, through the registry import.
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let ids: Vec<IdNumber> = (0..employees)
            .map(|k| {
                let birth = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Duration::days((k / 900) as i64);
                IdNumber::compose("110105", birth, (k % 900) as u16 + 10, today).unwrap()
            })
            .collect();
        let rows: Vec<String> = ids
            .iter()
            .enumerate()
            .map(|(k, id)| employee_row(id, &format!("{}{}", SURNAMES[k % 10], GIVEN[(k / 10) % 10]), &entity))
            .collect();
        let report = import_csv(&ctx, ImportKind::Registry, csv(REGISTRY_HEADER, &rows).as_bytes())
            .await
            .unwrap();
        assert_eq!(report.rejected, 0);

        // The handler, with a bearer token; the entity open with one branch.
        let now = ctx.clock.now();
        let handler = ctx
            .store
            .create_account(&NewAccount {
                id: "bench-handler".into(),
                kind: AccountKind::EntityHandler {
                    entity: Uscc::parse(&entity).unwrap(),
                },
                username: Some(Username::parse("benchhandler").unwrap()),
                mobile: None,
                display_name: "bench".into(),
                password_hash: None,
                created_at: now,
            }, None)
            .await
            .unwrap()
            .unwrap();
        let employee_account = ctx
            .store
            .create_account(&NewAccount {
                id: "bench-employee".into(),
                kind: AccountKind::Resident,
                username: Some(Username::parse("benchemployee").unwrap()),
                mobile: None,
                display_name: "bench".into(),
                password_hash: None,
                created_at: now,
            }, None)
            .await
            .unwrap()
            .unwrap();
        let secret = "bench-handler-token";
        ctx.store
            .create_session(&SessionRecord {
                id: sscard_app::secrets::sha256_hex(&[secret]),
                account: Some(handler.id.clone()),
                kind: SessionKind::Bearer,
                channel: Channel::Web,
                client_id: None,
                csrf: "x".into(),
                created_at: now,
                expires_at: now + chrono::Duration::days(1),
                ip: None,
                user_agent: None,
            }, None)
            .await
            .unwrap();
        ctx.store
            .save_collective_settings(
                &CollectiveSettings {
                    entity: Uscc::parse(&entity).unwrap(),
                    open: true,
                    entity_collects: false,
                    branches: vec![AllowedBranch {
                        bank: "102".into(),
                        branch: "102-0101".into(),
                    }],
                    contact_name: PersonName::parse("王经办").unwrap(),
                    contact_mobile: Mobile::parse("13800138000").unwrap(),
                    updated_at: now,
                    updated_by: handler.id.clone(),
                },
                Channel::Web,
                None,
            )
            .await
            .unwrap();

        // `batch` employees with a complete, confirmed application (as the employees' confirmation leaves them).
        let at = now.timestamp_millis();
        sqlx::query(
            "INSERT INTO applications (id, reference, person_id, applicant, route, channel, state, ethnicity, occupation, \
             residence_district, residence_address, mobile, bank, branch, collection, created_ms, updated_ms, \
             cartoon_photo, employer_uscc, open_person) \
             SELECT 'a-' || id_number, 'BJ' || id_number, id_number, $1, 'collective', 'web', 'confirmed', '01', '2', \
             '110108', address, mobile, '102', '102-0101', 'branch_pickup', $2, $2, FALSE, $3, id_number \
             FROM registry_persons WHERE employer_uscc = $3 ORDER BY id_number LIMIT $4",
        )
        .bind(&employee_account.id)
        .bind(at)
        .bind(&entity)
        .bind(batch as i64)
        .execute(&pool)
        .await
        .unwrap();
        for kind in ["card_photo", "id_front", "id_back"] {
            sqlx::query(
                "INSERT INTO application_documents (application_id, kind, hash, media_type, bytes, uploaded_ms) \
                 SELECT id, $1, 'h-' || $1, 'image/jpeg', 40000, $2 FROM applications WHERE employer_uscc = $3",
            )
            .bind(kind)
            .bind(at)
            .bind(&entity)
            .execute(&pool)
            .await
            .unwrap();
        }
        // With the applications table's keys and indexes, which every real row pays for; emptied each round.
        sqlx::query("CREATE TABLE bench_copy (LIKE applications INCLUDING ALL)").execute(&pool).await.unwrap();

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = sscard_web::server::build_state(ctx.clone(), sscard_web::WebConfig::default(), Vec::new()).unwrap();
        tokio::spawn(sscard_web::serve(listener, state, std::future::pending()));
        let http = reqwest::Client::new();

        if std::env::var("SSCARD_BENCH_BREAKDOWN").is_ok_and(|v| v == "1") {
            // Each part of the batch alone (diagnosis only).
            reset(&pool, &entity).await;
            let u = Uscc::parse(&entity).unwrap();
            let t = Instant::now();
            let found = ctx.store.collective_applications(&u, None).await.unwrap();
            let load = t.elapsed();
            let persons: Vec<IdNumber> = found.iter().map(|a| a.person.clone()).collect();
            let t = Instant::now();
            ctx.store.employers_of(&persons).await.unwrap();
            let employers = t.elapsed();
            let now = ctx.clock.now();
            let items: Vec<sscard_app::ports::BatchItem> = found
                .iter()
                .map(|a| sscard_app::ports::BatchItem {
                    application: a.id.clone(),
                    order: NewOrder { id: format!("x-{}", a.id), bank: "102".into() },
                    notify: Some(sscard_app::ports::SmsMessage {
                        id: format!("s-{}", a.id),
                        mobile: Mobile::parse("13900001234").unwrap(),
                        body: "bench".into(),
                        created_at: now,
                        attempts: 0,
                    }),
                })
                .collect();
            let b = sscard_app::ports::Batch { at: now, due_on: now.date_naive(), actor: handler.id.clone(), channel: Channel::Web, items, reply: None };
            let t = Instant::now();
            assert_eq!(ctx.store.submit_batch(&b).await.unwrap(), sscard_app::ports::BatchWrite::Written);
            let write = t.elapsed();
            println!("breakdown: load {load:?}, employers {employers:?}, write {write:?}");
            // The whole use case in process (the request without HTTP and JSON).
            reset(&pool, &entity).await;
            let (_, p) = sscard_app::auth::resolve(&ctx, secret, SessionKind::Bearer).await.unwrap().unwrap();
            let selection = sscard_app::collective::Selection {
                applications: Vec::new(),
                all_confirmed: true,
            };
            let t = Instant::now();
            let out = sscard_app::collective::submit(&ctx, &p.unwrap(), &selection, None).await.unwrap();
            assert_eq!(out.submitted.len(), batch);
            println!("breakdown: the use case in process {:?}", t.elapsed());
        }
        let (mut batched, mut copied, mut committed) = (Vec::new(), Vec::new(), Vec::new());
        let (mut bare_writes, mut listed) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            // The baseline: one INSERT … SELECT of the same rows.
            reset(&pool, &entity).await;
            sqlx::query("TRUNCATE bench_copy").execute(&pool).await.unwrap();
            let t = Instant::now();
            let r = sqlx::query("INSERT INTO bench_copy SELECT * FROM applications WHERE employer_uscc = $1 AND state = 'confirmed'")
                .bind(&entity)
                .execute(&pool)
                .await
                .unwrap();
            copied.push(rate(r.rows_affected() as usize, t.elapsed()));
            assert_eq!(r.rows_affected() as usize, batch);

            // The batch: one request.
            let t = Instant::now();
            let res = http
                .post(format!("{base}/api/v1/entity/submissions"))
                .bearer_auth(secret)
                .json(&serde_json::json!({"all_confirmed": true}))
                .send()
                .await
                .unwrap();
            let status = res.status();
            let v: serde_json::Value = res.json().await.unwrap();
            let elapsed = t.elapsed();
            assert!(status.is_success(), "{status} {v}");
            assert_eq!(v["submitted"].as_array().unwrap().len(), batch, "{}", v["skipped"]);
            batched.push(rate(batch, elapsed));

            // Diagnosis: the batch's own writes as bare SQL, one statement per table, one transaction; no read,
            // no rule, no HTTP. What the batch costs beyond this is sscard's.
            reset(&pool, &entity).await;
            let t = Instant::now();
            let mut tx = pool.begin().await.unwrap();
            sqlx::query("CREATE TEMP TABLE bench_ids ON COMMIT DROP AS SELECT id FROM applications \
                         WHERE employer_uscc = $1 AND state = 'confirmed'")
                .bind(&entity).execute(&mut *tx).await.unwrap();
            for sql in [
                "UPDATE applications a SET state = 'submitted', updated_ms = 1, submitted_ms = 1, due_on = CURRENT_DATE \
                 FROM bench_ids b WHERE a.id = b.id AND a.state = 'confirmed'",
                "INSERT INTO application_events (application_id, at_ms, event, from_state, to_state, actor, channel) \
                 SELECT id, 1, 'employer_submit', 'confirmed', 'submitted', 'bench-handler', 'web' FROM bench_ids",
                "INSERT INTO production_orders (id, application_id, bank, created_ms) SELECT 'o-' || id, id, '102', 1 FROM bench_ids",
                "INSERT INTO sms_outbox (id, mobile, body, created_ms, attempts, due_ms) \
                 SELECT 's-' || id, '13900001234', '您的社会保障卡申请已提交', 1, 0, 1 FROM bench_ids",
            ] {
                sqlx::query(sql).execute(&mut *tx).await.unwrap();
            }
            tx.commit().await.unwrap();
            bare_writes.push(rate(batch, t.elapsed()));

            // The batch again, as a handler's selection of every id (the portal's and the API's other form).
            reset(&pool, &entity).await;
            let selected: Vec<String> =
                sqlx::query_scalar("SELECT id FROM applications WHERE employer_uscc = $1 AND state = 'confirmed'")
                    .bind(&entity).fetch_all(&pool).await.unwrap();
            let t = Instant::now();
            let res = http
                .post(format!("{base}/api/v1/entity/submissions"))
                .bearer_auth(secret)
                .json(&serde_json::json!({"applications": selected}))
                .send()
                .await
                .unwrap();
            let v: serde_json::Value = res.json().await.unwrap();
            let elapsed = t.elapsed();
            assert_eq!(v["submitted"].as_array().unwrap().len(), batch, "{}", v["skipped"]);
            listed.push(rate(batch, elapsed));

            // One commit per employee: the same writes, one transaction each.
            reset(&pool, &entity).await;
            let apps: Vec<String> = sqlx::query_scalar("SELECT id FROM applications WHERE employer_uscc = $1 ORDER BY id")
                .bind(&entity)
                .fetch_all(&pool)
                .await
                .unwrap();
            let mobile = Mobile::parse("13900001234").unwrap();
            let t = Instant::now();
            for (i, app) in apps.iter().enumerate() {
                let now = ctx.clock.now();
                let event = ApplicationEventRecord {
                    at: now,
                    event: ApplicationEvent::EmployerSubmit,
                    from: Some(ApplicationState::Confirmed),
                    to: ApplicationState::Submitted,
                    actor: handler.id.clone(),
                    channel: Channel::Web,
                    note: None,
                };
                let sub = Submission {
                    submitted_at: now,
                    due_on: now.date_naive(),
                    key: None,
                    order: NewOrder {
                        id: format!("o-{round}-{i}"),
                        bank: "102".into(),
                    },
                };
                let sms = sscard_app::ports::SmsMessage {
                    id: format!("m-{round}-{i}"),
                    mobile: mobile.clone(),
                    body: "bench".into(),
                    created_at: now,
                    attempts: 0,
                };
                assert!(ctx
                    .store
                    .transition(app, ApplicationState::Confirmed, &event, Some(&sub), None, Some(&sms))
                    .await
                    .unwrap());
            }
            committed.push(rate(apps.len(), t.elapsed()));
            println!(
                "round {}: batch {:.0} rows/s, INSERT … SELECT {:.0} rows/s, one commit per employee {:.0} rows/s; \
                 the same writes as bare SQL {:.0} rows/s, the batch as a list of ids {:.0} rows/s",
                round + 1,
                batched[round],
                copied[round],
                committed[round],
                bare_writes[round],
                listed[round]
            );
        }
        let (b, c, o) = (median(batched), median(copied), median(committed));
        let (w, l) = (median(bare_writes), median(listed));
        println!(
            "median: the same writes as bare SQL {w:.0} rows/s (the batch is {:.0}% of it); the batch as a list of \
             ids {l:.0} rows/s",
            100.0 * b / w
        );
        println!(
            "median: batch {b:.0} rows/s = {:.0}% of INSERT … SELECT ({c:.0} rows/s; target ≥ 50%) and {:.1}× one commit \
             per employee ({o:.0} rows/s; target ≥ 10×)",
            100.0 * b / c,
            b / o
        );

        // The list: pages over HTTP for the whole entity, `batch` of them confirmed and the rest not yet.
        reset(&pool, &entity).await;
        let mut rng_state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            rng_state ^= rng_state << 13;
            rng_state ^= rng_state >> 7;
            rng_state ^= rng_state << 17;
            rng_state
        };
        let mut paths = Vec::new();
        for i in 0..400 {
            let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(ids[(next() as usize) % ids.len()].as_str());
            let path = match i % 8 {
                0 => "/api/v1/entity/employees?limit=50".to_string(),
                1..=3 => format!("/api/v1/entity/employees?limit=50&cursor={cursor}"),
                4 => format!("/api/v1/entity/employees?limit=50&status=confirmed&cursor={cursor}"),
                5 => format!("/api/v1/entity/employees?limit=50&status=not_confirmed&cursor={cursor}"),
                6 => "/api/v1/entity/employees?limit=50&status=submitted".to_string(),
                _ => format!("/api/v1/entity/employees?limit=50&q={}", urlencode(SURNAMES[i % 10])),
            };
            paths.push(path);
        }
        let mut latencies = Vec::new();
        for p in &paths {
            let t = Instant::now();
            let r = http.get(format!("{base}{p}")).bearer_auth(secret).send().await.unwrap();
            assert!(r.status().is_success(), "{p}: {}", r.status());
            r.bytes().await.unwrap();
            latencies.push(t.elapsed());
        }
        latencies.sort();
        let mut counts = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            let r = http.get(format!("{base}/api/v1/entity/employees/counts")).bearer_auth(secret).send().await.unwrap();
            assert!(r.status().is_success());
            r.bytes().await.unwrap();
            counts.push(t.elapsed());
        }
        counts.sort();
        println!(
            "list page ({} requests, 50 rows): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; counts ({} requests): p50 {:.1} ms, p99 {:.1} ms",
            latencies.len(),
            percentile(&latencies, 0.50).as_secs_f64() * 1e3,
            percentile(&latencies, 0.99).as_secs_f64() * 1e3,
            latencies.last().unwrap().as_secs_f64() * 1e3,
            counts.len(),
            percentile(&counts, 0.50).as_secs_f64() * 1e3,
            percentile(&counts, 0.99).as_secs_f64() * 1e3,
        );
    });
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
