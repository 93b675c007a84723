//! The FHIR R4 API under `/fhir/r4` over real HTTP, on SQLite and
//! PostgreSQL: the CapabilityStatement, searches (Slot from the same read
//! model as `/v1/slots`), paging, `_include`, reads with versions, the
//! consent gate with its audit records, and errors as OperationOutcome.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use hcas_core::consent::Role;
use reqwest::Method;
use serde_json::{Value, json};
use support::*;

const FHIR: &str = "application/fhir+json";

/// Assert an OperationOutcome with `status`, FHIR issue `issue` and hcas `code`.
#[track_caller]
fn outcome(r: &Reply, status: u16, issue: &str, code: &str) {
    assert_eq!(r.status, status, "{}", r.json);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with(FHIR),
        "{:?}",
        r.headers
    );
    assert_eq!(r.json["resourceType"], "OperationOutcome", "{}", r.json);
    let i = &r.json["issue"][0];
    assert_eq!(i["severity"], "error");
    assert_eq!(i["code"], issue, "{}", r.json);
    assert_eq!(i["details"]["coding"][0]["code"], code, "{}", r.json);
    assert!(!i["diagnostics"].as_str().unwrap().is_empty());
}

/// Assert a searchset with `total`; answer its `match` entries' resources.
#[track_caller]
fn bundle(r: &Reply, total: usize) -> Vec<Value> {
    assert_eq!(r.status, 200, "{}", r.json);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with(FHIR)
    );
    assert_eq!(r.json["resourceType"], "Bundle");
    assert_eq!(r.json["type"], "searchset");
    assert_eq!(r.json["total"], total, "{}", r.json);
    entries(r, "match")
}

fn entries(r: &Reply, mode: &str) -> Vec<Value> {
    r.json["entry"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|e| e["search"]["mode"] == mode)
                .map(|e| e["resource"].clone())
                .collect()
        })
        .unwrap_or_default()
}

fn link(r: &Reply, relation: &str) -> Option<String> {
    r.json["link"]
        .as_array()?
        .iter()
        .find(|l| l["relation"] == relation)
        .map(|l| l["url"].as_str().unwrap().to_string())
}

/// GET an absolute URL the server gave (a `next` link).
async fn follow(s: &Server, url: &str, token: &str) -> Reply {
    s.send(s.client.get(url).bearer_auth(token)).await
}

fn ids(v: &[Value]) -> Vec<String> {
    v.iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

struct Booked {
    x1_first: String,
    x2: String,
}

/// P1 (gp, 09:00-12:00 UTC) and P2 (cardiology); patients X1, X2; X1 books
/// P1 on day 2 at 09:00 and day 3 at 10:00, X2 books P1 on day 2 at 10:00
/// and then denies everyone with a consent.
async fn setup(s: &Server) -> Booked {
    provider(s, "P1", &["gp"], "09:00", "12:00").await;
    provider(s, "P2", &["cardiology"], "09:00", "10:00").await;
    let admin = s.token("desk0", &[Role::Admin]);
    for (id, name) in [("X1", "Alice Example"), ("X2", "Bob Example")] {
        s.post("/v1/patients", &admin, patient(id, name, "1970-01-01", &[]))
            .await
            .ok(201);
    }
    let book = |who: &'static str, start: String| async move {
        let r = s
            .post(
                "/v1/appointments",
                &format!("patient:{who}"),
                json!({"provider": "P1", "patient": who, "start": start, "duration": 30}),
            )
            .await;
        r.ok(201)["id"].as_str().unwrap().to_string()
    };
    let x1_first = book("X1", at(2, 9, 0)).await;
    book("X1", at(3, 10, 0)).await;
    let x2 = book("X2", at(2, 10, 0)).await;
    s.post(
        "/v1/patients/X2/consents",
        &admin,
        json!({"id": "KX2", "status": "active", "date": "2025-01-01T00:00:00Z", "decision": "deny"}),
    )
    .await
    .ok(201);
    Booked { x1_first, x2 }
}

async fn metadata(s: &Server) {
    let r = s
        .send(s.client.get(format!("{}/fhir/r4/metadata", s.base)))
        .await;
    assert_eq!(r.status, 200);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with(FHIR)
    );
    let c = &r.json;
    assert_eq!(c["resourceType"], "CapabilityStatement");
    assert_eq!(c["fhirVersion"], "4.0.1");
    assert_eq!(c["format"], json!(["json"]));
    let resources = c["rest"][0]["resource"].as_array().unwrap();
    let types: Vec<&str> = resources
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "Appointment",
            "AuditEvent",
            "Consent",
            "Location",
            "Patient",
            "Practitioner",
            "PractitionerRole",
            "Schedule",
            "Slot"
        ]
    );
    let slot = resources.iter().find(|r| r["type"] == "Slot").unwrap();
    let params: Vec<(&str, &str)> = slot["searchParam"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        params,
        [
            ("schedule", "reference"),
            ("service-type", "token"),
            ("start", "date"),
            ("status", "token")
        ]
    );
    assert_eq!(slot["searchInclude"], json!(["Slot:schedule"]));
    // The R4 types of the parameters issue 12 added.
    let param = |ty: &str, name: &str| {
        let r = resources.iter().find(|r| r["type"] == ty).unwrap();
        r["searchParam"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["type"].as_str().unwrap().to_string())
    };
    assert_eq!(param("Schedule", "service-type").as_deref(), Some("token"));
    assert_eq!(
        param("Appointment", "location").as_deref(),
        Some("reference")
    );
    assert_eq!(param("Appointment", "slot").as_deref(), Some("reference"));
}

async fn directory(s: &Server) {
    let t = "patient:X1";
    let r = s.get("/fhir/r4/PractitionerRole?specialty=gp", t).await;
    let roles = bundle(&r, 1);
    assert_eq!(roles[0]["practitioner"]["reference"], "Practitioner/P1");
    let r = s
        .get("/fhir/r4/PractitionerRole?specialty=https://hcas.dev/fhir/CodeSystem/specialty|cardiology&_include=PractitionerRole:practitioner", t)
        .await;
    assert_eq!(ids(&bundle(&r, 1)), ["P2"]);
    assert_eq!(ids(&entries(&r, "include")), ["P2"]);
    assert_eq!(entries(&r, "include")[0]["resourceType"], "Practitioner");
    bundle(
        &s.get("/fhir/r4/PractitionerRole?specialty=http://other|gp", t)
            .await,
        0,
    );
    assert_eq!(
        ids(&bundle(&s.get("/fhir/r4/Practitioner?name=dr", t).await, 2)),
        ["P1", "P2"]
    );
    assert_eq!(
        ids(&bundle(&s.get("/fhir/r4/Practitioner?name=p2", t).await, 1)),
        ["P2"]
    );
    assert_eq!(
        ids(&bundle(
            &s.get("/fhir/r4/Practitioner?_id=P1,P9", t).await,
            1
        )),
        ["P1"]
    );
    bundle(&s.get("/fhir/r4/Practitioner?active=false", t).await, 0);
    let r = s.get("/fhir/r4/Schedule?actor=Practitioner/P1", t).await;
    let sched = bundle(&r, 1);
    assert_eq!(sched[0]["actor"][0]["reference"], "Practitioner/P1");
    assert_eq!(sched[0]["specialty"][0]["coding"][0]["code"], "gp");
    bundle(
        &s.get(
            &format!("/fhir/r4/Schedule?date=ge{}", &at(1, 0, 0)[..10]),
            t,
        )
        .await,
        2,
    );
    bundle(&s.get("/fhir/r4/Schedule?date=lt2000-01-01", t).await, 0);
    bundle(
        &s.get("/fhir/r4/Schedule?specialty=cardiology&active=true", t)
            .await,
        1,
    );
    // Reads, with the provider's version.
    let r = s.get("/fhir/r4/Practitioner/P1", t).await;
    assert_eq!(r.ok(200)["name"][0]["text"], "Dr P1");
    assert_eq!(r.headers["etag"], "W/\"1\"");
    assert_eq!(r.json["meta"]["versionId"], "1");
    assert_eq!(s.get("/fhir/r4/Schedule/P2", t).await.ok(200)["id"], "P2");
    outcome(
        &s.get("/fhir/r4/Practitioner/nobody", t).await,
        404,
        "not-found",
        "not_found",
    );
}

async fn slots(s: &Server) {
    let t = "patient:X1";
    let (from, to) = (at(2, 0, 0), at(2, 12, 0));
    let rest = s
        .get(
            &format!("/v1/slots?provider=P1&from={from}&to={to}&duration=30"),
            t,
        )
        .await;
    let want: Vec<String> = rest.ok(200)["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["start"].as_str().unwrap().to_string())
        .collect();
    // 09:00-12:00 less the two booked half hours.
    assert_eq!(want.len(), 4, "{want:?}");
    let path = format!(
        "/fhir/r4/Slot?schedule=Schedule/P1&start=ge{from}&start=lt{to}&_count=3&_include=Slot:schedule"
    );
    let r = s.get(&path, t).await;
    let page = bundle(&r, 4);
    let starts = |v: &[Value]| {
        v.iter()
            .map(|x| x["start"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(starts(&page), want[..3]);
    assert!(
        page.iter()
            .all(|x| x["status"] == "free" && x["schedule"]["reference"] == "Schedule/P1")
    );
    assert_eq!(ids(&entries(&r, "include")), ["P1"]);
    let next = link(&r, "next").expect("a next link");
    let r2 = follow(s, &next, t).await;
    assert_eq!(starts(&bundle(&r2, 4)), want[3..]);
    assert!(link(&r2, "next").is_none());
    // The same search as a POST form.
    let r = s
        .send(
            s.req(Method::POST, "/fhir/r4/Slot/_search", t)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("schedule=P1&start=ge{from}&start=lt{to}").replace('+', "%2B")),
        )
        .await;
    assert_eq!(starts(&bundle(&r, 4)), want);
    // The two booked half hours are the busy ones.
    bundle(
        &s.get(
            &format!("/fhir/r4/Slot?schedule=P1&start=ge{from}&start=lt{to}&status=busy"),
            t,
        )
        .await,
        2,
    );
    // A slot reads back by id; a taken one is busy; off the grid, none.
    let id = page[0]["id"].as_str().unwrap();
    assert_eq!(
        s.get(&format!("/fhir/r4/Slot/{id}"), t).await.ok(200)["start"],
        want[0]
    );
    let booked_start = unix(&at(2, 9, 0));
    let taken = s.get(&format!("/fhir/r4/Slot/P1-{booked_start}"), t).await;
    assert_eq!(taken.ok(200)["status"], "busy");
    assert_eq!(taken.json["start"], at(2, 9, 0));
    outcome(
        &s.get(&format!("/fhir/r4/Slot/P1-{}", unix(&at(2, 13, 0))), t)
            .await,
        404,
        "not-found",
        "not_found",
    );
    // Every provider when no schedule is named, and a window too wide.
    let r = s
        .get(
            &format!("/fhir/r4/Slot?start=ge{from}&start=lt{to}&_count=0"),
            t,
        )
        .await;
    assert!(bundle(&r, 4 + 2).is_empty());
    let wide = s
        .get(
            &format!("/fhir/r4/Slot?start=ge{from}&start=lt{}", at(90, 0, 0)),
            t,
        )
        .await;
    outcome(&wide, 400, "invalid", "window_too_large");
}

async fn appointments(s: &Server, b: &Booked) {
    let doctor = s.token("D1", &[Role::Doctor]);
    let before = s.audit(ORG).await.len();
    // A doctor sees X1's appointments; X2's are withheld (consent denies).
    let r = s
        .get("/fhir/r4/Appointment?practitioner=Practitioner/P1", &doctor)
        .await;
    let found = bundle(&r, 2);
    assert!(found.iter().all(|a| {
        a["participant"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["actor"]["reference"] == "Patient/X1")
    }));
    assert!(!r.json.to_string().contains("X2"), "{}", r.json);
    let audit = s.audit(ORG).await;
    let new = &audit[before..];
    let decided = |patient: &str, outcome: &str| {
        new.iter().any(|e| {
            e.event.action == "appointment.search"
                && e.event.patient.as_deref() == Some(patient)
                && e.event.outcome == outcome
                && e.event.actor.contains("D1")
        })
    };
    assert!(decided("X1", "permit") && decided("X2", "deny"), "{new:#?}");
    // Naming the denied patient is 403.
    outcome(
        &s.get("/fhir/r4/Appointment?patient=X2", &doctor).await,
        403,
        "forbidden",
        "forbidden",
    );
    outcome(
        &s.get(&format!("/fhir/r4/Appointment/{}", b.x2), &doctor)
            .await,
        403,
        "forbidden",
        "forbidden",
    );
    // Filters.
    bundle(
        &s.get(
            &format!(
                "/fhir/r4/Appointment?patient=X1&date=ge{}",
                &at(3, 0, 0)[..10]
            ),
            &doctor,
        )
        .await,
        1,
    );
    bundle(
        &s.get(
            "/fhir/r4/Appointment?actor=Patient/X1&status=booked",
            &doctor,
        )
        .await,
        2,
    );
    bundle(
        &s.get(
            "/fhir/r4/Appointment?actor=Patient/X1&status=cancelled",
            &doctor,
        )
        .await,
        0,
    );
    bundle(
        &s.get(
            &format!(
                "/fhir/r4/Appointment?patient=X1&_lastUpdated=ge{}",
                &at(0, 0, 0)[..10]
            ),
            &doctor,
        )
        .await,
        2,
    );
    bundle(
        &s.get(
            "/fhir/r4/Appointment?patient=X1&_lastUpdated=lt2000",
            &doctor,
        )
        .await,
        0,
    );
    // Paging and _include.
    let r = s
        .get(
            "/fhir/r4/Appointment?patient=Patient/X1&_count=1&_include=Appointment:actor",
            &doctor,
        )
        .await;
    let first = bundle(&r, 2);
    assert_eq!(ids(&first), [b.x1_first.as_str()]);
    assert_eq!(first[0]["meta"]["versionId"], "1");
    assert!(first[0]["meta"]["lastUpdated"].is_string());
    let mut inc = entries(&r, "include")
        .iter()
        .map(|x| {
            format!(
                "{}/{}",
                x["resourceType"].as_str().unwrap(),
                x["id"].as_str().unwrap()
            )
        })
        .collect::<Vec<_>>();
    inc.sort();
    assert_eq!(inc, ["Patient/X1", "Practitioner/P1"]);
    let r2 = follow(s, &link(&r, "next").unwrap(), &doctor).await;
    assert_eq!(bundle(&r2, 2).len(), 1);
    assert_ne!(ids(&bundle(&r2, 2)), [b.x1_first.as_str()]);
    // A patient sees only their own, whatever they ask.
    let r = s
        .get("/fhir/r4/Appointment?practitioner=P1", "patient:X1")
        .await;
    assert_eq!(bundle(&r, 2).len(), 2);
    outcome(
        &s.get("/fhir/r4/Appointment?patient=X2", "patient:X1").await,
        403,
        "forbidden",
        "forbidden",
    );
    // Reads with the version as a weak ETag.
    let r = s
        .get(
            &format!("/fhir/r4/Appointment/{}", b.x1_first),
            "patient:X1",
        )
        .await;
    assert_eq!(r.ok(200)["status"], "booked");
    assert_eq!(r.headers["etag"], "W/\"1\"");
    // Nobody named: too costly.
    outcome(
        &s.get("/fhir/r4/Appointment?status=booked", &doctor).await,
        400,
        "too-costly",
        "search_too_costly",
    );
}

async fn patients_and_consents(s: &Server) {
    let doctor = s.token("D1", &[Role::Doctor]);
    let r = s.get("/fhir/r4/Patient/X1", &doctor).await;
    assert_eq!(r.ok(200)["name"][0]["text"], "Alice Example");
    assert_eq!(r.json["birthDate"], "1970-01-01");
    assert_eq!(r.headers["etag"], "W/\"1\"");
    outcome(
        &s.get("/fhir/r4/Patient/X2", &doctor).await,
        403,
        "forbidden",
        "forbidden",
    );
    outcome(
        &s.get("/fhir/r4/Patient/X1", "patient:X2").await,
        403,
        "forbidden",
        "forbidden",
    );
    // A patient's own record without naming it; several ids leave the denied out.
    assert_eq!(
        ids(&bundle(&s.get("/fhir/r4/Patient", "patient:X2").await, 1)),
        ["X2"]
    );
    assert_eq!(
        ids(&bundle(
            &s.get("/fhir/r4/Patient?_id=X1,X2", &doctor).await,
            1
        )),
        ["X1"]
    );
    // Consents: the patient and admin staff, as the consents service.
    let r = s.get("/fhir/r4/Consent?patient=X2", "patient:X2").await;
    let c = bundle(&r, 1);
    assert_eq!(c[0]["id"], "KX2");
    assert_eq!(c[0]["patient"]["reference"], "Patient/X2");
    bundle(
        &s.get("/fhir/r4/Consent?patient=X2&status=inactive", "patient:X2")
            .await,
        0,
    );
    assert_eq!(
        s.get("/fhir/r4/Consent/KX2", "patient:X2").await.ok(200)["status"],
        "active"
    );
    outcome(
        &s.get("/fhir/r4/Consent/KX2", &doctor).await,
        403,
        "forbidden",
        "forbidden",
    );
    outcome(
        &s.get("/fhir/r4/Consent?patient=X2", &doctor).await,
        403,
        "forbidden",
        "forbidden",
    );
}

async fn errors(s: &Server) {
    let t = "patient:X1";
    let anon = s
        .send(s.client.get(format!("{}/fhir/r4/Slot", s.base)))
        .await;
    outcome(&anon, 401, "login", "unauthorized");
    outcome(
        &s.get("/fhir/r4/Device?name=x", t).await,
        404,
        "not-supported",
        "unknown_resource_type",
    );
    outcome(
        &s.get("/fhir/r4/Slot/a/b/c", t).await,
        404,
        "not-found",
        "not_found",
    );
    // Lenient by default, strict on request.
    bundle(&s.get("/fhir/r4/Practitioner?frobnicate=1", t).await, 2);
    let strict = s
        .call(
            "GET",
            "/fhir/r4/Practitioner?frobnicate=1",
            t,
            None,
            &[("prefer", "handling=strict")],
        )
        .await;
    outcome(&strict, 400, "not-supported", "unknown_search_parameter");
    outcome(
        &s.get("/fhir/r4/Appointment?status:not=booked&patient=X1", t)
            .await,
        400,
        "not-supported",
        "unknown_search_parameter",
    );
    outcome(
        &s.get("/fhir/r4/Slot?start=ge2026-13-01", t).await,
        400,
        "invalid",
        "invalid_search",
    );
    outcome(
        &s.get("/fhir/r4/Slot?_count=100000", t).await,
        400,
        "invalid",
        "invalid_search",
    );
    outcome(
        &s.get("/fhir/r4/Appointment?patient=Device/1", t).await,
        400,
        "invalid",
        "invalid_search",
    );
    let form = s
        .send(
            s.req(Method::POST, "/fhir/r4/Slot/_search", t)
                .json(&json!({"start": "x"})),
        )
        .await;
    outcome(&form, 415, "not-supported", "unsupported_media_type");
}

fn unix(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .timestamp()
}

/// `service-type` of Schedule and Slot, Slot `status=busy`, Appointment
/// `location` and `slot` (issue 12), each matching and not. Adds P3 (gp,
/// at "Main St Clinic", 09:00-10:00) and X1's booking of it on day 2 at
/// 09:30.
async fn search_parameters(s: &Server, b: &Booked) {
    let t = "patient:X1";
    let doctor = s.token("D1", &[Role::Doctor]);
    s.post(
        "/v1/providers",
        ADMIN,
        json!({"id": "P3", "name": "Dr P3", "specialties": ["gp"], "location": "Main St Clinic"}),
    )
    .await
    .ok(201);
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
    s.call(
        "PUT",
        "/v1/providers/P3/schedule",
        ADMIN,
        Some(json!({"timezone": "UTC", "rules": [{"rrule": "FREQ=DAILY",
            "dtstart": yesterday.to_string(), "start": "09:00", "end": "10:00"}]})),
        &[],
    )
    .await
    .ok(201);
    // Schedule service-type: the provider's specialties, system|code or code.
    let r = s.get("/fhir/r4/Schedule?service-type=cardiology", t).await;
    let found = bundle(&r, 1);
    assert_eq!(ids(&found), ["P2"]);
    assert_eq!(
        found[0]["serviceType"][0]["coding"][0]["code"],
        "cardiology"
    );
    assert_eq!(
        ids(&bundle(
            &s.get(
                "/fhir/r4/Schedule?service-type=https://hcas.dev/fhir/CodeSystem/specialty|gp",
                t
            )
            .await,
            2
        )),
        ["P1", "P3"]
    );
    bundle(
        &s.get("/fhir/r4/Schedule?service-type=http://other|gp", t)
            .await,
        0,
    );
    bundle(
        &s.get("/fhir/r4/Schedule?service-type=dermatology", t).await,
        0,
    );
    // Slot service-type: the slots of schedules offering it.
    let (from, to) = (at(2, 0, 0), at(2, 12, 0));
    let window = format!("start=ge{from}&start=lt{to}");
    let r = s
        .get(
            &format!("/fhir/r4/Slot?service-type=cardiology&{window}"),
            t,
        )
        .await;
    let cardio = bundle(&r, 2);
    assert!(
        cardio
            .iter()
            .all(|x| x["schedule"]["reference"] == "Schedule/P2"
                && x["serviceType"][0]["coding"][0]["code"] == "cardiology")
    );
    bundle(
        &s.get(
            &format!("/fhir/r4/Slot?service-type=dermatology&{window}"),
            t,
        )
        .await,
        0,
    );
    // Slot status: P1's two taken half hours of day 2 are busy, the rest free.
    let busy_of = |day: i64| {
        format!(
            "/fhir/r4/Slot?schedule=P1&status=busy&start=ge{}&start=lt{}",
            at(day, 0, 0),
            at(day, 12, 0)
        )
    };
    let busy = bundle(&s.get(&busy_of(2), t).await, 2);
    assert_eq!(
        busy.iter()
            .map(|x| x["start"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [at(2, 9, 0), at(2, 10, 0)]
    );
    assert!(busy.iter().all(|x| x["status"] == "busy"));
    bundle(
        &s.get(
            &format!("/fhir/r4/Slot?schedule=P1&status=free,busy&{window}"),
            t,
        )
        .await,
        6,
    );
    bundle(
        &s.get(
            &format!("/fhir/r4/Slot?schedule=P1&status=busy-tentative&{window}"),
            t,
        )
        .await,
        0,
    );
    // A booking makes its slot busy; cancelling it frees it again.
    bundle(&s.get(&busy_of(4), t).await, 0);
    let id = s
        .post(
            "/v1/appointments",
            t,
            json!({"provider": "P1", "patient": "X1", "start": at(4, 11, 0), "duration": 30}),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let busy = bundle(&s.get(&busy_of(4), t).await, 1);
    assert_eq!(busy[0]["start"], at(4, 11, 0));
    let slot_id = busy[0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        s.get(&format!("/fhir/r4/Slot/{slot_id}"), t).await.ok(200)["status"],
        "busy"
    );
    // Appointment slot: the booking occupying it, in both reference forms.
    for v in [format!("Slot/{slot_id}"), slot_id.clone()] {
        let r = s.get(&format!("/fhir/r4/Appointment?slot={v}"), t).await;
        assert_eq!(ids(&bundle(&r, 1)), [id.as_str()]);
    }
    let cancel = s
        .call(
            "POST",
            &format!("/v1/appointments/{id}/cancel"),
            t,
            Some(json!({"reason": "another day"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(cancel.status, 200, "{}", cancel.json);
    bundle(&s.get(&busy_of(4), t).await, 0);
    assert_eq!(
        s.get(&format!("/fhir/r4/Slot/{slot_id}"), t).await.ok(200)["status"],
        "free"
    );
    // Still the (cancelled) booking over that slot; `status` narrows.
    let r = s
        .get(&format!("/fhir/r4/Appointment?slot={slot_id}"), t)
        .await;
    assert_eq!(bundle(&r, 1)[0]["status"], "cancelled");
    let r = s
        .get(
            &format!("/fhir/r4/Appointment?slot={slot_id}&status=booked"),
            t,
        )
        .await;
    bundle(&r, 0);
    // Day 2's 09:00 slot of P1 is X1's first booking; 09:30 is free.
    let r = s
        .get(
            &format!("/fhir/r4/Appointment?slot=Slot/P1-{}", unix(&at(2, 9, 0))),
            &doctor,
        )
        .await;
    assert_eq!(ids(&bundle(&r, 1)), [b.x1_first.as_str()]);
    for free in [
        format!("P1-{}", unix(&at(2, 9, 30))),
        format!("P2-{}", unix(&at(2, 9, 0))),
        "not-a-slot".to_string(),
    ] {
        bundle(
            &s.get(&format!("/fhir/r4/Appointment?slot={free}"), &doctor)
                .await,
            0,
        );
    }
    // Appointment location: the bookings of providers at that Location.
    let loc = bundle(&s.get("/fhir/r4/Location?name=Main", t).await, 1)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    bundle(
        &s.get(&format!("/fhir/r4/Appointment?location={loc}"), t)
            .await,
        0,
    );
    let at_p3 = s
        .post(
            "/v1/appointments",
            t,
            json!({"provider": "P3", "patient": "X1", "start": at(2, 9, 30), "duration": 30}),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    for v in [format!("Location/{loc}"), loc.clone()] {
        let r = s
            .get(&format!("/fhir/r4/Appointment?location={v}"), &doctor)
            .await;
        assert_eq!(ids(&bundle(&r, 1)), [at_p3.as_str()]);
    }
    bundle(
        &s.get("/fhir/r4/Appointment?location=Location/elsewhere", &doctor)
            .await,
        0,
    );
    // With another parameter: AND.
    bundle(
        &s.get(
            &format!("/fhir/r4/Appointment?location={loc}&practitioner=P1"),
            &doctor,
        )
        .await,
        0,
    );
    outcome(
        &s.get("/fhir/r4/Appointment?location=Practitioner/P3", &doctor)
            .await,
        400,
        "invalid",
        "invalid_search",
    );
    outcome(
        &s.get("/fhir/r4/Appointment?slot=Schedule/P1", &doctor)
            .await,
        400,
        "invalid",
        "invalid_search",
    );
}

async fn all(s: &Server) {
    let b = setup(s).await;
    metadata(s).await;
    directory(s).await;
    slots(s).await;
    appointments(s, &b).await;
    patients_and_consents(s).await;
    errors(s).await;
    search_parameters(s, &b).await;
}

#[tokio::test]
async fn fhir_api_sqlite() {
    let s = Server::sqlite().await;
    all(&s).await;
    s.stop().await;
}

#[tokio::test]
async fn fhir_api_postgres() {
    let Some(s) = Server::postgres("fhir_api_postgres").await else {
        return;
    };
    all(&s).await;
    s.stop().await;
}

/// The rate limiter's 429 under the FHIR base is an OperationOutcome with
/// `Retry-After`.
#[tokio::test]
async fn throttled_is_an_operation_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = hcas_server::config::Config::with_data_dir(dir.path());
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.rate_limit_per_second = 1;
    config.rate_limit_burst = 1;
    let running = hcas_server::start_state(hcas_server::AppState::new(config))
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let url = format!("http://{}/fhir/r4/metadata", running.addr());
    let mut limited = None;
    for _ in 0..5 {
        let res = client.get(&url).send().await.unwrap();
        if res.status() == 429 {
            limited = Some(res);
            break;
        }
    }
    let res = limited.expect("a 429 within 5 requests at 1 per second, burst 1");
    assert!(res.headers().contains_key("retry-after"));
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with(FHIR)
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["issue"][0]["code"], "throttled");
    assert_eq!(
        body["issue"][0]["details"]["coding"][0]["code"],
        "rate_limited"
    );
    running.shutdown().await;
}
