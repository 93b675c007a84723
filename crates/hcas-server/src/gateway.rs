//! The gateway's cross-cutting layers: request ids, trace context
//! (`traceparent`) and the request's exported span (`otlp.rs`), metrics by
//! route template, time limits, panics turned
//! into a 500 problem (one bad request never takes another down), and
//! problems for unknown routes and methods. Rate limits: `ratelimit.rs`;
//! CORS: [`cors_layer`].

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::{ApiError, REQUEST_ID};
use crate::telemetry::{TRACEPARENT, TraceContext};

/// The request id header: taken from the caller when it is a sane token
/// (1 to 64 of `A-Za-z0-9-_.`), otherwise generated; echoed on the response
/// and carried in every log line and problem of the request.
pub(crate) const REQUEST_ID_HEADER: &str = "x-request-id";

fn sane(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Request id, trace context, time limit, a span and one log line per
/// request (method, route template, status, duration, request and trace
/// ids: never bodies, headers or query values), the request's metrics, and
/// its span for the OTLP exporter (when one runs and the trace is sampled).
pub(crate) async fn request_context(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string);
    let limit = Duration::from_secs(state.config.request_timeout_seconds);
    let method = req.method().clone();
    let matched = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_string());
    let route = matched.clone().unwrap_or_else(|| "unmatched".to_string());
    let trace =
        TraceContext::from_header(req.headers().get(TRACEPARENT).and_then(|v| v.to_str().ok()));
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        trace_id = %trace.trace_id,
        span_id = %trace.span_id,
        parent_span_id = trace.parent_id.as_deref().unwrap_or(""),
        %method,
        route = %route
    );
    let started = std::time::Instant::now();
    let started_wall = std::time::SystemTime::now();
    let metrics = std::sync::Arc::clone(&state.metrics);
    let fut = REQUEST_ID.scope(
        id.clone(),
        crate::metrics::CURRENT.scope(metrics, async move {
            match tokio::time::timeout(limit, next.run(req)).await {
                Ok(res) => res,
                Err(_) => ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "timeout",
                    "the request took longer than this server allows; retry",
                )
                .into_response(),
            }
        }),
    );
    let mut res = tracing::Instrument::instrument(fut, span.clone()).await;
    let took = started.elapsed();
    let status = res.status().as_u16();
    state.metrics.request(&method, &route, status, took);
    if let Some(exporter) = &state.otlp
        && trace.flags & 1 == 1
    {
        exporter.record(crate::otlp::SpanData {
            trace_id: trace.trace_id.clone(),
            span_id: trace.span_id.clone(),
            parent_id: trace.parent_id.clone(),
            method: method.clone(),
            route: matched,
            status,
            request_id: id.clone(),
            start: started_wall,
            duration: took,
        });
    }
    span.in_scope(|| {
        tracing::info!(
            status,
            micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
            "request"
        );
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    if let Ok(v) = HeaderValue::from_str(&trace.header()) {
        res.headers_mut().insert(TRACEPARENT, v);
    }
    res
}

/// CORS for `cors_origins` (`None` when the list is empty: no CORS
/// headers at all). Browsers may send the methods the API uses and the
/// headers it reads, and read the ids and `Retry-After` it answers.
pub(crate) fn cors_layer(origins: &[String]) -> Option<tower_http::cors::CorsLayer> {
    use axum::http::{Method, header};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect::<Vec<_>>(),
        )
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_MATCH,
                header::HeaderName::from_static(REQUEST_ID_HEADER),
                header::HeaderName::from_static(TRACEPARENT),
            ])
            .expose_headers([
                header::ETAG,
                header::RETRY_AFTER,
                header::LOCATION,
                header::HeaderName::from_static(REQUEST_ID_HEADER),
                header::HeaderName::from_static(TRACEPARENT),
            ])
            .max_age(Duration::from_secs(600)),
    )
}

/// A panic in a handler answers 500 `internal`; the panic message goes to
/// the log only (it may hold data).
pub(crate) fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let msg = err
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| err.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %msg, "handler panicked");
    ApiError::internal().into_response()
}

/// 404 for a path no route has.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("no such route; see /openapi.json")
}

/// 405 for a method the route does not take.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take this method; see /openapi.json",
    )
}

/// Document, on every operation of the OpenAPI document `doc`, the
/// problems the gateway itself answers (unless the route documents them):
/// 429 `rate_limited` (with `Retry-After`) and 503 (`timeout`,
/// `unavailable`) everywhere; 400 / 413 / 415 / 422 where a JSON body is
/// read; 400 where a path parameter is parsed. So a client (and
/// schemathesis) finds every status it can get in the document.
pub(crate) fn document_gateway_responses(doc: &mut serde_json::Value) {
    use serde_json::json;
    let problem = |description: &str| {
        json!({
            "description": description,
            "content": { crate::error::PROBLEM_JSON: {
                "schema": { "$ref": "#/components/schemas/Problem" }
            } }
        })
    };
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        // Every /v1 route but the engine and the token routes takes a bearer
        // token (the `Principal` extractor): 401 without a valid one. A
        // calendar feed (/feeds/) takes none: the token in its URL is the
        // credential.
        let public = path.starts_with("/feeds/")
            || path.starts_with("/v1/engine/")
            || path == "/v1/auth/login"
            || path == "/v1/auth/register"
            || path == "/v1/auth/refresh";
        let needs_token = path.starts_with("/v1/") && !public;
        for method in ["get", "put", "post", "delete", "patch", "head", "options"] {
            let Some(op) = item.get_mut(method).and_then(|o| o.as_object_mut()) else {
                continue;
            };
            let has_body = op.contains_key("requestBody");
            let has_path_param = op
                .get("parameters")
                .and_then(|p| p.as_array())
                .is_some_and(|ps| ps.iter().any(|p| p["in"] == "path"));
            let Some(responses) = op
                .entry("responses")
                .or_insert_with(|| json!({}))
                .as_object_mut()
            else {
                continue;
            };
            let mut add = |status: &str, value: serde_json::Value| {
                responses.entry(status.to_string()).or_insert(value);
            };
            let mut limited = problem(
                "Too many requests from this client (`rate_limited`); retry after `Retry-After` seconds",
            );
            limited["headers"] = json!({ "Retry-After": {
                "description": "Seconds until a retry may succeed",
                "schema": { "type": "integer", "minimum": 1 }
            } });
            add("429", limited);
            if needs_token {
                add(
                    "401",
                    problem("No valid bearer token (`unauthorized`): log in, or refresh the token"),
                );
            }
            add(
                "503",
                problem(
                    "The request took too long (`timeout`) or a database is unavailable (`unavailable`); retry",
                ),
            );
            if has_body {
                add("400", problem("The body is not JSON (`malformed_request`)"));
                add(
                    "413",
                    problem("The body is larger than `max_body_bytes` (`payload_too_large`)"),
                );
                add(
                    "415",
                    problem("The body is not `application/json` (`unsupported_media_type`)"),
                );
                add(
                    "422",
                    problem("The JSON does not fit the request's schema (`invalid_request`)"),
                );
            } else if has_path_param {
                add(
                    "400",
                    problem("A path parameter is malformed (`malformed_request`)"),
                );
            }
        }
    }
}
