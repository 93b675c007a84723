//! Recurring series: book one (every occurrence checked by the store with
//! the core's rules, all or nothing or the free ones), read its occurrences,
//! move occurrences in wall-clock time (one, this and following, all) and
//! cancel them, on the store's [`hcas_store::SeriesStore`] port.
//!
//! A series is the patient's data like any booking: every call passes the
//! consent gate for the patient first. Every occurrence must lie in the
//! provider's working hours (as single bookings must); conflicts with other
//! bookings are the store's to decide.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hcas_core::booking::{Booking, Conflict, SeriesRef};
use hcas_core::consent::{Action, Category};
use hcas_core::series::{
    CancelResult, EditResult, EditScope, OccurrenceResult, SeriesCancel, SeriesEdit, SeriesPolicy,
    SeriesResult, SeriesSpec, WallShift,
};
use hcas_core::{Interval, Minutes, Recurrence, Timestamp, Zone};
use hcas_store::{AppointmentStore, Store, Stored};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    AppointmentView, MAX_DURATION_MINUTES, load_authorized, minutes, offered, open, party, relay,
    resource_id,
};
use crate::AppState;
use crate::access::{Access, authorize};
use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path};
use crate::services::http::{invalid, now};

/// A series to book.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesInput {
    /// The series id (`[A-Za-z0-9.-]`, 1 to 48); generated when absent.
    /// Occurrence ids are `<id>.<YYYYMMDDTHHMMSS>` of their local start.
    #[serde(default)]
    pub id: Option<String>,
    /// The provider's id.
    pub provider: String,
    /// The patient's id.
    pub patient: String,
    /// The RFC 5545 rule, e.g. `FREQ=WEEKLY;COUNT=6`.
    pub rrule: String,
    /// The first local start, `YYYY-MM-DDTHH:MM:SS`, in `timezone`.
    pub dtstart: String,
    /// IANA zone the occurrences keep their wall-clock time in.
    pub timezone: String,
    /// Length of each occurrence in minutes.
    pub duration: i64,
    /// End (exclusive) of a rule without COUNT or UNTIL.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub until: Option<Timestamp>,
    /// `all_or_nothing` (default) or `book_free`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub policy: SeriesPolicy,
}

/// 409 `conflict` naming every conflict (once) of the occurrences that stand
/// in the way of a series `what` (booking, shift).
fn series_conflict(what: &str, occurrences: &[OccurrenceResult]) -> ApiError {
    let blocked = occurrences.iter().filter(|o| !o.ok).count();
    let mut conflicts: Vec<Conflict> = Vec::new();
    for c in occurrences.iter().flat_map(|o| &o.conflicts) {
        if !conflicts.contains(c) {
            conflicts.push(c.clone());
        }
    }
    tracing::info!(blocked, "series {what} refused: conflicts");
    ApiError::from(hcas_store::StoreError::Conflict { conflicts })
}

fn json(status: StatusCode, body: impl Serialize) -> Response {
    (status, axum::Json(body)).into_response()
}

/// Book a recurring series. All or nothing (default): every occurrence or
/// none, 409 naming every conflict; `book_free`: the free ones, the answer
/// says which.
#[utoipa::path(
    post,
    path = "/v1/series",
    tag = "appointments",
    request_body = SeriesInput,
    responses(
        (status = 201, description = "Booked (all, or the free ones): every occurrence's answer", body = Object),
        (status = 403, description = "Not permitted for this patient", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Nothing booked: `conflicts` names what stands in the way", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad rule, zone or id, or an occurrence outside working hours (`slot_unavailable`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn book_series(
    State(state): State<AppState>,
    principal: Principal,
    Json(input): Json<SeriesInput>,
) -> Result<Response, ApiError> {
    let id = input
        .id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let duration = minutes("duration", input.duration, MAX_DURATION_MINUTES)?;
    let zone = Zone::parse(&input.timezone).map_err(|e| e.at("timezone"))?;
    let rule = input
        .rrule
        .parse()
        .map_err(|e: hcas_core::Error| e.at("rrule"))?;
    let dtstart =
        hcas_core::time::parse_local_datetime(&input.dtstart).map_err(|e| e.at("dtstart"))?;
    let resources = vec![
        format!("provider:{}", input.provider),
        format!("patient:{}", input.patient),
    ];
    let mut spec = SeriesSpec::new(
        id.clone(),
        Recurrence::new(rule, dtstart, zone),
        duration,
        resources,
    );
    if let Some(u) = input.until {
        spec = spec.until(u);
    }
    let result = create_series(
        &state,
        &principal,
        &spec,
        &input.provider,
        &input.patient,
        input.policy,
    )
    .await?;
    if !result.booked {
        return Err(series_conflict("booking", &result.occurrences));
    }
    Ok(json(StatusCode::CREATED, result))
}

/// Book series `spec` of `provider` with `patient` (its resources) for
/// `principal` by `policy`: the consent gate (`appointments` write, audited),
/// the provider active and every occurrence in their offered hours, then the
/// store's atomic check and insert. `POST /v1/series` and the FHIR `$book`
/// of a recurrence template share it. Conflicts are not errors: nothing is
/// booked (`booked` false) and each occurrence says what stands in its way.
pub(crate) async fn create_series(
    state: &AppState,
    principal: &Principal,
    spec: &SeriesSpec,
    provider_id: &str,
    patient: &str,
    policy: SeriesPolicy,
) -> Result<SeriesResult, ApiError> {
    let org = &principal.org;
    let now = now()?;
    let id = &spec.id;
    let occurrences = spec.occurrences()?;
    let store = open(state, org).await?;
    authorize(
        &store,
        principal,
        &Access::new(
            patient.to_string(),
            Category::Appointments,
            Action::Write,
            "series.book",
            format!("series:{id}"),
        ),
        now,
    )
    .await?;
    let provider = state.doctors.provider(org, provider_id).await?;
    if !provider.value.active {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "provider_inactive",
            format!("provider {provider_id} takes no appointments"),
        ));
    }
    // Every occurrence also holds the provider's room, as a single booking.
    let mut spec = spec.clone();
    if let Some(room) = &provider.value.room {
        let r = hcas_store::records::room_resource_of(room);
        if !spec.resources.contains(&r) {
            spec.resources.push(r);
        }
    }
    let spec = &spec;
    let port: Arc<dyn AppointmentStore> = Arc::clone(&store) as Arc<dyn AppointmentStore>;
    if let (Some(first), Some(last)) = (occurrences.first(), occurrences.last()) {
        let span = Interval::new(first.1, last.2)?;
        let entry = state
            .slots
            .entry(org, &port, provider_id, span, now)
            .await?;
        for (recurrence_id, start, end) in &occurrences {
            if !offered(&entry.base, Interval::new(*start, *end)?, now)? {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "slot_unavailable",
                    format!(
                        "the occurrence of {recurrence_id} is in the past, outside the provider's working hours or in their time off"
                    ),
                ));
            }
        }
    }
    let result: SeriesResult = store.book_series(spec, policy, now).await?;
    if result.booked {
        for _ in result.occurrences.iter().filter(|o| o.ok) {
            crate::metrics::count(crate::metrics::Metrics::booking);
        }
    } else {
        crate::metrics::count(crate::metrics::Metrics::conflict);
        tracing::info!(
            blocked = result.occurrences.iter().filter(|o| !o.ok).count(),
            "series booking refused: conflicts"
        );
    }
    state.slots.bookings_changed(org, &spec.resources);
    relay(state, org, &store);
    if result.booked {
        tracing::info!(series = %id, "series booked");
    }
    Ok(result)
}

/// A series' occurrences.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeriesView {
    /// The series id.
    pub id: String,
    /// Its occurrences, by start.
    pub occurrences: Vec<AppointmentView>,
}

pub(crate) async fn load_series(
    store: &Arc<dyn Store>,
    principal: &Principal,
    id: &str,
    action: Action,
    operation: &'static str,
    now: Timestamp,
) -> Result<Vec<Stored<Booking>>, ApiError> {
    let all = store.series_bookings(id).await?;
    let Some(first) = all.first() else {
        return Err(ApiError::not_found(format!("no series {id}")));
    };
    // The gate decides on the series' patient (every occurrence has the same).
    load_authorized(store, principal, &first.value.id, action, operation, now).await?;
    Ok(all)
}

/// A series' occurrences (any status), by start.
#[utoipa::path(
    get,
    path = "/v1/series/{id}",
    tag = "appointments",
    params(("id" = String, Path, description = "The series id")),
    responses(
        (status = 200, description = "The occurrences", body = SeriesView),
        (status = 403, description = "Not permitted for this patient", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such series", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn get_series(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<axum::Json<SeriesView>, ApiError> {
    let store = open(&state, &principal.org).await?;
    let all = load_series(&store, &principal, &id, Action::Read, "series.read", now()?).await?;
    Ok(axum::Json(SeriesView {
        id,
        occurrences: all.into_iter().map(AppointmentView::from).collect(),
    }))
}

/// Move occurrences of a series.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftInput {
    /// The occurrence the edit starts from: its original local start
    /// (`YYYY-MM-DDTHH:MM:SS`, the `RECURRENCE-ID`).
    pub recurrence_id: String,
    /// `this`, `this_and_following` or `all`.
    #[schema(value_type = String)]
    pub scope: EditScope,
    /// The series' IANA zone: the shift is in its wall-clock time.
    pub timezone: String,
    /// Calendar days to move (negative: earlier).
    #[serde(default)]
    pub days: i64,
    /// Wall-clock minutes to move (negative: earlier).
    #[serde(default)]
    pub minutes: i64,
    /// A new length for each occurrence, in minutes.
    #[serde(default)]
    pub duration: Option<i64>,
    /// Why (recorded in the history).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Move one occurrence, this and the following ones, or all, by a
/// wall-clock shift: all or nothing.
#[utoipa::path(
    post,
    path = "/v1/series/{id}/shift",
    tag = "appointments",
    params(("id" = String, Path, description = "The series id")),
    request_body = ShiftInput,
    responses(
        (status = 200, description = "Moved: every occurrence's new times, and those the lifecycle left alone", body = Object),
        (status = 403, description = "Not permitted for this patient", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such series", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Nothing moved: `conflicts` names what stands in the way", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad occurrence, zone, shift or length", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn shift_series(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Json(input): Json<ShiftInput>,
) -> Result<Response, ApiError> {
    let org = &principal.org;
    let now = now()?;
    let store = open(&state, org).await?;
    let all = load_series(&store, &principal, &id, Action::Write, "series.shift", now).await?;
    let zone = Zone::parse(&input.timezone).map_err(|e| e.at("timezone"))?;
    let mut shift = WallShift::days(input.days);
    shift.minutes = Minutes::new(input.minutes);
    let mut edit = SeriesEdit::new(
        SeriesRef::new(id.clone(), input.recurrence_id),
        input.scope,
        zone,
        party(&principal),
    )
    .shift(shift);
    if let Some(d) = input.duration {
        edit = edit.duration(minutes("duration", d, MAX_DURATION_MINUTES)?);
    }
    if let Some(r) = input.reason {
        edit = edit.reason(r);
    }
    let result: EditResult = store.shift_series(&edit, now).await?;
    changed(&state, org, &all, &store);
    if !result.applied {
        return Err(series_conflict("shift", &result.occurrences));
    }
    Ok(json(StatusCode::OK, result))
}

/// Cancel occurrences of a series.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesCancelInput {
    /// The occurrence the cancellation starts from (its `RECURRENCE-ID`).
    pub recurrence_id: String,
    /// `this`, `this_and_following` or `all`.
    #[schema(value_type = String)]
    pub scope: EditScope,
    /// Why (required).
    pub reason: String,
}

/// Cancel one occurrence, this and the following ones, or all; occurrences
/// the lifecycle does not let cancel (already fulfilled, ...) are listed as
/// skipped.
#[utoipa::path(
    post,
    path = "/v1/series/{id}/cancel",
    tag = "appointments",
    params(("id" = String, Path, description = "The series id")),
    request_body = SeriesCancelInput,
    responses(
        (status = 200, description = "Cancelled occurrences (with late-cancellation outcomes) and skipped ones", body = Object),
        (status = 403, description = "Not permitted for this patient", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such series", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad occurrence or a blank reason", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn cancel_series(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Json(input): Json<SeriesCancelInput>,
) -> Result<Response, ApiError> {
    let cancel = SeriesCancel::new(
        SeriesRef::new(id.clone(), input.recurrence_id),
        input.scope,
        party(&principal),
        input.reason,
    );
    let result = cancel_occurrences(&state, &principal, &id, cancel, None).await?;
    Ok(json(StatusCode::OK, result))
}

/// Cancel occurrences of series `id` by `cancel` for `principal`: the
/// consent gate (`appointments` write, audited), a reason, then the store
/// cancels every occurrence in scope the lifecycle lets cancel, in one
/// transaction. `expected` is a version of the whole series
/// ([`series_version`]) the caller read: if given and the series has changed
/// since, nothing is cancelled (412). `POST /v1/series/{id}/cancel` and the
/// FHIR `$book` of a cancelled recurrence template share it.
pub(crate) async fn cancel_occurrences(
    state: &AppState,
    principal: &Principal,
    id: &str,
    cancel: SeriesCancel,
    expected: Option<i64>,
) -> Result<CancelResult, ApiError> {
    let org = &principal.org;
    let now = now()?;
    let store = open(state, org).await?;
    let all = load_series(&store, principal, id, Action::Write, "series.cancel", now).await?;
    if cancel.reason.trim().is_empty() {
        return Err(invalid("`reason`: say why the occurrences are cancelled"));
    }
    // The store checks `expected` under its locks, in the cancelling
    // transaction: a change between this read and the write is 412 too.
    let result: CancelResult = store.cancel_series(&cancel, expected, now).await?;
    changed(state, org, &all, &store);
    Ok(result)
}

/// The version of a whole series (`hcas_store::series_version`).
pub(crate) use hcas_store::series_version;

/// After a series write: drop the read model's entries of its providers and
/// wake the relay.
fn changed(
    state: &AppState,
    org: &crate::tenants::OrgId,
    all: &[Stored<Booking>],
    store: &Arc<dyn Store>,
) {
    let mut resources: Vec<String> = Vec::new();
    for b in all {
        if let Some(p) = resource_id(&b.value, "provider") {
            let r = format!("provider:{p}");
            if !resources.contains(&r) {
                resources.push(r);
            }
        }
    }
    state.slots.bookings_changed(org, &resources);
    relay(state, org, store);
}
