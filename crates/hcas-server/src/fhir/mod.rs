//! The FHIR R4 (4.0.1) API under `/fhir/r4`: the CapabilityStatement, read
//! and search (GET, and POST `_search` with a form body) of Schedule, Slot,
//! Appointment, Patient, Practitioner, Location, PractitionerRole,
//! Consent and AuditEvent (the audit log, for admin staff and, their own, patients), the IHE ITI Scheduling operations `Appointment/$find`, `$hold`
//! and `$book`, and SMART Scheduling Links publishing (`$bulk-publish`),
//! answered as `application/fhir+json` (NDJSON files as
//! `application/fhir+ndjson`).
//! Resources are mapped by `hcas_core::fhir`; the data comes from the same
//! store ports and read model the REST services use (slots from the slot
//! search's read model), with the same tokens and organization scoping.
//!
//! | file | what |
//! |---|---|
//! | `mod.rs` | routes, the `application/fhir+json` answer, errors as `OperationOutcome` |
//! | `params.rs` | search parameters: known, unknown (lenient or `Prefer: handling=strict`), `_count`, `_offset`, `_include`, paging links |
//! | (`auth/smart.rs`) | `/.well-known/smart-configuration`, here and at the server root: SMART discovery |
//! | `metadata.rs` | `GET /fhir/r4/metadata`: the CapabilityStatement, from the same table the searches check |
//! | `resources.rs` | loading and mapping each resource type; the consent gate for patient data |
//! | `search.rs` | the search of each resource type and the searchset Bundle |
//! | `read.rs` | `GET /fhir/r4/{type}/{id}` |
//! | `documents.rs` | `DocumentReference` read and search (by `patient`): medical records through the records gate |
//! | `audit_events.rs` | AuditEvent search and read: who may read the log, the store query, cursor paging |
//! | `ops.rs` | the IHE operations' input (`Parameters`), `$hold` and `$book` |
//! | `series.rs` | `$book` of a recurrence template: every occurrence or none, cancel all |
//! | `find.rs` | `Appointment/$find`: proposed Appointments from the slot read model |
//! | `bulk.rs` | SMART Scheduling Links: the public `$bulk-publish` manifest and NDJSON files; Location |
//!
//! Patient data (Patient, Appointment, Consent) passes the gate of the REST
//! service that owns it: `crate::access::authorize` for patients and
//! appointments (consent engine, audited, fail closed), the consents
//! service's own audited rule for consents. A search that names one patient
//! the caller may not see is 403; a search over several patients leaves out
//! those denied (each denial audited) and counts only what it shows.
//!
//! Every error under the base, including the gateway's (401, 404 of an
//! unknown route, 413, 429 with `Retry-After`, 503), is an
//! `OperationOutcome` with the stable hcas code in
//! `issue[0].details.coding` and the message in `diagnostics` (the
//! `outcomes` layer rewrites problem+json answers under `/fhir/`).

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

use crate::AppState;
use crate::error::{ApiError, PROBLEM_JSON};

mod audit_events;
mod bulk;
mod documents;
mod find;
mod metadata;
mod ops;
mod params;
mod read;
mod resources;
mod search;
mod series;

/// The FHIR base path.
pub const BASE: &str = "/fhir/r4";

/// The media type of every answer under [`BASE`].
pub const FHIR_JSON: &str = "application/fhir+json";

/// The FHIR routes (mounted at [`BASE`]).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/fhir/r4/metadata", get(metadata::capability_statement))
        .route(
            "/fhir/r4/.well-known/smart-configuration",
            get(crate::auth::smart::smart_configuration),
        )
        .route(
            "/.well-known/smart-configuration",
            get(crate::auth::smart::smart_configuration),
        )
        .route(
            "/fhir/r4/Appointment/$find",
            get(ops::find_get).post(ops::find_post),
        )
        .route("/fhir/r4/Appointment/$hold", post(ops::hold))
        .route("/fhir/r4/Appointment/$book", post(ops::book))
        .route("/fhir/r4/$bulk-publish", get(bulk::manifest))
        .route("/fhir/r4/$bulk-publish/{file}", get(bulk::file))
        .route("/fhir/r4/DocumentReference", get(documents::search))
        .route("/fhir/r4/DocumentReference/{id}", get(documents::read))
        .route("/fhir/r4/{ty}", get(search::search_get))
        .route("/fhir/r4/{ty}/_search", post(search::search_post))
        .route("/fhir/r4/{ty}/{id}", get(read::read))
}

/// `body` as `application/fhir+json` with `status`, and `ETag: W/"v"` when
/// the resource has a stored version.
pub(crate) fn fhir_response(status: StatusCode, body: &Value, version: Option<i64>) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut res = (status, bytes).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    if let Some(v) = version
        && let Ok(tag) = HeaderValue::from_str(&format!("W/\"{v}\""))
    {
        res.headers_mut().insert(header::ETAG, tag);
    }
    res
}

/// The absolute FHIR base of this request (`http://host/fhir/r4`), for
/// `fullUrl` and paging links.
pub(crate) fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let scheme = if state.config.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .map_or_else(|| state.config.listen.to_string(), str::to_string);
    format!("{scheme}://{host}{BASE}")
}

/// 400 `invalid_search` (a search parameter's value is malformed) with a
/// message naming the parameter.
pub(crate) fn bad_search(detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_search", detail)
}

/// 403 `insufficient_scope` unless the token's SMART scopes, if it has any,
/// grant `interaction` on `ty` (they only narrow what the roles allow).
pub(crate) fn scoped(
    principal: &crate::auth::Principal,
    ty: &str,
    interaction: crate::auth::Interaction,
) -> Result<(), ApiError> {
    if principal.scope_allows(ty, interaction) {
        return Ok(());
    }
    let letter = interaction.letter();
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "insufficient_scope",
        format!(
            "the token's SMART scopes do not grant `{letter}` on {ty}; get a token with a scope such as `user/{ty}.{letter}`"
        ),
    ))
}

/// The FHIR issue type for an hcas error's status and code.
fn issue_type(status: StatusCode, code: &str) -> &'static str {
    match (status.as_u16(), code) {
        (_, "search_too_costly") => "too-costly",
        (_, "unknown_search_parameter" | "unknown_resource_type" | "unsupported_parameter") => {
            "not-supported"
        }
        (400 | 422, _) => "invalid",
        (401, _) => "login",
        (403, _) => "forbidden",
        (404, _) => "not-found",
        (405 | 406 | 415, _) => "not-supported",
        (409 | 412, _) => "conflict",
        (413, _) => "too-long",
        (429, _) => "throttled",
        (503, _) => "transient",
        _ => "exception",
    }
}

/// The layer that answers every problem+json under `/fhir/` as an
/// `OperationOutcome` (status and headers kept, `Retry-After` included).
pub(crate) async fn outcomes(req: Request, next: Next) -> Response {
    let fhir = req.uri().path().starts_with("/fhir/");
    let res = next.run(req).await;
    let problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !fhir || !problem {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 256 * 1024)
        .await
        .unwrap_or_default();
    let p: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let code = p["code"].as_str().unwrap_or("internal");
    let detail = p["detail"]
        .as_str()
        .unwrap_or("the server failed to answer; the request id finds it in the logs");
    let conflicts: Vec<hcas_core::booking::Conflict> =
        serde_json::from_value(p["conflicts"].clone()).unwrap_or_default();
    let outcome = if code == "conflict" && !conflicts.is_empty() {
        hcas_core::fhir::conflict_outcome(detail, &conflicts)
    } else {
        hcas_core::fhir::operation_outcome(issue_type(parts.status, code), code, detail)
    };
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(
        parts,
        Body::from(serde_json::to_vec(&outcome).unwrap_or_default()),
    )
}
