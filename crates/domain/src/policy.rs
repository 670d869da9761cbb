//! Policy tables (SPEC §5.2) as data: which collection methods and which banks each route allows on each
//! channel. A policy change is a change to these rows, reviewed as data and tested as data.

use serde::{Deserialize, Serialize};

use crate::access::Channel;
use crate::application::Route;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionMethod {
    /// The holder collects the card at the issuing branch (本人网点领卡).
    BranchPickup,
    /// The bank mails the card (银行邮寄).
    BankMail,
    /// A guardian collects a minor's card at the branch (代办人网点领卡).
    AgentBranchPickup,
    /// The employer collects its employees' cards (单位领取).
    EmployerCollection,
}

impl CollectionMethod {
    pub const ALL: [CollectionMethod; 4] = [
        CollectionMethod::BranchPickup,
        CollectionMethod::BankMail,
        CollectionMethod::AgentBranchPickup,
        CollectionMethod::EmployerCollection,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            CollectionMethod::BranchPickup => "branch_pickup",
            CollectionMethod::BankMail => "bank_mail",
            CollectionMethod::AgentBranchPickup => "agent_branch_pickup",
            CollectionMethod::EmployerCollection => "employer_collection",
        }
    }
    pub fn parse(s: &str) -> Option<CollectionMethod> {
        CollectionMethod::ALL.into_iter().find(|m| m.as_str() == s)
    }
    pub fn needs_mail_details(self) -> bool {
        self == CollectionMethod::BankMail
    }
    /// The card is handed out at the application's branch, which must be one that accepts pickup (SPEC §4.3).
    pub fn collected_at_branch(self) -> bool {
        matches!(
            self,
            CollectionMethod::BranchPickup | CollectionMethod::AgentBranchPickup
        )
    }
}

/// Which bank and branch an application may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BankRule {
    /// Any cooperative bank and any of its branches.
    Any,
    /// The bank and branch that pay the retiree's pension, on their first third-generation card.
    PensionBank,
    /// Only those the employer allowed.
    EmployerAllowed,
}

use CollectionMethod::*;

/// Route × channel → collection methods. A row with `None` is the route's default; a row with a channel
/// overrides it there (the Jingtong guide offers retirees branch pickup as well).
pub const COLLECTION_POLICY: &[(Route, Option<Channel>, &[CollectionMethod])] = &[
    (Route::Personal, None, &[BranchPickup, BankMail]),
    (Route::Retiree, None, &[BankMail]),
    (Route::Retiree, Some(Channel::Jingtong), &[BranchPickup, BankMail]),
    (Route::Minor, None, &[AgentBranchPickup]),
    (Route::Collective, None, &[EmployerCollection, BranchPickup, BankMail]),
];

pub const BANK_POLICY: &[(Route, BankRule)] = &[
    (Route::Personal, BankRule::Any),
    (Route::Retiree, BankRule::PensionBank),
    (Route::Minor, BankRule::Any),
    (Route::Collective, BankRule::EmployerAllowed),
];

/// The collection methods `route` allows on `channel`.
pub fn collection_methods(route: Route, channel: Channel) -> &'static [CollectionMethod] {
    COLLECTION_POLICY
        .iter()
        .find(|(r, c, _)| *r == route && *c == Some(channel))
        .or_else(|| COLLECTION_POLICY.iter().find(|(r, c, _)| *r == route && c.is_none()))
        .map(|(_, _, m)| *m)
        .unwrap_or(&[])
}

pub fn bank_rule(route: Route) -> BankRule {
    BANK_POLICY
        .iter()
        .find(|(r, _)| *r == route)
        .map(|(_, b)| *b)
        .unwrap_or(BankRule::Any)
}

/// Days from submission by which the card must be produced (handbook Q12).
pub const PRODUCTION_DAYS: i64 = 30;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_methods_hand_the_card_out_at_the_branch() {
        let at_branch: Vec<&str> = CollectionMethod::ALL
            .into_iter()
            .filter(|m| m.collected_at_branch())
            .map(|m| m.as_str())
            .collect();
        assert_eq!(at_branch, vec!["branch_pickup", "agent_branch_pickup"]);
    }

    #[test]
    fn the_collection_table_as_data() {
        use Channel::*;
        let rows: Vec<(Route, Channel, Vec<&str>)> = [
            (Route::Personal, Web),
            (Route::Personal, Minsheng),
            (Route::Retiree, Web),
            (Route::Retiree, Minsheng),
            (Route::Retiree, Jingtong),
            (Route::Minor, Jingtong),
            (Route::Collective, Web),
        ]
        .into_iter()
        .map(|(r, c)| (r, c, collection_methods(r, c).iter().map(|m| m.as_str()).collect()))
        .collect();
        assert_eq!(
            rows,
            vec![
                (Route::Personal, Web, vec!["branch_pickup", "bank_mail"]),
                (Route::Personal, Minsheng, vec!["branch_pickup", "bank_mail"]),
                (Route::Retiree, Web, vec!["bank_mail"]),
                (Route::Retiree, Minsheng, vec!["bank_mail"]),
                (Route::Retiree, Jingtong, vec!["branch_pickup", "bank_mail"]),
                (Route::Minor, Jingtong, vec!["agent_branch_pickup"]),
                (
                    Route::Collective,
                    Web,
                    vec!["employer_collection", "branch_pickup", "bank_mail"]
                ),
            ]
        );
    }

    #[test]
    fn every_route_has_a_default_row_and_a_bank_rule() {
        for r in [Route::Personal, Route::Retiree, Route::Minor, Route::Collective] {
            assert!(COLLECTION_POLICY
                .iter()
                .any(|(route, c, m)| *route == r && c.is_none() && !m.is_empty()));
            assert!(BANK_POLICY.iter().any(|(route, _)| *route == r));
        }
        assert_eq!(bank_rule(Route::Retiree), BankRule::PensionBank);
        for m in CollectionMethod::ALL {
            assert_eq!(CollectionMethod::parse(m.as_str()), Some(m));
        }
    }
}
