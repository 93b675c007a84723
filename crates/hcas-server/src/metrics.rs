//! Prometheus metrics, kept with atomics and two small maps (no metrics
//! framework), served as the text exposition format at `GET /metrics`.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `hcas_http_requests_total` | counter | `method`, `route`, `status` |
//! | `hcas_http_request_duration_seconds` | histogram | `route` |
//! | `hcas_bookings_total` | counter | |
//! | `hcas_conflicts_total` | counter | |
//! | `hcas_consent_denials_total` | counter | |
//! | `hcas_break_glass_total` | counter | |
//! | `hcas_rate_limited_total` | counter | |
//! | `hcas_otlp_spans_exported_total` | counter | |
//! | `hcas_otlp_spans_dropped_total` | counter | `reason` (`queue_full`, `export_failed`) |
//! | `hcas_build_info` | gauge | `version` |
//! | `process_start_time_seconds` | gauge | |
//! | `process_resident_memory_bytes` | gauge (Linux) | |
//!
//! `route` is the matched route template (`/v1/engine/{kind}`), or
//! `unmatched` for a path no route has, so a client cannot grow the label
//! set by inventing paths; `method` is one of the standard methods or
//! `other`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// The media type of the Prometheus text exposition format.
pub const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds (seconds) of the latency histogram's buckets.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Per bucket (not cumulative), then the overflow (`+Inf` only).
    counts: [u64; BUCKETS.len() + 1],
    sum: f64,
}

tokio::task_local! {
    /// The metrics of the server answering the current request (set by the
    /// gateway around every request), so the gate and the services count
    /// without threading a handle through every call.
    pub(crate) static CURRENT: std::sync::Arc<Metrics>;
}

/// Count on the current request's metrics (nothing outside a request).
pub(crate) fn count(f: impl FnOnce(&Metrics)) {
    let _ = CURRENT.try_with(|m| f(m));
}

/// The server's metrics. Services call [`Metrics::booking`],
/// [`Metrics::conflict`], [`Metrics::consent_denied`] and
/// [`Metrics::break_glass`]; the gateway records every request.
#[derive(Debug)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, String, u16), u64>>,
    durations: Mutex<BTreeMap<String, Histogram>>,
    bookings: AtomicU64,
    conflicts: AtomicU64,
    consent_denials: AtomicU64,
    break_glass: AtomicU64,
    rate_limited: AtomicU64,
    otlp_exported: AtomicU64,
    otlp_queue_full: AtomicU64,
    otlp_export_failed: AtomicU64,
    started_unix: f64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

impl Metrics {
    /// Everything at zero.
    #[must_use]
    pub fn new() -> Self {
        let started_unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        Self {
            requests: Mutex::new(BTreeMap::new()),
            durations: Mutex::new(BTreeMap::new()),
            bookings: AtomicU64::new(0),
            conflicts: AtomicU64::new(0),
            consent_denials: AtomicU64::new(0),
            break_glass: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            otlp_exported: AtomicU64::new(0),
            otlp_queue_full: AtomicU64::new(0),
            otlp_export_failed: AtomicU64::new(0),
            started_unix,
        }
    }

    /// One appointment booked (created, or a series occurrence created).
    pub fn booking(&self) {
        self.bookings.fetch_add(1, Ordering::Relaxed);
    }

    /// One booking refused because its resources were taken.
    pub fn conflict(&self) {
        self.conflicts.fetch_add(1, Ordering::Relaxed);
    }

    /// One access refused by the consent engine.
    pub fn consent_denied(&self) {
        self.consent_denials.fetch_add(1, Ordering::Relaxed);
    }

    /// One access granted by break-glass.
    pub fn break_glass(&self) {
        self.break_glass.fetch_add(1, Ordering::Relaxed);
    }

    /// One request answered 429 by the rate limiter.
    pub(crate) fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    /// `n` spans the OTLP collector accepted.
    pub(crate) fn otlp_exported(&self, n: u64) {
        self.otlp_exported.fetch_add(n, Ordering::Relaxed);
    }

    /// One span dropped because the export queue was full (or the exporter
    /// had stopped).
    pub(crate) fn otlp_dropped_queue_full(&self) {
        self.otlp_queue_full.fetch_add(1, Ordering::Relaxed);
    }

    /// `n` spans dropped because their export failed or the collector
    /// rejected them.
    pub(crate) fn otlp_dropped_export_failed(&self, n: u64) {
        self.otlp_export_failed.fetch_add(n, Ordering::Relaxed);
    }

    /// Record one answered request: `route` is the matched template.
    pub(crate) fn request(&self, method: &Method, route: &str, status: u16, took: Duration) {
        let m = method_label(method);
        if let Ok(mut r) = self.requests.lock() {
            if let Some(n) = r.get_mut(&(m, route.to_string(), status)) {
                *n += 1;
            } else {
                r.insert((m, route.to_string(), status), 1);
            }
        }
        let secs = took.as_secs_f64();
        let slot = BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BUCKETS.len());
        if let Ok(mut d) = self.durations.lock() {
            if !d.contains_key(route) {
                d.insert(route.to_string(), Histogram::default());
            }
            if let Some(h) = d.get_mut(route) {
                h.counts[slot] += 1;
                h.sum += secs;
            }
        }
    }

    /// The Prometheus text exposition of every metric.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str("# HELP hcas_http_requests_total HTTP requests answered, by method, matched route template and status.\n");
        out.push_str("# TYPE hcas_http_requests_total counter\n");
        let requests = self.requests.lock().map(|r| r.clone()).unwrap_or_default();
        for ((m, route, status), n) in &requests {
            let _ = writeln!(
                out,
                "hcas_http_requests_total{{method=\"{m}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str("# HELP hcas_http_request_duration_seconds Time to answer a request, by matched route template.\n");
        out.push_str("# TYPE hcas_http_request_duration_seconds histogram\n");
        let durations = self.durations.lock().map(|d| d.clone()).unwrap_or_default();
        for (route, h) in &durations {
            let route = escape(route);
            let mut cumulative = 0u64;
            for (i, bound) in BUCKETS.iter().enumerate() {
                cumulative += h.counts[i];
                let _ = writeln!(
                    out,
                    "hcas_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            cumulative += h.counts[BUCKETS.len()];
            let _ = writeln!(
                out,
                "hcas_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {cumulative}"
            );
            let _ = writeln!(
                out,
                "hcas_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "hcas_http_request_duration_seconds_count{{route=\"{route}\"}} {cumulative}"
            );
        }
        for (name, help, v) in [
            (
                "hcas_bookings_total",
                "Appointments booked.",
                &self.bookings,
            ),
            (
                "hcas_conflicts_total",
                "Bookings refused because a resource was taken.",
                &self.conflicts,
            ),
            (
                "hcas_consent_denials_total",
                "Accesses to patient data refused by the consent engine.",
                &self.consent_denials,
            ),
            (
                "hcas_break_glass_total",
                "Accesses to patient data granted by break-glass.",
                &self.break_glass,
            ),
            (
                "hcas_rate_limited_total",
                "Requests answered 429 by the rate limiter.",
                &self.rate_limited,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", v.load(Ordering::Relaxed));
        }
        out.push_str(
            "# HELP hcas_otlp_spans_exported_total Request spans the OTLP collector accepted.\n",
        );
        out.push_str("# TYPE hcas_otlp_spans_exported_total counter\n");
        let _ = writeln!(
            out,
            "hcas_otlp_spans_exported_total {}",
            self.otlp_exported.load(Ordering::Relaxed)
        );
        out.push_str("# HELP hcas_otlp_spans_dropped_total Request spans not exported: the queue was full, or the export failed.\n");
        out.push_str("# TYPE hcas_otlp_spans_dropped_total counter\n");
        for (reason, v) in [
            ("queue_full", &self.otlp_queue_full),
            ("export_failed", &self.otlp_export_failed),
        ] {
            let _ = writeln!(
                out,
                "hcas_otlp_spans_dropped_total{{reason=\"{reason}\"}} {}",
                v.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP hcas_build_info The running version (always 1).\n");
        out.push_str("# TYPE hcas_build_info gauge\n");
        let _ = writeln!(
            out,
            "hcas_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        out.push_str(
            "# HELP process_start_time_seconds Start time of the process since the Unix epoch in seconds.\n",
        );
        out.push_str("# TYPE process_start_time_seconds gauge\n");
        let _ = writeln!(out, "process_start_time_seconds {}", self.started_unix);
        if let Some(rss) = resident_bytes() {
            out.push_str("# HELP process_resident_memory_bytes Resident memory size in bytes.\n");
            out.push_str("# TYPE process_resident_memory_bytes gauge\n");
            let _ = writeln!(out, "process_resident_memory_bytes {rss}");
        }
        out
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `VmRSS` of `/proc/self/status` (Linux only; elsewhere the gauge is left out).
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metrics))
}

/// Prometheus metrics (text exposition format 0.0.4): requests and
/// latencies by route, bookings, conflicts, consent denials, break-glass
/// uses, exported and dropped trace spans (docs/operations.md).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "The metrics", body = String,
               content_type = "text/plain; version=0.0.4; charset=utf-8")))]
async fn metrics(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    let mut res = state.metrics.render().into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(TEXT_FORMAT));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative_and_counts_match() {
        let m = Metrics::new();
        m.request(&Method::GET, "/a", 200, Duration::from_micros(100));
        m.request(&Method::GET, "/a", 200, Duration::from_millis(3));
        m.request(&Method::POST, "/a", 422, Duration::from_secs(20));
        let text = m.render();
        assert!(
            text.contains("hcas_http_requests_total{method=\"GET\",route=\"/a\",status=\"200\"} 2")
        );
        assert!(
            text.contains(
                "hcas_http_request_duration_seconds_bucket{route=\"/a\",le=\"0.0005\"} 1"
            )
        );
        assert!(
            text.contains("hcas_http_request_duration_seconds_bucket{route=\"/a\",le=\"0.005\"} 2")
        );
        assert!(
            text.contains("hcas_http_request_duration_seconds_bucket{route=\"/a\",le=\"10\"} 2")
        );
        assert!(
            text.contains("hcas_http_request_duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3")
        );
        assert!(text.contains("hcas_http_request_duration_seconds_count{route=\"/a\"} 3"));
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
