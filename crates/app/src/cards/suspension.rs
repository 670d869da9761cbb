//! Six months after a card's social-security cancellation the issuing bank may suspend the financial account's
//! non-counter business (SPEC §7.2, Q35): a scheduled transition, recorded on the card (the system's, with no
//! state change: the financial function stays as the bank holds it), sent to the bank as an event and texted to
//! the holder. Each card once: a card with the record is not due again; two instances racing write it once
//! (the write is conditional on the card's states, and the second finds the record).

use chrono::Months;
use sscard_domain::card::channels::Service;
use sscard_domain::card::lifecycle::{Change, Reason, NON_COUNTER_SUSPENSION_MONTHS};
use sscard_domain::card::texts::non_counter_suspended_message;
use sscard_domain::card::transition::{Actor, CardTransition};

use crate::ports::{CardWrite, SmsMessage, StoreError};
use crate::secrets::new_id;
use crate::AppContext;

/// Cards per round.
pub const BATCH: u32 = 500;

/// Records the suspension on every card due now (at most `rounds` × [`BATCH`]); how many.
pub async fn suspend_due(ctx: &AppContext, rounds: u32) -> Result<u64, StoreError> {
    let now = ctx.clock.now();
    let Some(cut) = now.checked_sub_months(Months::new(NON_COUNTER_SUSPENSION_MONTHS)) else {
        return Ok(0);
    };
    let mut total = 0;
    for _ in 0..rounds {
        let due = ctx.store.due_suspensions(cut, BATCH).await?;
        if due.is_empty() {
            break;
        }
        let mut written = 0;
        for number in &due {
            let Some(card) = ctx.store.card(number).await? else {
                continue;
            };
            let change = Change {
                service: Service::Cancellation,
                social_security: (card.social_security, card.social_security),
                financial: (card.financial, card.financial),
                loss_until: None,
            };
            let t = CardTransition::of(
                number,
                &change,
                now,
                Reason::NonCounterSuspended,
                None,
                None,
                Actor::system(),
                None,
                // One per card: a second instance's write finds the key and writes nothing.
                Some("non_counter_suspended".into()),
            );
            let notify = super::holder_mobile(ctx, &card).await?.map(|mobile| SmsMessage {
                id: new_id(),
                mobile,
                body: non_counter_suspended_message(number),
                created_at: now,
                attempts: 0,
            });
            let w = CardWrite {
                transition: t,
                loss_until: None,
                password_hash: None,
                bank_event: Some((new_id(), card.bank.clone())),
                notify,
                ends_legacy_medical: false,
                info: None,
                audit: None,
                replacement: None,
                retire: None,
                fields: None,
            };
            if ctx.store.write_card_change(&w).await? == crate::ports::CardWriteOutcome::Done {
                written += 1;
            }
        }
        total += written;
        if written == 0 {
            break;
        }
    }
    Ok(total)
}
