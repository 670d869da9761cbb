//! A real browser driven through W3C WebDriver: Debian's chromedriver with headless Chromium, spoken to
//! over HTTP. Enough for portal tests to type into forms, upload files and click, as a user would.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

pub struct Driver {
    base: String,
    session: String,
    http: reqwest::Client,
    child: Child,
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// chromedriver and Chromium, or `None` (loudly) when browser tests may skip; `SSCARD_REQUIRE_BROWSER=1`
/// makes a missing one a failure.
fn binaries() -> Option<(String, String)> {
    let driver = std::env::var("SSCARD_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let chromium = std::env::var("SSCARD_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if std::path::Path::new(&driver).exists() && std::path::Path::new(&chromium).exists() {
        return Some((driver, chromium));
    }
    if super::flag("SSCARD_REQUIRE_BROWSER") {
        panic!(
            "SSCARD_REQUIRE_BROWSER=1 but chromedriver/chromium are missing (apt-get install chromium chromium-driver)"
        );
    }
    eprintln!("SKIPPED: WebDriver browser test (apt-get install chromium chromium-driver)");
    None
}

impl Driver {
    pub async fn start() -> Option<Driver> {
        let (driver, chromium) = binaries()?;
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=420,900",
                "--no-first-run", "--disable-background-networking", "--disable-component-update"
            ]}
        }}});
        let mut last = String::new();
        for _ in 0..100 {
            match http.post(format!("{base}/session")).json(&caps).send().await {
                Ok(r) => {
                    let v: Value = r.json().await.unwrap();
                    let session = v["value"]["sessionId"].as_str().map(str::to_string);
                    match session {
                        Some(session) => {
                            return Some(Driver {
                                base,
                                session,
                                http,
                                child,
                            })
                        }
                        None => panic!("chromedriver refused the session: {v}"),
                    }
                }
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start: {last}");
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        if let Some(err) = v["value"].get("error") {
            panic!("webdriver {path}: {err}: {}", v["value"]["message"]);
        }
        v["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    pub async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{el}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    /// Runs `js` in the page (a returned promise is awaited) and answers its value.
    pub async fn run(&self, js: &str) -> Value {
        self.script(js).await
    }

    async fn script(&self, js: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": js, "args": []})),
        )
        .await
    }

    /// Clicks something that loads a new page (a submit button, a link) and waits until the new page has
    /// loaded: the old document is marked first, so a click that returns before the navigation ends is not
    /// mistaken for its result.
    pub async fn click_and_wait(&self, css: &str) {
        self.script("window.__sscard_old_page = true;").await;
        self.click(css).await;
        for _ in 0..200 {
            let v = self
                .script("return (window.__sscard_old_page !== true) && document.readyState === 'complete';")
                .await;
            if v == Value::Bool(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("clicking {css} did not load a new page");
    }

    /// Resizes the window so the page's viewport is `width` CSS pixels wide (a phone at 320, a desktop at
    /// 1280); answers the viewport width the page then reports.
    pub async fn set_width(&self, width: u32, height: u32) -> u64 {
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
        // The window's frame may take a few pixels: widen the window until the viewport is as asked.
        let inner = self.script("return window.innerWidth;").await.as_u64().unwrap_or(0);
        if inner < u64::from(width) {
            let frame = u64::from(width) - inner;
            self.call(
                reqwest::Method::POST,
                "/window/rect",
                Some(json!({"width": u64::from(width) + frame, "height": height})),
            )
            .await;
        }
        self.script("return window.innerWidth;").await.as_u64().unwrap_or(0)
    }

    /// Empties a text input.
    pub async fn clear(&self, css: &str) {
        let el = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{el}/clear"), Some(json!({})))
            .await;
    }

    /// Chooses an option of a `<select>` by its value.
    pub async fn select(&self, select_css: &str, value: &str) {
        self.click(&format!("{select_css} option[value=\"{value}\"]")).await;
    }

    /// Whether an element matching `css` is on the page.
    pub async fn has(&self, css: &str) -> bool {
        let url = format!("{}/session/{}/elements", self.base, self.session);
        let v: Value = self
            .http
            .post(url)
            .json(&json!({"using": "css selector", "value": css}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["value"].as_array().is_some_and(|a| !a.is_empty())
    }

    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{el}/click"), Some(json!({})))
            .await;
    }

    /// The visible text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.call(reqwest::Method::GET, &format!("/element/{el}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn current_url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The value of a cookie the browser holds for the current page.
    pub async fn cookie(&self, name: &str) -> Option<String> {
        let v = self.call(reqwest::Method::GET, "/cookie", None).await;
        v.as_array()?
            .iter()
            .find(|c| c["name"] == name)
            .and_then(|c| c["value"].as_str())
            .map(str::to_string)
    }

    /// Forgets every cookie (a new visitor in the same browser).
    pub async fn delete_cookies(&self) {
        self.call(reqwest::Method::DELETE, "/cookie", None).await;
    }

    /// Saves a PNG screenshot of the viewport.
    pub async fn screenshot(&self, path: &std::path::Path) {
        use base64::Engine as _;
        let v = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap();
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, png).unwrap();
    }

    pub async fn quit(mut self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
