//! Cards for tests: a holder's card in a given state, made through the same store writes as the real road
//! (`sscard_app::cards::demo::issue`).

use sscard_app::cards::demo::{issue, DemoCard};
use sscard_domain::card::SocialSecurityState;
use sscard_domain::values::{IdNumber, Mobile};

use super::Server;

/// A card of bank 102 (branch 102-0101) for `holder`, applied for by the account `applicant`, its financial
/// function active unless still pending activation.
pub async fn card_in(s: &Server, number: &str, holder: &IdNumber, applicant: &str, ss: SocialSecurityState) {
    issue(
        &s.ctx,
        &DemoCard {
            number: number.into(),
            holder: holder.clone(),
            applicant: applicant.into(),
            mobile: Mobile::parse("13900000001").unwrap(),
            bank: "102".into(),
            branch: "102-0101".into(),
            social_security: ss,
            financial_active: true,
            loss_until: None,
        },
    )
    .await
    .unwrap();
}
