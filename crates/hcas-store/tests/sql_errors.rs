//! Database errors are answered by cause (`hcas_store::sql_error`): real
//! errors from SQLite and PostgreSQL, not constructed ones.
#![cfg(all(feature = "sqlite", feature = "postgres"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod pg_support;

use std::time::Duration;

use hcas_store::postgres::sqlx::postgres::PgConnection;
use hcas_store::postgres::sqlx::{self, ConnectOptions, Connection};
use hcas_store::sqlite::sqlx::sqlite::SqliteConnectOptions;
use hcas_store::{StoreError, sql_error};

/// The error `sql` fails with on `conn`.
async fn pg_fails(conn: &mut PgConnection, sql: &'static str) -> StoreError {
    let e = sqlx::raw_sql(sql).execute(&mut *conn).await.unwrap_err();
    sql_error(e)
}

fn assert_invalid(e: &StoreError, secret: &str) {
    assert_eq!(e.code(), "invalid", "{e}");
    assert_eq!(
        e.core_code().map(hcas_core::ErrorCode::as_str),
        Some("invalid_request")
    );
    assert!(!e.is_retryable());
    assert!(!e.to_string().contains(secret), "echoes the value: {e}");
}

#[tokio::test]
async fn postgres_errors_are_classified_by_cause() {
    let Some(db) = pg_support::fresh_db("postgres_errors_are_classified_by_cause").await else {
        return;
    };
    let mut c: PgConnection = db.options.connect().await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE t (id text PRIMARY KEY, short varchar(4), n int CHECK (n > 0));
         INSERT INTO t VALUES ('patient-Jane-Doe', 'ab', 1)",
    )
    .execute(&mut c)
    .await
    .unwrap();

    // Data the database refuses: invalid, never echoing the value.
    let e = pg_fails(&mut c, "INSERT INTO t VALUES ('x', 'Jane-Doe-too-long', 1)").await;
    assert_invalid(&e, "Jane-Doe");
    assert!(e.to_string().contains("too long"), "{e}");
    let e = sql_error(
        sqlx::query("INSERT INTO t VALUES ($1, 'a', 1)")
            .bind("Jane\0Doe")
            .execute(&mut c)
            .await
            .unwrap_err(),
    );
    assert_invalid(&e, "Jane");
    let e = pg_fails(&mut c, "SELECT 'Jane-Doe-1970'::int").await;
    assert_invalid(&e, "Jane-Doe");
    let e = pg_fails(&mut c, "INSERT INTO t VALUES ('patient-Jane-Doe', 'a', 1)").await;
    assert_invalid(&e, "Jane-Doe");
    assert!(
        e.to_string().contains("t_pkey"),
        "names the constraint: {e}"
    );
    let e = pg_fails(&mut c, "INSERT INTO t VALUES ('y', 'a', -7)").await;
    assert_invalid(&e, "-7");

    // Retryable: serialization failure, deadlock, lock and statement timeouts.
    for code in ["40001", "40P01"] {
        let sql = format!("DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '{code}'; END $$");
        let e = sql_error(
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut c)
                .await
                .unwrap_err(),
        );
        assert_eq!(e.code(), "unavailable", "{code}: {e}");
        assert!(e.is_retryable());
    }
    let mut holder: PgConnection = db.options.connect().await.unwrap();
    sqlx::raw_sql("SELECT pg_advisory_lock(42)")
        .execute(&mut holder)
        .await
        .unwrap();
    sqlx::raw_sql("SET lock_timeout = '50ms'")
        .execute(&mut c)
        .await
        .unwrap();
    let e = pg_fails(&mut c, "SELECT pg_advisory_lock(42)").await;
    assert_eq!(e.code(), "unavailable", "lock timeout: {e}");
    sqlx::raw_sql("SET statement_timeout = '50ms'")
        .execute(&mut c)
        .await
        .unwrap();
    let e = pg_fails(&mut c, "SELECT pg_sleep(5)").await;
    assert_eq!(e.code(), "unavailable", "statement timeout: {e}");
    sqlx::raw_sql("RESET statement_timeout")
        .execute(&mut c)
        .await
        .unwrap();

    // A query cancelled by someone (not a timeout) is not retryable.
    let pid: (i32,) = sqlx::query_as("SELECT pg_backend_pid()")
        .fetch_one(&mut c)
        .await
        .unwrap();
    let cancel = {
        let options = db.options.clone();
        tokio::spawn(async move {
            let mut k: PgConnection = options.connect().await.unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
            sqlx::query("SELECT pg_cancel_backend($1)")
                .bind(pid.0)
                .execute(&mut k)
                .await
                .unwrap();
        })
    };
    let e = pg_fails(&mut c, "SELECT pg_sleep(10)").await;
    cancel.await.unwrap();
    assert_eq!(e.code(), "internal", "cancelled: {e}");

    // Broken SQL or schema: internal, not retryable.
    let e = pg_fails(&mut c, "SELECT * FROM no_such_table").await;
    assert_eq!(e.code(), "internal", "{e}");
    assert!(!e.is_retryable());

    // The server is gone: unavailable.
    let e = sql_error(
        db.options
            .clone()
            .port(1)
            .connect()
            .await
            .map(|_| ())
            .unwrap_err(),
    );
    assert_eq!(e.code(), "unavailable", "{e}");
    let _ = holder.close().await;
    let _ = c.close().await;
}

#[tokio::test]
async fn sqlite_errors_are_classified_by_cause() {
    use hcas_store::sqlite::sqlx::SqliteConnection;
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("e.db"))
        .create_if_missing(true)
        .busy_timeout(Duration::from_millis(0));
    let mut c: SqliteConnection = options.connect().await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER CHECK (n > 0)) STRICT;
         INSERT INTO t VALUES ('patient-Jane-Doe', 1)",
    )
    .execute(&mut c)
    .await
    .unwrap();
    let fails = |sql: &'static str| {
        let options = options.clone();
        async move {
            let mut c: SqliteConnection = options.connect().await.unwrap();
            sql_error(sqlx::raw_sql(sql).execute(&mut c).await.unwrap_err())
        }
    };
    let e = fails("INSERT INTO t VALUES ('patient-Jane-Doe', 1)").await;
    assert_invalid(&e, "Jane-Doe");
    let e = fails("INSERT INTO t VALUES ('x', -7)").await;
    assert_invalid(&e, "-7");
    let e = fails("INSERT INTO t VALUES ('y', 'Jane-Doe')").await;
    assert_invalid(&e, "Jane-Doe");

    // Busy: another connection holds the write lock.
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut c)
        .await
        .unwrap();
    let e = fails("BEGIN IMMEDIATE").await;
    assert_eq!(e.code(), "unavailable", "{e}");
    assert!(e.is_retryable());
    sqlx::raw_sql("ROLLBACK").execute(&mut c).await.unwrap();

    let e = fails("SELECT * FROM no_such_table").await;
    assert_eq!(e.code(), "internal", "{e}");
    assert!(!e.is_retryable());
    let _ = c.close().await;
}
