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
//! # Appointment ⇄ [`Booking`]
//!
//! | hcas [`Booking`] | FHIR R4 `Appointment` |
//! |---|---|
//! | `id` | `id` (a FHIR id: 1-64 of `A-Za-z0-9-.`) |
//! | `status` (not `held`) | `status`, same code |
//! | `status` = `held` | `status` = `pending` + extension `hold-expires` |
//! | `hold_expires` | `extension[url=https://hcas.dev/fhir/StructureDefinition/hold-expires].valueInstant` |
//! | `start`, `end` | `start`, `end` |
//! | (derived) `end - start` | `minutesDuration`: written when whole minutes; checked on import |
//! | `resources[i]` = `provider:X` / `patient:X` / `room:X` / `device:X` | `participant[i].actor.reference` = `Practitioner/X` / `Patient/X` / `Location/X` / `Device/X`, `participant[i].status` = `accepted` |
//! | `cancel_reason` | `cancelationReason.text` |
//! | `replaces` | `extension[url=https://hcas.dev/fhir/StructureDefinition/replaces].valueReference.reference` = `Appointment/ID` |
//! | `replaced_by` | `extension[url=https://hcas.dev/fhir/StructureDefinition/replaced-by].valueReference.reference` = `Appointment/ID` |
//! | `series.recurrence_id` | `extension[url=http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.recurrenceId].valueDateTime` |
//! | `series.id` | `extension[url=http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.originatingAppointment].valueReference.reference` = `Appointment/ID` |
//!
//! Rules of the mapping:
//! - `held` has no R4 code: it is written `pending` with a `hold-expires`
//!   extension, and `pending` with that extension reads back as `held`. A
//!   `hold-expires` extension on any other status is refused on import, and a
//!   non-held booking with a `hold_expires` is refused on export (it could not
//!   read back as itself).
//! - `start`, `end` and every participant actor reference are required;
//!   `minutesDuration`, when present, must equal `end - start` in minutes.
//! - A participant with no `actor.reference` (e.g. only a `type`), a reference
//!   to any other resource type (`Organization`, `PractitionerRole`,
//!   `HealthcareService`, ...), a `declined` participant (hcas would book the
//!   resource anyway) and a participant `period` (hcas books every resource for
//!   the whole appointment) are refused. `actor.type`, when present, must agree
//!   with the reference.
//! - The two series extensions go together. hcas recurrence ids are local
//!   wall-clock datetimes without an offset (`YYYY-MM-DDTHH:MM:SS`), and that is
//!   what `valueDateTime` carries; a recurrence id with an offset or a date only
//!   is refused.
//!
//! Ignored on import (informational, not modelled by hcas): `meta`, `language`,
//! `text`, `contained`, `identifier`, `serviceCategory`, `serviceType`,
//! `specialty`, `appointmentType`, `reasonCode`, `reasonReference`, `priority`,
//! `description`, `supportingInformation`, `slot`, `created`, `comment`,
//! `patientInstruction`, `basedOn`, `requestedPeriod`, `cancelationReason.coding`,
//! `participant.type`, `participant.required`, `participant.status` (other than
//! `declined`), `actor.display`, `actor.identifier`, and unknown extensions.
//! Export writes none of them.
//!
//! # Slot ⇄ [`FhirSlot`]
//!
//! | hcas | FHIR R4 `Slot` |
//! |---|---|
//! | `id` (`<schedule>-<unix start>` from [`slot_to_fhir`]) | `id` |
//! | `schedule` (the schedule id) | `schedule.reference` = `Schedule/ID` |
//! | `status` ([`SlotStatus`]) | `status` |
//! | `start`, `end` | `start`, `end` |
//!
//! Ignored on import: `meta`, `language`, `text`, `contained`, `identifier`,
//! `serviceCategory`, `serviceType`, `specialty`, `appointmentType`,
//! `overbooked`, `comment`, `schedule.display`.
//!
//! # Schedule ⇄ [`FhirSchedule`]
//!
//! | hcas | FHIR R4 `Schedule` |
//! |---|---|
//! | `id` | `id` |
//! | `actors[i]` (`provider:X`, ...) | `actor[i].reference` (`Practitioner/X`, ...) |
//! | `planning_horizon` | `planningHorizon.start`, `planningHorizon.end` (both required when present) |
//! | `active` | `active` (absent reads as `true`; always written) |
//! | `availability.zone` | `extension[url=https://hcas.dev/fhir/StructureDefinition/availability].extension[url=timezone].valueCode` |
//! | `availability.rules[j]` rrule | `… .extension[url=rule].extension[url=rrule].valueString` (normalised RRULE text) |
//! | `availability.rules[j]` dtstart | `… .extension[url=rule].extension[url=dtstart].valueDate` |
//! | `availability.rules[j]` window start | `… .extension[url=rule].extension[url=start].valueTime` (`HH:MM:SS`) |
//! | `availability.rules[j]` window end | `… .extension[url=rule].extension[url=end].valueString` (`HH:MM:SS`, `24:00:00` allowed) |
//!
//! Ignored on import: `meta`, `language`, `text`, `contained`, `identifier`,
//! `serviceCategory`, `serviceType`, `specialty`, `comment`, `actor.display`,
//! `actor.identifier`. Refused: an `actor` hcas cannot map (e.g.
//! `PractitionerRole/1`, `HealthcareService/1`), an open-ended
//! `planningHorizon`, a date-only horizon bound, and in the availability
//! extension any sub-extension other than `timezone` and `rule`.
//!
//! # Example
//!
//! ```
//! use hcas_core::booking::{Booking, Status};
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
use crate::time::{Interval, LocalTime, Timestamp, parse_local_date, parse_local_datetime};
use crate::zone::Zone;

/// Extension on a `pending` Appointment: the instant an hcas hold lapses (`valueInstant`).
pub const EXT_HOLD_EXPIRES: &str = "https://hcas.dev/fhir/StructureDefinition/hold-expires";
/// Extension: the Appointment this one replaces (`valueReference`).
pub const EXT_REPLACES: &str = "https://hcas.dev/fhir/StructureDefinition/replaces";
/// Extension: the Appointment that replaced this one (`valueReference`).
pub const EXT_REPLACED_BY: &str = "https://hcas.dev/fhir/StructureDefinition/replaced-by";
/// R5 `Appointment.recurrenceId` as an R4 cross-version extension (`valueDateTime`).
pub const EXT_RECURRENCE_ID: &str =
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.recurrenceId";
/// R5 `Appointment.originatingAppointment` as an R4 cross-version extension (`valueReference`).
pub const EXT_ORIGINATING_APPOINTMENT: &str =
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.originatingAppointment";
/// Complex extension on a Schedule: the time zone and working rules.
pub const EXT_AVAILABILITY: &str = "https://hcas.dev/fhir/StructureDefinition/availability";

/// hcas resource kinds and the FHIR resource types they map to.
const RESOURCE_KINDS: [(&str, &str); 4] = [
    ("provider", "Practitioner"),
    ("patient", "Patient"),
    ("room", "Location"),
    ("device", "Device"),
];

/// The R4 elements of `Appointment` (less the two modifiers hcas refuses).
const APPOINTMENT_ELEMENTS: &[&str] = &[
    "resourceType",
    "id",
    "meta",
    "language",
    "text",
    "contained",
    "extension",
    "identifier",
    "status",
    "cancelationReason",
    "serviceCategory",
    "serviceType",
    "specialty",
    "appointmentType",
    "reasonCode",
    "reasonReference",
    "priority",
    "description",
    "supportingInformation",
    "start",
    "end",
    "minutesDuration",
    "slot",
    "created",
    "comment",
    "patientInstruction",
    "basedOn",
    "participant",
    "requestedPeriod",
];

/// The R4 elements of `Appointment.participant` hcas accepts (`period` is refused).
const PARTICIPANT_ELEMENTS: &[&str] = &["id", "extension", "type", "actor", "required", "status"];

/// The R4 elements of `Slot`.
const SLOT_ELEMENTS: &[&str] = &[
    "resourceType",
    "id",
    "meta",
    "language",
    "text",
    "contained",
    "extension",
    "identifier",
    "serviceCategory",
    "serviceType",
    "specialty",
    "appointmentType",
    "schedule",
    "status",
    "start",
    "end",
    "overbooked",
    "comment",
];

/// The R4 elements of `Schedule`.
const SCHEDULE_ELEMENTS: &[&str] = &[
    "resourceType",
    "id",
    "meta",
    "language",
    "text",
    "contained",
    "extension",
    "identifier",
    "active",
    "serviceCategory",
    "serviceType",
    "specialty",
    "actor",
    "planningHorizon",
    "comment",
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
// Appointment
// ---------------------------------------------------------------------------

/// The R4 `Appointment.status` code of an hcas status (`held` is `pending`).
const fn status_to_fhir(status: Status) -> &'static str {
    match status {
        Status::Proposed => "proposed",
        Status::Pending | Status::Held => "pending",
        Status::Booked => "booked",
        Status::Arrived => "arrived",
        Status::CheckedIn => "checked-in",
        Status::Fulfilled => "fulfilled",
        Status::Cancelled => "cancelled",
        Status::Noshow => "noshow",
        Status::EnteredInError => "entered-in-error",
        Status::Waitlist => "waitlist",
    }
}

/// Every R4 `Appointment.status` code with its hcas status.
const FHIR_STATUSES: [(&str, Status); 10] = [
    ("proposed", Status::Proposed),
    ("pending", Status::Pending),
    ("booked", Status::Booked),
    ("arrived", Status::Arrived),
    ("fulfilled", Status::Fulfilled),
    ("cancelled", Status::Cancelled),
    ("noshow", Status::Noshow),
    ("entered-in-error", Status::EnteredInError),
    ("checked-in", Status::CheckedIn),
    ("waitlist", Status::Waitlist),
];

/// The FHIR R4 `Appointment` for a booking.
///
/// # Errors
/// The booking's own validation errors ([`Booking::validate`]); and
/// `invalid_request`, naming the hcas field, for what FHIR cannot carry: an id
/// or resource id that is not a FHIR id, a resource whose kind is not
/// `provider`, `patient`, `room` or `device` (`resources[i]`), an empty
/// `cancel_reason`, a `hold_expires` on a booking that is not held, a
/// recurrence id that is not a local datetime; `invalid_datetime` for an
/// instant outside the years 0001-9999.
pub fn appointment_to_fhir(booking: &Booking) -> Result<Value> {
    booking.validate()?;
    check_id(&booking.id, "id")?;
    let mut out = Map::new();
    out.insert("resourceType".into(), "Appointment".into());
    out.insert("id".into(), booking.id.clone().into());
    let mut extension = Vec::new();
    match (booking.status, booking.hold_expires) {
        (Status::Held, Some(expires)) => extension.push(json!({
            "url": EXT_HOLD_EXPIRES,
            "valueInstant": instant_text(expires, "hold_expires")?,
        })),
        (status, Some(_)) => {
            return Err(invalid(
                "hold_expires",
                format!(
                    "booking {} is {status} but has a hold expiry; only held bookings carry one \
                     (clear it, or FHIR would read it back as held)",
                    booking.id
                ),
            ));
        }
        (_, None) => {}
    }
    out.insert("status".into(), status_to_fhir(booking.status).into());
    if let Some(reason) = &booking.cancel_reason {
        if reason.is_empty() {
            return Err(invalid(
                "cancel_reason",
                "is empty; FHIR strings cannot be empty (use no reason instead)",
            ));
        }
        out.insert("cancelationReason".into(), json!({ "text": reason }));
    }
    out.insert("start".into(), instant_text(booking.start, "start")?.into());
    out.insert("end".into(), instant_text(booking.end, "end")?.into());
    let seconds = booking.end.unix() - booking.start.unix();
    if seconds % 60 == 0
        && let Ok(minutes) = i32::try_from(seconds / 60)
    {
        out.insert("minutesDuration".into(), minutes.into());
    }
    let mut participant = Vec::with_capacity(booking.resources.len());
    for (i, resource) in booking.resources.iter().enumerate() {
        let reference = resource_to_reference(resource, &format!("resources[{i}]"))?;
        participant.push(json!({ "actor": { "reference": reference }, "status": "accepted" }));
    }
    out.insert("participant".into(), participant.into());
    if let Some(id) = &booking.replaces {
        extension.push(json!({
            "url": EXT_REPLACES,
            "valueReference": appointment_reference(id, "replaces")?,
        }));
    }
    if let Some(id) = &booking.replaced_by {
        extension.push(json!({
            "url": EXT_REPLACED_BY,
            "valueReference": appointment_reference(id, "replaced_by")?,
        }));
    }
    if let Some(series) = &booking.series {
        parse_local_datetime(&series.recurrence_id).map_err(|e| e.at("series.recurrence_id"))?;
        extension.push(json!({
            "url": EXT_RECURRENCE_ID,
            "valueDateTime": series.recurrence_id,
        }));
        extension.push(json!({
            "url": EXT_ORIGINATING_APPOINTMENT,
            "valueReference": appointment_reference(&series.id, "series.id")?,
        }));
    }
    if !extension.is_empty() {
        out.insert("extension".into(), extension.into());
    }
    Ok(Value::Object(out))
}

/// The hcas extensions found on an Appointment, each with its JSON path.
#[derive(Default)]
struct AppointmentExtensions {
    hold_expires: Option<(Timestamp, String)>,
    replaces: Option<String>,
    replaced_by: Option<String>,
    recurrence_id: Option<(String, String)>,
    originating: Option<(String, String)>,
}

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

fn appointment_extensions(o: &Map<String, Value>) -> Result<AppointmentExtensions> {
    let mut found = AppointmentExtensions::default();
    for (i, e) in array(o, "extension", "")?.iter().enumerate() {
        let path = format!("extension[{i}]");
        let eo = object(e, &path)?;
        let url = required(string(eo, "url", &path)?, &path, "url")?;
        match url {
            EXT_HOLD_EXPIRES => {
                check_keys(eo, &["id", "url", "valueInstant"], &path)?;
                let text = required(string(eo, "valueInstant", &path)?, &path, "valueInstant")?;
                let t = Timestamp::parse(text).map_err(|e| e.at(&field(&path, "valueInstant")))?;
                once(&mut found.hold_expires, (t, path.clone()), &path, url)?;
            }
            EXT_REPLACES | EXT_REPLACED_BY => {
                check_keys(eo, &["id", "url", "valueReference"], &path)?;
                let id = appointment_id_of(eo, &path)?;
                let slot = if url == EXT_REPLACES {
                    &mut found.replaces
                } else {
                    &mut found.replaced_by
                };
                once(slot, id, &path, url)?;
            }
            EXT_RECURRENCE_ID => {
                check_keys(eo, &["id", "url", "valueDateTime"], &path)?;
                let at = field(&path, "valueDateTime");
                let text = required(string(eo, "valueDateTime", &path)?, &path, "valueDateTime")?;
                parse_local_datetime(text).map_err(|e| {
                    Error::new(
                        e.code(),
                        format!(
                            "`{text}` is not a local datetime YYYY-MM-DDTHH:MM:SS without offset; \
                             hcas recurrence ids are the occurrence's original local start"
                        ),
                    )
                    .at(&at)
                })?;
                once(
                    &mut found.recurrence_id,
                    (text.to_string(), path.clone()),
                    &path,
                    url,
                )?;
            }
            EXT_ORIGINATING_APPOINTMENT => {
                check_keys(eo, &["id", "url", "valueReference"], &path)?;
                let id = appointment_id_of(eo, &path)?;
                once(&mut found.originating, (id, path.clone()), &path, url)?;
            }
            // A plain extension cannot change meaning (modifiers are refused elsewhere).
            _ => {}
        }
    }
    Ok(found)
}

/// The Appointment id in an extension's `valueReference`.
fn appointment_id_of(ext: &Map<String, Value>, path: &str) -> Result<String> {
    let at = field(path, "valueReference");
    let r = object(
        required(ext.get("valueReference"), path, "valueReference")?,
        &at,
    )?;
    check_keys(r, REFERENCE_ELEMENTS, &at)?;
    let reference = required(string(r, "reference", &at)?, &at, "reference")?;
    let rat = field(&at, "reference");
    if let Some(ty) = string(r, "type", &at)?
        && ty != "Appointment"
    {
        return Err(invalid(
            &field(&at, "type"),
            format!("`{ty}` must be Appointment"),
        ));
    }
    let id = reference.strip_prefix("Appointment/").ok_or_else(|| {
        invalid(
            &rat,
            format!("`{reference}` is not a relative reference Appointment/ID"),
        )
    })?;
    check_id(id, &rat)?;
    Ok(id.to_string())
}

/// The booking a FHIR R4 `Appointment` describes.
///
/// # Errors
/// `invalid_request` naming the JSON path (e.g. `participant[2].actor.reference`)
/// for anything hcas cannot represent (see the module docs); `invalid_datetime`
/// for a malformed instant, `invalid_interval` when `end` is not after `start`.
pub fn appointment_from_fhir(value: &Value) -> Result<Booking> {
    let o = resource(value, "Appointment", APPOINTMENT_ELEMENTS)?;
    let id = resource_id(o)?;
    let code = required(string(o, "status", "")?, "", "status")?;
    let status = FHIR_STATUSES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|&(_, s)| s)
        .ok_or_else(|| {
            invalid(
                "status",
                format!(
                    "`{code}` is not an R4 Appointment status; use one of {}",
                    FHIR_STATUSES.map(|(c, _)| c).join(", ")
                ),
            )
        })?;
    let (start, end) = period_instants(o, "")?;
    if let Some(v) = o.get("minutesDuration") {
        let seconds = end.unix() - start.unix();
        let minutes = v
            .as_u64()
            .filter(|&m| m > 0 && i32::try_from(m).is_ok())
            .ok_or_else(|| {
                invalid(
                    "minutesDuration",
                    format!("expected a positive integer, got {v}"),
                )
            })?;
        if i64::try_from(minutes).ok().map(|m| m * 60) != Some(seconds) {
            return Err(invalid(
                "minutesDuration",
                format!(
                    "{minutes} minutes does not match start {start} to end {end} ({seconds} s); \
                     fix either, or omit minutesDuration"
                ),
            ));
        }
    }
    let resources = participants(o)?;
    let cancel_reason = match o.get("cancelationReason") {
        None => None,
        Some(v) => {
            let c = object(v, "cancelationReason")?;
            check_keys(c, CODEABLE_CONCEPT_ELEMENTS, "cancelationReason")?;
            string(c, "text", "cancelationReason")?.map(str::to_string)
        }
    };
    let ext = appointment_extensions(o)?;
    let (status, hold_expires) = match (status, ext.hold_expires) {
        (Status::Pending, Some((t, _))) => (Status::Held, Some(t)),
        (s, Some((_, path))) => {
            return Err(invalid(
                &path,
                format!(
                    "the hold-expires extension is only allowed on a pending appointment \
                     (an hcas hold), not on a {s} one"
                ),
            ));
        }
        (s, None) => (s, None),
    };
    let series = match (ext.recurrence_id, ext.originating) {
        (Some((recurrence_id, _)), Some((series_id, _))) => Some(SeriesRef {
            id: series_id,
            recurrence_id,
        }),
        (Some((_, path)), None) => {
            return Err(invalid(
                &path,
                "a recurrenceId without an originatingAppointment extension; \
                 an hcas occurrence needs both its series and its recurrence id",
            ));
        }
        (None, Some((_, path))) => {
            return Err(invalid(
                &path,
                "an originatingAppointment without a recurrenceId extension; \
                 an hcas occurrence needs both its series and its recurrence id",
            ));
        }
        (None, None) => None,
    };
    let booking = Booking {
        id,
        start,
        end,
        status,
        hold_expires,
        resources,
        cancel_reason,
        replaces: ext.replaces,
        replaced_by: ext.replaced_by,
        series,
        anchor: None,
    };
    booking.validate()?;
    Ok(booking)
}

/// The hcas resources of `participant[]`, in order.
fn participants(o: &Map<String, Value>) -> Result<Vec<String>> {
    let list = array(o, "participant", "")?;
    if list.is_empty() {
        return Err(invalid(
            "participant",
            "is required: an hcas booking uses at least one resource",
        ));
    }
    let mut resources = Vec::with_capacity(list.len());
    for (i, p) in list.iter().enumerate() {
        let path = format!("participant[{i}]");
        let po = object(p, &path)?;
        if po.contains_key("period") {
            return Err(invalid(
                &field(&path, "period"),
                "hcas books every participant for the whole appointment; \
                 a participant period cannot be represented",
            ));
        }
        check_keys(po, PARTICIPANT_ELEMENTS, &path)?;
        match string(po, "status", &path)? {
            None | Some("accepted" | "tentative" | "needs-action") => {}
            Some("declined") => {
                return Err(invalid(
                    &field(&path, "status"),
                    "a declined participant cannot be represented; hcas would book the resource \
                     (remove the participant instead)",
                ));
            }
            Some(other) => {
                return Err(invalid(
                    &field(&path, "status"),
                    format!(
                        "`{other}` is not an R4 participant status \
                         (accepted, declined, tentative, needs-action)"
                    ),
                ));
            }
        }
        let Some(actor) = po.get("actor") else {
            return Err(invalid(
                &field(&path, "actor"),
                "is required: hcas books resources, a participant given only by type \
                 cannot be booked",
            ));
        };
        resources.push(actor_resource(actor, &field(&path, "actor"))?);
    }
    Ok(resources)
}

// ---------------------------------------------------------------------------
// Slot
// ---------------------------------------------------------------------------

/// R4 `Slot.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
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

impl SlotStatus {
    /// Every status.
    pub const ALL: [Self; 5] = [
        Self::Free,
        Self::Busy,
        Self::BusyTentative,
        Self::BusyUnavailable,
        Self::EnteredInError,
    ];

    /// The R4 code.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Busy => "busy",
            Self::BusyTentative => "busy-tentative",
            Self::BusyUnavailable => "busy-unavailable",
            Self::EnteredInError => "entered-in-error",
        }
    }

    /// Parse an R4 code.
    ///
    /// # Errors
    /// `invalid_request` for an unknown code.
    pub fn parse(code: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == code)
            .ok_or_else(|| {
                Error::request(format!(
                    "`{code}` is not an R4 Slot status; use one of {}",
                    Self::ALL.map(Self::as_str).join(", ")
                ))
            })
    }
}

impl fmt::Display for SlotStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An R4 `Slot` as hcas models it.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

impl FhirSlot {
    /// The R4 `Slot` JSON, keeping this slot's id.
    ///
    /// The id and schedule should be FHIR ids and `end` after `start`, as
    /// [`slot_from_fhir`] guarantees; nothing is checked here.
    #[must_use]
    pub fn to_fhir(&self) -> Value {
        json!({
            "resourceType": "Slot",
            "id": self.id,
            "schedule": { "reference": format!("Schedule/{}", self.schedule) },
            "status": self.status.as_str(),
            "start": self.start.to_string(),
            "end": self.end.to_string(),
        })
    }
}

/// The deterministic id of the slot of `schedule_id` starting at `start`.
fn slot_id(schedule_id: &str, start: Timestamp) -> String {
    format!("{schedule_id}-{}", start.unix())
}

/// The R4 `Slot` `[start, end)` of schedule `schedule_id`, with the
/// deterministic id `<schedule_id>-<unix seconds of start>`.
///
/// `schedule_id` should be a FHIR id of at most 52 characters (so the slot id
/// stays within 64) and `end` after `start`; nothing is checked here.
///
/// ```
/// use hcas_core::fhir::{SlotStatus, slot_from_fhir, slot_to_fhir};
/// let t = |s: &str| s.parse().unwrap();
/// let slot = slot_to_fhir("S1", t("2026-05-04T09:00:00Z"), t("2026-05-04T09:30:00Z"), SlotStatus::Free);
/// assert_eq!(slot["id"], "S1-1777885200");
/// assert_eq!(slot["schedule"]["reference"], "Schedule/S1");
/// assert_eq!(slot_from_fhir(&slot).unwrap().to_fhir(), slot);
/// ```
#[must_use]
pub fn slot_to_fhir(
    schedule_id: &str,
    start: Timestamp,
    end: Timestamp,
    status: SlotStatus,
) -> Value {
    FhirSlot {
        id: slot_id(schedule_id, start),
        schedule: schedule_id.to_string(),
        start,
        end,
        status,
    }
    .to_fhir()
}

/// `free` R4 Slots of `duration_minutes` at each of `starts` (e.g. the answer of
/// [`Availability::slots`]), ids as in [`slot_to_fhir`].
///
/// `starts` should be unique (ids repeat otherwise) and `duration_minutes` positive.
///
/// # Errors
/// `invalid_datetime` when a slot would end after the year 9999.
pub fn slots_to_fhir(
    schedule_id: &str,
    starts: &[Timestamp],
    duration_minutes: i64,
) -> Result<Vec<Value>> {
    starts
        .iter()
        .map(|&s| {
            Ok(slot_to_fhir(
                schedule_id,
                s,
                s.plus_minutes(duration_minutes)?,
                SlotStatus::Free,
            ))
        })
        .collect()
}

/// The slot an R4 `Slot` describes.
///
/// # Errors
/// `invalid_request` naming the JSON path for a missing or malformed `id`,
/// `schedule.reference` (it must be `Schedule/ID`), `status`, or an element
/// hcas refuses (see the module docs); `invalid_datetime` /
/// `invalid_interval` for `start` and `end`.
pub fn slot_from_fhir(value: &Value) -> Result<FhirSlot> {
    let o = resource(value, "Slot", SLOT_ELEMENTS)?;
    let id = resource_id(o)?;
    let sv = required(o.get("schedule"), "", "schedule")?;
    let so = object(sv, "schedule")?;
    check_keys(so, REFERENCE_ELEMENTS, "schedule")?;
    let reference = required(
        string(so, "reference", "schedule")?,
        "schedule",
        "reference",
    )?;
    let schedule = reference.strip_prefix("Schedule/").ok_or_else(|| {
        invalid(
            "schedule.reference",
            format!("`{reference}` is not a relative reference Schedule/ID"),
        )
    })?;
    check_id(schedule, "schedule.reference")?;
    let code = required(string(o, "status", "")?, "", "status")?;
    let status = SlotStatus::parse(code).map_err(|e| e.at("status"))?;
    let (start, end) = period_instants(o, "")?;
    Ok(FhirSlot {
        id,
        schedule: schedule.to_string(),
        start,
        end,
        status,
    })
}

// ---------------------------------------------------------------------------
// Schedule
// ---------------------------------------------------------------------------

/// Working hours carried by a Schedule: a zone and working rules.
#[derive(Debug, Clone)]
pub struct ScheduleAvailability {
    /// The IANA zone the rules' local times are in.
    pub zone: Zone,
    /// The working rules.
    pub rules: Vec<WorkingRule>,
}

impl ScheduleAvailability {
    /// An [`Availability`] with these rules, no overrides and no busy time.
    #[must_use]
    pub fn to_availability(&self) -> Availability {
        Availability::new(self.zone, self.rules.clone(), vec![], vec![])
    }
}

impl PartialEq for ScheduleAvailability {
    fn eq(&self, other: &Self) -> bool {
        self.zone == other.zone
            && self.rules.len() == other.rules.len()
            && self.rules.iter().zip(&other.rules).all(|(a, b)| {
                a.rrule() == b.rrule() && a.window() == b.window() && a.dtstart() == b.dtstart()
            })
    }
}

impl Eq for ScheduleAvailability {}

/// An R4 `Schedule` as hcas models it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FhirSchedule {
    /// The schedule id.
    pub id: String,
    /// The hcas resources whose availability this is (`provider:P1`, `room:R2`, ...); at least one.
    pub actors: Vec<String>,
    /// The period the schedule covers.
    pub planning_horizon: Option<Interval>,
    /// Whether the schedule is in use.
    pub active: bool,
    /// The zone and working rules, when hcas knows them.
    pub availability: Option<ScheduleAvailability>,
}

/// `HH:MM:SS`, the FHIR `time` form (`24:00:00` for the end of a day).
fn time_text(t: LocalTime) -> String {
    let s = t.seconds();
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// The R4 `Schedule`.
///
/// ```
/// use hcas_core::fhir::{FhirSchedule, ScheduleAvailability, schedule_from_fhir, schedule_to_fhir};
/// use hcas_core::{LocalTime, WorkingRule, Zone};
/// use chrono::NaiveDate;
/// let rule = WorkingRule::new("FREQ=WEEKLY;BYDAY=MO,TU".parse().unwrap(),
///     NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
///     LocalTime::parse("09:00", false).unwrap(), LocalTime::parse("24:00", true).unwrap()).unwrap();
/// let s = FhirSchedule { id: "S1".into(), actors: vec!["provider:P1".into()], planning_horizon: None,
///     active: true, availability: Some(ScheduleAvailability { zone: Zone::parse("Europe/London").unwrap(), rules: vec![rule] }) };
/// let fhir = schedule_to_fhir(&s).unwrap();
/// assert_eq!(fhir["actor"][0]["reference"], "Practitioner/P1");
/// assert_eq!(fhir["extension"][0]["extension"][1]["extension"][3]["valueString"], "24:00:00");
/// assert_eq!(schedule_from_fhir(&fhir).unwrap(), s);
/// ```
///
/// # Errors
/// `invalid_request` naming the hcas field for an id or actor FHIR cannot
/// carry (`actors[i]`), or no actor; `invalid_datetime` for an instant outside
/// the years 0001-9999.
pub fn schedule_to_fhir(schedule: &FhirSchedule) -> Result<Value> {
    check_id(&schedule.id, "id")?;
    if schedule.actors.is_empty() {
        return Err(invalid(
            "actors",
            "a FHIR Schedule needs at least one actor",
        ));
    }
    let mut out = Map::new();
    out.insert("resourceType".into(), "Schedule".into());
    out.insert("id".into(), schedule.id.clone().into());
    out.insert("active".into(), schedule.active.into());
    let mut actors = Vec::with_capacity(schedule.actors.len());
    for (i, a) in schedule.actors.iter().enumerate() {
        let reference = resource_to_reference(a, &format!("actors[{i}]"))?;
        actors.push(json!({ "reference": reference }));
    }
    out.insert("actor".into(), actors.into());
    if let Some(h) = schedule.planning_horizon {
        out.insert(
            "planningHorizon".into(),
            json!({
                "start": instant_text(h.start(), "planning_horizon.start")?,
                "end": instant_text(h.end(), "planning_horizon.end")?,
            }),
        );
    }
    if let Some(a) = &schedule.availability {
        let mut sub = vec![json!({ "url": "timezone", "valueCode": a.zone.name() })];
        for rule in &a.rules {
            let dtstart = rule.dtstart();
            let window = rule.window();
            sub.push(json!({
                "url": "rule",
                "extension": [
                    { "url": "rrule", "valueString": rule.rrule().to_string() },
                    { "url": "dtstart", "valueDate": dtstart.format("%Y-%m-%d").to_string() },
                    { "url": "start", "valueTime": time_text(window.start) },
                    { "url": "end", "valueString": time_text(window.end) },
                ],
            }));
        }
        out.insert(
            "extension".into(),
            json!([{ "url": EXT_AVAILABILITY, "extension": sub }]),
        );
    }
    Ok(Value::Object(out))
}

/// The schedule an R4 `Schedule` describes.
///
/// # Errors
/// `invalid_request` naming the JSON path for a missing id or actor, an actor
/// hcas cannot map (`actor[1].reference`), an open-ended `planningHorizon`, a
/// malformed availability extension, or an element hcas refuses; the value
/// codes (`invalid_datetime`, `invalid_interval`, `invalid_rrule`,
/// `invalid_timezone`) for malformed values, also with their path.
pub fn schedule_from_fhir(value: &Value) -> Result<FhirSchedule> {
    let o = resource(value, "Schedule", SCHEDULE_ELEMENTS)?;
    let id = resource_id(o)?;
    let active = match o.get("active") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            return Err(invalid(
                "active",
                format!("expected a boolean, got {}", kind(v)),
            ));
        }
    };
    let list = array(o, "actor", "")?;
    if list.is_empty() {
        return Err(invalid(
            "actor",
            "is required: a Schedule belongs to at least one actor",
        ));
    }
    let mut actors = Vec::with_capacity(list.len());
    for (i, a) in list.iter().enumerate() {
        actors.push(actor_resource(a, &format!("actor[{i}]"))?);
    }
    let planning_horizon = match o.get("planningHorizon") {
        None => None,
        Some(v) => {
            let p = object(v, "planningHorizon")?;
            check_keys(p, PERIOD_ELEMENTS, "planningHorizon")?;
            for key in ["start", "end"] {
                if !p.contains_key(key) {
                    return Err(invalid(
                        &field("planningHorizon", key),
                        "is required: hcas models a planning horizon as a closed interval, \
                         an open-ended period cannot be represented",
                    ));
                }
            }
            let (start, end) = period_instants(p, "planningHorizon")?;
            Some(Interval::new(start, end).map_err(|e| e.at("planningHorizon.end"))?)
        }
    };
    let mut availability = None;
    for (i, e) in array(o, "extension", "")?.iter().enumerate() {
        let path = format!("extension[{i}]");
        let eo = object(e, &path)?;
        if required(string(eo, "url", &path)?, &path, "url")? == EXT_AVAILABILITY {
            let a = availability_extension(eo, &path)?;
            once(&mut availability, a, &path, EXT_AVAILABILITY)?;
        }
    }
    Ok(FhirSchedule {
        id,
        actors,
        planning_horizon,
        active,
        availability,
    })
}

fn availability_extension(eo: &Map<String, Value>, path: &str) -> Result<ScheduleAvailability> {
    check_keys(eo, &["id", "url", "extension"], path)?;
    let mut zone = None;
    let mut rules = Vec::new();
    for (j, s) in array(eo, "extension", path)?.iter().enumerate() {
        let sp = format!("{path}.extension[{j}]");
        let so = object(s, &sp)?;
        match required(string(so, "url", &sp)?, &sp, "url")? {
            "timezone" => {
                check_keys(so, &["id", "url", "valueCode"], &sp)?;
                let name = required(string(so, "valueCode", &sp)?, &sp, "valueCode")?;
                let z = Zone::parse(name).map_err(|e| e.at(&field(&sp, "valueCode")))?;
                once(&mut zone, z, &sp, "timezone")?;
            }
            "rule" => rules.push(rule_extension(so, &sp)?),
            other => {
                return Err(invalid(
                    &field(&sp, "url"),
                    format!(
                        "`{other}` is not a sub-extension of availability (use timezone or rule)"
                    ),
                ));
            }
        }
    }
    let zone = zone.ok_or_else(|| {
        invalid(
            path,
            "the availability extension needs a `timezone` sub-extension",
        )
    })?;
    Ok(ScheduleAvailability { zone, rules })
}

fn rule_extension(so: &Map<String, Value>, path: &str) -> Result<WorkingRule> {
    check_keys(so, &["id", "url", "extension"], path)?;
    let (mut rrule, mut dtstart, mut start, mut end) = (None, None, None, None);
    for (k, p) in array(so, "extension", path)?.iter().enumerate() {
        let pp = format!("{path}.extension[{k}]");
        let po = object(p, &pp)?;
        let url = required(string(po, "url", &pp)?, &pp, "url")?;
        let value_key = match url {
            "rrule" | "end" => "valueString",
            "dtstart" => "valueDate",
            "start" => "valueTime",
            other => {
                return Err(invalid(
                    &field(&pp, "url"),
                    format!("`{other}` is not a part of a rule (use rrule, dtstart, start, end)"),
                ));
            }
        };
        check_keys(po, &["id", "url", value_key], &pp)?;
        let text = required(string(po, value_key, &pp)?, &pp, value_key)?;
        let at = field(&pp, value_key);
        match url {
            "rrule" => once(
                &mut rrule,
                RRule::parse(text).map_err(|e| e.at(&at))?,
                &pp,
                url,
            )?,
            "dtstart" => once(
                &mut dtstart,
                parse_local_date(text).map_err(|e| e.at(&at))?,
                &pp,
                url,
            )?,
            "start" => once(
                &mut start,
                LocalTime::parse(text, false).map_err(|e| e.at(&at))?,
                &pp,
                url,
            )?,
            _ => once(
                &mut end,
                LocalTime::parse(text, true).map_err(|e| e.at(&at))?,
                &pp,
                url,
            )?,
        }
    }
    let missing = |name: &str| invalid(path, format!("the rule has no `{name}` sub-extension"));
    WorkingRule::new(
        rrule.ok_or_else(|| missing("rrule"))?,
        dtstart.ok_or_else(|| missing("dtstart"))?,
        start.ok_or_else(|| missing("start"))?,
        end.ok_or_else(|| missing("end"))?,
    )
    .map_err(|e| e.at(path))
}

// ---------------------------------------------------------------------------
// JSON helpers: every error names its JSON path
// ---------------------------------------------------------------------------

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

/// `{"reference": "Appointment/ID"}`; `path` names the hcas field.
fn appointment_reference(id: &str, path: &str) -> Result<Value> {
    check_id(id, path)?;
    Ok(json!({ "reference": format!("Appointment/{id}") }))
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

    #[test]
    fn every_status_maps_and_reads_back() {
        for s in Status::ALL {
            let code = status_to_fhir(s);
            let back = FHIR_STATUSES.iter().find(|(c, _)| *c == code).map(|p| p.1);
            let expected = if s == Status::Held {
                Status::Pending
            } else {
                s
            };
            assert_eq!(back, Some(expected), "{s}");
        }
    }

    #[test]
    fn times_are_fhir_times() {
        let t = |s: &str| LocalTime::parse(s, true).unwrap();
        assert_eq!(time_text(t("09:05")), "09:05:00");
        assert_eq!(time_text(t("23:59:59")), "23:59:59");
        assert_eq!(time_text(t("24:00")), "24:00:00");
    }
}
