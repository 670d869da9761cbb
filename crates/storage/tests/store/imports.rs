//! Conformance of the import-job store: one running job of a kind (a stale one abandoned), progress with the
//! rejected rows, the end, the list newest first, and the row report read in pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Duration;
use sscard_app::ports::*;
use sscard_testkit::{both_engines, TestDb};

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    sscard_domain::clock::Clock::now(&sscard_testkit::fixed_clock())
}

fn job(id: &str, kind: &str, at: chrono::DateTime<chrono::FixedOffset>) -> ImportJob {
    ImportJob {
        id: id.into(),
        kind: kind.into(),
        file_name: format!("{kind}.csv"),
        started_by: "admin-1".into(),
        state: ImportJobState::Running,
        counts: ImportCounts::default(),
        failure: None,
        started_at: at,
        heartbeat_at: at,
        finished_at: None,
    }
}

fn rejection(row: u64) -> ImportRejection {
    ImportRejection {
        row,
        column: row.is_multiple_of(2).then(|| "id_number".to_string()),
        reason: format!("行 {row} 有误"),
    }
}

both_engines!(
    one_job_of_a_kind_runs_and_a_stale_one_is_abandoned,
    |db: TestDb| async move {
        let store = db.store().await;
        let t0 = now();
        let stale = |t: chrono::DateTime<chrono::FixedOffset>| t - Duration::minutes(10);
        store
            .start_import_job(&job("a", "registry", t0), stale(t0))
            .await
            .unwrap()
            .unwrap();
        // A second of the kind: refused with the running one's id; another kind runs beside it.
        let second = store
            .start_import_job(&job("b", "registry", t0), stale(t0))
            .await
            .unwrap();
        assert_eq!(second, Err("a".to_string()));
        assert!(store.import_job("b").await.unwrap().is_none(), "nothing recorded");
        store
            .start_import_job(&job("c", "outlets", t0), stale(t0))
            .await
            .unwrap()
            .unwrap();
        // A heartbeat keeps it: nine minutes later it is still running.
        let t1 = t0 + Duration::minutes(9);
        store
            .import_job_progress(
                "a",
                ImportCounts {
                    read: 5,
                    accepted: 4,
                    rejected: 1,
                },
                &[],
                t1,
            )
            .await
            .unwrap();
        let t2 = t1 + Duration::minutes(9);
        assert_eq!(
            store
                .start_import_job(&job("d", "registry", t2), stale(t2))
                .await
                .unwrap(),
            Err("a".to_string())
        );
        // Silent for eleven minutes: taken for abandoned, and the new one runs.
        let t3 = t1 + Duration::minutes(11);
        store
            .start_import_job(&job("e", "registry", t3), stale(t3))
            .await
            .unwrap()
            .unwrap();
        let a = store.import_job("a").await.unwrap().unwrap();
        assert_eq!(a.state, ImportJobState::Abandoned);
        assert_eq!(a.finished_at, Some(t3));
        assert_eq!(
            a.counts,
            ImportCounts {
                read: 5,
                accepted: 4,
                rejected: 1
            }
        );
    }
);

both_engines!(
    a_job_keeps_its_progress_its_end_and_its_report,
    |db: TestDb| async move {
        let store = db.store().await;
        let t0 = now();
        store
            .start_import_job(&job("j1", "registry", t0), t0)
            .await
            .unwrap()
            .unwrap();
        let first: Vec<ImportRejection> = (2..6_000).step_by(2).map(rejection).collect();
        let counts = ImportCounts {
            read: 6_000,
            accepted: 3_001,
            rejected: 2_999,
        };
        store
            .import_job_progress("j1", counts, &first, t0 + Duration::seconds(2))
            .await
            .unwrap();
        store
            .import_job_progress("j1", counts, &[rejection(6_001)], t0 + Duration::seconds(4))
            .await
            .unwrap();
        let running = store.import_job("j1").await.unwrap().unwrap();
        assert_eq!(running.state, ImportJobState::Running);
        assert_eq!(running.heartbeat_at, t0 + Duration::seconds(4));
        assert_eq!(running.counts, counts);

        let end = t0 + Duration::seconds(9);
        store
            .finish_import_job("j1", ImportJobState::Finished, counts, None, end)
            .await
            .unwrap();
        // An ended job is not written again (a late heartbeat changes nothing).
        store
            .import_job_progress("j1", ImportCounts::default(), &[], end + Duration::seconds(1))
            .await
            .unwrap();
        let done = store.import_job("j1").await.unwrap().unwrap();
        assert_eq!(done.state, ImportJobState::Finished);
        assert_eq!(done.finished_at, Some(end));
        assert_eq!(done.counts, counts);
        assert_eq!(done.file_name, "registry.csv");
        assert_eq!(done.started_by, "admin-1");

        // The report in row order, page by page, nothing lost or repeated.
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let page = store.import_rejections("j1", after, 1_000).await.unwrap();
            let Some(last) = page.last() else { break };
            after = last.row;
            all.extend(page);
        }
        let mut expected = first.clone();
        expected.push(rejection(6_001));
        assert_eq!(all, expected);

        // A failed job keeps why.
        store
            .start_import_job(&job("j2", "outlets", t0 + Duration::minutes(1)), t0)
            .await
            .unwrap()
            .unwrap();
        store
            .finish_import_job(
                "j2",
                ImportJobState::Failed,
                ImportCounts::default(),
                Some("磁盘已满"),
                end,
            )
            .await
            .unwrap();
        let failed = store.import_job("j2").await.unwrap().unwrap();
        assert_eq!(
            (failed.state, failed.failure.as_deref()),
            (ImportJobState::Failed, Some("磁盘已满"))
        );

        // Newest first, at most the limit.
        let list = store.import_jobs(10).await.unwrap();
        assert_eq!(list.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(), ["j2", "j1"]);
        assert_eq!(store.import_jobs(1).await.unwrap().len(), 1);
        assert!(store.import_job("nope").await.unwrap().is_none());
    }
);
