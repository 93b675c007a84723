//! What the service tests share: a server on port 0 (SQLite in a tempdir, or
//! PostgreSQL in a fresh database), a test token verifier, and a client.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use hcas_core::consent::Role;
use hcas_server::auth::{Principal, Verifier};
use hcas_server::error::ApiError;
use hcas_server::tenants::OrgId;
use hcas_store::postgres::sqlx::postgres::PgConnectOptions;
use hcas_store::postgres::sqlx::{self, AssertSqlSafe, ConnectOptions, Connection};
use serde_json::Value;

/// The organization every test token belongs to.
pub(crate) const ORG: &str = "acme";

/// Tokens are `<role>:<subject>` (`admin:A1`, `patient:X1`, `doctor:D1`);
/// anything else is refused.
pub(crate) struct TestVerifier;

#[async_trait]
impl Verifier for TestVerifier {
    async fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        let (role, subject) = token
            .split_once(':')
            .ok_or_else(|| ApiError::unauthorized("bad test token"))?;
        let role = Role::parse(role).ok_or_else(|| ApiError::unauthorized("bad test token"))?;
        Ok(Principal::new(subject, OrgId::parse(ORG)?, vec![role]))
    }
}

/// Which database the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

pub(crate) struct Server {
    pub(crate) base: String,
    pub(crate) http: reqwest::Client,
    running: Option<hcas_server::Running>,
    _dir: tempfile::TempDir,
    _db: Option<TestDb>,
}

impl Server {
    /// A server on `backend` with organization [`ORG`] created, or `None`
    /// (printed) when PostgreSQL is unreachable and not required.
    pub(crate) async fn start(backend: Backend, test: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let mut config = hcas_server::config::Config::with_data_dir(dir.path());
        // Tests fire many requests from one address: no rate limit here
        // (tests/operations.rs tests the limiter).
        config.rate_limit_per_second = 0;
        config.listen = "127.0.0.1:0".parse().unwrap();
        let db = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let db = fresh_db(test).await?;
                config.database = hcas_server::config::Database::Postgres(db.url());
                Some(db)
            }
        };
        let state = hcas_server::AppState::new(config).with_verifier(Arc::new(TestVerifier));
        let running = hcas_server::start_state(state).await.unwrap();
        running
            .state()
            .tenants
            .create(&OrgId::parse(ORG).unwrap())
            .await
            .unwrap();
        Some(Self {
            base: format!("http://{}", running.addr()),
            http: reqwest::Client::new(),
            running: Some(running),
            _dir: dir,
            _db: db,
        })
    }

    /// The server's shared state (to reach the store behind the API).
    pub(crate) fn state(&self) -> &hcas_server::AppState {
        self.running.as_ref().unwrap().state()
    }

    pub(crate) async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }

    /// A request with `token` as the bearer.
    pub(crate) fn req(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
    }

    pub(crate) async fn send(
        &self,
        rb: reqwest::RequestBuilder,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let res = rb.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, body, headers)
    }

    pub(crate) async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let (s, b, _) = self.send(self.req(reqwest::Method::GET, path, token)).await;
        (s, b)
    }

    pub(crate) async fn post(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        let (s, b, _) = self
            .send(self.req(reqwest::Method::POST, path, token).json(body))
            .await;
        (s, b)
    }
}

/// Assert a problem with `status` and `code`; answer its body.
pub(crate) fn problem(got: &(u16, Value), status: u16, code: &str) -> Value {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["code"], code, "{}", got.1);
    assert!(!got.1["detail"].as_str().unwrap_or_default().is_empty());
    got.1.clone()
}

// ---------------------------------------------------------------- PostgreSQL

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
static NEXT: AtomicUsize = AtomicUsize::new(0);

fn admin_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_string())
}

/// A database dropped (with `FORCE`) when this is dropped.
pub(crate) struct TestDb {
    name: String,
}

impl TestDb {
    fn url(&self) -> String {
        let admin = admin_url();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        format!("{base}/{}", self.name)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let opts = PgConnectOptions::from_str(&admin_url()).unwrap();
                if let Ok(mut c) = opts.connect().await {
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

async fn fresh_db(test: &str) -> Option<TestDb> {
    let opts = PgConnectOptions::from_str(&admin_url()).unwrap();
    let mut conn = match opts.connect().await {
        Ok(c) => c,
        Err(e) => {
            assert!(
                std::env::var("HCAS_REQUIRE_POSTGRES").is_err(),
                "HCAS_REQUIRE_POSTGRES is set but PostgreSQL is unreachable: {e}"
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
        "hcas_srv_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    Some(TestDb { name })
}

// ---------------------------------------------------------------- fixtures

pub(crate) const ADMIN: &str = "admin:A1";

/// Create provider `id` with `specialties` and a daily UTC schedule from
/// yesterday, `start`..`end` local (UTC) time.
pub(crate) async fn provider(s: &Server, id: &str, specialties: &[&str], start: &str, end: &str) {
    let got = s
        .post(
            "/v1/providers",
            ADMIN,
            &serde_json::json!({ "id": id, "name": format!("Dr {id}"), "specialties": specialties }),
        )
        .await;
    assert_eq!(got.0, 201, "{}", got.1);
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1))
        .date_naive()
        .to_string();
    let (status, body, _) = s
        .send(
            s.req(reqwest::Method::PUT, &format!("/v1/providers/{id}/schedule"), ADMIN)
                .json(&serde_json::json!({
                    "timezone": "UTC",
                    "rules": [{ "rrule": "FREQ=DAILY", "dtstart": yesterday, "start": start, "end": end }],
                })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

/// Midnight UTC `days` from today, RFC 3339.
pub(crate) fn day(days: i64) -> chrono::DateTime<chrono::Utc> {
    let d = chrono::Utc::now().date_naive() + chrono::Duration::days(days);
    d.and_hms_opt(0, 0, 0).unwrap().and_utc()
}

pub(crate) fn rfc(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `day(days)` at `hh:mm`.
pub(crate) fn at(days: i64, hh: i64, mm: i64) -> String {
    rfc(day(days) + chrono::Duration::minutes(hh * 60 + mm))
}
