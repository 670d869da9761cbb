//! Abuse limits and secret lifetimes (SPEC §3, §9) as data. The app layer counts the events; these rules say
//! when enough is enough and until when.

use chrono::{DateTime, Duration, FixedOffset};

/// How a limit answers once reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cooldown {
    /// Locked for this long after the last counted event (login failures).
    Lockout(Duration),
    /// Free again when the oldest counted event leaves the window (hourly quotas).
    Sliding,
}

/// At most `max` events per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub name: &'static str,
    pub max: usize,
    pub window: Duration,
    pub cooldown: Cooldown,
}

impl Limit {
    /// Given the times of the events counted so far (any order), `Err(try_again_at)` when one more is not allowed now.
    pub fn check(
        &self,
        events: &[DateTime<FixedOffset>],
        now: DateTime<FixedOffset>,
    ) -> Result<(), DateTime<FixedOffset>> {
        let since = now - self.window;
        let mut recent: Vec<_> = events.iter().copied().filter(|t| *t > since && *t <= now).collect();
        if recent.len() < self.max {
            return Ok(());
        }
        recent.sort();
        let until = match self.cooldown {
            Cooldown::Lockout(d) => recent[recent.len() - 1] + d,
            // The (len - max)th oldest must leave the window before one more fits.
            Cooldown::Sliding => recent[recent.len() - self.max] + self.window,
        };
        if until <= now {
            Ok(())
        } else {
            Err(until)
        }
    }

    /// The same as [`Limit::check`] for events that already include this one (recorded first, then counted,
    /// so that a burst of concurrent attempts cannot all pass the check before any of them is counted).
    pub fn check_recorded(
        &self,
        events: &[DateTime<FixedOffset>],
        now: DateTime<FixedOffset>,
    ) -> Result<(), DateTime<FixedOffset>> {
        let mut others = events.to_vec();
        // This attempt is the latest at or before `now`; leave it out and judge the rest.
        if let Some(mine) = others
            .iter()
            .enumerate()
            .filter(|(_, t)| **t <= now)
            .max_by_key(|(_, t)| **t)
            .map(|(i, _)| i)
        {
            others.swap_remove(mine);
        }
        self.check(&others, now)
    }
}

/// Login attempts at one account from one address: the 6th inside 15 minutes is refused, right or wrong, for
/// 15 minutes. Keyed by account *and* address, so a stranger's wrong guesses lock only the stranger out.
pub const LOGIN_ATTEMPTS_PER_ACCOUNT_ADDRESS: Limit = Limit {
    name: "login_account_address",
    max: 5,
    window: Duration::minutes(15),
    cooldown: Cooldown::Lockout(Duration::minutes(15)),
};

/// Wrong passwords or codes for one account from any address: the slower limit against guessing from many
/// addresses at once. Sliding, so it never locks for longer than the oldest failure takes to age out.
pub const LOGIN_FAILURES_PER_ACCOUNT: Limit = Limit {
    name: "login_account",
    max: 30,
    window: Duration::hours(1),
    cooldown: Cooldown::Sliding,
};

/// Wrong logins from one address, whatever account they name (password spraying).
pub const LOGIN_FAILURES_PER_IP: Limit = Limit {
    name: "login_ip",
    max: 20,
    window: Duration::minutes(15),
    cooldown: Cooldown::Lockout(Duration::minutes(15)),
};

/// SMS codes sent to one mobile number per hour.
pub const SMS_PER_MOBILE: Limit = Limit {
    name: "sms_mobile",
    max: 5,
    window: Duration::hours(1),
    cooldown: Cooldown::Sliding,
};

/// Eligibility checks per account per hour (each one is a registry look-up).
pub const ELIGIBILITY_PER_ACCOUNT: Limit = Limit {
    name: "eligibility_account",
    max: 20,
    window: Duration::hours(1),
    cooldown: Cooldown::Sliding,
};

/// Real-name attempts per account per day: each one matches a name against an ID number, an oracle worth limiting.
pub const REAL_NAME_PER_ACCOUNT: Limit = Limit {
    name: "real_name_account",
    max: 5,
    window: Duration::hours(24),
    cooldown: Cooldown::Sliding,
};

pub const ALL_LIMITS: [Limit; 6] = [
    LOGIN_ATTEMPTS_PER_ACCOUNT_ADDRESS,
    LOGIN_FAILURES_PER_ACCOUNT,
    LOGIN_FAILURES_PER_IP,
    SMS_PER_MOBILE,
    ELIGIBILITY_PER_ACCOUNT,
    REAL_NAME_PER_ACCOUNT,
];

pub const CAPTCHA_TTL: Duration = Duration::minutes(5);
pub const SMS_CODE_TTL: Duration = Duration::minutes(5);
/// Wrong tries an SMS code survives before it is burnt (a typo should not cost an elderly user a new code).
pub const SMS_CODE_MAX_TRIES: u32 = 3;
pub const CAPTCHA_LENGTH: usize = 4;
pub const SMS_CODE_LENGTH: usize = 6;
/// A portal session ends after this much inactivity-free time; the resident logs in again.
pub const PORTAL_SESSION_TTL: Duration = Duration::hours(8);
/// An anonymous pre-login session (holds the captcha and the CSRF token of the login form).
pub const ANONYMOUS_SESSION_TTL: Duration = Duration::minutes(30);
pub const API_TOKEN_TTL: Duration = Duration::hours(2);
pub const BANK_SYSTEM_TOKEN_TTL: Duration = Duration::hours(1);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(min: i64) -> DateTime<FixedOffset> {
        crate::clock::shanghai()
            .with_ymd_and_hms(2026, 11, 21, 10, 0, 0)
            .unwrap()
            + Duration::minutes(min)
    }

    #[test]
    fn lockout_after_max_failures_until_last_plus_lockout() {
        let l = LOGIN_ATTEMPTS_PER_ACCOUNT_ADDRESS;
        let four: Vec<_> = (0..4).map(t).collect();
        assert_eq!(l.check(&four, t(5)), Ok(()));
        let five: Vec<_> = (0..5).map(t).collect();
        assert_eq!(l.check(&five, t(5)), Err(t(4) + Duration::minutes(15)));
        assert_eq!(
            l.check(&five, t(19)),
            Ok(()),
            "failures older than the window no longer count"
        );
    }

    #[test]
    fn an_attempt_counted_first_is_judged_without_itself() {
        let l = LOGIN_ATTEMPTS_PER_ACCOUNT_ADDRESS;
        // Five recorded, this one among them: the fifth attempt passes.
        let five: Vec<_> = (0..5).map(t).collect();
        assert_eq!(l.check_recorded(&five, t(4)), Ok(()));
        // Six recorded at once (a burst): the sixth is refused, whichever request counts last.
        let six = vec![t(4); 6];
        assert_eq!(l.check_recorded(&six, t(4)), Err(t(4) + Duration::minutes(15)));
    }

    #[test]
    fn sliding_quota_frees_when_oldest_leaves() {
        let l = SMS_PER_MOBILE;
        let sent: Vec<_> = [0, 10, 20, 30, 40].map(t).to_vec();
        assert_eq!(l.check(&sent, t(50)), Err(t(60)));
        assert_eq!(l.check(&sent, t(61)), Ok(()));
    }

    #[test]
    fn policy_table() {
        // The table as data: each limit's numbers, so a change to any of them is a visible, reviewed change.
        let rows: Vec<_> = ALL_LIMITS
            .iter()
            .map(|l| (l.name, l.max, l.window.num_minutes()))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("login_account_address", 5, 15),
                ("login_account", 30, 60),
                ("login_ip", 20, 15),
                ("sms_mobile", 5, 60),
                ("eligibility_account", 20, 60),
                ("real_name_account", 5, 1440),
            ]
        );
        assert!(ALL_LIMITS.iter().all(|l| l.max > 0));
    }
}
