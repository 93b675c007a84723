//! PostgreSQL-only tests: crash safety and the exclusion constraint.
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod pg_support;

use hcas_store::AppointmentStore;
use hcas_store::conformance::{at, booked};
use hcas_store::postgres::PgStore;
use hcas_store::postgres::sqlx::postgres::PgConnection;
use hcas_store::postgres::sqlx::{self, ConnectOptions, Connection};

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
