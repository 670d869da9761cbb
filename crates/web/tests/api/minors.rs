//! Applying for a child through the API, on both databases (SPEC §5.3–5.4, issue 5): only a listed guardian,
//! the relationship confirmed then fixed, every cell of the document matrix, the age limits on the days
//! around the 7th and 18th birthdays, wards kept apart, and coming of age.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::caller::{caller, field_codes, resident_as, Caller};
use crate::common::world::{self, As, World};
use crate::common::Server;
use chrono::{Duration, NaiveDate};
use serde_json::{json, Value};
use sscard_app::import::{import_csv, ImportKind};
use sscard_domain::values::IdNumber;
use sscard_testkit::fixtures::{csv, guardianship_row, id, minor_row, GUARDIANSHIP_HEADER, REGISTRY_HEADER};
use sscard_testkit::{both_engines, images, TestDb};
use sscard_web::Mode;

/// Children of `As::Resident` (张明, father: code 51) and one child of someone else's.
struct Family {
    world: World,
    /// 8 years old, householder answer "yes" in the register.
    a: IdNumber,
    /// Not the resident's ward: the victim's child.
    b: IdNumber,
}

async fn children(s: &Server, kids: &[(&IdNumber, &str)], links: &[String]) {
    let rows: Vec<String> = kids.iter().map(|(i, n)| minor_row(i, n)).collect();
    let r = import_csv(&s.ctx, ImportKind::Registry, csv(REGISTRY_HEADER, &rows).as_bytes())
        .await
        .unwrap();
    assert_eq!(r.rejected, 0, "{:?}", r.rejected_rows);
    let r = import_csv(
        &s.ctx,
        ImportKind::Guardianship,
        csv(GUARDIANSHIP_HEADER, links).as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(r.rejected, 0, "{:?}", r.rejected_rows);
}

async fn family(s: &Server) -> Family {
    let world = world::seed(&s.ctx).await;
    let a = id(2018, 3, 4, 12);
    let b = id(2016, 5, 6, 14);
    children(
        s,
        &[(&a, "张小明"), (&b, "李小红")],
        &[
            guardianship_row(&world.me.0, &a, "51", true),
            guardianship_row(&world.victim.0, &b, "52", false),
        ],
    )
    .await;
    Family { world, a, b }
}

fn child(idn: &IdNumber, name: &str, id_type: &str) -> Value {
    json!({"name": name, "id_number": idn.as_str(), "id_type": id_type})
}

async fn start_for(c: &Caller<'_>, idn: &IdNumber, name: &str, id_type: &str) -> Value {
    let (st, v) = c
        .post(
            "/api/v1/children/applications",
            json!({"disclaimer": true, "access_authorisation": true, "child": child(idn, name, id_type), "relationship": "51"}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    v
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

fn upload_bytes(kind: &str) -> Vec<u8> {
    if kind == "card_photo" {
        images::card_photo()
    } else {
        images::jpeg(800, 600)
    }
}

async fn fill_form(c: &Caller<'_>, app: &str) {
    let (st, v) = c
        .patch(
            app,
            json!({"occupation": "2", "mobile": "13800001111", "bank": "102", "branch": "102-0101",
                   "collection": "agent_branch_pickup"}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
}

both_engines!(only_a_listed_guardian_may_start, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let f = family(&s).await;
    let c = caller(&s, As::Resident).await;
    let lookup = |who: Value| json!({"child": who, "access_authorisation": true});

    // The register lists the resident as the father of A: the relationship comes back to be confirmed.
    let (st, v) = c
        .post("/api/v1/children/lookup", lookup(child(&f.a, "张小明", "resident_id")))
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (v["relationship"].as_str(), v["relationship_name"].as_str()),
        (Some("51"), Some("父亲"))
    );
    assert_eq!(v["cartoon_allowed"], false, "8 years old");
    assert!(
        !v["id_number"].as_str().unwrap().contains(&f.a.as_str()[6..14]),
        "masked: {v}"
    );

    // Not a listed guardian: the same answer whether the child exists or not.
    let (st1, v1) = c
        .post("/api/v1/children/lookup", lookup(child(&f.b, "李小红", "resident_id")))
        .await;
    let nobody = id(2019, 1, 2, 16);
    let (st2, v2) = c
        .post("/api/v1/children/lookup", lookup(child(&nobody, "王某", "resident_id")))
        .await;
    assert_eq!((st1, v1["code"].as_str()), (422, Some("not_guardian")), "{v1}");
    assert_eq!((st2, v2["code"].as_str()), (422, Some("not_guardian")), "{v2}");
    assert_eq!(v1["detail"], v2["detail"]);

    // The name must be the child's; the ID number and type must parse; 访问授权 first.
    let (st, v) = c
        .post("/api/v1/children/lookup", lookup(child(&f.a, "张大明", "resident_id")))
        .await;
    assert_eq!((st, v["code"].as_str()), (422, Some("child_name_mismatch")), "{v}");
    let (st, v) = c
        .post(
            "/api/v1/children/lookup",
            lookup(json!({"name": "", "id_number": "110105201803040013", "id_type": "passport"})),
        )
        .await;
    assert_eq!(st, 422, "{v}");
    let mut fields = field_codes(&v);
    fields.sort();
    assert_eq!(
        fields,
        vec![
            ("child_id_number".into(), "id_number_invalid".into()),
            ("child_id_type".into(), "invalid_choice".into()),
            ("child_name".into(), "name_invalid".into()),
        ]
    );
    let (st, v) = c
        .post(
            "/api/v1/children/lookup",
            json!({"child": child(&f.a, "张小明", "resident_id"), "access_authorisation": false}),
        )
        .await;
    assert_eq!((st, v["code"].as_str()), (422, Some("consent_required")), "{v}");

    // Starting needs the relationship confirmed: absent or different, it is named and nothing is created.
    for relationship in [Value::Null, json!("52")] {
        let (st, v) = c
            .post(
                "/api/v1/children/applications",
                json!({"disclaimer": true, "access_authorisation": true, "child": child(&f.a, "张小明", "resident_id"),
                       "relationship": relationship}),
            )
            .await;
        assert_eq!((st, v["code"].as_str()), (422, Some("relationship_unconfirmed")), "{v}");
        assert!(v["detail"].as_str().unwrap().contains("父亲"), "{v}");
    }
    let (_, list) = c.get("/api/v1/applications").await;
    assert_eq!(list.as_array().unwrap().len(), 0, "nothing created: {list}");

    // Confirmed: the draft is the child's, the relationship fixed, collection only the guardian's pickup.
    let v = start_for(&c, &f.a, "张小明", "resident_id").await;
    assert_eq!(v["route"], "minor");
    assert_eq!(v["minor"]["relationship"], "51");
    assert_eq!(v["person"]["name"], "张小明");
    assert_eq!(strings(&v["allowed_collection"]), vec!["agent_branch_pickup"]);
    assert_eq!(v["collection"], "agent_branch_pickup");
    let app = v["id"].as_str().unwrap().to_string();
    let (st, v) = c.patch(&app, json!({"collection": "bank_mail"})).await;
    assert_eq!(
        (st, field_codes(&v)),
        (422, vec![("collection".into(), "collection_not_allowed".into())]),
        "{v}"
    );
    // The relationship is not a field anyone can send: it comes from the household register, and a patch
    // that tries is refused by name.
    let (st, v) = c
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/applications/{app}/minor"),
            Some(json!({"relationship": "52"})),
        )
        .await;
    assert_eq!(
        (st, field_codes(&v)),
        (422, vec![("relationship".into(), "read_only".into())]),
        "{v}"
    );
    let (_, v) = c.get(&format!("/api/v1/applications/{app}")).await;
    assert_eq!(v["minor"]["relationship"], "51");
    // A second start for the same child: resume the one in progress.
    let (st, v) = c
        .post(
            "/api/v1/children/applications",
            json!({"disclaimer": true, "access_authorisation": true, "child": child(&f.a, "张小明", "resident_id"), "relationship": "51"}),
        )
        .await;
    assert_eq!((st, v["code"].as_str()), (422, Some("application_in_progress")), "{v}");

    // Only residents: staff and unverified residents are refused.
    let clerk = caller(&s, As::Role(sscard_domain::access::Role::BankClerk)).await;
    let (st, _) = clerk
        .post("/api/v1/children/lookup", lookup(child(&f.a, "张小明", "resident_id")))
        .await;
    assert_eq!(st, 403);
    let unverified = caller(&s, As::UnverifiedResident).await;
    let (st, v) = unverified
        .post("/api/v1/children/lookup", lookup(child(&f.a, "张小明", "resident_id")))
        .await;
    assert_eq!((st, v["code"].as_str()), (403, Some("real_name_required")), "{v}");
});

// Every cell of the SPEC §5.4 matrix: the required set, missing documents by name, documents outside the
// set refused (and nothing stored), and a complete application submitted.
both_engines!(every_cell_of_the_document_matrix, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let f = family(&s).await;
    let c = caller(&s, As::Resident).await;
    let common = ["guardian_id_front", "guardian_id_back", "card_photo"];
    let cells: [(&str, Option<bool>, &[&str]); 3] = [
        ("resident_id", None, &["id_front", "id_back", "birth_certificate"]),
        (
            "household_booklet",
            Some(true),
            &[
                "booklet_first_page",
                "booklet_child_page",
                "booklet_child_page_back",
                "booklet_householder_page",
                "booklet_householder_page_back",
            ],
        ),
        (
            "household_booklet",
            Some(false),
            &[
                "booklet_first_page",
                "booklet_child_page",
                "booklet_child_page_back",
                "birth_certificate",
            ],
        ),
    ];
    let all = [
        "card_photo",
        "id_front",
        "id_back",
        "guardian_id_front",
        "guardian_id_back",
        "birth_certificate",
        "booklet_first_page",
        "booklet_child_page",
        "booklet_child_page_back",
        "booklet_householder_page",
        "booklet_householder_page_back",
    ];
    for (i, (id_type, householder, docs)) in cells.iter().enumerate() {
        // A fresh child per cell (one open application per child).
        let kid = id(2015, 1, 10 + i as u32, 18);
        children(
            &s,
            &[(&kid, "张小华")],
            &[guardianship_row(&f.world.me.0, &kid, "51", true)],
        )
        .await;
        let v = start_for(&c, &kid, "张小华", id_type).await;
        let app = v["id"].as_str().unwrap().to_string();
        let mut answers = json!({"id_valid_from": "2021-06-01", "id_valid_until": "2030-06-01"});
        if let Some(h) = householder {
            answers = json!({"guardian_is_householder": h, "same_booklet": true, "id_valid_from": "2021-06-01"});
        }
        let (st, v) = c
            .call(
                reqwest::Method::PATCH,
                &format!("/api/v1/applications/{app}/minor"),
                Some(answers),
            )
            .await;
        assert_eq!(st, 200, "{v}");
        let expected: Vec<String> = common.iter().chain(docs.iter()).map(|d| d.to_string()).collect();
        assert_eq!(strings(&v["required_documents"]), expected, "{id_type} {householder:?}");
        fill_form(&c, &app).await;
        // Missing documents are listed by name, and only those.
        let (st, v) = c.submit(&app, Some("k"), true, true).await;
        assert_eq!((st, v["code"].as_str()), (422, Some("incomplete")), "{v}");
        let missing: Vec<String> = field_codes(&v).into_iter().map(|(f, _)| f).collect();
        assert_eq!(missing, expected);
        // Outside the set: refused, nothing stored.
        for kind in all.iter().filter(|k| !expected.contains(&k.to_string())) {
            let (st, v) = c.upload(&app, kind, images::jpeg(800, 600), "image/jpeg").await;
            assert_eq!(
                (st, v["code"].as_str()),
                (422, Some("document_not_required")),
                "{kind}: {v}"
            );
        }
        let (_, v) = c.get(&format!("/api/v1/applications/{app}")).await;
        assert_eq!(v["documents"].as_object().unwrap().len(), 0, "{v}");
        for kind in &expected {
            let (st, v) = c.upload(&app, kind, upload_bytes(kind), "image/jpeg").await;
            assert_eq!(st, 200, "{kind}: {v}");
        }
        let (st, v) = c.submit(&app, Some("k"), true, true).await;
        assert_eq!((st, v["state"].as_str()), (200, Some("submitted")), "{v}");
    }

    // Changing the answers changes the set, and documents no longer needed go with the change.
    let kid = id(2014, 2, 2, 20);
    children(
        &s,
        &[(&kid, "张小刚")],
        &[guardianship_row(&f.world.me.0, &kid, "51", true)],
    )
    .await;
    let v = start_for(&c, &kid, "张小刚", "household_booklet").await;
    let app = v["id"].as_str().unwrap().to_string();
    assert_eq!(
        v["minor"]["guardian_is_householder"], true,
        "prefilled from the register"
    );
    let (st, _) = c
        .upload(&app, "booklet_householder_page", images::jpeg(800, 600), "image/jpeg")
        .await;
    assert_eq!(st, 200);
    let (st, _) = c
        .upload(&app, "booklet_first_page", images::jpeg(800, 600), "image/jpeg")
        .await;
    assert_eq!(st, 200);
    let (st, v) = c
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/applications/{app}/minor"),
            Some(json!({"guardian_is_householder": false})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let docs: Vec<&String> = v["documents"].as_object().unwrap().keys().collect();
    assert_eq!(docs, vec!["booklet_first_page"], "{v}");
    // A bad answer changes nothing.
    let (st, v) = c
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/applications/{app}/minor"),
            Some(json!({"id_type": "resident_id", "id_valid_from": "2099-01-01", "id_valid_until": "soon"})),
        )
        .await;
    assert_eq!(st, 422, "{v}");
    let mut fields = field_codes(&v);
    fields.sort();
    assert_eq!(
        fields,
        vec![
            ("id_valid_from".into(), "date_in_future".into()),
            ("id_valid_until".into(), "date_invalid".into())
        ]
    );
    let (_, v) = c.get(&format!("/api/v1/applications/{app}")).await;
    assert_eq!(v["minor"]["id_type"], "household_booklet");
    assert_eq!(v["documents"].as_object().unwrap().len(), 1);
});

// The 7th and 18th birthdays: the day before, of and after, against today (2026-11-21).
both_engines!(age_limits_fall_on_the_birthdays, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let f = family(&s).await;
    let c = caller(&s, As::Resident).await;
    let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    let birthday = |years: i32| NaiveDate::from_ymd_opt(2026 - years, 11, 21).unwrap();
    // (born, lookup code, cartoon allowed)
    let cases = [
        (birthday(18) + Duration::days(1), None, false),
        (birthday(18), Some("come_of_age"), false),
        (birthday(18) - Duration::days(1), Some("come_of_age"), false),
        (birthday(7) + Duration::days(1), None, true),
        (birthday(7), None, false),
        (birthday(7) - Duration::days(1), None, false),
    ];
    for (i, (born, refusal, cartoon)) in cases.iter().enumerate() {
        let kid = IdNumber::compose("110105", *born, 30 + i as u16, today).unwrap();
        children(
            &s,
            &[(&kid, "张小宝")],
            &[guardianship_row(&f.world.me.0, &kid, "51", false)],
        )
        .await;
        let (st, v) = c
            .post(
                "/api/v1/children/lookup",
                json!({"child": child(&kid, "张小宝", "resident_id"), "access_authorisation": true}),
            )
            .await;
        match refusal {
            Some(code) => {
                assert_eq!((st, v["code"].as_str()), (422, Some(*code)), "born {born}: {v}");
                continue;
            }
            None => assert_eq!((st, &v["cartoon_allowed"]), (200, &json!(cartoon)), "born {born}: {v}"),
        }
        let v = start_for(&c, &kid, "张小宝", "resident_id").await;
        let app = v["id"].as_str().unwrap().to_string();
        let (st, v) = c
            .call(
                reqwest::Method::PATCH,
                &format!("/api/v1/applications/{app}/minor"),
                Some(json!({"cartoon_photo": true})),
            )
            .await;
        if *cartoon {
            assert_eq!(st, 200, "born {born}: {v}");
            assert!(!strings(&v["required_documents"]).contains(&"card_photo".to_string()));
            // With the cartoon chosen, an uploaded card photo is not taken.
            let (st, v) = c.upload(&app, "card_photo", images::card_photo(), "image/jpeg").await;
            assert_eq!((st, v["code"].as_str()), (422, Some("document_not_required")), "{v}");
        } else {
            assert_eq!(
                (st, field_codes(&v)),
                (422, vec![("cartoon_photo".into(), "cartoon_not_allowed".into())]),
                "born {born}"
            );
            let (_, v) = c.get(&format!("/api/v1/applications/{app}")).await;
            assert_eq!(v["minor"]["cartoon_photo"], false);
        }
    }
});

both_engines!(a_guardian_sees_only_their_own_wards, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let f = family(&s).await;
    let me = caller(&s, As::Resident).await;
    let victim_token = resident_as(&s, "victim1", &f.world.victim.0, &f.world.victim.1).await;
    let other = Caller {
        api: world::api(&s.base),
        token: victim_token,
        _s: &s,
    };

    let a_app = start_for(&me, &f.a, "张小明", "resident_id").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (st, v) = other
        .post(
            "/api/v1/children/applications",
            json!({"disclaimer": true, "access_authorisation": true, "child": child(&f.b, "李小红", "resident_id"), "relationship": "52"}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let b_app = v["id"].as_str().unwrap().to_string();

    // Child B's application, read by A's guardian: 404, exactly like a missing one, on every route.
    let (st_b, v_b) = me.get(&format!("/api/v1/applications/{b_app}")).await;
    let (st_none, v_none) = me.get("/api/v1/applications/no-such-application").await;
    assert_eq!((st_b, st_none), (404, 404));
    assert_eq!(v_b["detail"], v_none["detail"]);
    for path in [
        format!("/api/v1/applications/{b_app}/events"),
        format!("/api/v1/applications/{b_app}/documents/id_front"),
    ] {
        let (st, _) = me.get(&path).await;
        assert_eq!(st, 404, "{path}");
    }
    let (st, _) = me
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/applications/{b_app}/minor"),
            Some(json!({"cartoon_photo": false})),
        )
        .await;
    assert_eq!(st, 404);
    let (st, _) = me
        .upload(&b_app, "guardian_id_front", images::jpeg(800, 600), "image/jpeg")
        .await;
    assert_eq!(st, 404);

    // My children: only my wards, each with its application.
    let (st, v) = me.get("/api/v1/children").await;
    assert_eq!(st, 200, "{v}");
    let wards = v.as_array().unwrap();
    assert_eq!(wards.len(), 1, "{v}");
    assert_eq!(wards[0]["name"], "张小明");
    assert_eq!(wards[0]["relationship_name"], "父亲");
    assert_eq!(wards[0]["minor"], true);
    assert_eq!(wards[0]["applications"][0]["id"].as_str(), Some(a_app.as_str()));
    let (_, v) = other.get("/api/v1/children").await;
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["applications"][0]["id"].as_str(), Some(b_app.as_str()));
});

both_engines!(
    at_eighteen_the_guardian_stops_and_the_young_adult_sees_it,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let f = family(&s).await;
        let me = caller(&s, As::Resident).await;
        // Turns 18 the day after tomorrow.
        let kid = id(2008, 11, 23, 24);
        children(
            &s,
            &[(&kid, "张小军")],
            &[guardianship_row(&f.world.me.0, &kid, "51", false)],
        )
        .await;
        let app = start_for(&me, &kid, "张小军", "resident_id").await["id"]
            .as_str()
            .unwrap()
            .to_string();
        fill_form(&me, &app).await;

        s.clock.advance(Duration::days(2));
        // A fresh login: two days outlast any token.
        let me = caller(&s, As::Resident).await;
        // No new business: not submitting, not changing, not starting again.
        let (st, v) = me.submit(&app, Some("k"), true, true).await;
        assert_eq!((st, v["code"].as_str()), (422, Some("come_of_age")), "{v}");
        let (st, v) = me.patch(&app, json!({"occupation": "3"})).await;
        assert_eq!((st, v["code"].as_str()), (422, Some("come_of_age")), "{v}");
        let (_, v) = me.get(&format!("/api/v1/applications/{app}")).await;
        assert_eq!(
            (v["state"].as_str(), v["occupation"].as_str()),
            (Some("draft"), Some("2")),
            "unchanged: {v}"
        );
        let (_, v) = me.get("/api/v1/children").await;
        assert_eq!(v[0]["minor"], false);

        // The young adult, after real-name authentication, sees the application made for them.
        let token = resident_as(&s, "youngadult", &kid, "张小军").await;
        let adult = Caller {
            api: world::api(&s.base),
            token,
            _s: &s,
        };
        let (st, v) = adult.get("/api/v1/applications").await;
        assert_eq!(st, 200);
        assert_eq!(v[0]["id"].as_str(), Some(app.as_str()), "{v}");
        let (st, _) = adult.get(&format!("/api/v1/applications/{app}")).await;
        assert_eq!(st, 200);
        // Seeing is not acting: the application stays the guardian's to withdraw.
        let (st, _) = adult
            .post(&format!("/api/v1/applications/{app}/withdraw"), json!({}))
            .await;
        assert_eq!(st, 404);
    }
);
