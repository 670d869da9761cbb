//! `sscard bank-sim`: a cooperative bank's production system, simulated. It uses sscard's bank interface over
//! HTTP exactly as a real bank's system would (`docs/bank-interface.md`): client credentials for a token, new
//! orders pulled a page at a time, then for each order, in order: accepted (or rejected at the configured
//! rate, with a reason), produced (a card number and the masked account), and the delivery the order asks for:
//! mailed with a tracking number, ready for pickup at the branch, or delivered to the entity. With
//! `deliver_mail` it also reports mailed cards as collected (the courier's proof of delivery).
//!
//! Rejections are decided from the order id (a stable hash), so a run is reproducible.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct BankSimConfig {
    /// sscard's base URL, e.g. `http://127.0.0.1:8080`.
    pub base_url: String,
    /// The bank system's account (its username) and secret.
    pub client_id: String,
    pub secret: String,
    /// Share of orders rejected, 0.0–1.0.
    pub reject_rate: f64,
    /// Pause between one order's reports (production takes time).
    pub step_delay: Duration,
    /// Orders per pull (1–500).
    pub page: u32,
    /// Orders worked on at once.
    pub concurrency: usize,
    /// Also report mailed cards as collected.
    pub deliver_mail: bool,
    /// The first card number's serial (card numbers are the bank code and a serial).
    pub first_serial: u64,
}

impl Default for BankSimConfig {
    fn default() -> Self {
        BankSimConfig {
            base_url: "http://127.0.0.1:8080".into(),
            client_id: String::new(),
            secret: String::new(),
            reject_rate: 0.0,
            step_delay: Duration::ZERO,
            page: 100,
            concurrency: 8,
            deliver_mail: false,
            first_serial: 1,
        }
    }
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BankSimStats {
    pub pulled: u64,
    pub rejected: u64,
    pub produced: u64,
    pub mailed: u64,
    pub ready_for_pickup: u64,
    pub delivered_to_entity: u64,
    pub collected: u64,
    /// Every report sent (and accepted by sscard).
    pub reports: u64,
    /// Card events (changes to the financial function) pulled, applied and acknowledged.
    pub card_events: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BankSimError {
    #[error("the reject rate must be between 0 and 1")]
    RejectRate,
    #[error("sscard could not be reached: {0}")]
    Http(#[from] reqwest::Error),
    #[error("sscard refused the bank system's credentials ({0})")]
    Unauthorised(u16),
    #[error("sscard answered {status} to {what}: {body}")]
    Refused { what: String, status: u16, body: String },
}

/// How many times a pull whose answer was lost is asked again (with the same idempotency key).
const PULL_TRIES: u64 = 3;

pub struct BankSim {
    cfg: BankSimConfig,
    http: reqwest::Client,
    serial: Arc<AtomicU64>,
}

/// FNV-1a of the order id, for a reproducible reject decision.
fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl BankSim {
    pub fn new(cfg: BankSimConfig) -> Result<BankSim, BankSimError> {
        if !(0.0..=1.0).contains(&cfg.reject_rate) {
            return Err(BankSimError::RejectRate);
        }
        let http = crate::http_client(Duration::from_secs(30))?;
        let serial = Arc::new(AtomicU64::new(cfg.first_serial));
        Ok(BankSim { cfg, http, serial })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.cfg.base_url.trim_end_matches('/'))
    }

    /// A bearer token by the client-credentials grant.
    pub async fn token(&self) -> Result<String, BankSimError> {
        let r = self
            .http
            .post(self.url("/api/v1/auth/token"))
            .basic_auth(&self.cfg.client_id, Some(&self.cfg.secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await?;
        if !r.status().is_success() {
            return Err(BankSimError::Unauthorised(r.status().as_u16()));
        }
        let v: Value = r.json().await?;
        Ok(v["access_token"].as_str().unwrap_or_default().to_string())
    }

    /// One pull, as a careful bank makes it: under an idempotency key, asked again with the same key when the
    /// answer is lost on the way (sscard then answers the same orders), and acknowledged once the orders are
    /// safe here. Orders never acknowledged come back in a later pull when their lease runs out.
    async fn pull(&self, token: &str) -> Result<Vec<Value>, BankSimError> {
        let key = uuid::Uuid::new_v4().to_string();
        let mut tries = 0;
        let orders = loop {
            tries += 1;
            let answer = self
                .sent(
                    self.http
                        .post(self.url("/api/v1/bank/orders/pull"))
                        .bearer_auth(token)
                        .header("idempotency-key", &key)
                        .json(&json!({"limit": self.cfg.page})),
                    || "pull".into(),
                )
                .await;
            let read = match answer {
                Ok(r) => r.json::<Vec<Value>>().await.map_err(BankSimError::from),
                Err(e) => Err(e),
            };
            match read {
                Ok(orders) => break orders,
                Err(BankSimError::Http(e)) if tries < PULL_TRIES => {
                    tracing::warn!(error = %e, tries, "pull answer lost; asking again with the same key");
                    tokio::time::sleep(Duration::from_millis(200 * tries)).await;
                }
                Err(e) => return Err(e),
            }
        };
        if !orders.is_empty() {
            let ids: Vec<&str> = orders.iter().filter_map(|o| o["id"].as_str()).collect();
            self.sent(
                self.http
                    .post(self.url("/api/v1/bank/orders/ack"))
                    .bearer_auth(token)
                    .json(&json!({"orders": ids})),
                || "ack".into(),
            )
            .await?;
        }
        Ok(orders)
    }

    async fn report(&self, token: &str, order: &str, body: Value) -> Result<(), BankSimError> {
        self.sent(
            self.http
                .post(self.url(&format!("/api/v1/bank/orders/{order}/reports")))
                .bearer_auth(token)
                .json(&body),
            || format!("a report on {order}"),
        )
        .await?;
        Ok(())
    }

    /// Sends a request of the interface; anything but 200 is refused, with what was asked and sscard's answer.
    async fn sent(
        &self,
        request: reqwest::RequestBuilder,
        what: impl FnOnce() -> String,
    ) -> Result<reqwest::Response, BankSimError> {
        let r = request.send().await?;
        let status = r.status().as_u16();
        if status != 200 {
            let body = r.text().await.unwrap_or_default();
            return Err(BankSimError::Refused {
                what: what(),
                status,
                body,
            });
        }
        Ok(r)
    }

    /// Works one order through to its delivery; returns what happened to it.
    async fn work(&self, token: &str, order: &Value) -> Result<BankSimStats, BankSimError> {
        let mut s = BankSimStats::default();
        let id = order["id"].as_str().unwrap_or_default();
        let pause = || tokio::time::sleep(self.cfg.step_delay);
        let threshold = (self.cfg.reject_rate * 10_000.0) as u64;
        if stable_hash(id) % 10_000 < threshold {
            self.report(
                token,
                id,
                json!({"status": "rejected", "reason": "照片不符合制卡要求（模拟银行）"}),
            )
            .await?;
            s.rejected += 1;
            s.reports += 1;
            return Ok(s);
        }
        self.report(token, id, json!({"status": "accepted"})).await?;
        pause().await;
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        let bank = order["bank"].as_str().unwrap_or("000");
        self.report(
            token,
            id,
            json!({"status": "produced", "card_number": format!("{bank}{serial:012}"),
                   "masked_account": format!("6222********{:04}", serial % 10_000)}),
        )
        .await?;
        s.produced += 1;
        pause().await;
        match order["collection"].as_str() {
            Some("bank_mail") => {
                self.report(
                    token,
                    id,
                    json!({"status": "mailed", "tracking_number": format!("SF{serial:010}")}),
                )
                .await?;
                s.mailed += 1;
                if self.cfg.deliver_mail {
                    pause().await;
                    self.report(token, id, json!({"status": "collected"})).await?;
                    s.collected += 1;
                    s.reports += 1;
                }
            }
            Some("employer_collection") => {
                self.report(token, id, json!({"status": "delivered_to_entity"})).await?;
                s.delivered_to_entity += 1;
            }
            _ => {
                self.report(token, id, json!({"status": "ready_for_pickup"})).await?;
                s.ready_for_pickup += 1;
            }
        }
        s.reports += 3;
        Ok(s)
    }

    /// Pulls the card events (a loss reported elsewhere, a release, a cancellation) until none is left: each is
    /// applied to the bank's own account (here: the state it names is confirmed back to sscard, which changes
    /// nothing when it already stands so), then acknowledged. An event not acknowledged comes back later.
    pub async fn drain_card_events(&self, token: &str) -> Result<u64, BankSimError> {
        let mut applied = 0;
        loop {
            let events: Vec<Value> = self
                .sent(
                    self.http
                        .post(self.url("/api/v1/bank/card-events/pull"))
                        .bearer_auth(token)
                        .json(&json!({"limit": self.cfg.page})),
                    || "card-event pull".into(),
                )
                .await?
                .json()
                .await?;
            if events.is_empty() {
                return Ok(applied);
            }
            for e in &events {
                let (card, state) = (
                    e["card"].as_str().unwrap_or_default(),
                    e["financial_to"].as_str().unwrap_or_default(),
                );
                let r = self
                    .http
                    .post(self.url(&format!("/api/v1/bank/cards/{card}/financial")))
                    .bearer_auth(token)
                    .json(&json!({"state": state}))
                    .send()
                    .await?;
                // 409: the card moved on since this event (a later one ended it, e.g. a replacement after a
                // loss); sscard keeps its newer state, and the bank's account follows the later event.
                let status = r.status().as_u16();
                if status != 200 && status != 409 {
                    return Err(BankSimError::Refused {
                        what: format!("the financial state of {card}"),
                        status,
                        body: r.text().await.unwrap_or_default(),
                    });
                }
            }
            let ids: Vec<&str> = events.iter().filter_map(|e| e["id"].as_str()).collect();
            self.sent(
                self.http
                    .post(self.url("/api/v1/bank/card-events/ack"))
                    .bearer_auth(token)
                    .json(&json!({"events": ids})),
                || "card-event ack".into(),
            )
            .await?;
            applied += events.len() as u64;
        }
    }

    /// Pulls and works every new order until a pull comes back empty, then the card events.
    pub async fn drain(&self) -> Result<BankSimStats, BankSimError> {
        use futures::stream::{self, TryStreamExt};
        let token = self.token().await?;
        let mut total = BankSimStats::default();
        loop {
            let orders = self.pull(&token).await?;
            if orders.is_empty() {
                total.card_events = self.drain_card_events(&token).await?;
                return Ok(total);
            }
            total.pulled += orders.len() as u64;
            let done: Vec<BankSimStats> = stream::iter(orders.iter().map(Ok::<_, BankSimError>))
                .map_ok(|o| self.work(&token, o))
                .try_buffer_unordered(self.cfg.concurrency.max(1))
                .try_collect()
                .await?;
            for s in done {
                total.rejected += s.rejected;
                total.produced += s.produced;
                total.mailed += s.mailed;
                total.ready_for_pickup += s.ready_for_pickup;
                total.delivered_to_entity += s.delivered_to_entity;
                total.collected += s.collected;
                total.reports += s.reports;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reject_decision_is_stable_and_near_the_rate() {
        let rejected = (0..10_000)
            .filter(|i| stable_hash(&format!("order-{i}")) % 10_000 < 1_000)
            .count();
        assert!((800..1200).contains(&rejected), "{rejected}");
        assert_eq!(stable_hash("abc"), stable_hash("abc"));
        assert!(BankSim::new(BankSimConfig {
            reject_rate: 1.5,
            ..BankSimConfig::default()
        })
        .is_err());
    }
}
