//! Headless Chromium against the real server: the home page in both languages and in elderly mode.
//! Screenshots are saved as test artifacts (`artifacts/`, or `SSCARD_ARTIFACTS`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::Server;
use sscard_testkit::browser::{artifacts_dir, Browser};
use sscard_testkit::TestDb;
use sscard_web::Mode;

fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let w = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
    let h = u32::from_be_bytes([png[20], png[21], png[22], png[23]]);
    (w, h)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_page_in_chinese_english_and_elderly_mode() {
    let Some(browser) = Browser::find() else { return };
    let s = Server::start(TestDb::sqlite().await, Mode::Demo).await;
    let dir = artifacts_dir();
    let (home, en, elder) = (
        s.url("/"),
        s.url("/preferences?lang=en&next=/"),
        s.url("/preferences?elder=on&next=/"),
    );

    let b = &browser;
    let (zh_dom, en_dom, elder_dom) = tokio::task::spawn_blocking({
        let (home, en, elder) = (home.clone(), en.clone(), elder.clone());
        let b = Browser::find().unwrap();
        move || (b.dump_dom(&home), b.dump_dom(&en), b.dump_dom(&elder))
    })
    .await
    .unwrap();
    assert!(
        zh_dom.contains("lang=\"zh-CN\"") && zh_dom.contains("北京市社会保障卡服务平台"),
        "{zh_dom}"
    );
    assert!(zh_dom.contains("id=\"demo-banner\""));
    // The redirect set a cookie that the browser kept: the page it landed on is English.
    assert!(
        en_dom.contains("lang=\"en\"") && en_dom.contains("Beijing Social Security Card Service"),
        "{en_dom}"
    );
    assert!(elder_dom.contains("class=\"elder\""), "{elder_dom}");

    let elder_branches = s.url("/preferences?elder=on&next=/branches%3Fdistrict%3D110105");
    for (name, url, width) in [
        ("home-zh", &home, 1280),
        ("home-en", &en, 1280),
        ("home-elder", &elder, 412),
        ("branches-elder", &elder_branches, 412),
    ] {
        let path = dir.join(format!("{name}.png"));
        let png = b.screenshot(url, &path, width, 900);
        assert_eq!(png_size(&png), (width, 900), "{name}");
        assert!(png.len() > 5_000, "{name} screenshot is suspiciously small");
    }
}
