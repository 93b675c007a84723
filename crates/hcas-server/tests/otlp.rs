//! OTLP trace export over real HTTP: a server on port 0 exports to an
//! in-test collector (an axum server on 127.0.0.1:0 recording what is
//! POSTed to `/v1/traces`); after a graceful shutdown every span is there,
//! in the OTLP JSON shape, joined to the caller's trace, named by route
//! template, with no token, query string or patient id in it. A collector
//! that cannot be reached leaves requests succeeding and the failed export
//! counted in `/metrics`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use hcas_core::consent::Role;
use hcas_server::auth::{Principal, Verifier};
use hcas_server::config::Config;
use hcas_server::error::ApiError;
use hcas_server::tenants::OrgId;
use serde_json::{Value, json};

const ORG: &str = "org-a";
/// A bearer token, a patient id, a query value and a raw path that must
/// never reach the collector.
const TOKEN: &str = "tok-needle-5521";
const PATIENT: &str = "pat-needle-7731";
const QUERY: &str = "query-needle-0042";
const RAW_PATH: &str = "path-needle-9913";

/// Accepts exactly [`TOKEN`]: an admin of [`ORG`].
struct OneToken;

#[async_trait]
impl Verifier for OneToken {
    async fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        if token == TOKEN {
            Ok(Principal::new(
                "desk1",
                OrgId::parse(ORG).unwrap(),
                vec![Role::Admin],
            ))
        } else {
            Err(ApiError::unauthorized("unknown test token"))
        }
    }
}

/// One POST to the collector: its content type and body.
type Post = (String, Vec<u8>);

/// What the collector received.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<Post>>>);

/// An OTLP/HTTP collector on 127.0.0.1:0: its base URL and what it receives.
async fn collector() -> (String, Received) {
    let got = Received::default();
    let app = axum::Router::new()
        .route(
            "/v1/traces",
            axum::routing::post(
                |State(got): State<Received>, headers: HeaderMap, body: Bytes| async move {
                    let ct = headers
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    got.0.lock().unwrap().push((ct, body.to_vec()));
                    ([("content-type", "application/json")], "{}")
                },
            ),
        )
        .with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}"), got)
}

async fn server(endpoint: &str, dir: &tempfile::TempDir) -> hcas_server::Running {
    let mut config = Config::with_data_dir(dir.path());
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.rate_limit_per_second = 0;
    config.otlp_endpoint = Some(endpoint.to_string());
    let state = hcas_server::AppState::new(config).with_verifier(Arc::new(OneToken));
    let running = hcas_server::start_state(state).await.unwrap();
    running
        .state()
        .tenants
        .create(&OrgId::parse(ORG).unwrap())
        .await
        .unwrap();
    running
}

/// The response's status and its `traceparent` split in four.
async fn send(req: reqwest::RequestBuilder) -> (u16, Vec<String>) {
    let res = req.send().await.unwrap();
    let tp = res.headers()["traceparent"].to_str().unwrap().to_string();
    (
        res.status().as_u16(),
        tp.split('-').map(str::to_string).collect(),
    )
}

fn attr<'a>(span: &'a Value, key: &str) -> Option<&'a Value> {
    span["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == key)
        .map(|a| &a["value"])
}

fn string_attr(span: &Value, key: &str) -> Option<String> {
    attr(span, key).map(|v| v["stringValue"].as_str().unwrap().to_string())
}

/// The status code attribute (an int64: a string or a number in OTLP JSON).
fn status_attr(span: &Value) -> u16 {
    let v = &attr(span, "http.response.status_code").unwrap()["intValue"];
    v.as_str()
        .map_or_else(|| v.as_u64().unwrap(), |s| s.parse().unwrap())
        .try_into()
        .unwrap()
}

/// Every span in every body, by span id; checks the OTLP envelope.
fn spans(bodies: &[Post]) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (ct, body) in bodies {
        assert!(ct.starts_with("application/json"), "content type {ct}");
        let v: Value = serde_json::from_slice(body).unwrap();
        for rs in v["resourceSpans"].as_array().unwrap() {
            let resource = &rs["resource"];
            assert_eq!(
                string_attr(resource, "service.name").as_deref(),
                Some("hcas-server")
            );
            assert_eq!(
                string_attr(resource, "service.version").as_deref(),
                Some(env!("CARGO_PKG_VERSION"))
            );
            for ss in rs["scopeSpans"].as_array().unwrap() {
                for span in ss["spans"].as_array().unwrap() {
                    let id = span["spanId"].as_str().unwrap().to_string();
                    assert!(out.insert(id, span.clone()).is_none(), "one span per id");
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn spans_join_the_callers_trace_and_carry_no_secrets() {
    let (endpoint, got) = collector().await;
    let dir = tempfile::tempdir().unwrap();
    let s = server(&endpoint, &dir).await;
    let base = s.url();
    let c = reqwest::Client::new();

    let caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let (health_status, health_tp) = send(
        c.get(format!("{base}/healthz"))
            .header("traceparent", format!("00-{caller_trace}-{caller_span}-01"))
            .header("x-request-id", "otlp-test-1"),
    )
    .await;
    assert_eq!(health_status, 200);
    assert_eq!(health_tp[1], caller_trace);

    let patient_trace = "0af7651916cd43dd8448eb211c80319c";
    let (patient_status, patient_tp) = send(
        c.get(format!("{base}/v1/patients/{PATIENT}?secret={QUERY}"))
            .bearer_auth(TOKEN)
            .header(
                "traceparent",
                format!("00-{patient_trace}-b7ad6b7169203331-01"),
            ),
    )
    .await;
    assert!(
        (400..500).contains(&patient_status),
        "an unknown patient: {patient_status}"
    );

    let (slots_status, slots_tp) = send(c.post(format!("{base}/v1/engine/slots")).json(&json!({
        "timezone": "Europe/Berlin",
        "rules": [{ "rrule": "FREQ=DAILY", "dtstart": "2026-03-01", "start": "09:00", "end": "10:00" }],
        "query": { "from": "2026-03-09T00:00:00Z", "to": "2026-03-10T00:00:00Z", "duration": 30 }
    })))
    .await;
    assert_eq!(slots_status, 200);

    let unsampled_trace = "11111111111111111111111111111111";
    let (status, _) = send(c.get(format!("{base}/healthz")).header(
        "traceparent",
        format!("00-{unsampled_trace}-{caller_span}-00"),
    ))
    .await;
    assert_eq!(status, 200);

    let (unmatched_status, unmatched_tp) =
        send(c.get(format!("{base}/made/up/{RAW_PATH}?q={QUERY}"))).await;
    assert_eq!(unmatched_status, 404);

    let metrics = Arc::clone(&s.state().metrics);
    // Shutdown sends what is still queued: nothing is lost.
    s.shutdown().await;

    let bodies = got.0.lock().unwrap().clone();
    assert!(!bodies.is_empty(), "the collector received nothing");
    for (_, body) in &bodies {
        let text = String::from_utf8_lossy(body);
        for secret in [TOKEN, PATIENT, QUERY, RAW_PATH, "secret=", "Bearer"] {
            assert!(
                !text.contains(secret),
                "`{secret}` reached the collector: {text}"
            );
        }
    }
    let spans = spans(&bodies);
    assert_eq!(
        spans.len(),
        4,
        "one span per sampled request, none for the unsampled one: {spans:#?}"
    );
    assert!(
        spans.values().all(|s| s["traceId"] != unsampled_trace),
        "an unsampled trace is not exported"
    );

    // The request carrying a traceparent: the caller's trace, its span as
    // parent, the server's span id as echoed.
    let health = &spans[&health_tp[2]];
    assert_eq!(health["traceId"], caller_trace);
    assert_eq!(health["parentSpanId"], caller_span);
    assert_eq!(health["spanId"], health_tp[2]);
    assert_eq!(health["name"], "GET /healthz");
    assert_eq!(health["kind"], 2);
    assert_eq!(status_attr(health), 200);
    assert_eq!(
        string_attr(health, "http.request.method").as_deref(),
        Some("GET")
    );
    assert_eq!(
        string_attr(health, "http.route").as_deref(),
        Some("/healthz")
    );
    assert_eq!(
        string_attr(health, "hcas.request_id").as_deref(),
        Some("otlp-test-1")
    );
    assert!(
        health.get("status").is_none(),
        "a 200 leaves the status unset"
    );
    let start: u128 = health["startTimeUnixNano"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let end: u128 = health["endTimeUnixNano"].as_str().unwrap().parse().unwrap();
    assert!(
        start > 1_600_000_000_000_000_000 && end >= start,
        "{start} {end}"
    );

    // A route with an id: named by its template, never the raw path.
    let patient = &spans[&patient_tp[2]];
    assert_eq!(patient["traceId"], patient_trace);
    assert_eq!(patient["parentSpanId"], "b7ad6b7169203331");
    assert_eq!(patient["name"], "GET /v1/patients/{id}");
    assert_eq!(
        string_attr(patient, "http.route").as_deref(),
        Some("/v1/patients/{id}")
    );
    assert_eq!(status_attr(patient), patient_status);

    // No traceparent: a new trace, as echoed, without a parent.
    let slots = &spans[&slots_tp[2]];
    assert_eq!(slots["traceId"], slots_tp[1]);
    assert!(slots.get("parentSpanId").is_none());
    assert_eq!(slots["name"], "POST /v1/engine/{kind}");
    assert_eq!(status_attr(slots), 200);

    // No route: the method alone.
    let unmatched = &spans[&unmatched_tp[2]];
    assert_eq!(unmatched["name"], "GET");
    assert!(attr(unmatched, "http.route").is_none());
    assert_eq!(status_attr(unmatched), 404);

    let text = metrics.render();
    assert!(
        text.contains("hcas_otlp_spans_exported_total 4\n"),
        "{text}"
    );
    assert!(
        text.contains("hcas_otlp_spans_dropped_total{reason=\"queue_full\"} 0\n")
            && text.contains("hcas_otlp_spans_dropped_total{reason=\"export_failed\"} 0\n"),
        "{text}"
    );
}

/// The value of the sample named exactly `series` (0 when absent).
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (name, v) = l.rsplit_once(' ')?;
            (name == series).then(|| v.parse::<f64>().unwrap())
        })
        .unwrap_or(0.0)
}

#[tokio::test]
async fn an_unreachable_collector_fails_no_request() {
    // A port nobody listens on (bound, then released).
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let s = server(&format!("http://{closed}"), &dir).await;
    let base = s.url();
    let c = reqwest::Client::new();
    for _ in 0..5 {
        let res = c.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
    // The batch goes out within a second; poll /metrics (generously) until
    // its failure is counted there.
    let failed = "hcas_otlp_spans_dropped_total{reason=\"export_failed\"}";
    let deadline = Instant::now() + Duration::from_secs(60);
    let text = loop {
        let res = c.get(format!("{base}/metrics")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let text = res.text().await.unwrap();
        if sample(&text, failed) >= 5.0 {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "the failed export never showed in /metrics:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(sample(&text, "hcas_otlp_spans_exported_total"), 0.0);
    // Requests still succeed, and shutdown does not hang on the collector.
    let res = c.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    s.shutdown().await;
}
