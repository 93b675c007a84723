//! What the `auth_*` tests share: a server on port 0 (SQLite in a tempdir,
//! or a fresh PostgreSQL database), organizations and accounts, login.
#![allow(
    dead_code,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use hcas_server::config::{Config, Database};
use hcas_server::tenants::OrgId;
use hcas_store::postgres::sqlx::postgres::{PgConnectOptions, PgConnection};
use hcas_store::postgres::sqlx::{self, AssertSqlSafe, ConnectOptions, Connection};
use serde_json::{Value, json};

pub(crate) const PASSWORD: &str = "correct horse battery staple";

pub(crate) struct Server {
    pub(crate) base: String,
    pub(crate) running: Option<hcas_server::Running>,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) pg: Option<PgDb>,
    pub(crate) http: reqwest::Client,
}

/// Which database the server uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Db {
    Sqlite,
    Postgres,
}

pub(crate) fn config(dir: &std::path::Path) -> Config {
    let mut config = Config::with_data_dir(dir);
    // Tests fire many requests from one address: no rate limit here
    // (tests/operations.rs tests the limiter).
    config.rate_limit_per_second = 0;
    config.listen = "127.0.0.1:0".parse().unwrap();
    config
}

impl Server {
    /// The server of `config` as `start` builds it (own issuer by default).
    pub(crate) async fn with_config(
        dir: tempfile::TempDir,
        config: Config,
        pg: Option<PgDb>,
    ) -> Self {
        let state = hcas_server::AppState::configured(config).unwrap();
        Self::with_state(dir, state, pg).await
    }

    pub(crate) async fn with_state(
        dir: tempfile::TempDir,
        state: hcas_server::AppState,
        pg: Option<PgDb>,
    ) -> Self {
        let running = hcas_server::start_state(state).await.unwrap();
        Self {
            base: format!("http://{}", running.addr()),
            running: Some(running),
            dir,
            pg,
            http: reqwest::Client::new(),
        }
    }

    /// An own-issuer server on `db`; `None` when PostgreSQL is wanted but
    /// unreachable (and not required).
    pub(crate) async fn start(db: Db) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path());
        let pg = match db {
            Db::Sqlite => None,
            Db::Postgres => {
                let pg = fresh_db("auth").await?;
                config.database = Database::Postgres(pg.url.clone());
                Some(pg)
            }
        };
        Some(Self::with_config(dir, config, pg).await)
    }

    pub(crate) fn state(&self) -> &hcas_server::AppState {
        self.running.as_ref().unwrap().state()
    }

    /// Create organization `org` with an account `username` (password
    /// [`PASSWORD`]) of `roles` and `subject`.
    pub(crate) async fn account(&self, org: &str, username: &str, roles: &[&str], subject: &str) {
        let org = OrgId::parse(org).unwrap();
        let store = self.state().tenants.create(&org).await.unwrap();
        store
            .create_account(hcas_store::Account {
                username: username.to_string(),
                subject: subject.to_string(),
                roles: roles.iter().map(|r| (*r).to_string()).collect(),
                password_hash: hcas_server::auth::hash_password(PASSWORD).unwrap(),
                created: hcas_core::Timestamp::from_unix(1_800_000_000).unwrap(),
                disabled: false,
            })
            .await
            .unwrap();
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub(crate) async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    pub(crate) async fn login(
        &self,
        org: &str,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        self.post(
            "/v1/auth/login",
            json!({ "org": org, "username": username, "password": password }),
        )
        .await
    }

    /// Log in and answer the token response.
    pub(crate) async fn tokens(&self, org: &str, username: &str) -> Value {
        let res = self.login(org, username, PASSWORD).await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    pub(crate) async fn whoami(&self, token: &str) -> reqwest::Response {
        self.get("/v1/auth/whoami", Some(token)).await
    }

    pub(crate) async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }
}

/// Assert a problem+json answer of `status` and `code`; answer its body.
pub(crate) async fn problem(res: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert!(!body["detail"].as_str().unwrap().is_empty());
    body
}

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
static NEXT: AtomicUsize = AtomicUsize::new(0);

fn admin_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_string())
}

/// A fresh PostgreSQL database, dropped (with FORCE) with this guard.
pub(crate) struct PgDb {
    pub(crate) name: String,
    pub(crate) url: String,
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let admin = PgConnectOptions::from_str(&admin_url()).unwrap();
                if let Ok(mut c) = admin.connect().await {
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

/// A fresh database, or `None` (printing a skip note) when PostgreSQL is
/// unreachable and `HCAS_REQUIRE_POSTGRES` is not `1`.
pub(crate) async fn fresh_db(test: &str) -> Option<PgDb> {
    let admin = PgConnectOptions::from_str(&admin_url()).unwrap();
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
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!(
        "hcas_auth_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let base = admin_url();
    let url = match base.rsplit_once('/') {
        Some((prefix, _)) => format!("{prefix}/{name}"),
        None => panic!("DATABASE_URL has no database part: {base}"),
    };
    Some(PgDb { name, url })
}
