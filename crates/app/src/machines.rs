//! Machine credentials (channel clients, bank systems) read through a short-lived cache: a channel client's
//! credentials come with every captcha, login and SMS request of its mini-program, and a bank's system asks for
//! tokens all day, so on opening day the same handful of records would be read thousands of times a second.
//!
//! Only records that exist are kept (an unknown id always asks the store, so nothing is learnt or pinned by
//! guessing), for [`TTL`] by the injected clock. A secret rotated, or a client removed, takes effect within
//! that time; a disabled bank system's tokens stop at once whatever this cache holds, because every request
//! resolves its session with the account's current state. Whoever changes such a record calls [`forget`].
//!
//! [`forget`]: MachineCache::forget

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, FixedOffset};
use sscard_domain::account::Account;

use crate::ports::ApiClient;

/// How long a machine's record is believed without asking the store again.
pub const TTL: Duration = Duration::seconds(10);

/// A bank system's account, its secret hash, and when it was read.
type KeptBankSystem = (Account, Option<String>, DateTime<FixedOffset>);

#[derive(Debug, Default)]
pub struct MachineCache {
    clients: Mutex<HashMap<String, (ApiClient, DateTime<FixedOffset>)>>,
    bank_systems: Mutex<HashMap<String, KeptBankSystem>>,
}

impl MachineCache {
    pub fn client(&self, id: &str, now: DateTime<FixedOffset>) -> Option<ApiClient> {
        let map = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        map.get(id).filter(|(_, at)| now - *at < TTL).map(|(c, _)| c.clone())
    }

    pub fn keep_client(&self, c: &ApiClient, now: DateTime<FixedOffset>) {
        let mut map = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(c.client_id.clone(), (c.clone(), now));
    }

    /// A bank system's account and secret hash, by username.
    pub fn bank_system(&self, username: &str, now: DateTime<FixedOffset>) -> Option<(Account, Option<String>)> {
        let map = self.bank_systems.lock().unwrap_or_else(|p| p.into_inner());
        map.get(username)
            .filter(|(_, _, at)| now - *at < TTL)
            .map(|(a, h, _)| (a.clone(), h.clone()))
    }

    pub fn keep_bank_system(&self, username: &str, a: &Account, hash: Option<String>, now: DateTime<FixedOffset>) {
        let mut map = self.bank_systems.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(username.to_string(), (a.clone(), hash, now));
    }

    /// Drops whatever is kept under this client id or username (after a change to it).
    pub fn forget(&self, id: &str) {
        self.clients.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
        self.bank_systems.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use sscard_domain::access::Channel;

    #[test]
    fn a_kept_client_is_believed_for_ten_seconds_then_asked_again() {
        let t0 = sscard_domain::clock::shanghai()
            .with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
            .single()
            .unwrap_or_else(|| unreachable!());
        let cache = MachineCache::default();
        let c = ApiClient {
            client_id: "jt".into(),
            name: "京通".into(),
            channel: Channel::Jingtong,
            secret_hash: "hmac-sha256$k$t".into(),
        };
        assert!(cache.client("jt", t0).is_none());
        cache.keep_client(&c, t0);
        assert_eq!(cache.client("jt", t0 + Duration::seconds(9)), Some(c.clone()));
        assert!(cache.client("jt", t0 + Duration::seconds(10)).is_none());
        cache.keep_client(&c, t0);
        cache.forget("jt");
        assert!(cache.client("jt", t0).is_none());
    }
}
