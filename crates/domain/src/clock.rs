//! The injectable clock. Every rule that reads the time reads it from a [`Clock`] so tests can move it.
//!
//! Asia/Shanghai has been UTC+08:00 all year since 1991 (no daylight saving), so a fixed offset is exact for
//! every date this system handles and spares the binary a time-zone database.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use std::sync::{Arc, Mutex};

pub const SHANGHAI_OFFSET_SECONDS: i32 = 8 * 3600;

pub fn shanghai() -> FixedOffset {
    // 8 hours is well inside FixedOffset's ±24h range, so this cannot fail; UTC is the unreachable fallback.
    FixedOffset::east_opt(SHANGHAI_OFFSET_SECONDS).unwrap_or_else(|| Utc.fix())
}

use chrono::Offset;

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<FixedOffset>;
    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<FixedOffset> {
        Utc::now().with_timezone(&shanghai())
    }
}

/// A clock that stands still until told to move (tests, demos).
#[derive(Debug, Clone)]
pub struct FixedClock(Arc<Mutex<DateTime<FixedOffset>>>);

impl FixedClock {
    pub fn at(t: DateTime<FixedOffset>) -> FixedClock {
        FixedClock(Arc::new(Mutex::new(t)))
    }
    pub fn set(&self, t: DateTime<FixedOffset>) {
        let mut g = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *g = t;
    }
    pub fn advance(&self, d: chrono::Duration) {
        let mut g = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *g += d;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<FixedOffset> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn today_is_the_shanghai_date() {
        // 2026-11-21 17:30 UTC is already 22 November in Beijing.
        let utc = Utc.with_ymd_and_hms(2026, 11, 21, 17, 30, 0).unwrap();
        let clock = FixedClock::at(utc.with_timezone(&shanghai()));
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
        clock.advance(chrono::Duration::days(1));
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
    }
}
