//! sscard HTTP adapter: the JSON API (`/api/v1`, with its generated OpenAPI document) and the server-rendered
//! portal, on one axum router.
//!
//! - [`api`]: API handlers and the OpenAPI document; `ops` holds `/healthz`, `/readyz`, `/metrics`.
//! - [`portal`]: pages, templates and embedded assets.
//! - [`access`]: who the caller is ([`access::identify`]), the access tables every route is checked against
//!   ([`access::authorize`]), and the portal's CSRF check.
//! - [`refusals`]: the use cases' refusals as API problems.
//! - [`captcha`]: drawing captcha pictures.
//! - [`problem`]: the one API error type, mapped to RFC 9457 problem documents in one place.
//! - [`i18n`]: Fluent message catalogues (zh-CN default, en).
//! - [`state`]: shared state and configuration.
//! - [`server`]: the middleware stack (request ids, tracing, metrics, limits, timeouts, security headers) and
//!   serving with graceful shutdown.

pub mod access;
pub mod api;
pub mod captcha;
pub mod i18n;
pub mod portal;
pub mod problem;
pub mod refusals;
pub mod server;
pub mod state;

pub use server::{build_router, serve, WebError};
pub use state::{AppState, Mode, WebConfig};

/// Default request-body limit: the largest upload the platform accepts (8.75 MiB, SPEC §5.4) plus form overhead.
pub const DEFAULT_BODY_LIMIT: usize = 9 * 1024 * 1024 + 512 * 1024;
