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
//!
//! Calendar feeds (`POST /v1/feeds`, `GET /feeds/{token}.ics`): a
//! practitioner's and a patient's feed with single bookings in two zones and
//! a weekly series across the DST change with one cancelled occurrence go
//! through the same checks, against what `GET` of the bookings answers; the
//! token's shape and hash, who may create, list and revoke, the consent gate
//! at fetch time, audit records, and that no other organization's or other
//! patient's data appears.
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
use hcas_core::consent::Role;
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

/// Provider `id` called `name` (as `admin`, of the admin's organization)
/// working 07:00 to 19:00 daily in zone `tz` from `from`.
async fn zoned_provider(s: &Server, admin: &str, id: &str, name: &str, tz: &str, from: &str) {
    s.post(
        "/v1/providers",
        admin,
        json!({ "id": id, "name": name, "timezone": tz,
                "location": "Clinic, room 2; east wing" }),
    )
    .await
    .ok(201);
    s.call(
        "PUT",
        &format!("/v1/providers/{id}/schedule"),
        admin,
        Some(json!({
            "timezone": tz,
            "rules": [{ "rrule": "FREQ=DAILY", "dtstart": from, "start": "07:00", "end": "19:00" }],
        })),
        &[],
    )
    .await
    .ok(201);
}

async fn ny_provider(s: &Server, from: &str) {
    zoned_provider(s, ADMIN, "P1", "Dr One", NY, from).await;
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

/// The occurrences a calendar must hold for these bookings, from what the
/// API answers for them (`GET /v1/appointments/{id}`, `GET /v1/series/{id}`):
/// (start, end, iCalendar STATUS), cancelled ones left out (they are EXDATEs).
/// Each is read with its patient's token: (token, id).
async fn booked_occurrences(
    s: &Server,
    singles: &[(&str, &str)],
    series: &[(&str, &str)],
) -> Vec<(String, String, &'static str)> {
    let mut all: Vec<Value> = Vec::new();
    for (token, id) in singles {
        all.push(
            s.get(&format!("/v1/appointments/{id}"), token)
                .await
                .ok(200)
                .clone(),
        );
    }
    for (token, id) in series {
        let got = s.get(&format!("/v1/series/{id}"), token).await;
        all.extend(
            got.ok(200)["occurrences"]
                .as_array()
                .unwrap()
                .iter()
                .cloned(),
        );
    }
    let mut out = Vec::new();
    for b in all {
        let status = match b["status"].as_str().unwrap() {
            "cancelled" => continue,
            "booked" => "CONFIRMED",
            other => panic!("unexpected status {other} in {b}"),
        };
        let f = |k: &str| b[k].as_str().unwrap().to_owned();
        out.push((f("start"), f("end"), status));
    }
    out
}

/// GET a feed URL without a bearer token.
async fn fetch_feed(s: &Server, url: &str) -> Reply {
    s.send(s.client.get(format!("{}{url}", s.base))).await
}

/// The feed's calendar, checked: 200, `text/calendar`, `no-store`.
async fn feed_text(s: &Server, url: &str) -> String {
    let got = fetch_feed(s, url).await;
    assert_eq!(got.status, 200, "{}", got.json);
    assert_eq!(
        got.headers["content-type"].to_str().unwrap(),
        "text/calendar; charset=utf-8"
    );
    assert_eq!(got.headers["cache-control"].to_str().unwrap(), "no-store");
    got.json.as_str().unwrap().to_owned()
}

/// The audit records of `action` on `target`: (actor, outcome).
async fn audited(s: &Server, action: &str, target: &str) -> Vec<(String, String)> {
    s.audit(ORG)
        .await
        .into_iter()
        .filter(|r| r.event.action == action && r.event.target == target)
        .map(|r| (r.event.actor, r.event.outcome))
        .collect()
}

async fn calendar_feeds(backend: Backend, test: &str) {
    use base64::Engine as _;
    use sha2::Digest as _;
    let Some(s) = Server::start(backend, test).await else {
        return;
    };
    let yesterday = rfc(day(-1))[..10].to_owned();
    ny_provider(&s, &yesterday).await;
    zoned_provider(&s, ADMIN, "P2", "Dr Two", "Europe/Berlin", &yesterday).await;
    let book = |token: &'static str,
                provider: &'static str,
                patient: &'static str,
                start: String| {
        let s = &s;
        async move {
            let got = s
                .post(
                    "/v1/appointments",
                    token,
                    json!({ "provider": provider, "patient": patient, "start": start, "duration": 30 }),
                )
                .await;
            got.ok(201)["id"].as_str().unwrap().to_owned()
        }
    };
    let x1_p1 = book("patient:X1", "P1", "X1", at(3, 15, 0)).await;
    let x2_p1 = book("patient:X2", "P1", "X2", at(4, 15, 0)).await;
    let x1_p2 = book("patient:X1", "P2", "X1", at(5, 10, 0)).await;
    // Weekly 09:00 New York from 2027-03-07 across the 2027-03-14 DST
    // change; 21 March cancelled.
    s.post(
        "/v1/series",
        "patient:X1",
        json!({ "id": "W1", "provider": "P1", "patient": "X1", "rrule": "FREQ=WEEKLY;COUNT=5",
                "dtstart": "2027-03-07T09:00:00", "timezone": NY, "duration": 45 }),
    )
    .await
    .ok(201);
    s.post(
        "/v1/series/W1/cancel",
        "patient:X1",
        json!({ "recurrence_id": "2027-03-21T09:00:00", "scope": "this", "reason": "away" }),
    )
    .await
    .ok(200);
    // Another organization with the same ids: never in org-a's feeds.
    let other_admin = s.token_in(OTHER, "A9", &[Role::Admin], None);
    zoned_provider(&s, &other_admin, "P1", "Dr Elsewhere", NY, &yesterday).await;
    s.post(
        "/v1/patients",
        &other_admin,
        patient("X1", "Zed", "1990-01-01", &[]),
    )
    .await
    .ok(201);
    let elsewhere = s
        .post(
            "/v1/appointments",
            &other_admin,
            json!({ "provider": "P1", "patient": "X1", "start": at(3, 17, 0), "duration": 30 }),
        )
        .await;
    let elsewhere = elsewhere.ok(201)["id"].as_str().unwrap().to_owned();

    // Creating: a doctor a practitioner's feed, the patient their own.
    let doctor = s.token("dr1", &[Role::Doctor]);
    let create = |token: String, subject: &'static str| {
        let s = &s;
        async move {
            s.post("/v1/feeds", &token, json!({ "subject": subject }))
                .await
        }
    };
    let p_feed = create(doctor.clone(), "Practitioner/P1").await;
    let p_feed = p_feed.ok(201).clone();
    let x_feed = create("patient:X1".into(), "Patient/X1")
        .await
        .ok(201)
        .clone();
    let d_feed = create(doctor.clone(), "Patient/X1").await.ok(201).clone();
    let url = |f: &Value| f["url"].as_str().unwrap().to_owned();
    // The token: the organization, a dot, 256 bits base64url; the store
    // keeps its SHA-256 only.
    let token = url(&x_feed)
        .strip_prefix("/feeds/")
        .and_then(|t| t.strip_suffix(".ics"))
        .unwrap()
        .to_owned();
    let secret = token.strip_prefix("org-a.").unwrap();
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(secret)
        .unwrap();
    assert_eq!(raw.len(), 32);
    assert_ne!(url(&x_feed), url(&d_feed));
    let stored = s
        .store(ORG)
        .await
        .feed_get(x_feed["id"].as_str().unwrap())
        .await
        .unwrap();
    let hash: String = sha2::Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(stored.token_hash, hash);
    assert_eq!(stored.subject, "Patient/X1");
    assert!(!stored.token_hash.contains(secret));

    // Refused creations.
    problem(
        &create(doctor.clone(), "Device/P1").await,
        422,
        "invalid_request",
    );
    problem(
        &create("patient:X2".into(), "Patient/X1").await,
        403,
        "forbidden",
    );
    problem(
        &create("patient:X1".into(), "Practitioner/P1").await,
        403,
        "forbidden",
    );
    problem(
        &create(doctor.clone(), "Practitioner/NOPE").await,
        404,
        "not_found",
    );

    // The practitioner's feed: every booking of P1 and the series, nothing
    // of P2's or of the other organization; no patient named.
    let ics = feed_text(&s, &url(&p_feed)).await;
    let want = booked_occurrences(
        &s,
        &[("patient:X1", &x1_p1), ("patient:X2", &x2_p1)],
        &[("patient:X1", "W1")],
    )
    .await;
    assert_eq!(want.len(), 6);
    independent_checks(&ics, &want);
    let lines = unfolded(&ics);
    for l in [
        format!("UID:{x1_p1}@hcas"),
        format!("UID:{x2_p1}@hcas"),
        "UID:W1@hcas".to_owned(),
        "RRULE:FREQ=WEEKLY;COUNT=5".to_owned(),
        format!("EXDATE;TZID={NY}:20270321T090000"),
        format!("TZID:{NY}"),
    ] {
        assert!(lines.contains(&l), "no {l:?} in\n{ics}");
    }
    for absent in [
        "X1",
        "X2",
        "Ann",
        "Bob",
        "Zed",
        elsewhere.as_str(),
        x1_p2.as_str(),
    ] {
        assert!(
            !ics.contains(absent),
            "{absent} in the practitioner feed\n{ics}"
        );
    }

    // The patient's feeds (theirs and the doctor's): X1's bookings with P1
    // and P2 (two zones, a VTIMEZONE each) and the series; not X2's.
    let want = booked_occurrences(
        &s,
        &[("patient:X1", &x1_p1), ("patient:X1", &x1_p2)],
        &[("patient:X1", "W1")],
    )
    .await;
    for f in [&x_feed, &d_feed] {
        let ics = feed_text(&s, &url(f)).await;
        independent_checks(&ics, &want);
        let lines = unfolded(&ics);
        assert_eq!(
            lines.iter().filter(|l| *l == "BEGIN:VTIMEZONE").count(),
            2,
            "{ics}"
        );
        assert!(lines.contains(&"TZID:Europe/Berlin".to_owned()), "{ics}");
        for absent in [x2_p1.as_str(), elsewhere.as_str(), "Ann", "Zed"] {
            assert!(!ics.contains(absent), "{absent} in the patient feed\n{ics}");
        }
    }
    // Every fetch is audited as its creator.
    let target = |f: &Value| format!("feed:{}", f["id"].as_str().unwrap());
    assert_eq!(
        audited(&s, "feed.read", &target(&d_feed)).await,
        [("dr1".to_owned(), "permit".to_owned())]
    );
    assert_eq!(
        audited(&s, "feed.read", &target(&p_feed)).await,
        [("dr1".to_owned(), "permit".to_owned())]
    );

    // Listing: no tokens; the patient sees theirs, an admin all.
    let mine = s.get("/v1/feeds", "patient:X1").await;
    let mine = mine.ok(200)["feeds"].as_array().unwrap().clone();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["id"], x_feed["id"]);
    let all = s.get("/v1/feeds", ADMIN).await.ok(200).clone();
    assert_eq!(all["feeds"].as_array().unwrap().len(), 3);
    let text = all.to_string();
    assert!(!text.contains(secret) && !text.contains("url"), "{text}");
    let of_p1 = s.get("/v1/feeds?subject=Practitioner/P1", ADMIN).await;
    assert_eq!(of_p1.ok(200)["feeds"].as_array().unwrap().len(), 1);

    // The patient denies everything to everyone else: the doctor's feed of X1
    // stops (audited deny), and the doctor may not create another (403,
    // audited); the patient's own feed goes on.
    s.post(
        "/v1/patients/X1/consents",
        "patient:X1",
        json!({ "id": "K1", "status": "active", "date": "2025-03-01T00:00:00Z",
                "decision": "deny" }),
    )
    .await
    .ok(201);
    let stopped = fetch_feed(&s, &url(&d_feed)).await;
    let unknown_detail = stopped.problem(404, "not_found")["detail"].clone();
    assert_eq!(
        audited(&s, "feed.read", &target(&d_feed)).await,
        [
            ("dr1".to_owned(), "permit".to_owned()),
            ("dr1".to_owned(), "deny".to_owned())
        ]
    );
    problem(
        &create(doctor.clone(), "Patient/X1").await,
        403,
        "forbidden",
    );
    let creations = audited(&s, "feed.create", "patient:X1").await;
    assert_eq!(
        creations.last().unwrap(),
        &("dr1".to_owned(), "deny".to_owned())
    );
    feed_text(&s, &url(&x_feed)).await;

    // Revocation: by another patient 404, by the creator for good; the
    // revoked token answers exactly as an unknown one.
    let path = format!("/v1/feeds/{}", x_feed["id"].as_str().unwrap());
    problem(&s.delete(&path, "patient:X2").await, 404, "not_found");
    let revoked = s.delete(&path, "patient:X1").await;
    assert!(revoked.ok(200)["revoked"].is_string());
    for gone in [
        url(&x_feed),
        format!("/feeds/org-a.{}.ics", "A".repeat(43)),
        "/feeds/nonsense.ics".to_owned(),
        // The token bound to its organization: the same secret elsewhere.
        format!("/feeds/org-b.{secret}.ics"),
        format!("/feeds/no-such-org.{secret}.ics"),
    ] {
        let got = fetch_feed(&s, &gone).await;
        assert_eq!(
            got.problem(404, "not_found")["detail"],
            unknown_detail,
            "{gone}"
        );
    }
    // The practitioner's feed is untouched.
    feed_text(&s, &url(&p_feed)).await;
    // The OpenAPI document: the API takes a bearer token, the feed none.
    let doc = s.get("/openapi.json", ADMIN).await;
    let paths = &doc.ok(200)["paths"];
    assert!(paths["/v1/feeds"]["post"]["responses"]["401"].is_object());
    assert!(paths["/v1/feeds/{id}"]["delete"]["responses"]["401"].is_object());
    let fetch = &paths["/feeds/{file}"]["get"]["responses"];
    assert!(
        fetch["404"].is_object() && fetch["401"].is_null(),
        "{fetch}"
    );
    s.stop().await;
}

#[tokio::test]
async fn calendar_feeds_sqlite() {
    calendar_feeds(Backend::Sqlite, "calendar_feeds_sqlite").await;
}

#[tokio::test]
async fn calendar_feeds_postgres() {
    calendar_feeds(Backend::Postgres, "calendar_feeds_postgres").await;
}

/// A creator with a login account here: disabling the account stops their
/// feed (the same 404, a deny audited) and their creating one; enabling it
/// again brings the feed back.
async fn disabled_creator(backend: Backend, test: &str) {
    let Some(s) = Server::start(backend, test).await else {
        return;
    };
    let yesterday = rfc(day(-1))[..10].to_owned();
    ny_provider(&s, &yesterday).await;
    let store = s.store(ORG).await;
    store
        .create_account(hcas_store::Account {
            username: "dr.acc".to_owned(),
            subject: "dr-acc".to_owned(),
            roles: vec!["doctor".to_owned()],
            password_hash: hcas_server::auth::hash_password("a long test password").unwrap(),
            created: hcas_core::Timestamp::from_unix(1_800_000_000).unwrap(),
            disabled: false,
        })
        .await
        .unwrap();
    let doctor = s.token("dr-acc", &[Role::Doctor]);
    let body = json!({ "subject": "Practitioner/P1" });
    let feed = s.post("/v1/feeds", &doctor, body.clone()).await;
    let feed = feed.ok(201).clone();
    let url = feed["url"].as_str().unwrap().to_owned();
    let target = format!("feed:{}", feed["id"].as_str().unwrap());
    feed_text(&s, &url).await;
    let unknown = fetch_feed(&s, "/feeds/nonsense.ics").await;
    let unknown_detail = unknown.problem(404, "not_found")["detail"].clone();

    store.set_account_disabled("dr.acc", true).await.unwrap();
    let got = fetch_feed(&s, &url).await;
    assert_eq!(got.problem(404, "not_found")["detail"], unknown_detail);
    assert_eq!(
        audited(&s, "feed.read", &target).await,
        [("dr-acc", "permit"), ("dr-acc", "deny")].map(|(a, o)| (a.to_owned(), o.to_owned()))
    );
    let denial = s
        .audit(ORG)
        .await
        .into_iter()
        .rfind(|r| r.event.target == target)
        .unwrap();
    assert_eq!(denial.event.detail["basis"], "account_disabled");
    // Nor may the disabled account (its token still unexpired) create one.
    problem(&s.post("/v1/feeds", &doctor, body).await, 403, "forbidden");
    assert_eq!(
        audited(&s, "feed.create", "practitioner:P1").await,
        [("dr-acc".to_owned(), "deny".to_owned())]
    );
    // Fail closed on the flag, not for good: enabled again, the feed answers.
    store.set_account_disabled("dr.acc", false).await.unwrap();
    feed_text(&s, &url).await;
    s.stop().await;
}

#[tokio::test]
async fn disabled_creator_sqlite() {
    disabled_creator(Backend::Sqlite, "disabled_creator_sqlite").await;
}

#[tokio::test]
async fn disabled_creator_postgres() {
    disabled_creator(Backend::Postgres, "disabled_creator_postgres").await;
}
