//! The route an application takes (SPEC §5.1): one's own card as an individual or a retiree, a child's card
//! through a guardian, or an employee's through their employer. Eligibility decides it; the policy tables
//! (collection methods, the bank rule) and the document matrix are keyed by it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    Personal,
    Retiree,
    Minor,
    Collective,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Personal => "personal",
            Route::Retiree => "retiree",
            Route::Minor => "minor",
            Route::Collective => "collective",
        }
    }
    pub fn parse(s: &str) -> Option<Route> {
        [Route::Personal, Route::Retiree, Route::Minor, Route::Collective]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in [Route::Personal, Route::Retiree, Route::Minor, Route::Collective] {
            assert_eq!(Route::parse(r.as_str()), Some(r));
        }
        assert_eq!(Route::parse("tourist"), None);
    }
}
