//! The IHE ITI Scheduling operations `Appointment/$find`, `$hold` and
//! `$book` over real HTTP, on SQLite and PostgreSQL: proposals from the same
//! read model as `/v1/slots` (held starts never offered), holds with
//! `Expires`, booking a proposal or a hold, moving and cancelling, 409 naming
//! every conflicting booking, `If-Match`, `If-None-Exist`,
//! `Idempotency-Key`, the consent gate with its audit records, and a hold
//! refused to others until it lapses, then offered again.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use hcas_core::consent::Role;
use serde_json::{Value, json};
use support::*;

const FHIR: &str = "application/fhir+json";
const SPECIALTY: &str = "https://hcas.dev/fhir/CodeSystem/specialty";

/// A `Parameters` resource of `(name, value element, value)`.
fn parameters(list: &[(&str, &str, Value)]) -> Value {
    let parameter: Vec<Value> = list
        .iter()
        .map(|(name, element, value)| json!({ "name": name, *element: value }))
        .collect();
    json!({ "resourceType": "Parameters", "parameter": parameter })
}

fn reference(r: &str) -> Value {
    json!({ "reference": r })
}

/// POST `body` to `Appointment/$<op>` with `headers`.
async fn op(s: &Server, name: &str, token: &str, body: Value, headers: &[(&str, &str)]) -> Reply {
    s.call(
        "POST",
        &format!("/fhir/r4/Appointment/${name}"),
        token,
        Some(body),
        headers,
    )
    .await
}

/// Assert an OperationOutcome with `status`, FHIR issue type `issue` and
/// hcas code `code`.
#[track_caller]
fn outcome(r: &Reply, status: u16, issue: &str, code: &str) {
    assert_eq!(r.status, status, "{}", r.json);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with(FHIR)
    );
    assert_eq!(r.json["resourceType"], "OperationOutcome", "{}", r.json);
    let i = &r.json["issue"][0];
    assert_eq!(i["code"], issue, "{}", r.json);
    assert_eq!(i["details"]["coding"][0]["code"], code, "{}", r.json);
    assert!(!i["diagnostics"].as_str().unwrap().is_empty());
}

/// Assert a searchset Bundle answered with `status`; its Appointments.
#[track_caller]
fn appointments(r: &Reply, status: u16) -> Vec<Value> {
    assert_eq!(r.status, status, "{}", r.json);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with(FHIR)
    );
    assert_eq!(r.json["resourceType"], "Bundle", "{}", r.json);
    assert_eq!(r.json["type"], "searchset");
    r.json["entry"]
        .as_array()
        .map(|a| a.iter().map(|e| e["resource"].clone()).collect())
        .unwrap_or_default()
}

/// The one Appointment of a `$hold`/`$book` answer.
#[track_caller]
fn the_appointment(r: &Reply, status: u16) -> Value {
    let found = appointments(r, status);
    assert_eq!(found.len(), 1, "{}", r.json);
    found[0].clone()
}

fn actors(a: &Value) -> Vec<String> {
    a["participant"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["actor"]["reference"].as_str().unwrap().to_string())
        .collect()
}

fn starts(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|a| a["start"].as_str().unwrap().to_string())
        .collect()
}

/// The starts `/v1/slots` offers `provider` in `[from, to)` (30 minutes).
async fn rest_slots(s: &Server, token: &str, query: &str) -> Vec<String> {
    let r = s
        .get(&format!("/v1/slots?duration=30&{query}"), token)
        .await;
    r.ok(200)["slots"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|slot| {
            let start = slot["start"].as_str().unwrap().to_string();
            slot["providers"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |_| start.clone())
        })
        .collect()
}

/// `$find` for `patient` with P1 on day 2, 09:00-12:00.
fn find_p1(patient: &str) -> Value {
    parameters(&[
        ("start", "valueDateTime", json!(at(2, 9, 0))),
        ("end", "valueDateTime", json!(at(2, 12, 0))),
        (
            "practitioner",
            "valueReference",
            reference("Practitioner/P1"),
        ),
        (
            "patient-reference",
            "valueReference",
            reference(&format!("Patient/{patient}")),
        ),
    ])
}

/// A proposal-like Appointment of P1 with `patient` over `[start, end)`.
fn wanted(patient: &str, start: &str, end: &str, status: &str) -> Value {
    json!({
        "resourceType": "Appointment",
        "status": status,
        "start": start,
        "end": end,
        "participant": [
            { "actor": { "reference": "Practitioner/P1" }, "status": "accepted" },
            { "actor": { "reference": format!("Patient/{patient}") }, "status": "accepted" },
        ],
    })
}

fn with_resource(a: Value) -> Value {
    parameters(&[("appointment-resource", "resource", a)])
}

fn with_reference(id: &str) -> Value {
    parameters(&[(
        "appointment-reference",
        "valueReference",
        reference(&format!("Appointment/{id}")),
    )])
}

/// P1 (gp, 09:00-12:00 UTC), P2 (cardiology, 09:00-10:00); patients X1-X3.
async fn setup(s: &Server) {
    provider(s, "P1", &["gp"], "09:00", "12:00").await;
    provider(s, "P2", &["cardiology"], "09:00", "10:00").await;
    let admin = s.token("desk0", &[Role::Admin]);
    for id in ["X1", "X2", "X3"] {
        s.post(
            "/v1/patients",
            &admin,
            patient(id, &format!("Patient {id}"), "1970-01-01", &[]),
        )
        .await
        .ok(201);
    }
}

async fn metadata(s: &Server) {
    let r = s
        .send(s.client.get(format!("{}/fhir/r4/metadata", s.base)))
        .await;
    assert_eq!(r.status, 200);
    let appointment = r.json["rest"][0]["resource"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["type"] == "Appointment")
        .unwrap()
        .clone();
    let ops: Vec<(String, String)> = appointment["operation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_string(),
                o["definition"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let ihe = "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-";
    let want: Vec<(String, String)> = ["find", "hold", "book"]
        .iter()
        .map(|n| (n.to_string(), format!("{ihe}{n}")))
        .collect();
    assert_eq!(ops, want);
}

/// `$find` offers what `/v1/slots` offers, as proposed Appointments.
async fn find(s: &Server) {
    let x1 = "patient:X1";
    let r = op(s, "find", x1, find_p1("X1"), &[]).await;
    let found = appointments(&r, 200);
    let want = rest_slots(
        s,
        x1,
        &format!("provider=P1&from={}&to={}", at(2, 9, 0), at(2, 12, 0)),
    )
    .await;
    assert_eq!(want.len(), 6, "P1 works 09:00-12:00");
    assert_eq!(starts(&found), want);
    assert_eq!(r.json["total"], 6);
    for a in &found {
        assert_eq!(a["status"], "proposed");
        assert_eq!(actors(a), ["Practitioner/P1", "Patient/X1"]);
        assert_eq!(a["minutesDuration"], 30);
    }
    // GET with the query string finds the same; `_count` limits.
    let q = format!(
        "/fhir/r4/Appointment/$find?start={}&end={}&practitioner=Practitioner/P1&patient-reference=Patient/X1&_count=2",
        at(2, 9, 0),
        at(2, 12, 0)
    );
    let got = appointments(&s.get(&q, x1).await, 200);
    assert_eq!(starts(&got), want[..2]);
    // A specialty (system|code) finds its providers only.
    let r = op(
        s,
        "find",
        x1,
        parameters(&[
            (
                "start",
                "valueDate",
                json!(day(2).format("%Y-%m-%d").to_string()),
            ),
            (
                "end",
                "valueDate",
                json!(day(2).format("%Y-%m-%d").to_string()),
            ),
            (
                "specialty",
                "valueString",
                json!(format!("{SPECIALTY}|cardiology")),
            ),
        ]),
        &[],
    )
    .await;
    let cardio = appointments(&r, 200);
    let want = rest_slots(
        s,
        x1,
        &format!(
            "specialty=cardiology&from={}&to={}",
            rfc(day(2)),
            rfc(day(3))
        ),
    )
    .await;
    assert_eq!(want.len(), 2);
    assert_eq!(starts(&cardio), want);
    assert!(cardio.iter().all(|a| actors(a)[0] == "Practitioner/P2"));
    // timing: a day of week and a time of day (UTC).
    let weekday = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        [chrono::Datelike::weekday(&day(3)).num_days_from_monday() as usize];
    let r = op(
        s,
        "find",
        x1,
        parameters(&[
            ("start", "valueDateTime", json!(rfc(day(2)))),
            ("end", "valueDateTime", json!(rfc(day(5)))),
            (
                "practitioner",
                "valueReference",
                reference("Practitioner/P1"),
            ),
            (
                "timing",
                "valueTiming",
                json!({"repeat": {"dayOfWeek": [weekday], "timeOfDay": ["09:30:00"]}}),
            ),
        ]),
        &[],
    )
    .await;
    assert_eq!(starts(&appointments(&r, 200)), [at(3, 9, 30)]);
}

/// `next` links page `$find` to the end: every proposal of the unpaged
/// answer once, in order, `timing` carried along; `timing` is read at the
/// offset of `start`.
async fn find_paging(s: &Server) {
    let x1 = "patient:X1";
    let weekday = |d: i64| {
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            [chrono::Datelike::weekday(&day(d)).num_days_from_monday() as usize]
    };
    let find = |count: u32| {
        parameters(&[
            ("start", "valueDateTime", json!(rfc(day(2)))),
            ("end", "valueDateTime", json!(rfc(day(5)))),
            (
                "timing",
                "valueTiming",
                json!({"repeat": {"dayOfWeek": [weekday(2), weekday(4)]}}),
            ),
            (
                "patient-reference",
                "valueReference",
                reference("Patient/X1"),
            ),
            ("_count", "valueInteger", json!(count)),
        ])
    };
    let ids = |v: &[Value]| {
        v.iter()
            .map(|a| a["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let all = op(s, "find", x1, find(500), &[]).await;
    let want = ids(&appointments(&all, 200));
    // Days 2 and 4: P1 six half hours, P2 two, each day.
    assert_eq!(want.len(), 16, "{}", all.json);
    assert!(
        all.json["link"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["relation"] != "next")
    );
    let mut r = op(s, "find", x1, find(3), &[]).await;
    let mut got = Vec::new();
    let mut pages = 0;
    loop {
        let page = appointments(&r, 200);
        assert_eq!(r.json["total"], 16);
        assert!(page.len() <= 3);
        got.extend(ids(&page));
        pages += 1;
        let Some(next) = r.json["link"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["relation"] == "next")
            .map(|l| l["url"].as_str().unwrap().to_string())
        else {
            break;
        };
        assert!(next.contains("_offset="), "{next}");
        assert!(pages < 10, "no end to the next links");
        r = s.send(s.client.get(&next).bearer_auth(x1)).await;
    }
    assert_eq!(pages, 6);
    assert_eq!(got, want, "every proposal once, in order");
    // The same window written at +02:00: 11:30 there is 09:30 UTC (the
    // local day is the UTC day at these hours); at UTC it is 11:30.
    let plus2 = day(2)
        .with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap())
        .to_rfc3339();
    assert!(plus2.ends_with("T02:00:00+02:00"), "{plus2}");
    let at_offset = |start: String| {
        parameters(&[
            ("start", "valueDateTime", json!(start)),
            ("end", "valueDateTime", json!(rfc(day(5)))),
            (
                "practitioner",
                "valueReference",
                reference("Practitioner/P1"),
            ),
            (
                "timing",
                "valueTiming",
                json!({"repeat": {"dayOfWeek": [weekday(3)], "timeOfDay": ["11:30:00"]}}),
            ),
        ])
    };
    let r = op(s, "find", x1, at_offset(plus2), &[]).await;
    assert_eq!(starts(&appointments(&r, 200)), [at(3, 9, 30)]);
    let utc = op(s, "find", x1, at_offset(rfc(day(2))), &[]).await;
    assert_eq!(starts(&appointments(&utc, 200)), [at(3, 11, 30)]);
}

async fn find_errors(s: &Server) {
    let x1 = "patient:X1";
    let mut no_start = find_p1("X1");
    no_start["parameter"].as_array_mut().unwrap().remove(0);
    let r = op(s, "find", x1, no_start, &[]).await;
    outcome(&r, 400, "invalid", "invalid_parameter");
    assert!(
        r.json["issue"][0]["diagnostics"]
            .as_str()
            .unwrap()
            .contains("`start` is required")
    );
    let r = s
        .get(
            &format!("/fhir/r4/Appointment/$find?start={}", at(2, 9, 0)),
            x1,
        )
        .await;
    outcome(&r, 400, "invalid", "invalid_parameter");
    for (name, element, value) in [
        ("visit-type", "valueString", json!("x|y")),
        (
            "location-reference",
            "valueReference",
            reference("Location/L1"),
        ),
        ("shoe-size", "valueString", json!("42")),
        (
            "patient-reference",
            "valueReference",
            reference("Patient/X2"),
        ),
        (
            "specialty",
            "valueString",
            json!("http://snomed.info/sct|394814009"),
        ),
    ] {
        let mut p = find_p1("X1");
        p["parameter"]
            .as_array_mut()
            .unwrap()
            .push(json!({ "name": name, element: value }));
        let r = op(s, "find", "doctor:D1", p, &[]).await;
        outcome(&r, 400, "not-supported", "unsupported_parameter");
    }
    let r = op(s, "find", x1, json!({"resourceType": "Patient"}), &[]).await;
    outcome(&r, 400, "invalid", "invalid_parameter");
    // A patient cannot look for another patient (audited).
    let before = s.audit(ORG).await.len();
    let r = op(s, "find", x1, find_p1("X2"), &[]).await;
    outcome(&r, 403, "forbidden", "forbidden");
    let audit = s.audit(ORG).await;
    assert!(
        audit[before..]
            .iter()
            .any(|e| e.event.action == "appointment.find"
                && e.event.patient.as_deref() == Some("X2")
                && e.event.outcome == "deny"),
        "{:#?}",
        &audit[before..]
    );
}

/// Hold, conflicts, book a hold, book a proposal, idempotency.
async fn hold_and_book(s: &Server) {
    let (x1, x2, x3) = ("patient:X1", "patient:X2", "patient:X3");
    let first = &appointments(&op(s, "find", x1, find_p1("X1"), &[]).await, 200)[0];
    assert_eq!(first["start"], at(2, 9, 0));
    let r = op(
        s,
        "hold",
        x1,
        with_reference(first["id"].as_str().unwrap()),
        &[],
    )
    .await;
    let held = the_appointment(&r, 201);
    assert_eq!(held["status"], "pending");
    let expires = held["extension"][0]["valueInstant"].as_str().unwrap();
    let http = chrono::DateTime::parse_from_rfc3339(expires)
        .unwrap()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    assert_eq!(r.headers["expires"].to_str().unwrap(), http);
    let held_id = held["id"].as_str().unwrap().to_string();
    // Never offered to others while held, by $find or /v1/slots.
    let others = starts(&appointments(
        &op(s, "find", x2, find_p1("X2"), &[]).await,
        200,
    ));
    assert!(!others.contains(&at(2, 9, 0)), "{others:?}");
    assert_eq!(others[0], at(2, 9, 30));
    // X2 holding the same start is refused, naming the hold.
    let r = op(
        s,
        "hold",
        x2,
        with_resource(wanted("X2", &at(2, 9, 0), &at(2, 9, 30), "proposed")),
        &[],
    )
    .await;
    outcome(&r, 409, "conflict", "conflict");
    let issues = r.json["issue"].as_array().unwrap();
    assert_eq!(issues.len(), 3, "{}", r.json);
    assert!(
        issues[1]["diagnostics"]
            .as_str()
            .unwrap()
            .contains(&format!("Appointment/{held_id}"))
    );
    // ITI-116: an appointment that cannot be held has a fatal not-found issue.
    assert_eq!(
        (issues[2]["severity"].as_str(), issues[2]["code"].as_str()),
        (Some("fatal"), Some("not-found"))
    );
    // X1 books the hold: the same appointment, now booked.
    let r = op(s, "book", x1, with_reference(&held_id), &[]).await;
    let booked = the_appointment(&r, 200);
    assert_eq!(
        (booked["id"].as_str(), booked["status"].as_str()),
        (Some(held_id.as_str()), Some("booked"))
    );
    assert_eq!(booked["meta"]["versionId"], "2");
    // X2 books 09:30 from a proposal, with an Idempotency-Key: a retry
    // answers the same booking.
    let second = others[0].clone();
    let proposal = op(s, "find", x2, find_p1("X2"), &[]).await;
    let p = appointments(&proposal, 200)[0].clone();
    assert_eq!(p["start"], second);
    let key = [("idempotency-key", "ihe-book-1")];
    let r = op(
        s,
        "book",
        x2,
        with_reference(p["id"].as_str().unwrap()),
        &key,
    )
    .await;
    let x2_booking = the_appointment(&r, 201);
    assert!(
        r.headers["location"]
            .to_str()
            .unwrap()
            .ends_with(x2_booking["id"].as_str().unwrap())
    );
    let again = op(
        s,
        "book",
        x2,
        with_reference(p["id"].as_str().unwrap()),
        &key,
    )
    .await;
    assert_eq!(the_appointment(&again, 200)["id"], x2_booking["id"]);
    // A hold with an Idempotency-Key: a retry answers the same hold.
    let hold_key = [("idempotency-key", "ihe-hold-1")];
    let body = with_resource(wanted("X3", &at(2, 11, 0), &at(2, 11, 30), "proposed"));
    let r = op(s, "hold", x3, body.clone(), &hold_key).await;
    let x3_hold = the_appointment(&r, 201);
    let again = op(s, "hold", x3, body, &hold_key).await;
    assert_eq!(the_appointment(&again, 200)["id"], x3_hold["id"]);
    // X3 wants 09:00-10:00: 409 names both bookings in its way.
    let r = op(
        s,
        "book",
        x3,
        with_resource(wanted("X3", &at(2, 9, 0), &at(2, 10, 0), "pending")),
        &[],
    )
    .await;
    outcome(&r, 409, "conflict", "conflict");
    let issues: Vec<String> = r.json["issue"].as_array().unwrap()[1..]
        .iter()
        .map(|i| i["diagnostics"].as_str().unwrap().to_string())
        .collect();
    let mut ids = [
        held_id.clone(),
        x2_booking["id"].as_str().unwrap().to_string(),
    ];
    ids.sort();
    assert_eq!(issues.len(), 2, "{issues:?}");
    for (issue, id) in issues.iter().zip(&ids) {
        assert_eq!(issue, &format!("Appointment/{id} holds Practitioner/P1"));
    }
}

/// Move and cancel through `$book`; `If-Match`; `If-None-Exist`.
async fn modify_and_cancel(s: &Server) {
    let x1 = "patient:X1";
    let odd = rfc(day(4) + chrono::Duration::seconds(9 * 3600 + 30 * 60 + 30));
    let r = op(
        s,
        "book",
        x1,
        with_resource(wanted("X1", &at(4, 9, 0), &odd, "pending")),
        &[],
    )
    .await;
    outcome(&r, 400, "invalid", "invalid_parameter");
    let r = op(
        s,
        "book",
        x1,
        with_resource(wanted("X1", &at(4, 9, 0), &at(4, 9, 30), "pending")),
        &[],
    )
    .await;
    let a = the_appointment(&r, 201);
    let id = a["id"].as_str().unwrap().to_string();
    // If-None-Exist finds it: no new booking.
    let cond = format!(
        "patient=X1&status=booked&date={}",
        day(4).format("%Y-%m-%d")
    );
    let r = op(
        s,
        "book",
        x1,
        with_resource(wanted("X1", &at(4, 9, 0), &at(4, 9, 30), "pending")),
        &[("if-none-exist", cond.as_str())],
    )
    .await;
    assert_eq!(the_appointment(&r, 200)["id"], id.as_str());
    // Matching several is 412; X1 has two appointments that day.
    let r = op(
        s,
        "book",
        x1,
        with_resource(wanted("X1", &at(4, 11, 0), &at(4, 11, 30), "pending")),
        &[],
    )
    .await;
    let second = the_appointment(&r, 201);
    let cond2 = format!("patient=X1&date={}", day(4).format("%Y-%m-%d"));
    let r = op(
        s,
        "book",
        x1,
        with_resource(wanted("X1", &at(4, 11, 30), &at(4, 12, 0), "pending")),
        &[("if-none-exist", cond2.as_str())],
    )
    .await;
    outcome(&r, 412, "conflict", "multiple_matches");
    // Cancelling needs a reason.
    let mut cancel_second = second.clone();
    cancel_second["status"] = json!("cancelled");
    let r = op(s, "book", x1, with_resource(cancel_second.clone()), &[]).await;
    outcome(&r, 400, "invalid", "invalid_parameter");
    cancel_second["cancelationReason"] = json!({"text": "one is enough"});
    let r = op(s, "book", x1, with_resource(cancel_second), &[]).await;
    assert_eq!(the_appointment(&r, 200)["status"], "cancelled");
    // patient-resource is not taken.
    let mut p = with_resource(wanted("X1", &at(4, 11, 0), &at(4, 11, 30), "pending"));
    p["parameter"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "patient-resource", "resource": {"resourceType": "Patient"}}));
    outcome(
        &op(s, "book", x1, p, &[]).await,
        400,
        "not-supported",
        "unsupported_parameter",
    );
    // Move it to 10:00, with a stale If-Match first.
    let mut moved = a.clone();
    moved["status"] = json!("booked");
    moved["start"] = json!(at(4, 10, 0));
    moved["end"] = json!(at(4, 10, 30));
    let body = parameters(&[
        ("appointment-resource", "resource", moved.clone()),
        ("comment", "valueString", json!("later suits better")),
    ]);
    let r = op(s, "book", x1, body.clone(), &[("if-match", "W/\"7\"")]).await;
    outcome(&r, 412, "conflict", "version_mismatch");
    let r = op(s, "book", x1, body, &[("if-match", "W/\"1\"")]).await;
    let new = the_appointment(&r, 200);
    assert_eq!(
        (new["status"].as_str(), new["start"].as_str()),
        (Some("booked"), Some(at(4, 10, 0).as_str()))
    );
    assert!(
        new["extension"]
            .to_string()
            .contains(&format!("Appointment/{id}"))
    );
    let old = s.get(&format!("/fhir/r4/Appointment/{id}"), x1).await;
    assert_eq!(old.json["status"], "cancelled");
    // Cancel the new one (version from meta.versionId).
    let mut cancel = new.clone();
    cancel["status"] = json!("cancelled");
    cancel["cancelationReason"] = json!({"text": "no longer needed"});
    let r = op(s, "book", x1, with_resource(cancel.clone()), &[]).await;
    let done = the_appointment(&r, 200);
    assert_eq!(done["status"], "cancelled");
    assert_eq!(done["cancelationReason"]["text"], "no longer needed");
    // Cancelling again is not a legal change.
    let r = op(
        s,
        "book",
        x1,
        with_resource(cancel),
        &[("if-match", "W/\"2\"")],
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.json);
}

/// A patient cannot hold or book for another patient; the denial is audited.
async fn consent_gate(s: &Server) {
    let before = s.audit(ORG).await.len();
    let r = op(
        s,
        "book",
        "patient:X1",
        with_resource(wanted("X2", &at(5, 9, 0), &at(5, 9, 30), "pending")),
        &[],
    )
    .await;
    outcome(&r, 403, "forbidden", "forbidden");
    let r = op(
        s,
        "hold",
        "patient:X1",
        with_resource(wanted("X2", &at(5, 9, 0), &at(5, 9, 30), "proposed")),
        &[],
    )
    .await;
    outcome(&r, 403, "forbidden", "forbidden");
    let audit = s.audit(ORG).await;
    for action in ["appointment.book", "appointment.hold"] {
        assert!(
            audit[before..].iter().any(|e| e.event.action == action
                && e.event.patient.as_deref() == Some("X2")
                && e.event.actor.contains("X1")
                && e.event.outcome == "deny"),
            "{action}: {:#?}",
            &audit[before..]
        );
    }
    let x2 = rest_slots(
        s,
        "patient:X2",
        &format!("provider=P1&from={}&to={}", at(5, 9, 0), at(5, 9, 30)),
    )
    .await;
    assert_eq!(x2, [at(5, 9, 0)], "nothing was booked");
}

async fn all(s: &Server) {
    setup(s).await;
    metadata(s).await;
    find(s).await;
    find_paging(s).await;
    find_errors(s).await;
    hold_and_book(s).await;
    modify_and_cancel(s).await;
    consent_gate(s).await;
}

#[tokio::test]
async fn fhir_ops_sqlite() {
    let s = Server::sqlite().await;
    all(&s).await;
    s.stop().await;
}

#[tokio::test]
async fn fhir_ops_postgres() {
    let Some(s) = Server::postgres("fhir_ops_postgres").await else {
        return;
    };
    all(&s).await;
    s.stop().await;
}

/// The starts `$find` offers `patient` with P1 on day 2.
async fn offered(s: &Server, patient: &str) -> Vec<String> {
    let token = format!("patient:{patient}");
    starts(&appointments(
        &op(s, "find", &token, find_p1(patient), &[]).await,
        200,
    ))
}

/// A hold is refused to others until it lapses (the server's clock, a
/// one-minute hold), then offered and holdable again.
#[tokio::test]
async fn a_hold_lapses_and_is_offered_again() {
    let s = Server::sqlite().await;
    setup(&s).await;
    let p = appointments(&op(&s, "find", "patient:X1", find_p1("X1"), &[]).await, 200)[0].clone();
    let body = parameters(&[
        (
            "appointment-reference",
            "valueReference",
            reference(&format!("Appointment/{}", p["id"].as_str().unwrap())),
        ),
        ("hold-minutes", "valueInteger", json!(1)),
    ]);
    let r = op(&s, "hold", "patient:X1", body, &[]).await;
    let held = the_appointment(&r, 201);
    let start = p["start"].as_str().unwrap().to_string();
    let refused = op(
        &s,
        "hold",
        "patient:X2",
        with_resource(wanted("X2", &start, &at(2, 9, 30), "proposed")),
        &[],
    )
    .await;
    outcome(&refused, 409, "conflict", "conflict");
    assert!(!offered(&s, "X2").await.contains(&start));
    // Wait until the hold's expiry (the server's clock), then a second more.
    let expires = chrono::DateTime::parse_from_rfc3339(
        held["extension"][0]["valueInstant"].as_str().unwrap(),
    )
    .unwrap();
    let wait =
        (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_milliseconds() + 1_000;
    tokio::time::sleep(std::time::Duration::from_millis(
        u64::try_from(wait).unwrap_or(0),
    ))
    .await;
    assert!(offered(&s, "X2").await.contains(&start));
    let r = op(
        &s,
        "hold",
        "patient:X2",
        with_resource(wanted("X2", &start, &at(2, 9, 30), "proposed")),
        &[],
    )
    .await;
    assert_eq!(the_appointment(&r, 201)["status"], "pending");
    s.stop().await;
}

/// `$book` is atomic: patients racing for one start get one booking; every
/// other answer is 409 naming it.
#[tokio::test]
async fn racing_books_make_one_booking() {
    let s = Server::sqlite().await;
    setup(&s).await;
    let (start, end) = (at(2, 9, 0), at(2, 9, 30));
    let mut tasks = Vec::new();
    for i in 0..8 {
        let url = format!("{}/fhir/r4/Appointment/$book", s.base);
        let body = with_resource(wanted(&format!("X{i}"), &start, &end, "pending"));
        tasks.push(tokio::spawn(async move {
            let res = reqwest::Client::new()
                .post(url)
                .bearer_auth(format!("patient:X{i}"))
                .json(&body)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let winners: Vec<&Value> = answers
        .iter()
        .filter(|(st, _)| *st == 201)
        .map(|(_, b)| &b["entry"][0]["resource"])
        .collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    let named = format!(
        "Appointment/{} holds Practitioner/P1",
        winners[0]["id"].as_str().unwrap()
    );
    for (status, body) in answers.iter().filter(|(st, _)| *st != 201) {
        assert_eq!(*status, 409, "{body}");
        assert_eq!(body["issue"][1]["diagnostics"], named.as_str(), "{body}");
    }
    s.stop().await;
}
