//! Applying for one's own card through the API, on both databases: every rule of SPEC §5.1–5.6.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::caller::{caller, field_codes, resident_as, Caller};
use crate::common::world::{self, As, PASSWORD};
use crate::common::Server;
use reqwest::Method;
use serde_json::{json, Value};
use sscard_domain::access::{Channel, Role};
use sscard_testkit::{both_engines, images, TestDb};
use sscard_web::Mode;

const START: fn() -> Value = || json!({"disclaimer": true, "access_authorisation": true});

/// Fills in and uploads everything a personal application needs, collecting at the branch.
async fn complete(c: &Caller<'_>, id: &str) {
    let (st, v) = c
        .patch(
            id,
            json!({"bank": "102", "branch": "102-0101", "collection": "branch_pickup", "occupation": "2"}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    for (kind, bytes) in [
        ("card_photo", images::card_photo()),
        ("id_front", images::jpeg(1200, 760)),
        ("id_back", images::png(1200, 760)),
    ] {
        let (st, v) = c.upload(id, kind, bytes, "image/jpeg").await;
        assert_eq!(st, 200, "{kind}: {v}");
    }
}

both_engines!(an_individual_applies_and_follows_it, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    world::seed(&s.ctx).await;
    let c = caller(&s, As::Resident).await;

    // 访问授权 first, then the check.
    let (st, v) = c
        .post(
            "/api/v1/applications/eligibility",
            json!({"access_authorisation": false}),
        )
        .await;
    assert_eq!((st, v["code"].as_str()), (422, Some("consent_required")), "{v}");
    assert_eq!(
        field_codes(&v),
        vec![("access_authorisation".into(), "consent_missing".into())]
    );
    let (st, v) = c
        .post(
            "/api/v1/applications/eligibility",
            json!({"access_authorisation": true}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["route"], "personal");
    // 免责声明 before the draft.
    let (st, v) = c
        .post(
            "/api/v1/applications",
            json!({"disclaimer": false, "access_authorisation": true}),
        )
        .await;
    assert_eq!(
        (st, field_codes(&v)),
        (422, vec![("disclaimer".into(), "consent_missing".into())])
    );
    let (st, draft) = c.post("/api/v1/applications", START()).await;
    assert_eq!(st, 201, "{draft}");
    let id = draft["id"].as_str().unwrap().to_string();
    assert_eq!(draft["state"], "draft");
    assert_eq!(draft["person"]["name"], "张明");
    assert_eq!(draft["residence_district"], "110105", "prefilled from the registry");
    assert_eq!(draft["mobile"], "13800001234");
    assert_eq!(draft["bank_locked"], false);
    assert_eq!(draft["allowed_collection"], json!(["branch_pickup", "bank_mail"]));
    assert!(draft["missing"].as_array().unwrap().iter().any(|m| m == "card_photo"));
    // A second start: resume the first, named by its reference.
    let (st, v) = c.post("/api/v1/applications", START()).await;
    assert_eq!((st, v["code"].as_str()), (422, Some("application_in_progress")));
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains(draft["reference"].as_str().unwrap()),
        "{v}"
    );

    // Bad fields: each named, nothing stored.
    let (st, v) = c
        .patch(
            &id,
            json!({"bank": "102", "branch": "105-0105", "mobile": "123", "collection": "teleport", "ethnicity": "99"}),
        )
        .await;
    assert_eq!(st, 422, "{v}");
    let codes = field_codes(&v);
    for expected in [
        ("branch", "branch_not_of_bank"),
        ("mobile", "mobile_invalid"),
        ("collection", "collection_not_allowed"),
        ("ethnicity", "invalid_choice"),
    ] {
        assert!(
            codes.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} in {codes:?}"
        );
    }
    let (_, now) = c.get(&format!("/api/v1/applications/{id}")).await;
    assert_eq!(
        (now["bank"].clone(), now["mobile"].clone()),
        (Value::Null, json!("13800001234")),
        "nothing was saved"
    );

    // Submitting early names what is missing.
    let (st, v) = c.submit(&id, Some("k1"), true, true).await;
    assert_eq!((st, v["code"].as_str()), (422, Some("incomplete")), "{v}");
    complete(&c, &id).await;
    let (st, v) = c.submit(&id, Some("k1"), false, true).await;
    assert_eq!(
        (st, field_codes(&v)),
        (422, vec![("commitment".into(), "consent_missing".into())])
    );
    let (st, v) = c.submit(&id, Some("k1"), true, false).await;
    assert_eq!(
        (st, field_codes(&v)),
        (422, vec![("confirm".into(), "confirmation_required".into())])
    );
    let (st, sub) = c.submit(&id, Some("k1"), true, true).await;
    assert_eq!(st, 200, "{sub}");
    assert_eq!(sub["state"], "submitted");
    assert_eq!(sub["due_on"], "2026-12-21", "30 days from submission");
    // A retry with the same key gets the same answer; another submission is refused.
    let (st, again) = c.submit(&id, Some("k1"), true, true).await;
    assert_eq!((st, &again["reference"]), (200, &sub["reference"]));
    let (st, v) = c.submit(&id, Some("k2"), true, true).await;
    assert_eq!((st, v["code"].as_str()), (409, Some("already_submitted")));
    // A submitted application cannot be edited.
    let (st, v) = c.patch(&id, json!({"occupation": "3"})).await;
    assert_eq!((st, v["code"].as_str()), (409, Some("not_draft")));
    let (st, v) = c.upload(&id, "card_photo", images::card_photo(), "image/jpeg").await;
    assert_eq!((st, v["code"].as_str()), (409, Some("not_draft")));

    // History and consents, each with its channel and text version.
    let (_, events) = c.get(&format!("/api/v1/applications/{id}/events")).await;
    let names: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["start", "submit"]);
    assert!(events.as_array().unwrap().iter().all(|e| e["channel"] == "jingtong"));
    let consents = s.ctx.store.consents_of_application(&id).await.unwrap();
    assert_eq!(consents.len(), 1);
    assert_eq!(consents[0].text_version, "commitment-2024-10");
    // My applications.
    let (_, mine) = c.get("/api/v1/applications").await;
    assert_eq!(mine.as_array().unwrap().len(), 1);

    // Documents: the applicant gets them back; nobody else does.
    let r = c
        .api
        .http
        .get(c.api.url(&format!("/api/v1/applications/{id}/documents/card_photo")))
        .bearer_auth(&c.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.bytes().await.unwrap().to_vec(), images::card_photo());
    let other = caller(&s, As::UnverifiedResident).await;
    assert_eq!(other.get(&format!("/api/v1/applications/{id}")).await.0, 404);
    assert_eq!(
        other
            .get(&format!("/api/v1/applications/{id}/documents/card_photo"))
            .await
            .0,
        404
    );

    // Withdraw while allowed; then a new application may start.
    let (st, v) = c.post(&format!("/api/v1/applications/{id}/withdraw"), json!({})).await;
    assert_eq!((st, v["state"].as_str()), (200, Some("withdrawn")), "{v}");
    let (st, v) = c.post(&format!("/api/v1/applications/{id}/withdraw"), json!({})).await;
    assert_eq!((st, v["code"].as_str()), (409, Some("not_allowed_now")));
    assert_eq!(c.post("/api/v1/applications", START()).await.0, 201);
});

// SPEC §4.3: a card is collected only at a branch that accepts pickup (105-0105 does not), whichever of
// branch or method is chosen last; mailing from that branch is fine.
both_engines!(pickup_only_at_a_branch_that_hands_out_cards, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    world::seed(&s.ctx).await;
    let c = caller(&s, As::Resident).await;
    let (st, draft) = c.post("/api/v1/applications", START()).await;
    assert_eq!(st, 201, "{draft}");
    let id = draft["id"].as_str().unwrap().to_string();
    let stored = |v: &Value| (v["bank"].clone(), v["branch"].clone(), v["collection"].clone());

    // Branch and method together: refused on the branch, nothing stored.
    let (st, v) = c
        .patch(
            &id,
            json!({"bank": "105", "branch": "105-0105", "collection": "branch_pickup"}),
        )
        .await;
    assert_eq!(
        (st, field_codes(&v)),
        (422, vec![("branch".into(), "branch_no_pickup".into())]),
        "{v}"
    );
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("不能领卡"), "{v}");
    let (_, now) = c.get(&format!("/api/v1/applications/{id}")).await;
    assert_eq!(
        stored(&now),
        (Value::Null, Value::Null, Value::Null),
        "nothing was saved"
    );

    // Mailed from that branch: allowed.
    let (st, v) = c
        .patch(
            &id,
            json!({"bank": "105", "branch": "105-0105", "collection": "bank_mail"}),
        )
        .await;
    assert_eq!(st, 200, "{v}");

    // The method changed last: refused on the method, the mail choice kept.
    let (st, v) = c.patch(&id, json!({"collection": "branch_pickup"})).await;
    assert_eq!(
        (st, field_codes(&v)),
        (422, vec![("collection".into(), "branch_no_pickup".into())]),
        "{v}"
    );
    let (_, now) = c.get(&format!("/api/v1/applications/{id}")).await;
    assert_eq!(stored(&now), (json!("105"), json!("105-0105"), json!("bank_mail")));

    // A branch that hands cards out, chosen with pickup: saved.
    let (st, v) = c
        .patch(
            &id,
            json!({"bank": "102", "branch": "102-0105", "collection": "branch_pickup"}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(stored(&v), (json!("102"), json!("102-0105"), json!("branch_pickup")));
    // And moving the pickup to the branch that does not: refused on the branch.
    let (st, v) = c.patch(&id, json!({"bank": "105", "branch": "105-0105"})).await;
    assert_eq!(
        (st, field_codes(&v)),
        (422, vec![("branch".into(), "branch_no_pickup".into())]),
        "{v}"
    );
});

both_engines!(
    a_retiree_keeps_the_pension_bank_and_is_mailed,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        // Through the web console client: retirees are mailed only (the Jingtong guide also offers pickup).
        sscard_app::accounts::create_client(
            &s.ctx,
            "test-web",
            "web",
            Channel::Web,
            Some("test-web-secret-0123456789abcdef0123"),
        )
        .await
        .unwrap();
        resident_as(&s, "retiree1", &w.retiree.0, &w.retiree.1).await;
        let api = world::api(&s.base);
        let c = api
            .captcha_for("test-web", "test-web-secret-0123456789abcdef0123")
            .await;
        let (st, v) = api
            .login_with(
                "test-web",
                "test-web-secret-0123456789abcdef0123",
                "retiree1",
                PASSWORD,
                &c,
            )
            .await;
        assert_eq!(st, 200, "{v}");
        let c = Caller {
            api: world::api(&s.base),
            token: v["access_token"].as_str().unwrap().into(),
            _s: &s,
        };
        let (st, draft) = c.post("/api/v1/applications", START()).await;
        assert_eq!(st, 201, "{draft}");
        let id = draft["id"].as_str().unwrap().to_string();
        assert_eq!(draft["route"], "retiree");
        assert_eq!(draft["occupation"], "R", "离退休人员 by default");
        assert_eq!(
            (draft["bank"].as_str(), draft["branch"].as_str()),
            (Some("102"), Some("102-0101"))
        );
        assert_eq!(draft["bank_locked"], true);
        assert_eq!(draft["allowed_collection"], json!(["bank_mail"]));
        assert_eq!(draft["collection"], "bank_mail", "the only method is chosen");
        // The bank cannot change, nor can pickup be chosen here.
        let (st, v) = c.patch(&id, json!({"bank": "105", "branch": "105-0105"})).await;
        assert_eq!(
            (st, field_codes(&v)),
            (422, vec![("bank".into(), "bank_locked".into())])
        );
        let (st, v) = c.patch(&id, json!({"collection": "branch_pickup"})).await;
        assert_eq!(
            (st, field_codes(&v)),
            (422, vec![("collection".into(), "collection_not_allowed".into())])
        );
        // Mail details: a bad postal code is named and nothing is stored.
        let mail = |postal: &str| json!({"mail": {"recipient": "王老", "mobile": "13700001234", "district": "110102", "postal_code": postal, "address": "西城区测试路3号"}});
        let (st, v) = c.patch(&id, mail("200000")).await;
        assert_eq!(
            (st, field_codes(&v)),
            (422, vec![("mail.postal_code".into(), "postal_code_invalid".into())])
        );
        assert_eq!(
            c.get(&format!("/api/v1/applications/{id}")).await.1["mail"],
            Value::Null
        );
        let (st, v) = c.patch(&id, mail("100032")).await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["mail"]["postal_code"], "100032");
        assert!(!v["missing"].as_array().unwrap().iter().any(|m| m == "mail"));
    }
);

both_engines!(
    photos_of_each_failing_kind_are_refused_with_the_value_found,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let c = caller(&s, As::Resident).await;
        let (_, draft) = c.post("/api/v1/applications", START()).await;
        let id = draft["id"].as_str().unwrap().to_string();
        let tiny = images::tiny_photo();
        let tiny_says = format!("{} bytes", tiny.len());
        let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
            ("card_photo", tiny, "document_too_small", &tiny_says),
            (
                "card_photo",
                images::oversized(9_175_041),
                "document_too_large",
                "9175040",
            ),
            (
                "card_photo",
                images::jpeg(357, 441),
                "document_wrong_dimensions",
                "357×441",
            ),
            ("card_photo", images::grayscale_photo(), "document_grayscale", "colour"),
            ("card_photo", images::png(358, 441), "document_not_jpeg", "PNG"),
            (
                "card_photo",
                images::truncated_jpeg(),
                "document_undecodable",
                "incomplete",
            ),
            (
                "id_front",
                images::png_bomb(100_000),
                "document_too_many_pixels",
                "100000×100000",
            ),
            (
                "id_back",
                b"%PDF-1.4 not an image".to_vec(),
                "document_not_image",
                "not an image",
            ),
        ];
        for (kind, bytes, code, says) in cases {
            // Declared as a JPEG whatever it is: the bytes decide.
            let (st, v) = c.upload(&id, kind, bytes, "image/jpeg").await;
            assert_eq!((st, v["code"].as_str()), (422, Some(code)), "{kind}: {v}");
            assert_eq!(v["errors"][0]["field"], kind);
            assert!(
                v["errors"][0]["message"].as_str().unwrap().contains(says),
                "{code} should say {says:?}: {v}"
            );
        }
        let (_, now) = c.get(&format!("/api/v1/applications/{id}")).await;
        assert_eq!(now["documents"], json!({}), "no refused file was attached");
        assert_eq!(
            c.upload(&id, "passport", images::card_photo(), "image/jpeg").await.0,
            404,
            "no such document kind"
        );
        // The exact limit passes: 8.75 MB (a whole JPEG, zero-padded to the byte) is not too large.
        let mut big = images::jpeg(2000, 1500);
        assert!(big.len() < 9_175_040);
        big.resize(9_175_040, 0);
        let (st, v) = c.upload(&id, "id_front", big, "image/jpeg").await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["documents"]["id_front"]["bytes"], 9_175_040);
        let (st, v) = c
            .upload(&id, "card_photo", images::card_photo(), "application/octet-stream")
            .await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["documents"]["card_photo"]["media_type"], "image/jpeg");
    }
);

both_engines!(twenty_concurrent_submissions_create_one, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    world::seed(&s.ctx).await;
    let c = caller(&s, As::Resident).await;
    // Twenty starts at once (two channels, double clicks): one application.
    let mut starts = Vec::new();
    for _ in 0..20 {
        let (api, token) = (world::api(&s.base), c.token.clone());
        starts.push(tokio::spawn(async move {
            api.call(
                Method::POST,
                "/api/v1/applications",
                Some(&token),
                Some(json!({"disclaimer": true, "access_authorisation": true})),
            )
            .await
            .0
        }));
    }
    let mut created = 0;
    for t in starts {
        let st = t.await.unwrap();
        assert!(st == 201 || st == 422 || st == 429, "{st}");
        created += usize::from(st == 201);
    }
    assert_eq!(created, 1, "one application from twenty starts");
    let (_, mine) = c.get("/api/v1/applications").await;
    let id = mine[0]["id"].as_str().unwrap().to_string();
    complete(&c, &id).await;
    let mut subs = Vec::new();
    for i in 0..20 {
        let (api, token, id) = (world::api(&s.base), c.token.clone(), id.clone());
        // Half retry with one key, half come from elsewhere with their own.
        let key = if i % 2 == 0 {
            "same-key".to_string()
        } else {
            format!("key-{i}")
        };
        subs.push(tokio::spawn(async move {
            let r = api
                .http
                .post(api.url(&format!("/api/v1/applications/{id}/submit")))
                .bearer_auth(token)
                .header("idempotency-key", key)
                .json(&json!({"commitment": true, "confirm": true}))
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in subs {
        statuses.push(t.await.unwrap());
    }
    assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{statuses:?}");
    let events = s.ctx.store.events(&id).await.unwrap();
    let submits = events
        .iter()
        .filter(|e| e.event == sscard_domain::application::ApplicationEvent::Submit)
        .count();
    assert_eq!(submits, 1, "exactly one submission");
    assert_eq!(s.ctx.store.applications_of("resident-0").await.unwrap().len(), 1);
});

both_engines!(each_ineligible_case_has_its_own_answer, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let w = world::seed(&s.ctx).await;
    let check = |token: String| {
        let api = world::api(&s.base);
        async move {
            let (st, text) = api
                .call(
                    Method::POST,
                    "/api/v1/applications/eligibility",
                    Some(&token),
                    Some(json!({"access_authorisation": true})),
                )
                .await;
            (st, serde_json::from_str::<Value>(&text).unwrap())
        }
    };
    // Not real-name authenticated: may log in, may not apply.
    let unverified = world::api(&s.base).token(As::UnverifiedResident).await.unwrap();
    let (st, v) = check(unverified).await;
    assert_eq!((st, v["code"].as_str()), (403, Some("real_name_required")));
    // An employee: through the employer.
    let t = resident_as(&s, "employee1", &w.employee.0, &w.employee.1).await;
    assert_eq!(check(t).await.1["code"], "employer_not_open");
    // Someone the registry does not know (bound by another door).
    let stranger = sscard_testkit::fixtures::id(1985, 5, 5, 55);
    let t = resident_as(&s, "stranger1", &stranger, "路人").await;
    assert_eq!(check(t).await.1["code"], "not_in_registry");
    // A category not open yet: the date is named.
    let admin = world::api(&s.base).token(As::Role(Role::Admin)).await.unwrap();
    let (st, _) = world::api(&s.base)
        .call(
            Method::PUT,
            "/api/v1/admin/openings/individual",
            Some(&admin),
            Some(json!({"opens_on": "2027-01-04"})),
        )
        .await;
    assert_eq!(st, 204);
    let me = world::api(&s.base).token(As::Resident).await.unwrap();
    let (st, v) = check(me.clone()).await;
    assert_eq!((st, v["code"].as_str()), (422, Some("not_open_yet")));
    assert!(v["detail"].as_str().unwrap().contains("2027-01-04"), "{v}");
    world::api(&s.base)
        .call(
            Method::PUT,
            "/api/v1/admin/openings/individual",
            Some(&admin),
            Some(json!({"opens_on": null})),
        )
        .await;
    assert_eq!(check(me.clone()).await.0, 200);
    // A live third-generation card: replacement, not a new application.
    let c = Caller {
        api: world::api(&s.base),
        token: me.clone(),
        _s: &s,
    };
    let (_, draft) = c.post("/api/v1/applications", START()).await;
    let id = draft["id"].as_str().unwrap().to_string();
    complete(&c, &id).await;
    c.submit(&id, None, true, true).await;
    use sscard_domain::application::{ApplicationEvent as E, ApplicationEventRecord, ApplicationState as S};
    let mut state = S::Submitted;
    for e in [E::SendToBank, E::BankAccept, E::Produce, E::ReadyForPickup, E::Collect] {
        let to = state.apply(e).unwrap();
        let rec = ApplicationEventRecord {
            at: s.ctx.clock.now(),
            event: e,
            from: Some(state),
            to,
            actor: "bank".into(),
            channel: Channel::BankOutlet,
            note: None,
        };
        assert!(s
            .ctx
            .store
            .transition(&id, state, &rec, None, None, None)
            .await
            .unwrap());
        state = to;
    }
    assert_eq!(check(me.clone()).await.1["code"], "live_card");
    // Twenty checks an hour: the next is refused until the oldest leaves the window.
    // Four checks so far (not open, open, the start's, live card): sixteen more reach the twenty.
    for _ in 0..16 {
        check(me.clone()).await;
    }
    let (st, v) = check(me.clone()).await;
    assert_eq!((st, v["code"].as_str()), (429, Some("rate_limited")), "{v}");
});
