//! The FHIR R4 mapping of `hcas_core::fhir`, Consent aside (`consent.rs`
//! wraps that): `Appointment` ⇄ `hcas.Booking`, `Slot` ⇄ `hcas.FhirSlot`,
//! `Schedule` ⇄ `hcas.FhirSchedule`, a series template `Appointment` (R5's
//! `recurrenceTemplate`) ⇄ `hcas.FhirSeries`, the `Bundle`/`OperationOutcome`
//! envelopes and the `AuditEvent` export, as functions named as the core's.
//! Resources are plain dicts (the JSON shape) in and out; every refusal is
//! the core's error, its message starting with the JSON path (or hcas field)
//! to fix. Slot statuses are the `enum.Enum` `hcas.SlotStatus` (defined in
//! `python/hcas/__init__.py`, its values the R4 codes, `SLOT_STATUSES`).

use std::hash::{Hash, Hasher};

use hcas_core::booking::{Booking, Conflict};
use hcas_core::chrono::{NaiveDate, Weekday};
use hcas_core::fhir::{
    self, AuditFacts, FhirSchedule, FhirSeries, FhirSlot, Pattern, RecurrenceTemplate,
    ScheduleAvailability, SearchEntry, SlotStatus,
};
use hcas_core::recurrence::{parse_weekday, weekday_code};
use hcas_core::{ErrorCode, Interval, Timestamp};
use pyo3::prelude::*;
use pyo3::types::{PyDateTime, PyList, PyString, PyTuple};

use crate::advice::{enum_member, interval_pair};
use crate::availability::{PyAvailability, PyWorkingRule};
use crate::booking::PyBooking;
use crate::convert;
use crate::errors::{IntoPyResult, error};
use crate::recurrence::PyRecurrence;
use crate::zone::PyZone;

/// A resource dict as JSON (`resource` names it in a refusal).
fn resource_json(obj: &Bound<'_, PyAny>) -> PyResult<serde_json::Value> {
    crate::json::to_json(obj, "resource")
}

/// Strings from any iterable of `str` ([`convert::strings_or`]; `None`:
/// none).
fn strings(obj: Option<&Bound<'_, PyAny>>, name: &str, example: &str) -> PyResult<Vec<String>> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(Vec::new()),
        Some(obj) => convert::strings_or(obj, || {
            format!("{name} must be a list of str, e.g. [{example:?}]")
        }),
    }
}

/// A pair of aware datetimes as an interval (`name` in refusals).
fn interval(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Interval> {
    let (s, e): (Bound<'_, PyAny>, Bound<'_, PyAny>) = obj.extract().map_err(|_| {
        error(
            ErrorCode::InvalidRequest,
            format!("{name} must be a (start, end) pair of aware datetimes"),
        )
    })?;
    let start = convert::instant(&s, &format!("{name}.start"))?;
    let end = convert::instant(&e, &format!("{name}.end"))?;
    Interval::new(start, end).map_err(|e| e.at(name)).py()
}

// ---------------------------------------------------------------------------
// Appointment
// ---------------------------------------------------------------------------

/// The FHIR R4 `Appointment` (a dict) of `booking`: `held` is written
/// `pending` with the `hold-expires` extension, resources become participant
/// references (`provider:P1` → `Practitioner/P1`). Raises what FHIR cannot
/// carry, naming the hcas field (`resources[1]`, `hold_expires`, ...).
#[pyfunction]
pub(crate) fn appointment_to_fhir<'py>(
    py: Python<'py>,
    booking: &Bound<'py, PyBooking>,
) -> PyResult<Bound<'py, PyAny>> {
    let v = fhir::appointment_to_fhir(&booking.get().0).py()?;
    crate::json::to_py(py, &v)
}

/// The `hcas.Booking` an R4 `Appointment` dict describes. What hcas cannot
/// represent is refused, the message starting with its JSON path
/// (`participant[1].actor.reference: ...`): `InvalidRequestError` for
/// structure, `InvalidDatetimeError`/`InvalidIntervalError` for values.
#[pyfunction]
pub(crate) fn appointment_from_fhir(resource: &Bound<'_, PyAny>) -> PyResult<PyBooking> {
    let v = resource_json(resource)?;
    fhir::appointment_from_fhir(&v).py().map(PyBooking)
}

/// `appointment_to_fhir` of an occurrence whose series is known, plus R5's
/// `recurrenceId` extension = `number`, its place in the series
/// (`recurrence_numbers`).
#[pyfunction]
pub(crate) fn occurrence_to_fhir<'py>(
    py: Python<'py>,
    booking: &Bound<'py, PyBooking>,
    number: i64,
) -> PyResult<Bound<'py, PyAny>> {
    let number = u32::try_from(number).map_err(|_| {
        error(
            ErrorCode::InvalidRequest,
            format!("number must be a positive integer (the occurrence's place), got {number}"),
        )
    })?;
    let v = fhir::occurrence_to_fhir(&booking.get().0, number).py()?;
    crate::json::to_py(py, &v)
}

/// The number of each of a series' occurrences (`hcas.Booking`s), in the
/// order given: its 1-based place among the series' distinct recurrence
/// ids, earliest first.
#[pyfunction]
pub(crate) fn recurrence_numbers(occurrences: &Bound<'_, PyAny>) -> PyResult<Vec<u32>> {
    let list: Vec<Booking> = occurrences
        .try_iter()?
        .map(|b| Ok(b?.cast::<PyBooking>()?.get().0.clone()))
        .collect::<PyResult<_>>()?;
    fhir::recurrence_numbers(&list).py()
}

// ---------------------------------------------------------------------------
// Slot
// ---------------------------------------------------------------------------

/// The code of an `enum.Enum` member (`hcas.<kind>`) or the code itself.
fn enum_code(obj: &Bound<'_, PyAny>, name: &str, kind: &str, example: &str) -> PyResult<String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    obj.getattr("value")
        .and_then(|v| v.extract::<String>())
        .map_err(|_| {
            error(
                ErrorCode::InvalidRequest,
                format!("{name} must be an hcas.{kind} or its code, e.g. {example:?}"),
            )
        })
}

/// A slot status: an `hcas.SlotStatus` member or its R4 code (`"busy"`).
fn slot_status(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<SlotStatus> {
    let text = enum_code(obj, name, "SlotStatus", "free")?;
    SlotStatus::parse(&text).map_err(|e| e.at(name)).py()
}

/// The R4 codes of every slot status, in `SlotStatus::ALL`'s order.
pub(crate) fn slot_statuses() -> Vec<&'static str> {
    SlotStatus::ALL.iter().map(|s| s.as_str()).collect()
}

/// An R4 `Slot` as hcas models it: `[start, end)` of the Schedule
/// `schedule` (its id), a `status` (`hcas.SlotStatus` or its code), the id
/// (by default `<schedule>-<unix seconds of start>`, as `slot_to_fhir`
/// writes) and the `service_types` (hcas specialty codes). Nothing is
/// checked until it is written.
#[pyclass(name = "FhirSlot", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PyFhirSlot(FhirSlot);

impl Hash for PyFhirSlot {
    /// Every field.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let s = &self.0;
        (
            &s.id,
            &s.schedule,
            s.start,
            s.end,
            s.status,
            &s.service_types,
        )
            .hash(state);
    }
}

#[pymethods]
impl PyFhirSlot {
    #[new]
    #[pyo3(signature = (schedule, start, end, status, id = None, service_types = None))]
    fn new(
        schedule: String,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        status: &Bound<'_, PyAny>,
        id: Option<String>,
        service_types: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut slot = FhirSlot::new(
            schedule,
            convert::instant(start, "start")?,
            convert::instant(end, "end")?,
            slot_status(status, "status")?,
        )
        .with_service_types(strings(service_types, "service_types", "general-practice")?);
        if let Some(id) = id {
            slot = slot.with_id(id);
        }
        Ok(Self(slot))
    }

    /// The slot id.
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }

    /// The id of the Schedule it belongs to.
    #[getter]
    fn schedule(&self) -> &str {
        &self.0.schedule
    }

    /// Its start (aware, UTC).
    #[getter]
    fn start<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        convert::to_datetime(py, self.0.start)
    }

    /// Its end (aware, UTC).
    #[getter]
    fn end<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        convert::to_datetime(py, self.0.end)
    }

    /// Its status, an `hcas.SlotStatus`.
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        enum_member(py, "SlotStatus", self.0.status.as_str())
    }

    /// The services bookable in it (hcas specialty codes).
    #[getter]
    fn service_types<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.0.service_types)
    }

    /// The R4 `Slot` dict, keeping this slot's id (nothing is checked: the
    /// id and schedule should be FHIR ids, `end` after `start`).
    fn to_fhir<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::json::to_py(py, &self.0.to_fhir())
    }

    /// Pickled as its constructor's arguments.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<
        'py,
        (
            String,
            Bound<'py, PyDateTime>,
            Bound<'py, PyDateTime>,
            &'static str,
            String,
            Vec<String>,
        ),
    > {
        let (me, py) = (slf.get(), slf.py());
        let s = &me.0;
        convert::reduce_new(
            slf,
            (
                s.schedule.clone(),
                me.start(py)?,
                me.end(py)?,
                s.status.as_str(),
                s.id.clone(),
                s.service_types.clone(),
            ),
        )
    }

    fn __repr__(&self) -> String {
        let s = &self.0;
        format!(
            "hcas.FhirSlot({:?}, {}, {}, {:?}, id={:?}, service_types={:?})",
            s.schedule,
            convert::instant_repr(s.start),
            convert::instant_repr(s.end),
            s.status.as_str(),
            s.id,
            s.service_types
        )
    }
}

/// The R4 `Slot` dict `[start, end)` (aware datetimes) of the Schedule
/// `schedule_id`, with `status` and the deterministic id
/// `<schedule_id>-<unix seconds of start>`. Nothing is checked: the schedule
/// id should be a FHIR id of at most 52 characters, `end` after `start`.
#[pyfunction]
pub(crate) fn slot_to_fhir<'py>(
    py: Python<'py>,
    schedule_id: &str,
    start: &Bound<'py, PyAny>,
    end: &Bound<'py, PyAny>,
    status: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let v = fhir::slot_to_fhir(
        schedule_id,
        convert::instant(start, "start")?,
        convert::instant(end, "end")?,
        slot_status(status, "status")?,
    );
    crate::json::to_py(py, &v)
}

/// `free` R4 `Slot` dicts of length `duration` (a `timedelta`) at each of
/// `starts` (aware datetimes, e.g. `Availability.slots(...)`), ids as in
/// `slot_to_fhir`. Instants are written in UTC (`Z`), whatever the zone.
#[pyfunction]
pub(crate) fn slots_to_fhir<'py>(
    py: Python<'py>,
    schedule_id: &str,
    starts: &Bound<'py, PyAny>,
    duration: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyList>> {
    let starts: Vec<Timestamp> = starts
        .try_iter()?
        .enumerate()
        .map(|(i, t)| convert::instant(&t?, &format!("starts[{i}]")))
        .collect::<PyResult<_>>()?;
    let duration = convert::minutes(duration, "duration")?;
    let slots = fhir::slots_to_fhir(schedule_id, &starts, duration).py()?;
    let items = slots
        .iter()
        .map(|v| crate::json::to_py(py, v))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}

/// The `hcas.FhirSlot` an R4 `Slot` dict describes; refusals start with the
/// JSON path (`schedule.reference: ...`).
#[pyfunction]
pub(crate) fn slot_from_fhir(resource: &Bound<'_, PyAny>) -> PyResult<PyFhirSlot> {
    let v = resource_json(resource)?;
    fhir::slot_from_fhir(&v).py().map(PyFhirSlot)
}

/// The schedule id and start (aware, UTC) a deterministic slot id
/// (`<schedule_id>-<unix seconds of start>`) stands for, or `None` when the
/// id is not of that form.
#[pyfunction]
pub(crate) fn parse_slot_id<'py>(
    py: Python<'py>,
    id: &str,
) -> PyResult<Option<(String, Bound<'py, PyDateTime>)>> {
    match fhir::parse_slot_id(id) {
        None => Ok(None),
        Some((schedule, at)) => Ok(Some((schedule.to_string(), convert::to_datetime(py, at)?))),
    }
}

// ---------------------------------------------------------------------------
// Schedule
// ---------------------------------------------------------------------------

/// Working hours a Schedule carries: a `zone` (`hcas.Zone`, `ZoneInfo` or
/// IANA name) and `hcas.WorkingRule`s.
#[pyclass(name = "ScheduleAvailability", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PyScheduleAvailability(ScheduleAvailability);

impl Hash for PyScheduleAvailability {
    /// The parts `ScheduleAvailability`'s equality compares.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.zone.hash(state);
        for r in &self.0.rules {
            PyWorkingRule(r.clone()).hash(state);
        }
    }
}

#[pymethods]
impl PyScheduleAvailability {
    #[new]
    #[pyo3(signature = (zone, rules = None))]
    fn new(zone: &Bound<'_, PyAny>, rules: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let zone = convert::zone(zone, "zone")?;
        let rules = match rules.filter(|r| !r.is_none()) {
            None => Vec::new(),
            Some(r) => r
                .try_iter()?
                .map(|r| Ok(r?.cast::<PyWorkingRule>()?.get().0.clone()))
                .collect::<PyResult<_>>()?,
        };
        Ok(Self(ScheduleAvailability::new(zone, rules)))
    }

    /// The zone of the rules' local times.
    #[getter]
    fn zone(&self) -> PyZone {
        PyZone(self.0.zone)
    }

    /// The working rules.
    #[getter]
    fn rules(&self) -> Vec<PyWorkingRule> {
        self.0.rules.iter().cloned().map(PyWorkingRule).collect()
    }

    /// An `hcas.Availability` with these rules, no overrides and no busy time.
    fn to_availability(&self) -> PyResult<PyAvailability> {
        let avail = self.0.to_availability();
        avail.check_limits().py()?;
        Ok(PyAvailability(std::sync::Arc::new(avail)))
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<'py, (&'static str, Vec<PyWorkingRule>)> {
        let me = slf.get();
        convert::reduce_new(slf, (me.0.zone.name(), me.rules()))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let rules = self
            .rules()
            .into_iter()
            .map(|r| Ok(Bound::new(py, r)?.repr()?.to_string()))
            .collect::<PyResult<Vec<String>>>()?;
        Ok(format!(
            "hcas.ScheduleAvailability({:?}, {})",
            self.0.zone.name(),
            convert::list_repr(rules)
        ))
    }
}

/// An R4 `Schedule` as hcas models it: `id`, the hcas resources `actors`
/// (`provider:P1`, ...), the `planning_horizon` ((start, end) aware
/// datetimes, or `None`), whether it is `active`, its working hours
/// (`hcas.ScheduleAvailability`, or `None`) and `specialties` (hcas codes).
/// Nothing is checked until it is written.
#[pyclass(name = "FhirSchedule", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PyFhirSchedule(FhirSchedule);

impl Hash for PyFhirSchedule {
    /// The fields, the availability as `ScheduleAvailability` hashes.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let s = &self.0;
        (
            &s.id,
            &s.actors,
            s.planning_horizon,
            s.active,
            &s.specialties,
        )
            .hash(state);
        s.availability
            .clone()
            .map(PyScheduleAvailability)
            .hash(state);
    }
}

#[pymethods]
impl PyFhirSchedule {
    #[new]
    #[pyo3(signature = (
        id, actors, planning_horizon = None, active = true, availability = None, specialties = None
    ))]
    fn new(
        id: String,
        actors: &Bound<'_, PyAny>,
        planning_horizon: Option<&Bound<'_, PyAny>>,
        active: bool,
        availability: Option<&Bound<'_, PyAny>>,
        specialties: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let actors = strings(Some(actors), "actors", "provider:P1")?;
        let mut s = FhirSchedule::new(id, actors)
            .with_active(active)
            .with_specialties(strings(specialties, "specialties", "general-practice")?);
        if let Some(h) = planning_horizon.filter(|h| !h.is_none()) {
            s = s.with_planning_horizon(interval(h, "planning_horizon")?);
        }
        if let Some(a) = availability.filter(|a| !a.is_none()) {
            s = s.with_availability(a.cast::<PyScheduleAvailability>()?.get().0.clone());
        }
        Ok(Self(s))
    }

    /// The schedule id.
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }

    /// The hcas resources whose availability this is.
    #[getter]
    fn actors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.0.actors)
    }

    /// The period it covers, (start, end) aware UTC datetimes, or `None`.
    #[getter]
    fn planning_horizon<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        self.0
            .planning_horizon
            .map(|h| interval_pair(py, &h))
            .transpose()
    }

    /// Whether it is in use.
    #[getter]
    fn active(&self) -> bool {
        self.0.active
    }

    /// Its working hours, or `None`.
    #[getter]
    fn availability(&self) -> Option<PyScheduleAvailability> {
        self.0.availability.clone().map(PyScheduleAvailability)
    }

    /// Its specialty codes (hcas codes).
    #[getter]
    fn specialties<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.0.specialties)
    }

    /// Pickled as its constructor's arguments.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<
        'py,
        (
            String,
            Vec<String>,
            Option<Bound<'py, PyTuple>>,
            bool,
            Option<PyScheduleAvailability>,
            Vec<String>,
        ),
    > {
        let (me, py) = (slf.get(), slf.py());
        let s = &me.0;
        convert::reduce_new(
            slf,
            (
                s.id.clone(),
                s.actors.clone(),
                me.planning_horizon(py)?,
                s.active,
                me.availability(),
                s.specialties.clone(),
            ),
        )
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let s = &self.0;
        let horizon = s
            .planning_horizon
            .map_or_else(|| "None".into(), |h| convert::interval_repr(&h));
        let availability = match self.availability() {
            Some(a) => a.__repr__(py)?,
            None => "None".into(),
        };
        Ok(format!(
            "hcas.FhirSchedule({:?}, {:?}, planning_horizon={horizon}, active={}, \
             availability={availability}, specialties={:?})",
            s.id,
            s.actors,
            convert::bool_repr(s.active),
            s.specialties
        ))
    }
}

/// The R4 `Schedule` dict of `schedule` (working hours in the hcas
/// `availability` extension). Raises what FHIR cannot carry, naming the hcas
/// field (`actors[0]`, `id`, ...).
#[pyfunction]
pub(crate) fn schedule_to_fhir<'py>(
    py: Python<'py>,
    schedule: &Bound<'py, PyFhirSchedule>,
) -> PyResult<Bound<'py, PyAny>> {
    let v = fhir::schedule_to_fhir(&schedule.get().0).py()?;
    crate::json::to_py(py, &v)
}

/// The `hcas.FhirSchedule` an R4 `Schedule` dict describes; refusals start
/// with the JSON path (`actor[1].reference: ...`).
#[pyfunction]
pub(crate) fn schedule_from_fhir(resource: &Bound<'_, PyAny>) -> PyResult<PyFhirSchedule> {
    let v = resource_json(resource)?;
    fhir::schedule_from_fhir(&v).py().map(PyFhirSchedule)
}

// ---------------------------------------------------------------------------
// Bundle and OperationOutcome
// ---------------------------------------------------------------------------

/// One entry of a searchset Bundle: `full_url` (the base and `Type/id`),
/// the `resource` dict and its `mode` (`"match"` or `"include"`). Made by
/// `SearchEntry.matched(base, resource)` or `SearchEntry.included(...)`.
#[pyclass(name = "SearchEntry", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq)]
pub(crate) struct PySearchEntry(SearchEntry);

impl Hash for PySearchEntry {
    /// The URL, the mode and the resource's JSON text.
    fn hash<H: Hasher>(&self, state: &mut H) {
        (&self.0.full_url, self.0.mode, self.0.resource.to_string()).hash(state);
    }
}

#[pymethods]
impl PySearchEntry {
    /// A resource (a dict with `resourceType` and `id`) that matched, under
    /// the FHIR base URL `base`.
    #[staticmethod]
    fn matched(base: &str, resource: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self(SearchEntry::matched(base, resource_json(resource)?)))
    }

    /// A resource `_include`d by a match, under the FHIR base URL `base`.
    #[staticmethod]
    fn included(base: &str, resource: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self(SearchEntry::included(base, resource_json(resource)?)))
    }

    /// `fullUrl`: the base and `Type/id`.
    #[getter]
    fn full_url(&self) -> &str {
        &self.0.full_url
    }

    /// The resource (a new dict each time).
    #[getter]
    fn resource<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::json::to_py(py, &self.0.resource)
    }

    /// `"match"` or `"include"`.
    #[getter]
    fn mode(&self) -> &'static str {
        self.0.mode
    }

    /// Pickled as the call that made it: the base is the full URL less
    /// `/Type/id`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, (String, Bound<'py, PyAny>)> {
        let (me, py) = (slf.get(), slf.py());
        let e = &me.0;
        let ty = e.resource["resourceType"].as_str().unwrap_or_default();
        let id = e.resource["id"].as_str().unwrap_or_default();
        let suffix = format!("/{ty}/{id}");
        let base = e
            .full_url
            .strip_suffix(&suffix)
            .unwrap_or(&e.full_url)
            .to_string();
        let make = if e.mode == "include" {
            "included"
        } else {
            "matched"
        };
        convert::reduce_by(slf, make, (base, me.resource(py)?))
    }

    fn __repr__(&self) -> String {
        format!("<hcas.SearchEntry {} {:?}>", self.0.mode, self.0.full_url)
    }
}

fn entries(obj: &Bound<'_, PyAny>) -> PyResult<Vec<SearchEntry>> {
    obj.try_iter()?
        .map(|e| Ok(e?.cast::<PySearchEntry>()?.get().0.clone()))
        .collect()
}

/// A `searchset` Bundle dict: `total` matches in all, this page's
/// `entries` (`hcas.SearchEntry`s), the `self` link and (when given) the
/// `next` one.
#[pyfunction]
#[pyo3(signature = (total, self_url, next_url, entries))]
pub(crate) fn searchset<'py>(
    py: Python<'py>,
    total: usize,
    self_url: &str,
    next_url: Option<&str>,
    entries: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let v = fhir::searchset(total, self_url, next_url, self::entries(entries)?);
    crate::json::to_py(py, &v)
}

/// A `searchset` Bundle dict without `total` (optional in R4), for a search
/// that pages by a cursor.
#[pyfunction]
#[pyo3(signature = (self_url, next_url, entries))]
pub(crate) fn searchset_page<'py>(
    py: Python<'py>,
    self_url: &str,
    next_url: Option<&str>,
    entries: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let v = fhir::searchset_page(self_url, next_url, self::entries(entries)?);
    crate::json::to_py(py, &v)
}

/// An `OperationOutcome` dict with one error issue: the FHIR `issue_type`
/// (`invalid`, `not-found`, ...), the hcas stable `code` in
/// `details.coding` (system `ERROR_SYSTEM`) and `text` in `details.text` and
/// `diagnostics`.
#[pyfunction]
pub(crate) fn operation_outcome<'py>(
    py: Python<'py>,
    issue_type: &str,
    code: &str,
    text: &str,
) -> PyResult<Bound<'py, PyAny>> {
    crate::json::to_py(py, &fhir::operation_outcome(issue_type, code, text))
}

/// The `OperationOutcome` dict of a booking conflict: the `conflict` error
/// issue with `text`, then one issue per conflicting booking naming what it
/// holds (`Appointment/b1 holds Practitioner/P1, Patient/X1`), by booking
/// id. `conflicts` are `hcas.Conflict`s (e.g. `Ledger.check`'s answer).
#[pyfunction]
pub(crate) fn conflict_outcome<'py>(
    py: Python<'py>,
    text: &str,
    conflicts: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let list: Vec<Conflict> = conflicts
        .try_iter()?
        .map(|c| {
            let c = c?.cast_into::<crate::booking::PyConflict>()?;
            let resource: String = c.getattr("resource")?.extract()?;
            let with: Vec<String> = c.getattr("bookings")?.extract()?;
            Ok(Conflict::new(resource, with))
        })
        .collect::<PyResult<_>>()?;
    crate::json::to_py(py, &fhir::conflict_outcome(text, &list))
}

/// The `OperationOutcome` dict of a series refused for conflicts: the
/// `conflict` error issue with `text`, then one issue per conflicting
/// occurrence (`hcas.OccurrenceResult`s, e.g. `SeriesSpec.plan`'s) naming
/// its recurrence id, its start and what holds it (`Appointment/b7 holds
/// Practitioner/P1`), in the order given.
#[pyfunction]
pub(crate) fn series_conflict_outcome<'py>(
    py: Python<'py>,
    text: &str,
    occurrences: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let list = crate::series::occurrences_from(occurrences, "occurrences")?
        .iter()
        .map(crate::series::PyOccurrenceResult::core)
        .collect::<PyResult<Vec<_>>>()?;
    crate::json::to_py(py, &fhir::series_conflict_outcome(text, &list))
}

// ---------------------------------------------------------------------------
// AuditEvent
// ---------------------------------------------------------------------------

/// One audit record's fields, as `audit_event_to_fhir` maps them: `id` (the
/// sequence number), `recorded` (aware datetime), `actor` (a token's
/// subject), `action` (`patient.read`), `target` (`booking:a1`), `outcome`
/// (`permit`, `deny`, `ok`, `error`), the actor's `roles`, the `patient`
/// whose data it touched, the `purpose` of use (`TREAT`), `details`
/// ((name, text) pairs, in order) and the `site` (organization).
#[pyclass(name = "AuditFacts", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PyAuditFacts(AuditFacts);

impl Hash for PyAuditFacts {
    /// Every field.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let f = &self.0;
        (
            &f.id, f.recorded, &f.actor, &f.roles, &f.action, &f.target, &f.patient, &f.purpose,
            &f.outcome, &f.details, &f.site,
        )
            .hash(state);
    }
}

#[pymethods]
impl PyAuditFacts {
    #[new]
    #[pyo3(signature = (
        id, recorded, actor, action, target, outcome, roles = None, patient = None,
        purpose = None, details = None, site = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        id: String,
        recorded: &Bound<'_, PyAny>,
        actor: String,
        action: String,
        target: String,
        outcome: String,
        roles: Option<&Bound<'_, PyAny>>,
        patient: Option<String>,
        purpose: Option<String>,
        details: Option<&Bound<'_, PyAny>>,
        site: Option<String>,
    ) -> PyResult<Self> {
        let details = match details.filter(|d| !d.is_none()) {
            None => Vec::new(),
            Some(d) => d
                .try_iter()?
                .enumerate()
                .map(|(i, pair)| {
                    pair?.extract::<(String, String)>().map_err(|_| {
                        error(
                            ErrorCode::InvalidRequest,
                            format!("details[{i}] must be a (name, text) pair of str"),
                        )
                    })
                })
                .collect::<PyResult<_>>()?,
        };
        Ok(Self(AuditFacts {
            id,
            recorded: convert::instant(recorded, "recorded")?,
            actor,
            roles: strings(roles, "roles", "doctor")?,
            action,
            target,
            patient,
            purpose,
            outcome,
            details,
            site,
        }))
    }

    /// The resource id (the record's sequence number).
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }

    /// When it happened (aware, UTC).
    #[getter]
    fn recorded<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        convert::to_datetime(py, self.0.recorded)
    }

    /// Who (a token's subject).
    #[getter]
    fn actor(&self) -> &str {
        &self.0.actor
    }

    /// What was done (`patient.read`, ...).
    #[getter]
    fn action(&self) -> &str {
        &self.0.action
    }

    /// What it was done to (`booking:a1`, ...).
    #[getter]
    fn target(&self) -> &str {
        &self.0.target
    }

    /// `permit`, `deny`, `ok`, `error`.
    #[getter]
    fn outcome(&self) -> &str {
        &self.0.outcome
    }

    /// The actor's roles, as recorded.
    #[getter]
    fn roles<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, &self.0.roles)
    }

    /// The patient whose data it touched, or `None`.
    #[getter]
    fn patient(&self) -> Option<&str> {
        self.0.patient.as_deref()
    }

    /// The purpose of use (`TREAT`, ...), or `None`.
    #[getter]
    fn purpose(&self) -> Option<&str> {
        self.0.purpose.as_deref()
    }

    /// The record's detail, (name, text) pairs in order.
    #[getter]
    fn details(&self) -> Vec<(String, String)> {
        self.0.details.clone()
    }

    /// The organization whose log it is, or `None`.
    #[getter]
    fn site(&self) -> Option<&str> {
        self.0.site.as_deref()
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, Bound<'py, PyTuple>> {
        let (me, py) = (slf.get(), slf.py());
        let f = &me.0;
        let args = (
            f.id.clone(),
            me.recorded(py)?,
            f.actor.clone(),
            f.action.clone(),
            f.target.clone(),
            f.outcome.clone(),
            f.roles.clone(),
            f.patient.clone(),
            f.purpose.clone(),
            f.details.clone(),
            f.site.clone(),
        );
        convert::reduce_new(slf, args.into_pyobject(py)?)
    }

    fn __repr__(&self) -> String {
        let f = &self.0;
        format!(
            "hcas.AuditFacts({:?}, {}, {:?}, {:?}, {:?}, {:?}, roles={:?}, patient={:?}, \
             purpose={:?}, details={:?}, site={:?})",
            f.id,
            convert::instant_repr(f.recorded),
            f.actor,
            f.action,
            f.target,
            f.outcome,
            f.roles,
            f.patient,
            f.purpose,
            f.details,
            f.site
        )
    }
}

/// The audit record `facts` as an R4 `AuditEvent` dict (export only).
/// Raises `InvalidRequestError` naming the field when `id` is not a FHIR id
/// or a text field is empty.
#[pyfunction]
pub(crate) fn audit_event_to_fhir<'py>(
    py: Python<'py>,
    facts: &Bound<'py, PyAuditFacts>,
) -> PyResult<Bound<'py, PyAny>> {
    let v = fhir::audit_event_to_fhir(&facts.get().0).py()?;
    crate::json::to_py(py, &v)
}

// ---------------------------------------------------------------------------
// Series template: R5 `recurrenceTemplate` on an R4 Appointment
// ---------------------------------------------------------------------------

/// Local dates from any iterable (`None`: none), each named `name[i]`.
fn dates(obj: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Vec<NaiveDate>> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(Vec::new()),
        Some(o) => o
            .try_iter()?
            .enumerate()
            .map(|(i, d)| convert::local_date(&d?, &format!("{name}[{i}]")))
            .collect(),
    }
}

/// An R5 `recurrenceTemplate` hcas can book: the `zone` its wall times are
/// in, the `recurrence_type` (`hcas.RecurrenceType` or its UCUM code: `d`,
/// `wk`, `mo`, `a`) with its template (`days`, RFC 5545 codes `"MO"`..`"SU"`,
/// for weekly; `day` of the month for monthly; `interval` for all but
/// daily), and its end: `occurrence_count` or `last_occurrence_date`, plus
/// extra `occurrence_dates` and `excluding_dates`.
#[pyclass(name = "RecurrenceTemplate", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PyRecurrenceTemplate(RecurrenceTemplate);

impl Hash for PyRecurrenceTemplate {
    /// Its extension's JSON text, which every field takes part in.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.to_fhir().to_string().hash(state);
    }
}

#[pymethods]
impl PyRecurrenceTemplate {
    #[new]
    #[pyo3(signature = (
        zone, recurrence_type, days = None, day = None, interval = 1, occurrence_count = None,
        last_occurrence_date = None, occurrence_dates = None, excluding_dates = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        zone: &Bound<'_, PyAny>,
        recurrence_type: &Bound<'_, PyAny>,
        days: Option<&Bound<'_, PyAny>>,
        day: Option<u8>,
        interval: u32,
        occurrence_count: Option<u32>,
        last_occurrence_date: Option<&Bound<'_, PyAny>>,
        occurrence_dates: Option<&Bound<'_, PyAny>>,
        excluding_dates: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let zone = convert::zone(zone, "zone")?;
        let code = enum_code(recurrence_type, "recurrence_type", "RecurrenceType", "wk")?;
        let refuse = |field: &str, why: &str| {
            Err(error(ErrorCode::InvalidRequest, format!("{field}: {why}")))
        };
        let days: Vec<Weekday> = strings(days, "days", "MO")?
            .iter()
            .enumerate()
            .map(|(i, c)| {
                parse_weekday(c)
                    .ok_or_else(|| {
                        error(
                            ErrorCode::InvalidRequest,
                            format!("days[{i}]: `{c}` is not a weekday code; use MO, TU, WE, TH, FR, SA or SU"),
                        )
                    })
            })
            .collect::<PyResult<_>>()?;
        let pattern = match code.as_str() {
            "d" => {
                if interval != 1 {
                    return refuse("interval", "R5's daily template has no interval; give 1");
                }
                Pattern::Daily
            }
            "wk" => Pattern::Weekly {
                days: days.clone(),
                interval,
            },
            "mo" => match day {
                Some(day) => Pattern::Monthly { day, interval },
                None => return refuse("day", "a monthly template needs its day of the month"),
            },
            "a" => Pattern::Yearly { interval },
            other => {
                return refuse(
                    "recurrence_type",
                    &format!("`{other}` is not a recurrence type; use d, wk, mo or a"),
                );
            }
        };
        if code != "wk" && !days.is_empty() {
            return refuse("days", "only a weekly template has days");
        }
        if code != "mo" && day.is_some() {
            return refuse("day", "only a monthly template has a day of the month");
        }
        let mut t = RecurrenceTemplate::new(zone, pattern).dates(
            dates(occurrence_dates, "occurrence_dates")?,
            dates(excluding_dates, "excluding_dates")?,
        );
        if let Some(n) = occurrence_count {
            t = t.count(n);
        }
        if let Some(d) = last_occurrence_date.filter(|d| !d.is_none()) {
            t = t.last_date(convert::local_date(d, "last_occurrence_date")?);
        }
        Ok(Self(t))
    }

    /// The zone its wall times are in.
    #[getter]
    fn zone(&self) -> PyZone {
        PyZone(self.0.zone)
    }

    /// `recurrenceType`, an `hcas.RecurrenceType`.
    #[getter]
    fn recurrence_type<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        enum_member(py, "RecurrenceType", self.type_code())
    }

    /// A weekly template's days, RFC 5545 codes (`("TU",)`); else empty.
    #[getter]
    fn days(&self) -> Vec<&'static str> {
        match &self.0.pattern {
            Pattern::Weekly { days, .. } => days.iter().map(|d| weekday_code(*d)).collect(),
            _ => Vec::new(),
        }
    }

    /// A monthly template's day of the month; else `None`.
    #[getter]
    fn day(&self) -> Option<u8> {
        match &self.0.pattern {
            Pattern::Monthly { day, .. } => Some(*day),
            _ => None,
        }
    }

    /// Every how many weeks, months or years (1 for daily).
    #[getter]
    fn interval(&self) -> u32 {
        match &self.0.pattern {
            Pattern::Weekly { interval, .. }
            | Pattern::Monthly { interval, .. }
            | Pattern::Yearly { interval } => *interval,
            _ => 1,
        }
    }

    /// `occurrenceCount`, or `None`.
    #[getter]
    fn occurrence_count(&self) -> Option<u32> {
        self.0.occurrence_count
    }

    /// `lastOccurrenceDate`, or `None`.
    #[getter]
    fn last_occurrence_date(&self) -> Option<NaiveDate> {
        self.0.last_occurrence_date
    }

    /// `occurrenceDate`: extra dates.
    #[getter]
    fn occurrence_dates(&self) -> Vec<NaiveDate> {
        self.0.occurrence_dates.clone()
    }

    /// `excludingDate`: dates left out.
    #[getter]
    fn excluding_dates(&self) -> Vec<NaiveDate> {
        self.0.excluding_dates.clone()
    }

    /// The `hcas.Recurrence` this template describes from the naive local
    /// datetime `dtstart` (the first occurrence's wall time).
    fn recurrence(&self, dtstart: &Bound<'_, PyAny>) -> PyResult<PyRecurrence> {
        let dtstart = convert::local_datetime(dtstart, "dtstart")?;
        let rec = self.0.recurrence(dtstart).py()?;
        Ok(PyRecurrence(std::sync::Arc::new(rec)))
    }

    /// The `recurrenceTemplate` extension dict (R5 → R4 cross-version).
    fn to_fhir<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::json::to_py(py, &self.0.to_fhir())
    }

    /// The template of a `recurrenceTemplate` extension dict; refusals start
    /// with `path` (its JSON path in the resource).
    #[staticmethod]
    #[pyo3(signature = (extension, path = "extension[0]"))]
    fn from_fhir(extension: &Bound<'_, PyAny>, path: &str) -> PyResult<Self> {
        let v = crate::json::to_json(extension, "extension")?;
        RecurrenceTemplate::from_fhir(&v, path).py().map(Self)
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> crate::Reduced<'py, Bound<'py, PyTuple>> {
        let (me, py) = (slf.get(), slf.py());
        let t = &me.0;
        let args = (
            t.zone.name(),
            me.type_code(),
            me.days(),
            me.day(),
            me.interval(),
            t.occurrence_count,
            t.last_occurrence_date,
            t.occurrence_dates.clone(),
            t.excluding_dates.clone(),
        );
        convert::reduce_new(slf, args.into_pyobject(py)?)
    }

    fn __repr__(&self) -> String {
        format!(
            "<hcas.RecurrenceTemplate {} {} days={:?} day={:?} interval={} count={:?} last={:?}>",
            self.0.zone.name(),
            self.type_code(),
            self.days(),
            self.day(),
            self.interval(),
            self.0.occurrence_count,
            self.0.last_occurrence_date
        )
    }
}

impl PyRecurrenceTemplate {
    /// R5's `recurrenceType` code (UCUM).
    fn type_code(&self) -> &'static str {
        match &self.0.pattern {
            Pattern::Weekly { .. } => "wk",
            Pattern::Monthly { .. } => "mo",
            Pattern::Yearly { .. } => "a",
            _ => "d",
        }
    }
}

/// A series template Appointment: `template`, the Appointment read as an
/// `hcas.Booking` (its start and end are the first occurrence's), and its
/// `recurrence`, an `hcas.RecurrenceTemplate`.
#[pyclass(name = "FhirSeries", module = "hcas", frozen, eq, hash)]
#[derive(Clone, PartialEq)]
pub(crate) struct PyFhirSeries(FhirSeries);

impl Hash for PyFhirSeries {
    /// The template as `Booking` hashes, the recurrence as its extension.
    fn hash<H: Hasher>(&self, state: &mut H) {
        PyBooking(self.0.template.clone()).hash(state);
        PyRecurrenceTemplate(self.0.recurrence.clone()).hash(state);
    }
}

#[pymethods]
impl PyFhirSeries {
    #[new]
    fn new(template: &Bound<'_, PyBooking>, recurrence: &Bound<'_, PyRecurrenceTemplate>) -> Self {
        Self(FhirSeries::new(
            template.get().0.clone(),
            recurrence.get().0.clone(),
        ))
    }

    /// The Appointment read as a booking (the first occurrence).
    #[getter]
    fn template(&self) -> PyBooking {
        PyBooking(self.0.template.clone())
    }

    /// The recurrence template.
    #[getter]
    fn recurrence(&self) -> PyRecurrenceTemplate {
        PyRecurrenceTemplate(self.0.recurrence.clone())
    }

    /// The `hcas.SeriesSpec` with series id `id` to book: every occurrence
    /// as long as the template, using its resources, from its start read as
    /// a wall time in the recurrence's zone. Raises `InvalidRequestError` for
    /// a length that is not whole minutes, and as the recurrence template's
    /// rule does.
    fn spec(&self, id: &str) -> PyResult<crate::series::PySeriesSpec> {
        self.0.spec(id).py().map(crate::series::PySeriesSpec)
    }

    /// Pickled as its constructor's arguments.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> crate::Reduced<'py, (PyBooking, PyRecurrenceTemplate)> {
        let me = slf.get();
        convert::reduce_new(slf, (me.template(), me.recurrence()))
    }

    fn __repr__(&self) -> String {
        format!(
            "<hcas.FhirSeries {} {} {}>",
            self.0.template.id,
            self.0.template.start,
            self.recurrence().__repr__()
        )
    }
}

/// The series template an Appointment dict describes, or `None` when it has
/// no `recurrenceTemplate` extension (a single appointment).
#[pyfunction]
pub(crate) fn series_from_fhir(resource: &Bound<'_, PyAny>) -> PyResult<Option<PyFhirSeries>> {
    let v = resource_json(resource)?;
    Ok(fhir::series_from_fhir(&v).py()?.map(PyFhirSeries))
}

/// The series template Appointment dict of `series`: `appointment_to_fhir`
/// of its template with the `recurrenceTemplate` extension.
#[pyfunction]
pub(crate) fn series_to_fhir<'py>(
    py: Python<'py>,
    series: &Bound<'py, PyFhirSeries>,
) -> PyResult<Bound<'py, PyAny>> {
    let v = fhir::series_to_fhir(&series.get().0).py()?;
    crate::json::to_py(py, &v)
}
