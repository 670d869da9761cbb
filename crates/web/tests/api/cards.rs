//! The card's life over the API, on both databases (SPEC §7): the published channel matrix, activation and
//! temporary loss online (once per request key, refused with the right code, the holder texted), the 15-day
//! release to the minute, and the service password (the initial value, five wrong tries across channels lock
//! it, a reset opens it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Duration;
use reqwest::Method;
use serde_json::{json, Value};
use sscard_domain::access::Channel;
use sscard_domain::card::SocialSecurityState as S;
use sscard_domain::clock::Clock;
use sscard_domain::values::IdNumber;
use sscard_testkit::fixtures::id;
use sscard_testkit::{both_engines, images, TestDb, TEST_CAPTCHA};
use sscard_web::Mode;

use crate::common::caller::{field_codes, resident_as, Caller};
use crate::common::world::{self, PASSWORD};
use crate::common::Server;

/// A card for `holder` in the state `ss`, applied for by `applicant` (an account id); its number.
pub(crate) async fn card_of(s: &Server, number: &str, holder: &IdNumber, applicant: &str, ss: S) -> String {
    crate::common::cards::card_in(s, number, holder, applicant, ss).await;
    number.to_string()
}

/// A real-name resident logged in through the default (Jingtong) client.
async fn holder<'a>(s: &'a Server, username: &str, person: &IdNumber) -> Caller<'a> {
    let token = resident_as(s, username, person, "持卡人").await;
    Caller {
        api: world::api(&s.base),
        token,
        _s: s,
    }
}

/// The same resident logged in again (after the clock moved past their token's life).
pub(crate) async fn again<'a>(s: &'a Server, username: &str) -> Caller<'a> {
    let (st, v) = world::api(&s.base).login(username, PASSWORD).await;
    assert_eq!(st, 200, "{v}");
    Caller {
        api: world::api(&s.base),
        token: v["access_token"].as_str().unwrap().to_string(),
        _s: s,
    }
}

pub(crate) async fn post_keyed(c: &Caller<'_>, path: &str, key: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = c
        .api
        .http
        .post(c.api.url(path))
        .bearer_auth(&c.token)
        .header("accept-language", "en")
        .json(&body);
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let r = req.send().await.unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
}

pub(crate) fn codes(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            x.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| x["service"].as_str().unwrap().to_string())
        })
        .collect()
}

both_engines!(
    the_channel_matrix_is_published_from_the_table,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let v = crate::common::json(&crate::common::client(), s.url("/api/v1/reference/services")).await;
        let rows = v.as_array().unwrap();
        assert_eq!(rows.len(), 14 * 7 * 3);
        let cell = |service: &str, channel: &str, acting: &str| {
            rows.iter()
                .find(|r| r["service"] == service && r["channel"] == channel && r["acting"] == acting)
                .unwrap()
                .clone()
        };
        assert_eq!(cell("temporary_loss", "hotline", "self")["allowed"], true);
        assert_eq!(
            cell("temporary_loss", "hotline", "self")["conditions"],
            json!(["service_password"])
        );
        assert_eq!(cell("formal_loss", "web", "self")["allowed"], false);
        assert_eq!(cell("password_reset", "web", "proxy")["allowed"], false);
        assert_eq!(cell("password_change", "web", "proxy")["allowed"], true);
        assert_eq!(
            cell("financial_activation", "bank_outlet", "self")["conditions"],
            json!(["issuing_bank"])
        );
        // Every row comes from the domain's table, nothing more, nothing less.
        let domain = sscard_domain::card::channels::matrix();
        for (row, c) in rows.iter().zip(domain.iter()) {
            assert_eq!(row["service"], c.service.as_str());
            assert_eq!(row["channel"], c.channel.as_str());
            assert_eq!(row["allowed"], c.allowed);
        }
    }
);

both_engines!(
    a_holder_activates_and_reports_a_card_lost_once_per_request,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let person = id(1975, 6, 1, 61);
        let h = holder(&s, "cardholder1", &person).await;
        let number = card_of(&s, "BJC0000001", &person, "acct-cardholder1", S::PendingActivation).await;
        let path = |tail: &str| format!("/api/v1/me/cards/{number}{tail}");

        let (st, v) = h.get(&path("")).await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(
            (v["social_security"].as_str(), v["acting"].as_str()),
            (Some("pending_activation"), Some("self"))
        );
        assert_eq!(v["service_password"], "initial");
        assert!(codes(&v, "available_here").contains(&"activation".to_string()), "{v}");
        let elsewhere = v["elsewhere"].as_array().unwrap();
        let fin = elsewhere
            .iter()
            .find(|e| e["service"] == "financial_activation")
            .unwrap();
        assert_eq!(fin["channels"], json!(["bank_outlet"]));
        let texts = s.ctx.store.pending_sms().await.unwrap();

        // Activation: once per key; the same key answers the same; a new request is refused.
        let (st, v) = post_keyed(&h, &path("/activation"), Some("act-1"), json!({})).await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["social_security"], "active");
        let (st, repeat) = post_keyed(&h, &path("/activation"), Some("act-1"), json!({})).await;
        assert_eq!((st, repeat["social_security"].as_str()), (200, Some("active")));
        assert_eq!(
            repeat["transitions"].as_array().unwrap().len(),
            v["transitions"].as_array().unwrap().len()
        );
        let (st, p) = post_keyed(&h, &path("/activation"), None, json!({})).await;
        assert_eq!((st, p["code"].as_str()), (409, Some("card_already_active")), "{p}");
        assert_eq!(
            s.ctx.store.pending_sms().await.unwrap(),
            texts + 1,
            "one text for one activation"
        );

        // A loss with the reason `other` needs its text; nothing is stored until it is given.
        let before = s.ctx.store.card_transitions(&number).await.unwrap().len();
        let (st, p) = post_keyed(&h, &path("/temporary-loss"), None, json!({"reason": "other"})).await;
        assert_eq!(st, 422, "{p}");
        assert_eq!(
            field_codes(&p),
            vec![("reason_text".to_string(), "reason_text_required".to_string())]
        );
        let (st, p) = post_keyed(&h, &path("/temporary-loss"), None, json!({"reason": "forgotten"})).await;
        assert_eq!(st, 422, "{p}");
        assert_eq!(s.ctx.store.card_transitions(&number).await.unwrap().len(), before);

        // The loss: both functions suspended, the social-security side ends in exactly 15 days.
        let now = s.clock.now();
        let (st, v) = post_keyed(
            &h,
            &path("/temporary-loss"),
            Some("loss-1"),
            json!({"reason": "stolen"}),
        )
        .await;
        assert_eq!(st, 200, "{v}");
        // The financial function was never activated: nothing there to suspend.
        assert_eq!(
            (v["social_security"].as_str(), v["financial"].as_str()),
            (Some("temp_loss"), Some("inactive"))
        );
        let until = chrono::DateTime::parse_from_rfc3339(v["loss_until"].as_str().unwrap()).unwrap();
        assert_eq!(until, now + Duration::days(15));
        let last = v["transitions"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (last["reason"].as_str(), last["channel"].as_str()),
            (Some("stolen"), Some("jingtong"))
        );
        let (st, p) = post_keyed(&h, &path("/temporary-loss"), None, json!({})).await;
        assert_eq!((st, p["code"].as_str()), (409, Some("card_already_lost")));
        // Where else: a temporary loss is released at the bank; a district outlet releases formal losses only.
        let (_, lost) = h.get(&path("")).await;
        let release = lost["elsewhere"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["service"] == "release")
            .cloned();
        assert_eq!(release.unwrap()["channels"], json!(["bank_outlet"]), "{lost}");
        assert!(
            !codes(&lost, "available_here").contains(&"replacement".to_string()),
            "not built: not offered"
        );

        // A minute before the 15 days: still lost; at the minute: active, before any job ran.
        s.clock.set(until - Duration::minutes(1));
        let h = again(&s, "cardholder1").await;
        let (_, v) = h.get(&path("")).await;
        assert_eq!(v["social_security"], "temp_loss");
        s.clock.set(until);
        let (_, v) = h.get(&path("")).await;
        assert_eq!(
            (v["social_security"].as_str(), v["loss_until"].as_null()),
            (Some("active"), Some(()))
        );
        // The job makes it durable, once, with a text.
        let texts = s.ctx.store.pending_sms().await.unwrap();
        assert_eq!(sscard_app::cards::release::release_due(&s.ctx, 10).await.unwrap(), 1);
        assert_eq!(sscard_app::cards::release::release_due(&s.ctx, 10).await.unwrap(), 0);
        assert_eq!(s.ctx.store.pending_sms().await.unwrap(), texts + 1);
        let stored = s.ctx.store.card(&number).await.unwrap().unwrap();
        assert_eq!(stored.social_security, S::Active);

        // Someone else's card: not found, and nothing about it.
        let other = id(1976, 7, 2, 62);
        let theirs = card_of(&s, "BJC0000002", &other, "acct-cardholder1", S::Active).await;
        for (m, tail) in [
            (Method::GET, ""),
            (Method::POST, "/temporary-loss"),
            (Method::POST, "/activation"),
        ] {
            let (st, p) = h
                .call(m, &format!("/api/v1/me/cards/{theirs}{tail}"), Some(json!({})))
                .await;
            assert_eq!((st, p["code"].as_str()), (404, Some("not_found")), "{tail}: {p}");
        }
        assert_eq!(
            s.ctx.store.card(&theirs).await.unwrap().unwrap().social_security,
            S::Active
        );
    }
);

// A release that races the holder's own action: whichever writes first, the card ends in one coherent state
// with every change recorded once.
both_engines!(
    a_release_racing_the_holders_own_loss_report_records_each_change_once,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let person = id(1977, 8, 3, 63);
        let h = holder(&s, "cardholder3", &person).await;
        let number = card_of(&s, "BJC0000003", &person, "acct-cardholder3", S::Active).await;
        let (st, v) = post_keyed(
            &h,
            &format!("/api/v1/me/cards/{number}/temporary-loss"),
            None,
            json!({}),
        )
        .await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["financial"], "loss", "the bank account is suspended too");
        s.clock.advance(Duration::days(15) + Duration::minutes(1));
        let h = again(&s, "cardholder3").await;
        let (_, v) = h.get(&format!("/api/v1/me/cards/{number}")).await;
        assert_eq!(v["financial"], "loss", "the financial loss is the bank's to lift");
        let path = format!("/api/v1/me/cards/{number}/temporary-loss");
        let (job, report) = tokio::join!(
            sscard_app::cards::release::release_due(&s.ctx, 10),
            post_keyed(&h, &path, Some("again"), json!({}))
        );
        job.unwrap();
        assert_eq!(report.0, 200, "{}", report.1);
        let records = s.ctx.store.card_transitions(&number).await.unwrap();
        let releases = records
            .iter()
            .filter(|t| t.reason == sscard_domain::card::lifecycle::Reason::LossExpired);
        assert_eq!(releases.count(), 1, "released once: {records:?}");
        let card = s.ctx.store.card(&number).await.unwrap().unwrap();
        assert_eq!(card.social_security, S::TempLoss, "the new report stands");
        assert_eq!(
            records.last().unwrap().service,
            sscard_domain::card::channels::Service::TemporaryLoss
        );
    }
);

both_engines!(
    the_service_password_starts_initial_and_locks_after_five_wrong_tries_across_channels,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        // A holder whose ID number ends in X: the X is typed as 0.
        let person = IdNumber::parse("11010519491231002X", s.clock.now().date_naive()).unwrap();
        let h = holder(&s, "cardholder4", &person).await;
        let number = card_of(&s, "BJC0000004", &person, "acct-cardholder4", S::Active).await;
        let pw = format!("/api/v1/me/cards/{number}/password");
        // A weak or malformed new password is refused before the old one is even checked.
        let (st, p) = put(&h, &pw, "310020", "123456").await;
        assert_eq!(
            (st, field_codes(&p)),
            (422, vec![("new".into(), "password_too_simple".into())])
        );
        let (st, _) = put(&h, &pw, "310020", "12345").await;
        assert_eq!(st, 422);
        assert_eq!(s.ctx.store.card_secret(&number).await.unwrap().unwrap().failures, 0);
        // The initial value is the last six with X as 0; it changes the password.
        let (st, p) = put(&h, &pw, "310020", "482913").await;
        assert_eq!(st, 204, "{p}");
        let (_, v) = h.get(&format!("/api/v1/me/cards/{number}")).await;
        assert_eq!(v["service_password"], "set");
        assert_eq!(
            v["transitions"].as_array().unwrap().last().unwrap()["service"],
            "password_change"
        );

        // Another channel: the same holder through a Minsheng client.
        sscard_app::accounts::create_client(
            &s.ctx,
            "test-minsheng",
            "Minsheng",
            Channel::Minsheng,
            Some("test-minsheng-secret-0123456789abcdef"),
        )
        .await
        .unwrap();
        let api = world::api(&s.base);
        let captcha = api
            .captcha_for("test-minsheng", "test-minsheng-secret-0123456789abcdef")
            .await;
        let (st, v) = api
            .login_with(
                "test-minsheng",
                "test-minsheng-secret-0123456789abcdef",
                "cardholder4",
                PASSWORD,
                &captcha,
            )
            .await;
        assert_eq!(st, 200, "{v}");
        let other = Caller {
            api: world::api(&s.base),
            token: v["access_token"].as_str().unwrap().to_string(),
            _s: &s,
        };
        let _ = TEST_CAPTCHA;
        // Five wrong tries, alternating channels: the fifth locks it; the right one is then refused too.
        for n in 1..=5u32 {
            let c = if n % 2 == 0 { &other } else { &h };
            let (st, p) = put(c, &pw, "000000", "590372").await;
            if n < 5 {
                assert_eq!(
                    (st, p["code"].as_str()),
                    (401, Some("service_password_wrong")),
                    "try {n}: {p}"
                );
            } else {
                assert_eq!(
                    (st, p["code"].as_str()),
                    (423, Some("service_password_locked")),
                    "try {n}: {p}"
                );
            }
        }
        let (st, p) = put(&h, &pw, "482913", "590372").await;
        assert_eq!((st, p["code"].as_str()), (423, Some("service_password_locked")));
        let failed = s
            .ctx
            .store
            .recent_audit(Some("acct-cardholder4"), 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| {
                e.action == sscard_domain::audit::AuditAction::CardPasswordFailed
                    && e.subject_person.as_deref() == Some(person.as_str())
            })
            .count();
        assert_eq!(failed, 5, "every wrong try recorded");
        let (_, v) = h.get(&format!("/api/v1/me/cards/{number}")).await;
        assert_eq!(v["service_password"], "locked");

        // The reset: a texted code and a face photo; a wrong code changes nothing.
        let (st, _) = h.post(&format!("{pw}/reset-code"), json!({})).await;
        assert_eq!(st, 202);
        let photo = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, images::card_photo());
        let (st, p) = h
            .post(
                &format!("{pw}/reset"),
                json!({"code": "999999", "photo": photo, "new": "590372"}),
            )
            .await;
        assert_eq!((st, field_codes(&p)), (422, vec![("code".into(), "code_wrong".into())]));
        assert_eq!(s.ctx.store.card_secret(&number).await.unwrap().unwrap().failures, 5);
        // A new code a minute later replaces the first.
        s.clock.advance(Duration::minutes(1));
        let (st, _) = h.post(&format!("{pw}/reset-code"), json!({})).await;
        assert_eq!(st, 202);
        let code = latest_code(&s).await;
        let (st, p) = h
            .post(
                &format!("{pw}/reset"),
                json!({"code": code, "photo": photo, "new": "590372"}),
            )
            .await;
        assert_eq!(st, 204, "{p}");
        assert_eq!(s.ctx.store.card_secret(&number).await.unwrap().unwrap().failures, 0);
        let (st, _) = put(&h, &pw, "590372", "618204").await;
        assert_eq!(st, 204, "the new password works");
    }
);

async fn put(c: &Caller<'_>, path: &str, old: &str, new: &str) -> (u16, Value) {
    c.call(Method::PUT, path, Some(json!({"old": old, "new": new}))).await
}

/// The newest SMS code the test secrets issued (they count up from 100001).
async fn latest_code(s: &Server) -> String {
    let messages = s
        .ctx
        .store
        .claim_sms(100, s.clock.now() + Duration::days(1), Duration::minutes(1))
        .await
        .unwrap();
    let body = messages
        .iter()
        .filter(|m| m.body.contains("验证码"))
        .map(|m| m.body.clone())
        .max()
        .unwrap();
    body.chars().skip_while(|c| !c.is_ascii_digit()).take(6).collect()
}
