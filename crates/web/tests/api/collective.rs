//! Employer collective application through the API, on both databases (SPEC §6, issue 6): the handler opens
//! it, employees confirm within what the entity allows, the handler submits a batch (one transaction; each
//! skipped employee with its reason; the same batch again changes nothing), and follows them in a list with
//! counts, filters, search, paging and a CSV export. Entities are kept apart: another's employee is 404.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::caller::{caller, field_codes, resident_as, Caller};
use crate::common::world::{self, As, PASSWORD};
use crate::common::Server;
use serde_json::{json, Value};
use sscard_app::import::{import_csv, ImportKind};
use sscard_domain::access::Role;
use sscard_domain::account::{AccountKind, Username};
use sscard_domain::values::{IdNumber, Uscc};
use sscard_testkit::fixtures::{csv, employee_row, id, individual_row, uscc, REGISTRY_HEADER};
use sscard_testkit::{both_engines, images, TestDb};
use sscard_web::Mode;

async fn registry(s: &Server, rows: &[String]) {
    let r = import_csv(&s.ctx, ImportKind::Registry, csv(REGISTRY_HEADER, rows).as_bytes())
        .await
        .unwrap();
    assert_eq!(r.rejected, 0, "{:?}", r.rejected_rows);
}

/// A second entity with its own handler (`handler_b`).
async fn entity_b<'a>(s: &'a Server) -> (String, Caller<'a>) {
    let b = uscc(4343);
    let entities = format!("uscc,name,address,district\n{b},另一单位,北京市海淀区二号,110108\n");
    import_csv(&s.ctx, ImportKind::Entities, entities.as_bytes())
        .await
        .unwrap();
    sscard_app::accounts::create_account(
        &s.ctx,
        None,
        AccountKind::EntityHandler {
            entity: Uscc::parse(&b).unwrap(),
        },
        Username::parse("handlerb").unwrap(),
        "handlerb",
        PASSWORD,
        &sscard_app::auth::Meta::default(),
    )
    .await
    .unwrap();
    let api = world::api(&s.base);
    let (st, v) = api.login("handlerb", PASSWORD).await;
    assert_eq!(st, 200, "{v}");
    let token = v["access_token"].as_str().unwrap().to_string();
    (b, Caller { api, token, _s: s })
}

fn settings(open: bool, collects: bool, branches: &[&str]) -> Value {
    json!({"open": open, "entity_collects": collects, "contact_name": "王经办", "contact_mobile": "13800138000",
           "branches": branches})
}

async fn put_settings(h: &Caller<'_>, body: Value) -> (u16, Value) {
    h.call(reqwest::Method::PUT, "/api/v1/entity/collective", Some(body))
        .await
}

/// Starts the employee's collective draft and makes it complete (documents, the given collection).
async fn complete_draft(e: &Caller<'_>, collection: &str) -> String {
    let (st, v) = e
        .post(
            "/api/v1/applications",
            json!({"disclaimer": true, "access_authorisation": true}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["route"], "collective", "{v}");
    let app = v["id"].as_str().unwrap().to_string();
    let mut patch = json!({"collection": collection, "occupation": "2"});
    if collection == "bank_mail" {
        patch["mail"] = json!({"recipient": "赵工", "mobile": "13900001234", "district": "110108",
                               "postal_code": "100080", "address": "海淀区测试路2号"});
    }
    let (st, v) = e.patch(&app, patch).await;
    assert_eq!(st, 200, "{v}");
    for (kind, bytes) in [
        ("card_photo", images::card_photo()),
        ("id_front", images::jpeg(800, 500)),
        ("id_back", images::jpeg(800, 500)),
    ] {
        let (st, v) = e.upload(&app, kind, bytes, "image/jpeg").await;
        assert_eq!(st, 200, "{kind}: {v}");
    }
    app
}

async fn confirm(e: &Caller<'_>, app: &str) -> (u16, Value) {
    e.post(
        &format!("/api/v1/applications/{app}/confirm"),
        json!({"commitment": true, "confirm": true}),
    )
    .await
}

fn reasons(v: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["application"].as_str().unwrap().to_string(),
                l["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn submitted_ids(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v["submitted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["application"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

async fn state_of(s: &Server, app: &str) -> String {
    s.ctx
        .store
        .application(app)
        .await
        .unwrap()
        .unwrap()
        .state
        .as_str()
        .to_string()
}

both_engines!(the_whole_collective_journey, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let w = world::seed(&s.ctx).await;
    let second = (id(1990, 1, 2, 55), "钱工".to_string());
    let leaver = (id(1988, 3, 4, 66), "孙工".to_string());
    registry(
        &s,
        &[
            employee_row(&second.0, &second.1, &w.entity),
            employee_row(&leaver.0, &leaver.1, &w.entity),
        ],
    )
    .await;
    let handler = caller(&s, As::Role(Role::EntityHandler)).await;
    let handler_id = handler.get("/api/v1/me").await.1["id"].as_str().unwrap().to_string();
    let e1 = resident_as(&s, "employee1", &w.employee.0, &w.employee.1).await;
    let e1 = Caller {
        api: world::api(&s.base),
        token: e1,
        _s: &s,
    };

    // Not open yet: the employee is told to wait for the employer.
    let (st, v) = e1
        .post(
            "/api/v1/applications",
            json!({"disclaimer": true, "access_authorisation": true}),
        )
        .await;
    assert_eq!((st, v["code"].as_str()), (422, Some("employer_not_open")), "{v}");

    // The handler sees the entity from the registry, no settings yet.
    let (st, v) = handler.get("/api/v1/entity/collective").await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (v["uscc"].as_str(), v["name"].as_str()),
        (Some(w.entity.as_str()), Some("测试单位"))
    );
    assert!(v["settings"].is_null());

    // Bad settings are refused field by field, and nothing is stored.
    let mut bad = settings(true, false, &[]);
    bad["contact_mobile"] = json!("12345");
    let (st, v) = put_settings(&handler, bad).await;
    assert_eq!(st, 422, "{v}");
    let mut codes = field_codes(&v);
    codes.sort();
    assert_eq!(
        codes,
        vec![
            ("branches".into(), "branches_required".into()),
            ("contact_mobile".into(), "mobile_invalid".into())
        ]
    );
    let (st, v) = put_settings(&handler, settings(true, false, &["999-0000"])).await;
    assert_eq!(
        (st, field_codes(&v)),
        (422, vec![("branches".into(), "invalid_choice".into())])
    );
    let (_, v) = handler.get("/api/v1/entity/collective").await;
    assert!(v["settings"].is_null(), "{v}");
    let (_, v) = handler.get("/api/v1/entity/collective/history").await;
    assert_eq!(v.as_array().unwrap().len(), 0);

    // Opened: one branch allowed, employees choose how to collect.
    let (st, v) = put_settings(&handler, settings(true, false, &["102-0101"])).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["branches"], json!([{"bank": "102", "branch": "102-0101"}]));

    // The employee's draft: the registry's fields, the one branch prefilled, the entity's collection choices.
    let (st, v) = e1
        .post(
            "/api/v1/applications",
            json!({"disclaimer": true, "access_authorisation": true}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let app1 = v["id"].as_str().unwrap().to_string();
    assert_eq!(
        (v["route"].as_str(), v["state"].as_str()),
        (Some("collective"), Some("draft"))
    );
    assert_eq!(
        (v["bank"].as_str(), v["branch"].as_str()),
        (Some("102"), Some("102-0101"))
    );
    assert_eq!(v["allowed_collection"], json!(["branch_pickup", "bank_mail"]));
    assert_eq!(
        v["employer"]["allowed_branches"],
        json!([{"bank": "102", "branch": "102-0101"}])
    );
    // A branch or a collection method the entity does not allow is refused, and nothing changes.
    let (st, v) = e1.patch(&app1, json!({"bank": "102", "branch": "102-0105"})).await;
    assert_eq!(
        (st, field_codes(&v)),
        (422, vec![("branch".into(), "branch_not_allowed".into())])
    );
    let (st, v) = e1.patch(&app1, json!({"bank": "105", "branch": "105-0105"})).await;
    assert_eq!(
        (st, field_codes(&v)),
        (422, vec![("branch".into(), "branch_not_allowed".into())])
    );
    let (st, v) = e1.patch(&app1, json!({"collection": "employer_collection"})).await;
    assert_eq!(
        (st, field_codes(&v)),
        (422, vec![("collection".into(), "collection_not_allowed".into())])
    );
    let (_, v) = e1.get(&format!("/api/v1/applications/{app1}")).await;
    assert_eq!(
        (v["branch"].as_str(), v["collection"].as_str()),
        (Some("102-0101"), None)
    );
    // Confirming an incomplete draft names what is missing.
    let (st, v) = confirm(&e1, &app1).await;
    assert_eq!((st, v["code"].as_str()), (422, Some("incomplete")), "{v}");
    // Withdraw it and start over with a complete one.
    let (st, _) = e1
        .post(&format!("/api/v1/applications/{app1}/withdraw"), json!({}))
        .await;
    assert_eq!(st, 200);
    let app1 = complete_draft(&e1, "branch_pickup").await;

    // The employee confirms; they cannot submit: the employer does.
    let (st, v) = e1.submit(&app1, None, true, true).await;
    assert_eq!((st, v["code"].as_str()), (409, Some("submitted_by_employer")), "{v}");
    let (st, v) = e1
        .post(
            &format!("/api/v1/applications/{app1}/confirm"),
            json!({"commitment": false, "confirm": true}),
        )
        .await;
    assert_eq!((st, v["code"].as_str()), (422, Some("consent_required")), "{v}");
    assert_eq!(state_of(&s, &app1).await, "draft");
    let (st, v) = confirm(&e1, &app1).await;
    assert_eq!((st, v["state"].as_str()), (200, Some("confirmed")), "{v}");
    // Confirming again changes nothing; editing is still allowed until the handler submits.
    let (st, _) = confirm(&e1, &app1).await;
    assert_eq!(st, 200);
    let (st, v) = e1.patch(&app1, json!({"mobile": "13911112222"})).await;
    assert_eq!((st, v["state"].as_str()), (200, Some("confirmed")), "{v}");
    let events = s.ctx.store.events(&app1).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.event.as_str() == "confirm").count(), 1);

    // Two more confirm: one by mail, one who then leaves the entity.
    let e2 = Caller {
        api: world::api(&s.base),
        token: resident_as(&s, "employee2", &second.0, &second.1).await,
        _s: &s,
    };
    let app2 = complete_draft(&e2, "bank_mail").await;
    assert_eq!(confirm(&e2, &app2).await.0, 200);
    let e3 = Caller {
        api: world::api(&s.base),
        token: resident_as(&s, "employee3", &leaver.0, &leaver.1).await,
        _s: &s,
    };
    let app3 = complete_draft(&e3, "branch_pickup").await;
    assert_eq!(confirm(&e3, &app3).await.0, 200);
    registry(&s, &[individual_row(&leaver.0, &leaver.1)]).await;

    // The counts and the list.
    let (st, v) = handler.get("/api/v1/entity/employees/counts").await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["total"], 3, "{v}");
    assert_eq!(v["statuses"], json!([{"status": "confirmed", "count": 3}]), "{v}");

    // Another entity's handler reaches none of it: 404 like a missing record, and skipped as not found.
    let (_b, handler_b) = entity_b(&s).await;
    let (st, missing) = handler_b.get("/api/v1/entity/applications/no-such-id").await;
    let (st2, other) = handler_b.get(&format!("/api/v1/entity/applications/{app1}")).await;
    assert_eq!((st, st2), (404, 404));
    assert_eq!(missing["code"], other["code"]);
    assert_eq!(missing["title"], other["title"]);
    let (st, v) = put_settings(&handler_b, settings(true, false, &["102-0101"])).await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = handler_b
        .post("/api/v1/entity/submissions", json!({"applications": [app1]}))
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(reasons(&v), vec![(app1.clone(), "not_found".to_string())]);
    assert_eq!(state_of(&s, &app1).await, "confirmed");
    let (_, v) = handler_b.get("/api/v1/entity/employees").await;
    assert_eq!(v["employees"].as_array().unwrap().len(), 0, "{v}");

    // The handler submits the three and one unknown id: one transaction; the leaver and the unknown skipped.
    let sms_before = s.ctx.store.pending_sms().await.unwrap();
    let batch = json!({"applications": [app1, app2, app3, "no-such-id"]});
    let (st, v) = handler.post("/api/v1/entity/submissions", batch.clone()).await;
    assert_eq!(st, 200, "{v}");
    let mut expected = vec![app1.clone(), app2.clone()];
    expected.sort();
    assert_eq!(submitted_ids(&v), expected);
    let mut skipped = vec![
        (app3.clone(), "left_entity".to_string()),
        ("no-such-id".to_string(), "not_found".to_string()),
    ];
    skipped.sort();
    assert_eq!(reasons(&v), skipped);
    assert_eq!(v["due_on"].as_str(), Some("2026-12-21"), "{v}");
    for app in [&app1, &app2] {
        assert_eq!(state_of(&s, app).await, "submitted");
        let orders = s.ctx.store.orders_of_application(app).await.unwrap();
        assert_eq!(orders.len(), 1);
        let last = s.ctx.store.events(app).await.unwrap().pop().unwrap();
        assert_eq!(
            (last.event.as_str(), last.actor.as_str()),
            ("employer_submit", handler_id.as_str())
        );
    }
    assert_eq!(state_of(&s, &app3).await, "confirmed");
    assert_eq!(s.ctx.store.pending_sms().await.unwrap(), sms_before + 2);
    // The employee sees it in 我的办事; they can no longer edit.
    let (_, v) = e1.get(&format!("/api/v1/applications/{app1}")).await;
    assert_eq!(v["state"], "submitted");
    let (st, _) = e1.patch(&app1, json!({"mobile": "13911113333"})).await;
    assert_eq!(st, 409);

    // The same batch again changes nothing.
    let (st, v) = handler.post("/api/v1/entity/submissions", batch).await;
    assert_eq!(st, 200, "{v}");
    assert!(submitted_ids(&v).is_empty());
    let mut again = vec![
        (app1.clone(), "already_submitted".to_string()),
        (app2.clone(), "already_submitted".to_string()),
        (app3.clone(), "left_entity".to_string()),
        ("no-such-id".to_string(), "not_found".to_string()),
    ];
    again.sort();
    assert_eq!(reasons(&v), again);
    assert_eq!(s.ctx.store.orders_of_application(&app1).await.unwrap().len(), 1);
    assert_eq!(s.ctx.store.pending_sms().await.unwrap(), sms_before + 2);
    let (st, v) = handler
        .post("/api/v1/entity/submissions", json!({"applications": []}))
        .await;
    assert_eq!(
        (st, field_codes(&v)),
        (422, vec![("applications".into(), "selection_required".into())])
    );

    // The list: filters, search, paging, masked numbers; the leaver is still listed, as no longer employed.
    let (st, v) = handler.get("/api/v1/entity/employees?status=submitted").await;
    assert_eq!(st, 200, "{v}");
    let rows = v["employees"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{v}");
    assert!(rows
        .iter()
        .all(|r| r["id_number"].as_str().unwrap().contains("**********")));
    let (_, v) = handler.get("/api/v1/entity/employees?status=confirmed").await;
    let rows = v["employees"].as_array().unwrap();
    assert_eq!((rows.len(), rows[0]["employed"].as_bool()), (1, Some(false)), "{v}");
    let (_, v) = handler.get("/api/v1/entity/employees?q=%E9%92%B1").await; // 钱
    assert_eq!(v["employees"][0]["name"], "钱工", "{v}");
    assert_eq!(v["employees"].as_array().unwrap().len(), 1);
    let (_, v) = handler
        .get(&format!("/api/v1/entity/employees?q={}", w.employee.0.as_str()))
        .await;
    assert_eq!(v["employees"][0]["name"], "赵工", "{v}");
    let (_, v) = handler.get("/api/v1/entity/employees?q=%25").await; // a wildcard matches nothing
    assert_eq!(v["employees"].as_array().unwrap().len(), 0, "{v}");
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (st, v) = handler
            .get(&format!("/api/v1/entity/employees?limit=1&cursor={cursor}"))
            .await;
        assert_eq!(st, 200, "{v}");
        for r in v["employees"].as_array().unwrap() {
            seen.push(r["name"].as_str().unwrap().to_string());
        }
        match v["next"].as_str() {
            Some(n) => cursor = n.to_string(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    let (st, v) = handler.get("/api/v1/entity/employees?status=lost").await;
    assert_eq!(
        (st, field_codes(&v)),
        (422, vec![("status".into(), "invalid_choice".into())])
    );
    let (st, csv_text) = handler
        .api
        .call(
            reqwest::Method::GET,
            "/api/v1/entity/employees.csv",
            Some(&handler.token),
            None,
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(csv_text.lines().count(), 4, "{csv_text}");
    assert!(csv_text.starts_with("name,id_number,employed,status,reference,updated_at"));
    for person in [&w.employee.0, &second.0, &leaver.0] {
        assert!(!csv_text.contains(person.as_str()), "a full ID number in the export");
        assert!(csv_text.contains(&person.masked()));
    }

    // The entity now collects the cards: a new employee's only choice, prefilled.
    let fourth = (id(1995, 5, 5, 77), "周工".to_string());
    registry(&s, &[employee_row(&fourth.0, &fourth.1, &w.entity)]).await;
    assert_eq!(
        put_settings(&handler, settings(true, true, &["102-0101", "102-0105"]))
            .await
            .0,
        200
    );
    let e4 = Caller {
        api: world::api(&s.base),
        token: resident_as(&s, "employee4", &fourth.0, &fourth.1).await,
        _s: &s,
    };
    let (st, v) = e4
        .post(
            "/api/v1/applications",
            json!({"disclaimer": true, "access_authorisation": true}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["allowed_collection"], json!(["employer_collection"]));
    assert_eq!(v["collection"], "employer_collection");
    assert!(v["branch"].is_null(), "two branches: the employee chooses");
    let app4 = v["id"].as_str().unwrap().to_string();
    // A draft is not confirmed yet: the only one the filter finds.
    let (_, v) = handler.get("/api/v1/entity/employees?status=not_confirmed").await;
    let rows = v["employees"].as_array().unwrap();
    assert_eq!((rows.len(), rows[0]["name"].as_str()), (1, Some("周工")), "{v}");
    let (st, v) = e4.patch(&app4, json!({"collection": "branch_pickup"})).await;
    assert_eq!(
        (st, field_codes(&v)),
        (422, vec![("collection".into(), "collection_not_allowed".into())])
    );

    // Closed: nobody confirms or submits; every change is in the history.
    assert_eq!(put_settings(&handler, settings(false, true, &[])).await.0, 200);
    let (st, v) = confirm(&e4, &app4).await;
    assert_eq!((st, v["code"].as_str()), (409, Some("collective_closed")), "{v}");
    let (st, v) = handler
        .post("/api/v1/entity/submissions", json!({"all_confirmed": true}))
        .await;
    assert_eq!((st, v["code"].as_str()), (409, Some("collective_closed")), "{v}");
    let (_, v) = handler.get("/api/v1/entity/collective/history").await;
    let history = v.as_array().unwrap();
    assert_eq!(history.len(), 3, "{v}");
    assert_eq!(
        (
            history[0]["settings"]["open"].as_bool(),
            history[2]["settings"]["open"].as_bool()
        ),
        (Some(true), Some(false))
    );
    assert!(history.iter().all(|h| h["actor"] == handler_id.as_str()));

    // The console's adoption report counts the day: both employers set up, employees confirmed and submitted;
    // the production report finds both submissions in time, the SMS report both texts queued.
    let admin = caller(&s, As::Role(Role::Admin)).await;
    let total = |v: &Value, code: &str| {
        v["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["code"] == code)
            .unwrap()["total"]
            .as_u64()
            .unwrap()
    };
    let (st, v) = admin.get("/api/v1/admin/reports/employers").await;
    assert_eq!(st, 200, "{v}");
    assert_eq!((total(&v, "opened"), total(&v, "submitted")), (2, 2), "{v}");
    assert!(total(&v, "confirmed") >= 2, "{v}");
    let (_, v) = admin.get("/api/v1/admin/reports/production").await;
    assert_eq!((total(&v, "in_time"), total(&v, "overdue")), (2, 0), "{v}");
    let (_, v) = admin.get("/api/v1/admin/reports/sms").await;
    assert!(v["total"].as_u64().unwrap() >= 2, "{v}");
});

both_engines!(concurrent_batches_submit_each_employee_once, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let w = world::seed(&s.ctx).await;
    // A second handler of the same entity.
    sscard_app::accounts::create_account(
        &s.ctx,
        None,
        AccountKind::EntityHandler {
            entity: Uscc::parse(&w.entity).unwrap(),
        },
        Username::parse("handler2").unwrap(),
        "handler2",
        PASSWORD,
        &sscard_app::auth::Meta::default(),
    )
    .await
    .unwrap();
    let handler = caller(&s, As::Role(Role::EntityHandler)).await;
    assert_eq!(
        put_settings(&handler, settings(true, false, &["102-0101"])).await.0,
        200
    );
    let people: Vec<(IdNumber, String)> = (0..6)
        .map(|i| {
            (
                id(1985, 1, 10 + i, 100 + i as u16),
                format!("员工{}", ["甲", "乙", "丙", "丁", "戊", "己"][i as usize]),
            )
        })
        .collect();
    registry(
        &s,
        &people
            .iter()
            .map(|(i, n)| employee_row(i, n, &w.entity))
            .collect::<Vec<_>>(),
    )
    .await;
    let mut apps = Vec::new();
    for (n, (idn, name)) in people.iter().enumerate() {
        let e = Caller {
            api: world::api(&s.base),
            token: resident_as(&s, &format!("emp{n}"), idn, name).await,
            _s: &s,
        };
        let app = complete_draft(&e, "branch_pickup").await;
        assert_eq!(confirm(&e, &app).await.0, 200);
        apps.push(app);
    }
    let api = world::api(&s.base);
    let (st, v) = api.login("handler2", PASSWORD).await;
    assert_eq!(st, 200, "{v}");
    let handler2 = Caller {
        api,
        token: v["access_token"].as_str().unwrap().to_string(),
        _s: &s,
    };
    let body = json!({"all_confirmed": true});
    let (a, b) = tokio::join!(
        handler.post("/api/v1/entity/submissions", body.clone()),
        handler2.post("/api/v1/entity/submissions", body.clone())
    );
    assert_eq!((a.0, b.0), (200, 200), "{a:?} {b:?}");
    let total = submitted_ids(&a.1).len() + submitted_ids(&b.1).len();
    assert_eq!(total, apps.len(), "{a:?} {b:?}");
    for app in &apps {
        assert_eq!(state_of(&s, app).await, "submitted");
        assert_eq!(s.ctx.store.orders_of_application(app).await.unwrap().len(), 1);
        let submits = s
            .ctx
            .store
            .events(app)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.event.as_str() == "employer_submit")
            .count();
        assert_eq!(submits, 1);
    }
});

both_engines!(
    cards_the_entity_collects_are_handed_out_or_returned,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        let second = (id(1990, 1, 2, 55), "钱工".to_string());
        registry(&s, &[employee_row(&second.0, &second.1, &w.entity)]).await;
        let handler = caller(&s, As::Role(Role::EntityHandler)).await;
        assert_eq!(put_settings(&handler, settings(true, true, &["102-0101"])).await.0, 200);
        let mut apps = Vec::new();
        for (n, (person, name)) in [(&w.employee.0, &w.employee.1), (&second.0, &second.1)]
            .into_iter()
            .enumerate()
        {
            let e = Caller {
                api: world::api(&s.base),
                token: resident_as(&s, &format!("employee{n}"), person, name).await,
                _s: &s,
            };
            let app = complete_draft(&e, "employer_collection").await;
            assert_eq!(confirm(&e, &app).await.0, 200);
            apps.push(app);
        }
        let (st, v) = handler
            .post("/api/v1/entity/submissions", json!({"all_confirmed": true}))
            .await;
        assert_eq!((st, submitted_ids(&v).len()), (200, 2), "{v}");

        // The bank makes both cards and delivers them to the entity.
        let bank = caller(&s, As::Role(Role::BankSystem)).await;
        let (st, v) = bank.post("/api/v1/bank/orders/pull", json!({})).await;
        assert_eq!(st, 200, "{v}");
        let orders: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(orders.len(), 2);
        for (i, order) in orders.iter().enumerate() {
            for body in [
                json!({"status": "accepted"}),
                json!({"status": "produced", "card_number": format!("J900{i}"), "masked_account": format!("6222********000{i}")}),
                json!({"status": "delivered_to_entity"}),
            ] {
                let (st, v) = bank.post(&format!("/api/v1/bank/orders/{order}/reports"), body).await;
                assert_eq!(st, 200, "{v}");
            }
        }

        // The entity holds both, due within 30 days of collection.
        let (st, v) = handler.get("/api/v1/entity/cards").await;
        assert_eq!(st, 200, "{v}");
        let held = v.as_array().unwrap();
        assert_eq!(held.len(), 2, "{v}");
        assert!(
            held.iter()
                .all(|c| c["overdue"] == false && c["return_by"] == "2026-12-21"),
            "{v}"
        );
        assert!(held
            .iter()
            .all(|c| c["id_number"].as_str().unwrap().contains("**********")));
        let mut names: Vec<&str> = held.iter().map(|c| c["name"].as_str().unwrap()).collect();
        names.sort();
        assert_eq!(names, vec!["赵工", "钱工"], "{v}");

        // Another entity sees none of them and cannot settle them.
        let (_b, handler_b) = entity_b(&s).await;
        let (_, v) = handler_b.get("/api/v1/entity/cards").await;
        assert_eq!(v.as_array().unwrap().len(), 0);
        let (st, _) = handler_b
            .post(&format!("/api/v1/entity/cards/{}/handover", apps[0]), json!({}))
            .await;
        assert_eq!(st, 404);
        assert_eq!(state_of(&s, &apps[0]).await, "delivered_to_entity");

        // Thirty-one days later both are overdue.
        s.clock.advance(chrono::Duration::days(31));
        // A fresh token: the first has long expired.
        let handler = caller(&s, As::Role(Role::EntityHandler)).await;
        let (_, v) = handler.get("/api/v1/entity/cards").await;
        assert!(v.as_array().unwrap().iter().all(|c| c["overdue"] == true), "{v}");

        // One is handed to its holder: collected, and their 我的办事 says so.
        let (st, v) = handler
            .post(&format!("/api/v1/entity/cards/{}/handover", apps[0]), json!({}))
            .await;
        assert_eq!((st, v["state"].as_str()), (200, Some("collected")), "{v}");
        let api = world::api(&s.base);
        let (_, t) = api.login("employee0", PASSWORD).await;
        let employee = Caller {
            api,
            token: t["access_token"].as_str().unwrap().to_string(),
            _s: &s,
        };
        let (_, v) = employee.get(&format!("/api/v1/applications/{}", apps[0])).await;
        assert_eq!(v["state"], "collected", "{v}");
        let (st, v) = handler
            .post(&format!("/api/v1/entity/cards/{}/handover", apps[0]), json!({}))
            .await;
        assert_eq!((st, v["code"].as_str()), (409, Some("not_allowed_now")), "{v}");

        // The other is returned to the bank: ready for pickup at the branch, and the holder is told by text.
        let sms_before = s.ctx.store.pending_sms().await.unwrap();
        let (st, v) = handler
            .post(&format!("/api/v1/entity/cards/{}/return", apps[1]), json!({}))
            .await;
        assert_eq!((st, v["state"].as_str()), (200, Some("ready_for_pickup")), "{v}");
        assert_eq!(s.ctx.store.pending_sms().await.unwrap(), sms_before + 1);
        let last = s.ctx.store.events(&apps[1]).await.unwrap().pop().unwrap();
        assert_eq!(last.event.as_str(), "return_to_bank");
        let (_, v) = handler.get("/api/v1/entity/cards").await;
        assert_eq!(v.as_array().unwrap().len(), 0, "{v}");
    }
);

/// A batch submission with an `Idempotency-Key`.
async fn submit_with_key(h: &Caller<'_>, key: &str, body: &Value) -> (u16, Value) {
    let r = h
        .api
        .http
        .post(h.api.url("/api/v1/entity/submissions"))
        .bearer_auth(&h.token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

// The handler's answer is lost and they send the batch again with the same key: they get the first answer
// (what was submitted, what was skipped and why), marked replayed, and nothing is submitted twice. Two copies
// sent at once submit once. A new key is a new batch.
both_engines!(
    a_batch_sent_again_with_its_key_answers_the_first_answer,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        let handler = caller(&s, As::Role(Role::EntityHandler)).await;
        assert_eq!(
            put_settings(&handler, settings(true, false, &["102-0101"])).await.0,
            200
        );
        let people: Vec<(IdNumber, String)> = (0..3)
            .map(|i| {
                (
                    id(1986, 2, 10 + i, 200 + i as u16),
                    format!("职工{}", ["子", "丑", "寅"][i as usize]),
                )
            })
            .collect();
        registry(
            &s,
            &people
                .iter()
                .map(|(i, n)| employee_row(i, n, &w.entity))
                .collect::<Vec<_>>(),
        )
        .await;
        let mut apps = Vec::new();
        for (n, (idn, name)) in people.iter().enumerate() {
            let e = Caller {
                api: world::api(&s.base),
                token: resident_as(&s, &format!("keyemp{n}"), idn, name).await,
                _s: &s,
            };
            let app = complete_draft(&e, "branch_pickup").await;
            if n < 2 {
                assert_eq!(confirm(&e, &app).await.0, 200);
            }
            apps.push(app);
        }
        let body = json!({"applications": apps});
        // Two copies at once, one key: one batch.
        let (a, b) = tokio::join!(
            submit_with_key(&handler, "batch-1", &body),
            submit_with_key(&handler, "batch-1", &body)
        );
        assert_eq!((a.0, b.0), (200, 200), "{a:?} {b:?}");
        assert_eq!(submitted_ids(&a.1).len(), 2, "{a:?}");
        assert_eq!(submitted_ids(&a.1), submitted_ids(&b.1), "the same answer: {a:?} {b:?}");
        assert_eq!(reasons(&a.1), reasons(&b.1));
        assert!(
            a.1["replayed"].as_bool().unwrap() ^ b.1["replayed"].as_bool().unwrap(),
            "one of the two replays"
        );
        // Later, the answer lost: the first answer again.
        let (st, again) = submit_with_key(&handler, "batch-1", &body).await;
        assert_eq!(st, 200);
        assert_eq!(again["replayed"], true);
        assert_eq!(submitted_ids(&again), submitted_ids(&a.1));
        assert_eq!(reasons(&again), reasons(&a.1), "with the skipped one and its reason");
        assert_eq!(again["due_on"], a.1["due_on"]);
        for app in &apps[..2] {
            assert_eq!(
                s.ctx.store.orders_of_application(app).await.unwrap().len(),
                1,
                "submitted once"
            );
        }
        // A new key is a new batch: nothing left to submit, each already submitted.
        let (st, fresh) = submit_with_key(&handler, "batch-2", &body).await;
        assert_eq!((st, fresh["replayed"].as_bool()), (200, Some(false)));
        assert!(submitted_ids(&fresh).is_empty(), "{fresh}");
        // Another handler's key is theirs alone: a resident may not submit at all.
        let resident = caller(&s, As::Resident).await;
        let (st, _) = submit_with_key(&resident, "batch-1", &body).await;
        assert_eq!(st, 403);
    }
);
