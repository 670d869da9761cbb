//! A real browser applies for children (issue 5): one child with a resident ID card, and two with a
//! household booklet, the guardian answering "householder" yes and no. The relationship is confirmed from
//! the register and never typed; each ID type asks for its own documents.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::world::{self, PASSWORD};
use crate::common::Server;
use sscard_app::import::{import_csv, ImportKind};
use sscard_testkit::browser::artifacts_dir;
use sscard_testkit::fixtures::{csv, guardianship_row, id, minor_row, GUARDIANSHIP_HEADER, REGISTRY_HEADER};
use sscard_testkit::webdriver::Driver;
use sscard_testkit::{images, TestDb, TEST_CAPTCHA};
use sscard_web::Mode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guardian_applies_for_a_child_of_each_id_type() {
    let Some(d) = Driver::start().await else { return };
    let s = Server::start(TestDb::sqlite().await, Mode::Demo).await;
    let w = world::seed(&s.ctx).await;
    let kids = [
        (id(2016, 4, 1, 22), "张小一"),
        (id(2017, 5, 2, 24), "张小二"),
        (id(2021, 6, 3, 26), "张小三"),
    ];
    let rows: Vec<String> = kids.iter().map(|(i, n)| minor_row(i, n)).collect();
    import_csv(&s.ctx, ImportKind::Registry, csv(REGISTRY_HEADER, &rows).as_bytes())
        .await
        .unwrap();
    let links: Vec<String> = kids
        .iter()
        .map(|(i, _)| guardianship_row(&w.me.0, i, "51", true))
        .collect();
    import_csv(
        &s.ctx,
        ImportKind::Guardianship,
        csv(GUARDIANSHIP_HEADER, &links).as_bytes(),
    )
    .await
    .unwrap();
    let dir = artifacts_dir();
    let files = tempfile::tempdir().unwrap();
    let photo = files.path().join("photo.jpg");
    let paper = files.path().join("paper.jpg");
    std::fs::write(&photo, images::card_photo()).unwrap();
    std::fs::write(&paper, images::jpeg(900, 600)).unwrap();

    d.goto(&s.url("/login?next=/apply/child")).await;
    d.type_into("#login", "resident1").await;
    d.type_into("#password", PASSWORD).await;
    d.type_into("#captcha", TEST_CAPTCHA).await;
    d.click_and_wait("#login-submit").await;

    // (child, ID type, householder answer, the documents the page must ask for besides the guardian's ID)
    let cases = [
        (
            &kids[0],
            "resident_id",
            None,
            vec!["card_photo", "id_front", "id_back", "birth_certificate"],
        ),
        (
            &kids[1],
            "household_booklet",
            Some("yes"),
            vec![
                "card_photo",
                "booklet_first_page",
                "booklet_child_page",
                "booklet_child_page_back",
                "booklet_householder_page",
                "booklet_householder_page_back",
            ],
        ),
        (
            &kids[2],
            "household_booklet",
            Some("no"),
            vec![
                "card_photo",
                "booklet_first_page",
                "booklet_child_page",
                "booklet_child_page_back",
                "birth_certificate",
            ],
        ),
    ];
    for (n, ((child_id, name), id_type, householder, docs)) in cases.into_iter().enumerate() {
        d.goto(&s.url("/apply/child")).await;
        d.click("#disclaimer").await;
        d.type_into("#child_name", name).await;
        d.click(&format!("#child_id_type-{id_type}")).await;
        d.type_into("#child_id_number", child_id.as_str()).await;
        // Without the access authorisation: the message beside the box, nothing created.
        if n == 0 {
            d.click_and_wait("#start-check").await;
            let page = d.source().await;
            assert!(
                page.contains("id=\"access_authorisation-error\"") && page.contains("id=\"error-summary\""),
                "{page}"
            );
            assert!(s.ctx.store.open_application_of(child_id).await.unwrap().is_none());
        }
        d.click("#access_authorisation").await;
        d.click_and_wait("#start-check").await;
        let page = d.source().await;
        assert!(page.contains("您与被代办人的关系是父亲，请确认"), "{page}");
        if n == 0 {
            d.screenshot(&dir.join("minor-relationship.png")).await;
        }
        d.click_and_wait("#confirm-relationship").await;
        let url = d.current_url().await;
        assert!(url.ends_with("/child"), "{url}: {}", d.source().await);
        let app = url
            .split("/apply/")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_string();

        // The child's ID answers; a bad date first, shown beside its field and not stored.
        if let Some(h) = householder {
            d.click(&format!("#guardian_is_householder-{h}")).await;
        }
        d.clear("#id_valid_from").await;
        d.type_into("#id_valid_from", "2031-01-01").await;
        d.click_and_wait("#continue").await;
        let page = d.source().await;
        assert!(page.contains("id=\"id_valid_from-error\""), "{page}");
        let stored = s.ctx.store.application(&app).await.unwrap().unwrap();
        assert_eq!(
            stored.minor.as_ref().unwrap().id_valid_from.unwrap().to_string(),
            "2021-06-01"
        );
        d.clear("#id_valid_from").await;
        d.type_into("#id_valid_from", "2021-06-01").await;
        d.click_and_wait("#continue").await;
        assert!(d.current_url().await.ends_with("/personal"), "{}", d.source().await);
        d.select("#occupation", "2").await;
        d.type_into("#mobile", "13800002222").await;
        d.click_and_wait("#continue").await;
        d.select("#bank", "102").await;
        d.click_and_wait("#continue").await;
        d.select("#branch", "102-0101").await;
        d.click_and_wait("#continue").await;
        // The guardian's branch pickup is the only method.
        let page = d.source().await;
        assert!(
            page.contains("collection-agent_branch_pickup") && !page.contains("collection-bank_mail"),
            "{page}"
        );
        d.click("#collection-agent_branch_pickup").await;
        d.click_and_wait("#continue").await;
        assert!(
            d.current_url().await.ends_with("/documents"),
            "{}",
            d.current_url().await
        );
        let page = d.source().await;
        let mut asked = vec!["guardian_id_front", "guardian_id_back"];
        asked.extend(docs.iter());
        for k in &asked {
            assert!(page.contains(&format!("id=\"{k}\"")), "{k} asked for: {page}");
        }
        for k in ["id_front", "birth_certificate", "booklet_householder_page"] {
            assert_eq!(
                page.contains(&format!("id=\"{k}\"")),
                asked.contains(&k),
                "{id_type} {householder:?}: {k}"
            );
        }
        for k in &asked {
            let file = if *k == "card_photo" { &photo } else { &paper };
            d.type_into(&format!("#{k}"), file.to_str().unwrap()).await;
        }
        d.click_and_wait("#continue").await;
        assert!(d.current_url().await.ends_with("/check"), "{}", d.source().await);
        let page = d.source().await;
        assert!(page.contains("id=\"change-child_id_type\""), "{page}");
        d.click("#commitment").await;
        d.click_and_wait("#continue").await;
        d.click_and_wait("#submit-application").await;
        assert!(d.current_url().await.ends_with("/done"), "{}", d.source().await);
        let a = s.ctx.store.application(&app).await.unwrap().unwrap();
        assert_eq!(a.state.as_str(), "submitted");
        assert_eq!(&a.person, child_id);
        let m = a.minor.unwrap();
        assert_eq!((m.relationship.as_str(), m.id_type.as_str()), ("51", id_type));
        assert_eq!(m.guardian_is_householder, householder.map(|h| h == "yes"));
        let mut stored: Vec<&str> = a.documents.keys().map(|k| k.as_str()).collect();
        stored.sort();
        asked.sort();
        assert_eq!(stored, asked);
    }
    d.screenshot(&dir.join("minor-done.png")).await;
    // My children: the three wards, each with their submitted application; nobody else's.
    d.goto(&s.url("/children")).await;
    let page = d.source().await;
    for (child_id, name) in &kids {
        let a = s.ctx.store.open_application_of(child_id).await.unwrap().unwrap();
        assert!(page.contains(name) && page.contains(&a.reference), "{name}: {page}");
    }
    assert!(!page.contains(&w.victim.1), "{page}");
    d.screenshot(&dir.join("minor-children.png")).await;
    d.quit().await;
}
