//! The storage conformance suite: every store method against SQLite and against PostgreSQL, one test binary.
//!
//! - `reference`: migrations, the registry and reference-data imports, settings.
//! - `accounts`: accounts, sessions, challenges, rate events, the SMS outbox, OpenID flows, the audit log,
//!   audited changes, housekeeping.
//! - `applications`: applications (one open per person, the submission with its event, consent and order) and
//!   production orders (leased pulls, acknowledgements, reports applied once).
//! - `cards`: the card's changes with their records, the release of due losses, the service password's tries.
//! - `replacements`: replacement orders (ordered once, pulled at least once, made once, linked both ways), the
//!   SLA's late ones, bank changes, the printed-field flag, suspensions, the calendar per year.
//! - `imports`: import jobs (one running per kind, a stale one abandoned), their progress, end and row report.
//! - `reports`: the console's counts (applications per Beijing day, by each breakdown).
//! - `collective`: an employer's settings and history, the employee list, the batch all-or-nothing.

mod accounts;
mod applications;
mod cards;
mod collective;
mod imports;
mod reference;
mod replacements;
mod reports;
