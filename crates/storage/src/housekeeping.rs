//! Housekeeping: deleting what has outlived its use (dead sessions, spent challenges, old rate events and
//! idempotent replies). The statements are the same on both engines; each engine's impl (`postgres::housekeeping`,
//! `sqlite::housekeeping`) runs them on its own pool, each in its own short transaction so no table is locked for long.

pub(crate) const SESSIONS: &str = "DELETE FROM sessions WHERE expires_ms < $1 OR revoked_ms < $1";
pub(crate) const CHALLENGES: &str = "DELETE FROM challenges WHERE expires_ms < $1 OR used_ms < $1";
pub(crate) const OIDC_FLOWS: &str = "DELETE FROM oidc_flows WHERE expires_ms < $1";
pub(crate) const RATE_EVENTS: &str = "DELETE FROM rate_events WHERE at_ms < $1";
pub(crate) const REPLIES: &str = "DELETE FROM idempotent_replies WHERE created_ms < $1";
