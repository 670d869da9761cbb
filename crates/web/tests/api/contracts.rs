//! Every input and every contract (issue 19): a body that is JSON but not what the operation takes is refused by
//! the field at fault, in the caller's language, with a code of its own, and changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::caller::caller;
use crate::common::world::{self, As};
use crate::common::Server;
use serde_json::{json, Value};
use sscard_testkit::{both_engines, TestDb};
use sscard_web::Mode;

fn first_error(v: &Value) -> (String, String) {
    (
        v["errors"][0]["field"].as_str().unwrap_or_default().to_string(),
        v["errors"][0]["code"].as_str().unwrap_or_default().to_string(),
    )
}

both_engines!(a_body_is_refused_by_the_field_at_fault, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    world::seed(&s.ctx).await;
    let c = caller(&s, As::Resident).await;
    let id = c.start_draft().await;
    let (_, before) = c.get(&format!("/api/v1/applications/{id}")).await;

    for (body, field, code) in [
        // Fields the service sets are named as such, not silently ignored.
        (json!({"state": "submitted", "route": "retiree"}), "route", "read_only"),
        (json!({"id_number": "110101199001011234"}), "id_number", "read_only"),
        // A misspelt field, at the top and inside the mail details.
        (json!({"residense_address": "x"}), "residense_address", "unknown_field"),
        (json!({"mail": {"recipent": "王"}}), "mail.recipent", "unknown_field"),
        // A value of the wrong type names the field and what it should be.
        (json!({"occupation": 5}), "occupation", "invalid_type"),
        (json!({"mail": {"mobile": true}}), "mail.mobile", "invalid_type"),
    ] {
        let (st, v) = c.patch(&id, body.clone()).await;
        assert_eq!((st, v["code"].as_str()), (422, Some("invalid_fields")), "{body}: {v}");
        assert_eq!(first_error(&v), (field.to_string(), code.to_string()), "{body}: {v}");
        let message = v["errors"][0]["message"].as_str().unwrap();
        assert!(!message.is_empty() && !message.contains("problem-"), "{v}");
    }
    // In the caller's language: the type expected, in words.
    let r = c
        .api
        .http
        .patch(c.api.url(&format!("/api/v1/applications/{id}")))
        .bearer_auth(&c.token)
        .header("accept-language", "en")
        .json(&json!({"occupation": 5}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["errors"][0]["message"], "Must be text (a string).", "{v}");
    let (_, v) = c.patch(&id, json!({"occupation": 5})).await;
    assert_eq!(v["errors"][0]["message"], "应为文本（字符串）。", "{v}");

    // Not JSON at all is a different refusal.
    let r = c
        .api
        .http
        .patch(c.api.url(&format!("/api/v1/applications/{id}")))
        .bearer_auth(&c.token)
        .header("content-type", "application/json")
        .body("{\"occupation\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "invalid_json", "{v}");

    let (_, after) = c.get(&format!("/api/v1/applications/{id}")).await;
    assert_eq!(after, before, "nothing changed");
});

both_engines!(the_document_says_how_every_refusal_is_served, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let c = crate::common::client();
    let doc: Value = crate::common::json(&c, s.url("/api/v1/openapi.json")).await;
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if !["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            operations += 1;
            let responses = op["responses"].as_object().unwrap();
            for (status, r) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    if let Some(content) = r["content"].as_object() {
                        assert!(
                            content.keys().all(|k| k == "application/problem+json"),
                            "{method} {path} {status}: {content:?}"
                        );
                    }
                }
            }
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if secured {
                assert!(responses.contains_key("401"), "{method} {path} documents 401");
            }
            assert!(responses.contains_key("503"), "{method} {path} documents 503");
            if op["requestBody"]["content"]["application/json"].is_object() {
                for status in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(status), "{method} {path} documents {status}");
                }
            }
        }
    }
    assert!(operations > 50, "{operations}");

    // What is sent is described by the formats the service parses it with; the ID number's pattern admits a
    // well-formed number and not a 15-digit legacy one.
    let schemas = &doc["components"]["schemas"];
    let sms = &schemas["SmsCodeIn"]["properties"]["mobile"]["pattern"];
    let pattern = sms.as_str().expect("the SMS request's mobile has a pattern");
    assert!(pattern.contains("1[3-9]"), "{pattern}");
    let with_id = schemas
        .as_object()
        .unwrap()
        .values()
        .filter_map(|s| s["properties"]["id_number"]["pattern"].as_str())
        .count();
    assert!(with_id >= 3, "{with_id} request schemas give the ID number's pattern");

    // An answer that is a refusal is served as the document says.
    let r = c.get(s.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
});

both_engines!(an_empty_query_parameter_is_absent, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let c = crate::common::client();
    let all: Value = crate::common::json(&c, s.url("/api/v1/reference/branches")).await;
    for query in ["?bank=", "?bank=&district=", "?district="] {
        let r = c
            .get(s.url(&format!("/api/v1/reference/branches{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{query}");
        assert_eq!(r.json::<Value>().await.unwrap(), all, "{query}");
    }
    // A value that names nothing is still refused.
    let r = c
        .get(s.url("/api/v1/reference/branches?bank=999"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
});

both_engines!(
    photos_are_judged_as_phones_make_them_and_people_see_them,
    |db: TestDb| async move {
        use sscard_testkit::images;
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let c = caller(&s, As::Resident).await;
        let id = c.start_draft().await;
        let accepted = [
            (
                "card_photo",
                images::photo_with_trailer(),
                "a phone's trailer after the image",
            ),
            (
                "card_photo",
                images::with_orientation(&images::jpeg(441, 358), 6),
                "stored on its side, shown upright",
            ),
            ("card_photo", images::progressive_jpeg(358, 441), "progressive"),
        ];
        for (kind, bytes, why) in accepted {
            let (st, v) = c.upload(&id, kind, bytes, "image/jpeg").await;
            assert_eq!(st, 200, "{why}: {v}");
        }
        let refused = [
            (
                "card_photo",
                images::with_orientation(&images::card_photo(), 6),
                "document_wrong_dimensions",
                "stored upright but shown on its side",
            ),
            ("card_photo", images::cmyk_photo(), "document_cmyk", "CMYK"),
            (
                "card_photo",
                images::lying_header((600, 600), (358, 441)),
                "document_undecodable",
                "a header that lies about the picture under it",
            ),
            (
                "card_photo",
                images::claiming(images::progressive_jpeg(358, 220), (358, 441)),
                "document_undecodable",
                "a progressive file's header claiming more than its scans hold",
            ),
            (
                "id_front",
                images::deep_png(8000),
                "document_too_large_to_check",
                "more than the decoder may allocate",
            ),
            (
                "card_photo",
                images::truncated_jpeg(),
                "document_undecodable",
                "cut short",
            ),
        ];
        for (kind, bytes, code, why) in refused {
            let (st, v) = c.upload(&id, kind, bytes, "image/jpeg").await;
            assert_eq!((st, v["code"].as_str()), (422, Some(code)), "{why}: {v}");
        }
        let (st, v) = c
            .upload(
                &id,
                "card_photo",
                images::with_orientation(&images::card_photo(), 6),
                "image/jpeg",
            )
            .await;
        assert_eq!(st, 422);
        assert!(
            v["detail"].as_str().unwrap().contains("441×358"),
            "the size as shown: {v}"
        );
    }
);

both_engines!(
    confirming_an_application_that_is_not_collective_says_why,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let c = caller(&s, As::Resident).await;
        let id = c.start_draft().await;
        let (st, v) = c
            .post(
                &format!("/api/v1/applications/{id}/confirm"),
                json!({"commitment": true, "confirm": true}),
            )
            .await;
        assert_eq!((st, v["code"].as_str()), (409, Some("not_collective")), "{v}");
        assert!(v["detail"].as_str().unwrap().contains("直接提交"), "{v}");
        let (_, v) = c.get(&format!("/api/v1/applications/{id}")).await;
        assert_eq!(v["state"], "draft");
    }
);
