//! The gateway's contract over real HTTP: problem+json for every error with
//! the stable code, request ids, body limits, unknown routes and methods,
//! bad input never a 5xx, health, readiness and the OpenAPI document.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};

struct Server {
    base: String,
    running: Option<hcas_server::Running>,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = hcas_server::config::Config::with_data_dir(dir.path());
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.max_body_bytes = 4096;
        let running = hcas_server::start(config).await.unwrap();
        Self {
            base: format!("http://{}", running.addr()),
            running: Some(running),
            _dir: dir,
        }
    }

    async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }
}

async fn problem(res: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert_eq!(body["type"], format!("urn:hcas:problem:{code}"));
    assert_eq!(
        body["instance"], request_id,
        "the problem names the request"
    );
    assert!(!body["detail"].as_str().unwrap().is_empty());
    body
}

const SLOTS: &str = "/v1/engine/slots";

fn slots_input() -> Value {
    json!({
        "timezone": "Europe/Berlin",
        "rules": [{ "rrule": "FREQ=DAILY", "dtstart": "2026-03-01", "start": "09:00", "end": "10:00" }],
        "query": { "from": "2026-03-09T00:00:00Z", "to": "2026-03-10T00:00:00Z", "duration": 30 }
    })
}

#[tokio::test]
async fn engine_answers_and_refuses_with_the_core_code() {
    let s = Server::start().await;
    let c = reqwest::Client::new();
    let res = c
        .post(format!("{}{SLOTS}", s.base))
        .json(&slots_input())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["slots"],
        json!(["2026-03-09T08:00:00Z", "2026-03-09T08:30:00Z"])
    );

    let mut bad = slots_input();
    bad["timezone"] = json!("Mars/Olympus");
    let res = c
        .post(format!("{}{SLOTS}", s.base))
        .json(&bad)
        .send()
        .await
        .unwrap();
    problem(res, 422, "invalid_timezone").await;

    let mut bad = slots_input();
    bad["query"]["to"] = json!("2026-03-08T00:00:00Z");
    let res = c
        .post(format!("{}{SLOTS}", s.base))
        .json(&bad)
        .send()
        .await
        .unwrap();
    let p = problem(res, 422, "invalid_interval").await;
    assert!(p.get("conflicts").is_none());

    let res = c
        .post(format!("{}/v1/engine/astrology", s.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    problem(res, 404, "unknown_kind").await;
    s.stop().await;
}

#[tokio::test]
async fn bad_bodies_are_4xx_problems() {
    let s = Server::start().await;
    let c = reqwest::Client::new();
    let url = format!("{}{SLOTS}", s.base);
    let send =
        |body: Vec<u8>, ct: &'static str| c.post(&url).header("content-type", ct).body(body).send();
    problem(
        send(b"{\"timezone\":".to_vec(), "application/json")
            .await
            .unwrap(),
        400,
        "malformed_request",
    )
    .await;
    problem(
        send(b"[1,2".to_vec(), "application/json").await.unwrap(),
        400,
        "malformed_request",
    )
    .await;
    problem(
        send(b"{}".to_vec(), "text/plain").await.unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    // Wrong types and unknown fields: the engine's own check, never a 5xx.
    let mut wrong = slots_input();
    wrong["query"]["duration"] = json!("thirty");
    problem(
        send(serde_json::to_vec(&wrong).unwrap(), "application/json")
            .await
            .unwrap(),
        422,
        "invalid_request",
    )
    .await;
    let mut unknown = slots_input();
    unknown["colour"] = json!("blue");
    problem(
        send(serde_json::to_vec(&unknown).unwrap(), "application/json")
            .await
            .unwrap(),
        422,
        "invalid_request",
    )
    .await;
    // Over the configured 4 KiB.
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(8192));
    problem(
        send(big.into_bytes(), "application/json").await.unwrap(),
        413,
        "payload_too_large",
    )
    .await;
    // One bad request does not harm the next.
    let res = c.post(&url).json(&slots_input()).send().await.unwrap();
    assert_eq!(res.status(), 200);
    s.stop().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let s = Server::start().await;
    let c = reqwest::Client::new();
    problem(
        c.get(format!("{}/nowhere", s.base)).send().await.unwrap(),
        404,
        "not_found",
    )
    .await;
    problem(
        c.get(format!("{}{SLOTS}", s.base)).send().await.unwrap(),
        405,
        "method_not_allowed",
    )
    .await;
    s.stop().await;
}

#[tokio::test]
async fn request_ids_are_echoed_or_made() {
    let s = Server::start().await;
    let c = reqwest::Client::new();
    let res = c
        .get(format!("{}/healthz", s.base))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    // A header that is not a sane token is replaced, not echoed.
    let res = c
        .get(format!("{}/healthz", s.base))
        .header("x-request-id", "a b\"<script>")
        .send()
        .await
        .unwrap();
    let made = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_ne!(made, "a b\"<script>");
    assert_eq!(made.len(), 36, "a generated UUID: {made}");
    s.stop().await;
}

#[tokio::test]
async fn health_readiness_and_openapi() {
    let s = Server::start().await;
    let c = reqwest::Client::new();
    for path in ["/healthz", "/readyz"] {
        let res = c.get(format!("{}{path}", s.base)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.json::<Value>().await.unwrap()["status"], "ok");
    }
    let doc: Value = c
        .get(format!("{}/openapi.json", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert!(doc["paths"]["/v1/engine/{kind}"]["post"].is_object());
    assert!(doc["paths"]["/healthz"]["get"].is_object());
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    // operationId is unique in a document (OpenAPI 3.1, 4.8.10.1); links and
    // clients name operations by it (two handlers called `list` once shared
    // one, and schemathesis's links followed the wrong route).
    let mut ids = Vec::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                ids.push(id.to_string());
            }
        }
    }
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate operationIds among {ids:?}");
    s.stop().await;
}
