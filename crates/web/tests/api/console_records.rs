//! The console's records (SPEC §9, §10): case lookup with a stated purpose, reference data changed with its
//! history and refused while live data depends on it, and staff accounts.
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
