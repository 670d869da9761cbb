//! A real browser at a bank's counter (issue 7): the clerk finds the holder's card by ID number, is told to
//! check identity first (the message beside the box, nothing recorded), then records the pickup with the
//! social-security function activated.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::caller::caller;
use crate::common::world::{self, As, PASSWORD};
use crate::common::Server;
use serde_json::json;
use sscard_domain::access::Role;
use sscard_testkit::browser::artifacts_dir;
use sscard_testkit::webdriver::Driver;
use sscard_testkit::{images, TestDb, TEST_CAPTCHA};
use sscard_web::Mode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_records_a_pickup_at_the_counter() {
    let Some(d) = Driver::start().await else { return };
    let s = Server::start(TestDb::sqlite().await, Mode::Demo).await;
    let w = world::seed(&s.ctx).await;

    // A card waiting at branch 102-0101, through the API.
    let resident = caller(&s, As::Resident).await;
    let (_, v) = resident
        .post(
            "/api/v1/applications",
            json!({"disclaimer": true, "access_authorisation": true}),
        )
        .await;
    let app = v["id"].as_str().unwrap().to_string();
    let (st, v) = resident
        .patch(
            &app,
            json!({"bank": "102", "branch": "102-0101", "collection": "branch_pickup", "occupation": "2"}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    for (kind, bytes) in [
        ("card_photo", images::card_photo()),
        ("id_front", images::jpeg(800, 500)),
        ("id_back", images::jpeg(800, 500)),
    ] {
        assert_eq!(resident.upload(&app, kind, bytes, "image/jpeg").await.0, 200);
    }
    assert_eq!(resident.submit(&app, Some("k"), true, true).await.0, 200);
    let bank = caller(&s, As::Role(Role::BankSystem)).await;
    let (_, v) = bank.post("/api/v1/bank/orders/pull", json!({})).await;
    let order = v[0]["id"].as_str().unwrap().to_string();
    for body in [
        json!({"status": "accepted"}),
        json!({"status": "produced", "card_number": "J7100", "masked_account": "6222********7100"}),
        json!({"status": "ready_for_pickup"}),
    ] {
        let (st, v) = bank.post(&format!("/api/v1/bank/orders/{order}/reports"), body).await;
        assert_eq!(st, 200, "{v}");
    }

    // The clerk logs in at the staff door and opens the counter.
    d.goto(&s.url("/staff/login")).await;
    d.type_into("#login", "bankclerk1").await;
    d.type_into("#password", PASSWORD).await;
    d.type_into("#captcha", TEST_CAPTCHA).await;
    d.click_and_wait("#login-submit").await;
    d.goto(&s.url("/staff")).await;
    d.click_and_wait("#counter-link").await;
    d.type_into("#id_number", w.me.0.as_str()).await;
    d.click_and_wait("#find").await;
    let page = d.source().await;
    assert!(page.contains("J7100") && page.contains(&w.me.0.masked()), "{page}");

    // Identity not checked: the message beside the box, nothing recorded.
    d.click_and_wait("#collect-1").await;
    let page = d.source().await;
    assert!(
        page.contains("id=\"identity_checked-error\"") && page.contains("id=\"error-summary\""),
        "{page}"
    );
    assert_eq!(
        s.ctx.store.application(&app).await.unwrap().unwrap().state.as_str(),
        "ready_for_pickup"
    );

    d.click("#identity_checked").await;
    d.click("#activate").await;
    d.click_and_wait("#collect-1").await;
    assert!(d.has("#notice").await, "{}", d.source().await);
    // The holder's ID number was never in a URL.
    assert!(!d.current_url().await.contains(w.me.0.as_str()));
    d.screenshot(&artifacts_dir().join("counter-collected.png")).await;
    assert_eq!(
        s.ctx.store.application(&app).await.unwrap().unwrap().state.as_str(),
        "collected"
    );
    let card = s.ctx.store.card("J7100").await.unwrap().unwrap();
    assert_eq!(card.social_security.as_str(), "active");
    d.quit().await;
}
