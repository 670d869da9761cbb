//! A logged-in API caller for application tests, and the helpers around it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use reqwest::Method;
use serde_json::{json, Value};
use sscard_app::ports::NewAccount;
use sscard_domain::account::{AccountKind, Username};
use sscard_domain::values::{IdNumber, PersonName};

use super::world::{self, As, PASSWORD};
use super::Server;

/// A resident account real-name bound to `person`, logged in through `client` (default: the Jingtong client).
pub async fn resident_as(s: &Server, username: &str, person: &IdNumber, name: &str) -> String {
    let hash = sscard_app::secrets::hash_password(PASSWORD).await.unwrap();
    let a = s
        .ctx
        .store
        .create_account(
            &NewAccount {
                id: format!("acct-{username}"),
                kind: AccountKind::Resident,
                username: Some(Username::parse(username).unwrap()),
                mobile: None,
                display_name: username.into(),
                password_hash: Some(hash),
                created_at: s.ctx.clock.now(),
            },
            None,
        )
        .await
        .unwrap()
        .unwrap();
    s.ctx
        .store
        .bind_real_name(
            &a.id,
            person,
            &PersonName::parse(name).unwrap(),
            s.ctx.clock.now(),
            None,
        )
        .await
        .unwrap()
        .unwrap();
    let (st, v) = world::api(&s.base).login(username, PASSWORD).await;
    assert_eq!(st, 200, "{v}");
    v["access_token"].as_str().unwrap().to_string()
}

pub struct Caller<'a> {
    pub api: world::Api,
    pub token: String,
    pub _s: &'a Server,
}

impl Caller<'_> {
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let (st, text) = self.api.call(method, path, Some(&self.token), body).await;
        (st, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(body)).await
    }
    pub async fn patch(&self, id: &str, body: Value) -> (u16, Value) {
        self.call(Method::PATCH, &format!("/api/v1/applications/{id}"), Some(body))
            .await
    }
    /// Starts the caller's own application (both consents given); its id.
    pub async fn start_draft(&self) -> String {
        let (st, v) = self
            .post(
                "/api/v1/applications",
                json!({"disclaimer": true, "access_authorisation": true}),
            )
            .await;
        assert_eq!(st, 201, "{v}");
        v["id"].as_str().unwrap().to_string()
    }
    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, None).await
    }
    /// A `PUT` of a CSV file.
    pub async fn put_text(&self, path: &str, body: &str) -> (u16, Value) {
        let r = self
            .api
            .http
            .put(self.api.url(path))
            .bearer_auth(&self.token)
            .header("content-type", "text/csv")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let st = r.status().as_u16();
        (st, r.json().await.unwrap_or(Value::Null))
    }
    pub async fn upload(&self, id: &str, kind: &str, bytes: Vec<u8>, declared: &str) -> (u16, Value) {
        let r = self
            .api
            .http
            .put(self.api.url(&format!("/api/v1/applications/{id}/documents/{kind}")))
            .bearer_auth(&self.token)
            .header("accept-language", "en")
            .header("content-type", declared)
            .body(bytes)
            .send()
            .await
            .unwrap();
        let st = r.status().as_u16();
        (st, r.json().await.unwrap_or(Value::Null))
    }
    pub async fn submit(&self, id: &str, key: Option<&str>, commitment: bool, confirm: bool) -> (u16, Value) {
        let mut req = self
            .api
            .http
            .post(self.api.url(&format!("/api/v1/applications/{id}/submit")))
            .bearer_auth(&self.token)
            .json(&json!({"commitment": commitment, "confirm": confirm}));
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        let r = req.send().await.unwrap();
        let st = r.status().as_u16();
        (st, r.json().await.unwrap_or(Value::Null))
    }
}

pub async fn caller<'a>(s: &'a Server, who: As) -> Caller<'a> {
    let api = world::api(&s.base);
    let token = api.token(who).await.unwrap();
    Caller { api, token, _s: s }
}

pub fn field_codes(v: &Value) -> Vec<(String, String)> {
    v["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap().to_string(),
                        e["code"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}
