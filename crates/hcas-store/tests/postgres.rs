//! PostgreSQL-only tests: crash safety, the exclusion constraint, group commit.
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod pg_support;

use hcas_store::AppointmentStore;
use hcas_store::conformance::{at, booked};
use hcas_store::postgres::sqlx::postgres::PgConnection;
use hcas_store::postgres::sqlx::{self, ConnectOptions, Connection};
use hcas_store::postgres::{BatchStats, PgStore, PgStoreOptions};

/// A booking transaction on a dedicated connection inserts the booking, its
/// resource row and its outbox event, then the server kills the connection
/// before the commit: neither the booking nor its event remains, and the slot
/// can be booked afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_mid_booking_leaves_nothing() {
    let Some(db) = pg_support::fresh_db("crash_mid_booking_leaves_nothing").await else {
        return;
    };
    let store = PgStore::open_with(db.options.clone(), 2).await.unwrap();
    let mut victim: PgConnection = db.options.connect().await.unwrap();
    let (pid,): (i32,) = sqlx::query_as("SELECT pg_backend_pid()")
        .fetch_one(&mut victim)
        .await
        .unwrap();
    let b = booked("crash-1", 0, 30, &["provider:P1", "patient:X"]);
    let payload = serde_json::to_string(&b).unwrap();
    let mut tx = victim.begin().await.unwrap();
    // The adapter's statements, in its order.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
        .bind("provider:P1")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO bookings (id, start_s, end_s, status, hold_expires_s, version, payload)
         VALUES ($1, $2, $3, 'booked', NULL, 1, $4::jsonb)",
    )
    .bind(&b.id)
    .bind(b.start.unix())
    .bind(b.end.unix())
    .bind(&payload)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO booking_resources (booking_id, resource, start_s, end_s, blocking, capacity_one)
         VALUES ($1, 'provider:P1', $2, $3, true, true)",
    )
    .bind(&b.id)
    .bind(b.start.unix())
    .bind(b.end.unix())
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO outbox (kind, aggregate_id, payload, created_s)
         VALUES ('appointment.created', $1, $2::jsonb, 0)",
    )
    .bind(&b.id)
    .bind(&payload)
    .execute(&mut *tx)
    .await
    .unwrap();
    // Crash: the backend dies mid-transaction.
    let (killed,): (bool,) = sqlx::query_as("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(killed);
    assert!(tx.commit().await.is_err(), "commit on a killed connection");
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.bookings, counts.outbox), (0, 0));
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM booking_resources")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(rows, 0);
    // Nothing left behind, not even the advisory lock: the slot is free.
    store.book(b, None, at(-60)).await.unwrap();
    assert_eq!(store.outbox_pending(10).await.unwrap().len(), 1);
    store.pool().close().await;
}

/// A dropped (never committed) booking transaction rolls back too.
#[tokio::test]
async fn dropped_transaction_leaves_nothing() {
    let Some(db) = pg_support::fresh_db("dropped_transaction_leaves_nothing").await else {
        return;
    };
    let store = PgStore::open_with(db.options.clone(), 2).await.unwrap();
    {
        let mut tx = store.pool().begin().await.unwrap();
        sqlx::query(
            "INSERT INTO bookings (id, start_s, end_s, status, version, payload)
             VALUES ('gone', 0, 1800, 'booked', 1, '{}'::jsonb)",
        )
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO outbox (kind, aggregate_id, payload, created_s)
             VALUES ('appointment.created', 'gone', '{}'::jsonb, 0)",
        )
        .execute(&mut *tx)
        .await
        .unwrap();
        drop(tx);
    }
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.bookings, counts.outbox), (0, 0));
    store.pool().close().await;
}

/// The exclusion constraint rejects overlapping blocking rows on a
/// capacity-1 resource even when the transactional check is bypassed
/// (SQLSTATE 23P01), and does not cover holds or capacity > 1.
#[tokio::test]
async fn exclusion_constraint_is_last_line_of_defence() {
    let Some(db) = pg_support::fresh_db("exclusion_constraint_is_last_line_of_defence").await
    else {
        return;
    };
    let store = PgStore::open_with(db.options.clone(), 2).await.unwrap();
    let pool = store.pool();
    for id in ["a", "b", "h", "c1", "c2"] {
        sqlx::query(
            "INSERT INTO bookings (id, start_s, end_s, status, version, payload)
             VALUES ($1, 0, 1800, 'booked', 1, '{}'::jsonb)",
        )
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
    }
    let put = |id: &'static str, resource: &'static str, start: i64, blocking: bool, one: bool| {
        sqlx::query(
            "INSERT INTO booking_resources (booking_id, resource, start_s, end_s, blocking, capacity_one)
             VALUES ($1, $2, $3, $3 + 1800, $4, $5)",
        )
        .bind(id)
        .bind(resource)
        .bind(start)
        .bind(blocking)
        .bind(one)
        .execute(pool)
    };
    put("a", "provider:P1", 0, true, true).await.unwrap();
    let err = put("b", "provider:P1", 900, true, true).await.unwrap_err();
    let code = err.as_database_error().and_then(|e| e.code()).unwrap();
    assert_eq!(code.as_ref(), "23P01");
    // Back to back is fine ([start, end) ranges).
    put("b", "provider:P1", 1800, true, true).await.unwrap();
    // A hold (not blocking regardless of time) is left to the transactional check.
    put("h", "provider:P1", 0, false, true).await.unwrap();
    // Capacity > 1 is left to the transactional check.
    put("c1", "room:R1", 0, true, false).await.unwrap();
    put("c2", "room:R1", 0, true, false).await.unwrap();
    pool.close().await;
}

/// A 23P01 on every attempt (here: a resource row marked blocking whose
/// booking the core sees as cancelled, i.e. the two layers disagree) is
/// retried, then reported as retryable `Unavailable` since the re-read finds
/// no winner; nothing is written.
#[tokio::test]
async fn exclusion_violation_is_retried_then_reported() {
    let Some(db) = pg_support::fresh_db("exclusion_violation_is_retried_then_reported").await
    else {
        return;
    };
    let store = PgStore::open_with(db.options.clone(), 2).await.unwrap();
    let mut ghost = booked("ghost", 0, 30, &["provider:P1"]);
    ghost.status = hcas_core::booking::Status::Cancelled;
    sqlx::query(
        "INSERT INTO bookings (id, start_s, end_s, status, version, payload)
         VALUES ('ghost', $1, $2, 'cancelled', 1, $3::jsonb)",
    )
    .bind(ghost.start.unix())
    .bind(ghost.end.unix())
    .bind(serde_json::to_string(&ghost).unwrap())
    .execute(store.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO booking_resources (booking_id, resource, start_s, end_s, blocking, capacity_one)
         VALUES ('ghost', 'provider:P1', $1, $2, true, true)",
    )
    .bind(ghost.start.unix())
    .bind(ghost.end.unix())
    .execute(store.pool())
    .await
    .unwrap();
    let err = store
        .book(booked("new", 0, 30, &["provider:P1"]), None, at(-60))
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert!(err.to_string().contains("retries exhausted"), "{err}");
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.bookings, counts.outbox), (1, 0));
    store.pool().close().await;
}

/// One request of [`mixed_requests`]: the booking, its idempotency key.
type Req = (hcas_core::booking::Booking, Option<String>);

/// A mix of requests for one race: contended capacity-1 slots, contended
/// capacity-2 slots, free bookings, repeated idempotency keys (same details,
/// and once with other details), ids used twice, an id already in the
/// database, an invalid booking. Patients are unique, so the only conflicts
/// are on the provider and the room.
fn mixed_requests() -> Vec<Req> {
    let mut out: Vec<Req> = Vec::new();
    let mut patient = 0;
    let mut next_patient = || {
        patient += 1;
        format!("patient:X{patient}")
    };
    // 8 slots of provider:P1 (capacity 1), 4 contenders each.
    for slot in 0..8_i64 {
        for k in 0..4 {
            let p = next_patient();
            out.push((
                booked(
                    &format!("p1-{slot}-{k}"),
                    slot * 30,
                    slot * 30 + 30,
                    &["provider:P1", &p],
                ),
                None,
            ));
        }
    }
    // 3 slots of room:R1 (capacity 2), 4 contenders each.
    for slot in 0..3_i64 {
        for k in 0..4 {
            let p = next_patient();
            out.push((
                booked(
                    &format!("r1-{slot}-{k}"),
                    slot * 30,
                    slot * 30 + 30,
                    &["room:R1", &p],
                ),
                None,
            ));
        }
    }
    // Free bookings.
    for i in 0..12 {
        let p = next_patient();
        out.push((
            booked(
                &format!("free-{i}"),
                0,
                30,
                &[&format!("provider:F{i}"), &p],
            ),
            None,
        ));
    }
    // Idempotency keys: 3 retries with the same details (fresh ids), one
    // request with other details.
    for k in 0..4 {
        let resource = format!("provider:K{k}");
        for r in 0..3 {
            out.push((
                booked(&format!("key-{k}-{r}"), 0, 30, &[&resource]),
                Some(format!("key-{k}")),
            ));
        }
        out.push((
            booked(&format!("key-{k}-other"), 60, 90, &[&resource]),
            Some(format!("key-{k}")),
        ));
    }
    // Ids used twice (on free resources), an id already stored, an invalid booking.
    for i in 0..3 {
        for r in 0..2 {
            out.push((
                booked(&format!("dup-{i}"), 0, 30, &[&format!("provider:D{i}-{r}")]),
                None,
            ));
        }
    }
    out.push((booked("seed", 300, 330, &["provider:S2"]), None));
    out.push((booked("bad", 30, 0, &["provider:B1"]), None));
    out
}

/// What an answer looks like, for comparing the store with the core.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Booked(hcas_core::booking::Booking),
    Conflict(Vec<hcas_core::booking::Conflict>),
    Invalid(hcas_core::ErrorCode),
}

/// Every request of [`mixed_requests`] at once through `store`, from one
/// task each, released together; then the answers must be exactly those of
/// the core's `Ledger::book` run sequentially in an order consistent with
/// them (the bookings the store created first, then every other request in
/// arrival order), and the database must agree.
async fn race_mixed(store: &PgStore) {
    use hcas_core::booking::{BookOutcome, Ledger};
    use hcas_store::StoreError;
    use std::sync::Arc;

    let now = at(-60);
    store.set_capacity("room:R1", 2).await.unwrap();
    let seed = booked("seed", 0, 30, &["provider:S1"]);
    store.book(seed.clone(), None, now).await.unwrap();
    let requests = mixed_requests();
    let barrier = Arc::new(tokio::sync::Barrier::new(requests.len()));
    let mut tasks = Vec::new();
    for (booking, key) in requests.clone() {
        let store = store.clone();
        let barrier = Arc::clone(&barrier);
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            store.book(booking, key.as_deref(), now).await
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(match t.await.unwrap() {
            Ok(s) => {
                assert_eq!(s.version, 1);
                Answer::Booked(s.value)
            }
            Err(StoreError::Conflict { conflicts }) => Answer::Conflict(conflicts),
            Err(e @ StoreError::Invalid(_)) => Answer::Invalid(e.core_code().unwrap()),
            Err(e) => panic!("unexpected error: {e:?}"),
        });
    }
    // The creators: requests answered with their own booking, first occurrence of each id.
    let mut creators = Vec::new();
    let mut created = std::collections::BTreeSet::new();
    for (n, ((b, _), a)) in requests.iter().zip(&answers).enumerate() {
        if matches!(a, Answer::Booked(v) if v == b) && created.insert(b.id.clone()) {
            creators.push(n);
        }
    }
    // Sequential replay in the core.
    let mut ledger = Ledger::new();
    ledger.set_capacity("room:R1", 2).unwrap();
    ledger
        .book(seed, hcas_core::booking::BookOptions::at(now))
        .unwrap();
    let order: Vec<usize> = creators
        .iter()
        .copied()
        .chain((0..requests.len()).filter(|n| !creators.contains(n)))
        .collect();
    for n in order {
        let (b, key) = &requests[n];
        let expect = match ledger.book(
            b.clone(),
            hcas_core::booking::BookOptions::at(now).idempotency_key(key.as_deref()),
        ) {
            Ok(BookOutcome::Booked(v) | BookOutcome::Existing(v)) => Answer::Booked(v),
            Ok(BookOutcome::Conflict(c)) => Answer::Conflict(c),
            Err(e) => Answer::Invalid(e.code()),
        };
        assert_eq!(answers[n], expect, "request {n}: {b:?} key {key:?}");
    }
    // Exactly one winner per provider slot, two per room slot; every loser
    // names exactly the winners.
    for (prefix, resource, slots, capacity) in
        [("p1", "provider:P1", 8, 1), ("r1", "room:R1", 3, 2)]
    {
        for slot in 0..slots {
            let ids: Vec<usize> = (0..requests.len())
                .filter(|&n| requests[n].0.id.starts_with(&format!("{prefix}-{slot}-")))
                .collect();
            let winners: Vec<String> = ids
                .iter()
                .filter(|&&n| matches!(answers[n], Answer::Booked(_)))
                .map(|&n| requests[n].0.id.clone())
                .collect();
            assert_eq!(
                winners.len(),
                capacity,
                "{resource} slot {slot}: {winners:?}"
            );
            let mut sorted = winners.clone();
            sorted.sort();
            for &n in &ids {
                if !winners.contains(&requests[n].0.id) {
                    assert_eq!(
                        answers[n],
                        Answer::Conflict(vec![hcas_core::booking::Conflict::new(
                            resource.to_string(),
                            sorted.clone(),
                        )])
                    );
                }
            }
        }
    }
    // Free bookings all made; one booking per key, every repeat returns it.
    for (n, (b, key)) in requests.iter().enumerate() {
        if b.id.starts_with("free-") {
            assert_eq!(answers[n], Answer::Booked(b.clone()));
        }
        if key.is_some() {
            assert!(
                matches!(answers[n], Answer::Booked(_) | Answer::Invalid(_)),
                "{n}: {:?}",
                answers[n]
            );
        }
    }
    for k in 0..4 {
        let key = format!("key-{k}");
        let booked_as: std::collections::BTreeSet<String> = (0..requests.len())
            .filter(|&n| requests[n].1.as_deref() == Some(key.as_str()))
            .filter_map(|n| match &answers[n] {
                Answer::Booked(v) => Some(v.id.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(booked_as.len(), 1, "{key}: {booked_as:?}");
        let (stored,): (String,) =
            sqlx::query_as("SELECT booking_id FROM idempotency WHERE key = $1")
                .bind(&key)
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(Some(&stored), booked_as.iter().next());
    }
    // Ids used twice: one made, one refused; the stored id and the invalid one refused.
    for i in 0..3 {
        let id = format!("dup-{i}");
        let made = (0..requests.len())
            .filter(|&n| requests[n].0.id == id && matches!(answers[n], Answer::Booked(_)))
            .count();
        assert_eq!(made, 1, "{id}");
    }
    let last = requests.len() - 1;
    assert_eq!(
        answers[last - 1],
        Answer::Invalid(hcas_core::ErrorCode::InvalidRequest)
    );
    assert!(
        matches!(answers[last], Answer::Invalid(_)),
        "{:?}",
        answers[last]
    );
    // The database: exactly the created bookings (+ the seed), one event each,
    // resources as booked, no overlap beyond capacity.
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.bookings as usize, creators.len() + 1);
    assert_eq!(counts.outbox as usize, creators.len() + 1);
    let (events,): (i64,) = sqlx::query_as(
        "SELECT COUNT(DISTINCT aggregate_id) FROM outbox WHERE kind = 'appointment.created'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(events as usize, creators.len() + 1);
    for &n in &creators {
        let got = store.get(&requests[n].0.id).await.unwrap();
        assert_eq!(got.value, requests[n].0);
    }
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM booking_resources")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let expect_rows: usize = creators
        .iter()
        .map(|&n| requests[n].0.resources.len())
        .sum();
    assert_eq!(rows as usize, expect_rows + 1);
    let over: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT r.booking_id, r.resource, COUNT(*), COALESCE(MAX(c.capacity), 1)::bigint
         FROM booking_resources r
         JOIN booking_resources o
           ON o.resource = r.resource AND o.start_s <= r.start_s AND o.end_s > r.start_s
         JOIN bookings b ON b.id = o.booking_id
         LEFT JOIN capacities c ON c.resource = r.resource
         WHERE b.status IN ('pending', 'booked', 'arrived', 'checked-in', 'fulfilled')
         GROUP BY r.booking_id, r.resource
         HAVING COUNT(*) > COALESCE(MAX(c.capacity), 1)",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert!(over.is_empty(), "overlaps beyond capacity: {over:?}");
}

/// Group commit with one batch at a time: the concurrent requests queue up
/// behind the first batch and are decided together in the next ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batched_booking_matches_sequential_ledger() {
    let Some(db) = pg_support::fresh_db("batched_booking_matches_sequential_ledger").await else {
        return;
    };
    let options = PgStoreOptions {
        max_connections: 4,
        max_batch: 64,
        max_in_flight: 1,
        ..PgStoreOptions::new(4)
    };
    let store = PgStore::open_with_options(db.options.clone(), options)
        .await
        .unwrap();
    assert!(store.batched());
    race_mixed(&store).await;
    let stats = store.batch_stats();
    // 1 seed + every request went through the batcher, in fewer transactions,
    // decided by the batch logic alone (no exclusion violation, no fallback).
    assert_eq!(stats.bookings as usize, mixed_requests().len() + 1);
    assert!(stats.batches < stats.bookings / 2, "{stats:?}");
    assert_eq!((stats.retries, stats.fallbacks), (0, 0), "{stats:?}");
    store.pool().close().await;
}

/// The same race with the default options (several batches at once).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batched_default_matches_sequential_ledger() {
    let Some(db) = pg_support::fresh_db("batched_default_matches_sequential_ledger").await else {
        return;
    };
    let store = PgStore::open_with(db.options.clone(), 4).await.unwrap();
    race_mixed(&store).await;
    let stats = store.batch_stats();
    assert_eq!(stats.bookings as usize, mixed_requests().len() + 1);
    assert!(stats.batches < stats.bookings, "{stats:?}");
    // Two batches at once may both accept one id (ids are not locked, only
    // resources and keys): the second insert finds it taken and its batch is
    // re-run, which is correct. Giving up on the batch path is not expected.
    assert_eq!(stats.fallbacks, 0, "{stats:?}");
    store.pool().close().await;
}

/// The same race with group commit off (each booking its own transaction).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unbatched_matches_sequential_ledger() {
    let Some(db) = pg_support::fresh_db("unbatched_matches_sequential_ledger").await else {
        return;
    };
    let store = PgStore::open_with_options(db.options.clone(), PgStoreOptions::unbatched(4))
        .await
        .unwrap();
    assert!(!store.batched());
    race_mixed(&store).await;
    assert_eq!(store.batch_stats(), BatchStats::default());
    store.pool().close().await;
}

/// Callers that give up (their `book` future dropped) do not break the
/// batch: every other caller gets its answer, and what was committed is
/// whole (booking, resources, event) and can be found by its idempotency key.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dropped_callers_do_not_break_the_batch() {
    let Some(db) = pg_support::fresh_db("dropped_callers_do_not_break_the_batch").await else {
        return;
    };
    let options = PgStoreOptions {
        max_connections: 4,
        max_batch: 64,
        max_in_flight: 1,
        ..PgStoreOptions::new(4)
    };
    let store = PgStore::open_with_options(db.options.clone(), options)
        .await
        .unwrap();
    let now = at(-60);
    let mut tasks = Vec::new();
    for i in 0..40_i64 {
        let store = store.clone();
        let b = booked(&format!("d{i}"), 0, 30, &[&format!("provider:D{i}")]);
        tasks.push(tokio::spawn(async move {
            store.book(b, Some(&format!("dk{i}")), now).await
        }));
    }
    // Give up on every other caller, at various points of their booking.
    for (i, t) in tasks.iter().enumerate() {
        if i % 2 == 1 {
            t.abort();
        }
        if i % 8 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let mut kept = 0;
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await {
            Ok(r) => {
                assert_eq!(r.unwrap().value.id, format!("d{i}"));
                kept += 1;
            }
            Err(e) => assert!(e.is_cancelled() && i % 2 == 1, "{i}: {e}"),
        }
    }
    assert!(kept >= 20);
    // Whatever the gone callers left is whole, and found by its key.
    let counts = store.counts().await.unwrap();
    assert!(counts.bookings >= 20, "{counts:?}");
    assert_eq!(counts.outbox, counts.bookings);
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM booking_resources")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(rows as u64, counts.bookings);
    for i in 0..40_i64 {
        // Gone callers' bookings that were not made are made now.
        let b = booked(&format!("d{i}"), 0, 30, &[&format!("provider:D{i}")]);
        let again = store.book(b, Some(&format!("dk{i}")), now).await.unwrap();
        assert_eq!(again.value.id, format!("d{i}"));
    }
    let after = store.counts().await.unwrap();
    assert_eq!(after.bookings, 40);
    assert_eq!(after.outbox, 40);
    store.pool().close().await;
}

/// The requests of [`one_batch_answers_like_the_single_path`], in arrival
/// order, each with its idempotency key and its `now`.
fn ordered_requests() -> Vec<(hcas_core::booking::Booking, Option<&'static str>, i64)> {
    use hcas_store::conformance::held;
    let mut empty = booked("bad", 0, 30, &["provider:Z"]);
    empty.resources.clear();
    vec![
        // A key: made, repeated (fresh id), reused with other details.
        (booked("a1", 0, 30, &["provider:A"]), Some("k1"), -60),
        (booked("a1-retry", 0, 30, &["provider:A"]), Some("k1"), -60),
        (booked("a2", 60, 90, &["provider:A"]), Some("k1"), -60),
        // A key whose first request conflicts (with the stored seed) is not
        // stored: the next request with it is new; then repeated.
        (booked("c1", 0, 30, &["provider:S"]), Some("k2"), -60),
        (booked("c1b", 60, 90, &["provider:S"]), Some("k2"), -60),
        (booked("c1c", 60, 90, &["provider:S"]), Some("k2"), -60),
        // One id three times: made; elsewhere (id used); overlapping
        // itself (the conflict is reported first, as in the single path).
        (booked("f", 0, 30, &["provider:F"]), None, -60),
        (booked("f", 0, 30, &["provider:G"]), None, -60),
        (booked("f", 15, 45, &["provider:F"]), None, -60),
        // An id already stored.
        (booked("seed", 0, 30, &["provider:H"]), None, -60),
        // Capacity 1 and capacity 2 inside one batch.
        (
            booked("x1", 0, 30, &["provider:X", "patient:P1"]),
            None,
            -60,
        ),
        (
            booked("x2", 0, 30, &["provider:X", "patient:P2"]),
            None,
            -60,
        ),
        (booked("r1", 0, 30, &["room:R1", "patient:P3"]), None, -60),
        (booked("r2", 10, 40, &["room:R1", "patient:P4"]), None, -60),
        (booked("r3", 20, 50, &["room:R1", "patient:P5"]), None, -60),
        // Invalid.
        (empty, None, -60),
        // A hold, a booking while it is live, one after it lapsed (each
        // request's own `now`).
        (held("h1", 0, 30, 10, &["provider:Y"]), None, 0),
        (booked("y1", 0, 30, &["provider:Y"]), None, 5),
        (booked("y2", 0, 30, &["provider:Y"]), None, 10),
    ]
}

/// The state both stores start from.
async fn seed_for_ordered(store: &PgStore) {
    store.set_capacity("room:R1", 2).await.unwrap();
    store
        .book(booked("seed", 0, 30, &["provider:S"]), None, at(-60))
        .await
        .unwrap();
    store
        .book(booked("blocker", 0, 30, &["provider:BLOCK"]), None, at(-60))
        .await
        .unwrap();
}

/// An answer as text (value and version, or the error with all its details).
fn answer_text(
    r: &Result<hcas_store::Stored<hcas_core::booking::Booking>, hcas_store::StoreError>,
) -> String {
    match r {
        Ok(s) => format!("ok v{} {:?}", s.version, s.value),
        Err(e) => format!("err {} {e} {e:?}", e.code()),
    }
}

/// Requests queued behind a batch that waits on a lock land, in a known
/// order, in ONE batch; every answer, the stored rows and the outbox order
/// are exactly those of the single path booking the same requests one after
/// the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_batch_answers_like_the_single_path() {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::Poll;

    type Booked = Result<hcas_store::Stored<hcas_core::booking::Booking>, hcas_store::StoreError>;
    let Some(db_single) = pg_support::fresh_db("one_batch_single").await else {
        return;
    };
    let Some(db_batch) = pg_support::fresh_db("one_batch_batched").await else {
        return;
    };
    let requests = ordered_requests();

    // The single path, one request after the other.
    let single =
        PgStore::open_with_options(db_single.options.clone(), PgStoreOptions::unbatched(2))
            .await
            .unwrap();
    seed_for_ordered(&single).await;
    let mut expected = Vec::new();
    for (b, key, now) in &requests {
        expected.push(answer_text(&single.book(b.clone(), *key, at(*now)).await));
    }

    // Group commit, one batch at a time. First a booking whose batch waits
    // on a lock held elsewhere, so that the slot is busy. (A busy advisory
    // lock would not do: the batch would defer that request and go on. A
    // table lock stops the batch's read.)
    let options = PgStoreOptions {
        max_connections: 3,
        max_batch: 64,
        max_in_flight: 1,
        lock_timeout: None,
        ..PgStoreOptions::new(3)
    };
    let store = PgStore::open_with_options(db_batch.options.clone(), options)
        .await
        .unwrap();
    store.set_capacity("room:R1", 2).await.unwrap();
    store
        .book(booked("seed", 0, 30, &["provider:S"]), None, at(-60))
        .await
        .unwrap();
    let mut holder: PgConnection = db_batch.options.connect().await.unwrap();
    sqlx::query("BEGIN").execute(&mut holder).await.unwrap();
    sqlx::query("LOCK TABLE capacities IN ACCESS EXCLUSIVE MODE")
        .execute(&mut holder)
        .await
        .unwrap();
    let blocked = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .book(booked("blocker", 0, 30, &["provider:BLOCK"]), None, at(-60))
                .await
        })
    };
    loop {
        let (waiting,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM pg_locks
             WHERE locktype = 'relation' AND NOT granted
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let before = store.batch_stats();
    // Queue every request in order: poll each `book` future once, in turn
    // (the first poll enqueues it), then wait for the answers.
    let mut futures: Vec<Pin<Box<dyn Future<Output = Booked> + Send + '_>>> = requests
        .iter()
        .map(|(b, key, now)| store.book(b.clone(), *key, at(*now)))
        .collect();
    let mut early: Vec<Option<Booked>> = Vec::new();
    std::future::poll_fn(|cx| {
        for f in &mut futures {
            early.push(match f.as_mut().poll(cx) {
                Poll::Ready(r) => Some(r),
                Poll::Pending => None,
            });
        }
        Poll::Ready(())
    })
    .await;
    assert!(
        early.iter().all(Option::is_none),
        "answered before the lock was released"
    );
    sqlx::query("COMMIT").execute(&mut holder).await.unwrap();
    blocked.await.unwrap().unwrap();
    let mut got = Vec::new();
    for f in futures {
        got.push(answer_text(&f.await));
    }
    for (n, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g, e, "request {n}: {:?}", requests[n].0.id);
    }
    let stats = store.batch_stats();
    assert_eq!(
        stats.bookings - before.bookings,
        requests.len() as u64,
        "{stats:?}"
    );
    // The blocked batch (started before `before`) and then exactly one.
    assert_eq!(stats.batches - before.batches, 1, "{stats:?}");
    assert_eq!((stats.retries, stats.fallbacks), (0, 0), "{stats:?}");

    // The same rows, the same outbox order.
    let dump = |pool: sqlx::PgPool| async move {
        let bookings: Vec<(String, i64, i64, String, Option<i64>, i64)> = sqlx::query_as(
            "SELECT id, start_s, end_s, status, hold_expires_s, version FROM bookings ORDER BY id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let resources: Vec<(String, String, bool, bool)> = sqlx::query_as(
            "SELECT booking_id, resource, blocking, capacity_one FROM booking_resources
             ORDER BY booking_id, resource",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let keys: Vec<(String, String)> =
            sqlx::query_as("SELECT key, booking_id FROM idempotency ORDER BY key")
                .fetch_all(&pool)
                .await
                .unwrap();
        let outbox: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT kind, aggregate_id, payload::text FROM outbox WHERE aggregate_id <> 'blocker'
             ORDER BY id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        (bookings, resources, keys, outbox)
    };
    let a = dump(single.pool().clone()).await;
    let b = dump(store.pool().clone()).await;
    assert_eq!(a, b);
    // Sanity: what the sequence must have made.
    let ids: Vec<&str> = a.0.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        ids,
        [
            "a1", "blocker", "c1b", "f", "h1", "r1", "r2", "seed", "x1", "y2"
        ]
    );
    single.pool().close().await;
    store.pool().close().await;
}

/// `set_capacity` moves a resource's rows into the exclusion constraint at
/// capacity 1 and out of it above; rows that already overlap (booked at a
/// higher capacity) stay out, and the core keeps deciding.
#[tokio::test]
async fn set_capacity_moves_rows_in_and_out_of_the_constraint() {
    let Some(db) = pg_support::fresh_db("set_capacity_moves_rows").await else {
        return;
    };
    let store = PgStore::open_with(db.options.clone(), 2).await.unwrap();
    let now = at(-60);
    store.set_capacity("room:R1", 2).await.unwrap();
    store
        .book(booked("a", 0, 30, &["room:R1"]), None, now)
        .await
        .unwrap();
    store
        .book(booked("b", 0, 30, &["room:R1"]), None, now)
        .await
        .unwrap();
    store
        .book(booked("c", 60, 90, &["room:R1"]), None, now)
        .await
        .unwrap();
    let flags = |store: PgStore| async move {
        let rows: Vec<(String, bool)> = sqlx::query_as(
            "SELECT booking_id, capacity_one FROM booking_resources
             WHERE resource = 'room:R1' ORDER BY booking_id",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        rows
    };
    assert_eq!(
        flags(store.clone()).await,
        [
            ("a".into(), false),
            ("b".into(), false),
            ("c".into(), false)
        ]
    );
    store.set_capacity("room:R1", 1).await.unwrap();
    assert_eq!(
        flags(store.clone()).await,
        [("a".into(), false), ("b".into(), false), ("c".into(), true)]
    );
    // The constraint now guards c against a write that skips the core.
    let raw = sqlx::query(
        "INSERT INTO bookings (id, start_s, end_s, status, version, payload)
         VALUES ('raw', $1, $2, 'booked', 1, '{}'::jsonb);
         ",
    )
    .bind(at(60).unix())
    .bind(at(90).unix())
    .execute(store.pool())
    .await;
    raw.unwrap();
    let err = sqlx::query(
        "INSERT INTO booking_resources (booking_id, resource, start_s, end_s, blocking, capacity_one)
         VALUES ('raw', 'room:R1', $1, $2, true, true)",
    )
    .bind(at(70).unix())
    .bind(at(80).unix())
    .execute(store.pool())
    .await
    .unwrap_err();
    assert_eq!(
        err.as_database_error().and_then(|e| e.code()).as_deref(),
        Some("23P01")
    );
    sqlx::query("DELETE FROM bookings WHERE id = 'raw'")
        .execute(store.pool())
        .await
        .unwrap();
    // The core decides: the room is full at 0-30 and at 60-90.
    let err = store
        .book(booked("d", 10, 20, &["room:R1"]), None, now)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "conflict");
    store.set_capacity("room:R1", 3).await.unwrap();
    assert_eq!(
        flags(store.clone()).await,
        [
            ("a".into(), false),
            ("b".into(), false),
            ("c".into(), false)
        ]
    );
    store
        .book(booked("d", 10, 20, &["room:R1"]), None, now)
        .await
        .unwrap();
    store.pool().close().await;
}
