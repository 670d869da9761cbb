//! Conformance of the report store: applications submitted per Beijing day, by each breakdown, within the
//! half-open period asked for.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Duration;
use sscard_app::ports::*;
use sscard_testkit::fixtures::id;
use sscard_testkit::{both_engines, TestDb};

use crate::applications::{now, submitted};

both_engines!(
    applications_are_counted_per_beijing_day_and_group,
    |db: TestDb| async move {
        let store = db.store().await;
        let s = store.as_ref();
        for (n, app) in ["r1", "r2", "r3"].iter().enumerate() {
            submitted(
                s,
                app,
                &id(1980, 1, 1 + n as u32, 700 + n as u16),
                &format!("acc-{app}"),
            )
            .await;
        }
        // A draft never submitted is not counted.
        let midnight = now()
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_local_timezone(*now().offset())
            .unwrap();
        let until = midnight + Duration::days(1);
        let expect = |group: &str| {
            vec![DayCount {
                day: now().date_naive(),
                group: Some(group.to_string()),
                count: 3,
            }]
        };
        assert_eq!(
            s.applications_per_day(midnight, until, Breakdown::Route).await.unwrap(),
            expect("personal")
        );
        assert_eq!(
            s.applications_per_day(midnight, until, Breakdown::Channel)
                .await
                .unwrap(),
            expect("web")
        );
        assert_eq!(
            s.applications_per_day(midnight, until, Breakdown::Bank).await.unwrap(),
            expect("102")
        );
        assert_eq!(
            s.applications_per_day(midnight, until, Breakdown::District)
                .await
                .unwrap(),
            expect("110105")
        );
        // The period is half-open: ending at the submission's instant leaves it out; the day before has none.
        assert!(s
            .applications_per_day(midnight, now(), Breakdown::Route)
            .await
            .unwrap()
            .is_empty());
        let before = midnight - Duration::days(1);
        assert!(s
            .applications_per_day(before, midnight, Breakdown::Route)
            .await
            .unwrap()
            .is_empty());
    }
);
