//! A real browser applies: an individual with branch pickup (and a bad field corrected on the way), and a
//! retiree in elderly mode, by mail, who cannot change the bank.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::world::{self, PASSWORD};
use crate::common::Server;
use sscard_app::ports::NewAccount;
use sscard_domain::account::{AccountKind, Username};
use sscard_domain::values::PersonName;
use sscard_testkit::browser::artifacts_dir;
use sscard_testkit::webdriver::Driver;
use sscard_testkit::{images, TestDb, TEST_CAPTCHA};
use sscard_web::Mode;

async fn log_in(d: &Driver, s: &Server, user: &str) {
    d.goto(&s.url("/login?next=/apply")).await;
    d.type_into("#login", user).await;
    d.type_into("#password", PASSWORD).await;
    d.type_into("#captcha", TEST_CAPTCHA).await;
    d.click_and_wait("#login-submit").await;
    assert!(d.current_url().await.ends_with("/apply"), "{}", d.current_url().await);
}

async fn start(d: &Driver) -> String {
    d.click("#disclaimer").await;
    d.click("#access_authorisation").await;
    d.click_and_wait("#start-check").await;
    let url = d.current_url().await;
    assert!(url.ends_with("/personal"), "{url}: {}", d.source().await);
    url.split("/apply/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string()
}

fn files() -> (tempfile::TempDir, [std::path::PathBuf; 3]) {
    let dir = tempfile::tempdir().unwrap();
    let paths = [
        dir.path().join("photo.jpg"),
        dir.path().join("front.jpg"),
        dir.path().join("back.png"),
    ];
    std::fs::write(&paths[0], images::card_photo()).unwrap();
    std::fs::write(&paths[1], images::jpeg(1200, 760)).unwrap();
    std::fs::write(&paths[2], images::png(1200, 760)).unwrap();
    (dir, paths)
}

async fn upload_and_submit(d: &Driver, paths: &[std::path::PathBuf; 3]) -> String {
    for (id, p) in ["#card_photo", "#id_front", "#id_back"].iter().zip(paths) {
        d.type_into(id, p.to_str().unwrap()).await;
    }
    d.click_and_wait("#continue").await;
    assert!(d.current_url().await.ends_with("/check"), "{}", d.source().await);
    d.click("#commitment").await;
    d.click_and_wait("#continue").await;
    assert!(d.source().await.contains("id=\"confirm-question\""));
    d.click_and_wait("#submit-application").await;
    assert!(d.current_url().await.ends_with("/done"), "{}", d.source().await);
    let page = d.source().await;
    assert!(page.contains("id=\"confirmation\""), "{page}");
    page.split("id=\"reference\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_individual_applies_with_branch_pickup() {
    let Some(d) = Driver::start().await else { return };
    let s = Server::start(TestDb::sqlite().await, Mode::Demo).await;
    world::seed(&s.ctx).await;
    let dir = artifacts_dir();
    log_in(&d, &s, "resident1").await;
    let id = start(&d).await;
    // The registry's details are shown, not editable; the editable ones are prefilled.
    let page = d.source().await;
    assert!(page.contains("id=\"fixed-fields\"") && page.contains("张明"), "{page}");
    // A bad mobile number: the message beside the field, and nothing stored.
    d.clear("#mobile").await;
    d.type_into("#mobile", "123").await;
    d.click_and_wait("#continue").await;
    let page = d.source().await;
    assert!(
        page.contains("id=\"mobile-error\"") && page.contains("id=\"error-summary\""),
        "{page}"
    );
    assert!(page.contains("value=\"123\""), "what was typed is shown again");
    d.screenshot(&dir.join("apply-field-error.png")).await;
    let stored = s.ctx.store.application(&id).await.unwrap().unwrap();
    assert_eq!(
        stored.form.mobile.unwrap().as_str(),
        "13800001234",
        "nothing wrong was stored"
    );
    d.clear("#mobile").await;
    d.type_into("#mobile", "13912345678").await;
    d.click_and_wait("#continue").await;
    assert!(d.current_url().await.ends_with("/bank"));
    d.select("#bank", "102").await;
    d.click_and_wait("#continue").await;
    assert!(d.current_url().await.ends_with("/branch"), "{}", d.source().await);
    d.select("#branch", "102-0101").await;
    d.click_and_wait("#continue").await;
    d.click("#collection-branch_pickup").await;
    d.click_and_wait("#continue").await;
    assert!(
        d.current_url().await.ends_with("/documents"),
        "no mail page for branch pickup: {}",
        d.current_url().await
    );
    let (_keep, paths) = files();
    let reference = upload_and_submit(&d, &paths).await;
    d.screenshot(&dir.join("apply-done.png")).await;
    let a = s.ctx.store.application(&id).await.unwrap().unwrap();
    assert_eq!(a.reference, reference);
    assert_eq!(a.state.as_str(), "submitted");
    assert_eq!(a.form.mobile.unwrap().as_str(), "13912345678");
    assert_eq!(a.form.branch.as_deref(), Some("102-0101"));
    assert_eq!(a.channel.as_str(), "web");
    // 我的办事 shows it, with its due date.
    d.goto(&s.url("/applications")).await;
    let page = d.source().await;
    assert!(page.contains(&reference) && page.contains("2026-12-21"), "{page}");
    d.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retiree_applies_in_elderly_mode_by_mail_and_keeps_the_bank() {
    let Some(d) = Driver::start().await else { return };
    let s = Server::start(TestDb::sqlite().await, Mode::Demo).await;
    let w = world::seed(&s.ctx).await;
    let hash = sscard_app::secrets::hash_password(PASSWORD).await.unwrap();
    let a = s
        .ctx
        .store
        .create_account(
            &NewAccount {
                id: "retiree-acct".into(),
                kind: AccountKind::Resident,
                username: Some(Username::parse("retiree1").unwrap()),
                mobile: None,
                display_name: "retiree1".into(),
                password_hash: Some(hash),
                created_at: s.ctx.clock.now(),
            },
            None,
        )
        .await
        .unwrap()
        .unwrap();
    s.ctx
        .store
        .bind_real_name(
            &a.id,
            &w.retiree.0,
            &PersonName::parse(&w.retiree.1).unwrap(),
            s.ctx.clock.now(),
            None,
        )
        .await
        .unwrap()
        .unwrap();
    let dir = artifacts_dir();
    d.goto(&s.url("/preferences?elder=on&next=/")).await;
    log_in(&d, &s, "retiree1").await;
    assert!(d.source().await.contains("class=\"elder\""), "elderly mode stays on");
    let id = start(&d).await;
    d.screenshot(&dir.join("apply-retiree-elder.png")).await;
    d.click_and_wait("#continue").await;
    // The bank pages are skipped: the pension bank is fixed, and said so.
    assert!(
        d.current_url().await.ends_with("/collection"),
        "{}",
        d.current_url().await
    );
    let page = d.source().await;
    assert!(page.contains("id=\"bank-locked\""), "{page}");
    assert!(
        !page.contains("collection-branch_pickup"),
        "retirees on the website are mailed only"
    );
    d.click("#collection-bank_mail").await;
    d.click_and_wait("#continue").await;
    assert!(d.current_url().await.ends_with("/mail"));
    d.type_into("[id='mail.recipient']", "王老").await;
    d.type_into("[id='mail.mobile']", "13700001234").await;
    d.select("[id='mail.district']", "110102").await;
    d.type_into("[id='mail.postal_code']", "100032").await;
    d.type_into("[id='mail.address']", "西城区测试路3号").await;
    d.click_and_wait("#continue").await;
    assert!(d.current_url().await.ends_with("/documents"), "{}", d.source().await);
    // Trying the bank page anyway: refused beside the field.
    d.goto(&s.url(&format!("/apply/{id}/bank"))).await;
    d.select("#bank", "105").await;
    d.click_and_wait("#continue").await;
    let page = d.source().await;
    assert!(page.contains("id=\"bank-error\""), "{page}");
    d.goto(&s.url(&format!("/apply/{id}/documents"))).await;
    let (_keep, paths) = files();
    // On the check page the bank has no change link.
    for (sel, p) in ["#card_photo", "#id_front", "#id_back"].iter().zip(&paths) {
        d.type_into(sel, p.to_str().unwrap()).await;
    }
    d.click_and_wait("#continue").await;
    assert!(!d.has("#change-bank").await, "the bank cannot be changed");
    assert!(d.has("#change-collection").await);
    d.goto(&s.url(&format!("/apply/{id}/documents"))).await;
    upload_and_submit(&d, &paths).await;
    let a = s.ctx.store.application(&id).await.unwrap().unwrap();
    assert_eq!(
        (a.form.bank.as_deref(), a.form.branch.as_deref()),
        (Some("102"), Some("102-0101"))
    );
    assert_eq!(a.form.collection.unwrap().as_str(), "bank_mail");
    assert_eq!(a.form.mail.unwrap().postal_code.as_str(), "100032");
    d.screenshot(&dir.join("apply-retiree-done.png")).await;
    d.quit().await;
}
