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

both_engines!(
    the_daily_counts_place_each_record_in_its_group_and_day,
    |db: TestDb| async move {
        let store = db.store().await;
        let s = store.as_ref();
        for (n, app) in ["p1", "p2"].iter().enumerate() {
            submitted(
                s,
                app,
                &id(1981, 2, 1 + n as u32, 800 + n as u16),
                &format!("acc-{app}"),
            )
            .await;
        }
        for (i, mobile) in ["13900000001", "13900000002", "13900000003"].iter().enumerate() {
            s.enqueue_sms(&SmsMessage {
                id: format!("m{i}"),
                mobile: sscard_domain::values::Mobile::parse(mobile).unwrap(),
                body: "x".into(),
                created_at: now(),
                attempts: 0,
            })
            .await
            .unwrap();
        }
        s.mark_sms_sent("m0", now()).await.unwrap();
        s.mark_sms_failed("m1", "gateway down", now() + Duration::minutes(1))
            .await
            .unwrap();
        let today = now().date_naive();
        let midnight = today
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_local_timezone(*now().offset())
            .unwrap();
        let until = midnight + Duration::days(1);
        let count = |group: &str, count: u64| DayCount {
            day: today,
            group: Some(group.to_string()),
            count,
        };
        assert_eq!(
            s.daily_counts(midnight, until, Counted::Sms, today).await.unwrap(),
            vec![count("failed", 1), count("queued", 1), count("sent", 1)]
        );
        // Production is judged as of the day given: in time now, overdue 31 days later.
        assert_eq!(
            s.daily_counts(midnight, until, Counted::Production, today)
                .await
                .unwrap(),
            vec![count("in_time", 2)]
        );
        let later = today + Duration::days(31);
        assert_eq!(
            s.daily_counts(midnight, until, Counted::Production, later)
                .await
                .unwrap(),
            vec![count("overdue", 2)]
        );
        // Nothing of the others today; nothing at all the day before.
        for c in [Counted::Replacements, Counted::Employers, Counted::Services] {
            assert!(
                s.daily_counts(midnight, until, c, today).await.unwrap().is_empty(),
                "{c:?}"
            );
        }
        let before = midnight - Duration::days(1);
        assert!(s
            .daily_counts(before, midnight, Counted::Sms, today)
            .await
            .unwrap()
            .is_empty());
    }
);
