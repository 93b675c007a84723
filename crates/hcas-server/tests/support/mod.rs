//! Shared by the gate's tests: a server on port 0 (SQLite in a tempdir, or a
//! fresh PostgreSQL database), a test verifier (token `t:<n>` -> the
//! principal registered under it), an HTTP helper and the audit log.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use hcas_core::consent::{Purpose, Role};
use hcas_server::auth::{Principal, Verifier};
use hcas_server::error::ApiError;
use hcas_server::tenants::OrgId;
use hcas_store::AuditRecord;
use hcas_store::postgres::sqlx::postgres::{PgConnectOptions, PgConnection};
use hcas_store::postgres::sqlx::{self, AssertSqlSafe, ConnectOptions, Connection};
use serde_json::Value;

/// Tokens `t:<n>`, each naming a principal registered by the test.
#[derive(Default)]
pub struct Tokens {
    map: Mutex<HashMap<String, Principal>>,
}

#[async_trait]
impl Verifier for Tokens {
    async fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        self.map
            .lock()
            .unwrap()
            .get(token)
            .cloned()
            .ok_or_else(|| ApiError::unauthorized("unknown test token"))
    }
}

pub enum Backend {
    Sqlite,
    Postgres(TestDb),
}

pub struct Server {
    pub base: String,
    pub running: Option<hcas_server::Running>,
    pub tokens: Arc<Tokens>,
    pub dir: tempfile::TempDir,
    pub client: reqwest::Client,
    pub backend: Backend,
    next: std::sync::atomic::AtomicUsize,
}

pub const ORG: &str = "org-a";
pub const OTHER: &str = "org-b";

impl Server {
    /// A server on SQLite with organizations `org-a` and `org-b`.
    pub async fn sqlite() -> Self {
        Self::start(Backend::Sqlite).await
    }

    /// A server on a fresh PostgreSQL database, or `None` (skipped).
    pub async fn postgres(test: &str) -> Option<Self> {
        let db = fresh_db(test).await?;
        Some(Self::start(Backend::Postgres(db)).await)
    }

    async fn start(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = hcas_server::config::Config::with_data_dir(dir.path());
        // Tests fire many requests from one address: no rate limit here
        // (tests/operations.rs tests the limiter).
        config.rate_limit_per_second = 0;
        config.listen = "127.0.0.1:0".parse().unwrap();
        if let Backend::Postgres(db) = &backend {
            config.database = hcas_server::config::Database::Postgres(db.url.clone());
        }
        let tokens = Arc::new(Tokens::default());
        let state = hcas_server::AppState::new(config).with_verifier(tokens.clone());
        let running = hcas_server::start_state(state).await.unwrap();
        for org in [ORG, OTHER] {
            running
                .state()
                .tenants
                .create(&OrgId::parse(org).unwrap())
                .await
                .unwrap();
        }
        Self {
            base: format!("http://{}", running.addr()),
            running: Some(running),
            tokens,
            dir,
            client: reqwest::Client::new(),
            backend,
            next: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// A token for `subject` of `org` with `roles` (and the token's purpose).
    pub fn token_in(
        &self,
        org: &str,
        subject: &str,
        roles: &[Role],
        purpose: Option<Purpose>,
    ) -> String {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut p = Principal::new(subject, OrgId::parse(org).unwrap(), roles.to_vec());
        if let Some(purpose) = purpose {
            p = p.with_purpose(purpose);
        }
        let t = format!("t:{n}");
        self.tokens.map.lock().unwrap().insert(t.clone(), p);
        t
    }

    /// A token of organization `org-a`.
    pub fn token(&self, subject: &str, roles: &[Role]) -> String {
        self.token_in(ORG, subject, roles, None)
    }

    /// Send a request; the status, the JSON body (Null if none) and the headers.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = self
            .client
            .request(
                reqwest::Method::from_str(method).unwrap(),
                format!("{}{path}", self.base),
            )
            .bearer_auth(token);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            json,
            headers,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call("GET", path, token, None, &[]).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call("POST", path, token, Some(body), &[]).await
    }

    /// The store of organization `org`.
    pub async fn store(&self, org: &str) -> Arc<dyn hcas_store::Store> {
        self.running
            .as_ref()
            .unwrap()
            .state()
            .tenants
            .store(&OrgId::parse(org).unwrap())
            .await
            .unwrap()
    }

    /// Every audit record of `org`, in order.
    pub async fn audit(&self, org: &str) -> Vec<AuditRecord> {
        self.store(org).await.audit_after(0, 100_000).await.unwrap()
    }

    /// The SQLite file of `org`.
    pub fn sqlite_file(&self, org: &str) -> std::path::PathBuf {
        self.dir.path().join("orgs").join(org).join("hcas.sqlite")
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }
}

pub struct Reply {
    pub status: u16,
    pub json: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    /// Assert a problem with this status and code.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status, status, "{}", self.json);
        assert_eq!(
            self.headers["content-type"].to_str().unwrap(),
            "application/problem+json"
        );
        assert_eq!(self.json["code"], code, "{}", self.json);
        &self.json
    }

    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "{}", self.json);
        &self.json
    }

    pub fn request_id(&self) -> String {
        self.headers["x-request-id"].to_str().unwrap().to_string()
    }
}

/// A patient body.
pub fn patient(id: &str, name: &str, birth: &str, guardians: &[&str]) -> Value {
    serde_json::json!({
        "id": id, "name": name, "birth_date": birth, "guardians": guardians,
        "email": format!("{}@example.org", id.to_lowercase()), "channels": ["email"],
        "language": "en", "timezone": "Europe/London"
    })
}

// ---- PostgreSQL: a fresh database per test (as hcas-store's pg_support).

pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

static NEXT_DB: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn admin_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_string())
}

/// Drops its database when dropped.
pub struct TestDb {
    pub name: String,
    pub url: String,
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

/// A fresh database, or `None` after a printed note when PostgreSQL is
/// unreachable and `HCAS_REQUIRE_POSTGRES` is unset.
pub async fn fresh_db(test: &str) -> Option<TestDb> {
    let opts = PgConnectOptions::from_str(&admin_url()).unwrap();
    let mut conn: PgConnection = match opts.connect().await {
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
        "hcas_gate_{}_{}_{nanos}",
        std::process::id(),
        NEXT_DB.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .unwrap();
    let _ = conn.close().await;
    let base = admin_url();
    let url = match base.rfind('/') {
        Some(i) if base[..i].contains("://") && base[i..].len() > 1 => {
            let (head, tail) = base.split_at(i);
            let query = tail.find('?').map_or("", |q| &tail[q..]);
            format!("{head}/{name}{query}")
        }
        _ => format!("{DEFAULT_URL}/{name}"),
    };
    Some(TestDb { name, url })
}
