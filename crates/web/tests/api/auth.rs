//! Logging in through the API, on both databases: lockout, one-time captchas and SMS codes, quotas,
//! registration, tokens and their revocation, real-name authentication against an HTTP face verifier.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use crate::common::world::{self, As, PASSWORD};
use crate::common::Server;
use reqwest::Method;
use serde_json::{json, Value};
use sscard_domain::access::Role;
use sscard_gateways::sms::FileSmsSender;
use sscard_testkit::doubles::{png_photo, TestServer, FACE_KEY, NO_MATCH_MARKER};
use sscard_testkit::{both_engines, TestDb, TEST_CAPTCHA};
use sscard_web::Mode;

async fn audit_count(s: &Server) -> usize {
    s.ctx.store.recent_audit(None, 10_000).await.unwrap().len()
}

both_engines!(
    the_sixth_wrong_password_locks_even_the_right_one,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let api = world::api(&s.base);
        for i in 0..5 {
            let (st, v) = api.login("resident1", "wrong1pass").await;
            assert_eq!(st, 401, "attempt {i}: {v}");
            assert_eq!(v["code"], "invalid_credentials");
            assert_eq!(v["errors"][0]["field"], "password");
        }
        // Inside the window the right password is refused too, with the time to try again.
        let (st, v) = api.login("resident1", PASSWORD).await;
        assert_eq!(st, 429, "{v}");
        assert_eq!(v["code"], "locked");
        assert!(v["detail"].as_str().unwrap().contains("2026-11-21 10:15"), "{v}");
        // Other accounts are not locked by it.
        assert_eq!(api.login("resident2", PASSWORD).await.0, 200);
        // After the lockout, the right password works, and resets the count.
        s.clock.advance(chrono::Duration::minutes(16));
        let (st, v) = api.login("resident1", PASSWORD).await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["token_type"], "Bearer");
        assert_eq!(v["account"]["channel"], "jingtong", "the client's channel");
        // Every attempt was audited, the refused ones as failures.
        let log = s.ctx.store.recent_audit(None, 100).await.unwrap();
        use sscard_domain::audit::{AuditAction, Outcome};
        assert_eq!(
            log.iter()
                .filter(|e| e.action == AuditAction::LoginFailed && e.outcome == Outcome::Failure)
                .count(),
            5
        );
        assert_eq!(
            log.iter()
                .filter(|e| e.action == AuditAction::LoginFailed && e.outcome == Outcome::Refused)
                .count(),
            1
        );
        // Unknown accounts and wrong passwords look the same.
        let (st, v) = api.login("nosuchuser", PASSWORD).await;
        assert_eq!((st, v["code"].as_str()), (401, Some("invalid_credentials")));
    }
);

/// A server behind a trusted proxy (the loopback address), so a test can speak from several addresses.
async fn behind_proxy(db: TestDb) -> Server {
    Server::start_with(
        db,
        sscard_web::WebConfig {
            trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
            ..sscard_web::WebConfig::default()
        },
    )
    .await
}

// Five wrong passwords from one address lock the account at that address only: its owner, elsewhere, logs in.
// The refusal says when to come back (Retry-After).
both_engines!(
    a_strangers_wrong_passwords_lock_only_the_stranger,
    |db: TestDb| async move {
        let s = behind_proxy(db).await;
        world::seed(&s.ctx).await;
        let stranger = world::api_from(&s.base, "198.51.100.66");
        let owner = world::api_from(&s.base, "203.0.113.7");
        for _ in 0..5 {
            assert_eq!(stranger.login("resident1", "wrong1pass").await.0, 401);
        }
        let c = stranger.captcha().await;
        let r = stranger
            .http
            .post(stranger.url("/api/v1/auth/login"))
            .basic_auth(world::CLIENT_ID, Some(world::CLIENT_SECRET))
            .json(&json!({"login": "resident1", "password": PASSWORD, "captcha_id": c, "captcha": TEST_CAPTCHA}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 429);
        let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((14 * 60..=15 * 60).contains(&retry), "Retry-After {retry}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], "locked");
        // The owner, from their own address, is not locked out by the stranger.
        let (st, v) = owner.login("resident1", PASSWORD).await;
        assert_eq!(st, 200, "{v}");
        // The slower account-wide limit: thirty failures an hour from any addresses stop every address.
        for i in 0..25 {
            let from = world::api_from(&s.base, &format!("192.0.2.{}", i + 1));
            assert_eq!(from.login("resident1", "wrong1pass").await.0, 401, "failure {i}");
        }
        let (st, v) = owner.login("resident1", PASSWORD).await;
        assert_eq!((st, v["code"].as_str()), (429, Some("locked")), "{v}");
    }
);

// Twenty wrong passwords at once for one account from one address: at most five are even checked, however
// the requests interleave (each is counted before it is judged).
both_engines!(
    a_burst_of_wrong_passwords_gets_no_more_than_five_tries,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let api = world::api(&s.base);
        let mut captchas = Vec::new();
        for _ in 0..20 {
            captchas.push(api.captcha().await);
        }
        let tries = captchas
            .iter()
            .map(|c| api.login_raw("resident1", "wrong1pass", c, TEST_CAPTCHA));
        let answers = futures::future::join_all(tries).await;
        let checked = answers.iter().filter(|(st, _)| *st == 401).count();
        let refused = answers.iter().filter(|(st, _)| *st == 429).count();
        assert_eq!(checked + refused, 20, "{answers:?}");
        assert!(checked <= 5, "{checked} wrong passwords were checked");
    }
);

// A channel client's secret ships inside a public mini-program: five wrong secrets from one address lock
// nothing: the right secret keeps working, from that address and every other. So does a bank system's.
both_engines!(wrong_machine_secrets_lock_nobody_out, |db: TestDb| async move {
    let s = behind_proxy(db).await;
    world::seed(&s.ctx).await;
    let attacker = world::api_from(&s.base, "198.51.100.66");
    let app = world::api_from(&s.base, "203.0.113.7");
    for _ in 0..5 {
        let r = attacker
            .http
            .post(attacker.url("/api/v1/auth/captchas"))
            .basic_auth(world::CLIENT_ID, Some("not-the-secret"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let r = attacker
            .http
            .post(attacker.url("/api/v1/auth/token"))
            .basic_auth("banksystem1", Some("not-the-secret"))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    app.captcha().await;
    attacker.captcha().await;
    assert!(app.token(As::Role(Role::BankSystem)).await.is_some());
    assert!(attacker.token(As::Role(Role::BankSystem)).await.is_some());
    // Nothing was counted against anyone.
    let counted = s
        .ctx
        .store
        .events_since(
            "login_account:client:test-jingtong",
            s.ctx.clock.now() - chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    assert!(counted.is_empty());
});

both_engines!(failures_from_one_address_lock_that_address, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    world::seed(&s.ctx).await;
    let api = world::api(&s.base);
    // Twenty wrong logins from one address, each naming another account (password spraying)…
    for i in 0..20 {
        assert_eq!(api.login(&format!("sprayed{i}"), "wrong1pass").await.0, 401);
    }
    // …and the address is locked, for every account, right password or not.
    let (st, v) = api.login("resident2", PASSWORD).await;
    assert_eq!((st, v["code"].as_str()), (429, Some("locked")), "{v}");
    s.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(api.login("resident2", PASSWORD).await.0, 200);
});

both_engines!(captchas_cannot_be_replayed_or_skipped, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    world::seed(&s.ctx).await;
    let api = world::api(&s.base);
    let c = api.captcha().await;
    assert_eq!(api.login_raw("resident1", PASSWORD, &c, TEST_CAPTCHA).await.0, 200);
    let (st, v) = api.login_raw("resident1", PASSWORD, &c, TEST_CAPTCHA).await;
    assert_eq!(
        (st, v["code"].as_str()),
        (400, Some("captcha_wrong")),
        "replayed captcha"
    );
    // A wrong answer spends the captcha too: the right answer afterwards is refused.
    let c = api.captcha().await;
    assert_eq!(
        api.login_raw("resident1", PASSWORD, &c, "AAAA").await.1["code"],
        "captcha_wrong"
    );
    assert_eq!(
        api.login_raw("resident1", PASSWORD, &c, TEST_CAPTCHA).await.1["code"],
        "captcha_wrong"
    );
    // Expired.
    let c = api.captcha().await;
    s.clock.advance(chrono::Duration::minutes(6));
    assert_eq!(
        api.login_raw("resident1", PASSWORD, &c, TEST_CAPTCHA).await.1["code"],
        "captcha_wrong"
    );
    // Case-insensitive, and no password check happens without a captcha.
    let c = api.captcha().await;
    assert_eq!(
        api.login_raw("resident1", PASSWORD, &c, &TEST_CAPTCHA.to_lowercase())
            .await
            .0,
        200
    );
    let (st, v) = api
        .login_raw("resident1", PASSWORD, "no-such-captcha", TEST_CAPTCHA)
        .await;
    assert_eq!((st, v["code"].as_str()), (400, Some("captcha_wrong")));
    // A client with a wrong secret gets nothing at all.
    let r = api
        .http
        .post(api.url("/api/v1/auth/captchas"))
        .basic_auth(world::CLIENT_ID, Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
});

/// Delivers the outbox to a file and returns the newest code sent to `mobile`.
async fn last_code(s: &Server, sink: &FileSmsSender, mobile: &str) -> String {
    sscard_app::sms::deliver_due(&s.ctx, sink).await.unwrap();
    let lines = sink.read_all().await.unwrap();
    let line = lines
        .iter()
        .rev()
        .find(|l| l.mobile == mobile)
        .expect("a message to this number");
    assert!(
        !sscard_domain::audit::contains_link(&line.text),
        "no links in messages: {}",
        line.text
    );
    line.text.chars().filter(|c| c.is_ascii_digit()).take(6).collect()
}

both_engines!(sms_codes_log_in_once_and_are_rate_limited, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    world::seed(&s.ctx).await;
    let api = world::api(&s.base);
    let dir = tempfile::tempdir().unwrap();
    let sink = FileSmsSender::new(dir.path().join("sms.jsonl"));
    let mobile = "13800000100"; // resident1's
    let send = |api: &world::Api| {
        let api = world::api(&api.base);
        async move {
            let c = api.captcha().await;
            api.post_client(
                "/api/v1/auth/sms-codes",
                json!({"mobile": mobile, "captcha_id": c, "captcha": TEST_CAPTCHA}),
            )
            .await
        }
    };
    assert_eq!(send(&api).await.0, 202);
    let code = last_code(&s, &sink, mobile).await;
    assert_eq!(code.len(), 6);
    let login = |code: String| {
        let api = &api;
        async move {
            api.post_client("/api/v1/auth/sms-login", json!({"mobile": mobile, "code": code}))
                .await
        }
    };
    let (st, v) = login(code.clone()).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["account"]["username"], "resident1");
    let (st, v) = login(code.clone()).await;
    assert_eq!((st, v["code"].as_str()), (400, Some("code_wrong")), "replayed code");

    // Three wrong tries burn a code: the right one is refused afterwards.
    assert_eq!(send(&api).await.0, 202);
    let code = last_code(&s, &sink, mobile).await;
    for _ in 0..3 {
        assert_eq!(login("000000".into()).await.1["code"], "code_wrong");
    }
    assert_eq!(login(code).await.1["code"], "code_wrong");

    // Five codes per number per hour; the sixth is refused with the time to try again, and sends nothing.
    for _ in 0..3 {
        assert_eq!(send(&api).await.0, 202);
    }
    let pending = s.ctx.store.pending_sms().await.unwrap();
    let (st, v) = send(&api).await;
    assert_eq!((st, v["code"].as_str()), (429, Some("rate_limited")), "{v}");
    assert_eq!(s.ctx.store.pending_sms().await.unwrap(), pending, "nothing queued");
    // A number nobody uses gets a code too (no account enumeration), but cannot log in with it.
    let other = "13912345678";
    let c = api.captcha().await;
    let (st, _) = api
        .post_client(
            "/api/v1/auth/sms-codes",
            json!({"mobile": other, "captcha_id": c, "captcha": TEST_CAPTCHA}),
        )
        .await;
    assert_eq!(st, 202);
    let code = last_code(&s, &sink, other).await;
    let (st, v) = api
        .post_client("/api/v1/auth/sms-login", json!({"mobile": other, "code": code}))
        .await;
    assert_eq!((st, v["code"].as_str()), (404, Some("no_account_for_mobile")));
    // A malformed number is a field error.
    let c = api.captcha().await;
    let (st, v) = api
        .post_client(
            "/api/v1/auth/sms-codes",
            json!({"mobile": "12345", "captcha_id": c, "captcha": TEST_CAPTCHA}),
        )
        .await;
    assert_eq!(st, 422);
    assert_eq!(v["errors"][0]["field"], "mobile");
});

both_engines!(registration_needs_a_code_and_a_good_password, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    world::seed(&s.ctx).await;
    let api = world::api(&s.base);
    let dir = tempfile::tempdir().unwrap();
    let sink = FileSmsSender::new(dir.path().join("sms.jsonl"));
    let mobile = "13700000007";
    let c = api.captcha().await;
    api.post_client(
        "/api/v1/auth/sms-codes",
        json!({"mobile": mobile, "captcha_id": c, "captcha": TEST_CAPTCHA}),
    )
    .await;
    let code = last_code(&s, &sink, mobile).await;
    let before = s.ctx.store.count_accounts().await.unwrap();
    // A weak password is refused before the code is spent, and creates nothing.
    let (st, v) = api
        .post_client(
            "/api/v1/auth/register",
            json!({"mobile": mobile, "code": code, "password": "onlyletters"}),
        )
        .await;
    assert_eq!(st, 422, "{v}");
    assert_eq!(v["errors"][0]["code"], "password_weak");
    let (st, v) = api
        .post_client(
            "/api/v1/auth/register",
            json!({"mobile": mobile, "code": code, "password": "new1pass99", "username": "resident1"}),
        )
        .await;
    assert_eq!((st, v["code"].as_str()), (409, Some("username_taken")), "{v}");
    assert_eq!(s.ctx.store.count_accounts().await.unwrap(), before);
    // The code was spent by that attempt: ask for another.
    let c = api.captcha().await;
    api.post_client(
        "/api/v1/auth/sms-codes",
        json!({"mobile": mobile, "captcha_id": c, "captcha": TEST_CAPTCHA}),
    )
    .await;
    let code = last_code(&s, &sink, mobile).await;
    let (st, v) = api
        .post_client(
            "/api/v1/auth/register",
            json!({"mobile": mobile, "code": code, "password": "new1pass99"}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["account"]["real_name_verified"], false);
    assert_eq!(v["account"]["mobile"], "137****0007");
    assert_eq!(s.ctx.store.count_accounts().await.unwrap(), before + 1);
    // The new account logs in by mobile and password.
    assert_eq!(api.login(mobile, "new1pass99").await.0, 200);
});

both_engines!(tokens_expire_and_are_revoked, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    world::seed(&s.ctx).await;
    let api = world::api(&s.base);
    let a = api.token(As::Resident).await.unwrap();
    let b = api.token(As::Resident).await.unwrap();
    assert_ne!(a, b);
    let (st, body) = api.call(Method::GET, "/api/v1/me/sessions", Some(&a), None).await;
    assert_eq!(st, 200);
    let list: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    assert!(!body.contains(&a) && !body.contains(&b), "tokens are never shown again");
    // Log out one: it stops working, the other does not.
    assert_eq!(
        api.call(Method::POST, "/api/v1/auth/logout", Some(&a), None).await.0,
        204
    );
    assert_eq!(api.call(Method::GET, "/api/v1/me", Some(&a), None).await.0, 401);
    assert_eq!(api.call(Method::GET, "/api/v1/me", Some(&b), None).await.0, 200);
    // Log out everywhere.
    let c = api.token(As::Resident).await.unwrap();
    let (st, body) = api.call(Method::DELETE, "/api/v1/me/sessions", Some(&c), None).await;
    assert_eq!(st, 200);
    assert!(body.contains("\"revoked\":2"), "{body}");
    for t in [&b, &c] {
        assert_eq!(api.call(Method::GET, "/api/v1/me", Some(t), None).await.0, 401);
    }
    // A token expires after two hours; a bank system's after one.
    let d = api.token(As::Resident).await.unwrap();
    let bank = api.token(As::Role(Role::BankSystem)).await.unwrap();
    s.clock.advance(chrono::Duration::minutes(61));
    assert_eq!(api.call(Method::GET, "/api/v1/me", Some(&d), None).await.0, 200);
    assert_eq!(api.call(Method::GET, "/api/v1/me", Some(&bank), None).await.0, 401);
    s.clock.advance(chrono::Duration::minutes(60));
    assert_eq!(api.call(Method::GET, "/api/v1/me", Some(&d), None).await.0, 401);
    // A bank system with a wrong secret, or a resident using the bank door, gets no token.
    let r = api
        .http
        .post(api.url("/api/v1/auth/token"))
        .basic_auth("resident1", Some(PASSWORD))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = api
        .http
        .post(api.url("/api/v1/auth/token"))
        .basic_auth("banksystem1", Some(PASSWORD))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
});

/// A server whose face check is the HTTP test verifier.
async fn with_verifier(db: TestDb) -> (Server, TestServer) {
    let verifier = TestServer::face_verifier().await;
    let (mut ctx, clock) = Server::context(&db).await;
    ctx.face =
        Arc::new(sscard_gateways::face::HttpFaceVerifier::new(&verifier.url, Some(FACE_KEY.to_string())).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let s = Server::launch(listener, db, ctx, clock, sscard_web::WebConfig::default(), Vec::new());
    (s, verifier)
}

both_engines!(
    real_name_authentication_against_the_registry_and_the_verifier,
    |db: TestDb| async move {
        let (s, verifier) = with_verifier(db).await;
        let w = world::seed(&s.ctx).await;
        let api = world::api(&s.base);
        // resident2 is not authenticated: they log in, and may authenticate as the victim's... no: as themselves.
        let t = api.token(As::UnverifiedResident).await.unwrap();
        let real_name = |name: &str, id: &str, photo: Vec<u8>| {
            use base64::Engine as _;
            json!({"name": name, "id_number": id, "photo": base64::engine::general_purpose::STANDARD.encode(photo)})
        };
        let post = |body: Value| {
            let api = &api;
            let t = t.clone();
            async move {
                let (st, text) = api
                    .call(Method::POST, "/api/v1/me/real-name", Some(&t), Some(body))
                    .await;
                (st, serde_json::from_str::<Value>(&text).unwrap())
            }
        };
        let victim = w.victim.0.as_str();
        let audits = audit_count(&s).await;
        // A name that does not match the registry: refused before the verifier is asked.
        let (st, v) = post(real_name("别人", victim, png_photo(b""))).await;
        assert_eq!((st, v["code"].as_str()), (422, Some("no_registry_match")), "{v}");
        assert!(verifier.requests().is_empty());
        // Not a picture: refused whatever it claims to be.
        let (st, v) = post(real_name(&w.victim.1, victim, b"GIF89a not really".to_vec())).await;
        assert_eq!((st, v["errors"][0]["code"].as_str()), (422, Some("photo_type")));
        // Malformed ID number: a field error.
        let (st, v) = post(real_name(&w.victim.1, "11010519700809022", png_photo(b""))).await;
        assert_eq!((st, v["errors"][0]["field"].as_str()), (422, Some("id_number")));
        // The face does not match.
        let (st, v) = post(real_name(&w.victim.1, victim, png_photo(NO_MATCH_MARKER))).await;
        assert_eq!((st, v["code"].as_str()), (422, Some("face_mismatch")), "{v}");
        // The verifier is down: the service says so, and nothing changes.
        verifier.fail_with(503);
        let (st, v) = post(real_name(&w.victim.1, victim, png_photo(b""))).await;
        assert_eq!((st, v["code"].as_str()), (503, Some("verifier_unavailable")), "{v}");
        verifier.fail_with(0);
        let me = api.call(Method::GET, "/api/v1/me", Some(&t), None).await.1;
        assert!(me.contains("\"real_name_verified\":false"), "{me}");
        assert!(audit_count(&s).await > audits, "refusals are audited");
        // Five attempts a day (three so far; input errors do not count): the sixth is refused by the quota.
        for _ in 0..2 {
            assert_eq!(
                post(real_name("别人", victim, png_photo(b""))).await.1["code"],
                "no_registry_match"
            );
        }
        let (st, v) = post(real_name(&w.victim.1, victim, png_photo(b""))).await;
        assert_eq!((st, v["code"].as_str()), (429, Some("rate_limited")), "{v}");
        s.clock.advance(chrono::Duration::hours(25));
        let t2 = api.token(As::UnverifiedResident).await.unwrap();
        let (st, text) = api
            .call(
                Method::POST,
                "/api/v1/me/real-name",
                Some(&t2),
                Some(real_name(&w.victim.1, victim, png_photo(b""))),
            )
            .await;
        assert_eq!(st, 200, "{text}");
        assert!(text.contains("\"real_name_verified\":true"));
        let sent = verifier.requests();
        let last = sent.last().unwrap();
        assert_eq!(last["id_number"], victim);
        assert_eq!(last["photo"]["media_type"], "image/png");
        // The same ID number cannot be authenticated on a second account.
        let t3 = api.token(As::Resident).await.unwrap();
        let (st, text) = api
            .call(
                Method::POST,
                "/api/v1/me/real-name",
                Some(&t3),
                Some(real_name(&w.victim.1, victim, png_photo(b""))),
            )
            .await;
        assert_eq!(st, 409, "{text}");
        assert!(
            text.contains("already_verified"),
            "resident1 is already authenticated: {text}"
        );
    }
);

both_engines!(
    staff_reads_appear_in_the_residents_access_log,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        let api = world::api(&s.base);
        let me = api.token(As::Resident).await.unwrap();
        let (_, log) = api.call(Method::GET, "/api/v1/me/access-log", Some(&me), None).await;
        assert_eq!(log, "[]");
        // Reading one's own record leaves no entry; staff reads do, with role, outlet and purpose.
        api.call(Method::GET, &format!("/api/v1/persons/{}", w.me.0), Some(&me), None)
            .await;
        let clerk = api.token(As::Role(Role::OutletClerk)).await.unwrap();
        let (st, _) = api
            .call(
                Method::GET,
                &format!("/api/v1/persons/{}?purpose=counter_service", w.me.0),
                Some(&clerk),
                None,
            )
            .await;
        assert_eq!(st, 200);
        let hotline = api.token(As::Role(Role::HotlineAgent)).await.unwrap();
        api.call(
            Method::GET,
            &format!("/api/v1/persons/{}?purpose=hotline_enquiry", w.me.0),
            Some(&hotline),
            None,
        )
        .await;
        // A read of someone else does not show in my log.
        api.call(
            Method::GET,
            &format!("/api/v1/persons/{}?purpose=counter_service", w.victim.0),
            Some(&clerk),
            None,
        )
        .await;
        let (st, log) = api.call(Method::GET, "/api/v1/me/access-log", Some(&me), None).await;
        assert_eq!(st, 200);
        let log: Vec<Value> = serde_json::from_str(&log).unwrap();
        assert_eq!(log.len(), 2, "{log:?}");
        assert_eq!(log[0]["role"], "hotline_agent");
        assert_eq!(log[0]["purpose"], "hotline_enquiry");
        assert_eq!(log[0]["channel"], "hotline");
        assert_eq!(log[1]["role"], "outlet_clerk");
        assert_eq!(log[1]["organisation"], world::OUTLET);
        assert_eq!(log[1]["channel"], "district_outlet");
        // The admin sees the audit log, ID numbers masked.
        let admin = api.token(As::Role(Role::Admin)).await.unwrap();
        let (st, audit) = api
            .call(Method::GET, "/api/v1/admin/audit?limit=50", Some(&admin), None)
            .await;
        assert_eq!(st, 200);
        assert!(
            audit.contains("person_read") && !audit.contains(w.me.0.as_str()),
            "{audit}"
        );
    }
);

both_engines!(the_admin_creates_staff_within_reference_data, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    world::seed(&s.ctx).await;
    let api = world::api(&s.base);
    let admin = api.token(As::Role(Role::Admin)).await.unwrap();
    let before = s.ctx.store.count_accounts().await.unwrap();
    let create = |body: Value| {
        let api = &api;
        let admin = admin.clone();
        async move {
            let (st, text) = api
                .call(Method::POST, "/api/v1/admin/accounts", Some(&admin), Some(body))
                .await;
            (st, serde_json::from_str::<Value>(&text).unwrap())
        }
    };
    let clerk = |branch: &str| {
        json!({"role": "bank_clerk", "username": "newclerk", "display_name": "N", "password": "clerk1pass",
               "bank": "102", "branch": branch})
    };
    // A branch of another bank, a weak password, a resident: refused, nothing stored.
    let (st, v) = create(clerk("105-0105")).await;
    assert_eq!((st, v["code"].as_str()), (422, Some("unknown_branch")), "{v}");
    let mut weak = clerk("102-0105");
    weak["password"] = json!("short");
    assert_eq!(create(weak).await.1["errors"][0]["code"], "password_length");
    let (st, _) =
        create(json!({"role": "resident", "username": "r9", "display_name": "R", "password": "abc12345"})).await;
    assert_eq!(st, 422);
    let (st, v) = create(
        json!({"role": "outlet_clerk", "username": "oc9", "display_name": "O", "password": "abc12345",
                                 "outlet": "NOPE"}),
    )
    .await;
    assert_eq!((st, v["code"].as_str()), (422, Some("unknown_outlet")));
    assert_eq!(s.ctx.store.count_accounts().await.unwrap(), before);
    // A good one, then the same username again.
    let (st, v) = create(clerk("102-0105")).await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(
        (v["bank"].as_str(), v["branch"].as_str(), v["channel"].as_str()),
        (Some("102"), Some("102-0105"), Some("bank_outlet"))
    );
    let (st, v) = create(clerk("102-0105")).await;
    assert_eq!((st, v["code"].as_str()), (409, Some("username_taken")));
    // The new clerk logs in through the staff door; clients too are made by the admin only.
    assert_eq!(api.login("newclerk", "clerk1pass").await.0, 200);
    let (st, text) = api
        .call(
            Method::POST,
            "/api/v1/admin/clients",
            Some(&admin),
            Some(json!({"client_id": "mp-1", "name": "M", "channel": "minsheng"})),
        )
        .await;
    assert_eq!(st, 201, "{text}");
    let secret = serde_json::from_str::<Value>(&text).unwrap()["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let r = api
        .http
        .post(api.url("/api/v1/auth/captchas"))
        .basic_auth("mp-1", Some(&secret))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let (st, _) = api
        .call(
            Method::POST,
            "/api/v1/admin/clients",
            Some(&admin),
            Some(json!({"client_id": "x", "name": "M", "channel": "hotline"})),
        )
        .await;
    assert_eq!(st, 422);
});
