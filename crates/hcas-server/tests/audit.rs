//! The tamper-evident audit log: a hash chain that `verify` (the API's
//! `GET /v1/audit/verify` and the CLI's `hcas-server audit verify`) walks.
//! Editing, deleting or reordering any stored record (after dropping the
//! append-only triggers, straight in the database) makes it fail at the
//! first bad record; restoring the records makes it pass again. If the log
//! cannot be written, the access is refused with 503 and nothing returned.
//! On SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::str::FromStr;

use hcas_core::consent::Role;
use hcas_store::postgres::sqlx::{self, AssertSqlSafe, ConnectOptions, Connection};
use serde_json::{Value, json};
use support::{ORG, Server, patient};

/// A direct connection to organization `org-a`'s database.
enum Db {
    Sqlite(sqlx::SqliteConnection),
    Pg(sqlx::PgConnection),
}

impl Db {
    async fn open(s: &Server) -> (Self, &'static str) {
        match &s.db {
            None => {
                let url = format!("sqlite://{}", s.sqlite_file(ORG).display());
                let c = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
                    .unwrap()
                    .connect()
                    .await
                    .unwrap();
                (Self::Sqlite(c), "audit")
            }
            Some(db) => {
                let c = sqlx::postgres::PgConnectOptions::from_str(&db.url)
                    .unwrap()
                    .connect()
                    .await
                    .unwrap();
                (Self::Pg(c), "org_org_a.audit")
            }
        }
    }

    async fn exec(&mut self, sql: &str) {
        let sql = AssertSqlSafe(sql.to_string());
        match self {
            Self::Sqlite(c) => {
                sqlx::raw_sql(sql).execute(&mut *c).await.unwrap();
            }
            Self::Pg(c) => {
                sqlx::raw_sql(sql).execute(&mut *c).await.unwrap();
            }
        }
    }

    async fn rows(&mut self, table: &str) -> Vec<Row> {
        let sql = AssertSqlSafe(format!(
            "SELECT seq, at_s, patient, CAST(payload AS TEXT) FROM {table} ORDER BY seq"
        ));
        let rows: Vec<(i64, i64, Option<String>, String)> = match self {
            Self::Sqlite(c) => sqlx::query_as(sql).fetch_all(&mut *c).await.unwrap(),
            Self::Pg(c) => sqlx::query_as(sql).fetch_all(&mut *c).await.unwrap(),
        };
        rows.into_iter()
            .map(|(seq, at_s, patient, payload)| Row {
                seq,
                at_s,
                patient,
                payload,
            })
            .collect()
    }

    async fn close(self) {
        match self {
            Self::Sqlite(c) => c.close().await.unwrap(),
            Self::Pg(c) => c.close().await.unwrap(),
        }
    }
}

#[derive(Clone)]
struct Row {
    seq: i64,
    at_s: i64,
    patient: Option<String>,
    payload: String,
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn set_payload(table: &str, seq: i64, payload: &str) -> String {
    format!(
        "UPDATE {table} SET payload = {} WHERE seq = {seq}",
        quote(payload)
    )
}

fn insert(table: &str, r: &Row) -> String {
    format!(
        "INSERT INTO {table} (seq, at_s, patient, payload) VALUES ({}, {}, {}, {})",
        r.seq,
        r.at_s,
        r.patient.as_deref().map_or("NULL".to_string(), quote),
        quote(&r.payload)
    )
}

/// The API's verification.
async fn api_verify(s: &Server) -> Value {
    let admin = s.token("auditor", &[Role::Admin]);
    s.get("/v1/audit/verify", &admin).await.ok(200).clone()
}

/// The CLI's verification: (exit code, stdout).
fn cli_verify(s: &Server, head: Option<&str>) -> (i32, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_hcas-server"));
    cmd.args(["audit", "verify", "--org", ORG])
        .env("HCAS_DATA_DIR", s.dir.path())
        .env("HCAS_LOG_FORMAT", "pretty")
        .env("HCAS_LOG", "error")
        .env_remove("HCAS_CONFIG")
        .env_remove("HCAS_DATABASE_URL");
    if let Some(db) = &s.db {
        cmd.env("HCAS_DATABASE_URL", &db.url);
    }
    if let Some(h) = head {
        cmd.args(["--head", h]);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// Assert both verifiers fail at `seq`.
async fn broken_at(s: &Server, seq: i64, what: &str) {
    let v = api_verify(s).await;
    assert_eq!(v["ok"], false, "{what}: {v}");
    assert_eq!(v["first_break"]["seq"], seq, "{what}: {v}");
    let (code, out) = cli_verify(s, None);
    assert_eq!(code, 1, "{what}: {out}");
    assert!(
        out.starts_with(&format!("broken at seq {seq}:")),
        "{what}: {out}"
    );
}

/// Assert both verifiers pass with `n` records; the head.
async fn intact(s: &Server, n: usize) -> String {
    let v = api_verify(s).await;
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["records"], n, "{v}");
    let (code, out) = cli_verify(s, None);
    assert_eq!(code, 0, "{out}");
    let head = v["head"].as_str().unwrap().to_string();
    assert_eq!(out.trim(), format!("ok {n} records, head {head}"));
    head
}

/// Some audited traffic: permits and denials.
async fn traffic(s: &Server) -> usize {
    let admin = s.token("desk1", &[Role::Admin]);
    let doctor = s.token("dr1", &[Role::Doctor]);
    s.post(
        "/v1/patients",
        &admin,
        patient("P1", "Ada Lovelace", "1990-12-10", &[]),
    )
    .await
    .ok(201);
    s.get("/v1/patients/P1", &doctor).await.ok(200);
    s.get("/v1/patients/P1", &admin)
        .await
        .problem(403, "forbidden");
    s.post(
        "/v1/patients/P1/access",
        &doctor,
        json!({"category": "labs", "action": "read", "break_glass": {"reason": "collapsed in ED"}}),
    )
    .await
    .ok(200);
    s.post(
        "/v1/patients/P1/consents",
        &admin,
        json!({"id": "K1", "status": "active", "decision": "permit"}),
    )
    .await
    .ok(201);
    s.get("/v1/patients/P1", &doctor).await.ok(200);
    s.audit(ORG).await.len()
}

async fn tamper_cases(s: &Server) {
    let n = traffic(s).await;
    assert_eq!(n, 6);
    let log = s.audit(ORG).await;
    // The chain: the first links to 64 zeros, each next to the one before.
    assert_eq!(log[0].event.detail["prev"], hcas_server::audit::GENESIS);
    for w in log.windows(2) {
        assert_eq!(w[1].event.detail["prev"], w[0].event.detail["hash"]);
    }
    let head = intact(s, n).await;
    assert_eq!(log[n - 1].event.detail["hash"], head.as_str());

    let (mut db, table) = Db::open(s).await;
    // The store refuses changes until the triggers are gone.
    let rows = db.rows(table).await;
    assert_eq!(rows.len(), n);
    match &mut db {
        Db::Sqlite(_) => {
            db.exec("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete")
                .await;
        }
        Db::Pg(_) => {
            db.exec(&format!("ALTER TABLE {table} DISABLE TRIGGER USER"))
                .await
        }
    }
    let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();

    // Edit a record's actor; then only its detail (the basis).
    for (field, value) in [("actor", json!("mallory")), ("basis", json!("self"))] {
        let r = &rows[2];
        let mut v: Value = serde_json::from_str(&r.payload).unwrap();
        if field == "actor" {
            v["actor"] = value;
        } else {
            v["detail"]["basis"] = value;
        }
        db.exec(&set_payload(table, r.seq, &v.to_string())).await;
        broken_at(s, r.seq, &format!("edited {field}")).await;
        db.exec(&set_payload(table, r.seq, &r.payload)).await;
        intact(s, n).await;
    }

    // Delete a record in the middle, and the first one.
    for i in [3, 0] {
        db.exec(&format!("DELETE FROM {table} WHERE seq = {}", seqs[i]))
            .await;
        broken_at(s, seqs[i + 1], &format!("deleted record {i}")).await;
        db.exec(&insert(table, &rows[i])).await;
        intact(s, n).await;
    }

    // Swap two records' contents (reorder).
    db.exec(&set_payload(table, seqs[1], &rows[4].payload))
        .await;
    db.exec(&set_payload(table, seqs[4], &rows[1].payload))
        .await;
    broken_at(s, seqs[1], "swapped").await;
    db.exec(&set_payload(table, seqs[1], &rows[1].payload))
        .await;
    db.exec(&set_payload(table, seqs[4], &rows[4].payload))
        .await;
    intact(s, n).await;

    // Delete the last record: the shorter chain still links, so the server
    // compares with the head it appended, and the CLI with a noted head.
    db.exec(&format!("DELETE FROM {table} WHERE seq = {}", seqs[n - 1]))
        .await;
    let v = api_verify(s).await;
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["first_break"]["seq"], seqs[n - 1], "{v}");
    let (code, out) = cli_verify(s, Some(&head));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no longer in the log"), "{out}");
    db.exec(&insert(table, &rows[n - 1])).await;
    intact(s, n).await;
    assert_eq!(cli_verify(s, Some(&head)).0, 0);
    db.close().await;

    // Appends go on linking after the restored head.
    let doctor = s.token("dr2", &[Role::Doctor]);
    s.get("/v1/patients/P1", &doctor).await.ok(200);
    intact(s, n + 1).await;
}

#[tokio::test]
async fn tampering_breaks_verify_sqlite() {
    let s = Server::sqlite().await;
    tamper_cases(&s).await;
    s.stop().await;
}

#[tokio::test]
async fn tampering_breaks_verify_postgres() {
    let Some(s) = Server::postgres("audit_tamper").await else {
        return;
    };
    tamper_cases(&s).await;
    s.stop().await;
}

#[tokio::test]
async fn only_admin_staff_verify() {
    let s = Server::sqlite().await;
    let doctor = s.token("dr1", &[Role::Doctor]);
    s.get("/v1/audit/verify", &doctor)
        .await
        .problem(403, "forbidden");
    let v = api_verify(&s).await;
    assert_eq!(v["ok"], true);
    assert_eq!(v["records"], 0);
    assert_eq!(v["head"], hcas_server::audit::GENESIS);
    let (code, out) = cli_verify(&s, None);
    assert_eq!(
        (code, out.trim()),
        (
            0,
            format!("ok 0 records, head {}", hcas_server::audit::GENESIS).as_str()
        )
    );
    // An organization this deployment does not have: exit 1.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hcas-server"))
        .args(["audit", "verify", "--org", "org-unknown"])
        .env("HCAS_DATA_DIR", s.dir.path())
        .env("HCAS_LOG", "off")
        .env_remove("HCAS_CONFIG")
        .env_remove("HCAS_DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("cannot verify: forbidden")
    );
    s.stop().await;
}

/// The audit log cannot be written (its table is gone): every access is
/// refused with 503, nothing is returned and nothing is changed.
#[tokio::test]
async fn an_unwritable_log_refuses_access() {
    let s = Server::sqlite().await;
    let admin = s.token("desk1", &[Role::Admin]);
    let doctor = s.token("dr1", &[Role::Doctor]);
    s.post(
        "/v1/patients",
        &admin,
        patient("P1", "Ada Lovelace", "1990-12-10", &[]),
    )
    .await
    .ok(201);
    s.get("/v1/patients/P1", &doctor).await.ok(200);

    let (mut db, _) = Db::open(&s).await;
    db.exec("DROP TABLE audit").await;
    db.close().await;

    let res = s.get("/v1/patients/P1", &doctor).await;
    let p = res.problem(503, "unavailable").to_string();
    assert!(!p.contains("Ada"), "{p}");
    let res = s
        .call(
            "PUT",
            "/v1/patients/P1",
            &doctor,
            Some(patient("P1", "Changed Name", "1990-12-10", &[])),
            &[("if-match", "1")],
        )
        .await;
    res.problem(503, "unavailable");
    s.post(
        "/v1/patients/P1/consents",
        &admin,
        json!({"id": "K1", "status": "active", "decision": "deny"}),
    )
    .await
    .problem(503, "unavailable");
    s.post(
        "/v1/patients/P1/access",
        &doctor,
        json!({"category": "labs", "action": "read", "break_glass": {"reason": "x"}}),
    )
    .await
    .problem(503, "unavailable");
    s.post(
        "/v1/patients",
        &admin,
        patient("P2", "Bob", "1990-12-10", &[]),
    )
    .await
    .problem(503, "unavailable");

    let store = s.store(ORG).await;
    let p1 = store.get_patient("P1").await.unwrap();
    assert_eq!((p1.version, p1.value.name.as_str()), (1, "Ada Lovelace"));
    assert!(store.consents_for("P1").await.unwrap().is_empty());
    assert!(store.get_patient("P2").await.is_err());
    s.stop().await;
}

/// Many accesses at once, on a multi-threaded runtime: one linear chain.
async fn concurrent(s: &Server) {
    let admin = s.token("desk1", &[Role::Admin]);
    s.post(
        "/v1/patients",
        &admin,
        patient("P1", "Ada Lovelace", "1990-12-10", &[]),
    )
    .await
    .ok(201);
    let mut tasks = Vec::new();
    for i in 0..120 {
        let client = s.client.clone();
        let url = format!("{}/v1/patients/P1", s.base);
        let token = if i % 3 == 0 {
            admin.clone()
        } else {
            s.token(&format!("dr{i}"), &[Role::Doctor])
        };
        tasks.push(tokio::spawn(async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        let status = t.await.unwrap();
        assert_eq!(status, if i % 3 == 0 { 403 } else { 200 });
    }
    let log = s.audit(ORG).await;
    assert_eq!(log.len(), 121);
    for w in log.windows(2) {
        assert_eq!(w[1].event.detail["prev"], w[0].event.detail["hash"]);
    }
    intact(s, 121).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_accesses_keep_one_chain_sqlite() {
    let s = Server::sqlite().await;
    concurrent(&s).await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_accesses_keep_one_chain_postgres() {
    let Some(s) = Server::postgres("audit_concurrent").await else {
        return;
    };
    concurrent(&s).await;
    s.stop().await;
}
