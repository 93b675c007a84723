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
//! The same calendars go through `tests/feeds/check.mjs` with `ical.js` (npm,
//! pinned by tests/feeds/package-lock.json), skipped without `npm ci` there
//! unless `HCAS_REQUIRE_ICAL_JS=1`.
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

fn feeds_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/feeds")
}

/// Whether ical.js is installed (`npm ci` in tests/feeds).
fn have_ical_js() -> bool {
    node_package("feeds", "ical.js", "HCAS_REQUIRE_ICAL_JS").is_some()
}

fn run_checker(cmd: &mut std::process::Command, what: &str, ics: &str) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}\n{ics}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Check `ics` in both independent parsers: check.py (icalendar +
/// recurring-ical-events) and check.mjs (ical.js) must each expand it to
/// exactly the occurrences `want` (start, end, STATUS).
fn independent_checks(ics: &str, want: &[(String, String, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let (cal, exp) = (dir.path().join("cal.ics"), dir.path().join("want.json"));
    std::fs::write(&cal, ics).unwrap();
    let want: Vec<Value> = want
        .iter()
        .map(|(s, e, st)| json!({ "start": s, "end": e, "status": st }))
        .collect();
    std::fs::write(&exp, serde_json::to_vec(&want).unwrap()).unwrap();
    if let Some(py) = tools_python("icalendar, recurring_ical_events", "HCAS_REQUIRE_ICAL_PY") {
        let mut cmd = std::process::Command::new(py);
        cmd.arg(feeds_dir().join("check.py")).arg(&cal).arg(&exp);
        run_checker(&mut cmd, "check.py", ics);
    }
    if have_ical_js() {
        let mut cmd = std::process::Command::new("node");
        cmd.arg(feeds_dir().join("check.mjs")).arg(&cal).arg(&exp);
        run_checker(&mut cmd, "check.mjs (ical.js)", ics);
    }
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
    independent_checks(&ics, &[(start.clone(), end.clone(), "CONFIRMED")]);

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

/// `local` (`YYYY-MM-DDTHH:MM:SS`) in New York as UTC RFC 3339, by chrono-tz.
fn ny_utc(local: &str) -> String {
    use chrono::TimeZone;
    let naive = chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S").unwrap();
    let t = New_York.from_local_datetime(&naive).single().unwrap();
    rfc(t.with_timezone(&Utc))
}

fn plus_minutes(t: &str, m: i64) -> String {
    rfc(t.parse::<DateTime<Utc>>().unwrap() + chrono::Duration::minutes(m))
}

async fn weekly_series_across_dst(backend: Backend, test: &str) {
    let Some(s) = Server::start(backend, test).await else {
        return;
    };
    let yesterday = rfc(day(-1))[..10].to_owned();
    ny_provider(&s, &yesterday).await;
    // Weekly 09:00 New York, six times from 2027-03-07: the clocks go forward
    // on 2027-03-14, so the UTC start moves from 14:00Z to 13:00Z.
    let dates = [
        "2027-03-07",
        "2027-03-14",
        "2027-03-21",
        "2027-03-28",
        "2027-04-04",
        "2027-04-11",
    ];
    let booked = s
        .post(
            "/v1/series",
            "patient:X1",
            json!({ "id": "W1", "provider": "P1", "patient": "X1", "rrule": "FREQ=WEEKLY;COUNT=6",
                    "dtstart": "2027-03-07T09:00:00", "timezone": NY, "duration": 45 }),
        )
        .await;
    assert_eq!(booked.status, 201, "{}", booked.json);
    // Cancel 21 March; move 4 April two hours later.
    s.post(
        "/v1/series/W1/cancel",
        "patient:X1",
        json!({ "recurrence_id": "2027-03-21T09:00:00", "scope": "this", "reason": "away" }),
    )
    .await
    .ok(200);
    s.post(
        "/v1/series/W1/shift",
        "patient:X1",
        json!({ "recurrence_id": "2027-04-04T09:00:00", "scope": "this", "timezone": NY,
                "minutes": 120, "reason": "clinic hours" }),
    )
    .await
    .ok(200);

    let mut want: Vec<(String, String, &str)> = Vec::new();
    for d in dates {
        let start = ny_utc(&format!("{d}T09:00:00"));
        let start = match d {
            "2027-03-21" => continue,
            "2027-04-04" => plus_minutes(&start, 120),
            _ => start,
        };
        want.push((start.clone(), plus_minutes(&start, 45), "CONFIRMED"));
    }
    assert_eq!(want[0].0, "2027-03-07T14:00:00Z");
    assert_eq!(want[1].0, "2027-03-14T13:00:00Z");
    // What hcas booked (its JSON) is what the test meant.
    let json = s.get("/v1/series/W1", "patient:X1").await;
    let live: Vec<(String, String, &str)> = json.ok(200)["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["status"] != "cancelled")
        .map(|o| {
            let f = |k: &str| o[k].as_str().unwrap().to_owned();
            (f("start"), f("end"), "CONFIRMED")
        })
        .collect();
    assert_eq!(live, want);

    let res = s.get("/v1/series/W1/ics", "patient:X1").await;
    assert_eq!(res.status, 200);
    let ics = res.json.as_str().unwrap().to_owned();
    let lines = unfolded(&ics);
    for l in [
        format!("DTSTART;TZID={NY}:20270307T090000"),
        "RRULE:FREQ=WEEKLY;COUNT=6".to_owned(),
        format!("EXDATE;TZID={NY}:20270321T090000"),
        format!("RECURRENCE-ID;TZID={NY}:20270404T090000"),
        format!("DTSTART;TZID={NY}:20270404T110000"),
    ] {
        assert!(lines.contains(&l), "no {l:?} in\n{ics}");
    }
    assert_eq!(lines.iter().filter(|l| *l == "BEGIN:VEVENT").count(), 2);
    independent_checks(&ics, &want);
    problem(
        &s.get("/v1/series/W1/ics", "patient:X2").await,
        403,
        "forbidden",
    );
    s.stop().await;
}

#[tokio::test]
async fn series_ics_sqlite() {
    weekly_series_across_dst(Backend::Sqlite, "series_ics_sqlite").await;
}

#[tokio::test]
async fn series_ics_postgres() {
    weekly_series_across_dst(Backend::Postgres, "series_ics_postgres").await;
}
