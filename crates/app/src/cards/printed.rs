//! A registry re-import that changes a field printed on a live card (name, social security number, gender,
//! ethnicity, date of birth; SPEC §7.2): the card is flagged "replacement required" and the holder texted where
//! to go (never a link). The flag shows on the card's page and at the counter, and allows a 换领.

use sscard_domain::card::replacement::PrintedField;
use sscard_domain::card::texts::replacement_required_message;
use sscard_domain::registry::InsuredPerson;

use crate::ports::{PrintedFieldFlag, SmsMessage, StoreError};
use crate::secrets::new_id;
use crate::AppContext;

/// The printed-field changes a batch of imported rows makes to holders of live cards (read before the import
/// commits, so the stored record is the one before it).
pub(crate) async fn changes_in(ctx: &AppContext, rows: &[InsuredPerson]) -> Result<Vec<PrintedFieldFlag>, StoreError> {
    let ids: Vec<String> = rows.iter().map(|p| p.id_number.as_str().to_string()).collect();
    let before = ctx.store.card_holder_records(&ids).await?;
    let by_id: std::collections::HashMap<&str, &InsuredPerson> =
        rows.iter().map(|p| (p.id_number.as_str(), p)).collect();
    let mut out = Vec::new();
    for old in &before {
        let Some(new) = by_id.get(old.id_number.as_str()) else {
            continue;
        };
        let fields = PrintedField::changed(old, new);
        if !fields.is_empty() {
            out.push(PrintedFieldFlag {
                holder: new.id_number.clone(),
                fields,
                at: ctx.clock.now(),
            });
        }
    }
    Ok(out)
}

/// Flags the cards and texts their holders (after the import committed).
pub(crate) async fn flag(ctx: &AppContext, flags: &[PrintedFieldFlag]) -> Result<u64, StoreError> {
    let mut n = 0;
    for f in flags {
        for number in ctx.store.flag_printed_fields(f).await? {
            n += 1;
            let Some(card) = ctx.store.card(&number).await? else {
                continue;
            };
            if let Some(mobile) = super::holder_mobile(ctx, &card).await? {
                ctx.store
                    .enqueue_sms(&SmsMessage {
                        id: new_id(),
                        mobile,
                        body: replacement_required_message(&number),
                        created_at: f.at,
                        attempts: 0,
                    })
                    .await?;
            }
        }
    }
    Ok(n)
}
