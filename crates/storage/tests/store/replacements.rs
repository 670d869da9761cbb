//! Conformance of the replacement store on SQLite and PostgreSQL: a replacement ordered with its card's change
//! (once), pulled at least once and never by two pulls, reported on once with the new card linked both ways, the
//! SLA's late replacements, bank changes, the printed-field flag, suspensions, and the calendar loaded per year.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, NaiveDate};
use sscard_app::ports::*;
use sscard_domain::calendar::{CalendarDay, DayKind, DueDate};
use sscard_domain::card::channels::Service;
use sscard_domain::card::replacement::{PrintedField, ReplacementCause, ReplacementState};
use sscard_domain::card::{Card, FinancialState as F, SocialSecurityState as S};
use sscard_testkit::fixtures::*;
use sscard_testkit::{both_engines, TestDb};

use crate::applications::now;
use crate::cards::{produced, write};

fn order(id: &str, card: &Card, state: ReplacementState) -> ReplacementOrder {
    ReplacementOrder {
        id: id.into(),
        card: card.number.clone(),
        holder: card.holder.clone(),
        application: card.application.clone(),
        bank: card.bank.clone(),
        branch: "102-0101".into(),
        cause: ReplacementCause::Damaged,
        state,
        instant: false,
        created_at: now(),
        due: DueDate {
            date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            provisional: false,
        },
        pulled_at: None,
        lease_until: None,
        acknowledged_at: None,
        new_card: None,
        masked_account: None,
        tracking_number: None,
        reject_reason: None,
    }
}

/// Asks for a replacement of `card` (a 换领: its states stay) under order `id`.
async fn ask(s: &dyn Store, card: &Card, id: &str) -> CardWriteOutcome {
    let mut w = write(
        &card.number,
        Service::Replacement,
        (card.social_security, card.social_security),
        (card.financial, card.financial),
        None,
        now(),
    );
    w.replacement = Some(order(id, card, ReplacementState::Ordered));
    s.write_card_change(&w).await.unwrap()
}

fn pull(key: Option<&str>, limit: u32, at: chrono::DateTime<chrono::FixedOffset>) -> OrderPull {
    OrderPull {
        bank: "102".into(),
        limit,
        at,
        actor: "bank".into(),
        lease_until: at + Duration::minutes(10),
        key: key.map(str::to_string),
    }
}

both_engines!(
    a_replacement_is_ordered_once_pulled_at_least_once_and_made_once,
    |db: TestDb| async move {
        let ctx = sscard_testkit::ready_context(&db).await;
        let s = ctx.store.as_ref();
        let holder = id(1970, 2, 3, 41);
        let card = produced(s, "a1", &holder, "ann", "R0000001").await;
        assert_eq!(ask(s, &card, "r1").await, CardWriteOutcome::Done);
        // A second request for the same card writes nothing, its record neither.
        assert_eq!(ask(s, &card, "r2").await, CardWriteOutcome::StateChanged);
        assert!(s.replacement_order("r2").await.unwrap().is_none());
        let marked = s.card("R0000001").await.unwrap().unwrap();
        assert_eq!(marked.links.replacement_order.as_deref(), Some("r1"));
        assert_eq!(s.card_transitions("R0000001").await.unwrap().len(), 1);

        // Two pulls at once never share it; a pull asked again with its key answers it again.
        let (p1, p2) = (pull(Some("k1"), 10, now()), pull(Some("k2"), 10, now()));
        let (a, b) = tokio::join!(s.pull_replacements(&p1), s.pull_replacements(&p2));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.len() + b.len(), 1, "{a:?} {b:?}");
        let key = if a.is_empty() { "k2" } else { "k1" };
        let again = s.pull_replacements(&pull(Some(key), 10, now())).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].state, ReplacementState::SentToBank);
        // Unacknowledged, it comes back after the lease; acknowledged, never again.
        let later = now() + Duration::minutes(11);
        assert_eq!(s.pull_replacements(&pull(None, 10, later)).await.unwrap().len(), 1);
        assert_eq!(s.ack_replacements("102", &["r1".into()], later).await.unwrap(), 1);
        assert_eq!(s.ack_replacements("102", &["r1".into()], later).await.unwrap(), 0);
        let muchlater = later + Duration::minutes(11);
        assert!(s
            .pull_replacements(&pull(None, 10, muchlater))
            .await
            .unwrap()
            .is_empty());

        // Reports: conditional on the state read; produced creates the new card linked both ways.
        let report = |from, to, new_card: Option<Card>| ReplacementReport {
            order: "r1".into(),
            from,
            to,
            at: later,
            details: ReportDetails {
                card_number: new_card.as_ref().map(|c| c.number.clone()),
                masked_account: new_card.as_ref().map(|c| c.masked_account.clone()),
                ..ReportDetails::default()
            },
            new_card,
            notify: None,
            acknowledges: false,
        };
        use ReplacementState as R;
        assert_eq!(
            s.apply_replacement_report(&report(R::SentToBank, R::InProduction, None))
                .await
                .unwrap(),
            ReportWrite::Done
        );
        assert_eq!(
            s.apply_replacement_report(&report(R::SentToBank, R::InProduction, None))
                .await
                .unwrap(),
            ReportWrite::StateChanged
        );
        let mut new = card.clone();
        new.number = "R0000002".into();
        new.links = sscard_domain::card::CardLinks {
            replaces: Some(card.number.clone()),
            ..Default::default()
        };
        let mut taken = new.clone();
        taken.number = "R0000001".into();
        assert_eq!(
            s.apply_replacement_report(&report(R::InProduction, R::Produced, Some(taken)))
                .await
                .unwrap(),
            ReportWrite::CardNumberTaken
        );
        assert_eq!(
            s.replacement_order("r1").await.unwrap().unwrap().state,
            R::InProduction,
            "nothing written"
        );
        assert_eq!(
            s.apply_replacement_report(&report(R::InProduction, R::Produced, Some(new)))
                .await
                .unwrap(),
            ReportWrite::Done
        );
        let new = s.card("R0000002").await.unwrap().unwrap();
        assert_eq!(
            (new.links.replaces.as_deref(), new.social_security, new.financial),
            (Some("R0000001"), S::PendingActivation, F::Inactive)
        );
        let old = s.card("R0000001").await.unwrap().unwrap();
        assert_eq!(old.links.replaced_by.as_deref(), Some("R0000002"));
        let listed = s.replacements_of_card("R0000001").await.unwrap();
        assert_eq!((listed.len(), listed[0].new_card.as_deref()), (1, Some("R0000002")));

        // The new card's activation retires the old one in the same write, or writes nothing.
        let mut w = write(
            "R0000002",
            Service::Activation,
            (S::PendingActivation, S::Active),
            (F::Inactive, F::Inactive),
            None,
            later,
        );
        let mut retire = write(
            "R0000001",
            Service::Replacement,
            (S::Cancelled, S::Cancelled),
            (F::Inactive, F::Cancelled),
            None,
            later,
        )
        .transition;
        w.retire = Some(RetiredCard {
            transition: retire.clone(),
            bank_event: ("e1".into(), "102".into()),
        });
        assert_eq!(
            s.write_card_change(&w).await.unwrap(),
            CardWriteOutcome::StateChanged,
            "the old card is not cancelled"
        );
        assert_eq!(
            s.card("R0000002").await.unwrap().unwrap().social_security,
            S::PendingActivation
        );
        retire.social_security = (S::PendingActivation, S::Cancelled);
        w.retire = Some(RetiredCard {
            transition: retire,
            bank_event: ("e1".into(), "102".into()),
        });
        assert_eq!(s.write_card_change(&w).await.unwrap(), CardWriteOutcome::Done);
        let old = s.card("R0000001").await.unwrap().unwrap();
        assert_eq!((old.social_security, old.financial), (S::Cancelled, F::Cancelled));
        let events = s
            .pull_card_events(&CardEventPull {
                bank: "102".into(),
                limit: 10,
                at: later,
                lease_until: later + Duration::minutes(10),
                actor: "bank".into(),
            })
            .await
            .unwrap();
        assert!(
            events.iter().any(|e| e.id == "e1" && e.card == "R0000001"),
            "{events:?}"
        );
    }
);

both_engines!(
    late_replacements_bank_changes_flags_and_suspensions_are_found,
    |db: TestDb| async move {
        let ctx = sscard_testkit::ready_context(&db).await;
        let s = ctx.store.as_ref();
        let holder = id(1971, 3, 4, 51);
        let card = produced(s, "b1", &holder, "bob", "R0000011").await;
        assert_eq!(ask(s, &card, "r11").await, CardWriteOutcome::Done);
        let due = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert!(
            s.overdue_replacements(due).await.unwrap().is_empty(),
            "due today is not late"
        );
        let late = s.overdue_replacements(due + chrono::Days::new(1)).await.unwrap();
        // (No branch table here: the district of an unknown branch is empty, as for applications.)
        assert_eq!(
            late,
            vec![SlaRow {
                bank: "102".into(),
                district: "".into(),
                overdue: 1,
                oldest_due: due
            }]
        );
        // A provisional due date is found and set.
        let provisional = DueDate {
            date: due,
            provisional: true,
        };
        s.set_replacement_due("r11", provisional).await.unwrap();
        assert_eq!(
            s.provisional_replacements().await.unwrap(),
            vec![("r11".to_string(), now().date_naive())]
        );
        s.set_replacement_due(
            "r11",
            DueDate {
                date: due,
                provisional: false,
            },
        )
        .await
        .unwrap();
        assert!(s.provisional_replacements().await.unwrap().is_empty());

        // The last bank change of the holder, over any of their cards.
        assert_eq!(s.last_bank_change(&holder).await.unwrap(), None);
        let w = write(
            &card.number,
            Service::BankChange,
            (S::PendingActivation, S::Cancelled),
            (F::Inactive, F::Cancelled),
            None,
            now(),
        );
        assert_eq!(s.write_card_change(&w).await.unwrap(), CardWriteOutcome::Done);
        assert_eq!(s.last_bank_change(&holder).await.unwrap(), Some(now()));
        let changed = s
            .bank_changed_cards(&[holder.as_str().to_string(), id(1990, 1, 1, 11).as_str().to_string()])
            .await
            .unwrap();
        assert_eq!(changed, vec![(holder.as_str().to_string(), card.number.clone())]);

        // The printed-field flag: live cards not already being replaced; fields added, never twice.
        let carol = id(1972, 4, 5, 61);
        let live = produced(s, "c1", &carol, "carol", "R0000021").await;
        let flag = |fields: Vec<PrintedField>| PrintedFieldFlag {
            holder: carol.clone(),
            fields,
            at: now(),
        };
        assert_eq!(
            s.flag_printed_fields(&flag(vec![PrintedField::Name])).await.unwrap(),
            vec![live.number.clone()]
        );
        s.flag_printed_fields(&flag(vec![PrintedField::Gender, PrintedField::Name]))
            .await
            .unwrap();
        assert_eq!(
            s.card(&live.number).await.unwrap().unwrap().links.replacement_required,
            vec![PrintedField::Name, PrintedField::Gender]
        );
        // The first holder's card is cancelled: nothing to flag.
        let none = PrintedFieldFlag {
            holder: holder.clone(),
            fields: vec![PrintedField::Name],
            at: now(),
        };
        assert!(s.flag_printed_fields(&none).await.unwrap().is_empty());
        let rows = csv(REGISTRY_HEADER, &[individual_row(&carol, "林卡")]);
        sscard_app::import::import_csv(&ctx, sscard_app::import::ImportKind::Registry, rows.as_bytes())
            .await
            .unwrap();
        let among = s
            .card_holder_records(&[carol.as_str().to_string(), id(1990, 1, 1, 11).as_str().to_string()])
            .await
            .unwrap();
        assert_eq!(
            among.iter().map(|p| p.id_number.clone()).collect::<Vec<_>>(),
            vec![carol.clone()]
        );

        // Suspensions: cancelled at or before the cut, financial not cancelled, not yet suspended.
        let w = write(
            &live.number,
            Service::Cancellation,
            (S::PendingActivation, S::Cancelled),
            (F::Inactive, F::Inactive),
            None,
            now(),
        );
        s.write_card_change(&w).await.unwrap();
        assert!(s
            .due_suspensions(now() - Duration::days(1), 10)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(s.due_suspensions(now(), 10).await.unwrap(), vec![live.number.clone()]);
        let mut suspended = write(
            &live.number,
            Service::Cancellation,
            (S::Cancelled, S::Cancelled),
            (F::Inactive, F::Inactive),
            Some("non_counter_suspended"),
            now(),
        );
        suspended.transition.reason = sscard_domain::card::lifecycle::Reason::NonCounterSuspended;
        s.write_card_change(&suspended).await.unwrap();
        assert!(s.due_suspensions(now(), 10).await.unwrap().is_empty());
    }
);

both_engines!(
    a_calendar_year_is_loaded_whole_and_replaces_what_was_there,
    |db: TestDb| async move {
        let ctx = sscard_testkit::ready_context(&db).await;
        let s = ctx.store.as_ref();
        let seeded = s.calendar_years().await.unwrap();
        assert_eq!(
            seeded.iter().map(|(y, ..)| *y).collect::<Vec<_>>(),
            vec![2024, 2025, 2026]
        );
        let d = |m, day| NaiveDate::from_ymd_opt(2027, m, day).unwrap();
        let day = |date, kind| CalendarDay {
            date,
            kind,
            name: "x".into(),
        };
        s.load_calendar(
            &[2027],
            &[day(d(1, 1), DayKind::Holiday), day(d(2, 6), DayKind::Workday)],
            "admin",
            now(),
        )
        .await
        .unwrap();
        s.load_calendar(&[2027], &[day(d(1, 1), DayKind::Holiday)], "admin2", now())
            .await
            .unwrap();
        let days: Vec<CalendarDay> = s
            .calendar_days()
            .await
            .unwrap()
            .into_iter()
            .filter(|x| chrono::Datelike::year(&x.date) == 2027)
            .collect();
        assert_eq!(days, vec![day(d(1, 1), DayKind::Holiday)], "the year replaced whole");
        let years = s.calendar_years().await.unwrap();
        assert_eq!(
            years.last().map(|(y, _, by)| (*y, by.clone())),
            Some((2027, "admin2".to_string()))
        );
    }
);
