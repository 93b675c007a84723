//! iCalendar (RFC 5545) downloads: one appointment as a `.ics` file, through
//! the same consent gate (audited) as reading it as JSON, and a recurring
//! series as one event with `RRULE`. The text is written
//! by the pure engine ([`hcas_core::ical`]) in the provider's zone.
//! `booking_event` and `series_calendar_events` are what every calendar
//! shows of a booking or a series (the calendar feeds use them too): times,
//! status, the provider's name and location, never the patient.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hcas_core::Zone;
use hcas_core::booking::Booking;
use hcas_core::consent::Action;
use hcas_core::ical::{Calendar, Event, EventStatus, Occurrence, series_events};
use hcas_core::time::parse_local_datetime;
use hcas_store::{Provider, Stored};

use super::series::load_series;
use super::{load_authorized, open, resource_id};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::Path;
use crate::services::http::now;
use crate::tenants::OrgId;

/// The media type of an iCalendar answer.
pub const TEXT_CALENDAR: &str = "text/calendar; charset=utf-8";

/// The zone a provider's appointments are written in: their own, else UTC.
pub(crate) fn provider_zone(provider: Option<&Provider>) -> Zone {
    provider
        .and_then(|p| p.timezone.as_deref())
        .and_then(|z| Zone::parse(z).ok())
        .unwrap_or(Zone::UTC)
}

/// The booking's provider, if it names one the doctors service knows.
pub(crate) async fn provider_of(
    state: &AppState,
    org: &OrgId,
    booking: &Booking,
) -> Result<Option<Provider>, ApiError> {
    let Some(id) = resource_id(booking, "provider") else {
        return Ok(None);
    };
    match state.doctors.provider(org, id).await {
        Ok(p) => Ok(Some(p.value)),
        Err(e) if e.status() == StatusCode::NOT_FOUND => Ok(None),
        Err(e) => Err(e),
    }
}

/// What an event of `provider`'s appointment is called.
fn summary_of(provider: Option<&Provider>) -> String {
    provider.map_or_else(
        || "Appointment".to_owned(),
        |p| format!("Appointment with {}", p.name),
    )
}

/// The `VEVENT` of one booking of `provider`, in the provider's zone.
pub(crate) fn booking_event(
    stored: &Stored<Booking>,
    provider: Option<&Provider>,
    dtstamp: hcas_core::Timestamp,
) -> Result<Event, ApiError> {
    let location = provider.and_then(|p| p.location.as_deref());
    Ok(event_of(stored, summary_of(provider), location, dtstamp)?.in_zone(provider_zone(provider)))
}

/// The events of series `id` (its occurrences `all`, of `provider`): one
/// recurring event in the provider's zone with `EXDATE`s and overrides
/// ([`series_events`]); with the last occurrence's end.
pub(crate) fn series_calendar_events(
    id: &str,
    all: &[Stored<Booking>],
    provider: Option<&Provider>,
    dtstamp: hcas_core::Timestamp,
) -> Result<(Vec<Event>, Option<hcas_core::Timestamp>), ApiError> {
    let zone = provider_zone(provider);
    Ok(series_events(
        id,
        zone,
        &occurrences(all)?,
        &summary_of(provider),
        dtstamp,
    )?)
}

/// The `VEVENT` of one stored booking; `summary` is what the reader may see.
fn event_of(
    stored: &Stored<Booking>,
    summary: String,
    location: Option<&str>,
    dtstamp: hcas_core::Timestamp,
) -> Result<Event, ApiError> {
    let b = &stored.value;
    let mut e = Event::new(b.id.clone(), b.interval()?, summary, dtstamp)
        .status(EventStatus::of(b.status))
        .sequence(stored.version);
    if let Some(l) = location {
        e = e.location(l);
    }
    Ok(e)
}

/// A `text/calendar` answer, offered as a file named `name`.
pub(crate) fn calendar_response(text: String, name: &str) -> Response {
    let mut res = (StatusCode::OK, text).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(TEXT_CALENDAR),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// One appointment as an iCalendar file (RFC 5545), in the provider's zone.
#[utoipa::path(
    get,
    path = "/v1/appointments/{id}/ics",
    tag = "appointments",
    params(("id" = String, Path, description = "The appointment's id")),
    responses(
        (status = 200, description = "A VCALENDAR with one VEVENT (UID `<id>@hcas`, SEQUENCE the version)", body = String, content_type = "text/calendar"),
        (status = 403, description = "Not permitted for this patient", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such appointment", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn download(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let store = open(&state, &principal.org).await?;
    let now = now()?;
    let stored = load_authorized(
        &store,
        &principal,
        &id,
        Action::Read,
        "appointment.ics",
        now,
    )
    .await?;
    let provider = provider_of(&state, &principal.org, &stored.value).await?;
    let event = booking_event(&stored, provider.as_ref(), now)?;
    let text = Calendar::new(provider_zone(provider.as_ref()))
        .event(event)
        .to_ics();
    Ok(calendar_response(text, "appointment.ics"))
}

/// The series' occurrences as the engine's [`Occurrence`]s.
fn occurrences(all: &[Stored<Booking>]) -> Result<Vec<Occurrence>, ApiError> {
    let mut out = Vec::with_capacity(all.len());
    for s in all {
        let Some(series) = &s.value.series else {
            continue;
        };
        out.push(Occurrence {
            recurrence_id: parse_local_datetime(&series.recurrence_id)?,
            slot: s.value.interval()?,
            status: EventStatus::of(s.value.status),
            sequence: s.version,
        });
    }
    Ok(out)
}

/// A recurring series as an iCalendar file: one event with `RRULE` (wall
/// time kept across DST in the provider's zone), `EXDATE` for cancelled or
/// missing occurrences and an override per moved one.
#[utoipa::path(
    get,
    path = "/v1/series/{id}/ics",
    tag = "appointments",
    params(("id" = String, Path, description = "The series id")),
    responses(
        (status = 200, description = "A VCALENDAR with the series as one recurring VEVENT (UID `<id>@hcas`)", body = String, content_type = "text/calendar"),
        (status = 403, description = "Not permitted for this patient", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such series", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn series_download(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let store = open(&state, &principal.org).await?;
    let now = now()?;
    let all = load_series(&store, &principal, &id, Action::Read, "series.ics", now).await?;
    let provider = match all.first() {
        Some(first) => provider_of(&state, &principal.org, &first.value).await?,
        None => None,
    };
    let zone = provider_zone(provider.as_ref());
    let (events, last) = series_calendar_events(&id, &all, provider.as_ref(), now)?;
    let mut cal = Calendar::new(zone);
    if let Some(last) = last {
        cal = cal.cover_until(last);
    }
    for e in events {
        cal = cal.event(e);
    }
    Ok(calendar_response(cal.to_ics(), "series.ics"))
}
