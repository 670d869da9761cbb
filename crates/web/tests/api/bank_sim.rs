//! End to end through `sscard bank-sim` (issue 7): applications with each collection method are submitted,
//! the simulated bank works them over the real HTTP bank interface, and each reaches the holder: by mail
//! (the courier's delivery reported), at the branch counter (recorded by the bank's clerk), a child's card at
//! the counter through the listed guardian, through the employer (handed out by its handler). Each applicant's history shows every step with its time. A bank
//! that rejects sends the application back with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::caller::{caller, resident_as, Caller};
use crate::common::world::{self, As};
use crate::common::Server;
use serde_json::{json, Value};
use sscard_app::import::{import_csv, ImportKind};
use sscard_domain::access::Role;
use sscard_gateways::bank_sim::{BankSim, BankSimConfig};
use sscard_testkit::fixtures::{
    csv, employee_row, guardianship_row, id, minor_row, GUARDIANSHIP_HEADER, REGISTRY_HEADER,
};
use sscard_testkit::{both_engines, images, TestDb};
use sscard_web::Mode;

/// Starts, completes and (unless collective) submits; returns the application id.
async fn apply(c: &Caller<'_>, patch: Value, collective: bool) -> String {
    let (st, v) = c
        .post(
            "/api/v1/applications",
            json!({"disclaimer": true, "access_authorisation": true}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let app = v["id"].as_str().unwrap().to_string();
    let (st, v) = c.patch(&app, patch).await;
    assert_eq!(st, 200, "{v}");
    for (kind, bytes) in [
        ("card_photo", images::card_photo()),
        ("id_front", images::jpeg(800, 500)),
        ("id_back", images::jpeg(800, 500)),
    ] {
        let (st, v) = c.upload(&app, kind, bytes, "image/jpeg").await;
        assert_eq!(st, 200, "{kind}: {v}");
    }
    let (st, v) = if collective {
        c.post(
            &format!("/api/v1/applications/{app}/confirm"),
            json!({"commitment": true, "confirm": true}),
        )
        .await
    } else {
        c.submit(&app, Some(&app), true, true).await
    };
    assert_eq!(st, 200, "{v}");
    app
}

fn sim(s: &Server, reject_rate: f64) -> BankSim {
    BankSim::new(BankSimConfig {
        base_url: s.base.clone(),
        client_id: "banksystem1".into(),
        secret: world::MACHINE_SECRET.into(),
        reject_rate,
        deliver_mail: true,
        page: 2,
        concurrency: 2,
        ..BankSimConfig::default()
    })
    .unwrap()
}

async fn events(c: &Caller<'_>, app: &str) -> Vec<(String, String)> {
    let (st, v) = c.get(&format!("/api/v1/applications/{app}/events")).await;
    assert_eq!(st, 200, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert!(e["at"].as_str().is_some_and(|t| t.starts_with("2026-")), "{e}");
            (
                e["event"].as_str().unwrap().to_string(),
                e["to"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn names(list: &[(String, String)]) -> Vec<&str> {
    list.iter().map(|(e, _)| e.as_str()).collect()
}

both_engines!(every_collection_method_reaches_the_holder, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let w = world::seed(&s.ctx).await;

    // Branch pickup, bank mail, and an employee whose employer collects.
    let resident = caller(&s, As::Resident).await;
    let pickup = apply(
        &resident,
        json!({"bank": "102", "branch": "102-0101", "collection": "branch_pickup", "occupation": "2"}),
        false,
    )
    .await;
    let mailer = Caller {
        api: world::api(&s.base),
        token: resident_as(&s, "mailer", &w.victim.0, &w.victim.1).await,
        _s: &s,
    };
    let mailed = apply(
        &mailer,
        json!({"bank": "102", "branch": "102-0105", "collection": "bank_mail", "occupation": "2",
               "mail": {"recipient": "李秘", "mobile": "13800001234", "district": "110105",
                        "postal_code": "100020", "address": "朝阳区测试路1号"}}),
        false,
    )
    .await;
    let handler = caller(&s, As::Role(Role::EntityHandler)).await;
    let (st, v) = handler
        .call(
            reqwest::Method::PUT,
            "/api/v1/entity/collective",
            Some(json!({"open": true, "entity_collects": true, "contact_name": "王经办",
                        "contact_mobile": "13800138000", "branches": ["102-0101"]})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let employee = Caller {
        api: world::api(&s.base),
        token: resident_as(&s, "worker", &w.employee.0, &w.employee.1).await,
        _s: &s,
    };
    let at_work = apply(&employee, json!({"occupation": "2"}), true).await;
    // A child of the resident (8 years old, resident ID card): the guardian collects at the branch.
    let kid = id(2018, 3, 4, 12);
    registry(&s, &[minor_row(&kid, "张小明")]).await;
    let r = import_csv(
        &s.ctx,
        ImportKind::Guardianship,
        csv(GUARDIANSHIP_HEADER, &[guardianship_row(&w.me.0, &kid, "51", true)]).as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(r.rejected, 0);
    let (st, v) = resident
        .post(
            "/api/v1/children/applications",
            json!({"disclaimer": true, "access_authorisation": true, "relationship": "51",
                   "child": {"name": "张小明", "id_number": kid.as_str(), "id_type": "resident_id"}}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let for_child = v["id"].as_str().unwrap().to_string();
    let (st, v) = resident
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/applications/{for_child}/minor"),
            Some(json!({"id_valid_from": "2021-06-01", "id_valid_until": "2030-06-01"})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = resident
        .patch(
            &for_child,
            json!({"bank": "102", "branch": "102-0101", "occupation": "2", "mobile": "13800002222"}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    for kind in v["required_documents"].as_array().unwrap() {
        let kind = kind.as_str().unwrap();
        let bytes = if kind == "card_photo" {
            images::card_photo()
        } else {
            images::jpeg(800, 500)
        };
        let (st, v) = resident.upload(&for_child, kind, bytes, "image/jpeg").await;
        assert_eq!(st, 200, "{kind}: {v}");
    }
    let (st, v) = resident.submit(&for_child, Some("child"), true, true).await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = handler
        .post("/api/v1/entity/submissions", json!({"all_confirmed": true}))
        .await;
    assert_eq!((st, v["submitted"].as_array().map(Vec::len)), (200, Some(1)), "{v}");

    // The simulated bank works all three over HTTP.
    let stats = sim(&s, 0.0).drain().await.unwrap();
    assert_eq!(
        (
            stats.pulled,
            stats.produced,
            stats.mailed,
            stats.ready_for_pickup,
            stats.delivered_to_entity,
            stats.collected
        ),
        (4, 4, 1, 2, 1, 1),
        "{stats:?}"
    );
    // Nothing is left: a second run finds no order.
    assert_eq!(sim(&s, 0.0).drain().await.unwrap().pulled, 0);

    // The card waiting at the branch is collected at the counter; the employer hands out the other.
    let clerk = caller(&s, As::Role(Role::BankClerk)).await;
    let (_, cards) = clerk
        .get(&format!(
            "/api/v1/counter/cards?id_number={}&purpose=counter_service",
            w.me.0.as_str()
        ))
        .await;
    let number = cards[0]["number"].as_str().unwrap().to_string();
    let (st, v) = clerk
        .post(
            &format!("/api/v1/counter/cards/{number}/collect"),
            json!({"identity_checked": true, "collector": "holder"}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = handler
        .post(&format!("/api/v1/entity/cards/{at_work}/handover"), json!({}))
        .await;
    assert_eq!(st, 200, "{v}");
    // The child's card: the child cannot collect it; a stranger cannot; the listed guardian does.
    let (_, cards) = clerk
        .get(&format!(
            "/api/v1/counter/cards?id_number={}&purpose=counter_service",
            kid.as_str()
        ))
        .await;
    let child_card = cards[0]["number"].as_str().unwrap().to_string();
    let path = format!("/api/v1/counter/cards/{child_card}/collect");
    let (st, v) = clerk
        .post(&path, json!({"identity_checked": true, "collector": "holder"}))
        .await;
    assert_eq!(
        (st, v["errors"][0]["code"].as_str()),
        (422, Some("guardian_required")),
        "{v}"
    );
    let (st, v) = clerk
        .post(
            &path,
            json!({"identity_checked": true, "collector": "guardian", "guardian_id_number": w.victim.0.as_str()}),
        )
        .await;
    assert_eq!(
        (st, v["errors"][0]["code"].as_str()),
        (422, Some("not_guardian")),
        "{v}"
    );
    let (st, v) = clerk
        .post(
            &path,
            json!({"identity_checked": true, "collector": "guardian", "guardian_id_number": w.me.0.as_str()}),
        )
        .await;
    assert_eq!((st, v["state"].as_str()), (200, Some("collected")), "{v}");

    // Each applicant's history shows every step, each with its time.
    let head = ["start", "submit", "send_to_bank", "bank_accept", "produce"];
    let expect =
        |tail: &[&'static str]| -> Vec<&'static str> { head.iter().copied().chain(tail.iter().copied()).collect() };
    assert_eq!(
        names(&events(&resident, &pickup).await),
        expect(&["ready_for_pickup", "collect"])
    );
    assert_eq!(names(&events(&mailer, &mailed).await), expect(&["mail", "collect"]));
    assert_eq!(
        names(&events(&resident, &for_child).await),
        expect(&["ready_for_pickup", "collect"])
    );
    let worker = events(&employee, &at_work).await;
    assert_eq!(
        names(&worker),
        vec![
            "start",
            "confirm",
            "employer_submit",
            "send_to_bank",
            "bank_accept",
            "produce",
            "deliver_to_entity",
            "collect"
        ]
    );
    assert_eq!(worker.last().unwrap().1, "collected");
    for (who, app) in [
        (&resident, &pickup),
        (&mailer, &mailed),
        (&employee, &at_work),
        (&resident, &for_child),
    ] {
        let (_, v) = who.get(&format!("/api/v1/applications/{app}")).await;
        assert_eq!(v["state"], "collected", "{v}");
    }

    // A bank that rejects: the application goes back to the applicant with the bank's reason.
    registry(&s, &[employee_row(&id(1991, 2, 3, 88), "吴工", &w.entity)]).await;
    let (st, v) = resident
        .post(&format!("/api/v1/applications/{pickup}/withdraw"), json!({}))
        .await;
    assert_eq!(st, 409, "a collected application cannot be withdrawn: {v}");
    let late = Caller {
        api: world::api(&s.base),
        token: resident_as(&s, "late", &id(1991, 2, 3, 88), "吴工").await,
        _s: &s,
    };
    let again = apply(&late, json!({"occupation": "2"}), true).await;
    let (st, _) = handler
        .post("/api/v1/entity/submissions", json!({"applications": [again]}))
        .await;
    assert_eq!(st, 200);
    let stats = sim(&s, 1.0).drain().await.unwrap();
    assert_eq!((stats.pulled, stats.rejected), (1, 1), "{stats:?}");
    let (_, v) = late.get(&format!("/api/v1/applications/{again}/events")).await;
    let last = v.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["to"].as_str(), last["note"].as_str().map(|n| n.contains("照片"))),
        (Some("rejected"), Some(true)),
        "{last}"
    );
});

async fn registry(s: &Server, rows: &[String]) {
    let r = import_csv(&s.ctx, ImportKind::Registry, csv(REGISTRY_HEADER, rows).as_bytes())
        .await
        .unwrap();
    assert_eq!(r.rejected, 0, "{:?}", r.rejected_rows);
}
