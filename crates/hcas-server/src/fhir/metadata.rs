//! `GET /fhir/r4/metadata`: the CapabilityStatement, built from the same
//! table ([`super::search::SPECS`]) the searches check parameters against,
//! so it lists exactly what is implemented. Public, like FHIR expects (it
//! holds no data).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::search::SPECS;
use super::{base_url, fhir_response};
use crate::AppState;

/// The date of this CapabilityStatement's content (change it with the table).
pub(crate) const CAPABILITY_DATE: &str = "2026-12-03";

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
            "description": "hcas reference server: FHIR R4 read and search of scheduling resources",
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
