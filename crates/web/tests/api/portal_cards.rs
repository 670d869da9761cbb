//! 我的社保卡 and 办事渠道 in the portal over HTTP, on both databases: the card's states in plain words, a
//! button that activates once, a loss report whose refusal sits beside its field and stores nothing, the
//! release time shown, another person's card not found, the channel table drawn from the SPEC's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sscard_domain::card::SocialSecurityState as S;
use sscard_testkit::fixtures::id;
use sscard_testkit::{both_engines, TestDb};
use sscard_web::Mode;

use crate::common::caller::resident_as;
use crate::common::portal::{hidden, login_at};
use crate::common::world;
use crate::common::{client, Server};

/// Logs `user` in at the residents' door; the session cookie.
async fn portal_login(c: &reqwest::Client, s: &Server, user: &str) -> String {
    login_at(c, s, "/login", user).await
}

async fn card(s: &Server, number: &str, holder: &sscard_domain::values::IdNumber, applicant: &str, ss: S) {
    crate::common::cards::card_in(s, number, holder, applicant, ss).await;
}

both_engines!(
    my_card_activates_once_and_reports_a_loss_with_its_release_time,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let person = id(1972, 4, 5, 71);
        resident_as(&s, "portalholder", &person, "持卡人").await;
        card(&s, "BJP0000001", &person, "acct-portalholder", S::PendingActivation).await;
        let c = client();
        // The portal's language is a cookie.
        let cookie = format!("{}; lang=en", portal_login(&c, &s, "portalholder").await);
        let get = |path: &str| {
            c.get(s.url(path))
                .header("cookie", &cookie)
                .header("accept-language", "en")
                .send()
        };

        let page = get("/cards").await.unwrap().text().await.unwrap();
        assert!(
            page.contains(r#"id="ss-BJP0000001" data-state="pending_activation""#),
            "{page}"
        );
        assert!(page.contains(r#"id="activation-BJP0000001""#), "{page}");
        let csrf = hidden(&page, "csrf");
        let key = hidden(&page, "idempotency_key");
        // Two clicks of the same button: one activation.
        for _ in 0..2 {
            let r = c
                .post(s.url("/cards/BJP0000001/activation"))
                .header("cookie", &cookie)
                .form(&[("csrf", csrf.as_str()), ("idempotency_key", key.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303);
        }
        let records = s.ctx.store.card_transitions("BJP0000001").await.unwrap();
        assert_eq!(
            records.iter().filter(|t| t.service.as_str() == "activation").count(),
            1,
            "{records:?}"
        );
        let page = get("/cards?done=activation").await.unwrap().text().await.unwrap();
        assert!(page.contains(r#"data-state="active""#), "{page}");

        // The loss page: `other` without a word is refused beside its field, and nothing is stored.
        let page = get("/cards/BJP0000001/loss").await.unwrap().text().await.unwrap();
        let form = |reason: &str, text: &str| {
            vec![
                ("csrf".to_string(), csrf.clone()),
                ("idempotency_key".to_string(), hidden(&page, "idempotency_key")),
                ("reason".to_string(), reason.to_string()),
                ("reason_text".to_string(), text.to_string()),
            ]
        };
        let r = c
            .post(s.url("/cards/BJP0000001/loss"))
            .header("cookie", &cookie)
            .header("accept-language", "en")
            .form(&form("other", ""))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let refused = r.text().await.unwrap();
        assert!(refused.contains(r#"id="reason_text-error""#), "{refused}");
        assert!(refused.contains("Say what happened."), "{refused}");
        assert_eq!(
            s.ctx.store.card("BJP0000001").await.unwrap().unwrap().social_security,
            S::Active
        );
        let r = c
            .post(s.url("/cards/BJP0000001/loss"))
            .header("cookie", &cookie)
            .form(&form("lost", ""))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let page = get("/cards?done=temporary_loss").await.unwrap().text().await.unwrap();
        assert!(page.contains(r#"id="loss-until-BJP0000001""#), "{page}");
        assert!(
            page.contains("2026-12-06 10:00"),
            "15 days from 2026-11-21 10:00: {page}"
        );

        // Contact details: a bad mobile beside its field, nothing stored; a good one changes it.
        let page = get("/cards/BJP0000001/info").await.unwrap().text().await.unwrap();
        assert!(page.contains(r#"id="financial-mobile-note""#), "{page}");
        let post_info = |mobile: &str| {
            c.post(s.url("/cards/BJP0000001/info"))
                .header("cookie", &cookie)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("address", ""),
                    ("occupation", ""),
                    ("mobile", mobile),
                ])
                .send()
        };
        let r = post_info("12345").await.unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains(r#"id="mobile-error""#));
        assert!(s.ctx.store.holder_info("BJP0000001").await.unwrap().mobile.is_none());
        let r = post_info("13700000009").await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(
            s.ctx
                .store
                .holder_info("BJP0000001")
                .await
                .unwrap()
                .mobile
                .unwrap()
                .as_str(),
            "13700000009"
        );

        // Someone else's card: the 404 page.
        let other = id(1973, 5, 6, 72);
        card(&s, "BJP0000002", &other, "acct-portalholder", S::Active).await;
        let r = get("/cards/BJP0000002/loss").await.unwrap();
        assert_eq!(r.status(), 404);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    }
);

both_engines!(where_can_i_do_this_is_drawn_from_the_table, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let c = client();
    let page = c
        .get(s.url("/services"))
        .header("cookie", "lang=en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"id="service-temporary_loss""#), "{page}");
    assert!(page.contains("after the service password"), "{page}");
    let allowed = page.matches(r#"data-allowed="true""#).count();
    let expected = sscard_domain::card::channels::matrix()
        .iter()
        .filter(|c| c.allowed)
        .count();
    assert_eq!(allowed, expected);
});

both_engines!(
    a_clerk_records_a_formal_loss_at_the_desk_after_the_identity_check,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        card(&s, "BJD0000001", &w.me.0, "resident-0", S::Active).await;
        let c = client();
        let cookie = format!(
            "{}; lang=en",
            login_at(
                &c,
                &s,
                "/staff/login",
                world::As::Role(sscard_domain::access::Role::OutletClerk).username()
            )
            .await
        );
        let page = c
            .get(s.url("/staff/cards"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&page, "csrf");
        let found = c
            .post(s.url("/staff/cards"))
            .header("cookie", &cookie)
            .form(&[
                ("csrf", csrf.as_str()),
                ("id_number", w.me.0.as_str()),
                ("purpose", "counter_service"),
            ])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(found.contains(r#"id="card-BJD0000001""#), "{found}");
        assert!(found.contains(r#"<option value="formal_loss">"#), "{found}");
        assert!(
            !found.contains(r#"<option value="financial_activation">"#),
            "not an outlet's: {found}"
        );
        let act = |number: &str| {
            vec![
                ("csrf".to_string(), csrf.clone()),
                ("id_number".to_string(), w.me.0.as_str().to_string()),
                ("service".to_string(), "formal_loss".to_string()),
                ("reason".to_string(), "lost".to_string()),
                ("identity_document".to_string(), "id_card".to_string()),
                ("identity_number-BJD0000001".to_string(), number.to_string()),
            ]
        };
        let r = c
            .post(s.url("/staff/cards/BJD0000001"))
            .header("cookie", &cookie)
            .form(&act(w.victim.0.as_str()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let refused = r.text().await.unwrap();
        assert!(
            refused.contains(r#"id="identity_number-BJD0000001-error""#),
            "{refused}"
        );
        assert_eq!(
            s.ctx.store.card("BJD0000001").await.unwrap().unwrap().social_security,
            S::Active
        );
        let done = c
            .post(s.url("/staff/cards/BJD0000001"))
            .header("cookie", &cookie)
            .form(&act(w.me.0.as_str()))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            done.contains(r#"id="ss-BJD0000001" data-state="formal_loss""#),
            "{done}"
        );
        assert!(
            done.contains(r#"id="fin-BJD0000001" data-state="active""#),
            "the bank's part stays: {done}"
        );
    }
);
