//! `DocumentReference`: the medical records of `services/records.rs` as
//! FHIR R4 resources. `GET /fhir/r4/DocumentReference/{id}` reads one
//! (through the records gate: a denied record is as missing);
//! `GET /fhir/r4/DocumentReference?patient=<id>` answers a `searchset` of
//! the records the caller may read (`total` counts only those).
//!
//! The mapping is a pure conversion of the metadata: `status` `current`,
//! `subject`, `category` (the consent category), `securityLabel` (the
//! labels: confidentiality codes in `v3-Confidentiality`, others in
//! `v3-ActCode`), `author` (the actor id as an identifier), `date`,
//! `description` (the title) and `content.attachment` (`contentType`,
//! `size`, `url` of the REST download, `creation`). `attachment.hash`, the
//! base64 SHA-1 of the content (R4), is computed by reading the document,
//! so only a read carries it; search entries leave it out.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine;
use hcas_core::consent::Action;
use hcas_core::fhir::{SearchEntry, searchset};
use hcas_store::RecordMeta;
use serde_json::{Value, json};

use super::{BASE, bad_search, base_url, fhir_response};
use crate::AppState;
use crate::auth::{Interaction, Principal};
use crate::error::ApiError;
use crate::extract::Path;
use crate::services::records::{RecordView, content_of, gate_record, visible_records};

const TYPE: &str = "DocumentReference";

/// The system of a record's category (the consent categories).
pub(crate) const CATEGORY_SYSTEM: &str = "urn:hcas:consent-category";
/// The system of the author identifier (an hcas actor id).
pub(crate) const ACTOR_SYSTEM: &str = "urn:hcas:actor";

const CONFIDENTIALITY: &str = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

/// The `DocumentReference` of a record (`hash`: the base64 SHA-1, when known).
pub(crate) fn document_reference(
    meta: &RecordMeta,
    version: i64,
    content: Option<(&str, u64)>,
    hash: Option<String>,
    origin: &str,
) -> Value {
    let labels: Vec<Value> = meta
        .labels
        .iter()
        .map(|l| {
            let system = if ["U", "L", "M", "N", "R", "V"].contains(&l.as_str()) {
                CONFIDENTIALITY
            } else {
                ACT_CODE
            };
            json!({ "coding": [ { "system": system, "code": l } ] })
        })
        .collect();
    let mut out = json!({
        "resourceType": TYPE,
        "id": meta.id,
        "meta": { "versionId": version.to_string() },
        "status": "current",
        "subject": { "reference": format!("Patient/{}", meta.patient) },
        "category": [ { "coding": [ { "system": CATEGORY_SYSTEM, "code": meta.category } ] } ],
        "author": [ { "identifier": { "system": ACTOR_SYSTEM, "value": meta.author } } ],
        "date": meta.created.to_string(),
        "description": meta.title,
    });
    if !labels.is_empty() {
        out["securityLabel"] = Value::Array(labels);
    }
    let mut attachment = json!({
        "url": format!("{origin}/v1/records/{}/content", meta.id),
        "title": meta.title,
        "creation": meta.created.to_string(),
    });
    if let Some((content_type, size)) = content {
        attachment["contentType"] = json!(content_type);
        attachment["size"] = json!(size);
    }
    if let Some(h) = hash {
        attachment["hash"] = json!(h);
    }
    out["content"] = json!([ { "attachment": attachment } ]);
    out
}

fn origin(state: &AppState, headers: &HeaderMap) -> String {
    let base = base_url(state, headers);
    base.strip_suffix(BASE).unwrap_or(&base).to_string()
}

/// `GET /fhir/r4/DocumentReference/{id}`.
pub(crate) async fn read(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    super::scoped(&principal, TYPE, Interaction::Read)?;
    let gone = || ApiError::not_found(format!("no {TYPE} with id `{id}`"));
    if !hcas_core::id::is_id(&id) {
        return Err(gone());
    }
    let store = state.tenants.store(&principal.org).await?;
    let found = match gate_record(&store, &principal, &id, Action::Read, "record.read").await {
        Ok(f) => f,
        Err(e) if e.status() == StatusCode::NOT_FOUND => return Err(gone()),
        Err(e) => return Err(e),
    };
    let docs = state.tenants.documents(&principal.org).await?;
    let content = content_of(&docs, &found.value).await?;
    let hash = match &content {
        Some(c) => {
            use sha1::Digest;
            let bytes = docs.read(&c.id).await?;
            Some(base64::engine::general_purpose::STANDARD.encode(sha1::Sha1::digest(&bytes)))
        }
        None => None,
    };
    let body = document_reference(
        &found.value,
        found.version,
        content.as_ref().map(|c| (c.content_type.as_str(), c.size)),
        hash,
        &origin(&state, &headers),
    );
    Ok(fhir_response(StatusCode::OK, &body, Some(found.version)))
}

/// `GET /fhir/r4/DocumentReference?patient=<id>` (also `Patient/<id>`).
pub(crate) async fn search(
    State(state): State<AppState>,
    principal: Principal,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    super::scoped(&principal, TYPE, Interaction::Search)?;
    let mut patient = None;
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "patient" | "subject" if patient.is_none() => {
                patient = Some(v.strip_prefix("Patient/").unwrap_or(&v).to_string());
            }
            "_format" => {}
            other => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "unknown_search_parameter",
                    format!(
                        "{TYPE} is searched by `patient` only (once), not `{}`",
                        other.chars().take(40).collect::<String>()
                    ),
                ));
            }
        }
    }
    let patient = patient.ok_or_else(|| bad_search("give `patient=<patient id>`"))?;
    if !hcas_core::id::is_id(&patient) {
        return Err(bad_search("`patient` is not a patient id"));
    }
    let store = state.tenants.store(&principal.org).await?;
    let (views, _) = visible_records(&state, &store, &principal, &patient, "record.search").await?;
    let base = base_url(&state, &headers);
    let origin = origin(&state, &headers);
    let entries: Vec<SearchEntry> = views
        .iter()
        .map(|v: &RecordView| {
            let c = v
                .content
                .as_ref()
                .map(|c| (c.content_type.as_str(), c.size));
            SearchEntry::matched(
                &base,
                document_reference(&v.record, v.version, c, None, &origin),
            )
        })
        .collect();
    let self_url = format!("{base}/{TYPE}?patient={patient}");
    Ok(fhir_response(
        StatusCode::OK,
        &searchset(entries.len(), &self_url, None, entries),
        None,
    ))
}
