//! The storage conformance suite: every test runs against SQLite and against PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sscard_app::import::{import_csv, ImportError, ImportKind};
use sscard_app::ports::{BranchFilter, ImportBatch, SettingChange, SETTING_DEMO_DATA};
use sscard_domain::registry::{Bank, Membership};
use sscard_testkit::fixtures::*;
use sscard_testkit::{both_engines, TestDb};

async fn setup(db: &TestDb) -> sscard_app::AppContext {
    sscard_testkit::ready_context(db).await
}

both_engines!(
    migrations_are_idempotent_and_the_database_answers,
    |db: TestDb| async move {
        let first = db.store().await;
        let second = db.store().await; // connecting again re-runs migrations: nothing to do, no error
        first.ping().await.unwrap();
        second.ping().await.unwrap();
        assert!(["sqlite", "postgres"].contains(&first.engine()));
    }
);

both_engines!(
    registry_import_stores_good_rows_and_reports_bad_ones,
    |db: TestDb| async move {
        let ctx = setup(&db).await;
        let a = id(1990, 3, 7, 11);
        let b = id(1985, 12, 1, 22);
        let mut bad_checksum = a.as_str().to_string();
        bad_checksum.replace_range(17..18, if a.as_str().ends_with('0') { "1" } else { "0" });
        let rows = vec![
            individual_row(&a, "张三"),                                        // row 2: good
            individual_row(&b, "李四").replace(",female,", ",male,"),          // row 3: gender disagrees
            individual_row(&a, "张三").replacen(a.as_str(), &bad_checksum, 1), // row 4: bad check character
            individual_row(&b, "李四").replace(",CHN,", ",XXX,"),              // row 5: unknown nationality
            individual_row(&b, "李四").replace("13800001234", "12345"),        // row 6: bad mobile
            individual_row(&b, "李四").replace(",individual,", ",tourist,"),   // row 7: unknown category
            individual_row(&a, "张三"),                                        // row 8: duplicate of row 2
            individual_row(&b, "李四"),                                        // row 9: good
        ];
        let report = import_csv(&ctx, ImportKind::Registry, csv(REGISTRY_HEADER, &rows).as_bytes())
            .await
            .unwrap();
        assert_eq!(report.accepted, 2);
        assert_eq!(report.rejected, 6);
        let rejected: Vec<(u64, Option<&str>)> = report.rejected_rows.iter().map(|r| (r.row, r.column)).collect();
        assert_eq!(
            rejected,
            vec![
                (3, Some("gender")),
                (4, Some("id_number")),
                (5, Some("nationality")),
                (6, Some("mobile")),
                (7, Some("category")),
                (8, None)
            ]
        );
        assert!(
            report.rejected_rows[1].reason.contains("check character"),
            "{}",
            report.rejected_rows[1].reason
        );
        assert!(report.rejected_rows[5].reason.contains("row 2"));
        assert_eq!(ctx.store.count_persons().await.unwrap(), 2);
        let stored = ctx.store.person(&b).await.unwrap().unwrap();
        assert_eq!(stored.name.as_str(), "李四");
        assert_eq!(stored.membership, Membership::Individual);
        assert_eq!(stored.mobile.unwrap().as_str(), "13800001234");
    }
);

both_engines!(a_reimport_updates_and_never_duplicates, |db: TestDb| async move {
    let ctx = setup(&db).await;
    let a = id(1990, 3, 7, 11);
    let first = csv(REGISTRY_HEADER, &[individual_row(&a, "张三")]);
    import_csv(&ctx, ImportKind::Registry, first.as_bytes()).await.unwrap();
    let second = csv(
        REGISTRY_HEADER,
        &[individual_row(&a, "张叁").replace("13800001234", "13911112222")],
    );
    let report = import_csv(&ctx, ImportKind::Registry, second.as_bytes()).await.unwrap();
    assert_eq!(report.accepted, 1);
    assert_eq!(ctx.store.count_persons().await.unwrap(), 1);
    let p = ctx.store.person(&a).await.unwrap().unwrap();
    assert_eq!(p.name.as_str(), "张叁");
    assert_eq!(p.mobile.unwrap().as_str(), "13911112222");
});

both_engines!(a_missing_column_stores_nothing, |db: TestDb| async move {
    let ctx = setup(&db).await;
    let a = id(1990, 3, 7, 11);
    let header = REGISTRY_HEADER.replace(",legacy_cards", "");
    let row = individual_row(&a, "张三");
    let row = &row[..row.rfind(',').unwrap()];
    let err = import_csv(&ctx, ImportKind::Registry, csv(&header, &[row.to_string()]).as_bytes())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ImportError::MissingColumns(ref c) if c == &vec!["legacy_cards"]),
        "{err}"
    );
    assert_eq!(ctx.store.count_persons().await.unwrap(), 0);
});

both_engines!(
    employees_need_a_known_employer_and_retirees_a_branch_of_their_bank,
    |db: TestDb| async move {
        let ctx = setup(&db).await;
        import_csv(&ctx, ImportKind::Branches, BRANCHES.as_bytes())
            .await
            .unwrap();
        let employer = uscc(1);
        let e = id(1988, 6, 6, 31);
        let r = id(1950, 1, 2, 42);
        let rows = vec![
            employee_row(&e, "王五", &employer),        // row 2: employer unknown yet
            retiree_row(&r, "赵六", "105", "102-0105"), // row 3: branch of another bank
            retiree_row(&r, "赵六", "102", "999-0000"), // row 4: unknown branch
        ];
        let report = import_csv(&ctx, ImportKind::Registry, csv(REGISTRY_HEADER, &rows).as_bytes())
            .await
            .unwrap();
        assert_eq!(report.accepted, 0);
        assert_eq!(
            report.rejected_rows.iter().map(|r| r.column).collect::<Vec<_>>(),
            vec![Some("employer_uscc"), Some("pension_branch"), Some("pension_branch")]
        );
        assert!(report.rejected_rows[0].reason.contains("import entities first"));
        assert!(report.rejected_rows[1].reason.contains("belongs to bank 102"));

        let entities = format!("uscc,name,address,district\n{employer},北京测试科技有限公司,海淀区一号,110108\n");
        assert_eq!(
            import_csv(&ctx, ImportKind::Entities, entities.as_bytes())
                .await
                .unwrap()
                .accepted,
            1
        );
        let rows = vec![
            employee_row(&e, "王五", &employer),
            retiree_row(&r, "赵六", "102", "102-0105"),
        ];
        let report = import_csv(&ctx, ImportKind::Registry, csv(REGISTRY_HEADER, &rows).as_bytes())
            .await
            .unwrap();
        assert_eq!((report.accepted, report.rejected), (2, 0), "{:?}", report.rejected_rows);
        let stored = ctx.store.person(&r).await.unwrap().unwrap();
        assert_eq!(
            stored.membership,
            Membership::Retiree {
                pension_bank: "102".into(),
                pension_branch: "102-0105".into()
            }
        );
        assert_eq!(stored.id_valid_until, None, "长期 is a long-term ID card");
        assert_eq!(stored.legacy_cards.len(), 2);
        let entity = ctx
            .store
            .entity(&sscard_domain::values::Uscc::parse(&employer).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(entity.district, "110108");
    }
);

both_engines!(
    guardianship_rows_are_checked_and_queried_by_guardian,
    |db: TestDb| async move {
        let ctx = setup(&db).await;
        let parent = id(1985, 5, 5, 12);
        let child = id(2015, 6, 1, 21);
        let other = id(2012, 1, 1, 33);
        let text = format!(
            "guardian_id,child_id,relationship,guardian_is_householder,same_booklet\n\
         {parent},{child},52,true,true\n\
         {parent},{parent},52,true,true\n\
         {child},{parent},51,no,no\n\
         {parent},{other},00,yes,yes\n\
         {parent},{other},51,maybe,yes\n\
         {parent},{other},51,否,是\n"
        );
        let report = import_csv(&ctx, ImportKind::Guardianship, text.as_bytes())
            .await
            .unwrap();
        assert_eq!(report.accepted, 2);
        assert_eq!(
            report
                .rejected_rows
                .iter()
                .map(|r| (r.row, r.column))
                .collect::<Vec<_>>(),
            vec![
                (3, Some("child_id")),
                (4, Some("child_id")),
                (5, Some("relationship")),
                (6, Some("guardian_is_householder"))
            ]
        );
        let list = ctx.store.guardianships_of_guardian(&parent).await.unwrap();
        assert_eq!(list.len(), 2);
        let with_other = list.iter().find(|g| g.child == other).unwrap();
        assert!(!with_other.guardian_is_householder && with_other.same_booklet);
    }
);

both_engines!(branches_filter_by_bank_district_and_pickup, |db: TestDb| async move {
    let ctx = setup(&db).await;
    let report = import_csv(&ctx, ImportKind::Branches, BRANCHES.as_bytes())
        .await
        .unwrap();
    assert_eq!(report.accepted, 3);
    let all = ctx.store.branches(&BranchFilter::default()).await.unwrap();
    assert_eq!(all.len(), 3);
    let icbc = ctx
        .store
        .branches(&BranchFilter {
            bank: Some("102".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(icbc.len(), 2);
    let chaoyang = BranchFilter {
        district: Some("110105".into()),
        ..Default::default()
    };
    assert_eq!(ctx.store.branches(&chaoyang).await.unwrap().len(), 2);
    let both = BranchFilter {
        bank: Some("102".into()),
        district: Some("110105".into()),
        accepts_pickup: Some(true),
    };
    let found = ctx.store.branches(&both).await.unwrap();
    assert_eq!(
        found.iter().map(|b| b.code.as_str()).collect::<Vec<_>>(),
        vec!["102-0105"]
    );
    assert!(found[0].accepts_pickup && !found[0].instant_issuance);
    // A branch of a bank outside the 15 is refused.
    let bad = "code,bank,name,district,address,accepts_pickup,instant_issuance\nX-1,999,某银行,110105,地址,true,true\n";
    let report = import_csv(&ctx, ImportKind::Branches, bad.as_bytes()).await.unwrap();
    assert_eq!(report.rejected_rows[0].column, Some("bank"));
    assert_eq!(ctx.store.branches(&BranchFilter::default()).await.unwrap().len(), 3);
    // Every branch's bank, by branch code.
    let banks = ctx.store.branch_banks().await.unwrap();
    assert_eq!(banks.len(), 3);
    assert_eq!(banks.get("102-0105").map(String::as_str), Some("102"));
    assert!(!banks.contains_key("X-1"));
});

both_engines!(outlets_import_and_filter, |db: TestDb| async move {
    let ctx = setup(&db).await;
    let text = "code,name,district,address\nO-0101,东城区社保卡服务网点,110101,东城区二号\n\
                O-0105,朝阳区社保卡服务网点,110105,朝阳区三号\nbad code!,x,110105,y\nO-9,x,110103,y\n";
    let report = import_csv(&ctx, ImportKind::Outlets, text.as_bytes()).await.unwrap();
    assert_eq!(report.accepted, 2);
    assert_eq!(
        report.rejected_rows.iter().map(|r| r.column).collect::<Vec<_>>(),
        vec![Some("code"), Some("district")]
    );
    assert_eq!(ctx.store.outlets(Some("110105")).await.unwrap().len(), 1);
    assert_eq!(ctx.store.outlets(None).await.unwrap().len(), 2);
});

both_engines!(ensure_banks_keeps_what_the_bureau_configured, |db: TestDb| async move {
    let ctx = setup(&db).await;
    assert_eq!(ctx.store.banks().await.unwrap().len(), 15);
    assert!(ctx.store.set_bank_online_replacement("308", true).await.unwrap());
    assert!(!ctx.store.set_bank_online_replacement("999", true).await.unwrap());
    let defaults: Vec<Bank> = sscard_app::reference::banks_from_codes(&ctx.codes);
    ctx.store.ensure_banks(&defaults).await.unwrap();
    let banks = ctx.store.banks().await.unwrap();
    assert_eq!(banks.len(), 15);
    assert!(
        banks
            .iter()
            .find(|b| b.code == "308")
            .unwrap()
            .supports_online_replacement
    );
    assert!(
        !banks
            .iter()
            .find(|b| b.code == "102")
            .unwrap()
            .supports_online_replacement
    );
});

both_engines!(settings_round_trip, |db: TestDb| async move {
    let store = db.store().await;
    assert_eq!(store.setting(SETTING_DEMO_DATA).await.unwrap(), None);
    store.set_setting(SETTING_DEMO_DATA, "true").await.unwrap();
    store.set_setting(SETTING_DEMO_DATA, "yes").await.unwrap();
    assert_eq!(store.setting(SETTING_DEMO_DATA).await.unwrap().as_deref(), Some("yes"));
});

both_engines!(an_uncommitted_import_stores_nothing, |db: TestDb| async move {
    let ctx = setup(&db).await;
    let entities = vec![sscard_domain::registry::Entity {
        uscc: sscard_domain::values::Uscc::parse(&uscc(7)).unwrap(),
        name: "x".into(),
        address: "y".into(),
        district: "110105".into(),
    }];
    {
        let mut session = ctx.store.begin_import().await.unwrap();
        session.write(&ImportBatch::Entities(entities)).await.unwrap();
        // dropped without commit
    }
    assert!(ctx.store.entity_usccs().await.unwrap().is_empty());
});

both_engines!(
    large_imports_cross_batch_and_flush_boundaries,
    |db: TestDb| async move {
        let ctx = setup(&db).await;
        let n = 12_345u32;
        let mut rows = Vec::with_capacity(n as usize);
        let start = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap();
        for i in 0..n {
            let birth = start + chrono::Duration::days(i64::from(i / 500));
            let p = sscard_domain::values::IdNumber::compose("110105", birth, (i % 500) as u16, today()).unwrap();
            rows.push(individual_row(&p, "测试"));
        }
        let report = import_csv(&ctx, ImportKind::Registry, csv(REGISTRY_HEADER, &rows).as_bytes())
            .await
            .unwrap();
        assert_eq!((report.accepted, report.rejected), (u64::from(n), 0));
        assert_eq!(ctx.store.count_persons().await.unwrap(), u64::from(n));
    }
);

both_engines!(
    a_reimport_mixing_new_and_stored_keys_updates_and_adds,
    |db: TestDb| async move {
        let ctx = setup(&db).await;
        let ids: Vec<_> = (0..5u16).map(|i| id(1980, 1, 1 + u32::from(i), 10 + i)).collect();
        let first: Vec<String> = ids[..3].iter().map(|p| individual_row(p, "旧名")).collect();
        import_csv(&ctx, ImportKind::Registry, csv(REGISTRY_HEADER, &first).as_bytes())
            .await
            .unwrap();
        // New and stored keys interleaved in one batch: on PostgreSQL the stored ones go through the staging table,
        // the new ones straight in by COPY.
        let second: Vec<String> = [4, 0, 3, 1, 2]
            .iter()
            .map(|i| individual_row(&ids[*i], "新名"))
            .collect();
        let report = import_csv(&ctx, ImportKind::Registry, csv(REGISTRY_HEADER, &second).as_bytes())
            .await
            .unwrap();
        assert_eq!((report.accepted, report.rejected), (5, 0));
        assert_eq!(ctx.store.count_persons().await.unwrap(), 5);
        for p in &ids {
            assert_eq!(ctx.store.person(p).await.unwrap().unwrap().name.as_str(), "新名");
        }
    }
);

both_engines!(an_unreadable_row_is_one_rejected_row, |db: TestDb| async move {
    let ctx = setup(&db).await;
    let mut bytes = b"code,name,district,address\nO-1,first,110101,a\nO-2,".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]); // not UTF-8
    bytes.extend_from_slice(b",110101,b\nO-3,third,110105,c\n");
    let report = import_csv(&ctx, ImportKind::Outlets, bytes.as_slice()).await.unwrap();
    assert_eq!((report.accepted, report.rejected), (2, 1));
    assert_eq!(report.rejected_rows[0].row, 3);
    assert!(
        report.rejected_rows[0].reason.contains("cannot be read"),
        "{}",
        report.rejected_rows[0].reason
    );
    assert_eq!(ctx.store.outlets(None).await.unwrap().len(), 2);
});

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_a_busy_timeout() {
    let db = TestDb::sqlite().await;
    let store = sscard_storage::sqlite::SqliteStore::connect(&db.url).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(timeout, 10_000);
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(fk, 1);
}

both_engines!(values_that_need_escaping_round_trip, |db: TestDb| async move {
    let ctx = setup(&db).await;
    let p = id(1977, 7, 7, 77);
    // A backslash must survive PostgreSQL's COPY text format; a NULL-looking text must stay text.
    let row = individual_row(&p, "张三").replace("北京市朝阳区测试路1号", "北京市朝阳区\\N路\\1号");
    let report = import_csv(&ctx, ImportKind::Registry, csv(REGISTRY_HEADER, &[row]).as_bytes())
        .await
        .unwrap();
    assert_eq!(report.accepted, 1, "{:?}", report.rejected_rows);
    let stored = ctx.store.person(&p).await.unwrap().unwrap();
    assert_eq!(stored.address, "北京市朝阳区\\N路\\1号");
    assert_eq!(
        stored.birth_date(),
        chrono::NaiveDate::from_ymd_opt(1977, 7, 7).unwrap()
    );
    assert_eq!(stored.id_valid_until, chrono::NaiveDate::from_ymd_opt(2035, 3, 1));
});

both_engines!(a_changed_setting_keeps_its_history, |db: TestDb| async move {
    let store = db.store().await;
    let t0 = sscard_domain::clock::Clock::now(&sscard_testkit::fixed_clock());
    store
        .change_setting("opening:retiree", "2027-01-04", "admin-1", t0)
        .await
        .unwrap();
    let t1 = t0 + chrono::Duration::minutes(5);
    store
        .change_setting("opening:retiree", "", "admin-2", t1)
        .await
        .unwrap();
    store
        .change_setting("opening:employee", "2027-02-01", "admin-1", t1)
        .await
        .unwrap();
    // A key with LIKE's wildcards in it is matched as written.
    store.change_setting("opening_x", "1", "admin-1", t1).await.unwrap();
    assert_eq!(store.setting("opening:retiree").await.unwrap().as_deref(), Some(""));
    let changes = store.setting_changes("opening:retiree", 10).await.unwrap();
    assert_eq!(
        changes,
        vec![
            SettingChange {
                key: "opening:retiree".into(),
                previous: Some("2027-01-04".into()),
                value: "".into(),
                by: "admin-2".into(),
                at: t1,
            },
            SettingChange {
                key: "opening:retiree".into(),
                previous: None,
                value: "2027-01-04".into(),
                by: "admin-1".into(),
                at: t0,
            },
        ]
    );
    assert_eq!(store.setting_changes("opening:", 10).await.unwrap().len(), 3);
    assert_eq!(store.setting_changes("opening:", 1).await.unwrap().len(), 1);
    assert_eq!(store.setting_changes("opening_", 10).await.unwrap().len(), 1);
});

fn change_entry(record: &str) -> sscard_domain::audit::AuditEntry {
    sscard_domain::audit::AuditEntry {
        at: sscard_domain::clock::Clock::now(&sscard_testkit::fixed_clock()),
        actor: Some("admin-1".into()),
        role: Some(sscard_domain::access::Role::Admin),
        channel: sscard_domain::access::Channel::Web,
        organisation: None,
        action: sscard_domain::audit::AuditAction::ReferenceChanged,
        record: Some(record.into()),
        subject_person: None,
        purpose: None,
        outcome: sscard_domain::audit::Outcome::Success,
        ip: None,
    }
}

both_engines!(
    a_reference_change_is_kept_and_refused_while_something_depends_on_it,
    |db: TestDb| async move {
        use sscard_app::ports::{NewAccount, ReferenceEdit, ReferenceWrite};
        use sscard_domain::registry::{Dependency, Outlet, ReferenceKind, ReferenceRecord};
        let ctx = setup(&db).await;
        let s = &ctx.store;
        import_csv(&ctx, ImportKind::Branches, BRANCHES.as_bytes())
            .await
            .unwrap();
        let outlets = "code,name,district,address\nD-1,朝阳服务网点,110105,朝阳区一号\n";
        import_csv(&ctx, ImportKind::Outlets, outlets.as_bytes()).await.unwrap();
        let t0 = sscard_domain::clock::Clock::now(&sscard_testkit::fixed_clock());
        let branch = s
            .branches(&BranchFilter::default())
            .await
            .unwrap()
            .into_iter()
            .find(|b| b.accepts_pickup)
            .unwrap();
        let mut renamed = branch.clone();
        renamed.name = "新名称".into();
        renamed.accepts_pickup = false;
        let edit = |after: ReferenceRecord, minutes: i64| ReferenceEdit {
            after,
            by: "admin-1".into(),
            at: t0 + chrono::Duration::minutes(minutes),
        };
        // Nothing waits at the branch: the change is made, kept and audited in one go.
        let w = s
            .change_reference(
                &edit(ReferenceRecord::Branch(renamed.clone()), 0),
                &change_entry("branch:x"),
            )
            .await
            .unwrap();
        assert_eq!(
            w,
            ReferenceWrite::Changed {
                before: ReferenceRecord::Branch(branch.clone())
            }
        );
        let stored = s.branches(&BranchFilter::default()).await.unwrap();
        assert!(stored.contains(&renamed));
        assert_eq!(s.recent_audit(Some("admin-1"), 10).await.unwrap().len(), 1);
        // The same again writes nothing; an unknown code names nothing.
        let again = s
            .change_reference(
                &edit(ReferenceRecord::Branch(renamed.clone()), 1),
                &change_entry("branch:x"),
            )
            .await
            .unwrap();
        assert_eq!(again, ReferenceWrite::Unchanged);
        let mut unknown = renamed.clone();
        unknown.code = "102-9999".into();
        let w = s
            .change_reference(&edit(ReferenceRecord::Branch(unknown), 1), &change_entry("branch:y"))
            .await
            .unwrap();
        assert_eq!(w, ReferenceWrite::Unknown);
        let changes = s
            .reference_changes(ReferenceKind::Branch, &branch.code, 10)
            .await
            .unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].before["name"], branch.name.as_str());
        assert_eq!(changes[0].after["accepts_pickup"], false);
        assert_eq!((changes[0].by.as_str(), changes[0].at), ("admin-1", t0));

        // An outlet with a live clerk keeps its district: refused with the count, nothing written.
        s.create_account(
            &NewAccount {
                id: "clerk-1".into(),
                kind: sscard_domain::account::AccountKind::OutletClerk {
                    outlet: "D-1".into(),
                    district: "110105".into(),
                },
                username: Some(sscard_domain::account::Username::parse("clerk1").unwrap()),
                mobile: None,
                display_name: "clerk".into(),
                password_hash: None,
                created_at: t0,
            },
            None,
        )
        .await
        .unwrap()
        .unwrap();
        let moved = Outlet {
            code: "D-1".into(),
            name: "朝阳服务网点".into(),
            district: "110108".into(),
            address: "海淀区一号".into(),
        };
        let w = s
            .change_reference(
                &edit(ReferenceRecord::Outlet(moved.clone()), 2),
                &change_entry("outlet:D-1"),
            )
            .await
            .unwrap();
        assert_eq!(
            w,
            ReferenceWrite::Depended {
                dependency: Dependency::ClerksBound,
                count: 1
            }
        );
        assert_eq!(s.outlets(None).await.unwrap()[0].district, "110105");
        assert!(s
            .reference_changes(ReferenceKind::Outlet, "D-1", 10)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            s.recent_audit(Some("admin-1"), 10).await.unwrap().len(),
            1,
            "a refusal audits nothing here"
        );
        // Newest first, and the limit holds.
        let mut bank = s.banks().await.unwrap().remove(0);
        for (i, flag) in [true, false, true].into_iter().enumerate() {
            bank.supports_online_replacement = flag;
            let minutes = i64::try_from(i).unwrap() + 3;
            s.change_reference(
                &edit(ReferenceRecord::Bank(bank.clone()), minutes),
                &change_entry("bank"),
            )
            .await
            .unwrap();
        }
        let kept = s.reference_changes(ReferenceKind::Bank, &bank.code, 2).await.unwrap();
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].after["supports_online_replacement"], true);
        assert_eq!(kept[1].after["supports_online_replacement"], false);
    }
);
