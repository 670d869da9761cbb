//! A real browser runs an employer's collective application (issue 6, seed 000): the handler opens it (a form
//! sent half-filled first: each message beside its field, nothing stored), two employees confirm their
//! details (one by bank mail, one with branch pickup), the handler selects both and submits, and the query
//! shows both submitted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::caller::resident_as;
use crate::common::world::{self, PASSWORD};
use crate::common::Server;
use sscard_app::import::{import_csv, ImportKind};
use sscard_domain::values::Uscc;
use sscard_testkit::browser::artifacts_dir;
use sscard_testkit::fixtures::{csv, employee_row, id, REGISTRY_HEADER};
use sscard_testkit::webdriver::Driver;
use sscard_testkit::{images, TestDb, TEST_CAPTCHA};
use sscard_web::Mode;

async fn login(d: &Driver, s: &Server, user: &str, next: &str) {
    d.delete_cookies().await;
    d.goto(&s.url(&format!("/login?next={next}"))).await;
    d.type_into("#login", user).await;
    d.type_into("#password", PASSWORD).await;
    d.type_into("#captcha", TEST_CAPTCHA).await;
    d.click_and_wait("#login-submit").await;
}

/// An employee confirms their details through the website flow; `mail` chooses bank mail.
async fn confirm_as_employee(d: &Driver, s: &Server, user: &str, mail: bool, files: &std::path::Path) {
    login(d, s, user, "/apply").await;
    d.goto(&s.url("/apply")).await;
    d.click("#disclaimer").await;
    d.click("#access_authorisation").await;
    d.click_and_wait("#start-check").await;
    assert!(d.current_url().await.ends_with("/personal"), "{}", d.source().await);
    d.select("#occupation", "2").await;
    d.click_and_wait("#continue").await;
    // Only the banks and branches the employer allows are offered.
    let page = d.source().await;
    assert!(
        page.contains("value=\"102\"") && !page.contains("value=\"105\""),
        "{page}"
    );
    d.select("#bank", "102").await;
    d.click_and_wait("#continue").await;
    d.select("#branch", "102-0101").await;
    d.click_and_wait("#continue").await;
    let page = d.source().await;
    assert!(
        page.contains("collection-bank_mail") && !page.contains("collection-employer_collection"),
        "{page}"
    );
    if mail {
        d.click("#collection-bank_mail").await;
        d.click_and_wait("#continue").await;
        d.type_into("[id='mail.recipient']", "钱工").await;
        d.type_into("[id='mail.mobile']", "13900001234").await;
        d.select("[id='mail.district']", "110108").await;
        d.type_into("[id='mail.postal_code']", "100080").await;
        d.type_into("[id='mail.address']", "海淀区测试路2号").await;
        d.click_and_wait("#continue").await;
    } else {
        d.click("#collection-branch_pickup").await;
        d.click_and_wait("#continue").await;
    }
    assert!(d.current_url().await.ends_with("/documents"), "{}", d.source().await);
    for (k, file) in [
        ("card_photo", "photo.jpg"),
        ("id_front", "paper.jpg"),
        ("id_back", "paper.jpg"),
    ] {
        d.type_into(&format!("#{k}"), files.join(file).to_str().unwrap()).await;
    }
    d.click_and_wait("#continue").await;
    assert!(d.current_url().await.ends_with("/check"), "{}", d.source().await);
    d.click("#commitment").await;
    d.click_and_wait("#continue").await;
    let page = d.source().await;
    assert!(page.contains("确认后由单位经办人统一提交"), "{page}");
    d.click_and_wait("#submit-application").await;
    assert!(d.current_url().await.ends_with("/done"), "{}", d.source().await);
    assert!(d.source().await.contains("您已完成个人信息确认"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_opens_two_employees_confirm_and_the_handler_submits_both() {
    let Some(d) = Driver::start().await else { return };
    let s = Server::start(TestDb::sqlite().await, Mode::Demo).await;
    let w = world::seed(&s.ctx).await;
    let second = (id(1990, 1, 2, 55), "钱工".to_string());
    import_csv(
        &s.ctx,
        ImportKind::Registry,
        csv(REGISTRY_HEADER, &[employee_row(&second.0, &second.1, &w.entity)]).as_bytes(),
    )
    .await
    .unwrap();
    resident_as(&s, "employee1", &w.employee.0, &w.employee.1).await;
    resident_as(&s, "employee2", &second.0, &second.1).await;
    let dir = artifacts_dir();
    let files = tempfile::tempdir().unwrap();
    std::fs::write(files.path().join("photo.jpg"), images::card_photo()).unwrap();
    std::fs::write(files.path().join("paper.jpg"), images::jpeg(900, 600)).unwrap();
    let entity = Uscc::parse(&w.entity).unwrap();

    // The handler opens collective application; a half-filled form first.
    login(&d, &s, "handler1", "/entity").await;
    d.goto(&s.url("/entity")).await;
    assert!(d.has("#not-configured").await, "{}", d.source().await);
    d.click_and_wait("#edit-settings").await;
    d.click("#open-yes").await;
    d.type_into("#contact_mobile", "12345").await;
    d.click_and_wait("#save").await;
    let page = d.source().await;
    for field in ["entity_collects", "contact_mobile", "contact_name"] {
        assert!(page.contains(&format!("id=\"{field}-error\"")), "{field}: {page}");
    }
    assert!(page.contains("id=\"error-summary\""), "{page}");
    // The unanswered question says what to choose, not just "fill in this field".
    assert!(page.contains("请选择是否由单位代领职工的社保卡"), "{page}");
    assert!(s.ctx.store.collective_settings(&entity).await.unwrap().is_none());
    d.screenshot(&dir.join("collective-settings-errors.png")).await;
    d.click("#entity_collects-no").await;
    d.type_into("#contact_name", "王经办").await;
    d.clear("#contact_mobile").await;
    d.type_into("#contact_mobile", "13800138000").await;
    // The bank's branches are a group that opens on a click (no script needed).
    if !d.has("#bank-102[open]").await {
        d.click("#bank-102 summary").await;
    }
    d.click("[id='branch-102-0101']").await;
    d.click("[id='branch-102-0105']").await;
    d.click_and_wait("#save").await;
    assert!(
        d.current_url().await.contains("/entity?saved=1"),
        "{}",
        d.source().await
    );
    let settings = s.ctx.store.collective_settings(&entity).await.unwrap().unwrap();
    assert!(settings.open && !settings.entity_collects && settings.branches.len() == 2);

    // Two employees confirm: one by mail, one branch pickup.
    confirm_as_employee(&d, &s, "employee1", false, files.path()).await;
    confirm_as_employee(&d, &s, "employee2", true, files.path()).await;
    for person in [&w.employee.0, &second.0] {
        let a = s.ctx.store.open_application_of(person).await.unwrap().unwrap();
        assert_eq!(a.state.as_str(), "confirmed");
    }

    // The handler sees both confirmed, selects both and submits.
    login(&d, &s, "handler1", "/entity").await;
    d.goto(&s.url("/entity")).await;
    assert_eq!(d.text("#count-confirmed").await, "2");
    d.click_and_wait("#to-submit").await;
    d.click("#select-1").await;
    d.click("#select-2").await;
    d.screenshot(&dir.join("collective-select.png")).await;
    // The form goes out once and its answer is lost (sent here from the page's script, the answer dropped);
    // the handler, seeing nothing, presses the button again: the batch is not submitted twice, and the page
    // says so and shows what the first submission did.
    let first = d
        .run(
            "const f = document.querySelector('form[action=\"/entity/submissions\"]'); \
             return fetch(f.action, {method: 'POST', body: new URLSearchParams(new FormData(f)), \
             credentials: 'same-origin'}).then(r => r.status);",
        )
        .await;
    assert_eq!(first, 200);
    d.click_and_wait("#submit-selected").await;
    assert_eq!(d.text("#submitted-count").await, "2", "{}", d.source().await);
    assert!(
        d.source().await.contains("id=\"replayed\""),
        "the retry is told the batch went through"
    );
    d.screenshot(&dir.join("collective-submitted.png")).await;
    let mut mail = 0;
    for person in [&w.employee.0, &second.0] {
        let a = s.ctx.store.open_application_of(person).await.unwrap().unwrap();
        assert_eq!(a.state.as_str(), "submitted");
        mail += usize::from(a.form.collection.unwrap().as_str() == "bank_mail");
    }
    assert_eq!(mail, 1);

    // The query shows both submitted, ID numbers masked.
    d.goto(&s.url("/entity/employees?status=submitted")).await;
    let page = d.source().await;
    assert!(page.contains("赵工") && page.contains("钱工"), "{page}");
    assert!(!page.contains(w.employee.0.as_str()) && page.contains(&w.employee.0.masked()));
    d.screenshot(&dir.join("collective-query.png")).await;
    d.quit().await;
}
