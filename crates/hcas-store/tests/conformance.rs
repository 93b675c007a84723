//! The conformance suite against every adapter built in.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

/// One `#[tokio::test]` per suite case, each on a fresh store from `$make`.
macro_rules! conformance {
    ($adapter:ident, $make:expr) => {
        mod $adapter {
            #[allow(unused_imports)]
            use super::*;
            use hcas_store::conformance as c;
            conformance!(@case $make; suite_book_then_get, suite_every_conflict_named,
                suite_capacity, suite_holds, suite_idempotency, suite_version_mismatch,
                suite_rejected_writes_change_nothing, suite_lifecycle, suite_busy,
                suite_bookings_on, suite_reschedule, suite_long_bookings_are_found,
                suite_extent_shrinks_but_finds_blocking, suite_idempotency_expires);

            /// A handle built with `c::POLICY` decides with it; an invalid
            /// policy is refused when the handle is built.
            #[tokio::test]
            async fn suite_policy() {
                let (_guard, store) = $make;
                let bad = c::POLICY.noshow_grace(hcas_core::Minutes::new(-1));
                let err = store.clone().with_policy(bad).unwrap_err();
                assert_eq!(
                    err.core_code(),
                    Some(hcas_core::ErrorCode::InvalidDuration),
                    "{err}"
                );
                let store = store.with_policy(c::POLICY).unwrap();
                assert_eq!(store.policy(), c::POLICY);
                let store: std::sync::Arc<dyn hcas_store::AppointmentStore> =
                    std::sync::Arc::new(store);
                c::suite_policy(&*store).await;
            }
        }
    };
    // Every other port: for adapters implementing `hcas_store::Store`.
    (store $adapter:ident, $make:expr) => {
        mod $adapter {
            #[allow(unused_imports)]
            use super::*;
            use hcas_store::conformance as c;
            conformance!(@store $make; suite_patients, suite_patient_preferences, suite_provider_profiles, suite_providers_and_availability,
                suite_series, suite_history, suite_waitlist, suite_consents, suite_records,
                suite_audit, suite_audit_search, suite_series_shift_push_back_one_week,
                suite_series_shift_keeps_wall_time_across_dst,
                suite_series_shift_conflict_changes_nothing, suite_series_cancel_all_skips_final,
                suite_accounts, suite_register_patient, suite_refresh_rotation, suite_webhook_subscriptions,
                suite_webhook_queue_dedupes_and_leases, suite_webhook_order_per_aggregate,
                suite_webhook_attempts_dead_letter_and_replay, suite_feed_tokens,
                suite_notification_queue_dedupes_and_leases,
                suite_notification_order_per_appointment,
                suite_notification_attempts_dead_and_resend, suite_notification_withdraw,
                suite_feed_revocation);
            conformance!(@plant $make; suite_anchor_drift);
        }
    };
    // Encrypted documents' metadata (feature `documents`).
    (documents $adapter:ident, $make:expr) => {
        mod $adapter {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test]
            async fn suite_document_contents() {
                let (_guard, store) = $make;
                hcas_store::conformance::suite_document_contents(&store).await;
            }
        }
    };
    // Cases that also plant bookings past the store's checks (`conformance::Plant`).
    (@plant $make:expr; $($case:ident),*) => {
        $(
            #[tokio::test]
            async fn $case() {
                let (_guard, store) = $make;
                c::$case(&store).await;
            }
        )*
    };
    (@store $make:expr; $($case:ident),*) => {
        $(
            #[tokio::test]
            async fn $case() {
                let (_guard, store) = $make;
                let store: std::sync::Arc<dyn hcas_store::Store> = std::sync::Arc::new(store);
                c::$case(&*store).await;
            }
        )*
    };
    (@case $make:expr; $($case:ident),*) => {
        $(
            #[tokio::test]
            async fn $case() {
                // `_guard` keeps the adapter's temporary files until the case ends.
                let (_guard, store) = $make;
                let store: std::sync::Arc<dyn hcas_store::AppointmentStore> =
                    std::sync::Arc::new(store);
                c::$case(&*store).await;
            }
        )*
    };
}

#[cfg(feature = "memory")]
conformance!(memory, ((), hcas_store::memory::MemoryStore::new()));
#[cfg(feature = "memory")]
conformance!(store memory_ports, ((), hcas_store::memory::MemoryStore::new()));
#[cfg(all(feature = "memory", feature = "documents"))]
conformance!(documents memory_documents, ((), hcas_store::memory::MemoryStore::new()));

/// A fresh database file in its own temporary directory, removed when the guard drops.
#[cfg(feature = "sqlite")]
async fn open_sqlite() -> (tempfile::TempDir, hcas_store::sqlite::SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("store.db").display());
    let store = hcas_store::sqlite::SqliteStore::open(&url, 4)
        .await
        .unwrap();
    (dir, store)
}

#[cfg(feature = "sqlite")]
conformance!(sqlite, open_sqlite().await);
#[cfg(feature = "sqlite")]
conformance!(store sqlite_ports, open_sqlite().await);
#[cfg(all(feature = "sqlite", feature = "documents"))]
conformance!(documents sqlite_documents, open_sqlite().await);

#[cfg(feature = "postgres")]
mod pg_support;

/// A fresh database on the PostgreSQL server, dropped with the guard; `None` to skip.
#[cfg(feature = "postgres")]
async fn open_pg() -> Option<(pg_support::TestDb, hcas_store::postgres::PgStore)> {
    let db = pg_support::fresh_db("conformance").await?;
    let store = hcas_store::postgres::PgStore::open_with(db.options.clone(), 4)
        .await
        .unwrap();
    Some((db, store))
}

#[cfg(feature = "postgres")]
conformance!(
    postgres,
    match open_pg().await {
        Some(x) => x,
        None => return,
    }
);
#[cfg(feature = "postgres")]
conformance!(store postgres_ports, match open_pg().await { Some(x) => x, None => return });
#[cfg(all(feature = "postgres", feature = "documents"))]
conformance!(documents postgres_documents, match open_pg().await { Some(x) => x, None => return });

/// The same suite on a store opened inside a schema of its own (how the
/// reference server keeps organizations apart): every query must work with
/// `search_path = <schema>, public` and the extension in `public`.
#[cfg(feature = "postgres")]
async fn open_pg_schema() -> Option<(pg_support::TestDb, hcas_store::postgres::PgStore)> {
    let db = pg_support::fresh_db("conformance_schema").await?;
    let store = hcas_store::postgres::PgStore::open_in_schema(
        db.options.clone(),
        "org_conformance",
        hcas_store::postgres::PgStoreOptions::new(4),
    )
    .await
    .unwrap();
    Some((db, store))
}

#[cfg(feature = "postgres")]
conformance!(
    postgres_schema,
    match open_pg_schema().await {
        Some(x) => x,
        None => return,
    }
);
#[cfg(feature = "postgres")]
conformance!(store postgres_schema_ports, match open_pg_schema().await { Some(x) => x, None => return });
