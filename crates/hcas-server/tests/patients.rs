//! The patients service over HTTP: registration by staff only, the profile
//! read and updated under the gate (with versions and `If-Match`), contact
//! preferences validated, guardians acting for minors only, each access
//! audited; on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use hcas_core::consent::Role;
use serde_json::{Value, json};
use support::{ORG, Server, patient};

async fn register(s: &Server, token: &str, body: Value) -> Value {
    s.post("/v1/patients", token, body).await.ok(201).clone()
}

async fn profile_roundtrip(s: &Server) {
    let admin = s.token("desk1", &[Role::Admin]);
    let doctor = s.token("dr1", &[Role::Doctor]);
    let res = s
        .post(
            "/v1/patients",
            &admin,
            patient("P1", "Ada Lovelace", "1990-12-10", &[]),
        )
        .await;
    let body = res.ok(201);
    assert_eq!(res.headers["etag"], "\"1\"");
    assert_eq!(res.headers["location"], "/v1/patients/P1");
    assert_eq!(body["version"], 1);
    assert_eq!(body["channels"], json!(["email"]));
    assert_eq!(body["timezone"], "Europe/London");

    // Read by a doctor (records read, TREAT, no consent: default permit).
    let res = s.get("/v1/patients/P1", &doctor).await;
    let read = res.ok(200);
    assert_eq!(read["name"], "Ada Lovelace");
    assert_eq!(read["birth_date"], "1990-12-10");
    assert_eq!(read["language"], "en");
    // Admin staff may register but not read records (role gate).
    let denied = s.get("/v1/patients/P1", &admin).await;
    let p = denied.problem(403, "forbidden");
    assert!(p["detail"].as_str().unwrap().contains("basis: role"), "{p}");
    assert!(!p.to_string().contains("Ada"), "a denial reveals no data");

    // Update with the version read.
    let mut changed = patient("P1", "Ada King", "1990-12-10", &[]);
    changed["channels"] = json!(["sms", "push"]);
    changed["phone"] = json!("+44 20 7946 0000");
    let res = s
        .call(
            "PUT",
            "/v1/patients/P1",
            &doctor,
            Some(changed.clone()),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(res.ok(200)["version"], 2);
    assert_eq!(res.headers["etag"], "\"2\"");
    assert_eq!(res.json["channels"], json!(["sms", "push"]));
    // A stale version: 412, nothing changed.
    let res = s
        .call(
            "PUT",
            "/v1/patients/P1",
            &doctor,
            Some(patient("P1", "Someone Else", "1990-12-10", &[])),
            &[("if-match", "1")],
        )
        .await;
    res.problem(412, "version_mismatch");
    assert_eq!(
        s.get("/v1/patients/P1", &doctor).await.json["name"],
        "Ada King"
    );
    // No If-Match: 428.
    s.call(
        "PUT",
        "/v1/patients/P1",
        &doctor,
        Some(changed.clone()),
        &[],
    )
    .await
    .problem(428, "precondition_required");
    // An If-Match that is not a version: 422 on this route.
    s.call(
        "PUT",
        "/v1/patients/P1",
        &doctor,
        Some(changed.clone()),
        &[("if-match", "\"v1\"")],
    )
    .await
    .problem(422, "invalid_request");

    // Bad fields: the code names what to fix.
    let mut bad = patient("P2", "B", "2000-01-01", &[]);
    bad["timezone"] = json!("Mars/Olympus");
    s.post("/v1/patients", &admin, bad)
        .await
        .problem(422, "invalid_timezone");
    let mut bad = patient("P2", "B", "2000-01-01", &[]);
    bad["language"] = json!("english please");
    s.post("/v1/patients", &admin, bad)
        .await
        .problem(422, "invalid_request");
    let mut bad = patient("P2", "B", "2000-01-01", &[]);
    bad["channels"] = json!(["fax"]);
    s.post("/v1/patients", &admin, bad)
        .await
        .problem(422, "invalid_request");
    s.post(
        "/v1/patients",
        &admin,
        patient("P2", "B", "2000-01-01", &["NOBODY"]),
    )
    .await
    .problem(422, "invalid_guardian");
    s.post(
        "/v1/patients",
        &admin,
        patient("P1", "Dup", "2000-01-01", &[]),
    )
    .await
    .problem(409, "already_exists");
    // Only staff register.
    let researcher = s.token("rs1", &[Role::Researcher]);
    s.post(
        "/v1/patients",
        &researcher,
        patient("P3", "C", "2000-01-01", &[]),
    )
    .await
    .problem(403, "forbidden");
    let selfie = s.token("P4", &[Role::Patient]);
    s.post(
        "/v1/patients",
        &selfie,
        patient("P4", "D", "2000-01-01", &[]),
    )
    .await
    .problem(403, "forbidden");
    s.get("/v1/patients/NOPE", &doctor)
        .await
        .problem(404, "not_found");

    // The patient reads their own profile and changes contact preferences
    // (appointments write, allowed to self), not their name (records write).
    let me = s.token("P1", &[Role::Patient]);
    assert_eq!(s.get("/v1/patients/P1", &me).await.ok(200)["version"], 2);
    let mut prefs = changed.clone();
    prefs["language"] = json!("pt-BR");
    prefs["timezone"] = json!("America/Sao_Paulo");
    let res = s
        .call(
            "PUT",
            "/v1/patients/P1",
            &me,
            Some(prefs.clone()),
            &[("if-match", "2")],
        )
        .await;
    assert_eq!(res.ok(200)["language"], "pt-BR");
    let mut rename = prefs.clone();
    rename["name"] = json!("Countess");
    let res = s
        .call(
            "PUT",
            "/v1/patients/P1",
            &me,
            Some(rename),
            &[("if-match", "3")],
        )
        .await;
    assert!(
        res.problem(403, "forbidden")["detail"]
            .as_str()
            .unwrap()
            .contains("basis: self")
    );
    // Another patient: denied.
    let other = s.token("P9", &[Role::Patient]);
    s.get("/v1/patients/P1", &other)
        .await
        .problem(403, "forbidden");

    // Every access was audited with its operation, decision and request id.
    let log = s.audit(ORG).await;
    let reads: Vec<_> = log
        .iter()
        .filter(|r| r.event.action == "patient.read" && r.event.patient.as_deref() == Some("P1"))
        .collect();
    assert!(reads.iter().any(|r| r.event.outcome == "permit"
        && r.event.actor == "dr1"
        && r.event.detail["category"] == "records"));
    assert!(reads.iter().any(|r| r.event.outcome == "deny"
        && r.event.actor == "desk1"
        && r.event.detail["basis"] == "role"));
    let denied_rid = denied.request_id();
    assert!(
        log.iter()
            .any(|r| r.event.detail["request_id"] == denied_rid.as_str())
    );
    assert!(log.iter().any(|r| r.event.action == "patient.update"
        && r.event.actor == "P1"
        && r.event.detail["category"] == "appointments"
        && r.event.outcome == "permit"));
}

#[tokio::test]
async fn profile_registration_reads_updates_and_versions_sqlite() {
    let s = Server::sqlite().await;
    profile_roundtrip(&s).await;
    s.stop().await;
}

#[tokio::test]
async fn profile_registration_reads_updates_and_versions_postgres() {
    let Some(s) = Server::postgres("patients_postgres").await else {
        return;
    };
    profile_roundtrip(&s).await;
    s.stop().await;
}

#[tokio::test]
async fn a_guardian_acts_for_a_minor_only() {
    let s = Server::sqlite().await;
    let nurse = s.token("n1", &[Role::Nurse]);
    register(&s, &nurse, patient("G1", "Grace Parent", "1980-01-01", &[])).await;
    register(
        &s,
        &nurse,
        patient("M1", "Minnie Minor", "2016-05-05", &["G1"]),
    )
    .await;
    register(
        &s,
        &nurse,
        patient("A1", "Adam Adult", "1990-05-05", &["G1"]),
    )
    .await;
    let g = s.token("G1", &[Role::Patient]);

    let res = s.get("/v1/patients/M1", &g).await;
    assert_eq!(res.ok(200)["name"], "Minnie Minor");
    let rid = res.request_id();
    let log = s.audit(ORG).await;
    let rec = log
        .iter()
        .find(|r| r.event.detail["request_id"] == rid.as_str())
        .unwrap();
    assert_eq!(rec.event.actor, "G1");
    assert_eq!(rec.event.patient.as_deref(), Some("M1"));
    assert_eq!(rec.event.detail["guardian_for"], "M1");
    assert_eq!(rec.event.detail["basis"], "self");
    assert_eq!(rec.event.outcome, "permit");

    // The guardian changes the minor's contact preferences.
    let mut prefs = patient("M1", "Minnie Minor", "2016-05-05", &["G1"]);
    prefs["phone"] = json!("+1 555 0100");
    let res = s
        .call(
            "PUT",
            "/v1/patients/M1",
            &g,
            Some(prefs),
            &[("if-match", "1")],
        )
        .await;
    assert_eq!(res.ok(200)["phone"], "+1 555 0100");

    // An adult listing G1 as guardian: G1 is just another patient there.
    let res = s.get("/v1/patients/A1", &g).await;
    assert!(
        res.problem(403, "forbidden")["detail"]
            .as_str()
            .unwrap()
            .contains("basis: role")
    );
    // A patient not listed as guardian of the minor: denied.
    let stranger = s.token("A1", &[Role::Patient]);
    s.get("/v1/patients/M1", &stranger)
        .await
        .problem(403, "forbidden");
    s.stop().await;
}

#[tokio::test]
async fn every_route_is_in_the_openapi_document() {
    let s = Server::sqlite().await;
    let doc: Value = s
        .client
        .get(format!("{}/openapi.json", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (path, methods) in [
        ("/v1/patients", &["post"][..]),
        ("/v1/patients/{id}", &["get", "put"][..]),
        ("/v1/patients/{id}/access", &["post"][..]),
        ("/v1/patients/{id}/consents", &["get", "post"][..]),
        ("/v1/patients/{id}/consents/{cid}/revoke", &["post"][..]),
        ("/v1/audit/verify", &["get"][..]),
    ] {
        for m in methods {
            let op = &doc["paths"][path][m];
            assert!(op.is_object(), "{m} {path} is not documented");
            assert!(op["responses"]["403"].is_object(), "{m} {path}: 403");
        }
    }
    for schema in [
        "PatientInput",
        "PatientView",
        "AccessInput",
        "AccessAnswer",
        "ConsentView",
        "Verification",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    s.stop().await;
}
