//! Races: 64 tasks over two store handles (for SQLite two pools on one file,
//! i.e. two "server instances") each try 1,000 bookings of the same 10 slots.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;

use hcas_store::conformance::{race, reschedule_race, series_race, series_shift_race};
use hcas_store::{AppointmentStore, Store};

const TASKS: usize = 64;
/// Per task, as the issue asks ("1,000 conflicting bookings each"): 64,000 in all.
const ATTEMPTS: usize = TASKS * 1000;
const SLOTS: usize = 10;

#[cfg(feature = "memory")]
mod memory {
    use super::*;
    use hcas_store::conformance::peaks;
    use hcas_store::memory::MemoryStore;

    async fn run(resource: &str, capacity: u32) {
        let store = MemoryStore::new();
        store.set_capacity(resource, capacity).await.unwrap();
        let handles: Vec<Arc<dyn AppointmentStore>> =
            vec![Arc::new(store.clone()), Arc::new(store.clone())];
        race(
            &handles,
            resource,
            capacity as usize,
            SLOTS,
            TASKS,
            ATTEMPTS,
        )
        .await;
        // Ledger scan: no resource is ever used beyond its capacity.
        let all: Vec<_> = store
            .bookings()
            .await
            .into_iter()
            .map(|s| s.value)
            .collect();
        for (r, peak) in peaks(&all) {
            assert!(peak <= store.capacity(&r).await as usize, "{r}: {peak}");
        }
        assert_eq!(peaks(&all)[resource], capacity as usize);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn race_provider_capacity_1() {
        run("provider:P1", 1).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn race_room_capacity_3() {
        run("room:R1", 3).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn race_series_against_singles() {
        let store = MemoryStore::new();
        let handles: Vec<Arc<dyn Store>> = vec![Arc::new(store.clone()), Arc::new(store)];
        series_race(&handles, 16, 8).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn race_series_shifts_against_singles() {
        let store = MemoryStore::new();
        let handles: Vec<Arc<dyn Store>> = vec![Arc::new(store.clone()), Arc::new(store)];
        series_shift_race(&handles, 16, 12).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn race_reschedules_into_one_slot() {
        let store = MemoryStore::new();
        let handles: Vec<Arc<dyn AppointmentStore>> =
            vec![Arc::new(store.clone()), Arc::new(store)];
        reschedule_race(&handles, 16).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn race_refresh_rotation_one_jti() {
        let store = MemoryStore::new();
        hcas_store::conformance::race_refresh_rotation(Arc::new(store.clone()), Arc::new(store))
            .await;
    }
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use hcas_store::sqlite::{SqliteStore, sqlx};

    async fn run(resource: &str, capacity: u32) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("race.db").display());
        // Two pools on one file: two instances. The first applies the migrations.
        let a = SqliteStore::open(&url, 4).await.unwrap();
        let b = SqliteStore::open(&url, 4).await.unwrap();
        a.set_capacity(resource, capacity).await.unwrap();
        let handles: Vec<Arc<dyn AppointmentStore>> = vec![Arc::new(a.clone()), Arc::new(b)];
        race(
            &handles,
            resource,
            capacity as usize,
            SLOTS,
            TASKS,
            ATTEMPTS,
        )
        .await;
        // Zero overlaps beyond capacity, by a query: at each booking's start,
        // how many bookings on the same resource cover that instant.
        let over: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT r.booking_id, r.resource, COUNT(*), COALESCE(c.capacity, 1)
             FROM booking_resources r
             JOIN booking_resources o
               ON o.resource = r.resource AND o.start_s <= r.start_s AND o.end_s > r.start_s
             JOIN bookings b ON b.id = o.booking_id
             LEFT JOIN capacities c ON c.resource = r.resource
             WHERE b.status IN ('pending', 'booked', 'arrived', 'checked-in', 'fulfilled')
             GROUP BY r.booking_id, r.resource
             HAVING COUNT(*) > COALESCE(c.capacity, 1)",
        )
        .fetch_all(a.pool())
        .await
        .unwrap();
        assert!(over.is_empty(), "overlaps beyond capacity: {over:?}");
        let (per_slot,): (i64,) = sqlx::query_as(
            "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM booking_resources
             WHERE resource = ? GROUP BY start_s)",
        )
        .bind(resource)
        .fetch_one(a.pool())
        .await
        .unwrap();
        assert_eq!(per_slot, i64::from(capacity));
        a.pool().close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn race_series_against_singles() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("series.db").display());
        let a = SqliteStore::open(&url, 4).await.unwrap();
        let b = SqliteStore::open(&url, 4).await.unwrap();
        let handles: Vec<Arc<dyn Store>> = vec![Arc::new(a), Arc::new(b)];
        series_race(&handles, 16, 8).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn race_series_shifts_against_singles() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("shifts.db").display());
        let a = SqliteStore::open(&url, 4).await.unwrap();
        let b = SqliteStore::open(&url, 4).await.unwrap();
        let handles: Vec<Arc<dyn Store>> = vec![Arc::new(a), Arc::new(b)];
        series_shift_race(&handles, 16, 12).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn race_reschedules_into_one_slot() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("moves.db").display());
        let a = SqliteStore::open(&url, 4).await.unwrap();
        let b = SqliteStore::open(&url, 4).await.unwrap();
        let handles: Vec<Arc<dyn AppointmentStore>> = vec![Arc::new(a), Arc::new(b)];
        reschedule_race(&handles, 16).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn race_provider_capacity_1() {
        run("provider:P1", 1).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn race_room_capacity_3() {
        run("room:R1", 3).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn race_refresh_rotation_one_jti() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("refresh.db").display());
        let a = SqliteStore::open(&url, 4).await.unwrap();
        let b = SqliteStore::open(&url, 4).await.unwrap();
        hcas_store::conformance::race_refresh_rotation(Arc::new(a), Arc::new(b)).await;
    }
}

#[cfg(feature = "postgres")]
mod pg_support;

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use hcas_store::postgres::{PgStore, sqlx};

    async fn run(resource: &str, capacity: u32) {
        let Some(db) = crate::pg_support::fresh_db("race").await else {
            return;
        };
        // Two pools on one database: two instances. The first applies the migrations.
        let a = PgStore::open_with(db.options.clone(), 8).await.unwrap();
        let b = PgStore::open_with(db.options.clone(), 8).await.unwrap();
        a.set_capacity(resource, capacity).await.unwrap();
        let handles: Vec<Arc<dyn AppointmentStore>> =
            vec![Arc::new(a.clone()), Arc::new(b.clone())];
        race(
            &handles,
            resource,
            capacity as usize,
            SLOTS,
            TASKS,
            ATTEMPTS,
        )
        .await;
        // Zero overlaps beyond capacity, by a self-join: at each booking's start,
        // how many blocking bookings on the same resource cover that instant.
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
        .fetch_all(a.pool())
        .await
        .unwrap();
        assert!(over.is_empty(), "overlaps beyond capacity: {over:?}");
        let (per_slot,): (Option<i64>,) = sqlx::query_as(
            "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM booking_resources
             WHERE resource = $1 GROUP BY start_s) s",
        )
        .bind(resource)
        .fetch_one(a.pool())
        .await
        .unwrap();
        assert_eq!(per_slot, Some(i64::from(capacity)));
        a.pool().close().await;
        b.pool().close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn race_provider_capacity_1() {
        run("provider:P1", 1).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn race_room_capacity_3() {
        run("room:R1", 3).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn race_series_against_singles() {
        let Some(db) = crate::pg_support::fresh_db("series_race").await else {
            return;
        };
        let a = PgStore::open_with(db.options.clone(), 8).await.unwrap();
        let b = PgStore::open_with(db.options.clone(), 8).await.unwrap();
        let handles: Vec<Arc<dyn Store>> = vec![Arc::new(a.clone()), Arc::new(b.clone())];
        series_race(&handles, 16, 8).await;
        a.pool().close().await;
        b.pool().close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn race_series_shifts_against_singles() {
        let Some(db) = crate::pg_support::fresh_db("series_shift_race").await else {
            return;
        };
        let a = PgStore::open_with(db.options.clone(), 8).await.unwrap();
        let b = PgStore::open_with(db.options.clone(), 8).await.unwrap();
        let handles: Vec<Arc<dyn Store>> = vec![Arc::new(a.clone()), Arc::new(b.clone())];
        series_shift_race(&handles, 16, 12).await;
        a.pool().close().await;
        b.pool().close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn race_reschedules_into_one_slot() {
        let Some(db) = crate::pg_support::fresh_db("reschedule_race").await else {
            return;
        };
        let a = PgStore::open_with(db.options.clone(), 8).await.unwrap();
        let b = PgStore::open_with(db.options.clone(), 8).await.unwrap();
        let handles: Vec<Arc<dyn AppointmentStore>> =
            vec![Arc::new(a.clone()), Arc::new(b.clone())];
        reschedule_race(&handles, 16).await;
        a.pool().close().await;
        b.pool().close().await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn race_refresh_rotation_one_jti() {
        let Some(db) = crate::pg_support::fresh_db("refresh_race").await else {
            return;
        };
        let a = PgStore::open_with(db.options.clone(), 8).await.unwrap();
        let b = PgStore::open_with(db.options.clone(), 8).await.unwrap();
        hcas_store::conformance::race_refresh_rotation(Arc::new(a.clone()), Arc::new(b.clone()))
            .await;
        a.pool().close().await;
        b.pool().close().await;
    }
}
