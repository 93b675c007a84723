//! The doctors service over HTTP: provider profiles and schedules, their
//! versions (`ETag`/`If-Match`), validation, who may write, the directory
//! filter, and the OpenAPI document describing the routes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::json;
use support::{ADMIN, Backend, Reply, Server, problem};

async fn profiles(backend: Backend, test: &str) {
    let Some(s) = Server::start(backend, test).await else {
        return;
    };
    let p1 = json!({
        "id": "P1", "name": "Dr Ana Lima", "specialties": ["cardiology"],
        "location": "Clinic A, room 3", "languages": ["pt-BR", "en"], "timezone": "America/Sao_Paulo"
    });
    let Reply {
        status,
        json: body,
        headers,
    } = s.post("/v1/providers", ADMIN, &p1).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(headers["etag"], "\"1\"");
    assert_eq!(
        (body["version"].as_i64(), body["location"].as_str()),
        (Some(1), Some("Clinic A, room 3"))
    );
    assert_eq!(body["languages"], json!(["pt-BR", "en"]));
    assert_eq!(body["active"], true);

    // The id is taken; bad fields are 422 naming them; nothing is written.
    problem(
        &s.post("/v1/providers", ADMIN, &p1).await,
        409,
        "already_exists",
    );
    let bad = problem(
        &s.post(
            "/v1/providers",
            ADMIN,
            &json!({"id": "P9", "name": "X", "timezone": "Mars/Olympus"}),
        )
        .await,
        422,
        "invalid_timezone",
    );
    assert!(
        bad["detail"]
            .as_str()
            .unwrap()
            .contains("provider.timezone"),
        "{bad}"
    );
    problem(
        &s.post(
            "/v1/providers",
            ADMIN,
            &json!({"id": "P9", "name": "X", "languages": ["en gb"]}),
        )
        .await,
        422,
        "invalid_request",
    );
    problem(
        &s.post(
            "/v1/providers",
            ADMIN,
            &json!({"id": "P9", "name": "X", "colour": "red"}),
        )
        .await,
        422,
        "invalid_request",
    );
    problem(&s.get("/v1/providers/P9", ADMIN).await, 404, "not_found");

    // Only administrators write; any valid token of the org reads; no token is 401.
    problem(
        &s.post(
            "/v1/providers",
            "doctor:D1",
            &json!({"id": "P8", "name": "X"}),
        )
        .await,
        403,
        "forbidden",
    );
    problem(
        &s.post(
            "/v1/providers",
            "patient:X1",
            &json!({"id": "P8", "name": "X"}),
        )
        .await,
        403,
        "forbidden",
    );
    let got = s.get("/v1/providers/P1", "patient:X1").await;
    assert_eq!(
        (got.status, got.json["name"].as_str()),
        (200, Some("Dr Ana Lima"))
    );
    problem(
        &s.get("/v1/providers/P1", "nobody").await,
        401,
        "unauthorized",
    );
    let Reply { status, .. } = s
        .send(s.client.get(format!("{}/v1/providers/P1", s.base)))
        .await;
    assert_eq!(status, 401);

    // Replace: If-Match required, a stale version is 412, the right one wins.
    let mut p1b = p1.clone();
    p1b["location"] = json!("Clinic B");
    problem(
        &s.put("/v1/providers/P1", ADMIN, None, p1b.clone()).await,
        428,
        "precondition_required",
    );
    let Reply {
        status,
        json: body,
        headers,
    } = s
        .put("/v1/providers/P1", ADMIN, Some("\"1\""), p1b.clone())
        .await;
    assert_eq!((status, body["version"].as_i64()), (200, Some(2)), "{body}");
    assert_eq!(headers["etag"], "\"2\"");
    let r = s
        .put("/v1/providers/P1", ADMIN, Some("\"1\""), p1b.clone())
        .await;
    problem(&r, 412, "version_mismatch");
    let r = s
        .put("/v1/providers/P1", "doctor:D1", Some("\"2\""), p1b.clone())
        .await;
    problem(&r, 403, "forbidden");
    let mut other = p1b.clone();
    other["id"] = json!("P2");
    let r = s.put("/v1/providers/P1", ADMIN, Some("\"2\""), other).await;
    problem(&r, 422, "invalid_request");
    assert_eq!(
        s.get("/v1/providers/P1", ADMIN).await.json["location"],
        "Clinic B"
    );

    // The directory, filtered.
    for (id, spec, active) in [
        ("P2", "cardiology", false),
        ("P3", "dermatology", true),
        ("P4", "cardiology", true),
    ] {
        let got = s
            .post(
                "/v1/providers",
                ADMIN,
                &json!({"id": id, "name": id, "specialties": [spec], "active": active}),
            )
            .await;
        assert_eq!(got.status, 201, "{}", got.json);
    }
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(&s.get("/v1/providers", ADMIN).await.json),
        ["P1", "P2", "P3", "P4"]
    );
    assert_eq!(
        ids(&s
            .get("/v1/providers?specialty=cardiology", ADMIN)
            .await
            .json),
        ["P1", "P2", "P4"]
    );
    assert_eq!(
        ids(&s
            .get("/v1/providers?specialty=cardiology&active=true", ADMIN)
            .await
            .json),
        ["P1", "P4"]
    );
    assert_eq!(
        ids(&s.get("/v1/providers?language=EN", ADMIN).await.json),
        ["P1"]
    );
    problem(
        &s.get("/v1/providers?active=maybe", ADMIN).await,
        422,
        "invalid_request",
    );
    s.stop().await;
}

#[tokio::test]
async fn profiles_sqlite() {
    profiles(Backend::Sqlite, "profiles_sqlite").await;
}

#[tokio::test]
async fn profiles_postgres() {
    profiles(Backend::Postgres, "profiles_postgres").await;
}

#[tokio::test]
async fn schedules_are_versioned_and_validated() {
    let s = Server::start(Backend::Sqlite, "schedules").await.unwrap();
    s.post("/v1/providers", ADMIN, &json!({"id": "P1", "name": "One"}))
        .await;
    let path = "/v1/providers/P1/schedule";
    problem(&s.get(path, ADMIN).await, 404, "not_found");
    let week = json!({
        "timezone": "Europe/London",
        "rules": [{"rrule": "FREQ=WEEKLY;BYDAY=MO,TU", "dtstart": "2026-01-05", "start": "09:00", "end": "12:00"}],
        "overrides": [{"date": "2026-12-24", "windows": []}],
        "time_off": [{"start": "2026-08-03T00:00:00Z", "end": "2026-08-15T00:00:00Z", "reason": "holiday"}]
    });
    let Reply {
        status,
        json: body,
        headers,
    } = s.put(path, ADMIN, None, week.clone()).await;
    assert_eq!((status, body["version"].as_i64()), (201, Some(1)), "{body}");
    assert_eq!(headers["etag"], "\"1\"");
    let got = s.get(path, "patient:X1").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json["rules"], week["rules"]);
    assert_eq!(got.json["time_off"], week["time_off"]);

    // A schedule exists: replacing needs If-Match.
    let r = s.put(path, ADMIN, None, week.clone()).await;
    problem(&r, 428, "precondition_required");
    let r = s.put(path, ADMIN, Some("\"7\""), week.clone()).await;
    problem(&r, 412, "version_mismatch");
    let r = s.put(path, ADMIN, Some("seven"), week.clone()).await;
    problem(&r, 400, "malformed_request");
    let mut bad = week.clone();
    bad["rules"][0]["rrule"] = json!("FREQ=HOURLY");
    let r = s.put(path, ADMIN, Some("\"1\""), bad).await;
    problem(&r, 422, "invalid_rrule");
    let mut bad = week.clone();
    bad["timezone"] = json!("Nowhere/Else");
    let r = s.put(path, ADMIN, Some("\"1\""), bad).await;
    problem(&r, 422, "invalid_timezone");
    let r = s.put(path, "nurse:N1", Some("\"1\""), week.clone()).await;
    problem(&r, 403, "forbidden");
    let r = s
        .put("/v1/providers/P9/schedule", ADMIN, None, week.clone())
        .await;
    problem(&r, 404, "not_found");
    let Reply {
        status, json: body, ..
    } = s
        .put(path, ADMIN, Some("\"1\""), json!({"timezone": "UTC"}))
        .await;
    assert_eq!((status, body["version"].as_i64()), (200, Some(2)), "{body}");
    assert_eq!(s.get(path, ADMIN).await.json["rules"], json!([]));
    s.stop().await;
}

#[tokio::test]
async fn openapi_describes_the_services() {
    let s = Server::start(Backend::Sqlite, "openapi").await.unwrap();
    let Reply {
        status, json: doc, ..
    } = s
        .send(s.client.get(format!("{}/openapi.json", s.base)))
        .await;
    assert_eq!(status, 200);
    for (path, method) in [
        ("/v1/providers", "post"),
        ("/v1/providers", "get"),
        ("/v1/providers/{id}", "put"),
        ("/v1/providers/{id}/schedule", "put"),
        ("/v1/slots", "get"),
        ("/v1/slots/explain", "get"),
        ("/v1/slots/alternatives", "get"),
        ("/v1/series", "post"),
        ("/v1/series/{id}", "get"),
        ("/v1/series/{id}/shift", "post"),
        ("/v1/series/{id}/cancel", "post"),
        ("/v1/waitlist", "post"),
        ("/v1/waitlist", "get"),
        ("/v1/waitlist/{id}", "delete"),
        ("/v1/appointments", "post"),
        ("/v1/appointments/holds", "post"),
        ("/v1/appointments/{id}", "get"),
        ("/v1/appointments/{id}/{action}", "post"),
        ("/v1/appointments/{id}/reschedule", "post"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is not documented"
        );
    }
    assert!(doc["components"]["schemas"]["ProviderView"].is_object());
    assert!(doc["components"]["schemas"]["SlotsView"].is_object());
    s.stop().await;
}
