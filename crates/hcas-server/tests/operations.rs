//! Operations over real HTTP: Prometheus metrics (and `promtool check
//! metrics` on them), rate limits, CORS, TLS, trace context.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::io::Write as _;
use std::process::{Command, Stdio};

use hcas_server::config::Config;
use serde_json::{Value, json};

const SLOTS: &str = "/v1/engine/slots";

fn slots_input() -> Value {
    json!({
        "timezone": "Europe/Berlin",
        "rules": [{ "rrule": "FREQ=DAILY", "dtstart": "2026-03-01", "start": "09:00", "end": "10:00" }],
        "query": { "from": "2026-03-09T00:00:00Z", "to": "2026-03-10T00:00:00Z", "duration": 30 }
    })
}

fn config(dir: &tempfile::TempDir) -> Config {
    let mut c = Config::with_data_dir(dir.path());
    c.listen = "127.0.0.1:0".parse().unwrap();
    c
}

/// The value of the sample whose name and labels are exactly `series`
/// (0 when absent: a counter not yet touched).
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (name, v) = l.rsplit_once(' ')?;
            (name == series).then(|| v.parse::<f64>().unwrap())
        })
        .unwrap_or(0.0)
}

async fn scrape(c: &reqwest::Client, base: &str) -> String {
    let res = c.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"),
    );
    res.text().await.unwrap()
}

fn promtool_check(text: &str) {
    let found = Command::new("promtool")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("HCAS_REQUIRE_PROMTOOL").is_none(),
            "HCAS_REQUIRE_PROMTOOL is set but promtool is not on PATH"
        );
        eprintln!("note: promtool not on PATH; `promtool check metrics` skipped");
        return;
    }
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics refused the scrape:\n{}{}\n--- scrape ---\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_the_service_events() {
    let dir = tempfile::tempdir().unwrap();
    let s = hcas_server::start(config(&dir)).await.unwrap();
    let base = s.url();
    let c = reqwest::Client::new();
    let before = scrape(&c, &base).await;
    let ok = "hcas_http_requests_total{method=\"POST\",route=\"/v1/engine/{kind}\",status=\"200\"}";
    let refused =
        "hcas_http_requests_total{method=\"POST\",route=\"/v1/engine/{kind}\",status=\"404\"}";
    let unmatched = "hcas_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}";
    let latency = "hcas_http_request_duration_seconds_count{route=\"/v1/engine/{kind}\"}";
    for _ in 0..3 {
        let res = c
            .post(format!("{base}{SLOTS}"))
            .json(&slots_input())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let res = c
        .post(format!("{base}/v1/engine/no-such-kind"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = c
        .get(format!("{base}/made/up/path-12345"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let m = &s.state().metrics;
    m.booking();
    m.booking();
    m.conflict();
    m.consent_denied();
    m.break_glass();
    let after = scrape(&c, &base).await;
    assert_eq!(sample(&after, ok) - sample(&before, ok), 3.0, "{after}");
    assert_eq!(sample(&after, refused) - sample(&before, refused), 1.0);
    assert_eq!(sample(&after, unmatched) - sample(&before, unmatched), 1.0);
    assert_eq!(sample(&after, latency) - sample(&before, latency), 4.0);
    assert!(
        !after.contains("no-such-kind") && !after.contains("path-12345"),
        "raw paths never become labels"
    );
    assert_eq!(sample(&after, "hcas_bookings_total"), 2.0);
    assert_eq!(sample(&after, "hcas_conflicts_total"), 1.0);
    assert_eq!(sample(&after, "hcas_consent_denials_total"), 1.0);
    assert_eq!(sample(&after, "hcas_break_glass_total"), 1.0);
    // The histogram is cumulative: +Inf holds every request of the route.
    assert_eq!(
        sample(
            &after,
            "hcas_http_request_duration_seconds_bucket{route=\"/v1/engine/{kind}\",le=\"+Inf\"}"
        ),
        sample(&after, latency)
    );
    promtool_check(&after);
    // /metrics is in the OpenAPI document.
    let doc: Value = c
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/metrics"]["get"].is_object());
    let mut kinds: Vec<String> =
        doc["paths"]["/v1/engine/{kind}"]["post"]["parameters"][0]["schema"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_string())
            .collect();
    kinds.sort();
    let mut core: Vec<String> = hcas_core::wire::KINDS
        .iter()
        .map(|k| (*k).to_string())
        .collect();
    core.sort();
    assert_eq!(kinds, core, "the documented kinds are the engine's");
    // The gateway's own answers are documented on every operation.
    let engine = &doc["paths"]["/v1/engine/{kind}"]["post"];
    for status in ["400", "413", "415", "422", "429", "503"] {
        assert!(engine["responses"][status].is_object(), "{status}");
    }
    assert!(
        doc["paths"]["/healthz"]["get"]["responses"]["429"]["headers"]["Retry-After"].is_object()
    );
    s.shutdown().await;
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after_per_client() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir);
    cfg.rate_limit_per_second = 1;
    cfg.rate_limit_burst = 3;
    let s = hcas_server::start(cfg).await.unwrap();
    let base = s.url();
    let c = reqwest::Client::new();
    for _ in 0..3 {
        let res = c.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
    let mut limited = None;
    // At 1/s a token may come back between requests; a few more calls
    // must still hit the empty bucket.
    for _ in 0..5 {
        let res = c.get(format!("{base}/healthz")).send().await.unwrap();
        if res.status() == 429 {
            limited = Some(res);
            break;
        }
    }
    let res = limited.expect("the 4th to 8th request within the burst window is limited");
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(body["status"], 429);
    assert_eq!(body["retry_after"], retry);
    let text = scrape_unlimited(&s).await;
    assert!(sample(&text, "hcas_rate_limited_total") >= 1.0);
    s.shutdown().await;

    // 0 turns it off.
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir);
    cfg.rate_limit_per_second = 0;
    let s = hcas_server::start(cfg).await.unwrap();
    for _ in 0..300 {
        let res = c.get(format!("{}/healthz", s.url())).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
    s.shutdown().await;
}

/// The metrics text straight from the state (the limited client cannot scrape).
async fn scrape_unlimited(s: &hcas_server::Running) -> String {
    s.state().metrics.render()
}

#[tokio::test]
async fn cors_only_when_origins_are_configured() {
    let c = reqwest::Client::new();
    let dir = tempfile::tempdir().unwrap();
    let s = hcas_server::start(config(&dir)).await.unwrap();
    let res = c
        .get(format!("{}/healthz", s.url()))
        .header("origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    s.shutdown().await;

    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir);
    cfg.cors_origins = vec!["https://app.example".to_string()];
    let s = hcas_server::start(cfg).await.unwrap();
    let res = c
        .request(reqwest::Method::OPTIONS, format!("{}{SLOTS}", s.url()))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    assert!(
        res.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    let res = c
        .post(format!("{}{SLOTS}", s.url()))
        .header("origin", "https://app.example")
        .json(&slots_input())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let res = c
        .get(format!("{}/healthz", s.url()))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    s.shutdown().await;
}

#[tokio::test]
async fn tls_serves_https_with_the_configured_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, key.cert.pem()).unwrap();
    std::fs::write(&key_path, key.signing_key.serialize_pem()).unwrap();
    let mut cfg = config(&dir);
    cfg.tls_cert = Some(cert_path.clone());
    cfg.tls_key = Some(key_path.clone());
    let s = hcas_server::start(cfg).await.unwrap();
    assert!(s.url().starts_with("https://"));
    let root = reqwest::Certificate::from_pem(key.cert.pem().as_bytes()).unwrap();
    let c = reqwest::Client::builder()
        .add_root_certificate(root)
        .resolve("localhost", s.addr())
        .build()
        .unwrap();
    let url = format!("https://localhost:{}", s.addr().port());
    let res = c
        .post(format!("{url}{SLOTS}"))
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
    // Plain HTTP to the TLS port gets no answer.
    let plain = reqwest::Client::new()
        .get(format!("http://{}/healthz", s.addr()))
        .send()
        .await;
    assert!(plain.is_err() || plain.unwrap().status() != 200);
    s.shutdown().await;

    // A missing or wrong file stops the start, naming the setting.
    let mut cfg = config(&dir);
    cfg.tls_cert = Some(dir.path().join("missing.pem"));
    cfg.tls_key = Some(key_path.clone());
    let e = hcas_server::start(cfg).await.err().unwrap();
    assert!(e.to_string().contains("`tls_cert`"), "{e}");
    let mut cfg = config(&dir);
    cfg.tls_cert = Some(cert_path.clone());
    cfg.tls_key = Some(cert_path.clone());
    let e = hcas_server::start(cfg).await.err().unwrap();
    assert!(e.to_string().contains("`tls_key`"), "{e}");
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let other_key = dir.path().join("other-key.pem");
    std::fs::write(&other_key, other.signing_key.serialize_pem()).unwrap();
    let mut cfg = config(&dir);
    cfg.tls_cert = Some(cert_path);
    cfg.tls_key = Some(other_key);
    let e = hcas_server::start(cfg).await.err().unwrap();
    assert!(e.to_string().contains("`tls_key`"), "{e}");
}

#[tokio::test]
async fn traceparent_is_continued_or_started_and_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let s = hcas_server::start(config(&dir)).await.unwrap();
    let c = reqwest::Client::new();
    let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let res = c
        .get(format!("{}/healthz", s.url()))
        .header("traceparent", incoming)
        .send()
        .await
        .unwrap();
    let echoed = res.headers()["traceparent"].to_str().unwrap().to_string();
    let parts: Vec<&str> = echoed.split('-').collect();
    assert_eq!(parts.len(), 4, "{echoed}");
    assert_eq!(parts[0], "00");
    assert_eq!(parts[1], "4bf92f3577b34da6a3ce929d0e0e4736", "same trace");
    assert_eq!(parts[2].len(), 16);
    assert_ne!(parts[2], "00f067aa0ba902b7", "the server's own span");
    assert_eq!(parts[3], "01");
    // An invalid one starts a new trace.
    let res = c
        .get(format!("{}/healthz", s.url()))
        .header(
            "traceparent",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        )
        .send()
        .await
        .unwrap();
    let fresh = res.headers()["traceparent"].to_str().unwrap().to_string();
    let parts: Vec<&str> = fresh.split('-').collect();
    assert_eq!(parts.len(), 4);
    assert_eq!(parts[1].len(), 32);
    assert_ne!(parts[1], "00000000000000000000000000000000");
    assert!(parts[1].bytes().all(|b| b.is_ascii_hexdigit()));
    s.shutdown().await;
}
