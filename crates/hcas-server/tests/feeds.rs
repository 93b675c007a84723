//! iCalendar (RFC 5545) output over HTTP: `GET /v1/appointments/{id}/ics`
//! behind the consent gate (audited) and in the provider's zone, and
//! `GET /v1/series/{id}/ics` writing a weekly series across the 2027-03-14 US
//! DST change as one recurring event.
//!
//! Every calendar is also checked by `tests/feeds/check.py`: parsed by
//! `icalendar` and expanded by `recurring-ical-events` (PyPI, pinned in
//! scripts/test, in the FHIR tools venv), which must give exactly the
//! occurrences hcas booked, as UTC instants. The venv's python is
//! `HCAS_FHIR_PYTHON`, else `~/.cache/hcas-tools/fhir-venv`'s; without it the
//! check says so and passes, unless `HCAS_REQUIRE_ICAL_PY=1` (scripts/test).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod support;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use hcas_core::chrono_tz::America::New_York;
use serde_json::{Value, json};
use support::*;

const NY: &str = "America/New_York";

fn python() -> Option<PathBuf> {
    let p = std::env::var_os("HCAS_FHIR_PYTHON").map_or_else(
        || {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/hcas-tools/fhir-venv/bin/python")
        },
        PathBuf::from,
    );
    let ok = p.exists()
        && std::process::Command::new(&p)
            .args(["-c", "import icalendar, recurring_ical_events"])
            .status()
            .is_ok_and(|s| s.success());
    if ok {
        return Some(p);
    }
    assert!(
        std::env::var("HCAS_REQUIRE_ICAL_PY").as_deref() != Ok("1"),
        "HCAS_REQUIRE_ICAL_PY=1 but {} lacks icalendar / recurring-ical-events; run scripts/test",
        p.display()
    );
    println!("skipped: no icalendar venv at {}", p.display());
    None
}

/// Run check.py on `ics` with the occurrences `want` (start, end, STATUS).
fn python_check(ics: &str, want: &[(String, String, &str)]) {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (cal, exp) = (dir.path().join("cal.ics"), dir.path().join("want.json"));
    std::fs::write(&cal, ics).unwrap();
    let want: Vec<Value> = want
        .iter()
        .map(|(s, e, st)| json!({ "start": s, "end": e, "status": st }))
        .collect();
    std::fs::write(&exp, serde_json::to_vec(&want).unwrap()).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/feeds/check.py");
    let out = std::process::Command::new(py)
        .arg(script)
        .arg(&cal)
        .arg(&exp)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "check.py failed:\n{}\n{}\n{ics}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The calendar's content lines, unfolded (RFC 5545 3.1).
fn unfolded(ics: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for l in ics.split("\r\n") {
        match l.strip_prefix(' ') {
            Some(rest) => lines.last_mut().unwrap().push_str(rest),
            None if l.is_empty() => {}
            None => lines.push(l.to_owned()),
        }
    }
    lines
}

/// `t` as New York wall time, `YYYYMMDDTHHMMSS`, by chrono-tz directly.
fn ny_local(t: &str) -> String {
    let t: DateTime<Utc> = t.parse().unwrap();
    t.with_timezone(&New_York)
        .format("%Y%m%dT%H%M%S")
        .to_string()
}

async fn ny_provider(s: &Server, from: &str) {
    s.post(
        "/v1/providers",
        ADMIN,
        json!({ "id": "P1", "name": "Dr One", "timezone": NY,
                "location": "Clinic, room 2; east wing" }),
    )
    .await
    .ok(201);
    s.call(
        "PUT",
        "/v1/providers/P1/schedule",
        ADMIN,
        Some(json!({
            "timezone": NY,
            "rules": [{ "rrule": "FREQ=DAILY", "dtstart": from, "start": "07:00", "end": "19:00" }],
        })),
        &[],
    )
    .await
    .ok(201);
    for (id, name) in [("X1", "Ann"), ("X2", "Bob")] {
        s.post("/v1/patients", ADMIN, patient(id, name, "1990-01-01", &[]))
            .await
            .ok(201);
    }
}

async fn download(backend: Backend, test: &str) {
    let Some(s) = Server::start(backend, test).await else {
        return;
    };
    let yesterday = rfc(day(-1))[..10].to_owned();
    ny_provider(&s, &yesterday).await;
    let (start, end) = (at(3, 15, 0), at(3, 15, 30));
    let booked = s
        .post(
            "/v1/appointments",
            "patient:X1",
            json!({ "provider": "P1", "patient": "X1", "start": start, "duration": 30 }),
        )
        .await;
    let id = booked.ok(201)["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/appointments/{id}/ics");

    let res = s
        .client
        .get(format!("{}{path}", s.base))
        .bearer_auth("patient:X1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/calendar; charset=utf-8"
    );
    let ics = res.text().await.unwrap();
    let lines = unfolded(&ics);
    for want in [
        "METHOD:PUBLISH".to_owned(),
        format!("UID:{id}@hcas"),
        format!("DTSTART;TZID={NY}:{}", ny_local(&start)),
        format!("DTEND;TZID={NY}:{}", ny_local(&end)),
        format!("TZID:{NY}"),
        "SUMMARY:Appointment with Dr One".to_owned(),
        "LOCATION:Clinic\\, room 2\\; east wing".to_owned(),
        "STATUS:CONFIRMED".to_owned(),
    ] {
        assert!(lines.contains(&want), "no {want:?} in\n{ics}");
    }
    python_check(&ics, &[(start.clone(), end.clone(), "CONFIRMED")]);

    // Another patient may not; the read and the refusal are both audited.
    problem(&s.get(&path, "patient:X2").await, 403, "forbidden");
    let log = s.audit(ORG).await;
    let ics_reads: Vec<&str> = log
        .iter()
        .filter(|r| r.event.action == "appointment.ics")
        .map(|r| r.event.outcome.as_str())
        .collect();
    assert_eq!(ics_reads, ["permit", "deny"]);
    problem(
        &s.get("/v1/appointments/nope/ics", ADMIN).await,
        404,
        "not_found",
    );
    s.stop().await;
}

#[tokio::test]
async fn ics_download_sqlite() {
    download(Backend::Sqlite, "ics_sqlite").await;
}

#[tokio::test]
async fn ics_download_postgres() {
    download(Backend::Postgres, "ics_postgres").await;
}
