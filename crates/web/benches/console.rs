//! The bureau's console on PostgreSQL against baselines in the same run (issue 20):
//!
//! - **report**: `GET /api/v1/admin/reports/applications?by=route` over a year holding `SSCARD_BENCH_APPS`
//!   submitted applications (default 1,000,000), against the bare `GROUP BY` of the same rows (day and route,
//!   `COUNT(*)`, no period, no HTTP): target ≥ 50% of its speed. The use case alone is shown too.
//! - **import**: `SSCARD_BENCH_ROWS` registry rows (default 1,000,000) uploaded through the console's browser
//!   form (`POST /admin/imports/upload`, multipart, streamed to disk) and imported by the background job to its
//!   end, against `sscard import registry FILE` (the same use case on the same file) into a fresh database:
//!   target ≥ 80%.
//!
//! `SSCARD_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p sscard-web --bench console`
//! (`SSCARD_BENCH_ROUNDS`, default 3: the median of each is reported).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use sscard_app::import::{import_csv, ImportKind};
use sscard_app::ports::{NewAccount, SessionKind, SessionRecord};
use sscard_domain::access::Channel;
use sscard_domain::account::{AccountKind, Username};
use sscard_domain::values::{IdNumber, Mobile};
use sscard_testkit::fixtures::REGISTRY_HEADER;
use sscard_testkit::TestDb;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// An administrator with a session that is both a bearer token and a cookie (same secret).
async fn admin(ctx: &sscard_app::AppContext) -> (String, String) {
    let now = ctx.clock.now();
    let account = ctx
        .store
        .create_account(
            &NewAccount {
                id: "bench-admin".into(),
                kind: AccountKind::Admin,
                username: Some(Username::parse("benchadmin").unwrap()),
                mobile: None,
                display_name: "bench".into(),
                password_hash: None,
                created_at: now,
            },
            None,
        )
        .await
        .unwrap()
        .unwrap();
    let mut secrets = Vec::new();
    for (kind, secret) in [
        (SessionKind::Bearer, "bench-admin-token"),
        (SessionKind::Cookie, "bench-admin-cookie"),
    ] {
        ctx.store
            .create_session(
                &SessionRecord {
                    id: sscard_app::secrets::sha256_hex(&[secret]),
                    account: Some(account.id.clone()),
                    kind,
                    channel: Channel::Web,
                    client_id: None,
                    csrf: "bench-csrf".into(),
                    created_at: now,
                    expires_at: now + chrono::Duration::days(1),
                    ip: None,
                    user_agent: None,
                },
                None,
            )
            .await
            .unwrap();
        secrets.push(secret.to_string());
    }
    (secrets[0].clone(), secrets[1].clone())
}

/// A bearer-authenticated GET answered with JSON.
async fn get_json(http: &reqwest::Client, url: impl reqwest::IntoUrl, token: &str) -> serde_json::Value {
    http.get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn serve(ctx: &sscard_app::AppContext) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = sscard_web::server::build_state(ctx.clone(), sscard_web::WebConfig::default(), Vec::new()).unwrap();
    tokio::spawn(sscard_web::serve(listener, state, std::future::pending()));
    base
}

async fn report(n: usize, rounds: usize) {
    let db = TestDb::postgres().await.expect("SSCARD_TEST_PG_URL");
    let (pg, ctx) = sscard_testkit::bench_context(&db).await;
    let pool = pg.pool().clone();
    let (token, _) = admin(&ctx).await;
    let today = ctx.clock.today();
    let start = today - chrono::Duration::days(365);
    let start_ms = start
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_local_timezone(*ctx.clock.now().offset())
        .unwrap()
        .timestamp_millis();
    let t = Instant::now();
    sqlx::query(
        "INSERT INTO applications (id, reference, person_id, applicant, route, channel, state, bank, branch, \
         residence_district, created_ms, updated_ms, submitted_ms, due_on, open_person) \
         SELECT 'a' || g, 'R' || g, 'P' || g, 'bench-admin', (ARRAY['personal', 'retiree'])[1 + g % 2], \
                (ARRAY['web', 'jingtong', 'minsheng', 'wechat_official', 'district_outlet'])[1 + g % 5], \
                'submitted', '102', '102-0101', (ARRAY['110101', '110105', '110108'])[1 + g % 3], \
                $1 + (g % 366) * 86400000 + (g % 86400) * 1000, $1, $1 + (g % 366) * 86400000 + (g % 86400) * 1000, \
                $2::date + 30, 'P' || g \
         FROM generate_series(1, $3::bigint) g",
    )
    .bind(start_ms)
    .bind(start)
    .bind(i64::try_from(n).unwrap())
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("VACUUM ANALYZE applications").execute(&pool).await.unwrap();
    println!(
        "report: {n} applications over 366 days written in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let base = serve(&ctx).await;
    let http = reqwest::Client::new();
    let url = format!("{base}/api/v1/admin/reports/applications?from={start}&to={today}&by=route");
    let bare = "SELECT (submitted_ms + 28800000) / 86400000 AS day, route, COUNT(*) FROM applications \
                GROUP BY day, route";
    let (mut baseline, mut api, mut use_case) = (Vec::new(), Vec::new(), Vec::new());
    let period = sscard_app::reports::Period { from: start, to: today };
    for _ in 0..rounds {
        let t = Instant::now();
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(bare).fetch_all(&pool).await.unwrap();
        baseline.push(t.elapsed());
        assert_eq!(rows.iter().map(|r| r.2).sum::<i64>(), i64::try_from(n).unwrap());
        let t = Instant::now();
        let r = sscard_app::reports::applications_per_day(&ctx, period, sscard_app::ports::Breakdown::Route)
            .await
            .unwrap();
        use_case.push(t.elapsed());
        assert_eq!(r.total, n as u64);
        let t = Instant::now();
        let v = get_json(&http, &url, &token).await;
        api.push(t.elapsed());
        assert_eq!(v["total"].as_u64(), Some(n as u64), "{v}");
    }
    let (b, u, a) = (median(baseline), median(use_case), median(api));
    println!("| measure | median of {rounds} | speed against the bare GROUP BY | target |");
    println!("|---|---|---|---|");
    println!(
        "| bare `GROUP BY` of day and route | {:.0} ms | 100% | |",
        b.as_secs_f64() * 1e3
    );
    println!(
        "| report use case (`reports::applications_per_day`) | {:.0} ms | {:.0}% | |",
        u.as_secs_f64() * 1e3,
        100.0 * b.as_secs_f64() / u.as_secs_f64()
    );
    let ratio = 100.0 * b.as_secs_f64() / a.as_secs_f64();
    println!(
        "| `GET /api/v1/admin/reports/applications` (366 days, JSON) | {:.0} ms | {ratio:.0}% | ≥ 50% {} |",
        a.as_secs_f64() * 1e3,
        if ratio >= 50.0 { "✔" } else { "✘" }
    );
}

/// `n` registry rows as CSV (individuals across six districts and eighty years of birth dates).
fn registry_csv(n: usize) -> String {
    let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    let first = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap();
    let divisions = ["110101", "110102", "110105", "110106", "110108", "110114"];
    let mut csv = String::with_capacity(n * 200);
    csv.push_str(REGISTRY_HEADER);
    csv.push('\n');
    for i in 0..n {
        let birth = first + chrono::Duration::days((i / 6000) as i64);
        let id = IdNumber::compose(divisions[(i / 1000) % 6], birth, (i % 1000) as u16, today).unwrap();
        let gender = if id.gender() == sscard_domain::values::Gender::Male {
            "male"
        } else {
            "female"
        };
        let mobile = Mobile::parse(&format!("138{:08}", i % 100_000_000)).unwrap();
        writeln!(
            csv,
            "{id},{},{gender},{},CHN,01,2015-03-01,2035-03-01,北京市朝阳区建国路{}号院,110105,{mobile},4,pension;medical,individual,,,,",
            ["王伟", "李秀英", "张磊", "刘洋", "陈静"][i % 5],
            id.birth_date(),
            i % 300,
        )
        .unwrap();
    }
    csv
}

async fn import(n: usize, rounds: usize) {
    let csv = registry_csv(n);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.csv");
    std::fs::File::create(&path).unwrap().write_all(csv.as_bytes()).unwrap();
    println!("import: {n} registry rows ({} MB of CSV)", csv.len() / 1_000_000);
    drop(csv);
    let (mut cli, mut upload, mut spooled) = (Vec::new(), Vec::new(), Vec::new());
    // Each measurement starts after a checkpoint: the previous one's writes are not left for it to pay.
    let server = sqlx::PgPool::connect(&sscard_testkit::pg_available().unwrap())
        .await
        .unwrap();
    let checkpoint = || async { sqlx::query("CHECKPOINT").execute(&server).await.unwrap() };
    for round in 0..rounds {
        // `sscard import registry FILE`: the use case reading the file, into a fresh database. The two take
        // turns at going first.
        if round % 2 == 1 {
            let (u, s) = upload_once(&path, n, &checkpoint).await;
            upload.push(u);
            spooled.push(s);
        }
        let db = TestDb::postgres().await.unwrap();
        let (_pg, ctx) = sscard_testkit::bench_context(&db).await;
        checkpoint().await;
        let t = Instant::now();
        let file = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
        let r = import_csv(&ctx, ImportKind::Registry, file).await.unwrap();
        cli.push(t.elapsed());
        assert_eq!((r.accepted, r.rejected), (n as u64, 0));

        if round % 2 == 0 {
            let (u, s) = upload_once(&path, n, &checkpoint).await;
            upload.push(u);
            spooled.push(s);
        }
    }
    let (c, u, sp) = (median(cli), median(upload), median(spooled));
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    let ratio = 100.0 * c.as_secs_f64() / u.as_secs_f64();
    println!("| measure | median of {rounds} | rows/s | speed against `sscard import` | target |");
    println!("|---|---|---|---|---|");
    println!(
        "| `sscard import registry FILE` | {:.1} s | {:.0} | 100% | |",
        c.as_secs_f64(),
        rate(c)
    );
    println!(
        "| browser upload (multipart) and the background job to its end | {:.1} s | {:.0} | {ratio:.0}% | ≥ 80% {} |",
        u.as_secs_f64(),
        rate(u),
        if ratio >= 80.0 { "✔" } else { "✘" }
    );
    println!(
        "| of which the upload, until answered (spooled, job started) | {:.1} s | | | |",
        sp.as_secs_f64()
    );
}

/// One upload through the browser's form and its job to the end: the whole time, and the time until the upload
/// was answered (the file spooled to disk and the job started).
async fn upload_once<F, Fut>(path: &std::path::Path, n: usize, checkpoint: &F) -> (Duration, Duration)
where
    F: Fn() -> Fut,
    Fut: std::future::Future,
{
    let db = TestDb::postgres().await.unwrap();
    let (_pg, ctx) = sscard_testkit::bench_context(&db).await;
    let (token, cookie) = admin(&ctx).await;
    let base = serve(&ctx).await;
    let http = reqwest::Client::new();
    // The browser has the file at hand; what is measured is the platform's side: the request, the spool to
    // disk, and the job.
    let bytes = std::fs::read(path).unwrap();
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name("registry.csv")
        .mime_str("text/csv")
        .unwrap();
    checkpoint().await;
    let t = Instant::now();
    let form = reqwest::multipart::Form::new()
        .text("csrf", "bench-csrf")
        .text("kind", "registry")
        .part("file", part);
    let r = http
        .post(format!("{base}/admin/imports/upload"))
        .header("cookie", format!("{}={cookie}", sscard_web::access::SESSION_COOKIE))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection() || r.status().is_success(), "{}", r.status());
    let spooled = t.elapsed();
    let jobs = get_json(&http, format!("{base}/api/v1/admin/imports"), &token).await;
    let job = jobs.as_array().unwrap()[0].clone();
    let url = format!("{base}/api/v1/admin/imports/registry/{}", job["id"].as_str().unwrap());
    let done = loop {
        let v = get_json(&http, &url, &token).await;
        if v["state"] != "running" {
            break v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let whole = t.elapsed();
    assert_eq!(done["state"], "finished", "{done}");
    assert_eq!(done["accepted"].as_u64(), Some(n as u64), "{done}");
    (whole, spooled)
}

fn main() {
    if sscard_testkit::pg_available().is_none() {
        println!("console benchmark: set SSCARD_TEST_PG_URL (PostgreSQL only)");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let rounds = env("SSCARD_BENCH_ROUNDS", 3);
    let only = std::env::var("SSCARD_BENCH_ONLY").unwrap_or_default();
    if only.is_empty() || only == "report" {
        rt.block_on(report(env("SSCARD_BENCH_APPS", 1_000_000), rounds));
    }
    if only.is_empty() || only == "import" {
        rt.block_on(import(env("SSCARD_BENCH_ROWS", 1_000_000), rounds));
    }
}
