//! Delivering the SMS outbox through a pluggable sender (SPEC §3). Messages are written to the outbox in the
//! same request that makes them; a job hands them to the sender and retries failures with back-off.
//!
//! Exactly once, on any number of instances and whatever the gateway's speed: a round claims a batch under a
//! lease, and each message's lease is renewed, conditional on the claim still being this worker's, just
//! before it goes to the gateway, for as long as the gateway may take. A message whose lease ran out while
//! the batch was slowly worked through belongs to whoever claimed it next, and is skipped here.

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
    /// The longest one `send` can take (its client's timeout): a message's lease is renewed for this, plus
    /// [`LEASE_MARGIN`], just before it is sent.
    fn max_send_time(&self) -> std::time::Duration;
}

/// How many a delivery round takes at once, and how long a claim lasts before another worker may retry it.
pub const BATCH: u32 = 50;
pub const LEASE: Duration = Duration::minutes(2);
/// Time beyond the gateway's own timeout for recording the outcome.
pub const LEASE_MARGIN: Duration = Duration::seconds(30);

/// What one delivery round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub sent: u32,
    pub failed: u32,
    /// Claimed, but another worker claimed them after this one's lease ran out: theirs to send.
    pub skipped: u32,
}

/// Sends what is due. A message holding a link is never sent (a defence in depth: none is ever written).
pub async fn deliver_due(ctx: &AppContext, sender: &dyn SmsSender) -> Result<Delivered, StoreError> {
    let now = ctx.clock.now();
    let mut out = Delivered::default();
    let per_message = Duration::from_std(sender.max_send_time()).unwrap_or(Duration::minutes(1)) + LEASE_MARGIN;
    for m in ctx.store.claim_sms(BATCH, now, LEASE).await? {
        // The claim covered the batch as a whole; a slow gateway may have used it up before this message's
        // turn. Renew it for this one send, or leave the message to the worker that claimed it since.
        if !ctx
            .store
            .renew_sms(&m.id, m.attempts, ctx.clock.now() + per_message)
            .await?
        {
            out.skipped += 1;
            continue;
        }
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
