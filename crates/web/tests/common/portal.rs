//! The portal over plain HTTP, as a browser without JavaScript uses it: session cookies, hidden fields, the
//! login doors with the test captcha.

use super::world::PASSWORD;
use super::Server;
use sscard_testkit::TEST_CAPTCHA;

/// The session cookie a response sets (`sscard_session=…`).
pub fn set_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("sscard_session="))
        .map(|v| v.split(';').next().unwrap().to_string())
}

/// A hidden input's value in a page.
pub fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap_or_else(|| panic!("no {name} in {page}")) + marker.len();
    page[start..].split('"').next().unwrap().to_string()
}

/// Opens `door`, fills it in as `user` with the test captcha; the response to the POST.
pub async fn submit_login(c: &reqwest::Client, s: &Server, door: &str, user: &str) -> reqwest::Response {
    let r = c.get(s.url(door)).send().await.unwrap();
    let cookie = set_cookie(&r).unwrap();
    let page = r.text().await.unwrap();
    c.post(s.url(door))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", hidden(&page, "csrf")),
            ("login", user.into()),
            ("password", PASSWORD.into()),
            ("captcha_id", hidden(&page, "captcha_id")),
            ("captcha", TEST_CAPTCHA.into()),
        ])
        .send()
        .await
        .unwrap()
}

/// Logs `user` in at `door`; the session cookie.
pub async fn login_at(c: &reqwest::Client, s: &Server, door: &str, user: &str) -> String {
    let r = submit_login(c, s, door, user).await;
    assert_eq!(r.status(), 303);
    set_cookie(&r).unwrap()
}
