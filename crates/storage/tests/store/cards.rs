//! Conformance of the card store: every test runs against SQLite and against PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Duration;
use sscard_app::ports::*;
use sscard_domain::access::{Channel, Role};
use sscard_domain::application::{ApplicationEvent, ApplicationState};
use sscard_domain::audit::{AuditAction, AuditEntry, Outcome};
use sscard_domain::card::channels::{Acting, Service};
use sscard_domain::card::lifecycle::Reason;
use sscard_domain::card::transition::{Actor, CardTransition};
use sscard_domain::card::{Card, FinancialState as F, SocialSecurityState as S};
use sscard_domain::values::IdNumber;
use sscard_testkit::fixtures::*;
use sscard_testkit::{both_engines, TestDb};

use crate::applications::{event, now, submitted};

/// A card produced for `person` (applied for by a new account `applicant`), pending activation.
pub(crate) async fn produced(s: &dyn Store, app: &str, person: &IdNumber, applicant: &str, number: &str) -> Card {
    let order = submitted(s, app, person, applicant).await;
    let pull = OrderPull {
        bank: "102".into(),
        limit: 100,
        at: now(),
        actor: "bank".into(),
        lease_until: now() + Duration::minutes(10),
        key: None,
    };
    s.pull_orders(&pull).await.unwrap();
    let bank = |e, from, to| event("bank", e, Some(from), to);
    let accept = bank(
        ApplicationEvent::BankAccept,
        ApplicationState::SentToBank,
        ApplicationState::InProduction,
    );
    let none = ReportDetails::default();
    let w = s
        .apply_report(&order, ApplicationState::SentToBank, &accept, &none, None, None)
        .await
        .unwrap();
    assert_eq!(w, ReportWrite::Done);
    let card = Card {
        number: number.into(),
        holder: person.clone(),
        generation: 3,
        bank: "102".into(),
        branch: Some("102-0101".into()),
        masked_account: "6217********0001".into(),
        issued_on: now().date_naive(),
        application: app.into(),
        social_security: S::PendingActivation,
        financial: F::Inactive,
        loss_until: None,
        transport: sscard_domain::card::Transport::default(),
        park_pass_year: None,
        links: sscard_domain::card::CardLinks::default(),
    };
    let details = ReportDetails {
        card_number: Some(number.into()),
        masked_account: Some(card.masked_account.clone()),
        ..ReportDetails::default()
    };
    let produce = bank(
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
    card
}

fn holder_actor(account: &str) -> Actor {
    Actor {
        role: Some(Role::Resident),
        account: account.into(),
        acting: Acting::Holder,
        agent: None,
    }
}

/// A write of `service` moving the card from `ss`/`fin` to `ss_to`/`fin_to`.
pub(crate) fn write(
    card: &str,
    service: Service,
    ss: (S, S),
    fin: (F, F),
    key: Option<&str>,
    at: chrono::DateTime<chrono::FixedOffset>,
) -> CardWrite {
    CardWrite {
        replacement: None,
        retire: None,
        fields: None,
        transition: CardTransition {
            card: card.into(),
            at,
            service,
            social_security: ss,
            financial: fin,
            reason: Reason::Requested,
            reason_text: None,
            channel: Some(Channel::Web),
            actor: holder_actor("holder"),
            place: None,
            key: key.map(str::to_string),
        },
        loss_until: None,
        password_hash: None,
        bank_event: None,
        notify: None,
        ends_legacy_medical: false,
        info: None,
        audit: None,
    }
}

fn sms(id: &str) -> SmsMessage {
    SmsMessage {
        id: id.into(),
        mobile: sscard_domain::values::Mobile::parse("13800000001").unwrap(),
        body: "您的社保卡状态已变更。".into(),
        created_at: now(),
        attempts: 0,
    }
}

fn audit(action: AuditAction, record: &str) -> AuditEntry {
    AuditEntry {
        at: now(),
        actor: Some("holder".into()),
        role: Some(Role::Resident),
        channel: Channel::Web,
        organisation: None,
        action,
        record: Some(record.into()),
        subject_person: None,
        purpose: None,
        outcome: Outcome::Success,
        ip: None,
    }
}

// A change is written with its record, text, bank event, legacy end and audit entry, once: the same key again
// writes nothing, and a change read from a state the card has left writes nothing.
both_engines!(a_change_is_written_whole_and_once, |db: TestDb| async move {
    let ctx = sscard_testkit::ready_context(&db).await;
    let s = ctx.store.as_ref();
    let person = id(1970, 2, 3, 41);
    produced(s, "k1", &person, "kim", "C0000001").await;
    let sms_before = s.pending_sms().await.unwrap();
    let mut activate = write(
        "C0000001",
        Service::Activation,
        (S::PendingActivation, S::Active),
        (F::Inactive, F::Inactive),
        Some("key-1"),
        now(),
    );
    activate.notify = Some(sms("m1"));
    activate.ends_legacy_medical = true;
    activate.audit = Some(audit(AuditAction::StateChanged, "card:C0000001"));
    assert!(s.legacy_medical_ended(&person).await.unwrap().is_none());
    assert_eq!(s.write_card_change(&activate).await.unwrap(), CardWriteOutcome::Done);
    assert_eq!(s.card("C0000001").await.unwrap().unwrap().social_security, S::Active);
    assert_eq!(s.legacy_medical_ended(&person).await.unwrap(), Some(now()));
    assert_eq!(s.pending_sms().await.unwrap(), sms_before + 1);
    let recorded = s.card_transitions("C0000001").await.unwrap();
    assert_eq!(recorded, vec![activate.transition.clone()]);
    assert_eq!(
        s.card_transition_by_key("C0000001", "key-1").await.unwrap(),
        Some(activate.transition.clone())
    );
    assert!(s.card_transition_by_key("C0000001", "other").await.unwrap().is_none());
    // The same request again, and a stale one: nothing more.
    assert_eq!(s.write_card_change(&activate).await.unwrap(), CardWriteOutcome::KeyUsed);
    activate.transition.key = Some("key-2".into());
    assert_eq!(
        s.write_card_change(&activate).await.unwrap(),
        CardWriteOutcome::StateChanged
    );
    assert_eq!(s.card_transitions("C0000001").await.unwrap().len(), 1);
    assert_eq!(s.pending_sms().await.unwrap(), sms_before + 1);
    // A loss sets its end and tells the bank; another card's key is its own.
    let mut lose = write(
        "C0000001",
        Service::TemporaryLoss,
        (S::Active, S::TempLoss),
        (F::Inactive, F::Inactive),
        Some("key-1-elsewhere"),
        now(),
    );
    lose.loss_until = Some(now() + Duration::days(15));
    lose.bank_event = Some(("ev-1".into(), "102".into()));
    assert_eq!(s.write_card_change(&lose).await.unwrap(), CardWriteOutcome::Done);
    let card = s.card("C0000001").await.unwrap().unwrap();
    assert_eq!((card.social_security, card.loss_until), (S::TempLoss, lose.loss_until));
    // Two writers racing from the same state: one wins.
    let release = |key: &str| {
        write(
            "C0000001",
            Service::Release,
            (S::TempLoss, S::Active),
            (F::Inactive, F::Inactive),
            Some(key),
            now(),
        )
    };
    let (a, b) = (release("r-a"), release("r-b"));
    let (x, y) = tokio::join!(s.write_card_change(&a), s.write_card_change(&b));
    let mut outcomes = vec![x.unwrap(), y.unwrap()];
    outcomes.sort_by_key(|o| format!("{o:?}"));
    assert_eq!(outcomes, vec![CardWriteOutcome::Done, CardWriteOutcome::StateChanged]);
    let card = s.card("C0000001").await.unwrap().unwrap();
    assert_eq!((card.social_security, card.loss_until), (S::Active, None));
    assert_eq!(s.card_transitions("C0000001").await.unwrap().len(), 3);
});

// Wrong tries are counted (each with its audit entry) and forgotten by a right password below the lock, never
// at it; a new hash forgets them.
both_engines!(
    password_tries_count_lock_and_a_new_hash_forgets_them,
    |db: TestDb| async move {
        let ctx = sscard_testkit::ready_context(&db).await;
        let s = ctx.store.as_ref();
        produced(s, "k2", &id(1971, 3, 4, 42), "lee", "C0000002").await;
        assert_eq!(
            s.card_secret("C0000002").await.unwrap(),
            Some(CardSecret {
                hash: None,
                failures: 0
            })
        );
        assert!(s.card_secret("nope").await.unwrap().is_none());
        let wrong = audit(AuditAction::CardPasswordFailed, "card:C0000002");
        assert_eq!(s.record_password_failure("C0000002", &wrong).await.unwrap(), 1);
        assert_eq!(s.record_password_failure("C0000002", &wrong).await.unwrap(), 2);
        s.clear_password_failures("C0000002", 5).await.unwrap();
        assert_eq!(s.card_secret("C0000002").await.unwrap().unwrap().failures, 0);
        for n in 1..=5 {
            assert_eq!(s.record_password_failure("C0000002", &wrong).await.unwrap(), n);
        }
        s.clear_password_failures("C0000002", 5).await.unwrap();
        assert_eq!(
            s.card_secret("C0000002").await.unwrap().unwrap().failures,
            5,
            "locked stays locked"
        );
        let failed = s
            .recent_audit(Some("holder"), 50)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == AuditAction::CardPasswordFailed)
            .count();
        assert_eq!(failed, 7, "every wrong try recorded");
        let mut reset = write(
            "C0000002",
            Service::PasswordReset,
            (S::PendingActivation, S::PendingActivation),
            (F::Inactive, F::Inactive),
            None,
            now(),
        );
        reset.password_hash = Some("$argon2id$new".into());
        assert_eq!(s.write_card_change(&reset).await.unwrap(), CardWriteOutcome::Done);
        assert_eq!(
            s.card_secret("C0000002").await.unwrap(),
            Some(CardSecret {
                hash: Some("$argon2id$new".into()),
                failures: 0
            })
        );
    }
);

// Due temporary losses are released once each, even by two jobs at once, each with a system record and a text;
// a loss not yet due stays.
both_engines!(
    due_losses_are_released_once_by_concurrent_jobs,
    |db: TestDb| async move {
        let ctx = sscard_testkit::ready_context(&db).await;
        let s = ctx.store.clone();
        for i in 0..5u16 {
            let number = format!("D000000{i}");
            produced(
                s.as_ref(),
                &format!("d{i}"),
                &id(1960, 1, 1 + u32::from(i), 50 + i),
                &format!("dee{i}"),
                &number,
            )
            .await;
            let activate = write(
                &number,
                Service::Activation,
                (S::PendingActivation, S::Active),
                (F::Inactive, F::Inactive),
                None,
                now(),
            );
            assert_eq!(s.write_card_change(&activate).await.unwrap(), CardWriteOutcome::Done);
            let mut lose = write(
                &number,
                Service::TemporaryLoss,
                (S::Active, S::TempLoss),
                (F::Inactive, F::Inactive),
                None,
                now(),
            );
            // Four ran out a minute ago; the last runs out in a minute.
            let end = if i < 4 {
                Duration::minutes(-1)
            } else {
                Duration::minutes(1)
            };
            lose.loss_until = Some(now() + end);
            assert_eq!(s.write_card_change(&lose).await.unwrap(), CardWriteOutcome::Done);
        }
        let sms_before = s.pending_sms().await.unwrap();
        let batch = ReleaseBatch {
            now: now(),
            limit: 3,
            text_before: "您尾号".into(),
            text_after: "的社保卡临时挂失已满15天，已自动解挂。".into(),
            after: None,
        };
        let (a, b) = tokio::join!(s.release_due_losses(&batch), s.release_due_losses(&batch));
        let (a, b) = (a.unwrap(), b.unwrap());
        // The second batch of a run starts after the first's last card.
        let next = ReleaseBatch {
            after: a.last.clone().or(b.last.clone()),
            ..batch.clone()
        };
        let rest = s.release_due_losses(&next).await.unwrap().released;
        let again = s.release_due_losses(&batch).await.unwrap().released;
        assert_eq!(a.released + b.released + rest + again, 4, "each due card once");
        assert_eq!(s.release_due_losses(&batch).await.unwrap().released, 0);
        assert!(
            s.release_due_losses(&batch).await.unwrap().last.is_none(),
            "nothing due: no cursor"
        );
        assert_eq!(s.pending_sms().await.unwrap(), sms_before + 4, "one text each");
        for i in 0..5u16 {
            let number = format!("D000000{i}");
            let card = s.card(&number).await.unwrap().unwrap();
            let records = s.card_transitions(&number).await.unwrap();
            if i < 4 {
                assert_eq!((card.social_security, card.loss_until), (S::Active, None));
                let last = records.last().unwrap();
                assert_eq!(
                    (last.service, last.reason, last.channel, last.actor.account.as_str()),
                    (Service::Release, Reason::LossExpired, None, "system")
                );
                assert_eq!(records.len(), 3);
            } else {
                assert_eq!(card.social_security, S::TempLoss);
                assert_eq!(records.len(), 2);
            }
        }
    }
);

// The issuing bank's events: leased to one pull at a time, back after the lease unless acknowledged, only
// the bank's own, acknowledged once.
both_engines!(
    card_events_are_pulled_at_least_once_and_acknowledged_once,
    |db: TestDb| async move {
        let ctx = sscard_testkit::ready_context(&db).await;
        let s = ctx.store.clone();
        produced(s.as_ref(), "e1", &id(1965, 5, 5, 60), "evan", "E0000001").await;
        for (i, (ss, fin)) in [
            ((S::PendingActivation, S::Active), (F::Inactive, F::Active)),
            ((S::Active, S::TempLoss), (F::Active, F::Loss)),
            ((S::TempLoss, S::Active), (F::Loss, F::Active)),
        ]
        .into_iter()
        .enumerate()
        {
            let mut w = write("E0000001", Service::Activation, ss, fin, None, now());
            w.bank_event = Some((format!("ev-{i}"), "102".into()));
            assert_eq!(s.write_card_change(&w).await.unwrap(), CardWriteOutcome::Done);
        }
        let pull = |bank: &str, at, limit| CardEventPull {
            bank: bank.into(),
            limit,
            at,
            lease_until: at + Duration::minutes(10),
            actor: "bank".into(),
        };
        let (pa, pb) = (pull("102", now(), 2), pull("102", now(), 2));
        let (a, b) = tokio::join!(s.pull_card_events(&pa), s.pull_card_events(&pb));
        let (a, b) = (a.unwrap(), b.unwrap());
        let mut ids: Vec<String> = a.iter().chain(b.iter()).map(|e| e.id.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!((a.len() + b.len(), ids.len()), (3, 3), "each once");
        let first = a.iter().chain(b.iter()).find(|e| e.id == "ev-0").unwrap();
        assert_eq!(
            (first.card.as_str(), first.financial),
            ("E0000001", (F::Inactive, F::Active))
        );
        assert!(
            s.pull_card_events(&pull("102", now(), 10)).await.unwrap().is_empty(),
            "leased"
        );
        assert!(
            s.pull_card_events(&pull("104", now(), 10)).await.unwrap().is_empty(),
            "another bank's"
        );
        assert_eq!(s.ack_card_events("104", &["ev-0".into()], now()).await.unwrap(), 0);
        assert_eq!(
            s.ack_card_events("102", &["ev-0".into(), "ev-1".into()], now())
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            s.ack_card_events("102", &["ev-0".into()], now()).await.unwrap(),
            0,
            "once"
        );
        let later = now() + Duration::minutes(11);
        let back = s.pull_card_events(&pull("102", later, 10)).await.unwrap();
        assert_eq!(back.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), vec!["ev-2"]);
    }
);

// A holder's non-key information: each given field replaces the one on record, the others stay.
both_engines!(holder_information_changes_field_by_field, |db: TestDb| async move {
    let ctx = sscard_testkit::ready_context(&db).await;
    let s = ctx.store.as_ref();
    produced(s, "i1", &id(1966, 6, 6, 61), "ivy", "I0000001").await;
    assert_eq!(s.holder_info("I0000001").await.unwrap(), Default::default());
    let mut w = write(
        "I0000001",
        Service::InfoChange,
        (S::PendingActivation, S::PendingActivation),
        (F::Inactive, F::Inactive),
        None,
        now(),
    );
    w.info = Some(sscard_domain::card::info::HolderInfo {
        address: Some(sscard_domain::card::info::Address::parse("朝阳区一号").unwrap()),
        occupation: None,
        mobile: Some(sscard_domain::values::Mobile::parse("13700000002").unwrap()),
    });
    assert_eq!(s.write_card_change(&w).await.unwrap(), CardWriteOutcome::Done);
    w.info = Some(sscard_domain::card::info::HolderInfo {
        occupation: Some("3".into()),
        ..Default::default()
    });
    assert_eq!(s.write_card_change(&w).await.unwrap(), CardWriteOutcome::Done);
    let info = s.holder_info("I0000001").await.unwrap();
    assert_eq!(info.address.unwrap().as_str(), "朝阳区一号");
    assert_eq!(info.occupation.as_deref(), Some("3"));
    assert_eq!(info.mobile.unwrap().as_str(), "13700000002");
});

// A proxy authorisation is found by the proxy while valid, with its services, and not after.
both_engines!(proxy_authorisations_are_found_while_valid, |db: TestDb| async move {
    let ctx = sscard_testkit::ready_context(&db).await;
    let s = ctx.store.as_ref();
    let (holder, proxy) = (id(1967, 7, 7, 62), id(1968, 8, 8, 63));
    let a = sscard_domain::card::proxy::ProxyAuthorisation {
        id: "pa-1".into(),
        holder: holder.clone(),
        proxy: proxy.clone(),
        services: vec![Service::Activation, Service::StatusQuery],
        valid_until: now().date_naive() + Duration::days(30),
        document_hash: "ab".repeat(32),
        created_at: now(),
        created_by: "acct".into(),
    };
    s.create_proxy_authorisation(&a, &audit(AuditAction::StateChanged, "proxy_authorisation:pa-1"))
        .await
        .unwrap();
    assert_eq!(
        s.proxy_authorisations_of(&proxy, now().date_naive()).await.unwrap(),
        vec![a.clone()]
    );
    assert!(s
        .proxy_authorisations_of(&holder, now().date_naive())
        .await
        .unwrap()
        .is_empty());
    let after = now().date_naive() + Duration::days(31);
    assert!(
        s.proxy_authorisations_of(&proxy, after).await.unwrap().is_empty(),
        "expired"
    );
});
