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
            hcas_core::lifecycle::Actor::Staff,
            "shorter",
            at(-60),
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
