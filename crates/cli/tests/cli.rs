//! The `sscard` binary as a user runs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::time::Duration;

use sscard_testkit::fixtures::{csv, id, individual_row, REGISTRY_HEADER};
use sscard_testkit::TestDb;

fn sscard() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sscard"));
    c.env_remove("DATABASE_URL").env("SSCARD_LOG", "warn");
    c
}

async fn urls() -> Vec<(TestDb, String)> {
    let mut out = vec![];
    let sqlite = TestDb::sqlite().await;
    let u = sqlite.url.clone();
    out.push((sqlite, u));
    if let Some(pg) = TestDb::postgres().await {
        let u = pg.url.clone();
        out.push((pg, u));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_reports_each_bad_row_and_stores_only_good_ones() {
    for (_db, url) in urls().await {
        let dir = tempfile::tempdir().unwrap();
        let good = id(1990, 3, 7, 11);
        let other = id(1991, 4, 8, 22);
        let rows = vec![
            individual_row(&good, "张三"),
            individual_row(&other, "李四").replace(",CHN,", ",ZZZ,"),
            "110105199002301234,王五,male,1990-02-30,CHN,01,2015-03-01,,地址,110105,,,,individual,,,,".to_string(),
        ];
        let file = dir.path().join("registry.csv");
        std::fs::write(&file, csv(REGISTRY_HEADER, &rows)).unwrap();
        let out = sscard()
            .env("DATABASE_URL", &url)
            .args(["import", "registry"])
            .arg(&file)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(2),
            "rejected rows make the exit status 2: {stdout}"
        );
        assert!(stdout.contains("1 rows accepted, 2 rows rejected"), "{stdout}");
        assert!(
            stdout.contains("row 3: nationality — unknown nationality code \"ZZZ\""),
            "{stdout}"
        );
        assert!(
            stdout.contains("row 4: id_number — the ID number's date of birth 19900230 is not a real date"),
            "{stdout}"
        );

        let out = sscard()
            .env("DATABASE_URL", &url)
            .args(["import", "registry", "--json"])
            .arg(&file)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["accepted"], 1, "re-import updates the good row");
        let store = sscard_storage::connect(&url).await.unwrap();
        assert_eq!(
            store.count_persons().await.unwrap(),
            1,
            "no duplicate, no bad row stored"
        );
    }
}

#[test]
fn a_missing_file_or_column_is_an_error_that_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let out = sscard()
        .env("DATABASE_URL", &url)
        .args(["import", "entities", "/no/such.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open /no/such.csv"));
    let file = dir.path().join("e.csv");
    std::fs::write(&file, "uscc,name\n91350100M000100Y43,x\n").unwrap();
    let out = sscard()
        .env("DATABASE_URL", &url)
        .args(["import", "entities"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("lacks the column(s) [\"address\", \"district\"]"));
}

#[test]
fn openapi_subcommand_prints_the_document() {
    let out = sscard().arg("openapi").output().unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/api/v1/reference/branches"]["get"].is_object());
}

/// The README's run command: the binary starts on the embedded default with demo data and nothing else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_on_an_empty_data_dir_starts_with_demo_data() {
    for (_db, url) in urls().await {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = sscard();
        cmd.env("SSCARD_DATA_DIR", dir.path())
            .env("SSCARD_LISTEN", format!("127.0.0.1:{port}"));
        if url.starts_with("postgres") {
            cmd.env("DATABASE_URL", &url);
        }
        let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let client = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let mut ready = false;
        for _ in 0..150 {
            if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
                if r.status() == 200 {
                    ready = true;
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "the server did not become ready");
        let html = client
            .get(format!("{base}/branches?district=110105"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("id=\"demo-banner\""));
        assert!(
            html.contains("共 15 个网点"),
            "demo data has a branch of every bank in every district"
        );
        if url.starts_with("sqlite") {
            assert!(
                dir.path().join("sscard.db").exists(),
                "the default database lives in the data directory"
            );
        }
        // SIGTERM: graceful shutdown, exit status 0.
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let status = child.wait().unwrap();
        assert!(status.success(), "{status:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_mode_refuses_a_database_holding_demo_data() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let out = sscard().env("DATABASE_URL", &url).arg("seed-demo").output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("DEMO DATA"));
    // Every category and every age band is in the demo registry.
    let categories = stdout.lines().find(|l| l.starts_with("registry by category:")).unwrap();
    for c in ["employee", "individual", "resident_minor", "retiree"] {
        assert!(categories.contains(&format!("\"{c}\"")), "{categories}");
    }
    let ages = stdout.lines().find(|l| l.starts_with("registry by age:")).unwrap();
    let counts: Vec<u32> = ages
        .split(", ")
        .map(|part| part.rsplit(": ").next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(counts.len(), 4, "{ages}");
    assert!(counts.iter().all(|n| *n > 0), "an age band is empty: {ages}");
    assert!(
        stdout.contains("Branches: 240 rows"),
        "a branch of each of the 15 banks in each of the 16 districts"
    );
    assert!(
        stdout.contains("DEMO ACCOUNTS") && stdout.contains("demo-bank-system"),
        "{stdout}"
    );
    let out = production(&url).arg("serve").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds demo data"));
}

/// A production configuration with every external system given (addresses need not answer to be accepted).
fn production(url: &str) -> std::process::Command {
    let mut c = sscard();
    c.env("DATABASE_URL", url)
        .env("SSCARD_MODE", "production")
        .env("SSCARD_LISTEN", "127.0.0.1:0")
        .env("SSCARD_PUBLIC_URL", "https://sscard.example.gov.cn")
        .env("SSCARD_FACE_VERIFIER_URL", "https://face.example.gov.cn/")
        .env("SSCARD_SMS_GATEWAY_URL", "https://sms.example.gov.cn/");
    c
}

#[test]
fn production_refuses_to_start_with_a_test_double() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/t.db", dir.path().display());
    for (missing, message) in [
        ("SSCARD_FACE_VERIFIER_URL", "SSCARD_FACE_VERIFIER_URL"),
        ("SSCARD_SMS_GATEWAY_URL", "SSCARD_SMS_GATEWAY_URL"),
    ] {
        let out = production(&url).env_remove(missing).arg("serve").output().unwrap();
        assert!(!out.status.success(), "started without {missing}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{stderr}");
    }
    let out = production(&url)
        .env("SSCARD_PUBLIC_URL", "http://plain.example")
        .arg("serve")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("https://"));
    // Refused before the database is touched.
    assert!(!dir.path().join("t.db").exists());
}

#[test]
fn admin_creates_staff_and_clients_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let out = sscard()
        .env("DATABASE_URL", &url)
        .args([
            "account",
            "--role",
            "hotline_agent",
            "--username",
            "agent7",
            "--display-name",
            "Agent 7",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("created hotline_agent account"), "{stdout}");
    assert!(stdout.contains("password (shown once): "), "{stdout}");
    // The same username again is refused and changes nothing.
    let again = sscard()
        .env("DATABASE_URL", &url)
        .env("SSCARD_NEW_PASSWORD", "another1pass")
        .args([
            "account",
            "--role",
            "admin",
            "--username",
            "agent7",
            "--display-name",
            "X",
        ])
        .output()
        .unwrap();
    assert!(!again.status.success());
    // A clerk needs a branch of a real bank.
    let clerk = sscard()
        .env("DATABASE_URL", &url)
        .args([
            "account",
            "--role",
            "bank_clerk",
            "--username",
            "clerk9",
            "--display-name",
            "C",
            "--bank",
            "102",
            "--branch",
            "nope",
        ])
        .output()
        .unwrap();
    assert!(!clerk.status.success());
    assert!(String::from_utf8_lossy(&clerk.stderr).contains("unknown branch"));
    let client = sscard()
        .env("DATABASE_URL", &url)
        .args([
            "client",
            "--client-id",
            "jt-prod",
            "--name",
            "Jingtong",
            "--channel",
            "jingtong",
        ])
        .output()
        .unwrap();
    assert!(client.status.success());
    assert!(String::from_utf8_lossy(&client.stdout).contains("secret (shown once): "));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `sscard serve` in demo mode on `url`, its data in `dir`, on a free port; the child and its base URL.
fn serve_demo(url: &str, dir: &std::path::Path) -> (std::process::Child, String) {
    let port = free_port();
    let child = sscard()
        .env("DATABASE_URL", url)
        .env("SSCARD_DATA_DIR", dir)
        .env("SSCARD_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, format!("http://127.0.0.1:{port}"))
}

/// Waits for `/readyz` to answer 200; `false` after 30 s.
async fn ready(base: &str) -> bool {
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                return true;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

fn stop(child: std::process::Child) -> String {
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The demo set is whole: seven accounts and five card holders, four API clients, a card in each state of its
/// social-security function, and the flag that says it is done.
async fn demo_is_whole(url: &str) {
    let store = sscard_storage::connect(url).await.unwrap();
    assert_eq!(store.count_accounts().await.unwrap(), 12);
    let mut states = Vec::new();
    for n in ["BJDEMO0001", "BJDEMO0002", "BJDEMO0003", "BJDEMO0004", "BJDEMO0005"] {
        let card = store
            .card(n)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no demo card {n}"));
        states.push(card.social_security.as_str());
    }
    assert_eq!(
        states,
        vec!["pending_activation", "active", "temp_loss", "formal_loss", "cancelled"]
    );
    for id in ["demo-jingtong", "demo-minsheng", "demo-wechat", "demo-console"] {
        assert!(store.client(id).await.unwrap().is_some(), "{id}");
    }
    assert_eq!(
        store
            .setting(sscard_app::ports::SETTING_DEMO_DATA)
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
}

// Three instances started at once on an empty database (a deployment's first rollout): the migrations and
// the demo load run under one lock, so all three come up and the demo set is loaded once, whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_first_starting_at_once_all_come_up() {
    for (_db, url) in urls().await {
        let dir = tempfile::tempdir().unwrap();
        let started: Vec<_> = (0..3).map(|_| serve_demo(&url, dir.path())).collect();
        for (_, base) in &started {
            assert!(ready(base).await, "{url}: an instance did not come up");
        }
        for (child, _) in started {
            let stderr = stop(child);
            assert!(!stderr.contains("duplicate key"), "{stderr}");
        }
        demo_is_whole(&url).await;
        let persons = sscard_storage::connect(&url)
            .await
            .unwrap()
            .count_persons()
            .await
            .unwrap();
        let out = sscard().env("DATABASE_URL", &url).arg("seed-demo").output().unwrap();
        assert!(out.status.success());
        assert_eq!(
            sscard_storage::connect(&url)
                .await
                .unwrap()
                .count_persons()
                .await
                .unwrap(),
            persons,
            "loaded once: loading again adds nobody"
        );
    }
}

// A first start that stopped half-way through the demo load (killed, disk full) left the flag "seeding":
// the next start finishes the load instead of serving half a demo; production refuses such a database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_load_cut_short_is_finished_at_the_next_start() {
    for (_db, url) in urls().await {
        let dir = tempfile::tempdir().unwrap();
        let out = sscard().env("DATABASE_URL", &url).arg("seed-demo").output().unwrap();
        assert!(out.status.success());
        // What a load cut short after the registry leaves behind.
        let store = sscard_storage::connect(&url).await.unwrap();
        store
            .set_setting(sscard_app::ports::SETTING_DEMO_DATA, "seeding")
            .await
            .unwrap();
        match url.starts_with("sqlite") {
            true => {
                let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
                sqlx::query("DELETE FROM api_clients").execute(&pool).await.unwrap();
            }
            false => {
                let pool = sqlx::PgPool::connect(&url).await.unwrap();
                sqlx::query("DELETE FROM api_clients").execute(&pool).await.unwrap();
            }
        }
        let out = production(&url).arg("serve").output().unwrap();
        assert!(!out.status.success(), "production serves half a demo set");
        assert!(String::from_utf8_lossy(&out.stderr).contains("holds demo data"));
        let (child, base) = serve_demo(&url, dir.path());
        assert!(ready(&base).await, "{url}");
        stop(child);
        demo_is_whole(&url).await;
    }
}

// Start errors name the file or the host and the cause, never a password; an unreachable PostgreSQL is
// waited for (here: not at all) and then named.
#[test]
fn start_errors_name_the_place_and_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir").join("sscard.db");
    let out = sscard()
        .env("DATABASE_URL", format!("sqlite://{}", missing.display()))
        .arg("migrate")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&missing.display().to_string()) && stderr.contains("does not exist"),
        "{stderr}"
    );
    let not_a_db = dir.path().join("notes.db");
    std::fs::write(&not_a_db, "these are my notes, not a database ".repeat(200)).unwrap();
    let out = sscard()
        .env("DATABASE_URL", format!("sqlite://{}", not_a_db.display()))
        .arg("migrate")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("notes.db") && stderr.contains("not a SQLite database"),
        "{stderr}"
    );
    let out = sscard()
        .env("DATABASE_URL", "postgres://sscard:hunter2secret@127.0.0.1:1/sscard")
        .env("SSCARD_DB_START_WAIT_SECS", "0")
        .arg("migrate")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("127.0.0.1:1") && stderr.contains("refused"), "{stderr}");
    assert!(!stderr.contains("hunter2secret"), "the password leaked: {stderr}");
}

// Two imports of the same new rows at once: one may be refused with a clear word, neither fails with a raw
// duplicate-key error, and every row is stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_imports_at_once_are_serialised_or_refused_clearly() {
    for (_db, url) in urls().await {
        let dir = tempfile::tempdir().unwrap();
        let rows: Vec<String> = (0..3000u32)
            .map(|i| {
                let person = id(1960 + (i % 40) as i32, 1 + i % 12, 1 + i % 28, 100 + (i % 800) as u16);
                individual_row(&person, "张三")
            })
            .collect();
        let mut unique = rows.clone();
        unique.sort();
        unique.dedup_by(|a, b| a[..18] == b[..18]);
        let file = dir.path().join("registry.csv");
        std::fs::write(&file, csv(REGISTRY_HEADER, &unique)).unwrap();
        let spawn = || {
            sscard()
                .env("DATABASE_URL", &url)
                .args(["import", "registry"])
                .arg(&file)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        for child in [a, b] {
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("duplicate key"), "{stderr}");
            if !out.status.success() {
                assert!(stderr.contains("another import is running"), "{url}: {stderr}");
            }
        }
        let store = sscard_storage::connect(&url).await.unwrap();
        assert_eq!(store.count_persons().await.unwrap(), unique.len() as u64);
    }
}
