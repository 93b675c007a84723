//! Webhooks end to end: a receiver on loopback (a small axum server inside
//! the test) gets every event as `docs/webhooks.md` documents it, verifies
//! every signature with an HMAC computed here, independently of the server;
//! a failing receiver gets retries, then the delivery is dead, and replay
//! delivers it; and a server killed (SIGKILL) in the middle of a burst of
//! bookings and started again on the same data loses no committed booking's
//! event. On SQLite and PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod support;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;
use support::{ADMIN, Backend, Reply, Server, at, problem, provider};

// ---------------------------------------------------------------- receiver

/// One POST the receiver got.
#[derive(Debug, Clone)]
struct Got {
    id: String,
    timestamp: String,
    signature: String,
    content_type: String,
    body: String,
    /// What the receiver answered.
    answered: u16,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Default)]
struct Inbox {
    got: Mutex<Vec<Got>>,
    /// Answer 500 to everything.
    fail_all: AtomicBool,
    /// Answer 500 to this many more requests.
    fail_next: AtomicUsize,
}

struct Receiver {
    url: String,
    inbox: Arc<Inbox>,
}

async fn take(State(inbox): State<Arc<Inbox>>, headers: HeaderMap, body: String) -> StatusCode {
    let h = |k: &str| {
        headers
            .get(k)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let fail = inbox.fail_all.load(Ordering::SeqCst)
        || inbox
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
    let answered = if fail {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    };
    inbox.got.lock().unwrap().push(Got {
        id: h("hcas-webhook-id"),
        timestamp: h("hcas-webhook-timestamp"),
        signature: h("hcas-webhook-signature"),
        content_type: h("content-type"),
        body,
        answered: answered.as_u16(),
    });
    answered
}

/// A receiver on a free loopback port, POST `/hook`.
async fn receiver() -> Receiver {
    let inbox = Arc::new(Inbox::default());
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(take))
        .with_state(Arc::clone(&inbox));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver {
        url: format!("http://{addr}/hook"),
        inbox,
    }
}

impl Receiver {
    fn got(&self) -> Vec<Got> {
        self.inbox.got.lock().unwrap().clone()
    }

    /// The accepted (2xx) deliveries.
    fn accepted(&self) -> Vec<Got> {
        self.got()
            .into_iter()
            .filter(|g| g.answered < 300)
            .collect()
    }

    /// Wait (up to 60 s) until `done` holds for what was received.
    async fn wait_for(&self, what: &str, done: impl Fn(&[Got]) -> bool) -> Vec<Got> {
        for _ in 0..600 {
            let got = self.got();
            if done(&got) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("timed out waiting for {what}; got {:#?}", self.got());
    }
}

/// The signature scheme of `docs/webhooks.md`, computed here: hex
/// HMAC-SHA256 over `timestamp + "." + body` with the secret.
fn verify(secret: &str, g: &Got) {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{}.{}", g.timestamp, g.body).as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        g.signature,
        format!("v1={expected}"),
        "bad signature on {}",
        g.body
    );
    let ts: i64 = g.timestamp.parse().unwrap();
    let now = chrono::Utc::now().timestamp();
    assert!(
        (now - 300..=now + 5).contains(&ts),
        "timestamp {ts} not recent"
    );
    assert_eq!(g.content_type, "application/json");
    assert_eq!(
        g.json()["id"],
        g.id.as_str(),
        "the id header is the body's id"
    );
}

fn fast(config: &mut hcas_server::config::Config) {
    config.webhooks.backoff_ms = 20;
    config.webhooks.backoff_max_ms = 40;
    config.webhooks.max_attempts = 3;
    config.webhooks.timeout_ms = 5000;
}

async fn subscribe(s: &Server, url: &str, events: Value) -> (String, String) {
    let r = s
        .post(
            "/v1/webhooks",
            ADMIN,
            json!({ "url": url, "events": events }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let secret = r.json["secret"].as_str().unwrap().to_string();
    assert!(
        secret.starts_with("whsec_") && secret.len() == 6 + 64,
        "{secret}"
    );
    (r.json["id"].as_str().unwrap().to_string(), secret)
}

async fn book(s: &Server, patient: &str, start: &str) -> String {
    let r = s
        .send(
            s.req(
                Method::POST,
                "/v1/appointments",
                &format!("patient:{patient}"),
            )
            .json(&json!({"provider": "P1", "patient": patient, "start": start, "duration": 30})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.json);
    r.json["id"].as_str().unwrap().to_string()
}

async fn act(s: &Server, token: &str, id: &str, action: &str, version: i64, body: Value) -> Reply {
    s.send(
        s.req(
            Method::POST,
            &format!("/v1/appointments/{id}/{action}"),
            token,
        )
        .header("if-match", format!("\"{version}\""))
        .json(&body),
    )
    .await
}

/// Each appointment's event types, in the order received.
fn by_appointment(got: &[Got]) -> BTreeMap<String, Vec<Value>> {
    let mut m: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for g in got {
        let v = g.json();
        m.entry(v["appointment_id"].as_str().unwrap().to_string())
            .or_default()
            .push(v);
    }
    m
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

// ---------------------------------------------------------------- events

#[tokio::test]
async fn every_event_arrives_signed_and_in_order_sqlite() {
    every_event_arrives_signed_and_in_order(Backend::Sqlite, "hooks_events_sqlite").await;
}

#[tokio::test]
async fn every_event_arrives_signed_and_in_order_postgres() {
    every_event_arrives_signed_and_in_order(Backend::Postgres, "hooks_events_postgres").await;
}

/// Book, reschedule, cancel (freeing the slot for the waitlist), confirm the
/// offer: six events on three appointments, each as documented.
async fn every_event_arrives_signed_and_in_order(backend: Backend, test: &str) {
    let Some(s) = Server::start_with(backend, test, fast).await else {
        return;
    };
    let r = receiver().await;
    let (sub, secret) = subscribe(&s, &r.url, json!(["*"])).await;
    provider(&s, "P1", &["gp"], "09:00", "17:00").await;

    let a = book(&s, "X1", &at(2, 10, 0)).await;
    let moved = act(
        &s,
        "patient:X1",
        &a,
        "reschedule",
        1,
        json!({"start": at(2, 11, 0), "reason": "clash"}),
    )
    .await;
    assert_eq!(moved.status, 201, "{}", moved.json);
    let b = moved.json["new"]["id"].as_str().unwrap().to_string();
    let join = json!({"provider": "P1", "patient": "X2", "from": at(2, 0, 0), "to": at(3, 0, 0)});
    assert_eq!(
        s.post("/v1/waitlist", "patient:X2", &join).await.status,
        201
    );
    let cancelled = act(
        &s,
        "patient:X1",
        &b,
        "cancel",
        1,
        json!({"reason": "moving away"}),
    )
    .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.json);

    let got = r
        .wait_for("the waitlist offer", |g| {
            g.iter().any(|g| g.json()["type"] == "waitlist.offered")
        })
        .await;
    let offer = got
        .iter()
        .map(Got::json)
        .find(|e| e["type"] == "waitlist.offered")
        .unwrap();
    let h = offer["appointment_id"].as_str().unwrap().to_string();
    let confirmed = act(&s, "patient:X2", &h, "confirm", 1, json!({})).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.json);
    let got = r.wait_for("six events", |g| g.len() >= 6).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got_all = r.got();
    assert_eq!(
        got_all.len(),
        got.len().max(6),
        "no more than six: {got_all:#?}"
    );

    for g in &got_all {
        verify(&secret, g);
        assert!(!g.body.contains("\"name\""), "no names in {}", g.body);
        assert!(
            !g.body.contains("moving away"),
            "no free text in {}",
            g.body
        );
    }
    let ids: HashSet<&str> = got_all.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(ids.len(), 6, "six distinct event ids");
    let per = by_appointment(&got_all);
    assert_eq!(
        kinds(&per[&a]),
        ["appointment.created", "appointment.rescheduled"]
    );
    assert_eq!(
        kinds(&per[&b]),
        ["appointment.created", "appointment.cancelled"]
    );
    assert_eq!(kinds(&per[&h]), ["waitlist.offered", "appointment.updated"]);
    for events in per.values() {
        let seqs: Vec<i64> = events
            .iter()
            .map(|e| e["sequence"].as_i64().unwrap())
            .collect();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "increasing sequence: {seqs:?}"
        );
        for e in events {
            assert_eq!(e["org"], support::ORG);
            assert!(e["occurred_at"].as_str().unwrap().ends_with('Z'), "{e}");
            assert!(e["id"].as_str().unwrap().starts_with("evt_org-a_"), "{e}");
        }
    }
    let a_created = &per[&a][0]["data"];
    assert_eq!(
        (
            a_created["status"].as_str(),
            a_created["provider"].as_str(),
            a_created["patient"].as_str()
        ),
        (Some("booked"), Some("P1"), Some("X1"))
    );
    assert_eq!(a_created["start"], at(2, 10, 0));
    assert_eq!(a_created["end"], at(2, 10, 30));
    assert_eq!(per[&a][1]["data"]["replaced_by"], b.as_str());
    assert_eq!(per[&a][1]["data"]["status"], "cancelled");
    assert_eq!(per[&b][0]["data"]["replaces"], a.as_str());
    assert_eq!(per[&b][0]["data"]["start"], at(2, 11, 0));
    let cancel = &per[&b][1]["data"];
    assert_eq!(
        (
            cancel["status"].as_str(),
            cancel["previous_status"].as_str(),
            cancel["actor"].as_str()
        ),
        (Some("cancelled"), Some("booked"), Some("patient"))
    );
    let offered = &per[&h][0]["data"];
    assert_eq!(
        (offered["status"].as_str(), offered["patient"].as_str()),
        (Some("held"), Some("X2"))
    );
    assert!(offered["hold_expires"].is_string(), "{offered}");
    assert_eq!(offered["start"], at(2, 11, 0));
    let confirmed = &per[&h][1]["data"];
    assert_eq!(
        (
            confirmed["status"].as_str(),
            confirmed["previous_status"].as_str()
        ),
        (Some("booked"), Some("held"))
    );

    // The delivery log agrees: six delivered, one attempt each.
    let list = s
        .get(&format!("/v1/webhooks/{sub}/deliveries"), ADMIN)
        .await;
    let deliveries = list.ok(200)["deliveries"].as_array().unwrap().clone();
    assert_eq!(deliveries.len(), 6, "{}", list.json);
    assert!(
        deliveries
            .iter()
            .all(|d| d["status"] == "delivered" && d["attempts"] == 1)
    );
}

// ---------------------------------------------------------------- retries

#[tokio::test]
async fn failing_receiver_gets_retries_then_dead_letter_then_replay() {
    let s = Server::start_with(Backend::Sqlite, "sqlite", fast)
        .await
        .unwrap();
    let r = receiver().await;
    r.inbox.fail_all.store(true, Ordering::SeqCst);
    let (sub, secret) = subscribe(
        &s,
        &r.url,
        json!(["appointment.created", "appointment.cancelled"]),
    )
    .await;
    provider(&s, "P1", &["gp"], "09:00", "17:00").await;
    let a = book(&s, "X1", &at(2, 10, 0)).await;
    let done = act(
        &s,
        "patient:X1",
        &a,
        "cancel",
        1,
        json!({"reason": "no longer needed"}),
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.json);

    // Three attempts of each, all failing; the cancellation only after the
    // creation is dead (order per appointment).
    let dead_path = format!("/v1/webhooks/{sub}/deliveries?status=dead");
    for _ in 0..600 {
        if s.get(&dead_path, ADMIN).await.json["deliveries"]
            .as_array()
            .is_some_and(|d| d.len() == 2)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let list = s.get(&dead_path, ADMIN).await;
    let deliveries = list.ok(200)["deliveries"].as_array().unwrap().clone();
    assert_eq!(deliveries.len(), 2, "{}", list.json);
    for d in &deliveries {
        assert_eq!(
            (d["attempts"].as_u64(), d["last_status"].as_u64()),
            (Some(3), Some(500)),
            "{d}"
        );
        assert!(d.get("next_attempt_at").is_none());
    }
    let got = r.got();
    assert_eq!(got.len(), 6, "{got:#?}");
    let types: Vec<String> = got
        .iter()
        .map(|g| g.json()["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        types,
        [
            "appointment.created",
            "appointment.created",
            "appointment.created",
            "appointment.cancelled",
            "appointment.cancelled",
            "appointment.cancelled"
        ]
    );
    for g in &got {
        verify(&secret, g);
    }
    // Each attempt is logged.
    let created_id = &got[0].id;
    let detail = s
        .get(
            &format!("/v1/webhooks/{sub}/deliveries/{created_id}"),
            ADMIN,
        )
        .await;
    let detail = detail.ok(200).clone();
    assert_eq!(detail["event"]["type"], "appointment.created");
    let attempts: Vec<(u64, u64, &str)> = detail["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["attempt"].as_u64().unwrap(),
                a["http_status"].as_u64().unwrap(),
                a["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        attempts,
        [(1, 500, "pending"), (2, 500, "pending"), (3, 500, "dead")]
    );

    // The receiver recovers; replay delivers both, in order.
    r.inbox.fail_all.store(false, Ordering::SeqCst);
    let replayed = s
        .post(&format!("/v1/webhooks/{sub}/replay"), ADMIN, json!({}))
        .await;
    assert_eq!(replayed.ok(200)["requeued"], 2);
    let got = r
        .wait_for("the replayed deliveries", |g| {
            g.iter().filter(|g| g.answered < 300).count() == 2
        })
        .await;
    let accepted: Vec<String> = got
        .iter()
        .filter(|g| g.answered < 300)
        .map(|g| g.json()["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(accepted, ["appointment.created", "appointment.cancelled"]);
    assert_eq!(r.accepted()[0].id, got[0].id, "the same event id again");
    let again = s
        .post(&format!("/v1/webhooks/{sub}/replay"), ADMIN, json!({}))
        .await;
    assert_eq!(again.ok(200)["requeued"], 0);
}

/// A receiver that fails twice, then recovers, still sees each
/// appointment's events in order, and every event delivered once accepted.
#[tokio::test]
async fn retries_keep_order_per_appointment() {
    let s = Server::start_with(Backend::Sqlite, "sqlite", fast)
        .await
        .unwrap();
    let r = receiver().await;
    r.inbox.fail_next.store(2, Ordering::SeqCst);
    let (_, secret) = subscribe(&s, &r.url, json!(["*"])).await;
    provider(&s, "P1", &["gp"], "09:00", "17:00").await;
    let mut ids = Vec::new();
    for (i, patient) in ["X1", "X2", "X3"].iter().enumerate() {
        let id = book(&s, patient, &at(2, 10 + i as i64, 0)).await;
        let done = act(
            &s,
            &format!("patient:{patient}"),
            &id,
            "cancel",
            1,
            json!({"reason": "r"}),
        )
        .await;
        assert_eq!(done.status, 200, "{}", done.json);
        ids.push(id);
    }
    let got = r
        .wait_for("six accepted", |g| {
            g.iter().filter(|g| g.answered < 300).count() >= 6
        })
        .await;
    for g in &got {
        verify(&secret, g);
    }
    let accepted: Vec<Got> = got.into_iter().filter(|g| g.answered < 300).collect();
    let per = by_appointment(&accepted);
    for id in &ids {
        assert_eq!(
            kinds(&per[id]),
            ["appointment.created", "appointment.cancelled"],
            "{id}"
        );
    }
}

// ---------------------------------------------------------------- API

#[tokio::test]
async fn the_api_checks_its_input_and_roles_and_never_shows_the_secret() {
    let s = Server::start_with(Backend::Sqlite, "sqlite", fast)
        .await
        .unwrap();
    for url in [
        "ftp://hooks.example/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "hooks.example/x",
        "http://",
    ] {
        let r = s
            .post("/v1/webhooks", ADMIN, json!({"url": url, "events": ["*"]}))
            .await;
        problem(&r, 422, "invalid_webhook_url");
    }
    let bad = [
        json!({"url": "https://h.example/x", "events": []}),
        json!({"url": "https://h.example/x", "events": ["appointment.exploded"]}),
        json!({"url": "https://h.example/x", "events": ["*"], "secret": "short"}),
    ];
    for body in bad {
        problem(
            &s.post("/v1/webhooks", ADMIN, body).await,
            422,
            "invalid_request",
        );
    }
    problem(
        &s.post("/v1/webhooks", ADMIN, json!({"url": "https://h.example/x"}))
            .await,
        422,
        "invalid_request",
    );
    for who in ["doctor:D1", "patient:X1"] {
        problem(
            &s.post(
                "/v1/webhooks",
                who,
                json!({"url": "https://h.example/x", "events": ["*"]}),
            )
            .await,
            403,
            "forbidden",
        );
        problem(&s.get("/v1/webhooks", who).await, 403, "forbidden");
    }
    problem(&s.get("/v1/webhooks", "nobody").await, 401, "unauthorized");

    let r = receiver().await;
    let chosen = "a-secret-of-my-own-choosing-123";
    let created = s
        .post(
            "/v1/webhooks",
            ADMIN,
            json!({"url": r.url, "events": ["appointment.created"], "secret": chosen}),
        )
        .await;
    assert_eq!(created.ok(201)["secret"], chosen);
    let id = created.json["id"].as_str().unwrap().to_string();
    let one = s.get(&format!("/v1/webhooks/{id}"), ADMIN).await;
    assert_eq!(one.ok(200)["url"], r.url.as_str());
    let list = s.get("/v1/webhooks", ADMIN).await;
    assert_eq!(list.ok(200)["subscriptions"].as_array().unwrap().len(), 1);
    for body in [&one.json, &list.json] {
        assert!(
            !body.to_string().contains(chosen),
            "the secret is never shown again: {body}"
        );
        assert!(!body.to_string().contains("secret"), "{body}");
    }
    // Another organization sees nothing of it.
    let other = s.token_in(
        support::OTHER,
        "A9",
        &[hcas_core::consent::Role::Admin],
        None,
    );
    assert_eq!(
        s.get("/v1/webhooks", &other).await.ok(200)["subscriptions"],
        json!([])
    );
    problem(
        &s.get(&format!("/v1/webhooks/{id}"), &other).await,
        404,
        "not_found",
    );

    // A ping is signed and delivered like any event.
    let ping = s
        .post(&format!("/v1/webhooks/{id}/ping"), ADMIN, json!({}))
        .await;
    let event_id = ping.ok(202)["event_id"].as_str().unwrap().to_string();
    let got = r.wait_for("the ping", |g| !g.is_empty()).await;
    verify(chosen, &got[0]);
    assert_eq!(
        (got[0].id.as_str(), got[0].json()["type"].as_str()),
        (event_id.as_str(), Some("ping"))
    );
    docs_snippets_verify(chosen, &got[0]);

    problem(
        &s.get(&format!("/v1/webhooks/{id}/deliveries?status=lost"), ADMIN)
            .await,
        422,
        "invalid_request",
    );
    problem(
        &s.get(&format!("/v1/webhooks/{id}/deliveries?limit=0"), ADMIN)
            .await,
        422,
        "invalid_request",
    );
    assert_eq!(
        s.delete(&format!("/v1/webhooks/{id}"), ADMIN).await.status,
        204
    );
    problem(
        &s.get(&format!("/v1/webhooks/{id}"), ADMIN).await,
        404,
        "not_found",
    );
    problem(
        &s.delete(&format!("/v1/webhooks/{id}"), ADMIN).await,
        404,
        "not_found",
    );
    problem(
        &s.post(&format!("/v1/webhooks/{id}/replay"), ADMIN, json!({}))
            .await,
        404,
        "not_found",
    );
    problem(
        &s.get("/v1/webhooks/bad%20id", ADMIN).await,
        422,
        "invalid_request",
    );
}

// ---------------------------------------------------------------- kill -9

/// Fast webhook settings for the demo binary the kill test starts twice.
const FAST_WEBHOOKS: [(&str, &str); 4] = [
    ("HCAS_WEBHOOK_BACKOFF_MS", "50"),
    ("HCAS_WEBHOOK_BACKOFF_MAX_MS", "200"),
    ("HCAS_WEBHOOK_TIMEOUT_MS", "1000"),
    ("HCAS_WEBHOOK_MAX_ATTEMPTS", "100"),
];

#[tokio::test]
async fn killed_mid_burst_loses_no_committed_event_sqlite() {
    killed_mid_burst_loses_no_committed_event(None).await;
}

#[tokio::test]
async fn killed_mid_burst_loses_no_committed_event_postgres() {
    let Some(db) = support::fresh_db("hooks_kill").await else {
        return;
    };
    killed_mid_burst_loses_no_committed_event(Some(&db.url)).await;
}

/// Book a burst through the API, SIGKILL the server when a third of it is
/// answered, start it again on the same data: every booking that was
/// answered 201 (committed) reaches the receiver as `appointment.created`
/// (duplicates allowed: the same event id), every delivery signed.
async fn killed_mid_burst_loses_no_committed_event(database_url: Option<&str>) {
    const BURST: usize = 48;
    let data = tempfile::tempdir().unwrap();
    let (mut child, base) = support::demo_spawn(data.path(), database_url, &FAST_WEBHOOKS);
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"org": "demo", "username": "frontdesk", "password": "demo-frontdesk"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_string();
    let r = receiver().await;
    let created: Value = client
        .post(format!("{base}/v1/webhooks"))
        .bearer_auth(&token)
        .json(&json!({"url": r.url, "events": ["appointment.created"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = created["secret"].as_str().unwrap().to_string();
    // Nothing is accepted before the kill: every event must come from what
    // the killed process left on disk (the outbox and the delivery queue).
    r.inbox.fail_all.store(true, Ordering::SeqCst);

    let committed = Arc::new(Mutex::new(Vec::<String>::new()));
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        let (committed, next) = (Arc::clone(&committed), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= BURST {
                    return;
                }
                let providers = ["dr-lee", "dr-okafor", "dr-santos"];
                let patients = ["pat-alice", "pat-bob"];
                let sent = client
                    .post(format!("{base}/v1/appointments"))
                    .bearer_auth(&token)
                    .json(
                        &json!({"provider": providers[n % 3], "patient": patients[n % 2],
                                  "start": support::demo_start(n), "duration": 30}),
                    )
                    .send()
                    .await;
                let Ok(res) = sent else { return };
                if res.status() != 201 {
                    assert!(
                        res.status().is_server_error() || res.status() == 503,
                        "{}",
                        res.status()
                    );
                    continue;
                }
                let Ok(body) = res.json::<Value>().await else {
                    return;
                };
                committed
                    .lock()
                    .unwrap()
                    .push(body["id"].as_str().unwrap().to_string());
            }
        }));
    }
    let started = std::time::Instant::now();
    while committed.lock().unwrap().len() < BURST / 3 {
        assert!(
            started.elapsed() < Duration::from_secs(120) && !tasks.iter().all(|t| t.is_finished()),
            "the burst stalled before a third of it was booked"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let committed: Vec<String> = committed.lock().unwrap().clone();
    assert!(
        committed.len() >= BURST / 3 && committed.len() < BURST,
        "killed mid-burst: {}",
        committed.len()
    );

    let refused_before = r.got().len();
    r.inbox.fail_all.store(false, Ordering::SeqCst);
    let (mut child, _) = support::demo_spawn(data.path(), database_url, &FAST_WEBHOOKS);
    let want: HashSet<String> = committed.iter().cloned().collect();
    let got = r
        .wait_for("every committed booking's event", |g| {
            let seen: HashSet<String> = g
                .iter()
                .filter(|g| g.answered < 300)
                .map(|g| g.json()["appointment_id"].as_str().unwrap().to_string())
                .collect();
            want.is_subset(&seen)
        })
        .await;
    child.kill().unwrap();
    child.wait().unwrap();
    let mut ids_by_appointment: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    let got: Vec<Got> = got.into_iter().filter(|g| g.answered < 300).collect();
    for g in &got {
        verify(&secret, g);
        assert_eq!(g.json()["type"], "appointment.created");
        ids_by_appointment
            .entry(g.json()["appointment_id"].as_str().unwrap().to_string())
            .or_default()
            .insert(g.id.clone());
    }
    println!(
        "burst of {BURST}: {} committed before SIGKILL, {refused_before} attempts refused before it, {} deliveries accepted after the restart, {} appointments",
        committed.len(),
        got.len(),
        ids_by_appointment.len()
    );
    // A duplicate is the same event: one event id per appointment.
    assert!(
        ids_by_appointment.values().all(|ids| ids.len() == 1),
        "{ids_by_appointment:?}"
    );
}

// ---------------------------------------------------------------- docs

/// The first fenced block of `lang` in `docs/webhooks.md`.
fn snippet(lang: &str) -> String {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/webhooks.md"
    ))
    .unwrap();
    let start = doc
        .find(&format!("```{lang}\n"))
        .unwrap_or_else(|| panic!("no {lang} block"))
        + lang.len()
        + 4;
    let len = doc[start..].find("```").unwrap();
    doc[start..start + len].to_string()
}

/// Whether `tool` runs; without it the check is skipped, except with
/// `HCAS_REQUIRE_WEBHOOK_SNIPPETS=1` (set by `scripts/test`) or `CI=true`,
/// where it fails.
fn have(tool: &str) -> bool {
    if std::process::Command::new(tool)
        .arg("--version")
        .output()
        .is_ok()
    {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{tool} is needed for the docs' snippets"
    );
    println!("skipped: {tool} not installed");
    false
}

/// Run `program` with `code` on stdin-less argv, the delivery in the
/// environment; its stdout.
fn run(program: &str, file: &std::path::Path, secret: &str, g: &Got, body: &str) -> String {
    let headers = json!({
        "hcas-webhook-id": g.id, "hcas-webhook-timestamp": g.timestamp,
        "hcas-webhook-signature": g.signature,
    });
    let out = std::process::Command::new(program)
        .arg(file)
        .env("SECRET", secret)
        .env("HEADERS", headers.to_string())
        .env("BODY", body)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{program}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The Python and JavaScript `verify` of the docs accept the real delivery
/// and refuse it with a changed body or another secret.
fn docs_snippets_verify(secret: &str, g: &Got) {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "python3",
            "verify.py",
            snippet("python")
                + "\nimport json, os\nprint(verify(os.environ['SECRET'], json.loads(os.environ['HEADERS']), os.environ['BODY'].encode()))\n",
            ["True", "False"],
        ),
        (
            "node",
            "verify.js",
            snippet("js")
                + "\nconsole.log(verify(process.env.SECRET, JSON.parse(process.env.HEADERS), Buffer.from(process.env.BODY)) ? 'True' : 'False');\n",
            ["True", "False"],
        ),
    ];
    for (program, name, code, [yes, no]) in cases {
        if !have(program) {
            continue;
        }
        let file = dir.path().join(name);
        std::fs::write(&file, code).unwrap();
        assert_eq!(
            run(program, &file, secret, g, &g.body),
            yes,
            "{program} accepts the delivery"
        );
        let tampered = g.body.replacen("ping", "pong", 1);
        assert_eq!(
            run(program, &file, secret, g, &tampered),
            no,
            "{program} refuses a changed body"
        );
        assert_eq!(
            run(program, &file, "another-secret-entirely-xx", g, &g.body),
            no,
            "{program} refuses another secret"
        );
    }
}

/// The ```` ```sh ```` block of `docs/webhooks.md` against the demo binary,
/// with this test's receiver as `HOOK_URL`: it succeeds, prints the secret
/// and the ping's event id, and the receiver gets that ping signed with
/// that secret.
#[tokio::test]
async fn the_docs_shell_example_runs() {
    if !support::have_jq("docs/webhooks.md's shell example") {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let (mut child, base) = support::demo_spawn(data.path(), None, &FAST_WEBHOOKS);
    let r = receiver().await;
    let block = snippet("sh")
        .replace(
            "export HCAS=http://127.0.0.1:8080",
            &format!("export HCAS={base}"),
        )
        .replace(
            "HOOK_URL=https://hooks.example.com/hcas",
            &format!("HOOK_URL={}", r.url),
        );
    // Off the runtime: the receiver answers while the script runs.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .arg("-c")
            .arg(format!("set -euo pipefail\n{block}"))
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    let (secret, event_id) = (lines[0], lines[1]);
    assert!(secret.starts_with("whsec_"), "{stdout}");
    assert!(event_id.starts_with("evt_demo_ping_"), "{stdout}");
    assert_eq!(lines.last().copied(), Some(r#"{"requeued":0}"#), "{stdout}");
    let got = r.wait_for("the ping", |g| !g.is_empty()).await;
    assert_eq!(got[0].id, event_id);
    verify(secret, &got[0]);
}
