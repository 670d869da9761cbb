//! What a draft may choose, in one answer: whether its bank is locked (a retiree's pension bank), the
//! collection methods it may take on the caller's channel, and, on the collective route, the employer's
//! settings that narrow both. The API view and every portal page use this answer; none recomputes a rule.

use sscard_domain::access::Channel;
use sscard_domain::application::{Application, Route};
use sscard_domain::collective::CollectiveSettings;
use sscard_domain::policy::{bank_rule, collection_methods, BankRule, CollectionMethod};
use sscard_domain::registry::InsuredPerson;

use crate::ports::StoreError;
use crate::AppContext;

/// A draft's choices (see the module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftChoices {
    /// The bank is fixed (the pension bank): the bank and branch steps are skipped.
    pub bank_locked: bool,
    /// The collection methods it may take, in the policy table's order.
    pub collection_methods: Vec<CollectionMethod>,
    /// The employer's settings, on the collective route (the branches it allows, whether it collects).
    pub employer: Option<CollectiveSettings>,
}

impl DraftChoices {
    /// The choices of a draft on `route` through `channel`, narrowed by the employer's settings when given.
    pub fn of(route: Route, channel: Channel, employer: Option<CollectiveSettings>) -> DraftChoices {
        let collection_methods = match &employer {
            Some(s) => s.collection_methods(channel),
            None => collection_methods(route, channel).to_vec(),
        };
        DraftChoices {
            bank_locked: bank_rule(route) == BankRule::PensionBank,
            collection_methods,
            employer,
        }
    }

    /// Whether the employer (if any) lets the employee collect at this branch.
    pub fn allows_branch(&self, bank: &str, branch: &str) -> bool {
        self.employer.as_ref().is_none_or(|s| s.allows_branch(bank, branch))
    }
}

/// A draft with what it may choose and the registry's record of its person (the fields it shows, not edits).
#[derive(Debug, Clone)]
pub struct DraftView {
    pub person: Option<InsuredPerson>,
    pub choices: DraftChoices,
}

/// The one read a draft's page or view needs beyond the application itself.
pub async fn draft_view(ctx: &AppContext, a: &Application, channel: Channel) -> Result<DraftView, StoreError> {
    let employer = match &a.employer {
        Some(e) => ctx.store.collective_settings(e).await?,
        None => None,
    };
    Ok(DraftView {
        person: ctx.store.person(&a.person).await?,
        choices: DraftChoices::of(a.route, channel, employer),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retirees_bank_is_locked_and_the_policy_table_gives_the_methods() {
        let r = DraftChoices::of(Route::Retiree, Channel::Web, None);
        assert!(r.bank_locked);
        assert_eq!(
            r.collection_methods,
            collection_methods(Route::Retiree, Channel::Web).to_vec()
        );
        let p = DraftChoices::of(Route::Personal, Channel::Jingtong, None);
        assert!(!p.bank_locked);
        assert!(p.allows_branch("102", "102-0101"), "no employer: any branch");
    }
}
