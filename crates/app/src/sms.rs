//! Delivering the SMS outbox through a pluggable sender (SPEC §3). Messages are written to the outbox in the
//! same request that makes them; a job hands them to the sender and retries failures with back-off.

use async_trait::async_trait;
use chrono::Duration;
use sscard_domain::audit::contains_link;

use crate::ports::{SmsMessage, StoreError};
use crate::AppContext;

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("the gateway could not be reached: {0}")]
    Unavailable(String),
    #[error("the gateway refused the message: {0}")]
    Refused(String),
}

#[async_trait]
pub trait SmsSender: Send + Sync + std::fmt::Debug {
    async fn send(&self, m: &SmsMessage) -> Result<(), SendError>;
    /// A sender that delivers to no phone (the file sink); production refuses to start with one.
    fn is_test_double(&self) -> bool;
}

/// How many a delivery round takes at once, and how long a claim lasts before another worker may retry it.
pub const BATCH: u32 = 50;
pub const LEASE: Duration = Duration::minutes(2);

/// What one delivery round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub sent: u32,
    pub failed: u32,
}

/// Sends what is due. A message holding a link is never sent (a defence in depth: none is ever written).
pub async fn deliver_due(ctx: &AppContext, sender: &dyn SmsSender) -> Result<Delivered, StoreError> {
    let now = ctx.clock.now();
    let mut out = Delivered::default();
    for m in ctx.store.claim_sms(BATCH, now, LEASE).await? {
        let result = if contains_link(&m.body) {
            Err(SendError::Refused("message contains a link".into()))
        } else {
            sender.send(&m).await
        };
        match result {
            Ok(()) => {
                ctx.store.mark_sms_sent(&m.id, ctx.clock.now()).await?;
                out.sent += 1;
            }
            Err(e) => {
                // 1, 2, 4 … minutes, at most an hour.
                let backoff = Duration::minutes(1i64 << m.attempts.min(6));
                ctx.store
                    .mark_sms_failed(&m.id, &e.to_string(), ctx.clock.now() + backoff)
                    .await?;
                tracing::warn!(error = %e, attempts = m.attempts, "sms not sent");
                out.failed += 1;
            }
        }
    }
    Ok(out)
}
