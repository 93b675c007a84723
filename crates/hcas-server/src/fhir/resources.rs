//! Each resource type, loaded through the services' ports and mapped by
//! `hcas_core::fhir`; the gates before patient data; free slots from the
//! slot search's read model.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::http::StatusCode;
use hcas_core::booking::Booking;
use hcas_core::consent::{Action, Category, Consent};
use hcas_core::fhir::{
    FhirPatient, FhirPractitioner, FhirSchedule, FhirSlot, SlotStatus, appointment_to_fhir,
    consent_to_fhir_r4, occurrence_to_fhir, patient_to_fhir, practitioner_role_to_fhir,
    practitioner_to_fhir, schedule_to_fhir,
};
use hcas_core::{Interval, Minutes, SlotQuery, Timestamp};
use hcas_store::{AppointmentStore, Patient, Provider, Store, Stored};
use serde_json::Value;

use crate::AppState;
use crate::access::{self, Access};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::services::appointments::MAX_WINDOW_DAYS;
use crate::tenants::OrgId;

/// The length of a published Slot, in minutes (the FHIR API publishes one
/// grid; `/v1/slots` takes any `duration`).
pub(crate) const SLOT_MINUTES: i64 = 30;

/// A mapping the core refuses (a stored value FHIR cannot carry): logged,
/// answered as 500 without the value.
pub(crate) fn mapping(e: &hcas_core::Error) -> ApiError {
    tracing::error!(code = e.code().as_str(), "a stored record has no FHIR form");
    ApiError::internal()
}

/// `resource` with `meta.versionId` and `meta.lastUpdated` when known.
pub(crate) fn with_meta(
    mut resource: Value,
    version: Option<i64>,
    last_updated: Option<Timestamp>,
) -> Value {
    let mut meta = serde_json::Map::new();
    if let Some(v) = version {
        meta.insert("versionId".into(), v.to_string().into());
    }
    if let Some(t) = last_updated {
        meta.insert("lastUpdated".into(), t.to_string().into());
    }
    if !meta.is_empty() {
        resource["meta"] = Value::Object(meta);
    }
    resource
}

fn practitioner_of(p: &Provider) -> FhirPractitioner {
    FhirPractitioner::new(p.id.clone(), p.name.clone())
        .with_active(p.active)
        .with_specialties(p.specialties.clone())
        .with_languages(p.languages.clone())
        .with_location(super::bulk::location_of(p).map(hcas_core::fhir::location_id))
}

/// The `Practitioner` of a provider.
pub(crate) fn practitioner(p: &Stored<Provider>) -> Result<Value, ApiError> {
    let v = practitioner_to_fhir(&practitioner_of(&p.value)).map_err(|e| mapping(&e))?;
    Ok(with_meta(v, Some(p.version), None))
}

/// The `PractitionerRole` of a provider.
pub(crate) fn practitioner_role(p: &Stored<Provider>) -> Result<Value, ApiError> {
    let v = practitioner_role_to_fhir(&practitioner_of(&p.value)).map_err(|e| mapping(&e))?;
    Ok(with_meta(v, Some(p.version), None))
}

/// The planning horizon every Schedule publishes: from the start of
/// today (UTC) for the slot search's longest window.
pub(crate) fn horizon(now: Timestamp) -> Result<Interval, ApiError> {
    let today = Timestamp::from_unix(now.unix() - now.unix().rem_euclid(86_400))?;
    let end = today.plus_seconds(MAX_WINDOW_DAYS * 86_400)?;
    Ok(Interval::new(today, end)?)
}

/// The `Schedule` of a provider (id = the provider's id).
pub(crate) fn schedule(p: &Provider, now: Timestamp) -> Result<Value, ApiError> {
    let s = FhirSchedule::new(p.id.clone(), [format!("provider:{}", p.id)])
        .with_active(p.active)
        .with_specialties(p.specialties.clone())
        .with_planning_horizon(horizon(now)?);
    schedule_to_fhir(&s).map_err(|e| mapping(&e))
}

/// The `Patient` of a stored profile.
pub(crate) fn patient(p: &Stored<Patient>) -> Result<Value, ApiError> {
    let v = &p.value;
    let fp = FhirPatient::new(v.id.clone(), v.name.clone())
        .with_birth_date(v.birth_date)
        .with_contact(v.email.clone(), v.phone.clone(), v.language.clone());
    let out = patient_to_fhir(&fp).map_err(|e| mapping(&e))?;
    Ok(with_meta(out, Some(p.version), None))
}

/// The `Appointment` of a stored booking.
pub(crate) fn appointment(
    b: &Stored<Booking>,
    last_updated: Option<Timestamp>,
) -> Result<Value, ApiError> {
    let v = appointment_to_fhir(&b.value).map_err(|e| mapping(&e))?;
    Ok(with_meta(v, Some(b.version), last_updated))
}

/// The `Appointment` of a stored occurrence of a series with its R5
/// `recurrenceId` number (`hcas_core::fhir::recurrence_numbers`).
pub(crate) fn occurrence(
    b: &Stored<Booking>,
    number: u32,
    last_updated: Option<Timestamp>,
) -> Result<Value, ApiError> {
    let v = occurrence_to_fhir(&b.value, number).map_err(|e| mapping(&e))?;
    Ok(with_meta(v, Some(b.version), last_updated))
}

/// The R4 `Consent` of a stored consent.
pub(crate) fn consent(c: &Stored<Consent>) -> Result<Value, ApiError> {
    let v = consent_to_fhir_r4(&c.value).map_err(|e| mapping(&e))?;
    Ok(with_meta(v, Some(c.version), None))
}

/// The `Slot` of `provider`'s grid start `start`: `free` or `busy` (a
/// booking or hold blocks it), its `serviceType` the provider's
/// specialties.
pub(crate) fn slot(
    provider: &Provider,
    start: Timestamp,
    free: bool,
) -> Result<Option<Value>, ApiError> {
    let end = start.plus_minutes(SLOT_MINUTES)?;
    let status = if free {
        SlotStatus::Free
    } else {
        SlotStatus::Busy
    };
    let s = FhirSlot::new(provider.id.clone(), start, end, status)
        .with_service_types(provider.specialties.clone());
    // A provider id longer than 53 characters gives no FHIR slot id.
    Ok(hcas_core::id::is_id(&s.id).then(|| s.to_fhir()))
}

/// The instant the booking last changed (its history's last entry).
pub(crate) async fn last_updated(
    store: &Arc<dyn Store>,
    id: &str,
) -> Result<Option<Timestamp>, ApiError> {
    Ok(store.history(id).await?.last().map(|c| c.at))
}

/// A gate's answer inside a search: a denial (403) or "no such patient"
/// (404) is `Ok(None)` when the search spans several patients (leave the
/// patient out; the denial is audited) and stays an error when it names
/// `single` patient.
pub(crate) fn in_search<T>(res: Result<T, ApiError>, single: bool) -> Result<Option<T>, ApiError> {
    match res {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.status() == StatusCode::NOT_FOUND => Ok(None),
        Err(e) if e.status() == StatusCode::FORBIDDEN && !single => Ok(None),
        Err(e) => Err(e),
    }
}

/// The `records` read gate of `GET /v1/patients/{id}`, audited as
/// `patient.read`: the profile (`None`: no such patient), 403 when denied.
pub(crate) async fn read_patient(
    store: &Arc<dyn Store>,
    principal: &Principal,
    id: &str,
) -> Result<Option<Stored<Patient>>, ApiError> {
    let found = crate::services::patients::find(store, id).await?;
    let mut gate = Access::new(
        id.to_string(),
        Category::Records,
        Action::Read,
        "patient.read",
        format!("patient:{id}"),
    );
    if found
        .as_ref()
        .is_some_and(|p| access::acts_as_guardian(principal, &p.value, access::now()))
    {
        gate = gate.as_guardian();
    }
    access::authorize(store, principal, &gate, access::now()).await?;
    Ok(found)
}

/// The `appointments` read gate for patient `patient`'s bookings (as
/// `GET /v1/appointments/{id}`), audited as `operation` on `target`; 403
/// when denied.
pub(crate) async fn appointments_gate(
    store: &Arc<dyn Store>,
    principal: &Principal,
    patient: &str,
    operation: &'static str,
    target: String,
) -> Result<(), ApiError> {
    let gate = Access::new(
        patient.to_string(),
        Category::Appointments,
        Action::Read,
        operation,
        target,
    );
    access::authorize(store, principal, &gate, access::now()).await?;
    Ok(())
}

/// Whether the caller may see a booking without a patient (staff only, as
/// the REST API).
pub(crate) fn staff(principal: &Principal) -> bool {
    principal.is_staff()
}

/// The consents service's read gate for `patient`'s consents (audited as
/// `consent.list`): 403 when denied, 404 for no such patient.
pub(crate) async fn consents_gate(
    store: &Arc<dyn Store>,
    principal: &Principal,
    patient: &str,
) -> Result<(), ApiError> {
    crate::services::consents::gate(
        store,
        principal,
        patient,
        Action::Read,
        "consent.list",
        format!("patient:{patient}"),
    )
    .await?;
    Ok(())
}

/// A start of the published grid: the provider, the start, and whether it
/// is free (else a booking or hold blocks it).
pub(crate) type GridSlot = (String, Timestamp, bool);

/// The `SLOT_MINUTES` grid starts of each of `providers` in `[from, to)`
/// within their working hours, as `/v1/slots` finds them (the read model,
/// the same grid, not before `now`), each with whether it is free: by
/// start then provider. Inactive and unknown providers have none.
pub(crate) async fn slot_grid(
    state: &AppState,
    org: &OrgId,
    providers: &[String],
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<GridSlot>, ApiError> {
    let now = access::now();
    let store = crate::services::appointments::open(state, org).await?;
    let port: Arc<dyn AppointmentStore> = store;
    let dir = state.slots.directory(org).await?;
    let mut out = Vec::new();
    for id in providers {
        if !dir.iter().any(|p| p.id == *id && p.active) {
            continue;
        }
        out.extend(
            grid(state, org, &port, id, from, to, now)
                .await?
                .into_iter()
                .map(|(s, free)| (id.clone(), s, free)),
        );
    }
    out.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    Ok(out)
}

/// The free starts of [`slot_grid`]: (provider, start).
pub(crate) async fn free_slots(
    state: &AppState,
    org: &OrgId,
    providers: &[String],
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<(String, Timestamp)>, ApiError> {
    Ok(slot_grid(state, org, providers, from, to)
        .await?
        .into_iter()
        .filter_map(|(p, s, free)| free.then_some((p, s)))
        .collect())
}

/// The grid starts of provider `id` in `[from, to)` within its working
/// hours (not before `now`), each with whether it is free.
pub(crate) async fn grid(
    state: &AppState,
    org: &OrgId,
    port: &Arc<dyn AppointmentStore>,
    id: &str,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> Result<Vec<(Timestamp, bool)>, ApiError> {
    let query = SlotQuery::new(from, to, Minutes::new(SLOT_MINUTES)).now(now);
    let span = Interval::new(from, to.plus_minutes(SLOT_MINUTES)?)?;
    let entry = state.slots.entry(org, port, id, span, now).await?;
    let free: BTreeSet<Timestamp> = entry.full.slots(&query)?.into_iter().collect();
    Ok(entry
        .base
        .slots(&query)?
        .into_iter()
        .map(|s| (s, free.contains(&s)))
        .collect())
}
