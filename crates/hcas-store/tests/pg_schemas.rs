//! Stores in separate PostgreSQL schemas of one database share nothing:
//! the same booking id and the same slot book in both, and neither sees the
//! other's records.
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod pg_support;

use hcas_store::AppointmentStore;
use hcas_store::conformance::{at, booked};
use hcas_store::postgres::{PgStore, PgStoreOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemas_keep_organizations_apart() {
    let Some(db) = pg_support::fresh_db("schemas_keep_organizations_apart").await else {
        return;
    };
    assert!(
        !PgStore::schema_exists(db.options.clone(), "org_a")
            .await
            .unwrap()
    );
    let a = PgStore::open_in_schema(db.options.clone(), "org_a", PgStoreOptions::new(2))
        .await
        .unwrap();
    let b = PgStore::open_in_schema(db.options.clone(), "org_b", PgStoreOptions::new(2))
        .await
        .unwrap();
    assert!(
        PgStore::schema_exists(db.options.clone(), "org_a")
            .await
            .unwrap()
    );
    assert!(
        PgStore::schema_exists(db.options.clone(), "org_b")
            .await
            .unwrap()
    );

    let booking = booked("same-id", 0, 30, &["provider:P1"]);
    a.book(booking.clone(), None, at(0)).await.unwrap();
    // The same id and the same provider slot are free in the other schema.
    b.book(booking, None, at(0)).await.unwrap();
    let only_a = booked("only-a", 60, 90, &["provider:P1"]);
    a.book(only_a, None, at(0)).await.unwrap();
    assert_eq!(
        b.get("only-a").await.unwrap_err().code(),
        "not_found",
        "schema b must not see schema a's booking"
    );
    assert_eq!(a.counts().await.unwrap().bookings, 2);
    assert_eq!(b.counts().await.unwrap().bookings, 1);

    // Reopening finds the data again (the migrations are not re-run destructively).
    drop(a);
    let again = PgStore::open_in_schema(db.options.clone(), "org_a", PgStoreOptions::new(2))
        .await
        .unwrap();
    assert_eq!(again.counts().await.unwrap().bookings, 2);
}

#[tokio::test]
async fn bad_schema_names_are_refused_before_connecting() {
    // No server needed: the name is checked first.
    let options: hcas_store::postgres::sqlx::postgres::PgConnectOptions =
        "postgres://nobody@127.0.0.1:1/none".parse().unwrap();
    for bad in [
        "",
        "public",
        "pg_catalog",
        "1abc",
        "Org",
        "a-b",
        "a;drop",
        &"x".repeat(64),
    ] {
        let e = PgStore::open_in_schema(options.clone(), bad, PgStoreOptions::new(1))
            .await
            .err()
            .unwrap_or_else(|| panic!("{bad:?} accepted"));
        assert_eq!(e.code(), "invalid", "{bad:?}: {e}");
        let e = PgStore::schema_exists(options.clone(), bad)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "invalid", "{bad:?}: {e}");
    }
}
