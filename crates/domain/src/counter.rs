//! Card pickup at a bank branch's counter (SPEC §7.1, issue 7): who may collect a card. An adult collects
//! their own; a minor's card is collected by a guardian listed in the household register (代办人网点领卡).

use chrono::NaiveDate;
use serde::Serialize;

use crate::minor::is_minor;
use crate::registry::Guardianship;
use crate::values::IdNumber;

/// Who is at the counter to collect the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Collector {
    Holder,
    Guardian { id_number: IdNumber },
}

/// Why the clerk may not hand the card to this collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum CollectorRefusal {
    #[error("the holder is under 18: a listed guardian collects the card")]
    GuardianRequired,
    #[error("the person collecting is not a guardian of the holder in the household register")]
    NotGuardian,
    #[error("the holder is an adult and collects the card in person")]
    HolderMustCollect,
}

impl CollectorRefusal {
    pub fn code(self) -> &'static str {
        match self {
            CollectorRefusal::GuardianRequired => "guardian_required",
            CollectorRefusal::NotGuardian => "not_guardian",
            CollectorRefusal::HolderMustCollect => "holder_must_collect",
        }
    }
}

/// Whether `collector` may collect the card of `holder` on `today`, given the holder's guardians.
pub fn may_collect(
    holder: &IdNumber,
    today: NaiveDate,
    collector: &Collector,
    guardians: &[Guardianship],
) -> Result<(), CollectorRefusal> {
    match (is_minor(holder, today), collector) {
        (false, Collector::Holder) => Ok(()),
        (false, Collector::Guardian { .. }) => Err(CollectorRefusal::HolderMustCollect),
        (true, Collector::Holder) => Err(CollectorRefusal::GuardianRequired),
        (true, Collector::Guardian { id_number }) => {
            if guardians.iter().any(|g| &g.guardian == id_number && &g.child == holder) {
                Ok(())
            } else {
                Err(CollectorRefusal::NotGuardian)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adults_collect_their_own_and_minors_through_a_listed_guardian() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let adult = IdNumber::compose("110105", NaiveDate::from_ymd_opt(1980, 1, 1).unwrap(), 11, today).unwrap();
        let child = IdNumber::compose("110105", NaiveDate::from_ymd_opt(2015, 1, 1).unwrap(), 12, today).unwrap();
        let parent = IdNumber::compose("110105", NaiveDate::from_ymd_opt(1985, 1, 1).unwrap(), 13, today).unwrap();
        let stranger = IdNumber::compose("110105", NaiveDate::from_ymd_opt(1986, 1, 1).unwrap(), 15, today).unwrap();
        let links = [Guardianship {
            guardian: parent.clone(),
            child: child.clone(),
            relationship: "51".into(),
            guardian_is_householder: true,
            same_booklet: true,
        }];
        let as_guardian = |g: &IdNumber| Collector::Guardian { id_number: g.clone() };
        let cases = [
            (&adult, Collector::Holder, Ok(())),
            (&adult, as_guardian(&parent), Err("holder_must_collect")),
            (&child, Collector::Holder, Err("guardian_required")),
            (&child, as_guardian(&parent), Ok(())),
            (&child, as_guardian(&stranger), Err("not_guardian")),
        ];
        for (holder, collector, expected) in cases {
            assert_eq!(
                may_collect(holder, today, &collector, &links).map_err(|e| e.code()),
                expected,
                "{collector:?}"
            );
        }
        // On the 18th birthday the young adult collects in person.
        let eighteen = IdNumber::compose("110105", NaiveDate::from_ymd_opt(2008, 11, 21).unwrap(), 17, today).unwrap();
        assert_eq!(may_collect(&eighteen, today, &Collector::Holder, &links), Ok(()));
    }
}
