//! A small world for access tests: people of every reach, one account of each role, an API client, and
//! helpers that log in through the real API.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use sscard_app::import::{import_csv, ImportKind};
use sscard_app::ports::NewAccount;
use sscard_domain::access::{Channel, Role};
use sscard_domain::account::{AccountKind, Username};
use sscard_domain::values::{IdNumber, Mobile, PersonName, Uscc};
use sscard_testkit::fixtures::*;
use sscard_testkit::TEST_CAPTCHA;

pub const PASSWORD: &str = "right1pass";
pub const CLIENT_ID: &str = "test-jingtong";
pub const CLIENT_SECRET: &str = "test-jingtong-secret-0123456789abcdef";
/// The test bank system's secret: machine secrets are long random tokens, not passwords.
pub const MACHINE_SECRET: &str = "test-bank-system-secret-0123456789abcdef";
pub const OUTLET: &str = "D-110105";

pub struct World {
    /// A resident who has authenticated their real name (as this person).
    pub me: (IdNumber, String),
    /// Nobody's ward or employee: only counter staff may read them.
    pub victim: (IdNumber, String),
    /// A retiree paid by bank 102 (within the bank clerk's reach).
    pub retiree: (IdNumber, String),
    /// An employee of `entity` (within the handler's reach).
    pub employee: (IdNumber, String),
    pub entity: String,
}

/// The roles a request can come as, for the access tests: anonymous, and one account per role (two residents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum As {
    Anonymous,
    Resident,
    UnverifiedResident,
    Role(Role),
}

impl As {
    pub fn username(self) -> &'static str {
        match self {
            As::Anonymous => "",
            As::Resident => "resident1",
            As::UnverifiedResident => "resident2",
            As::Role(Role::EntityHandler) => "handler1",
            As::Role(Role::BankClerk) => "bankclerk1",
            As::Role(Role::OutletClerk) => "outletclerk1",
            As::Role(Role::HotlineAgent) => "hotline1",
            As::Role(Role::Admin) => "admin1",
            As::Role(Role::BankSystem) => "banksystem1",
            As::Role(Role::Resident) => "resident1",
        }
    }
    pub fn role(self) -> Option<Role> {
        match self {
            As::Anonymous => None,
            As::Resident | As::UnverifiedResident => Some(Role::Resident),
            As::Role(r) => Some(r),
        }
    }
    pub const ALL: [As; 9] = [
        As::Anonymous,
        As::Resident,
        As::UnverifiedResident,
        As::Role(Role::EntityHandler),
        As::Role(Role::BankClerk),
        As::Role(Role::OutletClerk),
        As::Role(Role::HotlineAgent),
        As::Role(Role::Admin),
        As::Role(Role::BankSystem),
    ];
}

pub async fn seed(ctx: &sscard_app::AppContext) -> World {
    let entity = uscc(4242);
    let me = (id(1980, 4, 1, 11), "张明".to_string());
    let victim = (id(1970, 8, 9, 22), "李秘".to_string());
    let retiree = (id(1950, 2, 3, 33), "王老".to_string());
    let employee = (id(1992, 6, 7, 44), "赵工".to_string());
    let entities = format!("uscc,name,address,district\n{entity},测试单位,北京市朝阳区一号,110105\n");
    import_csv(ctx, ImportKind::Entities, entities.as_bytes())
        .await
        .unwrap();
    let outlets = format!("code,name,district,address\n{OUTLET},朝阳区服务网点,110105,朝阳区三号\n");
    import_csv(ctx, ImportKind::Outlets, outlets.as_bytes()).await.unwrap();
    let rows = vec![
        individual_row(&me.0, &me.1),
        individual_row(&victim.0, &victim.1),
        retiree_row(&retiree.0, &retiree.1, "102", "102-0101"),
        employee_row(&employee.0, &employee.1, &entity),
    ];
    let report = import_csv(ctx, ImportKind::Registry, csv(REGISTRY_HEADER, &rows).as_bytes())
        .await
        .unwrap();
    assert_eq!(report.rejected, 0, "{:?}", report.rejected_rows);

    let meta = sscard_app::auth::Meta::default();
    let hash = sscard_app::secrets::hash_password(PASSWORD).await.unwrap();
    for (i, who) in [As::Resident, As::UnverifiedResident].into_iter().enumerate() {
        let account = ctx
            .store
            .create_account(
                &NewAccount {
                    id: format!("resident-{i}"),
                    kind: AccountKind::Resident,
                    username: Some(Username::parse(who.username()).unwrap()),
                    mobile: Some(Mobile::parse(&format!("1380000010{i}")).unwrap()),
                    display_name: who.username().into(),
                    password_hash: Some(hash.clone()),
                    created_at: sscard_domain::clock::Clock::now(ctx.clock.as_ref()),
                },
                None,
            )
            .await
            .unwrap()
            .unwrap();
        if who == As::Resident {
            ctx.store
                .bind_real_name(
                    &account.id,
                    &me.0,
                    &PersonName::parse(&me.1).unwrap(),
                    ctx.clock.now(),
                    None,
                )
                .await
                .unwrap()
                .unwrap();
        }
    }
    let kinds = [
        (
            As::Role(Role::EntityHandler),
            AccountKind::EntityHandler {
                entity: Uscc::parse(&entity).unwrap(),
            },
        ),
        (
            As::Role(Role::BankClerk),
            AccountKind::BankClerk {
                bank: "102".into(),
                branch: "102-0101".into(),
            },
        ),
        (
            As::Role(Role::OutletClerk),
            AccountKind::OutletClerk {
                outlet: OUTLET.into(),
                district: String::new(),
            },
        ),
        (As::Role(Role::HotlineAgent), AccountKind::HotlineAgent),
        (As::Role(Role::Admin), AccountKind::Admin),
        (
            As::Role(Role::BankSystem),
            AccountKind::BankSystem { bank: "102".into() },
        ),
    ];
    for (who, kind) in kinds {
        let secret = match kind {
            AccountKind::BankSystem { .. } => MACHINE_SECRET,
            _ => PASSWORD,
        };
        sscard_app::accounts::create_account(
            ctx,
            None,
            kind,
            Username::parse(who.username()).unwrap(),
            who.username(),
            secret,
            &meta,
        )
        .await
        .unwrap();
    }
    sscard_app::accounts::create_client(
        ctx,
        CLIENT_ID,
        "Jingtong (test)",
        Channel::Jingtong,
        Some(CLIENT_SECRET),
    )
    .await
    .unwrap();
    World {
        me,
        victim,
        retiree,
        employee,
        entity,
    }
}

/// A child in the household register with `guardian` as its listed guardian (relationship 51, householder).
pub async fn child_of(ctx: &sscard_app::AppContext, guardian: &IdNumber, child: &IdNumber, name: &str) {
    import_csv(
        ctx,
        ImportKind::Registry,
        csv(REGISTRY_HEADER, &[minor_row(child, name)]).as_bytes(),
    )
    .await
    .unwrap();
    let link = guardianship_row(guardian, child, "51", true);
    import_csv(
        ctx,
        ImportKind::Guardianship,
        csv(GUARDIANSHIP_HEADER, &[link]).as_bytes(),
    )
    .await
    .unwrap();
}

/// A client with the test API client's credentials on every request.
pub fn api(base: &str) -> Api {
    Api {
        base: base.to_string(),
        http: super::client(),
    }
}

/// An API caller whose requests say they come from `ip` (`X-Forwarded-For`, believed by a server that trusts
/// the loopback address as its proxy).
pub fn api_from(base: &str, ip: &str) -> Api {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", ip.parse().unwrap());
    Api {
        base: base.to_string(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .unwrap(),
    }
}

pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

impl Api {
    pub fn url(&self, p: &str) -> String {
        format!("{}{}", self.base, p)
    }

    pub async fn captcha(&self) -> String {
        self.captcha_for(CLIENT_ID, CLIENT_SECRET).await
    }

    /// A captcha for another API client.
    pub async fn captcha_for(&self, client: &str, secret: &str) -> String {
        let r = self
            .http
            .post(self.url("/api/v1/auth/captchas"))
            .basic_auth(client, Some(secret))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        assert!(v["image"].as_str().unwrap().starts_with("data:image/jpeg;base64,"));
        v["captcha_id"].as_str().unwrap().to_string()
    }

    /// POST JSON as the test client; returns status and body.
    pub async fn post_client(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(path))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn login_raw(&self, login: &str, password: &str, captcha_id: &str, captcha: &str) -> (u16, Value) {
        self.post_client(
            "/api/v1/auth/login",
            json!({"login": login, "password": password, "captcha_id": captcha_id, "captcha": captcha}),
        )
        .await
    }

    /// A login through another API client, with a captcha of that client's.
    pub async fn login_with(
        &self,
        client: &str,
        secret: &str,
        login: &str,
        password: &str,
        captcha_id: &str,
    ) -> (u16, Value) {
        let r = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .basic_auth(client, Some(secret))
            .json(&json!({"login": login, "password": password, "captcha_id": captcha_id, "captcha": TEST_CAPTCHA}))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn login(&self, login: &str, password: &str) -> (u16, Value) {
        let c = self.captcha().await;
        self.login_raw(login, password, &c, TEST_CAPTCHA).await
    }

    /// A bearer token for `who` (`None` for anonymous).
    pub async fn token(&self, who: As) -> Option<String> {
        match who {
            As::Anonymous => None,
            As::Role(Role::BankSystem) => {
                let r = self
                    .http
                    .post(self.url("/api/v1/auth/token"))
                    .basic_auth(who.username(), Some(MACHINE_SECRET))
                    .form(&[("grant_type", "client_credentials")])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                let v: Value = r.json().await.unwrap();
                Some(v["access_token"].as_str().unwrap().to_string())
            }
            _ => {
                let (status, v) = self.login(who.username(), PASSWORD).await;
                assert_eq!(status, 200, "{who:?}: {v}");
                Some(v["access_token"].as_str().unwrap().to_string())
            }
        }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, String) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}
