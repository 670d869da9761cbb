//! Conformance of the collective store: settings and their history, the employee list (keyset-paged, by
//! status and name), the batch all-or-nothing with its remembered reply.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use sscard_app::import::{import_csv, ImportKind};
use sscard_app::ports::*;
use sscard_domain::access::Channel;
use sscard_domain::account::{AccountKind, Username};
use sscard_domain::application::{
    Application, ApplicationEvent, ApplicationEventRecord, ApplicationForm, ApplicationState, Route,
};
use sscard_domain::collective::{AllowedBranch, CollectiveSettings, EmployeeStatus};
use sscard_domain::values::{IdNumber, Mobile, PersonName, Uscc};
use sscard_testkit::fixtures::*;
use sscard_testkit::{both_engines, TestDb};

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    sscard_domain::clock::Clock::now(&sscard_testkit::fixed_clock())
}

/// An entity with `n` employees in the registry, a handler account; the entity's code and the employees.
async fn entity_with(ctx: &sscard_app::AppContext, n: u16) -> (Uscc, Vec<IdNumber>) {
    import_csv(ctx, ImportKind::Branches, BRANCHES.as_bytes())
        .await
        .unwrap();
    let code = uscc(777);
    let entities = format!("uscc,name,address,district\n{code},一家单位,北京市朝阳区二号,110105\n");
    import_csv(ctx, ImportKind::Entities, entities.as_bytes())
        .await
        .unwrap();
    let people: Vec<IdNumber> = (0..n)
        .map(|i| id(1980 + i32::from(i % 20), 3, 1 + u32::from(i % 27), 300 + i))
        .collect();
    let names = ["甲", "乙", "丙", "丁", "戊", "己", "庚", "辛"];
    let rows: Vec<String> = people
        .iter()
        .enumerate()
        .map(|(i, p)| employee_row(p, &format!("职工{}", names[i % names.len()]), &code))
        .collect();
    let report = import_csv(ctx, ImportKind::Registry, csv(REGISTRY_HEADER, &rows).as_bytes())
        .await
        .unwrap();
    assert_eq!(report.rejected, 0, "{:?}", report.rejected_rows);
    ctx.store
        .create_account(
            &NewAccount {
                id: "handler".into(),
                kind: AccountKind::EntityHandler {
                    entity: Uscc::parse(&code).unwrap(),
                },
                username: Some(Username::parse("handler").unwrap()),
                mobile: None,
                display_name: "经办".into(),
                password_hash: None,
                created_at: now(),
            },
            None,
        )
        .await
        .unwrap()
        .unwrap();
    (Uscc::parse(&code).unwrap(), people)
}

fn settings(entity: &Uscc, open: bool, collects: bool) -> CollectiveSettings {
    CollectiveSettings {
        entity: entity.clone(),
        open,
        entity_collects: collects,
        branches: vec![AllowedBranch {
            bank: "102".into(),
            branch: "102-0101".into(),
        }],
        contact_name: PersonName::parse("王经办").unwrap(),
        contact_mobile: Mobile::parse("13800138000").unwrap(),
        updated_at: now(),
        updated_by: "handler".into(),
    }
}

// Settings are saved whole (branches replaced, not added to) and every change is kept in the history.
both_engines!(settings_are_saved_whole_with_their_history, |db: TestDb| async move {
    let ctx = sscard_testkit::ready_context(&db).await;
    let s = ctx.store.as_ref();
    let (entity, _) = entity_with(&ctx, 1).await;
    assert!(s.collective_settings(&entity).await.unwrap().is_none());
    s.save_collective_settings(&settings(&entity, true, false), Channel::Web, None)
        .await
        .unwrap();
    let mut changed = settings(&entity, true, true);
    changed.branches = vec![AllowedBranch {
        bank: "102".into(),
        branch: "102-0105".into(),
    }];
    s.save_collective_settings(&changed, Channel::Web, None).await.unwrap();
    let stored = s.collective_settings(&entity).await.unwrap().unwrap();
    assert!(stored.entity_collects);
    assert_eq!(stored.branches, changed.branches, "replaced, not added to");
    let history = s.collective_history(&entity).await.unwrap();
    assert_eq!(history.len(), 2);
    assert!(
        history[0].settings.contains("\"entity_collects\":false"),
        "{}",
        history[0].settings
    );
    assert!(history[1].settings.contains("\"entity_collects\":true"));
});

// The list pages by ID number (each page after the last one's ID, no row twice, none skipped), filters by
// status and finds by name prefix or whole ID number; the counts agree with it.
both_engines!(the_employee_list_pages_by_key_and_filters, |db: TestDb| async move {
    let ctx = sscard_testkit::ready_context(&db).await;
    let s = ctx.store.as_ref();
    let (entity, people) = entity_with(&ctx, 7).await;
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = s
            .employees(
                &entity,
                &EmployeeQuery {
                    status: None,
                    search: None,
                    after: after.clone(),
                    limit: 3,
                },
            )
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|r| r.person.as_str().to_string());
        seen.extend(page.into_iter().map(|r| r.person.as_str().to_string()));
    }
    let mut expected: Vec<String> = people.iter().map(|p| p.as_str().to_string()).collect();
    expected.sort();
    assert_eq!(seen, expected, "every employee once, in ID-number order");
    let by_name = s
        .employees(
            &entity,
            &EmployeeQuery {
                status: None,
                search: Some("职工甲".into()),
                after: None,
                limit: 50,
            },
        )
        .await
        .unwrap();
    assert_eq!(by_name.len(), 1);
    let by_id = s
        .employees(
            &entity,
            &EmployeeQuery {
                status: None,
                search: Some(people[3].as_str().into()),
                after: None,
                limit: 50,
            },
        )
        .await
        .unwrap();
    assert_eq!(by_id.iter().map(|r| &r.person).collect::<Vec<_>>(), vec![&people[3]]);
    let unconfirmed = s
        .employees(
            &entity,
            &EmployeeQuery {
                status: Some(EmployeeStatus::NotConfirmed),
                search: None,
                after: None,
                limit: 50,
            },
        )
        .await
        .unwrap();
    assert_eq!(unconfirmed.len(), 7);
    let counts: BTreeMap<&str, u64> = s
        .employee_counts(&entity)
        .await
        .unwrap()
        .into_iter()
        .map(|(st, n)| (st.as_str(), n))
        .collect();
    assert_eq!(counts.values().sum::<u64>(), 7, "{counts:?}");
});

fn confirmed(id: &str, person: &IdNumber, employer: &Uscc) -> Application {
    Application {
        id: id.into(),
        reference: format!("BJ{}", id.to_uppercase()),
        person: person.clone(),
        applicant: "handler".into(),
        route: Route::Collective,
        channel: Channel::Web,
        state: ApplicationState::Draft,
        form: ApplicationForm {
            bank: Some("102".into()),
            branch: Some("102-0101".into()),
            ..ApplicationForm::default()
        },
        documents: BTreeMap::new(),
        created_at: now(),
        updated_at: now(),
        submitted_at: None,
        due_on: None,
        minor: None,
        employer: Some(employer.clone()),
    }
}

// A batch is all or nothing: one item no longer confirmed rolls back every item; its reply is remembered
// with it, and a second batch under the same key writes nothing.
both_engines!(
    a_batch_is_all_or_nothing_and_remembers_its_reply,
    |db: TestDb| async move {
        let ctx = sscard_testkit::ready_context(&db).await;
        let s = ctx.store.as_ref();
        let (entity, people) = entity_with(&ctx, 3).await;
        let start = ApplicationEventRecord {
            at: now(),
            event: ApplicationEvent::Start,
            from: None,
            to: ApplicationState::Draft,
            actor: "handler".into(),
            channel: Channel::Web,
            note: None,
        };
        let confirm = ApplicationEventRecord {
            event: ApplicationEvent::Confirm,
            from: Some(ApplicationState::Draft),
            to: ApplicationState::Confirmed,
            ..start.clone()
        };
        for (i, p) in people.iter().enumerate() {
            let id = format!("c{i}");
            s.create_application(&confirmed(&id, p, &entity), &start)
                .await
                .unwrap()
                .unwrap();
            if i < 2 {
                assert!(s
                    .transition(&id, ApplicationState::Draft, &confirm, None, None, None)
                    .await
                    .unwrap());
            }
        }
        let item = |i: usize| BatchItem {
            application: format!("c{i}"),
            order: NewOrder {
                id: format!("o{i}"),
                bank: "102".into(),
            },
            notify: None,
        };
        let batch = |items: Vec<BatchItem>, key: Option<&str>| Batch {
            at: now(),
            due_on: now().date_naive(),
            actor: "handler".into(),
            channel: Channel::Web,
            items,
            reply: key.map(|k| StoredReply {
                scope: "entity_batch",
                actor: "handler".into(),
                key: k.into(),
                body: "{\"first\":true}".into(),
            }),
        };
        let confirmed_ones = s.collective_applications(&entity, None).await.unwrap();
        assert_eq!(
            confirmed_ones.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
            vec!["c0", "c1"],
            "the confirmed ones, by person"
        );
        // c2 is still a draft: the whole batch is refused and nothing is written.
        let w = s
            .submit_batch(&batch(vec![item(0), item(1), item(2)], Some("k1")))
            .await
            .unwrap();
        assert_eq!(w, BatchWrite::StateChanged);
        for i in 0..3 {
            assert!(s.orders_of_application(&format!("c{i}")).await.unwrap().is_empty());
        }
        assert!(
            s.stored_reply("entity_batch", "handler", "k1").await.unwrap().is_none(),
            "no reply either"
        );
        // The two confirmed ones: written, each with its order, and the reply kept.
        let w = s
            .submit_batch(&batch(vec![item(0), item(1)], Some("k1")))
            .await
            .unwrap();
        assert_eq!(w, BatchWrite::Written);
        for i in 0..2 {
            let a = s.application(&format!("c{i}")).await.unwrap().unwrap();
            assert_eq!(a.state, ApplicationState::Submitted);
            assert_eq!(s.orders_of_application(&a.id).await.unwrap().len(), 1);
        }
        assert_eq!(
            s.stored_reply("entity_batch", "handler", "k1")
                .await
                .unwrap()
                .as_deref(),
            Some("{\"first\":true}")
        );
        assert!(
            s.stored_reply("entity_batch", "someone-else", "k1")
                .await
                .unwrap()
                .is_none(),
            "keys are per actor"
        );
        // The same key again (even with nothing left to write): nothing written, the key is taken.
        assert_eq!(
            s.submit_batch(&batch(vec![], Some("k1"))).await.unwrap(),
            BatchWrite::KeyUsed
        );
        // The entity's applications: the confirmed ones (none is left), or the ones asked for; the registry's
        // employer of each person; the entity's handlers.
        assert!(s.collective_applications(&entity, None).await.unwrap().is_empty());
        let asked = s
            .collective_applications(&entity, Some(&["c1".to_string(), "elsewhere".to_string()]))
            .await
            .unwrap();
        assert_eq!(asked.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), vec!["c1"]);
        let employers = s.employers_of(&people).await.unwrap();
        assert_eq!(employers.len(), 3);
        assert!(employers.values().all(|u| u == &entity));
        let stranger = id(1999, 9, 9, 999);
        assert!(s.employers_of(&[stranger]).await.unwrap().is_empty());
        let handlers = s.entity_handlers(&entity).await.unwrap();
        assert_eq!(
            handlers.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
            vec!["handler"]
        );
        // A card delivered to the entity is listed with when it arrived and the holder's registry name.
        assert!(s.cards_at_entity(&entity).await.unwrap().is_empty());
        let delivered = ApplicationEventRecord {
            event: ApplicationEvent::DeliverToEntity,
            from: Some(ApplicationState::Submitted),
            to: ApplicationState::DeliveredToEntity,
            actor: "bank".into(),
            ..start.clone()
        };
        assert!(s
            .transition("c0", ApplicationState::Submitted, &delivered, None, None, None)
            .await
            .unwrap());
        let held = s.cards_at_entity(&entity).await.unwrap();
        assert_eq!(held.len(), 1);
        assert_eq!(
            (held[0].0.id.as_str(), held[0].1, held[0].2.as_str()),
            ("c0", now(), "职工甲")
        );
    }
);
