//! Opening day's credential checks under load (issue 14), against the real `sscard` binary on PostgreSQL,
//! 64 connections, every rate against a baseline measured in the same run:
//!
//! - **token**: `POST /api/v1/auth/token`, a bank system's client credentials (a session and its audit entry
//!   written per request), against `GET /api/v1/reference/banks` (one read) (target ≥ 50%);
//! - **captcha**: `POST /api/v1/auth/captchas` with a channel client's credentials, against the same code
//!   drawing and storing captchas with no credential check, in process (target ≥ 50%);
//! - **wrong secrets**: the same captcha request with a wrong secret (a stranger hammering a public client id):
//!   refused, and nothing is locked for the owner;
//! - the server's **peak RSS** (`VmHWM` of its process) after each phase (target < 300 MB throughout);
//! - **password hashing**, in this process: 64 Argon2id checks at once through the bound the server uses, then
//!   64 at once unbounded as before, each with the process's peak RSS after it.
//!
//! `SSCARD_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p sscard --bench opening`
//! (`SSCARD_BENCH_SECS`, default 8, per phase; `SSCARD_BENCH_CONNECTIONS`, default 64).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sscard_testkit::TestDb;

const BANK_SECRET: &str = "demo-bank-system-secret-not-for-production";
const CLIENT_SECRET: &str = "demo-jingtong-secret-not-for-production";

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `VmHWM` (peak) and `VmRSS` (now) of a process, in MB.
fn rss_mb(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(0.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Runs `make` on `conns` connections for `secs` seconds; requests per second that got `want`.
async fn load<F, Fut>(conns: u64, secs: u64, want: u16, make: F) -> (f64, u64)
where
    F: Fn(reqwest::Client) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send,
{
    let make = Arc::new(make);
    let ok = Arc::new(AtomicU64::new(0));
    let other = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (make, ok, other) = (make.clone(), ok.clone(), other.clone());
        tasks.push(tokio::spawn(async move {
            // One connection per task, kept alive: 64 clients, not 64 × n.
            let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap();
            while Instant::now() < until {
                match make(client.clone()).await {
                    Ok(r) if r.status().as_u16() == want => {
                        let _ = r.bytes().await;
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) => {
                        let _ = r.bytes().await;
                        other.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        other.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let n = ok.load(Ordering::Relaxed);
    (
        n as f64 / started.elapsed().as_secs_f64(),
        other.load(Ordering::Relaxed),
    )
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let Some(db) = TestDb::postgres().await else {
            println!("SKIPPED: set SSCARD_TEST_PG_URL to run the opening-day benchmark");
            return;
        };
        let secs = env("SSCARD_BENCH_SECS", 8);
        let conns = env("SSCARD_BENCH_CONNECTIONS", 64);
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let mut server = Command::new(env!("CARGO_BIN_EXE_sscard"))
            .env("DATABASE_URL", &db.url)
            .env("SSCARD_DATA_DIR", dir.path())
            .env("SSCARD_LISTEN", format!("127.0.0.1:{port}"))
            .env("SSCARD_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = server.id();
        let probe = reqwest::Client::new();
        let mut up = false;
        for _ in 0..600 {
            if probe
                .get(format!("{base}/readyz"))
                .send()
                .await
                .map(|r| r.status() == 200)
                .unwrap_or(false)
            {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(up, "the server did not come up");
        println!("opening-day benchmark: the sscard binary on PostgreSQL, {conns} connections, {secs} s a phase");
        let (hwm, rss) = rss_mb(pid);
        println!("  server after start and demo load: peak {hwm:.0} MB, now {rss:.0} MB");

        let url = base.clone();
        let (banks, _) = load(conns, secs, 200, move |c| {
            c.get(format!("{url}/api/v1/reference/banks")).send()
        })
        .await;
        let (hwm, _) = rss_mb(pid);
        println!("  GET  /api/v1/reference/banks          {banks:>8.0}/s   server peak {hwm:.0} MB");

        let url = base.clone();
        let (token, refused) = load(conns, secs, 200, move |c| {
            c.post(format!("{url}/api/v1/auth/token"))
                .basic_auth("demo-bank-system", Some(BANK_SECRET))
                .form(&[("grant_type", "client_credentials")])
                .send()
        })
        .await;
        let (hwm, _) = rss_mb(pid);
        println!(
            "  POST /api/v1/auth/token (bank system)  {token:>8.0}/s   server peak {hwm:.0} MB   \
             {:.0}% of banks (target ≥ 50%){}",
            100.0 * token / banks,
            if refused > 0 {
                format!(", {refused} not 200")
            } else {
                String::new()
            }
        );

        // The baseline: the same code drawing and storing captchas, no credential check, in this process.
        let store = sscard_storage::connect(&db.url).await.unwrap();
        let ctx = sscard_testkit::context(store, sscard_testkit::fixed_clock());
        let client = ctx.store.client("demo-jingtong").await.unwrap().unwrap();
        let via = Arc::new(sscard_app::auth::Via::Api { client });
        let drawn = Arc::new(AtomicU64::new(0));
        let until = Instant::now() + Duration::from_secs(secs);
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..conns {
            let (ctx, via, drawn) = (ctx.clone(), via.clone(), drawn.clone());
            tasks.push(tokio::spawn(async move {
                while Instant::now() < until {
                    let (_, text) = sscard_app::auth::new_captcha(&ctx, &via).await.unwrap();
                    sscard_web::captcha::draw(text).await.unwrap();
                    drawn.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let baseline = drawn.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
        println!("  captchas drawn and stored, no check, in process {baseline:>8.0}/s");

        let url = base.clone();
        let (captchas, refused) = load(conns, secs, 201, move |c| {
            c.post(format!("{url}/api/v1/auth/captchas"))
                .basic_auth("demo-jingtong", Some(CLIENT_SECRET))
                .send()
        })
        .await;
        let (hwm, _) = rss_mb(pid);
        println!(
            "  POST /api/v1/auth/captchas (client)    {captchas:>8.0}/s   server peak {hwm:.0} MB   \
             {:.0}% of no-check (target ≥ 50%){}",
            100.0 * captchas / baseline,
            if refused > 0 {
                format!(", {refused} not 201")
            } else {
                String::new()
            }
        );

        let url = base.clone();
        let (wrong, _) = load(conns, secs, 401, move |c| {
            c.post(format!("{url}/api/v1/auth/captchas"))
                .basic_auth("demo-jingtong", Some("a-stranger-guessing"))
                .send()
        })
        .await;
        let (hwm, rss) = rss_mb(pid);
        let after = probe
            .post(format!("{base}/api/v1/auth/captchas"))
            .basic_auth("demo-jingtong", Some(CLIENT_SECRET))
            .send()
            .await
            .unwrap()
            .status();
        println!(
            "  wrong client secrets (401)             {wrong:>8.0}/s   server peak {hwm:.0} MB, now {rss:.0} MB; \
             the right secret afterwards: {after}"
        );
        println!(
            "  server peak RSS throughout: {hwm:.0} MB (target < 300 MB): {}",
            if hwm < 300.0 { "met" } else { "NOT met" }
        );
        let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
        let _ = server.wait();

        // Password hashing: 64 logins at once, through the bound, then unbounded as the code used to run them.
        let me = std::process::id();
        let hash = sscard_app::secrets::hash_password("bench1pass").await.unwrap();
        let (before, _) = rss_mb(me);
        let started = Instant::now();
        let checks: Vec<_> = (0..conns)
            .map(|_| {
                let hash = hash.clone();
                tokio::spawn(async move { sscard_app::secrets::verify_password("bench1pass", Some(&hash)).await })
            })
            .collect();
        let mut passed = 0;
        let mut busy = 0;
        for c in checks {
            match c.await.unwrap() {
                Ok(true) => passed += 1,
                Err(sscard_app::secrets::PasswordHashError::Busy { .. }) => busy += 1,
                other => panic!("{other:?}"),
            }
        }
        let took = started.elapsed();
        let (bounded, _) = rss_mb(me);
        println!(
            "  {conns} password checks at once, bounded: {passed} checked, {busy} refused busy (503) in {:.2} s; \
             this process's peak {before:.0} → {bounded:.0} MB",
            took.as_secs_f64()
        );
        let checks: Vec<_> = (0..conns)
            .map(|_| {
                let hash = hash.clone();
                tokio::task::spawn_blocking(move || {
                    use argon2::password_hash::{PasswordHash, PasswordVerifier};
                    let parsed = PasswordHash::new(&hash).unwrap();
                    argon2::Argon2::default()
                        .verify_password(b"bench1pass", &parsed)
                        .is_ok()
                })
            })
            .collect();
        for c in checks {
            assert!(c.await.unwrap());
        }
        let (unbounded, _) = rss_mb(me);
        println!("  {conns} password checks at once, unbounded (as before): this process's peak {unbounded:.0} MB");
    });
}
