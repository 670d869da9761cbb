//! Logging in through an external identity provider: a real OpenID Connect provider (panva/oidc-provider on
//! Node.js) started by the test, the authorisation code flow with PKCE end to end, person and entity
//! assertions mapped to accounts. Skips loudly without Node.js and the provider package, unless
//! `SSCARD_REQUIRE_OIDC=1` (CI, after `npm ci`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use crate::common::world;
use crate::common::Server;
use serde_json::json;
use sscard_gateways::oidc::{Asserts, OidcProvider, ProviderConfig};
use sscard_testkit::TestDb;

struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn provider_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../gateways/tests/oidc-provider")
}

fn start_provider(redirects: &[String], accounts: serde_json::Value) -> Option<Provider> {
    let dir = provider_dir();
    let installed = dir.join("node_modules/oidc-provider").exists();
    let node = Command::new("node").arg("--version").output().is_ok();
    if !(installed && node) {
        if std::env::var("SSCARD_REQUIRE_OIDC").is_ok_and(|v| v == "1") {
            panic!(
                "SSCARD_REQUIRE_OIDC=1 but the test provider is not installed (npm ci --prefix {})",
                dir.display()
            );
        }
        eprintln!(
            "SKIPPED: OpenID Connect test (needs node and `npm ci --prefix {}`)",
            dir.display()
        );
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new("node")
        .arg(dir.join("provider.mjs"))
        .env("PORT", port.to_string())
        .env("CLIENT_ID", "sscard-test")
        .env("CLIENT_SECRET", "sscard-test-secret-that-is-long-enough")
        .env("REDIRECT_URIS", redirects.join(","))
        .env("ACCOUNTS", accounts.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(line.contains("listening"), "provider did not start: {line}");
    // Keep reading its output, or it dies of a broken pipe at its next message.
    std::thread::spawn(move || {
        let mut sink = String::new();
        while out.read_line(&mut sink).is_ok_and(|n| n > 0) {
            sink.clear();
        }
    });
    Some(Provider {
        child,
        issuer: format!("http://127.0.0.1:{port}"),
    })
}

fn config(id: &str, issuer: &str, asserts: Asserts) -> ProviderConfig {
    serde_json::from_value(json!({
        "id": id, "name_zh": format!("测试{id}"), "name_en": format!("Test {id}"), "issuer": issuer,
        "client_id": "sscard-test", "client_secret": "sscard-test-secret-that-is-long-enough",
        "asserts": asserts,
    }))
    .unwrap()
}

/// Runs the browser's part: start at our login link, log in at the provider as `sub`, come back.
async fn log_in_as(base: &str, provider: &str, sub: &str) -> (reqwest::StatusCode, String, String) {
    let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let r = browser
        .get(format!("{base}/login/oidc/{provider}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the provider's login page");
    let login_page = r.url().to_string();
    assert!(login_page.contains("/interaction/"), "{login_page}");
    let r = browser
        .post(format!("{login_page}/login"))
        .form(&[("sub", sub)])
        .send()
        .await
        .unwrap();
    let status = r.status();
    let url = r.url().to_string();
    (status, url, r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_and_entities_log_in_through_a_real_openid_provider() {
    let db = TestDb::sqlite().await;
    let (ctx, clock) = Server::context(&db).await;
    let w = world::seed(&ctx).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let redirects = vec![
        format!("{base}/login/oidc/gov/callback"),
        format!("{base}/login/oidc/corp/callback"),
    ];
    let stranger = sscard_testkit::fixtures::id(1988, 8, 8, 88);
    let accounts = json!({
        "person-1": {"name": w.victim.1, "id_number": w.victim.0.as_str()},
        "stranger": {"name": "路人甲", "id_number": stranger.as_str()},
        "corp-1": {"name": "测试单位", "uscc": w.entity},
        "corp-unknown": {"name": "未登记单位", "uscc": sscard_testkit::fixtures::uscc(7)},
    });
    let Some(idp) = start_provider(&redirects, accounts) else {
        return;
    };
    let providers = vec![
        Arc::new(OidcProvider::new(config("gov", &idp.issuer, Asserts::Person), &redirects[0]).unwrap()),
        Arc::new(OidcProvider::new(config("corp", &idp.issuer, Asserts::Entity), &redirects[1]).unwrap()),
    ];
    let s = Server::launch(listener, db, ctx, clock, sscard_web::WebConfig::default(), providers);

    // A person the registry knows: logged in, real-name bound at once.
    let (status, url, page) = log_in_as(&s.base, "gov", "person-1").await;
    assert_eq!(status, 200, "{url}: {page}");
    assert!(url.ends_with("/account"), "{url}");
    assert!(page.contains("id=\"real-name-status\">已认证"), "{page}");
    let a = s
        .ctx
        .store
        .account_for_external("gov", "person-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.id_number.as_ref(), Some(&w.victim.0));
    // The second time, the same account.
    log_in_as(&s.base, "gov", "person-1").await;
    assert_eq!(
        s.ctx
            .store
            .account_for_external("gov", "person-1")
            .await
            .unwrap()
            .unwrap()
            .id,
        a.id
    );

    // A person the registry does not know: logged in, but not authenticated (may not apply).
    let (_, url, page) = log_in_as(&s.base, "gov", "stranger").await;
    assert!(url.ends_with("/account"), "{url}");
    assert!(page.contains("id=\"real-name-link\""), "{page}");

    // A registered entity: a handler account bound to its USCC, landing on the employer's dashboard.
    let (_, url, page) = log_in_as(&s.base, "corp", "corp-1").await;
    assert!(url.ends_with("/entity"), "{url}: {page}");
    assert!(page.contains("测试单位"), "{page}");
    let handlers = s
        .ctx
        .store
        .entity_handlers(&sscard_domain::values::Uscc::parse(&w.entity).unwrap())
        .await
        .unwrap();
    // Several handlers per entity: the one made by the admin, and this one.
    assert_eq!(handlers.len(), 2);
    let linked = s
        .ctx
        .store
        .account_for_external("corp", "corp-1")
        .await
        .unwrap()
        .unwrap();
    assert!(handlers.iter().any(|h| h.id == linked.id));
    // An entity the bureau does not know is refused.
    let (status, _, page) = log_in_as(&s.base, "corp", "corp-unknown").await;
    assert_eq!(status, 400);
    assert!(page.contains("尚未在社保局的参保单位名录中登记"), "{page}");

    // A callback with a state nobody issued (or replayed) is refused.
    let r = reqwest::get(format!("{}/login/oidc/gov/callback?code=abc&state=forged", s.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // The login page offers each provider.
    let page = reqwest::get(format!("{}/login", s.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"oidc-gov\"") && page.contains("id=\"oidc-corp\""));
}
