//! The FHIR R4 mapping of `hcas_core::fhir` for `Slot`, `Appointment` and
//! `OperationOutcome` (Consent is in `consent`). Resources cross as JSON
//! text (apps bring their own JSON library); every refusal is the core's
//! error, its message starting with the JSON path to fix.

use hcas_core::Minutes;
use hcas_core::Timestamp;
use hcas_core::fhir;

use crate::{Booking, HcasError, parse_json};

/// An R4 `Slot` status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum SlotStatus {
    /// `free`: available for booking.
    Free,
    /// `busy`: booked.
    Busy,
    /// `busy-tentative`: held tentatively.
    BusyTentative,
    /// `busy-unavailable`: not bookable (e.g. blocked out).
    BusyUnavailable,
    /// `entered-in-error`: recorded by mistake.
    EnteredInError,
}

impl From<SlotStatus> for fhir::SlotStatus {
    fn from(s: SlotStatus) -> Self {
        match s {
            SlotStatus::Free => Self::Free,
            SlotStatus::Busy => Self::Busy,
            SlotStatus::BusyTentative => Self::BusyTentative,
            SlotStatus::BusyUnavailable => Self::BusyUnavailable,
            SlotStatus::EnteredInError => Self::EnteredInError,
        }
    }
}

impl From<fhir::SlotStatus> for SlotStatus {
    fn from(s: fhir::SlotStatus) -> Self {
        match s {
            fhir::SlotStatus::Free => Self::Free,
            fhir::SlotStatus::Busy => Self::Busy,
            fhir::SlotStatus::BusyTentative => Self::BusyTentative,
            fhir::SlotStatus::BusyUnavailable => Self::BusyUnavailable,
            fhir::SlotStatus::EnteredInError => Self::EnteredInError,
        }
    }
}

/// An R4 `Slot` as hcas models it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FhirSlot {
    /// The slot id.
    pub id: String,
    /// The id of the Schedule it belongs to (`Schedule/<schedule>`).
    pub schedule: String,
    /// Start (inclusive).
    pub start: Timestamp,
    /// End (exclusive), after `start`.
    pub end: Timestamp,
    /// Status.
    pub status: SlotStatus,
    /// The services bookable in it (hcas specialty codes).
    #[uniffi(default)]
    pub service_types: Vec<String>,
}

impl From<fhir::FhirSlot> for FhirSlot {
    fn from(s: fhir::FhirSlot) -> Self {
        Self {
            id: s.id,
            schedule: s.schedule,
            start: s.start,
            end: s.end,
            status: s.status.into(),
            service_types: s.service_types,
        }
    }
}

impl From<FhirSlot> for fhir::FhirSlot {
    fn from(s: FhirSlot) -> Self {
        Self::new(s.schedule, s.start, s.end, s.status.into())
            .with_id(s.id)
            .with_service_types(s.service_types)
    }
}

/// The R4 `Slot` JSON text of `slot`, keeping its id
/// (`hcas_core::fhir::FhirSlot::to_fhir`; nothing is checked).
#[uniffi::export]
pub fn fhir_slot_to_fhir(slot: FhirSlot) -> String {
    fhir::FhirSlot::from(slot).to_fhir().to_string()
}

/// The R4 `Slot` JSON text `[start, end)` of schedule `scheduleId` with the
/// deterministic id `<scheduleId>-<unix seconds of start>`
/// (`hcas_core::fhir::slot_to_fhir`; nothing is checked).
#[uniffi::export]
pub fn slot_to_fhir(
    schedule_id: String,
    start: Timestamp,
    end: Timestamp,
    status: SlotStatus,
) -> String {
    fhir::slot_to_fhir(&schedule_id, start, end, status.into()).to_string()
}

/// `free` R4 Slots (JSON text each) of `durationMinutes` at each of
/// `starts` (e.g. `Availability.slots`' answer), ids as [`slot_to_fhir`]'s.
///
/// # Errors
/// `invalid_datetime` when a slot would end after the year 9999.
#[uniffi::export]
pub fn slots_to_fhir(
    schedule_id: String,
    starts: Vec<Timestamp>,
    duration_minutes: u32,
) -> Result<Vec<String>, HcasError> {
    let out = fhir::slots_to_fhir(
        &schedule_id,
        &starts,
        Minutes::new(i64::from(duration_minutes)),
    )?;
    Ok(out.iter().map(ToString::to_string).collect())
}

/// The slot an R4 `Slot` (JSON text) describes.
///
/// # Errors
/// `invalid_request` for text that is not JSON, or naming the JSON path of a
/// missing or malformed `id`, `schedule.reference` (`Schedule/ID`),
/// `status` or an element hcas refuses; `invalid_datetime` /
/// `invalid_interval` for `start` and `end`.
#[uniffi::export]
pub fn slot_from_fhir(resource_json: String) -> Result<FhirSlot, HcasError> {
    let value = parse_json(&resource_json, "resource_json")?;
    Ok(fhir::slot_from_fhir(&value)?.into())
}

/// What a deterministic slot id (`<scheduleId>-<unix seconds of start>`)
/// stands for.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SlotId {
    /// The schedule id.
    pub schedule: String,
    /// The slot's start.
    pub start: Timestamp,
}

/// The schedule and start a deterministic slot id stands for, or none when
/// `id` is not of that form (`hcas_core::fhir::parse_slot_id`).
#[uniffi::export]
pub fn parse_slot_id(id: String) -> Option<SlotId> {
    fhir::parse_slot_id(&id).map(|(schedule, start)| SlotId {
        schedule: schedule.to_string(),
        start,
    })
}

/// An `OperationOutcome` (JSON text) with one error issue: the FHIR
/// `issueType` (`invalid`, `not-found`, `conflict`, ...), the hcas stable
/// `code` in `details.coding` and `text` in `details.text` and
/// `diagnostics` (`hcas_core::fhir::operation_outcome`).
#[uniffi::export]
pub fn operation_outcome(issue_type: String, code: String, text: String) -> String {
    fhir::operation_outcome(&issue_type, &code, &text).to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::Value;

    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn slots_round_trip_with_deterministic_ids() {
        // 2026-05-04T09:00:00Z is 1777885200 Unix seconds (20577 days * 86400 + 9 * 3600).
        let text = slot_to_fhir(
            "S1".into(),
            t("2026-05-04T09:00:00Z"),
            t("2026-05-04T09:30:00Z"),
            SlotStatus::Free,
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["id"], "S1-1777885200");
        assert_eq!(v["schedule"]["reference"], "Schedule/S1");
        let slot = slot_from_fhir(text.clone()).unwrap();
        assert_eq!(slot.status, SlotStatus::Free);
        assert_eq!(fhir_slot_to_fhir(slot), text);
        let id = parse_slot_id("S1-1777885200".into()).unwrap();
        assert_eq!(
            (id.schedule.as_str(), id.start),
            ("S1", t("2026-05-04T09:00:00Z"))
        );
        assert_eq!(parse_slot_id("S1".into()), None);
        let e = slot_from_fhir("{".into()).unwrap_err();
        assert_eq!(e.code(), "invalid_request");
    }
}

/// The R4 `Appointment` JSON text of `booking`
/// (`hcas_core::fhir::appointment_to_fhir`): `status` (`booked`, `pending`
/// for a hold, `cancelled`, ...), `start`/`end`, `minutesDuration`, one
/// accepted participant per resource (`provider:P1` is
/// `Practitioner/P1`, `patient:` `Patient/`, `room:` `Location/`, `device:`
/// `Device/`), and hcas extensions for a hold's expiry, a reschedule's links
/// and a series occurrence.
///
/// # Errors
/// The booking's validation errors; `invalid_request`, naming the field,
/// for what FHIR cannot carry (an id that is not a FHIR id, another
/// resource kind, an empty cancel reason, a hold expiry on a booking that
/// is not held); `invalid_datetime` outside the years 0001-9999.
#[uniffi::export]
pub fn appointment_to_fhir(booking: Booking) -> Result<String, HcasError> {
    Ok(fhir::appointment_to_fhir(&booking.core()?)?.to_string())
}

/// The `Booking` an R4 `Appointment` JSON text stands for
/// (`hcas_core::fhir::appointment_from_fhir`, the inverse of
/// [`appointment_to_fhir`]).
///
/// # Errors
/// `invalid_request` for text that is not JSON, or naming the JSON path of a
/// missing or malformed element; `invalid_datetime` / `invalid_interval`
/// for `start` and `end`.
#[uniffi::export]
pub fn appointment_from_fhir(resource_json: String) -> Result<Booking, HcasError> {
    let value = parse_json(&resource_json, "resource_json")?;
    Booking::from_core(fhir::appointment_from_fhir(&value)?)
}
