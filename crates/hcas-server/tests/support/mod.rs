//! What the server's tests share: a server on port 0 (SQLite in a tempdir, or
//! a fresh PostgreSQL database) with organizations [`ORG`] and [`OTHER`], a
//! test verifier (tokens `t:<n>` registered by the test, or `<role>:<subject>`
//! of [`ORG`]), an HTTP client answering [`Reply`]s, the audit log, and the
//! fixtures of the appointments tests (providers with schedules, instants).
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

/// Tokens `t:<n>`, each naming a principal registered by the test
/// ([`Server::token_in`]); any other token `<role>:<subject>` (`admin:A1`,
/// `patient:X1`, `doctor:D1`) is that role's subject in [`ORG`]; anything
/// else is refused.
#[derive(Default)]
pub struct Tokens {
    map: Mutex<HashMap<String, Principal>>,
}

#[async_trait]
impl Verifier for Tokens {
    async fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        if let Some(p) = self.map.lock().unwrap().get(token) {
            return Ok(p.clone());
        }
        let (role, subject) = token
            .split_once(':')
            .ok_or_else(|| ApiError::unauthorized("unknown test token"))?;
        let role = Role::parse(role).ok_or_else(|| ApiError::unauthorized("unknown test token"))?;
        Ok(Principal::new(subject, OrgId::parse(ORG)?, vec![role]))
    }
}

/// Which database the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct Server {
    pub base: String,
    pub running: Option<hcas_server::Running>,
    pub tokens: Arc<Tokens>,
    pub dir: tempfile::TempDir,
    pub client: reqwest::Client,
    /// The PostgreSQL database, on [`Backend::Postgres`].
    pub db: Option<TestDb>,
    next: std::sync::atomic::AtomicUsize,
}

pub const ORG: &str = "org-a";
pub const OTHER: &str = "org-b";

impl Server {
    /// A server on SQLite with organizations `org-a` and `org-b`.
    pub async fn sqlite() -> Self {
        Self::start(Backend::Sqlite, "sqlite").await.unwrap()
    }

    /// A server on a fresh PostgreSQL database, or `None` (skipped).
    pub async fn postgres(test: &str) -> Option<Self> {
        Self::start(Backend::Postgres, test).await
    }

    /// A server on `backend` with organizations `org-a` and `org-b`, or
    /// `None` (printed) when PostgreSQL is unreachable and not required.
    pub async fn start(backend: Backend, test: &str) -> Option<Self> {
        Self::start_with(backend, test, |_| {}).await
    }

    /// As [`Server::start`], with `configure` changing the configuration first.
    pub async fn start_with(
        backend: Backend,
        test: &str,
        configure: impl FnOnce(&mut hcas_server::config::Config),
    ) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let mut config = hcas_server::config::Config::with_data_dir(dir.path());
        // Tests fire many requests from one address: no rate limit here
        // (tests/operations.rs tests the limiter).
        config.rate_limit_per_second = 0;
        config.listen = "127.0.0.1:0".parse().unwrap();
        let db = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(fresh_db(test).await?),
        };
        if let Some(db) = &db {
            config.database = hcas_server::config::Database::Postgres(db.url.clone());
        }
        configure(&mut config);
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
        Some(Self {
            base: format!("http://{}", running.addr()),
            running: Some(running),
            tokens,
            dir,
            client: reqwest::Client::new(),
            db,
            next: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// The server's shared state (to reach the store behind the API).
    pub fn state(&self) -> &hcas_server::AppState {
        self.running.as_ref().unwrap().state()
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

    /// A token of organization `org-a` that also carries the SMART scopes
    /// in `scope` (space-separated).
    pub fn token_scoped(&self, subject: &str, roles: &[Role], scope: &str) -> String {
        let t = self.token(subject, roles);
        let mut map = self.tokens.map.lock().unwrap();
        if let Some(p) = map.remove(&t) {
            let scopes = hcas_server::auth::Scopes::parse(scope);
            assert!(scopes.is_some(), "no SMART scope in `{scope}`");
            map.insert(t.clone(), p.with_scopes(scopes));
        }
        t
    }

    /// A request to `path` with `token` as the bearer.
    pub fn req(&self, method: reqwest::Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
    }

    /// Send a request; the status, the JSON body (Null if none, a string if
    /// not JSON) and the headers.
    pub async fn send(&self, rb: reqwest::RequestBuilder) -> Reply {
        let res = rb.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply {
            status,
            json,
            headers,
        }
    }

    /// [`Server::send`] of a request with these headers and JSON body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = self.req(reqwest::Method::from_str(method).unwrap(), path, token);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(req).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call("GET", path, token, None, &[]).await
    }

    /// POST `body` (a `Value` or a reference to one) as JSON.
    pub async fn post(&self, path: &str, token: &str, body: impl serde::Serialize) -> Reply {
        self.send(self.req(reqwest::Method::POST, path, token).json(&body))
            .await
    }

    /// PUT `body` as JSON, with `If-Match: <if_match>` when given.
    pub async fn put(
        &self,
        path: &str,
        token: &str,
        if_match: Option<&str>,
        body: impl serde::Serialize,
    ) -> Reply {
        let mut rb = self.req(reqwest::Method::PUT, path, token).json(&body);
        if let Some(v) = if_match {
            rb = rb.header("if-match", v);
        }
        self.send(rb).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.send(self.req(reqwest::Method::DELETE, path, token))
            .await
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
    /// Assert a problem with this status and code, and a detail.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status, status, "{}", self.json);
        assert_eq!(
            self.headers["content-type"].to_str().unwrap(),
            "application/problem+json"
        );
        assert_eq!(self.json["code"], code, "{}", self.json);
        assert!(!self.json["detail"].as_str().unwrap_or_default().is_empty());
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

/// Assert `got` is a problem with `status` and `code`; answer its body.
#[track_caller]
pub fn problem(got: &Reply, status: u16, code: &str) -> Value {
    got.problem(status, code).clone()
}

/// A patient body.
pub fn patient(id: &str, name: &str, birth: &str, guardians: &[&str]) -> Value {
    serde_json::json!({
        "id": id, "name": name, "birth_date": birth, "guardians": guardians,
        "email": format!("{}@example.org", id.to_lowercase()), "channels": ["email"],
        "language": "en", "timezone": "Europe/London"
    })
}

// ---------------------------------------------------------------- fixtures

pub const ADMIN: &str = "admin:A1";

/// Create provider `id` with `specialties` and a daily UTC schedule from
/// yesterday, `start`..`end` local (UTC) time.
pub async fn provider(s: &Server, id: &str, specialties: &[&str], start: &str, end: &str) {
    s.post(
        "/v1/providers",
        ADMIN,
        serde_json::json!({ "id": id, "name": format!("Dr {id}"), "specialties": specialties }),
    )
    .await
    .ok(201);
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1))
        .date_naive()
        .to_string();
    s.call(
        "PUT",
        &format!("/v1/providers/{id}/schedule"),
        ADMIN,
        Some(serde_json::json!({
            "timezone": "UTC",
            "rules": [{ "rrule": "FREQ=DAILY", "dtstart": yesterday, "start": start, "end": end }],
        })),
        &[],
    )
    .await
    .ok(201);
}

/// Midnight UTC `days` from today, RFC 3339.
pub fn day(days: i64) -> chrono::DateTime<chrono::Utc> {
    let d = chrono::Utc::now().date_naive() + chrono::Duration::days(days);
    d.and_hms_opt(0, 0, 0).unwrap().and_utc()
}

pub fn rfc(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `day(days)` at `hh:mm`.
pub fn at(days: i64, hh: i64, mm: i64) -> String {
    rfc(day(days) + chrono::Duration::minutes(hh * 60 + mm))
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

/// Whether `jq` is installed (the shell examples need it); without it a
/// test skips, except under CI, where it fails naming `what`.
pub fn have_jq(what: &str) -> bool {
    if std::process::Command::new("jq")
        .arg("--version")
        .output()
        .is_ok()
    {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "jq is needed for {what}"
    );
    println!("skipped: jq not installed");
    false
}

/// The built binary with `--demo` on `data_dir` and any free port, as a
/// new user starts it; returns the process and its URL. The welcome text
/// names the URL ("hcas demo clinic at http://127.0.0.1:PORT") and ends with
/// the `API:` line; the rest of stdout is drained, not closed.
pub fn demo_process(
    data_dir: &std::path::Path,
    stderr: std::process::Stdio,
) -> (std::process::Child, String) {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_hcas-server"));
    c.arg("--demo")
        .env("HCAS_DATA_DIR", data_dir)
        .env("HCAS_LISTEN", "127.0.0.1:0")
        .stderr(stderr);
    demo_wait(c)
}

/// The built binary with `--demo` on `data_dir`, any free port, none of the
/// caller's `HCAS_*` variables, no rate limit, `vars` set and, for
/// PostgreSQL, `database_url` (the restart tests start it twice on the same
/// data); the process and its URL once it listens.
pub fn demo_spawn(
    data_dir: &std::path::Path,
    database_url: Option<&str>,
    vars: &[(&str, &str)],
) -> (std::process::Child, String) {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_hcas-server"));
    for (k, _) in std::env::vars() {
        if k.starts_with("HCAS_") {
            c.env_remove(k);
        }
    }
    c.arg("--demo")
        .env("HCAS_DATA_DIR", data_dir)
        .env("HCAS_LISTEN", "127.0.0.1:0")
        .env("HCAS_RATE_LIMIT_PER_SECOND", "0")
        .envs(vars.iter().copied())
        .stderr(std::process::Stdio::null());
    if let Some(url) = database_url {
        c.env("HCAS_DATABASE_URL", url);
    }
    demo_wait(c)
}

/// Start `c` (a `--demo` command) with stdout piped and wait, up to two
/// minutes, for its welcome text: the URL line, then the `API:` line.
fn demo_wait(mut c: std::process::Command) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut server = c.stdout(std::process::Stdio::piped()).spawn().unwrap();
    let stdout = server.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut url = None;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix("hcas demo clinic at ") {
                url = rest.split_whitespace().next().map(str::to_string);
            }
            if line.starts_with("API: ") {
                let _ = tx.send(url.take());
            }
        }
    });
    let url = rx
        .recv_timeout(std::time::Duration::from_secs(120))
        .ok()
        .flatten()
        .expect("the demo printed its URL");
    (server, url)
}

/// 2030-01-07 (a Monday) onwards: the n-th free 30-minute start of the demo
/// providers' hours (09:00-12:00 and 13:00-17:00 in New York, UTC-5 in
/// January), as RFC 3339 UTC: 14 a day.
pub fn demo_start(n: usize) -> String {
    let day = n / 14;
    let k = n % 14;
    let minutes = if k < 6 {
        14 * 60 + 30 * k
    } else {
        18 * 60 + 30 * (k - 6)
    };
    format!(
        "2030-01-{:02}T{:02}:{:02}:00Z",
        7 + day,
        minutes / 60,
        minutes % 60
    )
}

/// An environment of `pairs` only, for the `from_env` of the settings.
pub fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    move |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
}

/// Upload `body` as patient `P1`'s document (`POST
/// /v1/patients/P1/records?{query}` with `ctype`) with `token`.
pub async fn upload_record(
    s: &Server,
    token: &str,
    query: &str,
    ctype: &str,
    body: Vec<u8>,
) -> Reply {
    s.send(
        s.req(
            reqwest::Method::POST,
            &format!("/v1/patients/P1/records?{query}"),
            token,
        )
        .header("content-type", ctype)
        .body(body),
    )
    .await
}

/// The line a docs page sets `HCAS` with (the default port); a page run
/// replaces it with the test server's URL.
pub const DOCS_SETUP_LINE: &str = "export HCAS=http://127.0.0.1:8080";

/// The ```` ```sh ```` blocks of `docs/{page}`, in order.
pub fn docs_sh_blocks(page: &str) -> Vec<String> {
    let text = std::fs::read_to_string(format!("{}/../../docs/{page}", env!("CARGO_MANIFEST_DIR")))
        .unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match &mut current {
            None if line.trim_end() == "```sh" => current = Some(String::new()),
            None => {}
            Some(_) if line.trim_end() == "```" => blocks.push(current.take().unwrap()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    assert!(
        current.is_none(),
        "docs/{page}: a ```sh block is not closed"
    );
    blocks
}

/// The answer lines a docs script shows: every `# ` comment line, in order.
pub fn docs_shown_answers(script: &str) -> Vec<String> {
    script
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .map(str::to_string)
        .collect()
}

/// The script's `curl` commands (`\` continuations joined) that neither
/// have `--fail-with-body` nor print `%{http_code}` for an `expect STATUS`.
pub fn docs_unchecked_curls(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut acc = String::new();
    for line in script.lines() {
        if let Some(head) = line.strip_suffix('\\') {
            acc.push_str(head);
            acc.push(' ');
            continue;
        }
        acc.push_str(line);
        let l = std::mem::take(&mut acc);
        if l.contains("curl ") && !l.contains("--fail-with-body") && !l.contains("%{http_code}") {
            out.push(l);
        }
    }
    out
}

/// Run `script` (the ```sh blocks of `docs/{page}`) as one bash script
/// (`set -euo pipefail`) against the built binary with `--demo` (fresh data
/// directory, any free port): it must succeed and print exactly the page's
/// `# ` answer lines.
pub fn docs_run_against_demo(page: &str, script: &str) {
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
    let (mut server, url) = demo_process(&dir.path().join("data"), log.into());
    let script = script.replace(DOCS_SETUP_LINE, &format!("export HCAS={url}"));
    let out = std::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(dir.path())
        .env_remove("TOKEN")
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
    assert!(
        out.status.success(),
        "docs/{page}'s examples failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}\n--- the server's log\n{log}",
        out.status
    );
    let shown = docs_shown_answers(&script);
    let got: Vec<&str> = stdout.lines().collect();
    for (i, (want, have)) in shown.iter().zip(&got).enumerate() {
        assert_eq!(
            want,
            have,
            "docs/{page} shows answer line {} as\n  {want}\nbut the server answered\n  {have}\n--- stdout\n{stdout}",
            i + 1
        );
    }
    assert_eq!(
        shown.len(),
        got.len(),
        "docs/{page} shows {} answer lines, the examples printed {}:\n{stdout}",
        shown.len(),
        got.len()
    );
}

/// The python of the test tools' venv (`HCAS_FHIR_PYTHON`, else
/// `~/.cache/hcas-tools/fhir-venv`, which scripts/test builds with every
/// pinned Python package the tests use), if it can `import {modules}`.
/// Without it the caller skips, unless `{require}=1` (scripts/test sets
/// it): then the test fails.
pub fn tools_python(modules: &str, require: &str) -> Option<std::path::PathBuf> {
    let p = std::env::var_os("HCAS_FHIR_PYTHON").map_or_else(
        || {
            std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/hcas-tools/fhir-venv/bin/python")
        },
        std::path::PathBuf::from,
    );
    let ok = p.exists()
        && std::process::Command::new(&p)
            .args(["-c", &format!("import {modules}")])
            .status()
            .is_ok_and(|s| s.success());
    if ok {
        return Some(p);
    }
    assert!(
        std::env::var(require).as_deref() != Ok("1"),
        "{require}=1 but {} cannot import {modules}; run scripts/test (it builds the venv)",
        p.display()
    );
    println!("skipped: {} cannot import {modules}", p.display());
    None
}

/// `tests/{dir}` if `npm ci` installed `package` there (scripts/test does).
/// Without it the caller skips, unless `{require}=1` (scripts/test sets
/// it): then the test fails.
pub fn node_package(dir: &str, package: &str, require: &str) -> Option<std::path::PathBuf> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(dir);
    if dir.join("node_modules").join(package).is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var(require).as_deref() != Ok("1"),
        "{require}=1 but {package} is not installed in {}; run `npm ci` there (scripts/test does)",
        dir.display()
    );
    println!("skipped: {package} is not installed in {}", dir.display());
    None
}

/// Run the external checker `cmd` off the async runtime; its output.
pub async fn run_tool(mut cmd: std::process::Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("the checker starts"))
        .await
        .expect("the checker's thread")
}

/// Run the external checker `cmd` (called `what` in messages), fail with
/// both its outputs unless it succeeds, and answer its standard output.
pub async fn tool_passes(what: &str, cmd: std::process::Command) -> String {
    let out = run_tool(cmd).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{stdout}");
    stdout
}

/// The data both FHIR client checks run against (`tests/fhir_client.rs`
/// with fhirpy, `tests/fhir_client_node.rs` with fhir-kit-client): provider
/// P1, patients X1 and X2 with three appointments, X2 denying everyone by
/// consent; then `cmd` runs with the server's addresses and tokens in its
/// environment and must validate what it got.
pub async fn fhir_client_check(s: &Server, what: &str, mut cmd: std::process::Command) {
    provider(s, "P1", &["gp"], "09:00", "12:00").await;
    let admin = s.token("desk0", &[Role::Admin]);
    for (id, name) in [("X1", "Alice Example"), ("X2", "Bob Example")] {
        s.post("/v1/patients", &admin, patient(id, name, "1970-01-01", &[]))
            .await
            .ok(201);
    }
    for (who, start) in [
        ("X1", at(2, 9, 0)),
        ("X1", at(3, 10, 0)),
        ("X2", at(2, 10, 0)),
    ] {
        s.post(
            "/v1/appointments",
            &format!("patient:{who}"),
            serde_json::json!({"provider": "P1", "patient": who, "start": start, "duration": 30}),
        )
        .await
        .ok(201);
    }
    s.post(
        "/v1/patients/X2/consents",
        &admin,
        serde_json::json!({"id": "KX2", "status": "active", "date": "2025-01-01T00:00:00Z", "decision": "deny"}),
    )
    .await
    .ok(201);
    cmd.env("HCAS_FHIR_URL", format!("{}/fhir/r4", s.base))
        .env("HCAS_URL", &s.base)
        .env("HCAS_DOCTOR", s.token("D1", &[Role::Doctor]))
        .env("HCAS_PATIENT", "patient:X1")
        .env("HCAS_PATIENT2", "patient:X2")
        .env("HCAS_FROM", at(2, 0, 0))
        .env("HCAS_TO", at(2, 12, 0));
    let stdout = tool_passes(what, cmd).await;
    assert!(stdout.contains("validated "), "{stdout}");
}

/// Validate `resources` (a Bundle's entries too) as FHIR with both
/// independent validators the FHIR client tests use: `fhir.resources`' R4B
/// models (`tests/fhir/validate_file.py`, the tools venv) and
/// `@medplum/core`'s `validateResource` with the R4 definitions
/// (`tests/fhir_node/validate_file.js`). Each one missing is skipped,
/// unless `HCAS_REQUIRE_FHIR_PY=1` / `HCAS_REQUIRE_FHIR_NODE=1`. Answers
/// how many validators ran; panics with the validator's words on the first
/// invalid resource.
pub async fn validate_r4(resources: &[Value]) -> usize {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), serde_json::to_vec(resources).unwrap()).unwrap();
    let tests = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut ran = 0;
    if let Some(py) = tools_python("fhir.resources.R4B", "HCAS_REQUIRE_FHIR_PY") {
        let mut cmd = std::process::Command::new(py);
        cmd.arg(tests.join("fhir/validate_file.py"))
            .arg(file.path());
        let out = tool_passes("fhir.resources (R4B)", cmd).await;
        assert!(out.contains("validated "), "{out}");
        ran += 1;
    }
    if let Some(dir) = node_package("fhir_node", "@medplum/core", "HCAS_REQUIRE_FHIR_NODE") {
        let mut cmd = std::process::Command::new("node");
        cmd.arg("validate_file.js")
            .arg(file.path())
            .current_dir(dir);
        let out = tool_passes("@medplum/core validateResource (R4)", cmd).await;
        assert!(out.contains("validated "), "{out}");
        ran += 1;
    }
    ran
}

/// Whether both validators of [`validate_r4`] refuse `resource` (each one
/// present); `true` when none is present.
pub async fn r4_validators_refuse(resource: &Value) -> bool {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), serde_json::to_vec(&[resource]).unwrap()).unwrap();
    let tests = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut refused = true;
    if let Some(py) = tools_python("fhir.resources.R4B", "HCAS_REQUIRE_FHIR_PY") {
        let mut cmd = std::process::Command::new(py);
        cmd.arg(tests.join("fhir/validate_file.py"))
            .arg(file.path());
        refused &= !run_tool(cmd).await.status.success();
    }
    if let Some(dir) = node_package("fhir_node", "@medplum/core", "HCAS_REQUIRE_FHIR_NODE") {
        let mut cmd = std::process::Command::new("node");
        cmd.arg("validate_file.js")
            .arg(file.path())
            .current_dir(dir);
        refused &= !run_tool(cmd).await.status.success();
    }
    refused
}
