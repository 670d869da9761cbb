//! A real browser (chromedriver + headless Chromium) logs in with password + captcha, passes real-name
//! authentication by uploading a photo, and sees in the access log who read their data.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::world::{self, As, PASSWORD};
use crate::common::Server;
use reqwest::Method;
use sscard_domain::access::Role;
use sscard_testkit::browser::artifacts_dir;
use sscard_testkit::doubles::png_photo;
use sscard_testkit::webdriver::Driver;
use sscard_testkit::{TestDb, TEST_CAPTCHA};
use sscard_web::Mode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_authenticate_real_name_and_see_the_access_log() {
    let Some(driver) = Driver::start().await else { return };
    let s = Server::start(TestDb::sqlite().await, Mode::Demo).await;
    let w = world::seed(&s.ctx).await;
    // Before the resident authenticates, an outlet clerk reads their record at the counter.
    let api = world::api(&s.base);
    let clerk = api.token(As::Role(Role::OutletClerk)).await.unwrap();
    let (st, _) = api
        .call(
            Method::GET,
            &format!("/api/v1/persons/{}?purpose=counter_service", w.victim.0),
            Some(&clerk),
            None,
        )
        .await;
    assert_eq!(st, 200);
    let dir = artifacts_dir();

    driver.goto(&s.url("/login")).await;
    driver.type_into("#login", As::UnverifiedResident.username()).await;
    driver.type_into("#password", PASSWORD).await;
    driver.type_into("#captcha", TEST_CAPTCHA).await;
    driver.screenshot(&dir.join("login-filled.png")).await;
    driver.click_and_wait("#login-submit").await;
    assert!(
        driver.current_url().await.ends_with("/account"),
        "{}",
        driver.current_url().await
    );
    let page = driver.source().await;
    assert!(page.contains("id=\"real-name-link\""), "not yet authenticated: {page}");

    driver.click_and_wait("#real-name-link").await;
    driver.type_into("#name", &w.victim.1).await;
    driver.type_into("#id_number", w.victim.0.as_str()).await;
    let photo = tempfile::Builder::new().suffix(".png").tempfile().unwrap();
    std::fs::write(photo.path(), png_photo(b"")).unwrap();
    driver.type_into("#photo", photo.path().to_str().unwrap()).await;
    driver.click_and_wait("#real-name-submit").await;

    assert!(
        driver.current_url().await.ends_with("/account"),
        "{}",
        driver.source().await
    );
    let page = driver.source().await;
    assert!(page.contains("id=\"real-name-status\">已认证"), "{page}");
    assert!(page.contains("id=\"access-log\""), "{page}");
    assert!(
        page.contains("区、街社保卡服务网点工作人员") && page.contains("柜面业务办理"),
        "{page}"
    );
    assert!(
        page.contains(&format!("朝阳区服务网点 ({})", world::OUTLET)),
        "the outlet by name: {page}"
    );
    driver.screenshot(&dir.join("account-access-log.png")).await;

    // A wrong captcha in the browser (a new visitor, in English): the message is beside the field.
    driver.delete_cookies().await;
    driver.goto(&s.url("/preferences?lang=en&next=/login")).await;
    driver.type_into("#login", "resident1").await;
    driver.type_into("#password", PASSWORD).await;
    driver.type_into("#captcha", "AAAA").await;
    driver.click_and_wait("#login-submit").await;
    let page = driver.source().await;
    assert!(
        page.contains("id=\"captcha-error\"") && page.contains("do not match the picture"),
        "{page}"
    );
    driver.quit().await;
}
