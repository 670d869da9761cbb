//! The bureau's console in a real browser: an administrator uploads a file of outlets with one bad row, follows
//! the import on its page (which refreshes itself: no JavaScript needed) and downloads the row report; an upload
//! without a file is refused beside the field.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::world::{self, As, PASSWORD};
use crate::common::Server;
use sscard_domain::access::Role;
use sscard_testkit::browser::artifacts_dir;
use sscard_testkit::webdriver::Driver;
use sscard_testkit::{TestDb, TEST_CAPTCHA};
use sscard_web::Mode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_imports_a_file_and_follows_it() {
    let Some(d) = Driver::start().await else { return };
    let s = Server::start(TestDb::sqlite().await, Mode::Demo).await;
    world::seed(&s.ctx).await;
    d.goto(&s.url("/staff/login?next=/staff")).await;
    d.type_into("#login", As::Role(Role::Admin).username()).await;
    d.type_into("#password", PASSWORD).await;
    d.type_into("#captcha", TEST_CAPTCHA).await;
    d.click_and_wait("#login-submit").await;
    d.click_and_wait("#admin-link").await;
    d.click_and_wait("#imports-link").await;
    assert!(d.current_url().await.ends_with("/admin/imports"));

    // No file chosen: the message is beside the field, and nothing is started.
    d.click("#kind-outlets").await;
    d.click_and_wait("#upload").await;
    assert!(d.has("#file-error").await, "{}", d.source().await);
    assert!(d.has("#error-summary").await);
    assert!(d.has("#no-jobs").await);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("outlets.csv");
    std::fs::write(
        &file,
        "code,name,district,address\nD-501,浏览器网点,110105,朝阳区五号\nD-502,坏网点,999999,地址\n",
    )
    .unwrap();
    d.click("#kind-outlets").await;
    d.type_into("#file", file.to_str().unwrap()).await;
    d.click_and_wait("#upload").await;
    assert!(
        d.current_url().await.contains("/admin/imports/outlets/"),
        "{}",
        d.current_url().await
    );
    // The page refreshes itself while the import runs; reading it again stands in for the wait.
    for _ in 0..100 {
        if d.run("return document.getElementById('job').dataset.state").await != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let url = d.current_url().await;
        d.goto(&url).await;
    }
    assert_eq!(
        d.run("return document.getElementById('job').dataset.state").await,
        "finished"
    );
    assert_eq!(d.text("#read").await, "2");
    assert_eq!(d.text("#accepted").await, "1");
    assert_eq!(d.text("#rejected").await, "1");
    assert!(d.has("#report").await);
    d.screenshot(&artifacts_dir().join("console-import.png")).await;
    // The row report, as the link serves it: a spreadsheet's UTF-8 mark, then the bad row with its column.
    let report: String = d
        .run(
            "return fetch(document.getElementById('report').href).then(r => r.arrayBuffer()) \
             .then(b => Array.from(new Uint8Array(b)).slice(0, 3).join(',') + '|' + new TextDecoder().decode(b))",
        )
        .await
        .as_str()
        .unwrap()
        .to_string();
    assert!(report.starts_with("239,187,191|"), "{report}");
    assert!(report.contains("3,district,"), "{report}");
    d.quit().await;
}
