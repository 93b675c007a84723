//! Trace export: one SERVER span per sampled HTTP request, sent to an
//! OpenTelemetry collector over OTLP/HTTP with the JSON encoding
//! (`POST {otlp_endpoint}/v1/traces`, `Content-Type: application/json`).
//!
//! The span carries the request's trace context (`telemetry.rs`), so it
//! joins the caller's trace: trace id, this server's span id (the one the
//! response echoes in `traceparent`) and the caller's span id as parent.
//! Its name is the method and the route template (`GET /v1/slots`); its
//! attributes are the method, the template, the status and the request id.
//! Never a raw path, a query string, a header, a token or a body: those can
//! hold patient data.
//!
//! Export never slows or fails a request: the gateway hands the finished
//! span to a bounded queue ([`QUEUE`]; when it is full the span is dropped
//! and counted) and a background task sends batches of up to
//! [`MAX_BATCH`] spans, at least every [`INTERVAL`], each POST bounded by
//! [`POST_TIMEOUT`]. A failed POST drops its batch (counted; no retries, so
//! a collector that is down never sees a storm) and is logged at `warn`, at
//! most once per [`WARN_EVERY`]. A graceful shutdown sends what is queued
//! (bounded by [`FLUSH_LIMIT`]).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::Method;
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::metrics::Metrics;

/// Spans waiting for the exporter; more are dropped (and counted).
pub(crate) const QUEUE: usize = 2048;
/// Most spans in one POST.
pub(crate) const MAX_BATCH: usize = 512;
/// Longest a span waits in a partial batch.
pub(crate) const INTERVAL: Duration = Duration::from_secs(1);
/// Bound on one POST to the collector (connecting included).
pub(crate) const POST_TIMEOUT: Duration = Duration::from_secs(5);
/// Bound on sending what is queued at shutdown.
pub(crate) const FLUSH_LIMIT: Duration = Duration::from_secs(10);
/// Least time between two warnings about failed exports.
pub(crate) const WARN_EVERY: Duration = Duration::from_secs(60);

/// One finished request, as the exporter needs it.
#[derive(Debug, Clone)]
pub(crate) struct SpanData {
    pub(crate) trace_id: String,
    pub(crate) span_id: String,
    pub(crate) parent_id: Option<String>,
    pub(crate) method: Method,
    /// The matched route template; `None` for a path no route has.
    pub(crate) route: Option<String>,
    pub(crate) status: u16,
    pub(crate) request_id: String,
    pub(crate) start: SystemTime,
    pub(crate) duration: Duration,
}

/// The OTLP exporter of a running server.
pub(crate) struct Exporter {
    tx: mpsc::Sender<SpanData>,
    metrics: Arc<Metrics>,
    stop: std::sync::Mutex<Option<oneshot::Sender<()>>>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// `{endpoint}/v1/traces` (the OTLP/HTTP path of traces below the base URL).
pub(crate) fn traces_url(endpoint: &str) -> String {
    format!("{}/v1/traces", endpoint.trim_end_matches('/'))
}

impl Exporter {
    /// Start exporting to the collector at `endpoint` (a base URL, checked
    /// by `Config::validate`), counting on `metrics`. Call inside a Tokio
    /// runtime: the batching task is spawned here.
    ///
    /// # Errors
    /// A message when the HTTP client cannot be built.
    pub(crate) fn start(endpoint: &str, metrics: Arc<Metrics>) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(POST_TIMEOUT)
            .connect_timeout(POST_TIMEOUT)
            // Spans go to the configured collector and nowhere else.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.without_url().to_string())?;
        let (mut exporter, rx) = Self::unstarted(QUEUE, Arc::clone(&metrics));
        let (stop, stopped) = oneshot::channel();
        let sender = Sender {
            client,
            url: traces_url(endpoint),
            metrics,
            last_warn: None,
            failures_since_warn: 0,
        };
        exporter.stop = std::sync::Mutex::new(Some(stop));
        exporter.task = Mutex::new(Some(tokio::spawn(run(rx, stopped, sender))));
        tracing::info!(
            "OTLP trace export on: one span per sampled request to otlp_endpoint's /v1/traces"
        );
        Ok(exporter)
    }

    /// An exporter with a queue of `capacity` and no task reading it (the
    /// receiver is returned).
    fn unstarted(capacity: usize, metrics: Arc<Metrics>) -> (Self, mpsc::Receiver<SpanData>) {
        let (tx, rx) = mpsc::channel(capacity);
        (
            Self {
                tx,
                metrics,
                stop: std::sync::Mutex::new(None),
                task: Mutex::new(None),
            },
            rx,
        )
    }

    /// Queue a finished request's span; never waits. A full queue (or a
    /// stopped exporter) drops it and counts it.
    pub(crate) fn record(&self, span: SpanData) {
        if self.tx.try_send(span).is_err() {
            self.metrics.otlp_dropped_queue_full();
        }
    }

    /// Send what is queued and stop (at most [`FLUSH_LIMIT`]); spans
    /// recorded afterwards are dropped. Later calls do nothing.
    pub(crate) async fn shutdown(&self) {
        let stop = self.stop.lock().ok().and_then(|mut s| s.take());
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        let Some(mut task) = self.task.lock().await.take() else {
            return;
        };
        if tokio::time::timeout(FLUSH_LIMIT, &mut task).await.is_err() {
            task.abort();
            tracing::warn!(
                limit_seconds = FLUSH_LIMIT.as_secs(),
                "OTLP export: queued spans not sent within the shutdown limit"
            );
        }
    }
}

/// Posts batches and counts the outcome.
struct Sender {
    client: reqwest::Client,
    url: String,
    metrics: Arc<Metrics>,
    last_warn: Option<Instant>,
    failures_since_warn: u64,
}

impl Sender {
    async fn send(&mut self, batch: &mut Vec<SpanData>) {
        if batch.is_empty() {
            return;
        }
        let n = u64::try_from(batch.len()).unwrap_or(u64::MAX);
        let body = encode(batch);
        batch.clear();
        match self.post(body).await {
            Ok(rejected) => {
                let rejected = rejected.min(n);
                self.metrics.otlp_exported(n - rejected);
                if rejected > 0 {
                    self.metrics.otlp_dropped_export_failed(rejected);
                    self.warn(&format!("the collector rejected {rejected} spans"));
                } else if self.failures_since_warn > 0 || self.last_warn.is_some() {
                    tracing::info!("OTLP export: the collector accepts spans again");
                    self.last_warn = None;
                    self.failures_since_warn = 0;
                }
            }
            Err(reason) => {
                self.metrics.otlp_dropped_export_failed(n);
                self.warn(&reason);
            }
        }
    }

    /// POST one body; the number of spans the collector says it rejected
    /// (`partialSuccess.rejectedSpans`), or why it failed.
    async fn post(&self, body: Vec<u8>) -> Result<u64, String> {
        let res = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(describe)?;
        let status = res.status();
        if !status.is_success() {
            return Err(format!("the collector answered {}", status.as_u16()));
        }
        let answer = res.bytes().await.map_err(describe)?;
        Ok(rejected_spans(&answer))
    }

    /// A warning now, unless one was logged less than [`WARN_EVERY`] ago
    /// (then counted into the next).
    fn warn(&mut self, reason: &str) {
        self.failures_since_warn += 1;
        if self.last_warn.is_some_and(|t| t.elapsed() < WARN_EVERY) {
            return;
        }
        tracing::warn!(
            reason,
            failures = self.failures_since_warn,
            "OTLP export failed; the spans are dropped (see hcas_otlp_spans_dropped_total)"
        );
        self.last_warn = Some(Instant::now());
        self.failures_since_warn = 0;
    }
}

/// A reqwest error and its causes, without the URL (it may hold credentials).
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `partialSuccess.rejectedSpans` of an OTLP export answer (0 when absent;
/// proto3 JSON writes an int64 as a string or a number).
fn rejected_spans(answer: &[u8]) -> u64 {
    let Ok(v) = serde_json::from_slice::<Value>(answer) else {
        return 0;
    };
    match &v["partialSuccess"]["rejectedSpans"] {
        Value::String(s) => s.parse().unwrap_or(0),
        Value::Number(n) => n.as_u64().unwrap_or(0),
        _ => 0,
    }
}

/// The batching loop: a batch goes out when it is full or [`INTERVAL`]
/// has passed; on `stopped` (or when every sender is gone) what is queued
/// goes out and the loop ends.
async fn run(
    mut rx: mpsc::Receiver<SpanData>,
    mut stopped: oneshot::Receiver<()>,
    mut sender: Sender,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        // `batch` is never full here (a full one was sent), so the limit is
        // at least 1.
        let limit = MAX_BATCH - batch.len();
        let received = tokio::select! {
            biased;
            _ = &mut stopped => break,
            n = rx.recv_many(&mut batch, limit) => Some(n),
            _ = tick.tick() => None,
        };
        match received {
            // Every sender is gone: nothing more can come.
            Some(0) => break,
            Some(_) if batch.len() < MAX_BATCH => {}
            _ => sender.send(&mut batch).await,
        }
    }
    rx.close();
    loop {
        sender.send(&mut batch).await;
        if rx.recv_many(&mut batch, MAX_BATCH).await == 0 {
            break;
        }
    }
}

fn string_attr(key: &str, value: &str) -> Value {
    json!({ "key": key, "value": { "stringValue": value } })
}

fn unix_nanos(t: SystemTime) -> String {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
        .to_string()
}

/// The method as OpenTelemetry's HTTP conventions name it (`_OTHER` for a
/// method that is not a standard one).
fn method_name(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "_OTHER",
    }
}

/// One span in the OTLP JSON mapping.
fn span_json(s: &SpanData) -> Value {
    let method = method_name(&s.method);
    let prefix = if method == "_OTHER" { "HTTP" } else { method };
    let name = match &s.route {
        Some(route) => format!("{prefix} {route}"),
        None => prefix.to_string(),
    };
    let mut attributes = vec![string_attr("http.request.method", method)];
    if let Some(route) = &s.route {
        attributes.push(string_attr("http.route", route));
    }
    attributes.push(json!({
        "key": "http.response.status_code",
        "value": { "intValue": s.status.to_string() }
    }));
    attributes.push(string_attr("hcas.request_id", &s.request_id));
    let mut span = json!({
        "traceId": s.trace_id,
        "spanId": s.span_id,
        "name": name,
        "kind": 2,
        "startTimeUnixNano": unix_nanos(s.start),
        "endTimeUnixNano": unix_nanos(s.start + s.duration),
        "attributes": attributes,
    });
    if let Some(parent) = &s.parent_id {
        span["parentSpanId"] = json!(parent);
    }
    // Server spans: 5xx is an error; anything else leaves the status unset.
    if s.status >= 500 {
        span["status"] = json!({ "code": 2 });
    }
    span
}

/// An `ExportTraceServiceRequest` of `spans` in the OTLP JSON encoding.
pub(crate) fn encode(spans: &[SpanData]) -> Vec<u8> {
    let version = env!("CARGO_PKG_VERSION");
    let body = json!({
        "resourceSpans": [{
            "resource": { "attributes": [
                string_attr("service.name", "hcas-server"),
                string_attr("service.version", version),
            ] },
            "scopeSpans": [{
                "scope": { "name": "hcas-server", "version": version },
                "spans": spans.iter().map(span_json).collect::<Vec<_>>(),
            }],
        }],
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(status: u16, route: Option<&str>, parent: Option<&str>) -> SpanData {
        SpanData {
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".to_string(),
            span_id: "53995c3f42cd8ad8".to_string(),
            parent_id: parent.map(str::to_string),
            method: Method::GET,
            route: route.map(str::to_string),
            status,
            request_id: "req-1".to_string(),
            start: UNIX_EPOCH + Duration::from_millis(1_700_000_000_123),
            duration: Duration::from_micros(1500),
        }
    }

    fn attr<'a>(span: &'a Value, key: &str) -> Option<&'a Value> {
        span["attributes"]
            .as_array()?
            .iter()
            .find(|a| a["key"] == key)
            .map(|a| &a["value"])
    }

    #[test]
    fn encodes_the_otlp_json_shape() {
        let body: Value = serde_json::from_slice(&encode(&[
            span(200, Some("/v1/slots"), Some("00f067aa0ba902b7")),
            span(503, None, None),
            span(404, Some("/v1/patients/{id}"), None),
        ]))
        .unwrap();
        let rs = &body["resourceSpans"][0];
        let resource = &rs["resource"]["attributes"];
        assert_eq!(resource[0]["key"], "service.name");
        assert_eq!(resource[0]["value"]["stringValue"], "hcas-server");
        assert_eq!(resource[1]["key"], "service.version");
        assert_eq!(
            resource[1]["value"]["stringValue"],
            env!("CARGO_PKG_VERSION")
        );
        let spans = rs["scopeSpans"][0]["spans"].as_array().unwrap();
        assert_eq!(spans.len(), 3);
        let ok = &spans[0];
        assert_eq!(ok["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(ok["spanId"], "53995c3f42cd8ad8");
        assert_eq!(ok["parentSpanId"], "00f067aa0ba902b7");
        assert_eq!(ok["name"], "GET /v1/slots");
        assert_eq!(ok["kind"], 2);
        assert_eq!(ok["startTimeUnixNano"], "1700000000123000000");
        assert_eq!(ok["endTimeUnixNano"], "1700000000124500000");
        assert!(ok.get("status").is_none(), "a 2xx leaves the status unset");
        assert_eq!(
            attr(ok, "http.request.method").unwrap()["stringValue"],
            "GET"
        );
        assert_eq!(attr(ok, "http.route").unwrap()["stringValue"], "/v1/slots");
        assert_eq!(
            attr(ok, "http.response.status_code").unwrap()["intValue"],
            "200"
        );
        assert_eq!(attr(ok, "hcas.request_id").unwrap()["stringValue"], "req-1");
        let failed = &spans[1];
        assert_eq!(failed["status"]["code"], 2, "5xx is an error");
        assert_eq!(failed["name"], "GET", "no route: the method alone");
        assert!(attr(failed, "http.route").is_none());
        assert!(failed.get("parentSpanId").is_none());
        assert!(
            spans[2].get("status").is_none(),
            "4xx is not a server error"
        );
        let mut other = span(200, Some("/x"), None);
        other.method = Method::from_bytes(b"PURGE").unwrap();
        let v = span_json(&other);
        assert_eq!(v["name"], "HTTP /x");
        assert_eq!(
            attr(&v, "http.request.method").unwrap()["stringValue"],
            "_OTHER"
        );
    }

    #[test]
    fn a_full_queue_drops_and_counts() {
        let metrics = Arc::new(Metrics::new());
        let (exporter, mut rx) = Exporter::unstarted(2, Arc::clone(&metrics));
        for _ in 0..5 {
            exporter.record(span(200, Some("/v1/slots"), None));
        }
        let text = metrics.render();
        assert!(
            text.contains("hcas_otlp_spans_dropped_total{reason=\"queue_full\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("hcas_otlp_spans_exported_total 0\n"),
            "{text}"
        );
        assert!(rx.try_recv().is_ok() && rx.try_recv().is_ok() && rx.try_recv().is_err());
    }

    #[test]
    fn reads_partial_success() {
        assert_eq!(rejected_spans(b"{}"), 0);
        assert_eq!(rejected_spans(b""), 0);
        assert_eq!(
            rejected_spans(br#"{"partialSuccess":{"rejectedSpans":"3"}}"#),
            3
        );
        assert_eq!(
            rejected_spans(br#"{"partialSuccess":{"rejectedSpans":2}}"#),
            2
        );
        assert_eq!(traces_url("http://c:4318/"), "http://c:4318/v1/traces");
        assert_eq!(
            traces_url("http://c:4318/otlp"),
            "http://c:4318/otlp/v1/traces"
        );
    }
}
