//! Deleting what has outlived its use.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset};

use super::*;

/// What has outlived its use, by table: before these times it may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PruneBefore {
    /// Sessions expired or revoked, challenges expired or spent, OpenID flows expired, before this.
    pub dead: DateTime<FixedOffset>,
    /// Rate events older than the longest limit's window.
    pub rate_events: DateTime<FixedOffset>,
    /// Idempotent replies older than a retry could come.
    pub replies: DateTime<FixedOffset>,
}

/// How many rows one round of housekeeping removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub sessions: u64,
    pub challenges: u64,
    pub oidc_flows: u64,
    pub rate_events: u64,
    pub replies: u64,
}

#[async_trait]
pub trait HousekeepingStore: Send + Sync {
    /// Deletes what has outlived its use. Safe on several instances at once: each statement deletes only
    /// rows past their time, and a row two instances both delete is deleted once.
    async fn prune(&self, before: &PruneBefore) -> StoreResult<Pruned>;
}
