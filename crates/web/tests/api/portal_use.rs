//! The portal as its users meet it, over plain HTTP (no script), on both databases: the doors and where each
//! account lands, the captcha's written alternative, every error of a form in one pass and named, links that
//! land on their question, the documents already uploaded, a withdrawal that asks first, localised error pages,
//! a guardian's view of who read their child's data, and a CSV a spreadsheet opens in Chinese.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::caller::{caller, resident_as};
use crate::common::portal::{hidden, login_at, set_cookie, submit_login};
use crate::common::world::{self, As, PASSWORD};
use crate::common::{client, Server};
use reqwest::Method;
use sscard_app::import::{import_csv, ImportKind};
use sscard_domain::access::Role;
use sscard_testkit::fixtures::id;
use sscard_testkit::{both_engines, images, TestDb};
use sscard_web::{Mode, WebConfig};

/// A signed-in GET: status and body.
async fn get(c: &reqwest::Client, s: &Server, cookie: &str, path: &str) -> (u16, String) {
    let r = c.get(s.url(path)).header("cookie", cookie).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// A signed-in form POST with the page's CSRF token: status, `Location` and body.
async fn post(
    c: &reqwest::Client,
    s: &Server,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let (_, page) = get(c, s, cookie, "/account").await;
    let csrf = hidden(&page, "csrf");
    let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let r = c
        .post(s.url(path))
        .header("cookie", cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (r.status().as_u16(), location, r.text().await.unwrap())
}

/// The `<title>` of a page.
fn title(page: &str) -> String {
    let start = page.find("<title>").unwrap() + "<title>".len();
    page[start..].split("</title>").next().unwrap().to_string()
}

/// Starts an application through the portal; its id.
async fn start(c: &reqwest::Client, s: &Server, cookie: &str) -> String {
    let (st, location, body) = post(
        c,
        s,
        cookie,
        "/apply",
        &[("disclaimer", "yes"), ("access_authorisation", "yes")],
    )
    .await;
    assert_eq!(st, 303, "{body}");
    location.split('/').nth(2).unwrap().to_string()
}

/// A seeded server, resident1 signed in to the portal, and a draft they started there.
async fn resident_with_draft(db: TestDb) -> (Server, reqwest::Client, String, String) {
    let s = Server::start(db, Mode::Demo).await;
    world::seed(&s.ctx).await;
    let c = client();
    let cookie = login_at(&c, &s, "/login", "resident1").await;
    let id = start(&c, &s, &cookie).await;
    (s, c, cookie, id)
}

both_engines!(
    each_door_names_the_others_and_each_account_lands_at_home,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let c = client();
        for (door, others) in [
            ("/login", ["door-entity", "door-staff"]),
            ("/entity/login", ["door-resident", "door-staff"]),
            ("/staff/login", ["door-resident", "door-entity"]),
        ] {
            let page = c.get(s.url(door)).send().await.unwrap().text().await.unwrap();
            for other in others {
                assert!(page.contains(&format!("id=\"{other}\"")), "{door} names {other}");
            }
        }
        let page = c
            .get(s.url("/entity/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("用人单位经办人登录") && page.contains("action=\"/entity/login\""),
            "{page}"
        );
        // Each account lands on its home: employers on their dashboard from either public door.
        for (door, user, home) in [
            ("/entity/login", "handler1", "/entity"),
            ("/login", "handler1", "/entity"),
            ("/login", "resident1", "/account"),
            ("/staff/login", "bankclerk1", "/staff"),
        ] {
            let r = submit_login(&c, &s, door, user).await;
            assert_eq!(r.status(), 303, "{user} at {door}");
            assert_eq!(r.headers()["location"], home, "{user} at {door}");
        }
        // Signed in already: the door sends the account home.
        let cookie = login_at(&c, &s, "/entity/login", "handler1").await;
        let r = c.get(s.url("/login")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(r.headers()["location"], "/entity");
    }
);

both_engines!(
    the_captcha_has_a_written_alternative_and_a_new_picture_link,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let c = client();
        let page = c
            .get(s.url("/login?next=/cards"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("id=\"captcha-image\""), "{page}");
        assert!(
            page.contains("无法查看图片时"),
            "the picture's text alternative says what to do: {page}"
        );
        // Plain links (no script) that keep the page to return to; the template escapes the slash.
        assert!(
            page.contains("login?next=%2Fcards&amp;captcha=image\" id=\"captcha-new\""),
            "a new picture: {page}"
        );
        assert!(page.contains("login?next=%2Fcards&amp;captcha=sum\" id=\"captcha-other\""));

        // The written sum: read aloud by a screen reader, answered in digits.
        let r = c.get(s.url("/login?next=/cards&captcha=sum")).send().await.unwrap();
        let cookie = set_cookie(&r).unwrap();
        let page = r.text().await.unwrap();
        assert!(!page.contains("id=\"captcha-image\""), "{page}");
        let question = page
            .split("id=\"captcha-question\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_string();
        let numbers: Vec<u32> = question
            .split(|ch: char| !ch.is_ascii_digit())
            .filter(|t| !t.is_empty())
            .map(|t| t.parse().unwrap())
            .collect();
        assert_eq!(numbers.len(), 2, "{question}");
        assert!(
            question.contains("加") && numbers.iter().all(|n| (1..=9).contains(n)),
            "{question}"
        );
        let submit = |answer: String, page: String| {
            let (c, cookie, url) = (c.clone(), cookie.clone(), s.url("/login"));
            async move {
                c.post(url)
                    .header("cookie", &cookie)
                    .form(&[
                        ("csrf", hidden(&page, "csrf")),
                        ("next", "/cards".into()),
                        ("login", "resident1".into()),
                        ("password", PASSWORD.into()),
                        ("captcha_id", hidden(&page, "captcha_id")),
                        ("captcha_kind", "sum".into()),
                        ("captcha", answer),
                    ])
                    .send()
                    .await
                    .unwrap()
            }
        };
        // A wrong sum is refused beside the field, and the next try is a new question, not a picture.
        let wrong = (numbers[0] + numbers[1] + 1).to_string();
        let r = submit(wrong, page.clone()).await;
        assert_eq!(r.status(), 400);
        let again = r.text().await.unwrap();
        assert!(
            again.contains("id=\"captcha-error\"") && again.contains("id=\"captcha-question\""),
            "{again}"
        );
        let numbers: Vec<u32> = again
            .split("id=\"captcha-question\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .split(|ch: char| !ch.is_ascii_digit())
            .filter(|t| !t.is_empty())
            .map(|t| t.parse().unwrap())
            .collect();
        let r = submit((numbers[0] + numbers[1]).to_string(), again).await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/cards");
    }
);

both_engines!(
    a_step_shows_every_error_at_once_named_and_in_order,
    |db: TestDb| async move {
        let (s, c, cookie, id) = resident_with_draft(db).await;
        let before = s.ctx.store.application(&id).await.unwrap().unwrap();

        // Ethnicity missing, the mobile malformed, the postal-code-free rest fine: both said, in page order.
        let (st, _, page) = post(
            &c,
            &s,
            &cookie,
            &format!("/apply/{id}/personal"),
            &[
                ("ethnicity", ""),
                ("occupation", "2"),
                ("residence_district", "110105"),
                ("residence_address", "朝阳区一号"),
                ("mobile", "123"),
            ],
        )
        .await;
        assert_eq!(st, 400);
        assert!(
            page.contains("id=\"ethnicity-error\"") && page.contains("id=\"mobile-error\""),
            "{page}"
        );
        let (e, m) = (
            page.find("href=\"#ethnicity\"").unwrap(),
            page.find("href=\"#mobile\"").unwrap(),
        );
        assert!(e < m, "the summary follows the page's order");
        assert!(page.contains("请填写“民族”"), "the summary names the question: {page}");
        assert!(title(&page).starts_with("错误："), "{}", title(&page));
        assert_eq!(
            s.ctx.store.application(&id).await.unwrap().unwrap().form,
            before.form,
            "nothing stored"
        );

        // A radio question's summary link lands on its first choice.
        let (st, _, page) = post(&c, &s, &cookie, &format!("/apply/{id}/collection"), &[]).await;
        assert_eq!(st, 400);
        let link = page
            .split("<li><a href=\"#")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        assert!(link.starts_with("collection-"), "{link}");
        assert!(
            page.contains(&format!("id=\"{link}\"")),
            "the link's target exists: {link}"
        );

        // Branches by name: the check page says which branch, and where it is.
        for (step, fields) in [
            (
                "personal",
                vec![
                    ("ethnicity", "01"),
                    ("occupation", "2"),
                    ("residence_district", "110105"),
                    ("residence_address", "朝阳区一号"),
                    ("mobile", "13800138000"),
                ],
            ),
            ("bank", vec![("bank", "102")]),
            ("branch", vec![("branch", "102-0105")]),
        ] {
            let (st, _, page) = post(&c, &s, &cookie, &format!("/apply/{id}/{step}"), &fields).await;
            assert_eq!(st, 303, "{step}: {page}");
        }
        let (_, page) = get(&c, &s, &cookie, &format!("/apply/{id}/check")).await;
        let branch = page
            .split("id=\"answer-branch\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap();
        assert_eq!(branch, "工商银行朝阳支行（朝阳区一号）");
        assert!(
            page.contains("id=\"progress\">第 6 步，共 7 步") && page.contains("id=\"back-link\""),
            "{page}"
        );
    }
);

both_engines!(
    documents_already_uploaded_are_shown_and_the_form_token_travels_in_the_body,
    |db: TestDb| async move {
        let (s, c, cookie, id) = resident_with_draft(db).await;
        let api = caller(&s, As::Resident).await;
        let (st, v) = api.upload(&id, "card_photo", images::card_photo(), "image/jpeg").await;
        assert_eq!(st, 200, "{v}");
        let (_, page) = get(&c, &s, &cookie, &format!("/apply/{id}/documents")).await;
        assert!(page.contains("id=\"card_photo-uploaded\""), "{page}");
        assert!(!page.contains("id=\"id_front-uploaded\""));
        assert!(!page.contains("?csrf="), "no token in a URL: {page}");

        // The upload form carries its token as a field; in the URL alone it is refused, in words.
        let csrf = hidden(&page, "csrf");
        let upload = |form: reqwest::multipart::Form, url: String| {
            let (c, cookie) = (c.clone(), cookie.clone());
            async move {
                c.post(url)
                    .header("cookie", &cookie)
                    .multipart(form)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let file = || reqwest::multipart::Part::bytes(images::jpeg(900, 600)).file_name("front.jpg");
        let r = upload(
            reqwest::multipart::Form::new().part("id_front", file()),
            s.url(&format!("/apply/{id}/documents?csrf={csrf}")),
        )
        .await;
        assert_eq!(r.status(), 403);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("<html lang=\"zh-CN\"") && body.contains("表单已过期"),
            "{body}"
        );
        let r = upload(
            reqwest::multipart::Form::new()
                .text("csrf", csrf.clone())
                .part("id_front", file()),
            s.url(&format!("/apply/{id}/documents")),
        )
        .await;
        // Taken; the page then asks for the one still missing, and shows the two it has.
        assert_eq!(r.status(), 400);
        let page = r.text().await.unwrap();
        assert!(page.contains("id=\"id_back-error\""), "{page}");
        assert!(
            page.contains("id=\"id_front-uploaded\"") && page.contains("id=\"card_photo-uploaded\""),
            "{page}"
        );
    }
);

both_engines!(
    withdrawal_asks_first_and_a_withdrawn_application_has_no_date,
    |db: TestDb| async move {
        let (s, c, cookie, id) = resident_with_draft(db).await;
        let (st, _, page) = post(&c, &s, &cookie, &format!("/applications/{id}/withdraw"), &[]).await;
        assert_eq!(st, 200);
        assert!(
            page.contains("id=\"withdraw-confirm\"") && page.contains("确认撤回申领？"),
            "{page}"
        );
        let state = |s: &Server| {
            let (ctx, id) = (s.ctx.clone(), id.clone());
            async move { ctx.store.application(&id).await.unwrap().unwrap().state }
        };
        assert_eq!(state(&s).await.as_str(), "draft", "asking changed nothing");
        let (st, location, _) = post(
            &c,
            &s,
            &cookie,
            &format!("/applications/{id}/withdraw"),
            &[("confirm", "yes")],
        )
        .await;
        assert_eq!((st, location.as_str()), (303, format!("/applications/{id}").as_str()));
        assert_eq!(state(&s).await.as_str(), "withdrawn");
        let (_, page) = get(&c, &s, &cookie, &format!("/applications/{id}")).await;
        assert!(
            !page.contains("id=\"due-on\"") && !page.contains("id=\"withdraw\""),
            "{page}"
        );
    }
);

both_engines!(error_pages_have_a_language_a_title_and_words, |db: TestDb| async move {
    let s = Server::start_with(
        db,
        WebConfig {
            mode: Mode::Demo,
            body_limit: 64 * 1024,
            ..WebConfig::default()
        },
    )
    .await;
    world::seed(&s.ctx).await;
    let c = client();
    let cookie = login_at(&c, &s, "/login", "resident1").await;
    let english = format!("{cookie}; lang=en");
    let check = |page: &str, lang: &str, words: &str| {
        assert!(page.contains(&format!("<html lang=\"{lang}\"")), "{page}");
        assert!(
            !title(page).trim().is_empty() && page.contains(words),
            "{words}: {page}"
        );
        // The reference the hotline finds the request by.
        let reference = page
            .split("<code>")
            .nth(1)
            .unwrap_or_default()
            .split('<')
            .next()
            .unwrap();
        assert!(!reference.is_empty(), "{page}");
    };
    let r = c.get(s.url("/no-such-page")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    check(&r.text().await.unwrap(), "zh-CN", "页面不存在");
    let r = c
        .get(s.url("/no-such-page"))
        .header("cookie", &english)
        .send()
        .await
        .unwrap();
    check(&r.text().await.unwrap(), "en", "Page not found");
    // A page for another role.
    let r = c.get(s.url("/entity")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(r.status(), 403);
    check(&r.text().await.unwrap(), "zh-CN", "无权");
    // Too large: the framework's refusal as the portal's page, not plain text.
    let id = start(&c, &s, &cookie).await;
    let r = c
        .post(s.url(&format!("/apply/{id}/documents")))
        .header("cookie", &english)
        .multipart(
            reqwest::multipart::Form::new().part("card_photo", reqwest::multipart::Part::bytes(vec![0u8; 200 * 1024])),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    check(&r.text().await.unwrap(), "en", "Request too large");
});

both_engines!(a_guardian_sees_who_read_their_childs_data, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    let w = world::seed(&s.ctx).await;
    let child = (id(2016, 4, 1, 22), "张小一");
    world::child_of(&s.ctx, &w.me.0, &child.0, child.1).await;
    let api = world::api(&s.base);
    let clerk = api.token(As::Role(Role::OutletClerk)).await.unwrap();
    let (st, _) = api
        .call(
            Method::GET,
            &format!("/api/v1/persons/{}?purpose=counter_service", child.0),
            Some(&clerk),
            None,
        )
        .await;
    assert_eq!(st, 200);
    let c = client();
    let cookie = login_at(&c, &s, "/login", "resident1").await;
    let (_, page) = get(&c, &s, &cookie, "/account").await;
    let log = page.split("id=\"access-log\"").nth(1).unwrap_or_default();
    assert!(log.contains("张小一") && log.contains("柜面业务办理"), "{page}");
    // The API says whose record it was too.
    let me = caller(&s, As::Resident).await;
    let (_, v) = me.get("/api/v1/me/access-log").await;
    assert_eq!(v[0]["ward"], "张小一", "{v}");
    // Another resident does not see it.
    resident_as(&s, "stranger1", &w.victim.0, &w.victim.1).await;
    let other = login_at(&c, &s, "/login", "stranger1").await;
    let (_, page) = get(&c, &s, &other, "/account").await;
    assert!(!page.contains("张小一"), "{page}");
});

both_engines!(
    the_employee_list_opens_in_a_chinese_spreadsheet,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        world::seed(&s.ctx).await;
        let c = client();
        let cookie = login_at(&c, &s, "/entity/login", "handler1").await;
        let r = c
            .get(s.url("/entity/employees.csv"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.unwrap();
        assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "UTF-8 with a byte-order mark");
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let header = text.lines().next().unwrap();
        assert_eq!(header, "姓名,证件号码,在职,状态,申领编号,更新时间");
        let row = text.lines().nth(1).unwrap();
        assert!(row.contains("赵工") && row.contains(",是,"), "{row}");
        // The API's export keeps machine codes.
        let api = caller(&s, As::Role(Role::EntityHandler)).await;
        let r = api
            .api
            .http
            .get(api.api.url("/api/v1/entity/employees.csv"))
            .bearer_auth(&api.token)
            .send()
            .await
            .unwrap();
        assert!(r.text().await.unwrap().starts_with("name,id_number"));
    }
);

both_engines!(
    a_retiree_is_told_which_bank_and_branch_make_the_card,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let w = world::seed(&s.ctx).await;
        resident_as(&s, "retiree1", &w.retiree.0, &w.retiree.1).await;
        let c = client();
        let cookie = login_at(&c, &s, "/login", "retiree1").await;
        let id = start(&c, &s, &cookie).await;
        let (_, page) = get(&c, &s, &cookie, &format!("/apply/{id}/collection")).await;
        let named = page.split("id=\"locked-to\">").nth(1).unwrap_or_default();
        assert!(named.starts_with("工商银行 · 工商银行东城支行（东城区一号）"), "{page}");
        assert!(page.contains("本人申领（退休人员）"), "whose application: {page}");
    }
);

both_engines!(
    the_branch_finder_pages_and_asks_elderly_visitors_for_the_district_first,
    |db: TestDb| async move {
        let s = Server::start(db, Mode::Demo).await;
        let mut rows = String::from("code,bank,name,district,address,accepts_pickup,instant_issuance\n");
        for n in 10..40 {
            rows.push_str(&format!(
                "102-01{n},102,工商银行测试{n}支行,110105,朝阳区{n}号,true,false\n"
            ));
        }
        import_csv(&s.ctx, ImportKind::Branches, rows.as_bytes()).await.unwrap();
        let c = client();
        let page = |cookie: &'static str, path: &'static str| {
            let (c, url) = (c.clone(), s.url(path));
            async move {
                c.get(url)
                    .header("cookie", cookie)
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            }
        };
        // The table's rows, its heading row aside.
        let rows = |page: &str| page.matches("<tr>").count() - 1;
        // 32 branches in the district (30 here, 2 from the fixture): 20 a page, each page links the other.
        let first = page("lang=zh-CN", "/branches?district=110105").await;
        assert_eq!(rows(&first), 20, "{first}");
        assert!(first.contains("id=\"page-of\">第 1 页，共 2 页") && first.contains("id=\"page-next\""));
        assert!(first.contains("共 32 个"), "the count is the whole list's: {first}");
        let second = page("lang=zh-CN", "/branches?district=110105&bank=&page=2").await;
        assert_eq!(rows(&second), 12);
        assert!(second.contains("id=\"page-prev\"") && !second.contains("id=\"page-next\""));
        // Elderly mode: the district first, then fewer a page.
        let elder = page("elder=1", "/branches").await;
        assert!(
            elder.contains("id=\"choose-district\"") && !elder.contains("<table"),
            "{elder}"
        );
        let elder = page("elder=1", "/branches?district=110105").await;
        assert_eq!(rows(&elder), 8);
        assert!(elder.contains("第 1 页，共 4 页"), "{elder}");
    }
);

both_engines!(free_text_is_one_rule_on_both_engines, |db: TestDb| async move {
    let s = Server::start(db, Mode::Demo).await;
    world::seed(&s.ctx).await;
    let c = caller(&s, As::Resident).await;
    let (st, v) = c
        .post(
            "/api/v1/applications",
            serde_json::json!({"disclaimer": true, "access_authorisation": true}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let before = v["residence_address"].clone();
    // NUL, a bell, a terminal escape, a right-to-left override: each refused by name, nothing stored.
    for (text, code) in [
        ("a\u{0}b", "text_control"),
        ("bell\u{7}", "text_control"),
        ("\u{1b}[31m朝阳区", "text_control"),
        ("朝阳区\u{202E}一号", "text_direction"),
    ] {
        let (st, v) = c.patch(&id, serde_json::json!({"residence_address": text})).await;
        assert_eq!((st, v["code"].as_str()), (422, Some("invalid_fields")), "{text:?}: {v}");
        assert_eq!(v["errors"][0]["field"], "residence_address", "{v}");
        assert_eq!(v["errors"][0]["code"], code, "{v}");
    }
    let (_, v) = c.get(&format!("/api/v1/applications/{id}")).await;
    assert_eq!(v["residence_address"], before, "nothing stored: {v}");
    // Stored as typed, once normalised: combining marks composed (NFC), spaces trimmed, on both engines.
    let (st, v) = c
        .patch(
            &id,
            serde_json::json!({"residence_address": "  Cafe\u{301} 朝阳区一号 "}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let (_, v) = c.get(&format!("/api/v1/applications/{id}")).await;
    assert_eq!(v["residence_address"], "Caf\u{e9} 朝阳区一号");
});
