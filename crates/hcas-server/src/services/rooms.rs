//! Rooms: the rooms the organization's providers see patients in (a
//! provider's profile `room`), and a room's appointments in a window, for
//! the staff's day and week schedule per room.
//!
//! A room is no record of its own: it is the id in a provider's `room`, and
//! the booking resource `room:<id>` every new booking of that provider
//! holds (see [`super::appointments`]). Only staff (admin, doctor, nurse)
//! read these routes. A room's appointments are patients' data: as the
//! provider schedule (the FHIR `Appointment` search the pages use), the
//! consent gate (`appointments` read, audited) is asked once per patient in
//! the window, and a patient it denies is left out of the answer.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use hcas_core::consent::{Action, Category};
use hcas_core::{Interval, Timestamp};
use hcas_store::Store;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::appointments::{AppointmentView, open, query_window, resource_id};
use super::http::{now, query_rejection};
use crate::AppState;
use crate::access::{Access, authorize};
use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::Path;

/// The most appointments one answer lists (narrow the window for more).
pub const MAX_ROOM_APPOINTMENTS: usize = 1000;

/// The rooms' routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rooms))
        .routes(routes!(room_appointments))
}

fn staff_only(principal: &Principal) -> Result<(), ApiError> {
    if principal.is_staff() {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "only staff (admin, doctor, nurse) see rooms and their schedules",
        ))
    }
}

/// A room and the providers whose profile names it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoomView {
    /// The room's id (its booking resource is `room:<id>`).
    pub id: String,
    /// The providers (active or not) whose new bookings hold it, by id.
    pub providers: Vec<String>,
}

/// The rooms the organization's providers use, by id (staff).
#[utoipa::path(
    get,
    path = "/v1/rooms",
    tag = "rooms",
    responses(
        (status = 200, description = "The rooms named in providers' profiles, by id, each with its providers", body = Vec<RoomView>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_rooms(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<axum::Json<Vec<RoomView>>, ApiError> {
    staff_only(&principal)?;
    let all = state.doctors.providers(&principal.org).await?;
    let mut rooms: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in all {
        if let Some(room) = p.value.room {
            rooms.entry(room).or_default().push(p.value.id);
        }
    }
    Ok(axum::Json(
        rooms
            .into_iter()
            .map(|(id, mut providers)| {
                providers.sort();
                RoomView { id, providers }
            })
            .collect(),
    ))
}

/// The window of a room's schedule.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RoomWindow {
    /// Start of the window (inclusive), RFC 3339 UTC, e.g. `2026-05-04T00:00:00Z`.
    pub from: String,
    /// End of the window (exclusive); at most 62 days after `from`.
    pub to: String,
}

/// A room's appointments in a window.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoomAppointments {
    /// The room.
    pub room: String,
    /// Its appointments (any status) that overlap the window and that the
    /// consent gate lets the caller see, by start, then id.
    pub appointments: Vec<AppointmentView>,
}

/// A room's appointments overlapping `from`..`to` (staff): every booking
/// that holds `room:<id>`, of any provider. Each patient's bookings pass
/// the consent gate (`appointments` read, audited as `room.appointments`);
/// a patient it denies is left out.
#[utoipa::path(
    get,
    path = "/v1/rooms/{id}/appointments",
    tag = "rooms",
    params(("id" = String, Path, description = "The room's id"), RoomWindow),
    responses(
        (status = 200, description = "The room's appointments in the window", body = RoomAppointments),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad id or window (`window_too_large` past 62 days, `too_many_results` past 1000 appointments)", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn room_appointments(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    params: Result<Query<RoomWindow>, QueryRejection>,
) -> Result<axum::Json<RoomAppointments>, ApiError> {
    staff_only(&principal)?;
    hcas_core::id::check_id("id", &id)?;
    let Query(w) = params.map_err(|e| query_rejection(&e))?;
    let (from, to) = query_window(&w.from, &w.to, "ask for")?;
    let store = open(&state, &principal.org).await?;
    let found = store
        .bookings_on(
            &hcas_store::records::room_resource_of(&id),
            Interval::new(from, to)?,
            MAX_ROOM_APPOINTMENTS + 1,
        )
        .await?;
    if found.len() > MAX_ROOM_APPOINTMENTS {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_results",
            format!(
                "room {id} has more than {MAX_ROOM_APPOINTMENTS} appointments in the window; narrow `from`..`to`"
            ),
        ));
    }
    // The gate: once per patient (a denial is audited and leaves the
    // patient's bookings out); bookings without a patient are staff's.
    let now = now()?;
    let patients: BTreeSet<String> = found
        .iter()
        .filter_map(|b| resource_id(&b.value, "patient").map(str::to_string))
        .collect();
    let mut permitted: BTreeSet<String> = BTreeSet::new();
    for p in patients {
        if gate(&store, &principal, &p, &id, now).await? {
            permitted.insert(p);
        }
    }
    let appointments = found
        .into_iter()
        .filter(|b| resource_id(&b.value, "patient").is_none_or(|p| permitted.contains(p)))
        .map(AppointmentView::from)
        .collect();
    Ok(axum::Json(RoomAppointments {
        room: id,
        appointments,
    }))
}

/// Whether the consent gate lets `principal` read `patient`'s bookings
/// (`appointments` read, audited); a denial or an unknown patient is
/// `false`, anything else (the audit log unavailable) an error.
async fn gate(
    store: &Arc<dyn Store>,
    principal: &Principal,
    patient: &str,
    room: &str,
    now: Timestamp,
) -> Result<bool, ApiError> {
    let access = Access::new(
        patient.to_string(),
        Category::Appointments,
        Action::Read,
        "room.appointments",
        format!("room:{room}"),
    );
    match authorize(store, principal, &access, now).await {
        Ok(_) => Ok(true),
        Err(e) if e.status() == StatusCode::FORBIDDEN || e.status() == StatusCode::NOT_FOUND => {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}
