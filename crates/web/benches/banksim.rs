//! `sscard bank-sim` against a backlog of production orders on PostgreSQL (issues 7 and 17), with a baseline in
//! the same run:
//!
//! - **bank-sim**: the simulator drains a mixed backlog over HTTP (pages of 500, 16 orders at once): 100,000
//!   applications' orders and 20,000 replacement orders (pulled first: due in 4 working days), each pulled, then
//!   accepted, produced (the card created; a replacement's linked both ways) and delivered (three reports).
//!   Orders and reports per second.
//! - **baseline**: single-row `UPDATE production_orders … WHERE id = $1` statements through a pool like
//!   sscard's, 16 at a time: the least database work one report could cost.
//!
//! `SSCARD_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p sscard-web --bench banksim`
//! (`SSCARD_BENCH_BACKLOG`, default 100000; `SSCARD_BENCH_REPLACEMENTS`, default 20000;
//! `SSCARD_BENCH_CONCURRENCY`, default 16).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use futures::stream::{self, StreamExt};
use sscard_domain::account::{AccountKind, Username};
use sscard_gateways::bank_sim::{BankSim, BankSimConfig};
use sscard_testkit::TestDb;

/// The bench bank system's secret (a machine secret: a long random-looking token).
const BANK_SECRET: &str = "bench-bank-system-secret-0123456789abcdef";

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let backlog = env("SSCARD_BENCH_BACKLOG", 100_000);
    let replacements = env("SSCARD_BENCH_REPLACEMENTS", 20_000).min(backlog);
    let conc = env("SSCARD_BENCH_CONCURRENCY", 16);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let Some(db) = TestDb::postgres().await else {
            println!("SKIPPED: set SSCARD_TEST_PG_URL to run the bank-sim benchmark");
            return;
        };
        let (pg, ctx) = sscard_testkit::bench_context(&db).await;
        let pool = pg.pool().clone();
        println!(
            "bank-sim benchmark: a backlog of {backlog} applications' orders and {replacements} replacement orders, \
             {conc} at a time, PostgreSQL"
        );
        let meta = sscard_app::auth::Meta::default();
        sscard_app::accounts::create_account(
            &ctx,
            None,
            AccountKind::BankSystem { bank: "102".into() },
            Username::parse("benchbank").unwrap(),
            "bench bank",
            BANK_SECRET,
            &meta,
        )
        .await
        .unwrap();
        sscard_app::accounts::create_account(
            &ctx,
            None,
            AccountKind::Admin,
            Username::parse("benchapplicant").unwrap(),
            "bench applicant",
            "bench1pass",
            &meta,
        )
        .await
        .unwrap();
        let applicant: String = sqlx::query_scalar("SELECT id FROM accounts WHERE username = 'benchapplicant'")
            .fetch_one(&pool)
            .await
            .unwrap();

        // The backlog: submitted applications (three in five picked up at a branch, two mailed), each with its
        // three documents and its order, oldest first.
        let at = ctx.clock.now().timestamp_millis();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let ids: Vec<String> = (0..backlog)
            .map(|k| {
                let birth = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap() + chrono::Duration::days((k / 900) as i64);
                sscard_domain::values::IdNumber::compose("110105", birth, (k % 900) as u16 + 10, today)
                    .unwrap()
                    .as_str()
                    .to_string()
            })
            .collect();
        sqlx::query(
            "INSERT INTO applications (id, reference, person_id, applicant, route, channel, state, ethnicity, occupation, \
             residence_district, residence_address, mobile, bank, branch, collection, mail_recipient, mail_mobile, \
             mail_district, mail_postal_code, mail_address, created_ms, updated_ms, submitted_ms, due_on, \
             cartoon_photo, open_person) \
             SELECT 'a' || g, 'BJ' || g, pid, $1, 'personal', 'web', 'submitted', \
             '01', '2', '110105', '朝阳区测试路1号', '13800001234', '102', '102-0101', \
             CASE WHEN g % 5 < 3 THEN 'branch_pickup' ELSE 'bank_mail' END, \
             CASE WHEN g % 5 < 3 THEN NULL ELSE '王伟' END, CASE WHEN g % 5 < 3 THEN NULL ELSE '13800001234' END, \
             CASE WHEN g % 5 < 3 THEN NULL ELSE '110105' END, CASE WHEN g % 5 < 3 THEN NULL ELSE '100020' END, \
             CASE WHEN g % 5 < 3 THEN NULL ELSE '朝阳区测试路1号' END, $2, $2, $2, DATE '2026-12-21', FALSE, pid \
             FROM unnest($3::text[]) WITH ORDINALITY AS t(pid, g)",
        )
        .bind(&applicant)
        .bind(at)
        .bind(&ids)
        .execute(&pool)
        .await
        .unwrap();
        for kind in ["card_photo", "id_front", "id_back"] {
            sqlx::query(
                "INSERT INTO application_documents (application_id, kind, hash, media_type, bytes, uploaded_ms) \
                 SELECT 'a' || g, $1, md5($1 || g), 'image/jpeg', 40000, $2 FROM generate_series(1, $3) g",
            )
            .bind(kind)
            .bind(at)
            .bind(backlog as i64)
            .execute(&pool)
            .await
            .unwrap();
        }
        sqlx::query(
            "INSERT INTO production_orders (id, application_id, bank, created_ms) \
             SELECT 'o' || g, 'a' || g, '102', $1 + g FROM generate_series(1, $2) g",
        )
        .bind(at)
        .bind(backlog as i64)
        .execute(&pool)
        .await
        .unwrap();
        // The replacements: cards of the last `replacements` applications (collected long ago, then damaged),
        // each with its replacement order, due in 4 working days.
        sqlx::query(
            "INSERT INTO cards (number, holder_id, generation, bank, branch, masked_account, issued_on, \
             application_id, social_security, financial, replacement_order) \
             SELECT 'R' || g, a.person_id, 3, '102', '102-0101', '6222********' || lpad((g % 10000)::text, 4, '0'), \
             DATE '2025-06-01', a.id, 'active', 'active', 'r' || g \
             FROM generate_series($1 - $2 + 1, $1) g JOIN applications a ON a.id = 'a' || g",
        )
        .bind(backlog as i64)
        .bind(replacements as i64)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO replacement_orders (id, card_number, holder_id, application_id, bank, branch, cause, state, \
             instant, created_ms, updated_ms, due_on, due_provisional) \
             SELECT 'r' || g, 'R' || g, c.holder_id, c.application_id, '102', '102-0101', 'damaged', 'ordered', \
             FALSE, $3 + g, $3 + g, DATE '2026-11-26', FALSE \
             FROM generate_series($1 - $2 + 1, $1) g JOIN cards c ON c.number = 'R' || g",
        )
        .bind(backlog as i64)
        .bind(replacements as i64)
        .bind(at)
        .execute(&pool)
        .await
        .unwrap();
        for t in ["applications", "application_documents", "production_orders", "cards", "replacement_orders"] {
            sqlx::query(&format!("VACUUM ANALYZE {t}")).execute(&pool).await.unwrap();
        }

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = sscard_web::server::build_state(ctx.clone(), sscard_web::WebConfig::default(), Vec::new()).unwrap();
        tokio::spawn(sscard_web::serve(listener, state, std::future::pending()));

        // Baseline: one single-row UPDATE per report-sized unit of work, through the store's own pool.
        let sample = backlog.min(20_000);
        let t = Instant::now();
        stream::iter(1..=sample)
            .for_each_concurrent(conc, |g| {
                let pool = pool.clone();
                async move {
                    sqlx::query("UPDATE production_orders SET tracking_number = $1 WHERE id = $2")
                        .bind(format!("T{g}"))
                        .bind(format!("o{g}"))
                        .execute(&pool)
                        .await
                        .unwrap();
                }
            })
            .await;
        let baseline = sample as f64 / t.elapsed().as_secs_f64();
        sqlx::query("UPDATE production_orders SET tracking_number = NULL").execute(&pool).await.unwrap();

        let sim = BankSim::new(BankSimConfig {
            base_url: base,
            client_id: "benchbank".into(),
            secret: BANK_SECRET.into(),
            page: 500,
            concurrency: conc,
            ..BankSimConfig::default()
        })
        .unwrap();
        let t = Instant::now();
        let stats = sim.drain().await.unwrap();
        let secs = t.elapsed().as_secs_f64();
        let total = backlog + replacements;
        assert_eq!(stats.pulled as usize, total, "{stats:?}");
        assert_eq!((stats.mailed + stats.ready_for_pickup) as usize, total, "{stats:?}");
        let made: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cards WHERE replaces IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(made as usize, replacements, "every replacement made, linked to its card");
        let orders = total as f64 / secs;
        let reports = stats.reports as f64 / secs;
        println!(
            "bank-sim drained {backlog} applications' and {replacements} replacement orders in {secs:.1} s: \
             {orders:.0} orders/s, {reports:.0} reports/s ({:.0}% of the baseline's {baseline:.0} single-row \
             UPDATEs/s); mailed {}, ready for pickup {}",
            100.0 * reports / baseline,
            stats.mailed,
            stats.ready_for_pickup
        );
    });
}
