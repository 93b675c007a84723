//! `Appointment/$book` of a recurring appointment (R5 `recurrenceTemplate`
//! as the R4 cross-version extension) over real HTTP, on SQLite and
//! PostgreSQL: a weekly series across a DST change books every occurrence
//! (checked against `GET /v1/series`, the engine's expansion and chrono-tz
//! directly), retries with the same `Idempotency-Key` book nothing new, a
//! conflict on the third occurrence is 409 naming it and books nothing, and
//! status `cancelled` on the template cancels every occurrence, under
//! `If-Match`. The answers validate with fhir.resources' R4B models and
//! with @medplum/core's R4 validator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use chrono::{Datelike, NaiveDate, TimeZone};
use hcas_core::consent::Role;
use hcas_core::{Timestamp, Zone};
use serde_json::{Value, json};
use support::*;

const FHIR: &str = "application/fhir+json";
const TEMPLATE: &str =
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.recurrenceTemplate";
const RECURRENCE_ID: &str = "https://hcas.dev/fhir/StructureDefinition/recurrence-id";
const R5_RECURRENCE_ID: &str =
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.recurrenceId";
const ORIGINATING: &str =
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.originatingAppointment";
const COUNT: u32 = 5;
const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The first local date, 16 days from today or later, on which 09:00 London
/// has another UTC offset than on the day before: a DST change.
fn next_dst_change() -> NaiveDate {
    let london = hcas_core::chrono_tz::Europe::London;
    let mut d = chrono::Utc::now().date_naive() + chrono::Duration::days(16);
    let offset = |d: NaiveDate| {
        london
            .from_local_datetime(&d.and_hms_opt(9, 0, 0).unwrap())
            .single()
            .unwrap()
            .naive_utc()
            - d.and_hms_opt(9, 0, 0).unwrap()
    };
    for _ in 0..400 {
        if offset(d) != offset(d - chrono::Duration::days(1)) {
            return d;
        }
        d += chrono::Duration::days(1);
    }
    panic!("no DST change in Europe/London within 400 days");
}

/// The first local date of a weekly series that crosses a DST change on
/// its third week: two weeks before the change (two days from now or later).
fn first_date() -> NaiveDate {
    next_dst_change() - chrono::Duration::days(14)
}

/// 09:00 London on `d` as UTC, by chrono-tz (not the engine).
fn london_nine(d: NaiveDate) -> String {
    hcas_core::chrono_tz::Europe::London
        .from_local_datetime(&d.and_hms_opt(9, 0, 0).unwrap())
        .single()
        .unwrap()
        .with_timezone(&chrono::Utc)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A weekly template Appointment of P1 with `patient`: `COUNT` occurrences
/// from `first` at 09:00 London, 30 minutes each.
fn template(id: Option<&str>, patient: &str, first: NaiveDate, status: &str) -> Value {
    let start = london_nine(first);
    let end = rfc(
        start.parse::<chrono::DateTime<chrono::Utc>>().unwrap() + chrono::Duration::minutes(30)
    );
    let weekday = WEEKDAYS[first.weekday().num_days_from_monday() as usize];
    let mut a = json!({
        "resourceType": "Appointment",
        "status": status,
        "start": start,
        "end": end,
        "participant": [
            { "actor": { "reference": "Practitioner/P1" }, "status": "accepted" },
            { "actor": { "reference": format!("Patient/{patient}") }, "status": "accepted" },
        ],
        "extension": [{
            "url": TEMPLATE,
            "extension": [
                { "url": "timezone", "valueCodeableConcept": { "coding": [
                    { "system": "https://www.iana.org/time-zones", "code": "Europe/London" } ] } },
                { "url": "recurrenceType", "valueCodeableConcept": { "coding": [
                    { "system": "http://unitsofmeasure.org", "code": "wk" } ] } },
                { "url": "occurrenceCount", "valuePositiveInt": COUNT },
                { "url": "weeklyTemplate", "extension": [
                    { "url": weekday, "valueBoolean": true },
                    { "url": "weekInterval", "valuePositiveInt": 1 } ] },
            ],
        }],
    });
    if let Some(id) = id {
        a["id"] = id.into();
    }
    a
}

fn book_body(a: Value) -> Value {
    json!({ "resourceType": "Parameters",
            "parameter": [{ "name": "appointment-resource", "resource": a }] })
}

async fn book(s: &Server, token: &str, a: Value, headers: &[(&str, &str)]) -> Reply {
    s.call(
        "POST",
        "/fhir/r4/Appointment/$book",
        token,
        Some(book_body(a)),
        headers,
    )
    .await
}

/// The resources of a searchset Bundle answered with `status`.
#[track_caller]
fn entries(r: &Reply, status: u16) -> Vec<Value> {
    assert_eq!(r.status, status, "{}", r.json);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with(FHIR)
    );
    assert_eq!(r.json["resourceType"], "Bundle", "{}", r.json);
    r.json["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"].clone())
        .collect()
}

fn extension<'a>(a: &'a Value, url: &str) -> Option<&'a Value> {
    a["extension"].as_array()?.iter().find(|e| e["url"] == url)
}

/// The starts the engine expands the same series to (`hcas_core`'s
/// recurrence, from the RRULE the template means).
fn engine_starts(first: NaiveDate) -> Vec<String> {
    let byday =
        ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][first.weekday().num_days_from_monday() as usize];
    let rule = format!("FREQ=WEEKLY;COUNT={COUNT};BYDAY={byday}")
        .parse()
        .unwrap();
    let rec = hcas_core::Recurrence::new(
        rule,
        first.and_hms_opt(9, 0, 0).unwrap(),
        Zone::parse("Europe/London").unwrap(),
    );
    let from = Timestamp::parse(&format!("{first}T00:00:00Z")).unwrap();
    rec.iter_from(from)
        .take(COUNT as usize)
        .map(|t| t.unwrap().to_string())
        .collect()
}

/// Validate a resource (a Bundle: each entry too) with fhir.resources' R4B
/// models, when the tools' venv is there, and with @medplum/core's
/// `validateResource` (tests/fhir_node/validate.js), when its npm packages
/// are installed.
async fn validates(what: &str, resource: &Value) {
    // One file per call: the SQLite and PostgreSQL runs share the process.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let file = std::env::temp_dir().join(format!(
        "hcas-series-{}-{n}-{what}.json",
        std::process::id()
    ));
    std::fs::write(&file, serde_json::to_vec(resource).unwrap()).unwrap();
    if let Some(python) = tools_python("fhir.resources", "HCAS_REQUIRE_FHIR_PY") {
        let mut cmd = std::process::Command::new(python);
        cmd.args([
            "-c",
            "import json, sys\n\
             from fhir.resources.R4B import get_fhir_model_class\n\
             data = json.load(open(sys.argv[1]))\n\
             for r in [data] + [e['resource'] for e in data.get('entry', [])]:\n\
             \x20   get_fhir_model_class(r['resourceType']).model_validate(r)\n\
             print('validated', 1 + len(data.get('entry', [])))\n",
        ])
        .arg(&file);
        let out = tool_passes(what, cmd).await;
        assert!(out.contains("validated"), "{out}");
    }
    if let Some(dir) = node_package("fhir_node", "@medplum/core", "HCAS_REQUIRE_FHIR_NODE") {
        let mut cmd = std::process::Command::new("node");
        cmd.arg("validate.js").arg(&file).current_dir(dir);
        let out = tool_passes(what, cmd).await;
        let total = 1 + resource["entry"].as_array().map_or(0, Vec::len);
        assert!(
            out.contains(&format!("validated {total} resources")),
            "{out}"
        );
    }
    let _ = std::fs::remove_file(file);
}

/// P1 works 07:00-12:00 UTC (09:00 London is 08:00 or 09:00 UTC); X1, X2.
async fn setup(s: &Server) {
    provider(s, "P1", &["gp"], "07:00", "12:00").await;
    let admin = s.token("desk0", &[Role::Admin]);
    for id in ["X1", "X2"] {
        s.post(
            "/v1/patients",
            &admin,
            patient(id, &format!("Patient {id}"), "1970-01-01", &[]),
        )
        .await
        .ok(201);
    }
}

/// A weekly series across the DST change books every occurrence, keeping
/// 09:00 London; a retry with the same key books nothing new.
async fn books_every_occurrence(s: &Server) {
    let first = first_date();
    let x1 = "patient:X1";
    let key = [("Idempotency-Key", "series-across-dst")];
    let r = book(s, x1, template(None, "X1", first, "booked"), &key).await;
    let got = entries(&r, 201);
    validates("booked", &r.json).await;
    assert_eq!(got.len(), 1 + COUNT as usize, "{}", r.json);
    let (tpl, occurrences) = (&got[0], &got[1..]);
    let series = tpl["id"].as_str().unwrap().to_string();
    assert!(extension(tpl, TEMPLATE).is_some(), "{tpl}");
    assert_eq!(tpl["meta"]["versionId"], COUNT.to_string());
    // The same starts as the engine's expansion and as chrono-tz's 09:00
    // London week by week; the UTC hour changes with the DST change.
    let starts: Vec<String> = occurrences
        .iter()
        .map(|a| a["start"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(starts, engine_starts(first));
    let by_hand: Vec<String> = (0..i64::from(COUNT))
        .map(|w| london_nine(first + chrono::Duration::weeks(w)))
        .collect();
    assert_eq!(starts, by_hand);
    let hours: std::collections::BTreeSet<&str> = starts.iter().map(|s| &s[11..13]).collect();
    assert_eq!(
        hours.len(),
        2,
        "the series crosses a DST change: {starts:?}"
    );
    // Week w's occurrence: recurrence id 09:00 local on its day, R5 number w + 1.
    for (w, a) in (0..).zip(occurrences) {
        assert_eq!(a["status"], "booked");
        assert_eq!(
            extension(a, ORIGINATING).unwrap()["valueReference"]["reference"],
            format!("Appointment/{series}")
        );
        assert_eq!(
            extension(a, RECURRENCE_ID).unwrap()["valueString"],
            format!("{}T09:00:00", first + chrono::Duration::weeks(w)),
            "{a}"
        );
        assert_eq!(
            extension(a, R5_RECURRENCE_ID).unwrap()["valuePositiveInt"],
            w + 1,
            "{a}"
        );
    }
    // GET /v1/series lists the same occurrences.
    let rest = s.get(&format!("/v1/series/{series}"), x1).await;
    let rest_starts: Vec<String> = rest.ok(200)["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["start"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(rest_starts, starts);
    // Reading an occurrence as FHIR carries its series.
    let id = occurrences[2]["id"].as_str().unwrap();
    let read = s.get(&format!("/fhir/r4/Appointment/{id}"), x1).await;
    let read = read.ok(200);
    assert_eq!(
        extension(read, RECURRENCE_ID).unwrap()["valueString"],
        format!("{}T09:00:00", first + chrono::Duration::weeks(2))
    );
    // A single read does not load the series, so it carries no R5 number.
    assert!(extension(read, R5_RECURRENCE_ID).is_none(), "{read}");
    assert_eq!(
        extension(read, ORIGINATING).unwrap()["valueReference"]["reference"],
        format!("Appointment/{series}")
    );
    // A retry with the same key answers the same series (200), booking nothing.
    let again = book(s, x1, template(None, "X1", first, "booked"), &key).await;
    let again = entries(&again, 200);
    assert_eq!(again[0]["id"], series.as_str());
    assert_eq!(again.len(), got.len());
    let rest = s.get(&format!("/v1/series/{series}"), x1).await;
    assert_eq!(
        rest.ok(200)["occurrences"].as_array().unwrap().len(),
        COUNT as usize
    );
    // The same key for another series is refused, naming why.
    let other = book(
        s,
        x1,
        template(None, "X1", first + chrono::Duration::days(1), "booked"),
        &key,
    )
    .await;
    assert_eq!(other.status, 409, "{}", other.json);
    assert_eq!(other.json["resourceType"], "OperationOutcome");
}

/// A conflict on the third occurrence: 409 with one issue naming it (and
/// its start), and nothing booked.
async fn conflict_books_nothing(s: &Server) {
    let first = first_date() + chrono::Duration::days(1);
    let third = london_nine(first + chrono::Duration::weeks(2));
    s.post(
        "/v1/appointments",
        "patient:X2",
        json!({ "provider": "P1", "patient": "X2", "start": third, "duration": 30 }),
    )
    .await
    .ok(201);
    let r = book(
        s,
        "patient:X1",
        template(Some("s-conflict"), "X1", first, "booked"),
        &[],
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.json);
    assert_eq!(r.json["resourceType"], "OperationOutcome");
    validates("conflict", &r.json).await;
    let issues = r.json["issue"].as_array().unwrap();
    assert_eq!(issues[0]["details"]["coding"][0]["code"], "conflict");
    let named: Vec<&str> = issues[1..]
        .iter()
        .map(|i| i["diagnostics"].as_str().unwrap())
        .collect();
    assert_eq!(named.len(), 1, "{named:?}");
    assert!(named[0].contains(&format!("(start {third})")), "{named:?}");
    assert!(named[0].contains("Practitioner/P1"), "{named:?}");
    let gone = s.get("/v1/series/s-conflict", "patient:X1").await;
    assert_eq!(gone.status, 404, "nothing was booked: {}", gone.json);
}

/// Status `cancelled` on the template cancels every occurrence; a stale
/// `If-Match` changes nothing.
async fn cancel_cancels_all(s: &Server) {
    let first = first_date() + chrono::Duration::days(2);
    let x1 = "patient:X1";
    let r = book(
        s,
        x1,
        template(Some("s-cancel"), "X1", first, "booked"),
        &[],
    )
    .await;
    let version = entries(&r, 201)[0]["meta"]["versionId"]
        .as_str()
        .unwrap()
        .to_string();
    let mut cancel = template(Some("s-cancel"), "X1", first, "cancelled");
    cancel["cancelationReason"] = json!({ "text": "course stopped" });
    let stale = book(s, x1, cancel.clone(), &[("If-Match", "W/\"1\"")]).await;
    assert_eq!(stale.status, 412, "{}", stale.json);
    let rest = s.get("/v1/series/s-cancel", x1).await;
    assert!(
        rest.ok(200)["occurrences"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] == "booked")
    );
    let done = book(s, x1, cancel, &[("If-Match", &format!("W/\"{version}\""))]).await;
    let got = entries(&done, 200);
    validates("cancelled", &done.json).await;
    assert_eq!(got.len(), 1 + COUNT as usize);
    assert!(
        got[1..].iter().all(|a| a["status"] == "cancelled"),
        "{}",
        done.json
    );
    let rest = s.get("/v1/series/s-cancel", x1).await;
    let occ = rest.ok(200)["occurrences"].as_array().unwrap().clone();
    assert_eq!(occ.len(), COUNT as usize);
    assert!(
        occ.iter()
            .all(|o| o["status"] == "cancelled" && o["cancel_reason"] == "course stopped")
    );
}

/// What hcas cannot book is 400, naming the element; `$hold` takes no template.
async fn refused_by_name(s: &Server) {
    let mut a = template(Some("s-bad"), "X1", first_date(), "booked");
    a["extension"][0]["extension"]
        .as_array_mut()
        .unwrap()
        .remove(0);
    let r = book(s, "patient:X1", a, &[]).await;
    assert_eq!(r.status, 400, "{}", r.json);
    assert_eq!(
        r.json["issue"][0]["details"]["coding"][0]["code"],
        "invalid_parameter"
    );
    let d = r.json["issue"][0]["diagnostics"].as_str().unwrap();
    assert!(d.contains("extension[0].timezone: is required"), "{d}");
    let hold = s
        .call(
            "POST",
            "/fhir/r4/Appointment/$hold",
            "patient:X1",
            Some(book_body(template(None, "X1", first_date(), "pending"))),
            &[],
        )
        .await;
    assert_eq!(hold.status, 400, "{}", hold.json);
    assert_eq!(s.get("/v1/series/s-bad", "patient:X1").await.status, 404);
}

async fn all(s: &Server) {
    setup(s).await;
    refused_by_name(s).await;
    books_every_occurrence(s).await;
    conflict_books_nothing(s).await;
    cancel_cancels_all(s).await;
}

#[tokio::test]
async fn fhir_series_sqlite() {
    let s = Server::sqlite().await;
    all(&s).await;
    s.stop().await;
}

#[tokio::test]
async fn fhir_series_postgres() {
    let Some(s) = Server::postgres("fhir_series_postgres").await else {
        return;
    };
    all(&s).await;
    s.stop().await;
}
