//! A fresh PostgreSQL database per test: `DATABASE_URL` when set, else the
//! local server. Unreachable server: skip (print a line), or fail when
//! `HCAS_REQUIRE_POSTGRES=1`.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout
)]

use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use hcas_store::postgres::sqlx::postgres::{PgConnectOptions, PgConnection};
use hcas_store::postgres::sqlx::{self, AssertSqlSafe, ConnectOptions, Connection};

pub(crate) const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

static NEXT: AtomicUsize = AtomicUsize::new(0);

fn admin_options() -> PgConnectOptions {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_string());
    PgConnectOptions::from_str(&url).expect("DATABASE_URL is a postgres URL")
}

/// Drops its database (with `FORCE`, ending any open connection) when dropped,
/// also when the test panics.
pub(crate) struct TestDb {
    pub(crate) name: String,
    pub(crate) options: PgConnectOptions,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // A runtime of its own: Drop cannot await, and may run inside a test's runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut c) = admin_options().connect().await {
                    let _ = sqlx::raw_sql(AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .execute(&mut c)
                    .await;
                    let _ = c.close().await;
                }
            });
        })
        .join();
    }
}

/// A fresh, empty database, or `None` (after printing a skip line) when the
/// server is unreachable and `HCAS_REQUIRE_POSTGRES` is not `1`.
pub(crate) async fn fresh_db(test: &str) -> Option<TestDb> {
    let admin = admin_options();
    let mut conn: PgConnection = match admin.connect().await {
        Ok(c) => c,
        Err(e) => {
            assert!(
                std::env::var("HCAS_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "HCAS_REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: {e}"
            );
            println!("skipped {test}: PostgreSQL unreachable ({e})");
            return None;
        }
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!(
        "hcas_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let options = admin.database(&name);
    Some(TestDb { name, options })
}
