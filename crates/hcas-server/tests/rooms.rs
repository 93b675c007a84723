//! Rooms (issue 18): a provider's profile `room` makes every new booking of
//! the provider hold `room:<id>` too, so two providers sharing a room are
//! never booked into it at once (also under a race), slot search leaves out
//! the room's busy times, a reschedule keeps the room the booking was made
//! with, holds, series and waitlist offers hold it too, and staff read a room's appointments (`GET /v1/rooms/{id}/appointments`,
//! through the consent gate, audited); on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{Value, json};
use support::{ADMIN, Backend, ORG, Server, at, day, rfc};

/// Provider `id` in `room` (if any), working daily 09:00-12:00 UTC.
async fn provider_in(s: &Server, id: &str, room: Option<&str>) {
    let mut body = json!({ "id": id, "name": format!("Dr {id}"), "specialties": ["gp"] });
    if let Some(r) = room {
        body["room"] = json!(r);
    }
    let made = s.post("/v1/providers", ADMIN, &body).await;
    assert_eq!(made.json["room"], room.map_or(Value::Null, |r| json!(r)));
    made.ok(201);
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1))
        .date_naive()
        .to_string();
    s.call(
        "PUT",
        &format!("/v1/providers/{id}/schedule"),
        ADMIN,
        Some(json!({
            "timezone": "UTC",
            "rules": [{ "rrule": "FREQ=DAILY", "dtstart": yesterday, "start": "09:00", "end": "12:00" }],
        })),
        &[],
    )
    .await
    .ok(201);
}

/// Move provider `id` to `room` (replace the profile with `If-Match`).
async fn move_to(s: &Server, id: &str, room: &str) {
    let got = s.get(&format!("/v1/providers/{id}"), ADMIN).await;
    let version = got.ok(200)["version"].as_i64().unwrap();
    let moved = s
        .put(
            &format!("/v1/providers/{id}"),
            ADMIN,
            Some(&format!("\"{version}\"")),
            json!({ "name": format!("Dr {id}"), "specialties": ["gp"], "room": room }),
        )
        .await;
    assert_eq!(moved.ok(200)["room"], room);
}

async fn book(s: &Server, provider: &str, patient: &str, start: &str, minutes: i64) -> Value {
    s.post(
        "/v1/appointments",
        ADMIN,
        json!({ "provider": provider, "patient": patient, "start": start, "duration": minutes }),
    )
    .await
    .json
}

/// The offered starts (`HH:MM`) of `provider` on day `days`, 60 minutes.
async fn starts(s: &Server, provider: &str, days: i64) -> Vec<String> {
    let got = s
        .get(
            &format!(
                "/v1/slots?provider={provider}&from={}&to={}&duration=60",
                rfc(day(days)),
                rfc(day(days + 1))
            ),
            ADMIN,
        )
        .await;
    got.ok(200)["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["start"].as_str().unwrap()[11..16].to_string())
        .collect()
}

fn sorted(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

/// `(id, provider, patient, start, status)` of a room schedule's answer.
fn rows(v: &Value) -> Vec<(String, String, String, String, String)> {
    v["appointments"]
        .as_array()
        .unwrap_or_else(|| panic!("no appointments in {v}"))
        .iter()
        .map(|a| {
            let f = |k: &str| a[k].as_str().unwrap_or_default().to_string();
            (
                f("id"),
                f("provider"),
                f("patient"),
                f("start"),
                f("status"),
            )
        })
        .collect()
}

fn row(
    id: &str,
    p: &str,
    x: &str,
    start: &str,
    status: &str,
) -> (String, String, String, String, String) {
    (id.into(), p.into(), x.into(), start.into(), status.into())
}

async fn shared_room(backend: Backend, test: &str) {
    let Some(s) = Server::start(backend, test).await else {
        return;
    };
    provider_in(&s, "P1", Some("R1")).await;
    provider_in(&s, "P2", Some("R1")).await;
    provider_in(&s, "P3", None).await;

    // A room id follows the id rules.
    let bad = s
        .post(
            "/v1/providers",
            ADMIN,
            json!({ "id": "P9", "name": "Dr P9", "room": "room one" }),
        )
        .await;
    let body = bad.problem(422, "invalid_request");
    assert!(
        body["detail"].as_str().unwrap().contains("provider.room"),
        "{body}"
    );

    // Before any booking P2 is offered its whole morning.
    assert_eq!(starts(&s, "P2", 2).await, ["09:00", "10:00", "11:00"]);

    // P1 booked 10:00-11:00 holds the room too.
    let a = book(&s, "P1", "X1", &at(2, 10, 0), 60).await;
    let a_id = a["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{a}"))
        .to_string();
    assert_eq!(
        sorted(&a["resources"]),
        ["patient:X1", "provider:P1", "room:R1"]
    );
    assert_eq!(a["room"], "R1");
    // ... so P2 is not offered 10:00 (its cached availability was updated
    // by the booking of another provider in its room) ...
    assert_eq!(starts(&s, "P2", 2).await, ["09:00", "11:00"]);
    // ... and booking P2 into it is refused, naming the room and P1's booking.
    let refused = s
        .post(
            "/v1/appointments",
            ADMIN,
            json!({ "provider": "P2", "patient": "X2", "start": at(2, 10, 30), "duration": 30 }),
        )
        .await;
    let body = refused.problem(409, "conflict");
    assert_eq!(
        body["conflicts"],
        json!([{ "resource": "room:R1", "with": [a_id] }])
    );
    // Right after it, P2 may use the room; a provider without a room is
    // free at the same time as P1.
    let b = book(&s, "P2", "X2", &at(2, 11, 0), 30).await;
    let b_id = b["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{b}"))
        .to_string();
    assert_eq!(b["room"], "R1");
    let c = book(&s, "P3", "X3", &at(2, 10, 0), 60).await;
    assert_eq!(sorted(&c["resources"]), ["patient:X3", "provider:P3"]);
    assert!(c.get("room").is_none(), "{c}");

    // P1 moves to room R2; its booking keeps R1 when rescheduled.
    move_to(&s, "P1", "R2").await;
    let version = a["version"].as_i64().unwrap();
    let moved = s
        .call(
            "POST",
            &format!("/v1/appointments/{a_id}/reschedule"),
            ADMIN,
            Some(json!({ "start": at(2, 9, 0), "reason": "earlier" })),
            &[("if-match", &format!("\"{version}\""))],
        )
        .await;
    let new = &moved.ok(201)["new"];
    let n_id = new["id"].as_str().unwrap().to_string();
    assert_eq!(
        sorted(&new["resources"]),
        ["patient:X1", "provider:P1", "room:R1"]
    );
    // R1 is now taken 09:00-10:00 (the moved booking) and 11:00-11:30 (P2's).
    assert_eq!(starts(&s, "P2", 2).await, ["10:00"]);
    // A new booking of P1 holds its new room; R2's other users are blocked.
    let d = book(&s, "P1", "X4", &at(3, 9, 0), 60).await;
    let d_id = d["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{d}"))
        .to_string();
    assert_eq!(d["room"], "R2");

    // A hold holds the room as well.
    let h = s
        .post(
            "/v1/appointments/holds",
            ADMIN,
            json!({ "provider": "P2", "patient": "X5", "start": at(3, 9, 0), "duration": 30 }),
        )
        .await;
    assert_eq!(
        sorted(&h.ok(201)["resources"]),
        ["patient:X5", "provider:P2", "room:R1"]
    );

    // The rooms in use, with their providers.
    let rooms = s.get("/v1/rooms", ADMIN).await;
    assert_eq!(
        rooms.ok(200),
        &json!([{ "id": "R1", "providers": ["P2"] }, { "id": "R2", "providers": ["P1"] }])
    );

    // Room R1's day 2: the moved booking (09:00), the cancelled original
    // (10:00, `replaced_by`), P2's (11:00); not P3's nor day 3's.
    let path = format!(
        "/v1/rooms/R1/appointments?from={}&to={}",
        rfc(day(2)),
        rfc(day(3))
    );
    let sched = s.get(&path, ADMIN).await;
    let body = sched.ok(200);
    assert_eq!(body["room"], "R1");
    assert_eq!(
        rows(body),
        vec![
            row(&n_id, "P1", "X1", &at(2, 9, 0), "booked"),
            row(&a_id, "P1", "X1", &at(2, 10, 0), "cancelled"),
            row(&b_id, "P2", "X2", &at(2, 11, 0), "booked"),
        ]
    );
    // Every patient in it passed the consent gate once, audited.
    let audited: Vec<String> = s
        .audit(ORG)
        .await
        .into_iter()
        .filter(|r| r.event.action == "room.appointments")
        .map(|r| {
            format!(
                "{} {} {}",
                r.event.patient.unwrap_or_default(),
                r.event.target,
                r.event.outcome
            )
        })
        .collect();
    assert_eq!(
        audited,
        ["X1 room:R1 permit", "X2 room:R1 permit"],
        "one gate per patient"
    );
    // Room R2 over two days: only P1's new booking.
    let r2 = s
        .get(
            &format!(
                "/v1/rooms/R2/appointments?from={}&to={}",
                rfc(day(2)),
                rfc(day(4))
            ),
            ADMIN,
        )
        .await;
    assert_eq!(
        rows(r2.ok(200)),
        vec![row(&d_id, "P1", "X4", &at(3, 9, 0), "booked")]
    );
    // FHIR: the room is the appointment's Location participant.
    let fhir = s
        .call(
            "GET",
            "/fhir/r4/Appointment?actor=Location/R2",
            ADMIN,
            None,
            &[("accept", "application/fhir+json")],
        )
        .await;
    let ids: Vec<&str> = fhir.ok(200)["entry"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", fhir.json))
        .iter()
        .map(|e| e["resource"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [d_id.as_str()]);
    // A doctor is staff; a patient (even one in the room) is not.
    s.get(&path, "doctor:D1").await.ok(200);
    s.get(&path, "patient:X1").await.problem(403, "forbidden");
    s.get("/v1/rooms", "patient:X1")
        .await
        .problem(403, "forbidden");
    // Bad windows and ids are refused with what to fix.
    s.get(
        &format!(
            "/v1/rooms/R1/appointments?from={}&to={}",
            rfc(day(3)),
            rfc(day(2))
        ),
        ADMIN,
    )
    .await
    .problem(422, "invalid_request");
    s.get(
        &format!(
            "/v1/rooms/R1/appointments?from={}&to={}",
            rfc(day(2)),
            rfc(day(70))
        ),
        ADMIN,
    )
    .await
    .problem(422, "window_too_large");
    s.get("/v1/rooms/R1/appointments", ADMIN)
        .await
        .problem(422, "invalid_request");

    // The consent gate decides per patient: X7's booking is shown to a
    // doctor until X7 opts out (a deny consent without exceptions), then
    // left out (audited).
    s.post(
        "/v1/patients",
        ADMIN,
        support::patient("X7", "Grace Hopper", "1980-01-01", &[]),
    )
    .await
    .ok(201);
    let g = book(&s, "P2", "X7", &at(5, 9, 0), 30).await;
    let g_id = g["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{g}"))
        .to_string();
    let day5 = format!(
        "/v1/rooms/R1/appointments?from={}&to={}",
        rfc(day(5)),
        rfc(day(6))
    );
    let before = s.get(&day5, "doctor:D1").await;
    assert_eq!(
        rows(before.ok(200)),
        vec![row(&g_id, "P2", "X7", &at(5, 9, 0), "booked")]
    );
    s.post(
        "/v1/patients/X7/consents",
        "patient:X7",
        json!({ "id": "K7", "status": "active", "date": "2025-03-01T00:00:00Z", "decision": "deny" }),
    )
    .await
    .ok(201);
    let after = s.get(&day5, "doctor:D1").await;
    assert_eq!(rows(after.ok(200)), vec![]);
    let last = s
        .audit(ORG)
        .await
        .into_iter()
        .rfind(|r| r.event.action == "room.appointments")
        .unwrap();
    assert_eq!(
        (
            last.event.actor.as_str(),
            last.event.patient.as_deref(),
            last.event.outcome.as_str()
        ),
        ("D1", Some("X7"), "deny")
    );

    // A series of P2 holds R1 at every occurrence.
    let dt = (day(10) + chrono::Duration::hours(9)).format("%Y-%m-%dT%H:%M:%S");
    let series = s
        .post(
            "/v1/series",
            ADMIN,
            json!({ "id": "s1", "provider": "P2", "patient": "X6", "rrule": "FREQ=WEEKLY;COUNT=2",
                    "dtstart": dt.to_string(), "timezone": "UTC", "duration": 30 }),
        )
        .await;
    series.ok(201);
    let weeks = s
        .get(
            &format!(
                "/v1/rooms/R1/appointments?from={}&to={}",
                rfc(day(10)),
                rfc(day(18))
            ),
            ADMIN,
        )
        .await;
    let got: Vec<(String, String)> = rows(weeks.ok(200))
        .into_iter()
        .map(|(_, p, _, start, _)| (p, start))
        .collect();
    assert_eq!(
        got,
        vec![
            ("P2".to_string(), at(10, 9, 0)),
            ("P2".to_string(), at(17, 9, 0))
        ]
    );
    s.stop().await;
}

/// Many clients book the same start with the two providers of one room:
/// exactly one wins; every other answer is a 409 naming the room and the
/// winner.
async fn room_race(backend: Backend, test: &str) {
    const CLIENTS: usize = 24;
    let Some(s) = Server::start(backend, test).await else {
        return;
    };
    provider_in(&s, "P1", Some("R1")).await;
    provider_in(&s, "P2", Some("R1")).await;
    let start = at(4, 10, 0);
    let mut tasks = Vec::with_capacity(CLIENTS);
    for i in 0..CLIENTS {
        let url = format!("{}/v1/appointments", s.base);
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            let provider = if i % 2 == 0 { "P1" } else { "P2" };
            let res = reqwest::Client::new()
                .post(url)
                .bearer_auth(ADMIN)
                .json(&json!({ "provider": provider, "patient": format!("X{i}"), "start": start, "duration": 30 }))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (provider, status, res.json::<Value>().await.unwrap())
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let winners: Vec<&(&str, u16, Value)> = answers.iter().filter(|a| a.1 == 201).collect();
    assert_eq!(winners.len(), 1, "exactly one winner: {answers:?}");
    let (won_by, _, w) = winners[0];
    let winner = w["id"].as_str().unwrap();
    for (provider, status, body) in answers.iter().filter(|a| a.1 != 201) {
        assert_eq!(*status, 409, "{body}");
        assert_eq!(body["code"], "conflict");
        let conflicts = body["conflicts"].as_array().unwrap();
        assert!(
            conflicts.contains(&json!({ "resource": "room:R1", "with": [winner] })),
            "{body}"
        );
        // The same provider's loser also collides on the provider.
        let on_provider = json!({ "resource": format!("provider:{won_by}"), "with": [winner] });
        assert_eq!(
            conflicts.contains(&on_provider),
            provider == won_by,
            "{body}"
        );
    }
    // The room schedule has exactly the winner.
    let sched = s
        .get(
            &format!(
                "/v1/rooms/R1/appointments?from={}&to={}",
                rfc(day(4)),
                rfc(day(5))
            ),
            ADMIN,
        )
        .await;
    let ids: Vec<String> = rows(sched.ok(200)).into_iter().map(|r| r.0).collect();
    assert_eq!(ids, [winner]);
    s.stop().await;
}

/// A waitlist offer is a new booking of the provider: its hold holds the
/// provider's room too.
async fn waitlist_offer(backend: Backend, test: &str) {
    let Some(s) = Server::start(backend, test).await else {
        return;
    };
    provider_in(&s, "P1", Some("R1")).await;
    let first = book(&s, "P1", "X1", &at(6, 10, 0), 60).await;
    let first_id = first["id"].as_str().unwrap_or_else(|| panic!("{first}"));
    s.post(
        "/v1/waitlist",
        "patient:X2",
        json!({ "provider": "P1", "patient": "X2", "from": rfc(day(6)), "to": rfc(day(7)) }),
    )
    .await
    .ok(201);
    s.call(
        "POST",
        &format!("/v1/appointments/{first_id}/cancel"),
        ADMIN,
        Some(json!({ "reason": "cannot come" })),
        &[("if-match", "\"1\"")],
    )
    .await
    .ok(200);
    let sched = s
        .get(
            &format!(
                "/v1/rooms/R1/appointments?from={}&to={}",
                rfc(day(6)),
                rfc(day(7))
            ),
            ADMIN,
        )
        .await;
    let got: Vec<(String, String, String)> = sched.ok(200)["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let f = |k: &str| a[k].as_str().unwrap_or_default().to_string();
            (f("patient"), f("status"), f("room"))
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("X1".to_string(), "cancelled".to_string(), "R1".to_string()),
            ("X2".to_string(), "held".to_string(), "R1".to_string()),
        ]
    );
    s.stop().await;
}

#[tokio::test]
async fn waitlist_offer_holds_the_room_sqlite() {
    waitlist_offer(Backend::Sqlite, "room_wait_sqlite").await;
}

#[tokio::test]
async fn waitlist_offer_holds_the_room_postgres() {
    waitlist_offer(Backend::Postgres, "room_wait_postgres").await;
}

#[tokio::test]
async fn providers_sharing_a_room_sqlite() {
    shared_room(Backend::Sqlite, "rooms_sqlite").await;
}

#[tokio::test]
async fn providers_sharing_a_room_postgres() {
    shared_room(Backend::Postgres, "rooms_postgres").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_winner_per_room_sqlite() {
    room_race(Backend::Sqlite, "room_race_sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_winner_per_room_postgres() {
    room_race(Backend::Postgres, "room_race_postgres").await;
}
