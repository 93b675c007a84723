//! SMART scopes in tokens (`patient/Appointment.rs`, `user/Slot.rs`, ...) on
//! the FHIR API: they narrow what the roles allow, never widen it. A token
//! without SMART scopes is decided by its roles alone (every other FHIR
//! test); a signed token's `scope` claim reaching the check is in
//! `tests/auth_attacks.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use hcas_core::consent::Role;
use serde_json::{Value, json};
use support::*;

/// Assert an OperationOutcome with `status`, issue type `issue`, hcas `code`.
#[track_caller]
fn outcome(r: &Reply, status: u16, issue: &str, code: &str) {
    assert_eq!(r.status, status, "{}", r.json);
    assert_eq!(r.json["resourceType"], "OperationOutcome", "{}", r.json);
    assert_eq!(r.json["issue"][0]["code"], issue, "{}", r.json);
    assert_eq!(r.json["issue"][0]["details"]["coding"][0]["code"], code);
}

fn kinds(r: &Reply, mode: &str) -> Vec<String> {
    assert_eq!(r.status, 200, "{}", r.json);
    r.json["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["search"]["mode"] == mode)
        .map(|e| e["resource"]["resourceType"].as_str().unwrap().to_string())
        .collect()
}

fn hold_body(start: &str, end: &str) -> Value {
    let a = json!({
        "resourceType": "Appointment", "status": "proposed", "start": start, "end": end,
        "participant": [
            { "actor": { "reference": "Practitioner/P1" }, "status": "accepted" },
            { "actor": { "reference": "Patient/X1" }, "status": "accepted" },
        ],
    });
    json!({"resourceType": "Parameters", "parameter": [{"name": "appointment-resource", "resource": a}]})
}

async fn setup(s: &Server) -> String {
    provider(s, "P1", &["gp"], "09:00", "12:00").await;
    let admin = s.token("desk0", &[Role::Admin]);
    for id in ["X1", "X2"] {
        s.post("/v1/patients", &admin, patient(id, id, "1970-01-01", &[]))
            .await
            .ok(201);
    }
    s.post(
        "/v1/appointments",
        "patient:X2",
        json!({"provider": "P1", "patient": "X2", "start": at(3, 9, 0), "duration": 30}),
    )
    .await
    .ok(201);
    s.post(
        "/v1/appointments",
        "patient:X1",
        json!({"provider": "P1", "patient": "X1", "start": at(2, 9, 0), "duration": 30}),
    )
    .await
    .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn scopes_narrow_what_the_roles_allow() {
    let s = Server::sqlite().await;
    let appt = setup(&s).await;
    let read_appts = s.token_scoped("X1", &[Role::Patient], "openid patient/Appointment.rs");

    // What the scopes grant, the role allows too: served.
    let r = s.get("/fhir/r4/Appointment?patient=X1", &read_appts).await;
    assert_eq!(kinds(&r, "match"), ["Appointment"]);
    s.get(&format!("/fhir/r4/Appointment/{appt}"), &read_appts)
        .await
        .ok(200);
    // What the role allows but no scope grants: 403 insufficient_scope.
    for path in ["/fhir/r4/Patient/X1", "/fhir/r4/Slot?schedule=Schedule/P1"] {
        let r = s.get(path, &read_appts).await;
        outcome(&r, 403, "forbidden", "insufficient_scope");
    }
    let hold = hold_body(&at(2, 10, 0), &at(2, 10, 30));
    let r = s
        .post("/fhir/r4/Appointment/$hold", &read_appts, hold.clone())
        .await;
    outcome(&r, 403, "forbidden", "insufficient_scope");
    let r = s
        .post("/fhir/r4/Appointment/$book", &read_appts, hold.clone())
        .await;
    outcome(&r, 403, "forbidden", "insufficient_scope");
    // Only create: `$hold` yes, `$book` (create or update) no.
    let create = s.token_scoped("X1", &[Role::Patient], "patient/Appointment.c");
    s.post("/fhir/r4/Appointment/$hold", &create, hold.clone())
        .await
        .ok(201);
    let book = hold_body(&at(2, 11, 0), &at(2, 11, 30));
    let r = s
        .post("/fhir/r4/Appointment/$book", &create, book.clone())
        .await;
    outcome(&r, 403, "forbidden", "insufficient_scope");
    let write = s.token_scoped("X1", &[Role::Patient], "patient/Appointment.cu");
    s.post("/fhir/r4/Appointment/$book", &write, book)
        .await
        .ok(201);

    // Scopes never widen: every scope, yet another patient's data stays
    // refused by the role and consent gate (forbidden, not a scope error).
    let all = s.token_scoped("X1", &[Role::Patient], "system/*.cruds");
    let unscoped = s.token("X1", &[Role::Patient]);
    for path in ["/fhir/r4/Appointment?patient=X2", "/fhir/r4/Patient/X2"] {
        let r = s.get(path, &all).await;
        outcome(&r, 403, "forbidden", "forbidden");
        let without = s.get(path, &unscoped).await;
        assert_eq!(
            (r.status, &r.json["issue"]),
            (without.status, &without.json["issue"])
        );
    }
    s.get("/fhir/r4/Patient/X1", &all).await.ok(200);

    // The REST API checks no scopes, so a scoped token may not use it at
    // all (the same token without scopes may).
    for path in ["/v1/patients/X1", "/v1/patients/X1/consents"] {
        s.get(path, &all).await.problem(403, "insufficient_scope");
        assert_ne!(s.get(path, &unscoped).await.status, 403, "{path}");
    }
    s.stop().await;
}

#[tokio::test]
async fn included_resources_need_a_scope_of_their_own() {
    let s = Server::sqlite().await;
    setup(&s).await;
    let path = format!(
        "/fhir/r4/Slot?schedule=Schedule/P1&start=ge{}&start=lt{}&_include=Slot:schedule",
        at(2, 9, 0),
        at(2, 12, 0)
    );
    let slots_only = s.token_scoped("D1", &[Role::Doctor], "user/Slot.rs");
    let r = s.get(&path, &slots_only).await;
    assert!(!kinds(&r, "match").is_empty());
    assert_eq!(kinds(&r, "include"), Vec::<String>::new());
    let with_schedules = s.token_scoped("D1", &[Role::Doctor], "user/Slot.rs user/Schedule.r");
    let r = s.get(&path, &with_schedules).await;
    assert_eq!(kinds(&r, "include"), ["Schedule"]);
    // Without SMART scopes the role alone decides: the Schedule comes along.
    let r = s.get(&path, &s.token("D1", &[Role::Doctor])).await;
    assert_eq!(kinds(&r, "include"), ["Schedule"]);
    s.stop().await;
}
