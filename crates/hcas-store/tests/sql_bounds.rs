//! SQL-only checks of what the conformance suite cannot see through the
//! ports: expired idempotency keys are pruned, and each resource's overlap
//! bound (`resource_extent`) shrinks when its longest booking stops blocking,
//! on SQLite and PostgreSQL.
#![cfg(any(feature = "sqlite", feature = "postgres"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[cfg(feature = "postgres")]
mod pg_support;

use hcas_store::conformance::{at, booked};
use hcas_store::{AppointmentStore, IDEMPOTENCY_PRUNE_BATCH, IDEMPOTENCY_TTL_SECONDS};

/// Three keys used at `at(-60)`; a fourth booking with a key a day later
/// prunes the expired three and keeps its own.
async fn book_keys_then_a_day_later(store: &dyn AppointmentStore) {
    for i in 0..3 {
        store
            .book(
                booked(&format!("a{i}"), i * 30, i * 30 + 30, &["provider:P1"]),
                Some(&format!("k{i}")),
                at(-60),
            )
            .await
            .unwrap();
    }
    let later = at(-60)
        .plus_minutes(IDEMPOTENCY_TTL_SECONDS / 60 + 1)
        .unwrap();
    store
        .book(booked("b", 200, 230, &["provider:P1"]), Some("new"), later)
        .await
        .unwrap();
    const { assert!(IDEMPOTENCY_PRUNE_BATCH >= 3) };
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use hcas_store::sqlite::SqliteStore;

    async fn open() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("store.db").display());
        (dir, SqliteStore::open(&url, 2).await.unwrap())
    }

    #[tokio::test]
    async fn expired_keys_are_pruned() {
        let (_dir, store) = open().await;
        book_keys_then_a_day_later(&store).await;
        let keys: Vec<(String,)> = sqlx::query_as("SELECT key FROM idempotency ORDER BY key")
            .fetch_all(store.pool())
            .await
            .unwrap();
        assert_eq!(keys, vec![("new".to_string(),)]);
    }
    use hcas_store::sqlite::sqlx;
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use hcas_store::postgres::sqlx;
    use hcas_store::postgres::{PgStore, PgStoreOptions};

    async fn open(name: &str, batched: bool) -> Option<(pg_support::TestDb, PgStore)> {
        let db = pg_support::fresh_db(name).await?;
        let options = if batched {
            PgStoreOptions::new(4)
        } else {
            PgStoreOptions::unbatched(4)
        };
        let store = PgStore::open_with_options(db.options.clone(), options)
            .await
            .unwrap();
        Some((db, store))
    }

    async fn keys(store: &PgStore) -> Vec<(String,)> {
        sqlx::query_as("SELECT key FROM idempotency ORDER BY key")
            .fetch_all(store.pool())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn expired_keys_are_pruned() {
        for batched in [false, true] {
            let Some((_db, store)) = open("expired_keys_are_pruned", batched).await else {
                return;
            };
            book_keys_then_a_day_later(&store).await;
            assert_eq!(
                keys(&store).await,
                vec![("new".to_string(),)],
                "batched: {batched}"
            );
            // Unbatched, an expired key is forgotten on the single path too.
            let later = at(-60)
                .plus_minutes(IDEMPOTENCY_TTL_SECONDS / 60 + 2)
                .unwrap();
            let again = store
                .book(booked("b2", 300, 330, &["provider:P1"]), Some("k0"), later)
                .await
                .unwrap();
            assert_eq!(again.value.id, "b2");
            store.pool().close().await;
        }
    }
}

/// The statuses the migrations' triggers treat as not occupying are exactly
/// the core's (`Status::occupies`): the SQL list is checked, not trusted.
#[test]
fn trigger_status_list_is_the_cores() {
    use hcas_core::booking::Status;
    let free: Vec<String> = Status::ALL
        .into_iter()
        .filter(|s| !s.occupies())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    let list = format!("({})", free.join(", "));
    for (db, sql) in [
        (
            "sqlite",
            include_str!("../migrations/sqlite/20261202000003_extent_classes_key_expiry.sql"),
        ),
        (
            "postgres",
            include_str!("../migrations/postgres/20261202000003_extent_classes_key_expiry.sql"),
        ),
    ] {
        assert!(sql.contains(&list), "{db}: the trigger list is not {list}");
        // No other status list in the file.
        assert_eq!(
            sql.matches("('proposed'").count(),
            sql.matches(&list).count(),
            "{db}: a status list differs from {list}"
        );
    }
}

const DAY: i64 = 24 * 60;

/// Short bookings and a year-long block on `room:R1`; then the block is
/// cancelled (by a reschedule to a short slot).
async fn year_then_cancelled(store: &dyn AppointmentStore) {
    let now = at(-60);
    for i in 0..3 {
        store
            .book(
                booked(&format!("s{i}"), i * 60, i * 60 + 30, &["room:R1"]),
                None,
                now,
            )
            .await
            .unwrap();
    }
    store
        .book(
            booked("year", DAY, 366 * DAY, &["room:R1", "device:D1"]),
            None,
            now,
        )
        .await
        .unwrap();
}

async fn cancel_year(store: &dyn AppointmentStore) {
    store
        .reschedule(
            "year",
            1,
            booked("year-moved", 400 * DAY, 400 * DAY + 30, &["room:R1"]),
            &hcas_store::RescheduleRequest::new(
                hcas_core::lifecycle::Party::Staff,
                "shorter",
                at(-60),
            ),
        )
        .await
        .unwrap();
}

#[cfg(feature = "sqlite")]
mod sqlite_extent {
    use super::*;
    use hcas_store::sqlite::SqliteStore;
    use hcas_store::sqlite::sqlx;

    async fn extent(store: &SqliteStore) -> Vec<(String, i64)> {
        sqlx::query_as("SELECT resource, max_len FROM resource_extent ORDER BY resource")
            .fetch_all(store.pool())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn extent_shrinks_when_the_long_booking_is_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("store.db").display());
        let store = SqliteStore::open(&url, 2).await.unwrap();
        year_then_cancelled(&store).await;
        let year = 365 * DAY * 60;
        assert_eq!(
            extent(&store).await,
            vec![("device:D1".into(), year), ("room:R1".into(), year)]
        );
        cancel_year(&store).await;
        // Back to the short bookings' 30 minutes; the device has none left.
        assert_eq!(extent(&store).await, vec![("room:R1".into(), 30 * 60)]);
        // Never too small: the block blocking again (any write path, here raw
        // SQL) widens the bound again, and it is found from 300 days in.
        sqlx::query(
            "UPDATE bookings SET status = 'booked', payload = json_set(payload, '$.status', 'booked')
             WHERE id = 'year'",
        )
        .execute(store.pool())
        .await
        .unwrap();
        assert_eq!(
            extent(&store).await,
            vec![("device:D1".into(), year), ("room:R1".into(), year)]
        );
        let err = store
            .book(
                booked("x", 300 * DAY, 300 * DAY + 30, &["room:R1"]),
                None,
                at(-60),
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), "conflict");
        assert!(err.to_string().contains("year"), "{err}");
        // Deleting it (cascade) shrinks the bound again.
        sqlx::query("DELETE FROM bookings WHERE id = 'year'")
            .execute(store.pool())
            .await
            .unwrap();
        assert_eq!(extent(&store).await, vec![("room:R1".into(), 30 * 60)]);
    }
}

#[cfg(feature = "postgres")]
mod postgres_extent {
    use super::*;
    use hcas_store::postgres::sqlx;
    use hcas_store::postgres::{PgStore, PgStoreOptions};

    async fn extent(store: &PgStore) -> Vec<(String, i64)> {
        sqlx::query_as("SELECT resource, max_len FROM resource_extent ORDER BY resource")
            .fetch_all(store.pool())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn extent_shrinks_when_the_long_booking_is_cancelled() {
        let Some(db) = pg_support::fresh_db("extent_shrinks").await else {
            return;
        };
        let store = PgStore::open_with_options(db.options.clone(), PgStoreOptions::new(4))
            .await
            .unwrap();
        year_then_cancelled(&store).await;
        let year = 365 * DAY * 60;
        assert_eq!(
            extent(&store).await,
            vec![("device:D1".into(), year), ("room:R1".into(), year)]
        );
        cancel_year(&store).await;
        assert_eq!(extent(&store).await, vec![("room:R1".into(), 30 * 60)]);
        sqlx::query(
            "UPDATE bookings SET status = 'booked', payload = jsonb_set(payload, '{status}', '\"booked\"')
             WHERE id = 'year'",
        )
        .execute(store.pool())
        .await
        .unwrap();
        assert_eq!(
            extent(&store).await,
            vec![("device:D1".into(), year), ("room:R1".into(), year)]
        );
        let err = store
            .book(
                booked("x", 300 * DAY, 300 * DAY + 30, &["room:R1"]),
                None,
                at(-60),
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), "conflict");
        assert!(err.to_string().contains("year"), "{err}");
        sqlx::query("DELETE FROM bookings WHERE id = 'year'")
            .execute(store.pool())
            .await
            .unwrap();
        assert_eq!(extent(&store).await, vec![("room:R1".into(), 30 * 60)]);
        store.pool().close().await;
    }
}

/// The migrations' long-row floor is `EXTENT_FLOOR`: every use in the SQL is
/// marked `/* EXTENT_FLOOR */`, and every marked use holds the constant.
#[test]
fn extent_floor_is_the_migrations() {
    use hcas_store::EXTENT_FLOOR;
    let marked = format!("{EXTENT_FLOOR} /* EXTENT_FLOOR */");
    for (db, sql) in [
        (
            "sqlite",
            include_str!("../migrations/sqlite/20261202000003_extent_classes_key_expiry.sql"),
        ),
        (
            "postgres",
            include_str!("../migrations/postgres/20261202000003_extent_classes_key_expiry.sql"),
        ),
    ] {
        let uses = sql.matches("/* EXTENT_FLOOR */").count();
        // The header names the marker once; the triggers use it many times.
        assert!(uses > 5, "{db}: the floor is used {uses} times");
        assert_eq!(
            sql.matches(&marked).count() + 1,
            uses,
            "{db}: a marked floor is not {EXTENT_FLOOR}"
        );
        // No unmarked copy of the number.
        assert_eq!(
            sql.matches(&EXTENT_FLOOR.to_string()).count(),
            uses - 1,
            "{db}: {EXTENT_FLOOR} appears unmarked"
        );
    }
}

/// Short bookings (30 min) and a 10-day leave on `room:R2`, a 5-day block on
/// `room:R3`, a 3-day hold on `device:D2` that expires at `at(0)`; after the
/// expiry a short booking takes the held span on `device:D2`.
async fn mixed_lengths(store: &dyn AppointmentStore) {
    use hcas_store::conformance::held;
    let now = at(-60);
    for i in 0..3 {
        store
            .book(
                booked(&format!("m{i}"), i * 60, i * 60 + 30, &["room:R2"]),
                None,
                now,
            )
            .await
            .unwrap();
    }
    store
        .book(booked("leave", 2 * DAY, 12 * DAY, &["room:R2"]), None, now)
        .await
        .unwrap();
    store
        .book(booked("block", 2 * DAY, 7 * DAY, &["room:R3"]), None, now)
        .await
        .unwrap();
    store
        .book(held("hold", DAY, 4 * DAY, 0, &["device:D2"]), None, now)
        .await
        .unwrap();
    // The hold has expired (its status has not changed): the span is free.
    store
        .book(
            booked("after", 2 * DAY, 2 * DAY + 30, &["device:D2"]),
            None,
            at(10),
        )
        .await
        .unwrap();
}

/// The 5-day block on `room:R3` still blocks 4 days in; the cancelled leave
/// on `room:R2` no longer does.
async fn block_still_found_leave_gone(store: &dyn AppointmentStore) {
    let err = store
        .book(
            booked("x", 6 * DAY, 6 * DAY + 30, &["room:R3"]),
            None,
            at(10),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "conflict");
    assert!(err.to_string().contains("block"), "{err}");
    store
        .book(
            booked("d10", 10 * DAY, 10 * DAY + 30, &["room:R2"]),
            None,
            at(10),
        )
        .await
        .unwrap();
}

const HALF_HOUR_S: i64 = 30 * 60;
const DAY_S: i64 = DAY * 60;

/// `(resource, max_len, short_max)` after `mixed_lengths`: the long rows set
/// the bound, the expired hold still counted.
fn mixed_extent() -> Vec<(String, i64, i64)> {
    vec![
        ("device:D2".into(), 3 * DAY_S, HALF_HOUR_S),
        ("room:R2".into(), 10 * DAY_S, HALF_HOUR_S),
        ("room:R3".into(), 5 * DAY_S, 0),
    ]
}

/// Raw moves of the block's row on `room:R3` (no write path moves a row's
/// length today; the triggers must still follow): to one hour (short), then
/// to two days (long), with the `(resource, max_len, short_max)` and counted
/// `(resource, len, n)` expected after each, `room:R3` only.
#[allow(clippy::type_complexity)]
fn block_moves() -> Vec<(&'static str, (String, i64, i64), Vec<(String, i64, i64)>)> {
    vec![
        (
            "UPDATE booking_resources SET end_s = start_s + 3600 WHERE booking_id = 'block'",
            ("room:R3".into(), 3600, 3600),
            vec![],
        ),
        (
            "UPDATE booking_resources SET end_s = start_s + 172800 WHERE booking_id = 'block'",
            ("room:R3".into(), 2 * DAY_S, 3600),
            vec![("room:R3".into(), 2 * DAY_S, 1)],
        ),
    ]
}

/// `(resource, len, n)`: only long rows are counted.
fn mixed_lengths_counted() -> Vec<(String, i64, i64)> {
    vec![
        ("device:D2".into(), 3 * DAY_S, 1),
        ("room:R2".into(), 10 * DAY_S, 1),
        ("room:R3".into(), 5 * DAY_S, 1),
    ]
}

#[cfg(feature = "sqlite")]
mod sqlite_mixed {
    use super::*;
    use hcas_store::sqlite::SqliteStore;
    use hcas_store::sqlite::sqlx;

    async fn extent(store: &SqliteStore) -> Vec<(String, i64, i64)> {
        sqlx::query_as("SELECT resource, max_len, short_max FROM resource_extent ORDER BY resource")
            .fetch_all(store.pool())
            .await
            .unwrap()
    }

    async fn counted(store: &SqliteStore) -> Vec<(String, i64, i64)> {
        sqlx::query_as("SELECT resource, len, n FROM resource_lengths ORDER BY resource, len")
            .fetch_all(store.pool())
            .await
            .unwrap()
    }

    async fn cancel(store: &SqliteStore, id: &str) {
        let done = sqlx::query(
            "UPDATE bookings SET status = 'cancelled',
                 payload = json_set(payload, '$.status', 'cancelled') WHERE id = ?1",
        )
        .bind(id)
        .execute(store.pool())
        .await
        .unwrap();
        assert_eq!(done.rows_affected(), 1);
    }

    #[tokio::test]
    async fn only_long_rows_are_counted_and_the_bound_falls_back_to_short_max() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("store.db").display());
        let store = SqliteStore::open(&url, 2).await.unwrap();
        mixed_lengths(&store).await;
        assert_eq!(extent(&store).await, mixed_extent());
        assert_eq!(counted(&store).await, mixed_lengths_counted());
        // A short booking's status change counts nothing, shrinks nothing.
        cancel(&store, "m0").await;
        assert_eq!(extent(&store).await, mixed_extent());
        assert_eq!(counted(&store).await, mixed_lengths_counted());
        // The leave cancelled: room:R2 falls back to its short bookings; the
        // block on room:R3 and the expired (unchanged) hold stay counted.
        cancel(&store, "leave").await;
        let mut want = mixed_extent();
        want[1].1 = HALF_HOUR_S;
        assert_eq!(extent(&store).await, want);
        block_still_found_leave_gone(&store).await;
        // The hold's status changes: device:D2 falls back too.
        cancel(&store, "hold").await;
        want[0].1 = HALF_HOUR_S;
        assert_eq!(extent(&store).await, want);
        assert_eq!(
            counted(&store).await,
            vec![("room:R3".to_string(), 5 * DAY_S, 1)]
        );
        for (sql, extent_r3, counted_r3) in block_moves() {
            sqlx::query(sql).execute(store.pool()).await.unwrap();
            let r3: Vec<_> = extent(&store)
                .await
                .into_iter()
                .filter(|e| e.0 == "room:R3")
                .collect();
            assert_eq!(r3, vec![extent_r3], "{sql}");
            assert_eq!(counted(&store).await, counted_r3, "{sql}");
        }
    }
}

#[cfg(feature = "postgres")]
mod postgres_mixed {
    use super::*;
    use hcas_store::postgres::sqlx;
    use hcas_store::postgres::{PgStore, PgStoreOptions};

    async fn extent(store: &PgStore) -> Vec<(String, i64, i64)> {
        sqlx::query_as("SELECT resource, max_len, short_max FROM resource_extent ORDER BY resource")
            .fetch_all(store.pool())
            .await
            .unwrap()
    }

    async fn counted(store: &PgStore) -> Vec<(String, i64, i64)> {
        sqlx::query_as("SELECT resource, len, n FROM resource_lengths ORDER BY resource, len")
            .fetch_all(store.pool())
            .await
            .unwrap()
    }

    async fn cancel(store: &PgStore, id: &str) {
        let done = sqlx::query(
            "WITH b AS (
                 UPDATE bookings SET status = 'cancelled',
                     payload = jsonb_set(payload, '{status}', '\"cancelled\"')
                 WHERE id = $1 RETURNING id)
             UPDATE booking_resources SET blocking = false
             WHERE booking_id IN (SELECT id FROM b)",
        )
        .bind(id)
        .execute(store.pool())
        .await
        .unwrap();
        // One row per resource, and every booking here has one resource.
        assert_eq!(done.rows_affected(), 1);
    }

    #[tokio::test]
    async fn only_long_rows_are_counted_and_the_bound_falls_back_to_short_max() {
        for batched in [false, true] {
            let Some(db) = pg_support::fresh_db("extent_mixed").await else {
                return;
            };
            let options = if batched {
                PgStoreOptions::new(4)
            } else {
                PgStoreOptions::unbatched(4)
            };
            let store = PgStore::open_with_options(db.options.clone(), options)
                .await
                .unwrap();
            mixed_lengths(&store).await;
            assert_eq!(extent(&store).await, mixed_extent(), "batched: {batched}");
            assert_eq!(counted(&store).await, mixed_lengths_counted());
            cancel(&store, "m0").await;
            assert_eq!(extent(&store).await, mixed_extent());
            assert_eq!(counted(&store).await, mixed_lengths_counted());
            cancel(&store, "leave").await;
            let mut want = mixed_extent();
            want[1].1 = HALF_HOUR_S;
            assert_eq!(extent(&store).await, want);
            block_still_found_leave_gone(&store).await;
            cancel(&store, "hold").await;
            want[0].1 = HALF_HOUR_S;
            assert_eq!(extent(&store).await, want);
            assert_eq!(
                counted(&store).await,
                vec![("room:R3".to_string(), 5 * DAY_S, 1)]
            );
            for (sql, extent_r3, counted_r3) in block_moves() {
                sqlx::query(sql).execute(store.pool()).await.unwrap();
                let r3: Vec<_> = extent(&store)
                    .await
                    .into_iter()
                    .filter(|e| e.0 == "room:R3")
                    .collect();
                assert_eq!(r3, vec![extent_r3], "{sql}");
                assert_eq!(counted(&store).await, counted_r3, "{sql}");
            }
            store.pool().close().await;
        }
    }
}
