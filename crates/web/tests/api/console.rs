//! The bureau's console in the API (SPEC §10): imports uploaded as files and run in the background, with their
//! progress, row report, refusals and the one-running-job-per-kind rule.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use sscard_app::ports::{ImportCounts, ImportJob, ImportJobState};
use sscard_domain::access::Role;
use sscard_testkit::fixtures::{csv, guardianship_row, id, individual_row, minor_row, uscc, REGISTRY_HEADER};
use sscard_testkit::{both_engines, TestDb};
use sscard_web::Mode;

use crate::common::caller::{caller, Caller};
use crate::common::world::{self, As};
use crate::common::Server;

const ADMIN: As = As::Role(Role::Admin);

/// Uploads `body` as an import of `kind`: the status and the answer.
async fn upload(c: &Caller<'_>, kind: &str, body: &str) -> (u16, Value) {
    let r = c
        .api
        .http
        .post(
            c.api
                .url(&format!("/api/v1/admin/imports/{kind}?file_name={kind}-test.csv")),
        )
        .bearer_auth(&c.token)
        .header("content-type", "text/csv")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    if st == 202 {
        let location = r.headers()["location"].to_str().unwrap().to_string();
        let v: Value = r.json().await.unwrap();
        assert_eq!(
            location,
            format!("/api/v1/admin/imports/{kind}/{}", v["id"].as_str().unwrap())
        );
        return (st, v);
    }
    (st, r.json().await.unwrap_or(Value::Null))
}

/// Another instance on the same database: its own pool, its own server, the same clock.
async fn second_instance(s: &Server, url: &str) -> Server {
    let ctx = sscard_testkit::context(sscard_storage::connect(url).await.unwrap(), s.clock.clone());
    Server::serve(ctx, s.clock.clone(), sscard_web::WebConfig::default()).await
}

/// A JSON `PUT` as `c`: the status and the answer.
async fn put(c: &Caller<'_>, path: &str, body: Value) -> (u16, Value) {
    c.call(reqwest::Method::PUT, path, Some(body)).await
}

/// Follows a job until it has ended (the import runs in the background).
async fn ended(c: &Caller<'_>, job: &Value) -> Value {
    let path = format!(
        "/api/v1/admin/imports/{}/{}",
        job["kind"].as_str().unwrap(),
        job["id"].as_str().unwrap()
    );
    for _ in 0..600 {
        let (st, v) = c.get(&path).await;
        assert_eq!(st, 200, "{v}");
        if v["state"] != "running" {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import of {job} did not end");
}

/// The row report's lines, header included.
async fn report(c: &Caller<'_>, job: &Value) -> Vec<String> {
    let r = c
        .api
        .http
        .get(c.api.url(job["rejections"].as_str().unwrap()))
        .bearer_auth(&c.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    r.text().await.unwrap().lines().map(str::to_string).collect()
}

both_engines!(
    each_kind_is_imported_in_the_background_with_its_row_report,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        let c = caller(&s, ADMIN).await;
        let newcomer = id(1985, 5, 5, 55);
        let child = id(2020, 1, 2, 66);
        let files = [
        (
            "registry",
            csv(
                REGISTRY_HEADER,
                &[
                    individual_row(&newcomer, "钱新"),
                    minor_row(&child, "钱小"),
                    individual_row(&newcomer, "钱新").replacen(newcomer.as_str(), "110101198505050000", 1),
                ],
            ),
            "id_number",
        ),
        (
            "entities",
            format!(
                "uscc,name,address,district\n{},新单位,北京市东城区五号,110101\nNOT-A-USCC,坏单位,地址,110101\n",
                uscc(777)
            ),
            "uscc",
        ),
        (
            "guardianship",
            // The registry file above made the child; the second row names nobody valid.
            format!(
                "guardian_id,child_id,relationship,guardian_is_householder,same_booklet\n{}\n123,{child},51,true,true\n",
                guardianship_row(&w.me.0, &child, "51", true)
            ),
            "guardian_id",
        ),
        (
            "branches",
            "code,bank,name,district,address,accepts_pickup,instant_issuance\n\
             102-0777,102,测试导入支行,110105,朝阳区七号,true,false\n\
             999-0001,999,无此银行,110105,地址,true,false\n"
                .to_string(),
            "bank",
        ),
        (
            "outlets",
            "code,name,district,address\nD-777,测试导入网点,110105,朝阳区八号\nD-778,坏网点,999999,地址\n".to_string(),
            "district",
        ),
    ];
        for (kind, body, bad_column) in &files {
            s.clock.advance(chrono::Duration::minutes(1));
            let (st, job) = upload(&c, kind, body).await;
            assert_eq!(st, 202, "{kind}: {job}");
            assert_eq!(job["state"], "running", "{kind}");
            assert_eq!(job["file_name"], format!("{kind}-test.csv"));
            let done = ended(&c, &job).await;
            assert_eq!(done["state"], "finished", "{kind}: {done}");
            let accepted = if *kind == "registry" { 2 } else { 1 };
            assert_eq!(
                (
                    done["rows_read"].as_u64(),
                    done["accepted"].as_u64(),
                    done["rejected"].as_u64()
                ),
                (Some(accepted + 1), Some(accepted), Some(1)),
                "{kind}: {done}"
            );
            let lines = report(&c, &done).await;
            assert_eq!(lines[0], "row,column,reason", "{kind}");
            assert_eq!(lines.len(), 2, "{kind}: {lines:?}");
            let row = accepted + 2;
            assert!(
                lines[1].starts_with(&format!("{row},{bad_column},")),
                "{kind}: {lines:?}"
            );
        }
        // What was accepted is stored; what was rejected is not.
        assert!(s.ctx.store.person(&newcomer).await.unwrap().is_some());
        let (_, branches) = c.get("/api/v1/reference/branches?bank=102").await;
        assert!(branches.to_string().contains("102-0777"), "{branches}");
        let (_, outlets) = c.get("/api/v1/reference/outlets").await;
        assert!(outlets.to_string().contains("D-777") && !outlets.to_string().contains("D-778"));

        // The jobs are listed, newest first.
        let (st, list) = c.get("/api/v1/admin/imports").await;
        assert_eq!(st, 200);
        let kinds: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds.len(), 5, "{list}");
        assert_eq!(kinds.first(), Some(&"outlets"));

        // A re-import updates by key: the same branch, renamed, is one branch.
        let renamed = "code,bank,name,district,address,accepts_pickup,instant_issuance\n\
                   102-0777,102,改名支行,110105,朝阳区七号,true,false\n";
        let (_, job) = upload(&c, "branches", renamed).await;
        assert_eq!(ended(&c, &job).await["state"], "finished");
        let (_, branches) = c.get("/api/v1/reference/branches?bank=102").await;
        let text = branches.to_string();
        assert!(text.contains("改名支行") && !text.contains("测试导入支行"), "{text}");
    }
);

both_engines!(
    the_calendar_is_imported_as_a_job_and_a_bad_one_stores_nothing,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let c = caller(&s, ADMIN).await;
        let (st, job) = upload(
            &c,
            "calendar",
            "date,kind,name\n2031-01-01,holiday,元旦\n2031-02-01,workday,调休\n",
        )
        .await;
        assert_eq!(st, 202, "{job}");
        let done = ended(&c, &job).await;
        assert_eq!(done["state"], "finished", "{done}");
        assert_eq!(done["accepted"], 2);
        let (_, cal) = c.get("/api/v1/admin/calendar").await;
        assert!(
            cal["years"].as_array().unwrap().iter().any(|y| y["year"] == 2031),
            "{cal}"
        );

        // 2032-01-03 is a Saturday: a holiday on it is a mistake in the file, and nothing of the file is loaded.
        let (_, job) = upload(
            &c,
            "calendar",
            "date,kind,name\n2032-01-01,holiday,元旦\n2032-01-03,holiday,x\n",
        )
        .await;
        let done = ended(&c, &job).await;
        assert_eq!(done["state"], "failed", "{done}");
        assert!(done["failure"].as_str().unwrap().contains("weekend"), "{done}");
        let (_, cal) = c.get("/api/v1/admin/calendar").await;
        assert!(
            !cal["years"].as_array().unwrap().iter().any(|y| y["year"] == 2032),
            "{cal}"
        );
    }
);

both_engines!(a_file_without_its_columns_starts_nothing, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    world::seed(&s.ctx).await;
    let c = caller(&s, ADMIN).await;
    let (st, v) = upload(&c, "entities", "uscc,name\n91110000000000777X,单位\n").await;
    assert_eq!(st, 422, "{v}");
    assert_eq!(v["code"], "invalid_fields");
    assert_eq!(v["errors"][0]["field"], "file");
    assert_eq!(v["errors"][0]["code"], "import_missing_columns");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("address, district"),
        "{v}"
    );
    let (st, v) = upload(&c, "entities", "").await;
    assert_eq!(
        (st, v["errors"][0]["code"].as_str()),
        (422, Some("import_no_header")),
        "{v}"
    );
    // An unknown kind names nothing.
    let (st, _) = upload(&c, "passwords", "a,b\n").await;
    assert_eq!(st, 404);
    let (_, list) = c.get("/api/v1/admin/imports").await;
    assert_eq!(list, serde_json::json!([]), "nothing was started");
});

both_engines!(one_import_of_a_kind_runs_at_a_time, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    world::seed(&s.ctx).await;
    let c = caller(&s, ADMIN).await;
    // A registry import running on another instance (its job beats: a fresh heartbeat).
    let now = s.ctx.clock.now();
    let elsewhere = ImportJob {
        id: "job-elsewhere".into(),
        kind: "registry".into(),
        file_name: "big.csv".into(),
        started_by: "admin-2".into(),
        state: ImportJobState::Running,
        counts: ImportCounts::default(),
        failure: None,
        started_at: now,
        heartbeat_at: now,
        finished_at: None,
    };
    s.ctx
        .store
        .start_import_job(&elsewhere, now - chrono::Duration::minutes(10))
        .await
        .unwrap()
        .unwrap();
    let file = csv(REGISTRY_HEADER, &[individual_row(&id(1985, 5, 5, 55), "钱新")]);
    let (st, v) = upload(&c, "registry", &file).await;
    assert_eq!((st, v["code"].as_str()), (409, Some("import_running")), "{v}");
    assert!(v["detail"].as_str().unwrap().contains("job-elsewhere"), "{v}");
    // Another kind is not held up.
    let (st, _) = upload(&c, "outlets", "code,name,district,address\nD-9,网点,110105,地址\n").await;
    assert_eq!(st, 202);

    // Its instance stops: eleven minutes without a heartbeat, and the next start takes it for abandoned.
    s.clock.advance(chrono::Duration::minutes(11));
    let (st, job) = upload(&c, "registry", &file).await;
    assert_eq!(st, 202, "{job}");
    assert_eq!(ended(&c, &job).await["state"], "finished");
    let (_, old) = c.get("/api/v1/admin/imports/registry/job-elsewhere").await;
    assert_eq!(old["state"], "abandoned", "{old}");

    // Two uploads of one kind at the same moment: one runs, the other is told which.
    let (one, two) = (entities(1), entities(2));
    let (a, b) = tokio::join!(upload(&c, "entities", &one), upload(&c, "entities", &two));
    let started = [&a, &b].iter().filter(|(st, _)| *st == 202).count();
    let refused: Vec<_> = [&a, &b].into_iter().filter(|(st, _)| *st == 409).collect();
    assert!(started >= 1, "{a:?} {b:?}");
    assert_eq!(started + refused.len(), 2, "{a:?} {b:?}");
    for (_, v) in refused {
        assert_eq!(v["code"], "import_running");
    }
});

/// An employers file of many rows, so that its import is still running when a second one arrives.
fn entities(seed: u32) -> String {
    let mut s = String::from("uscc,name,address,district\n");
    for n in 0..20_000 {
        s.push_str(&format!("{},单位{n},地址{n},110105\n", uscc(seed * 100_000 + n)));
    }
    s
}

both_engines!(
    the_applications_report_counts_each_day_by_each_breakdown,
    |db: TestDb| async move {
        use sscard_testkit::images;
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let resident = caller(&s, As::Resident).await;
        let id = resident.start_draft().await;
        let (st, v) = resident
        .patch(
            &id,
            serde_json::json!({"bank": "102", "branch": "102-0101", "collection": "branch_pickup", "occupation": "2"}),
        )
        .await;
        assert_eq!(st, 200, "{v}");
        for (kind, bytes) in [
            ("card_photo", images::card_photo()),
            ("id_front", images::jpeg(1200, 760)),
            ("id_back", images::png(1200, 760)),
        ] {
            assert_eq!(resident.upload(&id, kind, bytes, "image/jpeg").await.0, 200);
        }
        let (st, v) = resident.submit(&id, Some("report-1"), true, true).await;
        assert_eq!(st, 200, "{v}");
        let today = s.ctx.clock.today();
        let (yesterday, tomorrow) = (today.pred_opt().unwrap(), today.succ_opt().unwrap());

        let c = caller(&s, ADMIN).await;
        let q = |by: &str| format!("/api/v1/admin/reports/applications?from={yesterday}&to={tomorrow}&by={by}");
        let (st, r) = c.get(&q("route")).await;
        assert_eq!(st, 200, "{r}");
        assert_eq!(r["total"], 1);
        let days: Vec<(String, u64)> = r["days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["day"].as_str().unwrap().to_string(), d["total"].as_u64().unwrap()))
            .collect();
        assert_eq!(
            days,
            [
                (yesterday.to_string(), 0),
                (today.to_string(), 1),
                (tomorrow.to_string(), 0)
            ],
            "every day of the period, with zeros"
        );
        assert_eq!(r["groups"][0]["code"], "personal");
        assert_eq!(r["groups"][0]["name"], "个人申领");
        for (by, code) in [("channel", "jingtong"), ("bank", "102"), ("district", "110105")] {
            let (_, r) = c.get(&q(by)).await;
            assert_eq!(r["groups"][0]["code"], code, "{by}: {r}");
            assert_eq!(r["days"][1]["counts"], serde_json::json!([1]), "{by}");
        }
        // The default period is the last 30 days, today included.
        let (_, r) = c.get("/api/v1/admin/reports/applications").await;
        assert_eq!(r["days"].as_array().unwrap().len(), 30);
        assert_eq!(
            (r["to"].as_str(), r["total"].as_u64()),
            (Some(today.to_string().as_str()), Some(1))
        );

        // The CSV: one line per day and group with applications.
        let text = c
            .api
            .http
            .get(c.api.url(&q("bank").replace("applications?", "applications.csv?")))
            .bearer_auth(&c.token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "day,group,name,count");
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[1].starts_with(&format!("{today},102,")) && lines[1].ends_with(",1"),
            "{text}"
        );

        // Refusals name the parameter at fault.
        for (query, field, code) in [
            ("from=2026-13-01", "from", "invalid_date"),
            ("to=someday", "to", "invalid_date"),
            ("from=2026-12-31&to=2026-01-01", "from", "period_reversed"),
            ("from=2024-01-01&to=2025-06-01", "from", "period_too_long"),
            ("by=colour", "by", "invalid_choice"),
        ] {
            let (st, v) = c.get(&format!("/api/v1/admin/reports/applications?{query}")).await;
            assert_eq!(st, 422, "{query}: {v}");
            assert_eq!(
                (v["errors"][0]["field"].as_str(), v["errors"][0]["code"].as_str()),
                (Some(field), Some(code)),
                "{query}: {v}"
            );
        }
    }
);

both_engines!(
    a_disabled_account_is_shut_out_at_once_on_every_instance,
    |db: TestDb| async move {
        let url = db.url.clone();
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        // A second instance on the same database: its own pool, its own server.
        let other = second_instance(&s, &url).await;
        let (a, b) = (world::api(&s.base), world::api(&other.base));
        let clerk = As::Role(Role::BankClerk);
        let token = b.token(clerk).await.unwrap();
        let (st, me) = a.call(reqwest::Method::GET, "/api/v1/me", Some(&token), None).await;
        assert_eq!(st, 200, "{me}");
        let clerk_id = serde_json::from_str::<Value>(&me).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();

        let admin = caller(&s, ADMIN).await;
        let path = format!("/api/v1/admin/accounts/{clerk_id}/disabled");
        let (st, v) = put(&admin, &path, serde_json::json!({"disabled": true})).await;
        assert_eq!(st, 204, "{v}");
        // The token is refused at once, on both instances, and the password no longer logs in.
        for api in [&a, &b] {
            let (st, _) = api.call(reqwest::Method::GET, "/api/v1/me", Some(&token), None).await;
            assert_eq!(st, 401);
        }
        let (st, _) = b.login(clerk.username(), world::PASSWORD).await;
        assert_ne!(st, 200);
        // The change is audited with the administrator who made it.
        let (_, audit) = admin.get("/api/v1/admin/audit").await;
        assert!(
            audit.to_string().contains(&format!("account:{clerk_id}:disabled")),
            "{audit}"
        );

        // Enabled again: the clerk logs in again (the old token stays ended).
        let (st, _) = put(&admin, &path, serde_json::json!({"disabled": false})).await;
        assert_eq!(st, 204);
        let (st, _) = a.call(reqwest::Method::GET, "/api/v1/me", Some(&token), None).await;
        assert_eq!(st, 401);
        let (st, v) = b.login(clerk.username(), world::PASSWORD).await;
        assert_eq!(st, 200, "{v}");

        // An administrator cannot lock themselves out; an unknown account is not found.
        let (_, me) = admin.get("/api/v1/me").await;
        let own = format!("/api/v1/admin/accounts/{}/disabled", me["id"].as_str().unwrap());
        let (st, v) = put(&admin, &own, serde_json::json!({"disabled": true})).await;
        assert_eq!((st, v["code"].as_str()), (409, Some("own_account")), "{v}");
        let (st, _) = put(
            &admin,
            "/api/v1/admin/accounts/nobody/disabled",
            serde_json::json!({"disabled": true}),
        )
        .await;
        assert_eq!(st, 404);
    }
);

both_engines!(
    an_opening_date_is_in_force_on_every_instance_with_its_history,
    |db: TestDb| async move {
        let url = db.url.clone();
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let other = second_instance(&s, &url).await;
        let b = world::api(&other.base);
        let resident = b.token(As::Resident).await.unwrap();
        let check = || async {
            let body = serde_json::json!({"access_authorisation": true});
            let (st, text) = b
                .call(
                    reqwest::Method::POST,
                    "/api/v1/applications/eligibility",
                    Some(&resident),
                    Some(body),
                )
                .await;
            (st, serde_json::from_str::<Value>(&text).unwrap_or(Value::Null))
        };
        let (st, v) = check().await;
        assert_eq!(st, 200, "open by default: {v}");

        // Set on this instance, in force on the other at once: no restart, no cache to wait for.
        let admin = caller(&s, ADMIN).await;
        let tomorrow = s.ctx.clock.today().succ_opt().unwrap().to_string();
        let (st, v) = put(
            &admin,
            "/api/v1/admin/openings/individual",
            serde_json::json!({"opens_on": tomorrow}),
        )
        .await;
        assert_eq!(st, 204, "{v}");
        let (st, v) = check().await;
        assert_eq!(st, 422, "{v}");
        assert!(v.to_string().contains("not_open_yet"), "{v}");
        let (st, _) = put(
            &admin,
            "/api/v1/admin/openings/individual",
            serde_json::json!({"opens_on": null}),
        )
        .await;
        assert_eq!(st, 204);
        assert_eq!(check().await.0, 200);

        // The table with its history, newest first: who, before, after.
        let (st, list) = admin.get("/api/v1/admin/openings").await;
        assert_eq!(st, 200);
        let individual = list
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["category"] == "individual")
            .unwrap();
        assert_eq!(
            (individual["opens_on"].clone(), individual["open_today"].clone()),
            (Value::Null, Value::Bool(true))
        );
        let changes = individual["changes"].as_array().unwrap();
        assert_eq!(changes.len(), 2, "{individual}");
        assert_eq!(
            (changes[0]["previous"].as_str(), changes[0]["value"].as_str()),
            (Some(tomorrow.as_str()), Some(""))
        );
        assert_eq!(
            (changes[1]["previous"].clone(), changes[1]["value"].as_str()),
            (Value::Null, Some(tomorrow.as_str()))
        );
        let (_, me) = admin.get("/api/v1/me").await;
        assert_eq!(changes[0]["by"], me["id"]);
        // An unknown category names nothing; a bad date is refused by its field and changes nothing.
        let (st, _) = put(
            &admin,
            "/api/v1/admin/openings/aliens",
            serde_json::json!({"opens_on": null}),
        )
        .await;
        assert_eq!(st, 404);
        let (st, v) = put(
            &admin,
            "/api/v1/admin/openings/retiree",
            serde_json::json!({"opens_on": "2027-02-30"}),
        )
        .await;
        assert_eq!((st, v["errors"][0]["field"].as_str()), (422, Some("opens_on")), "{v}");
        let (_, list) = admin.get("/api/v1/admin/openings").await;
        assert!(list.to_string().matches("2027-02-30").count() == 0);
    }
);

both_engines!(
    the_console_pages_keep_what_was_typed_and_change_the_table,
    |db: TestDb| async move {
        use crate::common::portal::{hidden, login_at};
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let c = crate::common::client();
        let cookie = login_at(&c, &s, "/staff/login", ADMIN.username()).await;
        let page = |path: &str| crate::common::page(&c, s.url(path), Some(&cookie));
        let form = page("/admin/openings").await;
        let csrf = hidden(&form, "csrf");
        let post = |fields: Vec<(&'static str, String)>| {
            let (c, cookie, url) = (c.clone(), cookie.clone(), s.url("/admin/openings/retiree"));
            async move { c.post(url).header("cookie", cookie).form(&fields).send().await.unwrap() }
        };
        // A date that does not exist: refused beside its field, shown again as typed, nothing stored.
        let r = post(vec![
            ("csrf", csrf.clone()),
            ("opens_on-retiree", "2027-02-30".into()),
            ("action", "set".into()),
        ])
        .await;
        assert_eq!(r.status(), 400);
        let text = r.text().await.unwrap();
        assert!(text.contains("id=\"opens_on-retiree-error\""), "{text}");
        assert!(text.contains("value=\"2027-02-30\""), "the typed date is shown again");
        assert!(s.ctx.store.setting("opening:retiree").await.unwrap().is_none());
        // A good one: back to the table, which shows it.
        let r = post(vec![
            ("csrf", csrf.clone()),
            ("opens_on-retiree", "2099-01-04".into()),
            ("action", "set".into()),
        ])
        .await;
        assert_eq!(r.status(), 303);
        assert!(page("/admin/openings").await.contains("value=\"2099-01-04\""));
        // Opened now: the date is cleared.
        let r = post(vec![
            ("csrf", csrf),
            ("opens_on-retiree", "2099-01-04".into()),
            ("action", "open".into()),
        ])
        .await;
        assert_eq!(r.status(), 303);
        assert_eq!(
            s.ctx.store.setting("opening:retiree").await.unwrap().as_deref(),
            Some("")
        );
    }
);
