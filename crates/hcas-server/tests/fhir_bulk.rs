//! SMART Scheduling Links publishing (`$bulk-publish`, docs/fhir.md):
//! public, one organization (`publish_org`), Location/Schedule/Slot/
//! PractitionerRole NDJSON, busy and free slots over the horizon, the
//! booking deep link, `Cache-Control`, strong ETags and 304, `_since`, no
//! patient data in any file; Location read and search on the FHIR API. The
//! specification's rules are checked by an independent script,
//! `tests/fhir/bulk_check.py` (fhir.resources validates every line), run
//! with the FHIR venv as `tests/fhir_client.rs` does (`HCAS_FHIR_PYTHON`,
//! `HCAS_REQUIRE_FHIR_PY`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;

use hcas_core::consent::Role;
use hcas_server::config::{Config, LocationDetails};
use serde_json::{Value, json};
use support::*;

const BULK: &str = "/fhir/r4/$bulk-publish";
const HORIZON_DAYS: i64 = 3;

fn configure(c: &mut Config) {
    c.publish.org = Some(ORG.to_string());
    c.publish.horizon_days = u32::try_from(HORIZON_DAYS).unwrap();
    c.publish.booking_phone = Some("555-0199".into());
    c.publish.locations.insert(
        "Main St".into(),
        LocationDetails::new(&["1 Main St"], "Springfield", "MA", "01101")
            .with_contact(Some("555-0100"), Some("https://clinic.example/main")),
    );
    c.publish.locations.insert(
        "Annex".into(),
        LocationDetails::new(&["2 Side St", "Floor 3"], "Providence", "RI", "02903")
            .with_contact(None, Some("https://clinic.example/annex")),
    );
    // Configured, but no provider works there: not published.
    c.publish.locations.insert(
        "Old Site".into(),
        LocationDetails::new(&["9 Old Rd"], "Burlington", "VT", "05401"),
    );
}

/// Providers: P1 and P2 at "Main St", P3 at "Annex", P4 without a
/// location, P5 inactive at "Closed Wing"; each works 09:00-12:00 UTC daily.
/// Patient X1 books P1 at 09:00 on day 1.
async fn setup(s: &Server) {
    for (id, location, active) in [
        ("P1", Some("Main St"), true),
        ("P2", Some("Main St"), true),
        ("P3", Some("Annex"), true),
        ("P4", None, true),
        ("P5", Some("Closed Wing"), false),
    ] {
        let mut body =
            json!({"id": id, "name": format!("Dr {id}"), "specialties": ["gp"], "active": active});
        if let Some(l) = location {
            body["location"] = l.into();
        }
        s.post("/v1/providers", ADMIN, body).await.ok(201);
        let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
        s.call(
            "PUT",
            &format!("/v1/providers/{id}/schedule"),
            ADMIN,
            Some(json!({"timezone": "UTC", "rules": [{"rrule": "FREQ=DAILY",
                "dtstart": yesterday.to_string(), "start": "09:00", "end": "12:00"}]})),
            &[],
        )
        .await
        .ok(201);
    }
    s.post(
        "/v1/patients",
        ADMIN,
        patient("X1", "Alice Secretname", "1970-01-01", &[]),
    )
    .await
    .ok(201);
    book(s, "P1", &at(1, 9, 0)).await;
}

async fn book(s: &Server, provider: &str, start: &str) -> String {
    let b = s
        .post(
            "/v1/appointments",
            "patient:X1",
            json!({"provider": provider, "patient": "X1", "start": start, "duration": 30}),
        )
        .await;
    b.ok(201)["id"].as_str().unwrap().to_string()
}

/// A public GET (no token) of `path` with `headers`.
async fn public(s: &Server, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut rb = s.client.get(format!("{}{path}", s.base));
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    rb.send().await.unwrap()
}

/// The lines of an NDJSON file, parsed.
async fn file(s: &Server, path: &str) -> Vec<Value> {
    let r = public(s, path, &[]).await;
    assert_eq!(r.status(), 200, "{path}");
    assert_eq!(r.headers()["content-type"], "application/fhir+ndjson");
    let text = r.text().await.unwrap();
    assert!(text.is_empty() || text.ends_with('\n'), "{text}");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn ids(v: &[Value]) -> BTreeSet<String> {
    v.iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// The grid starts each provider works from day 1 to the horizon (09:00 to
/// 11:30 UTC every half hour): derived from the schedule `setup` stores.
fn expected_grid() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for d in 1..HORIZON_DAYS {
        for m in (9 * 60..12 * 60).step_by(30) {
            out.insert(at(d, m / 60, m % 60));
        }
    }
    out
}

/// The Slot file's (schedule, start, status) from day 1 on (today's grid
/// depends on the hour the test runs).
fn from_day_one(slots: &[Value]) -> BTreeSet<(String, String, String)> {
    let day1 = at(1, 0, 0);
    slots
        .iter()
        .filter(|s| s["start"].as_str().unwrap() >= day1.as_str())
        .map(|s| {
            (
                s["schedule"]["reference"].as_str().unwrap().to_string(),
                s["start"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn manifest_and_files(s: &Server) {
    setup(s).await;
    let r = public(s, BULK, &[]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.headers()["cache-control"], "public, max-age=60");
    let m: Value = r.json().await.unwrap();
    assert_eq!(m["request"], format!("{}{BULK}", s.base));
    assert_eq!(m["error"], json!([]));
    let outputs: Vec<(String, String)> = m["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["type"].as_str().unwrap().to_string(),
                o["url"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let types: Vec<&str> = outputs.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, ["Location", "Schedule", "Slot", "PractitionerRole"]);
    for (ty, url) in &outputs {
        assert_eq!(*url, format!("{}{BULK}/{ty}.ndjson", s.base));
    }
    // The jurisdictions of the published locations only.
    for o in m["output"].as_array().unwrap() {
        assert_eq!(o["extension"], json!({"state": ["MA", "RI"]}));
    }

    let locations = file(s, &format!("{BULK}/Location.ndjson")).await;
    let want: BTreeSet<String> = ["Main St", "Annex"]
        .iter()
        .map(|n| hcas_core::fhir::location_id(n))
        .collect();
    assert_eq!(ids(&locations), want);
    let main = locations.iter().find(|l| l["name"] == "Main St").unwrap();
    assert_eq!(main["address"]["postalCode"], "01101");
    assert_eq!(
        main["telecom"][0],
        json!({"system": "phone", "value": "555-0100"})
    );

    let schedules = file(s, &format!("{BULK}/Schedule.ndjson")).await;
    assert_eq!(ids(&schedules), ["P1", "P2", "P3"].map(String::from).into());
    let p3 = schedules.iter().find(|x| x["id"] == "P3").unwrap();
    assert_eq!(
        p3["actor"],
        json!([{"reference": format!("Location/{}", hcas_core::fhir::location_id("Annex"))}])
    );
    let roles = file(s, &format!("{BULK}/PractitionerRole.ndjson")).await;
    assert_eq!(ids(&roles), ids(&schedules));

    let slots = file(s, &format!("{BULK}/Slot.ndjson")).await;
    let mut want = BTreeSet::new();
    for p in ["P1", "P2", "P3"] {
        for start in expected_grid() {
            let busy = p == "P1" && start == at(1, 9, 0);
            let status = if busy { "busy" } else { "free" };
            want.insert((format!("Schedule/{p}"), start, status.to_string()));
        }
    }
    assert_eq!(from_day_one(&slots), want);
    let booked = slots
        .iter()
        .find(|x| x["status"] == "busy" && x["start"] == at(1, 9, 0).as_str())
        .unwrap();
    assert_eq!(
        booked["extension"],
        json!([{"url": hcas_core::fhir::EXT_BOOKING_PHONE, "valueString": "555-0199"}]),
        "a busy slot carries no booking link"
    );
    // The default deep link is the Slot on the FHIR API, which reads it.
    let free = slots.iter().find(|x| x["status"] == "free").unwrap();
    let link = free["extension"][0]["valueUrl"].as_str().unwrap();
    assert_eq!(
        link,
        format!("{}/fhir/r4/Slot/{}", s.base, free["id"].as_str().unwrap())
    );
    let read = s
        .get(link.strip_prefix(&s.base).unwrap(), "patient:X1")
        .await;
    assert_eq!(read.ok(200)["start"], free["start"]);

    // No patient data anywhere: no patient id, name or reference.
    for (ty, _) in &outputs {
        let text = public(s, &format!("{BULK}/{ty}.ndjson"), &[])
            .await
            .text()
            .await
            .unwrap();
        for secret in ["X1", "Secretname", "Patient", "participant"] {
            assert!(!text.contains(secret), "{ty} file shows {secret}");
        }
    }
}

async fn etags(s: &Server) {
    for path in [BULK.to_string(), format!("{BULK}/Slot.ndjson")] {
        // The body may change between two requests (the clock passes a
        // slot or a minute): then a new ETag must come, and a retry 304s.
        let mut not_modified = false;
        for _ in 0..5 {
            let first = public(s, &path, &[]).await;
            let tag = first.headers()["etag"].to_str().unwrap().to_string();
            assert!(
                tag.starts_with('"') && tag.ends_with('"'),
                "a strong ETag: {tag}"
            );
            let second = public(s, &path, &[("if-none-match", &tag)]).await;
            if second.status() == 304 {
                assert_eq!(second.headers()["etag"].to_str().unwrap(), tag);
                assert_eq!(second.headers()["cache-control"], "public, max-age=60");
                assert!(second.bytes().await.unwrap().is_empty());
                not_modified = true;
                break;
            }
            assert_eq!(second.status(), 200);
            assert_ne!(second.headers()["etag"].to_str().unwrap(), tag);
        }
        assert!(not_modified, "{path}: never 304");
        let other = public(s, &path, &[("if-none-match", "\"nope\"")]).await;
        assert_eq!(other.status(), 200);
    }
    // A booking changes the Slot file, so its ETag.
    let before = public(s, &format!("{BULK}/Slot.ndjson"), &[]).await;
    let tag = before.headers()["etag"].to_str().unwrap().to_string();
    book(s, "P2", &at(2, 11, 0)).await;
    let after = public(
        s,
        &format!("{BULK}/Slot.ndjson"),
        &[("if-none-match", &tag)],
    )
    .await;
    assert_eq!(after.status(), 200);
}

async fn since(s: &Server) {
    // `_since` after every change so far: wait until the clock passes the
    // last booking's change, by whole seconds (history times are seconds).
    let store = s.store(ORG).await;
    let p1 = book(s, "P3", &at(1, 10, 0)).await;
    let booked_at = store.history(&p1).await.unwrap().last().unwrap().at;
    let cut = booked_at.plus_seconds(1).unwrap();
    while hcas_core::Timestamp::from_unix(chrono::Utc::now().timestamp()).unwrap() < cut {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let q = format!("?_since={}", cut.to_string().replace(':', "%3A"));
    let m = public(s, &format!("{BULK}{q}"), &[]).await;
    let m: Value = m.json().await.unwrap();
    assert_eq!(m["request"], format!("{}{BULK}{q}", s.base));
    let slot_url = m["output"][2]["url"].as_str().unwrap().to_string();
    assert_eq!(slot_url, format!("{}{BULK}/Slot.ndjson{q}", s.base));
    let path = slot_url.strip_prefix(&s.base).unwrap();
    assert!(
        file(s, path).await.is_empty(),
        "nothing changed since {cut}"
    );

    // A booking and a cancellation after the cut: exactly their slots.
    book(s, "P2", &at(2, 9, 30)).await;
    let gone = book(s, "P3", &at(2, 10, 30)).await;
    s.call(
        "POST",
        &format!("/v1/appointments/{gone}/cancel"),
        "patient:X1",
        Some(json!({"reason": "plans changed"})),
        &[("if-match", "\"1\"")],
    )
    .await
    .ok(200);
    let changed = from_day_one(&file(s, path).await);
    let want: BTreeSet<_> = [
        ("Schedule/P2", at(2, 9, 30), "busy"),
        ("Schedule/P3", at(2, 10, 30), "free"),
    ]
    .into_iter()
    .map(|(a, b, c)| (a.to_string(), b, c.to_string()))
    .collect();
    assert_eq!(changed, want);
    // The other files are whole.
    assert_eq!(
        file(s, &format!("{BULK}/Schedule.ndjson{q}")).await.len(),
        3
    );
    // A malformed `_since` is 400 with what to write.
    let bad = public(s, &format!("{BULK}/Slot.ndjson?_since=yesterday"), &[]).await;
    assert_eq!(bad.status(), 400);
    let o: Value = bad.json().await.unwrap();
    assert_eq!(o["resourceType"], "OperationOutcome");
    assert_eq!(
        o["issue"][0]["details"]["coding"][0]["code"],
        "invalid_search"
    );
}

async fn location_api(s: &Server) {
    let token = s.token("D1", &[Role::Doctor]);
    let id = hcas_core::fhir::location_id("Main St");
    let l = s.get(&format!("/fhir/r4/Location/{id}"), &token).await;
    assert_eq!(l.ok(200)["name"], "Main St");
    let found = s.get("/fhir/r4/Location?name=clos", &token).await;
    let found = found.ok(200);
    assert_eq!(
        found["total"], 1,
        "an inactive provider's location is still a Location"
    );
    assert_eq!(
        found["entry"][0]["resource"]["address"],
        json!({"text": "Closed Wing"})
    );
    let both = s.get("/fhir/r4/Location?name=main,annex", &token).await;
    assert_eq!(both.ok(200)["total"], 2);
    let role = s.get("/fhir/r4/PractitionerRole/P1", &token).await;
    assert_eq!(
        role.ok(200)["location"],
        json!([{"reference": format!("Location/{id}")}])
    );
    let none = s.get("/fhir/r4/Location/nowhere", &token).await;
    assert_eq!(none.status, 404);
    assert_eq!(s.get("/fhir/r4/Location", "").await.status, 401);
}

async fn checker(s: &Server) {
    let Some(python) = tools_python("fhir.resources", "HCAS_REQUIRE_FHIR_PY") else {
        return;
    };
    let mut cmd = std::process::Command::new(python);
    cmd.arg(bulk_check())
        .env("HCAS_BULK_URL", format!("{}{BULK}", s.base))
        .env("HCAS_BULK_DEEP_LINKS", "1");
    let stdout = tool_passes("bulk_check.py", cmd).await;
    assert!(stdout.contains("statuses ['busy', 'free']"), "{stdout}");
}

fn bulk_check() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fhir/bulk_check.py")
}

/// The checker refuses what the specification forbids: a Location without
/// an address (P4 moves to a location none is configured for).
async fn checker_refuses(s: &Server) {
    let Some(python) = tools_python("fhir.resources", "HCAS_REQUIRE_FHIR_PY") else {
        return;
    };
    let p4 = s.get("/v1/providers/P4", ADMIN).await;
    let version = p4.headers["etag"].to_str().unwrap().to_string();
    let mut body = p4.ok(200).clone();
    body.as_object_mut().unwrap().remove("version");
    body["location"] = json!("Unconfigured Hall");
    s.put("/v1/providers/P4", ADMIN, Some(&version), body)
        .await
        .ok(200);
    let mut cmd = std::process::Command::new(python);
    cmd.arg(bulk_check())
        .env("HCAS_BULK_URL", format!("{}{BULK}", s.base));
    let out = run_tool(cmd).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the checker passed a Location without address"
    );
    assert!(
        stderr.contains("violation: Location/unconfigured-hall-"),
        "{stderr}"
    );
}

async fn all(s: &Server) {
    manifest_and_files(s).await;
    location_api(s).await;
    checker(s).await;
    etags(s).await;
    since(s).await;
    checker_refuses(s).await;
}

#[tokio::test]
async fn bulk_publish_sqlite() {
    let s = Server::start_with(Backend::Sqlite, "sqlite", configure)
        .await
        .unwrap();
    all(&s).await;
    s.stop().await;
}

#[tokio::test]
async fn bulk_publish_postgres() {
    let Some(s) = Server::start_with(Backend::Postgres, "fhir_bulk_postgres", configure).await
    else {
        return;
    };
    all(&s).await;
    s.stop().await;
}

#[tokio::test]
async fn publishing_is_off_without_publish_org() {
    let s = Server::sqlite().await;
    let r = public(&s, BULK, &[]).await;
    assert_eq!(r.status(), 404);
    let o: Value = r.json().await.unwrap();
    assert_eq!(o["resourceType"], "OperationOutcome");
    let r = public(&s, &format!("{BULK}/Slot.ndjson"), &[]).await;
    assert_eq!(r.status(), 404);
    s.stop().await;
}
