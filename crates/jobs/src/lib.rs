//! sscard background jobs: periodic work that runs beside the server and stops with it.
//!
//! - [`Job`]: one unit of periodic work; [`Runner`] runs each on its own interval until shutdown.
//! - [`RegistryGauge`]: publishes the size of the insured-person registry as a metric.
//! - [`SmsDelivery`]: hands the SMS outbox to the configured sender.
//! - [`Housekeeping`]: deletes what has outlived its use (dead sessions, spent secrets, old counters).
//! - [`CardReleases`]: ends temporary losses whose 15 days have run out.
//! - [`NonCounterSuspensions`]: six months after a social-security cancellation, records the suspension of the
//!   account's non-counter business.
//!
//! Jobs must be safe to run on every instance at once (SPEC §11): the ones that claim work use
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL through their storage port.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sscard_app::AppContext;
use tokio::sync::watch;
use tokio::task::JoinSet;

#[async_trait]
pub trait Job: Send + Sync {
    fn name(&self) -> &'static str;
    fn interval(&self) -> Duration;
    async fn run(&self, ctx: &AppContext) -> Result<(), String>;
}

pub struct RegistryGauge;

#[async_trait]
impl Job for RegistryGauge {
    fn name(&self) -> &'static str {
        "registry_gauge"
    }
    fn interval(&self) -> Duration {
        Duration::from_secs(60)
    }
    async fn run(&self, ctx: &AppContext) -> Result<(), String> {
        let n = ctx.store.count_persons().await.map_err(|e| e.to_string())?;
        metrics::gauge!("sscard_registry_persons").set(n as f64);
        Ok(())
    }
}

pub struct Runner {
    jobs: Vec<Arc<dyn Job>>,
}

impl Runner {
    pub fn standard(sms: Arc<dyn sscard_app::sms::SmsSender>) -> Runner {
        Runner {
            jobs: vec![
                Arc::new(RegistryGauge),
                Arc::new(SmsDelivery { sender: sms }),
                Arc::new(Housekeeping),
                Arc::new(CardReleases),
                Arc::new(NonCounterSuspensions),
            ],
        }
    }

    pub fn with(jobs: Vec<Arc<dyn Job>>) -> Runner {
        Runner { jobs }
    }

    /// Runs every job at once and then on its interval, until `stop` changes; returns when all have stopped.
    pub async fn run(self, ctx: AppContext, stop: watch::Receiver<bool>) {
        let mut set = JoinSet::new();
        for job in self.jobs {
            let ctx = ctx.clone();
            let mut stop = stop.clone();
            set.spawn(async move {
                let mut tick = tokio::time::interval(job.interval());
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        _ = tick.tick() => {
                            if let Err(e) = job.run(&ctx).await {
                                tracing::warn!(job = job.name(), error = %e, "job failed; will retry");
                                metrics::counter!("sscard_job_failures_total", "job" => job.name()).increment(1);
                            }
                        }
                        _ = stop.changed() => break,
                    }
                }
            });
        }
        while set.join_next().await.is_some() {}
    }
}

/// Hands the SMS outbox to the configured sender (SPEC §3).
pub struct SmsDelivery {
    pub sender: Arc<dyn sscard_app::sms::SmsSender>,
}

#[async_trait]
impl Job for SmsDelivery {
    fn name(&self) -> &'static str {
        "sms_delivery"
    }
    fn interval(&self) -> Duration {
        Duration::from_secs(2)
    }
    async fn run(&self, ctx: &AppContext) -> Result<(), String> {
        let done = sscard_app::sms::deliver_due(ctx, self.sender.as_ref())
            .await
            .map_err(|e| e.to_string())?;
        metrics::counter!("sscard_sms_sent_total").increment(u64::from(done.sent));
        metrics::counter!("sscard_sms_failed_total").increment(u64::from(done.failed));
        Ok(())
    }
}

/// Deletes what has outlived its use; every instance may run it (each deletion is by age, and idempotent).
pub struct Housekeeping;

#[async_trait]
impl Job for Housekeeping {
    fn name(&self) -> &'static str {
        "housekeeping"
    }
    fn interval(&self) -> Duration {
        Duration::from_secs(600)
    }
    async fn run(&self, ctx: &AppContext) -> Result<(), String> {
        let p = sscard_app::housekeeping::prune(ctx).await.map_err(|e| e.to_string())?;
        tracing::info!(
            sessions = p.sessions,
            challenges = p.challenges,
            oidc_flows = p.oidc_flows,
            rate_events = p.rate_events,
            replies = p.replies,
            "housekeeping"
        );
        metrics::counter!("sscard_pruned_rows_total")
            .increment(p.sessions + p.challenges + p.oidc_flows + p.rate_events + p.replies);
        Ok(())
    }
}

/// Ends temporary losses whose 15 days have run out (SPEC §7.2): each card once, with a system record and a text
/// to the holder, in batches of a thousand; several instances may run it at once (PostgreSQL skips the cards
/// another has locked). A card is read as released from the minute it is due whether or not this has run.
pub struct CardReleases;

#[async_trait]
impl Job for CardReleases {
    fn name(&self) -> &'static str {
        "card_releases"
    }
    fn interval(&self) -> Duration {
        Duration::from_secs(60)
    }
    async fn run(&self, ctx: &AppContext) -> Result<(), String> {
        let n = sscard_app::cards::release::release_due(ctx, 100)
            .await
            .map_err(|e| e.to_string())?;
        if n > 0 {
            tracing::info!(released = n, "expired temporary losses released");
        }
        metrics::counter!("sscard_card_losses_released_total").increment(n);
        Ok(())
    }
}

/// Six months after a card's social-security cancellation, records the suspension of the financial account's
/// non-counter business (SPEC §7.2), tells the bank and the holder; each card once.
pub struct NonCounterSuspensions;

#[async_trait]
impl Job for NonCounterSuspensions {
    fn name(&self) -> &'static str {
        "non_counter_suspensions"
    }
    fn interval(&self) -> Duration {
        Duration::from_secs(3600)
    }
    async fn run(&self, ctx: &AppContext) -> Result<(), String> {
        let n = sscard_app::cards::suspension::suspend_due(ctx, 20)
            .await
            .map_err(|e| e.to_string())?;
        if n > 0 {
            tracing::info!(
                suspended = n,
                "non-counter business suspended six months after cancellation"
            );
        }
        Ok(())
    }
}
