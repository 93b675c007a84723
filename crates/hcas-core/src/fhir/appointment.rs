//! FHIR R4 `Appointment` ⇄ [`Booking`].
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
//! | `series.recurrence_id` | `extension[url=https://hcas.dev/fhir/StructureDefinition/recurrence-id].valueString` (`YYYY-MM-DDTHH:MM:SS`) |
//! | (its place in the series, when the series is known: [`occurrence_to_fhir`]) | `extension[url=http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.recurrenceId].valuePositiveInt` |
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
//! - The two series extensions (`recurrence-id`, `originatingAppointment`) go
//!   together. hcas recurrence ids are local wall-clock datetimes without an
//!   offset (`YYYY-MM-DDTHH:MM:SS`, the occurrence's original local start, as
//!   RFC 5545's `RECURRENCE-ID`). A FHIR `dateTime` with a time must carry an
//!   offset, so the hcas extension is a `valueString`; one with an offset or a
//!   date only is refused.
//! - R5's `Appointment.recurrenceId` is a `positiveInt`, the occurrence's
//!   number in its series. [`occurrence_to_fhir`] writes it (as the R4
//!   cross-version extension) where the series is known: 1 for the earliest
//!   recurrence id of the series, counting every occurrence hcas holds for
//!   it, cancelled ones too ([`recurrence_numbers`]). Import checks it is a
//!   positive integer and that the hcas `recurrence-id` is there too, then
//!   ignores it (the recurrence id names the occurrence). A `valueDateTime` on
//!   it (hcas' own form before it used `recurrence-id`, never valid FHIR) is
//!   refused, naming the hcas extension.
//!
//! Ignored on import (informational, not modelled by hcas): `meta`, `language`,
//! `text`, `contained`, `identifier`, `serviceCategory`, `serviceType`,
//! `specialty`, `appointmentType`, `reasonCode`, `reasonReference`, `priority`,
//! `description`, `supportingInformation`, `slot`, `created`, `comment`,
//! `patientInstruction`, `basedOn`, `requestedPeriod`, `cancelationReason.coding`,
//! `participant.type`, `participant.required`, `participant.status` (other than
//! `declined`), `actor.display`, `actor.identifier`, and unknown extensions.
//! Export writes none of them.

use super::*;

/// Extension on a `pending` Appointment: the instant an hcas hold lapses (`valueInstant`).
pub const EXT_HOLD_EXPIRES: &str = "https://hcas.dev/fhir/StructureDefinition/hold-expires";
/// Extension: the Appointment this one replaces (`valueReference`).
pub const EXT_REPLACES: &str = "https://hcas.dev/fhir/StructureDefinition/replaces";
/// Extension: the Appointment that replaced this one (`valueReference`).
pub const EXT_REPLACED_BY: &str = "https://hcas.dev/fhir/StructureDefinition/replaced-by";
/// Extension: an occurrence's hcas recurrence id, its original local start
/// `YYYY-MM-DDTHH:MM:SS` without offset (`valueString`: a FHIR `dateTime`
/// with a time needs an offset).
pub const EXT_RECURRENCE_ID: &str = "https://hcas.dev/fhir/StructureDefinition/recurrence-id";
/// R5 `Appointment.recurrenceId` as an R4 cross-version extension
/// (`valuePositiveInt`): the occurrence's number in its series.
pub const EXT_R5_RECURRENCE_ID: &str =
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.recurrenceId";
/// R5 `Appointment.originatingAppointment` as an R4 cross-version extension (`valueReference`).
pub const EXT_ORIGINATING_APPOINTMENT: &str =
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.originatingAppointment";

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
/// ```
/// use hcas_core::booking::Booking;
/// use hcas_core::fhir::{appointment_from_fhir, appointment_to_fhir};
/// use hcas_core::Interval;
/// let slot = Interval::parse("2026-05-04T09:00:00Z", "2026-05-04T09:45:00Z").unwrap();
/// let b = Booking::new("a1", vec!["provider:P1".into(), "room:R2".into()], slot);
/// let fhir = appointment_to_fhir(&b).unwrap();
/// assert_eq!(fhir["participant"][1]["actor"]["reference"], "Location/R2");
/// assert_eq!(fhir["minutesDuration"], 45);
/// assert_eq!(appointment_from_fhir(&fhir).unwrap(), b);
/// ```
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
            "valueString": series.recurrence_id,
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

/// The FHIR R4 `Appointment` of an occurrence whose series is known:
/// [`appointment_to_fhir`] plus R5's `recurrenceId` (the R4 cross-version
/// extension, `valuePositiveInt`) = `number`, its place in the series
/// ([`recurrence_numbers`]).
///
/// ```
/// use hcas_core::booking::{Booking, SeriesRef};
/// use hcas_core::fhir::{EXT_R5_RECURRENCE_ID, occurrence_to_fhir, recurrence_numbers};
/// use hcas_core::Interval;
/// let occurrence = |id: &str, day: u32| {
///     let at = format!("2026-05-{day:02}T09:00:00");
///     let mut b = Booking::new(id, vec!["provider:P1".into()],
///         Interval::parse(&format!("{at}Z"), &format!("2026-05-{day:02}T09:30:00Z")).unwrap());
///     b.series = Some(SeriesRef::new("s", at));
///     b
/// };
/// let series = [occurrence("s-12", 12), occurrence("s-05", 5)];
/// assert_eq!(recurrence_numbers(&series).unwrap(), [2, 1]);
/// let fhir = occurrence_to_fhir(&series[0], 2).unwrap();
/// assert_eq!(fhir["extension"][2], serde_json::json!({
///     "url": EXT_R5_RECURRENCE_ID, "valuePositiveInt": 2 }));
/// ```
///
/// # Errors
/// As [`appointment_to_fhir`]; `invalid_request` for a booking that is not
/// an occurrence of a series, or a `number` that is not a FHIR
/// `positiveInt`.
pub fn occurrence_to_fhir(booking: &Booking, number: u32) -> Result<Value> {
    if booking.series.is_none() {
        return Err(invalid(
            "series",
            format!(
                "booking {} is not an occurrence of a series; it has no recurrenceId",
                booking.id
            ),
        ));
    }
    let number = positive(&number.into(), "series.recurrence_id")?;
    let mut out = appointment_to_fhir(booking)?;
    if let Some(list) = out.get_mut("extension").and_then(Value::as_array_mut) {
        list.push(json!({ "url": EXT_R5_RECURRENCE_ID, "valuePositiveInt": number }));
    }
    Ok(out)
}

/// The number of each of a series' occurrences, in the order given: its
/// 1-based place among the series' distinct recurrence ids, earliest first.
/// Pass every occurrence hcas holds for the series (cancelled ones too);
/// bookings sharing a recurrence id (a moved occurrence and the booking it
/// replaced) share a number.
///
/// # Errors
/// `invalid_request` at `occurrences[i]` for a booking that is not an
/// occurrence of the first one's series; `invalid_datetime` at
/// `occurrences[i].series.recurrence_id` for a recurrence id that is not a
/// local datetime.
pub fn recurrence_numbers(occurrences: &[Booking]) -> Result<Vec<u32>> {
    let mut ids = Vec::with_capacity(occurrences.len());
    let mut series_id = None;
    for (i, b) in occurrences.iter().enumerate() {
        let path = format!("occurrences[{i}]");
        let s = b.series.as_ref().ok_or_else(|| {
            invalid(
                &path,
                format!("booking {} is not an occurrence of a series", b.id),
            )
        })?;
        let first = *series_id.get_or_insert(&s.id);
        if first != &s.id {
            return Err(invalid(
                &path,
                format!(
                    "booking {} is an occurrence of series {}, not {first}",
                    b.id, s.id
                ),
            ));
        }
        let at = parse_local_datetime(&s.recurrence_id)
            .map_err(|e| e.at(&field(&path, "series.recurrence_id")))?;
        ids.push(at);
    }
    let mut distinct = ids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    ids.iter()
        .map(|at| {
            let rank = distinct.partition_point(|x| x < at) + 1;
            u32::try_from(rank).map_err(|_| {
                Error::request(format!(
                    "a series of {} occurrences has no FHIR numbers",
                    distinct.len()
                ))
            })
        })
        .collect()
}

/// The hcas extensions found on an Appointment, each with its JSON path.
#[derive(Default)]
struct AppointmentExtensions {
    hold_expires: Option<(Timestamp, String)>,
    replaces: Option<String>,
    replaced_by: Option<String>,
    recurrence_id: Option<(String, String)>,
    /// R5 `recurrenceId` (the occurrence's number), its path.
    number: Option<(u32, String)>,
    originating: Option<(String, String)>,
}

/// Set `slot` once; a second occurrence of the extension is an error at `path`.
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
                check_keys(eo, &["id", "url", "valueString"], &path)?;
                let at = field(&path, "valueString");
                let text = required(string(eo, "valueString", &path)?, &path, "valueString")?;
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
            EXT_R5_RECURRENCE_ID => {
                if eo.contains_key("valueDateTime") {
                    return Err(invalid(
                        &field(&path, "valueDateTime"),
                        format!(
                            "R5 recurrenceId is a positiveInt (the occurrence's number in its \
                             series), not a dateTime; give the hcas recurrence id (the original \
                             local start YYYY-MM-DDTHH:MM:SS) in extension {EXT_RECURRENCE_ID} \
                             as a valueString"
                        ),
                    ));
                }
                check_keys(eo, &["id", "url", "valuePositiveInt"], &path)?;
                let at = field(&path, "valuePositiveInt");
                let n = positive(
                    required(eo.get("valuePositiveInt"), &path, "valuePositiveInt")?,
                    &at,
                )?;
                once(&mut found.number, (n, path.clone()), &path, url)?;
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
/// ```
/// use hcas_core::booking::Status;
/// use hcas_core::fhir::appointment_from_fhir;
/// let b = appointment_from_fhir(&serde_json::json!({
///     "resourceType": "Appointment", "id": "a1", "status": "booked",
///     "start": "2026-05-04T09:00:00Z", "end": "2026-05-04T09:30:00Z",
///     "participant": [ { "actor": { "reference": "Practitioner/P1" }, "status": "accepted" },
///                      { "actor": { "reference": "Patient/X1" }, "status": "accepted" } ]
/// })).unwrap();
/// assert_eq!(b.status, Status::Booked);
/// assert_eq!(b.resources, ["provider:P1", "patient:X1"]);
/// ```
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
    if let (None, Some((_, path))) = (&ext.recurrence_id, &ext.number) {
        return Err(invalid(
            path,
            format!(
                "R5 recurrenceId numbers an occurrence but does not name it; hcas needs the \
                 occurrence's recurrence id (its original local start YYYY-MM-DDTHH:MM:SS) in \
                 extension {EXT_RECURRENCE_ID} as a valueString"
            ),
        ));
    }
    let series = match (ext.recurrence_id, ext.originating) {
        (Some((recurrence_id, _)), Some((series_id, _))) => Some(SeriesRef {
            id: series_id,
            recurrence_id,
        }),
        (Some((_, path)), None) => {
            return Err(invalid(
                &path,
                "a recurrence-id without an originatingAppointment extension; \
                 an hcas occurrence needs both its series and its recurrence id",
            ));
        }
        (None, Some((_, path))) => {
            return Err(invalid(
                &path,
                "an originatingAppointment without a recurrence-id extension; \
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

/// `{"reference": "Appointment/ID"}`; `path` names the hcas field.
fn appointment_reference(id: &str, path: &str) -> Result<Value> {
    check_id(id, path)?;
    Ok(json!({ "reference": format!("Appointment/{id}") }))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
