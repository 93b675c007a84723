//! The audit log as FHIR R4 AuditEvent over real HTTP, on SQLite and
//! PostgreSQL: what the REST and FHIR APIs do is found by patient, agent,
//! entity, date, action and outcome (each checked against the raw log the
//! store holds), paged with `next`; admin staff read everything, a patient
//! only the records about them, anyone else gets a 403 OperationOutcome;
//! every reading is itself an audit record; and every AuditEvent (and
//! Bundle) answered validates against the R4 definitions with the
//! independent validators of `support::validate_r4`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;

use hcas_core::consent::Role;
use hcas_store::AuditRecord;
use serde_json::{Value, json};
use support::*;

/// Assert an OperationOutcome with `status`, FHIR issue `issue` and hcas `code`.
#[track_caller]
fn outcome(r: &Reply, status: u16, issue: &str, code: &str) {
    assert_eq!(r.status, status, "{}", r.json);
    assert_eq!(r.json["resourceType"], "OperationOutcome", "{}", r.json);
    assert_eq!(r.json["issue"][0]["code"], issue, "{}", r.json);
    assert_eq!(
        r.json["issue"][0]["details"]["coding"][0]["code"], code,
        "{}",
        r.json
    );
}

/// The path and query of an absolute `next` link.
fn path_of(url: &str) -> String {
    let i = url.find("/fhir/r4/").unwrap();
    url[i..].to_string()
}

/// Every page of the search `query` as `token`, following `next`: the
/// AuditEvents and every Bundle answered.
async fn all_pages(s: &Server, query: &str, token: &str) -> (Vec<Value>, Vec<Value>) {
    let mut path = format!("/fhir/r4/AuditEvent?{query}");
    let (mut events, mut bundles) = (Vec::new(), Vec::new());
    for _ in 0..100 {
        let r = s.get(&path, token).await;
        let b = r.ok(200).clone();
        assert_eq!(b["type"], "searchset", "{b}");
        for e in b["entry"].as_array().cloned().unwrap_or_default() {
            assert_eq!(e["search"]["mode"], "match");
            events.push(e["resource"].clone());
        }
        let next = b["link"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["relation"] == "next")
            .map(|l| path_of(l["url"].as_str().unwrap()));
        bundles.push(b);
        match next {
            Some(n) => path = n,
            None => return (events, bundles),
        }
    }
    panic!("more than 100 pages");
}

fn ids(events: &[Value]) -> Vec<i64> {
    events
        .iter()
        .map(|e| e["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

/// The sequence numbers of the raw records `keep` selects, in order.
fn raw(log: &[AuditRecord], keep: impl Fn(&AuditRecord) -> bool) -> Vec<i64> {
    log.iter().filter(|r| keep(r)).map(|r| r.seq).collect()
}

/// Some activity: admin registers X1 and X2, X1 books, doctor D1 reads
/// Patient X1 through FHIR, X2 refuses everyone by consent and D1's read of
/// X2 is denied.
async fn activity(s: &Server) {
    provider(s, "P1", &["gp"], "09:00", "12:00").await;
    for (id, name) in [("X1", "Alice Example"), ("X2", "Bob Example")] {
        s.post("/v1/patients", ADMIN, patient(id, name, "1970-01-01", &[]))
            .await
            .ok(201);
    }
    let booked = s
        .post(
            "/v1/appointments",
            "patient:X1",
            json!({"provider": "P1", "patient": "X1", "start": at(2, 9, 0), "duration": 30}),
        )
        .await;
    let booked = booked.ok(201)["id"].as_str().unwrap().to_string();
    // The booking's notification (X1 chose e-mail) is sent in the
    // background with an audit record of its own (`notification.send`):
    // wait until it is, so the searches below see a log that stays put.
    let store = s.store(ORG).await;
    for _ in 0..600 {
        let log = store.notifications_of(&booked, 10).await.unwrap();
        // (Its reminders stay pending until days before the visit.)
        if !log.is_empty()
            && log.iter().all(|n| {
                n.status != hcas_store::NotificationStatus::Pending
                    || n.event_type == "appointment.reminder"
            })
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    s.get("/fhir/r4/Patient/X1", "doctor:D1").await.ok(200);
    s.post(
        "/v1/patients/X2/consents",
        ADMIN,
        json!({"id": "KX2", "status": "active", "date": "2025-01-01T00:00:00Z", "decision": "deny"}),
    )
    .await
    .ok(201);
    assert_eq!(s.get("/fhir/r4/Patient/X2", "doctor:D1").await.status, 403);
}

async fn scenario(s: &Server) {
    activity(s).await;
    let mut answered: Vec<Value> = Vec::new();

    // By patient: exactly the raw records about X1, oldest first, each
    // naming Patient/X1 as an entity.
    let before = s.audit(ORG).await;
    let (x1, bundles) = all_pages(s, "patient=Patient/X1", ADMIN).await;
    let want = raw(&before, |r| r.event.patient.as_deref() == Some("X1"));
    assert!(want.len() >= 3, "{want:?}");
    assert_eq!(ids(&x1), want);
    for e in &x1 {
        let refs: Vec<&str> = e["entity"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|x| x["what"]["reference"].as_str())
            .collect();
        assert!(refs.contains(&"Patient/X1"), "{e}");
        assert_eq!(e["type"]["code"], "110110");
    }
    // D1's FHIR read of X1 is there, as a Practitioner's read with purpose TREAT.
    let read = x1
        .iter()
        .find(|e| e["agent"][0]["who"]["identifier"]["value"] == "D1")
        .expect("D1's read of X1");
    assert_eq!(read["action"], "R");
    assert_eq!(read["outcome"], "0");
    assert_eq!(read["agent"][0]["requestor"], true);
    assert_eq!(read["agent"][0]["role"][0]["coding"][0]["code"], "doctor");
    assert_eq!(read["purposeOfEvent"][0]["coding"][0]["code"], "TREAT");
    // X1's booking: a Patient agent creating.
    let book = x1
        .iter()
        .find(|e| e["agent"][0]["who"]["reference"] == "Patient/X1" && e["action"] == "C")
        .expect("X1's booking");
    assert_eq!(book["subtype"][0]["code"], "create");
    answered.extend(x1.iter().cloned());
    answered.extend(bundles);

    // The admin's search is itself recorded, after the records it read.
    let after = s.audit(ORG).await;
    let last = &after.last().unwrap().event;
    assert_eq!(
        (
            last.actor.as_str(),
            last.action.as_str(),
            last.outcome.as_str(),
            last.patient.as_deref()
        ),
        ("A1", "audit.search", "permit", Some("X1"))
    );
    assert!(!ids(&x1).contains(&after.last().unwrap().seq));

    // By agent, and denied ones by outcome 4.
    let log = s.audit(ORG).await;
    let (d1, _) = all_pages(s, "agent=Practitioner/D1", ADMIN).await;
    assert_eq!(ids(&d1), raw(&log, |r| r.event.actor == "D1"));
    let (denied, _) = all_pages(s, "agent=D1&outcome=4", ADMIN).await;
    let want = raw(&log, |r| r.event.actor == "D1" && r.event.outcome == "deny");
    assert!(!want.is_empty());
    assert_eq!(ids(&denied), want);
    assert!(
        denied
            .iter()
            .all(|e| e["outcome"] == "4" && e["outcomeDesc"].is_string())
    );
    answered.extend(denied);

    // By entity: the appointment X1 booked.
    let booking = log
        .iter()
        .find(|r| r.event.action == "appointment.book")
        .unwrap()
        .event
        .target
        .clone();
    let id = booking.strip_prefix("booking:").unwrap();
    let (about, _) = all_pages(s, &format!("entity=Appointment/{id}"), ADMIN).await;
    assert_eq!(ids(&about), raw(&log, |r| r.event.target == booking));
    assert_eq!(
        about[0]["entity"][0]["what"]["reference"],
        format!("Appointment/{id}")
    );

    // By action: C, and E (every verb that is none of C, R, U, D).
    let log = s.audit(ORG).await;
    let (created, _) = all_pages(s, "action=C", ADMIN).await;
    let want = raw(&log, |r| {
        ["appointment.book", "patient.register", "consent.grant"].contains(&r.event.action.as_str())
    });
    assert!(!want.is_empty());
    assert_eq!(ids(&created), want);
    let log = s.audit(ORG).await;
    let (executed, _) = all_pages(s, "action=E", ADMIN).await;
    // The searches, and the notification worker's send and reminder
    // scheduling (verbs `send`, `schedule`: E).
    assert_eq!(
        ids(&executed),
        raw(&log, |r| {
            ["audit.search", "notification.send", "notification.schedule"]
                .contains(&r.event.action.as_str())
        })
    );
    assert!(log.iter().any(|r| r.event.action == "notification.send"));

    // By type: without a patient (the admin's searches without `patient`).
    let log = s.audit(ORG).await;
    let (rest, _) = all_pages(
        s,
        "type=http://terminology.hl7.org/CodeSystem/audit-event-type|rest",
        ADMIN,
    )
    .await;
    assert_eq!(ids(&rest), raw(&log, |r| r.event.patient.is_none()));

    // By date: the second of D1's read, as a window `ge` .. `lt`.
    let log = s.audit(ORG).await;
    let t = log
        .iter()
        .find(|r| r.event.action == "patient.read")
        .unwrap()
        .event
        .at;
    let next = t.plus_seconds(1).unwrap();
    let (window, _) = all_pages(
        s,
        &format!("date=ge{}&date=lt{}", t, next).replace(':', "%3A"),
        ADMIN,
    )
    .await;
    let want = raw(&log, |r| r.event.at >= t && r.event.at < next);
    assert!(!want.is_empty());
    assert_eq!(ids(&window), want);
    let (none, _) = all_pages(s, "date=lt2000-01-01", ADMIN).await;
    assert!(none.is_empty());

    // Paging: two per page, every `next` followed; the same records as one
    // page. (Not the searches' own records, action E: each page adds one.)
    let stable = "patient=X1&action=C,R,U,D";
    let (paged, pages) = all_pages(s, &format!("{stable}&_count=2"), ADMIN).await;
    let (whole, _) = all_pages(s, &format!("{stable}&_count=500"), ADMIN).await;
    assert!(pages.len() >= 2, "{} pages", pages.len());
    for p in &pages {
        assert!(p["entry"].as_array().map_or(0, Vec::len) <= 2);
    }
    assert_eq!(ids(&paged), ids(&whole));
    // POST _search answers the same.
    let r = s
        .send(
            s.req(reqwest::Method::POST, "/fhir/r4/AuditEvent/_search", ADMIN)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("{stable}&_count=500")),
        )
        .await;
    let posted: Vec<Value> = r.ok(200)["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"].clone())
        .collect();
    assert_eq!(posted, whole);

    // Read one by id, and that read is recorded with the record as target.
    let first = ids(&x1)[0];
    let r = s.get(&format!("/fhir/r4/AuditEvent/{first}"), ADMIN).await;
    let one = r.ok(200).clone();
    assert_eq!(one, x1[0]);
    let last = s.audit(ORG).await.last().unwrap().event.clone();
    assert_eq!(
        (
            last.action.as_str(),
            last.target.as_str(),
            last.outcome.as_str()
        ),
        ("audit.read", format!("audit:{first}").as_str(), "permit")
    );
    outcome(
        &s.get("/fhir/r4/AuditEvent/999999", ADMIN).await,
        404,
        "not-found",
        "not_found",
    );
    answered.push(one);

    // Roles not allowed: 403 OperationOutcome, and the attempt is recorded.
    for who in ["doctor:D1", "nurse:N1"] {
        let r = s.get("/fhir/r4/AuditEvent?patient=X1", who).await;
        outcome(&r, 403, "forbidden", "forbidden");
        answered.push(r.json.clone());
        let last = s.audit(ORG).await.last().unwrap().event.clone();
        let subject = who.split_once(':').unwrap().1;
        assert_eq!(
            (
                last.actor.as_str(),
                last.action.as_str(),
                last.outcome.as_str()
            ),
            (subject, "audit.search", "deny")
        );
        let r = s.get(&format!("/fhir/r4/AuditEvent/{first}"), who).await;
        outcome(&r, 403, "forbidden", "forbidden");
    }

    // A patient: only the records about them, whatever they ask.
    let log = s.audit(ORG).await;
    let (mine, _) = all_pages(s, "_count=500", "patient:X1").await;
    assert_eq!(
        ids(&mine),
        raw(&log, |r| r.event.patient.as_deref() == Some("X1"))
    );
    let r = s.get("/fhir/r4/AuditEvent?patient=X2", "patient:X1").await;
    outcome(&r, 403, "forbidden", "forbidden");
    let x2_record = raw(&log, |r| r.event.patient.as_deref() == Some("X2"))[0];
    let r = s
        .get(&format!("/fhir/r4/AuditEvent/{x2_record}"), "patient:X1")
        .await;
    outcome(&r, 403, "forbidden", "forbidden");
    let r = s
        .get(
            &format!("/fhir/r4/AuditEvent/{}", mine[0]["id"].as_str().unwrap()),
            "patient:X1",
        )
        .await;
    assert_eq!(r.ok(200)["id"], mine[0]["id"]);
    let last = s.audit(ORG).await.last().unwrap().event.clone();
    assert_eq!(
        (
            last.actor.as_str(),
            last.action.as_str(),
            last.patient.as_deref()
        ),
        ("X1", "audit.read", Some("X1"))
    );
    answered.extend(mine);

    // Bad parameters: 400 with what to fix.
    for q in [
        "action=X",
        "outcome=12",
        "date=ne2026-01-01",
        "entity=a1",
        "_after=x",
    ] {
        let r = s.get(&format!("/fhir/r4/AuditEvent?{q}"), ADMIN).await;
        outcome(&r, 400, "invalid", "invalid_search");
    }

    // The CapabilityStatement lists AuditEvent with its parameters.
    let cap = s.get("/fhir/r4/metadata", "").await;
    let ae = cap.ok(200)["rest"][0]["resource"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "AuditEvent")
        .cloned()
        .expect("AuditEvent in the CapabilityStatement");
    let params: BTreeSet<&str> = ae["searchParam"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        params,
        BTreeSet::from([
            "action", "agent", "date", "entity", "outcome", "patient", "type"
        ])
    );

    // Everything answered validates as R4; the validators do refuse a
    // broken AuditEvent (no `recorded`), so they can fail.
    validate_r4(&answered).await;
    let mut broken = x1[0].clone();
    broken.as_object_mut().unwrap().remove("recorded");
    assert!(r4_validators_refuse(&broken).await);
}

#[tokio::test]
async fn audit_events_sqlite() {
    let s = Server::sqlite().await;
    scenario(&s).await;
    s.stop().await;
}

#[tokio::test]
async fn audit_events_postgres() {
    let Some(s) = Server::postgres("fhir_audit_postgres").await else {
        return;
    };
    scenario(&s).await;
    s.stop().await;
}

/// SMART scopes narrow it too: a token without `AuditEvent` in its scopes
/// is refused even for admin staff.
#[tokio::test]
async fn smart_scopes_narrow_audit_events() {
    let s = Server::sqlite().await;
    let t = s.token_scoped("A2", &[Role::Admin], "user/Patient.rs");
    let r = s.get("/fhir/r4/AuditEvent", &t).await;
    outcome(&r, 403, "forbidden", "insufficient_scope");
    let t = s.token_scoped("A2", &[Role::Admin], "user/AuditEvent.rs");
    s.get("/fhir/r4/AuditEvent", &t).await.ok(200);
    s.stop().await;
}
