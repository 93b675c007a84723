//! The IHE ITI Scheduling operations (<https://profiles.ihe.net/ITI/Scheduling/>)
//! on `Appointment`: `$find` (ITI-115, in `find.rs`), `$hold` (ITI-116) and
//! `$book` (ITI-117: new, modify, cancel). Each takes a `Parameters` body
//! (`$find` also a GET query string) and answers a `searchset` Bundle of
//! Appointments, as the IHE OperationDefinitions say.
//!
//! `$hold` and `$book` go through the REST API's own service functions
//! (`services::appointments::create_booking`, `transition`, `move_booking`):
//! the same consent gate (audited, fail closed), offered hours, atomic
//! conflict check in the store, `Idempotency-Key`, and versions. A conflict
//! is 409 with one `OperationOutcome` issue per conflicting booking (the
//! `outcomes` layer). An `appointment-resource` with R5's
//! `recurrenceTemplate` books (or cancels) a whole series (`series.rs`).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use hcas_core::Timestamp;
use hcas_core::booking::{Booking, Status};
use hcas_core::fhir::{
    Parameter, SearchEntry, appointment_from_fhir, parse_proposal_id, read_parameters, searchset,
    series_from_fhir,
};
use hcas_store::{Store, Stored};
use serde_json::Value;
use std::sync::Arc;

use super::resources::{self as res, SLOT_MINUTES};
use super::{base_url, fhir_response, params};
use crate::AppState;
use crate::auth::{Interaction, Principal};
use crate::error::ApiError;
use crate::services::appointments::{
    BookInput, Change, Created, RescheduleInput, create_booking, idempotency_key, move_booking,
    resource_id, transition,
};
use crate::services::http::{BadIfMatch, if_match};

/// The IHE OperationDefinition of `$find`.
pub(crate) const IHE_FIND: &str =
    "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-find";
/// The IHE OperationDefinition of `$hold`.
pub(crate) const IHE_HOLD: &str =
    "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-hold";
/// The IHE OperationDefinition of `$book`.
pub(crate) const IHE_BOOK: &str =
    "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-book";

/// 400 `invalid_parameter`: an operation parameter is missing or malformed.
pub(crate) fn bad_param(detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_parameter", detail)
}

/// 400 `unsupported_parameter`: a parameter (or value) hcas does not serve.
pub(crate) fn unsupported(detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "unsupported_parameter", detail)
}

/// Whether the request's body is JSON (`application/fhir+json` or
/// `application/json`).
fn json_body(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            let m = m.trim();
            m.eq_ignore_ascii_case(super::FHIR_JSON) || m.eq_ignore_ascii_case("application/json")
        })
}

/// An operation's parameters: the query string's (each a string value,
/// `_format` aside), then those of a `Parameters` body.
fn input(
    headers: &HeaderMap,
    query: Option<&str>,
    body: &Bytes,
) -> Result<Vec<Parameter>, ApiError> {
    let mut out: Vec<Parameter> = params::pairs(query.unwrap_or_default().as_bytes())
        .into_iter()
        .filter(|(n, v)| n != "_format" && !v.is_empty())
        .map(|(name, v)| Parameter::string(name, v))
        .collect();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(out);
    }
    if !json_body(headers) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send a `Parameters` resource as `Content-Type: application/fhir+json`",
        ));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::malformed(format!("the body is not JSON: {e}")))?;
    out.extend(read_parameters(&value).map_err(|e| bad_param(e.message().to_string()))?);
    Ok(out)
}

/// Refuse a parameter not in `known` (naming it and what is taken).
fn only(params: &[Parameter], op: &str, known: &[&str]) -> Result<(), ApiError> {
    match params.iter().find(|p| !known.contains(&p.name.as_str())) {
        Some(p) => Err(unsupported(format!(
            "`{}` is not a parameter of ${op} here; it takes {}",
            p.name,
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

/// The single `name` parameter, if given.
fn single<'a>(params: &'a [Parameter], name: &str) -> Result<Option<&'a Parameter>, ApiError> {
    let mut it = params.iter().filter(|p| p.name == name);
    match (it.next(), it.next()) {
        (p, None) => Ok(p),
        _ => Err(bad_param(format!("`{name}` may be given once"))),
    }
}

/// The text of the single `name` parameter, if given.
fn single_text(params: &[Parameter], name: &str) -> Result<Option<String>, ApiError> {
    single(params, name)?
        .map(|p| {
            p.text()
                .ok_or_else(|| bad_param(format!("`{name}`: give a string value")))
        })
        .transpose()
}

/// `GET /fhir/r4/Appointment/$find?…`.
pub(crate) async fn find_get(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    super::scoped(&principal, "Appointment", Interaction::Search)?;
    let params = input(&headers, query.as_deref(), &Bytes::new())?;
    super::find::find(&state, &principal, &headers, &params).await
}

/// `POST /fhir/r4/Appointment/$find` with a `Parameters` body.
pub(crate) async fn find_post(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    super::scoped(&principal, "Appointment", Interaction::Search)?;
    let params = input(&headers, query.as_deref(), &body)?;
    super::find::find(&state, &principal, &headers, &params).await
}

/// What `$hold` or `$book` acts on.
enum Target {
    /// A proposed Appointment (from `$find`): book or hold it anew.
    New(BookInput),
    /// A recurrence template (R5 `recurrenceTemplate`): a series to book or cancel.
    Series(super::series::SeriesTarget),
    /// A stored appointment, and the state the client asks for (`None`: an
    /// `appointment-reference`, which confirms it).
    Stored {
        id: String,
        wanted: Option<Booking>,
        version: Option<i64>,
    },
}

/// The id an `appointment-reference` names (`Appointment/<id>`, or this
/// server's absolute URL of it).
fn referenced_id(
    state: &AppState,
    headers: &HeaderMap,
    reference: &str,
) -> Result<String, ApiError> {
    let base = format!("{}/", base_url(state, headers));
    let relative = reference.strip_prefix(&base).unwrap_or(reference);
    relative
        .strip_prefix("Appointment/")
        .filter(|id| hcas_core::id::is_id(id))
        .map(str::to_string)
        .ok_or_else(|| {
            bad_param(format!(
                "`appointment-reference`: `{reference}` is not `Appointment/<id>` of this server"
            ))
        })
}

/// The whole minutes from `start` to `end` (hcas books whole minutes).
fn whole_minutes(start: Timestamp, end: Timestamp) -> Result<i64, ApiError> {
    let seconds = end.unix() - start.unix();
    if seconds % 60 == 0 {
        Ok(seconds / 60)
    } else {
        Err(bad_param(format!(
            "`appointment-resource`: {start} to {end} is not a whole number of minutes"
        )))
    }
}

/// A new booking of `provider` with `patient` over `[start, end)`.
fn new_input(
    provider: &str,
    patient: &str,
    start: Timestamp,
    end: Timestamp,
) -> Result<BookInput, ApiError> {
    Ok(BookInput {
        provider: provider.to_string(),
        patient: patient.to_string(),
        start,
        duration: whole_minutes(start, end)?,
        hold_minutes: None,
    })
}

/// The target of an `appointment-resource`.
fn resource_target(v: &Value) -> Result<Target, ApiError> {
    let mut v = v.clone();
    let had_id = v.get("id").is_some();
    if !had_id && let Some(o) = v.as_object_mut() {
        o.insert("id".into(), "new".into());
    }
    let at = |e: hcas_core::Error| bad_param(format!("`appointment-resource`: {}", e.message()));
    if let Some(series) = series_from_fhir(&v).map_err(at)? {
        return Ok(Target::Series(super::series::SeriesTarget {
            series,
            had_id,
            version: version_of(&v)?,
        }));
    }
    let b = appointment_from_fhir(&v).map_err(at)?;
    let proposal = parse_proposal_id(&b.id);
    let fresh = !had_id || proposal.is_some();
    if fresh && matches!(b.status, Status::Proposed | Status::Pending) {
        let kinds_ok = b.resources.len() == 2;
        let (Some(provider), Some(patient), true) = (
            resource_id(&b, "provider"),
            resource_id(&b, "patient"),
            kinds_ok,
        ) else {
            return Err(unsupported(
                "`appointment-resource`: a new appointment has exactly one Practitioner and one \
                 Patient participant",
            ));
        };
        return Ok(Target::New(new_input(provider, patient, b.start, b.end)?));
    }
    if fresh {
        return Err(bad_param(format!(
            "`appointment-resource`: a new appointment has status `pending` (or `proposed`), not \
             `{}`",
            b.status
        )));
    }
    Ok(Target::Stored {
        id: b.id.clone(),
        wanted: Some(b),
        version: version_of(&v)?,
    })
}

/// The `meta.versionId` of an `appointment-resource`, if given.
fn version_of(v: &Value) -> Result<Option<i64>, ApiError> {
    v["meta"]["versionId"]
        .as_str()
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| bad_param("`appointment-resource`: `meta.versionId` is not a version"))
        })
        .transpose()
}

/// What `params` ask `$hold`/`$book` to act on: exactly one of
/// `appointment-reference` and `appointment-resource`.
fn target(state: &AppState, headers: &HeaderMap, params: &[Parameter]) -> Result<Target, ApiError> {
    match (
        single(params, "appointment-reference")?,
        single(params, "appointment-resource")?,
    ) {
        (Some(r), None) => {
            let reference = r.text().ok_or_else(|| {
                bad_param("`appointment-reference`: give a `valueReference` (`Appointment/<id>`)")
            })?;
            let id = referenced_id(state, headers, &reference)?;
            Ok(match parse_proposal_id(&id) {
                Some(p) => {
                    let end = p.start.plus_minutes(SLOT_MINUTES)?;
                    Target::New(new_input(&p.provider, &p.patient, p.start, end)?)
                }
                None => Target::Stored {
                    id,
                    wanted: None,
                    version: None,
                },
            })
        }
        (None, Some(r)) if r.element == "resource" => resource_target(&r.value),
        (None, Some(_)) => Err(bad_param(
            "`appointment-resource`: give the Appointment as `resource`",
        )),
        _ => Err(bad_param(
            "give exactly one of `appointment-reference` (an Appointment from $find or $hold) and \
             `appointment-resource`",
        )),
    }
}

/// The searchset Bundle of `$op` answering one Appointment.
fn bundle_of(
    state: &AppState,
    headers: &HeaderMap,
    op: &str,
    appointment: Value,
    status: StatusCode,
) -> Response {
    let base = base_url(state, headers);
    let id = appointment["id"].as_str().unwrap_or_default().to_string();
    let entry = SearchEntry::matched(&base, appointment);
    let mut res = fhir_response(
        status,
        &searchset(1, &format!("{base}/Appointment/${op}"), None, vec![entry]),
        None,
    );
    if status == StatusCode::CREATED
        && let Ok(v) = HeaderValue::from_str(&format!("{base}/Appointment/{id}"))
    {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// The Appointment of `stored`, with its last change.
async fn appointment_of(
    store: &Arc<dyn Store>,
    stored: &Stored<Booking>,
) -> Result<Value, ApiError> {
    let updated = res::last_updated(store, &stored.value.id).await?;
    res::appointment(stored, updated)
}

/// An HTTP-date (RFC 9110) of `t`, for `Expires`.
fn http_date(t: Timestamp) -> Option<HeaderValue> {
    let d = chrono::DateTime::from_timestamp(t.unix(), 0)?;
    HeaderValue::from_str(&d.format("%a, %d %b %Y %H:%M:%S GMT").to_string()).ok()
}

/// The answer of a new booking or hold: 201 (200 for an `Idempotency-Key`
/// replay), with `Expires` for a hold.
async fn created(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    op: &str,
    made: Created,
) -> Result<Response, ApiError> {
    let store = state.tenants.store(&principal.org).await?;
    let status = if made.replay {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let expires = made.stored.value.hold_expires;
    let mut res = bundle_of(
        state,
        headers,
        op,
        appointment_of(&store, &made.stored).await?,
        status,
    );
    if let Some(v) = expires.and_then(http_date) {
        res.headers_mut().insert(header::EXPIRES, v);
    }
    Ok(res)
}

/// `POST /fhir/r4/Appointment/$hold`: hold a proposed Appointment (from
/// `appointment-reference` or `appointment-resource`) for `hold-minutes`
/// (an hcas parameter, 1 to 60, default 10) through the REST hold's path.
pub(crate) async fn hold(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    super::scoped(&principal, "Appointment", Interaction::Create)?;
    let params = input(&headers, query.as_deref(), &body)?;
    only(
        &params,
        "hold",
        &[
            "appointment-reference",
            "appointment-resource",
            "hold-minutes",
        ],
    )?;
    let target = target(&state, &headers, &params)?;
    if matches!(target, Target::Series(_)) {
        return Err(unsupported(
            "$hold holds one proposed Appointment; book a recurrence template with $book",
        ));
    }
    let Target::New(mut new) = target else {
        return Err(bad_param(
            "$hold takes a proposed Appointment from $find; this one is already stored",
        ));
    };
    new.hold_minutes = single_text(&params, "hold-minutes")?
        .map(|m| {
            m.parse::<i64>()
                .map_err(|_| bad_param(format!("`hold-minutes`: `{m}` is not a whole number")))
        })
        .transpose()?;
    let key = idempotency_key(&headers)?;
    match create_booking(&state, &principal, key, new, true).await {
        Ok(made) => created(&state, &principal, &headers, "hold", made).await,
        Err(e) if e.code() == "conflict" => Ok(not_available(&e)),
        Err(e) => Err(e),
    }
}

/// A `$hold` refused for a conflict: the 409 OperationOutcome of every
/// other conflict (one issue per conflicting booking), and the issue ITI-116
/// asks for when the appointment cannot be held (`fatal`, `not-found`).
fn not_available(e: &ApiError) -> Response {
    let problem = e.problem(None);
    let conflicts = problem.conflicts.unwrap_or_default();
    let mut outcome = hcas_core::fhir::conflict_outcome(&problem.detail, &conflicts);
    if let Some(issues) = outcome["issue"].as_array_mut() {
        issues.push(serde_json::json!({
            "severity": "fatal",
            "code": "not-found",
            "diagnostics": "the proposed Appointment is no longer available to hold; $find again",
        }));
    }
    fhir_response(StatusCode::CONFLICT, &outcome, None)
}

/// `If-None-Exist`: the one Appointment its search finds, if any (412 for
/// several).
async fn existing(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
) -> Result<Option<Value>, ApiError> {
    let Some(v) = headers.get("if-none-exist") else {
        return Ok(None);
    };
    let query = v
        .to_str()
        .map_err(|_| ApiError::malformed("If-None-Exist must be a search query string"))?;
    let query = query
        .trim()
        .trim_start_matches("Appointment?")
        .trim_start_matches('?');
    let (total, mut found) = super::search::appointments_matching(state, principal, query).await?;
    match total {
        0 => Ok(None),
        1 => Ok(found.pop()),
        n => Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "multiple_matches",
            format!("If-None-Exist matches {n} appointments; narrow the search to one"),
        )),
    }
}

/// `POST /fhir/r4/Appointment/$book`: book a proposed or held Appointment,
/// move (status `booked`, a new start) or cancel (status `cancelled`) a
/// stored one.
pub(crate) async fn book(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    super::scoped(&principal, "Appointment", Interaction::Create)?;
    super::scoped(&principal, "Appointment", Interaction::Update)?;
    let params = input(&headers, query.as_deref(), &body)?;
    only(
        &params,
        "book",
        &["appointment-reference", "appointment-resource", "comment"],
    )?;
    let comment = single_text(&params, "comment")?;
    let target = target(&state, &headers, &params)?;
    let header_version = if_match(&headers, BadIfMatch::Malformed)?;
    if let Some(found) = existing(&state, &principal, &headers).await? {
        return Ok(bundle_of(&state, &headers, "book", found, StatusCode::OK));
    }
    match target {
        Target::New(new) => {
            let key = idempotency_key(&headers)?;
            let made = create_booking(&state, &principal, key, new, false).await?;
            created(&state, &principal, &headers, "book", made).await
        }
        Target::Series(series) => {
            super::series::book(
                &state,
                &principal,
                &headers,
                series,
                header_version,
                comment,
            )
            .await
        }
        Target::Stored {
            id,
            wanted,
            version,
        } => {
            let version = header_version.or(version);
            let store = state.tenants.store(&principal.org).await?;
            let stored = change(&state, &principal, &store, &id, version, wanted, comment).await?;
            let body = appointment_of(&store, &stored).await?;
            Ok(bundle_of(&state, &headers, "book", body, StatusCode::OK))
        }
    }
}

/// Make the change `$book` asks of stored booking `id`: confirm (a
/// reference, or status `pending`/`booked` at the same time), move (status
/// `booked` at a new time, `comment` saying why) or cancel (status
/// `cancelled`, `cancelationReason.text` or `comment` saying why).
async fn change(
    state: &AppState,
    principal: &Principal,
    store: &Arc<dyn Store>,
    id: &str,
    version: Option<i64>,
    wanted: Option<Booking>,
    comment: Option<String>,
) -> Result<Stored<Booking>, ApiError> {
    let confirm = Change {
        to: Status::Booked,
        operation: "appointment.confirm",
        reason: comment.clone(),
    };
    let Some(wanted) = wanted else {
        return Ok(transition(state, principal, id, version, confirm)
            .await?
            .booking);
    };
    match wanted.status {
        Status::Cancelled => {
            let reason = wanted.cancel_reason.clone().or(comment).ok_or_else(|| {
                bad_param("to cancel, say why: `cancelationReason.text` or the `comment` parameter")
            })?;
            let cancel = Change {
                to: Status::Cancelled,
                operation: "appointment.cancel",
                reason: Some(reason),
            };
            Ok(transition(state, principal, id, version, cancel)
                .await?
                .booking)
        }
        Status::Held | Status::Pending => Ok(transition(state, principal, id, version, confirm)
            .await?
            .booking),
        Status::Booked => modify(state, principal, store, id, version, &wanted, comment).await,
        s => Err(unsupported(format!(
            "`appointment-resource`: $book sets status `booked` or `cancelled` (or confirms a \
             `pending` hold), not `{s}`"
        ))),
    }
}

/// Status `booked` on stored booking `id`: confirm it if it is at the same
/// time, else move it there (the REST reschedule path).
async fn modify(
    state: &AppState,
    principal: &Principal,
    store: &Arc<dyn Store>,
    id: &str,
    version: Option<i64>,
    wanted: &Booking,
    comment: Option<String>,
) -> Result<Stored<Booking>, ApiError> {
    let current = store.get(id).await?;
    if let Some(patient) = resource_id(&current.value, "patient") {
        res::appointments_gate(
            store,
            principal,
            patient,
            "appointment.read",
            format!("booking:{id}"),
        )
        .await?;
    } else if !res::staff(principal) {
        return Err(ApiError::forbidden("this booking is not yours"));
    }
    if wanted.resources != current.value.resources {
        return Err(unsupported(
            "`appointment-resource`: $book moves an appointment in time only; to change its \
             participants cancel it and book anew",
        ));
    }
    if wanted.start == current.value.start && wanted.end == current.value.end {
        let confirm = Change {
            to: Status::Booked,
            operation: "appointment.confirm",
            reason: comment,
        };
        return Ok(transition(state, principal, id, version, confirm)
            .await?
            .booking);
    }
    let reason =
        comment.ok_or_else(|| bad_param("to move an appointment, say why in `comment`"))?;
    let input = RescheduleInput {
        start: wanted.start,
        duration: Some(whole_minutes(wanted.start, wanted.end)?),
        reason,
    };
    Ok(move_booking(state, principal, id, version, input)
        .await?
        .new)
}
