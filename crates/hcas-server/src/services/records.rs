//! The medical records service: documents (PDF, images, FHIR JSON, text)
//! of a patient, stored encrypted ([`hcas_store::documents`]), with their
//! metadata ([`RecordMeta`]).
//!
//! - `POST /v1/patients/{id}/records`: the raw document as the body, its
//!   type in `Content-Type`, the metadata in the query (`category`,
//!   `title`, optional `labels`, comma-separated). The body is streamed
//!   into the encrypted store (FHIR JSON and text are read whole, up to the
//!   limit, to be checked); `max_upload_bytes` is enforced while reading
//!   (413 `payload_too_large`, nothing kept); the declared type must match
//!   the content (422 `content_mismatch`).
//! - `GET /v1/patients/{id}/records`: the records the caller may read (each
//!   decided by the consent engine on its category, labels, date and
//!   author; hidden ones are neither listed nor counted).
//! - `GET /v1/records/{rid}`, `GET /v1/records/{rid}/content` (with
//!   `Range: bytes=a-b`), `DELETE /v1/records/{rid}` (crypto-shredding).
//!
//! The record's category is a consent category (`records`, `notes`,
//! `labs`, `psychotherapy`); every request passes the gate and leaves one
//! audit record. A denied request about an existing record answers exactly
//! like a missing one (404 `not_found`), so the answer reveals nothing.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use hcas_core::Timestamp;
use hcas_core::consent::{Action, Category};
use hcas_store::documents::{DocumentContent, Documents};
use hcas_store::{RecordMeta, Store, StoreError, Stored};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::{self, Access, Verdict};
use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::Path;
use crate::services::patients::{check_patient_id, find};

/// The records service's routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload, list))
        .routes(routes!(read, delete))
        .routes(routes!(content))
}

/// The document types accepted, as sent in `Content-Type`.
pub(crate) const MEDIA_TYPES: [&str; 5] = [
    "application/pdf",
    "image/png",
    "image/jpeg",
    "application/fhir+json",
    "text/plain",
];

/// The record categories: the consent categories of medical data.
const CATEGORIES: [Category; 4] = [
    Category::Records,
    Category::Notes,
    Category::Labs,
    Category::Psychotherapy,
];

/// Most labels one record may carry.
const MAX_LABELS: usize = 20;

/// A record's stored content, as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ContentView {
    /// The media type.
    pub(crate) content_type: String,
    /// The size in bytes.
    pub(crate) size: u64,
    /// The SHA-256 of the content, hex.
    pub(crate) sha256: String,
    /// Where to download it.
    pub(crate) url: String,
}

/// A record's metadata and version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct RecordView {
    /// The version (1 on upload).
    pub(crate) version: i64,
    /// The metadata: id, patient, category, labels, title, author, created.
    #[schema(value_type = Object)]
    pub(crate) record: RecordMeta,
    /// The content, when the record has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) content: Option<ContentView>,
}

/// A patient's records the caller may read.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct RecordList {
    /// The records, by creation time then id.
    pub(crate) records: Vec<RecordView>,
    /// How many (only the ones listed).
    pub(crate) total: usize,
}

fn content_view(c: &DocumentContent, rid: &str) -> ContentView {
    ContentView {
        content_type: c.content_type.clone(),
        size: c.size,
        sha256: c.sha256.clone(),
        url: format!("/v1/records/{rid}/content"),
    }
}

/// The record's content metadata, if it has any (a deleted or missing
/// document: none).
pub(crate) async fn content_of(
    docs: &Documents,
    meta: &RecordMeta,
) -> Result<Option<DocumentContent>, ApiError> {
    let Some(doc) = &meta.content_ref else {
        return Ok(None);
    };
    match docs.content(doc).await {
        Ok(c) => Ok(Some(c)),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

async fn view(docs: &Documents, s: Stored<RecordMeta>) -> Result<RecordView, ApiError> {
    let content = content_of(docs, &s.value)
        .await?
        .map(|c| content_view(&c, &s.value.id));
    Ok(RecordView {
        version: s.version,
        record: s.value,
        content,
    })
}

/// The consent category of a stored record (`None`: not one of
/// [`CATEGORIES`]; such a record is refused to everyone, fail closed).
pub(crate) fn category_of(meta: &RecordMeta) -> Option<Category> {
    Category::parse(&meta.category).filter(|c| CATEGORIES.contains(c))
}

/// The gate's question about an existing record.
pub(crate) fn record_access(
    meta: &RecordMeta,
    category: Category,
    action: Action,
    operation: &'static str,
) -> Access {
    Access::new(
        meta.patient.clone(),
        category,
        action,
        operation,
        format!("record:{}", meta.id),
    )
    .on_data(&meta.labels, meta.created, meta.author.clone())
}

/// The answer for a record that does not exist, or that the caller may
/// not see: one and the same.
pub(crate) fn no_record() -> ApiError {
    ApiError::not_found("no such record")
}

/// The record `rid`, if the caller may do `action` on it; otherwise
/// [`no_record`]. Exactly one audit record either way.
pub(crate) async fn gate_record(
    store: &Arc<dyn Store>,
    principal: &Principal,
    rid: &str,
    action: Action,
    operation: &'static str,
) -> Result<Stored<RecordMeta>, ApiError> {
    let found = match store.get_record(rid).await {
        Ok(r) => Some(r),
        Err(StoreError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let target = format!("record:{rid}");
    let Some(found) = found else {
        let verdict = Verdict {
            permit: false,
            basis: "not_found",
        };
        access::record_verdict(
            store,
            principal,
            None,
            "records",
            operation,
            target,
            &verdict,
            access::now(),
        )
        .await?;
        return Err(no_record());
    };
    let Some(category) = category_of(&found.value) else {
        let verdict = Verdict {
            permit: false,
            basis: "category",
        };
        access::record_decision(
            store,
            principal,
            &found.value.patient,
            &found.value.category,
            action,
            operation,
            target,
            &verdict,
            false,
            access::now(),
        )
        .await?;
        return Err(no_record());
    };
    let mut gate = record_access(&found.value, category, action, operation);
    if let Some(p) = find(store, &found.value.patient).await?
        && access::acts_as_guardian(principal, &p.value, access::now())
    {
        gate = gate.as_guardian();
    }
    match access::authorize(store, principal, &gate, access::now()).await {
        Ok(_) => Ok(found),
        Err(e) if e.status() == StatusCode::FORBIDDEN => Err(no_record()),
        Err(e) => Err(e),
    }
}

/// The upload's metadata, from the query.
struct UploadMeta {
    category: Category,
    title: String,
    labels: Vec<String>,
}

fn invalid(detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", detail)
}

fn upload_meta(query: Option<&str>) -> Result<UploadMeta, ApiError> {
    let mut category = None;
    let mut title = None;
    let mut labels = Vec::new();
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let once = |slot: &Option<_>| {
            if slot.is_some() {
                Err(invalid(format!("`{k}` is given twice; give it once")))
            } else {
                Ok(())
            }
        };
        match k.as_ref() {
            "category" => {
                once(&category)?;
                category = Some(v.into_owned());
            }
            "title" => {
                once(&title)?;
                title = Some(v.into_owned());
            }
            "labels" => {
                labels.extend(
                    v.split(',')
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_string),
                );
            }
            other => {
                return Err(invalid(format!(
                    "unknown query parameter `{}`; use category, title and labels",
                    other.chars().take(40).collect::<String>()
                )));
            }
        }
    }
    let names: Vec<&str> = CATEGORIES.iter().map(|c| c.as_str()).collect();
    let category = category.ok_or_else(|| {
        invalid(format!(
            "`category` is required: one of {}",
            names.join(", ")
        ))
    })?;
    let category = Category::parse(&category)
        .filter(|c| CATEGORIES.contains(c))
        .ok_or_else(|| {
            invalid(format!(
                "`category` must be one of {}, got {:?}",
                names.join(", "),
                category.chars().take(40).collect::<String>()
            ))
        })?;
    let title = title.ok_or_else(|| invalid("`title` is required (the name shown in lists)"))?;
    if labels.len() > MAX_LABELS {
        return Err(invalid(format!(
            "`labels`: at most {MAX_LABELS} labels, got {}",
            labels.len()
        )));
    }
    Ok(UploadMeta {
        category,
        title,
        labels,
    })
}

/// The declared media type, checked against [`MEDIA_TYPES`] (parameters
/// such as `charset` are dropped).
fn declared_type(headers: &HeaderMap) -> Result<&'static str, ApiError> {
    let raw = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = raw
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    MEDIA_TYPES
        .iter()
        .find(|t| **t == essence)
        .copied()
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "send the document with `Content-Type` one of {}",
                    MEDIA_TYPES.join(", ")
                ),
            )
        })
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!(
            "the document is larger than the limit of {limit} bytes (`max_upload_bytes`); send a smaller file"
        ),
    )
}

fn mismatch(declared: &str, what: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "content_mismatch",
        format!(
            "the content is not {what}, as `Content-Type: {declared}` says; send the right type or file"
        ),
    )
}

/// Whether `prefix` (the first bytes, or the whole content when shorter)
/// starts like `declared`. `None`: more bytes are needed to tell.
fn magic_ok(declared: &str, prefix: &[u8]) -> Option<bool> {
    let magic: &[u8] = match declared {
        "application/pdf" => b"%PDF-",
        "image/png" => b"\x89PNG\r\n\x1a\n",
        "image/jpeg" => b"\xFF\xD8\xFF",
        _ => return Some(true),
    };
    if prefix.len() < magic.len() {
        return if magic.starts_with(prefix) {
            None
        } else {
            Some(false)
        };
    }
    Some(prefix.starts_with(magic))
}

fn what_of(declared: &str) -> &'static str {
    match declared {
        "application/pdf" => "a PDF (it must start with `%PDF-`)",
        "image/png" => "a PNG image",
        "image/jpeg" => "a JPEG image",
        "application/fhir+json" => "a FHIR resource (a JSON object with `resourceType`)",
        _ => "UTF-8 text",
    }
}

/// Check whole (buffered) content of a type that is checked whole.
fn check_whole(declared: &str, bytes: &[u8]) -> Result<(), ApiError> {
    let ok = match declared {
        "application/fhir+json" => serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()
            .and_then(|v| {
                v.get("resourceType")
                    .and_then(|t| t.as_str())
                    .map(|t| !t.is_empty())
            })
            .unwrap_or(false),
        _ => std::str::from_utf8(bytes).is_ok_and(|t| !t.contains('\0')),
    };
    if ok {
        Ok(())
    } else {
        Err(mismatch(declared, what_of(declared)))
    }
}

/// Map a store error of an upload to the API's answer.
fn upload_error(e: StoreError, limit: u64) -> ApiError {
    match &e {
        StoreError::Invalid(core) if core.code() == hcas_core::ErrorCode::LimitExceeded => {
            too_large(limit)
        }
        _ => e.into(),
    }
}

/// Stream `body` into `docs` as document `id`, checking the declared type
/// and the limit; nothing is kept on any failure.
async fn store_body(
    docs: &Documents,
    id: &str,
    declared: &'static str,
    body: Body,
    limit: u64,
) -> Result<DocumentContent, ApiError> {
    let mut stream = body.into_data_stream();
    let whole = matches!(declared, "application/fhir+json" | "text/plain");
    let mut head: Vec<u8> = Vec::new();
    loop {
        if !whole && magic_ok(declared, &head).is_some() {
            break;
        }
        match stream.next().await {
            Some(Ok(bytes)) => {
                if (head.len() + bytes.len()) as u64 > limit {
                    return Err(too_large(limit));
                }
                head.extend_from_slice(&bytes);
            }
            Some(Err(_)) => {
                return Err(ApiError::malformed(
                    "the upload was interrupted; send the document again",
                ));
            }
            None => break,
        }
    }
    if whole {
        check_whole(declared, &head)?;
        return docs
            .put_bytes(id, declared, head)
            .await
            .map_err(|e| upload_error(e, limit));
    }
    if magic_ok(declared, &head) != Some(true) {
        return Err(mismatch(declared, what_of(declared)));
    }
    let first = futures_util::stream::iter([Ok::<Bytes, axum::Error>(Bytes::from(head))]);
    docs.put(id, declared, first.chain(stream))
        .await
        .map_err(|e| upload_error(e, limit))
}

/// Upload a document to a patient's record: the raw bytes as the body,
/// `Content-Type` one of application/pdf, image/png, image/jpeg,
/// application/fhir+json, text/plain; the metadata in the query. The
/// author is the caller, the creation time now. Category `write` through
/// the gate.
#[utoipa::path(
    post,
    path = "/v1/patients/{id}/records",
    tag = "records",
    operation_id = "upload_record",
    params(
        ("id" = String, Path, description = "The patient id"),
        ("category" = String, Query, description = "The consent category: records, notes, labs or psychotherapy"),
        ("title" = String, Query, description = "The title shown in lists"),
        ("labels" = Option<String>, Query, description = "Security labels, comma-separated (e.g. `R,PSY`)"),
    ),
    request_body(
        description = "The document's bytes (streamed; at most `max_upload_bytes`)",
        content(
            (String = "application/pdf"),
            (String = "image/png"),
            (String = "image/jpeg"),
            (Object = "application/fhir+json"),
            (String = "text/plain"),
        )
    ),
    responses(
        (status = 201, description = "Stored; `Location` names the record", body = RecordView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Denied (the basis only)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such patient", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than `max_upload_bytes` (`payload_too_large`); nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not an accepted `Content-Type` (`unsupported_media_type`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad metadata (`invalid_request`), or the content does not match its type (`content_mismatch`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The audit log, database or document store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn upload(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    check_patient_id(&id)?;
    let meta = upload_meta(query.as_deref())?;
    let declared = declared_type(&headers)?;
    let limit = state.config.max_upload_bytes;
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let now = access::now();
    let rid = uuid::Uuid::new_v4().to_string();
    let record = RecordMeta {
        id: rid.clone(),
        patient: id.clone(),
        category: meta.category.as_str().to_string(),
        labels: meta.labels,
        title: meta.title,
        author: principal.subject.clone(),
        created: now,
        content_ref: Some(rid.clone()),
    };
    record.validate()?;
    let store = state.tenants.store(&principal.org).await?;
    let found = find(&store, &id).await?;
    let mut gate = record_access(&record, meta.category, Action::Write, "record.create");
    if found
        .as_ref()
        .is_some_and(|p| access::acts_as_guardian(&principal, &p.value, now))
    {
        gate = gate.as_guardian();
    }
    access::authorize(&store, &principal, &gate, now).await?;
    if found.is_none() {
        return Err(crate::services::patients::no_patient());
    }
    let docs = state.tenants.documents(&principal.org).await?;
    let content = store_body(&docs, &rid, declared, body, limit).await?;
    let stored = match store.put_record(record, None).await {
        Ok(s) => s,
        Err(e) => {
            // No record, no document: shred what was just stored.
            if let Err(d) = docs.delete(&rid).await {
                tracing::error!(code = d.code(), "an orphan document could not be shredded");
            }
            return Err(e.into());
        }
    };
    let view = RecordView {
        version: stored.version,
        content: Some(content_view(&content, &rid)),
        record: stored.value,
    };
    let mut res = (StatusCode::CREATED, axum::Json(view)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/v1/records/{rid}")) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// The records of a patient the caller may read, each decided by the
/// consent engine on its category, labels, date and author; the others
/// are neither listed nor counted. One audit record for the listing.
#[utoipa::path(
    get,
    path = "/v1/patients/{id}/records",
    tag = "records",
    operation_id = "list_records",
    params(("id" = String, Path, description = "The patient id")),
    responses(
        (status = 200, description = "The records the caller may read", body = RecordList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The request names a purpose its token does not", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a patient id (`invalid_request`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The audit log or database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<axum::Json<RecordList>, ApiError> {
    check_patient_id(&id)?;
    let store = state.tenants.store(&principal.org).await?;
    let (views, _) = visible_records(&state, &store, &principal, &id, "record.list").await?;
    Ok(axum::Json(RecordList {
        total: views.len(),
        records: views,
    }))
}

/// The records of `patient` the caller may read, with their contents (one
/// audit record), and the documents store.
pub(crate) async fn visible_records(
    state: &AppState,
    store: &Arc<dyn Store>,
    principal: &Principal,
    patient: &str,
    operation: &'static str,
) -> Result<(Vec<RecordView>, Documents), ApiError> {
    let now: Timestamp = access::now();
    let guardian = find(store, patient)
        .await?
        .is_some_and(|p| access::acts_as_guardian(principal, &p.value, now));
    // Records of no known category are shown to no one (fail closed).
    let all: Vec<_> = store
        .records_for(patient, None)
        .await?
        .into_iter()
        .filter_map(|r| category_of(&r.value).map(|c| (r, c)))
        .collect();
    let items: Vec<Access> = all
        .iter()
        .map(|(r, c)| record_access(&r.value, *c, Action::Read, operation))
        .collect();
    let verdicts = access::authorize_each(
        store,
        principal,
        patient,
        operation,
        format!("patient:{patient}"),
        &items,
        guardian,
        now,
    )
    .await?;
    let docs = state.tenants.documents(&principal.org).await?;
    let mut views = Vec::new();
    for ((r, _), ok) in all.into_iter().zip(verdicts) {
        if ok {
            views.push(view(&docs, r).await?);
        }
    }
    Ok((views, docs))
}

/// A record's metadata (`read` through the gate; denied answers as missing).
#[utoipa::path(
    get,
    path = "/v1/records/{rid}",
    tag = "records",
    operation_id = "read_record",
    params(("rid" = String, Path, description = "The record id")),
    responses(
        (status = 200, description = "The record", body = RecordView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such record, or not one the caller may read (the same answer)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a record id (`invalid_request`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The audit log or database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn read(
    State(state): State<AppState>,
    principal: Principal,
    Path(rid): Path<String>,
) -> Result<axum::Json<RecordView>, ApiError> {
    hcas_core::id::check_id("rid", &rid)?;
    let store = state.tenants.store(&principal.org).await?;
    let found = gate_record(&store, &principal, &rid, Action::Read, "record.read").await?;
    let docs = state.tenants.documents(&principal.org).await?;
    Ok(axum::Json(view(&docs, found).await?))
}

/// A requested byte range: `Range: bytes=a-b`, `bytes=a-` or `bytes=-n`
/// (one range; anything else is ignored and the whole content sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Whole,
    Range(u64, u64),
    Unsatisfiable,
}

fn want(headers: &HeaderMap, size: u64) -> Want {
    let Some(spec) = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return Want::Whole;
    };
    if spec.contains(',') {
        return Want::Whole;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Want::Whole;
    };
    let parse = |s: &str| s.trim().parse::<u64>().ok();
    match (a.trim().is_empty(), b.trim().is_empty()) {
        (true, false) => match parse(b) {
            Some(0) => Want::Unsatisfiable,
            Some(n) if size > 0 => Want::Range(size.saturating_sub(n), size - 1),
            Some(_) => Want::Unsatisfiable,
            None => Want::Whole,
        },
        (false, true) => match parse(a) {
            Some(a) if a < size => Want::Range(a, size - 1),
            Some(_) => Want::Unsatisfiable,
            None => Want::Whole,
        },
        (false, false) => match (parse(a), parse(b)) {
            (Some(a), Some(b)) if a <= b && a < size => Want::Range(a, b.min(size - 1)),
            (Some(a), Some(b)) if a <= b => Want::Unsatisfiable,
            _ => Want::Whole,
        },
        (true, true) => Want::Whole,
    }
}

fn extension(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => "pdf",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "application/fhir+json" => "json",
        _ => "txt",
    }
}

/// Download a record's content (`read` through the gate; denied answers as
/// missing). `Range: bytes=a-b` answers 206 with that slice, 416 when it
/// lies outside the content.
#[utoipa::path(
    get,
    path = "/v1/records/{rid}/content",
    tag = "records",
    operation_id = "record_content",
    params(
        ("rid" = String, Path, description = "The record id"),
        ("Range" = Option<String>, Header, description = "One byte range, `bytes=a-b`, `bytes=a-` or `bytes=-n`"),
    ),
    responses(
        (status = 200, description = "The whole content, in its media type", body = String, content_type = "application/octet-stream"),
        (status = 206, description = "The requested range (`Content-Range`)", body = String, content_type = "application/octet-stream"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such record or content, or not one the caller may read (the same answer)", body = Problem, content_type = "application/problem+json"),
        (status = 416, description = "The range lies outside the content (`range_not_satisfiable`; `Content-Range: bytes */size`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a record id (`invalid_request`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The audit log, database or document store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn content(
    State(state): State<AppState>,
    principal: Principal,
    Path(rid): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    hcas_core::id::check_id("rid", &rid)?;
    let store = state.tenants.store(&principal.org).await?;
    let found = gate_record(&store, &principal, &rid, Action::Read, "record.content").await?;
    let docs = state.tenants.documents(&principal.org).await?;
    let Some(c) = content_of(&docs, &found.value).await? else {
        return Err(ApiError::not_found("the record has no content"));
    };
    let (status, bytes, range) = match want(&headers, c.size) {
        Want::Unsatisfiable => {
            let mut res = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                format!(
                    "the range lies outside the content's {} bytes; ask for bytes 0 to {}",
                    c.size,
                    c.size.saturating_sub(1)
                ),
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{}", c.size)) {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(res);
        }
        Want::Whole => (StatusCode::OK, docs.read(&c.id).await?, None),
        Want::Range(a, b) => (
            StatusCode::PARTIAL_CONTENT,
            docs.read_range(&c.id, a..b + 1).await?,
            Some(format!("bytes {a}-{b}/{}", c.size)),
        ),
    };
    let mut res = (status, bytes).into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&c.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{rid}.{}\"",
        extension(&c.content_type)
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(r) = range
        && let Ok(v) = HeaderValue::from_str(&r)
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    Ok(res)
}

/// Delete a record: its document's data key is destroyed first
/// (crypto-shredding: the ciphertext left anywhere is unreadable), then
/// its metadata (`write` through the gate; denied answers as missing).
#[utoipa::path(
    delete,
    path = "/v1/records/{rid}",
    tag = "records",
    operation_id = "delete_record",
    params(("rid" = String, Path, description = "The record id")),
    responses(
        (status = 204, description = "Deleted; the content is shredded"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such record, or not one the caller may change (the same answer)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The record changed meanwhile; retry", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a record id (`invalid_request`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The audit log, database or document store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(rid): Path<String>,
) -> Result<StatusCode, ApiError> {
    hcas_core::id::check_id("rid", &rid)?;
    let store = state.tenants.store(&principal.org).await?;
    let found = gate_record(&store, &principal, &rid, Action::Write, "record.delete").await?;
    if let Some(doc) = &found.value.content_ref {
        let docs = state.tenants.documents(&principal.org).await?;
        match docs.delete(doc).await {
            Ok(()) | Err(StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    match store.delete_record(&rid, Some(found.version)).await {
        Ok(()) | Err(StoreError::NotFound { .. }) => Ok(StatusCode::NO_CONTENT),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn ranges() {
        assert_eq!(want(&HeaderMap::new(), 10), Want::Whole);
        assert_eq!(want(&range("bytes=0-3"), 10), Want::Range(0, 3));
        assert_eq!(want(&range("bytes=4-"), 10), Want::Range(4, 9));
        assert_eq!(want(&range("bytes=-3"), 10), Want::Range(7, 9));
        assert_eq!(want(&range("bytes=-30"), 10), Want::Range(0, 9));
        assert_eq!(want(&range("bytes=5-100"), 10), Want::Range(5, 9));
        assert_eq!(want(&range("bytes=10-12"), 10), Want::Unsatisfiable);
        assert_eq!(want(&range("bytes=10-"), 10), Want::Unsatisfiable);
        assert_eq!(want(&range("bytes=-0"), 10), Want::Unsatisfiable);
        assert_eq!(want(&range("bytes=0-0"), 0), Want::Unsatisfiable);
        assert_eq!(want(&range("bytes=3-1"), 10), Want::Whole);
        assert_eq!(want(&range("bytes=0-1,3-4"), 10), Want::Whole);
        assert_eq!(want(&range("items=0-1"), 10), Want::Whole);
    }

    #[test]
    fn magic() {
        assert_eq!(magic_ok("application/pdf", b"%PDF-1.7"), Some(true));
        assert_eq!(magic_ok("application/pdf", b"%PD"), None);
        assert_eq!(magic_ok("application/pdf", b"GIF89a"), Some(false));
        assert_eq!(magic_ok("image/jpeg", b"\xFF\xD8\xFF\xE0"), Some(true));
        assert_eq!(magic_ok("image/png", b"\x89PNG\r\n\x1a\nIHDR"), Some(true));
        assert_eq!(magic_ok("image/png", b"%PDF-1.7"), Some(false));
        assert!(
            check_whole(
                "application/fhir+json",
                br#"{"resourceType":"Observation"}"#
            )
            .is_ok()
        );
        assert!(check_whole("application/fhir+json", br#"{"id":"x"}"#).is_err());
        assert!(check_whole("application/fhir+json", b"[1]").is_err());
        assert!(check_whole("text/plain", b"hello").is_ok());
        assert!(check_whole("text/plain", b"\xFF\xFE").is_err());
    }
}
