//! The bank interface on both databases (issue 7, SPEC §8): each submission writes one production order;
//! a bank system pulls only its own bank's, concurrent pulls never share an order; reports move the
//! application, the same report twice changes nothing, one out of order is refused with the states it needed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::caller::{caller, field_codes, resident_as, Caller};
use crate::common::world::{self, As, MACHINE_SECRET, PASSWORD};
use crate::common::Server;
use serde_json::{json, Value};
use sscard_app::import::{import_csv, ImportKind};
use sscard_domain::access::Role;
use sscard_domain::account::{AccountKind, Username};
use sscard_testkit::fixtures::{csv, id, individual_row, REGISTRY_HEADER};
use sscard_testkit::{both_engines, images, TestDb};
use sscard_web::Mode;

/// A complete application for bank 102, branch pickup, submitted; its id.
pub(crate) async fn submitted(c: &Caller<'_>) -> String {
    submitted_at(c, "102-0101").await
}

/// The same at another branch of bank 102.
async fn submitted_at(c: &Caller<'_>, branch: &str) -> String {
    let (st, v) = c
        .post(
            "/api/v1/applications",
            json!({"disclaimer": true, "access_authorisation": true}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let app = v["id"].as_str().unwrap().to_string();
    let (st, v) = c
        .patch(
            &app,
            json!({"bank": "102", "branch": branch, "collection": "branch_pickup", "occupation": "2"}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    for (kind, bytes) in [
        ("card_photo", images::card_photo()),
        ("id_front", images::jpeg(800, 500)),
        ("id_back", images::jpeg(800, 500)),
    ] {
        let (st, v) = c.upload(&app, kind, bytes, "image/jpeg").await;
        assert_eq!(st, 200, "{kind}: {v}");
    }
    let (st, v) = c.submit(&app, Some(&app), true, true).await;
    assert_eq!(st, 200, "{v}");
    app
}

async fn bank_system<'a>(s: &'a Server, username: &str, bank: &str) -> Caller<'a> {
    sscard_app::accounts::create_account(
        &s.ctx,
        None,
        AccountKind::BankSystem { bank: bank.into() },
        Username::parse(username).unwrap(),
        username,
        MACHINE_SECRET,
        &sscard_app::auth::Meta::default(),
    )
    .await
    .unwrap();
    let api = world::api(&s.base);
    let r = api
        .http
        .post(api.url("/api/v1/auth/token"))
        .basic_auth(username, Some(MACHINE_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    Caller {
        token: v["access_token"].as_str().unwrap().to_string(),
        api,
        _s: s,
    }
}

async fn report(bank: &Caller<'_>, order: &str, body: Value) -> (u16, Value) {
    bank.post(&format!("/api/v1/bank/orders/{order}/reports"), body).await
}

both_engines!(a_bank_pulls_and_reports_to_collection, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    world::seed(&s.ctx).await;
    let resident = caller(&s, As::Resident).await;
    let app = submitted(&resident).await;

    // The submission wrote exactly one order, for the application's bank.
    let orders = s.ctx.store.orders_of_application(&app).await.unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!((orders[0].bank.as_str(), orders[0].current), ("102", true));

    // Another bank's system sees nothing of it.
    let other = bank_system(&s, "bank104sys", "104").await;
    let (st, v) = other.post("/api/v1/bank/orders/pull", json!({})).await;
    assert_eq!((st, v.as_array().map(Vec::len)), (200, Some(0)), "{v}");
    let order = orders[0].id.clone();
    let (st, _) = other.get(&format!("/api/v1/bank/orders/{order}")).await;
    assert_eq!(st, 404);
    let (st, _) = report(&other, &order, json!({"status": "accepted"})).await;
    assert_eq!(st, 404);

    // Its own bank pulls it once: the application is now with the bank.
    let bank = caller(&s, As::Role(Role::BankSystem)).await;
    let (st, v) = bank.post("/api/v1/bank/orders/pull", json!({"limit": 0})).await;
    assert_eq!(
        (st, field_codes(&v)),
        (422, vec![("limit".into(), "limit_out_of_range".into())]),
        "{v}"
    );
    let (st, v) = bank.post("/api/v1/bank/orders/pull", json!({"limit": 10})).await;
    assert_eq!(st, 200, "{v}");
    let pulled = v.as_array().unwrap();
    assert_eq!(pulled.len(), 1, "{v}");
    assert_eq!(pulled[0]["id"].as_str(), Some(order.as_str()));
    assert_eq!(pulled[0]["state"], "sent_to_bank");
    assert_eq!(
        pulled[0]["id_number"].as_str().unwrap().len(),
        18,
        "in full, for the card"
    );
    assert!(pulled[0]["documents"]["card_photo"].is_string());
    let (_, v) = bank.post("/api/v1/bank/orders/pull", json!({})).await;
    assert_eq!(v.as_array().unwrap().len(), 0, "pulled once: {v}");

    // Out of order: refused with the states it needed, nothing changes.
    let (st, v) = report(&bank, &order, json!({"status": "collected"})).await;
    assert_eq!((st, v["code"].as_str()), (409, Some("report_out_of_order")), "{v}");
    assert!(v["detail"].as_str().unwrap().contains("ready_for_pickup"), "{v}");
    // Bad details: refused, nothing changes.
    let (st, v) = report(&bank, &order, json!({"status": "mailed", "tracking_number": " "})).await;
    assert_eq!(
        (st, field_codes(&v)),
        (422, vec![("tracking_number".into(), "required".into())]),
        "{v}"
    );
    let (st, _) = report(&bank, &order, json!({"status": "lost_in_space"})).await;
    assert!(st == 400 || st == 422, "{st}");

    let (st, v) = report(&bank, &order, json!({"status": "accepted"})).await;
    assert_eq!(
        (st, &v["changed"], v["order"]["state"].as_str()),
        (200, &json!(true), Some("in_production")),
        "{v}"
    );
    // The same report twice changes nothing.
    let (st, v) = report(&bank, &order, json!({"status": "accepted"})).await;
    assert_eq!((st, &v["changed"]), (200, &json!(false)), "{v}");
    let (_, events) = resident.get(&format!("/api/v1/applications/{app}/events")).await;
    let accepted = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "bank_accept")
        .count();
    assert_eq!(accepted, 1, "{events}");

    // The account is stored masked only: a clear account number is refused, and nothing changes.
    let (st, v) = report(
        &bank,
        &order,
        json!({"status": "produced", "card_number": "J0001", "masked_account": "6222021234567890123"}),
    )
    .await;
    assert_eq!(
        (st, field_codes(&v)),
        (422, vec![("masked_account".into(), "account_not_masked".into())]),
        "{v}"
    );
    let (_, v) = bank.get(&format!("/api/v1/bank/orders/{order}")).await;
    assert_eq!(
        (v["state"].as_str(), &v["card_number"]),
        (Some("in_production"), &Value::Null)
    );
    let (st, v) = report(
        &bank,
        &order,
        json!({"status": "produced", "card_number": "J0001", "masked_account": "6222********0123"}),
    )
    .await;
    assert_eq!((st, v["order"]["card_number"].as_str()), (200, Some("J0001")), "{v}");
    // The card exists from now on, its social-security function pending activation (SPEC §7.1).
    let (st, cards) = resident.get("/api/v1/me/cards").await;
    assert_eq!(st, 200, "{cards}");
    assert_eq!(cards.as_array().unwrap().len(), 1, "{cards}");
    assert_eq!(
        (
            cards[0]["number"].as_str(),
            cards[0]["social_security"].as_str(),
            cards[0]["financial"].as_str()
        ),
        (Some("J0001"), Some("pending_activation"), Some("inactive"))
    );
    assert_eq!(
        (cards[0]["masked_account"].as_str(), cards[0]["generation"].as_u64()),
        (Some("6222********0123"), Some(3))
    );
    let (st, _) = report(&bank, &order, json!({"status": "ready_for_pickup"})).await;
    assert_eq!(st, 200);
    let (st, v) = report(&bank, &order, json!({"status": "collected"})).await;
    assert_eq!((st, v["order"]["state"].as_str()), (200, Some("collected")), "{v}");

    // The applicant's 我的办事 shows each step, with its time.
    let (_, events) = resident.get(&format!("/api/v1/applications/{app}/events")).await;
    let steps: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        vec![
            "start",
            "submit",
            "send_to_bank",
            "bank_accept",
            "produce",
            "ready_for_pickup",
            "collect"
        ]
    );
    // The applicant was told by text message at each step that calls for one, and only then (SPEC §8).
    let sms = s
        .ctx
        .store
        .claim_sms(100, s.ctx.clock.now(), chrono::Duration::minutes(5))
        .await
        .unwrap();
    let bodies: Vec<&str> = sms.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies.len(), 3, "{bodies:?}");
    assert!(
        bodies
            .iter()
            .all(|b| b.contains(v["order"]["reference"].as_str().unwrap())),
        "{bodies:?}"
    );
    assert!(bodies.iter().any(|b| b.contains("已提交")) && bodies.iter().any(|b| b.contains("已制卡完成")));
    assert!(bodies.iter().any(|b| b.contains("领取")), "{bodies:?}");
    assert!(sms.iter().all(|m| m.mobile.as_str() == "13800001234"));
    // A collected card is a live card: a new application is refused.
    let (st, v) = resident
        .post(
            "/api/v1/applications/eligibility",
            json!({"access_authorisation": true}),
        )
        .await;
    assert_eq!((st, v["code"].as_str()), (422, Some("live_card")), "{v}");
});

both_engines!(concurrent_pulls_never_share_an_order, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    world::seed(&s.ctx).await;
    let names = ["钱一", "钱二", "钱三", "钱四", "钱五", "钱六"];
    let people: Vec<_> = (0..6)
        .map(|i| (id(1985, 1, 1 + i as u32, 41), names[i].to_string()))
        .collect();
    let rows: Vec<String> = people.iter().map(|(p, n)| individual_row(p, n)).collect();
    import_csv(&s.ctx, ImportKind::Registry, csv(REGISTRY_HEADER, &rows).as_bytes())
        .await
        .unwrap();
    for (i, (p, n)) in people.iter().enumerate() {
        let token = resident_as(&s, &format!("payer{i}"), p, n).await;
        let c = Caller {
            api: world::api(&s.base),
            token,
            _s: &s,
        };
        submitted(&c).await;
    }
    let a = caller(&s, As::Role(Role::BankSystem)).await;
    let b = caller(&s, As::Role(Role::BankSystem)).await;
    let body = json!({"limit": 4});
    let (ra, rb) = tokio::join!(
        a.post("/api/v1/bank/orders/pull", body.clone()),
        b.post("/api/v1/bank/orders/pull", body.clone())
    );
    let (rc, _) = (a.post("/api/v1/bank/orders/pull", body).await, ());
    let mut ids: Vec<String> = [ra.1, rb.1, rc.1]
        .iter()
        .flat_map(|v| {
            v.as_array()
                .unwrap()
                .iter()
                .map(|o| o["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!((n, ids.len()), (6, 6), "each order pulled exactly once");

    // Two cards cannot share a number: the second report is refused and changes nothing.
    let produce = json!({"status": "produced", "card_number": "J7777", "masked_account": "6222********7777"});
    for order in &ids[..2] {
        let (st, v) = report(&a, order, json!({"status": "accepted"})).await;
        assert_eq!(st, 200, "{v}");
    }
    let (st, v) = report(&a, &ids[0], produce.clone()).await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = report(&a, &ids[1], produce).await;
    assert_eq!(
        (st, field_codes(&v)),
        (409, vec![("card_number".into(), "card_number_taken".into())]),
        "{v}"
    );
    let (_, v) = a.get(&format!("/api/v1/bank/orders/{}", ids[1])).await;
    assert_eq!(
        (v["state"].as_str(), &v["card_number"]),
        (Some("in_production"), &Value::Null),
        "{v}"
    );
});

both_engines!(
    a_rejected_application_is_fixed_and_resubmitted,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let resident = caller(&s, As::Resident).await;
        let app = submitted(&resident).await;
        let bank = caller(&s, As::Role(Role::BankSystem)).await;
        let (_, v) = bank.post("/api/v1/bank/orders/pull", json!({})).await;
        let first = v[0]["id"].as_str().unwrap().to_string();
        // A rejection needs its reason.
        let (st, v) = report(&bank, &first, json!({"status": "rejected", "reason": ""})).await;
        assert_eq!(
            (st, field_codes(&v)),
            (422, vec![("reason".into(), "required".into())]),
            "{v}"
        );
        let (st, v) = report(
            &bank,
            &first,
            json!({"status": "rejected", "reason": "照片模糊，无法制卡"}),
        )
        .await;
        assert_eq!((st, v["order"]["state"].as_str()), (200, Some("rejected")), "{v}");

        // The applicant sees the state and the bank's reason, fixes the photo and submits again.
        let (_, v) = resident.get(&format!("/api/v1/applications/{app}")).await;
        assert_eq!(v["state"], "rejected");
        let (_, events) = resident.get(&format!("/api/v1/applications/{app}/events")).await;
        let reject = events
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["event"] == "reject")
            .unwrap()
            .clone();
        assert_eq!(reject["note"], "照片模糊，无法制卡", "{events}");
        let (st, v) = resident
            .upload(&app, "card_photo", images::card_photo(), "image/jpeg")
            .await;
        assert_eq!(st, 200, "{v}");
        let (st, v) = resident.submit(&app, Some("second-try"), true, true).await;
        assert_eq!((st, v["state"].as_str()), (200, Some("submitted")), "{v}");

        // A new order replaced the first: a report on the old one is refused; the bank pulls the new one.
        let orders = s.ctx.store.orders_of_application(&app).await.unwrap();
        assert_eq!(orders.iter().map(|o| o.current).collect::<Vec<_>>(), vec![false, true]);
        let (st, v) = report(&bank, &first, json!({"status": "accepted"})).await;
        assert_eq!((st, v["code"].as_str()), (409, Some("order_superseded")), "{v}");
        let (_, v) = bank.post("/api/v1/bank/orders/pull", json!({})).await;
        assert_eq!(v[0]["id"].as_str(), Some(orders[1].id.as_str()), "{v}");
        let (_, events) = resident.get(&format!("/api/v1/applications/{app}/events")).await;
        let steps: Vec<&str> = events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event"].as_str().unwrap())
            .collect();
        assert_eq!(
            steps,
            vec!["start", "submit", "send_to_bank", "reject", "resubmit", "send_to_bank"]
        );
        // Texts: submitted, rejected with the bank's reason, submitted again.
        let sms = s
            .ctx
            .store
            .claim_sms(100, s.ctx.clock.now(), chrono::Duration::minutes(5))
            .await
            .unwrap();
        let bodies: Vec<&str> = sms.iter().map(|m| m.body.as_str()).collect();
        assert_eq!(bodies.len(), 3, "{bodies:?}");
        assert!(bodies.iter().any(|b| b.contains("照片模糊，无法制卡")), "{bodies:?}");
        // Once with the bank again, it cannot be changed.
        let (st, _) = resident
            .upload(&app, "card_photo", images::card_photo(), "image/jpeg")
            .await;
        assert_eq!(st, 409);
    }
);

both_engines!(
    the_sla_report_counts_late_orders_by_bank_and_district,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        let resident = caller(&s, As::Resident).await;
        let other = Caller {
            api: world::api(&s.base),
            token: resident_as(&s, "victim1", &w.victim.0, &w.victim.1).await,
            _s: &s,
        };
        submitted(&resident).await; // branch 102-0101, district 110101
        submitted_at(&other, "102-0105").await; // district 110105
        let admin = caller(&s, As::Role(Role::Admin)).await;
        // Within 30 days nothing is late.
        let (st, v) = admin.get("/api/v1/admin/reports/sla").await;
        assert_eq!((st, v.as_array().map(Vec::len)), (200, Some(0)), "{v}");

        // The bank produces the first card in time; 31 days on, only the other order is late.
        let bank = caller(&s, As::Role(Role::BankSystem)).await;
        let (_, v) = bank.post("/api/v1/bank/orders/pull", json!({})).await;
        let order = v
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id_number"] == w.me.0.as_str())
            .map(|o| o["id"].as_str().unwrap().to_string())
            .unwrap();
        for body in [
            json!({"status": "accepted"}),
            json!({"status": "produced", "card_number": "J5000", "masked_account": "6222********5000"}),
        ] {
            let (st, v) = report(&bank, &order, body).await;
            assert_eq!(st, 200, "{v}");
        }
        s.clock.advance(chrono::Duration::days(31));
        // A fresh token: the first has long expired.
        let admin = caller(&s, As::Role(Role::Admin)).await;
        let (st, v) = admin.get("/api/v1/admin/reports/sla").await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(
            v,
            json!([{"kind": "application", "bank": "102", "bank_name": "工商银行", "district": "110105",
                "district_name": "朝阳区", "overdue": 1, "oldest_due": "2026-12-21"}])
        );
        let (st, csv) = admin
            .api
            .call(
                reqwest::Method::GET,
                "/api/v1/admin/reports/sla.csv",
                Some(&admin.token),
                None,
            )
            .await;
        assert_eq!(st, 200);
        assert_eq!(
            csv,
            "kind,bank,bank_name,district,district_name,overdue,oldest_due\n\
             application,102,工商银行,110105,朝阳区,1,2026-12-21\n"
        );
    }
);

both_engines!(a_bank_clerk_hands_over_a_card_at_the_counter, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let w = world::seed(&s.ctx).await;
    let resident = caller(&s, As::Resident).await;
    submitted(&resident).await; // branch pickup at 102-0101
    let bank = caller(&s, As::Role(Role::BankSystem)).await;
    let (_, v) = bank.post("/api/v1/bank/orders/pull", json!({})).await;
    let order = v[0]["id"].as_str().unwrap().to_string();
    for body in [
        json!({"status": "accepted"}),
        json!({"status": "produced", "card_number": "J6000", "masked_account": "6222********6000"}),
        json!({"status": "ready_for_pickup"}),
    ] {
        let (st, v) = report(&bank, &order, body).await;
        assert_eq!(st, 200, "{v}");
    }
    let me = w.me.0.as_str();
    let clerk = caller(&s, As::Role(Role::BankClerk)).await; // bank 102, branch 102-0101

    // A purpose is required; with it, the read is audited and the holder's card of this bank is found.
    let (st, v) = clerk.get(&format!("/api/v1/counter/cards?id_number={me}")).await;
    assert_eq!(
        (st, field_codes(&v)),
        (422, vec![("purpose".into(), "purpose_required".into())]),
        "{v}"
    );
    let (st, v) = clerk
        .get(&format!("/api/v1/counter/cards?id_number={me}&purpose=counter_service"))
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(
        (
            v[0]["number"].as_str(),
            v[0]["state"].as_str(),
            v[0]["social_security"].as_str()
        ),
        (Some("J6000"), Some("ready_for_pickup"), Some("pending_activation"))
    );

    // Another bank's clerk finds nothing and can record nothing.
    sscard_app::accounts::create_account(
        &s.ctx,
        None,
        AccountKind::BankClerk {
            bank: "105".into(),
            branch: "105-0105".into(),
        },
        Username::parse("clerk105").unwrap(),
        "clerk105",
        PASSWORD,
        &sscard_app::auth::Meta::default(),
    )
    .await
    .unwrap();
    let api = world::api(&s.base);
    let (_, t) = api.login("clerk105", PASSWORD).await;
    let other = Caller {
        api,
        token: t["access_token"].as_str().unwrap().to_string(),
        _s: &s,
    };
    let (_, v) = other
        .get(&format!("/api/v1/counter/cards?id_number={me}&purpose=counter_service"))
        .await;
    assert_eq!(v.as_array().map(Vec::len), Some(0), "{v}");
    let collect = |body: Value| async move { (body, "/api/v1/counter/cards/J6000/collect") };
    let (body, path) = collect(json!({"identity_checked": true, "collector": "holder"})).await;
    let (st, _) = other.post(path, body).await;
    assert_eq!(st, 404);

    // Identity unchecked, or a "guardian" for an adult: refused, nothing changes.
    let (st, v) = clerk
        .post(path, json!({"identity_checked": false, "collector": "holder"}))
        .await;
    assert_eq!(
        (st, field_codes(&v)),
        (422, vec![("identity_checked".into(), "identity_check_required".into())])
    );
    let (st, v) = clerk
        .post(
            path,
            json!({"identity_checked": true, "collector": "guardian", "guardian_id_number": w.victim.0.as_str()}),
        )
        .await;
    assert_eq!(
        (st, field_codes(&v)),
        (422, vec![("collector".into(), "holder_must_collect".into())])
    );
    let card = s.ctx.store.card("J6000").await.unwrap().unwrap();
    let a = s.ctx.store.application(&card.application).await.unwrap().unwrap();
    assert_eq!(a.state.as_str(), "ready_for_pickup");

    // The holder collects it and asks for the social-security function to be activated.
    let (st, v) = clerk
        .post(
            path,
            json!({"identity_checked": true, "collector": "holder", "activate": true}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (v["state"].as_str(), v["social_security"].as_str()),
        (Some("collected"), Some("active"))
    );
    let (st, v) = clerk
        .post(path, json!({"identity_checked": true, "collector": "holder"}))
        .await;
    assert_eq!((st, v["code"].as_str()), (409, Some("not_allowed_now")), "{v}");
    let last = s.ctx.store.events(&card.application).await.unwrap().pop().unwrap();
    assert_eq!((last.event.as_str(), last.channel.as_str()), ("collect", "bank_outlet"));

    // The holder sees the card active, and who read their data and why.
    let (_, v) = resident.get("/api/v1/me/cards").await;
    assert_eq!(v[0]["social_security"], "active", "{v}");
    let (_, v) = resident.get("/api/v1/me/access-log").await;
    let log = v.to_string();
    assert!(log.contains("counter_service") && log.contains("102/102-0101"), "{log}");
});

both_engines!(the_csv_batch_file_pulls_like_the_json, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let w = world::seed(&s.ctx).await;
    let resident = caller(&s, As::Resident).await;
    let app = submitted(&resident).await;
    let bank = caller(&s, As::Role(Role::BankSystem)).await;
    let pull = |limit: u32| {
        let bank = &bank;
        async move {
            let r = bank
                .api
                .http
                .post(bank.api.url("/api/v1/bank/orders/pull.csv"))
                .bearer_auth(&bank.token)
                .json(&json!({"limit": limit}))
                .send()
                .await
                .unwrap();
            let st = r.status().as_u16();
            let ct = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            (st, ct, r.text().await.unwrap())
        }
    };
    let (st, _, body) = pull(0).await;
    assert_eq!(st, 422, "{body}");
    let (st, ct, body) = pull(10).await;
    assert_eq!((st, ct.as_str()), (200, "text/csv; charset=utf-8"), "{body}");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 2, "{body}");
    assert!(lines[0].starts_with("id,reference,state,bank,branch,collection,id_number"));
    assert!(lines[1].contains(w.me.0.as_str()) && lines[1].contains(",sent_to_bank,102,102-0101,branch_pickup,"));
    assert!(lines[1].contains("card_photo="), "{body}");
    // Pulled once: the next file is empty, and the application is with the bank.
    let (_, _, body) = pull(10).await;
    assert_eq!(body.lines().count(), 1, "{body}");
    assert_eq!(
        s.ctx.store.application(&app).await.unwrap().unwrap().state.as_str(),
        "sent_to_bank"
    );
});

/// A pull sent over a raw connection that is closed without reading the answer (a client timeout, a proxy
/// reset, a bank that crashed mid-pull), once the server has handed `app`'s order out.
async fn pull_and_drop_the_answer(s: &Server, token: &str, key: Option<&str>, app: &str) {
    use sscard_domain::application::ApplicationState;
    use tokio::io::AsyncWriteExt;
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let body = r#"{"limit": 10}"#;
    let key = key.map(|k| format!("Idempotency-Key: {k}\r\n")).unwrap_or_default();
    let req = format!(
        "POST /api/v1/bank/orders/pull HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n{key}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    tcp.flush().await.unwrap();
    // Wait until the pull committed, then hang up without reading a byte of the answer.
    let mut handed_out = false;
    for _ in 0..250 {
        let a = s.ctx.store.application(app).await.unwrap().unwrap();
        if a.state == ApplicationState::SentToBank {
            handed_out = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(handed_out, "the pull never reached the database");
    drop(tcp);
}

fn ids_of(v: &Value) -> Vec<String> {
    let mut ids: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

// The answer to a pull is lost: its orders are leased, not lost. Within the lease nobody else gets them; the
// same pull asked again with its key answers them again; once the lease runs out unacknowledged they come
// back; an `accepted` report or an explicit ack takes an order out of the queue for good.
both_engines!(
    a_pull_whose_answer_is_lost_gives_its_orders_back,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        let resident = caller(&s, As::Resident).await;
        let first = submitted(&resident).await;
        let order = s.ctx.store.orders_of_application(&first).await.unwrap()[0].id.clone();
        let bank = caller(&s, As::Role(Role::BankSystem)).await;

        pull_and_drop_the_answer(&s, &bank.token, Some("pull-1"), &first).await;
        // Inside the lease, a new pull does not hand it out twice…
        let (st, v) = bank.post("/api/v1/bank/orders/pull", json!({})).await;
        assert_eq!((st, ids_of(&v)), (200, vec![]), "{v}");
        // …but the same pull asked again with its key answers it again, leased anew.
        let again = bank
            .api
            .http
            .post(bank.api.url("/api/v1/bank/orders/pull"))
            .bearer_auth(&bank.token)
            .header("idempotency-key", "pull-1")
            .json(&json!({"limit": 10}))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 200);
        let v: Value = again.json().await.unwrap();
        assert_eq!(ids_of(&v), vec![order.clone()], "{v}");
        assert_eq!(v[0]["state"], "sent_to_bank");
        assert!(
            v[0]["lease_until"].is_string() && v[0]["acknowledged_at"].is_null(),
            "{v}"
        );

        // The bank never acknowledges it: when the lease runs out it comes back, once.
        s.clock.advance(chrono::Duration::minutes(11));
        let (st, v) = bank.post("/api/v1/bank/orders/pull", json!({})).await;
        assert_eq!((st, ids_of(&v)), (200, vec![order.clone()]), "{v}");
        let (_, v) = bank.post("/api/v1/bank/orders/pull", json!({})).await;
        assert_eq!(ids_of(&v), Vec::<String>::new(), "leased again: not twice");
        // One send_to_bank event, however many times it was handed out.
        let (_, events) = resident.get(&format!("/api/v1/applications/{first}/events")).await;
        let sends = events
            .as_array()
            .map(|e| e.iter().filter(|e| e["event"] == "send_to_bank").count());
        assert_eq!(sends, Some(1), "{events}");

        // Accepted: acknowledged, never handed out again.
        let (st, v) = report(&bank, &order, json!({"status": "accepted"})).await;
        assert_eq!(st, 200, "{v}");
        assert!(v["order"]["acknowledged_at"].is_string(), "{v}");
        s.clock.advance(chrono::Duration::minutes(11));
        let (_, v) = bank.post("/api/v1/bank/orders/pull", json!({})).await;
        assert_eq!(ids_of(&v), Vec::<String>::new(), "{v}");

        // An explicit ack does the same for an order the bank has safe but not yet accepted.
        let other_resident = resident_as(&s, "ackresident", &w.victim.0, &w.victim.1).await;
        let other = Caller {
            api: world::api(&s.base),
            token: other_resident,
            _s: &s,
        };
        let second = submitted(&other).await;
        let (_, v) = bank.post("/api/v1/bank/orders/pull", json!({})).await;
        let second_order = ids_of(&v);
        assert_eq!(second_order.len(), 1, "{v} ({second})");
        // Bad input is refused and changes nothing; another bank's system acknowledges nothing of ours.
        let (st, v) = bank.post("/api/v1/bank/orders/ack", json!({"orders": []})).await;
        assert_eq!(
            (st, field_codes(&v)),
            (422, vec![("orders".into(), "ack_out_of_range".into())])
        );
        let stranger = bank_system(&s, "bank104ack", "104").await;
        let (st, v) = stranger
            .post("/api/v1/bank/orders/ack", json!({"orders": second_order}))
            .await;
        assert_eq!((st, &v["acknowledged"]), (200, &json!(0)), "{v}");
        let (st, v) = bank
            .post("/api/v1/bank/orders/ack", json!({"orders": second_order}))
            .await;
        assert_eq!((st, &v["acknowledged"]), (200, &json!(1)), "{v}");
        let (_, v) = bank
            .post("/api/v1/bank/orders/ack", json!({"orders": second_order}))
            .await;
        assert_eq!(v["acknowledged"], 0, "twice changes nothing");
        s.clock.advance(chrono::Duration::minutes(11));
        let (_, v) = bank.post("/api/v1/bank/orders/pull", json!({})).await;
        assert_eq!(ids_of(&v), Vec::<String>::new(), "acknowledged: {v}");
        // A resident may not acknowledge anything.
        let (st, _) = resident
            .post("/api/v1/bank/orders/ack", json!({"orders": second_order}))
            .await;
        assert_eq!(st, 403);
    }
);
