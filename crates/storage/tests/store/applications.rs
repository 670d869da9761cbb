//! Conformance of the application and order stores: every test runs against SQLite and against PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use chrono::Duration;
use sscard_app::ports::*;
use sscard_domain::access::Channel;
use sscard_domain::account::{AccountKind, Username};
use sscard_domain::application::{
    Application, ApplicationEvent, ApplicationEventRecord, ApplicationForm, ApplicationState, Consent, ConsentKind,
    DocumentRef, Route,
};
use sscard_domain::documents::DocumentKind;
use sscard_domain::policy::CollectionMethod;
use sscard_domain::values::{IdNumber, Mobile};
use sscard_testkit::fixtures::*;
use sscard_testkit::{both_engines, TestDb};

pub(crate) fn now() -> chrono::DateTime<chrono::FixedOffset> {
    sscard_domain::clock::Clock::now(&sscard_testkit::fixed_clock())
}

async fn account(s: &dyn Store, id: &str) {
    s.create_account(
        &NewAccount {
            id: id.into(),
            kind: AccountKind::Resident,
            username: Some(Username::parse(id).unwrap()),
            mobile: None,
            display_name: id.into(),
            password_hash: None,
            created_at: now(),
        },
        None,
    )
    .await
    .unwrap()
    .unwrap();
}

fn draft(id: &str, person: &IdNumber, applicant: &str) -> Application {
    Application {
        id: id.into(),
        reference: format!("BJ{}", id.to_uppercase()),
        person: person.clone(),
        applicant: applicant.into(),
        route: Route::Personal,
        channel: Channel::Web,
        state: ApplicationState::Draft,
        form: ApplicationForm::default(),
        documents: BTreeMap::new(),
        created_at: now(),
        updated_at: now(),
        submitted_at: None,
        due_on: None,
        minor: None,
        employer: None,
    }
}

pub(crate) fn event(
    by: &str,
    event: ApplicationEvent,
    from: Option<ApplicationState>,
    to: ApplicationState,
) -> ApplicationEventRecord {
    ApplicationEventRecord {
        at: now(),
        event,
        from,
        to,
        actor: by.into(),
        channel: Channel::Web,
        note: None,
    }
}

fn complete_form() -> ApplicationForm {
    ApplicationForm {
        ethnicity: Some("01".into()),
        occupation: Some("2".into()),
        residence_district: Some("110105".into()),
        residence_address: Some("朝阳区某街1号".into()),
        mobile: Some(Mobile::parse("13800000001").unwrap()),
        bank: Some("102".into()),
        branch: Some("102-0101".into()),
        collection: Some(CollectionMethod::BranchPickup),
        mail: None,
    }
}

/// A draft of `person` by a new account `applicant`, completed and submitted with its order.
pub(crate) async fn submitted(s: &dyn Store, app: &str, person: &IdNumber, applicant: &str) -> String {
    account(s, applicant).await;
    let start = event(applicant, ApplicationEvent::Start, None, ApplicationState::Draft);
    s.create_application(&draft(app, person, applicant), &start)
        .await
        .unwrap()
        .unwrap();
    assert!(s.save_form(app, &complete_form(), now()).await.unwrap());
    let order = format!("order-{app}");
    let submission = Submission {
        submitted_at: now(),
        due_on: (now() + Duration::days(30)).date_naive(),
        key: Some(format!("key-{app}")),
        order: NewOrder {
            id: order.clone(),
            bank: "102".into(),
        },
    };
    let consent = Consent {
        account: applicant.into(),
        person: person.clone(),
        application: Some(app.into()),
        kind: ConsentKind::Commitment,
        text_version: "v1".into(),
        channel: Channel::Web,
        at: now(),
    };
    let submit = event(
        applicant,
        ApplicationEvent::Submit,
        Some(ApplicationState::Draft),
        ApplicationState::Submitted,
    );
    assert!(s
        .transition(
            app,
            ApplicationState::Draft,
            &submit,
            Some(&submission),
            Some(&consent),
            None
        )
        .await
        .unwrap());
    order
}

// One open application per person, even when two channels start one at the same moment.
both_engines!(
    one_open_application_per_person_even_concurrently,
    |db: TestDb| async move {
        let ctx = sscard_testkit::ready_context(&db).await;
        let s = ctx.store.clone();
        account(s.as_ref(), "alice").await;
        let person = id(1980, 5, 6, 71);
        let start = event("alice", ApplicationEvent::Start, None, ApplicationState::Draft);
        let (d1, d2) = (draft("a1", &person, "alice"), draft("a2", &person, "alice"));
        let (a, b) = tokio::join!(s.create_application(&d1, &start), s.create_application(&d2, &start));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(a.is_ok() ^ b.is_ok(), "exactly one: {a:?} {b:?}");
        let open = s.open_application_of(&person).await.unwrap().unwrap();
        assert_eq!(
            a.err().or(b.err()),
            Some(open.id.clone()),
            "the refused one is told which is open"
        );
        assert_eq!(s.applications_of("alice").await.unwrap().len(), 1);
        assert_eq!(s.events(&open.id).await.unwrap().len(), 1);
    }
);

// A draft takes its form and documents while editable; the submission writes state, event, consent and order
// together; once submitted the form is no longer saved and a second submission from the draft changes nothing.
both_engines!(
    a_submission_writes_its_event_consent_and_order_together,
    |db: TestDb| async move {
        let ctx = sscard_testkit::ready_context(&db).await;
        let s = ctx.store.as_ref();
        let person = id(1981, 6, 7, 72);
        let doc = DocumentRef {
            hash: "ab".repeat(32),
            media_type: "image/jpeg".into(),
            bytes: 1234,
        };
        account(s, "bob").await;
        let start = event("bob", ApplicationEvent::Start, None, ApplicationState::Draft);
        s.create_application(&draft("b1", &person, "bob"), &start)
            .await
            .unwrap()
            .unwrap();
        assert!(s
            .set_document("b1", DocumentKind::CardPhoto, &doc, now())
            .await
            .unwrap());
        assert!(s.document_of_applicant("bob", &doc.hash).await.unwrap());
        assert!(!s.document_of_applicant("someone-else", &doc.hash).await.unwrap());
        assert!(s.save_form("b1", &complete_form(), now()).await.unwrap());
        let submission = Submission {
            submitted_at: now(),
            due_on: (now() + Duration::days(30)).date_naive(),
            key: Some("k1".into()),
            order: NewOrder {
                id: "o-b1".into(),
                bank: "102".into(),
            },
        };
        let consent = Consent {
            account: "bob".into(),
            person: person.clone(),
            application: Some("b1".into()),
            kind: ConsentKind::Commitment,
            text_version: "v1".into(),
            channel: Channel::Web,
            at: now(),
        };
        let submit = event(
            "bob",
            ApplicationEvent::Submit,
            Some(ApplicationState::Draft),
            ApplicationState::Submitted,
        );
        assert!(s
            .transition(
                "b1",
                ApplicationState::Draft,
                &submit,
                Some(&submission),
                Some(&consent),
                None
            )
            .await
            .unwrap());
        let a = s.application("b1").await.unwrap().unwrap();
        assert_eq!(a.state, ApplicationState::Submitted);
        assert_eq!(a.documents.get(&DocumentKind::CardPhoto), Some(&doc));
        assert_eq!(a.due_on, Some(submission.due_on));
        assert_eq!(s.submit_key("b1").await.unwrap().as_deref(), Some("k1"));
        let events: Vec<ApplicationEvent> = s.events("b1").await.unwrap().into_iter().map(|e| e.event).collect();
        assert_eq!(events, vec![ApplicationEvent::Start, ApplicationEvent::Submit]);
        assert_eq!(s.consents_of_application("b1").await.unwrap().len(), 1);
        let orders = s.orders_of_application("b1").await.unwrap();
        assert_eq!((orders.len(), orders[0].current), (1, true));
        // Not editable any more, and the draft state it was read in is gone.
        assert!(!s.save_form("b1", &ApplicationForm::default(), now()).await.unwrap());
        assert!(!s
            .transition(
                "b1",
                ApplicationState::Draft,
                &submit,
                Some(&submission),
                Some(&consent),
                None
            )
            .await
            .unwrap());
        assert_eq!(s.orders_of_application("b1").await.unwrap().len(), 1, "no second order");
        assert_eq!(
            s.consents_of_application("b1").await.unwrap().len(),
            1,
            "no second consent"
        );
    }
);

// Concurrent pulls never share an order; a pull's orders come back when their lease runs out unacknowledged;
// a repeated key answers the same orders; a report acknowledges; the same report twice changes nothing.
both_engines!(
    pulls_lease_share_nothing_and_reports_apply_once,
    |db: TestDb| async move {
        let ctx = sscard_testkit::ready_context(&db).await;
        let s = ctx.store.clone();
        let mut orders = Vec::new();
        for i in 0..6u16 {
            let person = id(1970, 1, 1 + u32::from(i), 80 + i);
            orders.push(submitted(s.as_ref(), &format!("p{i}"), &person, &format!("user{i}")).await);
        }
        let pull = |actor: &str, key: Option<&str>, at| OrderPull {
            bank: "102".into(),
            limit: 4,
            at,
            actor: actor.into(),
            lease_until: at + Duration::minutes(10),
            key: key.map(str::to_string),
        };
        let (pa, pb) = (pull("bank", Some("ka"), now()), pull("bank", Some("kb"), now()));
        let (a, b) = tokio::join!(s.pull_orders(&pa), s.pull_orders(&pb));
        let (a, b) = (a.unwrap(), b.unwrap());
        let mut ids: Vec<String> = a.iter().chain(b.iter()).map(|o| o.id.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!((a.len() + b.len(), ids.len()), (6, 6), "each order once");
        assert!(s.pull_orders(&pull("bank", None, now())).await.unwrap().is_empty());
        // The same key: the same orders.
        let again = s.pull_orders(&pull("bank", Some("ka"), now())).await.unwrap();
        assert_eq!(
            again.iter().map(|o| &o.id).collect::<Vec<_>>(),
            a.iter().map(|o| &o.id).collect::<Vec<_>>()
        );
        // Another bank pulls nothing of 102's.
        let mut other = pull("bank", None, now());
        other.bank = "104".into();
        assert!(s.pull_orders(&other).await.unwrap().is_empty());
        // One order accepted, one acknowledged: after the lease, the other four come back.
        let accepted = &a[0];
        let accept = event(
            "bank",
            ApplicationEvent::BankAccept,
            Some(ApplicationState::SentToBank),
            ApplicationState::InProduction,
        );
        let write = s
            .apply_report(
                &accepted.id,
                ApplicationState::SentToBank,
                &accept,
                &ReportDetails::default(),
                None,
                None,
            )
            .await
            .unwrap();
        assert_eq!(write, ReportWrite::Done);
        // The same report again: the state it was read in is gone, nothing changes.
        let write = s
            .apply_report(
                &accepted.id,
                ApplicationState::SentToBank,
                &accept,
                &ReportDetails::default(),
                None,
                None,
            )
            .await
            .unwrap();
        assert_eq!(write, ReportWrite::StateChanged);
        assert_eq!(s.ack_orders("102", &[b[0].id.clone()], now()).await.unwrap(), 1);
        assert_eq!(
            s.ack_orders("104", &[b[1].id.clone()], now()).await.unwrap(),
            0,
            "another bank's"
        );
        let later = now() + Duration::minutes(11);
        let back = s
            .pull_orders(&OrderPull {
                limit: 10,
                ..pull("bank", None, later)
            })
            .await
            .unwrap();
        assert_eq!(back.len(), 4, "{back:?}");
        assert!(back.iter().all(|o| o.id != accepted.id && o.id != b[0].id));
        assert!(back
            .iter()
            .all(|o| o.lease_until == Some(later + Duration::minutes(10))));
        assert_eq!(orders.len(), 6);
    }
);

fn report(event_kind: ApplicationEvent, from: ApplicationState, to: ApplicationState) -> ApplicationEventRecord {
    event("bank", event_kind, Some(from), to)
}

// A card reported produced is found by number and by holder, collected once (activated when asked, the
// application closed), after which the person has a collected card; an order still in the bank's hands past its
// due date shows in the SLA report, and a collected one does not.
both_engines!(
    a_produced_card_is_collected_once_and_late_orders_are_reported,
    |db: TestDb| async move {
        let ctx = sscard_testkit::ready_context(&db).await;
        let s = ctx.store.as_ref();
        let (holder, late) = (id(1975, 3, 4, 91), id(1976, 4, 5, 92));
        let order = submitted(s, "c1", &holder, "carol").await;
        let late_order = submitted(s, "c2", &late, "dave").await;
        let pull = OrderPull {
            bank: "102".into(),
            limit: 10,
            at: now(),
            actor: "bank".into(),
            lease_until: now() + Duration::minutes(10),
            key: None,
        };
        assert_eq!(s.pull_orders(&pull).await.unwrap().len(), 2);
        let mut both = s
            .order_applications(&[order.clone(), late_order.clone()])
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect::<Vec<_>>();
        both.sort();
        assert_eq!(both, vec!["c1".to_string(), "c2".to_string()]);
        let accept = report(
            ApplicationEvent::BankAccept,
            ApplicationState::SentToBank,
            ApplicationState::InProduction,
        );
        for o in [&order, &late_order] {
            let w = s
                .apply_report(
                    o,
                    ApplicationState::SentToBank,
                    &accept,
                    &ReportDetails::default(),
                    None,
                    None,
                )
                .await
                .unwrap();
            assert_eq!(w, ReportWrite::Done);
        }
        let card = sscard_domain::card::Card {
            number: "BJ0000001".into(),
            holder: holder.clone(),
            generation: 3,
            bank: "102".into(),
            branch: Some("102-0101".into()),
            masked_account: "6217********0001".into(),
            issued_on: now().date_naive(),
            application: "c1".into(),
            social_security: sscard_domain::card::SocialSecurityState::PendingActivation,
            financial: sscard_domain::card::FinancialState::Inactive,
            loss_until: None,
            transport: sscard_domain::card::Transport::default(),
            park_pass_year: None,
            links: sscard_domain::card::CardLinks::default(),
        };
        let details = ReportDetails {
            card_number: Some(card.number.clone()),
            masked_account: Some(card.masked_account.clone()),
            ..ReportDetails::default()
        };
        let produce = report(
            ApplicationEvent::Produce,
            ApplicationState::InProduction,
            ApplicationState::Produced,
        );
        let w = s
            .apply_report(
                &order,
                ApplicationState::InProduction,
                &produce,
                &details,
                Some(&card),
                None,
            )
            .await
            .unwrap();
        assert_eq!(w, ReportWrite::Done);
        let stored = s.order(&order).await.unwrap().unwrap();
        assert_eq!(stored.card_number.as_deref(), Some("BJ0000001"));
        assert!(stored.acknowledged_at.is_some(), "a report acknowledges");
        assert!(s.order("no-such-order").await.unwrap().is_none());
        assert_eq!(s.card("BJ0000001").await.unwrap(), Some(card.clone()));
        assert_eq!(s.cards_of(&holder).await.unwrap(), vec![card.clone()]);
        assert!(s.cards_of(&late).await.unwrap().is_empty());
        let ready = report(
            ApplicationEvent::ReadyForPickup,
            ApplicationState::Produced,
            ApplicationState::ReadyForPickup,
        );
        let w = s
            .apply_report(
                &order,
                ApplicationState::Produced,
                &ready,
                &ReportDetails::default(),
                None,
                None,
            )
            .await
            .unwrap();
        assert_eq!(w, ReportWrite::Done);
        assert!(!s.has_collected_card(&holder).await.unwrap());
        let collect = event(
            "clerk",
            ApplicationEvent::Collect,
            Some(ApplicationState::ReadyForPickup),
            ApplicationState::Collected,
        );
        let (first, second) = (
            s.collect_card(
                "c1",
                ApplicationState::ReadyForPickup,
                &collect,
                &card.number,
                true,
                None,
            )
            .await
            .unwrap(),
            s.collect_card(
                "c1",
                ApplicationState::ReadyForPickup,
                &collect,
                &card.number,
                true,
                None,
            )
            .await
            .unwrap(),
        );
        assert_eq!((first, second), (true, false), "collected once");
        let collected = s.card("BJ0000001").await.unwrap().unwrap();
        assert_eq!(
            collected.social_security,
            sscard_domain::card::SocialSecurityState::Active
        );
        assert!(s.has_collected_card(&holder).await.unwrap());
        assert!(
            s.open_application_of(&holder).await.unwrap().is_none(),
            "no longer open"
        );
        let about = s.applications_about(&holder).await.unwrap();
        assert_eq!(
            about.iter().map(|a| a.state).collect::<Vec<_>>(),
            vec![ApplicationState::Collected]
        );
        // The SLA report: due in 30 days; a day after, only the order still in production is late.
        let due = (now() + Duration::days(30)).date_naive();
        assert!(
            s.overdue_orders(due).await.unwrap().is_empty(),
            "not late on its due date"
        );
        let rows = s.overdue_orders(due + Duration::days(1)).await.unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(
            (rows[0].bank.as_str(), rows[0].overdue, rows[0].oldest_due),
            ("102", 1, due)
        );
    }
);

// A minor's answers are saved while editable and drop the documents they no longer ask for; consents are
// recorded and the newest of a kind since a time is found.
both_engines!(
    a_minors_answers_drop_unasked_documents_and_consents_are_found,
    |db: TestDb| async move {
        let ctx = sscard_testkit::ready_context(&db).await;
        let s = ctx.store.as_ref();
        let (guardian, child) = (id(1985, 1, 2, 93), id(2015, 6, 7, 94));
        account(s, "erin").await;
        let mut a = draft("m1", &child, "erin");
        a.route = Route::Minor;
        let minor = sscard_domain::minor::MinorDetails {
            guardian: guardian.clone(),
            relationship: "parent".into(),
            id_type: sscard_domain::minor::ChildIdType::HouseholdBooklet,
            id_valid_from: None,
            id_valid_until: None,
            guardian_is_householder: Some(true),
            same_booklet: Some(false),
            cartoon_photo: false,
        };
        a.minor = Some(minor.clone());
        let start = event("erin", ApplicationEvent::Start, None, ApplicationState::Draft);
        s.create_application(&a, &start).await.unwrap().unwrap();
        let doc = DocumentRef {
            hash: "cd".repeat(32),
            media_type: "image/jpeg".into(),
            bytes: 99,
        };
        for kind in [DocumentKind::CardPhoto, DocumentKind::BookletFirstPage] {
            assert!(s.set_document("m1", kind, &doc, now()).await.unwrap());
        }
        let changed = sscard_domain::minor::MinorDetails {
            same_booklet: Some(true),
            cartoon_photo: true,
            ..minor.clone()
        };
        assert!(s
            .save_minor("m1", &changed, &[DocumentKind::CardPhoto], now())
            .await
            .unwrap());
        let stored = s.application("m1").await.unwrap().unwrap();
        assert_eq!(stored.minor, Some(changed.clone()));
        assert_eq!(
            stored.documents.keys().copied().collect::<Vec<_>>(),
            vec![DocumentKind::CardPhoto],
            "the booklet page it no longer asks for is gone"
        );
        assert_eq!(s.applications_about(&child).await.unwrap().len(), 1);
        assert!(s.applications_about(&guardian).await.unwrap().is_empty());
        // Not a draft any more: nothing saved.
        let withdraw = event(
            "erin",
            ApplicationEvent::Withdraw,
            Some(ApplicationState::Draft),
            ApplicationState::Withdrawn,
        );
        assert!(s
            .transition("m1", ApplicationState::Draft, &withdraw, None, None, None)
            .await
            .unwrap());
        assert!(!s.save_minor("m1", &minor, &[], now()).await.unwrap());
        assert_eq!(s.application("m1").await.unwrap().unwrap().minor, Some(changed));
        // Consents: the newest of a kind since a time.
        let consent = |at, version: &str| Consent {
            account: "erin".into(),
            person: guardian.clone(),
            application: None,
            kind: ConsentKind::AccessAuthorisation,
            text_version: version.into(),
            channel: Channel::Web,
            at,
        };
        s.record_consent(&consent(now() - Duration::days(2), "v1"))
            .await
            .unwrap();
        s.record_consent(&consent(now() - Duration::hours(1), "v2"))
            .await
            .unwrap();
        let newest = s
            .latest_consent("erin", ConsentKind::AccessAuthorisation, now() - Duration::days(1))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(newest.text_version, "v2");
        assert!(s
            .latest_consent("erin", ConsentKind::AccessAuthorisation, now() - Duration::minutes(1))
            .await
            .unwrap()
            .is_none());
        assert!(s
            .latest_consent("erin", ConsentKind::Commitment, now() - Duration::days(3))
            .await
            .unwrap()
            .is_none());
    }
);
