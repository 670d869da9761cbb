//! The API and the portal over real HTTP, on both databases: one test binary, one module per area (so the
//! suite links once for all of them).
//!
//! - `access`: the role × route table, and records outside the caller's reach.
//! - `auth`: logins, lockouts, captchas, SMS codes, registration, tokens, real-name authentication.
//! - `applications`, `minors`, `collective`: applying for one's own card, for a child, and as an employer.
//! - `bank`, `bank_sim`: the bank interface, and the simulated bank end to end.
//! - `card_matrix`: the SPEC §7.4 table walked cell by cell (online channels and the hotline).
//! - `card_parties`: the hotline, proxies, non-key information, the issuing bank's events and reports.
//! - `card_replacement`: replacement and its production, bank change, cancellation's order, the printed-field
//!   flag, due dates and the calendar, the campaign and instant cards.
//! - `cards`: the card's life: the channel matrix, online services, the 15-day release, the service password.
//! - `console`: the bureau's console: imports as background jobs, their reports and refusals.
//! - `console_records`: case lookup, reference data with its history.
//! - `console_staff`: staff accounts, the campaign period, services suspended on a channel.
//! - `http`: health, readiness (and a stopped database), problems, limits, headers, shutdown.
//! - `oidc`: logging in through a real OpenID Connect provider.
//! - `portal_auth`: the portal's doors and redirects.
//! - `portal_cards`: 我的社保卡 and 办事渠道 over HTTP.

#[path = "../common/mod.rs"]
mod common;

mod access;
mod applications;
mod auth;
mod bank;
mod bank_sim;
mod card_matrix;
mod card_parties;
mod card_replacement;
mod cards;
mod collective;
mod console;
mod console_records;
mod console_staff;
mod contracts;
mod http;
mod minors;
mod oidc;
mod portal_auth;
mod portal_cards;
mod portal_use;
mod schemathesis;
