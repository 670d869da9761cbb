//! The sscard domain: the rules of SPEC §4–§7 as types and pure functions. No I/O, no framework.
//!
//! - [`values`]: value types that cannot hold a bad value (ID number, USCC, mobile, postal code, names) and masking.
//! - [`codes`]: the code tables of SPEC §4.4 (districts, ethnic groups, nationalities, occupations, banks,
//!   guardian relationships), compiled into the binary from `data/`.
//! - [`calendar`]: the working-day calendar (SPEC §7.3) and "add N working days".
//! - [`clock`]: the injectable clock, in Asia/Shanghai time.
//! - [`registry`]: records of the insured-person registry, employers, guardianships, branches and outlets (SPEC §4.1–4.3).
//! - [`access`]: roles and channels (SPEC §2).
//! - [`account`]: accounts, login identifiers, passwords and the principal a request acts as (SPEC §2–3).
//! - [`security`]: abuse limits and secret lifetimes as a policy table (SPEC §3, §9).
//! - [`audit`]: audit-log entries (SPEC §9).
//! - [`eligibility`]: who may apply for their own card, by which route, and why not (SPEC §5.1).
//! - [`collective`]: employer collective application: the entity's settings, employee statuses, why a batch skips someone (SPEC §6).
//! - [`counter`]: card pickup at a bank counter: who may collect (the holder, or a minor's listed guardian).
//! - [`minor`]: applying for a child: the guardian route, the child's ID type, the document matrix, the age limits (SPEC §5.3–5.4).
//! - [`card`]: the card and the states of its functions (SPEC §7.1).
//! - [`orders`]: production orders and the bank's reports on them (SPEC §8).
//! - [`policy`]: route × channel policy tables: collection methods and banks (SPEC §5.2).
//! - [`documents`]: the rules a card photo and ID images must meet, judged from facts read off their bytes (SPEC §5.4).
//! - [`route`]: the route an application takes (SPEC §5.1).
//! - [`application`]: the application state machine (SPEC §5.6).

pub mod access;
pub mod account;
pub mod application;
pub mod audit;
pub mod calendar;
pub mod card;
pub mod clock;
pub mod codes;
pub mod collective;
pub mod counter;
pub mod documents;
pub mod eligibility;
pub mod minor;
pub mod orders;
pub mod policy;
pub mod registry;
pub mod route;
pub mod security;
pub mod values;
