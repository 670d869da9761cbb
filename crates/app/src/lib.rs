//! sscard use cases: they orchestrate the domain and the storage ports; adapters (storage, web, jobs, CLI)
//! sit around them.
//!
//! - [`ports`]: the storage traits each adapter implements ([`ports::Store`] is all of them), and [`ports::StoreError`].
//! - [`import`]: CSV imports of the registry, employers, guardianships, branches and outlets (SPEC §4.1–4.3),
//!   with a per-row report.
//! - [`import_jobs`]: the console's imports as background jobs, with progress and a row report (SPEC §10).
//! - [`reports`]: the console's reports (applications per day, broken down) as read models.
//! - [`reference`]: reference-data queries (code tables, banks, branches, outlets).
//! - [`reference_changes`]: the console's changes of banks, branches and outlets, kept and refused while live
//!   data depends on them.
//! - [`secrets`]: random tokens and codes, hashes, machine secrets (HMAC).
//! - [`passwords`]: Argon2id password hashing, bounded in memory and in time.
//! - [`auth`]: logging in and out (password + captcha, SMS code, registration, client and bank-system
//!   credentials), sessions and tokens, abuse limits.
//! - [`external`]: logging in through an external identity provider.
//! - [`realname`]: real-name authentication and the face-verifier port.
//! - [`people`]: reading a person's record within the reader's reach, and the resident's access log.
//! - [`accounts`]: the admin's account and API-client management.
//! - [`machines`]: machine credentials (channel clients, bank systems) through a short-lived cache.
//! - [`applications`]: applying for one's own card: eligibility, the draft, documents, consents, submission.
//! - [`minors`]: applying for a child: the guardian finds the child, confirms the relationship, answers the
//!   ID questions; "my children".
//! - [`collective`]: employer collective application: the handler's settings, employees' confirmation,
//!   batch submission, the employee list (SPEC §6).
//! - [`bank`]: the bank interface: pulling production orders (leased until acknowledged) and reporting on
//!   them (SPEC §8).
//! - [`cards`]: the card's life after hand-over: services on the channels that may do them, the service
//!   password, the holder's view, the release of expired temporary losses.
//! - [`calendar`]: the working-day calendar as data loaded per year; provisional due dates; the 60-day warning.
//! - [`campaign`]: the concentrated campaign's period, configuration the channel matrix reads.
//! - [`cases`]: the console's case lookup: a person's applications and cards with their timelines, read for a
//!   stated purpose (audited).
//! - [`channel_policy`]: the channel matrix in force: the domain's table less the cells the bureau suspended.
//! - [`counter`]: card pickup at a bank counter: find the holder's cards (audited), record the collection.
//! - [`images`]: reading a document's facts off its bytes (format, header dimensions, bounded decode).
//! - [`sms`]: delivering the SMS outbox through a pluggable sender, exactly once on any number of instances.
//! - [`housekeeping`]: deleting what has outlived its use (dead sessions, spent secrets, old counters).
//! - [`health`]: whether the database answers, and whether it holds demo data.
//! - [`context`]: what every use case needs at hand: the store, the clock, the code tables, the calendar.

pub mod accounts;
pub mod applications;
pub mod auth;
pub mod bank;
pub mod calendar;
pub mod campaign;
pub mod cards;
pub mod cases;
pub mod channel_policy;
pub mod collective;
pub mod context;
pub mod counter;
pub mod employer_settings;
pub mod external;
pub mod health;
pub mod housekeeping;
pub mod images;
pub mod import;
pub mod import_jobs;
pub mod machines;
pub mod minors;
pub mod passwords;
pub mod people;
pub mod ports;
pub mod realname;
pub mod records;
pub mod reference;
pub mod reference_changes;
pub mod reports;
pub mod secrets;
pub mod sms;

pub use context::AppContext;
