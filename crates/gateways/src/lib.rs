//! Adapters for the external systems sscard talks to but does not own. Each speaks a documented protocol
//! (`docs/face-verifier.md`, `docs/sms-gateway.md`, OpenID Connect) and has a test server speaking the same
//! protocol over real HTTP; production refuses the test doubles.
//!
//! - [`bank_sim`]: `sscard bank-sim`, a bank's production system simulated over sscard's own bank interface.
//! - [`face`]: the real-name face verifier over HTTP.
//! - [`sms`]: SMS senders: a file sink (demo and tests) and an HTTP gateway (production).
//! - [`oidc`]: OpenID Connect login (authorisation code + PKCE) with configured providers.

pub mod bank_sim;
pub mod face;
pub mod oidc;
pub mod sms;

use std::time::Duration;

/// One HTTP client setting for every gateway: bounded time, no redirects followed (a gateway that redirects
/// is misconfigured, and following it could leak the request elsewhere).
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
}
