//! Housekeeping: what has outlived its use is deleted on a schedule, so tables of one-time secrets and
//! counters do not grow for ever (SPEC §9, §11). Safe on every instance at once.

use chrono::Duration;
use sscard_domain::security::ALL_LIMITS;

use crate::ports::{PruneBefore, Pruned, StoreError};
use crate::AppContext;

/// How long an idempotent reply is kept for a retry (a retry comes within minutes; a day is generous).
pub const REPLY_KEPT: Duration = Duration::days(1);

/// The cut-off times of one round at `now`: dead sessions and secrets at once, rate events once the longest
/// limit's window has passed them, replies after [`REPLY_KEPT`].
pub fn cutoffs(now: chrono::DateTime<chrono::FixedOffset>) -> PruneBefore {
    let longest = ALL_LIMITS
        .iter()
        .map(|l| {
            let cooldown = match l.cooldown {
                sscard_domain::security::Cooldown::Lockout(d) => d,
                sscard_domain::security::Cooldown::Sliding => Duration::zero(),
            };
            l.window + cooldown
        })
        .max()
        .unwrap_or(Duration::days(1));
    PruneBefore {
        dead: now,
        rate_events: now - longest,
        replies: now - REPLY_KEPT,
    }
}

pub async fn prune(ctx: &AppContext) -> Result<Pruned, StoreError> {
    ctx.store.prune(&cutoffs(ctx.clock.now())).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn rate_events_are_kept_as_long_as_the_longest_limit_reads_them() {
        let now = sscard_domain::clock::shanghai()
            .with_ymd_and_hms(2026, 12, 1, 10, 0, 0)
            .single()
            .unwrap_or_else(|| unreachable!());
        let c = cutoffs(now);
        assert_eq!(c.dead, now);
        // The real-name quota reads a day back; nothing younger may go.
        assert_eq!(c.rate_events, now - Duration::hours(24));
        assert_eq!(c.replies, now - Duration::days(1));
    }
}
