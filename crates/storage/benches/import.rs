//! Registry import throughput against each engine's bulk-load baseline, in the same run (issue: ≥ 50%).
//!
//! `cargo bench -p sscard-storage --bench import` — rows from `SSCARD_BENCH_ROWS` (default 1,000,000);
//! PostgreSQL runs when `SSCARD_TEST_PG_URL` names a server (a fresh database is created for each measurement).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use sscard_app::import::{import_csv, ImportKind};
use sscard_domain::registry::{InsuranceType, InsuredPerson, Membership};
use sscard_domain::values::{Gender, IdNumber, Mobile, PersonName};
use sscard_testkit::{context, fixed_clock, fixtures::REGISTRY_HEADER, TestDb};

fn generate(n: usize) -> (Vec<InsuredPerson>, String) {
    let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    let start = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap();
    let divisions = ["110101", "110102", "110105", "110106", "110108", "110114"];
    let mut rows = Vec::with_capacity(n);
    let mut csv = String::with_capacity(n * 220);
    csv.push_str(REGISTRY_HEADER);
    csv.push('\n');
    for i in 0..n {
        let birth = start + chrono::Duration::days((i / 6000) as i64);
        let div = divisions[(i / 1000) % divisions.len()];
        let id = IdNumber::compose(div, birth, (i % 1000) as u16, today).unwrap();
        let gender = id.gender();
        let mobile = Mobile::parse(&format!("138{:08}", i % 100_000_000)).unwrap();
        let p = InsuredPerson {
            id_number: id.clone(),
            name: PersonName::parse(["王伟", "李秀英", "张磊", "刘洋", "陈静"][i % 5]).unwrap(),
            gender,
            nationality: "CHN".into(),
            ethnicity: Some("01".into()),
            id_valid_from: NaiveDate::from_ymd_opt(2015, 3, 1).unwrap(),
            id_valid_until: Some(NaiveDate::from_ymd_opt(2035, 3, 1).unwrap()),
            address: format!("北京市朝阳区建国路{}号院{}号楼", i % 300, i % 20),
            residence_district: Some("110105".into()),
            mobile: Some(mobile.clone()),
            occupation: Some("4".into()),
            insurance: vec![InsuranceType::Pension, InsuranceType::Medical],
            membership: Membership::Individual,
            legacy_cards: vec![],
        };
        writeln!(
            csv,
            "{id},{},{},{},CHN,01,2015-03-01,2035-03-01,{},110105,{mobile},4,pension;medical,individual,,,,",
            p.name,
            if gender == Gender::Male { "male" } else { "female" },
            id.birth_date(),
            p.address
        )
        .unwrap();
        rows.push(p);
    }
    (rows, csv)
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn main() {
    let n: usize = std::env::var("SSCARD_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (rows, csv) = generate(n);
    println!(
        "registry import benchmark: {n} rows ({} MB of CSV)",
        csv.len() / 1_000_000
    );
    println!("| engine | baseline | baseline rows/s | sscard import rows/s | ratio | target |");
    println!("|---|---|---|---|---|---|");
    let engines = std::env::var("SSCARD_BENCH_ENGINES").unwrap_or_else(|_| "sqlite,postgres".into());
    rt.block_on(async {
        if engines.contains("sqlite") {
            let base_db = TestDb::sqlite().await;
            let store = sscard_storage::sqlite::SqliteStore::connect(&base_db.url)
                .await
                .unwrap();
            let t = Instant::now();
            sscard_storage::bench_support::sqlite_prepared_insert(store.pool(), &rows)
                .await
                .unwrap();
            let base = rate(n, t.elapsed());
            let ours = sscard_import(TestDb::sqlite().await, &csv, n).await;
            print_row("SQLite", "one-transaction prepared INSERT", base, ours);
        }
        if engines.contains("postgres") {
            if let Some(base_db) = TestDb::postgres().await {
                let store = sscard_storage::postgres::PgStore::connect(&base_db.url).await.unwrap();
                let text = sscard_storage::bench_support::copy_text(&rows);
                let t = Instant::now();
                sscard_storage::bench_support::pg_copy(store.pool(), &text)
                    .await
                    .unwrap();
                let base = rate(n, t.elapsed());
                let ours = sscard_import(TestDb::postgres().await.unwrap(), &csv, n).await;
                print_row("PostgreSQL", "COPY FROM STDIN", base, ours);
            }
        }
    });
}

/// Rows/s of the whole import use case into the fresh database `db`.
async fn sscard_import(db: TestDb, csv: &str, n: usize) -> f64 {
    let ctx = context(db.store().await, fixed_clock());
    let t = Instant::now();
    let report = import_csv(&ctx, ImportKind::Registry, csv.as_bytes()).await.unwrap();
    let ours = rate(n, t.elapsed());
    assert_eq!(report.accepted as usize, n);
    ours
}

fn print_row(engine: &str, baseline: &str, base: f64, ours: f64) {
    println!(
        "| {engine} | {baseline} | {base:.0} | {ours:.0} | {:.0}% | ≥ 50% |",
        ours / base * 100.0
    );
}
