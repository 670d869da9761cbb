//! The release job's use case: temporary losses whose 15 days have run out become `active` again, each once,
//! with a system transition and a text to the holder, in batches (several instances may run it at once).

use sscard_domain::card::texts::{RELEASED_AFTER, RELEASED_BEFORE};

use crate::ports::{ReleaseBatch, StoreError};

use crate::AppContext;

/// Cards per batch: one transaction each.
pub const BATCH: u32 = 5_000;

/// Releases every loss due now, batch after batch (at most `max_batches`); how many it released.
pub async fn release_due(ctx: &AppContext, max_batches: u32) -> Result<u64, StoreError> {
    let mut total = 0;
    let mut after = None;
    let now = ctx.clock.now();
    for _ in 0..max_batches {
        let batch = ReleaseBatch {
            now,
            limit: BATCH,
            text_before: RELEASED_BEFORE.into(),
            text_after: RELEASED_AFTER.into(),
            after,
        };
        let round = ctx.store.release_due_losses(&batch).await?;
        total += round.released;
        match round.last {
            Some(last) => after = Some(last),
            None => break,
        }
    }
    Ok(total)
}
