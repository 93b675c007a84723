//! The appointments service: slot search (served from the read model,
//! [`crate::readmodel`]), holds, bookings and their lifecycle (confirm,
//! check in, complete, no-show, cancel, reschedule), on its own store port,
//! [`AppointmentStore`]. It asks the doctors service
//! ([`super::doctors::DoctorsClient`]) for providers and schedules and keeps
//! its own bookings.
//!
//! A booking is the patient's data (category `appointments`): every read
//! and write of one passes the consent gate ([`crate::access::authorize`],
//! audited, fail closed) before the store is touched. Booking always
//! re-checks conflicts in the store (the read model is only a cache); a
//! conflict is 409 with every conflicting booking named in `conflicts`.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use hcas_core::booking::{Booking, Status};
use hcas_core::consent::{Action, Category, Role};
use hcas_core::lifecycle::{Outcome, Party, TransitionRequest};
use hcas_core::{Interval, Minutes, SlotQuery, Timestamp};
use hcas_store::{AppointmentStore, RescheduleRequest, Store, Stored};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::http::{BadIfMatch, invalid, now, query_rejection, require_if_match, with_etag};
use crate::AppState;
use crate::access::{Access, authorize};
use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path};
use crate::tenants::OrgId;

pub mod advice;
pub mod ics;
pub mod series;
pub mod waitlist;

/// The longest slot search window, in days.
pub const MAX_WINDOW_DAYS: i64 = 62;
/// The longest appointment, in minutes (one day).
pub const MAX_DURATION_MINUTES: i64 = 24 * 60;
/// The longest hold, in minutes.
pub const MAX_HOLD_MINUTES: i64 = 60;
/// A hold's length when none is asked for, in minutes.
pub const DEFAULT_HOLD_MINUTES: i64 = 10;
/// Most providers one pooled search covers.
pub const MAX_POOL: usize = 200;

/// The appointments' routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search_slots))
        .routes(routes!(advice::explain))
        .routes(routes!(advice::alternatives))
        .routes(routes!(hold))
        .routes(routes!(book))
        .routes(routes!(get_appointment))
        .routes(routes!(ics::download))
        .routes(routes!(reschedule))
        .routes(routes!(change_status))
        .routes(routes!(series::book_series))
        .routes(routes!(series::get_series))
        .routes(routes!(ics::series_download))
        .routes(routes!(series::shift_series))
        .routes(routes!(series::cancel_series))
        .routes(routes!(waitlist::join, waitlist::list))
        .routes(routes!(waitlist::leave))
}

/// The organization's store (as the appointments port), with its outbox
/// relay running and the read model listening.
pub(crate) async fn open(state: &AppState, org: &OrgId) -> Result<Arc<dyn Store>, ApiError> {
    let store = state.tenants.store(org).await?;
    state.bus.ensure(org, Arc::clone(&store));
    state.slots.listen(&state.bus);
    Ok(store)
}

pub(super) fn minutes(name: &str, v: i64, max: i64) -> Result<Minutes, ApiError> {
    if (1..=max).contains(&v) {
        Ok(Minutes::new(v))
    } else {
        Err(invalid(format!(
            "`{name}`: give 1 to {max} minutes, got {v}"
        )))
    }
}

pub(super) fn instant(name: &str, v: &str) -> Result<Timestamp, ApiError> {
    v.parse::<Timestamp>()
        .map_err(|e| ApiError::from(e.at(name)))
}

// ---------------------------------------------------------------- slots

/// A slot search: one provider, or the pool of every active provider with a
/// specialty ("any doctor of this specialty").
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SlotParams {
    /// One provider's id (or give `specialty`).
    pub provider: Option<String>,
    /// Every active provider with this specialty (or give `provider`).
    pub specialty: Option<String>,
    /// Earliest start (inclusive), RFC 3339 UTC, e.g. `2026-05-04T00:00:00Z`.
    pub from: String,
    /// Latest start (exclusive); at most 62 days after `from`.
    pub to: String,
    /// Appointment length in minutes (1 to 1440).
    pub duration: i64,
    /// Grid step in minutes (default: the duration).
    pub step: Option<i64>,
}

/// One offered start and who is free then.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlotView {
    /// Start, RFC 3339 UTC.
    #[schema(value_type = String)]
    pub start: Timestamp,
    /// End (start + duration).
    #[schema(value_type = String)]
    pub end: Timestamp,
    /// The providers free for the whole slot, by id.
    pub providers: Vec<String>,
}

/// The answer of a slot search.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlotsView {
    /// The appointment length asked for, in minutes.
    pub duration: i64,
    /// The offered starts, ascending.
    pub slots: Vec<SlotView>,
}

/// The `from`..`to` of a query (RFC 3339 UTC): `to` after `from`, at most
/// [`MAX_WINDOW_DAYS`] apart (`window_too_large`, its message starting with
/// `verb`, e.g. "search at most 62 days at once").
pub(crate) fn query_window(
    from: &str,
    to: &str,
    verb: &str,
) -> Result<(Timestamp, Timestamp), ApiError> {
    let from = instant("from", from)?;
    let to = instant("to", to)?;
    if to <= from {
        return Err(invalid("`to` must be after `from`"));
    }
    if to.unix() - from.unix() > MAX_WINDOW_DAYS * 86_400 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "window_too_large",
            format!("{verb} at most {MAX_WINDOW_DAYS} days at once; narrow `from`..`to`"),
        ));
    }
    Ok((from, to))
}

/// Free slots of one provider or of a specialty's pool, from the read model.
#[utoipa::path(
    get,
    path = "/v1/slots",
    tag = "appointments",
    params(SlotParams),
    responses(
        (status = 200, description = "The offered starts with the providers free at each", body = SlotsView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such provider", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad window, duration or step (`window_too_large` past 62 days)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn search_slots(
    State(state): State<AppState>,
    principal: Principal,
    params: Result<Query<SlotParams>, QueryRejection>,
) -> Result<axum::Json<SlotsView>, ApiError> {
    let Query(p) = params.map_err(|e| query_rejection(&e))?;
    let (from, to) = query_window(&p.from, &p.to, "search")?;
    let duration = minutes("duration", p.duration, MAX_DURATION_MINUTES)?;
    let mut query = SlotQuery::new(from, to, duration);
    if let Some(step) = p.step {
        query = query.step(minutes("step", step, MAX_DURATION_MINUTES)?);
    }
    let now = now()?;
    let query = query.now(now);
    let span = Interval::new(from, to.plus_minutes(duration.get())?)?;
    let org = &principal.org;
    let store = open(&state, org).await?;
    let port: Arc<dyn AppointmentStore> = store;
    let ids: Vec<String> = match (p.provider, p.specialty) {
        // An inactive provider takes no appointments: no slots (an unknown
        // one is 404 below, even if the directory is behind).
        (Some(id), None) => {
            let dir = state.slots.directory(org).await?;
            if dir.iter().any(|p| p.id == id && !p.active) {
                Vec::new()
            } else {
                vec![id]
            }
        }
        (None, Some(s)) => {
            let dir = state.slots.directory(org).await?;
            let ids: Vec<String> = dir
                .iter()
                .filter(|p| p.active && p.specialties.contains(&s))
                .map(|p| p.id.clone())
                .collect();
            if ids.len() > MAX_POOL {
                return Err(invalid(format!(
                    "specialty `{s}` has more than {MAX_POOL} providers; search them one by one"
                )));
            }
            ids
        }
        _ => return Err(invalid("give exactly one of `provider` and `specialty`")),
    };
    let mut slots = Vec::new();
    if let [id] = ids.as_slice() {
        let entry = state.slots.entry(org, &port, id, span, now).await?;
        for start in entry.full.slots(&query)? {
            slots.push(SlotView {
                start,
                end: start.plus_minutes(duration.get())?,
                providers: vec![id.clone()],
            });
        }
    } else if !ids.is_empty() {
        // The read model's `Arc`s, shared: `pooled_slots` borrows each
        // provider's availability, so none is copied per query.
        let mut pool: Vec<Arc<hcas_core::Availability>> = Vec::with_capacity(ids.len());
        for id in &ids {
            let entry = state.slots.entry(org, &port, id, span, now).await?;
            pool.push(Arc::clone(&entry.full));
        }
        let pooled = hcas_core::availability::pooled_slots(&pool, &query)?;
        for (start, members) in pooled.iter() {
            slots.push(SlotView {
                start,
                end: start.plus_minutes(duration.get())?,
                providers: members
                    .iter()
                    .filter_map(|&m| ids.get(m as usize).cloned())
                    .collect(),
            });
        }
    }
    Ok(axum::Json(SlotsView {
        duration: duration.get(),
        slots,
    }))
}

// ---------------------------------------------------------------- bookings

/// An appointment as answered: the booking and its version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppointmentView {
    /// The id.
    pub id: String,
    /// The provider's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The patient's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient: Option<String>,
    /// Start, RFC 3339 UTC.
    #[schema(value_type = String)]
    pub start: Timestamp,
    /// End (exclusive).
    #[schema(value_type = String)]
    pub end: Timestamp,
    /// The FHIR status (`booked`, `held`, `cancelled`, ...).
    #[schema(value_type = String)]
    pub status: Status,
    /// For a hold: when it lapses.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub hold_expires: Option<Timestamp>,
    /// Every resource it uses (`provider:<id>`, `patient:<id>`, and
    /// `room:<id>` when the provider had a room when it was booked).
    pub resources: Vec<String>,
    /// The room it holds, if any (its `room:<id>` resource).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// Why it was cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
    /// The appointment this one replaces (a reschedule).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
    /// The appointment that replaced this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
    /// The version (also the `ETag`); send it as `If-Match` to change it.
    pub version: i64,
}

pub(crate) fn resource_id<'a>(b: &'a Booking, kind: &str) -> Option<&'a str> {
    b.resources.iter().find_map(|r| id_in(r, kind))
}

/// The id in a resource `<kind>:<id>`, if it is of that kind.
pub(super) fn id_in<'a>(resource: &'a str, kind: &str) -> Option<&'a str> {
    resource.strip_prefix(kind)?.strip_prefix(':')
}

/// Wake the organization's outbox relay after a write to `store`.
pub(super) fn relay(state: &AppState, org: &OrgId, store: &Arc<dyn Store>) {
    state.bus.relay(org, Arc::clone(store));
}

impl From<Stored<Booking>> for AppointmentView {
    fn from(s: Stored<Booking>) -> Self {
        let b = s.value;
        Self {
            provider: resource_id(&b, "provider").map(str::to_string),
            patient: resource_id(&b, "patient").map(str::to_string),
            room: resource_id(&b, "room").map(str::to_string),
            id: b.id,
            start: b.start,
            end: b.end,
            status: b.status,
            hold_expires: b.hold_expires,
            resources: b.resources,
            cancel_reason: b.cancel_reason,
            replaces: b.replaces,
            replaced_by: b.replaced_by,
            version: s.version,
        }
    }
}

pub(super) fn answer(
    status: StatusCode,
    version: i64,
    body: impl Serialize,
    id: Option<&str>,
) -> Response {
    let mut res = with_etag(status, version, body);
    if let Some(id) = id
        && let Ok(v) = HeaderValue::from_str(&format!("/v1/appointments/{id}"))
    {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// What to book or hold.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookInput {
    /// The provider's id.
    pub provider: String,
    /// The patient's id (a patient may only book for themselves).
    pub patient: String,
    /// Start, RFC 3339 UTC: one of the starts slot search offers.
    #[schema(value_type = String, example = "2026-05-04T09:00:00Z")]
    pub start: Timestamp,
    /// Length in minutes (1 to 1440).
    pub duration: i64,
    /// For a hold: how long it lasts, in minutes (1 to 60, default 10).
    #[serde(default)]
    pub hold_minutes: Option<i64>,
}

/// Who the lifecycle sees acting: a patient, a clinician or staff.
pub(crate) fn party(principal: &Principal) -> Party {
    if principal.has(Role::Admin) {
        Party::Staff
    } else if principal.has(Role::Doctor) || principal.has(Role::Nurse) {
        Party::Practitioner
    } else {
        Party::Patient
    }
}

/// Refuse a start that is outside the provider's working hours or in time
/// off (conflicts with other bookings are the store's to decide); answer
/// the provider's room, which a new booking also holds.
pub(super) async fn check_offered(
    state: &AppState,
    org: &OrgId,
    provider: &str,
    interval: Interval,
    now: Timestamp,
) -> Result<Option<String>, ApiError> {
    // The provider's working hours from the read model: a profile or
    // schedule change drops them at once (doctors.rs), bookings do not.
    let base = state.slots.base(org, provider).await?;
    if !base.active {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "provider_inactive",
            format!("provider {provider} takes no appointments"),
        ));
    }
    if offered(&base.availability, interval, now)? {
        Ok(base.room.clone())
    } else {
        Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "slot_unavailable",
            "this start is in the past, outside the provider's working hours or in their time off; GET /v1/slots for the offered starts",
        ))
    }
}

/// Whether `base` (working hours and time off) offers `interval` at `now`
/// on a one-minute grid.
pub(super) fn offered(
    base: &hcas_core::Availability,
    interval: Interval,
    now: Timestamp,
) -> Result<bool, ApiError> {
    let minutes = (interval.end().unix() - interval.start().unix()) / 60;
    let probe = SlotQuery::new(
        interval.start(),
        Timestamp::from_unix(interval.start().unix() + 1)?,
        Minutes::new(minutes),
    )
    .step(Minutes::new(1))
    .now(now);
    Ok(base.slots(&probe)?.first() == Some(&interval.start()))
}

/// The `Idempotency-Key` header, if sent (1 to 255 visible ASCII characters).
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    v.to_str()
        .ok()
        .map(str::trim)
        .filter(|k| (1..=255).contains(&k.len()))
        .map(|k| Some(k.to_string()))
        .ok_or_else(|| {
            ApiError::malformed("Idempotency-Key must be 1 to 255 visible ASCII characters")
        })
}

/// A booking or hold made by [`create_booking`]: the stored booking, and
/// whether it is a replay of an earlier request with the same
/// `Idempotency-Key` (nothing new was booked).
pub(crate) struct Created {
    /// The booking as stored.
    pub(crate) stored: Stored<Booking>,
    /// Whether an earlier request with the same key made it.
    pub(crate) replay: bool,
}

/// Book or `hold` `input` for `principal`: the consent gate (`appointments`
/// write, audited), the provider's offered hours, then the store's atomic
/// conflict check. The REST routes and the FHIR `$hold`/`$book` share it.
pub(crate) async fn create_booking(
    state: &AppState,
    principal: &Principal,
    key: Option<String>,
    input: BookInput,
    hold: bool,
) -> Result<Created, ApiError> {
    let org = &principal.org;
    let now = now()?;
    let duration = minutes("duration", input.duration, MAX_DURATION_MINUTES)?;
    let interval = Interval::new(input.start, input.start.plus_minutes(duration.get())?)?;
    let id = uuid::Uuid::new_v4().to_string();
    let store = open(state, org).await?;
    let operation = if hold {
        "appointment.hold"
    } else {
        "appointment.book"
    };
    authorize(
        &store,
        principal,
        &Access::new(
            input.patient.clone(),
            Category::Appointments,
            Action::Write,
            operation,
            format!("booking:{id}"),
        ),
        now,
    )
    .await?;
    let port: Arc<dyn AppointmentStore> = Arc::clone(&store) as Arc<dyn AppointmentStore>;
    let room = check_offered(state, org, &input.provider, interval, now).await?;
    let mut resources = vec![
        format!("provider:{}", input.provider),
        format!("patient:{}", input.patient),
    ];
    // The provider's room is one more resource of the same atomic booking:
    // two providers sharing it are never booked into it at once.
    if let Some(room) = room {
        resources.push(hcas_store::records::room_resource_of(&room));
    }
    let mut booking = Booking::new(id.clone(), resources.clone(), interval);
    if hold {
        let length = minutes(
            "hold_minutes",
            input.hold_minutes.unwrap_or(DEFAULT_HOLD_MINUTES),
            MAX_HOLD_MINUTES,
        )?;
        booking = booking
            .status(Status::Held)
            .hold_until(now.plus_minutes(length.get())?);
    } else if input.hold_minutes.is_some() {
        return Err(invalid("`hold_minutes` is for POST /v1/appointments/holds"));
    }
    let booking = booking.build()?;
    let stored = match port.book(booking, key.as_deref(), now).await {
        Ok(stored) => stored,
        Err(e) => {
            if matches!(e, hcas_store::StoreError::Conflict { .. }) {
                crate::metrics::count(crate::metrics::Metrics::conflict);
            }
            return Err(e.into());
        }
    };
    let replay = stored.value.id != id;
    if !replay {
        crate::metrics::count(crate::metrics::Metrics::booking);
        state.slots.note_booked(org, &resources, interval);
        state.bus.relay(org, Arc::clone(&store));
        tracing::info!(booking = %id, hold, "booked");
    }
    Ok(Created { stored, replay })
}

async fn create(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    input: BookInput,
    hold: bool,
) -> Result<Response, ApiError> {
    let key = idempotency_key(headers)?;
    let Created { stored, replay } = create_booking(state, principal, key, input, hold).await?;
    let status = if replay {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let id = stored.value.id.clone();
    Ok(answer(
        status,
        stored.version,
        AppointmentView::from(stored),
        Some(&id),
    ))
}

/// Hold a slot for a while (status `held`; confirm it with
/// `POST /v1/appointments/{id}/confirm` before it lapses).
#[utoipa::path(
    post,
    path = "/v1/appointments/holds",
    tag = "appointments",
    request_body = BookInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key answers the same hold")),
    responses(
        (status = 201, description = "Held", body = AppointmentView),
        (status = 200, description = "A replay of an earlier request with this Idempotency-Key", body = AppointmentView),
        (status = 403, description = "Not permitted for this patient", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Taken: `conflicts` names the bookings holding it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad input, or a start not offered (`slot_unavailable`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn hold(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Json(input): Json<BookInput>,
) -> Result<Response, ApiError> {
    create(&state, &principal, &headers, input, true).await
}

/// Book an appointment (status `booked`).
#[utoipa::path(
    post,
    path = "/v1/appointments",
    tag = "appointments",
    request_body = BookInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key answers the same booking (24 h)")),
    responses(
        (status = 201, description = "Booked; `Location` names it", body = AppointmentView),
        (status = 200, description = "A replay of an earlier request with this Idempotency-Key", body = AppointmentView),
        (status = 403, description = "Not permitted for this patient", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Taken: `conflicts` names the bookings holding it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad input, or a start not offered (`slot_unavailable`)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn book(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Json(input): Json<BookInput>,
) -> Result<Response, ApiError> {
    create(&state, &principal, &headers, input, false).await
}

/// Load booking `id` and pass the consent gate for `action` on its patient.
pub(crate) async fn load_authorized(
    store: &Arc<dyn Store>,
    principal: &Principal,
    id: &str,
    action: Action,
    operation: &'static str,
    now: Timestamp,
) -> Result<Stored<Booking>, ApiError> {
    let stored = store.get(id).await?;
    match resource_id(&stored.value, "patient") {
        Some(patient) => {
            authorize(
                store,
                principal,
                &Access::new(
                    patient,
                    Category::Appointments,
                    action,
                    operation,
                    format!("booking:{id}"),
                ),
                now,
            )
            .await?;
        }
        None if principal.has(Role::Admin)
            || principal.has(Role::Doctor)
            || principal.has(Role::Nurse) => {}
        None => return Err(ApiError::forbidden("this booking is not yours")),
    }
    Ok(stored)
}

/// One appointment.
#[utoipa::path(
    get,
    path = "/v1/appointments/{id}",
    tag = "appointments",
    params(("id" = String, Path, description = "The appointment's id")),
    responses(
        (status = 200, description = "The appointment; `ETag` is the version", body = AppointmentView),
        (status = 403, description = "Not permitted for this patient", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appointment", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_appointment(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let store = open(&state, &principal.org).await?;
    let stored = load_authorized(
        &store,
        &principal,
        &id,
        Action::Read,
        "appointment.read",
        now()?,
    )
    .await?;
    Ok(answer(
        StatusCode::OK,
        stored.version,
        AppointmentView::from(stored),
        None,
    ))
}

/// Why a status changes (required to cancel).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeInput {
    /// Why (required for `cancel`; recorded in the history).
    #[serde(default)]
    pub reason: Option<String>,
}

/// A lifecycle transition made.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransitionView {
    /// The status before.
    #[schema(value_type = String)]
    pub from: Status,
    /// The status after.
    #[schema(value_type = String)]
    pub to: Status,
    /// What follows (`cancelled`, `late_cancellation` with minutes before
    /// the start, `no_show`, `slot_freed`): the policy outcome.
    #[schema(value_type = Vec<Object>)]
    pub outcomes: Vec<Outcome>,
    /// Whether the cancellation was late by the organization's policy.
    pub late_cancellation: bool,
}

impl From<hcas_core::lifecycle::Transitioned> for TransitionView {
    fn from(t: hcas_core::lifecycle::Transitioned) -> Self {
        Self {
            late_cancellation: t
                .outcomes
                .iter()
                .any(|o| matches!(o, Outcome::LateCancellation { .. })),
            from: t.from,
            to: t.to,
            outcomes: t.outcomes,
        }
    }
}

/// The answer of a status change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangedView {
    /// The appointment after the change.
    pub appointment: AppointmentView,
    /// The transition and its outcomes.
    pub transition: TransitionView,
}

/// A lifecycle change asked for: the status to reach, the audited
/// operation (`appointment.cancel`) and why.
pub(crate) struct Change {
    /// The status to reach.
    pub(crate) to: Status,
    /// The operation the consent gate audits.
    pub(crate) operation: &'static str,
    /// Why (required to cancel).
    pub(crate) reason: Option<String>,
}

/// Make `change` to booking `id` at `version` (`None`: the version the
/// gate loads, for callers without a precondition) after the consent gate
/// (`appointments` write, audited); the REST status routes and the FHIR
/// `$book` share it.
pub(crate) async fn transition(
    state: &AppState,
    principal: &Principal,
    id: &str,
    version: Option<i64>,
    change: Change,
) -> Result<hcas_store::StatusChanged, ApiError> {
    let org = &principal.org;
    let now = now()?;
    let store = open(state, org).await?;
    let current =
        load_authorized(&store, principal, id, Action::Write, change.operation, now).await?;
    let mut request = TransitionRequest::new(change.to, party(principal), now);
    if let Some(r) = change.reason {
        request = request.reason(r);
    }
    let version = version.unwrap_or(current.version);
    let done = store.set_status(id, version, &request).await?;
    state.slots.bookings_changed(org, &current.value.resources);
    if done.transition.outcomes.contains(&Outcome::SlotFreed) {
        waitlist::offer_freed(state, org, &store, &done.booking.value).await;
    }
    state.bus.relay(org, store);
    tracing::info!(booking = %id, to = change.to.as_str(), "status changed");
    Ok(done)
}

/// Move an appointment through its lifecycle: `confirm` (a hold or pending
/// booking to booked), `check-in`, `complete`, `no-show` or `cancel` (with
/// a reason; the answer says whether it was a late cancellation).
#[utoipa::path(
    post,
    path = "/v1/appointments/{id}/{action}",
    tag = "appointments",
    params(
        ("id" = String, Path, description = "The appointment's id"),
        ("action" = String, Path, description = "confirm, check-in, complete, no-show or cancel"),
        ("If-Match" = String, Header, description = "The version last read (its ETag)"),
    ),
    request_body(content = ChangeInput, description = "Optional; `reason` is required to cancel"),
    responses(
        (status = 200, description = "Changed", body = ChangedView),
        (status = 403, description = "Not permitted (consent, or this actor may not make this change)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appointment or action", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a legal change now (`invalid_transition`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No `If-Match`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn change_status(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (to, operation) = match action.as_str() {
        "confirm" => (Status::Booked, "appointment.confirm"),
        "check-in" => (Status::CheckedIn, "appointment.check-in"),
        "complete" => (Status::Fulfilled, "appointment.complete"),
        "no-show" => (Status::Noshow, "appointment.no-show"),
        "cancel" => (Status::Cancelled, "appointment.cancel"),
        _ => {
            return Err(ApiError::not_found(
                "no such action; use confirm, check-in, complete, no-show, cancel or reschedule",
            ));
        }
    };
    let version = require_if_match(&headers, BadIfMatch::Malformed)?;
    let input: ChangeInput = if body.iter().all(u8::is_ascii_whitespace) {
        ChangeInput::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| invalid(format!("the JSON body does not fit: {e}")))?
    };
    let change = Change {
        to,
        operation,
        reason: input.reason,
    };
    let done = transition(&state, &principal, &id, Some(version), change).await?;
    let version = done.booking.version;
    Ok(answer(
        StatusCode::OK,
        version,
        ChangedView {
            appointment: done.booking.into(),
            transition: done.transition.into(),
        },
        None,
    ))
}

/// Where to move an appointment.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleInput {
    /// The new start, RFC 3339 UTC.
    #[schema(value_type = String, example = "2026-05-05T10:00:00Z")]
    pub start: Timestamp,
    /// The new length in minutes (default: the old one).
    #[serde(default)]
    pub duration: Option<i64>,
    /// Why (required).
    pub reason: String,
}

/// The answer of a reschedule.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RescheduledView {
    /// The old appointment, now cancelled (`replaced_by` set).
    pub old: AppointmentView,
    /// The new appointment (`replaces` set).
    pub new: AppointmentView,
    /// The cancellation of the old one and its outcomes (late or not).
    pub transition: TransitionView,
}

/// Move an appointment: the new one is booked and the old one cancelled in
/// one step, or nothing changes.
#[utoipa::path(
    post,
    path = "/v1/appointments/{id}/reschedule",
    tag = "appointments",
    params(
        ("id" = String, Path, description = "The appointment's id"),
        ("If-Match" = String, Header, description = "The version last read (its ETag)"),
    ),
    request_body = RescheduleInput,
    responses(
        (status = 201, description = "Moved; `Location` names the new appointment", body = RescheduledView),
        (status = 403, description = "Not permitted", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appointment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The new time is taken (`conflicts`) or the old one cannot move now", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since read (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad input, or a start not offered (`slot_unavailable`)", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No `If-Match`", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn reschedule(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(input): Json<RescheduleInput>,
) -> Result<Response, ApiError> {
    let version = require_if_match(&headers, BadIfMatch::Malformed)?;
    let done = move_booking(&state, &principal, &id, Some(version), input).await?;
    let new_id = done.new.value.id.clone();
    let version = done.new.version;
    Ok(answer(
        StatusCode::CREATED,
        version,
        RescheduledView {
            old: done.old.into(),
            new: done.new.into(),
            transition: done.transition.into(),
        },
        Some(&new_id),
    ))
}

/// Move booking `id` at `version` (`None`: the version the gate loads) to
/// `input`'s start: the consent gate (`appointments` write, audited), the
/// provider's offered hours, then the store books the new one and cancels
/// the old in one step. The REST route and the FHIR `$book` share it.
pub(crate) async fn move_booking(
    state: &AppState,
    principal: &Principal,
    id: &str,
    version: Option<i64>,
    input: RescheduleInput,
) -> Result<hcas_store::Rescheduled, ApiError> {
    let org = &principal.org;
    let now = now()?;
    let store = open(state, org).await?;
    let old = load_authorized(
        &store,
        principal,
        id,
        Action::Write,
        "appointment.reschedule",
        now,
    )
    .await?;
    let version = version.unwrap_or(old.version);
    let old_minutes = (old.value.end.unix() - old.value.start.unix()) / 60;
    let duration = minutes(
        "duration",
        input.duration.unwrap_or(old_minutes),
        MAX_DURATION_MINUTES,
    )?;
    let interval = Interval::new(input.start, input.start.plus_minutes(duration.get())?)?;
    let port: Arc<dyn AppointmentStore> = Arc::clone(&store) as Arc<dyn AppointmentStore>;
    // The new booking holds the old one's resources, its room included
    // (the room it was booked with, even if the provider has moved since).
    if let Some(provider) = resource_id(&old.value, "provider") {
        check_offered(state, org, provider, interval, now).await?;
    }
    let new_id = uuid::Uuid::new_v4().to_string();
    let new = Booking::new(new_id.clone(), old.value.resources.clone(), interval).build()?;
    let request = RescheduleRequest::new(party(principal), input.reason, now);
    let done = port.reschedule(id, version, new, &request).await?;
    state.slots.bookings_changed(org, &old.value.resources);
    if done.transition.outcomes.contains(&Outcome::SlotFreed) {
        waitlist::offer_freed(state, org, &store, &done.old.value).await;
    }
    state.bus.relay(org, Arc::clone(&store));
    tracing::info!(booking = %id, new = %new_id, "rescheduled");
    Ok(done)
}
