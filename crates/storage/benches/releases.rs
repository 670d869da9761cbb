//! The release job over a city's worth of cards (PostgreSQL), against bare SQL in the same run:
//!
//! - `SSCARD_BENCH_CARDS` cards (default 3,000,000), a third of them temporarily lost and due;
//! - **bare update**: one `UPDATE` of the due cards' states, nothing else (for scale);
//! - **bare writes**: the same writes the job makes (the states, a transition record per card, a text per card to
//!   the same mobile the job finds) as three set-based statements in one transaction, no batching, no locks skipped;
//! - **job**: `sscard_app::cards::release::release_due`, batches of a thousand through the card store, while
//!   readers query card states; target: within **2×** the bare writes;
//! - **card-status read p99** (the card, its records, its password state, as the status view reads them),
//!   idle and while the job runs; target: while running within **2×** idle.
//!
//! `SSCARD_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p sscard-storage --bench releases`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeZone;
use sqlx::PgPool;
use sscard_domain::clock::{shanghai, FixedClock};
use sscard_testkit::TestDb;

fn cards() -> i64 {
    std::env::var("SSCARD_BENCH_CARDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000_000)
}

const DUE_MS: i64 = 1_764_000_000_000;

/// Every third card is lost and due; the rest are active.
async fn reset(pool: &PgPool) {
    sqlx::query("ALTER TABLE card_transitions DISABLE TRIGGER USER")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("TRUNCATE card_transitions").execute(pool).await.unwrap();
    sqlx::query("ALTER TABLE card_transitions ENABLE TRIGGER USER")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("TRUNCATE sms_outbox").execute(pool).await.unwrap();
    sqlx::query(
        "UPDATE cards SET social_security = 'temp_loss', loss_until_ms = $1 \
         WHERE seqno % 3 = 0 AND social_security <> 'temp_loss'",
    )
    .bind(DUE_MS)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("VACUUM ANALYZE cards").execute(pool).await.unwrap();
}

async fn load(pool: &PgPool, n: i64) {
    let t = Instant::now();
    sqlx::query("INSERT INTO accounts (id, role, display_name, created_ms) VALUES ('bench', 'resident', 'bench', 0)")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO applications (id, reference, person_id, applicant, route, channel, state, mobile, created_ms, \
         updated_ms, cartoon_photo) VALUES ('bench-app', 'BJBENCH', '110105198001020118', 'bench', 'personal', \
         'web', 'collected', '13800000000', 0, 0, FALSE)",
    )
    .execute(pool)
    .await
    .unwrap();
    // A column of the bench's own to pick the due third again after each phase.
    sqlx::query("ALTER TABLE cards ADD COLUMN seqno BIGINT")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO cards (number, holder_id, generation, bank, branch, masked_account, issued_on, application_id, \
         social_security, financial, loss_until_ms, seqno) \
         SELECT 'B' || lpad(i::text, 10, '0'), '110105198001020118', 3, '102', '102-0101', '6217********0000', \
         DATE '2026-01-01', 'bench-app', CASE WHEN i % 3 = 0 THEN 'temp_loss' ELSE 'active' END, 'active', \
         CASE WHEN i % 3 = 0 THEN $2 END, i FROM generate_series(1, $1) i",
    )
    .bind(n)
    .bind(DUE_MS)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("VACUUM ANALYZE cards").execute(pool).await.unwrap();
    println!("loaded {n} cards in {:.1} s", t.elapsed().as_secs_f64());
}

/// The bare single UPDATE of the states.
async fn bare_update(pool: &PgPool, now_ms: i64) -> (Duration, u64) {
    let t = Instant::now();
    let r = sqlx::query(
        "UPDATE cards SET social_security = 'active', loss_until_ms = NULL \
         WHERE social_security = 'temp_loss' AND loss_until_ms <= $1",
    )
    .bind(now_ms)
    .execute(pool)
    .await
    .unwrap();
    (t.elapsed(), r.rows_affected())
}

/// The job's writes as bare set-based SQL in one transaction.
async fn bare_writes(pool: &PgPool, now_ms: i64) -> (Duration, u64) {
    let t = Instant::now();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO card_transitions (card_number, at_ms, service, ss_from, ss_to, fin_from, fin_to, reason, \
         reason_text, channel, actor_role, actor, acting, agent_id, place, request_key) \
         SELECT number, $1, 'release', 'temp_loss', 'active', financial, financial, 'loss_expired', NULL, NULL, \
         NULL, 'system', 'self', NULL, NULL, NULL FROM cards \
         WHERE social_security = 'temp_loss' AND loss_until_ms <= $1",
    )
    .bind(now_ms)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO sms_outbox (id, mobile, body, created_ms, attempts, due_ms) \
         SELECT 'release:' || u.number || ':' || $1, COALESCE(i.mobile, a.mobile, p.mobile), 'released ' || right(u.number, 4), \
         $1, 0, $1 FROM cards u JOIN applications a ON a.id = u.application_id \
         LEFT JOIN registry_persons p ON p.id_number = u.holder_id \
         LEFT JOIN card_holder_info i ON i.card_number = u.number \
         WHERE u.social_security = 'temp_loss' AND u.loss_until_ms <= $1",
    )
    .bind(now_ms)
    .execute(&mut *tx)
    .await
    .unwrap();
    let r = sqlx::query(
        "UPDATE cards SET social_security = 'active', loss_until_ms = NULL \
         WHERE social_security = 'temp_loss' AND loss_until_ms <= $1",
    )
    .bind(now_ms)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (t.elapsed(), r.rows_affected())
}

/// Card-status reads (the card, its records, its password state) by `readers` tasks until `stop`; each
/// read's latency.
async fn reads(
    ctx: sscard_app::AppContext,
    n: i64,
    readers: usize,
    stop: Arc<AtomicBool>,
    min: usize,
) -> Vec<Duration> {
    let mut tasks = Vec::new();
    for r in 0..readers {
        let (ctx, stop) = (ctx.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            let mut i: i64 = 7919 * (r as i64 + 1);
            while !stop.load(Ordering::Relaxed) || out.len() < min {
                i = (i * 48271) % n + 1;
                let number = format!("B{i:010}");
                let t = Instant::now();
                let card = ctx.store.card(&number).await.unwrap().unwrap();
                ctx.store.card_transitions(&card.number).await.unwrap();
                ctx.store.card_secret(&card.number).await.unwrap();
                out.push(t.elapsed());
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

fn p99(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[(v.len() * 99 / 100).min(v.len() - 1)]
}

#[tokio::main]
async fn main() {
    let Some(db) = TestDb::postgres().await else {
        println!("SKIPPED: the release benchmark needs PostgreSQL (SSCARD_TEST_PG_URL)");
        return;
    };
    let n = cards();
    let (store, pool) = {
        let (pg, ctx) = sscard_testkit::bench_context(&db).await;
        (ctx.store.clone(), pg.pool().clone())
    };
    load(&pool, n).await;
    let now = shanghai().timestamp_millis_opt(DUE_MS + 60_000).single().unwrap();
    let clock = FixedClock::at(now);
    let ctx = sscard_testkit::context(store, clock);
    let now_ms = now.timestamp_millis();

    let (update, updated) = bare_update(&pool, now_ms).await;
    println!("bare update:  {updated} cards in {:.2} s", update.as_secs_f64());
    reset(&pool).await;
    let readers = 4;
    let stop = Arc::new(AtomicBool::new(false));
    let idle_stop = stop.clone();
    let idle_task = tokio::spawn(reads(ctx.clone(), n, readers, idle_stop, 500));
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let idle = p99(idle_task.await.unwrap());

    // The same readers while the bare writes run: what this machine allows while that much is written at once.
    let stop = Arc::new(AtomicBool::new(false));
    let bare_task = tokio::spawn(reads(ctx.clone(), n, readers, stop.clone(), 500));
    let (bare, written) = bare_writes(&pool, now_ms).await;
    stop.store(true, Ordering::Relaxed);
    let during_bare = p99(bare_task.await.unwrap());
    println!(
        "bare writes:  {written} cards (state, record, text) in {:.2} s",
        bare.as_secs_f64()
    );
    reset(&pool).await;

    let stop = Arc::new(AtomicBool::new(false));
    let busy_task = tokio::spawn(reads(ctx.clone(), n, readers, stop.clone(), 500));
    let t = Instant::now();
    let released = sscard_app::cards::release::release_due(&ctx, u32::MAX).await.unwrap();
    let job = t.elapsed();
    stop.store(true, Ordering::Relaxed);
    let busy = p99(busy_task.await.unwrap());
    assert_eq!(released as i64, n / 3, "every due card once");
    println!(
        "job:          {released} cards in {:.2} s = {:.2}× the bare writes (target ≤ 2×)",
        job.as_secs_f64(),
        job.as_secs_f64() / bare.as_secs_f64()
    );
    // The same job paced: after each batch it pauses as long as the batch took (half the write rate).
    reset(&pool).await;
    let stop = Arc::new(AtomicBool::new(false));
    let paced_task = tokio::spawn(reads(ctx.clone(), n, readers, stop.clone(), 500));
    let t = Instant::now();
    let mut after = None;
    let mut paced_released = 0;
    loop {
        let b = Instant::now();
        let round = ctx
            .store
            .release_due_losses(&sscard_app::ports::ReleaseBatch {
                now,
                limit: sscard_app::cards::release::BATCH,
                text_before: "a".into(),
                text_after: "b".into(),
                after: after.clone(),
            })
            .await
            .unwrap();
        paced_released += round.released;
        match round.last {
            Some(l) => after = Some(l),
            None => break,
        }
        tokio::time::sleep(b.elapsed()).await;
    }
    let paced = t.elapsed();
    stop.store(true, Ordering::Relaxed);
    let paced_p99 = p99(paced_task.await.unwrap());
    println!(
        "paced job:    {paced_released} cards in {:.2} s = {:.2}× the bare writes; read p99 {:.2} ms = {:.2}× idle",
        paced.as_secs_f64(),
        paced.as_secs_f64() / bare.as_secs_f64(),
        paced_p99.as_secs_f64() * 1000.0,
        paced_p99.as_secs_f64() / idle.as_secs_f64()
    );
    println!(
        "status read p99: idle {:.2} ms, during the job {:.2} ms = {:.2}× (target ≤ 2×); during the bare writes \
         {:.2} ms = {:.2}×",
        idle.as_secs_f64() * 1000.0,
        busy.as_secs_f64() * 1000.0,
        busy.as_secs_f64() / idle.as_secs_f64(),
        during_bare.as_secs_f64() * 1000.0,
        during_bare.as_secs_f64() / idle.as_secs_f64()
    );
}
