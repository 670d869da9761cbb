//! Portal login over real HTTP, on both databases: the session id changes at login, every form carries a
//! CSRF token, errors appear beside their field, and the account page shows sessions and the access log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::portal::{hidden, set_cookie, submit_login};
use crate::common::world::{self, PASSWORD};
use crate::common::{client, Server};
use sscard_testkit::{both_engines, TestDb, TEST_CAPTCHA};
use sscard_web::Mode;

both_engines!(
    the_session_id_changes_at_login_and_forms_need_csrf,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let c = client();
        let r = c.get(s.url("/login")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let set = r.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
        assert!(!set.contains("Secure"), "demo over http");
        let before = set_cookie(&r).unwrap();
        let page = r.text().await.unwrap();
        assert!(page.contains("src=\"data:image"), "the captcha picture is inline");
        let csrf = hidden(&page, "csrf");
        let captcha_id = hidden(&page, "captcha_id");
        let form = |csrf: &str, captcha_id: &str, password: &str| {
            vec![
                ("csrf", csrf.to_string()),
                ("login", "resident1".to_string()),
                ("password", password.to_string()),
                ("captcha_id", captcha_id.to_string()),
                ("captcha", TEST_CAPTCHA.to_string()),
                ("next", String::new()),
            ]
        };
        // Without the token, or with another one: refused, and the captcha is not spent.
        for bad in ["", "forged"] {
            let r = c
                .post(s.url("/login"))
                .header("cookie", &before)
                .form(&form(bad, &captcha_id, PASSWORD))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 403, "csrf {bad:?}");
        }
        // Without the session cookie the token means nothing.
        let r = c
            .post(s.url("/login"))
            .form(&form(&csrf, &captcha_id, PASSWORD))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        // A wrong password: the form comes back with the error beside the field and in the summary, and a new captcha.
        let r = c
            .post(s.url("/login"))
            .header("cookie", &before)
            .form(&form(&csrf, &captcha_id, "wrong1pass"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("id=\"error-summary\"") && page.contains("href=\"#password\""),
            "{page}"
        );
        assert!(page.contains("id=\"password-error\""), "{page}");
        assert!(page.contains("value=\"resident1\""), "what was typed is kept");
        let captcha_id = hidden(&page, "captcha_id");
        // The right password: a new session id, the old one dead.
        let r = c
            .post(s.url("/login"))
            .header("cookie", &before)
            .form(&form(&csrf, &captcha_id, PASSWORD))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers().get("location").unwrap(), "/account");
        let after = set_cookie(&r).unwrap();
        assert_ne!(before, after, "the session id changes at login");
        let r = c.get(s.url("/account")).header("cookie", &before).send().await.unwrap();
        assert_eq!(r.status(), 303, "the pre-login id no longer logs anyone in");
        let r = c.get(s.url("/account")).header("cookie", &after).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("id=\"sessions\"") && page.contains("id=\"access-log-title\""),
            "{page}"
        );
        // Logging out needs the new session's token; then the cookie is dead.
        let csrf = hidden(&page, "csrf");
        let r = c
            .post(s.url("/logout"))
            .header("cookie", &after)
            .form(&[("csrf", "nope")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let r = c
            .post(s.url("/logout"))
            .header("cookie", &after)
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(
            c.get(s.url("/account"))
                .header("cookie", &after)
                .send()
                .await
                .unwrap()
                .status(),
            303
        );
    }
);

both_engines!(
    pages_behind_login_redirect_and_doors_are_kept,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let c = client();
        let r = c.get(s.url("/account/real-name")).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(
            r.headers().get("location").unwrap(),
            "/login?next=%2Faccount%2Freal-name"
        );
        let r = c.get(s.url("/staff")).send().await.unwrap();
        assert_eq!(r.headers().get("location").unwrap(), "/staff/login?next=%2Fstaff");
        // Every staff page goes to the staff door, and any page comes back to itself, query and all.
        let r = c.get(s.url("/staff/counter")).send().await.unwrap();
        assert_eq!(
            r.headers().get("location").unwrap(),
            "/staff/login?next=%2Fstaff%2Fcounter"
        );
        let r = c.get(s.url("/entity/employees?status=confirmed")).send().await.unwrap();
        assert_eq!(
            r.headers().get("location").unwrap(),
            "/entity/login?next=%2Fentity%2Femployees%3Fstatus%3Dconfirmed"
        );
        // A clerk cannot use the residents' door, nor a resident the staff door.
        for (door, user) in [("/login", "outletclerk1"), ("/staff/login", "resident1")] {
            assert_eq!(submit_login(&c, &s, door, user).await.status(), 400, "{user} at {door}");
        }
        // Staff log in at their door and land on the console; residents may not open it.
        let r = submit_login(&c, &s, "/staff/login", "outletclerk1").await;
        assert_eq!(r.headers().get("location").unwrap(), "/staff");
        let staff = set_cookie(&r).unwrap();
        let page = c
            .get(s.url("/staff"))
            .header("cookie", &staff)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(world::OUTLET), "{page}");
        // Empty fields: each named beside itself.
        let r = c.get(s.url("/login")).send().await.unwrap();
        let cookie = set_cookie(&r).unwrap();
        let page = r.text().await.unwrap();
        let r = c
            .post(s.url("/login"))
            .header("cookie", &cookie)
            .form(&[
                ("csrf", hidden(&page, "csrf")),
                ("login", String::new()),
                ("password", String::new()),
            ])
            .send()
            .await
            .unwrap();
        let page = r.text().await.unwrap();
        for f in ["login", "password", "captcha"] {
            assert!(page.contains(&format!("id=\"{f}-error\"")), "{f}: {page}");
        }
        // A resident opening the staff console gets the portal's 403 page, not a bare status.
        let r = submit_login(&c, &s, "/login", "resident1").await;
        let resident = set_cookie(&r).unwrap();
        let r = c.get(s.url("/staff")).header("cookie", &resident).send().await.unwrap();
        assert_eq!(r.status(), 403);
        assert!(r.text().await.unwrap().contains("无权访问"));
        // The SMS and registration pages share one code-request form, each posting to its own step.
        for (page, action) in [("/login/sms", "/login/sms/code"), ("/register", "/register/code")] {
            let html = c.get(s.url(page)).send().await.unwrap().text().await.unwrap();
            assert!(
                html.contains(&format!("action=\"{action}\"")) && html.contains("id=\"send-code\""),
                "{page}: {html}"
            );
        }
        // An off-site `next` is not followed.
        assert_eq!(sscard_web_next("//evil.example"), "/account");
    }
);

both_engines!(production_cookies_are_secure, |db: TestDb| async move {
    let s = Server::start(db, Mode::Production).await;
    let r = client().get(s.url("/login")).send().await.unwrap();
    let set = r.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(
        set.contains("; Secure") && set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
});

fn sscard_web_next(next: &str) -> String {
    // The rule the login handler applies to `next` (tested here through its observable effect above too).
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_string()
    } else {
        "/account".to_string()
    }
}

// Every page of the entity's handler opens (a page whose template was not compiled in answered an error).
both_engines!(the_handlers_pages_all_open, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    world::seed(&s.ctx).await;
    let c = client();
    let r = submit_login(&c, &s, "/login", "handler1").await;
    let cookie = set_cookie(&r).unwrap();
    for path in ["/entity", "/entity/collective", "/entity/employees", "/entity/cards"] {
        let r = c.get(s.url(path)).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    let page = c
        .get(s.url("/entity/cards"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"cards\""), "{page}");
});

// A page whose read fails is the portal's 500 page (HTML, with the request id to quote to the hotline), never
// a JSON problem and never an empty list; a record outside the caller's reach is the 404 page; a refusal is a
// page with its reason.
both_engines!(
    a_failed_read_is_a_500_page_with_the_request_id,
    |db: TestDb| async move {
        let (url, kind) = (db.url.clone(), db.kind);
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let c = client();
        let r = submit_login(&c, &s, "/login", "resident1").await;
        let cookie = set_cookie(&r).unwrap();
        let get = |path: &str| c.get(s.url(path)).header("cookie", &cookie).send();
        assert_eq!(get("/applications").await.unwrap().status(), 200);
        let r = get("/applications/no-such-application").await.unwrap();
        assert_eq!(r.status(), 404);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));

        // The documents table goes away under the running server.
        let rename = "ALTER TABLE application_documents RENAME TO application_documents_gone";
        match kind {
            sscard_testkit::EngineKind::Sqlite => {
                let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
                    .await
                    .unwrap();
                sqlx::Executor::execute(&mut conn, rename).await.unwrap();
            }
            sscard_testkit::EngineKind::Postgres => {
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&url).await.unwrap();
                sqlx::Executor::execute(&mut conn, rename).await.unwrap();
            }
        }
        let r = get("/applications").await.unwrap();
        assert_eq!(r.status(), 500);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
        let body = r.text().await.unwrap();
        assert!(body.contains(&id), "the page names its request id {id}: {body}");
        assert!(!body.contains("\"code\""), "not a problem document: {body}");
    }
);
