//! FHIR R4 mapping, JSON in and out: `Appointment` ⇄ [`Booking`], `Slot`
//! ⇄ [`FhirSlot`], and `Schedule` ⇄ [`FhirSchedule`] (with hcas working hours
//! carried in an extension).
//!
//! JSON is handled as [`serde_json::Value`]; no FHIR library is used. For every
//! element hcas models, hcas → FHIR → hcas is the identity and FHIR → hcas →
//! FHIR keeps the element's value. The output is always R4 JSON with instants
//! written `YYYY-MM-DDTHH:MM:SSZ`.
//!
//! # Errors name the JSON path
//!
//! An import that hcas cannot represent without changing its meaning is refused,
//! never dropped silently. The message starts with the JSON path of the
//! offending element, relative to the resource, e.g.
//! `participant[2].actor.reference: ...`. The code is `invalid_request` for
//! structure (missing, unknown or mistyped elements, unknown codes, references
//! hcas cannot map); a value that is present but malformed keeps the engine's
//! usual code: `invalid_datetime` (an instant, date or time), `invalid_interval`
//! (`end` not after `start`), `invalid_rrule`, `invalid_timezone`. Exports fail
//! the same way, naming the hcas field (e.g. `resources[1]` for `kind:X`, which
//! no FHIR resource type matches).
//!
//! Refused on import, everywhere: `modifierExtension` and `implicitRules` (FHIR
//! requires a reader that does not understand them to reject the resource),
//! elements that R4 does not define for the resource (an R5 `subject`, a typo),
//! JSON `null`, empty strings, and references that are not relative
//! `Type/id` (absolute URLs, `urn:uuid:`, `#contained`, `_history` versions).
//! Extensions hcas does not know are ignored (a plain extension cannot change
//! meaning), as are `_element` primitive extensions.
//!
//! # Contents
//!
//! | module | FHIR R4 resource | hcas |
//! |---|---|---|
//! | [`appointment`] | `Appointment` | [`Booking`] |
//! | [`slot`] | `Slot` | [`FhirSlot`] (slots of [`Availability`]) |
//! | [`recurrence`] | `Appointment` with R5's `recurrenceTemplate` (a series) | [`FhirSeries`] ([`SeriesSpec`](crate::series::SeriesSpec)) |
//! | [`schedule`] | `Schedule` | [`FhirSchedule`] (working hours in an extension) |
//! | [`consent`] | `Consent` (R4 and R5) | [`Consent`](crate::consent::Consent) |
//! | [`directory`] | `Patient`, `Practitioner`, `PractitionerRole` (export) | [`FhirPatient`], [`FhirPractitioner`] |
//! | [`publish`] | `Location`, and SMART Scheduling Links' `$bulk-publish` manifest, `Schedule` and `Slot` | [`FhirLocation`], [`PublishedSlot`] |
//! | [`audit`] | `AuditEvent` (export) | [`AuditFacts`] (an audit record) |
//! | [`bundle`] | `Bundle` (searchset), `OperationOutcome` | [`searchset`], [`operation_outcome`] |
//! | [`search`] | search parameter values (`date` prefixes, `token`, `reference`, `_count`) | [`search::DateParam`] |
//!
//! Every entry point is re-exported here, so `hcas_core::fhir::appointment_to_fhir`
//! and `hcas_core::fhir::appointment::appointment_to_fhir` are the same function.
//! This module exists only with the cargo feature `fhir` (on by default).
//!
//! # Example
//!
//! ```
//! use hcas_core::booking::Booking;
//! use hcas_core::fhir::{appointment_from_fhir, appointment_to_fhir};
//! use hcas_core::ErrorCode;
//! let t = |s: &str| s.parse().unwrap();
//! let slot = hcas_core::Interval::new(t("2026-05-04T09:00:00Z"), t("2026-05-04T09:30:00Z")).unwrap();
//! let hold = Booking::new("a1", vec!["provider:P1".into(), "patient:X1".into()], slot)
//!     .hold_until(t("2026-05-04T08:10:00Z"));
//!
//! let fhir = appointment_to_fhir(&hold).unwrap();
//! assert_eq!(fhir["status"], "pending");
//! assert_eq!(fhir["minutesDuration"], 30);
//! assert_eq!(fhir["participant"][0]["actor"]["reference"], "Practitioner/P1");
//! assert_eq!(fhir["extension"][0]["valueInstant"], "2026-05-04T08:10:00Z");
//! assert_eq!(appointment_from_fhir(&fhir).unwrap(), hold);
//!
//! let mut other = fhir.clone();
//! other["participant"][1]["actor"]["reference"] = "Organization/O1".into();
//! let err = appointment_from_fhir(&other).unwrap_err();
//! assert_eq!(err.code(), ErrorCode::InvalidRequest);
//! assert!(err.message().starts_with("participant[1].actor.reference:"));
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::availability::{Availability, WorkingRule};
use crate::booking::{Booking, SeriesRef, Status};
use crate::error::{Error, ErrorCode, Result};
use crate::recurrence::RRule;
use crate::time::{
    Interval, LocalTime, Minutes, Timestamp, parse_local_date, parse_local_datetime,
};
use crate::zone::Zone;

pub mod appointment;
pub mod audit;
pub mod bundle;
pub mod consent;
pub mod directory;
pub mod operation;
pub mod publish;
pub mod recurrence;
pub mod schedule;
pub mod search;
pub mod slot;

pub use appointment::{
    EXT_HOLD_EXPIRES, EXT_ORIGINATING_APPOINTMENT, EXT_R5_RECURRENCE_ID, EXT_RECURRENCE_ID,
    EXT_REPLACED_BY, EXT_REPLACES, appointment_from_fhir, appointment_to_fhir, occurrence_to_fhir,
    recurrence_numbers,
};
pub use audit::{AuditAction, AuditFacts, audit_event_to_fhir};
pub use bundle::{
    ERROR_SYSTEM, SearchEntry, conflict_outcome, operation_outcome, searchset, searchset_page,
};
pub use consent::{
    EXT_DATE_TIME, EXT_SCOPE, consent_from_fhir_r4, consent_from_fhir_r5, consent_to_fhir_r4,
    consent_to_fhir_r5,
};
pub use directory::{
    FhirPatient, FhirPractitioner, LANGUAGE_SYSTEM, SPECIALTY_SYSTEM, patient_to_fhir,
    practitioner_role_to_fhir, practitioner_to_fhir,
};
pub use operation::{
    Parameter, Proposal, parse_proposal_id, proposal_id, proposed_appointment, read_parameters,
};
pub use publish::{
    Address, EXT_BOOKING_DEEP_LINK, EXT_BOOKING_PHONE, FhirLocation, PublishedSlot, bulk_manifest,
    location_id, location_to_fhir, published_schedule, published_slot,
};
pub use recurrence::{
    EXT_OCCURRENCE_CHANGED, EXT_RECURRENCE_TEMPLATE, FhirSeries, Pattern, RecurrenceTemplate,
    series_conflict_outcome, series_from_fhir, series_to_fhir,
};
pub use schedule::{
    EXT_AVAILABILITY, FhirSchedule, ScheduleAvailability, schedule_from_fhir, schedule_to_fhir,
};
pub use slot::{FhirSlot, SlotStatus, parse_slot_id, slot_from_fhir, slot_to_fhir, slots_to_fhir};

/// hcas resource kinds and the FHIR resource types they map to.
const RESOURCE_KINDS: [(&str, &str); 4] = [
    ("provider", "Practitioner"),
    ("patient", "Patient"),
    ("room", "Location"),
    ("device", "Device"),
];

/// The R4 elements of a `Reference`.
const REFERENCE_ELEMENTS: &[&str] = &[
    "id",
    "extension",
    "reference",
    "type",
    "identifier",
    "display",
];

/// The R4 elements of a `CodeableConcept`.
const CODEABLE_CONCEPT_ELEMENTS: &[&str] = &["id", "extension", "coding", "text"];

/// The R4 elements of a `Period`.
const PERIOD_ELEMENTS: &[&str] = &["id", "extension", "start", "end"];

// ---------------------------------------------------------------------------
// JSON helpers: every error names its JSON path
// ---------------------------------------------------------------------------

/// Set `slot` once; a second occurrence of the extension is an error at `path`.
fn once<T>(slot: &mut Option<T>, value: T, path: &str, url: &str) -> Result<()> {
    if slot.is_some() {
        return Err(invalid(
            path,
            format!("a second `{url}` extension; it may appear only once"),
        ));
    }
    *slot = Some(value);
    Ok(())
}

pub(crate) fn invalid(path: &str, message: impl Into<String>) -> Error {
    Error::request(message).at(path)
}

/// `path.key`, or `key` at the resource root.
pub(crate) fn field(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

pub(crate) const fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| invalid(path, format!("expected an object, got {}", kind(v))))
}

/// The string `o[key]`, if present (FHIR strings are never empty).
pub(crate) fn string<'a>(
    o: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>> {
    match o.get(key) {
        None => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s)),
        Some(Value::String(_)) => Err(invalid(
            &field(path, key),
            "is empty; FHIR strings are never empty (omit the element)",
        )),
        Some(v) => Err(invalid(
            &field(path, key),
            format!("expected a string, got {}", kind(v)),
        )),
    }
}

/// A `positiveInt` at `path` (FHIR's range: 1 to 2147483647).
pub(crate) fn positive(v: &Value, path: &str) -> Result<u32> {
    v.as_u64()
        .filter(|&n| n >= 1)
        .and_then(|n| i32::try_from(n).ok())
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| invalid(path, format!("expected a positive integer, got {v}")))
}

/// The array `o[key]`, empty if absent.
fn array<'a>(o: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a [Value]> {
    match o.get(key) {
        None => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(v) => Err(invalid(
            &field(path, key),
            format!("expected an array, got {}", kind(v)),
        )),
    }
}

pub(crate) fn required<T>(v: Option<T>, path: &str, key: &str) -> Result<T> {
    v.ok_or_else(|| invalid(&field(path, key), "is required"))
}

/// Refuse modifiers and elements not in `allowed` (a `_key` primitive extension
/// is allowed with its `key`).
fn check_keys(o: &Map<String, Value>, allowed: &[&str], path: &str) -> Result<()> {
    check_elements(o, allowed, path, "an R4 element")
}

/// Refuse modifiers (unless `modifierExtension` is in `allowed`) and elements
/// not in `allowed`; a `_key` primitive extension is allowed with its `key`.
/// `noun` names what an allowed key is in the message (`an R4 element`).
/// Shared by every FHIR reader (Appointment, Slot, Schedule, Consent).
pub(crate) fn check_elements(
    o: &Map<String, Value>,
    allowed: &[&str],
    path: &str,
    noun: &str,
) -> Result<()> {
    for key in o.keys() {
        let base = key.strip_prefix('_').unwrap_or(key);
        if base == "implicitRules"
            || (base == "modifierExtension" && !allowed.contains(&"modifierExtension"))
        {
            return Err(invalid(
                &field(path, key),
                "hcas understands no modifiers here, and FHIR requires a reader that does not \
                 understand one to refuse the resource",
            ));
        }
        if !allowed.contains(&base) {
            let hint = if allowed.len() <= 8 {
                format!(" (expected one of: {})", allowed.join(", "))
            } else {
                String::new()
            };
            return Err(invalid(
                &field(path, key),
                format!("`{key}` is not {noun} hcas reads here{hint}"),
            ));
        }
    }
    Ok(())
}

/// The resource object, with its `resourceType` and elements checked.
fn resource<'a>(value: &'a Value, ty: &str, allowed: &[&str]) -> Result<&'a Map<String, Value>> {
    let o = object(value, ty)?;
    match string(o, "resourceType", "")? {
        Some(t) if t == ty => {}
        Some(t) => {
            return Err(invalid("resourceType", format!("expected {ty}, got `{t}`")));
        }
        None => return Err(invalid("resourceType", format!("is required ({ty})"))),
    }
    check_keys(o, allowed, "")?;
    Ok(o)
}

/// The resource's `id`, required and a FHIR id.
pub(crate) fn resource_id(o: &Map<String, Value>) -> Result<String> {
    let id = required(string(o, "id", "")?, "", "id")?;
    check_id(id, "id")?;
    Ok(id.to_string())
}

/// `start` and `end` of `o` as instants, `end` after `start`.
fn period_instants(o: &Map<String, Value>, path: &str) -> Result<(Timestamp, Timestamp)> {
    let get = |key: &str| -> Result<Timestamp> {
        let text = required(string(o, key, path)?, path, key)?;
        Timestamp::parse(text).map_err(|e| e.at(&field(path, key)))
    };
    let (start, end) = (get("start")?, get("end")?);
    if end <= start {
        return Err(Error::new(
            ErrorCode::InvalidInterval,
            format!("{end} must be after start {start}"),
        )
        .at(&field(path, "end")));
    }
    Ok((start, end))
}

/// An instant as FHIR writes it, refusing one that would not read back.
pub(crate) fn instant_text(t: Timestamp, path: &str) -> Result<String> {
    let text = t.to_string();
    if Timestamp::parse(&text).ok() == Some(t) {
        Ok(text)
    } else {
        Err(Error::new(
            ErrorCode::InvalidDatetime,
            format!(
                "{} s after the Unix epoch is outside the years 0001-9999",
                t.unix()
            ),
        )
        .at(path))
    }
}

/// Whether `s` is a FHIR id: 1 to 64 of `A-Z a-z 0-9 - .`.
/// The one id rule of [`crate::id`] (the FHIR id rule).
pub(crate) fn is_fhir_id(s: &str) -> bool {
    crate::id::is_id(s)
}

pub(crate) fn check_id(id: &str, path: &str) -> Result<()> {
    if is_fhir_id(id) {
        Ok(())
    } else {
        Err(invalid(
            path,
            format!("`{id}` is not a FHIR id (1 to 64 of A-Z, a-z, 0-9, `-`, `.`)"),
        ))
    }
}

/// `provider:X` → `Practitioner/X`, and so on; `path` names the hcas field.
fn resource_to_reference(resource: &str, path: &str) -> Result<String> {
    let (prefix, id) = resource.split_once(':').unwrap_or(("", resource));
    let Some((_, ty)) = RESOURCE_KINDS.iter().find(|(p, _)| *p == prefix) else {
        return Err(invalid(
            path,
            format!(
                "resource `{resource}` has no FHIR mapping; only provider:, patient:, room: and \
                 device: map (to Practitioner, Patient, Location, Device)"
            ),
        ));
    };
    if !is_fhir_id(id) {
        return Err(invalid(
            path,
            format!(
                "resource `{resource}`: `{id}` is not a FHIR id (1 to 64 of A-Z, a-z, 0-9, `-`, `.`)"
            ),
        ));
    }
    Ok(format!("{ty}/{id}"))
}

/// A `Reference` to a Practitioner, Patient, Location or Device → the hcas resource.
fn actor_resource(v: &Value, path: &str) -> Result<String> {
    let o = object(v, path)?;
    check_keys(o, REFERENCE_ELEMENTS, path)?;
    let at = field(path, "reference");
    let Some(reference) = string(o, "reference", path)? else {
        return Err(invalid(
            &at,
            "is required: hcas identifies resources by reference \
             (an identifier or display alone cannot be booked)",
        ));
    };
    if reference.starts_with('#') || reference.contains(':') {
        return Err(invalid(
            &at,
            format!(
                "`{reference}` is not a relative reference Type/id; \
                 absolute, urn: and contained references are not supported"
            ),
        ));
    }
    let Some((ty, id)) = reference.split_once('/') else {
        return Err(invalid(
            &at,
            format!("`{reference}` is not a relative reference Type/id"),
        ));
    };
    let Some((prefix, _)) = RESOURCE_KINDS.iter().find(|(_, t)| *t == ty) else {
        return Err(invalid(
            &at,
            format!(
                "`{ty}` resources cannot be hcas resources; only Practitioner, Patient, Location \
                 and Device map (to provider:, patient:, room:, device:)"
            ),
        ));
    };
    if id.contains('/') {
        return Err(invalid(
            &at,
            format!("`{reference}`: versioned references (`_history`) are not supported"),
        ));
    }
    check_id(id, &at)?;
    if let Some(t) = string(o, "type", path)?
        && t != ty
    {
        return Err(invalid(
            &field(path, "type"),
            format!("`{t}` contradicts the reference `{reference}`"),
        ));
    }
    Ok(format!("{prefix}:{id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fhir_ids() {
        assert!(is_fhir_id("a-1.B"));
        assert!(is_fhir_id(&"x".repeat(64)));
        assert!(!is_fhir_id(&"x".repeat(65)));
        assert!(!is_fhir_id(""));
        assert!(!is_fhir_id("a_b"));
        assert!(!is_fhir_id("a:b"));
    }
}
