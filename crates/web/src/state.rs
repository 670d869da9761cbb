//! Shared state of the HTTP adapter.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use sscard_app::AppContext;

use crate::i18n::I18n;

/// `demo` (default) shows demo data and test doubles are allowed; `production` refuses test doubles and
/// marks cookies `Secure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Demo,
    Production,
}

#[derive(Debug, Clone)]
pub struct WebConfig {
    pub mode: Mode,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Longest a request may take.
    pub request_timeout: std::time::Duration,
    /// Load balancers and proxies whose `X-Forwarded-For` is believed (addresses or CIDRs). Empty: the TCP
    /// peer is the client, and the header is ignored (anyone could write it).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Longest `/readyz` waits for the database before answering 503 (a load balancer's probe must get an
    /// answer, not a timeout).
    pub readiness_timeout: std::time::Duration,
}

#[derive(Clone)]
pub struct AppState {
    pub ctx: AppContext,
    pub i18n: Arc<I18n>,
    pub templates: Arc<minijinja::Environment<'static>>,
    pub metrics: PrometheusHandle,
    pub config: WebConfig,
    /// The configured external identity providers.
    pub oidc: Arc<Vec<Arc<sscard_gateways::oidc::OidcProvider>>>,
}
