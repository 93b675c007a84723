//! `GET /fhir/r4/metadata`: the CapabilityStatement, built from the same
//! table ([`super::search::SPECS`]) the searches check parameters against,
//! so it lists exactly what is implemented. Public, like FHIR expects (it
//! holds no data).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::ops::{IHE_BOOK, IHE_FIND, IHE_HOLD};
use super::search::SPECS;
use super::{base_url, fhir_response};
use crate::AppState;

/// The date of this CapabilityStatement's content (change it with the table).
pub(crate) const CAPABILITY_DATE: &str = "2026-12-03";

/// The IHE ITI Scheduling operations on Appointment, with their canonical
/// OperationDefinitions.
fn operations() -> Value {
    json!([
        {
            "name": "find",
            "definition": IHE_FIND,
            "documentation": "IHE ITI-115: proposed Appointments (30 minutes, free starts of the \
                              slot search) for start..end (at most 62 days), specialty, \
                              practitioner, organization, patient-reference, timing (dayOfWeek, \
                              timeOfDay at the UTC offset of start), _count and _offset (next \
                              links page the proposals).",
        },
        {
            "name": "hold",
            "definition": IHE_HOLD,
            "documentation": "IHE ITI-116: hold a proposed Appointment (status pending) until the \
                              `Expires` header; hcas parameter hold-minutes (1 to 60, default 10); \
                              Idempotency-Key.",
        },
        {
            "name": "book",
            "definition": IHE_BOOK,
            "documentation": "IHE ITI-117: book a proposed or held Appointment, move (status \
                              booked, new start, comment says why) or cancel (status cancelled) \
                              a stored one; If-Match, If-None-Exist, Idempotency-Key; a conflict \
                              is 409 with one issue per conflicting appointment. An Appointment \
                              with R5's recurrenceTemplate (cross-version extension) books every \
                              occurrence or none (409: one issue per conflicting occurrence) and \
                              answers the template and its occurrences; status cancelled on the \
                              template (id = series id) cancels the remaining occurrences.",
        },
    ])
}

/// The CapabilityStatement for a server whose FHIR base is `base`.
pub(crate) fn capability(base: &str) -> Value {
    let resources: Vec<Value> = SPECS
        .iter()
        .map(|s| {
            let params: Vec<Value> = s
                .params
                .iter()
                .map(|(name, ty, doc)| json!({ "name": name, "type": ty, "documentation": doc }))
                .collect();
            let mut r = json!({
                "type": s.ty,
                "interaction": [{ "code": "read" }, { "code": "search-type" }],
                "versioning": "versioned",
                "readHistory": false,
                "searchParam": params,
            });
            if !s.includes.is_empty() {
                r["searchInclude"] = json!(s.includes);
            }
            if s.ty == "Appointment" {
                r["operation"] = operations();
            }
            r
        })
        .collect();
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": CAPABILITY_DATE,
        "publisher": "hcas",
        "kind": "instance",
        "software": { "name": "hcas", "version": env!("CARGO_PKG_VERSION") },
        "implementation": {
            "description": "hcas reference server: FHIR R4 read and search of scheduling \
                            resources, and the IHE ITI Scheduling operations",
            "url": base,
        },
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "documentation": "Search: GET [type]?params or POST [type]/_search (form body); \
                              _count pages (at most 500), next links carry _offset; repeated \
                              parameters are AND, comma-separated values OR; unknown parameters \
                              are ignored unless `Prefer: handling=strict`. Dates without a \
                              time are UTC days.",
            "security": {
                "cors": true,
                "service": [{
                    "coding": [{
                        "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                        "code": "OAuth",
                    }],
                }],
                "description": "Bearer tokens as the REST API (/v1/auth/login, or the configured \
                                OpenID Connect provider); patient data passes the consent engine \
                                and is audited.",
            },
            "resource": resources,
        }],
    })
}

/// `GET /fhir/r4/metadata`.
pub(crate) async fn capability_statement(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Response {
    fhir_response(
        StatusCode::OK,
        &capability(&base_url(&state, &headers)),
        None,
    )
}
