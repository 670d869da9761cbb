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

fn now() -> chrono::DateTime<chrono::FixedOffset> {
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

fn event(
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
async fn submitted(s: &dyn Store, app: &str, person: &IdNumber, applicant: &str) -> String {
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
