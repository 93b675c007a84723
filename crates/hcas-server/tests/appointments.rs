//! The appointments service over HTTP: slot search from the read model
//! (single provider and pooled by specialty) staying fresh as bookings and
//! schedules change, holds, booking with `Idempotency-Key`, conflicts naming
//! the bookings that hold the slot, the lifecycle with `If-Match`,
//! cancellation outcomes, reschedule, and who may do what.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use reqwest::Method;
use serde_json::{Value, json};
use support::{ADMIN, Backend, Reply, Server, at, day, problem, provider, rfc};

fn slots_path(who: &str, days: i64, duration: i64) -> String {
    format!(
        "/v1/slots?{who}&from={}&to={}&duration={duration}",
        rfc(day(days)),
        rfc(day(days + 1))
    )
}

/// `(start "HH:MM", providers)` of a slot answer.
fn offered(body: &Value) -> Vec<(String, Vec<String>)> {
    body["slots"]
        .as_array()
        .unwrap_or_else(|| panic!("no slots in {body}"))
        .iter()
        .map(|s| {
            let start = s["start"].as_str().unwrap();
            (
                start[11..16].to_string(),
                s["providers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

fn hhmm(v: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    v.iter()
        .map(|(t, ps)| (t.to_string(), ps.iter().map(|p| p.to_string()).collect()))
        .collect()
}

async fn book(
    s: &Server,
    token: &str,
    provider: &str,
    patient: &str,
    start: &str,
    minutes: i64,
) -> Reply {
    s.send(s.req(Method::POST, "/v1/appointments", token).json(&json!({
        "provider": provider, "patient": patient, "start": start, "duration": minutes
    })))
    .await
}

async fn act(
    s: &Server,
    token: &str,
    id: &str,
    action: &str,
    version: Option<i64>,
    body: Option<Value>,
) -> Reply {
    let mut rb = s.req(
        Method::POST,
        &format!("/v1/appointments/{id}/{action}"),
        token,
    );
    if let Some(v) = version {
        rb = rb.header("if-match", format!("\"{v}\""));
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    s.send(rb).await
}

async fn slots_stay_fresh(backend: Backend, test: &str) {
    let Some(s) = Server::start(backend, test).await else {
        return;
    };
    provider(&s, "P1", &["cardiology"], "09:00", "12:00").await;
    provider(&s, "P2", &["cardiology"], "10:00", "13:00").await;
    provider(&s, "P3", &["dermatology"], "09:00", "17:00").await;
    let one = s.get(&slots_path("provider=P1", 2, 60), "patient:X1").await;
    assert_eq!(one.status, 200, "{}", one.json);
    assert_eq!(one.json["duration"], 60);
    assert_eq!(
        offered(&one.json),
        hhmm(&[("09:00", &["P1"]), ("10:00", &["P1"]), ("11:00", &["P1"])])
    );
    let pool = s
        .get(&slots_path("specialty=cardiology", 2, 60), "patient:X1")
        .await;
    assert_eq!(
        offered(&pool.json),
        hhmm(&[
            ("09:00", &["P1"]),
            ("10:00", &["P1", "P2"]),
            ("11:00", &["P1", "P2"]),
            ("12:00", &["P2"])
        ])
    );

    // A booking takes the slot out of both searches at once.
    let Reply {
        status, json: b, ..
    } = book(&s, "patient:X1", "P1", "X1", &at(2, 10, 0), 60).await;
    assert_eq!(status, 201, "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    assert_eq!(
        offered(
            &s.get(&slots_path("provider=P1", 2, 60), "patient:X1")
                .await
                .json
        ),
        hhmm(&[("09:00", &["P1"]), ("11:00", &["P1"])])
    );
    assert_eq!(
        offered(
            &s.get(&slots_path("specialty=cardiology", 2, 60), "patient:X1")
                .await
                .json
        ),
        hhmm(&[
            ("09:00", &["P1"]),
            ("10:00", &["P2"]),
            ("11:00", &["P1", "P2"]),
            ("12:00", &["P2"])
        ])
    );
    // Cancelling gives it back.
    let got = act(
        &s,
        "patient:X1",
        &id,
        "cancel",
        Some(1),
        Some(json!({"reason": "better day"})),
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.json);
    assert_eq!(
        offered(
            &s.get(&slots_path("provider=P1", 2, 60), "patient:X1")
                .await
                .json
        ),
        hhmm(&[("09:00", &["P1"]), ("10:00", &["P1"]), ("11:00", &["P1"])])
    );
    // A schedule change shows at once; a deactivated provider leaves the pool.
    s.put("/v1/providers/P2/schedule", ADMIN, Some("\"1\""), json!({"timezone": "UTC", "rules": [{"rrule": "FREQ=DAILY", "dtstart": rfc(day(-1))[..10], "start": "12:00", "end": "13:00"}]}))
        .await
        .ok(200);
    assert_eq!(
        offered(
            &s.get(&slots_path("specialty=cardiology", 2, 60), "patient:X1")
                .await
                .json
        ),
        hhmm(&[
            ("09:00", &["P1"]),
            ("10:00", &["P1"]),
            ("11:00", &["P1"]),
            ("12:00", &["P2"])
        ])
    );
    s.put(
        "/v1/providers/P1",
        ADMIN,
        Some("\"1\""),
        json!({"name": "Dr P1", "specialties": ["cardiology"], "active": false}),
    )
    .await
    .ok(200);
    assert_eq!(
        offered(
            &s.get(&slots_path("specialty=cardiology", 2, 60), "patient:X1")
                .await
                .json
        ),
        hhmm(&[("12:00", &["P2"])])
    );
    // A step finer than the duration.
    let p3 = s
        .get(
            &format!(
                "/v1/slots?provider=P3&from={}&to={}&duration=60&step=30",
                at(2, 15, 0),
                at(3, 0, 0)
            ),
            "doctor:D1",
        )
        .await;
    assert_eq!(
        offered(&p3.json),
        hhmm(&[("15:00", &["P3"]), ("15:30", &["P3"]), ("16:00", &["P3"])])
    );

    // Bad searches are 4xx problems.
    let far = format!(
        "/v1/slots?provider=P1&from={}&to={}&duration=30",
        rfc(day(1)),
        rfc(day(64))
    );
    problem(&s.get(&far, "patient:X1").await, 422, "window_too_large");
    let both = format!(
        "/v1/slots?provider=P1&specialty=cardiology&from={}&to={}&duration=30",
        rfc(day(1)),
        rfc(day(2))
    );
    problem(&s.get(&both, "patient:X1").await, 422, "invalid_request");
    let backwards = format!(
        "/v1/slots?provider=P1&from={}&to={}&duration=30",
        rfc(day(2)),
        rfc(day(1))
    );
    problem(
        &s.get(&backwards, "patient:X1").await,
        422,
        "invalid_request",
    );
    problem(
        &s.get(&slots_path("provider=P1", 2, 0), "patient:X1").await,
        422,
        "invalid_request",
    );
    problem(
        &s.get(
            "/v1/slots?provider=P1&from=yesterday&to=today&duration=30",
            "patient:X1",
        )
        .await,
        422,
        "invalid_datetime",
    );
    problem(
        &s.get("/v1/slots?provider=P1", "patient:X1").await,
        422,
        "invalid_request",
    );
    problem(
        &s.get(&slots_path("provider=P404", 2, 30), "patient:X1")
            .await,
        404,
        "not_found",
    );
    problem(
        &s.get(&slots_path("provider=P1", 2, 30), "nobody").await,
        401,
        "unauthorized",
    );
    assert!(
        offered(
            &s.get(&slots_path("specialty=surgery", 2, 30), "patient:X1")
                .await
                .json
        )
        .is_empty()
    );
    s.stop().await;
}

#[tokio::test]
async fn slots_stay_fresh_sqlite() {
    slots_stay_fresh(Backend::Sqlite, "slots_sqlite").await;
}

#[tokio::test]
async fn slots_stay_fresh_postgres() {
    slots_stay_fresh(Backend::Postgres, "slots_postgres").await;
}

async fn booking_lifecycle(backend: Backend, test: &str) {
    let Some(s) = Server::start(backend, test).await else {
        return;
    };
    provider(&s, "P1", &["gp"], "00:00", "23:59").await;
    let start = at(3, 10, 0);

    // Book with an idempotency key; the replay answers the same booking.
    let rb = || {
        s.req(Method::POST, "/v1/appointments", "patient:X1")
            .header("idempotency-key", "k-123")
            .json(&json!({"provider": "P1", "patient": "X1", "start": start, "duration": 30}))
    };
    let Reply {
        status,
        json: first,
        headers,
    } = s.send(rb()).await;
    assert_eq!(status, 201, "{first}");
    let id = first["id"].as_str().unwrap().to_string();
    assert_eq!(
        headers["location"].to_str().unwrap(),
        format!("/v1/appointments/{id}")
    );
    assert_eq!(headers["etag"], "\"1\"");
    assert_eq!(
        (
            first["status"].as_str(),
            first["provider"].as_str(),
            first["patient"].as_str()
        ),
        (Some("booked"), Some("P1"), Some("X1"))
    );
    let Reply {
        status,
        json: again,
        ..
    } = s.send(rb()).await;
    assert_eq!(
        (status, again["id"].as_str()),
        (200, Some(id.as_str())),
        "{again}"
    );

    // Someone else at an overlapping time: 409 naming the booking that holds it.
    let clash = book(&s, "patient:X2", "P1", "X2", &at(3, 10, 15), 30).await;
    let clash = problem(&clash, 409, "conflict");
    assert_eq!(
        clash["conflicts"],
        json!([{"resource": "provider:P1", "with": [id]}])
    );
    // Outside working hours, or in the past: 422, whoever asks.
    problem(
        &book(&s, ADMIN, "P1", "X2", &at(3, 23, 45), 30).await,
        422,
        "slot_unavailable",
    );
    problem(
        &book(&s, ADMIN, "P1", "X2", &at(-1, 10, 0), 30).await,
        422,
        "slot_unavailable",
    );
    problem(
        &book(&s, ADMIN, "P404", "X2", &at(3, 9, 0), 30).await,
        404,
        "not_found",
    );
    problem(
        &book(&s, ADMIN, "P1", "X2", &at(3, 9, 0), 0).await,
        422,
        "invalid_request",
    );

    // Read it back.
    let got = s.get(&format!("/v1/appointments/{id}"), "patient:X1").await;
    assert_eq!((got.status, got.json["version"].as_i64()), (200, Some(1)));
    problem(
        &s.get("/v1/appointments/nope", ADMIN).await,
        404,
        "not_found",
    );

    // Cancel: If-Match required and checked, a reason required; two days
    // ahead it is not late.
    problem(
        &act(
            &s,
            "patient:X1",
            &id,
            "cancel",
            None,
            Some(json!({"reason": "x"})),
        )
        .await,
        428,
        "precondition_required",
    );
    problem(
        &act(
            &s,
            "patient:X1",
            &id,
            "cancel",
            Some(5),
            Some(json!({"reason": "x"})),
        )
        .await,
        412,
        "version_mismatch",
    );
    problem(
        &act(&s, "patient:X1", &id, "cancel", Some(1), None).await,
        422,
        "invalid_request",
    );
    problem(
        &act(&s, "patient:X1", &id, "teleport", Some(1), None).await,
        404,
        "not_found",
    );
    let done = act(
        &s,
        "patient:X1",
        &id,
        "cancel",
        Some(1),
        Some(json!({"reason": "feeling better"})),
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.json);
    assert_eq!(done.json["appointment"]["status"], "cancelled");
    assert_eq!(done.json["appointment"]["cancel_reason"], "feeling better");
    assert_eq!(done.json["transition"]["from"], "booked");
    assert_eq!(done.json["transition"]["late_cancellation"], false);
    problem(
        &act(
            &s,
            "patient:X1",
            &id,
            "cancel",
            Some(2),
            Some(json!({"reason": "again"})),
        )
        .await,
        409,
        "invalid_transition",
    );

    // A booking starting within the hour: check-in opens, completing before
    // the start is refused, and cancelling now is late.
    let now = chrono::Utc::now();
    let soon = chrono::DateTime::from_timestamp((now.timestamp() / 300 + 2) * 300, 0).unwrap();
    let Reply {
        status, json: near, ..
    } = book(&s, ADMIN, "P1", "X3", &rfc(soon), 4).await;
    assert_eq!(status, 201, "{near}");
    let near_id = near["id"].as_str().unwrap().to_string();
    problem(
        &act(&s, ADMIN, &near_id, "complete", Some(1), None).await,
        409,
        "invalid_transition",
    );
    let late = act(
        &s,
        "patient:X3",
        &near_id,
        "cancel",
        Some(1),
        Some(json!({"reason": "stuck in traffic"})),
    )
    .await;
    assert_eq!(late.status, 200, "{}", late.json);
    assert_eq!(
        late.json["transition"]["late_cancellation"], true,
        "{}",
        late.json
    );
    assert!(
        late.json["transition"]["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o.to_string().contains("late_cancellation")),
        "{}",
        late.json
    );
    let Reply {
        status,
        json: near2,
        ..
    } = book(&s, ADMIN, "P1", "X4", &rfc(soon), 4).await;
    assert_eq!(status, 201, "the cancelled slot is free again: {near2}");
    let near2_id = near2["id"].as_str().unwrap().to_string();
    let checked = act(&s, "patient:X4", &near2_id, "check-in", Some(1), None).await;
    assert_eq!(
        (
            checked.status,
            checked.json["appointment"]["status"].as_str()
        ),
        (200, Some("checked-in")),
        "{}",
        checked.json
    );
    problem(
        &act(&s, ADMIN, &near2_id, "no-show", Some(2), None).await,
        409,
        "invalid_transition",
    );

    // A hold, then confirmed.
    let Reply { status, json: hold, .. } = s
        .post("/v1/appointments/holds", "patient:X5", json!({
            "provider": "P1", "patient": "X5", "start": at(4, 9, 0), "duration": 30, "hold_minutes": 5
        }))
        .await;
    assert_eq!(
        (status, hold["status"].as_str()),
        (201, Some("held")),
        "{hold}"
    );
    assert!(hold["hold_expires"].is_string());
    let hold_id = hold["id"].as_str().unwrap().to_string();
    let other = book(&s, "patient:X6", "P1", "X6", &at(4, 9, 0), 30).await;
    assert_eq!(
        problem(&other, 409, "conflict")["conflicts"][0]["with"],
        json!([hold_id])
    );
    let confirmed = act(&s, "patient:X5", &hold_id, "confirm", Some(1), None).await;
    assert_eq!(
        (
            confirmed.status,
            confirmed.json["appointment"]["status"].as_str()
        ),
        (200, Some("booked")),
        "{}",
        confirmed.json
    );
    let bad_hold = s
        .post("/v1/appointments/holds", "patient:X5", json!({
            "provider": "P1", "patient": "X5", "start": at(4, 11, 0), "duration": 30, "hold_minutes": 600
        }))
        .await;
    problem(&bad_hold, 422, "invalid_request");

    // Reschedule: the new one is booked, the old one cancelled and linked.
    let Reply {
        status, json: r, ..
    } = book(&s, "patient:X7", "P1", "X7", &at(5, 9, 0), 30).await;
    assert_eq!(status, 201, "{r}");
    let rid = r["id"].as_str().unwrap().to_string();
    let Reply {
        status,
        json: moved,
        headers,
    } = act(
        &s,
        "patient:X7",
        &rid,
        "reschedule",
        Some(1),
        Some(json!({"start": at(5, 11, 0), "reason": "meeting moved"})),
    )
    .await;
    assert_eq!(status, 201, "{moved}");
    let new_id = moved["new"]["id"].as_str().unwrap();
    assert_eq!(
        headers["location"].to_str().unwrap(),
        format!("/v1/appointments/{new_id}")
    );
    assert_eq!(moved["old"]["status"], "cancelled");
    assert_eq!(moved["old"]["replaced_by"], new_id);
    assert_eq!(moved["new"]["replaces"], rid.as_str());
    assert_eq!(moved["new"]["start"], at(5, 11, 0));
    assert_eq!(moved["new"]["end"], at(5, 11, 30));
    let day5 = format!(
        "/v1/slots?provider=P1&from={}&to={}&duration=30",
        at(5, 9, 0),
        at(5, 11, 30)
    );
    let starts: Vec<String> = offered(&s.get(&day5, "patient:X7").await.json)
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert!(
        starts.contains(&"09:00".to_string()) && !starts.contains(&"11:00".to_string()),
        "{starts:?}"
    );
    let stale = act(
        &s,
        "patient:X7",
        &rid,
        "reschedule",
        Some(1),
        Some(json!({"start": at(5, 12, 0), "reason": "again"})),
    )
    .await;
    problem(&stale, 412, "version_mismatch");
    s.stop().await;
}

#[tokio::test]
async fn booking_lifecycle_sqlite() {
    booking_lifecycle(Backend::Sqlite, "lifecycle_sqlite").await;
}

#[tokio::test]
async fn booking_lifecycle_postgres() {
    booking_lifecycle(Backend::Postgres, "lifecycle_postgres").await;
}

#[tokio::test]
async fn patients_act_for_themselves_staff_for_anyone() {
    let s = Server::start(Backend::Sqlite, "who").await.unwrap();
    provider(&s, "P1", &["gp"], "08:00", "18:00").await;
    // A patient books for themselves, not for someone else.
    let Reply {
        status, json: own, ..
    } = book(&s, "patient:X1", "P1", "X1", &at(2, 9, 0), 30).await;
    assert_eq!(status, 201, "{own}");
    let own_id = own["id"].as_str().unwrap().to_string();
    problem(
        &book(&s, "patient:X1", "P1", "X2", &at(2, 10, 0), 30).await,
        403,
        "forbidden",
    );
    // Another patient can neither read nor cancel it.
    problem(
        &s.get(&format!("/v1/appointments/{own_id}"), "patient:X2")
            .await,
        403,
        "forbidden",
    );
    problem(
        &act(
            &s,
            "patient:X2",
            &own_id,
            "cancel",
            Some(1),
            Some(json!({"reason": "x"})),
        )
        .await,
        403,
        "forbidden",
    );
    // Doctors, nurses and administrators act for any patient.
    for (i, token) in ["doctor:D1", "nurse:N1", ADMIN].iter().enumerate() {
        let Reply {
            status, json: b, ..
        } = book(
            &s,
            token,
            "P1",
            &format!("Y{i}"),
            &at(2, 11 + i as i64, 0),
            30,
        )
        .await;
        assert_eq!(status, 201, "{token}: {b}");
        let got = s.get(&format!("/v1/appointments/{own_id}"), token).await;
        assert_eq!(got.status, 200, "{token}: {}", got.json);
    }
    // No token: 401 before anything else.
    let Reply { status, .. } = s
        .send(
            s.client
                .post(format!("{}/v1/appointments", s.base))
                .json(&json!({})),
        )
        .await;
    assert_eq!(status, 401);
    s.stop().await;
}

#[tokio::test]
async fn why_not_offered_and_alternatives() {
    let s = Server::start(Backend::Sqlite, "advice").await.unwrap();
    provider(&s, "P1", &["gp"], "09:00", "12:00").await;
    let Reply {
        status, json: b, ..
    } = book(&s, "patient:X1", "P1", "X1", &at(2, 10, 0), 60).await;
    assert_eq!(status, 201, "{b}");
    let explain = |start: String, duration: i64| {
        format!("/v1/slots/explain?provider=P1&start={start}&duration={duration}")
    };
    let reasons = |v: &Value| -> Vec<String> {
        v["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["reason"].as_str().unwrap().to_string())
            .collect()
    };
    let ok = s.get(&explain(at(2, 9, 0), 60), "patient:X2").await;
    assert_eq!(
        (ok.status, ok.json["offered"].as_bool()),
        (200, Some(true)),
        "{}",
        ok.json
    );
    assert!(reasons(&ok.json).is_empty());
    let busy = s.get(&explain(at(2, 10, 0), 60), "patient:X2").await;
    assert_eq!(busy.json["offered"], false);
    assert_eq!(reasons(&busy.json), ["busy"], "{}", busy.json);
    assert!(
        !busy.json.to_string().contains("X1"),
        "no other patient's data"
    );
    let closed = s.get(&explain(at(2, 13, 0), 60), "patient:X2").await;
    assert_eq!(
        reasons(&closed.json),
        ["outside_working_hours"],
        "{}",
        closed.json
    );
    let off = s.get(&explain(at(2, 9, 20), 60), "patient:X2").await;
    assert!(
        reasons(&off.json).contains(&"off_grid".to_string()),
        "{}",
        off.json
    );
    let late = s.get(&explain(at(2, 11, 30), 60), "patient:X2").await;
    assert!(
        reasons(&late.json).contains(&"does_not_fit".to_string()),
        "{}",
        late.json
    );
    problem(
        &s.get(&explain("soon".into(), 60), "patient:X2").await,
        422,
        "invalid_datetime",
    );
    problem(
        &s.get(
            "/v1/slots/explain?provider=P9&start=2030-01-01T00:00:00Z&duration=30",
            "patient:X2",
        )
        .await,
        404,
        "not_found",
    );

    let alt = s
        .get(
            &format!(
                "/v1/slots/alternatives?provider=P1&start={}&duration=60&count=2",
                at(2, 10, 0)
            ),
            "patient:X2",
        )
        .await;
    assert_eq!(alt.status, 200, "{}", alt.json);
    assert_eq!(alt.json["before"], json!([at(2, 9, 0), at(1, 11, 0)]));
    assert_eq!(alt.json["after"], json!([at(2, 11, 0), at(3, 9, 0)]));
    problem(
        &s.get(
            &format!(
                "/v1/slots/alternatives?provider=P1&start={}&duration=60&count=0",
                at(2, 10, 0)
            ),
            "patient:X2",
        )
        .await,
        422,
        "invalid_request",
    );
    s.stop().await;
}

#[tokio::test]
async fn series_book_edit_cancel_sqlite() {
    series_book_edit_cancel(Backend::Sqlite, "series_sqlite").await;
}

#[tokio::test]
async fn series_book_edit_cancel_postgres() {
    series_book_edit_cancel(Backend::Postgres, "series_postgres").await;
}

async fn series_book_edit_cancel(backend: Backend, test: &str) {
    let Some(s) = Server::start(backend, test).await else {
        return;
    };
    provider(&s, "P1", &["physio"], "09:00", "17:00").await;
    let local = |days: i64, hh: &str| format!("{}T{hh}:00", &rfc(day(days))[..10]);
    let series = json!({
        "id": "S1", "provider": "P1", "patient": "X1", "rrule": "FREQ=DAILY;COUNT=3",
        "dtstart": local(2, "10:00"), "timezone": "UTC", "duration": 30
    });
    let booked = s.post("/v1/series", "patient:X1", &series).await;
    assert_eq!(booked.status, 201, "{}", booked.json);
    assert_eq!(booked.json["booked"], true);
    assert_eq!(booked.json["occurrences"].as_array().unwrap().len(), 3);
    // The same times again: all or nothing, 409 naming every occurrence it hits.
    let mut again = series.clone();
    again["id"] = json!("S2");
    again["patient"] = json!("X2");
    let clash = problem(
        &s.post("/v1/series", "patient:X2", &again).await,
        409,
        "conflict",
    );
    let occurrence = |days: i64| format!("S1.{}T100000", rfc(day(days))[..10].replace('-', ""));
    assert_eq!(
        clash["conflicts"],
        json!([
            {"resource": "provider:P1", "with": [occurrence(2)]},
            {"resource": "provider:P1", "with": [occurrence(3)]},
            {"resource": "provider:P1", "with": [occurrence(4)]},
        ])
    );
    problem(&s.get("/v1/series/S2", ADMIN).await, 404, "not_found");
    // Outside working hours: refused before the store.
    let mut evening = series.clone();
    evening["id"] = json!("S3");
    evening["dtstart"] = json!(local(2, "20:00"));
    problem(
        &s.post("/v1/series", "patient:X1", &evening).await,
        422,
        "slot_unavailable",
    );
    let mut bad = series.clone();
    bad["rrule"] = json!("FREQ=SOMETIMES");
    problem(
        &s.post("/v1/series", "patient:X1", &bad).await,
        422,
        "invalid_rrule",
    );

    let got = s.get("/v1/series/S1", "patient:X1").await;
    assert_eq!(got.status, 200, "{}", got.json);
    let starts: Vec<&str> = got.json["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["start"].as_str().unwrap())
        .collect();
    assert_eq!(starts, [at(2, 10, 0), at(3, 10, 0), at(4, 10, 0)]);
    problem(
        &s.get("/v1/series/S1", "patient:X2").await,
        403,
        "forbidden",
    );
    let day2 = format!(
        "/v1/slots?provider=P1&from={}&to={}&duration=30",
        at(2, 10, 0),
        at(2, 11, 0)
    );
    assert_eq!(
        offered(&s.get(&day2, "patient:X1").await.json),
        hhmm(&[("10:30", &["P1"])])
    );

    // Move this and the following by an hour onto someone else's booking:
    // nothing moves; by two hours: day 3 and 4 move, day 2 stays.
    let Reply {
        status,
        json: other,
        ..
    } = book(&s, "patient:X9", "P1", "X9", &at(4, 11, 0), 30).await;
    assert_eq!(status, 201, "{other}");
    let shift = |minutes: i64| json!({"recurrence_id": local(3, "10:00"), "scope": "this_and_following", "timezone": "UTC", "minutes": minutes, "reason": "clinic hours"});
    let refused = problem(
        &s.post("/v1/series/S1/shift", "patient:X1", &shift(60))
            .await,
        409,
        "conflict",
    );
    assert_eq!(refused["conflicts"][0]["with"], json!([other["id"]]));
    let moved = s
        .post("/v1/series/S1/shift", "patient:X1", &shift(120))
        .await;
    assert_eq!(
        (moved.status, moved.json["applied"].as_bool()),
        (200, Some(true)),
        "{}",
        moved.json
    );
    let got = s.get("/v1/series/S1", "patient:X1").await;
    let starts: Vec<&str> = got.json["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["start"].as_str().unwrap())
        .collect();
    assert_eq!(starts, [at(2, 10, 0), at(3, 12, 0), at(4, 12, 0)]);

    // Cancel them all.
    problem(
        &s.post(
            "/v1/series/S1/cancel",
            "patient:X1",
            &json!({"recurrence_id": local(2, "10:00"), "scope": "all", "reason": " "}),
        )
        .await,
        422,
        "invalid_request",
    );
    let cancelled = s
        .post(
            "/v1/series/S1/cancel",
            "patient:X1",
            &json!({"recurrence_id": local(2, "10:00"), "scope": "all", "reason": "recovered"}),
        )
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.json);
    assert_eq!(cancelled.json["cancelled"].as_array().unwrap().len(), 3);
    let got = s.get("/v1/series/S1", "patient:X1").await;
    assert!(
        got.json["occurrences"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] == "cancelled"),
        "{}",
        got.json
    );
    assert_eq!(
        offered(&s.get(&day2, "patient:X1").await.json),
        hhmm(&[("10:00", &["P1"]), ("10:30", &["P1"])])
    );
    s.stop().await;
}

#[tokio::test]
async fn waitlist_gets_the_freed_slot_sqlite() {
    waitlist_gets_the_freed_slot(Backend::Sqlite, "waitlist_sqlite").await;
}

#[tokio::test]
async fn waitlist_gets_the_freed_slot_postgres() {
    waitlist_gets_the_freed_slot(Backend::Postgres, "waitlist_postgres").await;
}

async fn waitlist_gets_the_freed_slot(backend: Backend, test: &str) {
    let Some(s) = Server::start(backend, test).await else {
        return;
    };
    provider(&s, "P1", &["gp"], "09:00", "17:00").await;
    let Reply {
        status, json: b, ..
    } = book(&s, "patient:X1", "P1", "X1", &at(2, 10, 0), 30).await;
    assert_eq!(status, 201, "{b}");
    let booking = b["id"].as_str().unwrap().to_string();
    let join = |patient: &str| json!({"provider": "P1", "patient": patient, "from": at(2, 0, 0), "to": at(3, 0, 0)});
    let first = s.post("/v1/waitlist", "patient:X2", &join("X2")).await;
    assert_eq!(first.status, 201, "{}", first.json);
    let second = s.post("/v1/waitlist", "patient:X3", &join("X3")).await;
    assert_eq!(second.status, 201, "{}", second.json);
    problem(
        &s.post("/v1/waitlist", "patient:X3", &join("X4")).await,
        403,
        "forbidden",
    );
    let mut ended = join("X3");
    ended["from"] = json!(at(-3, 0, 0));
    ended["to"] = json!(at(-2, 0, 0));
    problem(
        &s.post("/v1/waitlist", "patient:X3", &ended).await,
        422,
        "invalid_request",
    );
    problem(
        &s.get("/v1/waitlist?provider=P1", "patient:X2").await,
        403,
        "forbidden",
    );
    let list = s.get("/v1/waitlist?provider=P1", "doctor:D1").await;
    let patients: Vec<&str> = list
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["patient"].as_str().unwrap())
        .collect();
    assert_eq!(patients, ["X2", "X3"]);

    // X1 cancels: the slot is held for X2, the first in line, who leaves the list.
    let done = act(
        &s,
        "patient:X1",
        &booking,
        "cancel",
        Some(1),
        Some(json!({"reason": "moving away"})),
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.json);
    let clash = book(&s, "patient:X5", "P1", "X5", &at(2, 10, 0), 30).await;
    let clash = problem(&clash, 409, "conflict");
    let hold = clash["conflicts"][0]["with"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(hold, booking);
    let held = s
        .get(&format!("/v1/appointments/{hold}"), "patient:X2")
        .await;
    assert_eq!(held.status, 200, "{}", held.json);
    assert_eq!(
        (held.json["status"].as_str(), held.json["patient"].as_str()),
        (Some("held"), Some("X2"))
    );
    let confirmed = act(&s, "patient:X2", &hold, "confirm", Some(1), None).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.json);
    let list = s.get("/v1/waitlist?provider=P1", ADMIN).await;
    let patients: Vec<&str> = list
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["patient"].as_str().unwrap())
        .collect();
    assert_eq!(patients, ["X3"]);

    // X3 leaves the list.
    let id = second.json["id"].as_str().unwrap();
    let body = s
        .delete(&format!("/v1/waitlist/{id}?provider=P1"), "patient:X2")
        .await;
    problem(&body, 403, "forbidden");
    let Reply {
        status, json: body, ..
    } = s
        .delete(&format!("/v1/waitlist/{id}?provider=P1"), "patient:X3")
        .await;
    assert_eq!(
        (status, body["patient"].as_str()),
        (200, Some("X3")),
        "{body}"
    );
    assert_eq!(
        s.get("/v1/waitlist?provider=P1", ADMIN).await.json,
        json!([])
    );
    s.stop().await;
}

/// A booking written by someone else (another process, straight into the
/// store) reaches slot search through the outbox relay and the bus alone,
/// and the relay marks the events sent.
async fn events_refresh_the_read_model(backend: Backend, test: &str) {
    let Some(s) = Server::start(backend, test).await else {
        return;
    };
    provider(&s, "P1", &["gp"], "09:00", "12:00").await;
    let path = slots_path("provider=P1", 2, 60);
    let all = hhmm(&[("09:00", &["P1"]), ("10:00", &["P1"]), ("11:00", &["P1"])]);
    assert_eq!(offered(&s.get(&path, "patient:X1").await.json), all);
    let org = hcas_server::tenants::OrgId::parse(support::ORG).unwrap();
    let store = s.state().tenants.store(&org).await.unwrap();
    let start: hcas_core::Timestamp = at(2, 10, 0).parse().unwrap();
    let booking = hcas_core::booking::Booking::new(
        "outside-1",
        vec!["provider:P1".into(), "patient:X9".into()],
        hcas_core::Interval::new(start, start.plus_minutes(60).unwrap()).unwrap(),
    )
    .build()
    .unwrap();
    let now = hcas_core::Timestamp::try_from(std::time::SystemTime::now()).unwrap();
    store.book(booking, None, now).await.unwrap();
    let fresh = hhmm(&[("09:00", &["P1"]), ("11:00", &["P1"])]);
    let mut seen = Vec::new();
    for _ in 0..200 {
        seen = offered(&s.get(&path, "patient:X1").await.json);
        if seen == fresh {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        seen, fresh,
        "the appointment.created event never reached the read model"
    );
    let mut pending = usize::MAX;
    for _ in 0..200 {
        pending = store.outbox_pending(100).await.unwrap().len();
        if pending == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(pending, 0, "the relay marks what it published as sent");
    s.stop().await;
}

#[tokio::test]
async fn events_refresh_the_read_model_sqlite() {
    events_refresh_the_read_model(Backend::Sqlite, "events_sqlite").await;
}

#[tokio::test]
async fn events_refresh_the_read_model_postgres() {
    events_refresh_the_read_model(Backend::Postgres, "events_postgres").await;
}

#[tokio::test]
async fn time_off_and_inactive_providers_offer_nothing() {
    let s = Server::start(Backend::Sqlite, "time_off").await.unwrap();
    provider(&s, "P1", &["gp"], "09:00", "13:00").await;
    let path = slots_path("provider=P1", 2, 60);
    assert_eq!(offered(&s.get(&path, "patient:X1").await.json).len(), 4);
    s.put("/v1/providers/P1/schedule", ADMIN, Some("\"1\""), json!({
                    "timezone": "UTC",
                    "rules": [{"rrule": "FREQ=DAILY", "dtstart": rfc(day(-1))[..10], "start": "09:00", "end": "13:00"}],
                    "time_off": [{"start": at(2, 10, 0), "end": at(2, 12, 0), "reason": "training"}]
                }))
        .await
        .ok(200);
    assert_eq!(
        offered(&s.get(&path, "patient:X1").await.json),
        hhmm(&[("09:00", &["P1"]), ("12:00", &["P1"])])
    );
    problem(
        &book(&s, ADMIN, "P1", "X1", &at(2, 10, 0), 60).await,
        422,
        "slot_unavailable",
    );
    s.put(
        "/v1/providers/P1",
        ADMIN,
        Some("\"1\""),
        json!({"name": "Dr P1", "active": false}),
    )
    .await
    .ok(200);
    assert!(offered(&s.get(&path, "patient:X1").await.json).is_empty());
    problem(
        &book(&s, ADMIN, "P1", "X1", &at(2, 9, 0), 60).await,
        422,
        "provider_inactive",
    );
    s.stop().await;
}
