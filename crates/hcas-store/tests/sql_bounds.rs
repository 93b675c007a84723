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
    let later = at(-60).plus_minutes(IDEMPOTENCY_TTL_SECONDS / 60 + 1);
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
            let later = at(-60).plus_minutes(IDEMPOTENCY_TTL_SECONDS / 60 + 2);
            let again = store
                .book(booked("b2", 300, 330, &["provider:P1"]), Some("k0"), later)
                .await
                .unwrap();
            assert_eq!(again.value.id, "b2");
            store.pool().close().await;
        }
    }
}
