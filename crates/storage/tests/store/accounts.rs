//! Conformance of the account, session, challenge, rate, outbox, OIDC-flow and audit stores: every test runs
//! against SQLite and against PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Duration;
use sscard_app::ports::*;
use sscard_domain::access::{Channel, Role};
use sscard_domain::account::{AccountKind, LoginIdentifier, Username};
use sscard_domain::audit::{AuditAction, AuditEntry, Outcome};
use sscard_domain::values::{Mobile, PersonName};
use sscard_testkit::fixtures::*;
use sscard_testkit::{both_engines, EngineKind, TestDb};

fn resident(id: &str, username: &str, mobile: &str) -> NewAccount {
    NewAccount {
        id: id.to_string(),
        kind: AccountKind::Resident,
        username: Some(Username::parse(username).unwrap()),
        mobile: Some(Mobile::parse(mobile).unwrap()),
        display_name: "x".into(),
        password_hash: Some("$argon2id$fake".into()),
        created_at: sscard_testkit::fixed_clock().now_fixed(),
    }
}

trait Now {
    fn now_fixed(&self) -> chrono::DateTime<chrono::FixedOffset>;
}
impl Now for sscard_domain::clock::FixedClock {
    fn now_fixed(&self) -> chrono::DateTime<chrono::FixedOffset> {
        sscard_domain::clock::Clock::now(self)
    }
}

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    sscard_testkit::fixed_clock().now_fixed()
}

both_engines!(
    accounts_are_unique_by_username_mobile_and_id_number,
    |db: TestDb| async move {
        let ctx = sscard_testkit::ready_context(&db).await;
        let s = &ctx.store;
        let a = s
            .create_account(&resident("a1", "alice", "13800000001"), None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.role(), Role::Resident);
        assert_eq!(
            s.create_account(&resident("a2", "alice", "13800000002"), None)
                .await
                .unwrap(),
            Err(AccountConflict::Username)
        );
        assert_eq!(
            s.create_account(&resident("a3", "bob", "13800000001"), None)
                .await
                .unwrap(),
            Err(AccountConflict::Mobile)
        );
        assert_eq!(s.count_accounts().await.unwrap(), 1, "a refused account stores nothing");
        let b = s
            .create_account(&resident("b1", "bob", "13800000003"), None)
            .await
            .unwrap()
            .unwrap();

        // Log in by username or mobile; by ID number only once real-name authentication bound it.
        let today = now().date_naive();
        let pid = id(1980, 1, 2, 11);
        let by = |t: &str| LoginIdentifier::parse(t, today).unwrap();
        assert_eq!(s.account_for_login(&by("alice")).await.unwrap().unwrap().0.id, "a1");
        assert_eq!(
            s.account_for_login(&by("13800000003"))
                .await
                .unwrap()
                .unwrap()
                .1
                .as_deref(),
            Some("$argon2id$fake")
        );
        assert!(s.account_for_login(&by(pid.as_str())).await.unwrap().is_none());
        let name = PersonName::parse("张三").unwrap();
        s.bind_real_name(&a.id, &pid, &name, now(), None)
            .await
            .unwrap()
            .unwrap();
        let (found, _) = s.account_for_login(&by(pid.as_str())).await.unwrap().unwrap();
        assert!(found.is_real_name_verified());
        assert_eq!(found.real_name, Some(name.clone()));
        // One ID number, one account.
        assert_eq!(
            s.bind_real_name(&b.id, &pid, &name, now(), None).await.unwrap(),
            Err(AccountConflict::IdNumber)
        );
        assert!(!s.account(&b.id).await.unwrap().unwrap().is_real_name_verified());
    }
);

both_engines!(external_identities_link_once, |db: TestDb| async move {
    let ctx = sscard_testkit::ready_context(&db).await;
    let s = &ctx.store;
    let mut new = resident("e1", "eve", "13800000009");
    new.username = None;
    new.mobile = None;
    let pid = id(1975, 5, 5, 31);
    let name = PersonName::parse("王五").unwrap();
    let a = s
        .create_external_account(&new, "gov", "sub-1", Some((&pid, &name)), None)
        .await
        .unwrap()
        .unwrap();
    assert!(a.is_real_name_verified());
    assert_eq!(s.account_for_external("gov", "sub-1").await.unwrap().unwrap().id, "e1");
    assert!(s.account_for_external("gov", "sub-2").await.unwrap().is_none());
    // The same subject again: refused, and the second account is not left behind.
    let mut again = new.clone();
    again.id = "e2".into();
    assert_eq!(
        s.create_external_account(&again, "gov", "sub-1", None, None)
            .await
            .unwrap(),
        Err(AccountConflict::ExternalIdentity)
    );
    assert!(s.account("e2").await.unwrap().is_none(), "the transaction rolled back");
});

both_engines!(sessions_expire_and_revoke, |db: TestDb| async move {
    let ctx = sscard_testkit::ready_context(&db).await;
    let s = &ctx.store;
    s.create_account(&resident("a1", "alice", "13800000001"), None)
        .await
        .unwrap()
        .unwrap();
    let session = |id: &str, kind: SessionKind| SessionRecord {
        id: id.into(),
        account: Some("a1".into()),
        kind,
        channel: Channel::Web,
        client_id: None,
        csrf: "c".into(),
        created_at: now(),
        expires_at: now() + Duration::hours(1),
        ip: Some("127.0.0.1".into()),
        user_agent: None,
    };
    s.create_session(&session("s1", SessionKind::Cookie), None)
        .await
        .unwrap();
    s.create_session(&session("s2", SessionKind::Bearer), None)
        .await
        .unwrap();
    assert_eq!(
        s.live_session("s1", now()).await.unwrap().unwrap(),
        session("s1", SessionKind::Cookie)
    );
    assert!(
        s.live_session("s1", now() + Duration::hours(2))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert_eq!(s.account_sessions("a1", now()).await.unwrap().len(), 2);
    assert!(s.revoke_session("s1", now(), None).await.unwrap());
    assert!(!s.revoke_session("s1", now(), None).await.unwrap(), "already revoked");
    assert!(s.live_session("s1", now()).await.unwrap().is_none());
    assert_eq!(s.revoke_account_sessions("a1", now(), None).await.unwrap(), 1);
    assert!(s.live_session("s2", now()).await.unwrap().is_none());
    // The session with its account in one read; an anonymous one has none; an expired one is not found.
    s.create_session(&session("s3", SessionKind::Cookie), None)
        .await
        .unwrap();
    let (found, account) = s.live_session_with_account("s3", now()).await.unwrap().unwrap();
    assert_eq!(
        (found.id.as_str(), account.map(|a| a.id)),
        ("s3", Some("a1".to_string()))
    );
    let anonymous = SessionRecord {
        account: None,
        ..session("s4", SessionKind::Cookie)
    };
    s.create_session(&anonymous, None).await.unwrap();
    let (found, account) = s.live_session_with_account("s4", now()).await.unwrap().unwrap();
    assert_eq!((found.account, account), (None, None));
    assert!(s
        .live_session_with_account("s3", now() + Duration::hours(2))
        .await
        .unwrap()
        .is_none());
    assert!(s.live_session_with_account("nope", now()).await.unwrap().is_none());
});

// A client id is registered once and read back whole; an external identity links to one account once (an
// entity's handlers are in `collective`).
both_engines!(clients_and_external_links, |db: TestDb| async move {
    let ctx = sscard_testkit::ready_context(&db).await;
    let s = &ctx.store;
    let client = ApiClient {
        client_id: "conformance-client".into(),
        name: "Conformance".into(),
        channel: Channel::Jingtong,
        secret_hash: "hmac-sha256$k$t".into(),
    };
    assert!(s.create_client(&client, now()).await.unwrap());
    assert!(!s.create_client(&client, now()).await.unwrap(), "the id is taken");
    assert_eq!(s.client("conformance-client").await.unwrap(), Some(client));
    assert!(s.client("no-such-client").await.unwrap().is_none());

    s.create_account(&resident("r1", "resident1", "13800000012"), None)
        .await
        .unwrap()
        .unwrap();
    s.create_account(&resident("h1", "other1", "13800000011"), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.link_external("gov", "sub-9", "r1", now()).await.unwrap(), Ok(()));
    assert_eq!(s.account_for_external("gov", "sub-9").await.unwrap().unwrap().id, "r1");
    assert_eq!(
        s.link_external("gov", "sub-9", "h1", now()).await.unwrap(),
        Err(AccountConflict::ExternalIdentity),
        "one subject, one account"
    );
    assert_eq!(s.account_for_external("gov", "sub-9").await.unwrap().unwrap().id, "r1");
});

both_engines!(challenges_are_spent_once_even_concurrently, |db: TestDb| async move {
    let ctx = sscard_testkit::ready_context(&db).await;
    let s = ctx.store.clone();
    for i in 0..8 {
        let c = Challenge {
            id: format!("c{i}"),
            kind: ChallengeKind::SmsCode,
            bound_to: "mobile:1".into(),
            secret_hash: "h".into(),
            expires_at: now() + Duration::minutes(5),
            failures: 0,
        };
        s.create_challenge(&c, now() + Duration::seconds(i)).await.unwrap();
    }
    assert_eq!(
        s.latest_challenge(ChallengeKind::SmsCode, "mobile:1", now())
            .await
            .unwrap()
            .unwrap()
            .id,
        "c7"
    );
    assert!(s
        .latest_challenge(ChallengeKind::Captcha, "mobile:1", now())
        .await
        .unwrap()
        .is_none());
    assert!(
        s.challenge("c0", now() + Duration::minutes(6)).await.unwrap().is_none(),
        "expired"
    );
    assert_eq!(s.fail_challenge("c0").await.unwrap(), 1);
    assert_eq!(s.fail_challenge("c0").await.unwrap(), 2);
    // Ten concurrent spends of one challenge: exactly one wins.
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let s = s.clone();
        tasks.push(tokio::spawn(
            async move { s.consume_challenge("c3", now()).await.unwrap() },
        ));
    }
    let mut wins = 0;
    for t in tasks {
        wins += usize::from(t.await.unwrap());
    }
    assert_eq!(wins, 1);
    assert!(
        s.challenge("c3", now()).await.unwrap().is_none(),
        "a spent challenge is gone"
    );
});

both_engines!(rate_events_count_per_bucket, |db: TestDb| async move {
    let ctx = sscard_testkit::ready_context(&db).await;
    let s = &ctx.store;
    for m in 0..3 {
        s.record_event("login_account:a", now() + Duration::minutes(m))
            .await
            .unwrap();
    }
    s.record_event("login_account:b", now()).await.unwrap();
    assert_eq!(
        s.events_since("login_account:a", now() - Duration::minutes(1))
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        s.events_since("login_account:a", now()).await.unwrap().len(),
        2,
        "strictly after"
    );
    s.clear_events("login_account:a").await.unwrap();
    assert!(s
        .events_since("login_account:a", now() - Duration::hours(1))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        s.events_since("login_account:b", now() - Duration::hours(1))
            .await
            .unwrap()
            .len(),
        1
    );
});

both_engines!(
    outbox_claims_are_exclusive_until_the_lease_ends,
    |db: TestDb| async move {
        let ctx = sscard_testkit::ready_context(&db).await;
        let s = ctx.store.clone();
        for i in 0..30 {
            s.enqueue_sms(&SmsMessage {
                id: format!("m{i:02}"),
                mobile: Mobile::parse("13800000001").unwrap(),
                body: format!("code {i}"),
                created_at: now(),
                attempts: 0,
            })
            .await
            .unwrap();
        }
        // Three workers at once: every message claimed by exactly one.
        let mut tasks = Vec::new();
        for _ in 0..3 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.claim_sms(20, now(), Duration::minutes(2)).await.unwrap()
            }));
        }
        let mut ids = Vec::new();
        for t in tasks {
            ids.extend(t.await.unwrap().into_iter().map(|m| m.id));
        }
        ids.sort();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len(), "a message was claimed twice");
        assert_eq!(ids.len(), 30);
        assert!(s
            .claim_sms(50, now() + Duration::minutes(1), Duration::minutes(2))
            .await
            .unwrap()
            .is_empty());
        s.mark_sms_sent("m00", now()).await.unwrap();
        s.mark_sms_failed("m01", "down", now() + Duration::minutes(10))
            .await
            .unwrap();
        // After the lease, the unsent ones come back (m01 only after its retry time).
        let again = s
            .claim_sms(50, now() + Duration::minutes(3), Duration::minutes(2))
            .await
            .unwrap();
        assert_eq!(again.len(), 28);
        assert!(again.iter().all(|m| m.attempts == 2));
        assert_eq!(s.pending_sms().await.unwrap(), 29);
    }
);

both_engines!(oidc_flows_are_taken_once, |db: TestDb| async move {
    let ctx = sscard_testkit::ready_context(&db).await;
    let s = &ctx.store;
    let f = OidcFlow {
        state: "st".into(),
        provider: "gov".into(),
        nonce: "n".into(),
        pkce_verifier: "v".into(),
        bound_to: "sess".into(),
        expires_at: now() + Duration::minutes(10),
    };
    s.create_oidc_flow(&f).await.unwrap();
    assert!(
        s.take_oidc_flow("st", now() + Duration::minutes(11))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert_eq!(s.take_oidc_flow("st", now()).await.unwrap(), Some(f));
    assert!(s.take_oidc_flow("st", now()).await.unwrap().is_none(), "replayed");
});

fn entry(action: AuditAction, role: Role, subject: Option<&str>) -> AuditEntry {
    AuditEntry {
        at: now(),
        actor: Some("x".into()),
        role: Some(role),
        channel: Channel::DistrictOutlet,
        organisation: Some("D-110101".into()),
        action,
        record: None,
        subject_person: subject.map(str::to_string),
        purpose: Some("counter_service".into()),
        outcome: Outcome::Success,
        ip: None,
    }
}

both_engines!(the_audit_log_is_append_only, |db: TestDb| async move {
    let ctx = sscard_testkit::ready_context(&db).await;
    let s = &ctx.store;
    let p = id(1950, 6, 1, 41);
    s.append_audit(&entry(AuditAction::PersonRead, Role::OutletClerk, Some(p.as_str())))
        .await
        .unwrap();
    s.append_audit(&entry(AuditAction::PersonRead, Role::Resident, Some(p.as_str())))
        .await
        .unwrap();
    s.append_audit(&entry(AuditAction::LoginSucceeded, Role::BankClerk, Some(p.as_str())))
        .await
        .unwrap();
    s.append_audit(&entry(
        AuditAction::PersonRead,
        Role::HotlineAgent,
        Some("someone-else"),
    ))
    .await
    .unwrap();
    let log = s.person_access_log(p.as_str(), 10).await.unwrap();
    assert_eq!(log.len(), 1, "only others' reads of this person: {log:?}");
    assert_eq!(
        log[0],
        entry(AuditAction::PersonRead, Role::OutletClerk, Some(p.as_str()))
    );
    assert_eq!(s.recent_audit(None, 10).await.unwrap().len(), 4);

    // The database itself refuses to change or remove an entry.
    let statements = ["UPDATE audit_log SET outcome = 'failure'", "DELETE FROM audit_log"];
    match db.kind {
        EngineKind::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            for sql in statements {
                let err = sqlx::query(sql).execute(&pool).await.unwrap_err();
                assert!(err.to_string().contains("append-only"), "{sql}: {err}");
            }
        }
        EngineKind::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            for sql in statements.iter().chain(&["TRUNCATE audit_log"]) {
                let err = sqlx::query(sql).execute(&pool).await.unwrap_err();
                assert!(err.to_string().contains("append-only"), "{sql}: {err}");
            }
        }
    }
    assert_eq!(s.recent_audit(None, 10).await.unwrap().len(), 4, "nothing changed");
});

fn created_entry(account: &str) -> AuditEntry {
    AuditEntry {
        record: Some(format!("account:{account}")),
        ..entry(AuditAction::AccountCreated, Role::Admin, None)
    }
}

// A change and the audit entry that records it commit together: both, or (on a conflict) neither.
both_engines!(an_audited_change_commits_with_its_entry, |db: TestDb| async move {
    let ctx = sscard_testkit::ready_context(&db).await;
    let s = &ctx.store;
    let count = || async { s.recent_audit(None, 1000).await.unwrap().len() };
    s.create_account(&resident("a1", "alice", "13800000001"), Some(&created_entry("a1")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(count().await, 1);
    let taken = s
        .create_account(&resident("a2", "alice", "13800000002"), Some(&created_entry("a2")))
        .await
        .unwrap();
    assert_eq!(taken.err(), Some(AccountConflict::Username));
    assert_eq!(count().await, 1, "no entry for a change that did not happen");
    // Real name, session, revocations: each with its entry.
    let pid = id(1980, 1, 2, 31);
    let name = PersonName::parse("张三").unwrap();
    s.bind_real_name(
        "a1",
        &pid,
        &name,
        now(),
        Some(&entry(AuditAction::RealNameVerified, Role::Resident, None)),
    )
    .await
    .unwrap()
    .unwrap();
    let session = SessionRecord {
        id: "s1".into(),
        account: Some("a1".into()),
        kind: SessionKind::Bearer,
        channel: Channel::Web,
        client_id: None,
        csrf: "c".into(),
        created_at: now(),
        expires_at: now() + Duration::hours(2),
        ip: None,
        user_agent: None,
    };
    s.create_session(
        &session,
        Some(&entry(AuditAction::LoginSucceeded, Role::Resident, None)),
    )
    .await
    .unwrap();
    assert!(s
        .revoke_session("s1", now(), Some(&entry(AuditAction::Logout, Role::Resident, None)))
        .await
        .unwrap());
    assert_eq!(
        s.revoke_account_sessions(
            "a1",
            now(),
            Some(&entry(AuditAction::LogoutEverywhere, Role::Resident, None))
        )
        .await
        .unwrap(),
        0
    );
    let actions: Vec<AuditAction> = s
        .recent_audit(None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        vec![
            AuditAction::LogoutEverywhere,
            AuditAction::Logout,
            AuditAction::LoginSucceeded,
            AuditAction::RealNameVerified,
            AuditAction::AccountCreated
        ]
    );
});

// A one-time code: the challenge, the text and the audit entry, written together.
both_engines!(a_code_is_sent_with_its_challenge_and_entry, |db: TestDb| async move {
    let ctx = sscard_testkit::ready_context(&db).await;
    let s = &ctx.store;
    let c = Challenge {
        id: "ch1".into(),
        kind: ChallengeKind::SmsCode,
        bound_to: "mobile:13800000001".into(),
        secret_hash: "h".into(),
        expires_at: now() + Duration::minutes(5),
        failures: 0,
    };
    let m = SmsMessage {
        id: "sms1".into(),
        mobile: Mobile::parse("13800000001").unwrap(),
        body: "验证码 123456".into(),
        created_at: now(),
        attempts: 0,
    };
    s.send_code(&c, &m, &entry(AuditAction::SmsCodeSent, Role::Resident, None))
        .await
        .unwrap();
    assert_eq!(
        s.challenge("ch1", now()).await.unwrap().map(|c| c.id),
        Some("ch1".into())
    );
    assert_eq!(s.pending_sms().await.unwrap(), 1);
    assert_eq!(
        s.recent_audit(None, 10).await.unwrap()[0].action,
        AuditAction::SmsCodeSent
    );
    // The same challenge again: the whole write fails, and no second text or entry is left behind.
    let again = SmsMessage { id: "sms2".into(), ..m };
    assert!(s
        .send_code(&c, &again, &entry(AuditAction::SmsCodeSent, Role::Resident, None))
        .await
        .is_err());
    assert_eq!(s.pending_sms().await.unwrap(), 1);
    assert_eq!(s.recent_audit(None, 10).await.unwrap().len(), 1);
});

// A claimed message's lease is renewed only by the worker whose claim it still is.
both_engines!(a_lease_is_renewed_only_by_its_claimer, |db: TestDb| async move {
    let ctx = sscard_testkit::ready_context(&db).await;
    let s = &ctx.store;
    s.enqueue_sms(&SmsMessage {
        id: "m1".into(),
        mobile: Mobile::parse("13800000001").unwrap(),
        body: "进度通知".into(),
        created_at: now(),
        attempts: 0,
    })
    .await
    .unwrap();
    let first = s.claim_sms(10, now(), Duration::minutes(2)).await.unwrap();
    assert_eq!(first[0].attempts, 1);
    assert!(s.renew_sms("m1", 1, now() + Duration::minutes(3)).await.unwrap());
    // The renewed lease holds it past the claim's own two minutes.
    assert!(s
        .claim_sms(10, now() + Duration::seconds(150), Duration::minutes(2))
        .await
        .unwrap()
        .is_empty());
    // Once it runs out another worker claims it, and the first one's claim is no longer good.
    let second = s
        .claim_sms(10, now() + Duration::minutes(4), Duration::minutes(2))
        .await
        .unwrap();
    assert_eq!(second[0].attempts, 2);
    assert!(!s.renew_sms("m1", 1, now() + Duration::minutes(5)).await.unwrap());
    assert!(s.renew_sms("m1", 2, now() + Duration::minutes(5)).await.unwrap());
    s.mark_sms_sent("m1", now()).await.unwrap();
    assert!(
        !s.renew_sms("m1", 2, now() + Duration::minutes(5)).await.unwrap(),
        "sent: never again"
    );
});

// Housekeeping deletes exactly what has outlived its use.
both_engines!(housekeeping_deletes_only_the_dead, |db: TestDb| async move {
    let ctx = sscard_testkit::ready_context(&db).await;
    let s = &ctx.store;
    s.create_account(&resident("a1", "alice", "13800000001"), None)
        .await
        .unwrap()
        .unwrap();
    let session = |id: &str, expires| SessionRecord {
        id: id.into(),
        account: Some("a1".into()),
        kind: SessionKind::Cookie,
        channel: Channel::Web,
        client_id: None,
        csrf: "c".into(),
        created_at: now() - Duration::hours(9),
        expires_at: expires,
        ip: None,
        user_agent: None,
    };
    s.create_session(&session("expired", now() - Duration::hours(1)), None)
        .await
        .unwrap();
    s.create_session(&session("revoked", now() + Duration::hours(1)), None)
        .await
        .unwrap();
    s.revoke_session("revoked", now() - Duration::minutes(1), None)
        .await
        .unwrap();
    s.create_session(&session("live", now() + Duration::hours(1)), None)
        .await
        .unwrap();
    s.record_event("login_ip:1.2.3.4", now() - Duration::hours(30))
        .await
        .unwrap();
    s.record_event("login_ip:1.2.3.4", now() - Duration::minutes(5))
        .await
        .unwrap();
    let before = sscard_app::housekeeping::cutoffs(now());
    let p = s.prune(&before).await.unwrap();
    assert_eq!((p.sessions, p.rate_events), (2, 1), "{p:?}");
    assert!(s.live_session("live", now()).await.unwrap().is_some());
    assert_eq!(
        s.events_since("login_ip:1.2.3.4", now() - Duration::hours(48))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        s.prune(&before).await.unwrap(),
        Pruned::default(),
        "a second round finds nothing"
    );
});

both_engines!(
    disabling_an_account_ends_its_sessions_with_its_audit,
    |db: TestDb| async move {
        let ctx = sscard_testkit::ready_context(&db).await;
        let s = &ctx.store;
        s.create_account(&resident("d1", "dora", "13800000031"), None)
            .await
            .unwrap()
            .unwrap();
        let session = live_cookie("ds1", "d1", Channel::Web);
        s.create_session(&session, None).await.unwrap();
        let mut audit = entry(AuditAction::StateChanged, Role::Admin, None);
        audit.record = Some("account:d1:disabled".into());
        assert!(s.set_account_disabled("d1", true, now(), &audit).await.unwrap());
        assert!(s.account("d1").await.unwrap().unwrap().disabled);
        assert!(
            s.live_session("ds1", now()).await.unwrap().is_none(),
            "its session ended"
        );
        let logged = s.recent_audit(Some("x"), 10).await.unwrap();
        assert!(logged
            .iter()
            .any(|e| e.record.as_deref() == Some("account:d1:disabled")));
        // Enabled again: the account works, the ended session stays ended.
        assert!(s.set_account_disabled("d1", false, now(), &audit).await.unwrap());
        assert!(!s.account("d1").await.unwrap().unwrap().disabled);
        assert!(s.live_session("ds1", now()).await.unwrap().is_none());
        // No such account: nothing done, nothing audited.
        let before = s.recent_audit(Some("x"), 100).await.unwrap().len();
        assert!(!s.set_account_disabled("nobody", true, now(), &audit).await.unwrap());
        assert_eq!(s.recent_audit(Some("x"), 100).await.unwrap().len(), before);
    }
);

both_engines!(
    a_staff_account_changes_password_or_binding_with_its_audit,
    |db: TestDb| async move {
        use sscard_app::ports::AccountChange;
        let ctx = sscard_testkit::ready_context(&db).await;
        let s = &ctx.store;
        sscard_app::import::import_csv(&ctx, sscard_app::import::ImportKind::Branches, BRANCHES.as_bytes())
            .await
            .unwrap();
        let clerk = NewAccount {
            id: "c1".into(),
            kind: AccountKind::BankClerk {
                bank: "102".into(),
                branch: "102-0101".into(),
            },
            username: Some(Username::parse("clerk1").unwrap()),
            mobile: None,
            display_name: "clerk".into(),
            password_hash: Some("old-hash".into()),
            created_at: now(),
        };
        s.create_account(&clerk, None).await.unwrap().unwrap();
        s.create_account(&resident("r1", "rita", "13800000041"), None)
            .await
            .unwrap()
            .unwrap();
        let session = live_cookie("cs1", "c1", Channel::BankOutlet);
        s.create_session(&session, None).await.unwrap();
        let audit = entry(AuditAction::AccountChanged, Role::Admin, None);
        let password = AccountChange::Password {
            id: "c1".into(),
            hash: "new-hash".into(),
        };
        assert!(s.change_account(&password, now(), &audit).await.unwrap());
        let login = LoginIdentifier::Username(Username::parse("clerk1").unwrap());
        let (_, hash) = s.account_for_login(&login).await.unwrap().unwrap();
        assert_eq!(hash.as_deref(), Some("new-hash"));
        assert!(
            s.live_session("cs1", now()).await.unwrap().is_none(),
            "its sessions ended"
        );
        // Rebound within its role; a binding of another role changes nothing.
        let moved = AccountKind::BankClerk {
            bank: "102".into(),
            branch: "102-0105".into(),
        };
        let rebind = AccountChange::Binding {
            id: "c1".into(),
            kind: moved.clone(),
        };
        assert!(s.change_account(&rebind, now(), &audit).await.unwrap());
        assert_eq!(s.account("c1").await.unwrap().unwrap().kind, moved);
        let other_role = AccountChange::Binding {
            id: "c1".into(),
            kind: AccountKind::HotlineAgent,
        };
        assert!(!s.change_account(&other_role, now(), &audit).await.unwrap());
        assert_eq!(s.account("c1").await.unwrap().unwrap().kind, moved);
        let nobody = AccountChange::Password {
            id: "nobody".into(),
            hash: "h".into(),
        };
        assert!(!s.change_account(&nobody, now(), &audit).await.unwrap());
        assert_eq!(
            s.recent_audit(Some("x"), 10).await.unwrap().len(),
            2,
            "only what was done is audited"
        );
        // Listed by role.
        let clerks = s.accounts_with_role(Role::BankClerk, 10).await.unwrap();
        assert_eq!(clerks.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), vec!["c1"]);
        assert_eq!(s.accounts_with_role(Role::Resident, 10).await.unwrap().len(), 1);
        assert!(s.accounts_with_role(Role::Admin, 10).await.unwrap().is_empty());
    }
);

/// A cookie session of `account` on `channel`, live for an hour.
fn live_cookie(id: &str, account: &str, channel: Channel) -> SessionRecord {
    SessionRecord {
        id: id.into(),
        account: Some(account.into()),
        kind: SessionKind::Cookie,
        channel,
        client_id: None,
        csrf: "c".into(),
        created_at: now(),
        expires_at: now() + Duration::hours(1),
        ip: None,
        user_agent: None,
    }
}
