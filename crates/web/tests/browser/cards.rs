//! A real browser through the card's life: an elderly holder reports a card lost and sees when the loss ends
//! (and where a formal loss is done instead); a hotline agent reports a loss after the caller's password (a
//! wrong one refused beside the field); a proxy records a written authorisation and activates the card.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::caller::{caller, resident_as};
use crate::common::world::{self, As, PASSWORD};
use crate::common::Server;
use serde_json::json;
use sscard_domain::access::Role;
use sscard_domain::card::SocialSecurityState as S;
use sscard_domain::values::IdNumber;
use sscard_testkit::browser::artifacts_dir;
use sscard_testkit::fixtures::id;
use sscard_testkit::webdriver::Driver;
use sscard_testkit::{images, TestDb, TEST_CAPTCHA};
use sscard_web::Mode;

async fn card(s: &Server, number: &str, holder: &IdNumber, ss: S) {
    crate::common::cards::card_in(s, number, holder, "resident-0", ss).await;
}

async fn log_in(d: &Driver, s: &Server, door: &str, user: &str, next: &str) {
    d.goto(&s.url(&format!("{door}?next={next}"))).await;
    d.type_into("#login", user).await;
    d.type_into("#password", PASSWORD).await;
    d.type_into("#captcha", TEST_CAPTCHA).await;
    d.click_and_wait("#login-submit").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_elderly_holder_reports_a_card_lost_and_sees_when_it_ends() {
    let Some(d) = Driver::start().await else { return };
    let s = Server::start(TestDb::sqlite().await, Mode::Demo).await;
    world::seed(&s.ctx).await;
    let holder = id(1948, 2, 2, 91);
    resident_as(&s, "elderholder", &holder, "老持卡").await;
    card(&s, "BJE0000001", &holder, S::Active).await;

    d.goto(&s.url("/preferences?elder=on&next=/")).await;
    log_in(&d, &s, "/login", "elderholder", "/cards").await;
    assert!(d.current_url().await.ends_with("/cards"), "{}", d.current_url().await);
    let page = d.source().await;
    assert!(page.contains("class=\"elder\""), "elderly mode");
    assert!(page.contains(r#"data-state="active""#), "{page}");
    // Where a formal loss is done instead: the counters, named.
    let elsewhere = d.text("#elsewhere-BJE0000001").await;
    assert!(
        elsewhere.contains("正式挂失") && elsewhere.contains("银行网点"),
        "{elsewhere}"
    );
    d.click_and_wait("#temporary_loss-BJE0000001").await;
    d.screenshot(&artifacts_dir().join("card-loss-elder.png")).await;
    d.click_and_wait("#confirm-loss").await;
    let page = d.source().await;
    assert!(page.contains(r#"id="ss-BJE0000001" data-state="temp_loss""#), "{page}");
    let until = d.text("#loss-until-BJE0000001").await;
    assert!(
        until.contains("2026-12-06 10:00"),
        "the release time to the minute: {until}"
    );
    d.screenshot(&artifacts_dir().join("card-lost-elder.png")).await;
    assert_eq!(
        s.ctx.store.card("BJE0000001").await.unwrap().unwrap().social_security,
        S::TempLoss
    );
    d.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hotline_agent_reports_a_loss_after_the_callers_password() {
    let Some(d) = Driver::start().await else { return };
    let s = Server::start(TestDb::sqlite().await, Mode::Demo).await;
    let w = world::seed(&s.ctx).await;
    card(&s, "BJH0000009", &w.me.0, S::Active).await;
    // The holder set their service password online.
    let holder = caller(&s, As::Resident).await;
    let initial = sscard_domain::card::password::initial(&w.me.0);
    let (st, v) = holder
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/cards/BJH0000009/password",
            Some(json!({"old": initial.as_str(), "new": "590372"})),
        )
        .await;
    assert_eq!(st, 204, "{v}");

    log_in(
        &d,
        &s,
        "/staff/login",
        As::Role(Role::HotlineAgent).username(),
        "/staff",
    )
    .await;
    d.goto(&s.url("/staff")).await;
    d.click_and_wait("#hotline-link").await;
    d.type_into("#id_number", w.me.0.as_str()).await;
    d.click_and_wait("#find").await;
    assert!(d.has("#card-BJH0000009").await, "{}", d.source().await);
    // A wrong password: refused beside the field, the card untouched.
    d.type_into("#password-BJH0000009", "111111").await;
    d.click_and_wait("#loss-BJH0000009").await;
    assert!(d.has("#password-BJH0000009-error").await, "{}", d.source().await);
    assert_eq!(
        s.ctx.store.card("BJH0000009").await.unwrap().unwrap().social_security,
        S::Active
    );
    d.type_into("#password-BJH0000009", "590372").await;
    d.click_and_wait("#loss-BJH0000009").await;
    let page = d.source().await;
    assert!(page.contains(r#"data-state="temp_loss""#), "{page}");
    assert!(d.has("#loss-until-BJH0000009").await);
    // The ID number never went into a URL.
    assert!(!d.current_url().await.contains(w.me.0.as_str()));
    d.screenshot(&artifacts_dir().join("hotline-loss.png")).await;
    let last = s.ctx.store.card_transitions("BJH0000009").await.unwrap().pop().unwrap();
    assert_eq!(last.channel, Some(sscard_domain::access::Channel::Hotline));
    d.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_records_the_authorisation_and_activates_the_card() {
    let Some(d) = Driver::start().await else { return };
    let s = Server::start(TestDb::sqlite().await, Mode::Demo).await;
    let w = world::seed(&s.ctx).await;
    card(&s, "BJX0000009", &w.victim.0, S::PendingActivation).await;
    let dir = tempfile::tempdir().unwrap();
    let scan = dir.path().join("authorisation.jpg");
    std::fs::write(&scan, images::jpeg(1200, 1600)).unwrap();

    log_in(&d, &s, "/login", As::Resident.username(), "/cards/proxy").await;
    assert!(d.current_url().await.ends_with("/cards/proxy"), "{}", d.source().await);
    d.type_into("#holder_name", &w.victim.1).await;
    d.type_into("#holder_id_number", w.victim.0.as_str()).await;
    d.click("#service-activation").await;
    d.click("#service-status_query").await;
    d.run("document.querySelector('#valid_until').value = '2027-01-31'")
        .await;
    d.type_into("#document", scan.to_str().unwrap()).await;
    d.screenshot(&artifacts_dir().join("proxy-form.png")).await;
    d.click_and_wait("#record-proxy").await;
    assert!(
        d.current_url().await.contains("/cards?done=proxy"),
        "{}",
        d.source().await
    );
    assert!(d.has("#activation-BJX0000009").await, "{}", d.source().await);
    assert!(!d.has("#temporary_loss-BJX0000009").await, "not in the authorisation");
    d.click_and_wait("#activation-BJX0000009").await;
    let page = d.source().await;
    assert!(page.contains(r#"id="ss-BJX0000009" data-state="active""#), "{page}");
    d.screenshot(&artifacts_dir().join("proxy-activated.png")).await;
    let last = s.ctx.store.card_transitions("BJX0000009").await.unwrap().pop().unwrap();
    assert_eq!(last.actor.acting, sscard_domain::card::channels::Acting::Proxy);
    d.quit().await;
}
