//! The console's records (SPEC §9, §10): case lookup with a stated purpose, and reference data changed with its
//! history and refused while live data depends on it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use sscard_domain::access::Role;
use sscard_domain::card::SocialSecurityState;
use sscard_testkit::{both_engines, TestDb};
use sscard_web::Mode;

use crate::common::caller::{caller, field_codes, Caller};
use crate::common::cards::card_in;
use crate::common::world::{self, As};
use crate::common::Server;

const ADMIN: As = As::Role(Role::Admin);

async fn look_up(c: &Caller<'_>, q: &str, purpose: &str) -> (u16, Value) {
    c.post("/api/v1/admin/cases/lookup", json!({"q": q, "purpose": purpose}))
        .await
}

async fn audit_count(c: &Caller<'_>) -> usize {
    let (st, v) = c.get("/api/v1/admin/audit?limit=1000").await;
    assert_eq!(st, 200, "{v}");
    v.as_array().unwrap().len()
}

both_engines!(
    a_case_is_found_by_any_of_its_keys_and_the_person_sees_the_look_up,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        let resident = caller(&s, As::Resident).await;
        card_in(&s, "110000000042", &w.me.0, "resident-0", SocialSecurityState::Active).await;
        let (_, apps) = resident.get("/api/v1/applications").await;
        let reference = apps[0]["reference"]
            .as_str()
            .expect("the card's application")
            .to_string();

        let admin = caller(&s, ADMIN).await;
        for key in [
            w.me.0.as_str().to_string(),
            reference.to_lowercase(),
            "110000000042".into(),
        ] {
            let (st, v) = look_up(&admin, &key, "case_review").await;
            assert_eq!(st, 200, "{key}: {v}");
            assert_eq!(v["id_number"], w.me.0.masked(), "{v}");
            assert_eq!(v["name"], w.me.1.as_str());
            assert_eq!(v["applications"][0]["reference"], reference.as_str(), "{v}");
            assert_eq!(v["applications"][0]["state"], "collected", "{v}");
            assert!(!v["applications"][0]["events"].as_array().unwrap().is_empty(), "{v}");
            assert_eq!(v["cards"][0]["number"], "110000000042");
            assert_eq!(v["cards"][0]["social_security"], "active");
            assert!(!v["cards"][0]["transitions"].as_array().unwrap().is_empty(), "{v}");
        }
        // Each look-up is in the person's own "who read my data", with its purpose.
        let (st, log) = resident.get("/api/v1/me/access-log").await;
        assert_eq!(st, 200);
        let reads = log
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["role"] == "admin" && l["purpose"] == "case_review")
            .count();
        assert_eq!(reads, 3, "{log}");

        // Refusals: no purpose, a purpose off the list, a key that is no key. Each names its field and
        // audits nothing; a key that finds nobody is audited as refused, naming no one.
        let before = audit_count(&admin).await;
        let (st, v) = look_up(&admin, w.me.0.as_str(), "").await;
        assert_eq!(
            (st, field_codes(&v)),
            (422, vec![("purpose".into(), "purpose_required".into())])
        );
        let (st, v) = look_up(&admin, w.me.0.as_str(), "curiosity").await;
        assert_eq!(
            (st, field_codes(&v)),
            (422, vec![("purpose".into(), "invalid_choice".into())])
        );
        let (st, v) = look_up(&admin, "x' OR 1=1", "case_review").await;
        assert_eq!(
            (st, field_codes(&v)),
            (422, vec![("q".into(), "case_key_invalid".into())])
        );
        assert_eq!(audit_count(&admin).await, before);
        let (st, _) = look_up(&admin, "999999999999", "case_review").await;
        assert_eq!(st, 404);
        let (_, entries) = admin.get("/api/v1/admin/audit?limit=1").await;
        assert_eq!(
            (entries[0]["action"].as_str(), entries[0]["outcome"].as_str()),
            (Some("person_read"), Some("refused"))
        );
        assert_eq!(entries[0]["subject_person"], Value::Null);

        // Only the bureau's administrators look cases up.
        for who in [As::Role(Role::HotlineAgent), As::Role(Role::OutletClerk), As::Resident] {
            let c = caller(&s, who).await;
            let (st, _) = look_up(&c, w.me.0.as_str(), "case_review").await;
            assert_eq!(st, 403, "{who:?}");
        }
    }
);

both_engines!(
    the_case_page_shows_the_timeline_and_errors_beside_fields,
    |db: TestDb| async move {
        use crate::common::portal::{hidden, login_at};
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        card_in(&s, "110000000043", &w.me.0, "resident-0", SocialSecurityState::Active).await;
        let c = crate::common::client();
        let cookie = login_at(&c, &s, "/staff/login", ADMIN.username()).await;
        let form = crate::common::page(&c, s.url("/admin/cases"), Some(&cookie)).await;
        let csrf = hidden(&form, "csrf");
        let post = |q: &str, purpose: &str| {
            let fields = vec![
                ("csrf", csrf.clone()),
                ("q", q.to_string()),
                ("purpose", purpose.to_string()),
            ];
            let (c, cookie, url) = (c.clone(), cookie.clone(), s.url("/admin/cases"));
            async move {
                let r = c.post(url).header("cookie", cookie).form(&fields).send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }
        };
        let (st, page) = post("110000000043", "data_correction").await;
        assert_eq!(st, 200);
        assert!(page.contains("id=\"case-110000000043\""), "{page}");
        assert!(page.contains(&w.me.0.masked()));
        // The URL never carries the key: it went in the body.
        assert!(!page.contains("/admin/cases?"));
        let (st, page) = post("not a key!", "case_review").await;
        assert_eq!(st, 400);
        assert!(page.contains("id=\"q-error\""), "{page}");
        assert!(page.contains("value=\"not a key!\""), "the key is shown again as typed");
        let (st, page) = post("999999999999", "case_review").await;
        assert_eq!(st, 404);
        assert!(page.contains("id=\"case-none\""));
    }
);

async fn put(c: &Caller<'_>, path: &str, body: Value) -> (u16, Value) {
    c.call(reqwest::Method::PUT, path, Some(body)).await
}

fn branch(accepts_pickup: bool, name: &str) -> Value {
    json!({"name": name, "district": "110105", "address": "朝阳区建国路1号", "accepts_pickup": accepts_pickup,
           "instant_issuance": false})
}

both_engines!(
    a_branch_is_changed_with_its_history_unless_cards_wait_there,
    |db: TestDb| async move {
        let url = db.url.clone();
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let admin = caller(&s, ADMIN).await;
        let (_, me) = admin.get("/api/v1/me").await;
        let path = "/api/v1/admin/reference/branches/102-0101";
        let (st, before) = admin.get(path).await;
        assert_eq!(st, 200, "{before}");
        assert_eq!(before["record"]["accepts_pickup"], true);
        assert_eq!(before["changes"], json!([]));

        // A resident's card is on its way to be collected at 102-0101: the branch keeps taking pickups.
        let resident = caller(&s, As::Resident).await;
        crate::bank::submitted(&resident).await;
        let (st, v) = put(&admin, path, branch(false, "工行建国路支行")).await;
        assert_eq!((st, v["code"].as_str()), (409, Some("dependents_exist")), "{v}");
        assert_eq!(v["dependents"], json!({"what": "pickups_waiting", "count": 1}), "{v}");
        let (_, after) = admin.get(path).await;
        assert_eq!(after, before, "a refused change stores nothing");

        // A change that takes nothing away is made, kept (who, before, after) and audited.
        let (st, v) = put(&admin, path, branch(true, "工行建国路支行")).await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["record"]["name"], "工行建国路支行");
        let change = &v["changes"][0];
        assert_eq!(change["by"], me["id"]);
        assert_eq!(change["before"]["name"], before["record"]["name"]);
        assert_eq!(change["after"]["name"], "工行建国路支行");
        let (_, entries) = admin.get("/api/v1/admin/audit?limit=1").await;
        assert_eq!(
            (entries[0]["action"].as_str(), entries[0]["record"].as_str()),
            (Some("reference_changed"), Some("branch:102-0101"))
        );
        // The same again changes nothing and keeps nothing.
        let (_, v) = put(&admin, path, branch(true, "工行建国路支行")).await;
        assert_eq!(v["changes"].as_array().unwrap().len(), 1);
        // The public list shows the new name at once, on this instance and on another.
        let (_, list) = admin.get("/api/v1/reference/branches?bank=102").await;
        assert!(list.to_string().contains("工行建国路支行"), "{list}");
        let ctx = sscard_testkit::context(sscard_storage::connect(&url).await.unwrap(), s.clock.clone());
        let other = Server::serve(ctx, s.clock.clone(), sscard_web::WebConfig::default()).await;
        let list: Value = crate::common::json(
            &crate::common::client(),
            other.url("/api/v1/reference/branches?bank=102"),
        )
        .await;
        assert!(list.to_string().contains("工行建国路支行"), "another instance: {list}");
        // A branch with nothing waiting may stop taking pickups.
        let (st, v) = put(&admin, "/api/v1/admin/reference/branches/102-0105", branch(false, "x")).await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["record"]["accepts_pickup"], false);

        // Bad fields: each named, nothing stored.
        let bad = json!({"name": " ", "district": "999999", "address": "a\u{202E}b"});
        let (st, v) = put(&admin, path, bad).await;
        assert_eq!(
            (st, field_codes(&v)),
            (
                422,
                vec![
                    ("district".into(), "invalid_choice".into()),
                    ("name".into(), "required".into()),
                    ("address".into(), "text_direction".into())
                ]
            )
        );
        let (st, v) = put(&admin, path, json!({"name": "x", "colour": "red"})).await;
        assert_eq!(st, 422, "{v}");
        let (_, now) = admin.get(path).await;
        assert_eq!(now["changes"].as_array().unwrap().len(), 1);
        // Unknown records and kinds.
        assert_eq!(
            put(&admin, "/api/v1/admin/reference/branches/102-9999", branch(true, "x"))
                .await
                .0,
            404
        );
        assert_eq!(admin.get("/api/v1/admin/reference/planets/x").await.0, 404);
        // Search.
        let (st, found) = admin.get("/api/v1/admin/reference/branches?q=工行建国路").await;
        assert_eq!(st, 200);
        assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
        // Only administrators.
        for who in [As::Role(Role::BankClerk), As::Role(Role::OutletClerk), As::Resident] {
            let c = caller(&s, who).await;
            assert_eq!(put(&c, path, branch(true, "y")).await.0, 403, "{who:?}");
        }
    }
);

both_engines!(
    an_outlet_keeps_its_district_while_clerks_are_bound,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let admin = caller(&s, ADMIN).await;
        let path = format!("/api/v1/admin/reference/outlets/{}", world::OUTLET);
        let moved = json!({"name": "朝阳区服务网点", "district": "110108", "address": "海淀区一号"});
        let (st, v) = put(&admin, &path, moved.clone()).await;
        assert_eq!((st, v["code"].as_str()), (409, Some("dependents_exist")), "{v}");
        assert_eq!(v["dependents"], json!({"what": "clerks_bound", "count": 1}), "{v}");
        // Its name and address change freely.
        let renamed = json!({"name": "朝阳区政务服务中心", "district": "110105", "address": "朝阳区三号"});
        let (st, v) = put(&admin, &path, renamed).await;
        assert_eq!(
            (st, v["record"]["name"].as_str()),
            (200, Some("朝阳区政务服务中心")),
            "{v}"
        );
        // Once the clerk is disabled, it may move.
        let (_, clerk) = caller(&s, As::Role(Role::OutletClerk)).await.get("/api/v1/me").await;
        let (st, _) = put(
            &admin,
            &format!("/api/v1/admin/accounts/{}/disabled", clerk["id"].as_str().unwrap()),
            json!({"disabled": true}),
        )
        .await;
        assert_eq!(st, 204);
        let (st, v) = put(&admin, &path, moved).await;
        assert_eq!((st, v["record"]["district"].as_str()), (200, Some("110108")), "{v}");
    }
);

both_engines!(
    a_bank_is_changed_and_its_online_replacement_kept,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let admin = caller(&s, ADMIN).await;
        let (st, _) = put(
            &admin,
            "/api/v1/admin/banks/102/online-replacement",
            json!({"supported": true}),
        )
        .await;
        assert_eq!(st, 204);
        let (_, v) = admin.get("/api/v1/admin/reference/banks/102").await;
        assert_eq!(v["record"]["supports_online_replacement"], true);
        assert_eq!(v["changes"][0]["before"]["supports_online_replacement"], false, "{v}");
        let body =
            json!({"short": "工行", "name_zh": "中国工商银行", "name_en": "ICBC", "supports_online_replacement": true});
        let (st, v) = put(&admin, "/api/v1/admin/reference/banks/102", body).await;
        assert_eq!((st, v["record"]["name_en"].as_str()), (200, Some("ICBC")), "{v}");
        let (st, v) = put(
            &admin,
            "/api/v1/admin/reference/banks/102",
            json!({"short": "", "name_zh": "x"}),
        )
        .await;
        assert_eq!(st, 422, "{v}");
        assert_eq!(
            put(
                &admin,
                "/api/v1/admin/banks/999/online-replacement",
                json!({"supported": true})
            )
            .await
            .0,
            404
        );
    }
);

both_engines!(
    the_reference_page_refuses_beside_the_field_and_keeps_the_typing,
    |db: TestDb| async move {
        use crate::common::portal::{hidden, login_at};
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let resident = caller(&s, As::Resident).await;
        crate::bank::submitted(&resident).await;
        let c = crate::common::client();
        let cookie = login_at(&c, &s, "/staff/login", ADMIN.username()).await;
        let list = crate::common::page(&c, s.url("/admin/reference?kind=branches&q=102-01"), Some(&cookie)).await;
        assert!(list.contains("id=\"edit-102-0101\""), "{list}");
        let form = crate::common::page(&c, s.url("/admin/reference/branches/102-0101"), Some(&cookie)).await;
        let csrf = hidden(&form, "csrf");
        let post = |fields: Vec<(&'static str, &'static str)>| {
            let mut fields: Vec<(&str, String)> = fields.into_iter().map(|(k, v)| (k, v.to_string())).collect();
            fields.push(("csrf", csrf.clone()));
            let (c, cookie, url) = (c.clone(), cookie.clone(), s.url("/admin/reference/branches/102-0101"));
            async move { c.post(url).header("cookie", cookie).form(&fields).send().await.unwrap() }
        };
        // Unticking "cards can be collected here" while a card waits: the count beside the box, the typing kept.
        let r = post(vec![
            ("name", "改过的名字"),
            ("district", "110105"),
            ("address", "朝阳区一号"),
        ])
        .await;
        assert_eq!(r.status().as_u16(), 400);
        let page = r.text().await.unwrap();
        assert!(page.contains("id=\"accepts_pickup-error\""), "{page}");
        assert!(page.contains("1 张社保卡待领取"), "{page}");
        assert!(page.contains("value=\"改过的名字\""));
        // A good change goes back to the record, with its history.
        let r = post(vec![
            ("name", "改过的名字"),
            ("district", "110105"),
            ("address", "朝阳区一号"),
            ("accepts_pickup", "yes"),
        ])
        .await;
        assert_eq!(r.status().as_u16(), 303);
        let page = crate::common::page(&c, s.url("/admin/reference/branches/102-0101"), Some(&cookie)).await;
        assert!(page.contains("id=\"history\"") && page.contains("改过的名字"), "{page}");
        assert!(
            page.contains(">admin1</td>"),
            "the author by username, not account id: {page}"
        );
    }
);
