//! Every portal page, as a phone (320 CSS px) and a desktop (1280) show it, in zh-CN, in English and in
//! elderly mode: no horizontal scrolling (WCAG 1.4.10 Reflow), no axe-core violation of impact serious or
//! critical under the WCAG 2.1 A and AA rules, a `lang` and a non-empty title.
//!
//! The pages come from the router's access table ([`PORTAL_RULES`]): every GET route there is either visited
//! (by the role that may open it, with real records behind its path parameters) or excluded with its reason
//! below, so a new page cannot be missed. The error pages (404, 403) are visited too. Phone screenshots of
//! every page in each mode are saved under `artifacts/sweep/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use axum::http::Method as HttpMethod;
use reqwest::Method;
use serde_json::json;
use sscard_domain::access::Role;
use sscard_domain::card::SocialSecurityState;
use sscard_testkit::browser::artifacts_dir;
use sscard_testkit::fixtures::id;
use sscard_testkit::webdriver::Driver;
use sscard_testkit::{TestDb, TEST_CAPTCHA};
use sscard_web::access::PORTAL_RULES;
use sscard_web::Mode;

use crate::common::caller::{caller, resident_as};
use crate::common::world::{self, As, PASSWORD};
use crate::common::Server;

/// GET routes that are not pages, with the reason.
const NOT_PAGES: &[(&str, &str)] = &[
    ("/preferences", "sets a cookie and redirects back"),
    ("/assets/{file}", "stylesheet and icon"),
    ("/login/oidc/{provider}", "redirects to the identity provider"),
    (
        "/login/oidc/{provider}/callback",
        "redirects after the provider's answer (the OIDC browser test walks it)",
    ),
    (
        "/entity/employees.csv",
        "a CSV download (its encoding has its own test)",
    ),
    (
        "/admin/imports/{kind}/{id}/rejections.csv",
        "a CSV download (the console's browser test reads it)",
    ),
    (
        "/admin/reports/{report}/csv",
        "a CSV download (the API tests read the same reports' CSV)",
    ),
    (
        "/admin/reports/applications.csv",
        "a CSV download (the API test reads the same report's CSV)",
    ),
];

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Who {
    Anonymous,
    /// resident1: a guardian (the child's application) with a card of their own.
    Resident,
    /// An insured person applying for themselves.
    Person,
    /// An employee confirming their details for the employer's collective application.
    Employee,
    Retiree,
    Handler,
    BankClerk,
    OutletClerk,
    Hotline,
    Admin,
}

impl Who {
    /// The door and the username.
    fn login(self) -> Option<(&'static str, &'static str)> {
        match self {
            Who::Anonymous => None,
            Who::Resident => Some(("/login", "resident1")),
            Who::Person => Some(("/login", "person1")),
            Who::Employee => Some(("/login", "employee1")),
            Who::Retiree => Some(("/login", "retiree1")),
            Who::Handler => Some(("/login", "handler1")),
            Who::BankClerk => Some(("/staff/login", "bankclerk1")),
            Who::OutletClerk => Some(("/staff/login", "outletclerk1")),
            Who::Hotline => Some(("/staff/login", "hotline1")),
            Who::Admin => Some(("/staff/login", "admin1")),
        }
    }
}

/// What the records behind the path parameters are.
struct Records {
    /// (owner, application id)
    applications: Vec<(Who, String)>,
    card: String,
    /// An import job's page.
    import: String,
    /// A bank clerk's page in the console.
    account: String,
}

const STEPS: [&str; 10] = [
    "child",
    "personal",
    "bank",
    "branch",
    "collection",
    "mail",
    "documents",
    "check",
    "confirm",
    "done",
];

/// The visits for one route pattern of the table; `None` for a pattern this sweep does not know yet.
fn visits(pattern: &str, r: &Records) -> Option<Vec<(Who, String)>> {
    use Who::*;
    let at = |who: Who| vec![(who, pattern.to_string())];
    let apps = |f: &dyn Fn(&str) -> Vec<String>| {
        r.applications
            .iter()
            .flat_map(|(who, id)| f(id).into_iter().map(move |u| (*who, u)))
            .collect::<Vec<_>>()
    };
    let card = |tail: &str| vec![(Resident, format!("/cards/{}/{tail}", r.card))];
    Some(match pattern {
        "/" | "/branches" | "/services" | "/login" | "/login/sms" | "/register" | "/staff/login" | "/entity/login" => {
            at(Anonymous)
        }
        "/account" => vec![
            (Resident, "/account".into()),
            (Handler, "/account".into()),
            (BankClerk, "/account".into()),
        ],
        "/account/real-name" | "/apply" | "/apply/child" | "/applications" | "/children" | "/cards"
        | "/cards/proxy" => at(Resident),
        "/staff" => vec![(BankClerk, "/staff".into()), (Admin, "/staff".into())],
        "/staff/counter" => at(BankClerk),
        "/staff/cards" => vec![(BankClerk, "/staff/cards".into()), (OutletClerk, "/staff/cards".into())],
        "/staff/hotline" => at(Hotline),
        "/admin"
        | "/admin/imports"
        | "/admin/openings"
        | "/admin/reports/applications"
        | "/admin/cases"
        | "/admin/reference"
        | "/admin/accounts"
        | "/admin/policy" => at(Admin),
        "/admin/accounts/{id}" => vec![(Admin, r.account.clone())],
        "/admin/reports/{report}" => ["production", "replacements", "employers", "services", "sms"]
            .iter()
            .map(|n| (Admin, format!("/admin/reports/{n}")))
            .collect(),
        "/admin/reference/{kind}/{code}" => vec![
            (Admin, "/admin/reference/branches/102-0101".into()),
            (Admin, "/admin/reference/banks/102".into()),
            (Admin, format!("/admin/reference/outlets/{}", world::OUTLET)),
        ],
        "/admin/imports/{kind}/{id}" => vec![(Admin, r.import.clone())],
        "/entity" | "/entity/collective" | "/entity/employees" | "/entity/cards" => at(Handler),
        "/apply/{id}/documents" => apps(&|id| vec![format!("/apply/{id}/documents")]),
        "/apply/{id}/{step}" => apps(&|id| STEPS.iter().map(|s| format!("/apply/{id}/{s}")).collect()),
        "/applications/{id}" => apps(&|id| vec![format!("/applications/{id}")]),
        "/cards/{number}/loss" => card("loss"),
        "/cards/{number}/password" => card("password"),
        "/cards/{number}/info" => card("info"),
        "/cards/{number}/replacement" => card("replacement"),
        _ => return None,
    })
}

/// A finished import with a rejected row, as the console lists it: its page's path.
async fn finished_import(s: &Server) -> String {
    use sscard_app::ports::{ImportCounts, ImportJob, ImportJobState, ImportRejection};
    let now = s.ctx.clock.now();
    let job = ImportJob {
        id: "sweep-import".into(),
        kind: "registry".into(),
        file_name: "registry-2026-12.csv".into(),
        started_by: "admin".into(),
        state: ImportJobState::Running,
        counts: ImportCounts::default(),
        failure: None,
        started_at: now,
        heartbeat_at: now,
        finished_at: None,
    };
    s.ctx.store.start_import_job(&job, now).await.unwrap().unwrap();
    let counts = ImportCounts {
        read: 3,
        accepted: 2,
        rejected: 1,
    };
    let bad = ImportRejection {
        row: 4,
        column: Some("id_number".into()),
        reason: "the check digit is wrong".into(),
    };
    s.ctx
        .store
        .import_job_progress(&job.id, counts, &[bad], now)
        .await
        .unwrap();
    s.ctx
        .store
        .finish_import_job(&job.id, ImportJobState::Finished, counts, None, now)
        .await
        .unwrap();
    format!("/admin/imports/registry/{}", job.id)
}

/// A page reached by filling in a form (a search's result, a form shown again with its errors): the sweep checks
/// what the form answers, not only what a GET shows.
struct Journey {
    who: Who,
    name: &'static str,
    start: String,
    typed: Vec<(&'static str, String)>,
    submit: &'static str,
}

const MODES: [(&str, &str, &str); 3] = [("zh", "zh-CN", "off"), ("en", "en", "off"), ("elder", "zh-CN", "on")];

/// axe-core, installed from the npm registry by `.ci/run` (`npm ci --prefix crates/web/tests/axe`).
fn axe_source() -> Option<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/axe/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(_) if sscard_testkit::flag("SSCARD_REQUIRE_BROWSER") => {
            panic!("{} is missing: npm ci --prefix crates/web/tests/axe", path.display())
        }
        Err(_) => {
            eprintln!("SKIPPED: the page sweep needs axe-core (npm ci --prefix crates/web/tests/axe)");
            None
        }
    }
}

/// What is wrong with the page now shown, as lines (empty: nothing).
async fn check(d: &Driver, axe: &str) -> Vec<String> {
    let mut wrong = Vec::new();
    let facts = d
        .run(
            "const de = document.documentElement; \
             const wide = [...document.querySelectorAll('body *')] \
               .filter(e => e.getBoundingClientRect().right > de.clientWidth + 1) \
               .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '') + ' ' + Math.round(e.getBoundingClientRect().right) + 'px'); \
             return {lang: de.lang, title: document.title.trim(), scroll: de.scrollWidth, client: de.clientWidth, wide};",
        )
        .await;
    if facts["lang"].as_str().unwrap_or_default().is_empty() {
        wrong.push("no lang".into());
    }
    if facts["title"].as_str().unwrap_or_default().is_empty() {
        wrong.push("no title".into());
    }
    if facts["scroll"].as_u64() > facts["client"].as_u64() {
        wrong.push(format!(
            "scrolls sideways: {} px wide in {} px; widest: {}",
            facts["scroll"], facts["client"], facts["wide"]
        ));
    }
    d.run(axe).await;
    let v = d
        .run(
            "return axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}) \
               .then(r => ({passes: r.passes.length, violations: r.violations \
                 .filter(v => v.impact === 'serious' || v.impact === 'critical') \
                 .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))}));",
        )
        .await;
    // axe really looked: a page always passes some rules (the language, the title, …).
    assert!(v["passes"].as_u64().unwrap_or(0) > 0, "axe did not run: {v}");
    for line in v["violations"].as_array().into_iter().flatten() {
        wrong.push(format!("axe {}", line.as_str().unwrap_or_default()));
    }
    wrong
}

async fn log_in(d: &Driver, s: &Server, who: Who) {
    d.delete_cookies().await;
    let Some((door, username)) = who.login() else { return };
    d.goto(&s.url(door)).await;
    d.type_into("#login", username).await;
    d.type_into("#password", PASSWORD).await;
    d.type_into("#captcha", TEST_CAPTCHA).await;
    d.click_and_wait("#login-submit").await;
    assert!(!d.current_url().await.contains("login"), "{who:?} did not get in");
}

/// Starts an application through the portal as the signed-in resident; answers its id.
async fn start_application(d: &Driver, s: &Server) -> String {
    d.goto(&s.url("/apply")).await;
    d.click("#disclaimer").await;
    d.click("#access_authorisation").await;
    d.click_and_wait("#start-check").await;
    let url = d.current_url().await;
    let id = url
        .split("/apply/")
        .nth(1)
        .and_then(|t| t.split('/').next())
        .unwrap_or_default();
    assert!(!id.is_empty(), "no application started: {url} {}", d.source().await);
    id.to_string()
}

async fn start_child_application(d: &Driver, s: &Server, child: &str, name: &str) -> String {
    d.goto(&s.url("/apply/child")).await;
    d.type_into("#child_name", name).await;
    d.type_into("#child_id_number", child).await;
    d.click("#child_id_type-resident_id").await;
    d.click("#disclaimer").await;
    d.click("#access_authorisation").await;
    d.click_and_wait("#start-check").await;
    d.click_and_wait("#confirm-relationship").await;
    let url = d.current_url().await;
    let id = url
        .split("/apply/")
        .nth(1)
        .and_then(|t| t.split('/').next())
        .unwrap_or_default();
    assert!(
        !id.is_empty(),
        "no child application started: {url} {}",
        d.source().await
    );
    id.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_reflows_at_320_px_and_passes_axe_in_every_mode() {
    let Some(axe) = axe_source() else { return };
    let Some(d) = Driver::start().await else { return };
    let s = Server::start(TestDb::sqlite().await, Mode::Demo).await;
    let w = world::seed(&s.ctx).await;
    let child = (id(2016, 4, 1, 22), "张小一");
    world::child_of(&s.ctx, &w.me.0, &child.0, child.1).await;
    resident_as(&s, "retiree1", &w.retiree.0, &w.retiree.1).await;
    resident_as(&s, "person1", &w.victim.0, &w.victim.1).await;
    resident_as(&s, "employee1", &w.employee.0, &w.employee.1).await;
    // The employer opens collective application, so that its employee's application takes that route.
    let handler = caller(&s, As::Role(Role::EntityHandler)).await;
    let (st, v) = handler
        .call(
            Method::PUT,
            "/api/v1/entity/collective",
            Some(json!({"open": true, "entity_collects": false, "contact_name": "王经办",
                        "contact_mobile": "13800138000", "branches": ["102-0101"]})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let card = "BJD0000009".to_string();
    crate::common::cards::card_in(&s, &card, &w.me.0, "resident-0", SocialSecurityState::Active).await;
    log_in(&d, &s, Who::Resident).await;
    let mut applications = vec![(
        Who::Resident,
        start_child_application(&d, &s, child.0.as_str(), child.1).await,
    )];
    for who in [Who::Person, Who::Retiree, Who::Employee] {
        log_in(&d, &s, who).await;
        applications.push((who, start_application(&d, &s).await));
    }
    let import = finished_import(&s).await;
    let clerk = sscard_app::accounts::staff(&s.ctx, Some(sscard_domain::access::Role::BankClerk), "bankclerk1")
        .await
        .unwrap();
    let records = Records {
        applications,
        card,
        import,
        account: format!("/admin/accounts/{}", clerk[0].id),
    };

    // Every GET page of the router, by who opens it.
    let mut plan: BTreeSet<(Who, String)> = BTreeSet::new();
    let mut unknown = Vec::new();
    for (method, pattern, _) in PORTAL_RULES {
        if *method != HttpMethod::GET || NOT_PAGES.iter().any(|(p, _)| p == pattern) {
            continue;
        }
        match visits(pattern, &records) {
            Some(v) => plan.extend(v),
            None => unknown.push(*pattern),
        }
    }
    assert!(
        unknown.is_empty(),
        "pages the sweep does not visit (add them to `visits` or NOT_PAGES): {unknown:?}"
    );
    // The error pages.
    plan.insert((Who::Anonymous, "/no-such-page".into()));
    plan.insert((Who::Resident, "/entity".into()));

    let dir = artifacts_dir().join("sweep");
    // Only this run's pictures (a page renamed leaves no stale one behind).
    let _ = std::fs::remove_dir_all(&dir);
    let mut failures = Vec::new();
    let mut current = None;
    let mut seen = 0;
    for (who, path) in &plan {
        if current != Some(*who) {
            log_in(&d, &s, *who).await;
            current = Some(*who);
        }
        for (mode, lang, elder) in MODES {
            let next = urlencode(path);
            d.goto(&s.url(&format!("/preferences?lang={lang}&elder={elder}&next={next}")))
                .await;
            for width in [320, 1280] {
                let inner = d.set_width(width, 900).await;
                assert_eq!(inner, u64::from(width), "the viewport is not {width} px wide");
                seen += 1;
                for line in check(&d, &axe).await {
                    failures.push(format!("{who:?} {path} [{mode} {width}px]: {line}"));
                }
                if width == 320 {
                    // The whole page, as tall as it is (up to a limit), so that a look at it sees everything.
                    let tall = d.run("return document.documentElement.scrollHeight;").await;
                    let tall = u32::try_from(tall.as_u64().unwrap_or(900))
                        .unwrap_or(900)
                        .clamp(900, 6000);
                    d.set_width(320, tall).await;
                    let name = format!("{who:?}{}-{mode}.png", path.replace('/', "_"));
                    d.screenshot(&dir.join(name)).await;
                }
            }
        }
    }
    // Pages that answer a form: searches' results and forms shown again with their errors.
    let person_app = &records.applications.iter().find(|(w, _)| *w == Who::Person).unwrap().1;
    let journeys = [
        Journey {
            who: Who::BankClerk,
            name: "desk-found",
            start: "/staff/cards".into(),
            typed: vec![("#id_number", w.me.0.as_str().to_string())],
            submit: "#find",
        },
        Journey {
            who: Who::OutletClerk,
            name: "desk-found",
            start: "/staff/cards".into(),
            typed: vec![("#id_number", w.me.0.as_str().to_string())],
            submit: "#find",
        },
        Journey {
            who: Who::Hotline,
            name: "hotline-found",
            start: "/staff/hotline".into(),
            typed: vec![("#id_number", w.me.0.as_str().to_string())],
            submit: "#find",
        },
        Journey {
            who: Who::Admin,
            name: "opening-error",
            start: "/admin/openings".into(),
            typed: vec![("#opens_on-retiree", "2027-02-30".into())],
            submit: "#set-retiree",
        },
        Journey {
            who: Who::Admin,
            name: "case-found",
            start: "/admin/cases".into(),
            typed: vec![("#q", w.me.0.as_str().to_string())],
            submit: "#look-up",
        },
        Journey {
            who: Who::Admin,
            name: "reference-error",
            start: "/admin/reference/branches/102-0101".into(),
            typed: vec![("#name", " ".into())],
            submit: "#save",
        },
        Journey {
            who: Who::Admin,
            name: "account-error",
            start: "/admin/accounts".into(),
            typed: vec![("#username", "clerk-new".into()), ("#branch", "105-0105".into())],
            submit: "#create",
        },
        Journey {
            who: Who::Admin,
            name: "campaign-error",
            start: "/admin/policy".into(),
            typed: vec![("#period", "soon".into())],
            submit: "#set-campaign",
        },
        Journey {
            who: Who::Admin,
            name: "report-error",
            start: "/admin/reports/applications".into(),
            typed: vec![("#from", "2026-13-01".into())],
            submit: "#show",
        },
        Journey {
            who: Who::Admin,
            name: "import-error",
            start: "/admin/imports".into(),
            typed: vec![],
            submit: "#upload",
        },
        Journey {
            who: Who::BankClerk,
            name: "counter-error",
            start: "/staff/counter".into(),
            typed: vec![("#id_number", "12345".into())],
            submit: "#find",
        },
        Journey {
            who: Who::Anonymous,
            name: "login-errors",
            start: "/login".into(),
            typed: vec![("#login", "resident1".into())],
            submit: "#login-submit",
        },
        Journey {
            who: Who::Person,
            name: "personal-errors",
            start: format!("/apply/{person_app}/personal"),
            typed: vec![("#residence_address", "朝阳区一号".into()), ("#mobile", "123".into())],
            submit: "#continue",
        },
        Journey {
            who: Who::Resident,
            name: "loss-errors",
            start: format!("/cards/{}/loss", records.card),
            typed: vec![],
            submit: "#confirm-loss",
        },
    ];
    for j in &journeys {
        log_in(&d, &s, j.who).await;
        for (mode, lang, elder) in MODES {
            let next = urlencode(&j.start);
            d.set_width(1280, 900).await;
            d.goto(&s.url(&format!("/preferences?lang={lang}&elder={elder}&next={next}")))
                .await;
            for (css, text) in &j.typed {
                d.clear(css).await;
                d.type_into(css, text).await;
            }
            d.click_and_wait(j.submit).await;
            for width in [320, 1280] {
                d.set_width(width, 900).await;
                seen += 1;
                for line in check(&d, &axe).await {
                    failures.push(format!("{:?} {} [{mode} {width}px]: {line}", j.who, j.name));
                }
            }
            let tall = d.run("return document.documentElement.scrollHeight;").await;
            let tall = u32::try_from(tall.as_u64().unwrap_or(900))
                .unwrap_or(900)
                .clamp(900, 6000);
            d.set_width(320, tall).await;
            d.screenshot(&dir.join(format!("{:?}-{}-{mode}.png", j.who, j.name)))
                .await;
        }
    }
    // A focused link in the dark header is black on yellow like every focused link (it was white on yellow).
    d.goto(&s.url("/")).await;
    let focus = d
        .run(
            "const a = document.getElementById('lang-switch'); a.focus(); const cs = getComputedStyle(a); \
             return [cs.color, cs.backgroundColor];",
        )
        .await;
    assert_eq!(
        focus,
        json!(["rgb(11, 12, 12)", "rgb(255, 221, 0)"]),
        "focused header link"
    );
    d.quit().await;
    assert!(seen > 100, "only {seen} page views");
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
