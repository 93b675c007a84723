//! The consents service over HTTP: who may grant, list and revoke, the
//! core's validation, versions, and the consent engine using what was
//! granted (a deny consent closes the profile to a doctor, revoking it
//! opens it again); denials reveal no consent contents.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use hcas_core::consent::Role;
use serde_json::json;
use support::{ORG, Server, patient};

async fn grant_list_revoke(s: &Server) {
    let admin = s.token("desk1", &[Role::Admin]);
    let nurse = s.token("n1", &[Role::Nurse]);
    let doctor = s.token("dr1", &[Role::Doctor]);
    let me = s.token("P1", &[Role::Patient]);
    s.post(
        "/v1/patients",
        &admin,
        patient("P1", "Ada Lovelace", "1990-12-10", &[]),
    )
    .await
    .ok(201);
    assert_eq!(s.get("/v1/patients/P1", &doctor).await.status, 200);

    // The patient opts out of everything but appointments.
    let deny = json!({
        "id": "K-secret-1", "status": "active", "date": "2025-03-01T00:00:00Z",
        "decision": "deny",
        "provisions": [ { "categories": ["appointments"] } ]
    });
    let res = s.post("/v1/patients/P1/consents", &me, deny.clone()).await;
    let body = res.ok(201);
    assert_eq!(body["version"], 1);
    assert_eq!(body["consent"]["patient"], "P1");
    assert_eq!(body["consent"]["id"], "K-secret-1");

    // The engine now denies the doctor, naming the basis only.
    let res = s.get("/v1/patients/P1", &doctor).await;
    let p = res.problem(403, "forbidden").to_string();
    assert!(p.contains("basis: consent"), "{p}");
    assert!(
        !p.contains("K-secret-1") && !p.contains("provisions"),
        "{p}"
    );

    // Listing: the patient and admin staff; not the doctor or nurse.
    let list = s.get("/v1/patients/P1/consents", &me).await;
    assert_eq!(list.ok(200)["consents"][0]["consent"]["id"], "K-secret-1");
    assert_eq!(
        s.get("/v1/patients/P1/consents", &admin).await.ok(200)["consents"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let p = s.get("/v1/patients/P1/consents", &doctor).await;
    assert!(
        !p.problem(403, "forbidden")
            .to_string()
            .contains("K-secret-1")
    );
    s.post(
        "/v1/patients/P1/consents",
        &nurse,
        json!({"decision": "permit", "status": "active"}),
    )
    .await
    .problem(403, "forbidden");

    // The core validates: an empty list never matches (invalid_consent);
    // another patient's consent; a taken id.
    s.post(
        "/v1/patients/P1/consents",
        &admin,
        json!({"status": "active", "decision": "permit", "provisions": [{"purposes": []}]}),
    )
    .await
    .problem(422, "invalid_consent");
    s.post(
        "/v1/patients/P1/consents",
        &admin,
        json!({"patient": "P2", "status": "active", "decision": "permit"}),
    )
    .await
    .problem(422, "invalid_consent");
    s.post("/v1/patients/P1/consents", &admin, deny.clone())
        .await
        .problem(409, "already_exists");
    s.post(
        "/v1/patients/NOPE/consents",
        &admin,
        json!({"status": "active", "decision": "permit"}),
    )
    .await
    .problem(404, "not_found");

    // Revoke: a stale If-Match is 412; then admin staff revoke it.
    let path = "/v1/patients/P1/consents/K-secret-1/revoke";
    s.call("POST", path, &admin, None, &[("if-match", "7")])
        .await
        .problem(412, "version_mismatch");
    s.call("POST", path, &doctor, None, &[])
        .await
        .problem(403, "forbidden");
    // The gate has just decided with the deny consent (and may keep it)...
    s.get("/v1/patients/P1", &doctor)
        .await
        .problem(403, "forbidden");
    let res = s
        .call("POST", path, &admin, None, &[("if-match", "1")])
        .await;
    let body = res.ok(200);
    assert_eq!(body["version"], 2);
    assert_eq!(body["consent"]["status"], "inactive");
    // ... and the very next access decides without it.
    assert_eq!(s.get("/v1/patients/P1", &doctor).await.status, 200);
    s.call("POST", path, &me, None, &[])
        .await
        .problem(409, "already_revoked");
    s.call(
        "POST",
        "/v1/patients/P1/consents/K-none/revoke",
        &me,
        None,
        &[],
    )
    .await
    .problem(404, "not_found");
    // Revoked: the default applies again.
    assert_eq!(
        s.get("/v1/patients/P1/consents", &me).await.json["consents"][0]["version"],
        2
    );
    assert_eq!(s.get("/v1/patients/P1", &doctor).await.status, 200);

    // Audited: grants, lists and revokes with their decisions.
    let log = s.audit(ORG).await;
    let ops = |op: &str, outcome: &str, basis: &str| {
        log.iter().any(|r| {
            r.event.action == op
                && r.event.outcome == outcome
                && r.event.detail["basis"] == basis
                && r.event.detail["category"] == "consents"
                && r.event.patient.as_deref() == Some("P1")
        })
    };
    assert!(ops("consent.grant", "permit", "self"));
    assert!(ops("consent.grant", "deny", "role"));
    assert!(ops("consent.list", "permit", "role"));
    assert!(ops("consent.list", "deny", "role"));
    assert!(ops("consent.revoke", "permit", "role"));
}

#[tokio::test]
async fn grant_list_revoke_sqlite() {
    let s = Server::sqlite().await;
    grant_list_revoke(&s).await;
    s.stop().await;
}

#[tokio::test]
async fn grant_list_revoke_postgres() {
    let Some(s) = Server::postgres("consents_postgres").await else {
        return;
    };
    grant_list_revoke(&s).await;
    s.stop().await;
}

#[tokio::test]
async fn a_guardian_manages_a_minors_consents() {
    let s = Server::sqlite().await;
    let admin = s.token("desk1", &[Role::Admin]);
    s.post(
        "/v1/patients",
        &admin,
        patient("G1", "Grace", "1980-01-01", &[]),
    )
    .await
    .ok(201);
    s.post(
        "/v1/patients",
        &admin,
        patient("M1", "Minnie", "2016-01-01", &["G1"]),
    )
    .await
    .ok(201);
    let g = s.token("G1", &[Role::Patient]);
    let res = s
        .post(
            "/v1/patients/M1/consents",
            &g,
            json!({"id": "KM", "status": "active", "decision": "permit",
                   "provisions": [{"purposes": ["HRESCH"]}]}),
        )
        .await;
    res.ok(201);
    let log = s.audit(ORG).await;
    let rec = log
        .iter()
        .find(|r| r.event.action == "consent.grant")
        .unwrap();
    assert_eq!(rec.event.actor, "G1");
    assert_eq!(rec.event.detail["guardian_for"], "M1");
    assert_eq!(rec.event.detail["basis"], "guardian");
    assert_eq!(rec.event.purpose.as_deref(), Some("TREAT"));
    // Guardianship goes one way: the minor does not manage the guardian's.
    let m = s.token("M1", &[Role::Patient]);
    s.get("/v1/patients/G1/consents", &m)
        .await
        .problem(403, "forbidden");
    s.stop().await;
}
