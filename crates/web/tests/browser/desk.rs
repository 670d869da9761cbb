//! The counters' card console in a real browser: a bank clerk records a formal loss and orders the replacement
//! (a missing document number refused beside its field first); an outlet clerk is shown that a replacement is
//! the bank counter's, and a replacement sent from the outlet's desk anyway is refused naming the bank counter.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::world::{self, As, PASSWORD};
use crate::common::Server;
use sscard_domain::access::Role;
use sscard_domain::card::SocialSecurityState as S;
use sscard_testkit::browser::artifacts_dir;
use sscard_testkit::webdriver::Driver;
use sscard_testkit::{TestDb, TEST_CAPTCHA};
use sscard_web::Mode;

async fn staff_log_in(d: &Driver, s: &Server, role: Role) {
    d.goto(&s.url("/staff/login?next=/staff/cards")).await;
    d.type_into("#login", As::Role(role).username()).await;
    d.type_into("#password", PASSWORD).await;
    d.type_into("#captcha", TEST_CAPTCHA).await;
    d.click_and_wait("#login-submit").await;
    d.goto(&s.url("/staff/cards")).await;
}

async fn find(d: &Driver, id_number: &str) {
    d.type_into("#id_number", id_number).await;
    d.click_and_wait("#find").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bank_clerk_records_a_formal_loss_and_orders_the_replacement() {
    let Some(d) = Driver::start().await else { return };
    let s = Server::start(TestDb::sqlite().await, Mode::Demo).await;
    let w = world::seed(&s.ctx).await;
    crate::common::cards::card_in(&s, "BJD0000001", &w.me.0, "resident-0", S::TempLoss).await;
    staff_log_in(&d, &s, Role::BankClerk).await;
    find(&d, w.me.0.as_str()).await;
    assert!(d.has("#card-BJD0000001").await, "{}", d.source().await);
    // The formal loss, after the identity document.
    d.select("#service-BJD0000001", "formal_loss").await;
    d.select("#reason-BJD0000001", "lost").await;
    d.click_and_wait("#do-BJD0000001").await;
    assert!(d.has("#identity_number-BJD0000001-error").await, "{}", d.source().await);
    d.type_into("#identity_number-BJD0000001", w.me.0.as_str()).await;
    d.select("#service-BJD0000001", "formal_loss").await;
    d.select("#reason-BJD0000001", "lost").await;
    d.click_and_wait("#do-BJD0000001").await;
    let page = d.source().await;
    assert!(
        page.contains(r#"id="ss-BJD0000001" data-state="formal_loss""#),
        "{page}"
    );
    // 补领: the only cause offered for a formally lost card.
    assert_eq!(d.text("#cause-BJD0000001").await.trim(), "遗失（已正式挂失）");
    d.type_into("#replace_identity_number-BJD0000001", w.me.0.as_str())
        .await;
    d.screenshot(&artifacts_dir().join("desk-replacement-form.png")).await;
    d.click_and_wait("#replace-BJD0000001").await;
    let notice = d.text("#notice").await;
    assert!(notice.contains("2026-11-26"), "due in 4 working days: {notice}");
    let page = d.source().await;
    assert!(page.contains(r#"id="ss-BJD0000001" data-state="cancelled""#), "{page}");
    let line = d.text("#replacement-BJD0000001").await;
    assert!(line.contains("已受理") && line.contains("工商银行东城支行"), "{line}");
    d.screenshot(&artifacts_dir().join("desk-replacement-ordered.png"))
        .await;
    let orders = s.ctx.store.replacements_of_card("BJD0000001").await.unwrap();
    assert_eq!(orders.len(), 1);
    d.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outlet_clerk_is_refused_a_replacement_naming_the_bank_counter() {
    let Some(d) = Driver::start().await else { return };
    let s = Server::start(TestDb::sqlite().await, Mode::Demo).await;
    let w = world::seed(&s.ctx).await;
    crate::common::cards::card_in(&s, "BJD0000002", &w.me.0, "resident-0", S::Active).await;
    staff_log_in(&d, &s, Role::OutletClerk).await;
    find(&d, w.me.0.as_str()).await;
    // No replacement form here; where it is done instead, named.
    assert!(!d.has("#replace-BJD0000002").await);
    let elsewhere = d.text("#elsewhere-BJD0000002").await;
    assert!(
        elsewhere.contains("补换卡") && elsewhere.contains("银行网点"),
        "{elsewhere}"
    );
    // Sent anyway (a stale page, a crafted form): refused beside the form, naming the bank counter.
    d.run(&format!(
        r#"const f = document.createElement('form'); f.method = 'post'; f.action = '/staff/cards/BJD0000002/replacement';
           const add = (n, v) => {{ const i = document.createElement('input'); i.type = 'hidden'; i.name = n; i.value = v; f.appendChild(i); }};
           add('csrf', document.querySelector('input[name=csrf]').value); add('id_number', '{id}');
           add('cause', 'damaged'); add('identity_document', 'id_card'); add('replace_identity_number-BJD0000002', '{id}');
           const b = document.createElement('button'); b.type = 'submit'; b.id = 'crafted'; b.textContent = 'x'; f.appendChild(b);
           document.body.appendChild(f);"#,
        id = w.me.0.as_str()
    ))
    .await;
    d.click_and_wait("#crafted").await;
    let error = d.text("#cause-BJD0000002-error").await;
    assert!(error.contains("银行网点"), "{error}");
    d.screenshot(&artifacts_dir().join("desk-outlet-refusal.png")).await;
    assert!(s.ctx.store.replacements_of_card("BJD0000002").await.unwrap().is_empty());
    d.quit().await;
}
