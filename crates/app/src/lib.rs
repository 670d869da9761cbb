//! sscard use cases: they orchestrate the domain and the storage ports; adapters (storage, web, jobs, CLI)
//! sit around them.
//!
//! - [`ports`]: the storage traits each adapter implements ([`ports::Store`] is all of them), and [`ports::StoreError`].
//! - [`import`]: CSV imports of the registry, employers, guardianships, branches and outlets (SPEC §4.1–4.3),
//!   with a per-row report.
//! - [`reference`]: reference-data queries (code tables, banks, branches, outlets).
//! - [`context`]: what every use case needs at hand: the store, the clock, the code tables, the calendar.

pub mod context;
pub mod import;
pub mod ports;
pub mod reference;

pub use context::AppContext;
