//! The API and portal over real HTTP, on both databases.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{client, json, page, Server};
use serde_json::Value;
use sscard_testkit::{both_engines, TestDb};
use sscard_web::Mode;

async fn problem(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    (status, res.json().await.unwrap())
}

async fn raw_request(base: &str, head: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut sock = tokio::net::TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap();
    sock.write_all(head.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), sock.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

both_engines!(health_readiness_and_metrics, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let c = client();
    let h: Value = json(&c, s.url("/healthz")).await;
    assert_eq!(h["status"], "ok");
    let r = c.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r: Value = r.json().await.unwrap();
    assert_eq!(r["status"], "ready");
    assert!(r["database"] == "sqlite" || r["database"] == "postgres");
    let m = page(&c, s.url("/metrics"), None).await;
    assert!(m.contains("sscard_http_requests_total"), "{m}");
    assert!(m.contains("route=\"/readyz\""));
    s.stop().await.unwrap();
});

both_engines!(reference_tables, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let c = client();
    for (path, n) in [
        ("/api/v1/reference/districts", 16),
        ("/api/v1/reference/ethnic-groups", 56),
        ("/api/v1/reference/occupations", 11),
        ("/api/v1/reference/guardian-relationships", 10),
        ("/api/v1/reference/banks", 15),
        ("/api/v1/reference/branches", 3),
        ("/api/v1/reference/outlets", 0),
    ] {
        let v: Value = json(&c, s.url(path)).await;
        assert_eq!(v["items"].as_array().unwrap().len(), n, "{path}");
    }
    let v: Value = json(&c, s.url("/api/v1/reference/nationalities")).await;
    assert!(v["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["code"] == "CHN" && n["name_zh"] == "中国"));
    let v: Value = json(&c, s.url("/api/v1/reference/districts")).await;
    assert_eq!(v["items"][2]["code"], "110105");
    assert_eq!(v["items"][2]["postal_code"], "100020");
});

both_engines!(branches_filter_by_bank_and_district, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let c = client();
    let get = |q: &'static str| {
        let c = c.clone();
        let url = s.url(&format!("/api/v1/reference/branches{q}"));
        async move { c.get(url).send().await.unwrap() }
    };
    let v: Value = get("?bank=102").await.json().await.unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
    let v: Value = get("?bank=102&district=110105").await.json().await.unwrap();
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["code"], "102-0105");
    let v: Value = get("?district=110105&accepts_pickup=false").await.json().await.unwrap();
    assert_eq!(v["items"][0]["code"], "105-0105");

    let (status, p) = problem(get("?bank=999").await).await;
    assert_eq!(status, 422);
    assert_eq!(p["code"], "unknown_bank");
    assert_eq!(p["type"], "urn:sscard:problem:unknown_bank");
    assert_eq!(p["errors"][0]["field"], "bank");
    assert_eq!(p["instance"], "/api/v1/reference/branches");
    let (status, p) = problem(get("?district=110103").await).await;
    assert_eq!(
        (status, p["code"].as_str().unwrap()),
        (422, "unknown_district"),
        "崇文区 no longer exists"
    );
    let (status, p) = problem(get("?accepts_pickup=maybe").await).await;
    assert_eq!((status, p["code"].as_str().unwrap()), (400, "invalid_query"));
    assert_eq!(p["errors"][0]["field"], "accepts_pickup");
    assert_eq!(p["errors"][0]["code"], "invalid_value");
    assert_eq!(
        p["detail"], "查询参数 accepts_pickup 的取值无效。",
        "no English parser prose in a Chinese answer"
    );
});

both_engines!(
    errors_are_problem_documents_in_the_callers_language,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let c = client();
        let (status, zh) = problem(c.get(s.url("/api/v1/nothing-here")).send().await.unwrap()).await;
        assert_eq!(status, 404);
        assert_eq!(zh["code"], "not_found");
        assert_eq!(zh["title"], "未找到");
        assert!(zh["request_id"].as_str().is_some_and(|r| !r.is_empty()));
        let res = c
            .get(s.url("/api/v1/nothing-here"))
            .header("accept-language", "en-GB,en;q=0.9")
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["content-language"], "en");
        let (_, en) = problem(res).await;
        assert_eq!(en["title"], "Not found");
        assert_eq!(en["code"], zh["code"], "the code is stable across languages");

        let (status, p) = problem(c.delete(s.url("/api/v1/reference/banks")).send().await.unwrap()).await;
        assert_eq!((status, p["code"].as_str().unwrap()), (405, "method_not_allowed"));

        // A declared body over the limit is refused before it is read (raw HTTP: a client would still be sending it).
        let raw = raw_request(&s.base, &format!(
        "POST /api/v1/reference/banks HTTP/1.1\r\nHost: x\r\nAccept-Language: en\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        sscard_web::DEFAULT_BODY_LIMIT + 1
    )).await;
        assert!(raw.starts_with("HTTP/1.1 413"), "{raw}");
        assert!(
            raw.contains("application/problem+json") && raw.contains("\"code\":\"payload_too_large\""),
            "{raw}"
        );
        assert!(
            raw.contains(&format!("{} bytes", sscard_web::DEFAULT_BODY_LIMIT)),
            "{raw}"
        );
    }
);

both_engines!(request_ids_and_security_headers, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let c = client();
    let res = c
        .get(s.url("/healthz"))
        .header("x-request-id", "test-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "test-123");
    let res = c.get(s.url("/")).send().await.unwrap();
    assert!(res.headers().contains_key("x-request-id"));
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert!(res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'self'"));
});

both_engines!(openapi_document_lists_every_api_route, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let c = client();
    let doc: Value = json(&c, s.url("/api/v1/openapi.json")).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/healthz",
        "/readyz",
        "/api/v1/openapi.json",
        "/api/v1/reference/branches",
        "/api/v1/reference/outlets",
    ] {
        assert!(paths.contains_key(p), "{p} missing from the document");
    }
    // Every documented GET answers (none is a stale entry), and every operation documents its responses and
    // has an operation id of its own (clients generate one function per id).
    let mut ids = std::collections::BTreeMap::new();
    for (path, item) in paths {
        let ops = item.as_object().unwrap();
        assert!(!ops.is_empty());
        for (method, op) in ops {
            if let Some(id) = op["operationId"].as_str() {
                let here = format!("{method} {path}");
                if let Some(before) = ids.insert(id.to_string(), here.clone()) {
                    panic!("operation id {id} is used by {before} and {here}");
                }
            }
            let documented = op["responses"].as_object().unwrap();
            assert!(
                documented.keys().any(|k| k.starts_with('2')),
                "{method} {path} documents no success"
            );
        }
        let Some(op) = ops.get("get") else { continue };
        if path.contains('{') {
            continue;
        }
        // Public GETs answer 200; the others ask for a login (the role×route test covers them fully).
        let res = c.get(s.url(path)).send().await.unwrap();
        let secured = op.get("security").is_some();
        assert_eq!(res.status(), if secured { 401 } else { 200 }, "{path}");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
});

both_engines!(portal_pages_languages_and_elderly_mode, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let c = client();
    let res = c.get(s.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-language"], "zh-CN");
    let html = res.text().await.unwrap();
    assert!(html.contains("<html lang=\"zh-CN\">"));
    assert!(html.contains("北京市社会保障卡服务平台"));
    assert!(html.contains("id=\"demo-banner\""), "demo mode says so on every page");
    assert!(!html.contains("class=\"elder\""));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no asset from another host"
    );

    let html = page(&c, s.url("/"), Some("lang=en; elder=1")).await;
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Beijing Social Security Card Service"));
    assert!(html.contains("class=\"elder\""));

    let res = c
        .get(s.url("/preferences?lang=en&next=/branches"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/branches");
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("lang=en;") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    for evil in ["//evil.example/", "https://evil.example/", "/\\evil.example"] {
        let res = c
            .get(s.url("/preferences"))
            .query(&[("lang", "en"), ("next", evil)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["location"], "/", "{evil}");
    }

    let css = c.get(s.url("/assets/app.css")).send().await.unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert!(css.text().await.unwrap().contains("body.elder"));

    let res = c.get(s.url("/no-such-page")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("页面不存在"));
});

both_engines!(portal_branch_finder_filters, |db: TestDb| async move {
    let s = Server::start(db, Mode::Production).await;
    let c = client();
    let html = page(&c, s.url("/branches?district=110105"), None).await;
    assert!(html.contains("工商银行朝阳支行") && html.contains("建设银行朝阳支行"));
    assert!(!html.contains("工商银行东城支行"));
    assert!(
        html.contains("<td data-label=\"银行\">建设银行</td>"),
        "each cell carries its column label for the narrow-screen layout"
    );
    assert!(html.contains("共 2 个网点"));
    assert!(
        !html.contains("id=\"demo-banner\""),
        "production without demo data shows no banner"
    );
    let html = page(&c, s.url("/branches?district=110105&bank=105"), Some("lang=en")).await;
    assert!(
        html.contains("1 branch<") && html.contains("China Construction Bank"),
        "singular for one"
    );
    // A hand-edited unknown code is ignored, not an error page.
    let res = c.get(s.url("/branches?district=999999")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    s.ctx
        .store
        .set_setting(sscard_app::ports::SETTING_DEMO_DATA, "true")
        .await
        .unwrap();
    let html = page(&c, s.url("/branches"), None).await;
    assert!(
        html.contains("id=\"demo-banner\""),
        "a database with demo data says so even in production mode"
    );
    let res = c.get(s.url("/preferences?elder=on")).send().await.unwrap();
    assert!(
        res.headers()["set-cookie"].to_str().unwrap().contains("; Secure"),
        "production cookies are Secure"
    );
});

both_engines!(graceful_shutdown_finishes_and_returns, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let c = client();
    assert_eq!(c.get(s.url("/healthz")).send().await.unwrap().status(), 200);
    let base = s.base.clone();
    tokio::time::timeout(std::time::Duration::from_secs(10), s.stop())
        .await
        .expect("the server did not stop within 10 s of the shutdown signal")
        .unwrap();
    assert!(
        c.get(format!("{base}/healthz")).send().await.is_err(),
        "the listener is closed after shutdown"
    );
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_as_a_problem_when_the_database_is_gone() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let admin = sscard_testkit::pg_available().unwrap();
    let name = db.url.rsplit('/').next().unwrap().to_string();
    let s = Server::start(db, Mode::Demo).await;
    let c = client();
    assert_eq!(c.get(s.url("/readyz")).send().await.unwrap().status(), 200);
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await.unwrap();
    sqlx::Executor::execute(&mut conn, format!("DROP DATABASE {name} WITH (FORCE)").as_str())
        .await
        .unwrap();
    let (status, p) = problem(
        c.get(s.url("/readyz"))
            .header("accept-language", "en")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 503);
    assert_eq!(p["code"], "database_unavailable");
    assert_eq!(
        c.get(s.url("/healthz")).send().await.unwrap().status(),
        200,
        "liveness does not depend on the database"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_body_limit_is_the_one_enforced() {
    let config = sscard_web::WebConfig {
        body_limit: 1_000,
        ..sscard_web::WebConfig::default()
    };
    let s = Server::start_with(TestDb::sqlite().await, config).await;
    let head = |len: usize| {
        format!("POST /api/v1/reference/banks HTTP/1.1\r\nHost: x\r\nAccept-Language: en\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n")
    };
    let raw = raw_request(&s.base, &head(1_001)).await;
    assert!(
        raw.starts_with("HTTP/1.1 413") && raw.contains("limit of 1000 bytes"),
        "{raw}"
    );
    // At the limit the body is not refused for its size (the route then answers 405: it takes no POST).
    let raw = raw_request(&s.base, &format!("{}{}", head(1_000), "x".repeat(1_000))).await;
    assert!(raw.starts_with("HTTP/1.1 405"), "{raw}");
}

// The database stops (a crash, a failover): readiness turns red at once, within a load balancer's probe
// timeout, every request that needs the database is refused with a 503 problem and a Retry-After (never a
// lockout), and when the database is back the same server recovers without a restart. A throwaway cluster of
// the test's own: the shared server is never stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_database_fails_fast_and_honestly_then_recovers() {
    let Some(cluster) = sscard_testkit::cluster::ThrowawayCluster::start() else {
        return;
    };
    let options = sscard_storage::ConnectOptions {
        acquire_timeout: std::time::Duration::from_secs(1),
    };
    let (store, lock) = sscard_storage::open(&cluster.url(), options).await.unwrap();
    drop(lock);
    let clock = sscard_testkit::fixed_clock();
    let ctx = sscard_testkit::context(store, clock.clone());
    let secret = "fault-client-secret-0123456789abcdef";
    sscard_app::accounts::create_client(
        &ctx,
        "fault-client",
        "fault",
        sscard_domain::access::Channel::Jingtong,
        Some(secret),
    )
    .await
    .unwrap();
    let s = Server::serve(ctx, clock, sscard_web::WebConfig::default()).await;
    // A probe that gives up after one second.
    let probe = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(1))
        .build()
        .unwrap();
    assert_eq!(probe.get(s.url("/readyz")).send().await.unwrap().status(), 200);
    let captcha = || {
        client()
            .post(s.url("/api/v1/auth/captchas"))
            .basic_auth("fault-client", Some(secret))
            .header("accept-language", "en")
            .send()
    };
    assert_eq!(captcha().await.unwrap().status(), 201);

    cluster.stop();
    // Red within the probe's second, as a problem document with a Retry-After.
    let r = probe
        .get(s.url("/readyz"))
        .send()
        .await
        .expect("/readyz answered within 1 s");
    assert_eq!(r.headers()["retry-after"], "5");
    let (status, p) = problem(r).await;
    assert_eq!((status, p["code"].as_str()), (503, Some("database_unavailable")), "{p}");
    // A request that needs the database: 503, not "locked", and it says when to come back.
    let r = captcha().await.unwrap();
    assert_eq!(r.headers()["retry-after"], "5");
    let (status, p) = problem(r).await;
    assert_eq!((status, p["code"].as_str()), (503, Some("database_unavailable")), "{p}");
    assert_eq!(
        client().get(s.url("/healthz")).send().await.unwrap().status(),
        200,
        "the process itself is alive"
    );

    cluster.start_again();
    let mut recovered = false;
    for _ in 0..50 {
        if probe.get(s.url("/readyz")).send().await.map(|r| r.status()).ok() == Some(reqwest::StatusCode::OK) {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(recovered, "/readyz did not recover after the database came back");
    assert_eq!(captcha().await.unwrap().status(), 201, "the same server serves again");
}
