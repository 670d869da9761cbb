//! The concentrated application campaign (SPEC §1, §7.4): configuration, not code. While it runs, counters take
//! no new applications and make no instant cards. Unset, it is the period the SPEC names (2024-10-30 to
//! 2025-12-31); the admin sets another.

use chrono::NaiveDate;

use crate::ports::StoreError;
use crate::records::{fe, FieldError};
use crate::AppContext;

/// The setting's key; its value is `YYYY-MM-DD..YYYY-MM-DD` (both days included), or `none`.
pub const SETTING_CAMPAIGN: &str = "campaign_period";

/// The SPEC's campaign (§1).
pub const DEFAULT_PERIOD: &str = "2024-10-30..2025-12-31";

/// A campaign's first and last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CampaignPeriod {
    pub from: NaiveDate,
    pub until: NaiveDate,
}

impl CampaignPeriod {
    /// `from..until`, both days included, `from` not after `until`; `none` for no campaign.
    pub fn parse(s: &str) -> Result<Option<CampaignPeriod>, FieldError> {
        let s = s.trim();
        if s == "none" {
            return Ok(None);
        }
        let day = |d: &str| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok();
        match s.split_once("..").map(|(a, b)| (day(a), day(b))) {
            Some((Some(from), Some(until))) if from <= until => Ok(Some(CampaignPeriod { from, until })),
            _ => Err(fe("period", "campaign_period_invalid")),
        }
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.until
    }

    pub fn as_setting(period: Option<CampaignPeriod>) -> String {
        match period {
            Some(p) => format!("{}..{}", p.from, p.until),
            None => "none".into(),
        }
    }
}

/// The configured campaign (the SPEC's when never set).
pub async fn period(ctx: &AppContext) -> Result<Option<CampaignPeriod>, StoreError> {
    let stored = ctx.store.setting(SETTING_CAMPAIGN).await?;
    CampaignPeriod::parse(stored.as_deref().unwrap_or(DEFAULT_PERIOD))
        .map_err(|_| StoreError::Corrupt(format!("{SETTING_CAMPAIGN}: {stored:?}")))
}

/// Whether the campaign runs today.
pub async fn running(ctx: &AppContext) -> Result<bool, StoreError> {
    let today = ctx.clock.now().date_naive();
    Ok(period(ctx).await?.is_some_and(|p| p.contains(today)))
}

/// Sets the campaign (`none`: no campaign), keeping the change with who made it (`by`, an account id).
pub async fn set(ctx: &AppContext, value: &str, by: &str) -> Result<Option<CampaignPeriod>, SetError> {
    let period = CampaignPeriod::parse(value).map_err(SetError::Invalid)?;
    ctx.store
        .change_setting(
            SETTING_CAMPAIGN,
            &CampaignPeriod::as_setting(period),
            by,
            ctx.clock.now(),
        )
        .await?;
    Ok(period)
}

/// The campaign period's kept changes, newest first (at most 50).
pub async fn changes(ctx: &AppContext) -> Result<Vec<crate::ports::SettingChange>, StoreError> {
    ctx.store.setting_changes(SETTING_CAMPAIGN, 50).await
}

#[derive(Debug, thiserror::Error)]
pub enum SetError {
    #[error("invalid period")]
    Invalid(FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_reads_both_days_included() {
        let p = CampaignPeriod::parse(DEFAULT_PERIOD).unwrap().unwrap();
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert!(p.contains(d(2024, 10, 30)) && p.contains(d(2025, 12, 31)));
        assert!(!p.contains(d(2026, 1, 4)));
        assert_eq!(CampaignPeriod::parse("none").unwrap(), None);
        assert!(CampaignPeriod::parse("2026-02-01..2026-01-01").is_err());
        assert!(CampaignPeriod::parse("soon").is_err());
    }
}
