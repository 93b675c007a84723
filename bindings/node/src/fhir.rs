//! The FHIR R4 mapping of `hcas_core::fhir` (Consent aside), behind the
//! package's FHIR functions (index.js, section `fhir`): `Appointment` ⇄
//! `Booking`, `Slot` and `Schedule` ⇄ plain objects, the series template
//! Appointment (R5's `recurrenceTemplate`), the `Bundle`/`OperationOutcome`
//! envelopes, the `AuditEvent` export, and the `$find` and search parameter
//! helpers (`hcas_core::fhir::operation`, `hcas_core::fhir::search`).
//!
//! Conversions only. FHIR resources cross as JSON text (the wrapper parses
//! and stringifies plain objects); every refusal is the core's error, its
//! message starting with the JSON path (or hcas field) to fix. Instants go in
//! as epoch milliseconds or ISO strings and come back as ISO strings in UTC;
//! local dates are `YYYY-MM-DD` strings.

use hcas_core::booking::{Booking, Conflict};
use hcas_core::chrono::{NaiveDate, Weekday};
use hcas_core::fhir::operation::{self, Parameter};
use hcas_core::fhir::search::{self as fsearch, DateParam, Prefix, ReferenceParam, TokenParam};
use hcas_core::fhir::{
    self, AuditFacts, FhirSchedule, FhirSeries, FhirSlot, Pattern, RecurrenceTemplate,
    ScheduleAvailability, SearchEntry, SlotStatus,
};
use hcas_core::recurrence::{parse_weekday, weekday_code};
use hcas_core::time::{parse_local_date, parse_local_datetime};
use hcas_core::wire::{RuleSpec, parse_rules};
use hcas_core::{Error, ErrorCode, Interval, Timestamp, Zone};
use napi::bindgen_prelude::ClassInstance;
use napi_derive::napi;
use serde_json::{Value, json};

use crate::booking::NativeBooking;
use crate::series::{NativeOccurrenceInput, NativeSeriesSpec, occurrence_inputs};
use crate::typed::{InstantArg, instant};
use crate::{Result, parse, to_js};

/// The engine's result with its error mapped for JS.
fn js<T>(r: hcas_core::Result<T>) -> Result<T> {
    r.map_err(|e| to_js(&e))
}

/// An `invalid_request` error naming `field`.
fn refuse(field: &str, why: &str) -> napi::Error<crate::Code> {
    to_js(&Error::new(
        ErrorCode::InvalidRequest,
        format!("{field}: {why}"),
    ))
}

/// A value as JSON text (serialising a `Value` cannot fail).
fn text(v: &Value) -> String {
    v.to_string()
}

/// `[start, end)` from two instant arguments, refused as `name`.
fn interval(start: &InstantArg, end: &InstantArg, name: &str) -> Result<Interval> {
    let s = instant(start, &format!("{name}.start"))?;
    let e = instant(end, &format!("{name}.end"))?;
    js(Interval::new(s, e).map_err(|e| e.at(name)))
}

/// A local date `YYYY-MM-DD` named `name`.
fn date(text: &str, name: &str) -> Result<NaiveDate> {
    js(parse_local_date(text).map_err(|e| e.at(name)))
}

/// Local dates, each named `name[i]`.
fn dates(list: &[String], name: &str) -> Result<Vec<NaiveDate>> {
    list.iter()
        .enumerate()
        .map(|(i, d)| date(d, &format!("{name}[{i}]")))
        .collect()
}

// ---------------------------------------------------------------------------
// Appointment
// ---------------------------------------------------------------------------

/// The FHIR R4 `Appointment` of `booking`, as JSON text: `held` is written
/// `pending` with the `hold-expires` extension, resources become participant
/// references (`provider:P1` → `Practitioner/P1`). Refuses what FHIR cannot
/// carry, naming the hcas field.
#[napi]
pub fn appointment_to_fhir(booking: &NativeBooking) -> Result<String> {
    js(fhir::appointment_to_fhir(&booking.0)).map(|v| text(&v))
}

/// The booking an R4 `Appointment` (JSON text) describes; refusals start
/// with the JSON path (`participant[1].actor.reference: ...`).
#[napi]
pub fn appointment_from_fhir(resource: String) -> Result<NativeBooking> {
    let v = parse(&resource, "resource")?;
    js(fhir::appointment_from_fhir(&v)).map(NativeBooking)
}

/// `appointment_to_fhir` of an occurrence of a series plus R5's
/// `recurrenceId` extension = `number`, its place in the series.
#[napi]
pub fn occurrence_to_fhir(booking: &NativeBooking, number: u32) -> Result<String> {
    js(fhir::occurrence_to_fhir(&booking.0, number)).map(|v| text(&v))
}

/// The number of each of a series' occurrences, in the order given: its
/// 1-based place among the series' distinct recurrence ids, earliest first.
#[napi]
pub fn recurrence_numbers(occurrences: Vec<ClassInstance<NativeBooking>>) -> Result<Vec<u32>> {
    let list: Vec<Booking> = occurrences.iter().map(|b| b.0.clone()).collect();
    js(fhir::recurrence_numbers(&list))
}

// ---------------------------------------------------------------------------
// Slot
// ---------------------------------------------------------------------------

/// A Slot as the wrapper passes it (`FhirSlot`'s fields).
#[napi(object)]
pub struct NativeSlotIn {
    /// The Schedule's id.
    pub schedule: String,
    /// Its start.
    pub start: InstantArg,
    /// Its end.
    pub end: InstantArg,
    /// Its R4 status code.
    pub status: String,
    /// Its id (default: `<schedule>-<unix seconds of start>`).
    pub id: Option<String>,
    /// The services bookable in it (hcas specialty codes).
    pub service_types: Option<Vec<String>>,
}

/// A Slot as hcas models it (`hcas_core::fhir::FhirSlot`).
#[napi(object, object_from_js = false)]
pub struct NativeSlot {
    /// The slot id.
    pub id: String,
    /// The Schedule's id.
    pub schedule: String,
    /// Its start, an ISO string in UTC.
    pub start: String,
    /// Its end, an ISO string in UTC.
    pub end: String,
    /// Its R4 status code.
    pub status: String,
    /// The services bookable in it.
    pub service_types: Vec<String>,
}

/// A status code named `name`.
fn slot_status(code: &str, name: &str) -> Result<SlotStatus> {
    js(SlotStatus::parse(code).map_err(|e| e.at(name)))
}

/// The R4 `Slot` (JSON text) of `slot`, keeping its id (nothing else is
/// checked: the id and schedule should be FHIR ids, `end` after `start`).
#[napi]
pub fn slot_to_fhir(slot: NativeSlotIn) -> Result<String> {
    let mut s = FhirSlot::new(
        slot.schedule,
        instant(&slot.start, "start")?,
        instant(&slot.end, "end")?,
        slot_status(&slot.status, "status")?,
    )
    .with_service_types(slot.service_types.unwrap_or_default());
    if let Some(id) = slot.id {
        s = s.with_id(id);
    }
    Ok(text(&s.to_fhir()))
}

/// `free` R4 `Slot`s (a JSON array text) of `duration` minutes at each of
/// `starts`, of the Schedule `schedule_id`, with deterministic ids.
#[napi]
pub fn slots_to_fhir(
    schedule_id: String,
    starts: Vec<InstantArg>,
    duration: u32,
) -> Result<String> {
    let starts: Vec<Timestamp> = starts
        .iter()
        .enumerate()
        .map(|(i, t)| instant(t, &format!("starts[{i}]")))
        .collect::<Result<_>>()?;
    if duration == 0 {
        return Err(to_js(&Error::new(
            ErrorCode::InvalidDuration,
            "duration: a slot lasts at least one minute",
        )));
    }
    let duration = hcas_core::Minutes::new(i64::from(duration));
    let slots = js(fhir::slots_to_fhir(&schedule_id, &starts, duration))?;
    Ok(text(&Value::Array(slots)))
}

/// The Slot an R4 `Slot` (JSON text) describes; refusals start with the
/// JSON path (`schedule.reference: ...`).
#[napi]
pub fn slot_from_fhir(resource: String) -> Result<NativeSlot> {
    let v = parse(&resource, "resource")?;
    let s = js(fhir::slot_from_fhir(&v))?;
    Ok(NativeSlot {
        id: s.id,
        schedule: s.schedule,
        start: s.start.to_string(),
        end: s.end.to_string(),
        status: s.status.as_str().to_string(),
        service_types: s.service_types,
    })
}

/// What a deterministic slot id stands for.
#[napi(object, object_from_js = false)]
pub struct NativeSlotId {
    /// The Schedule's id.
    pub schedule: String,
    /// The slot's start, an ISO string in UTC.
    pub start: String,
}

/// The schedule id and start a deterministic slot id
/// (`<schedule_id>-<unix seconds of start>`) stands for, or `null`.
#[napi]
pub fn parse_slot_id(id: String) -> Option<NativeSlotId> {
    fhir::parse_slot_id(&id).map(|(schedule, at)| NativeSlotId {
        schedule: schedule.to_string(),
        start: at.to_string(),
    })
}

/// The R4 codes of every slot status, in the engine's order.
#[napi]
pub fn slot_statuses() -> Vec<String> {
    SlotStatus::ALL
        .iter()
        .map(|s| s.as_str().to_string())
        .collect()
}

// ---------------------------------------------------------------------------
// Schedule
// ---------------------------------------------------------------------------

/// A Schedule as the wrapper passes it, flattened.
#[napi(object)]
pub struct NativeScheduleIn {
    /// The schedule id.
    pub id: String,
    /// The hcas resources whose availability it is (`provider:P1`).
    pub actors: Vec<String>,
    /// The planning horizon's start (with `horizon_end`), if any.
    pub horizon_start: Option<InstantArg>,
    /// The planning horizon's end.
    pub horizon_end: Option<InstantArg>,
    /// Whether it is in use.
    pub active: bool,
    /// The zone of its working hours; `None`: no working hours.
    pub zone: Option<String>,
    /// Its working rules as JSON text (the `slots` input's `rules` shape).
    pub rules_json: Option<String>,
    /// Its specialty codes.
    pub specialties: Vec<String>,
}

/// A Schedule as hcas models it (`hcas_core::fhir::FhirSchedule`), flattened.
#[napi(object, object_from_js = false)]
pub struct NativeSchedule {
    /// The schedule id.
    pub id: String,
    /// The hcas resources whose availability it is.
    pub actors: Vec<String>,
    /// The planning horizon's start, an ISO string in UTC, or `null`.
    pub horizon_start: Option<String>,
    /// The planning horizon's end, or `null`.
    pub horizon_end: Option<String>,
    /// Whether it is in use.
    pub active: bool,
    /// The zone of its working hours, or `null` when it has none.
    pub zone: Option<String>,
    /// Its working rules as JSON text, `[{ rrule, dtstart, start, end }]`.
    pub rules_json: String,
    /// Its specialty codes.
    pub specialties: Vec<String>,
}

/// The R4 `Schedule` (JSON text) of `schedule`, working hours in the hcas
/// `availability` extension. Refuses what FHIR cannot carry, naming the
/// field (`actors[0]`, `id`, ...).
#[napi]
pub fn schedule_to_fhir(schedule: NativeScheduleIn) -> Result<String> {
    let mut s = FhirSchedule::new(schedule.id, schedule.actors)
        .with_active(schedule.active)
        .with_specialties(schedule.specialties);
    match (&schedule.horizon_start, &schedule.horizon_end) {
        (Some(a), Some(b)) => s = s.with_planning_horizon(interval(a, b, "planningHorizon")?),
        (None, None) => {}
        _ => return Err(refuse("planningHorizon", "give both start and end")),
    }
    if let Some(zone) = schedule.zone {
        let zone = js(Zone::parse(&zone).map_err(|e| e.at("availability.zone")))?;
        let specs: Vec<RuleSpec> = match schedule.rules_json {
            None => Vec::new(),
            Some(t) => serde_json::from_value(parse(&t, "availability.rules")?).map_err(|e| {
                refuse(
                    "availability.rules",
                    &format!("not [{{ rrule, dtstart, start, end }}]: {e}"),
                )
            })?,
        };
        let rules = js(parse_rules(&specs).map_err(|e| e.at("availability")))?;
        s = s.with_availability(ScheduleAvailability::new(zone, rules));
    }
    js(fhir::schedule_to_fhir(&s)).map(|v| text(&v))
}

/// The Schedule an R4 `Schedule` (JSON text) describes; refusals start
/// with the JSON path (`actor[1].reference: ...`).
#[napi]
pub fn schedule_from_fhir(resource: String) -> Result<NativeSchedule> {
    let v = parse(&resource, "resource")?;
    let s = js(fhir::schedule_from_fhir(&v))?;
    let rules: Vec<Value> = s
        .availability
        .as_ref()
        .map(|a| {
            a.rules
                .iter()
                .map(|r| {
                    json!({
                        "rrule": r.rrule().to_string(),
                        "dtstart": r.dtstart().to_string(),
                        "start": r.window().start().to_string(),
                        "end": r.window().end().to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(NativeSchedule {
        id: s.id,
        actors: s.actors,
        horizon_start: s.planning_horizon.map(|h| h.start().to_string()),
        horizon_end: s.planning_horizon.map(|h| h.end().to_string()),
        active: s.active,
        zone: s.availability.as_ref().map(|a| a.zone.name().to_string()),
        rules_json: text(&Value::Array(rules)),
        specialties: s.specialties,
    })
}

// ---------------------------------------------------------------------------
// Bundle and OperationOutcome
// ---------------------------------------------------------------------------

/// Searchset entries from JSON text `[{ base, resource, mode }]`.
fn entries(entries_json: &str) -> Result<Vec<SearchEntry>> {
    let v = parse(entries_json, "entries")?;
    let Value::Array(items) = v else {
        return Err(refuse("entries", "not a list of { base, resource, mode }"));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let name = format!("entries[{i}]");
            let base = e["base"]
                .as_str()
                .ok_or_else(|| refuse(&format!("{name}.base"), "give the FHIR base URL"))?
                .to_string();
            let mode = e["mode"].as_str().unwrap_or("match").to_string();
            let resource = e.get("resource").cloned().unwrap_or(Value::Null);
            if !resource.is_object() {
                return Err(refuse(
                    &format!("{name}.resource"),
                    "give a resource object",
                ));
            }
            match mode.as_str() {
                "match" => Ok(SearchEntry::matched(&base, resource)),
                "include" => Ok(SearchEntry::included(&base, resource)),
                other => Err(refuse(
                    &format!("{name}.mode"),
                    &format!("`{other}` is not a mode; use match or include"),
                )),
            }
        })
        .collect()
}

/// A `searchset` Bundle (JSON text): `total` matches in all, this page's
/// entries (JSON text `[{ base, resource, mode }]`), the `self` link and the
/// `next` one when given.
#[napi]
pub fn searchset(
    total: u32,
    self_url: String,
    next_url: Option<String>,
    entries_json: String,
) -> Result<String> {
    let v = fhir::searchset(
        total as usize,
        &self_url,
        next_url.as_deref(),
        entries(&entries_json)?,
    );
    Ok(text(&v))
}

/// A `searchset` Bundle without `total`, for a search paged by a cursor.
#[napi]
pub fn searchset_page(
    self_url: String,
    next_url: Option<String>,
    entries_json: String,
) -> Result<String> {
    let v = fhir::searchset_page(&self_url, next_url.as_deref(), entries(&entries_json)?);
    Ok(text(&v))
}

/// An `OperationOutcome` (JSON text) with one error issue of FHIR type
/// `issue_type`, the hcas stable `code` and `text`.
#[napi]
pub fn operation_outcome(issue_type: String, code: String, text: String) -> String {
    self::text(&fhir::operation_outcome(&issue_type, &code, &text))
}

/// The `OperationOutcome` (JSON text) of a booking conflict: the `conflict`
/// issue with `text`, then one issue per conflicting booking. Conflict `i`
/// is `resources[i]` taken by the bookings `bookings[i]`.
#[napi]
pub fn conflict_outcome(
    text: String,
    resources: Vec<String>,
    bookings: Vec<Vec<String>>,
) -> Result<String> {
    if resources.len() != bookings.len() {
        return Err(refuse("conflicts", "one list of bookings per resource"));
    }
    let list: Vec<Conflict> = resources
        .into_iter()
        .zip(bookings)
        .map(|(r, with)| Conflict::new(r, with))
        .collect();
    Ok(self::text(&fhir::conflict_outcome(&text, &list)))
}

/// The hcas error code system of `OperationOutcome.issue.details.coding`.
#[napi]
pub fn error_system() -> String {
    fhir::ERROR_SYSTEM.to_string()
}

// ---------------------------------------------------------------------------
// AuditEvent
// ---------------------------------------------------------------------------

/// One audit record's fields (`hcas_core::fhir::AuditFacts`).
#[napi(object)]
pub struct NativeAuditFacts {
    /// The resource id (the record's sequence number).
    pub id: String,
    /// When it happened.
    pub recorded: InstantArg,
    /// Who (a token's subject).
    pub actor: String,
    /// The actor's roles.
    pub roles: Vec<String>,
    /// What was done (`patient.read`).
    pub action: String,
    /// What it was done to (`booking:a1`).
    pub target: String,
    /// The patient whose data it touched.
    pub patient: Option<String>,
    /// The purpose of use (`TREAT`).
    pub purpose: Option<String>,
    /// `permit`, `deny`, `ok`, `error`.
    pub outcome: String,
    /// The detail names, in order.
    pub detail_names: Vec<String>,
    /// The detail texts, one per name.
    pub detail_texts: Vec<String>,
    /// The organization whose log it is.
    pub site: Option<String>,
}

/// The audit record `facts` as an R4 `AuditEvent` (JSON text, export
/// only); refuses an id that is not a FHIR id or an empty text field.
#[napi]
pub fn audit_event_to_fhir(facts: NativeAuditFacts) -> Result<String> {
    if facts.detail_names.len() != facts.detail_texts.len() {
        return Err(refuse("details", "one text per name"));
    }
    let f = AuditFacts {
        id: facts.id,
        recorded: instant(&facts.recorded, "recorded")?,
        actor: facts.actor,
        roles: facts.roles,
        action: facts.action,
        target: facts.target,
        patient: facts.patient,
        purpose: facts.purpose,
        outcome: facts.outcome,
        details: facts
            .detail_names
            .into_iter()
            .zip(facts.detail_texts)
            .collect(),
        site: facts.site,
    };
    js(fhir::audit_event_to_fhir(&f)).map(|v| text(&v))
}

// ---------------------------------------------------------------------------
// Series template: R5 `recurrenceTemplate` on an R4 Appointment
// ---------------------------------------------------------------------------

/// A recurrence template (`hcas_core::fhir::RecurrenceTemplate`), both ways.
#[napi(object)]
pub struct NativeTemplate {
    /// The IANA zone its wall times are in.
    pub zone: String,
    /// R5's `recurrenceType` (UCUM): `d`, `wk`, `mo` or `a`.
    pub recurrence_type: String,
    /// A weekly template's days, RFC 5545 codes (`MO`..`SU`).
    pub days: Vec<String>,
    /// A monthly template's day of the month.
    pub day: Option<u32>,
    /// Every how many weeks, months or years (1 for daily).
    pub interval: u32,
    /// `occurrenceCount`.
    pub occurrence_count: Option<u32>,
    /// `lastOccurrenceDate`, `YYYY-MM-DD`.
    pub last_occurrence_date: Option<String>,
    /// `occurrenceDate`: extra dates.
    pub occurrence_dates: Vec<String>,
    /// `excludingDate`: dates left out.
    pub excluding_dates: Vec<String>,
}

impl NativeTemplate {
    /// The core's template, checked field by field.
    fn core(&self) -> Result<RecurrenceTemplate> {
        let zone = js(Zone::parse(&self.zone).map_err(|e| e.at("zone")))?;
        let days: Vec<Weekday> = self
            .days
            .iter()
            .enumerate()
            .map(|(i, c)| {
                parse_weekday(c).ok_or_else(|| {
                    refuse(
                        &format!("days[{i}]"),
                        &format!("`{c}` is not a weekday code; use MO, TU, WE, TH, FR, SA or SU"),
                    )
                })
            })
            .collect::<Result<_>>()?;
        let ty = self.recurrence_type.as_str();
        let pattern = match ty {
            "d" => {
                if self.interval != 1 {
                    return Err(refuse(
                        "interval",
                        "R5's daily template has no interval; give 1",
                    ));
                }
                Pattern::Daily
            }
            "wk" => Pattern::Weekly {
                days: days.clone(),
                interval: self.interval,
            },
            "mo" => match self.day {
                Some(day) => Pattern::Monthly {
                    day: u8::try_from(day)
                        .map_err(|_| refuse("day", "a day of the month is 1 to 31"))?,
                    interval: self.interval,
                },
                None => {
                    return Err(refuse(
                        "day",
                        "a monthly template needs its day of the month",
                    ));
                }
            },
            "a" => Pattern::Yearly {
                interval: self.interval,
            },
            other => {
                return Err(refuse(
                    "recurrenceType",
                    &format!("`{other}` is not a recurrence type; use d, wk, mo or a"),
                ));
            }
        };
        if ty != "wk" && !days.is_empty() {
            return Err(refuse("days", "only a weekly template has days"));
        }
        if ty != "mo" && self.day.is_some() {
            return Err(refuse(
                "day",
                "only a monthly template has a day of the month",
            ));
        }
        let mut t = RecurrenceTemplate::new(zone, pattern).dates(
            dates(&self.occurrence_dates, "occurrenceDates")?,
            dates(&self.excluding_dates, "excludingDates")?,
        );
        if let Some(n) = self.occurrence_count {
            t = t.count(n);
        }
        if let Some(d) = &self.last_occurrence_date {
            t = t.last_date(date(d, "lastOccurrenceDate")?);
        }
        Ok(t)
    }

    /// The core's template as the wrapper's.
    fn of(t: &RecurrenceTemplate) -> Self {
        let (ty, days, day, interval) = match &t.pattern {
            Pattern::Weekly { days, interval } => (
                "wk",
                days.iter().map(|d| weekday_code(*d).to_string()).collect(),
                None,
                *interval,
            ),
            Pattern::Monthly { day, interval } => {
                ("mo", Vec::new(), Some(u32::from(*day)), *interval)
            }
            Pattern::Yearly { interval } => ("a", Vec::new(), None, *interval),
            _ => ("d", Vec::new(), None, 1),
        };
        let texts = |d: &[NaiveDate]| d.iter().map(ToString::to_string).collect();
        Self {
            zone: t.zone.name().to_string(),
            recurrence_type: ty.to_string(),
            days,
            day,
            interval,
            occurrence_count: t.occurrence_count,
            last_occurrence_date: t.last_occurrence_date.map(|d| d.to_string()),
            occurrence_dates: texts(&t.occurrence_dates),
            excluding_dates: texts(&t.excluding_dates),
        }
    }
}

/// The `recurrenceTemplate` extension (JSON text) of a template.
#[napi]
pub fn recurrence_template_to_fhir(template: NativeTemplate) -> Result<String> {
    Ok(text(&template.core()?.to_fhir()))
}

/// The template of a `recurrenceTemplate` extension (JSON text); refusals
/// start with `path`, its JSON path in the resource.
#[napi]
pub fn recurrence_template_from_fhir(extension: String, path: String) -> Result<NativeTemplate> {
    let v = parse(&extension, "extension")?;
    js(RecurrenceTemplate::from_fhir(&v, &path)).map(|t| NativeTemplate::of(&t))
}

/// The parts of a recurrence set, for the wrapper's `Recurrence`.
#[napi(object, object_from_js = false)]
pub struct NativeRecurrenceParts {
    /// The rule, normalised RRULE text.
    pub rrule: String,
    /// The first occurrence's wall time.
    pub dtstart: String,
    /// The IANA zone.
    pub zone: String,
    /// EXDATEs, wall times.
    pub exdates: Vec<String>,
    /// RDATEs, wall times.
    pub rdates: Vec<String>,
}

/// The recurrence a template describes from the wall time `dtstart` (the
/// first occurrence's), as its parts.
#[napi]
pub fn template_recurrence(
    template: NativeTemplate,
    dtstart: String,
) -> Result<NativeRecurrenceParts> {
    let start = js(parse_local_datetime(&dtstart).map_err(|e| e.at("dtstart")))?;
    let rec = js(template.core()?.recurrence(start))?;
    Ok(recurrence_parts(&rec))
}

/// A recurrence set as its parts (wall times `YYYY-MM-DDTHH:MM:SS`).
pub(crate) fn recurrence_parts(rec: &hcas_core::Recurrence) -> NativeRecurrenceParts {
    let wall = |t: &hcas_core::chrono::NaiveDateTime| t.format("%Y-%m-%dT%H:%M:%S").to_string();
    NativeRecurrenceParts {
        rrule: rec.rule().to_string(),
        dtstart: wall(&rec.dtstart()),
        zone: rec.zone().name().to_string(),
        exdates: rec.exdates().iter().map(wall).collect(),
        rdates: rec.rdates().iter().map(wall).collect(),
    }
}

/// A series template Appointment: its first occurrence as a booking and its
/// recurrence template.
#[napi]
pub struct NativeFhirSeries(FhirSeries);

#[napi]
impl NativeFhirSeries {
    /// The Appointment read as a booking (the first occurrence).
    #[napi]
    pub fn template(&self) -> NativeBooking {
        NativeBooking(self.0.template.clone())
    }

    /// The recurrence template.
    #[napi]
    pub fn recurrence(&self) -> NativeTemplate {
        NativeTemplate::of(&self.0.recurrence)
    }

    /// The series to book, with series id `id`: every occurrence as long as
    /// the template, using its resources, from its start read as a wall time
    /// in the recurrence's zone (`hcas_core::fhir::FhirSeries::spec`).
    #[napi]
    pub fn spec(&self, id: String) -> Result<NativeSeriesSpec> {
        js(self.0.spec(&id)).map(NativeSeriesSpec)
    }
}

/// The series template an Appointment (JSON text) describes, or `null`
/// when it has no `recurrenceTemplate` extension.
#[napi]
pub fn series_from_fhir(resource: String) -> Result<Option<NativeFhirSeries>> {
    let v = parse(&resource, "resource")?;
    Ok(js(fhir::series_from_fhir(&v))?.map(NativeFhirSeries))
}

/// The `OperationOutcome` (JSON text) of a series refused for conflicts:
/// the `conflict` issue with `message`, then one issue per conflicting
/// occurrence naming its recurrence id, its start and what holds it, in the
/// order given (`hcas_core::fhir::series_conflict_outcome`).
#[napi]
pub fn series_conflict_outcome(
    message: String,
    occurrences: Vec<NativeOccurrenceInput>,
) -> Result<String> {
    let list = occurrence_inputs(&occurrences, "occurrences")?;
    Ok(text(&fhir::series_conflict_outcome(&message, &list)))
}

/// The series template Appointment (JSON text): `appointment_to_fhir` of
/// `template` with the `recurrenceTemplate` extension of `recurrence`.
#[napi]
pub fn series_to_fhir(template: &NativeBooking, recurrence: NativeTemplate) -> Result<String> {
    let series = FhirSeries::new(template.0.clone(), recurrence.core()?);
    js(fhir::series_to_fhir(&series)).map(|v| text(&v))
}

// ---------------------------------------------------------------------------
// $find and search parameters
// ---------------------------------------------------------------------------

/// The parameters of a `Parameters` resource (JSON text), as JSON text
/// `[{ name, element, value, text }]` in order (`text`: the value as text,
/// or `null` for a datatype with none).
#[napi]
pub fn read_parameters(resource: String) -> Result<String> {
    let v = parse(&resource, "resource")?;
    let list: Vec<Value> = js(operation::read_parameters(&v))?
        .iter()
        .map(|p: &Parameter| {
            json!({ "name": p.name, "element": p.element, "value": p.value, "text": p.text() })
        })
        .collect();
    Ok(text(&Value::Array(list)))
}

/// The id of the proposed Appointment of `provider` with `patient` at
/// `start`, or `null` when the ids make no FHIR id.
#[napi]
pub fn proposal_id(provider: String, patient: String, start: InstantArg) -> Result<Option<String>> {
    Ok(operation::proposal_id(
        &provider,
        &patient,
        instant(&start, "start")?,
    ))
}

/// What a proposed Appointment's id says.
#[napi(object, object_from_js = false)]
pub struct NativeProposal {
    /// The practitioner (hcas provider) id.
    pub provider: String,
    /// The patient id.
    pub patient: String,
    /// The start, an ISO string in UTC.
    pub start: String,
}

/// What a proposed Appointment's id says, or `null` when it is not one.
#[napi]
pub fn parse_proposal_id(id: String) -> Option<NativeProposal> {
    operation::parse_proposal_id(&id).map(|p| NativeProposal {
        provider: p.provider,
        patient: p.patient,
        start: p.start.to_string(),
    })
}

/// The proposed Appointment (JSON text) of `provider` with `patient` over
/// `[start, end)`, with its proposal id.
#[napi]
pub fn proposed_appointment(
    provider: String,
    patient: String,
    start: InstantArg,
    end: InstantArg,
) -> Result<String> {
    let slot = js(Interval::new(
        instant(&start, "start")?,
        instant(&end, "end")?,
    ))?;
    js(operation::proposed_appointment(&provider, &patient, slot)).map(|v| text(&v))
}

/// An optional instant as an optional ISO string.
fn iso(t: Option<Timestamp>) -> Option<String> {
    t.map(|t| t.to_string())
}

/// A FHIR `date` search value parsed from its text.
#[napi]
pub struct NativeDateParam(DateParam);

#[napi]
impl NativeDateParam {
    /// Parse `text` (`ge2026-05-04`); a time needs an offset.
    #[napi(constructor)]
    pub fn new(text: String) -> Result<Self> {
        js(DateParam::parse(&text)).map(Self)
    }

    /// The prefix's two-letter code (`eq` when none is written).
    #[napi(getter)]
    pub fn prefix(&self) -> String {
        self.0.prefix.as_str().to_string()
    }

    /// The first second of the value's range (ISO string in UTC).
    #[napi(getter)]
    pub fn lower(&self) -> String {
        self.0.lower.to_string()
    }

    /// The first second after the value's range.
    #[napi(getter)]
    pub fn upper(&self) -> String {
        self.0.upper.to_string()
    }

    /// Whether the instant `t` matches.
    #[napi]
    pub fn matches_instant(&self, t: InstantArg) -> Result<bool> {
        Ok(self.0.matches_instant(instant(&t, "t")?))
    }

    /// Whether the period `[start, end)` matches.
    #[napi]
    pub fn matches_period(&self, start: InstantArg, end: InstantArg) -> Result<bool> {
        Ok(self
            .0
            .matches_period(instant(&start, "start")?, instant(&end, "end")?))
    }

    /// `[earliest, first after the latest]` a match can reach (`null`:
    /// unbounded on that side).
    #[napi]
    pub fn bounds(&self) -> Vec<Option<String>> {
        let (lo, hi) = self.0.bounds();
        vec![iso(lo), iso(hi)]
    }

    /// The instants matched, exactly, as `[from, to]` of `[from, to)`
    /// (`null`: unbounded); `null` for `ne`.
    #[napi]
    pub fn instant_range(&self) -> Option<Vec<Option<String>>> {
        self.0
            .instant_range()
            .map(|(lo, hi)| vec![iso(lo), iso(hi)])
    }
}

/// A FHIR `token` search value parsed from its text.
#[napi]
pub struct NativeTokenParam(TokenParam);

#[napi]
impl NativeTokenParam {
    /// Parse `code`, `system|code`, `|code` or `system|`.
    #[napi(constructor)]
    pub fn new(text: String) -> Result<Self> {
        js(TokenParam::parse(&text)).map(Self)
    }

    /// The system: `null` when not given, `""` for `|code`.
    #[napi(getter)]
    pub fn system(&self) -> Option<String> {
        self.0.system.clone()
    }

    /// The code; `null` for `system|`.
    #[napi(getter)]
    pub fn code(&self) -> Option<String> {
        self.0.code.clone()
    }

    /// Whether a coding of `system` (`null`: none) and `code` matches.
    #[napi]
    pub fn matches(&self, system: Option<String>, code: String) -> bool {
        self.0.matches(system.as_deref(), &code)
    }
}

/// A FHIR `reference` search value parsed from its text.
#[napi]
pub struct NativeReferenceParam(ReferenceParam);

#[napi]
impl NativeReferenceParam {
    /// Parse `Type/id` or `id` for a parameter of target `types`.
    #[napi(constructor)]
    pub fn new(text: String, types: Vec<String>) -> Result<Self> {
        let refs: Vec<&str> = types.iter().map(String::as_str).collect();
        js(ReferenceParam::parse(&text, &refs)).map(Self)
    }

    /// The resource type, if given.
    #[napi(getter)]
    pub fn resource_type(&self) -> Option<String> {
        self.0.resource_type.clone()
    }

    /// The id.
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.0.id.clone()
    }

    /// Whether it may name the resource of type `resource_type` with `id`.
    #[napi]
    pub fn names(&self, resource_type: String, id: String) -> bool {
        self.0.names(&resource_type, &id)
    }
}

/// `_count` parsed: a whole number from 0 to `max_count()`.
#[napi]
pub fn parse_count(text: String) -> Result<u32> {
    let n = js(fsearch::parse_count(&text))?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// The largest `_count` (`hcas_core::fhir::search::MAX_COUNT`).
#[napi]
pub fn max_count() -> u32 {
    u32::try_from(fsearch::MAX_COUNT).unwrap_or(u32::MAX)
}

/// The two-letter codes of the search prefixes, in the engine's order.
#[napi]
pub fn search_prefixes() -> Vec<String> {
    Prefix::ALL.iter().map(|p| p.as_str().to_string()).collect()
}
