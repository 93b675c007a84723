//! Patient self-registration, `POST /v1/auth/register` (issue 18): off
//! unless `self_registration` is on; each validation error with its code;
//! a taken username; the audit record; then the new patient logs in, books
//! for themself and cannot book for someone else. On SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod auth_support;

use auth_support::{Db, PASSWORD, Server, config, fresh_db, problem};
use hcas_server::config::Database;
use hcas_server::tenants::OrgId;
use serde_json::{Value, json};

const GOOD_PASSWORD: &str = "a long enough passphrase";

/// A server with self-registration `on` (or not), organization `acme`
/// created with an admin `desk`.
async fn server(db: Db, on: Option<bool>) -> Option<Server> {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.self_registration = on;
    let pg = match db {
        Db::Sqlite => None,
        Db::Postgres => {
            let pg = fresh_db("self_register").await?;
            c.database = Database::Postgres(pg.url.clone());
            Some(pg)
        }
    };
    let s = Server::with_config(dir, c, pg).await;
    s.account("acme", "desk", &["admin"], "desk-1").await;
    Some(s)
}

fn registration(username: &str) -> Value {
    json!({
        "org": "acme",
        "username": username,
        "password": GOOD_PASSWORD,
        "name": "Grace Hopper",
        "birth_date": "1990-12-09",
        "timezone": "America/New_York",
        "language": "es",
        "email": "grace@example.org",
    })
}

async fn register(s: &Server, body: Value) -> reqwest::Response {
    s.post("/v1/auth/register", body).await
}

async fn send(
    s: &Server,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = s
        .http
        .request(method, format!("{}{path}", s.base))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Register, log in with the new password, read the own record, book for
/// oneself (201) and not for another patient (403); the audit log holds the
/// registration.
async fn registered_patient_signs_in_and_books_for_themself(db: Db) {
    let Some(s) = server(db, Some(true)).await else {
        return;
    };
    let res = register(&s, registration("Grace.H")).await;
    assert_eq!(res.status(), 201);
    let tokens: Value = res.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(
        tokens["refresh_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    let access = tokens["access_token"].as_str().unwrap().to_string();

    // The token names a new patient, with the patient role only.
    let me: Value = s.whoami(&access).await.json().await.unwrap();
    assert_eq!(me["roles"], json!(["patient"]));
    assert_eq!(me["org"], "acme");
    let id = me["subject"].as_str().unwrap().to_string();
    assert_eq!(
        uuid::Uuid::parse_str(&id).unwrap().get_version_num(),
        4,
        "a random (unguessable) id"
    );

    // Logging in works with the password chosen (username any case).
    let res = s.login("acme", "grace.h", GOOD_PASSWORD).await;
    assert_eq!(res.status(), 200);
    let login: Value = res.json().await.unwrap();
    let token = login["access_token"].as_str().unwrap().to_string();
    // The refresh token of the registration works too.
    let res = s
        .post(
            "/v1/auth/refresh",
            json!({ "refresh_token": tokens["refresh_token"] }),
        )
        .await;
    assert_eq!(res.status(), 200);

    // The patient record holds what was sent.
    let (status, me) = send(
        &s,
        reqwest::Method::GET,
        &format!("/v1/patients/{id}"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["name"], "Grace Hopper");
    assert_eq!(me["birth_date"], "1990-12-09");
    assert_eq!(me["timezone"], "America/New_York");
    assert_eq!(me["language"], "es");
    assert_eq!(me["email"], "grace@example.org");

    // The audit log: one `patient.self-register` on the new patient, by them.
    let org = OrgId::parse("acme").unwrap();
    let store = s.state().tenants.store(&org).await.unwrap();
    let trail = store
        .audit_for_patient(
            &id,
            hcas_core::Timestamp::MIN,
            hcas_core::Timestamp::MAX,
            100,
        )
        .await
        .unwrap();
    let reg: Vec<_> = trail
        .iter()
        .filter(|r| r.event.action == "patient.self-register")
        .collect();
    assert_eq!(reg.len(), 1, "{trail:?}");
    let e = &reg[0].event;
    assert_eq!(
        (e.actor.as_str(), e.target.as_str(), e.outcome.as_str()),
        (id.as_str(), format!("patient:{id}").as_str(), "permit")
    );
    assert_eq!(e.detail["basis"], "self-registration");
    let text = serde_json::to_string(&trail).unwrap();
    assert!(
        !text.contains(GOOD_PASSWORD),
        "no password in the audit log"
    );
    assert!(!text.contains("Grace Hopper"), "no name in the audit log");

    // Staff set up a provider with a schedule, and another patient.
    let desk = s.tokens("acme", "desk").await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let post = reqwest::Method::POST;
    let (status, body) = send(
        &s,
        post.clone(),
        "/v1/providers",
        &desk,
        Some(
            json!({"id": "dr-a", "name": "Dr A", "specialties": ["general-practice"],
                    "timezone": "UTC"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = send(
        &s,
        reqwest::Method::PUT,
        "/v1/providers/dr-a/schedule",
        &desk,
        Some(json!({"timezone": "UTC", "rules": [
            {"rrule": "FREQ=DAILY", "dtstart": "2026-01-01", "start": "09:00", "end": "17:00"}
        ]})),
    )
    .await;
    assert_eq!(status, 201, "the first schedule is created: {body}");
    let (status, body) = send(
        &s,
        post.clone(),
        "/v1/patients",
        &desk,
        Some(json!({"id": "pat-other", "name": "Someone Else"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");

    // Booking for themself: 201, and they can read it back.
    let (status, booked) = send(
        &s,
        post.clone(),
        "/v1/appointments",
        &token,
        Some(
            json!({"provider": "dr-a", "patient": id, "start": "2030-01-07T10:00:00Z",
                    "duration": 30}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{booked}");
    assert_eq!(booked["patient"], id.as_str());
    let (status, read) = send(
        &s,
        reqwest::Method::GET,
        &format!("/v1/appointments/{}", booked["id"].as_str().unwrap()),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["start"], "2030-01-07T10:00:00Z");

    // Booking for someone else: refused, nothing booked at that time.
    let (status, body) = send(
        &s,
        post,
        "/v1/appointments",
        &token,
        Some(json!({"provider": "dr-a", "patient": "pat-other",
                    "start": "2030-01-07T11:00:00Z", "duration": 30})),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "forbidden");
    s.stop().await;
}

#[tokio::test]
async fn registered_patient_signs_in_and_books_for_themself_sqlite() {
    registered_patient_signs_in_and_books_for_themself(Db::Sqlite).await;
}

#[tokio::test]
async fn registered_patient_signs_in_and_books_for_themself_postgres() {
    registered_patient_signs_in_and_books_for_themself(Db::Postgres).await;
}

/// A taken username (any case, staff or patient) is 409 `username_taken`
/// and changes nothing: the first account's password still works, no
/// second patient appears.
async fn taken_username_is_409(db: Db) {
    let Some(s) = server(db, Some(true)).await else {
        return;
    };
    assert_eq!(register(&s, registration("ada")).await.status(), 201);
    let mut again = registration("ADA");
    again["password"] = json!("another long passphrase");
    let p = problem(register(&s, again).await, 409, "username_taken").await;
    assert_eq!(p["title"], "Username taken");
    // A staff username is taken too.
    problem(
        register(&s, registration("Desk")).await,
        409,
        "username_taken",
    )
    .await;
    assert_eq!(s.login("acme", "ada", GOOD_PASSWORD).await.status(), 200);
    assert_eq!(
        s.login("acme", "ada", "another long passphrase")
            .await
            .status(),
        401
    );
    assert_eq!(s.login("acme", "desk", PASSWORD).await.status(), 200);
    s.stop().await;
}

#[tokio::test]
async fn taken_username_is_409_sqlite() {
    taken_username_is_409(Db::Sqlite).await;
}

#[tokio::test]
async fn taken_username_is_409_postgres() {
    taken_username_is_409(Db::Postgres).await;
}

/// Each field's rule, with its stable code; nothing is created by a
/// refused registration (the username stays free).
#[tokio::test]
async fn each_validation_error_has_its_code() {
    let s = server(Db::Sqlite, Some(true)).await.unwrap();
    let long = "x".repeat(1025);
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "short password",
            json!({"password": "elevenchars"}),
            422,
            "weak_password",
        ),
        (
            "password = username",
            json!({"username": "longusername1", "password": "LongUsername1"}),
            422,
            "weak_password",
        ),
        (
            "password too long",
            json!({"password": long}),
            422,
            "password_too_long",
        ),
        (
            "username with a space",
            json!({"username": "two words"}),
            422,
            "invalid_username",
        ),
        (
            "empty username",
            json!({"username": ""}),
            422,
            "invalid_username",
        ),
        (
            "username too long",
            json!({"username": "u".repeat(101)}),
            422,
            "invalid_username",
        ),
        ("blank name", json!({"name": "   "}), 422, "invalid_name"),
        (
            "control character in the name",
            json!({"name": "Bad\u{7}Name"}),
            422,
            "invalid_name",
        ),
        (
            "name too long",
            json!({"name": "n".repeat(201)}),
            422,
            "invalid_name",
        ),
        (
            "unknown zone",
            json!({"timezone": "Mars/Olympus"}),
            422,
            "invalid_timezone",
        ),
        (
            "not a language tag",
            json!({"language": "english please"}),
            422,
            "invalid_language",
        ),
        (
            "born in the future",
            json!({"birth_date": "2999-01-01"}),
            422,
            "invalid_birth_date",
        ),
        (
            "not a date",
            json!({"birth_date": "09/12/1990"}),
            422,
            "invalid_request",
        ),
        (
            "not an e-mail address",
            json!({"email": "nope"}),
            422,
            "invalid_request",
        ),
        (
            "unknown field",
            json!({"roles": ["admin"]}),
            422,
            "invalid_request",
        ),
        (
            "a guardian claimed",
            json!({"guardians": ["pat-1"]}),
            422,
            "invalid_request",
        ),
        (
            "missing name",
            json!({"name": null}),
            422,
            "invalid_request",
        ),
        (
            "malformed organization",
            json!({"org": "Not An Org"}),
            422,
            "invalid_request",
        ),
        (
            "unknown organization",
            json!({"org": "nowhere"}),
            403,
            "forbidden",
        ),
    ];
    for (what, patch, status, code) in cases {
        let mut body = registration("newcomer");
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        let res = register(&s, body).await;
        assert_eq!(res.status().as_u16(), status, "{what}");
        let p: Value = res.json().await.unwrap();
        assert_eq!(p["code"], code, "{what}: {p}");
        assert!(!p["detail"].as_str().unwrap().is_empty(), "{what}");
    }
    // None of them created anything: the username is still free.
    assert_eq!(register(&s, registration("newcomer")).await.status(), 201);
    s.stop().await;
}

/// Off unless turned on: 403 `registration_disabled`, nothing created.
#[tokio::test]
async fn off_unless_turned_on() {
    for on in [None, Some(false)] {
        let s = server(Db::Sqlite, on).await.unwrap();
        let body = problem(
            register(&s, registration("grace")).await,
            403,
            "registration_disabled",
        )
        .await;
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("self_registration"),
            "{body}"
        );
        assert_eq!(s.login("acme", "grace", GOOD_PASSWORD).await.status(), 401);
        s.stop().await;
    }
}

/// The route is in the OpenAPI document, public (no 401), with its codes.
#[tokio::test]
async fn documented_in_openapi() {
    let s = server(Db::Sqlite, Some(true)).await.unwrap();
    let doc: Value = s.get("/openapi.json", None).await.json().await.unwrap();
    let op = &doc["paths"]["/v1/auth/register"]["post"];
    assert!(op.is_object(), "POST /v1/auth/register is documented");
    for status in ["201", "403", "409", "422", "429"] {
        assert!(op["responses"][status].is_object(), "{status}");
    }
    assert!(op["responses"]["401"].is_null(), "no token needed");
    let schema = &doc["components"]["schemas"]["RegisterRequest"];
    let mut required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    required.sort_unstable();
    assert_eq!(required, ["name", "org", "password", "username"]);
    assert_eq!(schema["additionalProperties"], json!(false));
    s.stop().await;
}
